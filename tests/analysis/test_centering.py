"""Post-hoc reward centering: formulas, persistence beside a checkpoint, folding."""
import json

import numpy as np
import pytest
import torch

from workbench.analysis.centering import (
    CENTERING_FILE,
    RewardCentering,
    fit_centering,
    fold_into_linear,
    load_centering,
)


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


def test_save_load_round_trip(tmp_path):
    assert load_centering(tmp_path) is None
    centering = fit_centering([1.0, 2.0, 6.0], prompts=["x", "y", "y"], mode="per_prompt", scale=True)
    path = centering.save(tmp_path)
    assert path.name == CENTERING_FILE
    loaded = load_centering(tmp_path)
    assert loaded == centering
    assert np.allclose(loaded.apply([3.0, 3.0], ["x", "y"]), centering.apply([3.0, 3.0], ["x", "y"]))


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


def test_fold_into_linear_matches_apply():
    torch.manual_seed(0)
    head = torch.nn.Linear(8, 1)
    hidden = torch.randn(32, 8)
    raw = head(hidden).squeeze(-1).detach().numpy()
    centering = fit_centering(raw, scale=True)
    fold_into_linear(head, centering)
    folded = head(hidden).squeeze(-1).detach().numpy()
    assert np.allclose(folded, centering.apply(raw), atol=1e-5)
    with pytest.raises(ValueError, match="global"):
        fold_into_linear(head, RewardCentering(mode="per_prompt", mean=0.0))
    with pytest.raises(ValueError, match="bias"):
        fold_into_linear(torch.nn.Linear(8, 1, bias=False), centering)
