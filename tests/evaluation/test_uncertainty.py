"""Bootstrap intervals cover at their nominal rate; paired tests and Holm's correction."""
import numpy as np
import pytest

from workbench.evaluation.uncertainty import (
    ScoreTally,
    bootstrap_interval,
    holm,
    paired_difference,
    permutation_p_value,
)


def test_95_percent_intervals_cover_a_known_accuracy_in_93_to_97_percent_of_400_runs():
    """400 simulated evaluations of 200 pairs a scorer gets right with probability 0.7."""
    rng = np.random.default_rng(2024)
    covered = 0
    for run in range(400):
        outcomes = (rng.random(200) < 0.7).astype(float)
        interval = bootstrap_interval(ScoreTally.of_outcomes(outcomes, np.arange(200)), n_resamples=1000, seed=run)
        covered += interval.covers(0.7)
    assert 0.93 <= covered / 400 <= 0.97, covered / 400


def test_resampling_prompts_covers_when_rows_of_a_prompt_are_correlated_and_resampling_rows_does_not():
    """60 prompts x 5 rows; a prompt is easy (p = 0.95) or hard (p = 0.45) with equal odds: the
    accuracy is 0.7 and rows of one prompt move together. Resampling rows treats 300 rows as
    independent, so its intervals are too narrow; resampling prompts keeps their width."""
    rng = np.random.default_rng(7)
    by_prompt = by_row = 0
    prompts = np.repeat(np.arange(60), 5)
    for run in range(200):
        p = np.where(rng.random(60) < 0.5, 0.95, 0.45)[prompts]
        outcomes = (rng.random(300) < p).astype(float)
        by_prompt += bootstrap_interval(ScoreTally.of_outcomes(outcomes, prompts), n_resamples=500, seed=run).covers(0.7)
        by_row += bootstrap_interval(ScoreTally.of_outcomes(outcomes, np.arange(300)), n_resamples=500,
                                     seed=run).covers(0.7)
    assert by_prompt / 200 >= 0.9 and by_row / 200 < by_prompt / 200 - 0.05, (by_prompt, by_row)


def test_tally_of_outcomes_is_the_mean_and_intervals_bracket_it():
    """Rows 1, 0, 1, 1 in prompts a, a, b, c: mean 3/4."""
    tally = ScoreTally.of_outcomes([1, 0, 1, 1], ["a", "a", "b", "c"])
    assert tally.value() == 0.75 and tally.n_clusters == 3
    interval = bootstrap_interval(tally, n_resamples=200)
    assert interval.low <= 0.75 <= interval.high and interval.low >= 0 and interval.high <= 1
    with pytest.raises(ValueError, match="confidence"):
        bootstrap_interval(tally, confidence=1.5)


def test_paired_difference_of_a_scorer_with_itself_is_zero_with_p_one():
    tally = ScoreTally.of_outcomes(np.random.default_rng(0).random(50) < 0.6, np.arange(50))
    diff = paired_difference(tally, tally, n_resamples=200, n_permutations=200)
    assert diff.estimate == diff.low == diff.high == 0.0 and diff.p_value == 1.0


def test_paired_difference_finds_a_real_gap_and_not_a_fake_one():
    """A right on 90% of 200 prompts, B on 60% (independent): p tiny, interval around +0.3.
    Two scorers with the same 70%: p not small in most seeds (here: a fixed seed)."""
    rng = np.random.default_rng(3)
    a = ScoreTally.of_outcomes(rng.random(200) < 0.9, np.arange(200))
    b = ScoreTally.of_outcomes(rng.random(200) < 0.6, np.arange(200))
    diff = paired_difference(a, b, n_resamples=500, n_permutations=2000)
    assert diff.p_value < 0.001 and diff.low > 0.15 and diff.high < 0.45
    c = ScoreTally.of_outcomes(rng.random(200) < 0.7, np.arange(200))
    d = ScoreTally.of_outcomes(rng.random(200) < 0.7, np.arange(200))
    assert paired_difference(c, d, n_resamples=200, n_permutations=2000).p_value > 0.05


def test_permutation_p_is_never_zero_and_sign_flips_are_exact_for_one_prompt():
    """One prompt, difference +1: flipping gives +-1, both as extreme: p = (1 + n) / (1 + n) = 1."""
    single = ScoreTally.of_outcomes([1.0], ["x"]).minus(ScoreTally.of_outcomes([0.0], ["x"]))
    assert permutation_p_value(single, n_permutations=100) == 1.0
    with pytest.raises(ValueError, match="same examples"):
        ScoreTally.of_outcomes([1, 0], ["x", "y"]).minus(ScoreTally.of_outcomes([1, 0], ["x", "x"]))


def test_holm_by_hand():
    """Sorted 0.01, 0.03, 0.04 (m = 3): 0.01 * 3 = 0.03; 0.03 * 2 = 0.06; max(0.04 * 1, 0.06) = 0.06."""
    assert holm([0.01, 0.04, 0.03]).tolist() == pytest.approx([0.03, 0.06, 0.06])
    assert holm([0.5, 0.9]).tolist() == pytest.approx([1.0, 1.0])
    assert holm([0.2]).tolist() == [0.2]
