"""Held-out scoring runs without dropout and leaves a model mid-training in training mode."""
import pytest
import torch

from workbench.data import encode_records, load_records
from workbench.models.tiny import tiny_reward_model
from workbench.training import evaluate, predict, score_records

PAIRS = [{"prompt": "question", "chosen": f"a {good} answer", "rejected": f"a {bad} answer"}
         for good, bad in [("good", "bad"), ("kind", "rude"), ("clear", "wrong")]]


@pytest.mark.parametrize("training", [True, False])
def test_predict_evaluate_and_score_records_restore_the_mode(training):
    model, tok = tiny_reward_model("gpt2", dropout=0.5)
    records = load_records(PAIRS)
    data = encode_records(records, tok, max_length=32)
    model.train(training)
    first, second = predict(model, data, tok.pad_token_id), predict(model, data, tok.pad_token_id)
    assert model.training is training
    torch.testing.assert_close(first, second)  # dropout off while scoring
    evaluate(model, data, tok.pad_token_id)
    score_records(model, tok, records, max_length=32)
    assert model.training is training
