"""How sure a score is: bootstrap intervals over prompts, paired differences, Holm's correction.

Every benchmark score here is a weighted sum of ratios of per-prompt tallies (a
:class:`ScoreTally`)::

    score = sum_t w_t * (sum_c N[t, c]) / (sum_c D[t, c])

over prompts ``c`` (the clusters) and terms ``t``. An accuracy is one term with
``N[c]`` = the outcomes of prompt c's rows and ``D[c]`` = its number of rows; the
RewardBench 2 Ties composite has five terms. ``D`` depends on the data only, never on
the model, which is what makes paired comparisons exact below.

* :func:`bootstrap_interval`: the percentile bootstrap (Efron & Tibshirani 1993, ch. 13):
  draw the prompts with replacement B times, recompute the score, take the
  ``(1 - confidence) / 2`` quantiles. Resampling prompts, not rows, keeps the rows of one
  prompt together (a ranked list expanded into pairs, Ties' ``ref``/``tied`` rows), which
  are not independent.
* :func:`paired_difference`: the score of A minus that of B on the same examples, with a
  bootstrap interval (the same resampled prompts for both) and a two-sided sign-flip
  permutation p-value: under H0 "A and B are exchangeable on each prompt", swapping their
  scores on prompt c flips the sign of ``N_A[:, c] - N_B[:, c]`` and leaves ``D`` alone
  (Good 2005, *Permutation, Parametric and Bootstrap Tests of Hypotheses*, ch. 3).
  ``p = (1 + #{|T*| >= |T|}) / (1 + n_permutations)`` is never 0.
* :func:`holm`: Holm's (1979) step-down adjustment of m p-values: sort them,
  ``p_(i) * (m - i + 1)``, running maximum, capped at 1. It controls the family-wise error
  rate for any dependence between the subsets' tests.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

DEFAULT_RESAMPLES = 2000
DEFAULT_PERMUTATIONS = 5000
CHUNK = 500  # resamples drawn at once: bounds memory at CHUNK x (number of prompts)


@dataclass
class ScoreTally:
    """Per-prompt numerators ``(T, C)`` and denominators ``(T, C)`` of a score's T terms, weights ``(T,)``."""

    numerators: np.ndarray
    denominators: np.ndarray
    weights: np.ndarray

    def __post_init__(self):
        self.numerators = np.atleast_2d(np.asarray(self.numerators, dtype=float))
        self.denominators = np.atleast_2d(np.asarray(self.denominators, dtype=float))
        self.weights = np.atleast_1d(np.asarray(self.weights, dtype=float))
        if self.numerators.shape != self.denominators.shape or self.numerators.shape[0] != len(self.weights):
            raise ValueError(f"numerators {self.numerators.shape}, denominators {self.denominators.shape} and "
                             f"weights {self.weights.shape} must be (T, C), (T, C) and (T,)")

    @classmethod
    def of_outcomes(cls, outcomes, clusters) -> ScoreTally:
        """The mean of per-row ``outcomes`` (N,) with rows grouped by ``clusters`` (N,) labels."""
        outcomes = np.asarray(outcomes, dtype=float)
        _, index = np.unique(np.asarray(clusters), return_inverse=True)
        numerators = np.bincount(index, weights=outcomes)
        return cls(numerators[None], np.bincount(index).astype(float)[None], np.ones(1))

    @property
    def n_clusters(self) -> int:
        return self.numerators.shape[1]

    def value(self) -> float:
        return float(self.resampled(np.ones((1, self.n_clusters)))[0])

    def resampled(self, counts: np.ndarray, signs: np.ndarray | None = None) -> np.ndarray:
        """Scores (B,) with prompt c counted ``counts[b, c]`` times and its numerators times ``signs[b, c]``."""
        top = (counts if signs is None else counts * signs) @ self.numerators.T  # (B, T)
        bottom = counts @ self.denominators.T  # (B, T)
        ratio = np.divide(top, bottom, out=np.zeros_like(top), where=bottom > 0)
        return ratio @ self.weights

    def minus(self, other: ScoreTally) -> ScoreTally:
        """The tally of ``self - other`` on the same examples (the same denominators)."""
        if not np.array_equal(self.denominators, other.denominators):
            raise ValueError("a paired difference needs the two scores tallied on the same examples")
        return ScoreTally(self.numerators - other.numerators, self.denominators, self.weights)


@dataclass(frozen=True)
class Interval:
    """A score and its bootstrap interval at ``confidence``."""

    estimate: float
    low: float
    high: float
    confidence: float

    def covers(self, value: float) -> bool:
        return self.low <= value <= self.high

    def to_dict(self) -> dict:
        return {"estimate": self.estimate, "low": self.low, "high": self.high}


@dataclass(frozen=True)
class PairedDifference:
    """Score of A minus score of B: ``estimate`` with its interval, and the permutation p-value."""

    estimate: float
    low: float
    high: float
    p_value: float
    confidence: float


def _resample_counts(rng: np.random.Generator, n_clusters: int, n: int) -> np.ndarray:
    return rng.multinomial(n_clusters, np.full(n_clusters, 1.0 / n_clusters), size=n).astype(float)


def bootstrap_distribution(tally: ScoreTally, *, n_resamples: int = DEFAULT_RESAMPLES, seed: int = 0) -> np.ndarray:
    """The score recomputed on ``n_resamples`` draws of the prompts with replacement: (B,)."""
    rng = np.random.default_rng(seed)
    parts = []
    for start in range(0, n_resamples, CHUNK):
        parts.append(tally.resampled(_resample_counts(rng, tally.n_clusters, min(CHUNK, n_resamples - start))))
    return np.concatenate(parts)


def bootstrap_interval(tally: ScoreTally, *, confidence: float = 0.95, n_resamples: int = DEFAULT_RESAMPLES,
                       seed: int = 0) -> Interval:
    """The score and its percentile-bootstrap interval over prompts."""
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    draws = bootstrap_distribution(tally, n_resamples=n_resamples, seed=seed)
    alpha = (1 - confidence) / 2
    low, high = np.quantile(draws, [alpha, 1 - alpha])
    return Interval(tally.value(), float(low), float(high), confidence)


def permutation_p_value(difference: ScoreTally, *, n_permutations: int = DEFAULT_PERMUTATIONS,
                        seed: int = 0) -> float:
    """Two-sided sign-flip p-value of a paired difference's tally (see the module docstring)."""
    observed = abs(difference.value())
    rng = np.random.default_rng(seed)
    counts = np.ones((1, difference.n_clusters))
    extreme = 0
    for start in range(0, n_permutations, CHUNK):
        n = min(CHUNK, n_permutations - start)
        signs = rng.choice(np.array([-1.0, 1.0]), size=(n, difference.n_clusters))
        flipped = difference.resampled(np.repeat(counts, n, axis=0), signs)
        extreme += int((np.abs(flipped) >= observed - 1e-12).sum())
    return (1 + extreme) / (1 + n_permutations)


def paired_difference(tally_a: ScoreTally, tally_b: ScoreTally, *, confidence: float = 0.95,
                      n_resamples: int = DEFAULT_RESAMPLES, n_permutations: int = DEFAULT_PERMUTATIONS,
                      seed: int = 0) -> PairedDifference:
    """Score A - score B on the same examples: estimate, bootstrap interval, permutation p-value."""
    difference = tally_a.minus(tally_b)
    interval = bootstrap_interval(difference, confidence=confidence, n_resamples=n_resamples, seed=seed)
    p_value = permutation_p_value(difference, n_permutations=n_permutations, seed=seed + 1)
    return PairedDifference(interval.estimate, interval.low, interval.high, p_value, confidence)


def holm(p_values) -> np.ndarray:
    """Holm-adjusted p-values (m,), in the input order (Holm 1979).

    >>> holm([0.01, 0.04, 0.03]).round(3).tolist()
    [0.03, 0.06, 0.06]
    """
    p = np.asarray(p_values, dtype=float)
    m = len(p)
    order = np.argsort(p, kind="stable")
    stepped = np.maximum.accumulate(p[order] * (m - np.arange(m)))
    adjusted = np.empty(m)
    adjusted[order] = np.minimum(stepped, 1.0)
    return adjusted
