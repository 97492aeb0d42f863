"""Batched scoring: the same rewards as one text at a time, in the original order."""
import numpy as np
import pytest
import torch

from workbench.evaluation import load_eval_set, score_set
from workbench.evaluation.scoring import flatten_responses, regroup_scores, score_sequences, token_budget_batches
from workbench.models import score_texts
from workbench.models.tiny import tiny_reward_model


@pytest.fixture(scope="module")
def tiny():
    return tiny_reward_model("gpt2", seed=0)


def test_score_set_equals_scoring_each_text_alone(tiny):
    model, tokenizer = tiny
    rows = [{"prompt": "question 1 ", "chosen": "a good answer", "rejected": "a bad kind of answer it is", "subset": "x"},
            {"prompt": "why ", "chosen": "yes", "rejected": "no no no no no no no", "subset": "y"}]
    s = load_eval_set(rows)
    scored = score_set(model, tokenizer, s, max_length=32, batch_size=3)
    alone = [score_texts(model, tokenizer, [r["prompt"] + r[k]], batch_size=1)[0].item()
             for r in rows for k in ("chosen", "rejected")]
    assert np.allclose(np.concatenate(scored.scores), alone, atol=1e-5)
    assert scored.n_sequences == 4 and scored.truncated == 0


def test_scoring_keeps_the_train_mode_it_found(tiny):
    model, tokenizer = tiny
    model.train()
    score_sequences(model, [[5, 6, 7], [5]], tokenizer.pad_token_id)
    assert model.training
    model.eval()


def test_token_budget_cuts_long_sequences_into_smaller_batches():
    """Sorted lengths 2,2,2,10,10,10 with 4 rows / 20 tokens: [2,2,2] then 10+10 (2 x 10 = 20), then 10."""
    assert token_budget_batches([2, 2, 2, 10, 10, 10], 4, 20) == [(0, 3), (3, 5), (5, 6)]
    assert token_budget_batches([50], 4, 20) == [(0, 1)]  # one row always fits
    assert token_budget_batches([1] * 5, 2, None) == [(0, 2), (2, 4), (4, 5)]
    with pytest.raises(ValueError, match="batch_size"):
        score_sequences(torch.nn.Linear(1, 1), [[1]], 0, batch_size=0)


def test_flatten_and_regroup_round_trip():
    s = load_eval_set([{"prompt": "p", "chosen": ["a"], "rejected": ["b", "c"], "subset": "x"},
                       {"prompt": "q", "chosen": ["d"], "rejected": ["e"], "subset": "x"}])
    prompts, responses = flatten_responses(s)
    assert prompts == ["p", "p", "p", "q", "q"] and responses == ["a", "b", "c", "d", "e"]
    assert [g.tolist() for g in regroup_scores(s, [1, 2, 3, 4, 5])] == [[1, 2, 3], [4, 5]]
    with pytest.raises(ValueError, match="4 scores for 5"):
        regroup_scores(s, [1, 2, 3, 4])
