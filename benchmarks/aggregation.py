"""Aggregation: group statistics and Pareto fronts against the obvious baselines.

1. GRPO group advantages for N rewards with arbitrary group labels (uneven
   groups, as when prompts are grouped by text): ours (``np.bincount`` group
   sums) vs the pandas baseline ``groupby(...).transform("mean"/"std")``.
   Also TRL's own layout (contiguous groups of G, reshaped views in torch),
   which only handles equal, contiguous groups, for scale.
2. Pareto front of N samples x 3 rewards: ours (chunked, vectorised dominance)
   vs the textbook double loop in Python.

Both pairs are checked to agree before timing. Run: ``.venv/bin/python benchmarks/aggregation.py``
"""
from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from workbench.aggregation import group_advantages, pareto_front  # noqa: E402

torch.set_num_threads(1)


def median_seconds(function, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def pandas_advantages(scores: np.ndarray, groups: np.ndarray) -> np.ndarray:
    frame = pd.DataFrame({"r": scores, "g": groups})
    grouped = frame.groupby("g")["r"]
    return ((frame["r"] - grouped.transform("mean")) / (grouped.transform("std").fillna(0) + 1e-4)).to_numpy()


def trl_layout_advantages(scores: torch.Tensor, num_generations: int) -> torch.Tensor:
    grouped = scores.view(-1, num_generations)
    mean = grouped.mean(1).repeat_interleave(num_generations)
    std = grouped.std(1).repeat_interleave(num_generations)
    return (scores - mean) / (std + 1e-4)


def naive_front(points: np.ndarray) -> np.ndarray:
    rows = points.tolist()
    keep = []
    for a in rows:
        dominated = any(all(x >= y for x, y in zip(b, a)) and any(x > y for x, y in zip(b, a)) for b in rows)
        keep.append(not dominated)
    return np.array(keep)


def bench_advantages(n: int = 262_144, group: int = 16) -> dict:
    rng = np.random.default_rng(0)
    scores = rng.normal(size=n)
    groups = rng.permutation(np.repeat(np.arange(n // group), group))     # labels in any order
    ours = group_advantages(scores, groups)
    np.testing.assert_allclose(ours, pandas_advantages(scores, groups), atol=1e-9)
    blocks = np.repeat(np.arange(n // group), group)
    np.testing.assert_allclose(group_advantages(scores, blocks),
                               trl_layout_advantages(torch.tensor(scores), group).numpy(), atol=1e-9)
    contiguous = torch.tensor(scores)
    return {"n": n, "group": group,
            "pandas_ms": 1e3 * median_seconds(lambda: pandas_advantages(scores, groups), 5),
            "ours_ms": 1e3 * median_seconds(lambda: group_advantages(scores, groups), 5),
            "trl_layout_ms": 1e3 * median_seconds(lambda: trl_layout_advantages(contiguous, group), 5),
            "ours_contiguous_ms": 1e3 * median_seconds(lambda: group_advantages(scores, blocks), 5)}


def bench_pareto(n: int = 1500, objectives: int = 3) -> dict:
    points = np.random.default_rng(1).normal(size=(n, objectives))
    np.testing.assert_array_equal(pareto_front(points), naive_front(points))
    return {"n": n, "objectives": objectives,
            "naive_ms": 1e3 * median_seconds(lambda: naive_front(points), 3),
            "ours_ms": 1e3 * median_seconds(lambda: pareto_front(points), 5)}


def main() -> None:
    adv = bench_advantages()
    print(f"group advantages, N={adv['n']:,}, groups of {adv['group']} with shuffled labels:")
    print(f"  pandas groupby {adv['pandas_ms']:.1f} ms | ours {adv['ours_ms']:.1f} ms | "
          f"ratio {adv['pandas_ms'] / adv['ours_ms']:.1f}x")
    print(f"  TRL's layout (contiguous groups): torch views as in GRPOTrainer {adv['trl_layout_ms']:.1f} ms | "
          f"ours {adv['ours_contiguous_ms']:.1f} ms | ratio {adv['trl_layout_ms'] / adv['ours_contiguous_ms']:.1f}x")
    front = bench_pareto()
    print(f"Pareto front, N={front['n']:,} x {front['objectives']} rewards:")
    print(f"  Python double loop {front['naive_ms']:.0f} ms | ours {front['ours_ms']:.1f} ms | "
          f"ratio {front['naive_ms'] / front['ours_ms']:.0f}x")


if __name__ == "__main__":
    main()
