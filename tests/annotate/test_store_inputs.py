"""The store refuses what it could not export, readers never create, writers never truncate."""
import hashlib
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from workbench.annotate import AnnotationStore
from workbench.cli import main
from workbench.errors import UserError

PAIR = {"id": "p1", "prompt": "q", "responses": ["a", "b"]}
LIST = {"id": "r1", "prompt": "q", "responses": ["a", "b", "c"]}
STEPS = {"id": "s1", "prompt": "q", "steps": ["x", "y"]}


@pytest.fixture
def store(tmp_path):
    with AnnotationStore(tmp_path / "s.db") as opened:
        opened.register_tasks([PAIR], "pairwise")
        opened.register_tasks([LIST], "ranking")
        opened.register_tasks([STEPS], "step")
        yield opened


def test_add_refuses_a_task_that_was_never_registered(store):
    with pytest.raises(UserError, match=r"task 'nope' is not a registered pairwise task"):
        store.add("nope", "pairwise", "ann", {"winner": 0}, [0, 1])
    with pytest.raises(UserError, match=r"task 'p1' is not a registered ranking task"):
        store.add("p1", "ranking", "ann", {"labels": [1, 0]}, [0, 1])
    assert len(store) == 0


@pytest.mark.parametrize("kind, task_id, label, order, field", [
    ("pairwise", "p1", {"winner": 2}, [0, 1], "label.winner"),
    ("pairwise", "p1", {"winner": None}, [0, 1], "label.tie"),
    ("pairwise", "p1", {"winner": 0, "strength": "lots"}, [0, 1], "label.strength"),
    ("pairwise", "p1", ["A"], [0, 1], "label"),
    ("pairwise", "p1", {"winner": 0}, [0, 0], "shown_order"),
    ("ranking", "r1", {"labels": [2, 1]}, [0, 1, 2], "label.labels"),
    ("ranking", "r1", {"labels": [2, 1, float("nan")]}, [0, 1, 2], "label.labels"),
    ("ranking", "r1", {"labels": [2, 1, 0], "top_k": 4}, [0, 1, 2], "label.top_k"),
    ("ranking", "r1", {"labels": [2, 1, 0]}, [0, 1, 3], "shown_order"),
    ("step", "s1", {"ratings": [1]}, [0, 1], "label.ratings"),
    ("step", "s1", {"ratings": [1, 2]}, [0, 1], "label.ratings"),
])
def test_add_refuses_a_label_of_the_wrong_shape_naming_task_and_field(store, kind, task_id, label, order, field):
    with pytest.raises(UserError, match=rf"task '{task_id}' \({kind}\): {field}"):
        store.add(task_id, kind, "ann", label, order)
    assert len(store) == 0


def test_add_keeps_good_labels_and_fills_the_neutral_fields(store):
    store.add("p1", "pairwise", "ann", {"winner": 1}, [1, 0])
    store.add("r1", "ranking", "ann", {"labels": [3, 1, 2]}, [2, 0, 1])
    store.add("s1", "step", "ann", {"skip": True}, [0, 1])
    labels = {j["kind"]: j["label"] for j in store.judgements()}
    assert labels["pairwise"] == {"winner": 1, "tie": False, "strength": None, "skip": False}
    assert labels["ranking"]["top_k"] is None and labels["step"] == {"skip": True}


def test_opening_for_reading_never_creates(tmp_path):
    missing = tmp_path / "typo.db"
    with pytest.raises(UserError, match="typo.db: no such annotation store"):
        AnnotationStore(missing, create=False)
    assert not missing.exists() and os.listdir(tmp_path) == []
    for command in (["annotate", "export", str(missing), "--out", str(tmp_path / "o.jsonl")],
                    ["annotate", "report", str(missing)]):
        assert main(command) == 2
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("content", [b"", b"not a database at all\n" * 10, b'{"prompt": "p"}\n'])
def test_a_file_that_is_not_a_store_is_refused_and_left_alone(tmp_path, content, capsys):
    path = tmp_path / "labels.db"
    path.write_bytes(content)
    assert main(["annotate", "report", str(path)]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "labels.db: not an annotation store" in error
    assert path.read_bytes() == content


def test_a_foreign_sqlite_database_is_not_written_into(tmp_path):
    import sqlite3

    path = tmp_path / "other.db"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE things (x)")
    before = path.read_bytes()
    with pytest.raises(UserError, match="not an annotation store"):
        AnnotationStore(path)  # even for writing: the schema never goes into someone else's file
    assert path.read_bytes() == before


def _digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_export_without_kind_exports_the_one_kind_or_asks(tmp_path, capsys):
    path = tmp_path / "s.db"
    with AnnotationStore(path) as store:
        store.register_tasks([PAIR], "pairwise")
        store.register_tasks([LIST], "ranking")
        store.add("p1", "pairwise", "ann", {"winner": 0}, [0, 1])
    out = tmp_path / "out.jsonl"
    assert main(["annotate", "export", str(path), "--out", str(out)]) == 0
    assert "1 pairwise records" in capsys.readouterr().out and out.read_text().count("\n") == 1
    with AnnotationStore(path) as store:
        store.add("r1", "ranking", "ann", {"labels": [1, 2, 3]}, [0, 1, 2])
    before = _digest(out)
    assert main(["annotate", "export", str(path), "--out", str(out)]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "holds pairwise, ranking judgements; pass --kind" in error
    assert _digest(out) == before


def test_export_of_nothing_or_a_failing_export_leaves_the_old_file(tmp_path, store, monkeypatch, capsys):
    store.add("p1", "pairwise", "ann", {"winner": 0}, [0, 1])
    for suffix in (".jsonl", ".parquet"):
        out = tmp_path / f"old{suffix}"
        out.write_text("the user's previous export\n")
        assert main(["annotate", "export", str(store.path), "--kind", "step", "--out", str(out)]) == 2
        assert "holds no step judgements" in capsys.readouterr().err
        assert out.read_text() == "the user's previous export\n"

    from workbench.annotate import records

    good = records.to_records(store, "pairwise")
    monkeypatch.setattr(records, "to_records", lambda *a, **k: good + [{"bad": object()}])
    out = tmp_path / "old.jsonl"
    with pytest.raises(TypeError):  # a bug mid-write (not the user's mistake) keeps its traceback...
        main(["annotate", "export", str(store.path), "--kind", "pairwise", "--out", str(out)])
    assert out.read_text() == "the user's previous export\n"  # ...and the old file
    assert sorted(p.name for p in tmp_path.iterdir() if "partial" in p.name) == []


def test_serve_reports_a_store_it_cannot_open_before_serving(tmp_path, capsys):
    tasks = tmp_path / "tasks.jsonl"
    tasks.write_text('{"id": "a", "prompt": "p", "responses": ["x", "y"]}\n')
    bad = tmp_path / "labels.db"
    bad.write_text("a text file, not a store\n")
    assert main(["annotate", "serve", str(tasks), "--store", str(bad), "--kind", "pairwise",
                 "--print-command"]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "labels.db: not an annotation store" in error
    assert not (tmp_path / "labels_voila").exists()


SERVER = textwrap.dedent("""
    import sys
    from workbench.annotate.cli import run_server
    sys.exit(run_server([sys.executable, "-c", "import os, time; print(os.getpid(), flush=True); time.sleep(120)"]))
""")


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_stopping_serve_stops_its_server(stop):
    workbench = subprocess.Popen([sys.executable, "-c", SERVER], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 text=True, env={**os.environ, "PYTHONPATH": os.getcwd()})
    server_pid = int(workbench.stdout.readline())
    workbench.send_signal(stop)
    assert workbench.wait(timeout=30) == 130
    error = workbench.stderr.read()
    assert "stopped serving" in error and "Traceback" not in error
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(server_pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)
    os.kill(server_pid, signal.SIGKILL)
    pytest.fail("the server outlived `workbench annotate serve`")
