"""AnnotationStore (SQLite WAL, fsync per commit) against the durable-JSONL baseline.

Baseline: the other design the annotation issue allows, an append-only JSONL
file with one ``write + flush + fsync`` per judgement (the same durability per
submission), reading back by scanning the whole file.

Measured in one run, on the same disk:
1. submit: judgements per second, one writer (each durable before the next);
2. two writers: judgements per second with two processes writing at once;
3. resume: time to find the tasks an annotator has done in a store of N judgements
   (what a widget does on every task change): an indexed query vs a full JSONL scan.

Run: ``.venv/bin/python benchmarks/annotation_store.py``
"""
from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from workbench.annotate import AnnotationStore  # noqa: E402

LABEL = {"groups": [[2], [0, 3], [1]], "unranked": [], "labels": [2, 1, 3, 2], "top_k": None, "skip": False}
N_SUBMIT = 300
N_RESUME = 50_000


def jsonl_append(path: Path, n: int, annotator: str) -> None:
    with path.open("a", encoding="utf-8") as handle:
        for i in range(n):
            record = {"task_id": f"t{i}", "kind": "ranking", "annotator": annotator, "label": LABEL,
                      "shown_order": [1, 0, 3, 2], "submitted_at": time.time()}
            handle.write(json.dumps(record) + "\n")
            handle.flush()
            os.fsync(handle.fileno())


def store_append(path: Path, n: int, annotator: str) -> None:
    store = AnnotationStore(path)
    for i in range(n):
        store.add(f"t{i}", "ranking", annotator, LABEL, [1, 0, 3, 2])
    store.close()


WORKER = """
import sys
from pathlib import Path
sys.path.insert(0, {root!r})
from benchmarks.annotation_store import jsonl_append, store_append
{{"jsonl": jsonl_append, "store": store_append}}[sys.argv[1]](Path(sys.argv[2]), int(sys.argv[3]), sys.argv[4])
"""


def timed(function, *args) -> float:
    start = time.perf_counter()
    function(*args)
    return time.perf_counter() - start


def two_writers(kind: str, path: Path, n: int) -> float:
    code = WORKER.format(root=str(Path(__file__).resolve().parent.parent))
    start = time.perf_counter()
    procs = [subprocess.Popen([sys.executable, "-c", code, kind, str(path), str(n), name])
             for name in ("alice", "bob")]
    if any(p.wait() for p in procs):
        raise RuntimeError(f"a {kind} writer failed")
    return time.perf_counter() - start


def jsonl_done(path: Path, annotator: str) -> set[str]:
    done = set()
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            record = json.loads(line)
            if record["annotator"] == annotator:
                done.add(record["task_id"])
    return done


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        jsonl_s = statistics.median(timed(jsonl_append, tmp / f"a{r}.jsonl", N_SUBMIT, "ann") for r in range(3))
        store_s = statistics.median(timed(store_append, tmp / f"a{r}.db", N_SUBMIT, "ann") for r in range(3))
        print(f"submit, 1 writer ({N_SUBMIT} durable judgements, median of 3): JSONL+fsync {N_SUBMIT / jsonl_s:.0f}/s, "
              f"store {N_SUBMIT / store_s:.0f}/s, ratio store/JSONL {jsonl_s / store_s:.2f}x")
        jsonl_2 = statistics.median(two_writers("jsonl", tmp / f"two{r}.jsonl", N_SUBMIT) for r in range(3))
        store_2 = statistics.median(two_writers("store", tmp / f"two{r}.db", N_SUBMIT) for r in range(3))
        for r in range(3):
            lines = (tmp / f"two{r}.jsonl").read_text().splitlines()
            assert len(lines) == 2 * N_SUBMIT and all(json.loads(line) for line in lines)
            assert len(AnnotationStore(tmp / f"two{r}.db").judgements()) == 2 * N_SUBMIT
        print(f"submit, 2 writer processes (median of 3): JSONL+fsync {2 * N_SUBMIT / jsonl_2:.0f}/s, "
              f"store {2 * N_SUBMIT / store_2:.0f}/s, ratio {jsonl_2 / store_2:.2f}x")

        # resume on a big store: N judgements by 50 annotators, written in bulk
        big_db, big_jsonl = tmp / "big.db", tmp / "big.jsonl"
        store = AnnotationStore(big_db)
        with store._transaction() as cur:
            cur.executemany(
                "INSERT INTO judgements (task_id, kind, annotator, label, shown_order, submitted_at)"
                " VALUES (?, 'ranking', ?, ?, '[1, 0, 3, 2]', 0)",
                [(f"t{i // 50}", f"a{i % 50}", json.dumps(LABEL)) for i in range(N_RESUME)])
        with big_jsonl.open("w") as handle:
            for i in range(N_RESUME):
                handle.write(json.dumps({"task_id": f"t{i // 50}", "annotator": f"a{i % 50}", "label": LABEL}) + "\n")
        scan = statistics.median(timed(jsonl_done, big_jsonl, "a7") for _ in range(5))
        query = statistics.median(timed(store.done_task_ids, "a7", "ranking") for _ in range(5))
        assert jsonl_done(big_jsonl, "a7") == store.done_task_ids("a7", "ranking")
        print(f"resume in a store of {N_RESUME} judgements: JSONL scan {scan * 1e3:.1f} ms, "
              f"indexed query {query * 1e3:.2f} ms, ratio {scan / query:.0f}x")


if __name__ == "__main__":
    main()
