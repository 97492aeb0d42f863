"""GRPO advantages: hand-worked cases, TRL's statistics, the GDPO collapse."""
import numpy as np
import pytest
import torch
from trl.trainer.utils import nanstd as trl_nanstd

from workbench.aggregation import (distinct_advantage_patterns, group_advantages, group_zscores,
                                   trl_advantages)
from workbench.aggregation.matrix import group_nanstd


def test_group_advantages_hand_worked():
    """scores [1, 2 | 3, 4]: each group has mean m +- 0.5 and std sqrt(2 * 0.25 / 1) = 0.70711.

    group: +-0.5 / (0.70711 + 1e-4) = +-0.70701; none: +-0.5;
    batch: std of [1, 2, 3, 4] = sqrt(5 / 3) = 1.29099, so +-0.5 / 1.29109.
    """
    scores, groups = [1.0, 2.0, 3.0, 4.0], [0, 0, 1, 1]
    expected = np.array([-1, 1, -1, 1]) * 0.5
    np.testing.assert_allclose(group_advantages(scores, groups, scale="group"),
                               expected / (np.sqrt(0.5) + 1e-4), rtol=1e-12)
    np.testing.assert_allclose(group_advantages(scores, groups, scale="none"), expected)
    np.testing.assert_allclose(group_advantages(scores, groups, scale="batch"),
                               expected / (np.sqrt(5 / 3) + 1e-4), rtol=1e-12)


def test_group_advantages_nan_and_constant_groups():
    """NaN scores get 0 and are left out of the baseline; a constant group gets 0, not NaN."""
    advantages = group_advantages([1.0, np.nan, 3.0, 5.0, 5.0, 5.0], [0, 0, 0, 1, 1, 1])
    # group 0 baseline from {1, 3}: mean 2, std sqrt(2)
    np.testing.assert_allclose(advantages[:3], [-1 / (np.sqrt(2) + 1e-4), 0.0, 1 / (np.sqrt(2) + 1e-4)])
    np.testing.assert_array_equal(advantages[3:], 0.0)
    assert np.all(np.isfinite(advantages))


def test_group_advantages_uneven_groups_by_label():
    advantages = group_advantages([0.0, 1.0, 5.0, 7.0, 9.0], ["a", "a", "b", "b", "b"], scale="none")
    np.testing.assert_allclose(advantages, [-0.5, 0.5, -2.0, 0.0, 2.0])


def test_group_nanstd_matches_trl_nanstd():
    rng = np.random.default_rng(0)
    values = rng.normal(size=(6, 5))
    values[rng.random(values.shape) < 0.3] = np.nan
    values[2, :4] = np.nan  # one valid value: NaN std in both
    ours = group_nanstd(values.reshape(-1), np.repeat(np.arange(6), 5)).reshape(6, 5)[:, 0]
    theirs = trl_nanstd(torch.tensor(values, dtype=torch.float64), dim=1).numpy()
    # TRL computes the Bessel factor count / (count - 1) in float32.
    np.testing.assert_allclose(ours, theirs, rtol=1e-7, equal_nan=True)


def test_group_zscores_per_column():
    """Column 0: [1, 0], mean 0.5, std 0.70711 -> +-0.5 / 0.70721 = +-0.70701.
    Column 1: [10, 30], mean 20, std 14.1421 -> -+10 / 14.1422 = -+0.707102."""
    z = group_zscores([[1.0, 10.0], [0.0, 30.0]], [0, 0])
    c0 = 0.5 / (np.sqrt(0.5) + 1e-4)
    c1 = 10 / (np.sqrt(200) + 1e-4)
    np.testing.assert_allclose(z, [[c0, -c1], [-c0, c1]], rtol=1e-12)


def test_trl_advantages_unscorable_row_gets_zero_and_is_left_out():
    rewards = [[np.nan, np.nan], [1.0, 0.0], [3.0, 0.0], [0.0, 2.0]]
    for aggregation in ("sum_then_normalize", "normalize_then_sum"):
        advantages = trl_advantages(rewards, num_generations=4, aggregation=aggregation)
        assert advantages[0] == 0.0
        assert np.all(np.isfinite(advantages))
    # sum_then_normalize: totals [nan, 1, 3, 2] -> baseline over {1, 3, 2} is 2, std 1
    np.testing.assert_allclose(trl_advantages(rewards, num_generations=4, scale_rewards="group"),
                               [0.0, -1 / 1.0001, 1 / 1.0001, 0.0])


def test_trl_advantages_rejects_bad_options():
    with pytest.raises(ValueError, match="aggregation"):
        trl_advantages([[1.0]], aggregation="sum")
    with pytest.raises(ValueError, match="scale"):
        trl_advantages([[1.0]], scale_rewards="global")
    with pytest.raises(ValueError, match="num_generations"):
        trl_advantages([[1.0], [2.0], [3.0]], num_generations=2)
    with pytest.raises(ValueError, match="row 1, reward column 0 is infinite"):
        trl_advantages([[1.0], [np.inf]], num_generations=2)


def test_gdpo_keeps_reward_combinations_apart():
    """Two binary rewards, groups of 2. Summing first makes a (0,0)/(1,0) group and a
    (0,0)/(1,1) group look alike (both +-0.707): GRPO's collapse. GDPO gives the
    second a larger advantage because it improved on two rewards."""
    rewards = np.array([[0, 0], [1, 0], [0, 0], [1, 1], [0, 1], [1, 0]], dtype=float)
    groups = [0, 0, 1, 1, 2, 2]
    grpo = trl_advantages(rewards, group_ids=groups, aggregation="sum_then_normalize")
    gdpo = trl_advantages(rewards, group_ids=groups, aggregation="normalize_then_sum")
    np.testing.assert_allclose(grpo[:2], grpo[2:4], atol=1e-4)  # collapsed (up to the 1e-4 in the std)
    assert gdpo[3] > gdpo[1] + 0.3                             # kept apart
    counts = distinct_advantage_patterns(rewards, groups)
    assert counts["groups"] == 3
    assert counts["sum_then_normalize"] == 2 and counts["normalize_then_sum"] == 3


def test_layout_does_not_change_advantages():
    """TRL's contiguous layout takes a reshape fast path; shuffling the rows (with their
    group labels) must give the same advantages, with or without NaN."""
    rng = np.random.default_rng(5)
    scores = rng.normal(size=64)
    groups = np.repeat(np.arange(16), 4)
    perm = rng.permutation(64)
    for values in (scores, np.where(rng.random(64) < 0.2, np.nan, scores)):
        for scale in ("group", "batch", "none"):
            contiguous = group_advantages(values, groups, scale=scale)
            shuffled = group_advantages(values[perm], groups[perm], scale=scale)
            np.testing.assert_allclose(shuffled, contiguous[perm], rtol=1e-12, atol=1e-12)
