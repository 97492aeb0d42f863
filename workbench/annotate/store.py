"""The annotation store: every judgement on disk the moment it is submitted.

Choice: **SQLite in WAL mode** (not an append-only JSONL file), because

* a commit is atomic: a process killed mid-write (SIGKILL, kernel restart,
  power cut) leaves either the whole judgement or none of it, never a torn
  half-line that a reader must learn to skip;
* several annotators in separate processes (notebook kernels, Voila pages)
  write to one file safely: SQLite serialises writers with a file lock and
  a writer waits for its turn (short retries) instead of failing, while
  WAL lets readers (the exporter, the agreement report) run during writes;
* resuming ("which tasks has this annotator done?") and undo are indexed
  queries, not a rescan of the whole history;
* ``synchronous=FULL`` fsyncs the WAL on every commit, so "submitted" means
  "on disk", the same guarantee as write + flush + fsync on a JSONL file.

The cost: the file is binary (``export_jsonl`` gives the readable form) and
WAL needs a local filesystem (not NFS), as SQLite documents.

Nothing is ever deleted. Undo marks a judgement ``undone_at`` and keeps the
row, so the full history of an annotation session stays auditable.

Schema (one row per submitted judgement)::

    judgements(id, task_id, kind, annotator, label JSON, shown_order JSON,
               seed, duration_s, submitted_at, undone_at)
    tasks(task_id, kind, payload JSON)      -- the task as given, for export

``label`` is in terms of the task's *original* item order; ``shown_order``
lists the original indices in the order the annotator saw them.
"""
from __future__ import annotations

import json
import random
import sqlite3
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

# The kinds of task a judgement is about. "ranking" is the annotation word for what the
# records (workbench.data) call "listwise": a ranking task's export is a RankedList record.
KINDS = ("pairwise", "ranking", "step")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS tasks (
    task_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    PRIMARY KEY (task_id, kind)
);
CREATE TABLE IF NOT EXISTS judgements (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    task_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    annotator TEXT NOT NULL,
    label TEXT NOT NULL,
    shown_order TEXT NOT NULL,
    seed INTEGER,
    duration_s REAL,
    submitted_at REAL NOT NULL,
    undone_at REAL
);
CREATE INDEX IF NOT EXISTS judgements_by_annotator ON judgements (annotator, kind, undone_at);
CREATE INDEX IF NOT EXISTS judgements_by_task ON judgements (task_id, kind);
"""


class AnnotationStore:
    """A durable, multi-process store of annotation judgements (SQLite, WAL).

    >>> import tempfile, os
    >>> store = AnnotationStore(os.path.join(tempfile.mkdtemp(), "s.db"))
    >>> jid = store.add("t1", "pairwise", "ann", {"choice": "A", "winner": 0}, [0, 1])
    >>> [j["task_id"] for j in store.judgements()]
    ['t1']
    """

    def __init__(self, path: str | Path, *, timeout_s: float = 60.0):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.timeout_s = timeout_s
        # isolation_level=None: we issue BEGIN IMMEDIATE ourselves, so a writer
        # takes the lock before reading and two writers never deadlock on upgrade.
        self._conn = sqlite3.connect(str(self.path), timeout=timeout_s, isolation_level=None,
                                     check_same_thread=False)
        self._conn.execute(f"PRAGMA busy_timeout={int(timeout_s * 1000)}")
        mode = self._conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        if mode.lower() != "wal":
            raise RuntimeError(f"{self.path}: SQLite refused WAL mode (got {mode!r}); "
                               "is the file on a network filesystem?")
        self._conn.execute("PRAGMA synchronous=FULL")
        for statement in _SCHEMA.strip().split(";"):
            if statement.strip():
                self._conn.execute(statement)
        # From here on writers wait in _begin and readers in _read (short retries):
        # SQLite's own busy handler sleeps up to 100 ms at a time.
        self._conn.execute("PRAGMA busy_timeout=0")

    # -- writing -------------------------------------------------------------
    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Cursor]:
        cur = self._conn.cursor()
        self._begin(cur)
        try:
            yield cur
        except BaseException:
            cur.execute("ROLLBACK")
            raise
        cur.execute("COMMIT")

    def _read(self, sql: str, params: tuple = ()) -> list[tuple]:
        """A read query, retried while a checkpoint briefly holds the database busy."""
        deadline = time.monotonic() + self.timeout_s
        while True:
            try:
                return self._conn.execute(sql, params).fetchall()
            except sqlite3.OperationalError as error:
                if ("locked" not in str(error) and "busy" not in str(error)) or time.monotonic() > deadline:
                    raise
                time.sleep(random.uniform(0.0002, 0.002))

    def _begin(self, cur: sqlite3.Cursor) -> None:
        """Take the write lock, retrying every ~1 ms while another process holds it.

        SQLite's own busy handler backs off to 100 ms sleeps, which halves the
        throughput of two busy writers; short randomised retries keep the lock
        handed over as soon as a commit's fsync is done.
        """
        deadline = time.monotonic() + self.timeout_s
        while True:
            try:
                cur.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as error:
                if "locked" not in str(error) and "busy" not in str(error):
                    raise
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{self.path}: another writer held the lock for "
                                       f"{self.timeout_s:.0f}s") from error
                time.sleep(random.uniform(0.0002, 0.002))

    def register_tasks(self, tasks: list[dict], kind: str) -> None:
        """Remember the tasks (prompt, responses/steps) so exports can rebuild records.

        A task id already stored with a *different* payload raises ValueError:
        two task files that disagree about what ``id`` means would make every
        judgement on it ambiguous.
        """
        _check_kind(kind)
        with self._transaction() as cur:
            for index, task in enumerate(tasks):
                payload = json.dumps(task, sort_keys=True, ensure_ascii=False)
                row = cur.execute("SELECT payload FROM tasks WHERE task_id=? AND kind=?",
                                  (str(task["id"]), kind)).fetchone()
                if row is None:
                    cur.execute("INSERT INTO tasks (task_id, kind, payload) VALUES (?, ?, ?)",
                                (str(task["id"]), kind, payload))
                elif row[0] != payload:
                    raise ValueError(f"task {index} (id={task['id']!r}): the store {self.path} "
                                     "already holds a different task with this id")

    def add(self, task_id: str, kind: str, annotator: str, label: dict, shown_order: list,
            *, seed: int | None = None, duration_s: float | None = None) -> int:
        """Persist one judgement (committed and fsynced on return); returns its row id."""
        _check_kind(kind)
        if not annotator:
            raise ValueError("annotator must be a non-empty name")
        with self._transaction() as cur:
            cur.execute(
                "INSERT INTO judgements (task_id, kind, annotator, label, shown_order, seed,"
                " duration_s, submitted_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (str(task_id), kind, annotator, json.dumps(label), json.dumps(list(shown_order)),
                 seed, duration_s, time.time()))
            return int(cur.lastrowid)

    def undo_last(self, annotator: str, kind: str) -> dict | None:
        """Mark the annotator's latest live judgement of this kind as undone; return it."""
        with self._transaction() as cur:
            row = cur.execute(
                "SELECT id FROM judgements WHERE annotator=? AND kind=? AND undone_at IS NULL"
                " ORDER BY id DESC LIMIT 1", (annotator, kind)).fetchone()
            if row is None:
                return None
            cur.execute("UPDATE judgements SET undone_at=? WHERE id=?", (time.time(), row[0]))
        return self.judgement(row[0])

    # -- reading -------------------------------------------------------------
    def judgement(self, judgement_id: int) -> dict:
        rows = self._select("WHERE id=?", (judgement_id,), include_undone=True)
        if not rows:
            raise KeyError(judgement_id)
        return rows[0]

    def judgements(self, kind: str | None = None, annotator: str | None = None, *,
                   include_undone: bool = False, latest_only: bool = True) -> list[dict]:
        """Judgements in submission order.

        ``latest_only``: when an annotator judged one task more than once (after
        an undo, or from two windows), keep only their latest live judgement.
        """
        clauses, params = [], []
        if kind is not None:
            clauses.append("kind=?")
            params.append(kind)
        if annotator is not None:
            clauses.append("annotator=?")
            params.append(annotator)
        where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
        rows = self._select(where, tuple(params), include_undone=include_undone)
        if latest_only and not include_undone:
            latest: dict[tuple, dict] = {}
            for row in rows:
                latest[(row["task_id"], row["kind"], row["annotator"])] = row
            keep = {id(r) for r in latest.values()}
            rows = [r for r in rows if id(r) in keep]
        return rows

    def done_task_ids(self, annotator: str, kind: str) -> set[str]:
        """Tasks this annotator has a live judgement for (skips included): resume point."""
        rows = self._read(
            "SELECT DISTINCT task_id FROM judgements WHERE annotator=? AND kind=?"
            " AND undone_at IS NULL", (annotator, kind))
        return {r[0] for r in rows}

    def tasks(self, kind: str) -> dict[str, dict]:
        rows = self._read("SELECT task_id, payload FROM tasks WHERE kind=?", (kind,))
        return {task_id: json.loads(payload) for task_id, payload in rows}

    def annotators(self, kind: str | None = None) -> list[str]:
        sql = "SELECT DISTINCT annotator FROM judgements WHERE undone_at IS NULL"
        params: tuple = ()
        if kind is not None:
            sql += " AND kind=?"
            params = (kind,)
        return sorted(r[0] for r in self._read(sql, params))

    def __len__(self) -> int:
        return int(self._read("SELECT COUNT(*) FROM judgements WHERE undone_at IS NULL")[0][0])

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> "AnnotationStore":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def _select(self, where: str, params: tuple, *, include_undone: bool) -> list[dict]:
        if not include_undone:
            where = (where + " AND" if where else "WHERE") + " undone_at IS NULL"
        rows = self._read(
            "SELECT id, task_id, kind, annotator, label, shown_order, seed, duration_s,"
            f" submitted_at, undone_at FROM judgements {where} ORDER BY id", params)
        return [{"id": r[0], "task_id": r[1], "kind": r[2], "annotator": r[3],
                 "label": json.loads(r[4]), "shown_order": json.loads(r[5]), "seed": r[6],
                 "duration_s": r[7], "submitted_at": r[8], "undone_at": r[9]}
                for r in rows]


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
