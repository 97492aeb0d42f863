"""Batches: padding collators for pairs and lists, and a sampler that groups similar lengths.

Pairwise batch (B pairs): ``input_ids``/``attention_mask`` (2B, L), rows ``0..B-1`` the
chosen and ``B..2B-1`` the rejected sequences, so one forward pass scores both;
``margin`` (B,) float (0 where a record has none), ``tie`` (B,) bool.

Listwise batch (B lists, K_max the longest list): all responses flattened into
``input_ids``/``attention_mask`` (N, L) with N = sum of the K_b; ``index`` (B, K_max)
long gives each list slot's row in that flat batch (0 at padding), ``mask`` (B, K_max)
bool (True = real response), ``labels`` (B, K_max) float, ``top_k`` (B,) long
(K_max where the whole list is ranked). Scores of shape (B, K_max) are
``flat_scores[index]``.
"""
from __future__ import annotations

import math
import random

import torch


def pad_sequences(seqs: list[list[int]], pad_token_id: int, *, padding_side: str = "right",
                  pad_to_multiple_of: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """(N, L) ids and attention mask for N token lists; L = longest (rounded up to a multiple)."""
    length = max(len(s) for s in seqs)
    if pad_to_multiple_of:
        length = int(math.ceil(length / pad_to_multiple_of) * pad_to_multiple_of)
    ids = torch.full((len(seqs), length), pad_token_id, dtype=torch.long)
    mask = torch.zeros((len(seqs), length), dtype=torch.long)
    for n, s in enumerate(seqs):
        if padding_side == "right":
            ids[n, :len(s)] = torch.tensor(s, dtype=torch.long)
            mask[n, :len(s)] = 1
        else:
            ids[n, length - len(s):] = torch.tensor(s, dtype=torch.long)
            mask[n, length - len(s):] = 1
    return ids, mask


class PairwiseCollator:
    """List of encoded pairs -> one (2B, L) batch, chosen rows first."""

    def __init__(self, pad_token_id: int, *, padding_side: str = "right", pad_to_multiple_of: int | None = None):
        self.pad_token_id, self.padding_side, self.multiple = pad_token_id, padding_side, pad_to_multiple_of

    def __call__(self, items: list[dict]) -> dict:
        seqs = [it["chosen"] for it in items] + [it["rejected"] for it in items]
        ids, mask = pad_sequences(seqs, self.pad_token_id, padding_side=self.padding_side,
                                  pad_to_multiple_of=self.multiple)
        margin = torch.tensor([it.get("margin") or 0.0 for it in items], dtype=torch.float32)
        tie = torch.tensor([bool(it.get("tie")) for it in items], dtype=torch.bool)
        return {"input_ids": ids, "attention_mask": mask, "margin": margin, "tie": tie}


class ListwiseCollator:
    """List of encoded ranked lists -> flat (N, L) batch plus (B, K_max) index, mask, labels."""

    def __init__(self, pad_token_id: int, *, padding_side: str = "right", pad_to_multiple_of: int | None = None):
        self.pad_token_id, self.padding_side, self.multiple = pad_token_id, padding_side, pad_to_multiple_of

    def __call__(self, items: list[dict]) -> dict:
        k_max = max(len(it["responses"]) for it in items)
        index = torch.zeros((len(items), k_max), dtype=torch.long)
        mask = torch.zeros((len(items), k_max), dtype=torch.bool)
        labels = torch.zeros((len(items), k_max), dtype=torch.float32)
        top_k = torch.full((len(items),), k_max, dtype=torch.long)
        seqs = []
        for b, it in enumerate(items):
            k = len(it["responses"])
            index[b, :k] = torch.arange(len(seqs), len(seqs) + k)
            mask[b, :k] = True
            labels[b, :k] = torch.tensor(it["labels"], dtype=torch.float32)
            if it.get("top_k") is not None:
                top_k[b] = it["top_k"]
            seqs.extend(it["responses"])
        ids, attention = pad_sequences(seqs, self.pad_token_id, padding_side=self.padding_side,
                                       pad_to_multiple_of=self.multiple)
        return {"input_ids": ids, "attention_mask": attention, "index": index, "mask": mask,
                "labels": labels, "top_k": top_k}


def collator_for(kind: str, pad_token_id: int, **kwargs):
    """The collator for ``pairwise`` or ``listwise`` encoded records."""
    if kind == "pairwise":
        return PairwiseCollator(pad_token_id, **kwargs)
    if kind == "listwise":
        return ListwiseCollator(pad_token_id, **kwargs)
    raise ValueError(f"unknown record kind {kind!r}")


class LengthGroupedBatchSampler(torch.utils.data.Sampler):
    """Batches of similar length, in random order: less padding, same data per epoch.

    Shuffle all indices (seeded by ``seed + epoch``), cut them into mega-batches of
    ``batch_size * group`` items, sort each mega-batch by length and split it into
    batches, then shuffle the batch order. ``group=1`` (or ``lengths=None``) is plain
    shuffled batching. Deterministic given (seed, epoch), so a resumed run sees the
    same batches.
    """

    def __init__(self, lengths: list[int] | None, batch_size: int, *, n_items: int | None = None,
                 shuffle: bool = True, group: int = 64, seed: int = 0, drop_last: bool = False):
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        self.lengths = lengths
        self.n = len(lengths) if lengths is not None else int(n_items)
        self.batch_size, self.shuffle, self.group = batch_size, shuffle, max(1, group)
        self.seed, self.drop_last, self.epoch = seed, drop_last, 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def batches(self) -> list[list[int]]:
        rng = random.Random(self.seed + self.epoch)
        order = list(range(self.n))
        if self.shuffle:
            rng.shuffle(order)
        if self.lengths is not None and self.group > 1:
            size = self.batch_size * self.group
            order = [i for start in range(0, self.n, size)
                     for i in sorted(order[start:start + size], key=lambda j: -self.lengths[j])]
        batches = [order[s:s + self.batch_size] for s in range(0, self.n, self.batch_size)]
        if self.drop_last and batches and len(batches[-1]) < self.batch_size:
            batches.pop()
        if self.shuffle:
            rng.shuffle(batches)
        return batches

    def __iter__(self):
        return iter(self.batches())

    def __len__(self) -> int:
        return self.n // self.batch_size if self.drop_last else math.ceil(self.n / self.batch_size)
