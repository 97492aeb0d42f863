"""Figures of workbench.viz.ranking carry the data they are given; the old viz modules still export them."""
import numpy as np
import pandas as pd

from workbench.viz import ranking as viz


def test_win_matrices_show_both_matrices():
    observed = np.array([[np.nan, 0.8], [0.2, np.nan]])
    predicted = np.array([[0.5, 0.6], [0.4, 0.5]])
    figure = viz.win_matrices(observed, predicted, ["a", "b"])
    assert len(figure.data) == 2 and list(figure.data[0].x) == ["a", "b"]
    assert figure.data[1].z[0][1] == 0.6


def test_metric_lines_and_bars():
    frame = pd.DataFrame({"K": [2, 4, 2, 4], "v": ["a", "a", "b", "b"], "tau": [0.1, 0.2, 0.3, 0.4]})
    lines = viz.metric_lines(frame, x="K", y="tau", by="v", title="t")
    assert [t.name for t in lines.data] == ["a", "b"] and list(lines.data[1].y) == [0.3, 0.4]
    bars = viz.metric_bars(frame, x="v", metrics=["tau"], title="t")
    assert list(bars.data[0].y) == [0.1, 0.2, 0.3, 0.4]


def test_moved_figures_stay_importable_from_their_old_modules():
    from workbench.viz import aggregation, losses

    assert losses.win_matrices is viz.win_matrices
    assert aggregation.metric_bars is viz.metric_bars and aggregation.metric_lines is viz.metric_lines
