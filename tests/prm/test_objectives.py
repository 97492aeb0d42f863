import math

import pytest
import torch

from workbench.prm.objectives import IGNORE, orm_objective, prm_objective


def test_loss_is_bce_at_labelled_steps_only():
    class Fixed(torch.nn.Module):
        def forward(self, input_ids, attention_mask):
            logits = torch.zeros(*input_ids.shape, 1)
            logits[0, 2, 0] = 2.0
            return type("Out", (), {"logits": logits})()

    batch = {"input_ids": torch.ones(1, 4, dtype=torch.long), "attention_mask": torch.ones(1, 4),
             "labels": torch.tensor([[IGNORE, IGNORE, 1.0, 0.0]])}
    loss, metrics = prm_objective(Fixed(), batch)
    # BCE: step at logit 2 with y=1 -> log(1+e^-2) = 0.1269; step at logit 0 with y=0 -> log 2 = 0.6931
    assert float(loss) == pytest.approx((0.126928 + 0.693147) / 2, abs=1e-5)
    empty = dict(batch, labels=torch.full((1, 4), IGNORE))
    loss, _ = prm_objective(Fixed(), empty)
    assert float(loss) == 0.0


def test_orm_objective_is_bce_on_the_outcome():
    class Fixed(torch.nn.Module):
        config = type("Config", (), {})()

        def forward(self, input_ids, attention_mask):
            return type("Out", (), {"logits": torch.tensor([[2.0], [0.0]])})()

    batch = {"input_ids": torch.ones(2, 3, dtype=torch.long), "attention_mask": torch.ones(2, 3, dtype=torch.long),
             "labels": torch.tensor([1.0, 1.0])}
    loss, metrics = orm_objective(Fixed(), batch)
    # BCE: logit 2 with y=1 -> log(1+e^-2) = 0.1269; logit 0 with y=1 -> log 2 = 0.6931; only the first is > 0
    assert float(loss) == pytest.approx((math.log1p(math.exp(-2)) + math.log(2)) / 2, abs=1e-6)
    assert metrics == {"loss": pytest.approx(float(loss)), "accuracy": 0.5}


def test_old_names_are_the_objectives():
    from workbench.prm.model import IGNORE as model_ignore
    from workbench.prm.model import orm_loss, prm_loss

    assert prm_loss is prm_objective and orm_loss is orm_objective and model_ignore == IGNORE
