"""The listwise RM on GRPO groups (workbench.ranking.grpo_groups)."""
import numpy as np
import pytest

from workbench.ranking.grpo_groups import (group_features, groups_to_records, rm_advantages, train_group_rm,
                                           whole_order_report)
from workbench.ranking.rankers import simulate_ranked_lists


def test_records_from_groups_and_mismatch():
    records = groups_to_records(["p"], [["a", "b"]], [[1, 0]], top_k=1)
    assert records == [{"prompt": "p", "responses": ["a", "b"], "labels": [1.0, 0.0], "top_k": 1}]
    with pytest.raises(ValueError, match="group 0: 2 responses but 3 labels"):
        groups_to_records(["p"], [["a", "b"]], [[1, 0, 2]])


def test_group_rm_learns_the_whole_order_not_only_the_winner():
    """On groups ranked by a noisy known utility, training on the whole order beats
    training on the winner alone, most of all among the places below the winner."""
    train = simulate_ranked_lists(300, 6, dim=8, beta=1.0, seed=4)
    test = simulate_ranked_lists(200, 6, dim=8, seed=5, weights=train["weights"])
    records = [{"prompt": "", "responses": [""] * 6, "labels": row.tolist()} for row in train["labels"]]
    full = train_group_rm(train["features"], records, hidden=0, epochs=20, learning_rate=0.05)
    winner = train_group_rm(train["features"], records, hidden=0, epochs=20, learning_rate=0.05, top_k=1)
    full_report = whole_order_report(full.score(test["features"]), test["utility"])
    winner_report = whole_order_report(winner.score(test["features"]), test["utility"])
    assert full_report["kendall_tau"] > 0.7
    assert full_report["tau_below_winner"] > winner_report["tau_below_winner"] + 0.05
    advantages = rm_advantages(full, test["features"])
    assert advantages.shape == (200, 6)
    np.testing.assert_allclose(advantages.sum(axis=1), 0.0, atol=1e-9)


def test_group_features_from_text():
    from workbench.data.synthetic import synthetic_lists

    rows = synthetic_lists(3, k=4, seed=0)
    records = groups_to_records([r["prompt"] for r in rows], [r["responses"] for r in rows],
                                [r["labels"] for r in rows])
    features = group_features(records, progress=False)
    assert features.shape == (3, 4, 384) and np.all(np.isfinite(features))
    with pytest.raises(ValueError, match="same number of responses"):
        group_features(records[:1] + [{"prompt": "", "responses": ["x"], "labels": [1.0]}], progress=False)
