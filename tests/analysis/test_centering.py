"""Fitting a post-hoc reward centering: formulas, bad input (the saved object: tests/models/test_posthoc.py)."""
import json

import numpy as np
import pytest
import torch

from workbench.analysis.centering import fit_centering
from workbench.models.posthoc import CENTERING_FILE, load_centering


def test_global_centering_with_scale():
    """Rewards 1, 3, 5, 7: μ = 4, centred -3 -1 1 3 with population std √5."""
    centering = fit_centering([1.0, 3.0, 5.0, 7.0], scale=True)
    assert centering.mean == 4.0 and centering.scale == pytest.approx(np.sqrt(5))
    out = centering.apply([1.0, 3.0, 5.0, 7.0])
    assert out.mean() == pytest.approx(0) and out.std() == pytest.approx(1)
    assert fit_centering([1.0, 3.0]).apply([3.0]).tolist() == [1.0]


def test_per_prompt_centering_and_unseen_prompt_fallback():
    """Prompt a: 1, 3 (μ_a = 2); prompt b: 10, 14 (μ_b = 12); global μ = 7."""
    centering = fit_centering([1.0, 3.0, 10.0, 14.0], prompts=["a", "a", "b", "b"], mode="per_prompt")
    assert centering.prompt_means == {"a": 2.0, "b": 12.0}
    assert centering.apply([1.0, 14.0, 8.0], prompts=["a", "b", "new"]).tolist() == [-1.0, 2.0, 1.0]
    with pytest.raises(ValueError, match="needs the prompts"):
        centering.apply([1.0])


def test_bad_input(tmp_path):
    with pytest.raises(ValueError, match="mode"):
        fit_centering([1.0], mode="batch")
    with pytest.raises(ValueError, match="empty"):
        fit_centering([])
    with pytest.raises(ValueError, match="zero spread"):
        fit_centering([2.0, 2.0], scale=True)
    with pytest.raises(ValueError, match=r"rewards\[1\]"):
        fit_centering([2.0, float("nan")])
    (tmp_path / CENTERING_FILE).write_text(json.dumps({"mode": "global", "mean": 0.0, "scale": -1.0}))
    with pytest.raises(ValueError, match="scale"):
        load_centering(tmp_path)
    (tmp_path / CENTERING_FILE).write_text("{not json")
    with pytest.raises(ValueError, match="JSON"):
        load_centering(tmp_path)


def test_center_penalty_as_a_training_option_pulls_the_mean_to_zero():
    from workbench.models.frozen import FeaturePairs, FeatureRewardModel, collate_feature_pairs, feature_pairwise_objective
    from workbench.training import TrainConfig, train

    rng = np.random.default_rng(0)
    chosen = rng.normal(size=(200, 8)).astype(np.float32) + 3.0  # everything far from the origin
    chosen[:, 0] += 1.0
    rejected = rng.normal(size=(200, 8)).astype(np.float32) + 3.0
    means = {}
    for weight in (0.0, 1.0):
        torch.manual_seed(0)
        model = FeatureRewardModel(8, hidden=16, dropout=0.0)
        with torch.no_grad():
            model.head.bias.fill_(5.0)  # start at an offset that BT alone never corrects
        config = TrainConfig(batch_size=100, epochs=20, learning_rate=1e-2, warmup_ratio=0.0, center_weight=weight,
                             save_model=False, progress=False)
        trained = train(config, FeaturePairs(chosen, rejected), model=model, collate_fn=collate_feature_pairs,
                        compute_loss=feature_pairwise_objective(center_weight=config.center_weight)).model
        means[weight] = float(np.concatenate([trained.score(chosen), trained.score(rejected)]).mean())
    assert abs(means[1.0]) < 0.5 < abs(means[0.0])
