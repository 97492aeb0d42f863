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


def test_adjust_scored_records_pairs_and_lists(tmp_path):
    from workbench.analysis.centering import adjust_scored_records
    from workbench.data import PreferencePair, RankedList

    records = [PreferencePair(chosen="a good", rejected="a bad", prompt="p1"),
               RankedList(prompt="p2", responses=["x", "y"], labels=[1, 0])]
    scores = [{"chosen_score": 5.0, "rejected_score": 3.0}, {"scores": [10.0, 12.0]}]
    assert adjust_scored_records(tmp_path, records, scores) is scores  # no centering saved: unchanged
    fit_centering([4.0, 4.0, 11.0, 11.0], prompts=["p1", "p1", "p2", "p2"], mode="per_prompt").save(tmp_path)
    centred = adjust_scored_records(tmp_path, records, scores)
    assert centred == [{"chosen_score": 1.0, "rejected_score": -1.0}, {"scores": [-1.0, 1.0]}]
    with pytest.raises(ValueError, match="records"):
        adjust_scored_records(tmp_path, records[:1], scores)


def test_workbench_score_applies_a_saved_centering(tmp_path):
    """A tiny BERT reward model saved as a plain checkpoint, a global centering beside it:
    `workbench score` reports r - μ; with --raw it reports r."""
    from transformers import AutoModelForSequenceClassification, AutoTokenizer, BertConfig

    from workbench.cli import main
    from workbench.models import save_reward_model
    from workbench.paths import default_backbone

    tokenizer = AutoTokenizer.from_pretrained(default_backbone())
    torch.manual_seed(0)
    model = AutoModelForSequenceClassification.from_config(BertConfig(
        vocab_size=tokenizer.vocab_size, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
        intermediate_size=32, num_labels=1))
    checkpoint = save_reward_model(model, tokenizer, tmp_path / "rm")
    data = tmp_path / "pairs.jsonl"
    data.write_text(json.dumps({"prompt": "Hi?", "chosen": "Hello there.", "rejected": "Go away."}) + "\n")
    raw_out, centred_out = tmp_path / "raw.jsonl", tmp_path / "centred.jsonl"
    assert main(["score", "--model", str(checkpoint), "--data", str(data), "--output", str(raw_out)]) == 0
    raw = json.loads(raw_out.read_text())
    RewardCentering(mode="global", mean=raw["chosen_score"] + 1.0).save(checkpoint)
    assert main(["score", "--model", str(checkpoint), "--data", str(data), "--output", str(centred_out)]) == 0
    centred = json.loads(centred_out.read_text())
    assert centred["chosen_score"] == pytest.approx(-1.0, abs=1e-5)
    assert centred["rejected_score"] == pytest.approx(raw["rejected_score"] - raw["chosen_score"] - 1.0, abs=1e-5)
    assert main(["score", "--model", str(checkpoint), "--data", str(data), "--output", str(raw_out), "--raw"]) == 0
    assert json.loads(raw_out.read_text()) == raw


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


def test_adjust_applies_length_calibration_then_centering(tmp_path):
    """Calibration r = 0.1 L fitted on lengths 10, 20, 30 (offset f̄ = 2): a reply of
    5 characters scored 4.0 becomes 4.0 - (0.5 - 2) = 5.5; one of 40 scored 4.0 becomes
    4.0 - (4 - 2) = 2.0; then a global centering with μ = 1 subtracts 1."""
    from workbench.analysis.calibration import fit_length_calibration
    from workbench.analysis.centering import adjust_scored_records
    from workbench.data import PreferencePair

    fit_length_calibration([1.0, 2.0, 3.0], [10, 20, 30], method="linear").save(tmp_path)
    records = [PreferencePair(prompt="p", chosen="x" * 5, rejected="y" * 40)]
    rows = [{"chosen_score": 4.0, "rejected_score": 4.0}]
    assert adjust_scored_records(tmp_path, records, rows) == [pytest.approx({"chosen_score": 5.5, "rejected_score": 2.0})]
    RewardCentering(mode="global", mean=1.0).save(tmp_path)
    assert adjust_scored_records(tmp_path, records, rows) == [pytest.approx({"chosen_score": 4.5, "rejected_score": 1.0})]
