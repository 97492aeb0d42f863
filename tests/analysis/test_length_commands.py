"""`workbench length-bias` and `workbench posthoc` on a tiny saved reward model."""
import json

import numpy as np
import pytest
import torch
from transformers import AutoModelForSequenceClassification, AutoTokenizer, BertConfig

from workbench.cli import main
from workbench.data.length_bias import make_length_bias_pairs
from workbench.models import save_reward_model
from workbench.models.posthoc import load_centering, load_length_calibration
from workbench.paths import default_backbone


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    tokenizer = AutoTokenizer.from_pretrained(default_backbone())
    torch.manual_seed(0)
    model = AutoModelForSequenceClassification.from_config(BertConfig(
        vocab_size=tokenizer.vocab_size, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
        intermediate_size=32, num_labels=1))
    return save_reward_model(model, tokenizer, tmp_path_factory.mktemp("rm") / "model")


@pytest.fixture(scope="module")
def pairs_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("data") / "pairs.jsonl"
    make_length_bias_pairs(24, seed=0)[["prompt", "chosen", "rejected"]].to_json(path, orient="records", lines=True)
    return path


def test_length_bias_report(checkpoint, pairs_file, capsys):
    assert main(["length-bias", "--model", str(checkpoint), "--data", str(pairs_file), "--max-length", "64"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["responses"] == 48
    assert {row["scope"] for row in report["correlation"]} == {"overall", "within_prompt", "per_prompt_mean"}
    assert 0 <= report["pairs"]["accuracy"] <= 1 and -1 <= report["pairs"]["pearson"] <= 1


def test_posthoc_fits_saves_and_score_applies(checkpoint, pairs_file, tmp_path, capsys):
    args = ["--model", str(checkpoint), "--data", str(pairs_file), "--max-length", "64"]
    assert main(["score", *args, "--output", str(tmp_path / "raw.jsonl")]) == 0
    assert main(["posthoc", "--model", str(checkpoint), "--reference", str(pairs_file), "--max-length", "64",
                 "--calibration", "linear", "--centering", "global"]) == 0
    assert load_length_calibration(checkpoint).method == "linear" and load_centering(checkpoint).mode == "global"
    assert main(["score", *args, "--output", str(tmp_path / "adjusted.jsonl")]) == 0
    rows = [json.loads(line) for line in (tmp_path / "adjusted.jsonl").read_text().splitlines()]
    adjusted = np.array([[r["chosen_score"], r["rejected_score"]] for r in rows]).ravel()
    lengths = np.array([[len(r["chosen"]), len(r["rejected"])] for r in
                        map(json.loads, pairs_file.read_text().splitlines())]).ravel()
    assert abs(adjusted.mean()) < 1e-4  # centred on the same (calibrated) reference
    assert abs(np.corrcoef(adjusted, lengths)[0, 1]) < 1e-3  # linear length effect removed on the reference
    assert main(["posthoc", "--model", str(checkpoint), "--reference", str(pairs_file)]) == 2
    for name in ("length_calibration.json", "reward_centering.json"):
        (checkpoint / name).unlink()


def test_train_odin_command_writes_a_quality_only_checkpoint(tmp_path, pairs_file):
    from transformers import BertModel

    from workbench.models.odin import LENGTH_HEAD_FILE

    tokenizer = AutoTokenizer.from_pretrained(default_backbone())
    backbone_dir = tmp_path / "backbone"
    torch.manual_seed(0)
    BertModel(BertConfig(vocab_size=tokenizer.vocab_size, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                         intermediate_size=32)).save_pretrained(backbone_dir)
    tokenizer.save_pretrained(backbone_dir)
    out = tmp_path / "odin"
    assert main(["train-odin", "--data", str(pairs_file), "--model", str(backbone_dir), "--output", str(out),
                 "--max-steps", "2", "--batch-size", "8", "--max-length", "64", "--no-progress",
                 "--length-penalty", "0.5"]) == 0
    plain = AutoModelForSequenceClassification.from_pretrained(out)
    assert plain.config.num_labels == 1 and (out / LENGTH_HEAD_FILE).is_file()
    assert main(["train-odin", "--data", str(pairs_file), "--model", str(backbone_dir), "--output", str(out),
                 "--pooling", "mean"]) == 2
