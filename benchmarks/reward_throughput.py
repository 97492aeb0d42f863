"""A checkpoint reward in a GRPO step: scoring the step's completions batched vs one completion at a time.

One GRPO step hands every reward function all its completions at once: ``P``
prompts times ``G`` generations (``--completions`` in all, ``--group`` per
prompt). Data: the bundled hh-rlhf harmless sample (``data/hh_rlhf_harmless_sample.jsonl.gz``,
300 rows): prompt ``i`` is row i's prompt, its ``G`` completions the chosen and
rejected responses of rows ``i .. i + G/2``, so lengths vary as a policy's
samples do. Reward model: the offline MiniLM (:func:`workbench.paths.default_backbone`,
random head: speed does not depend on the weights), float32, on the CPU unless
``--device`` says otherwise.

* baseline ("loop"): for each completion, ``tokenizer(prompt + completion,
  truncation=True, max_length=L)`` then ``model(**enc)`` under ``torch.no_grad()``:
  the per-sample reward function people write first;
* "one per call": our :func:`~workbench.rewards.reward_model_reward` called once per
  completion (what a reward gets when its caller loops);
* ours ("batched"): the same reward called once with the step's completions, as
  ``GRPOTrainer`` calls it: sorted by length, batches of ``--batch-size``.

The batched rewards are checked equal to the one-per-call ones (to 1e-4), and to
the loop's on the completions neither side truncated (past ``L`` the loop cuts the
completion's end, ours the prompt's start). ``torch.set_num_threads(--threads)``
(default 1: the dev box is shared). ``--quick`` scores 16 completions (the test).

    python benchmarks/reward_throughput.py                      # 64 and 256 completions, groups of 8
    python benchmarks/reward_throughput.py --quick
"""
from __future__ import annotations

import argparse
import gzip
import json
import os
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")


def grpo_batch(n_completions: int, group: int) -> tuple[list[str], list[str]]:
    """``(prompts, completions)`` of one step: ``n_completions / group`` prompts, each repeated ``group`` times."""
    from workbench.paths import DATA_DIR

    with gzip.open(DATA_DIR / "hh_rlhf_harmless_sample.jsonl.gz", "rt", encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle]
    responses = [r[key] for r in rows for key in ("chosen", "rejected")]
    prompts, completions = [], []
    for i in range(n_completions // group):
        prompts += [rows[i % len(rows)]["prompt"]] * group
        completions += [responses[(2 * i + g) % len(responses)] for g in range(group)]
    return prompts, completions


def loop_scores(model, tokenizer, prompts, completions, max_length: int) -> list[float]:
    """The baseline: one forward pass per completion, in the step's order."""
    import torch

    device = next(model.parameters()).device
    out = []
    with torch.no_grad():
        for prompt, completion in zip(prompts, completions):
            enc = tokenizer(prompt + completion, truncation=True, max_length=max_length, return_tensors="pt")
            out.append(float(model(**{k: v.to(device) for k, v in enc.items()}).logits[0, 0]))
    return out


def timed(function):
    start = time.perf_counter()
    value = function()
    return value, time.perf_counter() - start


def measure(reward, prompts, completions, max_length: int) -> dict:
    """Seconds of the three ways on one step's completions, and how far their scores are apart."""
    import numpy as np

    model, tokenizer = reward.model, reward.tokenizer
    batched, batched_seconds = timed(lambda: reward(prompts=prompts, completions=completions))
    single, single_seconds = timed(lambda: [reward(prompts=[p], completions=[c])[0]
                                            for p, c in zip(prompts, completions)])
    looped, loop_seconds = timed(lambda: loop_scores(model, tokenizer, prompts, completions, max_length))
    gap = float(np.max(np.abs(np.array(batched) - np.array(single))))
    if gap > 1e-4:
        raise AssertionError(f"batched and one-per-call rewards differ by {gap:.2e}: not the same computation")
    lengths = [len(tokenizer(p + c)["input_ids"]) for p, c in zip(prompts, completions)]
    intact = [i for i, n in enumerate(lengths) if n < max_length]
    loop_gap = max((abs(batched[i] - looped[i]) for i in intact), default=0.0)
    if loop_gap > 1e-4:
        raise AssertionError(f"batched and looped rewards differ by {loop_gap:.2e} on untruncated completions")
    return {"completions": len(completions), "tokens": int(sum(min(n, max_length) for n in lengths)),
            "loop_seconds": loop_seconds, "single_seconds": single_seconds, "batched_seconds": batched_seconds,
            "ratio": loop_seconds / batched_seconds, "ratio_single": single_seconds / batched_seconds,
            "max_score_gap": gap, "max_loop_gap": loop_gap, "compared": len(intact)}


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--completions", type=int, nargs="+", default=[64, 256])
    parser.add_argument("--group", type=int, default=8, help="generations per prompt (GRPO's num_generations)")
    parser.add_argument("--max-length", type=int, default=512)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--device", default=None, help="default: CUDA if available, else the CPU")
    parser.add_argument("--model", default=None, help="checkpoint (default: the offline MiniLM)")
    parser.add_argument("--quick", action="store_true", help="16 completions: checks the code path")
    args = parser.parse_args(argv)
    sizes = [16] if args.quick else args.completions

    import torch

    from workbench.paths import default_backbone
    from workbench.rewards import reward_model_reward

    torch.set_num_threads(args.threads)
    reward = reward_model_reward(args.model or default_backbone(), batch_size=args.batch_size, device=args.device,
                                 max_length=args.max_length, name="minilm")
    warm_prompts, warm_completions = grpo_batch(args.group, args.group)
    reward(prompts=warm_prompts, completions=warm_completions)  # warm-up (allocations, the device move)
    device = next(reward.model.parameters()).device
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"MiniLM reward on {device}, max length {args.max_length}, batch {args.batch_size}, "
          f"{args.threads} thread(s), load average {load:.2f}")
    results = []
    for n in sizes:
        prompts, completions = grpo_batch(n, args.group)
        result = measure(reward, prompts, completions, args.max_length)
        results.append(result)
        print(f"{n} completions ({n // args.group} prompts x {args.group}, {result['tokens']} tokens): "
              f"loop {result['loop_seconds']:.2f} s, one per call {result['single_seconds']:.2f} s, "
              f"batched {result['batched_seconds']:.2f} s -> {result['ratio']:.2f}x the loop, "
              f"{result['ratio_single']:.2f}x one per call ({n / result['batched_seconds']:.0f} completions/s; "
              f"rewards agree to {result['max_score_gap']:.1e}, with the loop to {result['max_loop_gap']:.1e} "
              f"on {result['compared']} untruncated)")
    return {"device": str(device), "threads": args.threads, "load_average": load, "results": results}


if __name__ == "__main__":
    main()
