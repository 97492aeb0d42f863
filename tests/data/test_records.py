"""Record loading and validation: every source, every TRL format, errors that name row and field."""
import gzip
import json
import math

import pandas as pd
import pytest
from datasets import Dataset

from workbench.data import (
    PreferencePair,
    RankedList,
    load_records,
    pairs_from_list,
    write_jsonl,
)

PAIRS = [
    {"prompt": "what is 2 and 2 ?", "chosen": " 4", "rejected": " 5", "margin": 1.5},
    {"prompt": "say hi", "chosen": " hi", "rejected": " no", "margin": 0.0},
]
LISTS = [{"prompt": "rate", "responses": ["a", "b", "c"], "labels": [3, 1, 1], "top_k": 1},
         {"prompt": "rate again", "responses": ["x", "y"], "labels": [0.5, 2.0]}]


def test_same_records_from_every_source(tmp_path):
    path = tmp_path / "pairs.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in PAIRS) + "\n")
    gz = tmp_path / "pairs.jsonl.gz"
    with gzip.open(gz, "wt") as f:
        f.write(path.read_text())
    expected = [PreferencePair(" 4", " 5", prompt="what is 2 and 2 ?", margin=1.5),
                PreferencePair(" hi", " no", prompt="say hi", margin=0.0)]
    for source in (PAIRS, Dataset.from_list(PAIRS), pd.DataFrame(PAIRS), path, str(gz)):
        assert load_records(source) == expected


def test_listwise_records_and_round_trip(tmp_path):
    records = load_records(pd.DataFrame(LISTS))
    assert records[0] == RankedList("rate", ["a", "b", "c"], [3.0, 1.0, 1.0], top_k=1)
    assert records[1].top_k is None
    assert load_records(write_jsonl(records, tmp_path / "lists.jsonl")) == records


def test_trl_formats_are_accepted():
    implicit = {"chosen": "Q: hi A: hello", "rejected": "Q: hi A: go away"}
    chat = [{"role": "user", "content": "hi"}]
    conversational = {"chosen": chat + [{"role": "assistant", "content": "hello"}],
                      "rejected": chat + [{"role": "assistant", "content": "go away"}]}
    explicit_chat = {"prompt": chat, "chosen": [{"role": "assistant", "content": "hello"}],
                     "rejected": [{"role": "assistant", "content": "go"}], "tie": True}
    records = load_records([implicit, conversational, explicit_chat])
    assert records[0].prompt is None and isinstance(records[1].chosen, list) and records[2].tie


def _error(rows, kind="auto"):
    with pytest.raises(ValueError) as info:
        load_records(rows, kind)
    return str(info.value)


def test_bad_pairwise_records_name_row_and_field():
    rows = [PAIRS[0], {"chosen": "ok"}, {"chosen": "  ", "rejected": "x"},
            {"chosen": "a", "rejected": "b", "margin": float("nan")},
            {"chosen": "a", "rejected": "b", "tie": "yes"},
            {"chosen": [{"role": "user"}], "rejected": "b"}]
    message = _error(rows)
    assert "5 bad pairwise" in message
    for expected in ("row 1, field 'rejected': missing", "row 2, field 'chosen': empty text",
                     "row 3, field 'margin'", "row 4, field 'tie'", "row 5, field 'chosen': message 0"):
        assert expected in message
    assert "row 0" not in message


def test_bad_listwise_records_name_row_and_field():
    rows = [LISTS[0],
            {"prompt": "p", "responses": ["a", "b"], "labels": [1.0]},
            {"prompt": "p", "responses": ["a", ""], "labels": [1, 2]},
            {"prompt": "p", "responses": ["a", "b"], "labels": [1, math.nan]},
            {"prompt": "p", "responses": ["a", "b"], "labels": ["1", "2"]},
            {"prompt": "p", "responses": ["a", "b"], "labels": [1, 2], "top_k": 3},
            {"responses": ["a", "b"], "labels": [1, 2]},
            {"prompt": "p", "responses": ["a"], "labels": [1]}]
    message = _error(rows)
    for expected in ("row 1, field 'labels': 1 labels for K=2", "row 2, field 'responses[1]': empty",
                     "row 3, field 'labels[1]': not finite", "row 4, field 'labels[0]': expected a number",
                     "row 5, field 'top_k'", "row 6, field 'prompt': missing", "row 7, field 'responses'"):
        assert expected in message


def test_unknown_columns_and_kinds():
    assert "cannot tell the record kind" in _error([{"text": "a"}])
    assert "kind must be" in _error(PAIRS, "ranked")


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        load_records(tmp_path / "nope.jsonl")


def test_bad_json_line_names_the_row(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps(PAIRS[0]) + "\n{not json\n")
    with pytest.raises(ValueError, match="row 1"):
        load_records(path)


def test_pairs_from_list_expansion():
    """labels [3, 1, 1]: pairs (0>1), (0>2) and the tie (1=2); with top_k=1 the tie is unknown."""
    full = RankedList("p", ["a", "b", "c"], [3.0, 1.0, 1.0])
    assert [(p.chosen, p.rejected) for p in pairs_from_list(full)] == [("a", "b"), ("a", "c")]
    assert [p.tie for p in pairs_from_list(full, include_ties=True)] == [False, False, True]
    partial = RankedList("p", ["a", "b", "c", "d"], [1.0, 4.0, 3.0, 2.0], top_k=1)
    assert [(p.chosen, p.rejected) for p in pairs_from_list(partial)] == [("b", "a"), ("b", "c"), ("b", "d")]
    assert len(pairs_from_list(RankedList("p", list("abcd"), [4.0, 3.0, 2.0, 1.0]))) == 6


def test_bad_records_in_a_file_name_file_and_line(tmp_path):
    """Line 1 good, line 2 blank, line 3 without 'rejected': the file, line 3 and row 1 are named."""
    path = tmp_path / "pairs.jsonl"
    path.write_text(json.dumps(PAIRS[0]) + "\n\n" + json.dumps({"chosen": "ok"}) + "\n")
    with pytest.raises(ValueError) as info:
        load_records(path)
    assert f"{path}:3: row 1, field 'rejected': missing" in str(info.value)
    from workbench.errors import UserError

    assert isinstance(info.value, UserError)


def test_a_failing_write_keeps_the_old_file(tmp_path):
    path = write_jsonl([PreferencePair("a", "b")], tmp_path / "pairs.jsonl")
    before = path.read_text()
    with pytest.raises(TypeError):
        write_jsonl([PreferencePair("a", "b"), {"chosen": object()}], path)
    assert path.read_text() == before and load_records(path) == [PreferencePair("a", "b")]
