"""Input checks and reductions shared by every loss.

Checks raise ``ValueError`` with the argument's name, so a wrong shape or dtype
is caught at the loss boundary instead of surfacing as a broadcast or NaN later.

The contract every loss holds (tests/losses/test_contract.py runs each registered
loss through it): a NaN or infinite score, label or margin of a *real* item is a
``ValueError`` naming the loss and the first bad entry (padding may hold anything);
an empty batch or empty lists (``B = 0`` or ``K = 0``) give exactly 0; any finite
labels give a finite loss.
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


class NonFiniteError(ValueError):
    """A NaN or infinite score, label or margin of a real item reached a loss.

    A ValueError (the loss contract); its own type so that the training loop can tell a
    run that diverged (scores went to inf / NaN) from a wrong call, and say at which step."""


def check_finite(value: torch.Tensor, name: str, *, loss: str, mask: torch.Tensor | None = None) -> torch.Tensor:
    """``value``, after raising if a real entry is NaN or infinite (naming ``loss`` and the entry).

    A silent NaN would reach the optimiser (or a report) far from its cause. The
    common case costs one ``isfinite(...).all()`` and one host sync per call and
    returns ``value`` itself; the masked search runs only when something is
    non-finite. Non-finite *padding* is replaced by 0, because a NaN that
    ``torch.where`` leaves out of the forward pass still turns the backward pass's
    ``0 * NaN`` into NaN gradients for the real items. Under ``torch.compile`` the
    check is skipped, so a compiled graph has no data-dependent branch.
    """
    if torch.compiler.is_compiling() or bool(torch.isfinite(value).all()):
        return value
    finite = torch.isfinite(value.detach())
    bad = ~finite if mask is None else ~finite & mask
    where = bad.nonzero()
    if not len(where):
        return torch.where(finite, value, torch.zeros_like(value))
    index = tuple(where[0].tolist())
    at = ", ".join(map(str, index))
    raise NonFiniteError(f"{loss}: {name}[{at}] is {float(value[index])} ({len(where)} non-finite real "
                     f"entr{'y' if len(where) == 1 else 'ies'} of {value.numel()}); losses need finite "
                     f"{name}")


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


def check_labels(labels, scores: torch.Tensor, mask: torch.Tensor, *, loss: str = "loss") -> torch.Tensor:
    """Labels as a float tensor of the scores' dtype; NaN or inf in a real item is an error."""
    check_tensor(labels, "labels")
    check_same_shape(scores, "scores", labels, "labels")
    if labels.dtype == torch.bool or labels.is_complex():
        raise ValueError(f"labels must be real numbers (graded preferences), got dtype {labels.dtype}")
    labels = labels.to(scores.dtype)
    if not torch.compiler.is_compiling() and not bool(torch.isfinite(labels).all()):
        bad = ~torch.isfinite(labels) & mask
        if bad.any():
            rows = bad.any(dim=-1).nonzero().flatten().tolist()
            raise ValueError(f"{loss}: labels contain NaN or inf for real items in row(s) {rows[:10]}")
    return labels


def fill_masked(scores: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Scores with padding set far below the row's lowest real score (see FILL_GAP)."""
    big = torch.finfo(scores.dtype).max
    lowest = scores.detach().masked_fill(~mask, big).amin(dim=-1, keepdim=True)
    lowest = torch.where(lowest == big, torch.zeros_like(lowest), lowest)
    return torch.where(mask, scores, lowest - FILL_GAP)


def empty_lists(scores: torch.Tensor, reduction: str) -> torch.Tensor:
    """The loss of ``(B, 0)`` lists: exactly 0 per list, still attached to ``scores``' graph."""
    per_list = scores.sum(dim=-1)
    return reduce(per_list, reduction, valid=torch.zeros_like(per_list, dtype=torch.bool))


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
