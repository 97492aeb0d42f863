"""Using step scores: aggregation, best-of-N, step-level beam search, reward shaping.

Step scores ``p_1..p_S`` (probabilities that the solution is still right after
each step) become one solution score by

* ``min``: ``min_s p_s`` (Lightman et al., 2023 use ``product``; Wang et al.,
  2024 use ``min``), ``product``: ``prod_s p_s``, ``last``: ``p_S``,
  ``mean``: ``(1/S) sum_s p_s``, ``max``: ``max_s p_s`` (a foil: it rewards one good step).

Tensor inputs are ``scores: (B, S)`` with ``mask: (B, S)`` bool (True = real step).
"""
from __future__ import annotations

from typing import Callable

import torch

AGGREGATIONS = ("min", "product", "last", "mean", "max")


def aggregate(scores, method: str = "min", *, mask: torch.Tensor | None = None):
    """One score per solution from its step scores.

    scores: a list of S floats (returns a float) or a tensor (B, S) with an
    optional mask (B, S) (returns (B,)). A solution with no steps raises.
    """
    if method not in AGGREGATIONS:
        raise ValueError(f"unknown aggregation {method!r}; choose one of {AGGREGATIONS}")
    if not isinstance(scores, torch.Tensor):
        values = [float(s) for s in scores]
        if not values:
            raise ValueError("aggregate: a solution with no step scores")
        return float(aggregate(torch.tensor([values], dtype=torch.float64), method)[0])
    if scores.dim() != 2:
        raise ValueError(f"aggregate: scores must be (B, S), got shape {tuple(scores.shape)}")
    if mask is None:
        mask = torch.ones_like(scores, dtype=torch.bool)
    if mask.shape != scores.shape:
        raise ValueError(f"aggregate: mask {tuple(mask.shape)} does not match scores {tuple(scores.shape)}")
    counts = mask.sum(dim=1)
    if (counts == 0).any():
        raise ValueError(f"aggregate: rows {torch.nonzero(counts == 0).flatten().tolist()} have no steps")
    if method == "min":
        return scores.masked_fill(~mask, float("inf")).min(dim=1).values
    if method == "max":
        return scores.masked_fill(~mask, float("-inf")).max(dim=1).values
    if method == "product":
        return scores.masked_fill(~mask, 1.0).prod(dim=1)
    if method == "mean":
        return scores.masked_fill(~mask, 0.0).sum(dim=1) / counts
    last = mask.long().cumsum(dim=1).argmax(dim=1)  # index of the last real step
    return scores.gather(1, last[:, None]).squeeze(1)


def best_of_n(candidate_step_scores: list[list[float]], method: str = "min") -> int:
    """Index of the candidate whose aggregated step score is highest (first on ties)."""
    if not candidate_step_scores:
        raise ValueError("best_of_n: no candidates")
    totals = [aggregate(scores, method) for scores in candidate_step_scores]
    return max(range(len(totals)), key=lambda i: (totals[i], -i))


def best_of_n_accuracy(correct: list[list[bool]], scores: list[list[float]], n: int | None = None) -> float:
    """Accuracy of picking, per question, the highest-scored of its first ``n`` candidates.

    correct, scores: per question, one entry per candidate. Ties are broken uniformly
    at random, in expectation: a question whose top score is shared by ``t``
    candidates, ``c`` of them right, counts ``c / t`` (so a constant scorer
    scores exactly the random-choice baseline, whatever the candidates' order).
    """
    if len(correct) != len(scores):
        raise ValueError(f"{len(correct)} questions with correctness but {len(scores)} with scores")
    if not correct:
        raise ValueError("best_of_n_accuracy: no questions")
    hits = 0.0
    for row, (flags, values) in enumerate(zip(correct, scores)):
        k = len(flags) if n is None else n
        if len(values) < k or len(flags) < k:
            raise ValueError(f"question {row}: fewer than {k} candidates")
        top = max(values[:k])
        tied = [i for i in range(k) if values[i] == top]
        hits += sum(bool(flags[i]) for i in tied) / len(tied)
    return hits / len(correct)


def step_beam_search(policy, score_steps: Callable[[str, list[str]], list[float]], prompt: str, *,
                     beam_width: int = 4, expansions: int = 4, max_steps: int = 16,
                     method: str = "min") -> tuple[list[str], float]:
    """Step-level beam search guided by a PRM.

    Keep ``beam_width`` partial solutions; extend each with ``expansions``
    candidate next steps from ``policy.next_steps(prompt, prefix, n)``; score
    every extension with ``score_steps(prompt, steps) -> S scores``; keep the
    best by aggregated score. A candidate ``""`` marks a finished solution.
    Returns the best finished solution's steps and its score.
    """
    beams: list[tuple[list[str], float]] = [([], 0.0)]
    finished: list[tuple[list[str], float]] = []
    for _ in range(max_steps):
        candidates = []
        for steps, _score in beams:
            for step in dict.fromkeys(policy.next_steps(prompt, steps, expansions)):
                if step == "":
                    if steps:
                        finished.append((steps, aggregate(score_steps(prompt, steps), method)))
                    continue
                extended = steps + [step]
                candidates.append((extended, aggregate(score_steps(prompt, extended), method)))
        if not candidates:
            break
        beams = sorted(candidates, key=lambda c: -c[1])[:beam_width]
    pool = finished or beams
    return max(pool, key=lambda c: c[1])


def potential_shaping(rewards, potentials, *, gamma: float = 1.0, initial_potential: float = 0.0,
                      terminal_zero: bool = True) -> list[float]:
    """Potential-based shaping (Ng, Harada & Russell, 1999): ``r'_t = r_t + γΦ(s_{t+1}) − Φ(s_t)``.

    rewards: T per-step rewards (often 0 except the last). potentials: T values
    ``Φ(s_1)..Φ(s_T)``, the PRM's score after each step; ``Φ(s_0)`` is
    ``initial_potential``. With ``terminal_zero`` the final state's potential is 0
    (episodic tasks), so ``sum_t γ^t r'_t = sum_t γ^t r_t − Φ(s_0)``: the
    optimal policy is unchanged.
    """
    rewards, potentials = [float(r) for r in rewards], [float(p) for p in potentials]
    if len(rewards) != len(potentials):
        raise ValueError(f"{len(rewards)} rewards but {len(potentials)} potentials")
    phi = [initial_potential] + potentials
    if terminal_zero and rewards:
        phi[-1] = 0.0
    return [r + gamma * phi[t + 1] - phi[t] for t, r in enumerate(rewards)]
