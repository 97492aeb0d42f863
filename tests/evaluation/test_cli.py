"""`workbench eval` and `workbench doctor` through the parser that register() builds."""
import argparse
import json

import pytest

from workbench.data import encode_records, load_records, read_jsonl, write_jsonl
from workbench.errors import UserError
from workbench.evaluation.calibration import load_temperature
from workbench.evaluation.cli import register
from workbench.models import load_reward_model
from workbench.training import evaluate


def run(argv):
    """Parse with register()'s subcommands and run, as workbench.cli.main does (UserError -> exit 2)."""
    parser = argparse.ArgumentParser(prog="workbench")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except UserError as error:
        print(f"workbench {args.command}: {error}")
        return 2


def test_eval_keeps_the_training_commands_keys_and_values(checkpoints, word_data, capsys):
    """accuracy / mean_margin / n_pairs / truncated as `workbench eval` printed them, plus subsets."""
    assert run(["eval", "--model", str(checkpoints["healthy"]), "--data", str(word_data / "pairs.jsonl"),
                "--resamples", "100"]) == 0
    out = json.loads(capsys.readouterr().out)
    model, tokenizer = load_reward_model(checkpoints["healthy"])
    encoded = encode_records(load_records(word_data / "pairs.jsonl"), tokenizer, max_length=512)
    before = evaluate(model, encoded, tokenizer.pad_token_id)
    for key in ("accuracy", "mean_margin", "n_pairs"):
        assert out[key] == pytest.approx(before[key], abs=1e-6), key
    assert out["truncated"] == 0 and out["format"] == "trl"
    subset = out["subsets"]["all"]
    assert subset["rule"] == "pair" and subset["low"] <= subset["estimate"] <= subset["high"]
    assert set(subset["baselines"]) == {"longest", "shortest", "random", "first_position"}
    assert set(out["calibration"]) == {"ece", "brier", "log_loss", "n_pairs", "temperature"}


def test_eval_on_ranked_lists_keeps_the_listwise_keys(checkpoints, tmp_path, capsys):
    rows = [{"prompt": f"q {i} ", "responses": ["a good answer", "bad", "a wrong one", "no"], "labels": [3, 1, 2, 0]}
            for i in range(6)]
    write_jsonl(rows, tmp_path / "lists.jsonl")
    assert run(["eval", "--model", str(checkpoints["healthy"]), "--data", str(tmp_path / "lists.jsonl"),
                "--resamples", "50"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert {"kendall_tau", "ndcg", "pair_accuracy", "top1_accuracy", "n_lists", "truncated"} <= set(out)
    assert out["n_lists"] == 6 and out["subsets"]["all"]["rule"] == "best_of_n"


def test_eval_tables_per_subset_with_baselines(checkpoints, word_data, capsys):
    assert run(["eval", "--model", str(checkpoints["healthy"]), "--data", str(word_data / "best_of_4.jsonl"),
                "--format", "table", "--resamples", "50"]) == 0
    text = capsys.readouterr().out
    assert "hard" in text and "easy" in text and "longest" in text and "overall:" in text and "[" in text
    assert run(["eval", "--model", str(checkpoints["healthy"]), "--data", str(word_data / "best_of_4.jsonl"),
                "--format", "markdown", "--resamples", "50"]) == 0
    assert "| subset | rule | n | score |" in capsys.readouterr().out


def test_compare_two_checkpoints_gives_a_paired_row_per_subset(checkpoints, word_data, capsys):
    assert run(["eval", "--compare", str(checkpoints["healthy"]), str(checkpoints["healthy"]),
                "--data", str(word_data / "best_of_4.jsonl"), "--resamples", "50"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert [r["subset"] for r in out["subsets"]] == ["hard", "easy"]
    assert all(r["difference"] == 0 and r["p_value"] == 1 and r["p_holm"] == 1 for r in out["subsets"])
    assert out["overall_a"] == out["overall_b"]


def test_fit_temperature_saves_it_beside_the_checkpoint(checkpoints, word_data, tmp_path, capsys):
    import shutil

    folder = shutil.copytree(checkpoints["healthy"], tmp_path / "rm")
    assert run(["eval", "--model", str(folder), "--data", str(word_data / "pairs.jsonl"), "--fit-temperature",
                "--resamples", "20"]) == 0
    out = json.loads(capsys.readouterr().out)
    saved = load_temperature(folder)
    assert saved.temperature == pytest.approx(out["temperature"]["value"]) and saved.n_pairs == 24
    assert out["temperature"]["calibration"]["log_loss"] <= out["calibration"]["log_loss"] + 1e-9
    assert run(["eval", "--model", str(folder), "--data", str(word_data / "pairs.jsonl"), "--resamples", "20"]) == 0
    assert "calibration_with_temperature" in json.loads(capsys.readouterr().out)


def test_workbench_score_applies_the_saved_temperature(checkpoints, word_data, tmp_path):
    """`workbench score` divides by the T that `eval --fit-temperature` saved; `--raw` does not."""
    import shutil

    from workbench.cli import main
    from workbench.models.posthoc import RewardTemperature

    folder = shutil.copytree(checkpoints["healthy"], tmp_path / "rm")
    pairs = str(word_data / "pairs.jsonl")
    assert main(["score", "--model", str(folder), "--data", pairs, "--output", str(tmp_path / "raw.jsonl")]) == 0
    RewardTemperature(4.0, n_pairs=24).save(folder)
    assert main(["score", "--model", str(folder), "--data", pairs, "--output", str(tmp_path / "t.jsonl")]) == 0
    assert main(["score", "--model", str(folder), "--data", pairs, "--raw", "--output", str(tmp_path / "r.jsonl")]) == 0
    raw, scaled, skipped = (read_jsonl(tmp_path / name) for name in ("raw.jsonl", "t.jsonl", "r.jsonl"))
    for before, after, kept in zip(raw, scaled, skipped):
        assert after["chosen_score"] == pytest.approx(before["chosen_score"] / 4.0, abs=1e-6)
        assert after["rejected_score"] == pytest.approx(before["rejected_score"] / 4.0, abs=1e-6)
        assert kept["chosen_score"] == pytest.approx(before["chosen_score"], abs=1e-6)


def test_user_mistakes_are_one_line_exit_2(checkpoints, word_data, capsys):
    pairs = str(word_data / "pairs.jsonl")
    cases = [(["eval", "--data", pairs], "either --model"),
             (["eval", "--model", "/no/such/dir", "--data", pairs], "no checkpoint at /no/such/dir"),
             (["eval", "--model", str(checkpoints["healthy"]), "--data", "missing.jsonl"], "no data file"),
             (["eval", "--model", str(checkpoints["healthy"]), "--data", pairs, "--confidence", "2"], "--confidence"),
             (["doctor", "--model", "/no/such/dir"], "no checkpoint folder")]
    for argv, message in cases:
        assert run(argv) == 2, argv
        assert message in capsys.readouterr().out


def test_doctor_exits_1_on_a_failed_check_and_0_when_healthy(checkpoints, word_data, capsys):
    data = ["--data", str(word_data / "pairs.jsonl")]
    assert run(["doctor", "--model", str(checkpoints["healthy"]), *data]) == 0
    assert "healthy" in capsys.readouterr().out
    assert run(["doctor", "--model", str(checkpoints["no_head"]), *data, "--format", "json"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert out["ok"] is False and any(c["name"] == "head_loaded" and c["status"] == "fail" for c in out["checks"])
