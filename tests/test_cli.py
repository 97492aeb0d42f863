"""`workbench ...` as a user types it: every command reports a user's mistake the same way.

One line on stderr, ``workbench <command>: <message>`` naming the file / row / field, exit
code 2, no traceback (workbench.errors). A handful of mistakes per command family.
"""
import json
import os
import subprocess
import sys

import pytest

from workbench.cli import main
from workbench.models import save_reward_model
from workbench.models.tiny import tiny_reward_model


@pytest.fixture(scope="module")
def place(tmp_path_factory):
    root = tmp_path_factory.mktemp("mistakes")
    model, tok = tiny_reward_model("gpt2", seed=0)
    save_reward_model(model, tok, root / "tiny")
    (root / "pairs.jsonl").write_text(json.dumps({"prompt": "q ", "chosen": "good", "rejected": "bad"}) + "\n")
    (root / "bad_rows.jsonl").write_text(json.dumps({"prompt": "q ", "chosen": "good"}) + "\n")
    (root / "bad.yaml").write_text("batch_size: [1\nloss: hinge\n")
    (root / "unknown.yaml").write_text("learning_rat: 0.1\n")
    (root / "steps.jsonl").write_text(json.dumps({"prompt": "P", "completions": ["a"], "labels": [3]}) + "\n")
    (root / "rewards.jsonl").write_text(json.dumps({"group": "q", "rewards": {"correct": 1}}) + "\n")
    (root / "tasks.jsonl").write_text(json.dumps({"id": "x", "prompt": "p", "responses": ["only one"]}) + "\n")
    return root


def _mistake(capsys, argv: list[str], *expected: str) -> str:
    """Run `workbench argv`; it must exit 2 with one stderr line naming every ``expected`` text.

    (Progress bars that ran before the mistake was found may precede it, as in a terminal.)"""
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.endswith("\n"), err
    message = err.splitlines()[-1]
    assert message.startswith(f"workbench {argv[0]}") and ": " in message and err.count("workbench ") == 1, err
    for text in expected:
        assert text in message, (text, err)
    return message


def test_training_commands(place, capsys):
    tiny, pairs = str(place / "tiny"), str(place / "pairs.jsonl")
    for command in ("train", "train-odin", "prm-train"):
        _mistake(capsys, [command, "--config", str(place / "missing.yaml")], "missing.yaml", "no such file")
        _mistake(capsys, [command, "--config", str(place / "bad.yaml")], "bad.yaml", "line 2", "not valid YAML")
        _mistake(capsys, [command, "--config", str(place / "unknown.yaml"), "--data", pairs],
                 "unknown.yaml", "unknown key(s) ['learning_rat']")
        _mistake(capsys, [command, "--data", pairs, "--batch-size", "0"], "batch_size must be >= 1")
        _mistake(capsys, [command, "--data", pairs, "--pooling", "max"], "pooling must be")
        _mistake(capsys, [command, "--data", pairs, "--loss", "bradly_terry"], "unknown loss 'bradly_terry'")
        _mistake(capsys, [command, "--data", pairs, "--model", str(place / "no_such_model")],
                 "--model", "no_such_model")
        _mistake(capsys, [command, "--model", tiny], "no training data")
    _mistake(capsys, ["train", "--data", str(place / "bad_rows.jsonl"), "--model", tiny],
             "bad_rows.jsonl", "row 0, field 'rejected'")
    _mistake(capsys, ["train", "--data", str(place / "missing.jsonl"), "--model", tiny], "missing.jsonl")
    _mistake(capsys, ["train", "--data", pairs, "--model", tiny, "--loss-arg", "margin"], "--loss-arg")
    _mistake(capsys, ["train", "--data", pairs, "--model", tiny, "--lora", '{"rank": 4}'], "lora", "'rank'")
    _mistake(capsys, ["train", "--data", pairs, "--model", tiny, "--eval-fraction", "2"], "--eval-fraction")
    _mistake(capsys, ["train", "--data", pairs, "--model", tiny, "--resume-from", str(place)], "trainer_state")
    _mistake(capsys, ["train", "--data", pairs, "--model", tiny, "--loss", "plackett_luce"], "loss", "listwise loss")
    _mistake(capsys, ["train-odin", "--data", pairs, "--model", tiny, "--lora-r", "4"], "LoRA")
    _mistake(capsys, ["prm-train", "--data", str(place / "steps.jsonl"), "--model", tiny],
             "steps.jsonl", "record 0", "'labels'")


def test_scoring_and_analysis_commands(place, capsys):
    tiny, pairs = str(place / "tiny"), str(place / "pairs.jsonl")
    for command in ("score", "eval", "length-bias"):
        _mistake(capsys, [command, "--model", str(place / "no_such_model"), "--data", pairs], "--model")
        _mistake(capsys, [command, "--model", tiny, "--data", str(place / "bad_rows.jsonl")],
                 "bad_rows.jsonl", "field 'rejected'")
    _mistake(capsys, ["posthoc", "--model", tiny, "--reference", pairs], "--calibration and/or --centering")
    _mistake(capsys, ["posthoc", "--model", "org/no_such_model", "--reference", pairs, "--centering", "global"],
             "--model", "no such checkpoint folder")


def test_data_commands(place, capsys):
    missing = str(place / "missing.jsonl")
    for argv in (["prm-verify", "--data", missing], ["prm-annotate", "--data", missing],
                 ["rewards-score", "--data", missing, "--reward", "format"], ["aggregate", "--data", missing]):
        _mistake(capsys, argv, "missing.jsonl", "no such file")
    _mistake(capsys, ["prm-verify", "--data", str(place / "steps.jsonl")], "steps.jsonl", "'labels'")
    _mistake(capsys, ["prm-annotate", "--data", str(place / "steps.jsonl"), "--method", "judge"], "'labels'")
    _mistake(capsys, ["rewards-score", "--data", str(place / "rewards.jsonl"), "--reward", "format"],
             "line 1 has no field 'completion'")
    rewards = str(place / "rewards.jsonl")
    _mistake(capsys, ["aggregate", "--data", rewards, "--weights", "length=2"], "--weights", "'length=2'")
    _mistake(capsys, ["aggregate", "--data", rewards, "--method", "lexicographic", "--priority", "short"],
             "--priority", "'short'")
    _mistake(capsys, ["annotate", "serve", str(place / "tasks.jsonl"), "--store", str(place / "s.db")],
             "workbench annotate serve", "tasks.jsonl", "task 0", "needs at least")
    _mistake(capsys, ["annotate", "export", str(place / "s.db"), "--out", str(place / "out.txt")], "--out")
    _mistake(capsys, ["annotate", "report", str(place / "none.db")], "none.db", "no such annotation store")
    _mistake(capsys, ["demo", "--pairs", "0"], "--pairs")


def test_as_typed_in_a_shell(place):
    """The real entry point in a fresh process: still one line and exit code 2."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1"}
    done = subprocess.run([sys.executable, "-m", "workbench.cli", "train", "--config", str(place / "bad.yaml")],
                          capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    assert done.stderr.strip().splitlines() == [done.stderr.strip()] and "bad.yaml" in done.stderr
