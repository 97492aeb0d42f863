r"""Simulated annotators: a noisy Plackett-Luce judge with a set position bias.

They go through the very same widget objects a person uses (same per-annotator
shuffling, same store, same validation), so what they produce is
indistinguishable from human judgements downstream.

The judge sees the responses in the widget's shown order and ranks them by

.. math::
    u_p = q_{\text{shown}[p]} / T \;-\; \beta\, p \;+\; g_p, \qquad g_p \sim \text{Gumbel}(0, 1)

(``q`` true quality, ``T`` temperature = noise, ``p`` the place shown, ``beta``
the position bias in log-odds per place). Sorting Gumbel-perturbed utilities
draws a Plackett-Luce ranking (Yellott 1977), so any two responses are ordered
by a logistic (Bradley-Terry) choice: exactly the model that
:mod:`workbench.analysis.position_bias` fits. ``temperature=0`` is a
noise-free judge: it ranks by quality and ties equal qualities.
"""
from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np

from .store import AnnotationStore
from .widgets import PairwiseAnnotator, RankingAnnotator


def simulated_utilities(quality: Sequence[float], shown_order: Sequence[int], *,
                        temperature: float, position_bias: float,
                        rng: np.random.Generator) -> np.ndarray:
    """Utilities of the shown responses, in shown order (see the module formula)."""
    q = np.asarray([quality[i] for i in shown_order], dtype=float)
    if not np.isfinite(q).all():
        raise ValueError(f"quality must be finite, got {list(quality)}")
    if temperature < 0:
        raise ValueError(f"temperature must be >= 0, got {temperature}")
    if temperature == 0:
        return q.copy()
    places = np.arange(len(q))
    return q / temperature - position_bias * places + rng.gumbel(size=len(q))


def simulate_annotator(tasks, store: AnnotationStore | str, annotator: str,
                       quality: Mapping[str, Sequence[float]], *, kind: str = "ranking",
                       temperature: float = 1.0, position_bias: float = 0.0, seed: int = 0,
                       top_k: int | None = None, widget_seed: int = 0) -> int:
    """Annotate every remaining task as a simulated judge; returns the number submitted.

    quality: task id -> true quality of each response (original order).
    Ranking: responses of equal utility share a rank (only happens at T=0).
    Pairwise: the higher utility wins; equal utilities are a "both good" tie.
    """
    if kind == "ranking":
        widget = RankingAnnotator(tasks, store, annotator, seed=widget_seed, top_k=top_k)
    elif kind == "pairwise":
        widget = PairwiseAnnotator(tasks, store, annotator, seed=widget_seed)
    else:
        raise ValueError(f"kind must be 'ranking' or 'pairwise', got {kind!r}")
    submitted = annotate_with(widget, quality, temperature=temperature, position_bias=position_bias,
                              seed=seed)
    widget.close()
    return submitted


def annotate_with(widget, quality: Mapping[str, Sequence[float]], *, temperature: float = 1.0,
                  position_bias: float = 0.0, seed: int = 0) -> int:
    """Drive an existing (possibly displayed) Ranking/PairwiseAnnotator to the end as a
    simulated judge; a displayed widget shows every task go by. Returns the number submitted."""
    rng = np.random.default_rng(seed)
    top_k = widget.options.get("top_k")
    submitted = 0
    while not widget.finished:
        task_id = widget.current["id"]
        if task_id not in quality:
            raise ValueError(f"task {task_id!r}: no quality given for it")
        if len(quality[task_id]) != len(widget.shown_order):
            raise ValueError(f"task {task_id!r}: {len(quality[task_id])} qualities for "
                             f"{len(widget.shown_order)} responses")
        utilities = simulated_utilities(quality[task_id], widget.shown_order,
                                        temperature=temperature, position_bias=position_bias, rng=rng)
        if isinstance(widget, PairwiseAnnotator):
            choice = "tie_good" if utilities[0] == utilities[1] else ("A" if utilities[0] > utilities[1] else "B")
            widget.submit(choice, duration_s=0.0)
        elif isinstance(widget, RankingAnnotator):
            groups = _groups(utilities)
            widget.submit(_first_places(groups, top_k) if top_k else groups, duration_s=0.0)
        else:
            raise ValueError(f"cannot simulate a {type(widget).__name__}")
        submitted += 1
    return submitted


def _groups(utilities: np.ndarray) -> list[list[int]]:
    """Shown positions grouped by equal utility, best group first."""
    values = sorted(set(utilities.tolist()), reverse=True)
    return [[int(p) for p in np.flatnonzero(utilities == v)] for v in values]


def _first_places(groups: list[list[int]], top_k: int) -> list[list[int]]:
    kept, count = [], 0
    for group in groups:
        if count >= top_k:
            break
        kept.append(group)
        count += len(group)
    return kept
