"""Typed preference records, loading from any source, and validation that names row and field.

Pairwise records follow TRL's preference formats: ``chosen`` / ``rejected`` as
text (implicit prompt: both share it as a prefix) or as chat message lists,
an optional explicit ``prompt`` (text or messages), optional ``margin``
(float, TRL's margin column) and ``tie`` (bool). Listwise records hold a
``prompt``, K ``responses``, K graded ``labels`` (higher = better, equal =
tie) and an optional ``top_k`` (only the best ``top_k`` places were ranked).
"""
from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Sequence, Union

from workbench.data import jsonl
from workbench.errors import UserError

Message = dict  # {"role": str, "content": str}
Text = Union[str, list]  # a string, or a list of chat messages

MAX_ERRORS_SHOWN = 20


@dataclass(frozen=True)
class PreferencePair:
    """One pairwise judgement: ``chosen`` preferred to ``rejected`` (or a tie)."""

    chosen: Text
    rejected: Text
    prompt: Text | None = None  # None: implicit prompt (the shared prefix) or none
    margin: float | None = None  # how much better chosen is (TRL margin), None = no margin
    tie: bool = False  # the two were judged equal


@dataclass(frozen=True)
class RankedList:
    """One listwise judgement: K responses to one prompt with graded labels."""

    prompt: Text
    responses: list
    labels: list  # K numbers, higher = better, equal = tie
    top_k: int | None = None  # only the best top_k places are ranked; None = full ranking


def rows_from(source: Any, *, split: str = "train") -> list[dict]:
    """Rows as dicts from a ``datasets.Dataset``/``DatasetDict``, pandas frame, list of dicts or a file.

    Files: ``.jsonl``, ``.jsonl.gz``, ``.json`` (a list), ``.parquet``, ``.csv``. A string that
    is not an existing path is treated as a Hugging Face dataset id (the only case that
    may download: the user named a remote dataset).
    """
    return _rows_and_places(source, split)[0]


def _rows_and_places(source: Any, split: str) -> tuple[list[dict], list[str] | None]:
    """Rows, and for a file, where each row is (``file:line`` for JSONL, the file otherwise)."""
    if isinstance(source, (list, tuple)):
        return [dict(r) for r in source], None
    if hasattr(source, "to_dict") and hasattr(source, "columns") and hasattr(source, "iloc"):
        return [{k: _from_pandas(v) for k, v in r.items()} for r in source.to_dict("records")], None
    if hasattr(source, "keys") and hasattr(source, "values") and not isinstance(source, dict):
        if split not in source:  # DatasetDict
            raise UserError(f"split {split!r} not in dataset splits {list(source.keys())}")
        source = source[split]
    if hasattr(source, "to_list") and hasattr(source, "features"):
        return source.to_list(), None
    if isinstance(source, (str, Path)):
        return _rows_from_path(source, split)
    raise TypeError(f"cannot read records from {type(source).__name__}")


def _from_pandas(value):
    """numpy arrays -> lists; a scalar NaN / pd.NA (pandas' "missing" in a sparse column) -> None."""
    if hasattr(value, "tolist") and not isinstance(value, (str, bytes)):
        value = value.tolist()
        return None if isinstance(value, float) and math.isnan(value) else value
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    try:
        import pandas as pd

        if value is pd.NA:
            return None
    except ImportError:  # pragma: no cover
        pass
    return value


def _rows_from_path(source: str | Path, split: str) -> tuple[list[dict], list[str] | None]:
    path = Path(source)
    name = path.name
    if path.is_file():
        if name.endswith((".jsonl", ".jsonl.gz")):
            numbered = list(jsonl.iter_jsonl(path, item="row"))
            return [row for _, row in numbered], [f"{path}:{number}" for number, _ in numbered]
        if name.endswith(".json"):
            data = jsonl.read_json(path)
            if not isinstance(data, list):
                raise UserError(f"{path}: expected a JSON list of records, got {type(data).__name__}")
            return data, [str(path)] * len(data)
        if name.endswith((".parquet", ".csv")):
            import pandas as pd

            frame = pd.read_parquet(path) if name.endswith(".parquet") else pd.read_csv(path)
            rows = rows_from(frame)
            return rows, [str(path)] * len(rows)
        raise UserError(f"{path}: unknown file type (use .jsonl, .jsonl.gz, .json, .parquet, .csv)")
    if path.exists() or str(source).startswith((".", "/")):
        raise jsonl.MissingFileError(f"no data file at {path}")
    from datasets import load_dataset

    return load_dataset(str(source), split=split).to_list(), None


def detect_kind(rows: list[dict]) -> str:
    """``pairwise`` if rows have ``chosen``, ``listwise`` if they have ``responses``."""
    if not rows:
        raise UserError("no records")
    keys = set(rows[0])
    if "responses" in keys:
        return "listwise"
    if "chosen" in keys or "rejected" in keys:
        return "pairwise"
    raise UserError(f"row 0: cannot tell the record kind from columns {sorted(keys)}; "
                     "pairwise needs chosen/rejected, listwise needs prompt/responses/labels")


def load_records(source: Any, kind: str = "auto", *, split: str = "train") -> list:
    """Validated :class:`PreferencePair` or :class:`RankedList` records from any source.

    Raises :class:`~workbench.errors.UserError` (a ValueError) listing every bad record as
    ``row i, field 'name': problem`` (row counted from 0), led by ``file:line`` (line
    counted from 1) when the rows come from a JSONL file.
    """
    rows, places = _rows_and_places(source, split)
    kind = detect_kind(rows) if kind == "auto" else kind
    if kind == "pairwise":
        return validate_pairwise(rows, places=places)
    if kind == "listwise":
        return validate_listwise(rows, places=places)
    raise UserError(f"kind must be 'auto', 'pairwise' or 'listwise', got {kind!r}")


class _Errors:
    """Collects every bad field; ``places[i]`` (``file:line``) leads row i's messages when known."""

    def __init__(self, places: Sequence[str] | None = None):
        self.items: list[str] = []
        self.places = places

    def add(self, row: int, field: str, problem: str) -> None:
        place = f"{self.places[row]}: " if self.places is not None and row < len(self.places) else ""
        self.items.append(f"{place}row {row}, field {field!r}: {problem}")

    def raise_if_any(self, what: str) -> None:
        if self.items:
            shown = "\n  ".join(self.items[:MAX_ERRORS_SHOWN])
            more = len(self.items) - MAX_ERRORS_SHOWN
            tail = f"\n  ... and {more} more" if more > 0 else ""
            raise UserError(f"{len(self.items)} bad {what} record field(s):\n  {shown}{tail}")


def _check_text(value, row: int, field: str, errors: _Errors, *, required: bool = True) -> bool:
    if value is None:
        if required:
            errors.add(row, field, "missing")
        return not required
    if isinstance(value, str):
        if not value.strip():
            errors.add(row, field, "empty text")
            return False
        return True
    if isinstance(value, (list, tuple)):
        if not value:
            errors.add(row, field, "empty message list")
            return False
        for j, m in enumerate(value):
            if not (isinstance(m, dict) and isinstance(m.get("role"), str)
                    and isinstance(m.get("content"), str)):
                errors.add(row, field, f"message {j} is not a {{'role': str, 'content': str}} dict")
                return False
        if not any(str(m["content"]).strip() for m in value):
            errors.add(row, field, "all messages are empty")
            return False
        return True
    errors.add(row, field, f"expected text or a list of chat messages, got {type(value).__name__}")
    return False


def _is_number(x) -> bool:
    return isinstance(x, numbers.Real) and not isinstance(x, bool)


def validate_pairwise(rows: Iterable[dict], *, places: Sequence[str] | None = None) -> list[PreferencePair]:
    """Rows -> :class:`PreferencePair` list; every bad field of every row is reported at once.

    places: where each row came from (``file:line``), to lead its messages; None for in-memory rows.
    """
    errors, records = _Errors(places), []
    for i, row in enumerate(rows):
        if not isinstance(row, dict):
            errors.add(i, "*", f"expected a dict, got {type(row).__name__}")
            continue
        ok = _check_text(row.get("chosen"), i, "chosen", errors)
        ok &= _check_text(row.get("rejected"), i, "rejected", errors)
        ok &= _check_text(row.get("prompt"), i, "prompt", errors, required=False)
        margin = row.get("margin")
        if margin is not None and not (_is_number(margin) and math.isfinite(margin)):
            errors.add(i, "margin", f"expected a finite number, got {margin!r}")
            ok = False
        tie = row.get("tie")
        if tie is not None and not isinstance(tie, bool) and type(tie).__name__ != "bool_":
            errors.add(i, "tie", f"expected a bool, got {tie!r}")
            ok = False
        if ok:
            records.append(PreferencePair(
                chosen=row["chosen"], rejected=row["rejected"], prompt=row.get("prompt"),
                margin=None if margin is None else float(margin), tie=bool(tie) if tie is not None else False))
    errors.raise_if_any("pairwise")
    return records


def validate_listwise(rows: Iterable[dict], *, places: Sequence[str] | None = None) -> list[RankedList]:
    """Rows -> :class:`RankedList` list; checks K >= 2, label count = K, numeric finite labels, top_k.

    places: as in :func:`validate_pairwise`.
    """
    errors, records = _Errors(places), []
    for i, row in enumerate(rows):
        if not isinstance(row, dict):
            errors.add(i, "*", f"expected a dict, got {type(row).__name__}")
            continue
        ok = _check_text(row.get("prompt"), i, "prompt", errors)
        responses, labels = row.get("responses"), row.get("labels")
        if not isinstance(responses, (list, tuple)) or len(responses) < 2:
            errors.add(i, "responses", "expected a list of at least 2 responses"
                       if responses is not None else "missing")
            ok = False
        else:
            for k, r in enumerate(responses):
                ok &= _check_text(r, i, f"responses[{k}]", errors)
        ok &= _check_labels(labels, responses, i, errors)
        top_k = row.get("top_k")
        integral = _is_number(top_k) and math.isfinite(top_k) and float(top_k).is_integer()
        if top_k is not None and not (integral and 1 <= top_k <= len(responses or [])):
            errors.add(i, "top_k", f"expected an int in [1, K], got {top_k!r}")
            ok = False
        if ok:
            records.append(RankedList(prompt=row["prompt"], responses=list(responses),
                                      labels=[float(x) for x in labels],
                                      top_k=None if top_k is None else int(top_k)))
    errors.raise_if_any("listwise")
    return records


def _check_labels(labels, responses, i: int, errors: _Errors) -> bool:
    if labels is None:
        errors.add(i, "labels", "missing")
        return False
    if not isinstance(labels, (list, tuple)):
        errors.add(i, "labels", f"expected a list of numbers, got {type(labels).__name__}")
        return False
    if isinstance(responses, (list, tuple)) and len(labels) != len(responses):
        errors.add(i, "labels", f"{len(labels)} labels for K={len(responses)} responses")
        return False
    for k, x in enumerate(labels):
        if not _is_number(x):
            errors.add(i, f"labels[{k}]", f"expected a number, got {type(x).__name__} {x!r}")
            return False
        if not math.isfinite(x):
            errors.add(i, f"labels[{k}]", f"not finite ({x!r})")
            return False
    return True


def pairs_from_list(record: RankedList, *, include_ties: bool = False) -> list[PreferencePair]:
    """The pairwise expansion of a ranked list: every pair the ranking orders (better one as chosen).

    With ``top_k`` set, pairs of two unranked responses (both outside the best
    ``top_k``) are unknown and left out. Equal labels give ``tie=True`` pairs, kept
    only with ``include_ties``.
    """
    k = len(record.responses)
    order = sorted(range(k), key=lambda j: -record.labels[j])
    ranked = set(order[: record.top_k]) if record.top_k is not None else set(range(k))
    pairs = []
    for a in range(k):
        for b in range(a + 1, k):
            if a not in ranked and b not in ranked:
                continue
            tie = record.labels[a] == record.labels[b]
            if tie and not include_ties:
                continue
            hi, lo = (a, b) if record.labels[a] >= record.labels[b] else (b, a)
            pairs.append(PreferencePair(chosen=record.responses[hi], rejected=record.responses[lo],
                                        prompt=record.prompt, tie=tie))
    return pairs


def write_jsonl(records: Iterable, path: str | Path) -> Path:
    """Write records (dataclasses or dicts) as JSON lines, leaving out fields that are None.

    Written through :func:`workbench.data.jsonl.write_jsonl`: to a temporary file renamed
    over ``path`` at the end, so a failing write never empties an existing file.
    """
    from dataclasses import asdict, is_dataclass

    rows = (asdict(r) if is_dataclass(r) else dict(r) for r in records)
    return jsonl.write_jsonl(({k: v for k, v in row.items() if v is not None} for row in rows), path)
