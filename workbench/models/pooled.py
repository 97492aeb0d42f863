"""A reward model with a chosen pooling: backbone + pool + linear head to one value.

This file is deliberately self-contained (imports only ``torch`` and
``transformers``): ``save_reward_model`` copies it next to the weights of a
model whose pooling differs from what the backbone's own
``*ForSequenceClassification`` class does, and points the checkpoint's
``auto_map`` at it, so that

    AutoModelForSequenceClassification.from_pretrained(path, trust_remote_code=True)

loads and scores the checkpoint with no ``workbench`` import. Models whose
pooling is the architecture's native one are plain transformers classes and
need none of this.

A saved checkpoint's ``config.json`` has its own ``model_type``
(:data:`POOLED_MODEL_TYPE`, the backbone's in ``backbone_model_type``), so plain
``transformers`` refuses it without ``trust_remote_code=True`` instead of loading the
backbone's own class with the weights under other names, that is, a random model.

Shapes: ``input_ids``, ``attention_mask``: (N, L); hidden states (N, L, H);
pooled (N, H); ``logits`` (N, 1).

Pooling (``config.reward_pooling``):
    first  h[:, 0]                                    (encoders' [CLS])
    last   h[n, i_n], i_n = max{i : mask[n, i] = 1}   (decoders; left or right padding)
    mean   sum_i mask[n, i] h[n, i] / sum_i mask[n, i]
"""
from __future__ import annotations

import torch
from torch import nn
from transformers import AutoConfig, AutoModel, PretrainedConfig, PreTrainedModel
from transformers.modeling_outputs import SequenceClassifierOutput
from transformers.models.auto.configuration_auto import CONFIG_MAPPING

POOLINGS = ("first", "last", "mean")
POOLED_MODEL_TYPE = "workbench_pooled_reward"
# Keys of a saved PooledRewardConfig that are not the backbone's.
_OWN_KEYS = ("model_type", "backbone_model_type", "auto_map", "architectures", "transformers_version")


def pool_hidden(hidden: torch.Tensor, attention_mask: torch.Tensor, pooling: str) -> torch.Tensor:
    """Pool (N, L, H) hidden states to (N, H) using the (N, L) attention mask."""
    if pooling == "first":
        return hidden[:, 0]
    mask = attention_mask.to(hidden.dtype)
    if pooling == "mean":
        return (hidden * mask.unsqueeze(-1)).sum(1) / mask.sum(1, keepdim=True).clamp_min(1.0)
    if pooling == "last":
        positions = torch.arange(hidden.shape[1], device=hidden.device)
        last = (positions * attention_mask.to(positions.dtype)).argmax(-1)
        return hidden[torch.arange(hidden.shape[0], device=hidden.device), last]
    raise ValueError(f"unknown pooling {pooling!r}; choose one of {POOLINGS}")


class PooledRewardConfig(PretrainedConfig):
    """A saved pooled reward model's config: the backbone's keys plus ``backbone_model_type``."""

    model_type = POOLED_MODEL_TYPE

    def __init__(self, backbone_model_type: str | None = None, **kwargs):
        self.backbone_model_type = backbone_model_type
        super().__init__(**kwargs)

    def __getattr__(self, key: str):
        """The backbone's aliases (GPT-2's ``hidden_size`` is its ``n_embd``), found only when a plain
        lookup fails."""
        backbone_type = self.__dict__.get("backbone_model_type")
        if key.startswith("_") or backbone_type not in CONFIG_MAPPING:
            raise AttributeError(key)
        alias = CONFIG_MAPPING[backbone_type].attribute_map.get(key)
        if alias is None:
            raise AttributeError(key)
        return getattr(self, alias)

    def backbone_config(self) -> PretrainedConfig:
        """The backbone's own config class, from this config's keys."""
        values = {k: v for k, v in self.to_dict().items() if k not in _OWN_KEYS}
        return AutoConfig.for_model(self.backbone_model_type, **values)


class PooledRewardModel(PreTrainedModel):
    """Any ``AutoModel`` backbone, pooled by ``config.reward_pooling``, then ``score``: H -> 1."""

    config_class = PooledRewardConfig
    base_model_prefix = "backbone"
    supports_gradient_checkpointing = True
    # Attention runs inside the backbone, which checks its own support: the wrapper adds none.
    _supports_sdpa = _supports_flash_attn = _supports_flex_attn = _supports_attention_backend = True

    def __init__(self, config: PretrainedConfig, backbone: nn.Module | None = None):
        super().__init__(config)
        if backbone is None:
            inner = config.backbone_config() if isinstance(config, PooledRewardConfig) else config
            backbone = AutoModel.from_config(inner)
        self.backbone = backbone
        if getattr(self.backbone, "pooler", None) is not None:
            # BERT-style pooler (dense + tanh on [CLS]) is unused here: drop it so that
            # DDP sees no parameter without a gradient.
            self.backbone.pooler = None
        self.score = nn.Linear(config.hidden_size, config.num_labels, bias=True)
        self.pooling = getattr(config, "reward_pooling", "mean")
        self.post_init()

    def _init_weights(self, module):
        if module is getattr(self, "score", None):
            nn.init.normal_(module.weight, std=getattr(self.config, "initializer_range", 0.02))
            nn.init.zeros_(module.bias)

    def get_input_embeddings(self):
        return self.backbone.get_input_embeddings()

    def set_input_embeddings(self, value):
        self.backbone.set_input_embeddings(value)

    def forward(self, input_ids=None, attention_mask=None, labels=None, **kwargs):
        if attention_mask is None:
            attention_mask = torch.ones_like(input_ids)
        kwargs.pop("return_dict", None)
        out = self.backbone(input_ids=input_ids, attention_mask=attention_mask, **kwargs)
        pooled = pool_hidden(out.last_hidden_state, attention_mask, self.pooling)
        logits = self.score(pooled.to(self.score.weight.dtype))
        return SequenceClassifierOutput(logits=logits)
