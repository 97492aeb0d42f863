"""Advertised defaults as a user meets them: chat records on the default MiniLM (no chat template
of its own), --pooling mean/last on it (SDPA attention), a pooled checkpoint that plain
transformers never loads as random weights, and numbers from YAML as PyYAML reads them."""
import json
import os
import subprocess
import sys

import pytest
import torch

from workbench.cli import main
from workbench.models import load_reward_model, score_texts
from workbench.training import TrainConfig, load_config
from workbench.training.config import LOSS_NAMES

PLAIN_LOAD = """
import sys, torch
from transformers import AutoModelForSequenceClassification, AutoTokenizer
path, trust = sys.argv[1], sys.argv[2] == "trust"
try:
    model = AutoModelForSequenceClassification.from_pretrained(path, trust_remote_code=trust).eval()
except ValueError as error:
    print("refused:", "trust_remote_code=True" in str(error)); sys.exit(0)
tok = AutoTokenizer.from_pretrained(path)
text = tok.apply_chat_template([{"role": "user", "content": "q0"}, {"role": "assistant", "content": "good"}],
                               tokenize=False)
with torch.no_grad():
    print("score:", model(**tok(text, return_tensors="pt")).logits[0, 0].item())
"""


@pytest.mark.slow
def test_chat_records_and_mean_pooling_on_the_default_model(tmp_path, capsys):
    data = tmp_path / "chat.jsonl"
    data.write_text("".join(json.dumps({
        "chosen": [{"role": "user", "content": f"q{i}"}, {"role": "assistant", "content": "good"}],
        "rejected": [{"role": "user", "content": f"q{i}"}, {"role": "assistant", "content": "bad"}]}) + "\n"
        for i in range(8)))
    out = tmp_path / "rm"
    assert main(["train", "--data", str(data), "--output", str(out), "--pooling", "mean", "--max-steps", "1",
                 "--batch-size", "4", "--max-length", "32", "--no-progress"]) == 0
    env = {**os.environ, "PYTHONPATH": "", "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
    runs = {trust: subprocess.run([sys.executable, "-c", PLAIN_LOAD, str(out), trust], capture_output=True,
                                  text=True, env=env, stdin=subprocess.DEVNULL, timeout=300, cwd=tmp_path)
            for trust in ("plain", "trust")}
    assert runs["plain"].stdout.strip() == "refused: True", runs["plain"].stderr[-2000:]
    plain_score = float(runs["trust"].stdout.split("score:")[1])
    model, tok = load_reward_model(out)
    text = tok.apply_chat_template([{"role": "user", "content": "q0"}, {"role": "assistant", "content": "good"}],
                                   tokenize=False)
    assert plain_score == pytest.approx(float(score_texts(model, tok, [text])[0]), abs=1e-4)


def test_last_pooling_runs_on_the_default_model_with_sdpa():
    model, tok = load_reward_model(pooling="last")
    assert model.config._attn_implementation == "sdpa" and type(model).__name__ == "PooledRewardModel"
    scores = score_texts(model, tok, ["a short one", "a somewhat longer text to score"])
    assert scores.shape == (2,) and torch.isfinite(scores).all()


def test_yaml_numbers_as_pyyaml_reads_them(tmp_path):
    """PyYAML (YAML 1.1) reads 1e-5 as the string '1e-5': a float field takes it as 1e-05."""
    run = tmp_path / "run.yaml"
    run.write_text("learning_rate: 1e-5\nwarmup_ratio: 0\nmax_grad_norm: 2\n")
    config = load_config(run)
    assert config.learning_rate == 1e-5 and config.warmup_ratio == 0.0 and config.max_grad_norm == 2
    run.write_text("learning_rate: fast\n")
    with pytest.raises(ValueError, match="'learning_rate' must be"):
        load_config(run)


def test_loss_names_in_help_are_the_registry():
    from workbench.losses import LOSSES

    assert tuple(LOSSES) == LOSS_NAMES and TrainConfig().loss == "auto"
