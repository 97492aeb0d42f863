"""Records -> token ids: render (prompt, response) as one text, truncate the prompt from the left.

Every scored sequence is ``render(prompt, response)``: plain text is
``prompt + response`` (TRL's convention; an implicit prompt is the shared
prefix of chosen and rejected), chat messages go through the tokenizer's chat
template. The full text is tokenised exactly as ``pipeline("text-classification")``
would; only when it is longer than ``max_length`` are prompt tokens dropped from
the left (the response is kept; a response longer than the budget alone is cut
at its end). Nothing is dropped silently: :class:`TruncationReport` counts it.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field

import torch

from workbench.data.records import PreferencePair, RankedList


@dataclass
class TruncationReport:
    """How many records had to be shortened to ``max_length``."""

    n_records: int = 0
    n_truncated: int = 0  # records with at least one sequence shortened
    n_response_truncated: int = 0  # records where even a response did not fit
    max_length: int = 0

    def __str__(self) -> str:
        return (f"{self.n_truncated}/{self.n_records} records truncated to {self.max_length} tokens "
                f"(prompt cut from the left; {self.n_response_truncated} with the response cut too)")


@dataclass
class EncodedRecords(torch.utils.data.Dataset):
    """Token ids of validated records; ``kind`` is ``pairwise`` or ``listwise``.

    pairwise item: ``{"chosen": [ids], "rejected": [ids], "margin": float|None, "tie": bool}``
    listwise item: ``{"responses": [[ids] * K], "labels": [K floats], "top_k": int|None}``
    ``lengths[i]`` is the longest sequence of item i (for batching by length).
    """

    kind: str
    items: list
    lengths: list
    report: TruncationReport = field(default_factory=TruncationReport)

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, i: int) -> dict:
        return self.items[i]


def _as_messages(value, role: str) -> list:
    return [{"role": role, "content": value}] if isinstance(value, str) else list(value)


def render(prompt, response, tokenizer) -> tuple[str, int]:
    """(text, index of the first response character) for one (prompt, response).

    Text only: ``prompt + response``. Any chat messages: the chat template over the
    prompt messages plus the response (an assistant turn).
    """
    if isinstance(response, str) and (prompt is None or isinstance(prompt, str)):
        prompt = prompt or ""
        return prompt + response, len(prompt)
    if not getattr(tokenizer, "chat_template", None):
        raise ValueError("conversational records need a tokenizer with a chat template "
                         "(set tokenizer.chat_template)")
    head = _as_messages(prompt, "user") if prompt else []
    text = tokenizer.apply_chat_template(head + _as_messages(response, "assistant"), tokenize=False)
    if not head:
        return text, 0
    prefix = tokenizer.apply_chat_template(head, tokenize=False, add_generation_prompt=True)
    return text, len(os.path.commonprefix([prefix, text]))


def split_implicit(record: PreferencePair) -> PreferencePair:
    """Make an implicit prompt explicit: the shared prefix (text) or shared leading messages."""
    if record.prompt is not None:
        return record
    c, r = record.chosen, record.rejected
    if isinstance(c, str) and isinstance(r, str):
        n = len(os.path.commonprefix([c, r]))
        return PreferencePair(c[n:], r[n:], prompt=c[:n], margin=record.margin, tie=record.tie)
    if isinstance(c, list) and isinstance(r, list):
        n = 0
        while n < min(len(c), len(r)) - 1 and c[n] == r[n]:
            n += 1
        return PreferencePair(c[n:], r[n:], prompt=c[:n] or None, margin=record.margin, tie=record.tie)
    return record


class Tokenise:
    """Tokenise rendered texts to at most ``max_length`` ids, cutting the prompt from the left."""

    def __init__(self, tokenizer, max_length: int):
        if max_length < 8:
            raise ValueError(f"max_length must be at least 8, got {max_length}")
        self.tokenizer, self.max_length = tokenizer, max_length
        self.special = set(tokenizer.all_special_ids)

    def __call__(self, texts: list[str], starts: list[int]) -> tuple[list[list[int]], list[int]]:
        """ids per text, and per text 0 = intact, 1 = prompt cut, 2 = response cut too."""
        tok = self.tokenizer
        bos = getattr(tok, "bos_token", None)
        add_special = [not (bos and t.startswith(bos)) for t in texts]
        ids_out, flags = [None] * len(texts), [0] * len(texts)
        for add in (True, False):
            idx = [i for i, a in enumerate(add_special) if a == add]
            if not idx:
                continue
            enc = tok([texts[i] for i in idx], add_special_tokens=add, truncation=False,
                      return_offsets_mapping=tok.is_fast)
            for j, i in enumerate(idx):
                ids = enc["input_ids"][j]
                if len(ids) <= self.max_length:
                    ids_out[i] = list(ids)
                    continue
                offsets = enc["offset_mapping"][j] if tok.is_fast else None
                ids_out[i], flags[i] = self._truncate(ids, offsets, texts[i], starts[i], add)
        return ids_out, flags

    def _truncate(self, ids, offsets, text, start, add_special):
        head = tail = 0  # special tokens around the content
        is_special = [t in self.special and (offsets is None or tuple(offsets[n]) == (0, 0))
                      for n, t in enumerate(ids)]
        while head < len(ids) and is_special[head]:
            head += 1
        while tail < len(ids) - head and is_special[len(ids) - 1 - tail]:
            tail += 1
        content = ids[head:len(ids) - tail]
        if offsets is not None:
            ends = [e for _, e in offsets[head:len(ids) - tail]]
            cut = next((n for n, e in enumerate(ends) if e > start), len(content))
        else:
            cut = len(self.tokenizer(text[:start], add_special_tokens=False)["input_ids"])
        budget = self.max_length - head - tail
        prompt, response = content[:cut], content[cut:]
        if len(response) >= budget:
            kept, flag = response[:budget], 2
        else:
            kept, flag = prompt[len(prompt) - (budget - len(response)):] + response, 1
        return list(ids[:head]) + list(kept) + list(ids[len(ids) - tail:]), flag


def encode_records(records: list, tokenizer, max_length: int = 512) -> EncodedRecords:
    """Validated records (all :class:`PreferencePair` or all :class:`RankedList`) -> :class:`EncodedRecords`."""
    if not records:
        raise ValueError("no records to encode")
    tokenise = Tokenise(tokenizer, max_length)
    report = TruncationReport(n_records=len(records), max_length=max_length)
    if isinstance(records[0], PreferencePair):
        kind, groups = "pairwise", [split_implicit(r) for r in records]
        pieces = [(r.prompt, resp) for r in groups for resp in (r.chosen, r.rejected)]
        sizes = [2] * len(records)
    elif isinstance(records[0], RankedList):
        kind = "listwise"
        pieces = [(r.prompt, resp) for r in records for resp in r.responses]
        sizes = [len(r.responses) for r in records]
    else:
        raise TypeError(f"expected PreferencePair or RankedList records, got {type(records[0]).__name__}")
    rendered = []
    for n, (prompt, response) in enumerate(pieces):
        try:
            rendered.append(render(prompt, response, tokenizer))
        except ValueError as e:
            row = _row_of(n, sizes)
            raise ValueError(f"row {row}, field {'chosen' if kind == 'pairwise' else 'responses'!r}: {e}") from None
    ids, flags = tokenise([t for t, _ in rendered], [s for _, s in rendered])
    items, lengths, pos = [], [], 0
    for r, size in zip(records, sizes):
        seq, flag = ids[pos:pos + size], max(flags[pos:pos + size])
        pos += size
        report.n_truncated += flag > 0
        report.n_response_truncated += flag == 2
        if kind == "pairwise":
            items.append({"chosen": seq[0], "rejected": seq[1], "margin": r.margin, "tie": r.tie})
        else:
            items.append({"responses": seq, "labels": list(r.labels), "top_k": r.top_k})
        lengths.append(max(len(s) for s in seq))
    return EncodedRecords(kind=kind, items=items, lengths=lengths, report=report)


def _row_of(piece: int, sizes: list[int]) -> int:
    total = 0
    for row, size in enumerate(sizes):
        total += size
        if piece < total:
            return row
    return len(sizes) - 1
