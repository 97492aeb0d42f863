"""Reward matrices: validation, group ids and NaN-aware group statistics.

A reward matrix holds one row per sample (a completion) and one column per
reward function: ``rewards: (N, F)`` float, ``NaN`` where a function returned
``None`` (TRL's convention: that function is left out of that sample's
statistics). ``group_ids: (N,)`` says which prompt (GRPO group) each sample
answers; TRL lays groups out as consecutive blocks of ``num_generations``.

Every strategy in this package takes plain array-likes (lists, numpy, torch)
and returns numpy ``float64`` arrays.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np


def as_reward_matrix(rewards, *, name: str = "rewards") -> np.ndarray:
    """``rewards`` as a float64 ``(N, F)`` array; ``None`` becomes NaN.

    A 1-D input is one reward function: ``(N,)`` -> ``(N, 1)``. Infinite values
    are rejected (they would silently turn means into NaN) with a ValueError
    naming the row and column.
    """
    if hasattr(rewards, "detach"):
        rewards = rewards.detach().cpu().numpy()
    if isinstance(rewards, np.ndarray):
        array = rewards.astype(np.float64, copy=True)
    else:
        rows = list(rewards)
        try:
            array = np.array(
                [[np.nan if v is None else v for v in row] if _is_row(row) else
                 [np.nan if row is None else row] for row in rows],
                dtype=np.float64,
            )
        except (TypeError, ValueError) as error:
            raise ValueError(f"{name}: every row needs the same number of numeric rewards ({error})") from None
        if rows and not _is_row(rows[0]):
            array = array.reshape(-1, 1)
    if array.ndim == 1:
        array = array[:, None]
    if array.ndim != 2:
        raise ValueError(f"{name} must be (N, F) or (N,), got shape {array.shape}")
    bad = np.argwhere(np.isinf(array))
    if len(bad):
        row, col = bad[0]
        raise ValueError(f"{name}: row {row}, reward column {col} is infinite ({array[row, col]})")
    return array


def _is_row(value) -> bool:
    return isinstance(value, (list, tuple, np.ndarray))


def as_group_ids(group_ids, n: int) -> np.ndarray:
    """Dense integer group ids ``(N,)`` in order of first appearance.

    ``group_ids`` may be any hashable labels (prompt strings, ints), or None
    (the whole batch is one group).
    """
    if group_ids is None:
        return np.zeros(n, dtype=np.int64)
    if len(group_ids) != n:
        raise ValueError(f"group_ids has {len(group_ids)} entries but there are {n} samples")
    array = np.asarray(group_ids) if not isinstance(group_ids, np.ndarray) else group_ids
    if array.ndim == 1 and array.dtype.kind in "iu" and n and int(array.max()) - int(array.min()) < 4 * n:
        # Small integer range: first appearances by a reversed scatter (the last write wins), O(N).
        offset = array.astype(np.int64) - int(array.min())
        first = np.full(int(offset.max()) + 1, n, dtype=np.int64)
        first[offset[::-1]] = np.arange(n - 1, -1, -1)
        present = np.flatnonzero(first < n)
        lookup = np.empty(len(first), dtype=np.int64)
        lookup[present[np.argsort(first[present], kind="stable")]] = np.arange(len(present))
        return lookup[offset]
    if array.ndim == 1 and array.dtype.kind in "iufUSb" and not (array.dtype.kind == "f" and np.isnan(array).any()):
        # Vectorised: np.unique sorts, so renumber its ids by first appearance.
        _, first, inverse = np.unique(array, return_index=True, return_inverse=True)
        rank = np.empty(len(first), dtype=np.int64)
        rank[np.argsort(first, kind="stable")] = np.arange(len(first))
        return rank[inverse.reshape(-1)]
    labels = list(group_ids.tolist() if hasattr(group_ids, "tolist") else group_ids)
    dense: dict = {}
    out = np.empty(n, dtype=np.int64)
    for i, label in enumerate(labels):
        try:
            out[i] = dense.setdefault(label, len(dense))
        except TypeError:
            raise ValueError(f"group_ids[{i}] is not hashable: {label!r}") from None
    return out


def contiguous_group_ids(n: int, num_generations: int) -> np.ndarray:
    """TRL's layout: ``[0]*G + [1]*G + ...`` for ``n`` samples in groups of ``G``."""
    if num_generations < 1 or n % num_generations:
        raise ValueError(f"{n} samples do not split into groups of num_generations={num_generations}")
    return np.repeat(np.arange(n // num_generations), num_generations)


def as_weights(weights, num_functions: int) -> np.ndarray:
    """Weights ``(F,)``; None means all ones (TRL's default ``reward_weights``)."""
    if weights is None:
        return np.ones(num_functions)
    weights = np.asarray(weights, dtype=np.float64).reshape(-1)
    if weights.shape != (num_functions,):
        raise ValueError(f"weights has {weights.size} entries but there are {num_functions} reward functions")
    if not np.all(np.isfinite(weights)):
        raise ValueError(f"weights must be finite, got {weights.tolist()}")
    return weights


def group_moments(values: np.ndarray, groups: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-sample NaN-aware mean and Bessel-corrected std of its group; ``values`` (N,) or (N, F).

    ``std = sqrt(sum (x - mean)^2 / (n - 1))`` over the group's non-NaN entries,
    NaN with fewer than 2 (exactly ``trl.trainer.utils.nanstd``); mean NaN with none.
    Three ``bincount`` passes, whatever the group labels' order.
    """
    num_groups = int(groups.max()) + 1 if len(groups) else 0
    valid = ~np.isnan(values)
    has_nan = not valid.all()
    size = len(groups) // num_groups if num_groups else 0
    if not has_nan and size > 1 and size * num_groups == len(groups) \
            and np.array_equal(groups, np.repeat(np.arange(num_groups), size)):
        # TRL's layout (contiguous groups of G): reshape instead of scatter/gather.
        blocks = values.reshape(num_groups, size, *values.shape[1:])
        mean = blocks.mean(axis=1, keepdims=True)
        std = blocks.std(axis=1, ddof=1, keepdims=True)
        shape = (len(groups), *values.shape[1:])
        return np.broadcast_to(mean, blocks.shape).reshape(shape), np.broadcast_to(std, blocks.shape).reshape(shape)
    filled = np.where(valid, values, 0.0) if has_nan else values
    if has_nan:
        count = _group_sum(valid.astype(np.float64), groups, num_groups)
    else:
        count = np.bincount(groups, minlength=num_groups).astype(np.float64)
        count = count if values.ndim == 1 else np.repeat(count[:, None], values.shape[1], axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        group_mean = _group_sum(filled, groups, num_groups) / count
        mean = group_mean[groups]
        deviation = filled - mean
        squared = np.where(valid, deviation * deviation, 0.0) if has_nan else deviation * deviation
        group_std = np.where(count > 1, np.sqrt(_group_sum(squared, groups, num_groups) / (count - 1)), np.nan)
    return mean, group_std[groups]


def group_nanstd(values: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Per-sample Bessel-corrected std of its group over non-NaN entries: ``trl.trainer.utils.nanstd``."""
    return group_moments(values, groups)[1]


def _group_sum(values: np.ndarray, groups: np.ndarray, num_groups: int) -> np.ndarray:
    if values.ndim == 1:
        return np.bincount(groups, weights=values, minlength=num_groups)
    return np.stack([np.bincount(groups, weights=values[:, j], minlength=num_groups)
                     for j in range(values.shape[1])], axis=1)


@dataclass
class RewardMatrix:
    """Rewards of N samples under F reward functions, with the group of each sample.

    Fields: ``rewards (N, F)`` (NaN = that function gave no reward),
    ``names`` (F reward-function names), ``group_ids (N,)`` dense ints,
    ``texts`` (optional N completions, for display).
    """

    rewards: np.ndarray
    names: tuple[str, ...]
    group_ids: np.ndarray
    texts: Sequence[str] | None = None
    meta: dict = field(default_factory=dict)

    def __post_init__(self):
        self.rewards = as_reward_matrix(self.rewards)
        self.names = tuple(self.names)
        if len(self.names) != self.rewards.shape[1]:
            raise ValueError(f"{len(self.names)} names for {self.rewards.shape[1]} reward columns")
        self.group_ids = as_group_ids(self.group_ids, len(self.rewards))
        if self.texts is not None and len(self.texts) != len(self.rewards):
            raise ValueError(f"{len(self.texts)} texts for {len(self.rewards)} samples")

    @classmethod
    def from_columns(cls, columns: dict[str, Sequence], group_ids, texts=None) -> "RewardMatrix":
        """Build from ``{name: list of N rewards (float or None)}``."""
        names = list(columns)
        lengths = {name: len(values) for name, values in columns.items()}
        if len(set(lengths.values())) > 1:
            raise ValueError(f"reward columns differ in length: {lengths}")
        rows = list(zip(*(columns[name] for name in names)))
        return cls(rewards=as_reward_matrix(rows), names=names, group_ids=group_ids, texts=texts)

    def column(self, name: str) -> np.ndarray:
        if name not in self.names:
            raise ValueError(f"unknown reward {name!r}; known: {list(self.names)}")
        return self.rewards[:, self.names.index(name)]

    def index(self, name_or_index) -> int:
        if isinstance(name_or_index, (int, np.integer)):
            return int(name_or_index)
        if name_or_index not in self.names:
            raise ValueError(f"unknown reward {name_or_index!r}; known: {list(self.names)}")
        return self.names.index(name_or_index)

    def group(self, group: int) -> np.ndarray:
        """Row indices of one group."""
        return np.flatnonzero(self.group_ids == group)

    @property
    def num_groups(self) -> int:
        return int(self.group_ids.max() + 1) if len(self.group_ids) else 0

    def __len__(self) -> int:
        return len(self.rewards)
