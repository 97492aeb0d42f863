"""Load any Hugging Face backbone as a scalar reward model; score texts; save plain checkpoints."""
from __future__ import annotations

import contextlib
import inspect
import json
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

from workbench.errors import UserError
from workbench.models.checkpoint_files import check_finished, move_model_files, temporary_folder_beside
from workbench.models.pooled import POOLED_MODEL_TYPE, POOLINGS, PooledRewardConfig, PooledRewardModel

REMOTE_CODE_FILE = "modeling_workbench_reward.py"
PAD_TOKEN = "<|pad|>"
# A plain line-per-turn chat format for tokenizers with none (encoders such as the default
# MiniLM): chat records work with every backbone, and it is saved with the tokenizer, so
# plain transformers renders a conversation exactly as training did.
DEFAULT_CHAT_TEMPLATE = ("{% for message in messages %}{{ message['role'] }}: {{ message['content'] }}\n"
                         "{% endfor %}{% if add_generation_prompt %}assistant: {% endif %}")

# In this process the pooled checkpoints' config and model classes are known without remote
# code; plain transformers (no workbench import) needs trust_remote_code=True (see pooled.py).
AutoConfig.register(POOLED_MODEL_TYPE, PooledRewardConfig, exist_ok=True)
AutoModelForSequenceClassification.register(PooledRewardConfig, PooledRewardModel, exist_ok=True)


def is_decoder_config(config: PretrainedConfig) -> bool:
    """True for causal decoders (GPT-2, Llama, Qwen, ...), False for encoders (BERT, RoBERTa, ...)."""
    model_type = getattr(config, "backbone_model_type", None) or getattr(config, "model_type", "")
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
    check_checkpoint(name_or_path)
    config = AutoConfig.from_pretrained(name_or_path)
    if tokenizer is None:
        tokenizer = AutoTokenizer.from_pretrained(name_or_path)
        if not getattr(tokenizer, "chat_template", None):
            tokenizer.chat_template = DEFAULT_CHAT_TEMPLATE
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


def looks_local(name: str) -> bool:
    """True when ``name`` can only mean a path here: absolute, ``./``/``~``-relative, more than one
    ``/``, a file suffix, or a first component that is a folder here (``runs/rm``)."""
    from workbench.paths import looks_like_path

    return looks_like_path(name)


def check_checkpoint(name_or_path: str, flag: str = "--model") -> None:
    """UserError, at once and offline, for a local checkpoint that is not there or not finished.

    A Hub id is left to transformers; a name that can only be a path never goes to the Hub
    (which would answer "Repo id must be in the form ..." after retries)."""
    path = Path(name_or_path).expanduser()
    if path.is_dir():
        check_finished(path)
        if not (path / "config.json").is_file():
            raise UserError(f"{flag}: no checkpoint at {name_or_path} (a folder without config.json)")
    elif path.exists():
        raise UserError(f"{flag}: no checkpoint at {name_or_path} (a file, not a checkpoint folder)")
    elif looks_local(name_or_path):
        raise UserError(f"{flag}: no checkpoint at {name_or_path} (no such folder)")


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
    also gets ``modeling_workbench_reward.py``, an ``auto_map`` and its own ``model_type``,
    so plain transformers loads it with ``trust_remote_code=True`` and refuses without.
    Written to a temporary folder beside ``path`` and moved in once complete
    (:func:`~workbench.models.checkpoint_files.move_model_files`): a failed save leaves
    the old model as it was, and no file of the old model stays mixed in.
    """
    path = Path(path)
    model = unwrap_for_saving(model)
    model.config.pad_token_id = tokenizer.pad_token_id
    staging = temporary_folder_beside(path)
    try:
        model.save_pretrained(staging)
        tokenizer.save_pretrained(staging)
        if isinstance(model, PooledRewardModel):
            _mark_pooled(staging)
        return move_model_files(staging, path)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _mark_pooled(folder: Path) -> None:
    """Give a saved PooledRewardModel its code, its model_type and an auto_map (see pooled.py)."""
    shutil.copyfile(Path(__file__).with_name("pooled.py"), folder / REMOTE_CODE_FILE)
    config_file = folder / "config.json"
    values = json.loads(config_file.read_text())
    if values.get("model_type") != POOLED_MODEL_TYPE:
        values["backbone_model_type"] = values.get("model_type")
    values["model_type"] = POOLED_MODEL_TYPE
    module = REMOTE_CODE_FILE[:-3]
    values["auto_map"] = {"AutoConfig": f"{module}.PooledRewardConfig",
                          "AutoModelForSequenceClassification": f"{module}.PooledRewardModel"}
    config_file.write_text(json.dumps(values, indent=2, sort_keys=True) + "\n")


def unwrap_for_saving(model):
    """DDP/compile unwrapped, and a peft model merged into its base weights."""
    while hasattr(model, "module") or hasattr(model, "_orig_mod"):
        model = getattr(model, "module", None) or model._orig_mod
    if hasattr(model, "merge_and_unload"):
        model = model.merge_and_unload()
    return model
