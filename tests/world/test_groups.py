"""Notebook 08's world bounds (``failed_claims``): the checker's group ranking, the three training sets, and
that a constant model and shuffled ranks fail the bounds."""
import numpy as np
import pytest
import torch

from workbench.prm.records import StepRecord
from workbench.world.groups import (
    GroupsConfig,
    checker_key,
    evaluate_rm,
    evaluate_scores,
    failed_claims,
    group_labels,
    group_rm,
    listwise_records,
    pairwise_records,
    sample_groups,
    shuffled_ranks,
    train_group_rm,
    winner_records,
)
from workbench.world.models import tiny_causal_lm
from workbench.world.policy import cached_policy
from workbench.world.tokenizer import world_tokenizer


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
    config = GroupsConfig()  # the notebook's defaults with the reader, seed 0 (measured: shuffled tau 0.002)
    model, tokenizer = cached_policy(config.policy)
    train, test = sample_groups(model, tokenizer, config)
    shuffled = evaluate_rm(train_group_rm(shuffled_ranks(train), tokenizer, config, init=model), tokenizer, test)
    assert abs(shuffled["kendall_tau"]) < 0.1
    assert failed_claims({"listwise": shuffled, "shuffled": shuffled})


def _tiny_config(**kwargs) -> GroupsConfig:
    return GroupsConfig(hidden=32, layers=2, heads=2, **kwargs)


def test_the_reading_rm_scores_a_sequence_at_its_last_real_token_as_it_scores_it_alone():
    tokenizer = world_tokenizer()
    policy = tiny_causal_lm(tokenizer, hidden=32, layers=2, heads=2, seed=0)
    rm = group_rm(tokenizer, _tiny_config(), init=policy).eval()
    with torch.no_grad():  # give the zero-initialised weights on the running maximum some effect
        rm.max_weight.weight.copy_(torch.linspace(1.0, -1.0, rm.max_weight.weight.shape[0])[:, None])
    short, long = (tokenizer(text)["input_ids"] for text in ("Tom has 7 apples.\n#### 7",
                                                               "Tom has 7 apples.\nHe gets 5 more, so Tom has 12.\n#### 12"))
    pad = [tokenizer.pad_token_id] * (len(long) - len(short))
    with torch.no_grad():
        alone = [rm(input_ids=torch.tensor([ids])).logits for ids in (short, long)]
        right = rm(input_ids=torch.tensor([short + pad, long]),
                   attention_mask=torch.tensor([[1] * len(short) + [0] * len(pad), [1] * len(long)])).logits
        rm.pool = "token"
        tokens = rm(input_ids=torch.tensor([long])).logits
    assert right.shape == (2, 1) and alone[0].shape == (1, 1)
    assert right[:, 0].tolist() == pytest.approx([alone[0].item(), alone[1].item()], abs=1e-5)
    assert tokens[0, -1].item() == pytest.approx(alone[1].item(), abs=1e-6)  # the token view, read at the end


def test_a_reading_rm_without_a_policy_is_refused_and_reader_false_is_the_plain_scorer():
    tokenizer = world_tokenizer()
    with pytest.raises(ValueError, match="init=<the policy>"):
        group_rm(tokenizer, _tiny_config())
    plain = group_rm(tokenizer, _tiny_config(reader=False))
    assert type(plain).__name__.endswith("ForSequenceClassification")
