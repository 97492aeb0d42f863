"""RewardBench v1/v2 rows, TRL pairs and ranked lists, from JSONL, pandas and datasets; row/field errors."""
import json

import pandas as pd
import pytest

from workbench.errors import UserError
from workbench.evaluation.formats import load_eval_set, to_rows

V1 = [{"prompt": "q1", "chosen": "good", "rejected": "bad", "subset": "chat", "id": 1},
      {"prompt": "q2", "chosen": "right", "rejected": "wrong", "subset": "math", "id": 2}]
V2 = [{"prompt": "q1", "chosen": ["a"], "rejected": ["b", "c", "d"], "num_correct": 1, "subset": "Math", "id": "m1"},
      {"prompt": "q2", "chosen": ["a"], "rejected": ["b", "c"], "num_correct": 1, "subset": "Ties", "id": "ref:7"},
      {"prompt": "q2", "chosen": ["a", "e"], "rejected": ["b", "c"], "num_correct": 2, "subset": "Ties", "id": "tied:7"}]


def _jsonl(tmp_path, rows, name="rows.jsonl"):
    path = tmp_path / name
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_v1_rows_from_jsonl_pandas_and_datasets_give_the_same_set(tmp_path):
    from datasets import Dataset

    sets = [load_eval_set(_jsonl(tmp_path, V1)), load_eval_set(pd.DataFrame(V1)), load_eval_set(Dataset.from_list(V1))]
    for s in sets:
        assert s.format == "v1" and s.rule == "pair" and s.subsets == ["chat", "math"]
        assert [(e.prompt, e.chosen, e.rejected, e.id) for e in s.examples] == [("q1", ("good",), ("bad",), "1"),
                                                                               ("q2", ("right",), ("wrong",), "2")]


def test_v2_rows_keep_lists_and_round_trip(tmp_path):
    s = load_eval_set(_jsonl(tmp_path, V2))
    assert s.format == "v2" and s.rule == "best_of_n" and s.subsets == ["Math", "Ties"]
    assert s.examples[2].num_correct == 2 and s.examples[2].responses == ("a", "e", "b", "c")
    assert to_rows(s) == V2
    assert load_eval_set(pd.DataFrame(V2)).examples == s.examples


def test_trl_pairs_split_implicit_prompts_and_leave_ties_out():
    rows = [{"chosen": "Q: hi A: hello", "rejected": "Q: hi A: go away"},
            {"prompt": "Q: x", "chosen": "y", "rejected": "z", "tie": True},
            {"chosen": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}],
             "rejected": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "no"}]}]
    s = load_eval_set(rows)
    assert s.format == "trl" and s.skipped == 1 and len(s) == 2 and s.subsets == ["all"]
    assert s.examples[0].prompt == "Q: hi A: " and s.examples[0].chosen == ("hello",)
    assert s.examples[1].prompt == [{"role": "user", "content": "hi"}]


def test_ranked_lists_put_the_top_label_first_and_remember_the_shown_order():
    rows = [{"prompt": "p", "responses": ["w", "x", "y", "z"], "labels": [1, 3, 2, 3]},
            {"prompt": "q", "responses": ["a", "b"], "labels": [2, 2]}]
    s = load_eval_set(rows)
    ex = s.examples[0]
    assert s.format == "ranked" and s.skipped == 1
    assert ex.chosen == ("x", "z") and ex.rejected == ("w", "y") and ex.shown == (1, 3, 0, 2)
    assert ex.labels == (3.0, 3.0, 1.0, 2.0)


def test_bad_rows_are_reported_all_at_once_by_row_and_field(tmp_path):
    rows = [{"prompt": "q", "chosen": ["a"], "rejected": [], "num_correct": 1, "subset": "Math"},
            {"prompt": "q", "chosen": ["a", ""], "rejected": ["b"], "num_correct": 3, "subset": "Math"},
            {"prompt": "q", "chosen": ["a"], "rejected": ["b"], "subset": "Ties", "id": "x"},
            {"prompt": "q", "chosen": ["a"], "rejected": ["b"], "subset": "Ties", "id": "tied:1"}]
    with pytest.raises(UserError) as error:
        load_eval_set(_jsonl(tmp_path, rows))
    message = str(error.value)
    assert str(tmp_path / "rows.jsonl") in message and "4 bad RewardBench 2 record field(s)" in message
    for expected in ("row 0, field 'rejected'", "row 1, field 'chosen[1]': empty text",
                     "row 2, field 'id': a Ties row needs", "row 3, field 'chosen': a 'tied' row needs"):
        assert expected in message
    with pytest.raises(UserError, match="row 1, field 'num_correct'"):
        load_eval_set([V2[0], {**V2[0], "num_correct": 2}])
    with pytest.raises(UserError, match="row 0, field 'subset'"):
        load_eval_set([{**V1[0], "subset": ""}])


def test_trl_and_ranked_errors_come_from_load_records_as_user_errors():
    with pytest.raises(UserError, match="row 0, field 'rejected': missing"):
        load_eval_set([{"chosen": "a"}])
    with pytest.raises(UserError, match="row 0, field 'labels'"):
        load_eval_set([{"prompt": "p", "responses": ["a", "b"], "labels": [1]}])


def test_missing_files_and_unknown_formats_are_user_errors(tmp_path):
    with pytest.raises(UserError, match="no data file"):
        load_eval_set(tmp_path / "absent.jsonl")
    with pytest.raises(UserError, match="no data file"):
        load_eval_set("absent.jsonl.gz")
    with pytest.raises(UserError, match="format must be"):
        load_eval_set(V1, format="v3")
    with pytest.raises(UserError, match="no record can be scored"):
        load_eval_set([{"prompt": "p", "chosen": "a", "rejected": "b", "tie": True}])


def test_head_keeps_the_first_examples_of_each_subset():
    s = load_eval_set(V1 * 3).head(2)
    assert len(s) == 4 and [e.subset for e in s.examples] == ["chat", "math", "chat", "math"]
