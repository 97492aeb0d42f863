"""What the live aggregation explorer computes: every method's scores, ranks and advantages for one group.

The widget itself (:class:`workbench.viz.explorer.AggregationExplorer`, a view
built from ipywidgets and a figure) sits above this package, in ``viz``. Its sliders set each reward's weight (also the preference for Pareto and the
priority order for lexicographic: heavier = more important), a dropdown picks
the method and GRPO's scaling, checkboxes switch constraints on (each with a
bound) for the constrained method, and the output shows, for one group, how
every method ranks its samples and the advantages GRPO would give them.

The computation is a pure function, :func:`compare_methods`, so it can be
tested and reused without widgets; the widget only wires sliders to it.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .advantages import group_advantages, trl_advantages
from .constrained import Constraint, LagrangianCombiner
from .matrix import RewardMatrix
from .strategies import METHODS, combine


def method_scores(matrix: RewardMatrix, method: str, *, weights, priority=None, primary: int = 0,
                  constraints=(), multiplier: float = 1.0, tolerance: float = 0.0) -> np.ndarray:
    """Scores ``(N,)`` of one method with the explorer's settings (see module doc).

    ``priority`` (lexicographic order, reward indices, most important first)
    defaults to the weights, heaviest first, as the explorer's sliders set it;
    ``workbench aggregate`` passes its ``--priority``.
    """
    weights = np.asarray(weights, dtype=float)
    priority = list(np.argsort(-weights, kind="stable")) if priority is None else [int(p) for p in priority]
    combiner = LagrangianCombiner(primary, list(constraints), lambda_init=max(multiplier, 1e-8))
    return combine(method, matrix.rewards, group_ids=matrix.group_ids, weights=weights,
                   priority=priority, tolerances=[tolerance] * len(priority),
                   preference=np.maximum(weights, 0) + 1e-12, constrained=combiner)


def method_advantages(matrix: RewardMatrix, method: str, scores: np.ndarray, *, weights,
                      scale: str = "group") -> np.ndarray:
    """GRPO advantages ``(N,)``: TRL's own GDPO path for normalise-then-sum, else group advantages."""
    if method == "normalize_then_sum":
        return trl_advantages(matrix.rewards, group_ids=matrix.group_ids, weights=weights,
                              aggregation="normalize_then_sum")
    return group_advantages(scores, matrix.group_ids, scale=scale)


def compare_methods(matrix: RewardMatrix, group: int, *, weights, primary: int = 0, constraints=(),
                    multiplier: float = 1.0, tolerance: float = 0.0, scale: str = "group") -> pd.DataFrame:
    """One row per sample of ``group``: its rewards, and each method's score, rank and advantage.

    Columns: the reward names, then ``<method>_score``, ``<method>_rank`` (1 =
    best, ties share the best rank) and ``<method>_advantage`` for every
    method in :data:`METHODS`, plus ``violates`` (names of enabled
    constraints the sample breaks). Advantages use the whole batch (batch
    scaling and GDPO's batch normalisation need it).
    """
    rows = matrix.group(group)
    if not len(rows):
        raise ValueError(f"group {group} is empty; groups are 0..{matrix.num_groups - 1}")
    table = pd.DataFrame(matrix.rewards[rows], columns=list(matrix.names))
    if "models" in matrix.meta:
        table.insert(0, "model", [matrix.meta["models"][i] for i in rows])
    for method in METHODS:
        scores = method_scores(matrix, method, weights=weights, primary=primary,
                               constraints=constraints, multiplier=multiplier, tolerance=tolerance)
        advantages = method_advantages(matrix, method, scores, weights=weights, scale=scale)
        table[f"{method}_score"] = scores[rows]
        table[f"{method}_rank"] = pd.Series(scores[rows]).rank(ascending=False, method="min").to_numpy()
        table[f"{method}_advantage"] = advantages[rows]
    costs = LagrangianCombiner(primary, list(constraints)).costs(matrix.rewards[rows]) \
        if constraints else np.zeros((len(rows), 0))
    table["violates"] = [", ".join(matrix.names[matrix.index(c.reward)] for c, cost in zip(constraints, row)
                                   if cost > 0) for row in costs]
    return table


__all__ = ["compare_methods", "method_advantages", "method_scores"]
