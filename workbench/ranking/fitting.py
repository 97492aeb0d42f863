"""Preferences from known rewards, and rewards fitted back from preferences.

The teaching loop of the first notebook: draw items with true rewards, let a
simulated annotator compare them (Bradley-Terry for pairs, Plackett-Luce for
rankings), then fit one free reward per item with a loss from
``workbench.losses`` and see how much of the truth comes back. No network, no
model: a fitted "reward model" here is a vector of item rewards.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from workbench.losses import get_loss, is_listwise


@dataclass
class Comparisons:
    """Pairwise judgements over ``n_items`` items: ``chosen[i]`` beat ``rejected[i]``."""

    n_items: int
    chosen: np.ndarray  # (N,) item index of the preferred item
    rejected: np.ndarray  # (N,) item index of the other item


@dataclass
class Rankings:
    """Listwise judgements: ``items[i]`` are K item indices, best first."""

    n_items: int
    items: np.ndarray  # (N, K) item indices, best first


def simulate_comparisons(true_rewards, n_pairs: int, *, seed: int = 0, temperature: float = 1.0) -> Comparisons:
    r"""Draw ``n_pairs`` random pairs and a Bradley-Terry annotator's verdict on each.

    :math:`P(i \succ j) = \sigma((r_i - r_j)/T)`; ``temperature`` T scales the
    annotator's noise (T→0: always picks the better item).
    """
    rewards = np.asarray(true_rewards, dtype=np.float64)
    if rewards.ndim != 1 or len(rewards) < 2:
        raise ValueError(f"true_rewards must be a 1-D array of at least 2 items, got shape {rewards.shape}")
    if temperature <= 0:
        raise ValueError(f"temperature must be > 0, got {temperature}")
    rng = np.random.default_rng(seed)
    first = rng.integers(0, len(rewards), n_pairs)
    second = (first + rng.integers(1, len(rewards), n_pairs)) % len(rewards)  # never the same item
    p_first = 1.0 / (1.0 + np.exp(-(rewards[first] - rewards[second]) / temperature))
    first_wins = rng.random(n_pairs) < p_first
    return Comparisons(len(rewards), np.where(first_wins, first, second), np.where(first_wins, second, first))


def simulate_rankings(true_rewards, n_lists: int, k: int, *, seed: int = 0, temperature: float = 1.0) -> Rankings:
    """Draw lists of ``k`` distinct items and a Plackett-Luce annotator's full ranking
    of each, by the Gumbel-max trick: sorting ``r/T + Gumbel noise`` samples a
    Plackett-Luce ranking exactly (Yellott 1977)."""
    rewards = np.asarray(true_rewards, dtype=np.float64)
    if not 2 <= k <= len(rewards):
        raise ValueError(f"k must be between 2 and the number of items ({len(rewards)}), got {k}")
    rng = np.random.default_rng(seed)
    items = np.argsort(rng.random((n_lists, len(rewards))), axis=1)[:, :k]
    noisy = rewards[items] / temperature + rng.gumbel(size=items.shape)
    order = np.argsort(-noisy, axis=1)
    return Rankings(len(rewards), np.take_along_axis(items, order, axis=1))


def fit_rewards(data, *, loss: str = "bradley_terry", steps: int = 200, l2: float = 1e-3, **loss_kwargs) -> np.ndarray:
    """Maximum-likelihood rewards, one per item, fitted with a loss from the registry.

    Full-batch L-BFGS on ``loss(data) + l2 * |r|^2``; the small ridge term fixes
    the free offset (Bradley-Terry only identifies differences) and keeps items
    that always win finite. Returns rewards centred to mean 0.

    ``data`` is :class:`Comparisons` for a pairwise loss or :class:`Rankings`
    for a listwise one (labels are the reversed places, so the first item is best).
    """
    listwise = is_listwise(loss)
    if listwise and not isinstance(data, Rankings):
        raise ValueError(f"loss {loss!r} is listwise: pass Rankings, got {type(data).__name__}")
    if not listwise and not isinstance(data, Comparisons):
        raise ValueError(f"loss {loss!r} is pairwise: pass Comparisons, got {type(data).__name__}")
    objective = get_loss(loss, **loss_kwargs)
    rewards = torch.zeros(data.n_items, dtype=torch.float64, requires_grad=True)
    optimiser = torch.optim.LBFGS([rewards], max_iter=steps, line_search_fn="strong_wolfe")
    if listwise:
        items = torch.as_tensor(data.items)
        labels = torch.arange(items.shape[1], 0, -1, dtype=torch.float64).expand(items.shape)
    else:
        chosen, rejected = torch.as_tensor(data.chosen), torch.as_tensor(data.rejected)

    def closure():
        optimiser.zero_grad()
        if listwise:
            value = objective(rewards[items], labels, reduction="sum")
        else:
            value = objective(rewards[chosen], rewards[rejected], reduction="sum")
        value = value + l2 * (rewards**2).sum()
        value.backward()
        return value

    optimiser.step(closure)
    fitted = rewards.detach().numpy()
    return fitted - fitted.mean()


def pairwise_accuracy(rewards, data: Comparisons) -> float:
    """Share of judgements where the item with the higher reward is the chosen one (ties count half)."""
    rewards = np.asarray(rewards)
    difference = rewards[data.chosen] - rewards[data.rejected]
    return float(np.mean((difference > 0) + 0.5 * (difference == 0)))


def split(data: Comparisons, held_out: float = 0.2, *, seed: int = 0) -> tuple[Comparisons, Comparisons]:
    """Random train / held-out split of comparisons."""
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(data.chosen))
    cut = int(round(len(order) * (1 - held_out)))
    part = lambda idx: Comparisons(data.n_items, data.chosen[idx], data.rejected[idx])  # noqa: E731
    return part(order[:cut]), part(order[cut:])


def simulate_from_probabilities(win_probability, n_per_pair: int, *, seed: int = 0) -> Comparisons:
    """``n_per_pair`` judgements of every pair i < j, item i winning with ``win_probability[i, j]``.

    Any matrix works, including ones no reward vector can produce, such as a
    rock-paper-scissors cycle: that is how the notebook shows where
    Bradley-Terry's assumption of one scalar reward per item breaks.
    """
    matrix = np.asarray(win_probability, dtype=np.float64)
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
        raise ValueError(f"win_probability must be a square matrix, got shape {matrix.shape}")
    if np.isnan(matrix).any() or (matrix < 0).any() or (matrix > 1).any():
        raise ValueError("win_probability entries must be probabilities in [0, 1]")
    rng = np.random.default_rng(seed)
    first, second = np.triu_indices(len(matrix), k=1)
    first, second = np.repeat(first, n_per_pair), np.repeat(second, n_per_pair)
    first_wins = rng.random(len(first)) < matrix[first, second]
    return Comparisons(len(matrix), np.where(first_wins, first, second), np.where(first_wins, second, first))


def predicted_win_probability(rewards) -> np.ndarray:
    """Bradley-Terry's ``P(i beats j) = σ(r_i - r_j)`` for every pair, as a matrix."""
    rewards = np.asarray(rewards, dtype=np.float64)
    return 1.0 / (1.0 + np.exp(-(rewards[:, None] - rewards[None, :])))


def empirical_win_rate(data: Comparisons) -> np.ndarray:
    """Observed share of wins of i over j (NaN where the pair was never compared)."""
    wins = np.zeros((data.n_items, data.n_items))
    np.add.at(wins, (data.chosen, data.rejected), 1)
    games = wins + wins.T
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(games > 0, wins / np.where(games > 0, games, 1), np.nan)
