"""Moved to workbench.ranking.fitting; this module keeps old imports working."""
from workbench.ranking.fitting import (Comparisons, Rankings, empirical_win_rate, fit_rewards, pairwise_accuracy,
                                       predicted_win_probability, simulate_comparisons, simulate_from_probabilities,
                                       simulate_rankings, split)

__all__ = ["Comparisons", "Rankings", "empirical_win_rate", "fit_rewards", "pairwise_accuracy",
           "predicted_win_probability", "simulate_comparisons", "simulate_from_probabilities", "simulate_rankings",
           "split"]
