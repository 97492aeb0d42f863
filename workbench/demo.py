"""`workbench demo`: the main job on the built-in default.

Until the reward-model trainer lands, the demo fits one reward per item with
the Bradley-Terry loss on simulated comparisons written to ``data/`` and
reports held-out pairwise accuracy before (all rewards zero) and after.
"""
from __future__ import annotations

import json

import numpy as np

from .fitting import Comparisons, fit_rewards, pairwise_accuracy, simulate_comparisons, split
from .paths import DATA_DIR


def run_demo(n_items: int = 50, n_pairs: int = 2000, seed: int = 0) -> dict:
    true_rewards = np.random.default_rng(seed).normal(size=n_items)
    data = simulate_comparisons(true_rewards, n_pairs, seed=seed)
    DATA_DIR.mkdir(exist_ok=True)
    path = DATA_DIR / "demo_comparisons.jsonl"
    with path.open("w") as handle:
        for chosen, rejected in zip(data.chosen.tolist(), data.rejected.tolist()):
            handle.write(json.dumps({"chosen": chosen, "rejected": rejected}) + "\n")
    train, held_out = split(data, seed=seed)
    before = pairwise_accuracy(np.zeros(n_items), held_out)
    fitted = fit_rewards(train)
    after = pairwise_accuracy(fitted, held_out)
    best = pairwise_accuracy(true_rewards, held_out)
    return {"data": str(path), "before": before, "after": after, "true_rewards": best}


def _main(args) -> int:
    result = run_demo()
    print(f"wrote {result['data']}")
    print(f"held-out accuracy before training: {result['before']:.3f}")
    print(f"held-out accuracy after training:  {result['after']:.3f}  (true rewards: {result['true_rewards']:.3f})")
    return 0


def register(subparsers) -> None:
    parser = subparsers.add_parser("demo", help="run the main job on the built-in default data")
    parser.set_defaults(func=_main)
