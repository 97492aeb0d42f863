"""AnnotationStore: durability, resume, undo history, crash safety, concurrent writers."""
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time

import pytest

from workbench.annotate import AnnotationStore


def test_add_read_and_undo_keeps_history(tmp_path):
    store = AnnotationStore(tmp_path / "s.db")
    first = store.add("a", "ranking", "ann", {"labels": [2, 1]}, [1, 0], seed=5, duration_s=2.5)
    store.add("b", "ranking", "ann", {"labels": [1, 2]}, [0, 1])
    undone = store.undo_last("ann", "ranking")
    assert undone["task_id"] == "b" and undone["undone_at"] is not None
    live = store.judgements("ranking")
    assert [j["id"] for j in live] == [first]
    assert live[0]["shown_order"] == [1, 0] and live[0]["seed"] == 5 and live[0]["duration_s"] == 2.5
    assert len(store.judgements("ranking", include_undone=True)) == 2   # nothing deleted
    assert store.done_task_ids("ann", "ranking") == {"a"}


def test_reopen_sees_everything(tmp_path):
    path = tmp_path / "s.db"
    with AnnotationStore(path) as store:
        for i in range(5):
            store.add(f"t{i}", "pairwise", "bob", {"winner": 0}, [0, 1])
    with AnnotationStore(path) as store:
        assert store.done_task_ids("bob", "pairwise") == {f"t{i}" for i in range(5)}
        assert len(store) == 5


def test_latest_judgement_wins_per_annotator(tmp_path):
    store = AnnotationStore(tmp_path / "s.db")
    store.add("t", "pairwise", "ann", {"winner": 0}, [0, 1])
    store.add("t", "pairwise", "ann", {"winner": 1}, [0, 1])
    assert [j["label"]["winner"] for j in store.judgements("pairwise")] == [1]


def test_conflicting_task_ids_refused(tmp_path):
    store = AnnotationStore(tmp_path / "s.db")
    store.register_tasks([{"id": "x", "prompt": "p", "responses": ["a", "b"]}], "pairwise")
    store.register_tasks([{"id": "x", "prompt": "p", "responses": ["a", "b"]}], "pairwise")
    with pytest.raises(ValueError, match="task 0 .*'x'.*different task"):
        store.register_tasks([{"id": "x", "prompt": "p", "responses": ["a", "c"]}], "pairwise")


def test_bad_kind_and_annotator(tmp_path):
    store = AnnotationStore(tmp_path / "s.db")
    with pytest.raises(ValueError, match="kind"):
        store.add("t", "likert", "ann", {}, [])
    with pytest.raises(ValueError, match="annotator"):
        store.add("t", "pairwise", "", {}, [])


WIDGET_RUN = textwrap.dedent("""
    import sys
    from workbench.annotate import RankingAnnotator
    n = int(sys.argv[3])
    tasks = [{"id": f"task{i}", "prompt": "p", "responses": ["a", "b", "c"]} for i in range(n)]
    widget = RankingAnnotator(tasks, sys.argv[1], sys.argv[2], shuffle=False)
    if len(sys.argv) > 4:  # a start barrier: write only once every writer is ready
        import pathlib, time
        barrier, writers = pathlib.Path(sys.argv[4]), int(sys.argv[5])
        (barrier / sys.argv[2]).touch()
        deadline = time.monotonic() + 120
        while len(list(barrier.iterdir())) < writers and time.monotonic() < deadline:
            time.sleep(0.01)
    for nonce in range(n):
        task_id = widget.current["id"]
        widget.submission = {"action": "submit", "nonce": nonce, "groups": [[2], [0, 1]]}
        assert widget.last_error is None, widget.last_error
        print(task_id.removeprefix("task"), flush=True)   # acknowledged only after the store returned
""")


@pytest.mark.slow  # a writer process killed mid-run
def test_sigkill_mid_run_loses_no_submitted_judgement(tmp_path):
    """An annotation run (a widget fed submissions as the front end would) is killed
    with SIGKILL while it keeps submitting: every acknowledged judgement is there."""
    path = tmp_path / "s.db"
    proc = subprocess.Popen([sys.executable, "-c", WIDGET_RUN, str(path), "ann", "5000"],
                            stdout=subprocess.PIPE, text=True)
    acknowledged = []
    deadline = time.monotonic() + 120
    while len(acknowledged) < 50 and time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        acknowledged.append(int(line))
    proc.send_signal(signal.SIGKILL)       # mid-run: the writer is busy committing more
    proc.wait()
    assert len(acknowledged) == 50 and proc.returncode == -signal.SIGKILL
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()
    store = AnnotationStore(path)
    stored = store.done_task_ids("ann", "ranking")
    assert {f"task{i}" for i in acknowledged} <= stored
    # every stored row is whole: parsable label and order
    assert all(j["label"]["labels"] == [1, 1, 2] and j["shown_order"] == [0, 1, 2]
               for j in store.judgements())
    # reopening resumes right after the last judgement that reached the store
    from workbench.annotate import RankingAnnotator

    tasks = [{"id": f"task{i}", "prompt": "p", "responses": ["a", "b", "c"]} for i in range(5000)]
    resumed = RankingAnnotator(tasks, store, "ann", shuffle=False)
    assert resumed.progress["done"] == len(stored)
    assert resumed.current["id"] == f"task{len(stored)}"


@pytest.mark.slow  # two writer processes
def test_two_writer_processes_at_once(tmp_path):
    """Two annotators' widgets in separate processes submit into one store at once."""
    path = tmp_path / "s.db"
    AnnotationStore(path).close()
    n = 120
    barrier = tmp_path / "barrier"
    barrier.mkdir()
    # both start writing together, whatever their import times, so the writes overlap
    procs = [subprocess.Popen([sys.executable, "-c", WIDGET_RUN, str(path), name, str(n), str(barrier), "2"],
                              stdout=subprocess.DEVNULL) for name in ("alice", "bob")]
    assert [p.wait(timeout=180) for p in procs] == [0, 0]
    store = AnnotationStore(path)
    for name in ("alice", "bob"):
        assert store.done_task_ids(name, "ranking") == {f"task{i}" for i in range(n)}
    assert len(store.judgements(include_undone=True)) == 2 * n
    # the writes really overlapped in time (otherwise this test proves nothing)
    times = {name: [j["submitted_at"] for j in store.judgements("ranking", name)] for name in ("alice", "bob")}
    assert min(times["alice"][-1], times["bob"][-1]) > max(times["alice"][0], times["bob"][0])
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()
