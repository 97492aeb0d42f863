"""Training objectives: ``compute_loss(model, batch) -> (loss, metrics)`` built from a loss name.

The training loop knows nothing else about the task. An objective scores the batch
with :func:`workbench.models.forward_scores`, applies a loss from
:mod:`workbench.losses` (plus ``center_weight`` times the centering penalty) and
returns a scalar loss and a dict of float metrics for logging. Another area plugs
in its own model and objective with the same signature (a PRM token head, a
two-head ODIN model) and reuses :func:`workbench.training.train` unchanged.
"""
from __future__ import annotations

import torch

from workbench import losses
from workbench.models import forward_scores
from workbench.training.metrics import listwise_metrics, pairwise_metrics


def score_pairs(model, batch: dict) -> tuple[torch.Tensor, torch.Tensor]:
    """(chosen, rejected) rewards (B,) from a pairwise batch in one forward pass over (2B, L)."""
    scores = forward_scores(model, batch["input_ids"], batch["attention_mask"])
    half = scores.shape[0] // 2
    return scores[:half], scores[half:]


def score_lists(model, batch: dict) -> torch.Tensor:
    """(B, K_max) rewards from a listwise batch (padding slots hold row 0's score; use ``batch['mask']``)."""
    flat = forward_scores(model, batch["input_ids"], batch["attention_mask"])
    return flat[batch["index"]]


def pairwise_objective(loss: str = "bradley_terry", *, loss_kwargs: dict | None = None,
                       center_weight: float = 0.0):
    """compute_loss for pairwise batches.

    ``bradley_terry_ties`` uses the batch's ``tie`` column; other pairwise losses skip
    tied pairs (mask) since they have no tie outcome. ``bradley_terry`` takes the
    batch's ``margin`` (0 where a record has none, i.e. plain BT).
    """
    if losses.is_listwise(loss):
        raise ValueError(f"{loss!r} is a listwise loss; use listwise records or listwise_objective")
    fn = losses.get_loss(loss, **(loss_kwargs or {}))

    def compute_loss(model, batch):
        chosen, rejected = score_pairs(model, batch)
        if loss == "bradley_terry_ties":
            value = fn(chosen, rejected, tie=batch["tie"])
        elif loss == "bradley_terry":
            value = fn(chosen, rejected, margin=batch["margin"].to(chosen.dtype), mask=~batch["tie"])
        else:
            value = fn(chosen, rejected, mask=~batch["tie"])
        metrics = {"loss": value.detach().item()}
        if center_weight:
            penalty = losses.center_penalty(chosen, rejected)
            value = value + center_weight * penalty
            metrics["center_penalty"] = penalty.detach().item()
        metrics.update(pairwise_metrics(chosen.detach(), rejected.detach()))
        metrics.pop("n_pairs")
        return value, metrics

    return compute_loss


def listwise_objective(loss: str = "plackett_luce", *, loss_kwargs: dict | None = None,
                       center_weight: float = 0.0, score_fn=None):
    """compute_loss for listwise batches; ``top_k`` is passed to losses that take it.

    ``score_fn(model, batch) -> (B, K)`` scores a batch (default :func:`score_lists`;
    shared-prompt packing passes its own)."""
    if not losses.is_listwise(loss):
        raise ValueError(f"{loss!r} is a pairwise loss; expand lists with workbench.data.pairs_from_list")
    fn = losses.get_loss(loss, **(loss_kwargs or {}))
    # plackett_luce takes a per-list (B,) top_k; lambdarank's top_k is a metric cut-off, not data
    takes_top_k = losses.LOSSES[loss] is losses.plackett_luce
    score_fn = score_fn or score_lists

    def compute_loss(model, batch):
        scores = score_fn(model, batch)
        mask, labels = batch["mask"].to(scores.device), batch["labels"].to(scores.device, scores.dtype)
        kwargs = {}
        top_k = batch["top_k"].to(scores.device)
        if takes_top_k and (top_k < mask.sum(-1)).any():
            kwargs["top_k"] = top_k
        value = fn(scores, labels, mask=mask, **kwargs)
        metrics = {"loss": value.detach().item()}
        if center_weight:
            penalty = losses.center_penalty(scores, mask=mask)
            value = value + center_weight * penalty
            metrics["center_penalty"] = penalty.detach().item()
        metrics.update(listwise_metrics(scores.detach(), labels.detach(), mask))
        metrics.pop("n_lists")
        return value, metrics

    return compute_loss


def objective_for(kind: str, loss: str, *, loss_kwargs: dict | None = None, center_weight: float = 0.0):
    """The objective for ``pairwise`` or ``listwise`` data."""
    make = pairwise_objective if kind == "pairwise" else listwise_objective
    return make(loss, loss_kwargs=loss_kwargs, center_weight=center_weight)
