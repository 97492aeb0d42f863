"""The post-hoc corrections saved beside a checkpoint: save, load, apply, fold, and
`workbench score` applying them (fitting is tested in tests/analysis)."""
import json
import subprocess
import sys

import numpy as np
import pytest
import torch

from workbench.analysis.calibration import fit_length_calibration
from workbench.analysis.centering import fit_centering
from workbench.data import PreferencePair, RankedList
from workbench.models.posthoc import (
    CALIBRATION_FILE,
    CENTERING_FILE,
    LengthCalibration,
    RewardCentering,
    apply_posthoc,
    fold_into_linear,
    load_centering,
    load_length_calibration,
)


def test_save_load_round_trip(tmp_path):
    assert load_centering(tmp_path) is None
    centering = fit_centering([1.0, 2.0, 6.0], prompts=["x", "y", "y"], mode="per_prompt", scale=True)
    path = centering.save(tmp_path)
    assert path.name == CENTERING_FILE
    loaded = load_centering(tmp_path)
    assert loaded == centering
    assert np.allclose(loaded.apply([3.0, 3.0], ["x", "y"]), centering.apply([3.0, 3.0], ["x", "y"]))


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


def test_apply_posthoc_pairs_and_lists(tmp_path):
    from workbench.data import PreferencePair, RankedList

    records = [PreferencePair(chosen="a good", rejected="a bad", prompt="p1"),
               RankedList(prompt="p2", responses=["x", "y"], labels=[1, 0])]
    scores = [{"chosen_score": 5.0, "rejected_score": 3.0}, {"scores": [10.0, 12.0]}]
    assert apply_posthoc(tmp_path, records, scores) is scores  # no centering saved: unchanged
    fit_centering([4.0, 4.0, 11.0, 11.0], prompts=["p1", "p1", "p2", "p2"], mode="per_prompt").save(tmp_path)
    centred = apply_posthoc(tmp_path, records, scores)
    assert centred == [{"chosen_score": 1.0, "rejected_score": -1.0}, {"scores": [-1.0, 1.0]}]
    with pytest.raises(ValueError, match="records"):
        apply_posthoc(tmp_path, records[:1], scores)


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


def test_apply_posthoc_applies_length_calibration_then_centering(tmp_path):
    """Calibration r = 0.1 L fitted on lengths 10, 20, 30 (offset f̄ = 2): a reply of
    5 characters scored 4.0 becomes 4.0 - (0.5 - 2) = 5.5; one of 40 scored 4.0 becomes
    4.0 - (4 - 2) = 2.0; then a global centering with μ = 1 subtracts 1."""
    from workbench.data import PreferencePair

    fit_length_calibration([1.0, 2.0, 3.0], [10, 20, 30], method="linear").save(tmp_path)
    records = [PreferencePair(prompt="p", chosen="x" * 5, rejected="y" * 40)]
    rows = [{"chosen_score": 4.0, "rejected_score": 4.0}]
    assert apply_posthoc(tmp_path, records, rows) == [pytest.approx({"chosen_score": 5.5, "rejected_score": 2.0})]
    RewardCentering(mode="global", mean=1.0).save(tmp_path)
    assert apply_posthoc(tmp_path, records, rows) == [pytest.approx({"chosen_score": 4.5, "rejected_score": 1.0})]


def test_calibration_saved_beside_a_checkpoint(tmp_path):
    assert load_length_calibration(tmp_path) is None
    calibration = fit_length_calibration([1.0, 2.0, 3.0], [10, 20, 30], method="linear", unit="words")
    assert calibration.save(tmp_path).name == CALIBRATION_FILE
    assert load_length_calibration(tmp_path) == calibration
    (tmp_path / CALIBRATION_FILE).write_text('{"method": "cubic", "log_length": false}')
    with pytest.raises(ValueError, match="cubic"):
        load_length_calibration(tmp_path)
    (tmp_path / CALIBRATION_FILE).write_text("[1,")
    with pytest.raises(ValueError, match="not a valid"):
        load_length_calibration(tmp_path)
    with pytest.raises(ValueError, match="unit"):
        fit_length_calibration([1.0, 2.0, 3.0], [1, 2, 3], unit="bytes")


class CharTokenizer:  # one token per character, plus special tokens that must not count
    def __call__(self, texts, add_special_tokens=True):
        extra = 2 if add_special_tokens else 0
        return {"input_ids": [[0] * (len(t) + extra) for t in texts]}


@pytest.mark.parametrize("unit, tokenizer", [("words", None), ("tokens", CharTokenizer())])
def test_apply_posthoc_counts_lengths_in_the_calibrations_unit(tmp_path, unit, tokenizer):
    """f(L) = L, offset 2: r' = r - (L - 2). In words "one two three" is 3 and "x" is 1
    (10 -> 9 and 11); in tokens of one character each, 13 and 1 (10 -> -1 and 11)."""
    LengthCalibration(method="linear", log_length=False, unit=unit, slope=1.0, offset=2.0).save(tmp_path)
    records = [PreferencePair(prompt="p", chosen="one two three", rejected="x")]
    rows = apply_posthoc(tmp_path, records, [{"chosen_score": 10.0, "rejected_score": 10.0}], tokenizer=tokenizer)
    expected = {"words": (9.0, 11.0), "tokens": (-1.0, 11.0)}[unit]
    assert (rows[0]["chosen_score"], rows[0]["rejected_score"]) == pytest.approx(expected)


def test_apply_posthoc_log_length_counts_an_empty_reply_as_one(tmp_path):
    """f(L) = log L: "" counts as L = 1 (log 1 = 0, unchanged), "abcd" loses log 4;
    the calibration alone refuses L = 0."""
    calibration = LengthCalibration(method="linear", log_length=True, slope=1.0)
    with pytest.raises(ValueError, match="positive"):
        calibration.apply([1.0], [0.0])
    calibration.save(tmp_path)
    rows = apply_posthoc(tmp_path, [PreferencePair(prompt="p", chosen="abcd", rejected="")],
                         [{"chosen_score": 1.0, "rejected_score": 1.0}])
    assert rows == [pytest.approx({"chosen_score": 1.0 - np.log(4.0), "rejected_score": 1.0})]


def test_apply_posthoc_lists_per_prompt_with_an_unseen_prompt(tmp_path):
    """μ_a = 2, global μ = 5: a list of prompt "a" loses 2, one of an unseen prompt loses 5."""
    RewardCentering(mode="per_prompt", mean=5.0, prompt_means={"a": 2.0}).save(tmp_path)
    records = [RankedList(prompt="a", responses=["x", "y"], labels=[1, 0]),
               RankedList(prompt="new", responses=["x", "y", "z"], labels=[2, 1, 0])]
    rows = apply_posthoc(tmp_path, records, [{"scores": [3.0, 1.0]}, {"scores": [5.0, 6.0, 7.0], "id": 7}])
    assert rows == [{"scores": [1.0, -1.0]}, {"scores": [0.0, 1.0, 2.0], "id": 7}]


def test_old_names_keep_working():
    """Notebook 06 and old user code import these from workbench.analysis."""
    from workbench.analysis import calibration, centering, length
    from workbench.models import posthoc

    assert calibration.LengthCalibration is posthoc.LengthCalibration
    assert calibration.load_length_calibration is posthoc.load_length_calibration
    assert calibration.CALIBRATION_FILE == CALIBRATION_FILE and calibration.METHODS == posthoc.CALIBRATION_METHODS
    assert centering.RewardCentering is posthoc.RewardCentering and centering.load_centering is load_centering
    assert centering.fold_into_linear is fold_into_linear and centering.adjust_scored_records is apply_posthoc
    assert centering.CENTERING_FILE == CENTERING_FILE and centering.MODES == posthoc.CENTERING_MODES
    assert length.response_lengths is posthoc.response_lengths and length.UNITS == posthoc.UNITS


def test_scoring_imports_no_analysis():
    """models and training sit below analysis: importing them (and `workbench score`'s
    module) loads no workbench.analysis module, so the old training <-> analysis cycle is gone."""
    code = ("import sys, workbench.models.posthoc, workbench.training, workbench.training.cli\n"
            "print([m for m in sys.modules if m.startswith('workbench.analysis')])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
