"""Figures for the ranking studies (:mod:`workbench.ranking`), notebooks 01 and 08.

Win matrices of a fitted Bradley-Terry model against the observed win rates
(:mod:`workbench.ranking.fitting`), and bars and lines of the metric tables
the ranking studies return (:mod:`workbench.ranking.rankers`: losses compared,
partial rankings, the list length K). Each builder returns a plotly figure
whose data tests can read.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go


def win_matrices(observed, predicted, labels=None) -> go.Figure:
    """Observed win rates beside the model's predicted win probabilities, as two heatmaps."""
    from plotly.subplots import make_subplots

    observed, predicted = np.asarray(observed, dtype=float), np.asarray(predicted, dtype=float)
    names = list(labels) if labels is not None else [str(i) for i in range(len(observed))]
    figure = make_subplots(rows=1, cols=2, subplot_titles=("observed P(row beats column)", "Bradley-Terry fit"))
    for column, matrix in ((1, observed), (2, predicted)):
        figure.add_trace(go.Heatmap(z=matrix, x=names, y=names, zmin=0, zmax=1, coloraxis="coloraxis",
                                    text=np.round(matrix, 2), texttemplate="%{text}"), row=1, col=column)
    figure.update_layout(coloraxis={"colorscale": "RdBu"}, title="Win rates: data vs model")
    return figure


def metric_bars(frame: pd.DataFrame, *, x: str, metrics: Sequence[str], title: str) -> go.Figure:
    """Bars of several metric columns of ``frame`` against the categories in column ``x``."""
    figure = go.Figure([go.Bar(x=frame[x].astype(str), y=frame[m], name=m) for m in metrics])
    figure.update_layout(barmode="group", title=title, xaxis_title=x)
    return figure


def metric_lines(frame: pd.DataFrame, *, x: str, y: str, by: str, title: str) -> go.Figure:
    """One line per value of column ``by``: ``y`` against ``x`` (e.g. Kendall tau against K)."""
    figure = go.Figure([go.Scatter(x=part[x], y=part[y], mode="lines+markers", name=str(key))
                        for key, part in frame.groupby(by, sort=False)])
    figure.update_layout(title=title, xaxis_title=x, yaxis_title=y)
    return figure
