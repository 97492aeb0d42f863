"""Preference losses as pure tensor functions.

Pairwise (``chosen``, ``rejected``: ``(B,)``): :func:`bradley_terry`,
:func:`hinge`, :func:`bradley_terry_ties`, and the :func:`center_penalty`
auxiliary term. Listwise (``scores``, ``labels``, ``mask``: ``(B, K)``):
:func:`plackett_luce` (ListMLE; ties, top-k, masks), :func:`listnet`,
:func:`ranknet`, :func:`lambdarank`. ODIN's batch-level terms (Chen et al. 2024):
:func:`pearson_correlation`, :func:`length_correlation_penalty`,
:func:`orthogonality_penalty`. By name: ``LOSSES``, :func:`get_loss`, and per
loss what an objective must know (``LOSS_INFO``, :func:`loss_info`,
:func:`is_listwise`). Conventions: scores are rewards (higher is better);
``reduction="mean" | "sum" | "none"``; a fully masked row contributes 0; a NaN or
infinite input of a real item raises :class:`NonFiniteError` (a ``ValueError``).
"""
from ._checks import NonFiniteError
from .listwise import TIE_METHODS, lambdarank, listnet, plackett_luce, ranknet
from .odin import length_correlation_penalty, orthogonality_penalty, pearson_correlation
from .pairwise import bradley_terry, bradley_terry_ties, center_penalty, hinge
from .registry import LISTWISE, LOSS_INFO, LOSSES, PAIRWISE, LossInfo, get_loss, is_listwise, loss_info

__all__ = [
    "bradley_terry", "hinge", "bradley_terry_ties", "center_penalty",
    "plackett_luce", "listnet", "ranknet", "lambdarank", "TIE_METHODS",
    "pearson_correlation", "length_correlation_penalty", "orthogonality_penalty",
    "LOSSES", "PAIRWISE", "LISTWISE", "LOSS_INFO", "LossInfo", "get_loss", "loss_info", "is_listwise",
    "NonFiniteError",
]
