"""The limit, printed: a matmul peak measured in this run, and a training run's model FLOP/s as a fraction of it.

Peak: the best of a few ``(n, n) @ (n, n)`` products (2 n^3 FLOPs each) in float32 and
in bfloat16, timed on the threads the benchmark itself uses (``torch.get_num_threads()``
at the call), after a warm-up. It is the machine's dense-matmul throughput as PyTorch
reaches it here, not a vendor figure: a reader sees how far a training loop is from
what the same cores did a moment before.

Model FLOPs of a training step (Kaplan et al. 2020, eq. 2.1; the attention term as in
Chowdhery et al. 2022, "PaLM", appendix B), per sequence of ``l`` real tokens:

    6 * N * l  +  12 * n_layers * d_model * l^2

``N`` = parameters outside embedding tables (token, position, token-type embeddings
only look up rows; the score head counts). ``6 N`` per token is forward (2 N) plus
backward (4 N) through the weight matmuls. ``12 L d l`` per token is the attention
scores ``QK^T`` and the weighted sum ``AV`` (2 * 2 * d * l forward per layer), times 3
with backward; causal masking is not discounted (PaLM's convention; a dense kernel
computes the full square). Padding tokens are not counted, so two trainers on the same
data are credited the same work and their fractions of peak compare like their
speeds. A packed row (shared prompt) counts as one sequence of its real length: it is
credited the work it does, which is less than the plain path's for the same pairs.
Recomputation (gradient checkpointing) and the optimiser step are not counted.
"""
from __future__ import annotations

import time
from collections.abc import Iterable

import torch


def matmul_peak(dtype: torch.dtype = torch.float32, *, n: int = 1024, repeats: int = 16) -> float:
    """FLOP/s of the best of ``repeats`` (n, n) @ (n, n) matmuls in ``dtype`` on the current threads."""
    a, b = torch.randn(n, n).to(dtype), torch.randn(n, n).to(dtype)
    torch.mm(a, b)  # warm-up: kernel selection, page faults
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        torch.mm(a, b)
        best = min(best, time.perf_counter() - start)
    return 2 * n ** 3 / best


def peaks(n: int = 1024) -> dict[str, float]:
    """{"fp32": FLOP/s, "bf16": FLOP/s} measured now on ``torch.get_num_threads()`` threads."""
    return {"fp32": matmul_peak(torch.float32, n=n), "bf16": matmul_peak(torch.bfloat16, n=n)}


def non_embedding_parameters(model: torch.nn.Module) -> int:
    """Parameters outside ``nn.Embedding`` tables (the matmul weights, norms, biases and the head)."""
    embedded = {id(p) for m in model.modules() if isinstance(m, torch.nn.Embedding) for p in m.parameters()}
    return sum(p.numel() for p in model.parameters() if id(p) not in embedded)


def shape_of(model: torch.nn.Module) -> tuple[int, int]:
    """(n_layers, d_model) from a transformers config (GPT-2's n_layer/n_embd names included)."""
    config = model.config
    layers = getattr(config, "num_hidden_layers", None) or getattr(config, "n_layer")
    hidden = getattr(config, "hidden_size", None) or getattr(config, "n_embd")
    return int(layers), int(hidden)


def training_flops(model: torch.nn.Module, lengths: Iterable[int]) -> float:
    """Model FLOPs of one forward+backward over sequences of these real lengths (module docstring)."""
    n_params, (layers, hidden) = non_embedding_parameters(model), shape_of(model)
    return float(sum(6 * n_params * l + 12 * layers * hidden * l * l for l in lengths))


def load_average() -> str:
    """The 1/5/15-minute load averages, as ``os.getloadavg`` gives them (other processes on the cores)."""
    import os

    return "{:.2f} / {:.2f} / {:.2f}".format(*os.getloadavg())


def describe(flops: float, seconds: float, peak: dict[str, float], precision: str = "fp32") -> str:
    """``"X GFLOP/s = Y% of the fp32 peak (Z% of bf16)"``; ``precision`` names the peak that applies."""
    achieved = flops / seconds
    other = "bf16" if precision == "fp32" else "fp32"
    return (f"{achieved / 1e9:6.1f} GFLOP/s = {100 * achieved / peak[precision]:4.1f}% of the {precision} peak "
            f"({100 * achieved / peak[other]:.1f}% of {other})")


def print_peaks(peak: dict[str, float]) -> None:
    print(f"matmul peak on {torch.get_num_threads()} thread(s): fp32 {peak['fp32'] / 1e9:.1f} GFLOP/s, "
          f"bf16 {peak['bf16'] / 1e9:.1f} GFLOP/s; load average {load_average()}")
