"""GRPO on the world: does RLVR (the exact checker as the reward) raise held-out accuracy, and a random reward not?

Baseline: the same run with a broken reward (``make_random_reward``: 1 with
probability 1/2 whatever the completion), same seed, same steps, same
held-out problems. Both are TRL's ``GRPOTrainer`` through
``workbench.world.grpo.run_grpo`` on the cached world policy
(``cached_policy(PolicyConfig())``). Prints, per seed and arm, held-out greedy
accuracy at the start and at the end, the rise, the mean sampled accuracy of
the first and last quarter of the steps, KL to the start (``kl/sequence``,
mean of the last quarter of the steps) and seconds.

    OMP_NUM_THREADS=1 python benchmarks/grpo_world.py                  # 3 seeds x 2 arms, ~5 min on one core
    OMP_NUM_THREADS=1 python benchmarks/grpo_world.py --steps 40 --seeds 0 1 2 3 4 --eval-problems 100
"""
from __future__ import annotations

import argparse
import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def quarter_mean(values: list[float], last: bool) -> float:
    k = max(1, len(values) // 4)
    part = values[-k:] if last else values[:k]
    return sum(part) / len(part)


def main() -> None:
    from workbench.world import PolicyConfig, cached_policy
    from workbench.world.grpo import GRPORunConfig, gold_correctness, make_random_reward, run_grpo

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=GRPORunConfig.steps)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--learning-rate", type=float, default=GRPORunConfig.learning_rate)
    parser.add_argument("--beta", type=float, default=GRPORunConfig.beta)
    parser.add_argument("--eval-problems", type=int, default=GRPORunConfig.eval_problems)
    args = parser.parse_args()

    model, tokenizer = cached_policy(PolicyConfig(progress=False))
    print("seed arm      start  end    rise    sampled(first->last quarter)  kl/sequence  seconds")
    for seed in args.seeds:
        for arm, reward in (("checker", gold_correctness), ("random", make_random_reward(seed))):
            config = GRPORunConfig(steps=args.steps, seed=seed, learning_rate=args.learning_rate, beta=args.beta,
                                   eval_problems=args.eval_problems, eval_every=args.steps, progress=False)
            run = run_grpo(model, tokenizer, [reward], config)
            sampled = [s.accuracy for s in run.history]
            print(f"{seed:<4} {arm:<8} {run.start_accuracy:.3f}  {run.end_accuracy:.3f}  "
                  f"{run.end_accuracy - run.start_accuracy:+.3f}  {quarter_mean(sampled, False):.3f} -> "
                  f"{quarter_mean(sampled, True):.3f}                {quarter_mean([s.kl_sequence for s in run.history], True):.2f}"
                  f"         {run.seconds:.0f}", flush=True)


if __name__ == "__main__":
    main()
