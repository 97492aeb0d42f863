"""Reward-model ensembles as one reward: mean, median, worst case, or uncertainty-weighted.

k reward models trained alike but for the seed agree where the data pinned
them down and disagree where it did not, which is where a policy optimising
one of them finds its exploits. Combining them (Coste, Anwar, Kirk & Krueger
2023, "Reward Model Ensembles Help Mitigate Overoptimization"; Eisenstein et
al. 2023, "Helping or Herding? Reward Model Ensembles Mitigate but do not
Eliminate Reward Hacking"), for member scores ``r_1..r_k`` of one completion:

* ``mean``: ``(1/k) sum_i r_i``;
* ``median``: the middle member (robust to one member that was fooled);
* ``min``: ``min_i r_i``, worst-case optimisation (WCO, Coste et al.);
* ``uncertainty``: uncertainty-weighted optimisation (UWO, Coste et al.)
  ``mean - lam * variance``, the *variance* ``(1/k) sum_i (r_i - mean)^2`` (the
  population variance, as in Coste et al.'s UWO), which penalises completions
  the members disagree on.

:meth:`RewardEnsemble.uncertainty` is the disagreement, the standard deviation
across members ``sqrt(variance)`` (in reward units, so it can be read beside the
reward, and logged each step). Eisenstein et al.'s caveat holds here too: members
that share a training set share its errors, so an ensemble narrows what a policy
can exploit but does not close it; members differing in pretraining (here: the
initialisation or the backbone's depth) disagree more usefully than seeds alone.

Standardised members. A Bradley-Terry reward is defined only up to a shift
(the loss sees differences), and its scale drifts with training, so members
differing by seed carry different offsets and scales. Raw, the mean is led by
the member with the largest scale, the min is always the member with the lowest
offset, and the variance measures offsets, not disagreement. So members are
standardised first when a ``reference`` set is given: member i's scores become
``(r_i - mu_i) / sigma_i`` with ``mu_i``, ``sigma_i`` its mean and standard
deviation on the reference completions (say, samples of the starting policy).
The statistics are fixed once, not taken per batch: a completion's reward then
does not depend on the other completions in its batch, and a best-of-n pool
scored in pieces gets the same scores as scored at once. Without a reference the
members' scores are used as they are, which is right when each is already
centred and scaled (e.g. checkpoints with a ``reward_centering.json``, which
:func:`~workbench.rewards.checkpoint.reward_model_reward` applies).
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

AGGREGATES = ("mean", "median", "min", "uncertainty")


def combine_members(scores: np.ndarray, aggregate: str = "mean", *, lam: float = 1.0) -> np.ndarray:
    """One reward per completion from member scores ``(k, B)``; returns ``(B,)``.

    >>> combine_members(np.array([[1.0, 0.0], [3.0, 0.0]]), "uncertainty", lam=0.5)   # 2 - 0.5 * 1
    array([1.5, 0. ])
    """
    scores = np.asarray(scores, dtype=float)
    if scores.ndim != 2 or scores.shape[0] == 0:
        raise ValueError(f"scores: expected (k, B) member scores with k >= 1, got shape {scores.shape}")
    if aggregate == "mean":
        return scores.mean(axis=0)
    if aggregate == "median":
        return np.median(scores, axis=0)
    if aggregate == "min":
        return scores.min(axis=0)
    if aggregate == "uncertainty":
        return scores.mean(axis=0) - lam * scores.var(axis=0)  # var: population variance (ddof=0)
    raise ValueError(f"aggregate: expected one of {AGGREGATES}, got {aggregate!r}")


def _member_name(member, index: int) -> str:
    return getattr(member, "__name__", None) or f"member{index}"


@dataclass(eq=False)  # compared and hashed by identity, as a function is
class RewardEnsemble:
    """k reward functions as one TRL reward: ``ensemble(prompts, completions, **kwargs) -> list[float]``.

    members: reward functions in TRL's signature (e.g. ``reward_model_reward`` of k
        checkpoints differing by seed). aggregate: one of :data:`AGGREGATES`.
    lam: the variance's weight under ``uncertainty`` (in squared reward units:
        with standardised members, 1.0 costs one reward unit at one unit of std).
    reference: ``(prompts, completions)`` on which each member's mean and std are
        fitted for standardising (see the module doc); None: scores as they are.
    name: ``__name__`` for TRL's logs (default ``ensemble_<aggregate>_<k>``).

    Under TRL, each call also logs the batch's mean disagreement through TRL's
    ``log_metric`` keyword as ``<name>/disagreement``.

    >>> short = lambda completions, **kw: [float(len(c)) for c in completions]
    >>> words = lambda completions, **kw: [float(len(c.split())) for c in completions]
    >>> ensemble = RewardEnsemble([short, words], aggregate="min")
    >>> ensemble(prompts=["q", "q"], completions=["a b", "abc"]), ensemble.__name__
    ([2.0, 1.0], 'ensemble_min_2')
    >>> ensemble.uncertainty(["q", "q"], ["a b", "abc"]).tolist()
    [0.5, 1.0]
    """

    members: Sequence[Callable]
    aggregate: str = "mean"
    lam: float = 1.0
    reference: tuple[Sequence, Sequence] | None = None
    name: str | None = None
    offsets: np.ndarray = field(init=False, repr=False)  # (k,) mu_i (zeros without a reference)
    scales: np.ndarray = field(init=False, repr=False)  # (k,) sigma_i (ones without a reference)

    def __post_init__(self):
        self.members = list(self.members)
        if not self.members or not all(callable(m) for m in self.members):
            raise ValueError("members: expected one or more reward functions")
        if self.aggregate not in AGGREGATES:
            raise ValueError(f"aggregate: expected one of {AGGREGATES}, got {self.aggregate!r}")
        if not (np.isfinite(self.lam) and self.lam >= 0):
            raise ValueError(f"lam: expected a finite number >= 0, got {self.lam}")
        k = len(self.members)
        self.offsets, self.scales = np.zeros(k), np.ones(k)
        self.__name__ = self.name or f"ensemble_{self.aggregate}_{k}"
        if self.reference is not None:
            self.fit_standardisation(*self.reference)

    def fit_standardisation(self, prompts: Sequence, completions: Sequence, **kwargs) -> None:
        """Fix each member's mean and std on these reference completions (at least two)."""
        if len(completions) < 2:
            raise ValueError("reference: needs at least two completions to fit a standard deviation")
        raw = self._raw_scores(prompts, completions, **kwargs)
        if np.isnan(raw).any():
            raise ValueError("reference: a member returned None on a reference completion")
        offsets, scales = raw.mean(axis=1), raw.std(axis=1)
        flat = [_member_name(m, i) for i, m in enumerate(self.members) if not scales[i] > 0]
        if flat:
            raise ValueError(f"reference: members {flat} give every reference completion the same score")
        self.offsets, self.scales = offsets, scales

    def _raw_scores(self, prompts, completions, **kwargs) -> np.ndarray:
        rows = []
        for index, member in enumerate(self.members):
            values = member(prompts=prompts, completions=completions, **kwargs)
            if len(values) != len(completions):
                raise ValueError(f"member {_member_name(member, index)!r} returned {len(values)} rewards "
                                 f"for {len(completions)} completions")
            rows.append([np.nan if v is None else float(v) for v in values])
        return np.array(rows, dtype=float).reshape(len(self.members), len(completions))

    def member_scores(self, prompts: Sequence, completions: Sequence, **kwargs) -> np.ndarray:
        """Each member's (standardised) scores, ``(k, B)``; NaN where a member returned None."""
        return (self._raw_scores(prompts, completions, **kwargs) - self.offsets[:, None]) / self.scales[:, None]

    def uncertainty(self, prompts: Sequence, completions: Sequence, **kwargs) -> np.ndarray:
        """Disagreement ``(B,)``: the std across members, ``sqrt((1/k) sum_i (r_i - mean)^2)``."""
        return self.member_scores(prompts, completions, **kwargs).std(axis=0)

    def scores(self, member_scores: np.ndarray) -> np.ndarray:
        """The ensemble's reward ``(B,)`` from member scores ``(k, B)`` (for pools scored once)."""
        return combine_members(member_scores, self.aggregate, lam=self.lam)

    def __call__(self, prompts=None, completions=None, **kwargs) -> list[float | None]:
        if completions is None:
            raise ValueError("completions: this reward needs TRL's completions (one per prompt)")
        log_metric = kwargs.pop("log_metric", None)
        members = self.member_scores(prompts, completions, **kwargs)
        combined = self.scores(members)
        if log_metric is not None and members.size:
            log_metric(f"{self.__name__}/disagreement", float(np.nanmean(members.std(axis=0))))
        return [None if np.isnan(v) else float(v) for v in combined]  # NaN: some member had no score
