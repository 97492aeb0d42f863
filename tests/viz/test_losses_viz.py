import numpy as np
import pytest

from workbench.viz import losses as figures


def test_true_vs_fitted_centres_both_axes_and_reports_correlation():
    figure = figures.true_vs_fitted([1.0, 2.0, 3.0], [10.0, 12.0, 14.0])
    points = figure.data[0]
    assert list(points.x) == [-1.0, 0.0, 1.0] and list(points.y) == [-2.0, 0.0, 2.0]
    assert "r = 1.000" in figure.layout.title.text


def test_pairwise_loss_curves_values():
    figure = figures.pairwise_loss_curves([0.0, 2.0], margin=1.0)
    by_name = {trace.name: list(trace.y) for trace in figure.data}
    assert by_name["Bradley-Terry"][0] == pytest.approx(np.log(2))
    assert by_name["hinge, margin 1"] == pytest.approx([1.0, 0.0])
    assert by_name["BT, margin 1"][1] == pytest.approx(np.log1p(np.exp(-1)))
