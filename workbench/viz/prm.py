"""Figures for the process-reward notebooks (03 ORM vs PRM, 04 step annotation).

Each builder returns a plotly figure whose data tests can read.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import plotly.graph_objects as go


def step_scores_by_outcome(step_scores: Sequence[Sequence[float]], correct: Sequence[bool], *,
                           max_lines: int = 30, title: str = "PRM step scores") -> go.Figure:
    """Step score against step index: faint lines for single solutions, bold means per outcome.

    step_scores: per solution, S scores. correct: per solution, its final correctness.
    """
    if len(step_scores) != len(correct):
        raise ValueError(f"{len(step_scores)} score rows but {len(correct)} outcomes")
    figure = go.Figure()
    colours = {True: "#2a9d8f", False: "#e76f51"}
    for outcome, name in ((True, "right"), (False, "wrong")):
        rows = [list(s) for s, c in zip(step_scores, correct) if bool(c) == outcome and len(s)]
        for row in rows[:max_lines]:
            figure.add_trace(go.Scatter(x=list(range(1, len(row) + 1)), y=row, mode="lines", opacity=0.15,
                                        line={"color": colours[outcome]}, showlegend=False, hoverinfo="skip"))
        if rows:
            width = max(len(r) for r in rows)
            means = [float(np.mean([r[i] for r in rows if len(r) > i])) for i in range(width)]
            figure.add_trace(go.Scatter(x=list(range(1, width + 1)), y=means, mode="lines+markers",
                                        name=f"{name} answers (mean, n={len(rows)})",
                                        line={"color": colours[outcome], "width": 4}))
    figure.update_layout(title=title, xaxis_title="step", yaxis_title="P(still correct)", yaxis_range=[0, 1])
    return figure


def best_of_n_curves(table: dict[str, Sequence[float]], ns: Sequence[int]) -> go.Figure:
    """Accuracy of best-of-n selection against n, one line per selector (random, majority, oracle, models)."""
    figure = go.Figure()
    dashed = {"random", "oracle", "majority"}
    for name, values in table.items():
        if len(values) != len(ns):
            raise ValueError(f"{name}: {len(values)} values for {len(ns)} values of n")
        figure.add_trace(go.Scatter(x=list(ns), y=list(values), mode="lines+markers", name=name,
                                    line={"dash": "dash" if name in dashed else "solid"}))
    figure.update_layout(title="Best-of-n accuracy on real model solutions", xaxis_title="n candidates",
                         yaxis_title="accuracy of the chosen solution")
    return figure


def cost_vs_accuracy(methods: Sequence[str], cost: Sequence[float], accuracy: Sequence[float], *,
                     cost_label: str = "rollouts + judge calls per solution") -> go.Figure:
    """One point per annotation method: its cost against how often it finds the true first error."""
    if not len(methods) == len(cost) == len(accuracy):
        raise ValueError("methods, cost and accuracy must have the same length")
    figure = go.Figure(go.Scatter(x=list(cost), y=list(accuracy), mode="markers+text", text=list(methods),
                                  textposition="top center", marker={"size": 12}))
    figure.update_layout(title="Annotation cost vs first-error accuracy", xaxis_title=cost_label,
                         yaxis_title="first error found exactly", yaxis_range=[0, 1.05])
    return figure


def agreement_heatmap(methods: Sequence[str], matrix) -> go.Figure:
    """Pairwise agreement (fraction of solutions with the same first error) between methods."""
    values = np.asarray(matrix, dtype=float)
    if values.shape != (len(methods), len(methods)):
        raise ValueError(f"matrix of shape {values.shape} for {len(methods)} methods")
    figure = go.Figure(go.Heatmap(z=values, x=list(methods), y=list(methods), zmin=0, zmax=1,
                                  colorscale="Viridis", text=np.round(values, 2), texttemplate="%{text}"))
    figure.update_layout(title="Agreement on the first error")
    return figure


def mc_label_noise(labels_at_error: Sequence[float], labels_before_error: Sequence[float]) -> go.Figure:
    """Histograms of soft Monte-Carlo labels at truly wrong steps and at truly right ones.

    A wrong step with a label above 0 is one some rollout recovered from: MC label noise.
    """
    figure = go.Figure()
    figure.add_trace(go.Histogram(x=list(labels_before_error), name="steps before the first error",
                                  opacity=0.6, xbins={"start": 0, "end": 1.0001, "size": 0.125}))
    figure.add_trace(go.Histogram(x=list(labels_at_error), name="the true first error",
                                  opacity=0.6, xbins={"start": 0, "end": 1.0001, "size": 0.125}))
    figure.update_layout(barmode="overlay", title="Monte-Carlo soft labels vs the truth",
                         xaxis_title="fraction of rollouts reaching the answer", yaxis_title="steps")
    return figure
