"""fp32 vs bf16 autocast per sequence length: MiniLM forward+backward on this CPU, in one run.

The measurement behind ``mixed_precision="auto"`` on a CPU (issue 16, item 2;
``workbench/training/precision.py``). The offline MiniLM reward model (dropout off), S
random sequences of L tokens (S = 32: 16 pairs), loss = sum of the scores,
forward+backward in float32 and under ``torch.autocast("cpu", torch.bfloat16)``, median
of 3 after one warm-up step, for each S and L. Each time is also printed as a fraction
of the fp32 / bf16 matmul peak measured at the start on the same threads
(``benchmarks/_peak.py``), and beside it what ``mixed_precision="auto"`` would choose
for a step of S x L tokens on this CPU.

    python benchmarks/bf16_by_length.py                    # L = 32 .. 512, ~2 minutes on 1 thread
    python benchmarks/bf16_by_length.py --lengths 16 32 64 --sequences 2 8 16   # around the threshold
    python benchmarks/bf16_by_length.py --hidden 32 128 256 --lengths 64 --sequences 16   # model width

``--hidden`` replaces MiniLM by random BERTs of MiniLM's shape (6 layers, 32-dim heads,
feed-forward 4x) at those widths: the tests' tiny models are 32 wide.
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


def random_bert(hidden: int):
    """A random BERT reward model of MiniLM's shape at width ``hidden`` (dropout off)."""
    import torch
    from transformers import AutoModelForSequenceClassification, BertConfig

    config = BertConfig(hidden_size=hidden, num_hidden_layers=6, num_attention_heads=max(1, hidden // 32),
                        intermediate_size=4 * hidden, num_labels=1, hidden_dropout_prob=0.0,
                        attention_probs_dropout_prob=0.0)
    torch.manual_seed(0)
    return AutoModelForSequenceClassification.from_config(config)


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lengths", type=int, nargs="+", default=[32, 64, 128, 256, 512])
    parser.add_argument("--sequences", type=int, nargs="+", default=[32])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--hidden", type=int, nargs="+", default=None,
                        help="random 6-layer BERTs of these widths instead of MiniLM")
    args = parser.parse_args(argv)

    import torch

    from workbench.models import load_reward_model
    from workbench.training.precision import (CPU_BF16_MIN_LENGTH, CPU_BF16_MIN_TOKENS, CPU_BF16_MIN_WIDTH,
                                              choose_precision, cpu_has_native_bf16, model_width)

    torch.set_num_threads(args.threads)
    peak = _peak.peaks()
    _peak.print_peaks(peak)
    native = cpu_has_native_bf16()
    print(f"native bf16 on this CPU: {native}; auto picks bf16 from {CPU_BF16_MIN_TOKENS} tokens per forward "
          f"pass, sequences of {CPU_BF16_MIN_LENGTH}+ tokens, models {CPU_BF16_MIN_WIDTH}+ wide")
    ratios = {}
    for hidden in args.hidden or [None]:
        model = (load_reward_model(hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)[0] if hidden is None
                 else random_bert(hidden))
        model.train()
        width = model_width(model)
        for sequences in args.sequences:
            for length in args.lengths:
                ids = torch.randint(1000, 20000, (sequences, length),
                                    generator=torch.Generator().manual_seed(length))
                fp32, bf16 = (step_seconds(model, ids, flag, args.repeats) for flag in (False, True))
                flops = _peak.training_flops(model, [length] * sequences)
                ratios[(sequences, length) if hidden is None else (hidden, sequences, length)] = fp32 / bf16
                auto = choose_precision("auto", cuda=False, cpu_bf16=native, tokens=sequences * length,
                                        length=length, width=width).label
                print(f"width {width:4d}, S = {sequences:3d}, L = {length:4d} ({sequences * length:6d} tokens): "
                      f"fp32 {fp32 * 1000:8.1f} ms ({_peak.describe(flops, fp32, peak, 'fp32')}), "
                      f"bf16 {bf16 * 1000:8.1f} ms ({_peak.describe(flops, bf16, peak, 'bf16')}), "
                      f"fp32 / bf16 {fp32 / bf16:.2f}x, auto: {auto} "
                      f"({'right' if (auto == 'bf16') == (fp32 > bf16) else 'the slower'})", flush=True)
    print(f"load average {_peak.load_average()}")
    return ratios


if __name__ == "__main__":
    main()
