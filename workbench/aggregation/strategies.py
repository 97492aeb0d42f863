"""Combination strategies: several rewards per sample -> one score per sample.

Each function takes ``rewards: (N, F)`` (NaN = that function returned None)
and returns ``(N,)`` scores, higher is better, NaN for a sample no function
scored (TRL's "unscorable": advantage 0 downstream). Feed the scores to
:func:`workbench.aggregation.advantages.group_advantages` for GRPO.

Which transformations of one reward leave each method's ranking unchanged:

===================  ==========================================================
weighted sum         none in general (scaling one reward re-weights it)
normalise-then-sum   positive affine maps of any reward, per group (z-scores)
lexicographic        increasing maps of any reward, with its tolerance mapped too
Pareto               increasing maps of any reward
===================  ==========================================================
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from .advantages import TRL_EPS, normalize_then_sum_scores
from .matrix import as_group_ids, as_reward_matrix, as_weights


def weighted_sum(rewards, weights=None) -> np.ndarray:
    """``s_i = sum_k w_k r_ik`` over the rewards present (TRL's ``nansum``).

    rewards: (N, F); weights: (F,) or None (ones). Returns (N,), NaN where all
    of a sample's rewards are missing.
    """
    rewards = as_reward_matrix(rewards)
    weights = as_weights(weights, rewards.shape[1])
    scores = np.nansum(rewards * weights, axis=1)
    scores[np.isnan(rewards).all(axis=1)] = np.nan
    return scores


def normalize_then_sum(rewards, group_ids=None, weights=None, *, eps: float = TRL_EPS) -> np.ndarray:
    """GDPO (NVIDIA, 2025): z-score each reward within its group, then weight and sum.

    ``s_i = sum_k w_k (r_ik - mean_{g(i)} r_k) / (std_{g(i)} r_k + eps)``.
    The batch normalisation TRL applies next is part of the advantage, see
    :func:`~workbench.aggregation.advantages.trl_advantages`. Returns (N,).
    """
    return normalize_then_sum_scores(rewards, group_ids, weights=weights, eps=eps)


def lexicographic_ranks(rewards, priority: Sequence[int] | None = None, tolerances=None,
                        group_ids=None) -> np.ndarray:
    """Rank samples within each group by rewards in priority order, with tolerances.

    Tiers are peeled off one at a time: among the samples still unranked in a
    group, keep those within ``tolerances[0]`` of the best value of reward
    ``priority[0]``, then among them those within ``tolerances[1]`` of the best
    of ``priority[1]``, and so on; the survivors form the next tier (rank 0 is
    best; survivors of the last filter share a rank, i.e. tie). A lower-priority
    reward therefore only decides between samples that are within tolerance on
    every higher one (lexicographic optimisation with slack, as in Rentmeesters
    et al. 1996 / "lexicographic multi-objective RL", Skalse et al. 2022).

    A missing (NaN) reward does not filter its sample out on that level (left
    out of that reward's comparison); a sample with every reward missing gets
    rank NaN. rewards: (N, F); priority: reward column indices, most important
    first (default 0..F-1); tolerances: (len(priority),) >= 0 (default 0).
    Returns (N,) float ranks.
    """
    rewards = as_reward_matrix(rewards)
    priority = list(range(rewards.shape[1])) if priority is None else [int(p) for p in priority]
    for p in priority:
        if not 0 <= p < rewards.shape[1]:
            raise ValueError(f"priority index {p} out of range for {rewards.shape[1]} rewards")
    tolerances = np.zeros(len(priority)) if tolerances is None else np.asarray(tolerances, dtype=float)
    if tolerances.shape != (len(priority),) or np.any(tolerances < 0):
        raise ValueError(f"tolerances must be {len(priority)} values >= 0, got {tolerances.tolist()}")
    groups = as_group_ids(group_ids, len(rewards))
    ranks = np.full(len(rewards), np.nan)
    scorable = ~np.isnan(rewards).all(axis=1)
    for group in np.unique(groups):
        remaining = np.flatnonzero((groups == group) & scorable)
        rank = 0
        while len(remaining):
            tier = _best_tier(rewards[remaining][:, priority], tolerances)
            ranks[remaining[tier]] = rank
            remaining = remaining[~tier]
            rank += 1
    return ranks


def _best_tier(values: np.ndarray, tolerances: np.ndarray) -> np.ndarray:
    """Boolean mask of the top tier among rows of ``values`` (priority columns)."""
    keep = np.ones(len(values), dtype=bool)
    for level, tolerance in enumerate(tolerances):
        column = values[:, level]
        present = keep & ~np.isnan(column)
        if not present.any():
            continue
        best = column[present].max()
        keep &= np.isnan(column) | (column >= best - tolerance)
    return keep


def lexicographic(rewards, priority: Sequence[int] | None = None, tolerances=None,
                  group_ids=None) -> np.ndarray:
    """Lexicographic score: ``-rank`` from :func:`lexicographic_ranks` (higher is better).

    Only the order within a group is meaningful, which is all GRPO's group
    advantages use. Returns (N,), NaN for unscorable samples.
    """
    return -lexicographic_ranks(rewards, priority, tolerances, group_ids)


def combine(method: str, rewards, *, group_ids=None, weights=None, priority=None,
            tolerances=None, preference=None, constrained=None) -> np.ndarray:
    """One entry point for every strategy, by name: the explorer and the TRL wrapper use it.

    ``method`` in :data:`METHODS`. ``constrained`` is a
    :class:`~workbench.aggregation.constrained.LagrangianCombiner` (holds the
    multipliers across steps); ``preference`` the Pareto preference vector.
    Returns (N,) scores.
    """
    from .constrained import LagrangianCombiner
    from .pareto import pareto_scores

    if method == "weighted_sum":
        return weighted_sum(rewards, weights)
    if method == "normalize_then_sum":
        return normalize_then_sum(rewards, group_ids, weights)
    if method == "lexicographic":
        return lexicographic(rewards, priority, tolerances, group_ids)
    if method == "constrained":
        if not isinstance(constrained, LagrangianCombiner):
            raise ValueError("method='constrained' needs constrained=LagrangianCombiner(...)")
        return constrained.scores(rewards)
    if method == "pareto":
        return pareto_scores(rewards, group_ids, preference=preference)
    raise ValueError(f"unknown method {method!r}; choose one of {METHODS}")


METHODS = ("weighted_sum", "normalize_then_sum", "lexicographic", "constrained", "pareto")
