"""Load any Hugging Face backbone as a scalar reward model; score texts; save plain checkpoints."""
from __future__ import annotations

import contextlib
import inspect
import shutil
from pathlib import Path

import torch
from transformers import (
    AutoConfig,
    AutoModel,
    AutoModelForSequenceClassification,
    AutoTokenizer,
    PretrainedConfig,
    PreTrainedModel,
    PreTrainedTokenizerBase,
)
from transformers.models.auto.modeling_auto import (
    MODEL_FOR_CAUSAL_LM_MAPPING_NAMES,
    MODEL_FOR_MASKED_LM_MAPPING_NAMES,
    MODEL_FOR_SEQUENCE_CLASSIFICATION_MAPPING_NAMES,
)
from transformers.utils import logging as hf_logging

from workbench.models.pooled import POOLINGS, PooledRewardModel

REMOTE_CODE_FILE = "modeling_workbench_reward.py"
PAD_TOKEN = "<|pad|>"


def is_decoder_config(config: PretrainedConfig) -> bool:
    """True for causal decoders (GPT-2, Llama, Qwen, ...), False for encoders (BERT, RoBERTa, ...)."""
    model_type = getattr(config, "model_type", "")
    if model_type in MODEL_FOR_MASKED_LM_MAPPING_NAMES:
        return False
    if model_type in MODEL_FOR_CAUSAL_LM_MAPPING_NAMES:
        return True
    return any(a.endswith(("ForCausalLM", "LMHeadModel")) for a in (config.architectures or []))


def native_pooling(config: PretrainedConfig) -> str:
    """The pooling of the architecture's own ``*ForSequenceClassification``: last for decoders, first otherwise."""
    return "last" if is_decoder_config(config) else "first"


def resolve_pooling(config: PretrainedConfig, pooling: str = "auto") -> str:
    """``auto`` -> the native pooling; otherwise check the name."""
    if pooling == "auto":
        return native_pooling(config)
    if pooling not in POOLINGS:
        raise ValueError(f"pooling must be 'auto' or one of {POOLINGS}, got {pooling!r}")
    return pooling


def ensure_pad_token(tokenizer: PreTrainedTokenizerBase, model: PreTrainedModel | None = None) -> bool:
    """Give the tokenizer a pad token distinct from eos; set ``config.pad_token_id``. Returns True if a token was added.

    Why distinct: the native decoder heads of ``transformers`` pool "the rightmost token
    that is not ``pad_token_id``", so with pad == eos a real trailing eos would be
    skipped, and with no pad token batches cannot be padded at all. We reuse ``unk`` when
    the tokenizer has one, else add ``<|pad|>`` and resize the embeddings (the saved
    checkpoint carries the new row, so plain ``transformers`` sees the same ids).
    """
    added = False
    pad, eos, unk = tokenizer.pad_token_id, tokenizer.eos_token_id, tokenizer.unk_token_id
    if pad is None or (eos is not None and pad == eos):
        if unk is not None and unk != eos:
            tokenizer.pad_token = tokenizer.unk_token
        else:
            added = tokenizer.add_special_tokens({"pad_token": PAD_TOKEN}) > 0
    if model is not None:
        if added or len(tokenizer) > model.get_input_embeddings().weight.shape[0]:
            model.resize_token_embeddings(len(tokenizer), mean_resizing=False)
        model.config.pad_token_id = tokenizer.pad_token_id
    return added


@contextlib.contextmanager
def new_head_expected():
    """Silence transformers' load report while loading a backbone whose head is new by
    design (its list of "missing" head weights says nothing there); restores the
    caller's verbosity afterwards."""
    previous = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()
    try:
        yield
    finally:
        hf_logging.set_verbosity(previous)


def load_reward_model(
    name_or_path: str | None = None,
    *,
    pooling: str = "auto",
    dtype: torch.dtype | str | None = None,
    tokenizer: PreTrainedTokenizerBase | None = None,
    **model_kwargs,
) -> tuple[PreTrainedModel, PreTrainedTokenizerBase]:
    """Any HF id or local path -> (reward model, tokenizer); the model maps (N, L) ids to logits (N, 1).

    ``pooling``: ``auto`` (the architecture's native: ``last`` non-padding token for
    decoders, ``first`` token for encoders), or ``first`` / ``last`` / ``mean``. The
    native pooling gives the backbone's own ``AutoModelForSequenceClassification``
    class (a plain checkpoint once saved); another pooling gives a
    :class:`PooledRewardModel`, saved with its code beside it (``trust_remote_code``).
    ``name_or_path=None`` uses the offline MiniLM (:func:`workbench.paths.default_backbone`).
    A checkpoint written by :func:`save_reward_model` reloads with its own pooling.
    """
    if name_or_path is None:
        from workbench.paths import default_backbone

        with new_head_expected():
            return load_reward_model(default_backbone(), pooling=pooling, dtype=dtype, tokenizer=tokenizer,
                                     **model_kwargs)
    name_or_path = str(name_or_path)
    config = AutoConfig.from_pretrained(name_or_path)
    if tokenizer is None:
        tokenizer = AutoTokenizer.from_pretrained(name_or_path)
    kwargs = dict(model_kwargs)
    if dtype is not None:
        kwargs["dtype"] = getattr(torch, dtype) if isinstance(dtype, str) else dtype
    saved_pooling = getattr(config, "reward_pooling", None)
    if saved_pooling is not None and pooling in ("auto", saved_pooling):
        model = PooledRewardModel.from_pretrained(name_or_path, config=config, **kwargs)
    else:
        pooling = resolve_pooling(config, pooling)
        native = config.model_type in MODEL_FOR_SEQUENCE_CLASSIFICATION_MAPPING_NAMES
        if pooling == native_pooling(config) and native:
            model = AutoModelForSequenceClassification.from_pretrained(
                name_or_path, num_labels=1, **kwargs)
        else:
            backbone = AutoModel.from_pretrained(name_or_path, **kwargs)
            config = backbone.config
            config.reward_pooling, config.num_labels = pooling, 1
            model = PooledRewardModel(config, backbone=backbone)
    model.config.problem_type = "regression"
    ensure_pad_token(tokenizer, model)
    return model, tokenizer


def reward_model_from_config(config: PretrainedConfig, *, pooling: str = "auto") -> PreTrainedModel:
    """A randomly initialised reward model from a backbone config (tiny test models, GPU smoke runs)."""
    pooling = resolve_pooling(config, pooling)
    config.num_labels = 1
    if pooling == native_pooling(config) and config.model_type in MODEL_FOR_SEQUENCE_CLASSIFICATION_MAPPING_NAMES:
        model = AutoModelForSequenceClassification.from_config(config)
    else:
        config.reward_pooling = pooling
        model = PooledRewardModel(config)
    model.config.problem_type = "regression"
    return model


def pooling_of(model: PreTrainedModel) -> str:
    """The pooling a reward model uses."""
    model = unwrap(model)
    return getattr(model.config, "reward_pooling", None) or native_pooling(model.config)


def unwrap(model):
    """Strip DDP / torch.compile / peft wrappers to the transformers model."""
    while True:
        if hasattr(model, "module"):
            model = model.module
        elif hasattr(model, "_orig_mod"):
            model = model._orig_mod
        elif hasattr(model, "get_base_model"):
            model = model.get_base_model()
        else:
            return model


def _accepts_position_ids(model) -> bool:
    model = unwrap(model)
    if isinstance(model, PooledRewardModel):
        model = model.backbone
    return "position_ids" in inspect.signature(model.forward).parameters


def position_ids_for(attention_mask: torch.Tensor) -> torch.Tensor:
    """(N, L) positions counting only real tokens, so left padding does not shift a sequence."""
    return (attention_mask.long().cumsum(-1) - 1).clamp_min(0)


@contextlib.contextmanager
def eval_mode(model):
    """Run ``model`` in eval mode (no dropout) and give it back in the mode it was found in.

    Scoring helpers use it so that scoring a model halfway through training (a
    notebook, an ``evaluate_fn``) does not silently switch its dropout off for the
    rest of the run::

        with eval_mode(model), torch.no_grad():
            scores = forward_scores(model, input_ids, attention_mask)
    """
    was_training = model.training
    model.eval()
    try:
        yield model
    finally:
        model.train(was_training)


def forward_scores(model, input_ids: torch.Tensor, attention_mask: torch.Tensor, **extra) -> torch.Tensor:
    """Rewards (N,) for (N, L) token ids; padding side does not matter (positions come from the mask)."""
    if _accepts_position_ids(model) and "position_ids" not in extra:
        extra["position_ids"] = position_ids_for(attention_mask)
    out = model(input_ids=input_ids, attention_mask=attention_mask, **extra)
    return out.logits[..., 0].float()


@torch.no_grad()
def score_texts(model, tokenizer, texts: list[str], *, batch_size: int = 32,
                max_length: int | None = None) -> torch.Tensor:
    """Rewards (N,) for N plain texts, tokenised as ``pipeline('text-classification')`` does.

    Scored without dropout; the model is left in the mode it was found in."""
    device = next(model.parameters()).device
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    scores = torch.empty(len(texts))
    with eval_mode(model):
        for start in range(0, len(order), batch_size):
            idx = order[start:start + batch_size]
            enc = tokenizer([texts[i] for i in idx], padding=True, truncation=max_length is not None,
                            max_length=max_length, return_tensors="pt")
            scores[idx] = forward_scores(model, enc["input_ids"].to(device),
                                         enc["attention_mask"].to(device)).cpu()
    return scores


def save_reward_model(model, tokenizer, path: str | Path) -> Path:
    """Write a checkpoint that ``AutoModelForSequenceClassification.from_pretrained(path)`` loads alone.

    LoRA adapters are merged first. A :class:`PooledRewardModel` (non-native pooling)
    also gets ``modeling_workbench_reward.py`` and an ``auto_map``, so plain
    transformers loads it with ``trust_remote_code=True``.
    """
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    model = unwrap_for_saving(model)
    if isinstance(model, PooledRewardModel):
        shutil.copyfile(Path(__file__).with_name("pooled.py"), path / REMOTE_CODE_FILE)
        model.config.auto_map = {
            "AutoModelForSequenceClassification": f"{REMOTE_CODE_FILE[:-3]}.PooledRewardModel"}
    model.config.pad_token_id = tokenizer.pad_token_id
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


def unwrap_for_saving(model):
    """DDP/compile unwrapped, and a peft model merged into its base weights."""
    while hasattr(model, "module") or hasattr(model, "_orig_mod"):
        model = getattr(model, "module", None) or model._orig_mod
    if hasattr(model, "merge_and_unload"):
        model = model.merge_and_unload()
    return model
