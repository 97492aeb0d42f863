"""workbench.viz.length: each figure carries the numbers it claims to show."""
import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from workbench.analysis.calibration import fit_length_calibration, length_controlled_win_rate
from workbench.analysis.length import length_correlation, longer_wins_share, reward_by_length
from workbench.viz import length as viz


@pytest.fixture
def biased():
    rng = np.random.default_rng(0)
    lengths = rng.uniform(50, 500, 400)
    return lengths, 0.01 * lengths + rng.normal(0, 0.3, 400)


def test_reward_vs_length_draws_points_and_binned_means(biased):
    lengths, rewards = biased
    fig = viz.reward_vs_length(rewards, lengths, n_bins=5)
    assert isinstance(fig, go.Figure) and len(fig.data) == 2
    assert np.allclose(fig.data[0].y, rewards)
    bins = reward_by_length(rewards, lengths, n_bins=5)
    assert np.allclose(fig.data[1].y, bins["mean_reward"]) and np.allclose(fig.data[1].error_y.array, bins["sem"])


def test_curves_are_centred_per_curve(biased):
    lengths, rewards = biased
    curves = {"before": reward_by_length(rewards + 5, lengths), "after": reward_by_length(rewards * 0, lengths)}
    fig = viz.reward_by_length_curves(curves)
    assert [t.name for t in fig.data] == ["before", "after"]
    assert abs(np.average(fig.data[0].y, weights=curves["before"]["count"])) < 1e-9
    assert np.allclose(fig.data[1].y, 0)
    raw = viz.reward_by_length_curves(curves, centre=False)
    assert np.allclose(raw.data[0].y, curves["before"]["mean_reward"])


def test_longer_wins_bars_and_correlation_bars(biased):
    lengths, rewards = biased
    table = longer_wins_share(lengths[:200], lengths[200:], chosen_rewards=rewards[:200], rejected_rewards=rewards[200:])
    fig = viz.longer_wins_bars({"biased model": table, "data only": table[table["source"] == "data"]})
    data_bar, model_bar = fig.data
    assert list(data_bar.x) == ["biased model", "data only"] and list(model_bar.x) == ["biased model"]
    assert model_bar.y[0] == pytest.approx(table.loc[1, "longer_wins"])
    corr = length_correlation(rewards, {"chars": lengths})
    bars = viz.correlation_bars(corr)
    assert bars.data[0].y[0] == pytest.approx(corr.loc[0, "pearson"])


def test_calibration_and_win_rate_figures(biased):
    lengths, rewards = biased
    calibrations = {m: fit_length_calibration(rewards, lengths, method=m) for m in ("linear", "lowess")}
    fig = viz.calibration_fits(rewards, lengths, calibrations)
    assert [t.name for t in fig.data] == ["reference", "linear", "lowess"]
    assert np.allclose(fig.data[1].y, calibrations["linear"].predict(fig.data[1].x))
    rng = np.random.default_rng(1)
    la, lb = rng.uniform(100, 400, 300), rng.uniform(100, 400, 300)
    outcomes = (rng.random(300) < 1 / (1 + np.exp(-(la - lb) / 100))).astype(float)
    result = length_controlled_win_rate(outcomes, la, lb)
    win = viz.win_rate_vs_length(result, outcomes, la - lb)
    assert win.data[2].y[0] == pytest.approx(result.length_controlled)
    assert np.allclose(win.data[1].y, result.predict(win.data[1].x))


def test_histograms_and_summary():
    fig = viz.reward_histograms({"raw": [1.0, 2.0, 3.0], "centred": [-1.0, 0.0, 1.0]})
    assert len(fig.data) == 2 and list(fig.data[1].x) == [-1.0, 0.0, 1.0]
    assert [s.x0 for s in fig.layout.shapes] == [2.0, 0.0]
    lengths = viz.length_histograms({"chosen": [1, 2], "rejected": [3]})
    assert [t.name for t in lengths.data] == ["chosen", "rejected"]
    table = pd.DataFrame({"accuracy": [0.7, 0.9], "correlation": [0.5, -0.1]}, index=["plain", "odin"])
    summary = viz.correction_summary(table)
    assert list(summary.data[1].y) == [0.5, 0.1]
