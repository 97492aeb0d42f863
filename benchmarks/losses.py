"""Plackett-Luce forward+backward: vectorised (logcumsumexp) vs the textbook loop.

Baseline: the seed code's loop over places, batched over lists, one
``logsumexp`` per place (K kernel launches forward and backward). Ours: one
suffix log-sum-exp over the sorted list (a max-shifted reversed ``cumsum``, with
``logcumsumexp`` as its exact fallback). Batch 256, K = 4, 8, 32, 128, float32,
CPU; median of repeated runs. Prints one ratio per K (textbook time / ours), and
ours with ``torch.logcumsumexp`` for the suffix (the ablation) beside it.

    .venv/bin/python benchmarks/losses.py [--repeats 30]
"""
from __future__ import annotations

import argparse
import statistics
import time

import torch

import workbench.losses.listwise as listwise
from workbench.losses import plackett_luce


def logcumsumexp_suffix(s, mask):
    """The ablation: every suffix through ``torch.logcumsumexp``."""
    return torch.logcumsumexp(s.flip(-1), dim=-1).flip(-1)


def textbook_plackett_luce(scores: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    ordered = scores.gather(-1, torch.argsort(labels, dim=-1, descending=True, stable=True))
    total = torch.zeros(scores.shape[0], dtype=scores.dtype)
    for place in range(scores.shape[1]):
        total = total + torch.logsumexp(ordered[:, place:], dim=-1) - ordered[:, place]
    return total.mean()


def time_forward_backward(loss_fn, scores, labels, repeats: int) -> float:
    timings = []
    for _ in range(repeats + 3):  # the first runs warm up the allocator
        leaf = scores.clone().requires_grad_()
        start = time.perf_counter()
        loss_fn(leaf, labels).backward()
        timings.append(time.perf_counter() - start)
    return statistics.median(timings[3:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--batch", type=int, default=256)
    # One thread by default: on a shared 2-core machine two intra-op threads
    # contend with other jobs and the timings swing by 10x between runs.
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, batch {args.batch}")
    print(f"{'K':>5} {'textbook ms':>12} {'vectorised ms':>14} {'ratio':>7} {'with logcumsumexp ms':>21} {'ratio':>7}")
    for k in (4, 8, 32, 128):
        scores = torch.randn(args.batch, k) * 3
        labels = torch.stack([torch.randperm(k) for _ in range(args.batch)]).float()
        check = torch.allclose(plackett_luce(scores, labels), textbook_plackett_luce(scores, labels), rtol=1e-5)
        assert check, f"vectorised and textbook losses disagree at K={k}"
        slow = time_forward_backward(textbook_plackett_luce, scores, labels, args.repeats)
        fast = time_forward_backward(plackett_luce, scores, labels, args.repeats)
        shifted, listwise.suffix_logsumexp = listwise.suffix_logsumexp, logcumsumexp_suffix
        try:
            ablation = time_forward_backward(plackett_luce, scores, labels, args.repeats)
        finally:
            listwise.suffix_logsumexp = shifted
        print(f"{k:>5} {slow * 1e3:>12.3f} {fast * 1e3:>14.3f} {slow / fast:>6.1f}x "
              f"{ablation * 1e3:>21.3f} {slow / ablation:>6.1f}x")


if __name__ == "__main__":
    main()
