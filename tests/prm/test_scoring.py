import math

import pytest
import torch

from workbench.prm import (
    SimulatedPolicy,
    aggregate,
    best_of_n,
    best_of_n_accuracy,
    make_problems,
    potential_shaping,
    step_beam_search,
    true_labels,
)


def test_aggregations_by_hand():
    scores = [0.9, 0.5, 0.8]
    assert aggregate(scores, "min") == pytest.approx(0.5)
    assert aggregate(scores, "max") == pytest.approx(0.9)
    assert aggregate(scores, "product") == pytest.approx(0.36)
    assert aggregate(scores, "mean") == pytest.approx(2.2 / 3)
    assert aggregate(scores, "last") == pytest.approx(0.8)
    with pytest.raises(ValueError, match="unknown aggregation"):
        aggregate(scores, "median")
    with pytest.raises(ValueError):
        aggregate([], "min")


def test_batched_with_mask_matches_lists():
    rows = [[0.9, 0.5, 0.8], [0.2, 0.7]]
    tensor = torch.tensor([[0.9, 0.5, 0.8], [0.2, 0.7, 0.0]])
    mask = torch.tensor([[True, True, True], [True, True, False]])
    for method in ("min", "max", "product", "mean", "last"):
        batched = aggregate(tensor, method, mask=mask)
        assert batched.tolist() == pytest.approx([aggregate(r, method) for r in rows]), method
    with pytest.raises(ValueError, match="no steps"):
        aggregate(tensor, "min", mask=torch.zeros_like(mask))
    with pytest.raises(ValueError, match="does not match"):
        aggregate(tensor, "min", mask=mask[:, :2])


def test_best_of_n():
    candidates = [[0.9, 0.1], [0.6, 0.6], [0.95, 0.2]]
    assert best_of_n(candidates, "min") == 1
    assert best_of_n(candidates, "max") == 2
    assert best_of_n(candidates, "last") == 1
    correct = [[False, True, False], [True, False, False]]
    scores = [[0.1, 0.9, 0.3], [0.2, 0.8, 0.1]]
    assert best_of_n_accuracy(correct, scores) == 0.5
    assert best_of_n_accuracy(correct, scores, n=1) == 0.5
    constant = [[0.5, 0.5, 0.5], [0.5, 0.5, 0.5]]  # ties: expected accuracy of a random pick
    assert best_of_n_accuracy(correct, constant) == pytest.approx(1 / 3)
    with pytest.raises(ValueError):
        best_of_n([])


def test_shaping_telescopes():
    rewards, potentials, gamma = [0.0, 0.0, 1.0], [0.8, 0.3, 0.9], 0.9
    shaped = potential_shaping(rewards, potentials, gamma=gamma, initial_potential=0.5)
    assert shaped[0] == pytest.approx(0.0 + 0.9 * 0.8 - 0.5)
    assert shaped[1] == pytest.approx(0.9 * 0.3 - 0.8)
    total = sum(gamma ** t * r for t, r in enumerate(shaped))
    assert total == pytest.approx(sum(gamma ** t * r for t, r in enumerate(rewards)) - 0.5)
    kept = potential_shaping(rewards, potentials, gamma=1.0, terminal_zero=False)
    assert sum(kept) == pytest.approx(1.0 + 0.9)
    with pytest.raises(ValueError):
        potential_shaping([1.0], [0.1, 0.2])
    assert all(math.isfinite(x) for x in shaped)


def test_beam_search_with_a_truthful_prm_beats_sampling():
    problems = make_problems(40, steps=(5, 8), seed=11)
    policy = SimulatedPolicy(problems, error_rate=0.2, seed=12)
    by_question = {p.question: p for p in problems}
    prm = lambda prompt, steps: true_labels(by_question[prompt], steps)  # noqa: E731
    beam_right = sample_right = 0
    for problem in problems:
        steps, score = step_beam_search(policy, prm, problem.question, beam_width=2, expansions=3)
        beam_right += len(steps) == len(problem.operations) and true_labels(problem, steps)[-1] == 1.0
        sample_right += policy.sample(problem.question).first_error is None
    assert beam_right >= 0.9 * len(problems)
    assert sample_right < 0.6 * len(problems)
