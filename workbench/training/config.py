"""Typed training configuration, loadable from YAML/dicts with unknown keys and wrong types rejected."""
from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class LoraSettings:
    """Low-rank adapters (Hu et al. 2021, "LoRA") via ``peft``; the head stays fully trained."""

    r: int = 16  # rank: 8-64 is the usual range for reward models
    alpha: int = 32  # scaling alpha / r = 2, peft's common default
    dropout: float = 0.05
    target_modules: list[str] | None = None  # None: peft's defaults for the architecture


@dataclass
class TrainConfig:
    """Everything one training run needs; defaults are the fast CPU choices."""

    model: str | None = None  # HF id or path; None = the offline MiniLM
    output_dir: str = "runs/reward_model"
    pooling: str = "auto"  # auto | first | last | mean (auto: last token for decoders, first for encoders)
    loss: str = "bradley_terry"  # any name in workbench.losses.LOSSES (pairwise or listwise)
    loss_kwargs: dict = field(default_factory=dict)  # hyperparameters bound by get_loss
    center_weight: float = 0.0  # weight of the centering penalty (r_c + r_r)^2; TRL suggests 1e-2
    max_length: int = 512  # tokens per sequence; prompts are cut from the left beyond it
    batch_size: int = 16  # pairs (or lists) per optimiser step per accumulation micro-step, all processes together
    grad_accum: int = 1  # micro-batches per optimiser step
    epochs: float = 1.0  # fractional epochs allowed; max_steps wins if set
    max_steps: int | None = None
    learning_rate: float = 5e-5  # the usual fine-tuning rate for small encoders; use ~1e-5 for >1B decoders
    weight_decay: float = 0.0
    warmup_ratio: float = 0.05  # fraction of optimiser steps with a linear warm-up
    max_grad_norm: float | None = 1.0
    seed: int = 0
    mixed_precision: str = "auto"  # auto (bf16 on a GPU that supports it, else fp32) | no | bf16 | fp16
    gradient_checkpointing: bool = False  # saves memory on big models; costs ~30% speed, so off on CPU
    lora: LoraSettings | None = None
    group_by_length: bool = True  # batches of similar length: far less padding
    shared_prompt: bool = False  # lists on a causal decoder: encode each prompt once for all K responses
    eval_batch_size: int = 64
    eval_every: int | None = None  # optimiser steps between evaluations; None = at the end only
    save_every: int | None = None  # optimiser steps between resumable checkpoints; None = none
    log_every: int = 10
    resume_from: str | None = None  # a checkpoint-N folder written by a previous run
    save_model: bool = True  # write the final plain transformers checkpoint to output_dir
    progress: bool = True  # tqdm bar

    def __post_init__(self):
        if isinstance(self.lora, dict):
            self.lora = from_dict(LoraSettings, self.lora)
        for name in ("batch_size", "grad_accum", "max_length", "eval_batch_size", "log_every"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        if self.mixed_precision not in ("auto", "no", "bf16", "fp16"):
            raise ValueError(f"mixed_precision must be auto|no|bf16|fp16, got {self.mixed_precision!r}")


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


def from_dict(cls, values: dict, *, where: str = "config"):
    """Build dataclass ``cls`` from a dict; unknown keys and wrong types raise ValueError naming them."""
    if not isinstance(values, dict):
        raise ValueError(f"{where}: expected a mapping, got {type(values).__name__}")
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(values) - set(fields))
    if unknown:
        raise ValueError(f"{where}: unknown key(s) {unknown}; valid keys: {sorted(fields)}")
    hints = typing.get_type_hints(cls)
    for key, value in values.items():
        if not _type_ok(value, hints[key]):
            raise ValueError(f"{where}: {key!r} must be {hints[key]}, got {type(value).__name__} {value!r}")
    kwargs = dict(values)
    if cls is TrainConfig and isinstance(kwargs.get("lora"), dict):
        kwargs["lora"] = from_dict(LoraSettings, kwargs["lora"], where=f"{where}.lora")
    return cls(**kwargs)


def load_config(path: str | Path, **overrides) -> TrainConfig:
    """A :class:`TrainConfig` from a YAML file, then ``overrides`` (e.g. command-line flags) on top."""
    import yaml

    with open(path, encoding="utf-8") as f:
        values = yaml.safe_load(f) or {}
    if not isinstance(values, dict):
        raise ValueError(f"{path}: expected a mapping of config keys")
    values.update({k: v for k, v in overrides.items() if v is not None})
    return from_dict(TrainConfig, values, where=str(path))
