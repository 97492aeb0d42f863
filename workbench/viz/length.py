"""Plotly figures for length bias and its corrections (data from :mod:`workbench.analysis.length`).

Every function returns a ``plotly.graph_objects.Figure``; tests read its traces.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from workbench.analysis.calibration import LengthCalibration, LengthControlledWinRate
from workbench.analysis.length import reward_by_length

COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf"]


def _layout(fig: go.Figure, title: str, x: str, y: str) -> go.Figure:
    fig.update_layout(title=title, xaxis_title=x, yaxis_title=y, template="plotly_white",
                      legend={"orientation": "h", "y": -0.2})
    return fig


def length_histograms(lengths: Mapping[str, Sequence[float]], *, unit: str = "characters",
                      title: str = "Response lengths", nbins: int = 30) -> go.Figure:
    """Overlaid histograms, one per named set (e.g. ``{"chosen": ..., "rejected": ...}``)."""
    fig = go.Figure()
    for i, (name, values) in enumerate(lengths.items()):
        fig.add_trace(go.Histogram(x=np.asarray(values, dtype=float), name=name, nbinsx=nbins, opacity=0.6,
                                   marker_color=COLOURS[i % len(COLOURS)]))
    fig.update_layout(barmode="overlay")
    return _layout(fig, title, f"length ({unit})", "responses")


def reward_vs_length(rewards: Sequence[float], lengths: Sequence[float], *, n_bins: int = 10,
                     unit: str = "characters", title: str = "Reward by length") -> go.Figure:
    """Scatter of ``(L, r)`` with the binned mean ``E[r | L]`` and ±1 standard error on top."""
    bins = reward_by_length(rewards, lengths, n_bins=n_bins)
    fig = go.Figure(go.Scatter(x=np.asarray(lengths, dtype=float), y=np.asarray(rewards, dtype=float),
                               mode="markers", name="responses", opacity=0.35, marker={"size": 5, "color": "#999"}))
    fig.add_trace(_bin_trace(bins, "binned mean", COLOURS[0]))
    return _layout(fig, title, f"length ({unit})", "reward")


def _bin_trace(bins: pd.DataFrame, name: str, colour: str) -> go.Scatter:
    return go.Scatter(x=bins["length_mid"], y=bins["mean_reward"], mode="lines+markers", name=name,
                      line={"color": colour}, error_y={"type": "data", "array": bins["sem"], "visible": True})


def reward_by_length_curves(curves: Mapping[str, pd.DataFrame], *, unit: str = "characters",
                            title: str = "Reward by length, before and after", centre: bool = True) -> go.Figure:
    """Binned curves (tables from :func:`reward_by_length`) overlaid, one per name.

    ``centre``: subtract each curve's count-weighted mean, so curves with different
    offsets share the y-axis (a flat line at 0 is a reward that ignores length).
    """
    fig = go.Figure()
    for i, (name, bins) in enumerate(curves.items()):
        shown = bins.copy()
        if centre:
            shown["mean_reward"] = shown["mean_reward"] - np.average(shown["mean_reward"], weights=shown["count"])
        fig.add_trace(_bin_trace(shown, name, COLOURS[i % len(COLOURS)]))
    return _layout(fig, title, f"length ({unit})", "mean reward" + (" (centred)" if centre else ""))


def longer_wins_bars(tables: Mapping[str, pd.DataFrame], *, title: str = "How often the longer response wins") -> go.Figure:
    """Bars of the longer-wins share (tables from :func:`longer_wins_share`), grouped by name,
    with the 50 % line of a length-blind judge."""
    fig = go.Figure()
    for i, source in enumerate(["data", "model"]):
        names = [n for n, t in tables.items() if source in set(t["source"])]
        if not names:
            continue
        values = [float(tables[n].set_index("source").loc[source, "longer_wins"]) for n in names]
        fig.add_trace(go.Bar(x=names, y=values, name=source, marker_color=COLOURS[i],
                             text=[f"{v:.0%}" for v in values], textposition="outside"))
    fig.add_hline(y=0.5, line_dash="dash", annotation_text="length-blind")
    fig.update_yaxes(range=[0, 1], tickformat=".0%")
    return _layout(fig, title, "", "longer response wins")


def correlation_bars(table: pd.DataFrame, *, title: str = "Reward-length correlation") -> go.Figure:
    """Pearson and Spearman bars per (unit, scope) row of :func:`length_correlation`."""
    labels = [f"{u} / {s}" for u, s in zip(table["unit"], table["scope"])]
    fig = go.Figure([go.Bar(x=labels, y=table[m], name=m, marker_color=COLOURS[i])
                     for i, m in enumerate(["pearson", "spearman"])])
    fig.update_yaxes(range=[-1, 1])
    return _layout(fig, title, "", "correlation")


def calibration_fits(rewards: Sequence[float], lengths: Sequence[float],
                     calibrations: Mapping[str, LengthCalibration], *, unit: str = "characters",
                     title: str = "Fitted length effect f(L)") -> go.Figure:
    """Reference rewards against length, with each fitted ``f(L)`` drawn over its range."""
    L = np.asarray(lengths, dtype=float)
    fig = go.Figure(go.Scatter(x=L, y=np.asarray(rewards, dtype=float), mode="markers", name="reference",
                               opacity=0.35, marker={"size": 5, "color": "#999"}))
    grid = np.linspace(L.min(), L.max(), 200)
    for i, (name, calibration) in enumerate(calibrations.items()):
        fig.add_trace(go.Scatter(x=grid, y=calibration.predict(grid), mode="lines", name=name,
                                 line={"color": COLOURS[i % len(COLOURS)], "width": 3}))
    return _layout(fig, title, f"length ({unit})", "reward")


def win_rate_vs_length(result: LengthControlledWinRate, outcomes: Sequence[float],
                       length_difference: Sequence[float], *, n_bins: int = 8,
                       title: str = "Win rate against length difference") -> go.Figure:
    """Binned observed win rate and the fitted GLM curve over ``L_A - L_B``; the
    length-controlled win rate is the curve at 0."""
    d = np.asarray(length_difference, dtype=float)
    bins = reward_by_length(outcomes, d, n_bins=n_bins)
    grid = np.linspace(d.min(), d.max(), 200)
    fig = go.Figure([
        go.Scatter(x=bins["length_mid"], y=bins["mean_reward"], mode="markers", name="observed (binned)",
                   marker={"size": 9, "color": COLOURS[0]}, error_y={"type": "data", "array": bins["sem"]}),
        go.Scatter(x=grid, y=result.predict(grid), mode="lines", name="GLM fit", line={"color": COLOURS[1]}),
        go.Scatter(x=[0.0], y=[result.length_controlled], mode="markers", name="length-controlled",
                   marker={"size": 14, "symbol": "star", "color": COLOURS[2]}),
    ])
    fig.add_hline(y=result.raw, line_dash="dot", annotation_text=f"raw {result.raw:.0%}")
    fig.update_yaxes(range=[0, 1], tickformat=".0%")
    return _layout(fig, title, "length difference L_A - L_B", "P(A wins)")


def reward_shift_histograms(rewards: Mapping[str, Sequence[float]], *, title: str = "Reward distributions",
                            nbins: int = 40) -> go.Figure:
    """Overlaid reward histograms (e.g. before and after centering), with each mean marked.

    The dashed line per set shows where a correction moved the mean. (Not
    :func:`workbench.viz.rewards.reward_sparsity_histograms`: that one bins
    rewards on [0, 1] to show sparsity.)
    """
    fig = go.Figure()
    for i, (name, values) in enumerate(rewards.items()):
        values = np.asarray(values, dtype=float)
        colour = COLOURS[i % len(COLOURS)]
        fig.add_trace(go.Histogram(x=values, name=name, nbinsx=nbins, opacity=0.55, marker_color=colour))
        fig.add_vline(x=float(values.mean()), line_color=colour, line_dash="dash")
    fig.update_layout(barmode="overlay")
    return _layout(fig, title, "reward", "responses")


reward_histograms = reward_shift_histograms  # the old name (notebook 06 calls it)


def correction_summary(table: pd.DataFrame, *, title: str = "What each correction buys and costs") -> go.Figure:
    """Side-by-side bars per method: ``accuracy`` and ``|correlation|`` columns of ``table``
    (one row per method, indexed by method name)."""
    fig = go.Figure([
        go.Bar(x=list(table.index), y=table["accuracy"], name="balanced held-out accuracy", marker_color=COLOURS[0]),
        go.Bar(x=list(table.index), y=table["correlation"].abs(), name="|reward-length correlation|",
               marker_color=COLOURS[1]),
    ])
    fig.update_yaxes(range=[0, 1])
    return _layout(fig, title, "", "")
