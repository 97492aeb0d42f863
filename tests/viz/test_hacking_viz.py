"""The GRPO-runs figure carries each run's smoothed series and held-out points."""
from types import SimpleNamespace

import numpy as np

from workbench.viz.hacking import grpo_runs, smoothed


def fake_run(offset):
    history = [SimpleNamespace(step=i + 1, accuracy=offset + 0.01 * i, proxy=float(i), length=60.0, kl_sequence=0.1 * i,
                               heldout_accuracy=0.6 if i == 9 else None) for i in range(10)]
    return SimpleNamespace(history=history, start_accuracy=0.5)


def test_smoothed_is_a_trailing_mean():
    assert np.allclose(smoothed([1, 2, 3, 4], 2), [1, 1.5, 2.5, 3.5])


def test_grpo_runs_traces():
    figure = grpo_runs({"checker": fake_run(0.3), "proxy": fake_run(0.2)}, window=1)
    names = [trace.name for trace in figure.data]
    assert names[:5] == ["checker", "checker proxy", "checker length", "checker kl_sequence", "checker held-out"]
    assert np.allclose(figure.data[0].y, [0.3 + 0.01 * i for i in range(10)])
    assert list(figure.data[4].y) == [0.5, 0.6]
