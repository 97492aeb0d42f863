"""`workbench eval`'s scorer vs a one-example-at-a-time loop: seconds to score N pairs, and their ratio.

Data: the first ``--pairs`` hh-rlhf harmless test pairs (``../shared/data``; without it the
bundled ``data/hh_rlhf_harmless_sample.jsonl.gz`` and ``data/eval/hh_harmless_pairs.jsonl.gz``,
at most 520 pairs), read as TRL pairs (the implicit prompt split off). Model: the offline
MiniLM reward model (random head: speed does not depend on the weights), float32.

* baseline ("loop"): for each pair, for chosen and rejected, ``tokenizer(prompt + response,
  truncation=True, max_length=L)`` then ``model(**enc)`` under ``torch.no_grad()``: the loop
  people write first;
* ours ("batched"): :func:`workbench.evaluation.score_set`: every sequence encoded once,
  sorted by length, batches of ``--batch-size`` (and at most 4,096 padded tokens),
  ``torch.inference_mode``; in float32 and again with the model in bfloat16.

The float32 scores are checked equal to the loop's (to 1e-4) on the sequences shorter
than the limit (past it the loop's tokenizer cuts the response's end, ours the prompt's
start); for bfloat16 the script prints the largest score change and the share of pairs
whose winner is unchanged. ``torch.set_num_threads(--threads)`` (default 1: the dev box is
shared). ``--quick`` scores 16 pairs (the test).

    python benchmarks/eval_speed.py                 # 2,000 pairs, max length 256
    python benchmarks/eval_speed.py --quick
"""
from __future__ import annotations

import argparse
import copy
import gzip
import json
import os
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")


def load_pairs(n: int) -> tuple[list[dict], str]:
    """``n`` TRL rows (``chosen``, ``rejected``; implicit prompts) and where they came from."""
    from workbench.paths import DATA_DIR, shared_data_dir

    shared = shared_data_dir()
    if shared is not None and (shared / "hh-rlhf-harmless" / "test.jsonl.gz").is_file():
        with gzip.open(shared / "hh-rlhf-harmless" / "test.jsonl.gz", "rt", encoding="utf-8") as handle:
            rows = [json.loads(line) for _, line in zip(range(n), handle)]
        return [{"chosen": r["chosen"], "rejected": r["rejected"]} for r in rows], "shared hh-rlhf test"
    rows = []
    for name in ("hh_rlhf_harmless_sample.jsonl.gz", "eval/hh_harmless_pairs.jsonl.gz"):
        with gzip.open(DATA_DIR / name, "rt", encoding="utf-8") as handle:
            rows += [{k: v for k, v in json.loads(line).items() if k in ("prompt", "chosen", "rejected")}
                     for line in handle]
    return rows[:n], "bundled hh-rlhf samples"


def loop_scores(model, tokenizer, eval_set, max_length: int) -> list[list[float]]:
    """The baseline: one sequence per forward pass, in data order."""
    import torch

    out = []
    model.eval()
    with torch.no_grad():
        for ex in eval_set.examples:
            row = []
            for response in ex.responses:
                enc = tokenizer(ex.prompt + response, truncation=True, max_length=max_length, return_tensors="pt")
                row.append(float(model(**enc).logits[0, 0]))
            out.append(row)
    return out


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=2000)
    parser.add_argument("--max-length", type=int, default=256)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--model", default=None, help="checkpoint (default: the offline MiniLM)")
    parser.add_argument("--quick", action="store_true", help="16 pairs: checks the code path")
    args = parser.parse_args(argv)
    n_pairs = 16 if args.quick else args.pairs

    import numpy as np
    import torch

    from workbench.evaluation import load_eval_set, score_set
    from workbench.models import load_reward_model

    torch.set_num_threads(args.threads)
    rows, source = load_pairs(n_pairs)
    eval_set = load_eval_set(rows, format="trl")
    model, tokenizer = load_reward_model(args.model)
    score_set(model, tokenizer, eval_set.head(4), max_length=args.max_length)  # warm-up (allocations, kernels)

    start = time.perf_counter()
    batched = score_set(model, tokenizer, eval_set, max_length=args.max_length, batch_size=args.batch_size)
    batched_seconds = time.perf_counter() - start
    half = copy.deepcopy(model).to(torch.bfloat16)
    score_set(half, tokenizer, eval_set.head(4), max_length=args.max_length)
    start = time.perf_counter()
    batched_bf16 = score_set(half, tokenizer, eval_set, max_length=args.max_length, batch_size=args.batch_size)
    bf16_seconds = time.perf_counter() - start
    start = time.perf_counter()
    looped = loop_scores(model, tokenizer, eval_set, args.max_length)
    loop_seconds = time.perf_counter() - start

    # Past max_length the loop's tokenizer cuts the end and ours the prompt's start: compare the rest.
    from workbench.evaluation.scoring import encode_set

    ids, _ = encode_set(eval_set, tokenizer, max_length=args.max_length)
    intact = [(n, k) for n, group in enumerate(ids) for k, seq in enumerate(group) if len(seq) < args.max_length]
    gap = max(abs(float(batched.scores[n][k]) - looped[n][k]) for n, k in intact)
    if gap > 1e-4:
        raise AssertionError(f"batched and looped scores differ by {gap:.2e}: not the same computation")
    full, low = np.array([s[0] - s[1] for s in batched.scores]), np.array([s[0] - s[1] for s in batched_bf16.scores])
    bf16_gap = max(float(np.abs(a - b).max()) for a, b in zip(batched.scores, batched_bf16.scores))
    scale = max(1.0, max(float(np.abs(a).max()) for a in batched.scores))
    result = {"pairs": len(eval_set), "source": source, "sequences": batched.n_sequences,
              "truncated": batched.truncated, "loop_seconds": loop_seconds, "batched_seconds": batched_seconds,
              "bf16_seconds": bf16_seconds, "ratio": loop_seconds / batched_seconds,
              "ratio_bf16": loop_seconds / bf16_seconds, "max_score_gap": gap, "compared": len(intact),
              "bf16_relative_gap": bf16_gap / scale, "bf16_same_winner": float(np.mean((full > 0) == (low > 0))),
              "threads": args.threads, "load_average": os.getloadavg()[0] if hasattr(os, "getloadavg") else None}
    print(f"{len(eval_set)} pairs ({source}), {batched.n_sequences} sequences ({batched.truncated} pairs "
          f"truncated), max length {args.max_length}, {args.threads} thread(s), "
          f"load average {result['load_average']:.2f}")
    print(f"loop (one sequence per forward, float32): {loop_seconds:.1f} s")
    print(f"batched float32 (length-sorted, batch {args.batch_size}, inference mode): {batched_seconds:.1f} s"
          f"  -> {result['ratio']:.2f}x  (scores agree with the loop to {gap:.1e} on the {len(intact)} "
          "sequences neither side truncated)")
    print(f"batched bfloat16: {bf16_seconds:.1f} s  -> {result['ratio_bf16']:.2f}x  (max |Δ| {bf16_gap:.1e} = "
          f"{result['bf16_relative_gap']:.1e} of the score scale; same winner on "
          f"{result['bf16_same_winner']:.1%} of pairs)")
    return result


if __name__ == "__main__":
    main()
