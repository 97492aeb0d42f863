"""Moved to workbench.ranking.rankers; this module keeps old imports working."""
from workbench.ranking.rankers import (LOSS_VARIANTS, FeatureLists, ListScorer, collate_feature_lists,
                                       compare_losses, effect_of_k, evaluate_against_truth,
                                       feature_listwise_objective, partial_ranking_study, ranking_metrics,
                                       shuffle_unranked, simulate_ranked_lists, train_ranker)

__all__ = ["LOSS_VARIANTS", "FeatureLists", "ListScorer", "collate_feature_lists", "compare_losses", "effect_of_k",
           "evaluate_against_truth", "feature_listwise_objective", "partial_ranking_study", "ranking_metrics",
           "shuffle_unranked", "simulate_ranked_lists", "train_ranker"]
