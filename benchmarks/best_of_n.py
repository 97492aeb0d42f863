"""Best-of-n: the exact order-statistics estimator against brute-force Monte Carlo.

A realistic pool: P = 500 prompts x N = 64 samples, proxy = quality + 1.5 hack + noise,
gold = quality - hack^2 / 2 (correlated, and over-optimised at large n), once with a
continuous proxy and once with the proxy rounded to steps of 0.5 (many ties). Baseline:
for each n of a ladder (1, 2, 4, ..., 64), 2,000 uniformly random n-subsets per prompt
(the kept sample: the subset's highest proxy, ties broken uniformly), vectorised in numpy
and drawn in chunks. Ours: ``workbench.analysis.best_of_n`` on the same ladder (and, for
scale, on every n from 1 to 64).

Agreement: the largest |exact - Monte Carlo| of the prompt-averaged gold over the ladder,
and as a z-score against the Monte Carlo standard error (|z| below ~3 is the same answer);
then the largest per-prompt |z| over all 500 x 7 cells (below ~4.5 expected by chance).
Run: ``.venv/bin/python benchmarks/best_of_n.py``
"""
from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from workbench.analysis.best_of_n import best_of_n, fit_best_of_n  # noqa: E402

LADDER = [1, 2, 4, 8, 16, 32, 64]


def median_seconds(function, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def realistic_pool(prompts: int = 500, samples: int = 64, *, ties: bool = False, seed: int = 0):
    rng = np.random.default_rng(seed)
    quality = rng.normal(size=(prompts, 1)) + rng.normal(size=(prompts, samples))  # prompts differ in difficulty
    hack = rng.normal(size=(prompts, samples))
    proxy = quality + 1.5 * hack + 0.5 * rng.normal(size=(prompts, samples))
    if ties:
        proxy = np.round(proxy * 2) / 2
    return proxy, quality - 0.5 * hack ** 2


def monte_carlo(proxy: np.ndarray, gold: np.ndarray, n: int, *, draws: int = 2000, chunk: int = 200,
                seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Per-prompt (mean, variance) over ``draws`` random n-subsets of the gold kept by the proxy: (P,), (P,)."""
    rng = np.random.default_rng(seed + n)
    total, squares = np.zeros(proxy.shape[0]), np.zeros(proxy.shape[0])
    for _ in range(draws // chunk):
        keys = rng.random((proxy.shape[0], chunk, proxy.shape[1]))  # the subset: the n smallest keys
        threshold = np.partition(keys, n - 1, axis=2)[:, :, n - 1:n]
        inside = keys <= threshold
        scores = np.where(inside, proxy[:, None, :], -np.inf)
        top = scores.max(axis=2, keepdims=True)
        # Among a tied top, the smallest key: uniform, since the keys are independent of the proxy.
        kept = np.where(inside & (scores == top), keys, np.inf).argmin(axis=2)
        picked = np.take_along_axis(np.broadcast_to(gold[:, None, :], keys.shape), kept[:, :, None], 2)[..., 0]
        total += picked.sum(1)
        squares += (picked ** 2).sum(1)
    mean = total / draws
    return mean, np.maximum(squares / draws - mean ** 2, 0.0)  # rounding can dip below 0 where every draw agrees


def _z(gap: np.ndarray, error: np.ndarray) -> np.ndarray:
    """|gap| / error; where every draw kept the same gold (n = N, no tie at the top) the error is 0 and
    the answers must match to rounding (z = 0), else z = inf."""
    return np.where(error > 0, gap / np.where(error > 0, error, 1.0), np.where(gap < 1e-9, 0.0, np.inf))


def compare(ties: bool, draws: int = 2000) -> dict:
    proxy, gold = realistic_pool(ties=ties)
    exact = best_of_n(proxy, gold, ns=LADDER)
    start = time.perf_counter()
    estimates = [monte_carlo(proxy, gold, n, draws=draws) for n in LADDER]
    mc_seconds = time.perf_counter() - start
    mc_mean = np.stack([m for m, _ in estimates], axis=1)                        # (P, K)
    mc_error = np.sqrt(np.stack([v for _, v in estimates], axis=1) / draws)      # (P, K) per-prompt SE
    averaged_error = np.sqrt((mc_error ** 2).sum(0)) / proxy.shape[0]            # (K,) SE of the prompt mean
    difference = np.abs(exact.gold - mc_mean.mean(0))
    gap = np.abs(exact.per_prompt_gold - mc_mean)
    per_prompt_z = _z(gap, mc_error)
    return {"ties": ties, "exact": exact, "max_diff": float(difference.max()),
            "max_z": float(_z(difference, averaged_error).max()),
            "max_prompt_z": float(per_prompt_z.max()), "mc_ms": 1e3 * mc_seconds,
            "ours_ms": 1e3 * median_seconds(lambda: best_of_n(proxy, gold, ns=LADDER), 5),
            "ours_all_ms": 1e3 * median_seconds(lambda: best_of_n(proxy, gold), 5),
            "fit": fit_best_of_n(best_of_n(proxy, gold))}


def large_pool(prompts: int = 20, samples: int = 4000) -> dict:
    """Every n of N = 4,000: finite, n = 1 the mean and n = N the argmax's gold, and the time."""
    proxy, gold = realistic_pool(prompts, samples, seed=1)
    curve = best_of_n(proxy, gold)
    argmax_gold = np.take_along_axis(gold, proxy.argmax(1)[:, None], 1)[:, 0]
    return {"finite": bool(np.isfinite(curve.per_prompt_gold).all()),
            "ends_error": max(float(np.abs(curve.per_prompt_gold[:, 0] - gold.mean(1)).max()),
                              float(np.abs(curve.per_prompt_gold[:, -1] - argmax_gold).max())),
            "ms": 1e3 * median_seconds(lambda: best_of_n(proxy, gold), 3)}


def main() -> None:
    print(f"best-of-n on 500 prompts x 64 samples, n in {LADDER}; Monte Carlo: 2,000 random subsets per prompt per n")
    for ties in (False, True):
        r = compare(ties)
        print(f"{'proxy rounded to 0.5 (ties)' if ties else 'continuous proxy'}:")
        print("  n:      " + " ".join(f"{n:>7d}" for n in LADDER))
        print("  gold:   " + " ".join(f"{g:7.3f}" for g in r["exact"].gold))
        print("  proxy:  " + " ".join(f"{p:7.3f}" for p in r["exact"].proxy))
        print(f"  max |exact - MC| of the mean gold {r['max_diff']:.4f} (max |z| {r['max_z']:.2f}); "
              f"max per-prompt |z| {r['max_prompt_z']:.2f} over {500 * len(LADDER)} cells")
        print(f"  Monte Carlo {r['mc_ms']:.0f} ms | exact, same 7 n {r['ours_ms']:.2f} ms | "
              f"ratio {r['mc_ms'] / r['ours_ms']:.0f}x | exact, all 64 n {r['ours_all_ms']:.2f} ms")
        print(f"  {r['fit'].describe()}")
    large = large_pool()
    print(f"large pool, 20 prompts x 4,000 samples, every n from 1 to 4,000: {large['ms']:.0f} ms, "
          f"finite {large['finite']}, largest error at n = 1 (mean) and n = N (argmax) {large['ends_error']:.1e}")


if __name__ == "__main__":
    main()
