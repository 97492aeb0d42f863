"""Typed training configuration, loadable from YAML/dicts with unknown keys and wrong types rejected.

Every field carries its why in ``metadata["help"]``: the command line builds one flag
per field from it (:func:`workbench.training.cli.add_train_arguments`), so a new field
appears on every training command with no other edit. ``metadata["flags"]`` names the
flags when they are not the plain ``--a-b`` for field ``a_b``.
"""
from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from workbench import losses
from workbench.errors import UserError

POOLINGS = ("auto", "first", "last", "mean")
PRECISIONS = ("auto", "no", "bf16", "fp16")


@dataclass
class LoraSettings:
    """Low-rank adapters (Hu et al. 2021, "LoRA") via ``peft``; the head stays fully trained."""

    r: int = field(default=16, metadata={"help": "rank: 8-64 is the usual range for reward models"})
    alpha: int = field(default=32, metadata={"help": "scaling alpha / r = 2, peft's common default"})
    dropout: float = field(default=0.05, metadata={"help": "dropout on the adapter inputs"})
    target_modules: list[str] | None = field(
        default=None, metadata={"help": "module names to adapt; None: peft's defaults for the architecture"})

    def __post_init__(self):
        if self.r < 1:
            raise UserError(f"lora.r must be >= 1, got {self.r}")


@dataclass
class TrainConfig:
    """Everything one training run needs; defaults are the fast CPU choices."""

    model: str | None = field(default=None, metadata={
        "help": "backbone or checkpoint: a Hugging Face id or a local folder; None: the offline MiniLM"})
    output_dir: str = field(default="runs/reward_model", metadata={
        "help": "where the final checkpoint (and checkpoint-N folders) go", "flags": ("--output", "--output-dir")})
    pooling: str = field(default="auto", metadata={
        "help": "auto|first|last|mean; auto: last token for decoders, first ([CLS]) for encoders"})
    loss: str = field(default="bradley_terry", metadata={
        "help": "pairwise or listwise, a name in workbench.losses.LOSSES: " + ", ".join(losses.LOSSES)})
    loss_kwargs: dict = field(default_factory=dict, metadata={
        "help": "the loss's keyword hyperparameters, bound by workbench.losses.get_loss"})
    center_weight: float = field(default=0.0, metadata={
        "help": "weight of the centering penalty (r_c + r_r)^2; TRL suggests 1e-2"})
    max_length: int = field(default=512, metadata={
        "help": "tokens per sequence; prompts are cut from the left beyond it"})
    batch_size: int = field(default=16, metadata={
        "help": "pairs (or lists) per micro-step, all processes together (each of N processes gets 1/N); "
                "an optimiser step sees batch_size * grad_accum"})
    grad_accum: int = field(default=1, metadata={"help": "micro-steps (batches) per optimiser step"})
    epochs: float = field(default=1.0, metadata={
        "help": "passes over the data; fractions allowed; max_steps wins if set"})
    max_steps: int | None = field(default=None, metadata={"help": "optimiser steps; None: from epochs"})
    learning_rate: float = field(default=5e-5, metadata={
        "help": "the usual fine-tuning rate for small encoders; use ~1e-5 for >1B decoders"})
    weight_decay: float = field(default=0.0, metadata={"help": "AdamW's decoupled weight decay"})
    warmup_ratio: float = field(default=0.05, metadata={
        "help": "fraction of optimiser steps with a linear warm-up (then linear decay to 0)"})
    max_grad_norm: float | None = field(default=1.0, metadata={
        "help": "clip the gradient norm at this value; None: no clipping"})
    seed: int = field(default=0, metadata={"help": "seeds the head, dropout and the batch order"})
    mixed_precision: str = field(default="auto", metadata={
        "help": "auto|no|bf16|fp16; auto: bf16 on a GPU that supports it, else fp32"})
    gradient_checkpointing: bool = field(default=False, metadata={
        "help": "recompute activations in the backward pass: saves memory on big models, costs ~30% speed"})
    lora: LoraSettings | None = field(default=None, metadata={
        "help": "train LoRA adapters (needs peft) with these LoraSettings; None: train every weight"})
    group_by_length: bool = field(default=True, metadata={
        "help": "batches of similar length: far less padding"})
    shared_prompt: bool | None = field(default=None, metadata={
        "help": "encode each prompt once for all its responses (causal decoders; exact). True: pack ranked "
                "lists; None (auto): pack pairs where exact (decoder, eager/sdpa attention); False: never"})
    eval_batch_size: int = field(default=64, metadata={"help": "pairs (or lists) per held-out batch"})
    eval_every: int | None = field(default=None, metadata={
        "help": "optimiser steps between evaluations; None: at the end only"})
    save_every: int | None = field(default=None, metadata={
        "help": "optimiser steps between resumable checkpoints; None: none"})
    log_every: int = field(default=10, metadata={"help": "optimiser steps per history entry (mean metrics)"})
    resume_from: str | None = field(default=None, metadata={
        "help": "a checkpoint-N folder written by a previous run (save_every)"})
    save_model: bool = field(default=True, metadata={
        "help": "write the final plain transformers checkpoint to output_dir"})
    progress: bool = field(default=True, metadata={"help": "a tqdm progress bar"})

    def __post_init__(self):
        if isinstance(self.lora, dict):
            self.lora = from_dict(LoraSettings, self.lora, where="lora")
        for name in ("batch_size", "grad_accum", "max_length", "eval_batch_size", "log_every"):
            if getattr(self, name) < 1:
                raise UserError(f"{name} must be >= 1, got {getattr(self, name)}")
        if self.pooling not in POOLINGS:
            raise UserError(f"pooling must be {'|'.join(POOLINGS)}, got {self.pooling!r}")
        if self.mixed_precision not in PRECISIONS:
            raise UserError(f"mixed_precision must be {'|'.join(PRECISIONS)}, got {self.mixed_precision!r}")
        try:  # a typo in the loss or its hyperparameters fails here, naming the field, not at step 1
            losses.get_loss(self.loss, **(self.loss_kwargs or {}))
        except ValueError as error:
            raise UserError(f"loss / loss_kwargs: {error}") from None


def _type_ok(value, annotation) -> bool:
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        return any(_type_ok(value, a) for a in typing.get_args(annotation))
    if annotation is type(None):
        return value is None
    if annotation is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if annotation is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if origin is not None:
        return isinstance(value, origin)
    if dataclasses.is_dataclass(annotation):
        return isinstance(value, (dict, annotation))
    return isinstance(value, annotation)


def _dataclass_in(annotation):
    """The dataclass inside ``X`` or ``X | None``, else None."""
    options = typing.get_args(annotation) if typing.get_origin(annotation) in (typing.Union, types.UnionType) else (
        annotation,)
    return next((a for a in options if dataclasses.is_dataclass(a)), None)


def from_dict(cls, values: Mapping, *, where: str = "config"):
    """Build dataclass ``cls`` from a mapping; unknown keys, wrong types and bad values raise
    :class:`~workbench.errors.UserError` naming ``where`` and the key."""
    if not isinstance(values, Mapping):
        raise UserError(f"{where}: expected a mapping, got {type(values).__name__}")
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(values) - set(fields))
    if unknown:
        raise UserError(f"{where}: unknown key(s) {unknown}; valid keys: {sorted(fields)}")
    hints = typing.get_type_hints(cls)
    kwargs = {}
    for key, value in values.items():
        if not _type_ok(value, hints[key]):
            raise UserError(f"{where}: {key!r} must be {hints[key]}, got {type(value).__name__} {value!r}")
        nested = _dataclass_in(hints[key])
        kwargs[key] = from_dict(nested, value, where=f"{where}.{key}") if nested and isinstance(value, dict) else value
    try:
        return cls(**kwargs)
    except UserError as error:  # a value out of range (__post_init__): say where it came from
        raise UserError(f"{where}: {error}") from None


def read_yaml(path: str | Path) -> dict:
    """The mapping in a YAML file; UserError naming the file (and line) for bad YAML or a non-mapping."""
    import yaml

    with open(path, encoding="utf-8") as handle:
        try:
            values = yaml.safe_load(handle)
        except yaml.YAMLError as error:
            mark = getattr(error, "problem_mark", None)
            line = f" line {mark.line + 1}:" if mark is not None else ""
            raise UserError(f"{path}:{line} not valid YAML ({getattr(error, 'problem', None) or error})") from None
    if values is None:
        return {}
    if not isinstance(values, dict):
        raise UserError(f"{path}: expected a mapping of config keys, got {type(values).__name__}")
    return values


def load_config(source: str | Path | Mapping | None = None, *, cls=TrainConfig, where: str | None = None,
                **overrides):
    """A :class:`TrainConfig` from a YAML file (or a mapping), then ``overrides`` on top.

    ``overrides`` are e.g. command-line flags; a ``None`` override means "not given".
    Unknown keys, wrong types and out-of-range values raise UserError naming the key.
    """
    values = dict(source) if isinstance(source, Mapping) else read_yaml(source) if source is not None else {}
    values.update({k: v for k, v in overrides.items() if v is not None})
    return from_dict(cls, values, where=where or (str(source) if isinstance(source, (str, Path)) else "config"))
