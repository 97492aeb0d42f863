"""Multi-objective reward combination and GRPO group advantages.

Strategies (``rewards: (N, F)`` -> scores ``(N,)``): :func:`weighted_sum`,
:func:`normalize_then_sum` (GDPO), :func:`lexicographic`, constrained via
:class:`LagrangianCombiner` (Safe RLHF), Pareto via :func:`pareto_front` /
:func:`select_by_preference` / :func:`pareto_scores`; :func:`combine` picks one
by name. Advantages: :func:`group_advantages` (one score),
:func:`trl_advantages` (TRL 1.16's GRPOTrainer on a reward matrix).
:func:`combined_reward` (in :mod:`.trl_rewards`) wraps several reward functions into one
TRL reward function. The live explorer lives in :mod:`.explorer`; the GSM8K
reward matrix in :mod:`.gsm8k`. Rankers learned from orderings (and the
listwise RM on GRPO groups) moved to :mod:`workbench.ranking`; ``.listwise`` and
``.grpo_listwise`` here only keep old imports working.
"""
from .advantages import (collapsing_group_pairs, distinct_advantage_patterns, group_advantages, group_zscores,
                         trl_advantages)
from .constrained import Constraint, LagrangianCombiner, run_constrained_bandit
from .matrix import RewardMatrix, contiguous_group_ids
from .pareto import (pareto_front, pareto_levels, pareto_scores, preference_utility,
                     select_by_preference)
from .strategies import (METHODS, combine, lexicographic, lexicographic_ranks,
                         normalize_then_sum, weighted_sum)

__all__ = [
    "METHODS", "Constraint", "LagrangianCombiner", "RewardMatrix", "combine",
    "collapsing_group_pairs", "contiguous_group_ids", "distinct_advantage_patterns", "group_advantages", "group_zscores",
    "lexicographic", "lexicographic_ranks", "normalize_then_sum", "pareto_front",
    "pareto_levels", "pareto_scores", "preference_utility", "run_constrained_bandit",
    "select_by_preference", "trl_advantages", "weighted_sum",
]
