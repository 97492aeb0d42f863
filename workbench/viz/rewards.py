"""Figures for rule-based rewards (notebook 05): means by group, length shaping, sparsity, the sandbox gallery."""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go


def mean_reward_bars(table: pd.DataFrame, *, by: str, rewards: Sequence[str],
                     title: str = "Mean reward by group") -> go.Figure:
    """Grouped bars: for each value of column ``by``, the mean of each column in ``rewards``."""
    means = table.groupby(by, sort=False)[list(rewards)].mean()
    fig = go.Figure([go.Bar(name=r, x=means.index.astype(str), y=means[r]) for r in rewards])
    fig.update_layout(barmode="group", title=title, xaxis_title=by, yaxis_title="mean reward", template="plotly_white")
    return fig


def length_shaping(reward_fn: Callable[[int], float], lengths: Sequence[int], *, max_length: int,
                   title: str = "Soft overlong punishment over the real lengths") -> go.Figure:
    """The length reward as a curve over ``0..1.2*max_length`` with a histogram of observed ``lengths``."""
    xs = np.arange(0, int(1.2 * max_length) + 1)
    fig = go.Figure()
    fig.add_trace(go.Histogram(x=list(lengths), name="solutions", yaxis="y2", opacity=0.35, nbinsx=40))
    fig.add_trace(go.Scatter(x=xs, y=[reward_fn(int(x)) for x in xs], name="length reward", mode="lines"))
    fig.update_layout(title=title, xaxis_title="length (words)", yaxis_title="reward", template="plotly_white",
                      yaxis2={"overlaying": "y", "side": "right", "title": "solutions", "showgrid": False})
    return fig


def reward_sparsity_histograms(rewards: Mapping[str, Sequence[float]], *, title: str = "Reward distributions",
                               bins: int = 11) -> go.Figure:
    """Overlaid histograms of several reward variants on [0, 1] (sparsity shows as a spike at 0).

    Fixed bins over [0, 1], so an all-or-nothing reward and a partial-credit one
    share their bars. (Not :func:`workbench.viz.length.reward_shift_histograms`:
    that one shows unbounded rewards and marks each mean.)
    """
    fig = go.Figure([go.Histogram(x=list(v), name=k, opacity=0.6, xbins={"start": -0.05, "end": 1.05, "size": 1 / (bins - 1)})
                     for k, v in rewards.items()])
    fig.update_layout(barmode="overlay", title=title, xaxis_title="reward", yaxis_title="completions",
                      template="plotly_white")
    return fig


reward_histograms = reward_sparsity_histograms  # the old name (notebook 05 imports it)


def _cell(value) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "-"  # not run (e.g. unsafe without a sandbox)
    return f"{value:.2f}" if isinstance(value, float) else str(value)


def gallery_table(table: pd.DataFrame, *, title: str = "Hostile completions: textbook runner vs sandbox") -> go.Figure:
    """A plotly table of the gallery (one row per attack, one column per field; "-" = not run)."""
    cells = [table[c].map(_cell) for c in table.columns]
    widths = [2.5 if c in ("tries", "what it tries") else 1.0 for c in table.columns]
    fig = go.Figure(go.Table(header={"values": list(table.columns), "align": "left"}, columnwidth=widths,
                             cells={"values": cells, "align": "left"}))
    fig.update_layout(title=title, margin={"l": 10, "r": 10, "t": 40, "b": 10}, height=90 + 48 * len(table))
    return fig
