"""Figures for the aggregation notebook (07): advantages, GDPO's collapse, Pareto fronts, constraints.

Each builder returns a plotly figure whose data tests can read. ``metric_bars``
and ``metric_lines`` (notebook 08's ranking studies) moved to
:mod:`workbench.viz.ranking`; they stay importable here.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from .ranking import metric_bars, metric_lines  # noqa: F401  (moved; old imports keep working)


def advantages_by_method(table: pd.DataFrame, *, methods: Sequence[str], highlight: str | None = None,
                         widget: bool = False) -> go.Figure:
    """Grouped bars: the GRPO advantage each method gives each sample of one group.

    table: a :func:`workbench.aggregation.explorer.compare_methods` frame
    (columns ``<method>_advantage``); the highlighted method is drawn opaque.
    ``widget=True`` returns a ``FigureWidget`` (for the live explorer).
    """
    figure = go.FigureWidget() if widget else go.Figure()
    labels = [f"{i}: {m}" for i, m in enumerate(table.get("model", range(len(table))))] if len(table) else []
    for method in methods:
        column = f"{method}_advantage"
        if column not in table:
            continue
        figure.add_trace(go.Bar(x=labels, y=table[column].to_numpy(), name=method,
                                opacity=1.0 if highlight in (None, method) else 0.35))
    figure.update_layout(barmode="group", title=f"GRPO advantage per sample ({highlight or 'all methods'})",
                         xaxis_title="sample in the group", yaxis_title="advantage")
    return figure


def gdpo_collapse(rewards: np.ndarray, group_ids, grpo: np.ndarray, gdpo: np.ndarray, *,
                  names: Sequence[str]) -> go.Figure:
    """Two panels of bars: GRPO (sum, then normalise) vs GDPO (normalise, then sum) advantages.

    x labels spell out each sample's reward vector so equal GRPO bars over
    different reward combinations are visible at a glance.
    """
    from plotly.subplots import make_subplots

    groups = np.asarray(group_ids)
    labels = [f"g{g}: (" + ", ".join(f"{n[0]}={v:g}" for n, v in zip(names, row)) + ")"
              for g, row in zip(groups, np.asarray(rewards))]
    figure = make_subplots(rows=1, cols=2, subplot_titles=("GRPO: sum, then normalise",
                                                          "GDPO: normalise, then sum"), shared_yaxes=True)
    figure.add_trace(go.Bar(x=labels, y=grpo, name="GRPO"), row=1, col=1)
    figure.add_trace(go.Bar(x=labels, y=gdpo, name="GDPO"), row=1, col=2)
    figure.update_layout(title="Different reward combinations, same GRPO advantage", yaxis_title="advantage")
    return figure


def pareto_scatter(rewards: np.ndarray, front: np.ndarray, *, names: Sequence[str],
                   selected: dict[str, int] | None = None) -> go.Figure:
    """Two rewards per sample: dominated points grey, the front in colour, chosen points starred.

    selected: ``{label: row index}`` (e.g. one per preference vector).
    """
    rewards, front = np.asarray(rewards, dtype=float), np.asarray(front, dtype=bool)
    figure = go.Figure([
        go.Scatter(x=rewards[~front, 0], y=rewards[~front, 1], mode="markers", name="dominated",
                   marker={"color": "lightgrey"}),
        go.Scatter(x=rewards[front, 0], y=rewards[front, 1], mode="markers", name="Pareto front",
                   marker={"size": 9}),
    ])
    for label, index in (selected or {}).items():
        figure.add_trace(go.Scatter(x=[rewards[index, 0]], y=[rewards[index, 1]], mode="markers",
                                    name=label, marker={"symbol": "star", "size": 16}))
    figure.update_layout(title="Pareto front and preference-based choices",
                         xaxis_title=names[0], yaxis_title=names[1])
    return figure


def lagrangian_trace(runs: dict[str, dict], *, constraint: int, bound: float, primary: int = 0,
                     names: Sequence[str] = ("primary", "constraint")) -> go.Figure:
    """Per run: expected primary and constrained reward over steps, multiplier, and the bound.

    runs: ``{label: run_constrained_bandit(...) result}``.
    """
    from plotly.subplots import make_subplots

    figure = make_subplots(rows=1, cols=2, subplot_titles=("expected rewards", "multiplier lambda"))
    for label, run in runs.items():
        steps = np.arange(1, len(run["expected"]) + 1)
        figure.add_trace(go.Scatter(x=steps, y=run["expected"][:, primary], name=f"{label}: {names[0]}"), 1, 1)
        figure.add_trace(go.Scatter(x=steps, y=run["expected"][:, constraint], name=f"{label}: {names[1]}",
                                    line={"dash": "dot"}), 1, 1)
        if run["lambdas"].size:
            figure.add_trace(go.Scatter(x=steps, y=run["lambdas"][:, 0], name=f"{label}: lambda"), 1, 2)
    figure.add_hline(y=bound, line_dash="dash", annotation_text="bound", row=1, col=1)
    figure.update_layout(title="Constrained GRPO on a bandit: the multiplier enforces the bound",
                         xaxis_title="step")
    return figure
