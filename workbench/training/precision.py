"""The precision a run trains in: ``mixed_precision="auto"`` resolved once, before the first step.

On a GPU, auto is bf16 where the GPU supports it (else fp32), as before. On a CPU, bf16
autocast pays for itself only when the CPU computes in bf16 natively and the steps are
large: ``benchmarks/bf16_by_length.py`` measured MiniLM forward+backward on an AMX
Xeon at 1.6-2.2x faster than fp32 for 32 sequences of 32-512 tokens, but 0.70x for 2
sequences of 16 tokens, where autocast's casts of every weight cost more than the
matmuls they speed up, and slower for narrow models at any batch. So auto on a CPU is
bf16 when all of these hold, else fp32:

* :func:`cpu_has_native_bf16`: AVX512-BF16 or AMX (x86), the BF16 extension (ARM);
* :func:`tokens_per_micro_step` >= :data:`CPU_BF16_MIN_TOKENS` and sequences of
  :data:`CPU_BF16_MIN_LENGTH` tokens or more on average, from the encoded data;
* a model at least :data:`CPU_BF16_MIN_WIDTH` wide (:func:`model_width`).

A run whose data the loop does not encode (a caller's ``collate_fn``: feature models,
language-model traces) has no token count here and stays in fp32, as does a model
whose width its config does not give.
"""
from __future__ import annotations

import platform
from dataclasses import dataclass

import torch

# Tokens per forward pass (all sequences of a micro-batch, padding included) from which auto
# picks bf16 on a CPU with native bf16. Why 1024: benchmarks/bf16_by_length.py on the AMX Xeon
# (1 thread, MiniLM, S sequences x L tokens; benchmarks/RESULTS.md) measured fp32 / bf16 at
# 0.74-1.00x up to 128 tokens, 1.15-1.19x at 256, 1.29-1.31x at 512 and 1.31-2.2x from 1024 up
# (sequences of 24+ tokens). Starting at 4-8x the break-even (~128) keeps a margin for CPUs
# with less bf16 advantage than AMX (AVX512-BF16 alone) and leaves the small teaching runs
# (the notebooks' and the tests' tiny models, a few hundred tokens per step) in fp32 as before;
# the 1.15-1.3x between 256 and 1024 tokens is given up for that.
CPU_BF16_MIN_TOKENS = 1024
# Mean tokens per sequence below which bf16 does not pay at any batch: at L = 16 the same
# benchmark measured 0.74-0.89x for 2-32 sequences and 0.96x / 1.02x for 64 / 128 (casts and
# the non-matmul work dominate), while L = 24 gave 1.21-1.31x and L = 32 1.15-1.31x.
CPU_BF16_MIN_LENGTH = 24
# Hidden size below which bf16 does not pay: random 6-layer BERTs of MiniLM's shape on the same
# CPU (bf16_by_length.py --hidden) ran 0.5-0.8x at widths 32-128 even at 4096 tokens per step
# (matmuls too small for the casts to amortise: the tests' tiny models), 1.1-1.2x at 256 and
# 1.2-1.5x at 384 (MiniLM's width, where the thresholds above were measured).
CPU_BF16_MIN_WIDTH = 256


@dataclass(frozen=True)
class PrecisionChoice:
    """What a run trains in and why; ``precision`` is accelerate's ``no``/``bf16``/``fp16``."""

    precision: str
    reason: str

    @property
    def label(self) -> str:
        """``fp32``, ``bf16`` or ``fp16``: the name a reader expects in a log line or metrics.json."""
        return "fp32" if self.precision == "no" else self.precision


def cpu_has_native_bf16() -> bool:
    """Whether this CPU computes in bf16 natively; False (never an error) where torch cannot tell.

    On x86 ``torch.ops.mkldnn._is_mkldnn_bf16_supported()`` is also True on plain AVX-512
    CPUs (oneDNN emulates bf16 there, slower than fp32), so x86 asks for the AVX512-BF16
    or AMX instructions themselves."""
    try:
        if platform.machine().lower() in ("x86_64", "amd64", "i386", "i686"):
            checks = [getattr(torch.cpu, name, None) for name in ("_is_avx512_bf16_supported",
                                                                  "_is_amx_tile_supported")]
            return any(bool(check()) for check in checks if check is not None)
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())  # ARM: the BF16 extension (cpuinfo)
    except Exception:  # noqa: BLE001 - a torch build without these ops: no native bf16 known
        return False


def tokens_per_micro_step(lengths, batch_size: float, *, sequences_per_item: float = 2.0) -> float:
    """Mean tokens one forward pass sees: ``batch_size x sequences_per_item x`` the mean
    longest sequence of an item (``lengths``, as :class:`~workbench.data.EncodedRecords`
    keeps them; length-grouped batches pad little beyond each item's own longest)."""
    if not lengths:
        return 0.0
    return batch_size * sequences_per_item * sum(lengths) / len(lengths)


def choose_precision(requested: str, *, cuda: bool, cuda_bf16: bool = False, cpu_bf16: bool = False,
                     tokens: float | None = None, length: float | None = None,
                     width: int | None = None) -> PrecisionChoice:
    """Resolve ``requested`` (``auto``/``no``/``bf16``/``fp16``) for one run; a pure function of its
    arguments, so the rule can be tested on any machine.

    ``tokens``: :func:`tokens_per_micro_step`, or None when the loop does not know the work
    per step (a caller's collator); ``length``: mean tokens per sequence (None: not checked);
    ``width``: :func:`model_width` (None: unknown, so fp32)."""
    # read at each call, not bound as defaults: tests lower them
    min_tokens, min_length, min_width = CPU_BF16_MIN_TOKENS, CPU_BF16_MIN_LENGTH, CPU_BF16_MIN_WIDTH
    if requested != "auto":
        return PrecisionChoice(requested, "requested")
    if cuda:
        return (PrecisionChoice("bf16", "auto: GPU with bf16") if cuda_bf16
                else PrecisionChoice("no", "auto: GPU without bf16"))
    if not cpu_bf16:
        return PrecisionChoice("no", "auto: CPU without native bf16")
    if tokens is None:
        return PrecisionChoice("no", "auto: CPU, tokens per step unknown (own collate_fn)")
    if width is None or width < min_width:
        return PrecisionChoice("no", f"auto: CPU with native bf16, model width {width} < {min_width}"
                               if width is not None else "auto: CPU, model width unknown")
    if tokens < min_tokens:
        return PrecisionChoice("no", f"auto: CPU with native bf16, {tokens:.0f} tokens per micro-step "
                                     f"< {min_tokens}")
    if length is not None and length < min_length:
        return PrecisionChoice("no", f"auto: CPU with native bf16, sequences of {length:.0f} tokens on "
                                     f"average < {min_length}")
    return PrecisionChoice("bf16", f"auto: CPU with native bf16, {tokens:.0f} tokens per micro-step "
                                   f">= {min_tokens}")


def model_width(model) -> int | None:
    """The hidden size from ``model.config`` (``hidden_size``, or GPT-2's ``n_embd``, T5's ``d_model``)."""
    config = getattr(model, "config", None)
    for name in ("hidden_size", "n_embd", "d_model"):
        value = getattr(config, name, None)
        if isinstance(value, int):
            return value
    return None


def precision_for_run(requested: str, *, data=None, batch_size: int = 1, model=None) -> PrecisionChoice:
    """:func:`choose_precision` on this machine, for ``data`` (``EncodedRecords``, or anything
    else when a caller's collator decides the lengths) in micro-batches of ``batch_size`` (all
    processes together) through ``model``."""
    cuda = torch.cuda.is_available()
    if requested != "auto" or cuda:
        return choose_precision(requested, cuda=cuda, cuda_bf16=cuda and torch.cuda.is_bf16_supported())
    lengths = getattr(data, "lengths", None) if getattr(data, "kind", None) in ("pairwise", "listwise") else None
    tokens = length = None
    if lengths:
        per_item = 2.0 if data.kind == "pairwise" else (
            sum(len(it["responses"]) for it in data.items) / max(1, len(data.items)))
        from accelerate import PartialState  # batch_size is split over the processes (split_batches)

        per_process = batch_size / PartialState(cpu=True).num_processes
        tokens = tokens_per_micro_step(lengths, per_process, sequences_per_item=per_item)
        length = sum(lengths) / len(lengths)
    return choose_precision(requested, cuda=False, cpu_bf16=cpu_has_native_bf16(), tokens=tokens, length=length,
                            width=model_width(model))
