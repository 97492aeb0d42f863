"""What a checkpoint folder holds: the pooled format that plain transformers cannot take for random
weights, whole saves that leave no old file mixed in, the unfinished-run marker."""
import json

import pytest
import torch
from transformers import AutoConfig

from workbench.models import load_reward_model, save_reward_model, score_texts
from workbench.models.checkpoint_files import (
    UNFINISHED_FILE,
    checkpoints,
    mark_finished,
    mark_unfinished,
    run_files,
)
from workbench.models.pooled import POOLED_MODEL_TYPE, PooledRewardConfig
from workbench.models.tiny import tiny_reward_model

TEXTS = ["a good answer", "no"]


@pytest.mark.parametrize("arch", ["gpt2", "bert"])
def test_a_pooled_checkpoint_has_its_own_model_type_and_reloads_the_same(tmp_path, arch):
    model, tok = tiny_reward_model(arch, pooling="mean")
    save_reward_model(model, tok, tmp_path / "mean")
    values = json.loads((tmp_path / "mean" / "config.json").read_text())
    # Plain transformers does not know this model_type, so without trust_remote_code it refuses
    # (tests/training/test_defaults.py runs that in a fresh process) instead of loading random weights.
    assert values["model_type"] == POOLED_MODEL_TYPE and values["backbone_model_type"] == arch
    assert set(values["auto_map"]) == {"AutoConfig", "AutoModelForSequenceClassification"}
    assert isinstance(AutoConfig.from_pretrained(tmp_path / "mean"), PooledRewardConfig)  # known here
    again, tok2 = load_reward_model(tmp_path / "mean")
    torch.testing.assert_close(score_texts(again, tok2, TEXTS), score_texts(model, tok, TEXTS))
    save_reward_model(again, tok2, tmp_path / "again")  # a loaded pooled model saves the same format
    assert json.loads((tmp_path / "again" / "config.json").read_text())["backbone_model_type"] == arch


def test_a_new_save_leaves_no_file_of_the_old_model(tmp_path):
    pooled, tok = tiny_reward_model("gpt2", pooling="mean")
    save_reward_model(pooled, tok, tmp_path / "m")
    (tmp_path / "m" / "notes.txt").write_text("mine")
    native, tok = tiny_reward_model("gpt2")
    save_reward_model(native, tok, tmp_path / "m")
    names = {p.name for p in (tmp_path / "m").iterdir()}
    assert "modeling_workbench_reward.py" not in names and "notes.txt" in names
    assert json.loads((tmp_path / "m" / "config.json").read_text())["model_type"] == "gpt2"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m"]  # no temporary folder left


def test_an_unfinished_folder_is_refused_and_run_files_spare_the_users(tmp_path):
    model, tok = tiny_reward_model("gpt2")
    save_reward_model(model, tok, tmp_path)
    for name in ("checkpoint-10", "checkpoint-2", "checkpoint-x"):
        (tmp_path / name).mkdir()
    (tmp_path / "mine.txt").write_text("keep")
    mark_unfinished(tmp_path, command="train")
    with pytest.raises(ValueError, match="unfinished training run"):
        load_reward_model(tmp_path)
    assert [p.name for p in checkpoints(tmp_path)] == ["checkpoint-2", "checkpoint-10"]
    owned = {p.name for p in run_files(tmp_path)}
    assert {UNFINISHED_FILE, "config.json", "model.safetensors", "checkpoint-2", "checkpoint-x"} <= owned
    assert "mine.txt" not in owned
    mark_finished(tmp_path)
    load_reward_model(tmp_path)


def test_a_missing_local_model_is_named_without_the_hub(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "runs").mkdir()
    for name in ("runs/rm", "./rm", str(tmp_path / "rm"), "~/no/such/rm"):
        with pytest.raises(ValueError, match=f"--model: no checkpoint at {name}"):
            load_reward_model(name)
