"""Objectives: the one metric vocabulary, metrics as detached 0-dim tensors, and the registry's
metadata (margin, tie, top_k) deciding what reaches each loss."""
import pytest
import torch

from workbench import losses
from workbench.data import collator_for, encode_records, load_records
from workbench.models.tiny import tiny_reward_model, word_tokenizer
from workbench.training.metrics import listwise_metrics, pairwise_metrics
from workbench.training.objectives import listwise_objective, pairwise_objective, score_lists, score_pairs

PAIRS = [{"prompt": "question", "chosen": f"a {good} answer", "rejected": f"a {bad} answer",
          "margin": margin, "tie": tie}
         for good, bad, margin, tie in [("good", "bad", 0.5, False), ("kind", "rude", 1.0, False),
                                        ("clear", "wrong", 0.0, True), ("great", "awful", 2.0, False)]]
LISTS = [{"prompt": "question", "responses": ["a good answer", "a bad answer", "the answer", "a rude answer"],
          "labels": [3, 1, 2, 0], "top_k": top_k} for top_k in (2, None, 1)]


@pytest.fixture(scope="module")
def tiny():
    model, _ = tiny_reward_model("gpt2", tokenizer=word_tokenizer(), seed=0)
    return model.eval(), word_tokenizer()


def batch_of(rows, tokenizer):
    encoded = encode_records(load_records(rows), tokenizer, max_length=32)
    return collator_for(encoded.kind, tokenizer.pad_token_id)(encoded.items)


def check_tensors(loss, metrics):
    for name, value in metrics.items():
        assert isinstance(value, torch.Tensor) and value.shape == () and not value.requires_grad, name
    assert metrics["loss"] == loss.detach() and loss.requires_grad


def test_pairwise_vocabulary_loss_is_the_total(tiny):
    """With centering: loss = preference_loss + w · center_penalty; without, no preference_loss key."""
    model, tok = tiny
    batch = batch_of(PAIRS, tok)
    loss, metrics = pairwise_objective("bradley_terry", center_weight=0.5)(model, batch)
    check_tensors(loss, metrics)
    assert set(metrics) == {"loss", "preference_loss", "center_penalty", "accuracy", "mean_margin"}
    torch.testing.assert_close(metrics["loss"], metrics["preference_loss"] + 0.5 * metrics["center_penalty"])
    plain_loss, plain = pairwise_objective("bradley_terry")(model, batch)
    check_tensors(plain_loss, plain)
    assert set(plain) == {"loss", "accuracy", "mean_margin"}
    torch.testing.assert_close(plain["loss"], metrics["preference_loss"])


def test_pairwise_accuracy_is_over_untied_pairs_as_in_evaluation(tiny):
    model, tok = tiny
    batch = batch_of(PAIRS, tok)
    _, metrics = pairwise_objective("hinge")(model, batch)
    with torch.no_grad():
        chosen, rejected = score_pairs(model, batch)
    untied = ~batch["tie"]
    expected = pairwise_metrics(chosen[untied], rejected[untied])
    assert metrics["accuracy"].item() == pytest.approx(expected["accuracy"])
    assert metrics["mean_margin"].item() == pytest.approx(expected["mean_margin"])


@pytest.mark.parametrize("name", ["bradley_terry", "hinge", "bradley_terry_ties"])
def test_the_registry_decides_margin_and_tie(tiny, name):
    """bradley_terry gets the margins and skips the tied pair; bradley_terry_ties scores
    the tied pair as a tie; hinge skips it and keeps its own margin hyperparameter."""
    model, tok = tiny
    batch = batch_of(PAIRS, tok)
    loss, _ = pairwise_objective(name)(model, batch)
    with torch.no_grad():
        chosen, rejected = score_pairs(model, batch)
    by_hand = {"bradley_terry": lambda: losses.bradley_terry(chosen, rejected, margin=batch["margin"],
                                                             mask=~batch["tie"]),
               "hinge": lambda: losses.hinge(chosen, rejected, mask=~batch["tie"]),
               "bradley_terry_ties": lambda: losses.bradley_terry_ties(chosen, rejected, tie=batch["tie"])}[name]()
    torch.testing.assert_close(loss.detach(), by_hand)


def test_listwise_vocabulary_and_metrics_match_the_held_out_ones(tiny):
    model, tok = tiny
    batch = batch_of(LISTS, tok)
    loss, metrics = listwise_objective("plackett_luce", center_weight=0.1)(model, batch)
    check_tensors(loss, metrics)
    assert set(metrics) == {"loss", "preference_loss", "center_penalty", "kendall_tau", "ndcg", "pair_accuracy",
                            "top1_accuracy"}
    with torch.no_grad():
        scores = score_lists(model, batch)
    held_out = listwise_metrics(scores, batch["labels"], batch["mask"])
    for name in ("kendall_tau", "ndcg", "pair_accuracy", "top1_accuracy"):
        assert metrics[name].item() == pytest.approx(held_out[name], abs=1e-6), name


@pytest.mark.parametrize("name", ["plackett_luce", "listmle", "lambdarank", "listnet"])
def test_only_losses_that_take_top_k_get_the_batch_top_k(tiny, name):
    model, tok = tiny
    batch = batch_of(LISTS, tok)
    loss, _ = listwise_objective(name)(model, batch)
    with torch.no_grad():
        scores = score_lists(model, batch)
    kwargs = {"top_k": batch["top_k"]} if losses.loss_info(name).takes_top_k else {}
    by_hand = losses.get_loss(name)(scores, batch["labels"], mask=batch["mask"], **kwargs)
    torch.testing.assert_close(loss.detach(), by_hand)
    if name == "plackett_luce":  # the partial rankings change the value: the check can fail
        full = losses.plackett_luce(scores, batch["labels"], mask=batch["mask"])
        assert not torch.allclose(by_hand, full)


def test_objectives_refuse_the_other_kind():
    with pytest.raises(ValueError, match="listwise loss"):
        pairwise_objective("plackett_luce")
    with pytest.raises(ValueError, match="pairwise loss"):
        listwise_objective("hinge")
    with pytest.raises(ValueError, match="did you mean"):
        pairwise_objective("bradley_terri")
