"""ODIN: a quality head and a length head on one backbone; only quality scores.

Chen et al. 2024, "ODIN: Disentangled Reward Mitigates Hacking in RLHF". Two
linear heads read the same pooled representation ``h``: ``r_Q = w_Q·h + b_Q``
(quality) and ``r_L = w_L·h + b_L`` (length). Training fits the preferences with
their sum and pushes length into ``r_L`` and out of ``r_Q``:

    loss = BT(r_Q + r_L)                                    ranking loss on the sum
         + λ_L · ( |ρ(r_Q, L)| - ρ(r_L, L) )                length: out of Q, into L
         + λ_O · |w_Q · w_L|                                orthogonal head weights

``ρ`` is the Pearson correlation over the 2B responses of the batch and ``L``
the response lengths. The two disentangling terms are pure tensor functions in
:mod:`workbench.losses.odin` (:func:`~workbench.losses.length_correlation_penalty`,
:func:`~workbench.losses.orthogonality_penalty`); :func:`odin_loss` adds them up.
At scoring time only ``r_Q`` is used, so the length preference that the labels
carry is absorbed by the discarded head.

Two ways to run it, one loss:

- a Hugging Face sequence classifier with ``num_labels=2`` (row 0 of the head is
  quality, row 1 length): :func:`odin_model_from_pretrained`, trained by
  :func:`workbench.training.train` with ``compute_loss=odin_objective()``;
  :func:`save_odin_model` writes a plain one-label checkpoint whose head is the
  quality row (``AutoModelForSequenceClassification.from_pretrained(path)``
  scores ``r_Q`` with no workbench import) plus ``odin_length_head.json``;
- :class:`workbench.models.frozen.FeatureRewardModel` with ``n_outputs=2`` on
  frozen features (the notebook's fast path).

Lengths come from ``batch["lengths"]`` (2B,) when the batch has them (the
feature collator gives response lengths); otherwise the token count of each
sequence from ``attention_mask``: prompt plus response, which within a pair
differs only by the response.
"""
from __future__ import annotations

import copy
import json
from pathlib import Path

import torch
from torch import nn

from workbench import losses
from workbench.models.frozen import _pair_metrics

LENGTH_HEAD_FILE = "odin_length_head.json"


# The name this module gave the correlation before it moved to losses/.
batch_pearson = losses.pearson_correlation


def odin_loss(quality: torch.Tensor, length_reward: torch.Tensor, lengths: torch.Tensor,
              quality_weight: torch.Tensor, length_weight: torch.Tensor, *,
              length_penalty: float = 1.0, orthogonality: float = 1.0) -> tuple[torch.Tensor, dict]:
    """The ODIN loss of the module docstring and its parts.

    ``quality``, ``length_reward``, ``lengths``: ``(2B,)``, rows ``0..B-1`` chosen,
    ``B..2B-1`` rejected. ``quality_weight``, ``length_weight``: the heads' weight
    vectors ``(H,)``. ``length_penalty`` = λ_L, ``orthogonality`` = λ_O. Returns the
    scalar loss and detached parts: ``rank`` (the paper's ranking loss, BT on
    ``r_Q + r_L``), ``rho_quality`` = ρ(r_Q, L), ``rho_length`` = ρ(r_L, L),
    ``orthogonality`` = |w_Q · w_L|.
    """
    n = quality.shape[0]
    if quality.ndim != 1 or n % 2 or length_reward.shape != quality.shape or lengths.shape != quality.shape:
        raise ValueError(f"quality, length_reward and lengths must be equal (2B,) tensors, got "
                         f"{tuple(quality.shape)}, {tuple(length_reward.shape)}, {tuple(lengths.shape)}")
    total = quality + length_reward
    rank = losses.bradley_terry(total[: n // 2], total[n // 2:])
    length_term = losses.length_correlation_penalty(quality, length_reward, lengths)
    orth = losses.orthogonality_penalty(quality_weight, length_weight)
    loss = rank + length_penalty * length_term + orthogonality * orth
    with torch.no_grad():  # the two correlations again, for the log (2B numbers: cheap)
        lengths = lengths.to(quality.dtype)
        rho_quality = losses.pearson_correlation(quality.detach(), lengths)
        rho_length = losses.pearson_correlation(length_reward.detach(), lengths)
    parts = {"rank": rank.detach(), "rho_quality": rho_quality, "rho_length": rho_length,
             "orthogonality": orth.detach()}
    return loss, parts


def head_of(model: nn.Module) -> nn.Linear:
    """The two-output linear head: ``model.head`` (feature models), ``classifier`` (BERT-like)
    or ``score`` (decoders)."""
    for name in ("head", "classifier", "score"):
        head = getattr(model, name, None)
        if isinstance(head, nn.Linear) and head.out_features == 2:
            return head
    raise ValueError("ODIN needs a model with a two-output linear head named head, classifier or score "
                     "(build it with odin_model_from_pretrained or FeatureRewardModel(n_outputs=2))")


def two_scores(model: nn.Module, batch: dict) -> torch.Tensor:
    """``(N, 2)`` [quality, length] outputs for a feature batch or a tokenised batch."""
    if "features" in batch:
        return model(batch["features"])
    return model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits.float()


def odin_objective(*, length_penalty: float = 1.0, orthogonality: float = 1.0):
    """``compute_loss(model, batch) -> (loss, metrics)`` for :func:`workbench.training.train`.

    Metrics in the vocabulary of :mod:`workbench.training.objectives`: ``loss`` (the
    total), ``preference_loss`` (:func:`odin_loss`'s ``rank``), ``rho_quality``,
    ``rho_length``, ``orthogonality``, and ``accuracy`` / ``mean_margin`` of the quality
    head ``r_Q`` alone (what scores at test time).
    """

    def compute_loss(model, batch):
        outputs = two_scores(model, batch)
        lengths = batch["lengths"] if "lengths" in batch else batch["attention_mask"].sum(-1)
        head = head_of(getattr(model, "module", model))
        loss, parts = odin_loss(outputs[:, 0], outputs[:, 1], lengths, head.weight[0], head.weight[1],
                                length_penalty=length_penalty, orthogonality=orthogonality)
        half = outputs.shape[0] // 2
        terms = {"preference_loss": parts.pop("rank"), **parts}
        return loss, {"loss": loss.detach(), **terms, **_pair_metrics(outputs[:half, 0], outputs[half:, 0])}

    return compute_loss


def odin_model_from_pretrained(model_path: str | None = None):
    """``(model, tokenizer)``: the backbone's sequence classifier with two outputs."""
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from workbench.models.loading import ensure_pad_token
    from workbench.paths import default_backbone

    path = model_path or default_backbone()
    tokenizer = AutoTokenizer.from_pretrained(path)
    # A one-label reward checkpoint as the start: its head is replaced by a fresh two-row one.
    model = AutoModelForSequenceClassification.from_pretrained(path, num_labels=2, ignore_mismatched_sizes=True)
    ensure_pad_token(tokenizer, model)
    return model, tokenizer


def quality_only(model: nn.Module) -> nn.Module:
    """A copy of a two-output classifier as a one-output classifier whose head is the quality row."""
    head = head_of(model)
    config = copy.deepcopy(model.config)
    config.num_labels = 1
    single = type(model)(config)
    state = model.state_dict()
    head_name = next(name for name, module in model.named_modules() if module is head)
    state[f"{head_name}.weight"] = head.weight[:1].detach().clone()
    if head.bias is not None:
        state[f"{head_name}.bias"] = head.bias[:1].detach().clone()
    single.load_state_dict(state)
    return single


def save_odin_model(model: nn.Module, tokenizer, path: str | Path) -> Path:
    """A plain one-label checkpoint scoring ``r_Q``, plus the length head in ``odin_length_head.json``."""
    from workbench.models.loading import save_reward_model, unwrap_for_saving

    model = unwrap_for_saving(model)
    head = head_of(model)
    path = save_reward_model(quality_only(model), tokenizer, path)
    length_head = {"weight": head.weight[1].tolist(),
                   "bias": float(head.bias[1].detach()) if head.bias is not None else None}
    (path / LENGTH_HEAD_FILE).write_text(json.dumps(length_head))
    return path


def load_odin_model(path: str | Path):
    """``(model, tokenizer)``: the two-output model back from :func:`save_odin_model`'s folder."""
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    path = Path(path)
    length_file = path / LENGTH_HEAD_FILE
    if not length_file.is_file():
        raise ValueError(f"{path} has no {LENGTH_HEAD_FILE}: not an ODIN checkpoint")
    single = AutoModelForSequenceClassification.from_pretrained(path)
    length_head = json.loads(length_file.read_text())
    config = copy.deepcopy(single.config)
    config.num_labels = 2
    model = type(single)(config)
    state = single.state_dict()
    head_name = next(n for n in ("classifier", "score") if isinstance(getattr(single, n, None), nn.Linear))
    weight = torch.tensor(length_head["weight"], dtype=state[f"{head_name}.weight"].dtype)
    state[f"{head_name}.weight"] = torch.cat([state[f"{head_name}.weight"], weight[None]])
    if length_head["bias"] is not None:
        state[f"{head_name}.bias"] = torch.cat([state[f"{head_name}.bias"], torch.tensor([length_head["bias"]])])
    model.load_state_dict(state)
    return model, AutoTokenizer.from_pretrained(path)
