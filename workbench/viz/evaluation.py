"""Plotly figures for reward-model evaluation (data from :mod:`workbench.evaluation`).

* :func:`subset_scores`: each subset's score with its interval, beside the null baselines';
* :func:`paired_differences`: A - B per subset with its interval, marked where Holm's p < alpha;
* :func:`reliability_diagram`: observed win frequency against the mean predicted probability
  in equal-mass bins, one curve per named calibration (raw, temperature-scaled...).

Every function returns a ``plotly.graph_objects.Figure``; tests read its traces.
"""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from workbench.evaluation.calibration import CalibrationReport

COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf"]
BASELINE_COLOUR = "#999999"


def _layout(fig: go.Figure, title: str, x: str, y: str) -> go.Figure:
    fig.update_layout(title=title, xaxis_title=x, yaxis_title=y, template="plotly_white",
                      legend={"orientation": "h", "y": -0.25})
    return fig


def _interval_trace(frame: pd.DataFrame, column: str, name: str, colour: str, *, symbol: str = "circle",
                    offset: float = 0.0) -> go.Scatter:
    x = np.arange(len(frame)) + offset
    return go.Scatter(x=x, y=frame[column], mode="markers", name=name, marker={"color": colour, "symbol": symbol,
                                                                               "size": 9},
                      error_y={"type": "data", "symmetric": False, "array": frame[f"{column}_high"] - frame[column],
                               "arrayminus": frame[column] - frame[f"{column}_low"]},
                      text=frame["subset"], hovertemplate="%{text}: %{y:.3f}<extra>" + name + "</extra>")


def subset_scores(frames: Mapping[str, pd.DataFrame] | pd.DataFrame, *, baselines=("longest", "random"),
                  title: str = "Score per subset, with intervals, beside null baselines") -> go.Figure:
    """Points with interval bars per subset: each model's ``score`` and the chosen baselines.

    ``frames``: one :meth:`~workbench.evaluation.EvalReport.to_frame` or a mapping name -> frame
    (the same subsets); baselines are drawn from the first frame.
    """
    if isinstance(frames, pd.DataFrame):
        frames = {"model": frames}
    names = list(frames)
    first = frames[names[0]]
    slots = len(names) + len(baselines)
    fig = go.Figure()
    for j, name in enumerate(names):
        frame = frames[name].rename(columns={"low": "score_low", "high": "score_high"})
        fig.add_trace(_interval_trace(frame, "score", name, COLOURS[j % len(COLOURS)],
                                      offset=(j - slots / 2) * 0.12))
    for j, baseline in enumerate(baselines):
        fig.add_trace(_interval_trace(first, baseline, f"baseline: {baseline}", BASELINE_COLOUR,
                                      symbol=["x", "diamond", "square", "triangle-up"][j % 4],
                                      offset=(len(names) + j - slots / 2) * 0.12))
    fig.update_xaxes(tickmode="array", tickvals=list(range(len(first))), ticktext=list(first["subset"]))
    return _layout(fig, title, "subset", "score")


def paired_differences(frame: pd.DataFrame, *, alpha: float = 0.05,
                       title: str = "A - B per subset (interval; filled: Holm-adjusted p < alpha)") -> go.Figure:
    """A - B with its interval per subset (:func:`~workbench.evaluation.compare_scores`' frame)."""
    significant = frame["p_holm"] < alpha
    fig = go.Figure(go.Scatter(
        x=frame["subset"], y=frame["difference"], mode="markers", name="A - B",
        marker={"size": 11, "color": COLOURS[0], "symbol": np.where(significant, "circle", "circle-open")},
        error_y={"type": "data", "symmetric": False, "array": frame["high"] - frame["difference"],
                 "arrayminus": frame["difference"] - frame["low"]},
        customdata=np.stack([frame["p_value"], frame["p_holm"]], axis=-1),
        hovertemplate="%{x}: %{y:.3f} (p %{customdata[0]:.3g}, Holm %{customdata[1]:.3g})<extra></extra>"))
    fig.add_hline(y=0, line_dash="dot", line_color=BASELINE_COLOUR)
    return _layout(fig, title, "subset", "score difference")


def reliability_diagram(reports: Mapping[str, CalibrationReport] | CalibrationReport, *,
                        title: str = "Reliability: predicted P(chosen wins) vs observed") -> go.Figure:
    """Observed frequency vs mean predicted probability per equal-mass bin, with the diagonal."""
    if isinstance(reports, CalibrationReport):
        reports = {"model": reports}
    fig = go.Figure(go.Scatter(x=[0, 1], y=[0, 1], mode="lines", name="perfect calibration",
                               line={"dash": "dot", "color": BASELINE_COLOUR}))
    for j, (name, report) in enumerate(reports.items()):
        bins = report.bins
        fig.add_trace(go.Scatter(x=bins["mean_probability"], y=bins["frequency"], mode="lines+markers",
                                 name=f"{name} (ECE {report.ece:.3f})", marker={"color": COLOURS[j % len(COLOURS)]},
                                 customdata=bins["count"],
                                 hovertemplate="p %{x:.2f} -> %{y:.2f} (%{customdata} points)<extra></extra>"))
    fig.update_xaxes(range=[0, 1])
    fig.update_yaxes(range=[0, 1])
    return _layout(fig, title, "mean predicted probability", "observed frequency")
