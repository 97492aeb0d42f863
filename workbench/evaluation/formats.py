"""Evaluation records in the benchmarks' own formats, read from JSONL, pandas or ``datasets``.

One in-memory shape for every format: an :class:`EvalExample` holds a prompt, the
``chosen`` responses (the correct ones, at least one) and the ``rejected`` ones, a
``subset`` name and an ``id``. Four formats are read (:func:`load_eval_set`):

* ``v1`` (RewardBench, Lambert et al. 2024): rows ``prompt, chosen, rejected, subset, id``
  with one chosen and one rejected text. Scored by the pair rule (a tie is wrong).
* ``v2`` (RewardBench 2, Malik et al. 2025): rows ``prompt, chosen: [..], rejected: [..],
  num_correct, subset, id``. Scored best-of-n; the ``Ties`` subset (ids ``ref:N`` /
  ``tied:N``, several correct answers) by its composite (:mod:`workbench.evaluation.rules`).
* ``trl``: TRL preference pairs, as :func:`workbench.data.load_records` reads them (text or
  chat messages, explicit or implicit prompt); optional ``subset`` / ``id`` columns kept.
  Pairs marked ``tie`` cannot be won or lost and are left out (counted in ``skipped``).
* ``ranked``: our ranked lists (``prompt, responses, labels``); the responses with the
  top label are the correct ones. Lists whose labels are all equal are left out.

``EvalExample.shown`` keeps each response's position in the source row (chosen first,
then rejected, for the RewardBench formats: the file layout itself puts the correct
answer first), so the first-position baseline sees the order a reader of the file saw.
Bad rows raise one :class:`~workbench.errors.UserError` listing every bad field as
``row i, field 'name': problem`` (rows counted from 0, as ``load_records`` counts them).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workbench.errors import UserError

FORMATS = ("auto", "v1", "v2", "trl", "ranked")
RULE_OF_FORMAT = {"v1": "pair", "trl": "pair", "v2": "best_of_n", "ranked": "best_of_n"}
TIES_SUBSET = "ties"  # compared case-insensitively, as RewardBench 2 does
MAX_ERRORS_SHOWN = 20
FILE_SUFFIXES = (".jsonl", ".gz", ".json", ".parquet", ".csv")


@dataclass(frozen=True)
class EvalExample:
    """One prompt with its correct (``chosen``) and incorrect (``rejected``) responses.

    ``labels``: the graded labels of ``responses`` when the source had them (ranked lists),
    else None. ``shown``: the position of each of ``responses`` in the source row.
    """

    prompt: Any  # text or chat messages; "" when the source had none
    chosen: tuple
    rejected: tuple
    subset: str = "all"
    id: str | None = None
    labels: tuple | None = None
    shown: tuple | None = None

    @property
    def responses(self) -> tuple:
        """Chosen then rejected: the order every score list follows."""
        return self.chosen + self.rejected

    @property
    def num_correct(self) -> int:
        return len(self.chosen)

    @property
    def prompt_key(self) -> str:
        """The prompt as one string: bootstrap resamples prompts, not rows."""
        return self.prompt if isinstance(self.prompt, str) else json.dumps(self.prompt, sort_keys=True)


@dataclass
class EvalSet:
    """Examples of one format; ``rule`` is ``pair`` (v1, TRL) or ``best_of_n`` (v2, ranked)."""

    examples: list[EvalExample]
    format: str
    source: str = ""
    skipped: int = 0  # rows that no rule can score (tie pairs, lists with all labels equal)
    subsets: list[str] = field(default_factory=list)

    def __post_init__(self):
        if not self.subsets:
            self.subsets = list(dict.fromkeys(ex.subset for ex in self.examples))

    @property
    def rule(self) -> str:
        return RULE_OF_FORMAT[self.format]

    def __len__(self) -> int:
        return len(self.examples)

    def subset(self, name: str) -> list[int]:
        """Indices of the examples in subset ``name``."""
        return [i for i, ex in enumerate(self.examples) if ex.subset == name]

    def head(self, n_per_subset: int) -> EvalSet:
        """The first ``n_per_subset`` examples of each subset (quick runs, notebooks)."""
        keep = [i for s in self.subsets for i in self.subset(s)[:n_per_subset]]
        return EvalSet([self.examples[i] for i in sorted(keep)], self.format, self.source, self.skipped)


class _Errors:
    def __init__(self, source: str):
        self.items: list[str] = []
        self.source = source

    def add(self, row: int, name: str, problem: str) -> None:
        self.items.append(f"row {row}, field {name!r}: {problem}")

    def raise_if_any(self, what: str) -> None:
        if self.items:
            shown = "\n  ".join(self.items[:MAX_ERRORS_SHOWN])
            more = len(self.items) - MAX_ERRORS_SHOWN
            tail = f"\n  ... and {more} more" if more > 0 else ""
            where = f"{self.source}: " if self.source else ""
            raise UserError(f"{where}{len(self.items)} bad {what} record field(s):\n  {shown}{tail}")


def detect_format(row: dict) -> str:
    """``ranked`` (responses), ``v2`` (chosen is a list of texts), ``v1`` (subset column), else ``trl``."""
    if "responses" in row:
        return "ranked"
    chosen = row.get("chosen")
    if isinstance(chosen, (list, tuple)) and chosen and all(isinstance(c, str) for c in chosen):
        return "v2"
    if "subset" in row and isinstance(chosen, str):
        return "v1"
    return "trl"


def load_eval_set(source: Any, *, format: str = "auto", split: str = "train") -> EvalSet:
    """An :class:`EvalSet` from a file (JSONL, JSONL.gz, JSON, parquet, CSV), a pandas frame,
    a ``datasets.Dataset`` or a list of dicts; ``format`` one of :data:`FORMATS`."""
    from workbench.data import rows_from

    if format not in FORMATS:
        raise UserError(f"format must be one of {FORMATS}, got {format!r}")
    name = str(source) if isinstance(source, str) or hasattr(source, "__fspath__") else ""
    if name and Path(name).suffix in FILE_SUFFIXES and not Path(name).is_file():
        raise UserError(f"no data file at {name}")  # not a Hub id either: don't go looking online
    try:
        rows = rows_from(source, split=split)
    except (FileNotFoundError, ValueError, TypeError, ConnectionError) as error:
        raise UserError(str(error).splitlines()[0] if isinstance(error, ConnectionError) else str(error)) from None
    if not rows:
        raise UserError(f"{name or 'data'}: no records")
    if not isinstance(rows[0], dict):
        raise UserError(f"{name or 'data'}: row 0, field '*': expected a dict, got {type(rows[0]).__name__}")
    fmt = detect_format(rows[0]) if format == "auto" else format
    reader = {"v1": _from_v1, "v2": _from_v2, "trl": _from_trl, "ranked": _from_ranked}[fmt]
    examples, skipped = reader(rows, _Errors(name))
    if not examples:
        raise UserError(f"{name or 'data'}: no record can be scored ({skipped} ties or all-equal lists)")
    return EvalSet(examples, fmt, name, skipped)


def _text_ok(value, row: int, name: str, errors: _Errors, *, messages: bool = False) -> bool:
    if isinstance(value, str) and value.strip():
        return True
    if messages and isinstance(value, list) and value and all(
            isinstance(m, dict) and isinstance(m.get("content"), str) and isinstance(m.get("role"), str)
            for m in value):
        return True
    problem = "missing" if value is None else "empty text" if isinstance(value, str) else \
        f"expected text{' or chat messages' if messages else ''}, got {type(value).__name__}"
    errors.add(row, name, problem)
    return False


def _subset_and_id(row: dict, i: int, errors: _Errors, *, required: bool) -> tuple[str, str | None, bool]:
    subset, ident, ok = row.get("subset"), row.get("id"), True
    if subset is None and not required:
        subset = "all"
    elif not (isinstance(subset, str) and subset.strip()):
        errors.add(i, "subset", "missing" if subset is None else f"expected a subset name, got {subset!r}")
        ok = False
    return subset, None if ident is None else str(ident), ok


def _from_v1(rows: list[dict], errors: _Errors) -> tuple[list[EvalExample], int]:
    examples = []
    for i, row in enumerate(rows):
        ok = _text_ok(row.get("prompt"), i, "prompt", errors, messages=True)
        ok &= _text_ok(row.get("chosen"), i, "chosen", errors)
        ok &= _text_ok(row.get("rejected"), i, "rejected", errors)
        subset, ident, good = _subset_and_id(row, i, errors, required=True)
        if ok and good:
            examples.append(EvalExample(row["prompt"], (row["chosen"],), (row["rejected"],), subset, ident,
                                        shown=(0, 1)))
    errors.raise_if_any("RewardBench v1")
    return examples, 0


def _text_list_ok(value, i: int, name: str, errors: _Errors) -> bool:
    if not isinstance(value, (list, tuple)) or not value:
        errors.add(i, name, "missing" if value is None else "expected a non-empty list of texts")
        return False
    ok = True
    for k, text in enumerate(value):
        ok &= _text_ok(text, i, f"{name}[{k}]", errors)
    return ok


def _from_v2(rows: list[dict], errors: _Errors) -> tuple[list[EvalExample], int]:
    examples = []
    for i, row in enumerate(rows):
        ok = _text_ok(row.get("prompt"), i, "prompt", errors, messages=True)
        ok &= _text_list_ok(row.get("chosen"), i, "chosen", errors)
        ok &= _text_list_ok(row.get("rejected"), i, "rejected", errors)
        subset, ident, good = _subset_and_id(row, i, errors, required=True)
        ok &= good
        n_correct = row.get("num_correct")
        if ok and n_correct is not None and n_correct != len(row["chosen"]):
            errors.add(i, "num_correct", f"{n_correct!r} but chosen holds {len(row['chosen'])} responses")
            ok = False
        if ok and subset.lower() == TIES_SUBSET:
            ok = _ties_id_ok(ident, len(row["chosen"]), i, errors)
        if ok:
            k = len(row["chosen"]) + len(row["rejected"])
            examples.append(EvalExample(row["prompt"], tuple(row["chosen"]), tuple(row["rejected"]), subset,
                                        ident, shown=tuple(range(k))))
    errors.raise_if_any("RewardBench 2")
    return examples, 0


def _ties_id_ok(ident: str | None, n_correct: int, i: int, errors: _Errors) -> bool:
    """Ties rows are ``ref:N`` (one correct answer) or ``tied:N`` (several) for prompt N."""
    kind, _, number = (ident or "").partition(":")
    if kind not in ("ref", "tied") or not number.strip():
        errors.add(i, "id", f"a Ties row needs an id 'ref:N' or 'tied:N', got {ident!r}")
        return False
    if kind == "tied" and n_correct < 2:
        errors.add(i, "chosen", "a 'tied' row needs at least 2 correct responses")
        return False
    return True


def _from_trl(rows: list[dict], errors: _Errors) -> tuple[list[EvalExample], int]:
    from workbench.data import load_records, split_implicit

    try:
        pairs = load_records(rows, kind="pairwise")
    except ValueError as error:
        where = f"{errors.source}: " if errors.source else ""
        raise UserError(f"{where}{error}") from None
    examples, skipped = [], 0
    for i, (row, pair) in enumerate(zip(rows, pairs)):
        if pair.tie:
            skipped += 1
            continue
        pair = split_implicit(pair)
        subset, ident, _ = _subset_and_id(row, i, errors, required=False)
        examples.append(EvalExample("" if pair.prompt is None else pair.prompt, (pair.chosen,), (pair.rejected,),
                                    subset, ident, shown=(0, 1)))
    errors.raise_if_any("pairwise")
    return examples, skipped


def _from_ranked(rows: list[dict], errors: _Errors) -> tuple[list[EvalExample], int]:
    from workbench.data import load_records

    try:
        lists = load_records(rows, kind="listwise")
    except ValueError as error:
        where = f"{errors.source}: " if errors.source else ""
        raise UserError(f"{where}{error}") from None
    examples, skipped = [], 0
    for i, (row, ranked) in enumerate(zip(rows, lists)):
        top = max(ranked.labels)
        best = [k for k, label in enumerate(ranked.labels) if label == top]
        rest = [k for k, label in enumerate(ranked.labels) if label != top]
        if not rest:
            skipped += 1
            continue
        subset, ident, _ = _subset_and_id(row, i, errors, required=False)
        order = best + rest
        examples.append(EvalExample(ranked.prompt, tuple(ranked.responses[k] for k in best),
                                    tuple(ranked.responses[k] for k in rest), subset, ident,
                                    labels=tuple(ranked.labels[k] for k in order), shown=tuple(order)))
    errors.raise_if_any("listwise")
    return examples, skipped


def to_rows(eval_set: EvalSet) -> list[dict]:
    """Rows in the set's own format (``v1`` / ``v2``); what :func:`load_eval_set` reads back."""
    rows = []
    for ex in eval_set.examples:
        if eval_set.format == "v1":
            row = {"prompt": ex.prompt, "chosen": ex.chosen[0], "rejected": ex.rejected[0], "subset": ex.subset}
        elif eval_set.format == "v2":
            row = {"prompt": ex.prompt, "chosen": list(ex.chosen), "rejected": list(ex.rejected),
                   "num_correct": ex.num_correct, "subset": ex.subset}
        else:
            raise ValueError(f"to_rows writes v1 or v2 rows, not {eval_set.format!r}")
        rows.append({**row, "id": ex.id} if ex.id is not None else row)
    return rows
