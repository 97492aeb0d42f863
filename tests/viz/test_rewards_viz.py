"""The notebook-05 figures carry the data they claim to show."""
import numpy as np
import pandas as pd

from workbench.rewards import make_soft_overlong_reward
from workbench.viz.rewards import gallery_table, length_shaping, mean_reward_bars, reward_histograms


def test_mean_reward_bars_are_group_means():
    table = pd.DataFrame({"model": ["a", "a", "b"], "r": [1.0, 0.0, 1.0], "s": [0.5, 0.5, 0.0]})
    fig = mean_reward_bars(table, by="model", rewards=["r", "s"])
    assert [t.name for t in fig.data] == ["r", "s"]
    assert list(fig.data[0].y) == [0.5, 1.0] and list(fig.data[1].y) == [0.5, 0.0]


def test_length_shaping_curve_is_the_reward():
    reward = make_soft_overlong_reward(10, 4)
    fig = length_shaping(lambda n: reward(["w " * n])[0], [3, 8, 12], max_length=10)
    curve = fig.data[1]
    assert list(fig.data[0].x) == [3, 8, 12]
    assert curve.y[0] == 0.0 and curve.y[8] == -0.5 and curve.y[11] == -1.0


def test_histograms_and_table():
    fig = reward_histograms({"a": [0, 0, 1], "b": [0.5]})
    assert [len(t.x) for t in fig.data] == [3, 1]
    table = pd.DataFrame({"attack": ["x"], "sandbox": [0.0], "textbook": [np.nan]})
    cells = gallery_table(table).data[0].cells.values
    assert [list(c) for c in cells] == [["x"], ["0.00"], ["-"]]
