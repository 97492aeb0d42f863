"""Annotation tasks: validation before anything is shown, and per-annotator shuffling.

Task formats (one dict per task; ``id`` defaults to the row index as a string):

* pairwise: ``{"id", "prompt", "responses": [a, b]}`` (exactly two responses)
* ranking:  ``{"id", "prompt", "responses": [r_0, ..., r_{K-1}]}`` with K >= 2 (the
  annotation kind ``"ranking"`` is what records call ``"listwise"``: its export is a
  :class:`workbench.data.RankedList`)
* step:     ``{"id", "prompt", "steps": [s_0, ..., s_{S-1}]}`` (``completions`` is
  accepted as a synonym, the record column name of step-labelled data)

Randomisation: each annotator sees the tasks, and the items inside a task
(responses; A/B sides), in an order drawn from ``numpy.random.default_rng``
seeded with ``(seed, crc32(annotator), crc32(task_id))``. The seed and the
order as shown are stored with every judgement, so any session can be replayed.
"""
from __future__ import annotations

import zlib
from pathlib import Path

import numpy as np

from workbench.data.jsonl import read_json, read_jsonl
from workbench.errors import UserError

from .store import KINDS


def load_tasks(source, kind: str) -> list[dict]:
    """Tasks from a list of dicts, a pandas DataFrame, a datasets.Dataset or a
    JSON/JSONL file path; validated (see :func:`validate_tasks`).

    A file that is missing or not valid JSON raises :class:`~workbench.errors.UserError`
    naming the file and the 1-based line (:func:`workbench.data.jsonl.read_jsonl`).
    """
    if isinstance(source, (str, Path)):
        path = Path(source)
        if path.name.endswith((".jsonl", ".jsonl.gz")):
            rows = read_jsonl(path, item="task")  # "task i": the index validate_tasks names
        else:
            rows = read_json(path)
            if not isinstance(rows, list):
                raise UserError(f"{path}: expected a JSON list of tasks, got {type(rows).__name__}")
    elif hasattr(source, "to_dict") and hasattr(source, "columns"):  # pandas
        rows = source.to_dict(orient="records")
    elif hasattr(source, "column_names"):  # datasets.Dataset
        rows = list(source)
    else:
        rows = list(source)
    return validate_tasks(rows, kind)


def validate_tasks(tasks: list[dict], kind: str) -> list[dict]:
    """Check and normalise tasks; raise ValueError naming the task index and field.

    Refused: no tasks, a task that is not a dict, duplicate ids, a missing or
    non-string prompt, fewer than 2 responses (or not exactly 2 for pairwise),
    an empty or non-string response/step, no steps.
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    if len(tasks) == 0:
        raise ValueError("no tasks given")
    seen: dict[str, int] = {}
    out = []
    for index, task in enumerate(tasks):
        if not isinstance(task, dict):
            raise ValueError(f"task {index}: expected a dict, got {type(task).__name__}")
        task_id = str(task.get("id", index))
        if task_id in seen:
            raise ValueError(f"task {index} (field 'id'): duplicate id {task_id!r}, "
                             f"already used by task {seen[task_id]}")
        seen[task_id] = index
        prompt = task.get("prompt", "")
        if not isinstance(prompt, str):
            raise ValueError(f"task {index} (id={task_id!r}, field 'prompt'): expected a string")
        clean = {"id": task_id, "prompt": prompt}
        if kind == "step":
            field = "steps" if "steps" in task else "completions"
            clean["steps"] = _texts(task.get(field), index, task_id, field, minimum=1)
        else:
            responses = _texts(task.get("responses"), index, task_id, "responses", minimum=2)
            if kind == "pairwise" and len(responses) != 2:
                raise ValueError(f"task {index} (id={task_id!r}, field 'responses'): a pairwise "
                                 f"task needs exactly 2 responses, got {len(responses)}")
            clean["responses"] = responses
        # anything else (judge scores, sources...) rides along under "meta", unshown
        extra = {k: v for k, v in task.items() if k not in ("id", "prompt", "responses", "steps",
                                                              "completions", "meta")}
        meta = {**(task.get("meta") or {}), **extra}
        if meta:
            clean["meta"] = meta
        out.append(clean)
    return out


def _texts(value, index: int, task_id: str, field: str, *, minimum: int) -> list[str]:
    if value is None or isinstance(value, str) or not hasattr(value, "__len__"):
        raise ValueError(f"task {index} (id={task_id!r}, field {field!r}): expected a list of "
                         f"strings, got {type(value).__name__}")
    value = list(value)
    if len(value) < minimum:
        raise ValueError(f"task {index} (id={task_id!r}, field {field!r}): needs at least "
                         f"{minimum} item(s), got {len(value)}")
    for position, text in enumerate(value):
        if not isinstance(text, str):
            raise ValueError(f"task {index} (id={task_id!r}, field {field!r}[{position}]): "
                             f"expected a string, got {type(text).__name__}")
        if not text.strip():
            raise ValueError(f"task {index} (id={task_id!r}, field {field!r}[{position}]): "
                             "empty text")
    return value


def stable_hash(text: str) -> int:
    """crc32 of the UTF-8 text: stable across processes (unlike ``hash``)."""
    return zlib.crc32(text.encode("utf-8"))


def task_order(tasks: list[dict], annotator: str, seed: int, *, shuffle: bool = True) -> list[int]:
    """Indices of ``tasks`` in the order this annotator sees them."""
    if not shuffle:
        return list(range(len(tasks)))
    rng = np.random.default_rng([seed, stable_hash(annotator)])
    return [int(i) for i in rng.permutation(len(tasks))]


def item_order(task: dict, annotator: str, seed: int, *, shuffle: bool = True) -> list[int]:
    """Original indices of the task's responses in the order shown (steps never move)."""
    n = len(task["steps"]) if "steps" in task else len(task["responses"])
    if not shuffle or "steps" in task:
        return list(range(n))
    rng = np.random.default_rng([seed, stable_hash(annotator), stable_hash(task["id"])])
    return [int(i) for i in rng.permutation(n)]
