"""Pareto fronts of samples (or policies) and selection by a preference vector.

Sample ``a`` dominates ``b`` when ``a`` is at least as good on every reward
and strictly better on one. The Pareto front is the set no sample dominates;
non-dominated sorting (Deb et al. 2002, NSGA-II) peels fronts off one after
another: level 0 is the front, level 1 the front of the rest, ...

Choosing one point from the front needs a preference. A weighted sum can only
reach the convex hull of the front; the weighted Chebyshev (Tchebycheff)
scalarisation reaches every Pareto-optimal point (Miettinen 1999, "Nonlinear
Multiobjective Optimization"), so it is the default:

.. math::  u(x) = 1 - \\max_k \\tilde w_k \\, (1 - \\hat f_k(x)),
           \\qquad \\hat f_k = \\frac{f_k - \\min f_k}{\\max f_k - \\min f_k}

with ``w~ = w / max w`` and the min/max taken over the candidates, which makes
the choice invariant to rescaling any reward.

Missing rewards (NaN) are left out of a comparison: dominance is judged on the
rewards both samples have; a sample with none is on no front (level NaN).
"""
from __future__ import annotations

import warnings

import numpy as np

from .matrix import as_group_ids, as_reward_matrix

_CHUNK = 128  # rows compared at once; bounds memory at CHUNK * N * F booleans


def dominated_mask(values: np.ndarray) -> np.ndarray:
    """``(N, F)`` -> ``(N,)`` True where some other row dominates that row.

    Without NaN: rows sorted by their sum (a dominator has a strictly larger
    sum) are checked in chunks against the front found so far and their own
    chunk; a row dominated by anything is dominated by a front member
    (dominance is transitive), so this is exact and costs O(N * front) instead
    of O(N^2). With NaN, transitivity fails, so every pair is compared.
    """
    if np.isnan(values).any():
        return _dominated_all_pairs(values)
    n = len(values)
    order = np.argsort(-values.sum(axis=1), kind="stable")
    dominated = np.zeros(n, dtype=bool)
    front = np.empty((0, values.shape[1]))
    for start in range(0, n, _CHUNK // 2):
        rows = order[start:start + _CHUNK // 2]
        candidates = values[rows]
        beaten = _dominates(front, candidates) | _dominates(candidates, candidates)
        dominated[rows] = beaten
        front = np.concatenate([front, candidates[~beaten]])
    return dominated


def _dominates(by: np.ndarray, target: np.ndarray) -> np.ndarray:
    """``(T,)``: is each target row dominated by some row of ``by``? (no NaN)"""
    if not len(by):
        return np.zeros(len(target), dtype=bool)
    no_worse = (by[:, None, :] >= target[None, :, :]).all(axis=2)
    better = (by[:, None, :] > target[None, :, :]).any(axis=2)
    return (no_worse & better).any(axis=0)


def _dominated_all_pairs(values: np.ndarray) -> np.ndarray:
    """Dominance on the rewards both rows have, every pair compared (chunked)."""
    n = len(values)
    dominated = np.zeros(n, dtype=bool)
    present = ~np.isnan(values)
    for start in range(0, n, _CHUNK):
        target = values[start:start + _CHUNK]                  # (C, F) candidates to test
        both = present[:, None, :] & present[None, start:start + _CHUNK, :]   # (N, C, F)
        no_worse = (~both | (values[:, None, :] >= target[None, :, :])).all(axis=2)
        better = (both & (values[:, None, :] > target[None, :, :])).any(axis=2)
        dominated[start:start + _CHUNK] = (no_worse & better).any(axis=0)
    return dominated


def pareto_front(rewards, group_ids=None) -> np.ndarray:
    """Boolean ``(N,)``: True for the non-dominated samples of each group.

    rewards: (N, F) (higher is better on every column; negate a cost first);
    group_ids: (N,) or None for one set.
    """
    return pareto_levels(rewards, group_ids, max_levels=1) == 0


def pareto_levels(rewards, group_ids=None, *, max_levels: int | None = None) -> np.ndarray:
    """Non-dominated sorting level of each sample within its group (0 = front).

    Returns (N,) floats; NaN for samples with every reward missing, and for
    samples beyond ``max_levels`` fronts when it is given.
    """
    rewards = as_reward_matrix(rewards)
    groups = as_group_ids(group_ids, len(rewards))
    levels = np.full(len(rewards), np.nan)
    scorable = ~np.isnan(rewards).all(axis=1)
    for group in np.unique(groups):
        remaining = np.flatnonzero((groups == group) & scorable)
        level = 0
        while len(remaining) and (max_levels is None or level < max_levels):
            front = ~dominated_mask(rewards[remaining])
            levels[remaining[front]] = level
            remaining = remaining[~front]
            level += 1
    return levels


def preference_utility(rewards, preference, *, method: str = "chebyshev") -> np.ndarray:
    """Utility in [0, 1] of each row under a preference vector, scale-free.

    rewards: (N, F); preference: (F,) >= 0, not all 0 (larger = cares more).
    ``"chebyshev"``: ``1 - max_k w~_k (1 - f^_k)``; ``"linear"``:
    ``sum_k w~_k f^_k / sum_k w~_k`` (both with min-max normalised ``f^``).
    Returns (N,); NaN for rows with every reward missing.
    """
    rewards = as_reward_matrix(rewards)
    weights = np.asarray(preference, dtype=float).reshape(-1)
    if weights.shape != (rewards.shape[1],) or np.any(weights < 0) or not np.any(weights > 0) \
            or not np.all(np.isfinite(weights)):
        raise ValueError(f"preference must be {rewards.shape[1]} finite values >= 0, not all 0; "
                         f"got {weights.tolist()}")
    weights = weights / weights.max()
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)   # an all-NaN column: no range, no shortfall
        low, high = np.nanmin(rewards, axis=0), np.nanmax(rewards, axis=0)
    span = np.where(high > low, high - low, 1.0)
    scaled = np.where(high > low, (rewards - low) / span, 1.0)
    scaled = np.where(np.isnan(rewards), np.nan, scaled)
    unscorable = np.isnan(rewards).all(axis=1)
    if method == "chebyshev":
        shortfall = np.nan_to_num(weights * (1.0 - scaled), nan=0.0)
        utility = 1.0 - shortfall.max(axis=1)
    elif method == "linear":
        present = ~np.isnan(scaled)
        total = (weights * present).sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            utility = np.nansum(weights * scaled, axis=1) / total
    else:
        raise ValueError(f"method must be 'chebyshev' or 'linear', got {method!r}")
    utility[unscorable] = np.nan
    return utility


def select_by_preference(rewards, preference, *, method: str = "chebyshev") -> int:
    """Index of the Pareto-optimal row that best matches ``preference``.

    Normalises over the front only, then maximises :func:`preference_utility`;
    ties go to the lowest index. rewards: (N, F) for one set of candidates.
    """
    rewards = as_reward_matrix(rewards)
    front = np.flatnonzero(pareto_front(rewards))
    if not len(front):
        raise ValueError("no scorable row: every reward of every row is missing")
    utility = preference_utility(rewards[front], preference, method=method)
    return int(front[np.nanargmax(utility)])


def pareto_scores(rewards, group_ids=None, *, preference=None, method: str = "chebyshev") -> np.ndarray:
    """One score per sample for GRPO: ``-level``, plus ``0.5 * utility`` if a preference is given.

    The utility (in [0, 1], computed within each group) only reorders samples
    inside a front, never across fronts. Returns (N,); NaN if unscorable.
    """
    rewards = as_reward_matrix(rewards)
    groups = as_group_ids(group_ids, len(rewards))
    scores = -pareto_levels(rewards, groups)
    if preference is None:
        return scores
    for group in np.unique(groups):
        rows = np.flatnonzero(groups == group)
        utility = preference_utility(rewards[rows], preference, method=method)
        scores[rows] += 0.5 * utility
    return scores
