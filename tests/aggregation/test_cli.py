"""`workbench aggregate` on a JSONL reward file."""
import json

import pytest

from workbench.aggregation.cli import read_reward_records
from workbench.cli import main


def write(path, records):
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return str(path)


RECORDS = [{"group": "q1", "rewards": {"correct": 1, "short": -0.5}},
           {"group": "q1", "rewards": {"correct": 0, "short": 0.0}},
           {"group": "q2", "rewards": {"correct": None, "short": None}},
           {"group": "q2", "rewards": {"correct": 1, "short": 0.0}}]


def test_aggregate_lexicographic(tmp_path, capsys):
    path = write(tmp_path / "r.jsonl", RECORDS)
    assert main(["aggregate", "--data", path, "--method", "lexicographic", "--priority", "correct,short"]) == 0
    out = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [o["score"] for o in out] == [0.0, -1.0, None, 0.0]
    assert out[0]["advantage"] > 0 > out[1]["advantage"] and out[2]["advantage"] == 0.0


def test_aggregate_constrained_and_gdpo(tmp_path, capsys):
    path = write(tmp_path / "r.jsonl", RECORDS)
    assert main(["aggregate", "--data", path, "--method", "constrained", "--constraints", "short=0",
                 "--multiplier", "4"]) == 0
    out = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert out[0]["score"] == pytest.approx((1 - 4 * 0.5) / 5)
    assert main(["aggregate", "--data", path, "--method", "normalize_then_sum"]) == 0


def test_bad_records_name_line_and_field(tmp_path):
    with pytest.raises(ValueError, match="line 2 has no field 'rewards'"):
        read_reward_records(write(tmp_path / "a.jsonl", [RECORDS[0], {"group": "x"}]))
    with pytest.raises(ValueError, match="line 2, field 'rewards.short' is not a number"):
        read_reward_records(write(tmp_path / "b.jsonl", [RECORDS[0], {"group": "x", "rewards": {"correct": 1, "short": "long"}}]))
    with pytest.raises(ValueError, match="line 2, field 'rewards' has"):
        read_reward_records(write(tmp_path / "c.jsonl", [RECORDS[0], {"group": "x", "rewards": {"correct": 1}}]))
