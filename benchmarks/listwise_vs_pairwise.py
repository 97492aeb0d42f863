"""Listwise Plackett-Luce vs its pairwise expansion with Bradley-Terry: time to the same held-out Kendall tau.

Data: the bundled synthetic lists (K = 4 responses per prompt, graded 1-5 labels
with ties, known true reward; ``workbench.data.synthetic``). Baseline: every list
expanded into the pairs its labels order (up to 6; tied pairs have no
Bradley-Terry outcome and are left out) and trained with Bradley-Terry. Ours: the
lists themselves with Plackett-Luce (ties: Breslow). Same MiniLM backbone, same
learning rate and schedule, the same number of sequences per optimiser step (4
lists = 16 sequences vs 8 pairs = 16 sequences). Held-out Kendall's tau is
measured every ``--eval-every`` steps (evaluation time excluded). The target is 95%
of the lower of the two final taus; the time to reach it is interpolated between
evaluations. Prints both times and the ratio pairwise / listwise.

    python benchmarks/listwise_vs_pairwise.py                 # all 150 bundled lists, 2 epochs
    python benchmarks/listwise_vs_pairwise.py --n-lists 60 --epochs 1   # quick
"""
from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")


def time_to(curve: list[tuple[float, float]], target: float) -> float | None:
    """First training time at which tau reaches ``target``, linearly interpolated; None if never."""
    previous = (0.0, float("-inf"))
    for seconds, tau in curve:
        if tau >= target:
            t0, tau0 = previous
            if tau0 == float("-inf"):
                return seconds
            return t0 + (seconds - t0) * (target - tau0) / (tau - tau0)
        previous = (seconds, tau)
    return None


def run(name: str, loss: str, data, held_out, args) -> list[tuple[float, float]]:
    """(training seconds, held-out tau) after every ``eval_every`` steps; evaluation time excluded."""
    from workbench.models import load_reward_model
    from workbench.training import TrainConfig, evaluate, train
    from workbench.training.loop import as_encoded

    model, tokenizer = load_reward_model()
    encoded_eval = as_encoded(held_out, tokenizer, args.max_length)
    curve: list[tuple[float, float]] = []
    clock = {"start": time.perf_counter(), "paused": 0.0}

    def evaluate_fn(m):
        paused = time.perf_counter()
        tau = evaluate(m, encoded_eval, tokenizer.pad_token_id)["kendall_tau"]
        curve.append((paused - clock["start"] - clock["paused"], tau))
        clock["paused"] += time.perf_counter() - paused
        return {"kendall_tau": tau}

    config = TrainConfig(loss=loss, batch_size=4 if loss == "plackett_luce" else 8, epochs=args.epochs,
                         learning_rate=args.lr, max_length=args.max_length, seed=args.seed, save_model=False,
                         progress=False, eval_every=args.eval_every, output_dir=f"runs/bench_listwise/{name}")
    clock["start"] = time.perf_counter()
    train(config, data, model=model, tokenizer=tokenizer, evaluate_fn=evaluate_fn)
    return curve


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-lists", type=int, default=150)
    parser.add_argument("--epochs", type=float, default=2.0)
    parser.add_argument("--lr", type=float, default=3e-4)
    parser.add_argument("--max-length", type=int, default=48)
    parser.add_argument("--eval-every", type=int, default=4)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    from workbench.data import load_records, pairs_from_list
    from workbench.demo import demo_files

    files = demo_files()
    lists = load_records(files["lists_train"])[:args.n_lists]
    held_out = load_records(files["lists_test"])
    pairs = [p for ranked in lists for p in pairs_from_list(ranked)]
    print(f"{len(lists)} lists of 4 -> {len(pairs)} untied pairs; {len(held_out)} held-out lists; "
          f"{args.epochs} epochs, lr {args.lr}")
    curves = {"pairwise BT": run("pairwise", "bradley_terry", pairs, held_out, args),
              "listwise PL": run("listwise", "plackett_luce", lists, held_out, args)}
    for name, curve in curves.items():
        print(f"{name:>12}: " + "  ".join(f"{s:.0f}s:{tau:.3f}" for s, tau in curve))
    target = 0.95 * min(curve[-1][1] for curve in curves.values())
    times = {name: time_to(curve, target) for name, curve in curves.items()}
    for name, seconds in times.items():
        print(f"{name:>12}: final tau {curves[name][-1][1]:.3f}, reaches tau {target:.3f} after "
              f"{seconds:.1f} s of training" if seconds is not None else f"{name}: never reaches {target:.3f}")
    if all(t is not None for t in times.values()):
        print(f"time-to-tau ratio pairwise / listwise: {times['pairwise BT'] / times['listwise PL']:.2f}x")


if __name__ == "__main__":
    main()
