"""Fitted rewards recover the truth, and agree with an independent estimator (choix)."""
import numpy as np
import pytest

from workbench.ranking.fitting import (Comparisons, Rankings, fit_rewards, pairwise_accuracy,
                                       simulate_comparisons, simulate_rankings, split)

choix = pytest.importorskip("choix")


def correlation(a, b):
    return float(np.corrcoef(a, b)[0, 1])


def test_bradley_terry_fit_matches_choix_and_recovers_truth():
    truth = np.random.default_rng(0).normal(size=20)
    data = simulate_comparisons(truth, 4000, seed=1)
    ours = fit_rewards(data, loss="bradley_terry", l2=1e-4)
    reference = choix.opt_pairwise(20, list(zip(data.chosen, data.rejected)), alpha=2e-4)
    reference = reference - reference.mean()
    assert np.abs(ours - reference).max() < 0.02
    assert correlation(ours, truth) > 0.95


def test_plackett_luce_fit_matches_choix_rankings():
    truth = np.random.default_rng(2).normal(size=15)
    data = simulate_rankings(truth, 800, k=4, seed=3)
    ours = fit_rewards(data, loss="plackett_luce", l2=1e-4)
    reference = choix.opt_rankings(15, [list(row) for row in data.items], alpha=2e-4)
    reference = reference - reference.mean()
    assert np.abs(ours - reference).max() < 0.02
    assert correlation(ours, truth) > 0.95


def test_rankings_carry_more_information_than_one_pair_per_list():
    """Fitting the full 4-item rankings beats fitting only each list's top pair."""
    truth = np.random.default_rng(4).normal(size=30)
    data = simulate_rankings(truth, 300, k=4, seed=5)
    full = fit_rewards(data, loss="plackett_luce")
    top_pair = Comparisons(30, data.items[:, 0], data.items[:, 1])
    partial = fit_rewards(top_pair, loss="bradley_terry")
    assert correlation(full, truth) > correlation(partial, truth)


def test_held_out_accuracy_beats_chance_and_approaches_truth():
    truth = np.random.default_rng(6).normal(size=40)
    train, held_out = split(simulate_comparisons(truth, 3000, seed=7), seed=7)
    fitted = fit_rewards(train)
    assert pairwise_accuracy(fitted, held_out) > 0.6
    assert pairwise_accuracy(fitted, held_out) > pairwise_accuracy(truth, held_out) - 0.03


def test_fit_refuses_the_wrong_kind_of_data():
    data = simulate_comparisons(np.zeros(3), 10)
    with pytest.raises(ValueError, match="listwise"):
        fit_rewards(data, loss="plackett_luce")
    with pytest.raises(ValueError, match="pairwise"):
        fit_rewards(Rankings(3, np.array([[0, 1, 2]])), loss="bradley_terry")
    with pytest.raises(ValueError):
        simulate_comparisons([1.0], 10)
