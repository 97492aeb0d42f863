"""fp32 vs bf16 autocast per sequence length: MiniLM forward+backward on this CPU, in one run.

The measurement the choice of ``mixed_precision`` per run needs (issue 16, item 2; the
choice itself is not made here). The offline MiniLM reward model (dropout off), 32
random sequences of L tokens (16 pairs), loss = sum of the scores, forward+backward in
float32 and under ``torch.autocast("cpu", torch.bfloat16)``, median of 3 after one
warm-up step, for each L. Each time is also printed as a fraction of the fp32 / bf16
matmul peak measured at the start on the same threads (``benchmarks/_peak.py``).

    python benchmarks/bf16_by_length.py                    # L = 32 .. 512, ~2 minutes on 1 thread
    python benchmarks/bf16_by_length.py --lengths 64 128 --sequences 8
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # benchmarks/_peak.py, beside this script
import _peak  # noqa: E402


def step_seconds(model, ids, bf16: bool, repeats: int) -> float:
    """Median seconds of one forward+backward over ``ids`` (one warm-up step first)."""
    import torch

    times = []
    for i in range(repeats + 1):
        model.zero_grad(set_to_none=True)
        start = time.perf_counter()
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            scores = model(input_ids=ids, attention_mask=torch.ones_like(ids)).logits
        scores.float().sum().backward()
        if i:
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lengths", type=int, nargs="+", default=[32, 64, 128, 256, 512])
    parser.add_argument("--sequences", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)

    import torch

    from workbench.models import load_reward_model

    torch.set_num_threads(args.threads)
    model, _ = load_reward_model(hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)
    model.train()
    peak = _peak.peaks()
    _peak.print_peaks(peak)
    ratios = {}
    for length in args.lengths:
        ids = torch.randint(1000, 20000, (args.sequences, length), generator=torch.Generator().manual_seed(length))
        fp32, bf16 = (step_seconds(model, ids, flag, args.repeats) for flag in (False, True))
        flops = _peak.training_flops(model, [length] * args.sequences)
        ratios[length] = fp32 / bf16
        print(f"L = {length:4d}: fp32 {fp32 * 1000:8.1f} ms ({_peak.describe(flops, fp32, peak, 'fp32')}), "
              f"bf16 {bf16 * 1000:8.1f} ms ({_peak.describe(flops, bf16, peak, 'bf16')}), "
              f"fp32 / bf16 {fp32 / bf16:.2f}x", flush=True)
    print(f"load average {_peak.load_average()}")
    return ratios


if __name__ == "__main__":
    main()
