"""Losses by name: ``LOSS_INFO``, ``LOSSES``, ``get_loss(name, **kwargs)``, ``loss_info(name)``.

A config or command line names a loss (``{"name": "plackett_luce", "args":
{"ties": "efron"}}``); ``get_loss`` turns that into a callable with the
hyperparameters bound, refusing unknown names and unknown arguments with the
list of valid ones.

``LOSS_INFO`` is the one table: each name's function and what an objective must
know to call it on a batch (:class:`LossInfo`). ``LOSSES``, ``PAIRWISE`` and
``LISTWISE`` are read off it, so a new loss is registered in one place.
"""
from __future__ import annotations

import difflib
import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass

from .listwise import lambdarank, listnet, plackett_luce, ranknet
from .pairwise import bradley_terry, bradley_terry_ties, hinge

KINDS = ("pairwise", "listwise")


@dataclass(frozen=True)
class LossInfo:
    """What a registered loss is and which of a batch's columns it reads.

    ``kind``: ``"pairwise"`` (``chosen``, ``rejected``: ``(B,)``) or ``"listwise"``
    (``scores``, ``labels``, ``mask``: ``(B, K)``). The ``takes_*`` flags name the
    loss's keyword arguments that an objective fills from the batch, not the
    hyperparameters a user binds with :func:`get_loss`:

    - ``takes_margin``: ``margin=`` gets the batch's per-pair ``margin`` column ``(B,)``
      (Llama 2's margin; hinge's ``margin`` is a hyperparameter, so hinge says False);
    - ``takes_tie``: ``tie=`` gets the batch's ``tie`` column ``(B,)``: the loss has a
      tie outcome and scores tied pairs; a loss without one has tied pairs masked out;
    - ``takes_top_k``: ``top_k=`` gets the batch's per-list ``top_k`` ``(B,)`` (partial
      rankings; lambdarank's ``top_k`` is an NDCG@k cut-off hyperparameter, so False).
    """

    function: Callable
    kind: str
    takes_margin: bool = False
    takes_tie: bool = False
    takes_top_k: bool = False

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {self.kind!r}")


LOSS_INFO = {
    "bradley_terry": LossInfo(bradley_terry, "pairwise", takes_margin=True),
    "hinge": LossInfo(hinge, "pairwise"),
    "bradley_terry_ties": LossInfo(bradley_terry_ties, "pairwise", takes_tie=True),
    "plackett_luce": LossInfo(plackett_luce, "listwise", takes_top_k=True),
    # the learning-to-rank name of the same likelihood (Xia et al. 2008)
    "listmle": LossInfo(plackett_luce, "listwise", takes_top_k=True),
    "listnet": LossInfo(listnet, "listwise"),
    "ranknet": LossInfo(ranknet, "listwise"),
    "lambdarank": LossInfo(lambdarank, "listwise"),
}
LOSSES = {name: info.function for name, info in LOSS_INFO.items()}
PAIRWISE = {name: info.function for name, info in LOSS_INFO.items() if info.kind == "pairwise"}
LISTWISE = {name: info.function for name, info in LOSS_INFO.items() if info.kind == "listwise"}


def loss_info(name: str) -> LossInfo:
    """The :class:`LossInfo` of ``name``; an unknown name raises with a suggestion and the valid names.

    >>> loss_info("plackett_luce").takes_top_k
    True
    """
    if name not in LOSS_INFO:
        close = difflib.get_close_matches(str(name), LOSS_INFO, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ValueError(f"unknown loss {name!r}{hint}; valid names: {', '.join(sorted(LOSS_INFO))}")
    return LOSS_INFO[name]


def is_listwise(name: str) -> bool:
    """True for losses over ``(B, K)`` lists, False for ``(chosen, rejected)`` pairs."""
    return loss_info(name).kind == "listwise"


def get_loss(name: str, **kwargs):
    """The loss ``name`` with keyword hyperparameters bound (e.g. ``ties="efron"``).

    >>> import torch
    >>> loss = get_loss("hinge", margin=0.5)
    >>> float(loss(torch.tensor([1.0]), torch.tensor([0.0])))
    0.0
    """
    function = loss_info(name).function
    allowed = [p.name for p in inspect.signature(function).parameters.values()
               if p.kind is inspect.Parameter.KEYWORD_ONLY]
    unknown = sorted(set(kwargs) - set(allowed))
    if unknown:
        raise ValueError(f"loss {name!r} takes no argument(s) {unknown}; valid: {allowed}")
    return functools.partial(function, **kwargs) if kwargs else function
