"""`workbench train/train-odin/score/eval` and prm-train's training flags, YAML configs, and a
2-process `accelerate launch` run."""
import json
import os
import shutil
import subprocess
import sys

import pytest
import torch
from safetensors.torch import load_file

from workbench.cli import main
from workbench.data import write_jsonl
from workbench.models import load_reward_model, save_reward_model, score_texts
from workbench.models.tiny import tiny_reward_model

from .test_train import word_lists, word_pairs

FLAGS = ["--batch-size", "8", "--learning-rate", "3e-3", "--max-length", "32", "--no-progress", "--seed", "1"]


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    root = tmp_path_factory.mktemp("cli")
    model, tok = tiny_reward_model("gpt2", seed=0)
    save_reward_model(model, tok, root / "tiny")
    write_jsonl(word_pairs(48), root / "train.jsonl")
    write_jsonl(word_pairs(16, seed=1), root / "eval.jsonl")
    write_jsonl(word_lists(8, seed=2), root / "lists.jsonl")
    return root


def test_train_score_eval_from_the_command_line(files, tmp_path, capsys):
    out = tmp_path / "rm"
    assert main(["train", "--data", str(files / "train.jsonl"), "--eval-data", str(files / "eval.jsonl"),
                 "--model", str(files / "tiny"), "--loss", "bradley_terry", "--output", str(out), *FLAGS]) == 0
    summary = json.loads((out / "metrics.json").read_text())
    assert summary["eval_after"]["accuracy"] > summary["eval_before"]["accuracy"] and summary["steps"] == 6
    capsys.readouterr()
    assert main(["eval", "--model", str(out), "--data", str(files / "eval.jsonl")]) == 0
    metrics = json.loads(capsys.readouterr().out)
    assert metrics["accuracy"] == pytest.approx(summary["eval_after"]["accuracy"])
    assert main(["score", "--model", str(out), "--data", str(files / "lists.jsonl"),
                 "--output", str(tmp_path / "s.jsonl")]) == 0
    rows = [json.loads(line) for line in (tmp_path / "s.jsonl").read_text().splitlines()]
    assert len(rows) == 8 and all(len(r["scores"]) == 4 for r in rows)


def test_yaml_config_rejects_unknown_keys_and_wrong_types(files, tmp_path, capsys):
    good = tmp_path / "run.yaml"
    good.write_text(f"data: {files / 'train.jsonl'}\nmodel: {files / 'tiny'}\noutput_dir: {tmp_path / 'y'}\n"
                    "max_steps: 2\nbatch_size: 8\nmax_length: 32\nprogress: false\nloss: hinge\n"
                    "loss_kwargs: {margin: 0.5}\n")
    assert main(["train", "--config", str(good)]) == 0
    assert json.loads((tmp_path / "y" / "metrics.json").read_text())["steps"] == 2
    bad = tmp_path / "bad.yaml"
    bad.write_text(f"data: {files / 'train.jsonl'}\nlearning_rat: 0.1\n")
    assert main(["train", "--config", str(bad)]) == 2
    assert "unknown key(s) ['learning_rat']" in capsys.readouterr().err
    bad.write_text(f"data: {files / 'train.jsonl'}\nbatch_size: eight\n")
    assert main(["train", "--config", str(bad)]) == 2
    assert "'batch_size' must be" in capsys.readouterr().err
    assert main(["train", "--model", "x"]) == 2


def test_shared_prompt_flag_trains_lists_packed(files, tmp_path):
    from workbench.cli import build_parser
    from workbench.training.cli import build_config

    args = build_parser().parse_args(["train", "--data", "x.jsonl", "--shared-prompt", "--loss", "plackett_luce"])
    assert build_config(args)[0].shared_prompt is True
    out = tmp_path / "packed"
    assert main(["train", "--data", str(files / "lists.jsonl"), "--model", str(files / "tiny"),
                 "--loss", "plackett_luce", "--shared-prompt", "--max-steps", "2", "--output", str(out), *FLAGS]) == 0
    assert json.loads((out / "metrics.json").read_text())["steps"] == 2


def _run(args, env_extra=None):
    env = {**os.environ, "OMP_NUM_THREADS": "1", **(env_extra or {})}
    done = subprocess.run(args, capture_output=True, text=True, env=env, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return done


@pytest.mark.slow
def test_two_processes_train_the_same_model_as_one(files, tmp_path):
    """Two gloo processes on CPU: each gets half of every batch; the result equals one process.

    accelerate 1.x's ``launch --cpu --num_processes 2`` needs mpirun to start more than one
    process; ``--multi_gpu`` starts them with torchrun, and ``train`` picks gloo on a CPU-only box.
    """
    common = ["train", "--data", str(files / "train.jsonl"), "--model", str(files / "tiny"), *FLAGS]
    _run([sys.executable, "-m", "workbench.cli", *common, "--output", str(tmp_path / "one")])
    _run([sys.executable, "-m", "accelerate.commands.launch", "--num_processes", "2", "--num_machines", "1",
          "--multi_gpu", "--mixed_precision", "no", "--dynamo_backend", "no", "-m", "workbench.cli", *common,
          "--output", str(tmp_path / "two")])
    assert json.loads((tmp_path / "two" / "metrics.json").read_text())["processes"] == 2
    one, two = (load_file(tmp_path / d / "model.safetensors") for d in ("one", "two"))
    start = load_file(files / "tiny" / "model.safetensors")
    assert one.keys() == two.keys()
    # The final-norm bias gets a zero true gradient from a pairwise loss (it shifts chosen and
    # rejected alike), so Adam turns float noise into steps of up to lr there: compare weights at a
    # tolerance far below the lr-sized change of a real divergence, and the learned margins tightly.
    for name in one:
        torch.testing.assert_close(one[name], two[name], atol=5e-4, rtol=1e-3, msg=name)
    assert not torch.allclose(one["score.weight"], start["score.weight"])
    pairs = word_pairs(16, seed=1)
    texts = [r["prompt"] + r[k] for r in pairs for k in ("chosen", "rejected")]
    margins = []
    for d in ("one", "two"):
        model, tok = load_reward_model(tmp_path / d)
        scores = score_texts(model, tok, texts)
        margins.append(scores[0::2] - scores[1::2])
    torch.testing.assert_close(margins[0], margins[1], atol=1e-4, rtol=1e-4)


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("mpirun") is None, reason="needs mpirun (Debian openmpi-bin; scripts/system_deps.sh)")
def test_accelerate_launch_cpu_two_processes_trains_like_one(files, tmp_path):
    """The issue's command, `accelerate launch --cpu --num_processes 2`: accelerate 1.x starts the
    processes with mpirun (given a hostfile); train's Accelerator(cpu=True) reads the MPI ranks
    and joins them with gloo. Without --mpirun_hostfile accelerate starts ONE process."""
    hostfile = tmp_path / "hostfile"
    hostfile.write_text("localhost slots=2\n")
    common = ["train", "--data", str(files / "train.jsonl"), "--model", str(files / "tiny"), *FLAGS]
    _run([sys.executable, "-m", "workbench.cli", *common, "--output", str(tmp_path / "one")])
    _run([sys.executable, "-m", "accelerate.commands.launch", "--cpu", "--num_processes", "2", "--num_machines", "1",
          "--mpirun_hostfile", str(hostfile), "--mixed_precision", "no", "--dynamo_backend", "no",
          "-m", "workbench.cli", *common, "--output", str(tmp_path / "two")],
         env_extra={"OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1"})
    assert json.loads((tmp_path / "two" / "metrics.json").read_text())["processes"] == 2
    one, two = (load_file(tmp_path / d / "model.safetensors") for d in ("one", "two"))
    assert not torch.allclose(one["score.weight"], load_file(files / "tiny" / "model.safetensors")["score.weight"])
    for name in one:  # the same tolerance as the torchrun test above
        torch.testing.assert_close(one[name], two[name], atol=5e-4, rtol=1e-3, msg=name)


@pytest.mark.slow
def test_two_processes_train_shared_prompt_lists_like_one(files, tmp_path):
    """--shared-prompt under DDP (2 gloo processes): the packed objective gives the same model as one process."""
    common = ["train", "--data", str(files / "lists.jsonl"), "--model", str(files / "tiny"), "--loss", "plackett_luce",
              "--shared-prompt", "--epochs", "3", *FLAGS]
    _run([sys.executable, "-m", "workbench.cli", *common, "--output", str(tmp_path / "one")])
    _run([sys.executable, "-m", "accelerate.commands.launch", "--num_processes", "2", "--num_machines", "1",
          "--multi_gpu", "--mixed_precision", "no", "--dynamo_backend", "no", "-m", "workbench.cli", *common,
          "--output", str(tmp_path / "two")])
    summaries = [json.loads((tmp_path / d / "metrics.json").read_text()) for d in ("one", "two")]
    assert summaries[1]["processes"] == 2 and summaries[0]["steps"] == summaries[1]["steps"] == 3
    one, two = (load_file(tmp_path / d / "model.safetensors") for d in ("one", "two"))
    start = load_file(files / "tiny" / "model.safetensors")
    assert not torch.allclose(one["score.weight"], start["score.weight"])
    for name in one:
        torch.testing.assert_close(one[name], two[name], atol=5e-4, rtol=1e-3, msg=name)


TRAINING_COMMANDS = ("train", "train-odin", "prm-train")


def _subparser(parser, name):
    """The argparse parser of one `workbench` subcommand."""
    return next(a for a in parser._subparsers._group_actions if a.dest == "command").choices[name]


def test_every_config_field_is_a_flag_on_every_training_command():
    """One route: each TrainConfig field is a flag (help from its metadata, default stated) on all three."""
    import dataclasses

    from workbench.cli import build_parser
    from workbench.training import TrainConfig

    parser = build_parser()
    for command in TRAINING_COMMANDS:
        sub = _subparser(parser, command)
        help_text = sub.format_help()
        for f in dataclasses.fields(TrainConfig):
            flag = f.metadata.get("flags", ("--" + f.name.replace("_", "-"),))[0]
            assert flag in sub._option_string_actions, (command, flag)
            assert sub._option_string_actions[flag].dest == f.name
        for flag in ("--config", "--data", "--eval-data", "--eval-fraction", "--loss-arg", "--lora-r", "--no-progress",
                     "--output", "--output-dir", "--grad-accum", "--mixed-precision"):
            assert flag in sub._option_string_actions, (command, flag)
        assert "auto|first|last|mean" in help_text and "plackett_luce" in help_text and "(default: 16)" in help_text


def test_a_new_config_field_appears_on_every_training_command(monkeypatch, tmp_path):
    """A field added to TrainConfig (here by a subclass put in its place) needs no other edit: every
    training command offers its flag, shows its help, and config_from_args / YAML set it."""
    import dataclasses

    from workbench.cli import build_parser
    from workbench.training import TrainConfig, cli

    @dataclasses.dataclass
    class Extended(TrainConfig):
        warmup_steps: int | None = dataclasses.field(default=None, metadata={"help": "a knob added later"})
        log_gradients: bool = dataclasses.field(default=False, metadata={"help": "a switch added later"})

    monkeypatch.setattr(cli, "TrainConfig", Extended)
    yaml_file = tmp_path / "run.yaml"
    yaml_file.write_text("warmup_steps: 3\nbatch_size: 4\n")
    parser = build_parser()
    for command in TRAINING_COMMANDS:
        assert "a knob added later (default: None)" in _subparser(parser, command).format_help()
        args = parser.parse_args([command, "--data", "x.jsonl", "--warmup-steps", "7", "--log-gradients"])
        config = cli.config_from_args(args)
        assert isinstance(config, Extended) and config.warmup_steps == 7 and config.log_gradients is True
        from_yaml = cli.config_from_args(parser.parse_args([command, "--config", str(yaml_file)]))
        assert from_yaml.warmup_steps == 3 and from_yaml.batch_size == 4 and from_yaml.log_gradients is False


def test_flags_override_yaml_and_keep_their_short_forms(tmp_path):
    from workbench.cli import build_parser
    from workbench.training.cli import build_config

    run = tmp_path / "run.yaml"
    run.write_text("data: a.jsonl\nloss: hinge\nbatch_size: 4\nloss_kwargs: {margin: 0.5}\nlora: {r: 4, alpha: 8}\n")
    parser = build_parser()
    args = parser.parse_args(["train", "--config", str(run), "--batch-size", "8", "--loss-arg", "margin=1",
                              "--lora-r", "2", "--no-group-by-length", "--output-dir", "runs/x"])
    config, data, eval_data = build_config(args)
    assert (config.loss, config.batch_size, config.loss_kwargs) == ("hinge", 8, {"margin": 1})
    assert (config.lora.r, config.lora.alpha, config.group_by_length, config.output_dir) == (2, 8, False, "runs/x")
    assert (data, eval_data) == ("a.jsonl", None)
    assert build_config(parser.parse_args(["prm-train", "--data", "s.jsonl"]))[0].output_dir == "runs/prm"
    assert build_config(parser.parse_args(["train", "--data", "s.jsonl"]))[0].output_dir == "runs/reward_model"
    lora = build_config(parser.parse_args(["train", "--data", "s.jsonl", "--lora", '{"r": 8, "dropout": 0.0}']))[0]
    assert lora.lora.r == 8 and lora.lora.dropout == 0.0


def test_train_odin_and_prm_train_write_metrics_like_train(files, tmp_path):
    """The same route for the variants: ODIN's quality-only checkpoint, a PRM with --grad-accum and
    --eval-data, each with a metrics.json of the same keys as `workbench train`'s."""
    from workbench.models.odin import LENGTH_HEAD_FILE

    odin = tmp_path / "odin"
    assert main(["train-odin", "--data", str(files / "train.jsonl"), "--eval-data", str(files / "eval.jsonl"),
                 "--model", str(files / "tiny"), "--output", str(odin), "--max-steps", "2", "--length-penalty", "0.5",
                 *FLAGS]) == 0
    summary = json.loads((odin / "metrics.json").read_text())
    assert summary["steps"] == 2 and "accuracy" in summary["eval_after"] and (odin / LENGTH_HEAD_FILE).is_file()
    steps = tmp_path / "steps.jsonl"
    steps.write_text("".join(json.dumps({"prompt": f"Q{i}", "completions": ["2 + 2 = 4", f"4 * 3 = {12 + i % 2}"],
                                         "labels": [True, i % 2 == 0]}) + "\n" for i in range(16)))
    prm = tmp_path / "prm"
    assert main(["prm-train", "--data", str(steps), "--eval-data", str(steps), "--model", str(files / "tiny"),
                 "--output", str(prm), "--grad-accum", "2", "--max-steps", "2", "--mixed-precision", "no", *FLAGS]) == 0
    summary = json.loads((prm / "metrics.json").read_text())
    assert summary["steps"] == 2 and summary["kind"] == "prm" and summary["eval_after"]["n_steps"] == 32
    assert summary.keys() >= {"processes", "items_per_second", "eval_before", "eval_after", "truncated", "output_dir"}
