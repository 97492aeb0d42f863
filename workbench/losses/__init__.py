"""Preference losses as pure tensor functions.

Pairwise (``chosen``, ``rejected``: ``(B,)``): :func:`bradley_terry`,
:func:`hinge`, :func:`bradley_terry_ties`, and the :func:`center_penalty`
auxiliary term. Listwise (``scores``, ``labels``, ``mask``: ``(B, K)``):
:func:`plackett_luce` (ListMLE; ties, top-k, masks), :func:`listnet`,
:func:`ranknet`, :func:`lambdarank`. By name: ``LOSSES``, :func:`get_loss`,
:func:`is_listwise`. Conventions: scores are rewards (higher is better);
``reduction="mean" | "sum" | "none"``; a fully masked row contributes 0.
"""
from .listwise import TIE_METHODS, lambdarank, listnet, plackett_luce, ranknet
from .pairwise import bradley_terry, bradley_terry_ties, center_penalty, hinge
from .registry import LISTWISE, LOSSES, PAIRWISE, get_loss, is_listwise

__all__ = [
    "bradley_terry", "hinge", "bradley_terry_ties", "center_penalty",
    "plackett_luce", "listnet", "ranknet", "lambdarank", "TIE_METHODS",
    "LOSSES", "PAIRWISE", "LISTWISE", "get_loss", "is_listwise",
]
