"""Pareto front, non-dominated sorting, preference selection."""
import numpy as np
import pytest

from workbench.aggregation import (pareto_front, pareto_levels, pareto_scores, preference_utility,
                                   select_by_preference)
from workbench.aggregation.pareto import dominated_mask


def test_pareto_hand_worked():
    """(3,1), (1,3), (2,2) are mutually non-dominated; (2,1) is dominated by (3,1) and
    (2,2); (1,1) by everything; (2,2) duplicated stays on the front (neither copy is
    strictly better)."""
    rewards = [[3, 1], [1, 3], [2, 2], [2, 1], [1, 1], [2, 2]]
    np.testing.assert_array_equal(pareto_front(rewards), [1, 1, 1, 0, 0, 1])
    np.testing.assert_array_equal(pareto_levels(rewards), [0, 0, 0, 1, 2, 0])


def test_pareto_set_has_no_dominated_member_and_covers_the_rest():
    rng = np.random.default_rng(0)
    rewards = rng.normal(size=(700, 3))     # > one chunk of 512
    front = pareto_front(rewards)
    members, others = rewards[front], rewards[~front]
    dominates = lambda a, b: np.all(a >= b, axis=-1) & np.any(a > b, axis=-1)
    for member in members:
        assert not dominates(rewards, member).any()
    for other in others:
        assert dominates(members, other).any()


def test_pareto_levels_are_consistent():
    """Every level-k sample (k > 0) is dominated by some level-(k-1) sample."""
    rng = np.random.default_rng(1)
    rewards = rng.integers(0, 5, size=(80, 2)).astype(float)
    levels = pareto_levels(rewards)
    for k in range(1, int(levels.max()) + 1):
        upper = rewards[levels == k - 1]
        for row in rewards[levels == k]:
            assert (np.all(upper >= row, axis=1) & np.any(upper > row, axis=1)).any()


def test_pareto_per_group_and_invariance_to_monotone_maps():
    rng = np.random.default_rng(2)
    rewards = rng.normal(size=(40, 2))
    groups = np.repeat(np.arange(5), 8)
    mapped = np.column_stack([rewards[:, 0] * 1000 - 3, np.tanh(rewards[:, 1])])
    np.testing.assert_array_equal(pareto_levels(rewards, groups), pareto_levels(mapped, groups))
    for g in range(5):
        assert pareto_front(rewards, groups)[groups == g].any()


def test_missing_rewards_compared_on_shared_columns():
    levels = pareto_levels([[1.0, np.nan], [0.0, 5.0], [np.nan, np.nan]])
    # row 0 beats row 1 on the only shared reward: row 1 is dominated
    np.testing.assert_array_equal(levels[:2], [0, 1])
    assert np.isnan(levels[2])
    assert not dominated_mask(np.array([[np.nan, 1.0], [1.0, np.nan]])).any()


def test_chebyshev_reaches_a_non_convex_point_that_a_weighted_sum_cannot():
    """Front (1,0), (0,1), (0.4,0.4): the middle point lies below the line joining the
    others, so no weighted sum picks it; Chebyshev with equal preference does."""
    rewards = np.array([[1.0, 0.0], [0.0, 1.0], [0.4, 0.4]])
    assert pareto_front(rewards).all()
    assert select_by_preference(rewards, [1, 1], method="chebyshev") == 2
    for w in np.linspace(0, 1, 21):
        assert select_by_preference(rewards, [w + 1e-9, 1 - w + 1e-9], method="linear") != 2
    assert select_by_preference(rewards, [1, 0.1]) == 0
    assert select_by_preference(rewards, [0.1, 1]) == 1


def test_selection_is_scale_invariant_and_only_from_the_front():
    rng = np.random.default_rng(3)
    rewards = rng.normal(size=(50, 3))
    scaled = rewards * [1000.0, 1.0, 0.01] + [5, 0, -2]
    for preference in ([1, 1, 1], [3, 1, 0], [0.2, 0.5, 1.0]):
        chosen = select_by_preference(rewards, preference)
        assert pareto_front(rewards)[chosen]
        assert chosen == select_by_preference(scaled, preference)


def test_preference_utility_bounds_and_validation():
    utility = preference_utility(np.random.default_rng(4).normal(size=(20, 2)), [1, 2])
    assert np.all((utility >= 0) & (utility <= 1))
    with pytest.raises(ValueError, match="preference must be 2"):
        preference_utility([[1.0, 2.0]], [0, 0])
    with pytest.raises(ValueError, match="preference must be 2"):
        preference_utility([[1.0, 2.0]], [1.0])


def test_pareto_scores_keep_fronts_ordered():
    rewards = np.array([[3, 1], [1, 3], [2, 2], [2, 1], [1, 1]], dtype=float)
    scores = pareto_scores(rewards, preference=[1.0, 0.2])
    assert scores[:3].min() > scores[3] > scores[4]
    assert np.argmax(scores) == 0
