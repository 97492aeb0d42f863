"""Score every response of an evaluation set: length-sorted batches, no gradients.

Each response is rendered with its prompt exactly as training renders it
(:func:`workbench.data.encode_records`: ``prompt + response`` for text, the chat template
for messages; prompt tokens cut from the left past ``max_length``). All sequences of all
examples are then sorted by token count and cut into batches (at most ``batch_size``
sequences and :data:`MAX_TOKENS` padded tokens), so a batch holds sequences of nearly one
length and padding costs little; one :func:`workbench.models.forward_scores` call per batch
under ``torch.inference_mode``. The model scores in the dtype it has: load it in bfloat16
(``workbench eval --dtype bfloat16``) where the hardware has fast bf16 matmuls (GPUs, CPUs
with AMX) and the doctor's ``dtype`` check passes. Scores come back per example in
``responses`` order (chosen first).

Shapes: N examples, K_n responses each, S = sum_n K_n sequences; a batch is (b, L) ids.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from tqdm.auto import tqdm

from workbench.evaluation.formats import EvalSet

# Padded tokens per batch: past a few thousand, a CPU forward gains nothing from more rows and
# attention's (b, heads, L, L) scores grow with L^2 (measured on MiniLM: 32 x 256 tokens ran
# slower per sequence than 8 x 256).
MAX_TOKENS = 4096


def token_budget_batches(lengths: list[int], batch_size: int, max_tokens: int | None) -> list[tuple[int, int]]:
    """``(start, stop)`` cuts of ``lengths`` (in batch order): at most ``batch_size`` rows and
    ``rows * longest <= max_tokens`` (always at least one row)."""
    cuts, start = [], 0
    while start < len(lengths):
        stop, longest = start, 0
        while stop < len(lengths) and stop - start < batch_size:
            longest_next = max(longest, lengths[stop])
            if max_tokens is not None and stop > start and longest_next * (stop - start + 1) > max_tokens:
                break
            longest, stop = longest_next, stop + 1
        cuts.append((start, stop))
        start = stop
    return cuts


@dataclass
class ScoredSet:
    """Scores (K_n,) per example; ``truncated``: examples with at least one sequence shortened."""

    scores: list[np.ndarray]
    truncated: int
    n_sequences: int


def encode_set(eval_set: EvalSet, tokenizer, *, max_length: int = 512):
    """Token ids of every response, grouped per example: ``(ids per example, TruncationReport)``."""
    from workbench.data import RankedList, encode_records

    # RankedList is only the carrier that encode_records renders and truncates; labels are unused.
    records = [RankedList(prompt=ex.prompt if ex.prompt != "" else None, responses=list(ex.responses),
                          labels=[0.0] * len(ex.responses)) for ex in eval_set.examples]
    encoded = encode_records(records, tokenizer, max_length=max_length)
    return [item["responses"] for item in encoded.items], encoded.report


@torch.inference_mode()
def score_sequences(model, sequences: list[list[int]], pad_token_id: int, *, batch_size: int = 64,
                    padding_side: str = "right", sort_by_length: bool = True, max_tokens: int | None = MAX_TOKENS,
                    progress: bool = False) -> np.ndarray:
    """Rewards (S,) of S token lists, batched by length (``sort_by_length``) or as given; the input order is kept.

    A batch holds at most ``batch_size`` sequences and ``max_tokens`` padded tokens (None: no
    token limit), so long sequences come in smaller batches.
    """
    from workbench.data import pad_sequences
    from workbench.models import eval_mode, forward_scores

    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    order = list(range(len(sequences)))
    if sort_by_length:
        order.sort(key=lambda i: len(sequences[i]))
    scores = np.empty(len(sequences), dtype=np.float64)
    device = next(model.parameters()).device
    batches = token_budget_batches([len(sequences[i]) for i in order], batch_size, max_tokens)
    with eval_mode(model):
        for start, stop in tqdm(batches, desc="score", disable=not progress, leave=False):
            idx = order[start:stop]
            ids, mask = pad_sequences([sequences[i] for i in idx], pad_token_id, padding_side=padding_side)
            scores[idx] = forward_scores(model, ids.to(device), mask.to(device)).cpu().double().numpy()
    return scores


def score_set(model, tokenizer, eval_set: EvalSet, *, max_length: int = 512, batch_size: int = 64,
              progress: bool = False) -> ScoredSet:
    """Scores of every response of ``eval_set`` under ``model`` (see the module docstring)."""
    grouped, report = encode_set(eval_set, tokenizer, max_length=max_length)
    flat = [seq for group in grouped for seq in group]
    scores = score_sequences(model, flat, tokenizer.pad_token_id, batch_size=batch_size, progress=progress)
    out, position = [], 0
    for group in grouped:
        out.append(scores[position:position + len(group)])
        position += len(group)
    return ScoredSet(out, report.n_truncated, len(flat))


def flatten_responses(eval_set: EvalSet) -> tuple[list, list]:
    """``(prompts, responses)``, one entry per response of every example (S,): for scorers that are
    not transformers models (frozen features + a head, a judge); :func:`regroup_scores` undoes it."""
    prompts = [ex.prompt for ex in eval_set.examples for _ in ex.responses]
    return prompts, [r for ex in eval_set.examples for r in ex.responses]


def regroup_scores(eval_set: EvalSet, flat) -> list[np.ndarray]:
    """Flat scores (S,) in :func:`flatten_responses` order -> scores (K_n,) per example."""
    flat = np.asarray(flat, dtype=float)
    sizes = [len(ex.responses) for ex in eval_set.examples]
    if len(flat) != sum(sizes):
        raise ValueError(f"{len(flat)} scores for {sum(sizes)} responses")
    return np.split(flat, np.cumsum(sizes)[:-1])
