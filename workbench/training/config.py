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

from workbench.errors import UserError

POOLINGS = ("auto", "first", "last", "mean")
PRECISIONS = ("auto", "no", "bf16", "fp16")
# workbench.losses.LOSSES' names, for --help without importing torch (a test keeps the two equal).
LOSS_NAMES = ("bradley_terry", "hinge", "bradley_terry_ties", "plackett_luce", "listmle", "listnet", "ranknet",
              "lambdarank")


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
    loss: str = field(default="auto", metadata={
        "help": "auto (bradley_terry for pairs, plackett_luce for ranked lists) or a name in "
                "workbench.losses.LOSSES: " + ", ".join(LOSS_NAMES)})
    loss_kwargs: dict = field(default_factory=dict, metadata={
        "help": "the loss's keyword hyperparameters, bound by workbench.losses.get_loss"})
    center_weight: float = field(default=0.0, metadata={
        "help": "weight (>= 0) of the centering penalty (r_c + r_r)^2; TRL suggests 1e-2"})
    max_length: int = field(default=512, metadata={
        "help": "tokens per sequence (>= 8, at most the model's position limit); prompts are cut "
                "from the left beyond it"})
    batch_size: int = field(default=16, metadata={
        "help": "pairs (or lists) per micro-step, all processes together (each of N processes gets 1/N); "
                "an optimiser step sees batch_size * grad_accum"})
    grad_accum: int = field(default=1, metadata={"help": "micro-steps (batches) per optimiser step (>= 1)"})
    epochs: float = field(default=1.0, metadata={
        "help": "passes over the data (> 0); fractions allowed; max_steps wins if set"})
    max_steps: int | None = field(default=None, metadata={
        "help": "optimiser steps (>= 1); unset (None): as many as epochs take"})
    learning_rate: float = field(default=5e-5, metadata={
        "help": "peak AdamW rate (> 0), e.g. 5e-5 for small encoders, ~1e-5 for >1B decoders"})
    weight_decay: float = field(default=0.0, metadata={"help": "AdamW's decoupled weight decay (>= 0)"})
    warmup_ratio: float = field(default=0.05, metadata={
        "help": "fraction in [0, 1] of optimiser steps with a linear warm-up (then linear decay to 0)"})
    max_grad_norm: float | None = field(default=1.0, metadata={
        "help": "clip the gradient norm at this value (> 0); None: no clipping"})
    seed: int = field(default=0, metadata={"help": "seeds the head, dropout and the batch order"})
    mixed_precision: str = field(default="auto", metadata={
        "help": "auto|no|bf16|fp16; auto: bf16 on a GPU that supports it, and on a CPU with native bf16 "
                "(AVX512-BF16, AMX) when a forward pass holds >= 1024 tokens in sequences of >= 24 on "
                "average (smaller steps gain little or lose in bf16 there); else fp32"})
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
        "help": "optimiser steps (>= 1) between evaluations; None: at the end only"})
    save_every: int | None = field(default=None, metadata={
        "help": "optimiser steps (>= 1) between resumable checkpoints (output_dir/checkpoint-N); None: none"})
    keep_checkpoints: int | None = field(default=None, metadata={
        "help": "keep only the newest N (>= 1) checkpoint-N folders, deleting older ones; None: keep all"})
    log_every: int = field(default=10, metadata={"help": "optimiser steps per history entry (mean metrics)"})
    resume: bool = field(default=False, metadata={
        "help": "continue from the newest checkpoint-N in output_dir (written with save_every)"})
    resume_from: str | None = field(default=None, metadata={
        "help": "continue from this checkpoint-N folder written by a previous run (save_every)"})
    allow_resume_changes: bool = field(default=False, metadata={
        "help": "resume even though the data, batch_size or grad_accum differ from the checkpoint's run"})
    overwrite: bool = field(default=False, metadata={
        "help": "train into a non-empty output_dir, first deleting the old run's model, checkpoints, "
                "metrics.json and post-hoc corrections (other files stay)"})
    save_model: bool = field(default=True, metadata={
        "help": "write the final plain transformers checkpoint to output_dir"})
    progress: bool = field(default=True, metadata={"help": "a tqdm progress bar (on stderr)"})

    def __post_init__(self):
        if isinstance(self.lora, dict):
            self.lora = from_dict(LoraSettings, self.lora, where="lora")
        self._check_ranges()
        if self.pooling not in POOLINGS:
            raise UserError(f"pooling must be {'|'.join(POOLINGS)}, got {self.pooling!r}")
        if self.mixed_precision not in PRECISIONS:
            raise UserError(f"mixed_precision must be {'|'.join(PRECISIONS)}, got {self.mixed_precision!r}")
        if self.resume and self.resume_from:
            raise UserError("resume and resume_from: pass one (resume takes the newest checkpoint in output_dir)")
        from workbench import losses

        try:  # a typo in the loss or its hyperparameters fails here, naming the field, not at step 1
            losses.get_loss(self.loss, **(self.loss_kwargs or {})) if self.loss != "auto" else None
        except ValueError as error:
            raise UserError(f"loss / loss_kwargs: {error}") from None

    def _check_ranges(self) -> None:
        """Every number in range, up front: a value that trains nothing (0 steps, rate 0) is a mistake."""
        checks = {name: (getattr(self, name) >= 1, ">= 1") for name in (
            "batch_size", "grad_accum", "eval_batch_size", "log_every")}
        checks["max_length"] = (self.max_length >= 8, ">= 8")
        for name in ("max_steps", "eval_every", "save_every", "keep_checkpoints"):
            value = getattr(self, name)
            checks[name] = (value is None or value >= 1, ">= 1, or unset")
        checks["epochs"] = (_finite(self.epochs) and self.epochs > 0, "> 0")
        checks["learning_rate"] = (_finite(self.learning_rate) and self.learning_rate > 0, "> 0")
        checks["weight_decay"] = (_finite(self.weight_decay) and self.weight_decay >= 0, ">= 0")
        checks["center_weight"] = (_finite(self.center_weight) and self.center_weight >= 0, ">= 0")
        checks["warmup_ratio"] = (_finite(self.warmup_ratio) and 0 <= self.warmup_ratio <= 1, "in [0, 1]")
        checks["max_grad_norm"] = (self.max_grad_norm is None or (_finite(self.max_grad_norm)
                                                                  and self.max_grad_norm > 0), "> 0, or unset")
        for name, (ok, expected) in checks.items():
            if not ok:
                raise UserError(f"{name} must be {expected}, got {getattr(self, name)}")


def _finite(value: float) -> bool:
    return value == value and value not in (float("inf"), float("-inf"))


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


def _yaml_float(value, annotation):
    """``1e-5`` as a float: YAML 1.1 (PyYAML) reads a number without a dot as a string."""
    options = typing.get_args(annotation) or (annotation,)
    if isinstance(value, str) and float in options and str not in options:
        try:
            return float(value)
        except ValueError:
            return value
    return value


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
        value = _yaml_float(value, hints[key])
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
