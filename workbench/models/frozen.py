"""Reward heads on frozen backbone features: the fast path for teaching on a CPU.

Encoding every text once with a frozen backbone and training only a small head
on the pooled features turns minutes of fine-tuning into seconds, and keeps
what matters for the length-bias lessons: the features carry both content and
length, so a head trained on length-biased labels absorbs the bias.

- :func:`embed_texts` ``(prompts, responses) -> (N, H)`` features: the backbone's
  hidden states pooled by :func:`workbench.models.pool_hidden` (mean by default:
  all-MiniLM-L6-v2 was trained as a mean-pooled sentence encoder).
- :func:`embed_pairs`: the same for a frame of pairs, ``(B, H)`` chosen and rejected.
- :class:`FeatureRewardModel`: ``features (N, H) -> (N, n_outputs)`` through one
  hidden layer (the trainable "shared backbone") and a linear ``head``.
- :class:`FeaturePairs` + :func:`collate_feature_pairs`: a map-style dataset of
  pairs and its collator in the layout of :mod:`workbench.data.collate`
  (``features`` (2B, H), chosen rows first; ``lengths`` (2B,)), so
  :func:`workbench.training.train` runs it with ``collate_fn=collate_feature_pairs``.
- :func:`feature_pairwise_objective`: Bradley-Terry (+ ``center_weight`` ×
  :func:`workbench.losses.center_penalty`) as a ``compute_loss(model, batch)``, with
  the metrics of :mod:`workbench.training.objectives`.
"""
from __future__ import annotations

import functools
from collections.abc import Sequence

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

from workbench import losses
from workbench.models.loading import eval_mode
from workbench.models.pooled import pool_hidden


@functools.lru_cache(maxsize=2)
def _frozen_backbone(path: str):
    """(tokenizer, backbone in eval mode), loaded once per path: it is never trained here."""
    from transformers import AutoModel, AutoTokenizer

    return AutoTokenizer.from_pretrained(path), AutoModel.from_pretrained(path).eval()


@torch.no_grad()
def embed_texts(
    prompts: Sequence[str] | None,
    responses: Sequence[str],
    *,
    model_path: str | None = None,
    max_length: int = 128,
    batch_size: int = 64,
    pooling: str = "mean",
    progress: bool = True,
) -> np.ndarray:
    """Frozen features ``(N, H)`` float32 of ``prompt [SEP] response`` (or the response alone).

    Pairs longer than ``max_length`` tokens are cut longest-first (the longer of
    prompt and response loses tokens from its end). Texts are sorted by length
    into batches to cut padding. ``model_path`` defaults to the offline MiniLM.
    """
    from workbench.paths import default_backbone

    if prompts is not None and len(prompts) != len(responses):
        raise ValueError(f"prompts has {len(prompts)} entries, responses {len(responses)}")
    for i, text in enumerate(responses):
        if not isinstance(text, str):
            raise ValueError(f"responses[{i}] must be a string, got {type(text).__name__}")
    tokenizer, backbone = _frozen_backbone(model_path or default_backbone())
    order = np.argsort([len(r) + (len(prompts[i]) if prompts is not None else 0) for i, r in enumerate(responses)])
    features = np.zeros((len(responses), backbone.config.hidden_size), dtype=np.float32)
    for start in tqdm(range(0, len(order), batch_size), desc="embed", disable=not progress):
        idx = order[start:start + batch_size]
        pair = ([prompts[i] for i in idx],) if prompts is not None else ()
        encoded = tokenizer(*pair, [responses[i] for i in idx], padding=True, truncation="longest_first",
                            max_length=max_length, return_tensors="pt")
        hidden = backbone(**encoded).last_hidden_state
        features[idx] = pool_hidden(hidden, encoded["attention_mask"], pooling).numpy()
    return features


def embed_pairs(pairs, **kwargs) -> tuple[np.ndarray, np.ndarray]:
    """Features of ``prompt + chosen`` and ``prompt + rejected`` for a frame of pairs
    (columns ``prompt``, ``chosen``, ``rejected``): two ``(B, H)`` arrays, in one
    :func:`embed_texts` call (``kwargs`` go to it)."""
    for column in ("prompt", "chosen", "rejected"):
        if column not in pairs:
            raise ValueError(f"pairs need a {column!r} column")
    n = len(pairs)
    features = embed_texts(list(pairs["prompt"]) * 2, list(pairs["chosen"]) + list(pairs["rejected"]), **kwargs)
    return features[:n], features[n:]


class FeatureRewardModel(nn.Module):
    """``r = head(GELU(W h + b))``: features ``(N, H)`` -> rewards ``(N, n_outputs)``.

    ``n_outputs=1``: a scalar reward model; ``n_outputs=2``: the quality and
    length heads of ODIN (:mod:`workbench.models.odin`) on a shared hidden layer.
    """

    def __init__(self, in_features: int, *, hidden: int = 128, n_outputs: int = 1, dropout: float = 0.1):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(in_features, hidden), nn.GELU(), nn.Dropout(dropout))
        self.head = nn.Linear(hidden, n_outputs)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(features))

    @torch.no_grad()
    def score(self, features: np.ndarray | torch.Tensor, output: int = 0) -> np.ndarray:
        """Rewards ``(N,)`` from one output (0: the reward, or ODIN's quality head), without
        dropout; the model is left in the mode it was in."""
        with eval_mode(self):
            return self(torch.as_tensor(features, dtype=torch.float32))[:, output].numpy()


class FeaturePairs(torch.utils.data.Dataset):
    """Pairs of feature rows: ``chosen`` and ``rejected`` ``(B, H)``, their lengths ``(B,)``."""

    def __init__(self, chosen: np.ndarray, rejected: np.ndarray,
                 lengths_chosen: Sequence[float] | None = None, lengths_rejected: Sequence[float] | None = None):
        if chosen.shape != rejected.shape or chosen.ndim != 2:
            raise ValueError(f"chosen {chosen.shape} and rejected {rejected.shape} must be equal (B, H) arrays")
        n = len(chosen)
        self.chosen = torch.as_tensor(chosen, dtype=torch.float32)
        self.rejected = torch.as_tensor(rejected, dtype=torch.float32)
        self.lengths_chosen = torch.as_tensor(np.zeros(n) if lengths_chosen is None else np.array(lengths_chosen),
                                              dtype=torch.float32)
        self.lengths_rejected = torch.as_tensor(np.zeros(n) if lengths_rejected is None else np.array(lengths_rejected),
                                                dtype=torch.float32)
        if len(self.lengths_chosen) != n or len(self.lengths_rejected) != n:
            raise ValueError(f"lengths must have {n} entries, one per pair")

    def __len__(self) -> int:
        return len(self.chosen)

    def __getitem__(self, i: int) -> dict:
        return {"chosen": self.chosen[i], "rejected": self.rejected[i],
                "length_chosen": self.lengths_chosen[i], "length_rejected": self.lengths_rejected[i]}


def collate_feature_pairs(items: list[dict]) -> dict:
    """``features`` (2B, H) chosen rows first, ``lengths`` (2B,), ``margin`` (B,) zeros."""
    features = torch.stack([it["chosen"] for it in items] + [it["rejected"] for it in items])
    lengths = torch.stack([it["length_chosen"] for it in items] + [it["length_rejected"] for it in items])
    return {"features": features, "lengths": lengths, "margin": torch.zeros(len(items))}


def _pair_metrics(chosen: torch.Tensor, rejected: torch.Tensor) -> dict[str, torch.Tensor]:
    """``accuracy`` (a tie counts half) and ``mean_margin`` of ``(B,)`` rewards, as detached
    0-dim tensors: the definitions of :func:`workbench.training.metrics.pairwise_metrics`,
    repeated here because models sit below training (a test keeps the two equal)."""
    difference = (chosen - rejected).detach().float()
    correct = (difference > 0).float() + 0.5 * (difference == 0).float()
    return {"accuracy": correct.mean(), "mean_margin": difference.mean()}


def feature_pairwise_objective(*, center_weight: float = 0.0):
    """``compute_loss(model, batch)``: BT on ``model(features)[:, 0]`` + ``center_weight`` × centering.

    Metrics in the vocabulary of :mod:`workbench.training.objectives`: ``loss`` (the total),
    ``preference_loss`` and ``center_penalty`` when centering is on, ``accuracy``, ``mean_margin``.
    """

    def compute_loss(model, batch):
        scores = model(batch["features"])[:, 0]
        half = scores.shape[0] // 2
        chosen, rejected = scores[:half], scores[half:]
        loss = losses.bradley_terry(chosen, rejected)
        metrics = {}
        if center_weight:
            penalty = losses.center_penalty(chosen, rejected)
            metrics = {"preference_loss": loss.detach(), "center_penalty": penalty.detach()}
            loss = loss + center_weight * penalty
        return loss, {"loss": loss.detach(), **metrics, **_pair_metrics(chosen, rejected)}

    return compute_loss
