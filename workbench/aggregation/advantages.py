"""GRPO group advantages, with the options TRL 1.16's GRPOTrainer offers.

GRPO (Shao et al., 2024, "DeepSeekMath") replaces PPO's value network by the
group of G completions sampled for the same prompt:

.. math::  A_i = \\frac{r_i - \\operatorname{mean}_{j \\in g(i)} r_j}{\\operatorname{std}_{j \\in g(i)} r_j + \\epsilon}

``scale="group"`` divides by the group's std (the paper), ``"batch"`` by the
std of the whole batch (Dr. GRPO / Liu et al. 2025 argue per-group scaling
biases towards too-easy and too-hard prompts), ``"none"`` only centres.

With several reward functions TRL offers two orders (``multi_objective_aggregation``):

* ``"sum_then_normalize"``: ``r = sum_k w_k r_k`` (NaN left out of the sum),
  then the advantage above;
* ``"normalize_then_sum"`` (GDPO, NVIDIA 2025): each reward z-scored within
  its group, ``z_k = (r_k - mean_g r_k) / (std_g r_k + eps)``, then
  ``s = sum_k w_k z_k``, then a batch normalisation
  ``A = (s - mean s) / (std s + eps)``.

TRL's details are kept: ``eps = 1e-4`` added to the std; std is Bessel
corrected and ignores NaN; a sample for which every function returned None
is "unscorable": left out of the baseline and given advantage 0.
``trl_advantages`` reproduces ``GRPOTrainer._generate_and_score_completions``
on the same input (tests/aggregation/test_trl_parity.py checks it against a
real trainer step).
"""
from __future__ import annotations

import numpy as np

from .matrix import (as_group_ids, as_reward_matrix, as_weights, contiguous_group_ids,
                     group_moments, group_nanstd)

TRL_EPS = 1e-4
SCALES = ("group", "batch", "none")
AGGREGATIONS = ("sum_then_normalize", "normalize_then_sum")


def _check_scale(scale: str) -> None:
    if scale not in SCALES:
        raise ValueError(f"scale must be one of {SCALES}, got {scale!r}")


def group_advantages(scores, group_ids=None, *, scale: str = "group", eps: float = TRL_EPS) -> np.ndarray:
    """GRPO advantages of one scalar score per sample.

    scores: (N,) with NaN for unscorable samples; group_ids: (N,) labels (None =
    one group). Returns (N,) advantages, 0 where the score is NaN. A group of
    equal scores gets advantage 0 (no learning signal), not NaN.
    """
    _check_scale(scale)
    scores = as_reward_matrix(scores, name="scores")
    if scores.shape[1] != 1:
        raise ValueError(f"scores must be one value per sample, got shape {scores.shape}")
    scores = scores[:, 0]
    groups = as_group_ids(group_ids, len(scores))
    mean, std = group_moments(scores, groups)
    centred = scores - mean
    if scale == "group":
        centred = centred / (_nan_to_zero(std) + eps)
    elif scale == "batch":
        centred = centred / (_nan_to_zero(group_nanstd(scores, np.zeros_like(groups))) + eps)
    return np.nan_to_num(centred, nan=0.0)


def _nan_to_zero(std: np.ndarray) -> np.ndarray:
    # A group with one valid sample has NaN std in TRL; its centred value is 0 anyway.
    return np.nan_to_num(std, nan=0.0)


def group_zscores(rewards, group_ids=None, *, eps: float = TRL_EPS) -> np.ndarray:
    """Each reward column z-scored within each group: ``(r - mean_g) / (std_g + eps)``.

    rewards: (N, F) -> (N, F); NaN stays NaN (also where a group has fewer
    than two valid values for that column, as in TRL).
    """
    rewards = as_reward_matrix(rewards)
    groups = as_group_ids(group_ids, len(rewards))
    mean, std = group_moments(rewards, groups)
    return (rewards - mean) / (std + eps)


def trl_advantages(rewards_per_func, *, num_generations: int | None = None, group_ids=None,
                   weights=None, aggregation: str = "sum_then_normalize",
                   scale_rewards: str = "group", eps: float = TRL_EPS) -> np.ndarray:
    """The advantages TRL 1.16's GRPOTrainer computes from its reward matrix.

    rewards_per_func: (N, F), NaN where a reward function returned None;
    groups either as TRL lays them out (``num_generations``) or ``group_ids``.
    ``aggregation``: ``"sum_then_normalize"`` (uses ``scale_rewards``) or
    ``"normalize_then_sum"`` (GDPO; TRL ignores ``scale_rewards`` there).
    Returns (N,) advantages.
    """
    if aggregation not in AGGREGATIONS:
        raise ValueError(f"aggregation must be one of {AGGREGATIONS}, got {aggregation!r}")
    _check_scale(scale_rewards)
    rewards = as_reward_matrix(rewards_per_func, name="rewards_per_func")
    if group_ids is None:
        group_ids = contiguous_group_ids(len(rewards), num_generations or len(rewards))
    weights = as_weights(weights, rewards.shape[1])
    unscorable = np.isnan(rewards).all(axis=1)
    if aggregation == "sum_then_normalize":
        scores = np.nansum(rewards * weights, axis=1)
        scores[unscorable] = np.nan
        return group_advantages(scores, group_ids, scale=scale_rewards, eps=eps)
    scores = normalize_then_sum_scores(rewards, group_ids, weights=weights, eps=eps)
    return group_advantages(scores, None, scale="batch", eps=eps)


def normalize_then_sum_scores(rewards, group_ids=None, *, weights=None, eps: float = TRL_EPS) -> np.ndarray:
    """GDPO's combined score before the batch normalisation: ``sum_k w_k z_k``.

    rewards: (N, F). A z-score that is NaN (missing reward, or a group with a
    single valid value) counts 0, the group mean, as TRL's ``nansum`` does;
    an unscorable sample (all NaN) stays NaN. Returns (N,).
    """
    rewards = as_reward_matrix(rewards)
    weights = as_weights(weights, rewards.shape[1])
    scores = np.nansum(group_zscores(rewards, group_ids, eps=eps) * weights, axis=1)
    scores[np.isnan(rewards).all(axis=1)] = np.nan
    return scores


def distinct_advantage_patterns(rewards, group_ids=None, *, weights=None, decimals: int = 3) -> dict:
    """How many distinct advantage vectors GRPO and GDPO give across groups.

    The GRPO failure GDPO fixes: summing first maps different reward
    combinations (e.g. (correct=1, format=0) and (correct=0, format=1)) to the
    same total and so the same advantage. Returns ``{"sum_then_normalize": n1,
    "normalize_then_sum": n2, "groups": G}`` counting distinct per-group
    advantage vectors over the groups (rounded to ``decimals``: the +1e-4 in
    the std makes equal patterns differ in the fifth decimal).
    """
    rewards = as_reward_matrix(rewards)
    groups = as_group_ids(group_ids, len(rewards))
    out = {"groups": int(groups.max() + 1) if len(groups) else 0}
    for aggregation in AGGREGATIONS:
        # normalize_then_sum's final batch scaling is one affine map for all
        # groups, so it cannot merge or split patterns.
        advantages = trl_advantages(rewards, group_ids=groups, weights=weights, aggregation=aggregation)
        patterns = {tuple(np.round(advantages[groups == g], decimals)) for g in range(out["groups"])}
        out[aggregation] = len(patterns)
    return out


def collapsing_group_pairs(rewards, group_ids=None, *, weights=None, decimals: int = 3) -> list[tuple[int, int]]:
    """Pairs of groups that GRPO cannot tell apart but GDPO can.

    A pair ``(g, h)`` qualifies when the two groups hold different multisets of
    reward vectors, their sum-then-normalise advantages are equal (sorted,
    rounded to ``decimals``) and their normalise-then-sum advantages are not.
    rewards: (N, F); returns pairs of dense group ids, ``g < h``.
    """
    rewards = as_reward_matrix(rewards)
    groups = as_group_ids(group_ids, len(rewards))
    grpo = trl_advantages(rewards, group_ids=groups, weights=weights, aggregation="sum_then_normalize")
    gdpo = trl_advantages(rewards, group_ids=groups, weights=weights, aggregation="normalize_then_sum")
    by_pattern: dict[tuple, list[int]] = {}
    for g in range(int(groups.max()) + 1 if len(groups) else 0):
        rows = groups == g
        by_pattern.setdefault(tuple(np.sort(np.round(grpo[rows], decimals))), []).append(g)
    pairs = []
    for members in by_pattern.values():
        for i, g in enumerate(members):
            for h in members[i + 1:]:
                same_rewards = _multiset(rewards[groups == g]) == _multiset(rewards[groups == h])
                same_gdpo = np.array_equal(np.sort(np.round(gdpo[groups == g], decimals)),
                                           np.sort(np.round(gdpo[groups == h], decimals)))
                if not same_rewards and not same_gdpo:
                    pairs.append((g, h))
    return pairs


def _multiset(rows: np.ndarray) -> list:
    return sorted(tuple(np.round(r, 6)) for r in np.nan_to_num(rows, nan=-np.inf))
