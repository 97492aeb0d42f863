"""A training run's folder as a user meets it on the command line: nothing of another run kept,
nothing half-written, an unfinished run marked, --resume / --keep-checkpoints, Ctrl-C."""
import hashlib
import json
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from workbench.cli import main
from workbench.data import write_jsonl
from workbench.models import load_reward_model, save_reward_model
from workbench.models.checkpoint_files import UNFINISHED_FILE
from workbench.models.tiny import tiny_reward_model

from .test_train import word_lists, word_pairs

FLAGS = ["--batch-size", "8", "--learning-rate", "3e-3", "--max-length", "32", "--no-progress", "--seed", "1"]


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    root = tmp_path_factory.mktemp("runs")
    model, tok = tiny_reward_model("gpt2", seed=0, dropout=0.1)
    save_reward_model(model, tok, root / "tiny")
    write_jsonl(word_pairs(48), root / "train.jsonl")
    write_jsonl(word_pairs(24, seed=4), root / "other.jsonl")
    write_jsonl([{"id": f"l{i}", **row} for i, row in enumerate(word_lists(8, seed=2))], root / "lists.jsonl")
    return root


def snapshot(folder: Path) -> dict:
    """Every file under ``folder`` -> its sha256 (to show that nothing changed)."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def train_argv(files, out, *extra):
    return ["train", "--data", str(files / "train.jsonl"), "--model", str(files / "tiny"), "--output", str(out),
            *FLAGS, *extra]


def test_a_used_output_folder_is_refused_unless_overwrite_clears_the_old_run(files, tmp_path, capsys):
    out = tmp_path / "rm"
    assert main(train_argv(files, out, "--max-steps", "2", "--save-every", "1")) == 0
    assert not (out / UNFINISHED_FILE).exists() and (out / "checkpoint-2").is_dir()
    (out / "length_calibration.json").write_text("{}")  # fitted on this (old) model
    (out / "notes.txt").write_text("mine")
    before = snapshot(out)
    assert main(train_argv(files, out, "--max-steps", "1")) == 2
    err = capsys.readouterr().err
    assert f"--output {out}: not empty" in err and "--overwrite" in err and "Traceback" not in err
    assert snapshot(out) == before
    assert main(train_argv(files, out, "--max-steps", "1", "--overwrite")) == 0
    names = {p.name for p in out.iterdir()}
    assert "notes.txt" in names and not {"checkpoint-1", "checkpoint-2", "length_calibration.json"} & names
    assert json.loads((out / "metrics.json").read_text())["steps"] == 1
    assert load_file(out / "model.safetensors").keys() == load_file(files / "tiny" / "model.safetensors").keys()


def test_an_unfinished_run_is_marked_and_refused_by_score(files, tmp_path, capsys, monkeypatch):
    """Ctrl-C mid-run: one line saying how to resume, exit 130; the folder is marked unfinished."""
    import workbench.training.loop as loop

    real, calls = loop._micro_step, []

    def interrupted(*args, **kwargs):
        calls.append(1)
        if len(calls) > 3:  # after the checkpoint of step 2 (batch 8, one micro-step per step)
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    out = tmp_path / "cut"
    monkeypatch.setattr(loop, "_micro_step", interrupted)
    assert main(train_argv(files, out, "--max-steps", "4", "--save-every", "2")) == 130
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("workbench train: interrupted;") and "--resume" in err[-1] and "checkpoint-2" in err[-1]
    assert (out / UNFINISHED_FILE).is_file()
    assert main(["score", "--model", str(out), "--data", str(files / "train.jsonl")]) == 2
    assert "unfinished training run" in capsys.readouterr().err
    monkeypatch.setattr(loop, "_micro_step", real)
    assert main(train_argv(files, out, "--max-steps", "4", "--save-every", "2", "--resume")) == 0
    assert not (out / UNFINISHED_FILE).exists()
    straight = tmp_path / "straight"
    assert main(train_argv(files, straight, "--max-steps", "4", "--save-every", "2")) == 0
    resumed, whole = load_file(out / "model.safetensors"), load_file(straight / "model.safetensors")
    for name in whole:  # the resumed run is the straight run (dropout on: the loop trains in train mode)
        torch.testing.assert_close(resumed[name], whole[name], atol=1e-6, rtol=1e-5, msg=name)
    assert not torch.equal(whole["score.weight"], load_file(files / "tiny" / "model.safetensors")["score.weight"])


def test_resume_refuses_other_data_or_batching_unless_asked_and_keep_checkpoints_prunes(files, tmp_path, capsys):
    out = tmp_path / "rm"
    assert main(train_argv(files, out, "--max-steps", "3", "--save-every", "1", "--keep-checkpoints", "2")) == 0
    assert sorted(p.name for p in out.glob("checkpoint-*")) == ["checkpoint-2", "checkpoint-3"]
    before = snapshot(out)
    for change, what in ((["--batch-size", "4"], "batch_size 8 -> 4"), (["--grad-accum", "2"], "grad_accum 1 -> 2")):
        assert main(train_argv(files, out, "--max-steps", "3", "--resume", *change)) == 2
        err = capsys.readouterr().err
        assert f"--resume {out / 'checkpoint-3'}" in err and what in err and "--allow-resume-changes" in err
    other = ["train", "--data", str(files / "other.jsonl"), *train_argv(files, out)[3:], "--resume"]
    assert main(other) == 2 and "data (hash)" in capsys.readouterr().err
    assert snapshot(out) == before
    assert main([*other, "--allow-resume-changes", "--max-steps", "4"]) == 0
    assert main(train_argv(files, tmp_path / "empty", "--resume")) == 2
    assert "no checkpoint-N folder" in capsys.readouterr().err


def test_metrics_hold_the_loss_history_and_score_rows_carry_ids(files, tmp_path, capsys):
    """A ranked-list file with the default loss (chosen from the record kind: plackett_luce)."""
    out = tmp_path / "lists"
    argv = ["train", "--data", str(files / "lists.jsonl"), "--model", str(files / "tiny"), "--output", str(out),
            *FLAGS, "--batch-size", "2", "--log-every", "1"]
    assert main(argv) == 0
    printed = json.loads(capsys.readouterr().out)
    summary = json.loads((out / "metrics.json").read_text())
    assert summary == printed and len(summary["history"]) == summary["steps"] == 4
    assert summary["final"] == summary["history"][-1] and "kendall_tau" in summary["final"]
    assert main(["score", "--model", str(out), "--data", str(files / "lists.jsonl"),
                 "--output", str(tmp_path / "s.jsonl")]) == 0
    rows = [json.loads(line) for line in (tmp_path / "s.jsonl").read_text().splitlines()]
    assert [r["id"] for r in rows] == [f"l{i}" for i in range(8)] and all(len(r["scores"]) == 4 for r in rows)


def test_a_failed_save_leaves_the_old_model_whole(files, tmp_path, monkeypatch):
    out = tmp_path / "model"
    model, tok = load_reward_model(files / "tiny")
    save_reward_model(model, tok, out)
    before = snapshot(out)

    def full_disk(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(type(tok), "save_pretrained", full_disk)
    with torch.no_grad():
        model.score.weight.add_(1.0)
    with pytest.raises(OSError):
        save_reward_model(model, tok, out)
    assert snapshot(out) == before and [p.name for p in tmp_path.iterdir()] == ["model"]


def test_the_loop_trains_in_train_mode_and_gives_the_model_back_as_found(files, tmp_path):
    """from_pretrained gives eval mode (no dropout); the loop must switch dropout on while training."""
    from workbench.training import TrainConfig, train
    from workbench.training.objectives import pairwise_objective

    model, tok = load_reward_model(files / "tiny")
    assert not model.training
    seen, objective = [], pairwise_objective()

    def compute_loss(m, batch):
        seen.append(m.training)
        return objective(m, batch)

    config = TrainConfig(output_dir=str(tmp_path / "run"), batch_size=8, max_length=32, max_steps=2, progress=False)
    train(config, word_pairs(16), model=model, tokenizer=tok, compute_loss=compute_loss)
    assert seen == [True, True] and not model.training
