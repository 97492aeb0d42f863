"""The ORM-vs-PRM comparison of notebook 03 on the world, as library calls the notebook and its tests share.

    config = ComparisonConfig()                                   # the notebook's CPU defaults
    model, tokenizer = cached_policy(config.policy)
    train, test = sample_split(model, tokenizer, config)          # [P][n] exactly labelled policy samples
    orm, prm = train_verifiers(train, tokenizer, config, init=model)
    result = compare(orm, prm, tokenizer, train, test, config)    # curves, AUC, first-error F1, hacks
    failed_claims(result)                                         # [] when every asserted bound holds

Lightman et al. (2023) at toy scale: one policy's samples, exact step labels
for the PRM, the outcome for the ORM, the same backbone and optimiser steps.
:func:`failed_claims` holds the notebook's asserted bounds in one place, so
``tests/world/test_experiments.py`` can show that a broken method (a constant
PRM, shuffled labels) fails them.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field, replace

from workbench.prm.records import StepRecord
from workbench.world.policy import PolicyConfig
from workbench.world.verifiers import (
    VerifierConfig,
    best_of_n_curves,
    flatten,
    labelled_samples,
    selection_scores,
    train_outcome_verifier,
    train_process_verifier,
    with_answer_step,
)


@dataclass
class ComparisonConfig:
    """Sizes of one comparison; the defaults are notebook 03's CPU defaults."""

    policy: PolicyConfig = field(default_factory=lambda: PolicyConfig(progress=False))
    train_problems: int = 200
    train_samples: int = 8  # policy samples per training problem
    test_problems: int = 60  # held out: problems drawn with another seed
    test_samples: int = 32  # candidates per test problem (best-of-N up to this)
    # 600 steps at 3e-3: at 300 steps (or at 1e-2) the ORM of some seeds still ranked by the across-problem
    # shortcut and fell to random at best-of-16 (benchmarks/RESULTS.md); the PRM was ahead at every setting tried
    verifier: VerifierConfig = field(default_factory=lambda: VerifierConfig(max_steps=600, batch_size=16,
                                                                            learning_rate=3e-3))
    fractions: tuple[float, ...] = (0.25, 1.0)  # shares of the training solutions for the data-efficiency curve
    seed: int = 0


def sample_split(model, tokenizer, config: ComparisonConfig) -> tuple[list[list[StepRecord]], list[list[StepRecord]]]:
    """Training and held-out test samples of the policy, each labelled exactly: two ``[P][n]`` lists."""
    train_problems = config.policy.problems(config.train_problems, seed=10_000 + config.seed)
    test_problems = config.policy.problems(config.test_problems, seed=20_000 + config.seed)
    train = labelled_samples(model, tokenizer, train_problems, config.train_samples, seed=config.seed)
    test = labelled_samples(model, tokenizer, test_problems, config.test_samples, seed=config.seed + 1)
    return train, test


def train_verifiers(train: list[list[StepRecord]], tokenizer, config: ComparisonConfig, *, init=None):
    """``(orm, prm)`` trained on the same solutions with the same config; ``init``: a shared starting backbone."""
    records = flatten(train)
    verifier = replace(config.verifier, seed=config.seed)
    return (train_outcome_verifier(records, tokenizer, verifier, init=init),
            train_process_verifier(records, tokenizer, verifier, init=init))


def _auc(labels: list[float], scores: list[float]) -> float:
    """Probability that a random right solution outscores a random wrong one (ties count half)."""
    right = [s for s, y in zip(scores, labels) if y]
    wrong = [s for s, y in zip(scores, labels) if not y]
    if not right or not wrong:
        return 0.5
    wins = sum((r > w) + 0.5 * (r == w) for r in right for w in wrong)
    return wins / (len(right) * len(wrong))


def first_error_f1(prm, tokenizer, train: list[StepRecord], test: list[StepRecord]) -> dict:
    """ProcessBench F1 on ``test`` (steps only, no answer line), the threshold tuned on ``train``."""
    from workbench.prm.metrics import calibrate_threshold, first_error_from_scores, processbench_f1
    from workbench.prm.model import prm_step_scores

    tuned, _ = calibrate_threshold(prm_step_scores(prm, tokenizer, train), [r.first_error for r in train])
    predicted = [first_error_from_scores(s, tuned) for s in prm_step_scores(prm, tokenizer, test)]
    return {**processbench_f1(predicted, [r.first_error for r in test]), "threshold": tuned}


def hack_counts(test: list[list[StepRecord]], scores: dict[str, list[list[float]]]) -> dict:
    """Right-answer-wrong-steps solutions: how many the ORM rewards (>= 0.5) and PRM-min flags (< 0.5)."""
    def of(kind):
        return [(scores["orm"][p][i], scores["prm_min"][p][i]) for p, row in enumerate(test)
                for i, record in enumerate(row) if record.meta["kind"] == kind]

    hacked, right = of("right_after_wrong"), of("right")
    return {"right_after_wrong": len(hacked), "orm_rewards": sum(o >= 0.5 for o, _ in hacked),
            "prm_flags": sum(p < 0.5 for _, p in hacked),
            # the same flag on fully right solutions: flagging everything is no detection
            "right": len(right), "prm_flags_right": sum(p < 0.5 for _, p in right)}


def compare(orm, prm, tokenizer, train: list[list[StepRecord]], test: list[list[StepRecord]],
            config: ComparisonConfig, *, ns=(1, 2, 4, 8, 16, 32)) -> dict:
    """Everything notebook 03's world section shows: best-of-N curves, outcome AUC, first-error F1, hacks."""
    scores = selection_scores(orm, prm, tokenizer, test)
    ns = tuple(n for n in ns if n <= config.test_samples)
    outcome = [record.meta["outcome"] for record in flatten(test)]
    rng = random.Random(config.seed)
    return {"ns": ns, "curves": best_of_n_curves(test, scores, ns=ns, seed=config.seed),
            "auc": {method: _auc(outcome, flatten(values)) for method, values in scores.items()},
            "first_error": first_error_f1(prm, tokenizer, rng.sample(flatten(train), min(400, len(flatten(train)))),
                                          flatten(test)),
            "hacks": hack_counts(test, scores), "scores": scores}


def data_efficiency(train: list[list[StepRecord]], test: list[list[StepRecord]], tokenizer,
                    config: ComparisonConfig, *, init=None, n: int = 16) -> dict:
    """Best-of-``n`` accuracy of an ORM and a PRM trained on a share of the problems (``config.fractions``).

    Same optimiser steps at every size (fewer solutions: more epochs), so only
    the amount of supervision changes. Returns ``{"solutions", "orm", "prm_min"}`` lists.
    """
    out = {"solutions": [], "orm": [], "prm_min": []}
    for fraction in config.fractions:
        subset = train[:max(1, round(fraction * len(train)))]
        orm, prm = train_verifiers(subset, tokenizer, config, init=init)
        curves = best_of_n_curves(test, selection_scores(orm, prm, tokenizer, test), ns=(n,), seed=config.seed)
        out["solutions"].append(len(flatten(subset)))
        out["orm"].append(curves["orm"][0])
        out["prm_min"].append(curves["prm_min"][0])
    return out


def shuffled_labels(records: list[list[StepRecord]], seed: int = 0) -> list[list[StepRecord]]:
    """The same solutions with step labels and outcomes dealt to other solutions: a broken supervision signal."""
    rng = random.Random(seed)
    flat = flatten(records)
    donors = list(range(len(flat)))
    rng.shuffle(donors)
    out, index = [], 0
    for row in records:
        new_row = []
        for record in row:
            donor = flat[donors[index]]
            labels = [donor.labels[min(i, len(donor.labels) - 1)] if donor.labels else 1.0
                      for i in range(len(record.steps))]
            new_row.append(StepRecord(record.prompt, list(record.steps), labels, answer=record.answer,
                                      reference=record.reference, meta={**record.meta, **{
                                          "outcome": donor.meta["outcome"]}}))
            index += 1
        out.append(new_row)
    return out


def failed_claims(result: dict, *, n: int = 16) -> list[str]:
    """The bounds notebook 03 asserts on the world, each named when it fails ([] = all hold).

    Lightman et al.'s ordering at best-of-``n``, with margins: the PRM above the
    ORM and above majority vote, the ORM above a random pick; then outcome AUCs
    and the hack flags. Measured on seeds 0-2 at the defaults
    (``benchmarks/RESULTS.md``); a constant or shuffled-label verifier fails
    them (``tests/world/test_experiments.py``).
    """
    at = result["ns"].index(n)
    best = {method: values[at] for method, values in result["curves"].items()}
    failed = []
    if not best["majority"] > best["random"] + 0.1:
        failed.append("majority vote beats a random pick by 0.1")  # the policy's right answers agree
    if not all(value <= best["oracle"] + 1e-9 for value in best.values()):
        failed.append("nothing beats the oracle")
    if not best["prm_min"] > best["orm"]:  # by 0.21, 0.26, 0.04 on seeds 0-2
        failed.append(f"PRM-min beats the ORM at best-of-{n}")
    if not best["prm_min"] > best["majority"] + 0.1:
        failed.append(f"PRM-min beats majority vote at best-of-{n} (by 0.1)")
    if not best["orm"] > best["random"] + 0.1:
        failed.append(f"the ORM beats a random pick at best-of-{n} (by 0.1)")
    if not result["auc"]["prm_min"] > 0.8:
        failed.append("PRM-min separates right from wrong solutions (AUC > 0.8)")
    hacks = result["hacks"]
    if hacks["right_after_wrong"] and hacks["right"] and not (
            hacks["prm_flags"] / hacks["right_after_wrong"] > hacks["prm_flags_right"] / hacks["right"] + 0.3):
        failed.append("the PRM flags right-answer-wrong-steps solutions more often than right ones (by 0.3)")
    if not result["auc"]["orm"] > 0.7:
        failed.append("the ORM separates right from wrong solutions (AUC > 0.7)")
    return failed


def failed_efficiency_claims(efficiency: dict) -> list[str]:
    """Notebook 03's data-efficiency bound: on a quarter of the solutions, the PRM beats the ORM by 0.2.

    efficiency: :func:`data_efficiency`'s dict with the full-size run appended
    last (solutions in increasing order). Checked at the largest run on at
    most a quarter of the full set. The stronger claim, that this PRM reaches
    the *full-data* ORM, is :func:`quarter_prm_reaches_full_orm`: it held on
    seeds 0 and 1 and not on seed 2 (benchmarks/RESULTS.md), so it is printed,
    not asserted.
    """
    full = efficiency["solutions"][-1]
    quarter = [i for i, size in enumerate(efficiency["solutions"]) if size <= full / 4]
    if not quarter:
        return ["no run on a quarter of the solutions or fewer"]
    at = quarter[-1]
    if not efficiency["prm_min"][at] > efficiency["orm"][at] + 0.2:
        return ["on a quarter of the solutions the PRM beats the ORM at best-of-16 (by 0.2)"]
    return []


def quarter_prm_reaches_full_orm(efficiency: dict) -> bool:
    """Does the PRM on at most a quarter of the solutions reach the full-data ORM's best-of-16 accuracy?"""
    full = efficiency["solutions"][-1]
    quarter = [i for i, size in enumerate(efficiency["solutions"]) if size <= full / 4]
    return bool(quarter) and max(efficiency["prm_min"][i] for i in quarter) >= efficiency["orm"][-1]


__all__ = ["ComparisonConfig", "sample_split", "train_verifiers", "compare", "data_efficiency", "first_error_f1",
           "hack_counts", "shuffled_labels", "failed_claims", "failed_efficiency_claims",
           "quarter_prm_reaches_full_orm", "with_answer_step"]
