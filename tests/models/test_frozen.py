"""The frozen-feature reward head: its objective speaks the objectives' metric vocabulary, and
its pair metrics are the held-out ones (models repeat them because they sit below training)."""
import numpy as np
import pytest
import torch

from workbench.models.frozen import FeaturePairs, FeatureRewardModel, collate_feature_pairs, feature_pairwise_objective
from workbench.models.odin import odin_objective
from workbench.training.metrics import pairwise_metrics


def feature_batch(n_outputs, seed=0, tie=None):
    """Six pairs of 4 features (pair ``tie`` with equal features), and a small head."""
    rng = np.random.default_rng(seed)
    chosen, rejected = rng.normal(size=(2, 6, 4)).astype(np.float32)
    if tie is not None:
        rejected[tie] = chosen[tie]
    pairs = FeaturePairs(chosen, rejected, rng.integers(5, 50, 6), rng.integers(5, 50, 6))
    torch.manual_seed(seed)
    model = FeatureRewardModel(4, hidden=8, n_outputs=n_outputs, dropout=0.0)
    return model, collate_feature_pairs([pairs[i] for i in range(len(pairs))])


def test_feature_objective_metrics_vocabulary():
    model, batch = feature_batch(1)
    loss, metrics = feature_pairwise_objective(center_weight=0.5)(model, batch)
    assert set(metrics) == {"loss", "preference_loss", "center_penalty", "accuracy", "mean_margin"}
    assert all(isinstance(v, torch.Tensor) and v.shape == () and not v.requires_grad for v in metrics.values())
    torch.testing.assert_close(metrics["loss"], loss.detach())
    torch.testing.assert_close(metrics["loss"], metrics["preference_loss"] + 0.5 * metrics["center_penalty"])
    _, plain = feature_pairwise_objective()(model, batch)
    assert set(plain) == {"loss", "accuracy", "mean_margin"}


@pytest.mark.parametrize("n_outputs", [1, 2])
def test_pair_metrics_are_the_held_out_pairwise_metrics(n_outputs):
    """Both model-side objectives report accuracy / mean margin as training.metrics does
    (pair 1 has equal features, so a tie, counted half): a drift between the definitions fails here."""
    model, batch = feature_batch(n_outputs, seed=3, tie=1)
    objective = feature_pairwise_objective() if n_outputs == 1 else odin_objective()
    _, metrics = objective(model, batch)
    with torch.no_grad():
        scores = model(batch["features"])[:, 0]
    expected = pairwise_metrics(scores[:6], scores[6:])
    assert metrics["accuracy"].item() == pytest.approx(expected["accuracy"])
    assert metrics["mean_margin"].item() == pytest.approx(expected["mean_margin"])
    assert expected["accuracy"] * 6 % 1 == 0.5  # the tie counted half


def test_odin_objective_metrics_vocabulary():
    model, batch = feature_batch(2)
    loss, metrics = odin_objective(length_penalty=0.5, orthogonality=2.0)(model, batch)
    assert set(metrics) == {"loss", "preference_loss", "rho_quality", "rho_length", "orthogonality", "accuracy",
                            "mean_margin"}
    assert all(isinstance(v, torch.Tensor) and v.shape == () and not v.requires_grad for v in metrics.values())
    expected = (metrics["preference_loss"] + 0.5 * (metrics["rho_quality"].abs() - metrics["rho_length"])
                + 2.0 * metrics["orthogonality"])
    torch.testing.assert_close(metrics["loss"], loss.detach())
    torch.testing.assert_close(metrics["loss"], expected)
