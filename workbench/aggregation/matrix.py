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
    labels = list(group_ids.tolist() if hasattr(group_ids, "tolist") else group_ids)
    if len(labels) != n:
        raise ValueError(f"group_ids has {len(labels)} entries but there are {n} samples")
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


def group_nanmean(values: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Per-sample mean of its group over non-NaN entries. ``values: (N,)`` or ``(N, F)``.

    Returns the same shape as ``values``; NaN where the group has no valid entry.
    """
    valid = ~np.isnan(values)
    filled = np.where(valid, values, 0.0)
    num_groups = groups.max() + 1 if len(groups) else 0
    total = _group_sum(filled, groups, num_groups)
    count = _group_sum(valid.astype(np.float64), groups, num_groups)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = total / count
    return mean[groups]


def group_nanstd(values: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Per-sample Bessel-corrected std of its group over non-NaN entries.

    ``std = sqrt(sum (x - mean)^2 / (n - 1))``, NaN when fewer than 2 valid
    entries: exactly ``trl.trainer.utils.nanstd``.
    """
    valid = ~np.isnan(values)
    mean = group_nanmean(values, groups)
    squared = np.where(valid, (values - mean) ** 2, 0.0)
    num_groups = groups.max() + 1 if len(groups) else 0
    total = _group_sum(squared, groups, num_groups)[groups]
    count = _group_sum(valid.astype(np.float64), groups, num_groups)[groups]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 1, np.sqrt(total / (count - 1)), np.nan)


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
