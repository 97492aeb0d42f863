"""Listwise rankers on features and the known-truth simulator (workbench.ranking.rankers)."""
import numpy as np
import pytest

from workbench.ranking.rankers import (FeatureLists, compare_losses, evaluate_against_truth, ranking_metrics,
                                       shuffle_unranked, simulate_ranked_lists, train_ranker)


def test_simulated_lists_shapes_ties_and_top_k():
    data = simulate_ranked_lists(50, 6, dim=4, seed=0)
    assert data["features"].shape == (50, 6, 4) and data["labels"].shape == (50, 6)
    assert np.all(np.sort(data["labels"], axis=1) == np.arange(1, 7))      # a full ranking, no ties
    # beta large: the order follows the utility almost surely
    sharp = simulate_ranked_lists(50, 6, dim=4, beta=1e4, seed=0)
    assert ranking_metrics(sharp["labels"], sharp["utility"])["kendall_tau"] > 0.99
    tied = simulate_ranked_lists(50, 6, levels=3, seed=0)
    assert set(np.unique(tied["labels"])) == {1.0, 2.0, 3.0}
    partial = simulate_ranked_lists(50, 6, top_k=2, seed=0)
    assert np.all((partial["labels"] > 0).sum(axis=1) == 2) and np.all(partial["top_k"] == 2)
    shuffled = shuffle_unranked(partial)
    assert np.all(shuffled["top_k"] == 6)
    assert all(len(set(row)) == 6 for row in shuffled["labels"])


def test_feature_lists_validation():
    with pytest.raises(ValueError, match="features must be"):
        FeatureLists(np.zeros((2, 3)), np.zeros((2, 3)))
    labels = np.zeros((2, 3))
    labels[1, 2] = np.nan
    with pytest.raises(ValueError, match="list 1, item 2 is not finite"):
        FeatureLists(np.zeros((2, 3, 4)), labels)


def test_listmle_recovers_the_true_weights():
    train = simulate_ranked_lists(200, 8, dim=6, seed=0)
    test = simulate_ranked_lists(200, 8, dim=6, seed=1, weights=train["weights"])
    model, result = train_ranker(FeatureLists(train["features"], train["labels"]), epochs=15)
    metrics = evaluate_against_truth(model, test)
    assert metrics["weight_cosine"] > 0.95 and metrics["kendall_tau"] > 0.8
    assert result.steps > 0 and result.items == 200 * 15


def test_compare_losses_every_loss_learns():
    train = simulate_ranked_lists(120, 6, dim=4, seed=2)
    test = simulate_ranked_lists(100, 6, dim=4, seed=3, weights=train["weights"])
    table = compare_losses(train, test, epochs=10)
    assert list(table["loss"]) == ["ListMLE", "ListNet", "RankNet", "LambdaRank"]
    assert (table["kendall_tau"] > 0.5).all(), table
    assert (table["seconds"] > 0).all()


def test_partial_ranking_study_and_effect_of_k_tables():
    from workbench.ranking.rankers import effect_of_k, partial_ranking_study

    test = simulate_ranked_lists(100, 8, dim=4, seed=7)
    partial = partial_ranking_study(test, n_lists=60, k=8, top_k=2, epochs=5)
    assert list(partial["loss"]) == ["top-2 honoured (top_k=2)", "tail read as a tie", "tail read as an order"]
    by_k = effect_of_k((2, 8), item_budget=96, test=test, epochs=5, repeats=2)
    assert len(by_k) == 4 and set(by_k["variant"]) == {"full ranking", "winner only"}
    at_two = by_k[by_k["K"] == 2].set_index("variant")["kendall_tau"]
    assert at_two["full ranking"] == at_two["winner only"]      # with K = 2 the winner is the ranking
