"""Figures for the annotation notebook: agreement between annotators, position bias,
and where each shown place ends up in the rankings."""
from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go


def kappa_heatmap(pairs: pd.DataFrame, *, title: str = "Cohen's kappa between annotators") -> go.Figure:
    """Symmetric heatmap from :func:`workbench.analysis.agreement.pairwise_cohens_kappa`'s table
    (columns ``annotator_a, annotator_b, kappa``); the diagonal is 1."""
    names = sorted(set(pairs["annotator_a"]) | set(pairs["annotator_b"]))
    index = {n: i for i, n in enumerate(names)}
    matrix = np.eye(len(names))
    for row in pairs.itertuples():
        matrix[index[row.annotator_a], index[row.annotator_b]] = row.kappa
        matrix[index[row.annotator_b], index[row.annotator_a]] = row.kappa
    figure = go.Figure(go.Heatmap(z=matrix, x=names, y=names, zmin=-1, zmax=1, colorscale="RdBu",
                                  text=np.round(matrix, 2), texttemplate="%{text}"))
    figure.update_layout(title=title, yaxis_autorange="reversed")
    return figure


def position_bias_bars(report: pd.DataFrame, *, title: str = "How often the earlier-shown response wins") -> go.Figure:
    """Per annotator: the raw earlier-shown win rate with its Wilson interval, and the
    debiased rate sigma(beta) (equally good responses); 0.5 = no position bias."""
    names = list(report.index)
    raw = report["first_win_rate"].to_numpy()
    figure = go.Figure([
        go.Bar(x=names, y=raw, name="raw win rate of the earlier-shown",
               error_y={"type": "data", "symmetric": False,
                        "array": report["ci_high"].to_numpy() - raw,
                        "arrayminus": raw - report["ci_low"].to_numpy()}),
        go.Bar(x=names, y=report["debiased_first_win_rate"].to_numpy(), name="debiased: sigma(beta)"),
    ])
    figure.add_hline(y=0.5, line_dash="dash", annotation_text="no bias")
    figure.update_layout(title=title, barmode="group", yaxis_title="share of comparisons", yaxis_range=[0, 1])
    return figure


def rank_by_shown_place(judgements, *, title: str = "Mean rank of each place shown") -> go.Figure:
    """For each annotator, the mean rank (1 = best) given to the response shown at each place.
    Flat lines = no position effect; rising lines = earlier-shown responses ranked higher."""
    rows = []
    if hasattr(judgements, "judgements"):
        judgements = judgements.judgements("ranking")
    for j in judgements:
        label = j["label"]
        if j["kind"] != "ranking" or label.get("skip"):
            continue
        rank_of = {item: g + 1 for g, group in enumerate(label["groups"]) for item in group}
        for place, item in enumerate(j["shown_order"]):
            if item in rank_of:
                rows.append((j["annotator"], place + 1, rank_of[item]))
    table = pd.DataFrame(rows, columns=["annotator", "place", "rank"])
    means = table.groupby(["annotator", "place"])["rank"].mean().reset_index()
    figure = go.Figure([go.Scatter(x=g["place"], y=g["rank"], mode="lines+markers", name=name)
                        for name, g in means.groupby("annotator")])
    figure.update_layout(title=title, xaxis_title="place shown (1 = first)",
                         yaxis_title="mean rank given (1 = best)", yaxis_autorange="reversed")
    return figure
