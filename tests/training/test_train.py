"""The training loop on tiny models: learning, listwise, resume, pluggable objectives, saving."""
import json

import pytest
import torch
from transformers import AutoModelForSequenceClassification

from workbench.data import encode_records, load_records
from workbench.models import score_texts
from workbench.models.tiny import tiny_reward_model, word_tokenizer
from workbench.training import TrainConfig, evaluate, score_records, train
from workbench.training.objectives import pairwise_objective

GOOD = ["good", "great", "kind", "helpful", "clear", "right"]
BAD = ["bad", "awful", "rude", "useless", "wrong"]


def word_pairs(n, seed=0):
    """Prompt 'question <i>' ; chosen has a GOOD word, rejected a BAD one (order and filler random)."""
    g = torch.Generator().manual_seed(seed)
    rows = []
    for i in range(n):
        good, bad = GOOD[int(torch.randint(len(GOOD), (1,), generator=g))], BAD[int(torch.randint(len(BAD), (1,), generator=g))]
        filler = " ".join(str(int(x)) for x in torch.randint(100, (int(torch.randint(1, 6, (1,), generator=g)),), generator=g))
        rows.append({"prompt": f"question {i % 100} ", "chosen": f"{filler} a {good} answer",
                     "rejected": f"a {bad} answer {filler}"})
    return rows


def word_lists(n, seed=0):
    """K=4 responses; label = number of GOOD words minus BAD words (ties happen)."""
    pairs = word_pairs(2 * n, seed)
    rows = []
    for i in range(n):
        a, b = pairs[2 * i], pairs[2 * i + 1]
        responses = [a["chosen"], a["rejected"], b["chosen"] + " good", b["rejected"] + " bad"]
        rows.append({"prompt": a["prompt"], "responses": responses, "labels": [1, 0, 2, -1]})
    return rows


def config(tmp_path, **kw):
    base = dict(output_dir=str(tmp_path / "run"), batch_size=8, max_length=32, learning_rate=3e-3,
                warmup_ratio=0.0, epochs=2, progress=False, log_every=5, eval_batch_size=32)
    base.update(kw)
    return TrainConfig(**base)


@pytest.fixture()
def tiny():
    return tiny_reward_model("gpt2", seed=0)


def test_pairwise_training_learns_and_saves_a_plain_checkpoint(tmp_path, tiny):
    model, tok = tiny
    result = train(config(tmp_path), word_pairs(160), eval_data=word_pairs(64, seed=1), model=model,
                   tokenizer=tok, evaluate_before=True)
    assert result.eval_before["accuracy"] < 0.8 and result.eval_metrics["accuracy"] > 0.9
    assert result.eval_metrics["mean_margin"] > 0 and result.steps == 40 and result.items == 320
    assert result.items_per_second > 0 and all(torch.isfinite(torch.tensor(h["loss"])) for h in result.history)
    assert result.history[-1]["loss"] < result.history[0]["loss"]
    plain = AutoModelForSequenceClassification.from_pretrained(tmp_path / "run").eval()
    text = "question 3 a good answer"
    with torch.no_grad():
        logits = plain(**tok(text, return_tensors="pt")).logits[0, 0]
    torch.testing.assert_close(logits, score_texts(result.model, tok, [text])[0], atol=1e-5, rtol=1e-4)


def test_listwise_plackett_luce_training(tmp_path, tiny):
    model, tok = tiny
    result = train(config(tmp_path, loss="plackett_luce", batch_size=4, save_model=False),
                   word_lists(48), eval_data=word_lists(24, seed=5), model=model, tokenizer=tok,
                   evaluate_before=True)
    assert result.eval_metrics["kendall_tau"] > result.eval_before["kendall_tau"] + 0.3
    assert result.eval_metrics["kendall_tau"] > 0.6 and 0 <= result.eval_metrics["ndcg"] <= 1
    assert {"loss", "kendall_tau", "ndcg"} <= set(result.history[-1])


def test_loss_kind_must_match_the_records(tmp_path, tiny):
    model, tok = tiny
    with pytest.raises(ValueError, match="listwise loss"):
        train(config(tmp_path, loss="plackett_luce"), word_pairs(8), model=model, tokenizer=tok)
    with pytest.raises(ValueError, match="pairwise loss"):
        train(config(tmp_path, loss="bradley_terry"), word_lists(8), model=model, tokenizer=tok)
    with pytest.raises(ValueError, match="unknown loss"):
        train(config(tmp_path, loss="bradly_terry"), word_pairs(8), model=model, tokenizer=tok)


def test_resume_from_checkpoint_matches_an_uninterrupted_run(tmp_path):
    """Stop-and-resume at step 4 of 6 (mid-epoch, with dropout and accumulation) = the straight run."""
    data = word_pairs(40)
    kw = dict(epochs=2, save_model=False, batch_size=8, grad_accum=2, seed=3)
    straight = train(config(tmp_path / "a", save_every=4, **kw), data,
                     model=tiny_reward_model("gpt2", seed=0, dropout=0.1)[0], tokenizer=word_tokenizer())
    checkpoint = tmp_path / "a" / "run" / "checkpoint-4"
    assert straight.steps == 6 and (checkpoint / "trainer_state.json").is_file()
    resumed = train(config(tmp_path / "b", resume_from=str(checkpoint), **kw), data,
                    model=tiny_reward_model("gpt2", seed=99, dropout=0.1)[0], tokenizer=word_tokenizer())
    assert resumed.steps == 6 and len(resumed.history) >= 1
    fresh = tiny_reward_model("gpt2", seed=99, dropout=0.1)[0]
    for (name, p), q, r in zip(straight.model.named_parameters(), resumed.model.parameters(), fresh.parameters()):
        torch.testing.assert_close(p, q, atol=1e-6, rtol=1e-5, msg=name)
    assert not torch.allclose(straight.model.score.weight, fresh.score.weight)
    with pytest.raises(ValueError, match="trainer_state"):
        train(config(tmp_path / "d", resume_from=str(tmp_path)), data, model=tiny_reward_model()[0],
              tokenizer=word_tokenizer())


def test_custom_objective_and_collator_plug_in(tmp_path, tiny):
    """A different compute_loss (here BT + an L2 term on the rewards) runs in the same loop."""
    model, tok = tiny
    bt = pairwise_objective("bradley_terry")
    calls = []

    def compute_loss(m, batch):
        loss, metrics = bt(m, batch)
        calls.append(batch["input_ids"].shape[0])
        return loss, {**metrics, "custom": 1.0}

    encoded = encode_records(load_records(word_pairs(16)), tok, max_length=32)
    from workbench.data import PairwiseCollator

    result = train(config(tmp_path, epochs=1, save_model=False), encoded, model=model, tokenizer=tok,
                   compute_loss=compute_loss, collate_fn=PairwiseCollator(tok.pad_token_id))
    assert calls == [16, 16] and result.history[-1]["custom"] == 1.0


def test_margin_ties_and_center_penalty_reach_the_loss(tmp_path, tiny):
    model, tok = tiny
    rows = word_pairs(16)
    for i, r in enumerate(rows):
        r["margin"] = 0.5
        r["tie"] = i % 4 == 0
    result = train(config(tmp_path, epochs=1, center_weight=0.1, save_model=False), rows, model=model, tokenizer=tok)
    assert "center_penalty" in result.history[-1]
    ties = train(config(tmp_path, epochs=1, loss="bradley_terry_ties", save_model=False), rows,
                 model=tiny_reward_model()[0], tokenizer=tok)
    assert torch.isfinite(torch.tensor(ties.history[-1]["loss"]))


def test_evaluate_and_score_records_keep_the_input_order(tiny):
    model, tok = tiny
    rows = word_pairs(20)
    scored = score_records(model, tok, load_records(rows), max_length=32, batch_size=3)
    direct = score_texts(model, tok, [r["prompt"] + r["chosen"] for r in rows])
    torch.testing.assert_close(torch.tensor([s["chosen_score"] for s in scored]), direct, atol=1e-5, rtol=1e-4)
    metrics = evaluate(model, encode_records(load_records(rows), tok, 32), tok.pad_token_id)
    by_hand = sum(s["chosen_score"] > s["rejected_score"] for s in scored) / len(scored)
    assert metrics["accuracy"] == pytest.approx(by_hand)
    lists = score_records(model, tok, load_records(word_lists(5)), max_length=32)
    assert [len(x["scores"]) for x in lists] == [4] * 5
    json.dumps(lists)


def test_non_finite_loss_stops_with_a_clear_error(tmp_path, tiny):
    model, tok = tiny
    bt = pairwise_objective("bradley_terry")

    def broken(m, batch):
        loss, metrics = bt(m, batch)
        return loss * float("nan"), metrics

    with pytest.raises(FloatingPointError, match="non-finite loss .* step 1"):
        train(config(tmp_path, save_model=False), word_pairs(16), model=model, tokenizer=tok, compute_loss=broken)


def test_scores_that_go_non_finite_stop_the_run_naming_the_step(tmp_path, tiny):
    """The loss contract's NonFiniteError (a score is inf / NaN) becomes the loop's FloatingPointError
    with the step, as a non-finite loss does; `workbench` prints it as one line with exit code 1."""
    model, tok = tiny

    def diverged(m, batch):
        from workbench.losses import bradley_terry

        chosen = torch.full((2,), float("inf"))
        return bradley_terry(chosen, torch.zeros(2)), {}

    with pytest.raises(FloatingPointError, match="bradley_terry: chosen.* at optimiser step 1, epoch 0"):
        train(config(tmp_path, save_model=False), word_pairs(16), model=model, tokenizer=tok, compute_loss=diverged)


def test_the_cli_prints_a_diverged_run_as_one_line_with_exit_1(monkeypatch, capsys):
    import workbench.training.cli as training_cli
    from workbench.cli import main

    def diverge(args):
        raise FloatingPointError("non-finite loss nan at optimiser step 3, epoch 0; lower learning_rate or check the data")

    monkeypatch.setattr(training_cli, "run_train", diverge)
    assert main(["train", "--data", "x.jsonl"]) == 1
    err = capsys.readouterr().err
    assert err.strip().count("\n") == 0 and "workbench train: non-finite loss nan at optimiser step 3" in err
