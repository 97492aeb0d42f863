"""PRM and ORM training objectives: ``compute_loss(model, batch) -> (loss, metrics)``.

Each runs the model on a batch from :mod:`workbench.prm.model`'s collators and
compares its logits with the labels, so :func:`workbench.training.train` takes
it as ``compute_loss`` unchanged. (The pure loss is
``F.binary_cross_entropy_with_logits``; what is PRM-specific is where the
logits are read.) They have no hyperparameters, so unlike
``workbench.training.objectives.pairwise_objective(...)`` they are the
objective itself, not a builder of one.

PRM (Lightman et al., 2023; Wang et al., 2024, *Math-Shepherd*): binary
cross-entropy between the logit ``z_s`` at step ``s``'s separator token and
its hard or soft label ``y_s``, over the labelled steps ``L`` of the batch only::

    L = -(1/|L|) sum_{s in L} [y_s log σ(z_s) + (1 - y_s) log(1 - σ(z_s))]

ORM (Cobbe et al., 2021, verifiers): the same BCE between the whole solution's
score and its final correctness, one term per solution.

Metrics (floats, for logging), the project's vocabulary:

* ``"loss"``: the value returned, detached (both objectives).
* ``"step_accuracy"`` (PRM): fraction of labelled steps with ``z_s > 0`` iff ``y_s >= 0.5``.
* ``"accuracy"`` (ORM): fraction of solutions with ``score > 0`` iff ``label >= 0.5``.

A batch with no labelled step gives a zero loss that still has a graph (so
the loop's ``backward`` works) and ``{"loss": 0.0, "step_accuracy": 0.0}``.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from workbench.models import forward_scores

IGNORE = -100.0  # the label at tokens that are not a labelled step's score position


def prm_objective(model, batch: dict) -> tuple[torch.Tensor, dict]:
    """BCE between step logits and (hard or soft) labels at labelled separator tokens.

    batch: ``input_ids``, ``attention_mask`` (B, T) and ``labels`` (B, T) floats with
    ``IGNORE`` (-100) where there is no labelled step. Returns (loss, {"loss", "step_accuracy"}).
    """
    logits = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits[..., 0]
    labels = batch["labels"].to(logits.device)
    where = labels != IGNORE
    if not where.any():
        zero = logits.sum() * 0.0  # no labelled step in the batch: no signal, no NaN
        return zero, {"loss": 0.0, "step_accuracy": 0.0}
    chosen, targets = logits[where].float(), labels[where].float()
    loss = F.binary_cross_entropy_with_logits(chosen, targets)
    accuracy = ((chosen > 0) == (targets >= 0.5)).float().mean()
    return loss, {"loss": float(loss.detach()), "step_accuracy": float(accuracy)}


def orm_objective(model, batch: dict) -> tuple[torch.Tensor, dict]:
    """BCE between the solution score and its final correctness.

    batch: ``input_ids``, ``attention_mask`` (B, T) and ``labels`` (B,) in [0, 1].
    Returns (loss, {"loss", "accuracy"}).
    """
    scores = forward_scores(model, batch["input_ids"], batch["attention_mask"])
    labels = batch["labels"].to(scores.device).float()
    loss = F.binary_cross_entropy_with_logits(scores.float(), labels)
    accuracy = ((scores > 0) == (labels >= 0.5)).float().mean()
    return loss, {"loss": float(loss.detach()), "accuracy": float(accuracy)}
