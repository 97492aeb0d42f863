"""`workbench aggregate` on a JSONL reward file."""
import json

import pytest

from workbench.aggregation import METHODS
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


@pytest.mark.parametrize("method", METHODS)
def test_aggregate_prints_what_the_explorer_computes(tmp_path, capsys, method):
    """The command and the explorer share one computation: same settings, same scores and advantages."""
    import numpy as np

    from workbench.aggregation import Constraint, RewardMatrix
    from workbench.aggregation.explorer import method_advantages, method_scores

    path = write(tmp_path / "r.jsonl", RECORDS)
    assert main(["aggregate", "--data", path, "--method", method, "--weights", "correct=2,short=0.5",
                 "--priority", "correct,short", "--constraints", "short=0", "--multiplier", "3"]) == 0
    out = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    groups, names, rewards = read_reward_records(path)
    matrix = RewardMatrix(rewards, names, group_ids=groups)
    scores = method_scores(matrix, method, weights=[2.0, 0.5], priority=[0, 1],
                           constraints=[Constraint(1, 0.0)], multiplier=3.0)
    advantages = method_advantages(matrix, method, scores, weights=[2.0, 0.5])
    np.testing.assert_allclose([np.nan if o["score"] is None else o["score"] for o in out], scores)
    np.testing.assert_allclose([o["advantage"] for o in out], advantages)


def test_aggregate_rejects_a_multiplier_that_is_not_positive(tmp_path, capsys):
    path = write(tmp_path / "r.jsonl", RECORDS)
    assert main(["aggregate", "--data", path, "--method", "constrained", "--multiplier", "0"]) == 2
    assert "workbench aggregate: --multiplier must be > 0" in capsys.readouterr().err
