"""Scoring helpers run without dropout and give the model back in the mode they found it in."""
import numpy as np
import pytest
import torch

from workbench.models import eval_mode, score_texts
from workbench.models.explain import padding_table
from workbench.models.frozen import FeatureRewardModel
from workbench.models.tiny import tiny_reward_model

TEXTS = ["a good answer", "no", "the answer is right and clear"]


def test_eval_mode_restores_the_mode_even_after_an_error():
    model = torch.nn.Dropout(0.5)
    for training in (True, False):
        model.train(training)
        with eval_mode(model) as inside:
            assert inside is model and not model.training
        assert model.training is training
    model.train()
    with pytest.raises(RuntimeError), eval_mode(model):
        raise RuntimeError("scoring failed")
    assert model.training


@pytest.mark.parametrize("training", [True, False])
def test_scoring_helpers_leave_the_mode_alone(training):
    model, tok = tiny_reward_model("gpt2", dropout=0.5)
    features = FeatureRewardModel(4, hidden=8, dropout=0.5)
    scorers = {"score_texts": (model, lambda: score_texts(model, tok, TEXTS).numpy()),
               "padding_table": (model, lambda: padding_table(model, tok, TEXTS)["alone"].to_numpy()),
               "FeatureRewardModel.score": (features, lambda: features.score(np.ones((3, 4), dtype=np.float32)))}
    for name, (target, scorer) in scorers.items():
        target.train(training)
        first, second = scorer(), scorer()
        assert target.training is training, name
        # no dropout while scoring: two calls agree although dropout is 0.5 in training
        assert np.allclose(first, second), name
