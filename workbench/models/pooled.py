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
from transformers import AutoModel, PretrainedConfig, PreTrainedModel
from transformers.modeling_outputs import SequenceClassifierOutput

POOLINGS = ("first", "last", "mean")


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


class PooledRewardModel(PreTrainedModel):
    """Any ``AutoModel`` backbone, pooled by ``config.reward_pooling``, then ``score``: H -> 1."""

    config_class = PretrainedConfig
    base_model_prefix = "backbone"
    supports_gradient_checkpointing = True

    def __init__(self, config: PretrainedConfig, backbone: nn.Module | None = None):
        super().__init__(config)
        self.backbone = backbone if backbone is not None else AutoModel.from_config(config)
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
