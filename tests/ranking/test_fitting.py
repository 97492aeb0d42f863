import numpy as np
import pytest

from workbench.ranking import fitting


def test_simulated_win_rates_follow_the_bradley_terry_probability():
    truth = np.array([1.0, 0.0])
    data = fitting.simulate_comparisons(truth, 20000, seed=0)
    observed = fitting.empirical_win_rate(data)[0, 1]
    assert observed == pytest.approx(1 / (1 + np.exp(-1)), abs=0.015)


def test_simulate_from_probabilities_and_cycle_fit():
    cycle = np.array([[0.5, 0.8, 0.2], [0.2, 0.5, 0.8], [0.8, 0.2, 0.5]])
    data = fitting.simulate_from_probabilities(cycle, 400, seed=1)
    observed = fitting.empirical_win_rate(data)
    assert observed[0, 1] == pytest.approx(0.8, abs=0.06) and observed[2, 0] == pytest.approx(0.8, abs=0.06)
    fitted = fitting.fit_rewards(data)
    assert np.abs(fitted).max() < 0.15  # no scalar reward explains a cycle
    predicted = fitting.predicted_win_probability(fitted)
    assert np.allclose(predicted + predicted.T, 1.0)


def test_rankings_are_distinct_items_best_first():
    truth = np.arange(10, dtype=float) * 5  # nearly deterministic annotator
    data = fitting.simulate_rankings(truth, 50, k=4, seed=2)
    assert data.items.shape == (50, 4)
    assert all(len(set(row)) == 4 for row in data.items)
    assert (np.diff(truth[data.items], axis=1) < 0).mean() > 0.95


@pytest.mark.parametrize("bad", [
    lambda: fitting.simulate_from_probabilities(np.ones((2, 3)), 5),
    lambda: fitting.simulate_from_probabilities(np.array([[0.5, 1.2], [0.0, 0.5]]), 5),
    lambda: fitting.simulate_comparisons([0.0, 1.0], 5, temperature=0),
    lambda: fitting.simulate_rankings([0.0, 1.0], 5, k=3),
])
def test_bad_simulation_inputs_raise(bad):
    with pytest.raises(ValueError):
        bad()
