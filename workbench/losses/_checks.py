"""Input checks and reductions shared by every loss.

Checks raise ``ValueError`` with the argument's name, so a wrong shape or dtype
is caught at the loss boundary instead of surfacing as a broadcast or NaN later.
"""
from __future__ import annotations

import torch

REDUCTIONS = ("mean", "sum", "none")

# Masked items are filled with (lowest real score - FILL_GAP): exp() of the gap
# underflows to exactly 0 in float32 and float64, so padding adds nothing to any
# log-sum-exp while every intermediate stays finite (no -inf - -inf = NaN, in the
# forward or the backward pass). _ties.py fills with the same gap, for the same reason.
FILL_GAP = 1e5


def check_tensor(value, name: str, *, ndim: int | None = None, floating: bool = False) -> torch.Tensor:
    if not isinstance(value, torch.Tensor):
        raise ValueError(f"{name} must be a torch.Tensor, got {type(value).__name__}")
    if ndim is not None and value.ndim != ndim:
        raise ValueError(f"{name} must have {ndim} dimension(s), got shape {tuple(value.shape)}")
    if floating and not value.is_floating_point():
        raise ValueError(f"{name} must be a floating-point tensor, got dtype {value.dtype}")
    return value


def check_same_shape(reference: torch.Tensor, ref_name: str, other: torch.Tensor, name: str) -> None:
    if other.shape != reference.shape:
        raise ValueError(
            f"{name} has shape {tuple(other.shape)} but {ref_name} has shape {tuple(reference.shape)}"
        )


def check_reduction(reduction: str) -> None:
    if reduction not in REDUCTIONS:
        raise ValueError(f"reduction must be one of {REDUCTIONS}, got {reduction!r}")


def check_mask(mask, reference: torch.Tensor, ref_name: str) -> torch.Tensor:
    """Return a bool mask of ``reference``'s shape (all True when ``mask`` is None)."""
    if mask is None:
        return torch.ones(reference.shape, dtype=torch.bool, device=reference.device)
    check_tensor(mask, "mask")
    if mask.dtype != torch.bool:
        raise ValueError(f"mask must be a bool tensor (True = real item), got dtype {mask.dtype}")
    check_same_shape(reference, ref_name, mask, "mask")
    return mask


def check_labels(labels, scores: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Labels as a float tensor of the scores' dtype; NaN in a real item is an error."""
    check_tensor(labels, "labels")
    check_same_shape(scores, "scores", labels, "labels")
    if labels.dtype == torch.bool or labels.is_complex():
        raise ValueError(f"labels must be real numbers (graded preferences), got dtype {labels.dtype}")
    labels = labels.to(scores.dtype)
    bad = torch.isnan(labels).logical_and_(mask)
    if bad.any():
        rows = bad.any(dim=-1).nonzero().flatten().tolist()
        raise ValueError(f"labels contain NaN for real items in row(s) {rows[:10]}")
    return labels


def fill_masked(scores: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Scores with padding set far below the row's lowest real score (see FILL_GAP)."""
    big = torch.finfo(scores.dtype).max
    lowest = scores.detach().masked_fill(~mask, big).amin(dim=-1, keepdim=True)
    lowest = torch.where(lowest == big, torch.zeros_like(lowest), lowest)
    return torch.where(mask, scores, lowest - FILL_GAP)


def reduce(per_item: torch.Tensor, reduction: str, valid: torch.Tensor | None = None) -> torch.Tensor:
    """Reduce one value per pair or list.

    ``valid`` marks the rows that hold at least one real item: ``"mean"``
    averages over those rows only (an all-padding row neither adds loss nor
    dilutes the mean); with no valid row the mean is 0, never NaN.
    """
    if reduction == "none":
        return per_item
    if reduction == "sum":
        return per_item.sum()
    if valid is None:
        return per_item.mean() if per_item.numel() else per_item.sum()
    count = valid.sum().clamp(min=1).to(per_item.dtype)
    return per_item.sum() / count
