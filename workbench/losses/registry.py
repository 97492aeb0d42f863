"""Losses by name: ``LOSSES`` and ``get_loss(name, **kwargs)``.

A config or command line names a loss (``{"name": "plackett_luce", "args":
{"ties": "efron"}}``); ``get_loss`` turns that into a callable with the
hyperparameters bound, refusing unknown names and unknown arguments with the
list of valid ones.
"""
from __future__ import annotations

import difflib
import functools
import inspect

from .listwise import lambdarank, listnet, plackett_luce, ranknet
from .pairwise import bradley_terry, bradley_terry_ties, hinge

PAIRWISE = {
    "bradley_terry": bradley_terry,
    "hinge": hinge,
    "bradley_terry_ties": bradley_terry_ties,
}
LISTWISE = {
    "plackett_luce": plackett_luce,
    "listmle": plackett_luce,  # the learning-to-rank name of the same likelihood (Xia et al. 2008)
    "listnet": listnet,
    "ranknet": ranknet,
    "lambdarank": lambdarank,
}
LOSSES = {**PAIRWISE, **LISTWISE}


def _lookup(name: str):
    if name not in LOSSES:
        close = difflib.get_close_matches(str(name), LOSSES, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ValueError(f"unknown loss {name!r}{hint}; valid names: {', '.join(sorted(LOSSES))}")
    return LOSSES[name]


def is_listwise(name: str) -> bool:
    """True for losses over ``(B, K)`` lists, False for ``(chosen, rejected)`` pairs."""
    _lookup(name)
    return name in LISTWISE


def get_loss(name: str, **kwargs):
    """The loss ``name`` with keyword hyperparameters bound (e.g. ``ties="efron"``).

    >>> import torch
    >>> loss = get_loss("hinge", margin=0.5)
    >>> float(loss(torch.tensor([1.0]), torch.tensor([0.0])))
    0.0
    """
    function = _lookup(name)
    allowed = [p.name for p in inspect.signature(function).parameters.values()
               if p.kind is inspect.Parameter.KEYWORD_ONLY]
    unknown = sorted(set(kwargs) - set(allowed))
    if unknown:
        raise ValueError(f"loss {name!r} takes no argument(s) {unknown}; valid: {allowed}")
    return functools.partial(function, **kwargs) if kwargs else function
