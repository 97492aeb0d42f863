"""Train a PRM or an ORM with the project's one training loop (``workbench.training.train``).

    model, tokenizer = load_prm()
    result = train_prm(records, TrainConfig(max_steps=200, max_length=192, output_dir="runs/prm"),
                       model=model, tokenizer=tokenizer)

Both pass their model, collator and objective (``prm_objective`` / ``orm_objective``) to the
loop, which owns the optimiser, Accelerate (CPU, GPU, many GPUs), logging and the
final plain ``transformers`` checkpoint.
"""
from __future__ import annotations

from workbench.prm.model import (
    encode_outcome,
    encode_steps,
    load_orm,
    load_prm,
    make_outcome_collator,
    is_prefix_only,
    make_step_collator,
    prefix_records,
    separator_ids,
)
from workbench.prm.objectives import orm_objective, prm_objective
from workbench.prm.records import StepRecord, validate_record


def _outcome(record: StepRecord, index: int) -> float:
    """The ORM label: ``meta["outcome"]`` if set, else the final answer's correctness."""
    if "outcome" in record.meta:
        return float(record.meta["outcome"])
    correct = record.is_correct
    if correct is None:
        raise ValueError(f"record {index}: field 'answer'/'reference' missing: no outcome label for the ORM")
    return float(correct)


def train_prm(records: list[StepRecord], config, *, model=None, tokenizer=None, evaluate_fn=None):
    """Fit a PRM on step-labelled records; returns the loop's ``TrainResult``.

    A bidirectional encoder trains on every prefix (``model.prefix_records``),
    as it is scored: each step's label is learnt from the steps up to it only.
    """
    from workbench.training import train

    if model is None:
        model, tokenizer = load_prm(config.model)
    separator = list(getattr(model.config, "prm_separator_ids", None) or separator_ids(tokenizer))
    model.config.prm_separator_ids = separator
    records = [validate_record(r, i) for i, r in enumerate(records)]
    if not is_prefix_only(model):
        records = [prefix for record in records for prefix in prefix_records(record)
                   if prefix.labels[-1] is not None]
    encoded = [encode_steps(r, tokenizer, separator, max_length=config.max_length) for r in records]
    return train(config, encoded, model=model, tokenizer=tokenizer, compute_loss=prm_objective,
                 collate_fn=make_step_collator(tokenizer.pad_token_id), evaluate_fn=evaluate_fn)


def train_orm(records: list[StepRecord], config, *, model=None, tokenizer=None, evaluate_fn=None):
    """Fit an ORM on whole solutions against their outcome; returns the loop's ``TrainResult``."""
    from workbench.training import train

    if model is None:
        model, tokenizer = load_orm(config.model)
    encoded = [encode_outcome(r, tokenizer, label=_outcome(r, i), max_length=config.max_length)
               for i, r in enumerate(records)]
    return train(config, encoded, model=model, tokenizer=tokenizer, compute_loss=orm_objective,
                 collate_fn=make_outcome_collator(tokenizer.pad_token_id), evaluate_fn=evaluate_fn)
