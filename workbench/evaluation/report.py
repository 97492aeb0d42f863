"""Per-subset benchmark scores with intervals and null baselines; paired comparisons of two scorers.

    eval_set = load_eval_set("data/eval/hh_harmless_pairs.jsonl.gz")
    scores = score_set(model, tokenizer, eval_set).scores          # or any scores (K_n,) per example
    report = evaluate_scores(eval_set, scores)
    report.to_frame()          # subset, n, score, low, high, and each baseline's score and interval
    report.sections, report.overall
    compare_scores(eval_set, scores_a, scores_b)   # difference, interval, p, Holm-adjusted p per subset

The rule comes from the set's format (:mod:`workbench.evaluation.rules`): pairs count a tie
as wrong (v1), best-of-n shares a tied top (v2), and a subset named ``Ties`` in a v2 set
gets the Ties composite. Intervals resample prompts
(:mod:`workbench.evaluation.uncertainty`).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from workbench.evaluation import rules
from workbench.evaluation.baselines import BASELINES, baseline_scores
from workbench.evaluation.formats import TIES_SUBSET, EvalSet
from workbench.evaluation.uncertainty import (
    DEFAULT_PERMUTATIONS,
    DEFAULT_RESAMPLES,
    Interval,
    ScoreTally,
    bootstrap_interval,
    holm,
    paired_difference,
)


@dataclass
class SubsetScore:
    """One subset: its rule, size, the scorer's interval and each baseline's."""

    subset: str
    rule: str  # "pair", "best_of_n" or "ties"
    n: int
    score: Interval
    baselines: dict[str, Interval] = field(default_factory=dict)
    components: dict[str, float] = field(default_factory=dict)  # the Ties composite's terms


@dataclass
class EvalReport:
    """Subset scores, section scores (v1), the overall score, and how the intervals were made."""

    format: str
    subsets: dict[str, SubsetScore]
    sections: dict[str, float]
    overall: float
    confidence: float
    n_resamples: int
    skipped: int = 0

    def to_frame(self) -> pd.DataFrame:
        """One row per subset: n, score, low, high, then ``<baseline>``, ``<baseline>_low``, ``<baseline>_high``."""
        rows = []
        for s in self.subsets.values():
            row = {"subset": s.subset, "rule": s.rule, "n": s.n, "score": s.score.estimate,
                   "low": s.score.low, "high": s.score.high}
            for name, interval in s.baselines.items():
                row.update({name: interval.estimate, f"{name}_low": interval.low, f"{name}_high": interval.high})
            rows.append(row)
        return pd.DataFrame(rows)

    def to_dict(self) -> dict:
        subsets = {}
        for s in self.subsets.values():
            subsets[s.subset] = {"rule": s.rule, "n": s.n, **s.score.to_dict(),
                                 "baselines": {k: v.to_dict() for k, v in s.baselines.items()}}
            if s.components:
                subsets[s.subset]["components"] = s.components
        return {"format": self.format, "confidence": self.confidence, "n_resamples": self.n_resamples,
                "subsets": subsets, "sections": self.sections, "overall": self.overall, "skipped": self.skipped}


def subset_rule(eval_set: EvalSet, subset: str) -> str:
    if eval_set.rule == "best_of_n" and eval_set.format == "v2" and subset.lower() == TIES_SUBSET:
        return "ties"
    return eval_set.rule


def tally_subset(eval_set: EvalSet, subset: str, scores: Sequence) -> ScoreTally:
    """The :class:`ScoreTally` of ``subset`` under its rule, prompts as clusters."""
    idx = eval_set.subset(subset)
    if not idx:
        raise ValueError(f"no examples in subset {subset!r}")
    examples = [eval_set.examples[i] for i in idx]
    for i in idx:
        if len(scores[i]) != len(eval_set.examples[i].responses):
            raise ValueError(f"example {i}: {len(scores[i])} scores for {len(eval_set.examples[i].responses)} responses")
    rule = subset_rule(eval_set, subset)
    if rule == "ties":
        return rules.ties_terms([ex.id for ex in examples], [scores[i] for i in idx],
                                [ex.num_correct for ex in examples])
    if rule == "pair":
        outcomes = rules.pair_outcomes([scores[i][0] for i in idx], [scores[i][1] for i in idx])
    else:
        outcomes = rules.best_of_n_outcomes([scores[i] for i in idx], [ex.num_correct for ex in examples])
    return ScoreTally.of_outcomes(outcomes, [ex.prompt_key for ex in examples])


def _check_scores(eval_set: EvalSet, scores: Sequence) -> list[np.ndarray]:
    if len(scores) != len(eval_set):
        raise ValueError(f"{len(scores)} score lists for {len(eval_set)} examples")
    return [np.asarray(s, dtype=float) for s in scores]


def evaluate_scores(eval_set: EvalSet, scores: Sequence, *, confidence: float = 0.95,
                    n_resamples: int = DEFAULT_RESAMPLES, seed: int = 0, baselines: Sequence[str] = BASELINES,
                    sections: Mapping[str, Sequence[str]] | None = None,
                    section_counts: Mapping[str, float] | None = None) -> EvalReport:
    """Score ``eval_set`` from per-example ``scores`` (K_n,): subsets, intervals, baselines, sections.

    ``sections`` (v1 only): section -> subsets; by default RewardBench's own when every
    subset is one of its names, else one section ``all``. ``section_counts``: the weights
    of the example-weighted section means (default: RewardBench's counts for its names,
    else the number of examples per subset).
    """
    scores = _check_scores(eval_set, scores)
    null_scores = {name: baseline_scores(eval_set, name, seed=seed) for name in baselines}
    subsets = {}
    for subset in eval_set.subsets:
        tally = tally_subset(eval_set, subset, scores)
        interval = bootstrap_interval(tally, confidence=confidence, n_resamples=n_resamples, seed=seed)
        nulls = {name: bootstrap_interval(tally_subset(eval_set, subset, null), confidence=confidence,
                                          n_resamples=n_resamples, seed=seed) for name, null in null_scores.items()}
        rule = subset_rule(eval_set, subset)
        parts = rules.ties_components(tally) if rule == "ties" else {}
        subsets[subset] = SubsetScore(subset, rule, len(eval_set.subset(subset)), interval, nulls, parts)
    values = {name: s.score.estimate for name, s in subsets.items()}
    section_values: dict[str, float] = {}
    if eval_set.rule == "pair":
        default_sections, default_counts = rules.default_sections(eval_set.subsets)
        counts = dict(section_counts or default_counts or {s: subsets[s].n for s in eval_set.subsets})
        for s in eval_set.subsets:  # a subset the table does not know weighs its own size
            counts.setdefault(s, subsets[s].n)
        section_values = rules.section_scores(values, counts, sections or default_sections)
        overall = rules.overall_score(section_values)
    else:
        overall = rules.overall_score(values)
    return EvalReport(eval_set.format, subsets, section_values, overall, confidence, n_resamples, eval_set.skipped)


def compare_scores(eval_set: EvalSet, scores_a: Sequence, scores_b: Sequence, *, confidence: float = 0.95,
                   n_resamples: int = DEFAULT_RESAMPLES, n_permutations: int = DEFAULT_PERMUTATIONS,
                   seed: int = 0) -> pd.DataFrame:
    """Per subset: score A, score B, A - B with its interval, the permutation p and Holm's adjusted p.

    Holm's correction runs over the subsets compared (the family the table reports).
    """
    scores_a, scores_b = _check_scores(eval_set, scores_a), _check_scores(eval_set, scores_b)
    rows = []
    for subset in eval_set.subsets:
        tally_a, tally_b = tally_subset(eval_set, subset, scores_a), tally_subset(eval_set, subset, scores_b)
        diff = paired_difference(tally_a, tally_b, confidence=confidence, n_resamples=n_resamples,
                                 n_permutations=n_permutations, seed=seed)
        rows.append({"subset": subset, "n": len(eval_set.subset(subset)), "score_a": tally_a.value(),
                     "score_b": tally_b.value(), "difference": diff.estimate, "low": diff.low, "high": diff.high,
                     "p_value": diff.p_value})
    frame = pd.DataFrame(rows)
    frame["p_holm"] = holm(frame["p_value"].to_numpy())
    return frame
