"""Plotly figures for best-of-n over-optimisation (data from :mod:`workbench.analysis.best_of_n`).

Every function returns a ``plotly.graph_objects.Figure``; tests read its traces.
"""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import plotly.graph_objects as go

from workbench.analysis.best_of_n import BestOfNCurve, OveroptimisationFit, best_of_n_for_kl

COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf"]
AXES = {"sqrt_kl": "d = sqrt(KL) (nats^1/2)", "kl": "KL(best-of-n || base) (nats)"}


def _layout(fig: go.Figure, title: str, x: str, y: str) -> go.Figure:
    fig.update_layout(title=title, xaxis_title=x, yaxis_title=y, template="plotly_white",
                      legend={"orientation": "h", "y": -0.2})
    return fig


def best_of_n_rewards(curves: BestOfNCurve | Mapping[str, BestOfNCurve], *,
                      fits: Mapping[str, OveroptimisationFit] | None = None, x: str = "sqrt_kl",
                      relative: bool = True, title: str = "Best-of-n: proxy and gold reward") -> go.Figure:
    """Proxy (dashed) and gold (solid) expected reward of best-of-n against d = sqrt(KL) or KL.

    curves: one curve, or ``{name: curve}`` (e.g. one per reward model); traces are named
        ``"<name> proxy"`` and ``"<name> gold"``, in that order per curve, hover text ``n``.
    fits: ``{name: fit}`` of the gold (keys among the curves' names): each adds ``"<name> gold fit"``
        (dotted, on a grid from 0 to the largest d) and, if it has a peak there, ``"<name> peak"``.
    relative: rewards minus their n = 1 value (the fits' R(d)); else absolute (fits shifted
        back by their baseline).
    """
    if x not in AXES:
        raise ValueError(f"x: expected one of {tuple(AXES)}, got {x!r}")
    named = {"": curves} if isinstance(curves, BestOfNCurve) else dict(curves)
    fig = go.Figure()
    for i, (name, curve) in enumerate(named.items()):
        colour, label = COLOURS[i % len(COLOURS)], f"{name} " if name else ""
        position = curve.sqrt_kl if x == "sqrt_kl" else curve.kl
        for reward, dash in (("proxy", "dash"), ("gold", "solid")):
            values = getattr(curve, reward)
            shift = _at_n_equal_one(curve, values) if relative else 0.0
            fig.add_trace(go.Scatter(x=position, y=values - shift, mode="lines+markers", name=f"{label}{reward}",
                                     text=[f"n={n}" for n in curve.ns], line={"color": colour, "dash": dash}))
        fit = (fits or {}).get(name)
        if fit is not None:
            _add_fit(fig, fit, f"{label}gold", colour, x, float(curve.sqrt_kl.max()), relative)
    return _layout(fig, title, AXES[x], "reward" + (" minus reward at n = 1" if relative else ""))


def _at_n_equal_one(curve: BestOfNCurve, values: np.ndarray) -> float:
    where = np.flatnonzero(curve.ns == 1)
    if len(where) == 0:
        raise ValueError("relative=True needs n = 1 among the curve's ns")
    return float(values[where[0]])


def _add_fit(fig: go.Figure, fit: OveroptimisationFit, label: str, colour: str, x: str, largest_d: float,
             relative: bool) -> None:
    shift = 0.0 if relative else fit.baseline
    grid = np.linspace(0.0, largest_d, 200)
    position = grid if x == "sqrt_kl" else grid ** 2
    fig.add_trace(go.Scatter(x=position, y=fit.predict(grid) + shift, mode="lines", name=f"{label} fit",
                             line={"color": colour, "dash": "dot"}))
    if fit.has_peak and fit.peak_d <= largest_d:
        where = fit.peak_d if x == "sqrt_kl" else fit.peak_kl
        hover = f"d*={fit.peak_d:.3g}" + (f", n={float(best_of_n_for_kl(fit.peak_kl)):.3g}"
                                            if fit.form == "best_of_n" else "")
        fig.add_trace(go.Scatter(x=[where], y=[fit.peak_reward + shift], mode="markers", name=f"{label} peak",
                                 text=[hover], marker={"size": 14, "symbol": "star", "color": colour}))
