"""Best-of-n over-optimisation: exact expected rewards, the KL of best-of-n, and Gao et al.'s fits.

Best-of-n draws n samples from the base policy and keeps the one the *proxy* reward
scores highest; its *gold* reward is what that choice is actually worth. From one pool
of N scored samples per prompt, every n <= N is answered exactly, with no resampling:
sort the pool by proxy (ascending, ranks i = 1..N); a uniformly random n-subset (drawn
without replacement) has its maximum at rank i with probability

    w_n(i) = C(i - 1, n - 1) / C(N, n)          (0 for i < n; sum_i w_n(i) = 1)

(the other n - 1 members come from the i - 1 lower ranks). So

    E[gold of best-of-n] = sum_i w_n(i) * gold_(i),   E[proxy of best-of-n] = sum_i w_n(i) * proxy_(i).

Ties in the proxy are broken uniformly at random: given that the subset's maximum proxy
is a value shared by a tied group, the kept sample is, by symmetry, a uniform member of
that group, so every member of a tied group carries its group's mean gold (ties are
exact float equality). The weights are computed in log space (``gammaln``), so N in the
thousands is safe; per pool size the (len(ns), N) weight matrix is built once and the
prompts are one matrix product.

KL of best-of-n from the base policy, the usual analytic value (Stiennon et al. 2020,
"Learning to summarize from human feedback", appendix; used by Gao, Schulman & Hilton
2022, "Scaling Laws for Reward Model Overoptimization"):

    KL(n) = log n - (n - 1) / n

Beirami et al. 2024 ("Theoretical guarantees on the best-of-n alignment policy") show it is
an upper bound on the true KL, close to it when no single response carries much of the base
policy's probability (long, varied completions) and loose when a few responses dominate.

Gao et al. 2022's functional forms in d = sqrt(KL), for the gold reward relative to the
base policy (R(0) = 0):

    best-of-n: R(d) = d (alpha - beta d),        peak d* = alpha / (2 beta),      R(d*) = alpha^2 / (4 beta)
    RL:        R(d) = d (alpha - beta log d),    peak d* = exp(alpha / beta - 1), R(d*) = beta d*

Both are linear in (alpha, beta), fitted by least squares on R itself (features
(d, -d^2) or (d, -d log d)); points at d = 0 carry no information (0 = 0) and are
dropped. Dividing by d first (R / d = alpha - beta d) is just as linear but gives the
smallest-d points, where R / d is noisiest, the most weight, so it is not done. With
beta <= 0 the fitted curve has no peak: it still rises at every d.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.special import gammaln

FORMS = ("best_of_n", "rl")
_WEIGHTS_PER_CHUNK = 1 << 20  # entries of one (n-block, N) weight matrix: 8 MB, whatever N is


@dataclass(frozen=True)
class BestOfNCurve:
    """Exact expected rewards of best-of-n for each ``n`` in ``ns``; K = len(ns), P prompts.

    ns: (K,) the n, each in 1..N (N = the smallest pool when pools are ragged).
    gold, proxy: (K,) expected gold / proxy reward of the kept sample, averaged over prompts.
    kl: (K,) ``best_of_n_kl(ns)``.
    per_prompt_gold, per_prompt_proxy: (P, K) the same per prompt (rows in input order).
    """
    ns: np.ndarray
    gold: np.ndarray
    proxy: np.ndarray
    kl: np.ndarray
    per_prompt_gold: np.ndarray
    per_prompt_proxy: np.ndarray

    @property
    def sqrt_kl(self) -> np.ndarray:
        """(K,) d = sqrt(KL), the x-axis of Gao et al. 2022."""
        return np.sqrt(self.kl)

    @property
    def peak_n(self) -> int:
        """The n of the highest expected gold (the first, if several share it)."""
        return int(self.ns[int(np.argmax(self.gold))])


def best_of_n_kl(n) -> np.ndarray:
    """KL(best-of-n || base) = log n - (n - 1) / n, elementwise: the usual value, an upper bound (Beirami et al. 2024).

    >>> best_of_n_kl([1, 2, 16]).round(4).tolist()
    [0.0, 0.1931, 1.8351]
    """
    n = np.asarray(n, dtype=float)
    if np.any(~np.isfinite(n)) or np.any(n < 1):
        raise ValueError("n: every n must be a finite number >= 1")
    return np.log(n) - (n - 1) / n


def best_of_n_for_kl(kl, *, iterations: int = 80) -> np.ndarray:
    """The (real) n whose ``best_of_n_kl`` is ``kl``, elementwise: the inverse, by bisection on log n.

    KL(n) is increasing from KL(1) = 0 and KL(n) >= log n - 1, so log n lies in [0, kl + 1].

    >>> best_of_n_for_kl(best_of_n_kl([1, 2, 16])).round(6).tolist()
    [1.0, 2.0, 16.0]
    """
    kl = np.asarray(kl, dtype=float)
    if np.any(~np.isfinite(kl)) or np.any(kl < 0):
        raise ValueError("kl: every KL must be finite and >= 0")
    low, high = np.zeros_like(kl), kl + 1.0
    for _ in range(iterations):
        middle = (low + high) / 2
        below = best_of_n_kl(np.exp(middle)) < kl
        low, high = np.where(below, middle, low), np.where(below, high, middle)
    return np.exp((low + high) / 2)


def order_statistic_weights(pool_size: int, ns: Sequence[int]) -> np.ndarray:
    """(K, N) weights ``w_n(i) = C(i-1, n-1) / C(N, n)``: the chance that rank i (ascending) is the
    maximum of a uniform n-subset of N = ``pool_size``; one row per n in ``ns``, each summing to 1."""
    n = np.asarray(ns, dtype=float)[:, None]
    rank = np.arange(1, pool_size + 1, dtype=float)[None, :]
    inside = rank >= n
    below = np.where(inside, rank - n + 1, 1.0)  # keeps gammaln finite where the weight is 0 anyway
    log_w = (gammaln(rank) - gammaln(n) - gammaln(below)
             - (gammaln(pool_size + 1.0) - gammaln(n + 1) - gammaln(pool_size - n + 1)))
    weights = np.where(inside, np.exp(np.minimum(log_w, 0.0)), 0.0)
    return weights / weights.sum(axis=1, keepdims=True)  # exact in theory; removes the last rounding


def _sorted_with_ties(proxy: np.ndarray, gold: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(P, N) proxy and gold sorted by proxy per row, each gold replaced by its tie group's mean."""
    order = np.argsort(proxy, axis=1, kind="stable")
    proxy, gold = np.take_along_axis(proxy, order, 1), np.take_along_axis(gold, order, 1)
    rows, size = proxy.shape
    starts = np.ones((rows, size), dtype=bool)
    starts[:, 1:] = proxy[:, 1:] != proxy[:, :-1]
    # A group id per sample, unique across rows: the running count of group starts, offset per row.
    group = (np.cumsum(starts, axis=1) - 1 + size * np.arange(rows)[:, None]).ravel()
    means = np.bincount(group, gold.ravel()) / np.maximum(np.bincount(group), 1)
    return proxy, means[group].reshape(rows, size)


def _pools(proxy, gold) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Validate and group prompts by pool size: ``[(rows, proxy (p, N), gold (p, N)), ...]``."""
    if isinstance(proxy, np.ndarray) or isinstance(gold, np.ndarray):
        proxy, gold = np.asarray(proxy, dtype=float), np.asarray(gold, dtype=float)
        if proxy.ndim != 2 or proxy.shape != gold.shape:
            raise ValueError(f"proxy and gold: expected two (P, N) arrays, got shapes {proxy.shape} and {gold.shape}")
        proxy, gold = list(proxy), list(gold)
    if len(proxy) != len(gold):
        raise ValueError(f"proxy and gold: {len(proxy)} prompts against {len(gold)}")
    if len(proxy) == 0:
        raise ValueError("proxy and gold: no prompts")
    by_size: dict[int, list[int]] = {}
    rows_proxy, rows_gold = [], []
    for row, (p, g) in enumerate(zip(proxy, gold)):
        p, g = np.asarray(p, dtype=float), np.asarray(g, dtype=float)
        if p.ndim != 1 or p.shape != g.shape or len(p) == 0:
            raise ValueError(f"prompt {row}: expected equal, non-empty lists of scores, "
                             f"got shapes {p.shape} and {g.shape}")
        if not (np.isfinite(p).all() and np.isfinite(g).all()):
            raise ValueError(f"prompt {row}: proxy and gold must be finite (NaN or inf found)")
        rows_proxy.append(p)
        rows_gold.append(g)
        by_size.setdefault(len(p), []).append(row)
    return [(np.array(rows), np.stack([rows_proxy[r] for r in rows]), np.stack([rows_gold[r] for r in rows]))
            for rows in by_size.values()]


def best_of_n(proxy, gold, *, ns: Sequence[int] | None = None) -> BestOfNCurve:
    """Exact expected gold and proxy reward of best-of-n by proxy, for every n (see the module docstring).

    proxy, gold: (P, N) arrays or ``[P][N]`` nested lists (N may differ per prompt: ragged pools).
    ns: the n to evaluate, each in 1..min N; default every n from 1 to min N.
    Returns a :class:`BestOfNCurve`: n = 1 gives the pool mean, n = N the gold of the proxy's
    argmax (averaged over a tied top).
    """
    pools = _pools(proxy, gold)
    smallest = min(p.shape[1] for _, p, _ in pools)
    ns = np.arange(1, smallest + 1) if ns is None else np.asarray(ns)
    if ns.ndim != 1 or len(ns) == 0 or not np.issubdtype(ns.dtype, np.integer) or ns.min() < 1 or ns.max() > smallest:
        raise ValueError(f"ns: expected integers in 1..{smallest} (the smallest pool), got {ns.tolist()}")
    n_prompts = sum(len(rows) for rows, _, _ in pools)
    per_gold, per_proxy = np.empty((n_prompts, len(ns))), np.empty((n_prompts, len(ns)))
    for rows, pool_proxy, pool_gold in pools:
        sorted_proxy, sorted_gold = _sorted_with_ties(pool_proxy, pool_gold)
        size = pool_proxy.shape[1]
        step = max(1, _WEIGHTS_PER_CHUNK // size)  # N in the thousands: weights a block of n at a time
        for start in range(0, len(ns), step):
            weights, block = order_statistic_weights(size, ns[start:start + step]), slice(start, start + step)
            per_gold[rows, block], per_proxy[rows, block] = sorted_gold @ weights.T, sorted_proxy @ weights.T
    return BestOfNCurve(ns=ns, gold=per_gold.mean(0), proxy=per_proxy.mean(0), kl=best_of_n_kl(ns),
                        per_prompt_gold=per_gold, per_prompt_proxy=per_proxy)


def _features(d: np.ndarray, form: str) -> np.ndarray:
    """(M, 2) columns multiplying (alpha, beta): best-of-n (d, -d^2), RL (d, -d log d)."""
    if form == "best_of_n":
        return np.stack([d, -d * d], axis=1)
    safe = np.where(d > 0, d, 1.0)  # d log d -> 0 as d -> 0
    return np.stack([d, np.where(d > 0, -d * np.log(safe), 0.0)], axis=1)


@dataclass(frozen=True)
class OveroptimisationFit:
    """A fit of Gao et al. 2022's form ``form`` to M points (see the module docstring).

    alpha, beta: the coefficients; baseline: the reward at d = 0 that was subtracted.
    d: (M,) sqrt(KL) of the fitted points (d > 0); reward: (M,) their reward minus baseline;
    fitted: (M,) R(d) at those points; r_squared: 1 - SS_res / SS_tot over them.
    has_peak: beta > 0 (else the curve rises at every d; peak_d is inf, peak_reward nan).
    peak_inside: has_peak and d* within the fitted d.
    """
    form: str
    alpha: float
    beta: float
    baseline: float
    d: np.ndarray
    reward: np.ndarray
    fitted: np.ndarray
    r_squared: float
    peak_d: float
    peak_reward: float

    @property
    def has_peak(self) -> bool:
        return self.beta > 0

    @property
    def peak_inside(self) -> bool:
        return self.has_peak and self.peak_d <= float(self.d.max())

    @property
    def peak_kl(self) -> float:
        return self.peak_d ** 2

    def predict(self, d) -> np.ndarray:
        """R(d) relative to the baseline, for any d >= 0 (shape of ``d``)."""
        d = np.asarray(d, dtype=float)
        return (_features(d.ravel(), self.form) @ np.array([self.alpha, self.beta])).reshape(d.shape)

    def describe(self) -> str:
        """One line: the coefficients, the peak (or that there is none) and R^2."""
        head = f"{self.form} fit: alpha={self.alpha:.4g}, beta={self.beta:.4g}, R^2={self.r_squared:.3f}; "
        if not self.has_peak:
            return head + "beta <= 0: no peak, the fitted reward still rises at every d"
        where = f"peak at d*={self.peak_d:.3g} (KL={self.peak_kl:.3g}"
        if self.form == "best_of_n":
            where += f", n={float(best_of_n_for_kl(self.peak_kl)):.3g}"
        where += f"), R(d*)={self.peak_reward:.4g}"
        return head + where + ("" if self.peak_inside else ", beyond the largest fitted d")


def _baseline(kl: np.ndarray, reward: np.ndarray, baseline: float | None) -> float:
    if baseline is not None:
        return float(baseline)
    at_zero = reward[kl == 0]
    if len(at_zero) == 0:
        raise ValueError("baseline: no point at KL = 0 to measure the reward against; pass baseline=")
    return float(at_zero.mean())


def fit_overoptimisation(kl, reward, *, form: str = "best_of_n", baseline: float | None = None) -> OveroptimisationFit:
    """Least-squares fit of ``R(d) = d (alpha - beta d)`` (``form="best_of_n"``) or
    ``R(d) = d (alpha - beta log d)`` (``form="rl"``), d = sqrt(kl), R = reward - baseline.

    kl, reward: (M,) points, kl >= 0. baseline: the reward at KL = 0; default, the mean
    reward of the points with kl == 0 (n = 1 of a best-of-n curve, step 0 of an RL run).
    Needs at least two distinct d > 0.
    """
    if form not in FORMS:
        raise ValueError(f"form: expected one of {FORMS}, got {form!r}")
    kl, reward = np.asarray(kl, dtype=float).ravel(), np.asarray(reward, dtype=float).ravel()
    if kl.shape != reward.shape:
        raise ValueError(f"kl and reward: {len(kl)} points against {len(reward)}")
    if not (np.isfinite(kl).all() and np.isfinite(reward).all()) or np.any(kl < 0):
        raise ValueError("kl and reward: must be finite, with kl >= 0")
    base = _baseline(kl, reward, baseline)
    keep = kl > 0
    d, relative = np.sqrt(kl[keep]), reward[keep] - base
    if len(np.unique(d)) < 2:
        raise ValueError("kl: need at least two distinct KL > 0 to fit alpha and beta")
    (alpha, beta), *_ = np.linalg.lstsq(_features(d, form), relative, rcond=None)
    fitted = _features(d, form) @ np.array([alpha, beta])
    total = float(((relative - relative.mean()) ** 2).sum())
    r_squared = 1 - float(((relative - fitted) ** 2).sum()) / total if total > 0 else float("nan")
    peak_d, peak_reward = math.inf, math.nan
    if beta > 0:
        peak_d = alpha / (2 * beta) if form == "best_of_n" else math.exp(alpha / beta - 1)
        peak_reward = alpha ** 2 / (4 * beta) if form == "best_of_n" else beta * peak_d
    return OveroptimisationFit(form=form, alpha=float(alpha), beta=float(beta), baseline=base, d=d,
                               reward=relative, fitted=fitted, r_squared=r_squared,
                               peak_d=float(peak_d), peak_reward=float(peak_reward))


def fit_best_of_n(curve: BestOfNCurve, *, reward: str = "gold") -> OveroptimisationFit:
    """The best-of-n form fitted to a curve's ``"gold"`` (or ``"proxy"``), relative to n = 1."""
    if reward not in ("gold", "proxy"):
        raise ValueError(f"reward: expected 'gold' or 'proxy', got {reward!r}")
    if 1 not in curve.ns:
        raise ValueError("curve: ns must include n = 1, the baseline the fit is relative to")
    return fit_overoptimisation(curve.kl, getattr(curve, reward), form="best_of_n")


__all__ = ["BestOfNCurve", "OveroptimisationFit", "FORMS", "best_of_n", "best_of_n_kl", "best_of_n_for_kl",
           "order_statistic_weights", "fit_overoptimisation", "fit_best_of_n"]
