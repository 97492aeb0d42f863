"""Weighted sum, normalise-then-sum, lexicographic: hand-worked cases and claimed properties."""
import numpy as np
import pytest
from scipy.stats import rankdata

from workbench.aggregation import (RewardMatrix, combine, lexicographic, lexicographic_ranks,
                                   normalize_then_sum, weighted_sum)


def within_group_order(scores, groups):
    """Within-group dense ranks (0 = best) for comparing orders."""
    out = np.empty(len(scores))
    for g in np.unique(groups):
        rows = groups == g
        out[rows] = rankdata(-scores[rows], method="dense") - 1
    return out


def test_weighted_sum_hand_worked_with_missing():
    """rows: 1*2 + 3*0.5 = 3.5; (None) -> 3*0.5 = 1.5 (left out); all None -> NaN."""
    scores = weighted_sum([[2.0, 3.0], [None, 3.0], [None, None]], [1.0, 0.5])
    np.testing.assert_allclose(scores, [3.5, 1.5, np.nan])


def test_weighted_sum_is_not_scale_invariant():
    """The reason normalise-then-sum exists: scaling one reward re-weights it."""
    rewards = np.array([[1.0, 0.0], [0.0, 0.5]])
    assert np.argmax(weighted_sum(rewards)) == 0
    rewards[:, 1] *= 1000
    assert np.argmax(weighted_sum(rewards)) == 1


def test_normalize_then_sum_hand_worked():
    """Group of 2: column z-scores are +-0.5/(0.7071+1e-4) and -+10/(14.142+1e-4);
    weights [2, 1] give 2*0.70701 - 0.70710 = 0.70692 for row 0."""
    scores = normalize_then_sum([[1.0, 10.0], [0.0, 30.0]], [0, 0], weights=[2.0, 1.0])
    c0, c1 = 0.5 / (np.sqrt(0.5) + 1e-4), 10 / (np.sqrt(200) + 1e-4)
    np.testing.assert_allclose(scores, [2 * c0 - c1, -2 * c0 + c1], rtol=1e-12)


@pytest.mark.parametrize("scale", [1000.0, 100.0, 2.0])
def test_normalize_then_sum_unchanged_when_one_reward_scaled(scale):
    rng = np.random.default_rng(1)
    rewards = rng.normal(size=(40, 3))
    groups = np.repeat(np.arange(10), 4)
    scaled = rewards.copy()
    scaled[:, 1] = scaled[:, 1] * scale + 7.0   # any positive affine map
    before = normalize_then_sum(rewards, groups, weights=[1.0, 2.0, 0.5])
    after = normalize_then_sum(scaled, groups, weights=[1.0, 2.0, 0.5])
    np.testing.assert_allclose(after, before, atol=2e-3)  # only the 1e-4 in the std moves
    np.testing.assert_array_equal(within_group_order(after, groups), within_group_order(before, groups))


def test_normalize_then_sum_invariance_stops_where_std_meets_eps():
    """The 1e-4 TRL adds to the std is not scale-free: shrink a reward until its
    within-group std is ~1e-3 and its z-scores shrink by about 10%."""
    rewards = np.random.default_rng(1).normal(size=(40, 2))
    groups = np.repeat(np.arange(10), 4)
    tiny = rewards * [1.0, 1e-3]
    shrink = np.abs(normalize_then_sum(tiny, groups, weights=[0, 1])).sum() / \
        np.abs(normalize_then_sum(rewards, groups, weights=[0, 1])).sum()
    assert 0.8 < shrink < 0.97
    np.testing.assert_allclose(normalize_then_sum(tiny, groups, weights=[0, 1], eps=1e-12),
                               normalize_then_sum(rewards, groups, weights=[0, 1], eps=1e-12), rtol=1e-6)


def test_lexicographic_hand_worked_with_tolerance():
    """Priority: correctness (tol 0), then format (tol 0.1), then brevity.
    rows: a=(1, 0.95, 0), b=(1, 1.0, 5), c=(1, 0.5, 9), d=(0, 1, 9).
    Tier 0: correct {a, b, c}; format within 0.1 of 1.0 -> {a, b}; brevity -> b.
    Tier 1: {a, c}: format within 0.1 of 0.95 -> {a}. Tier 2: {c}. Tier 3: {d}."""
    rewards = [[1, 0.95, 0], [1, 1.0, 5], [1, 0.5, 9], [0, 1.0, 9]]
    np.testing.assert_array_equal(lexicographic_ranks(rewards, [0, 1, 2], [0.0, 0.1, 0.0]), [1, 0, 2, 3])
    # without tolerance format alone decides between a and b: b still first, but now a ties nobody
    np.testing.assert_array_equal(lexicographic_ranks(rewards, [0, 1, 2]), [1, 0, 2, 3])
    # a tolerance on brevity large enough makes a and b tie
    np.testing.assert_array_equal(lexicographic_ranks(rewards, [0, 1, 2], [0, 0.1, 10]), [0, 0, 1, 2])


def test_lexicographic_order_is_tuple_order_without_tolerance():
    """Property: with zero tolerances, ranks sort rows by (r_p0, r_p1, r_p2) descending."""
    rng = np.random.default_rng(2)
    rewards = rng.integers(0, 3, size=(60, 3)).astype(float)
    groups = np.repeat(np.arange(6), 10)
    priority = [2, 0, 1]
    ranks = lexicographic_ranks(rewards, priority, group_ids=groups)
    for g in range(6):
        rows = np.flatnonzero(groups == g)
        keys = [tuple(rewards[i, priority]) for i in rows]
        for i, a in zip(rows, keys):
            for j, b in zip(rows, keys):
                if a > b:
                    assert ranks[i] < ranks[j]
                elif a == b:
                    assert ranks[i] == ranks[j]


def test_lexicographic_lower_priority_never_overrides_higher():
    """Property with tolerances: if a beats b by more than the tolerance on the top
    reward, a is ranked above b whatever the other rewards say."""
    rng = np.random.default_rng(3)
    rewards = rng.normal(size=(200, 3))
    ranks = lexicographic_ranks(rewards, [0, 1, 2], [0.3, 0.3, 0.0])
    top = rewards[:, 0]
    better = top[:, None] > top[None, :] + 0.3
    assert better.sum() > 1000
    rank_a, rank_b = np.broadcast_arrays(ranks[:, None], ranks[None, :])
    assert np.all(rank_a[better] < rank_b[better])


def test_lexicographic_invariant_to_monotone_maps():
    rng = np.random.default_rng(4)
    rewards = rng.normal(size=(30, 2))
    mapped = np.column_stack([np.exp(rewards[:, 0]) * 1000, rewards[:, 1] ** 3])
    np.testing.assert_array_equal(lexicographic(rewards), lexicographic(mapped))


def test_lexicographic_missing_reward_is_neutral_and_all_missing_is_unranked():
    ranks = lexicographic_ranks([[1.0, 0.0], [np.nan, 5.0], [0.0, 9.0], [np.nan, np.nan]])
    # row 1 has no correctness: it is not filtered on it and wins on the second reward
    np.testing.assert_array_equal(ranks[:3], [1, 0, 2])
    assert np.isnan(ranks[3])


def test_lexicographic_validation():
    with pytest.raises(ValueError, match="priority index 5"):
        lexicographic_ranks([[1.0, 2.0]], [5])
    with pytest.raises(ValueError, match="tolerances"):
        lexicographic_ranks([[1.0, 2.0]], [0, 1], [0.1])


def test_combine_dispatch_and_unknown_method():
    rewards = np.array([[1.0, 0.0], [0.0, 2.0]])
    np.testing.assert_allclose(combine("weighted_sum", rewards, weights=[1, 1]), [1.0, 2.0])
    with pytest.raises(ValueError, match="unknown method 'sum'.*weighted_sum"):
        combine("sum", rewards)
    with pytest.raises(ValueError, match="LagrangianCombiner"):
        combine("constrained", rewards)


def test_reward_matrix_validation_names_row_and_column():
    with pytest.raises(ValueError, match="row 1, reward column 1 is infinite"):
        RewardMatrix.from_columns({"a": [1.0, 2.0], "b": [0.0, float("inf")]}, group_ids=[0, 0])
    with pytest.raises(ValueError, match="differ in length"):
        RewardMatrix.from_columns({"a": [1.0, 2.0], "b": [0.0]}, group_ids=[0, 0])
    with pytest.raises(ValueError, match="group_ids has 1 entries"):
        RewardMatrix.from_columns({"a": [1.0, 2.0]}, group_ids=[0])
    matrix = RewardMatrix.from_columns({"a": [1.0, None], "b": [0.0, 3.0]}, group_ids=["q1", "q1"])
    assert np.isnan(matrix.column("a")[1]) and matrix.num_groups == 1
