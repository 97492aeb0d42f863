"""Training objectives: ``compute_loss(model, batch) -> (loss, metrics)`` built from a loss name.

The training loop knows nothing else about the task. An objective scores the batch
with :func:`workbench.models.forward_scores`, applies a loss from
:mod:`workbench.losses` (plus ``center_weight`` times the centering penalty) and
returns a scalar loss and a dict of metrics for logging. Another area plugs in its
own model and objective with the same signature (a PRM token head, a two-head ODIN
model) and reuses :func:`workbench.training.train` unchanged. What a loss reads from
the batch (a margin, a tie column, per-list ``top_k``) comes from its
:class:`workbench.losses.LossInfo`, not from its name.

One metric vocabulary, shared by every objective (here, ODIN's and the frozen-feature
one in :mod:`workbench.models`, the PRM ones in :mod:`workbench.prm.objectives`):

- ``loss``: the total value minimised, the tensor the objective returns (detached);
- ``preference_loss``: the preference term alone, reported when auxiliary terms are
  added to it (with none, it equals ``loss`` and is left out);
- auxiliary terms by their own names, unweighted: ``center_penalty`` (centering),
  ``rho_quality``, ``rho_length``, ``orthogonality`` (ODIN);
- pairs: ``accuracy`` and ``mean_margin`` over the batch's untied pairs (as
  :func:`workbench.training.metrics.pairwise_metrics` on held-out data); lists:
  ``kendall_tau``, ``ndcg``, ``pair_accuracy``, ``top1_accuracy``
  (:func:`~workbench.training.metrics.listwise_metrics`); process rewards:
  ``step_accuracy`` (PRM), ``accuracy`` (ORM).

Metric values are detached 0-dim tensors, so an objective never waits for the
device (``.item()`` is a host sync). The loop turns each into a float with
``float(value)`` when it records it, so plain floats from a custom objective work too.
"""
from __future__ import annotations

import torch

from workbench import losses
from workbench.models import forward_scores
from workbench.training.metrics import listwise_metric_tensors, pairwise_metric_tensors


def score_pairs(model, batch: dict) -> tuple[torch.Tensor, torch.Tensor]:
    """(chosen, rejected) rewards (B,) from a pairwise batch in one forward pass over (2B, L)."""
    scores = forward_scores(model, batch["input_ids"], batch["attention_mask"])
    half = scores.shape[0] // 2
    return scores[:half], scores[half:]


def score_lists(model, batch: dict) -> torch.Tensor:
    """(B, K_max) rewards from a listwise batch (padding slots hold row 0's score; use ``batch['mask']``)."""
    flat = forward_scores(model, batch["input_ids"], batch["attention_mask"])
    return flat[batch["index"]]


def _plus_center_penalty(value, penalty, center_weight: float) -> tuple[torch.Tensor, dict]:
    """``value + center_weight * penalty`` and the metrics of its terms."""
    total = value + center_weight * penalty
    return total, {"loss": total.detach(), "preference_loss": value.detach(), "center_penalty": penalty.detach()}


def pairwise_objective(loss: str = "bradley_terry", *, loss_kwargs: dict | None = None,
                       center_weight: float = 0.0, score_fn=None):
    """compute_loss for pairwise batches.

    ``score_fn(model, batch) -> (chosen, rejected)`` scores a batch (default
    :func:`score_pairs`; shared-prompt packing of pairs passes its own).

    A loss with a tie outcome (``takes_tie``: ``bradley_terry_ties``) scores every pair
    with the batch's ``tie`` column; other pairwise losses skip tied pairs (mask).
    A loss that ``takes_margin`` (``bradley_terry``) gets the batch's ``margin``
    (0 where a record has none, i.e. plain BT).
    """
    info = losses.loss_info(loss)
    if info.kind != "pairwise":
        raise ValueError(f"{loss!r} is a listwise loss; use listwise records or listwise_objective")
    fn = losses.get_loss(loss, **(loss_kwargs or {}))
    score_fn = score_fn or score_pairs

    def compute_loss(model, batch):
        chosen, rejected = score_fn(model, batch)
        untied = ~batch["tie"].to(chosen.device)
        kwargs = {"tie": ~untied} if info.takes_tie else {"mask": untied}
        if info.takes_margin:
            kwargs["margin"] = batch["margin"].to(chosen.device, chosen.dtype)
        value = fn(chosen, rejected, **kwargs)
        metrics = {"loss": value.detach()}
        if center_weight:
            value, metrics = _plus_center_penalty(value, losses.center_penalty(chosen, rejected), center_weight)
        return value, {**metrics, **pairwise_metric_tensors(chosen, rejected, untied)}

    return compute_loss


def listwise_objective(loss: str = "plackett_luce", *, loss_kwargs: dict | None = None,
                       center_weight: float = 0.0, score_fn=None):
    """compute_loss for listwise batches; the batch's ``top_k`` reaches losses that take it.

    ``score_fn(model, batch) -> (B, K)`` scores a batch (default :func:`score_lists`;
    shared-prompt packing passes its own)."""
    info = losses.loss_info(loss)
    if info.kind != "listwise":
        raise ValueError(f"{loss!r} is a pairwise loss; expand lists with workbench.data.pairs_from_list")
    fn = losses.get_loss(loss, **(loss_kwargs or {}))
    score_fn = score_fn or score_lists

    def compute_loss(model, batch):
        scores = score_fn(model, batch)
        mask, labels = batch["mask"].to(scores.device), batch["labels"].to(scores.device, scores.dtype)
        kwargs = {}
        top_k = batch["top_k"].to(scores.device)
        if info.takes_top_k and (top_k < mask.sum(-1)).any():
            kwargs["top_k"] = top_k
        value = fn(scores, labels, mask=mask, **kwargs)
        metrics = {"loss": value.detach()}
        if center_weight:
            value, metrics = _plus_center_penalty(value, losses.center_penalty(scores, mask=mask), center_weight)
        return value, {**metrics, **listwise_metric_tensors(scores, labels, mask)}

    return compute_loss


# The loss a record kind gets when the user names none (TrainConfig.loss = "auto").
DEFAULT_LOSS = {"pairwise": "bradley_terry", "listwise": "plackett_luce"}


def resolve_loss(kind: str, loss: str) -> str:
    """``auto`` -> the kind's default loss (:data:`DEFAULT_LOSS`); any other name as given."""
    return DEFAULT_LOSS.get(kind, "bradley_terry") if loss == "auto" else loss


def objective_for(kind: str, loss: str, *, loss_kwargs: dict | None = None, center_weight: float = 0.0):
    """The objective for ``pairwise`` or ``listwise`` data; ``loss="auto"`` picks the kind's default."""
    make = pairwise_objective if kind == "pairwise" else listwise_objective
    return make(resolve_loss(kind, loss), loss_kwargs=loss_kwargs, center_weight=center_weight)
