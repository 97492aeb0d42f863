"""Where step labels come from, scored against the truth on the world policy's own rollouts (notebook 04, section 7).

    study = label_sources_study(policy, tokenizer, LabelSourcesConfig())
    pd.DataFrame(study["table"]).T         # first-error exact, step agreement, rollouts a solution, seconds
    label_sources_failed_claims(study)     # [] when notebook 04's bounds on the world hold

Each solution is one of the policy's samples, labelled exactly by the checker
(``world.checker``: 1 before the first error, 0 at it). The sources, all the
package's own labelers (``prm.labelers``) driven by ``prm.policy.TransformersPolicy``
on the same policy:

* ``mc-soft`` / ``mc-hard``: Math-Shepherd's Monte-Carlo estimate from ``rollouts``
  continuations of every prefix (the share that reach the right answer, or whether
  any does); both read the same rollouts, so they cost the same;
* ``first-error search``: OmegaPRM's binary search for the first unrecoverable prefix;
* ``verifier``: the arithmetic of each step checked (``prm.verify``), free, blind to
  a number copied wrong or the wrong operation;
* ``consensus``: Monte-Carlo (hard) and the verifier, kept only where they name the
  same first error (the Qwen team's filter, Zhang et al. 2025).

"First-error exact" is :func:`workbench.prm.metrics.first_error_accuracy`;
"step agreement" compares labels (≥ 0.5 = right) on the steps both the source
and the truth label. ``constant`` is the best single first-error guess for every
solution (the floor a source must clear).
"""
from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass

import numpy as np

from workbench.prm.labelers import FirstErrorSearch, MonteCarloAnnotator, StepAnnotation, VerifierAnnotator, consensus
from workbench.prm.metrics import first_error_accuracy
from workbench.prm.records import StepRecord
from workbench.world.policy import PolicyConfig
from workbench.world.verifiers import flatten, labelled_samples


@dataclass(frozen=True)
class LabelSourcesConfig:
    """Sizes of the study (CI defaults; full run: problems=200, samples=8, rollouts=16)."""

    problems: int = 30        # held-out problems (seed ``seed``), ``samples`` solutions each
    samples: int = 4
    rollouts: int = 4         # Monte-Carlo continuations of every prefix
    search_rollouts: int = 8  # continuations a probe of the first-error search
    temperature: float = 1.0
    seed: int = 4242


def true_first_error(record: StepRecord) -> int | None:
    """The checker's first error: the first step labelled 0, or None."""
    return next((i for i, label in enumerate(record.labels) if label == 0.0), None)


def _hardened(annotation: StepAnnotation) -> StepAnnotation:
    labels = [None if label is None else float(label > 0) for label in annotation.labels]
    first = next((i for i, label in enumerate(labels) if label == 0.0), None)
    return StepAnnotation(labels, first, "mc-hard", dict(annotation.cost))


def score_source(annotations: list[StepAnnotation], records: list[StepRecord]) -> dict:
    """First-error exactness, step agreement and rollouts a solution of one source on ``records``."""
    truth = [true_first_error(r) for r in records]
    agree = [(label >= 0.5) == (true == 1.0) for a, r in zip(annotations, records)
             for label, true in zip(a.labels, r.labels) if label is not None and true is not None]
    return {"first_error_exact": first_error_accuracy([a.first_error for a in annotations], truth),
            "step_agreement": float(np.mean(agree)) if agree else float("nan"),
            "rollouts": float(np.mean([a.cost.get("rollouts", 0) for a in annotations])),
            "solutions": len(records)}


def label_sources_study(model, tokenizer, config: LabelSourcesConfig = LabelSourcesConfig()) -> dict:
    """Sample solutions, label them with every source, and score each against the checker.

    Returns ``{"table": {source: score_source(...) + seconds}, "annotations": {source: [...]},
    "records": [...], "kept": indices the consensus kept}``.
    """
    from workbench.prm.policy import TransformersPolicy

    problems = PolicyConfig().problems(config.problems, seed=config.seed)
    records = [r for r in flatten(labelled_samples(model, tokenizer, problems, config.samples,
                                                   temperature=config.temperature, seed=config.seed))
               if r.steps]
    policy = TransformersPolicy(model, tokenizer, max_new_tokens=120, temperature=config.temperature)
    annotations, seconds = {}, {}
    for name, annotator in (("mc-soft", MonteCarloAnnotator(policy, config.rollouts)),
                            ("first-error search", FirstErrorSearch(policy, config.search_rollouts,
                                                                    stop_early=False)),
                            ("verifier", VerifierAnnotator())):
        started = time.perf_counter()
        annotations[name] = [annotator.annotate(r) for r in records]
        seconds[name] = time.perf_counter() - started
    annotations["mc-hard"], seconds["mc-hard"] = [_hardened(a) for a in annotations["mc-soft"]], seconds["mc-soft"]
    pairs = [consensus(a, b) for a, b in zip(annotations["mc-hard"], annotations["verifier"])]
    kept = [i for i, a in enumerate(pairs) if a is not None]
    table = {name: {**score_source(annotations[name], records), "seconds": seconds[name]}
             for name in ("mc-soft", "mc-hard", "first-error search", "verifier")}
    table["consensus (kept)"] = {**score_source([pairs[i] for i in kept], [records[i] for i in kept]),
                                 "seconds": seconds["mc-soft"] + seconds["verifier"]}
    table["mc-hard on the same kept"] = score_source([annotations["mc-hard"][i] for i in kept],
                                                     [records[i] for i in kept])
    guess, hits = Counter(true_first_error(r) for r in records).most_common(1)[0]
    table["constant"] = {"first_error_exact": hits / len(records), "step_agreement": float("nan"),
                         "rollouts": 0.0, "solutions": len(records), "guess": guess}
    return {"table": table, "annotations": annotations, "records": records, "kept": kept}


def label_sources_failed_claims(study: dict, *, floor_gain: float = 0.15, consensus_gain: float = 0.05,
                                cheaper: float = 0.75) -> list[str]:
    """Notebook 04's bounds on the world ([] = all hold), measured on seeds 4242-4244 (benchmarks/RESULTS.md).

    * Monte-Carlo (hard) finds the first error more often than the best constant guess, by ``floor_gain``;
    * consensus with the verifier keeps solutions whose first errors are right more often than
      Monte-Carlo's own on all solutions, by ``consensus_gain``;
    * first-error search costs at most ``cheaper`` of Monte-Carlo's rollouts.
    """
    table, failed = study["table"], []
    mc, floor = table["mc-hard"]["first_error_exact"], table["constant"]["first_error_exact"]
    if not mc >= floor + floor_gain:
        failed.append(f"Monte-Carlo labels find the first error {mc:.2f} of the time, not {floor_gain} above "
                      f"the best constant guess ({floor:.2f})")
    kept = table["consensus (kept)"]["first_error_exact"]
    if not kept >= mc + consensus_gain:
        failed.append(f"consensus keeps first errors right {kept:.2f} of the time, not {consensus_gain} above "
                      f"Monte-Carlo's {mc:.2f}")
    if not table["first-error search"]["rollouts"] <= cheaper * table["mc-hard"]["rollouts"]:
        failed.append(f"first-error search costs more than {cheaper} of Monte-Carlo's rollouts")
    return failed


#: the sources a PRM is trained on by default (the full run); notebook 04's CI run trains the first two
PRM_SOURCES = ("checker", "mc-hard", "mc-soft", "first-error search", "verifier", "consensus")


def source_records(study: dict, source: str) -> list[StepRecord]:
    """The study's solutions with one source's step labels (``"checker"``: the exact ones; ``"consensus"``: kept only).

    The outcome stays the checker's: every source knows the reference answer
    (Monte-Carlo rollouts are scored against it), so the answer line's label is
    free; only the step labels differ between sources.
    """
    records = study["records"]
    if source == "checker":
        return list(records)
    if source == "consensus":
        from workbench.prm.labelers import consensus

        pairs = [(i, consensus(study["annotations"]["mc-hard"][i], study["annotations"]["verifier"][i]))
                 for i in study["kept"]]
        return [pair.apply(records[i]) for i, pair in pairs]
    return [a.apply(r) for a, r in zip(study["annotations"][source], records)]


def source_prms(study: dict, policy, tokenizer, test: list[list[StepRecord]], config=None, *,
                sources=PRM_SOURCES, n: int = 16) -> dict:
    """A PRM trained on each source's labels (same solutions, network and steps), scored downstream.

    Returns ``{source: {"best_of_n", "first_error_f1", "solutions", "rollouts"}}`` plus ``"random"``,
    ``"majority"`` and ``"oracle"`` rows: best-of-``n`` PRM-min accuracy on ``test`` (held-out problems'
    candidates, ``[P][N]``) and ProcessBench first-error F1 on ``test`` against the checker, the
    threshold tuned on the source's own labels (the truth is not used for tuning).
    """
    from workbench.prm.metrics import calibrate_threshold, first_error_from_scores, processbench_f1
    from workbench.prm.model import prm_step_scores
    from workbench.world.verifiers import VerifierConfig, best_of_n_curves, selection_scores, train_process_verifier

    config = config or VerifierConfig(max_steps=300, batch_size=16, learning_rate=3e-3)
    flat_test = flatten(test)
    out = {}
    for source in sources:
        records = source_records(study, source)
        prm = train_process_verifier(records, tokenizer, config, init=policy)
        curves = best_of_n_curves(test, selection_scores(None, prm, tokenizer, test), ns=(n,), seed=config.seed)
        own = [next((i for i, label in enumerate(r.labels) if label is not None and label < 0.5), None)
               for r in records]
        both = any(e is None for e in own) and any(e is not None for e in own)  # tuning needs both kinds
        threshold = calibrate_threshold(prm_step_scores(prm, tokenizer, records), own)[0] if both else 0.5
        predicted = [first_error_from_scores(s, threshold) for s in prm_step_scores(prm, tokenizer, flat_test)]
        rollouts = 0.0 if source in ("checker", "verifier") else study["table"][
            "mc-hard" if source == "consensus" else source]["rollouts"]
        out[source] = {"best_of_n": curves["prm_min"][0], "first_error_f1": processbench_f1(
            predicted, [true_first_error(r) for r in flat_test])["f1"], "solutions": len(records),
            "rollouts": rollouts}
    curves = best_of_n_curves(test, {}, ns=(n,), seed=config.seed)
    for baseline in ("random", "majority", "oracle"):
        out[baseline] = {"best_of_n": curves[baseline][0]}
    return out


def source_prms_failed_claims(result: dict, *, bon_gain: float = 0.05, f1_gain: float = 0.05) -> list[str]:
    """Notebook 04's bounds on the PRMs trained per source ([] = all hold), measured on seeds 4242-4244.

    The PRM trained on the checker's exact labels beats the one trained on
    Monte-Carlo (hard) labels of the same solutions, at best-of-16 by
    ``bon_gain`` (measured +0.10 to +0.17) and in first-error F1 by ``f1_gain``
    (+0.13 to +0.23): noisy value estimates make a worse PRM, with the truth known.
    """
    exact, mc, failed = result["checker"], result["mc-hard"], []
    if not exact["best_of_n"] > mc["best_of_n"] + bon_gain:
        failed.append(f"the exact-label PRM's best-of-n {exact['best_of_n']:.3f} is not {bon_gain} above the "
                      f"Monte-Carlo PRM's {mc['best_of_n']:.3f}")
    if not exact["first_error_f1"] > mc["first_error_f1"] + f1_gain:
        failed.append(f"the exact-label PRM's first-error F1 {exact['first_error_f1']:.3f} is not {f1_gain} above "
                      f"the Monte-Carlo PRM's {mc['first_error_f1']:.3f}")
    return failed


__all__ = ["LabelSourcesConfig", "true_first_error", "score_source", "label_sources_study",
           "label_sources_failed_claims", "PRM_SOURCES", "source_records", "source_prms",
           "source_prms_failed_claims"]
