"""Process and outcome reward models on one backbone, trained by ``workbench.training``.

PRM: ``AutoModelForTokenClassification`` with ``num_labels=1``; the input is
``[CLS] prompt [SEP] step_1 <sep> step_2 <sep> ... step_S <sep>`` and the score of
step ``s`` is ``sigmoid(logit)`` at its separator token (the tokenizer's
``[SEP]`` for encoders, the tokens of ``"\\n"`` for decoders: the last one is read).
The objective is binary cross-entropy against hard or soft step labels, over
labelled steps only (Lightman et al., 2023; Wang et al., 2024): see
:mod:`workbench.prm.objectives`.

The separator ids are stored in ``config.prm_separator_ids``, so a saved PRM is
a plain checkpoint: ``AutoModelForTokenClassification.from_pretrained(path)``.

**Prefix-only scores.** A step's score must be a function of the question and
steps ``1..s`` only: beam search scores a prefix before its continuation
exists, shaping needs ``Φ(s_t)`` of the state at t, and first-error search
assumes that appending a step leaves earlier verdicts alone. A decoder gives
that in one pass (causal attention). A bidirectional encoder would let step
1's score read step 3, so for it both scoring and training go prefix by
prefix (:func:`prefix_records`): the record cut after step ``s``, labelled at
``s`` only, one forward pass each. :func:`is_prefix_only` tells which a model
is by probing it (appending a token must leave every earlier logit alone), so
any architecture is handled without a list of names.

ORM: the same backbone as ``AutoModelForSequenceClassification`` (``num_labels=1``,
``workbench.models.load_reward_model``) scoring ``prompt [SEP] solution`` with
BCE against the final answer's correctness (Cobbe et al., 2021, verifiers).

Here: loading, encoding, collating and scoring. The objectives live in
:mod:`workbench.prm.objectives` (``prm_loss`` / ``orm_loss`` stay importable
from here as their old names), ProcessBench metrics and the threshold
calibration in :mod:`workbench.prm.metrics` (re-exported here for old imports).
"""
from __future__ import annotations

import torch

from workbench.models import eval_mode, forward_scores
from workbench.prm.metrics import calibrate_threshold, first_error_from_scores
from workbench.prm.objectives import IGNORE, orm_objective, prm_objective
from workbench.prm.records import StepRecord

# the old names of the objectives: notebooks and user code import them from here
prm_loss = prm_objective
orm_loss = orm_objective

__all__ = [
    "IGNORE", "load_prm", "load_orm", "separator_ids", "encode_steps", "encode_outcome", "solution_text",
    "make_step_collator", "make_outcome_collator", "prm_step_scores", "orm_scores", "is_prefix_only",
    "prefix_records",
    "prm_objective", "orm_objective", "prm_loss", "orm_loss", "first_error_from_scores", "calibrate_threshold",
]


def separator_ids(tokenizer) -> list[int]:
    """The token ids placed after every step: ``[SEP]`` if the tokenizer has one, else the
    tokens of ``"\n"``, else ``eos``."""
    if tokenizer.sep_token_id is not None:
        return [tokenizer.sep_token_id]
    ids = tokenizer.encode("\n", add_special_tokens=False)
    if ids:
        return ids
    if tokenizer.eos_token_id is not None:
        return [tokenizer.eos_token_id]
    raise ValueError("tokenizer has no [SEP], no '\\n' token and no eos: set model.config.prm_separator_ids")


def _load_scorer(auto_class: str, path, num_hidden_layers):
    """(model with one output, tokenizer) from a backbone or a saved checkpoint."""
    import transformers

    from workbench.models import ensure_pad_token
    from workbench.models.loading import new_head_expected
    from workbench.paths import default_backbone

    path = path or default_backbone()
    kwargs = {"num_hidden_layers": num_hidden_layers} if num_hidden_layers else {}
    tokenizer = transformers.AutoTokenizer.from_pretrained(path)
    with new_head_expected():
        model = getattr(transformers, auto_class).from_pretrained(path, num_labels=1, **kwargs)
    ensure_pad_token(tokenizer, model)
    return model, tokenizer


def load_prm(path: str | None = None, *, num_hidden_layers: int | None = None):
    """(model, tokenizer) for a PRM from a backbone or a saved PRM; None = offline MiniLM.

    ``num_hidden_layers`` keeps only the first layers of the backbone (a smaller,
    faster model for CPU notebooks).
    """
    model, tokenizer = _load_scorer("AutoModelForTokenClassification", path, num_hidden_layers)
    if getattr(model.config, "prm_separator_ids", None) is None:
        model.config.prm_separator_ids = separator_ids(tokenizer)
    return model, tokenizer


def load_orm(path: str | None = None, *, num_hidden_layers: int | None = None):
    """(model, tokenizer) for an ORM: ``AutoModelForSequenceClassification`` with one output."""
    return _load_scorer("AutoModelForSequenceClassification", path, num_hidden_layers)


def encode_steps(record: StepRecord, tokenizer, separator: list[int], *, max_length: int = 256) -> dict:
    """Token ids with a float label at each step's last separator token (-100 elsewhere).

    Over ``max_length`` the prompt is cut from the left first, then trailing steps
    are dropped (``dropped_steps`` counts them). Returns ``input_ids``, ``labels``
    (floats; -100 also for unlabelled steps), ``positions`` (index of each kept
    step's score token) and ``dropped_steps``.
    """
    steps = [tokenizer.encode(step, add_special_tokens=False) + separator for step in record.steps]
    head = [tokenizer.cls_token_id] if tokenizer.cls_token_id is not None else []
    middle = [tokenizer.sep_token_id] if tokenizer.sep_token_id is not None else separator
    prompt = tokenizer.encode(record.prompt, add_special_tokens=False)
    budget = max_length - len(head) - len(middle) - sum(len(s) for s in steps)
    if budget < len(prompt):
        prompt = prompt[max(0, len(prompt) - max(budget, 16)):]
    ids = head + prompt + middle
    labels = [IGNORE] * len(ids)
    positions = []
    kept = 0
    for step, label in zip(steps, record.labels):
        if len(ids) + len(step) > max_length:
            break
        ids += step
        labels += [IGNORE] * (len(step) - 1) + [IGNORE if label is None else float(label)]
        positions.append(len(ids) - 1)
        kept += 1
    return {"input_ids": ids, "labels": labels, "positions": positions, "dropped_steps": len(steps) - kept}


def make_step_collator(pad_token_id: int):
    """``collate(items) -> batch``: right-padded ``input_ids``/``attention_mask`` (B, T), ``labels`` (B, T)."""

    def collate(items: list[dict]) -> dict:
        width = max(len(item["input_ids"]) for item in items)
        ids = torch.full((len(items), width), pad_token_id, dtype=torch.long)
        labels = torch.full((len(items), width), IGNORE)
        for row, item in enumerate(items):
            n = len(item["input_ids"])
            ids[row, :n] = torch.tensor(item["input_ids"])
            labels[row, :n] = torch.tensor(item["labels"])
        return {"input_ids": ids, "attention_mask": (torch.arange(width)[None, :] <
                                                   torch.tensor([len(i["input_ids"]) for i in items])[:, None]).long(),
                "labels": labels}

    return collate


def solution_text(record: StepRecord) -> str:
    """The solution as one text: steps one per line, then the final answer if any."""
    lines = list(record.steps) + ([f"The answer is {record.answer}."] if record.answer is not None else [])
    return "\n".join(lines)


def encode_outcome(record: StepRecord, tokenizer, *, label: float | None, max_length: int = 256) -> dict:
    """``[CLS] prompt [SEP] solution [SEP]`` for an ORM, with the outcome label.

    Over ``max_length`` the prompt is cut from the left first, then the solution
    from the left: its end (the final answer) is what an outcome model must see.
    """
    prompt = tokenizer.encode(record.prompt, add_special_tokens=False)
    solution = tokenizer.encode(solution_text(record), add_special_tokens=False)
    head = [tokenizer.cls_token_id] if tokenizer.cls_token_id is not None else []
    sep = [tokenizer.sep_token_id] if tokenizer.sep_token_id is not None else (
        [tokenizer.eos_token_id] if tokenizer.eos_token_id is not None else [])
    budget = max_length - len(head) - 2 * len(sep)
    solution = solution[max(0, len(solution) - budget):]
    prompt = prompt[max(0, len(prompt) - (budget - len(solution))):] if budget > len(solution) else []
    ids = head + prompt + sep + solution + sep
    return {"input_ids": ids, "label": IGNORE if label is None else float(label)}


def make_outcome_collator(pad_token_id: int):
    """``collate(items)``: right-padded ``input_ids``/``attention_mask`` (B, T), ``labels`` (B,)."""
    step_collate = make_step_collator(pad_token_id)

    def collate(items: list[dict]) -> dict:
        batch = step_collate([{"input_ids": i["input_ids"], "labels": [IGNORE] * len(i["input_ids"])}
                              for i in items])
        batch["labels"] = torch.tensor([item["label"] for item in items])
        return batch

    return collate


@torch.no_grad()
def is_prefix_only(model) -> bool:
    """Does the model's output at a position ignore every later token (causal attention)?

    Probed once per model object: 12 tokens, then the same 12 with 4 more; the
    first 12 outputs must agree to 1e-5. Cached on the model as ``_prefix_only``.
    """
    cached = getattr(model, "_prefix_only", None)
    if cached is not None:
        return cached
    device = next(model.parameters()).device
    generator = torch.Generator().manual_seed(0)
    vocab = int(model.config.vocab_size)
    ids = torch.randint(min(5, vocab - 1), vocab, (1, 16), generator=generator).to(device)
    with eval_mode(model):
        short = model(input_ids=ids[:, :12], attention_mask=torch.ones_like(ids[:, :12])).logits.float()
        long = model(input_ids=ids, attention_mask=torch.ones_like(ids)).logits.float()[:, :12]
    model._prefix_only = bool(torch.allclose(short, long, atol=1e-5, rtol=1e-4))
    return model._prefix_only


def prefix_records(record: StepRecord) -> list[StepRecord]:
    """The record cut after each step ``s`` (``steps[:s+1]``), labelled at step ``s`` only.

    How a bidirectional encoder is kept to prefix-only scores: the score of the
    last step of a prefix cannot see steps that are not in it.
    """
    return [StepRecord(record.prompt, list(record.steps[:s + 1]), [None] * s + [record.labels[s]],
                       answer=None, reference=record.reference) for s in range(len(record.steps))]


def _scores_of_prefixes(model, tokenizer, records: list[StepRecord], *, max_length: int,
                        batch_size: int) -> list[list[float]]:
    """Encoder path of :func:`prm_step_scores`: one pass per prefix, each read at its last step."""
    prefixes = [(index, prefix) for index, record in enumerate(records) for prefix in prefix_records(record)]
    last = _scores_in_one_pass(model, tokenizer, [prefix for _, prefix in prefixes], max_length=max_length,
                               batch_size=batch_size)
    scores: list[list[float]] = [[] for _ in records]
    for (index, prefix), values in zip(prefixes, last):
        # a prefix cut by max_length keeps fewer steps: it and every longer one have no score
        if len(values) == len(prefix.steps) and len(scores[index]) == len(prefix.steps) - 1:
            scores[index].append(values[-1])
    return scores


@torch.no_grad()
def prm_step_scores(model, tokenizer, records: list[StepRecord], *, max_length: int = 256,
                    batch_size: int = 32) -> list[list[float]]:
    """Per record, ``sigmoid`` of the step logits: S probabilities (fewer if truncated).

    Each score sees the question and steps up to its own only (see the module
    docstring): one pass for a decoder, one pass per prefix for an encoder.
    The model runs in eval mode (no dropout) and is given back in the mode it was in.
    """
    if not is_prefix_only(model):
        return _scores_of_prefixes(model, tokenizer, records, max_length=max_length, batch_size=batch_size)
    return _scores_in_one_pass(model, tokenizer, records, max_length=max_length, batch_size=batch_size)


@torch.no_grad()
def _scores_in_one_pass(model, tokenizer, records: list[StepRecord], *, max_length: int,
                        batch_size: int) -> list[list[float]]:
    """Every step's score from one pass over the whole record (prefix-only for a decoder only)."""
    separator = list(getattr(model.config, "prm_separator_ids", None) or separator_ids(tokenizer))
    collate = make_step_collator(tokenizer.pad_token_id)
    device = next(model.parameters()).device
    encoded = [encode_steps(r, tokenizer, separator, max_length=max_length) for r in records]
    order = sorted(range(len(encoded)), key=lambda i: len(encoded[i]["input_ids"]))
    scores: list[list[float]] = [[] for _ in records]
    with eval_mode(model):
        for start in range(0, len(order), batch_size):
            chunk = order[start:start + batch_size]
            batch = collate([encoded[i] for i in chunk])
            logits = model(input_ids=batch["input_ids"].to(device),
                           attention_mask=batch["attention_mask"].to(device)).logits[..., 0].float()
            probabilities = torch.sigmoid(logits).cpu()
            for row, index in enumerate(chunk):
                scores[index] = probabilities[row, encoded[index]["positions"]].tolist()
    return scores


@torch.no_grad()
def orm_scores(model, tokenizer, records: list[StepRecord], *, max_length: int = 256,
               batch_size: int = 32) -> list[float]:
    """Per record, ``sigmoid`` of the ORM's score: the probability the solution is right.

    The model runs in eval mode (no dropout) and is given back in the mode it was in.
    """
    collate = make_outcome_collator(tokenizer.pad_token_id)
    device = next(model.parameters()).device
    encoded = [encode_outcome(r, tokenizer, label=None, max_length=max_length) for r in records]
    order = sorted(range(len(encoded)), key=lambda i: len(encoded[i]["input_ids"]))
    scores = [0.0] * len(records)
    with eval_mode(model):
        for start in range(0, len(order), batch_size):
            chunk = order[start:start + batch_size]
            batch = collate([encoded[i] for i in chunk])
            values = torch.sigmoid(forward_scores(model, batch["input_ids"].to(device),
                                                  batch["attention_mask"].to(device)).float()).cpu()
            for row, index in enumerate(chunk):
                scores[index] = float(values[row])
    return scores
