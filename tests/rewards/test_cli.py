"""`workbench rewards-check` / `rewards-score` through the real command-line entry point."""
import json

import pytest

from workbench.cli import main
from workbench.rewards import bwrap_path


def test_score_correctness_and_code(tmp_path, capsys):
    data = tmp_path / "c.jsonl"
    data.write_text("\n".join(json.dumps(r) for r in [
        {"completion": "<answer>18</answer>", "ground_truth": "#### 18", "test_cases": ["assert f() == 1"]},
        {"completion": "def f():\n    return 1", "ground_truth": "#### 3", "test_cases": ["assert f() == 1"]},
    ]) + "\n")
    assert main(["rewards-score", "--data", str(data), "--reward", "correctness"]) == 0
    out = capsys.readouterr()
    assert [json.loads(line)["reward"] for line in out.out.splitlines()] == [1.0, 0.0]
    assert "mean 0.5000" in out.err
    assert main(["rewards-score", "--data", str(data), "--reward", "code", "--timeout", "1"]) == 0
    assert [json.loads(line)["reward"] for line in capsys.readouterr().out.splitlines()] == [0.0, 1.0]


def test_score_names_the_bad_record(tmp_path, capsys):
    """A bad row is the user's mistake: one line on stderr naming it, exit code 2 (workbench.errors)."""
    data = tmp_path / "bad.jsonl"
    data.write_text(json.dumps({"completion": "x"}) + "\n" + json.dumps({"text": "y"}) + "\n")
    assert main(["rewards-score", "--data", str(data), "--reward", "format"]) == 2
    assert "line 2 has no field 'completion'" in capsys.readouterr().err
    data.write_text(json.dumps({"completion": "x", "ground_truth": "1"}) + "\n" + json.dumps({"completion": "y"}))
    assert main(["rewards-score", "--data", str(data), "--reward", "correctness"]) == 2
    assert "record 1 has no field 'ground_truth'" in capsys.readouterr().err


@pytest.mark.skipif(bwrap_path() is None, reason="bubblewrap (bwrap) is not installed")
@pytest.mark.slow  # the sandbox's attack gallery
def test_check_reports_isolation_and_contains_the_gallery(capsys):
    assert main(["rewards-check", "--timeout", "0.5"]) == 0
    out = capsys.readouterr().out
    assert "usable" in out and "fork bomb" in out
