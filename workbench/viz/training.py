"""Figures for reward-model training: curves per run, padding/pooling, run comparisons."""
from __future__ import annotations

from typing import Mapping, Sequence

import pandas as pd
import plotly.graph_objects as go


def training_curves(histories: Mapping[str, Sequence[dict]], *, metric: str = "loss",
                    title: str | None = None) -> go.Figure:
    """One line per run: ``metric`` of each logged interval against the optimiser step."""
    fig = go.Figure()
    for name, history in histories.items():
        points = [(h["step"], h[metric]) for h in history if metric in h]
        fig.add_trace(go.Scatter(x=[p[0] for p in points], y=[p[1] for p in points], mode="lines+markers", name=name))
    fig.update_layout(title=title or f"Training {metric}", xaxis_title="optimiser step", yaxis_title=metric,
                      template="plotly_white")
    return fig


def padding_bars(table: pd.DataFrame, *, title: str = "Same text, same reward? Pooling under padding") -> go.Figure:
    """Grouped bars per text: reward alone, right-/left-padded, and naive last-position pooling."""
    fig = go.Figure()
    for column in ("alone", "right_padded", "left_padded", "naive_last_position"):
        if column in table:
            fig.add_trace(go.Bar(x=[f"{t[:24]} ({n} tok)" for t, n in zip(table["text"], table["tokens"])],
                                 y=table[column], name=column.replace("_", " ")))
    fig.update_layout(title=title, barmode="group", yaxis_title="reward", template="plotly_white")
    return fig


def run_comparison(table: pd.DataFrame, *, metrics: Sequence[str], by: str = "run",
                   title: str = "Runs compared") -> go.Figure:
    """One panel-less grouped bar chart: each metric (x) for each run (colour)."""
    fig = go.Figure()
    for _, row in table.iterrows():
        fig.add_trace(go.Bar(x=list(metrics), y=[row[m] for m in metrics], name=str(row[by])))
    fig.update_layout(title=title, barmode="group", template="plotly_white")
    return fig
