"""Several reward functions combined into one TRL ``GRPOTrainer`` reward function.

TRL calls each reward function as ``f(prompts=..., completions=...,
completion_ids=..., **dataset_columns, trainer_state=..., log_metric=...)``
with every completion of the local batch, the ``num_generations`` completions
of one prompt lying next to each other. :func:`combined_reward` calls each of
ours the same way, stacks their outputs into a reward matrix ``(N, F)``
(``None`` -> NaN), combines it with any strategy of
:mod:`workbench.aggregation.strategies`, and returns one score per completion
(``None`` where no function scored it, so TRL treats it as unscorable). TRL
then computes its group advantages on that single score.

Group-aware methods (normalise-then-sum, lexicographic, Pareto) need the
groups: ``num_generations`` when given, else runs of identical prompts.
"""
from __future__ import annotations

import json
from typing import Callable, Sequence

import numpy as np

from .constrained import LagrangianCombiner
from .matrix import as_reward_matrix, contiguous_group_ids
from .strategies import METHODS, combine


def prompt_group_ids(prompts: Sequence) -> np.ndarray:
    """Group ids ``(N,)`` from consecutive runs of equal prompts (str or chat message lists)."""
    keys = [p if isinstance(p, str) else json.dumps(p, sort_keys=True, default=str) for p in prompts]
    ids = np.zeros(len(keys), dtype=np.int64)
    for i in range(1, len(keys)):
        ids[i] = ids[i - 1] + (keys[i] != keys[i - 1])
    return ids


def reward_matrix_from_functions(reward_funcs: Sequence[Callable], completions, **kwargs) -> np.ndarray:
    """Call each reward function on the batch; ``(N, F)`` with NaN for None.

    Raises ValueError naming the function when it returns the wrong number of
    rewards or a value that is not a number.
    """
    columns = []
    for func in reward_funcs:
        name = getattr(func, "__name__", type(func).__name__)
        values = list(func(completions=completions, **kwargs))
        if len(values) != len(completions):
            raise ValueError(f"reward function {name!r} returned {len(values)} rewards "
                             f"for {len(completions)} completions")
        for row, value in enumerate(values):
            if value is not None and not isinstance(value, (int, float, np.number)):
                raise ValueError(f"reward function {name!r}, row {row}: expected a number or None, "
                                 f"got {value!r}")
        columns.append([np.nan if v is None else float(v) for v in values])
    return as_reward_matrix(np.array(columns, dtype=np.float64).T.reshape(len(completions), len(columns)))


def combined_reward(reward_funcs: Sequence[Callable], *, method: str = "weighted_sum", weights=None,
                    num_generations: int | None = None, priority=None, tolerances=None,
                    preference=None, constrained: LagrangianCombiner | None = None,
                    update_multipliers: bool = True, name: str | None = None) -> Callable:
    """One TRL reward function that combines ``reward_funcs`` with ``method``.

    method: one of :data:`~workbench.aggregation.strategies.METHODS`; weights,
    priority, tolerances, preference, constrained: that method's arguments
    (see :func:`~workbench.aggregation.strategies.combine`). With
    ``method="constrained"`` each call also takes one dual step on the
    multipliers from the batch's violations (``update_multipliers``) and logs
    them through TRL's ``log_metric`` as ``lambda/<i>``. The returned
    function's ``last_rewards`` attribute holds the latest ``(N, F)`` matrix.

    >>> length = lambda completions, **kw: [float(len(c)) for c in completions]
    >>> has_a = lambda completions, **kw: [float("A:" in c) for c in completions]
    >>> reward = combined_reward([length, has_a], weights=[0.0, 1.0])
    >>> reward(prompts=["q", "q"], completions=["A: 4", "four"])
    [1.0, 0.0]
    """
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose one of {METHODS}")
    if not reward_funcs:
        raise ValueError("combined_reward needs at least one reward function")
    if method == "constrained" and constrained is None:
        raise ValueError("method='constrained' needs constrained=LagrangianCombiner(...)")

    def reward(completions, prompts=None, **kwargs) -> list[float | None]:
        extra = {k: v for k, v in kwargs.items()}
        rewards = reward_matrix_from_functions(reward_funcs, completions, prompts=prompts, **extra)
        if num_generations is not None:
            group_ids = contiguous_group_ids(len(completions), num_generations)
        elif prompts is not None:
            group_ids = prompt_group_ids(prompts)
        else:
            group_ids = None
        scores = combine(method, rewards, group_ids=group_ids, weights=weights, priority=priority,
                         tolerances=tolerances, preference=preference, constrained=constrained)
        if method == "constrained" and update_multipliers:
            lambdas = constrained.update(rewards)
            log_metric = kwargs.get("log_metric")
            if callable(log_metric):
                for i, value in enumerate(lambdas):
                    log_metric(f"lambda/{i}", float(value))
        reward.last_rewards = rewards
        return [None if np.isnan(s) else float(s) for s in scores]

    reward.__name__ = name or f"combined_{method}"
    reward.last_rewards = None
    return reward
