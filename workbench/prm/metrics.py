"""How well step labels and step scores find the first error: pure functions of lists.

A solution's truth is the index of its first wrong step, or None when every
step is right. Labelers (:mod:`workbench.prm.labelers`) predict it directly; a
PRM predicts it by thresholding its step scores (:func:`first_error_from_scores`).

* :func:`first_error_accuracy`: the fraction found exactly (None counts too).
* :func:`processbench_f1`: ProcessBench's split into erroneous and correct
  solutions and the harmonic mean of the two accuracies.
* :func:`calibrate_threshold`: the threshold that maximises that F1 on held-out data.
* :func:`agreement_matrix`: how often two labelling methods name the same first error.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from workbench.prm.labelers import StepAnnotation


def first_error_accuracy(predicted: list[int | None], truth: list[int | None]) -> float:
    """Fraction of solutions whose first error (None = none) is found exactly."""
    if len(predicted) != len(truth):
        raise ValueError(f"{len(predicted)} predictions for {len(truth)} solutions")
    if not truth:
        raise ValueError("first_error_accuracy: no solutions")
    return sum(p == t for p, t in zip(predicted, truth)) / len(truth)


def processbench_f1(predicted: list[int | None], truth: list[int | None]) -> dict[str, float]:
    """ProcessBench (Zheng et al., 2024): accuracy on erroneous solutions (exact
    first-error index), on correct ones (predicted no error), and their harmonic mean.

    Returns ``{"error_accuracy", "correct_accuracy", "f1"}``.
    """
    if len(predicted) != len(truth):
        raise ValueError(f"{len(predicted)} predictions for {len(truth)} solutions")
    wrong = [(p, t) for p, t in zip(predicted, truth) if t is not None]
    right = [(p, t) for p, t in zip(predicted, truth) if t is None]
    if not wrong or not right:
        raise ValueError("processbench_f1 needs both erroneous and correct solutions")
    error_acc = sum(p == t for p, t in wrong) / len(wrong)
    correct_acc = sum(p is None for p, _ in right) / len(right)
    f1 = 0.0 if error_acc + correct_acc == 0 else 2 * error_acc * correct_acc / (error_acc + correct_acc)
    return {"error_accuracy": error_acc, "correct_accuracy": correct_acc, "f1": f1}


def first_error_from_scores(step_scores: list[float], threshold: float = 0.5) -> int | None:
    """The first step scored below ``threshold`` (None: none), as ProcessBench asks a PRM."""
    return next((i for i, score in enumerate(step_scores) if score < threshold), None)


def calibrate_threshold(step_scores: list[list[float]], first_errors: list[int | None]) -> tuple[float, float]:
    """The step-score threshold that maximises ProcessBench F1 on labelled data: (threshold, F1).

    A PRM's scores are not calibrated at 0.5 (ProcessBench, Zheng et al., 2024,
    tunes the threshold per model on held-out data); tune here, report elsewhere.
    Candidates are the observed scores (rounded, thinned to about 200) and 0.5.
    """
    candidates = sorted({round(s, 4) for row in step_scores for s in row} | {0.5})
    best = (0.5, -1.0)
    for threshold in candidates[:: max(1, len(candidates) // 200)]:
        f1 = processbench_f1([first_error_from_scores(r, threshold) for r in step_scores], first_errors)["f1"]
        if f1 > best[1]:
            best = (threshold, f1)
    return best


def agreement_matrix(annotations: dict[str, list[StepAnnotation]]) -> tuple[list[str], list[list[float]]]:
    """Fraction of solutions on which each pair of methods names the same first error.

    annotations: method name -> one StepAnnotation per solution (the same solutions,
    in the same order, for every method). Returns (names, matrix) with
    ``matrix[i][j]`` the agreement of ``names[i]`` and ``names[j]``.
    """
    names = list(annotations)
    sizes = {len(v) for v in annotations.values()}
    if len(sizes) != 1:
        raise ValueError(f"methods annotated different numbers of solutions: {sorted(sizes)}")
    matrix = [[sum(x.first_error == y.first_error for x, y in zip(annotations[a], annotations[b]))
               / max(1, len(annotations[a])) for b in names] for a in names]
    return names, matrix
