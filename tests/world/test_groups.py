"""Notebook 08's world bounds (``failed_claims``): the checker's group ranking, the three training sets, and
that a constant model and shuffled ranks fail the bounds."""
import numpy as np
import pytest

from workbench.prm.records import StepRecord
from workbench.world.groups import (
    GroupsConfig,
    checker_key,
    evaluate_rm,
    evaluate_scores,
    failed_claims,
    group_labels,
    listwise_records,
    pairwise_records,
    sample_groups,
    shuffled_ranks,
    train_group_rm,
    winner_records,
)
from workbench.world.policy import cached_policy


def _record(answer: str | None, labels: list[float], extra: str = "") -> StepRecord:
    steps = [f"step {i}{extra}" for i in range(len(labels))]
    return StepRecord("q", steps, labels, answer=answer, reference="9")


def _group():
    """Best to worst: right twice (a tie), right after a wrong step, wrong with 2 right steps (short, long), none."""
    return [_record("3", [1.0, 1.0, 0.0], extra=" and more"), _record("9", [1.0, 1.0, 1.0]),
            _record(None, [0.0]), _record("9", [0.0, 0.0, 0.0], extra=" slip"), _record("3", [1.0, 1.0, 0.0]),
            _record("9", [1.0, 1.0, 1.0])]


def test_the_checker_ranks_answer_then_right_steps_then_length_and_ties_equal_keys():
    labels = group_labels(_group())
    assert labels == [1.0, 4.0, 0.0, 3.0, 2.0, 4.0]
    assert checker_key(_group()[1]) > checker_key(_group()[3]) > checker_key(_group()[4])
    assert group_labels(_group(), length=False) == [1.0, 3.0, 0.0, 2.0, 1.0, 3.0]  # the long and short wrong tie


def test_the_three_training_sets_come_from_the_same_groups():
    groups = [_group(), _group()[:1] * 4]  # the second group all ties: no order, no records
    assert len(listwise_records(groups)) == 1
    pairs = pairwise_records(groups)
    assert len(pairs) == 15 - 1  # every pair of 6 but the tied right pair
    winners = winner_records(groups)
    assert len(winners) == 4 and len({w["chosen"] for w in winners}) == 1  # the best against the 4 below it
    assert all(w["chosen"] != w["rejected"] for w in winners)


def test_shuffled_ranks_keep_each_groups_labels_and_move_them():
    groups = [_group() for _ in range(5)]
    shuffled = shuffled_ranks(groups, seed=3)
    true = listwise_records(groups)
    assert all(sorted(s["labels"]) == sorted(t["labels"]) for s, t in zip(shuffled, true))
    assert any(s["labels"] != t["labels"] for s, t in zip(shuffled, true))


def test_a_constant_model_fails_the_bounds():
    groups = [_group() for _ in range(10)]
    constant = evaluate_scores(np.zeros((10, 6)), groups)
    assert constant["kendall_tau"] == 0.0
    assert constant["top1_right"] == pytest.approx(constant["random"])
    assert failed_claims({"listwise": constant, "shuffled": constant})


def test_the_checkers_own_order_passes_the_bounds_and_its_reverse_fails():
    groups = [_group() for _ in range(10)]
    perfect = evaluate_scores(np.array([group_labels(row) for row in groups]), groups)
    reverse = evaluate_scores(-np.array([group_labels(row) for row in groups]), groups)
    constant = evaluate_scores(np.zeros((10, 6)), groups)
    assert perfect["kendall_tau"] == pytest.approx(1.0) and perfect["top1_right"] == 1.0
    assert failed_claims({"listwise": perfect, "shuffled": constant}) == []
    assert failed_claims({"listwise": reverse, "shuffled": constant})


@pytest.mark.slow
def test_an_rm_trained_on_shuffled_ranks_fails_the_notebook_bounds():
    config = GroupsConfig()  # the notebook's defaults, seed 0 (measured: shuffled tau -0.005)
    model, tokenizer = cached_policy(config.policy)
    train, test = sample_groups(model, tokenizer, config)
    shuffled = evaluate_rm(train_group_rm(shuffled_ranks(train), tokenizer, config, init=model), tokenizer, test)
    assert abs(shuffled["kendall_tau"]) < 0.1
    assert failed_claims({"listwise": shuffled, "shuffled": shuffled})
