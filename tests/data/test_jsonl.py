"""The one JSONL reader and writer: gzip by suffix, blank lines, errors that name file and line."""
import gzip
import json

import pytest

from workbench.cli import main
from workbench.data.jsonl import MissingFileError, iter_jsonl, read_json, read_jsonl, write_jsonl
from workbench.errors import UserError

ROWS = [{"a": 1, "text": "café"}, {"a": 2, "text": "x"}]


def test_reads_plain_and_gzip_skipping_blank_lines(tmp_path):
    text = json.dumps(ROWS[0]) + "\n\n   \n" + json.dumps(ROWS[1]) + "\n"
    plain = tmp_path / "rows.jsonl"
    plain.write_text(text, encoding="utf-8")
    packed = tmp_path / "rows.jsonl.gz"
    with gzip.open(packed, "wt", encoding="utf-8") as handle:
        handle.write(text)
    assert read_jsonl(plain) == read_jsonl(packed) == ROWS
    assert [number for number, _ in iter_jsonl(plain)] == [1, 4]   # line numbers count blank lines
    assert read_jsonl(plain, limit=1) == ROWS[:1]


def test_bad_line_is_named_by_file_and_1_based_line(tmp_path):
    """Line 1 good, line 2 blank, line 3 broken: 'line 3', and 'row 1' (the second record)."""
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps(ROWS[0]) + "\n\n{not json\n")
    with pytest.raises(UserError) as info:
        read_jsonl(path)
    message = str(info.value)
    assert message.startswith(f"{path}:3: not valid JSON")
    assert "(line 3, 1-based; row 1, 0-based)" in message
    with pytest.raises(ValueError, match="task 1, 0-based"):        # still a ValueError, in the caller's words
        read_jsonl(path, item="task")


def test_a_line_that_is_not_an_object_is_refused(tmp_path):
    path = tmp_path / "list.jsonl"
    path.write_text(json.dumps(ROWS[0]) + "\n[1, 2]\n")
    with pytest.raises(UserError, match=r"list.jsonl:2: expected a JSON object .*got list"):
        read_jsonl(path)


def test_missing_file_and_bad_gzip_are_user_errors(tmp_path):
    with pytest.raises(MissingFileError, match="nope.jsonl: no such file") as info:
        read_jsonl(tmp_path / "nope.jsonl")
    assert isinstance(info.value, FileNotFoundError) and isinstance(info.value, UserError)
    fake = tmp_path / "fake.jsonl.gz"
    fake.write_text("{}\n")
    with pytest.raises(UserError, match="fake.jsonl.gz: not a readable gzip file"):
        read_jsonl(fake)
    with pytest.raises(UserError, match="is a folder"):
        read_jsonl(tmp_path)


def test_read_json_names_the_line(tmp_path):
    path = tmp_path / "tasks.json"
    path.write_text('[\n  {"a": 1},\n  {"a": 2,}\n]\n')
    with pytest.raises(UserError, match=r"tasks.json:3: not valid JSON"):
        read_json(path)


def test_write_round_trips_plain_and_gzip(tmp_path):
    for name in ("out.jsonl", "out.jsonl.gz"):
        assert read_jsonl(write_jsonl(ROWS, tmp_path / "sub" / name)) == ROWS
    with gzip.open(tmp_path / "sub" / "out.jsonl.gz", "rt", encoding="utf-8") as handle:
        assert handle.readline() == json.dumps(ROWS[0], ensure_ascii=False) + "\n"


def test_a_failing_write_leaves_the_old_file(tmp_path):
    path = write_jsonl(ROWS, tmp_path / "keep.jsonl")
    before = path.read_bytes()
    with pytest.raises(TypeError):
        write_jsonl([{"ok": 1}, {"bad": object()}], path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["keep.jsonl"]   # no temporary file left behind


def test_the_command_line_prints_one_line_and_exits_2(tmp_path, capsys):
    data = tmp_path / "r.jsonl"
    data.write_text('{"group": 0, "rewards": {"a": 1}}\n{"group": 0, "rewards": \n')
    assert main(["aggregate", "--data", str(data)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"workbench aggregate: {data}:2: not valid JSON") and err.count("\n") == 1
