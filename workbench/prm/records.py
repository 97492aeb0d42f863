"""Step-labelled solutions and converters from the common formats.

A :class:`StepRecord` is a prompt, its solution split into steps, and one label
per step: hard (0.0 / 1.0), soft (a probability in [0, 1], e.g. the fraction of
Monte-Carlo rollouts that reach the answer) or ``None`` (not labelled). The
label of step ``i`` answers "is the solution still on a correct path after
step ``i``?" (Lightman et al., 2023, *Let's Verify Step by Step*; Wang et al.,
2024, *Math-Shepherd*). Converters are pure functions; file I/O stays at the edges.

TRL's step-labelled columns are ``prompt``, ``completions`` (list of step
strings) and ``labels`` (list of bool / float / None).
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

_FINAL_ANSWER = re.compile(r"^\s*(?:####|A:|The answer is:?|Answer:)\s*(.+?)\s*\.?\s*$", re.IGNORECASE)


@dataclass
class StepRecord:
    """One solution, split into steps, with a label per step.

    prompt: the question. steps: S step strings (no final-answer line).
    labels: S values, each 0.0/1.0, a float in [0, 1], or None (missing).
    answer: the solution's own final answer (``#### 18`` -> ``"18"``), if any.
    reference: the correct final answer, if known.
    meta: anything else (source, model name, corrupted step...).
    """

    prompt: str
    steps: list[str]
    labels: list[float | None]
    answer: str | None = None
    reference: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self):
        self.labels = [None if label is None else float(label) for label in self.labels]

    @property
    def first_error(self) -> int | None:
        """Index of the first step labelled below 0.5, or None when there is none."""
        for index, label in enumerate(self.labels):
            if label is not None and label < 0.5:
                return index
        return None

    @property
    def is_correct(self) -> bool | None:
        """Does the final answer equal the reference? None when either is unknown."""
        if self.answer is None or self.reference is None:
            return None
        return answers_equal(self.answer, self.reference)


def normalize_answer(text: str) -> str:
    """``"$1,200.00"`` -> ``"1200"``; non-numeric answers are lowercased and stripped."""
    clean = text.strip().rstrip(".").replace(",", "").replace("$", "").strip()
    try:
        value = float(clean)
    except ValueError:
        return clean.lower()
    return str(int(value)) if value == int(value) else repr(value)


def answers_equal(a: str, b: str) -> bool:
    return normalize_answer(a) == normalize_answer(b)


def split_steps(solution: str) -> tuple[list[str], str | None]:
    """One step per non-empty line; a last line ``#### N`` / ``A: N`` / ``The answer is N``
    is the final answer, not a step. Returns ``(steps, answer)``."""
    lines = [line.strip() for line in solution.strip().split("\n") if line.strip()]
    answer = None
    if lines:
        match = _FINAL_ANSWER.match(lines[-1])
        if match:
            answer = match.group(1)
            lines = lines[:-1]
    return lines, answer


def validate_record(record: StepRecord, index: int = 0) -> StepRecord:
    """Check shapes and values; ValueError names the record index and field."""
    if not isinstance(record.prompt, str):
        raise ValueError(f"record {index}: field 'prompt' must be a string")
    if not isinstance(record.steps, list) or not all(isinstance(s, str) for s in record.steps):
        raise ValueError(f"record {index}: field 'completions' must be a list of strings")
    if len(record.labels) != len(record.steps):
        raise ValueError(
            f"record {index}: field 'labels' has {len(record.labels)} values for {len(record.steps)} steps")
    for position, label in enumerate(record.labels):
        if label is not None and (math.isnan(label) or not 0.0 <= label <= 1.0):
            raise ValueError(f"record {index}: field 'labels'[{position}] = {label} is not in [0, 1]")
    return record


def from_gsm8k(question: str, answer: str, *, reference: str | None = None,
               label: float | None = 1.0) -> StepRecord:
    """A GSM8K solution (one step per line, last line ``#### N`` or ``A: N``).

    Gold solutions get ``label`` on every step (1.0: every step is right).
    """
    steps, final = split_steps(answer)
    return StepRecord(question, steps, [label] * len(steps), answer=final,
                      reference=reference if reference is not None else final, meta={"source": "gsm8k"})


def from_prm800k(sample: dict, *, neutral: float | None = 1.0, index: int = 0) -> StepRecord:
    """A PRM800K sample: each step's chosen completion with its rating -1 / 0 / +1.

    +1 -> 1.0, -1 -> 0.0, 0 -> ``neutral`` (Lightman et al. count neutral as
    positive for selection; pass 0.0 to count it as negative, None to drop it).
    Accepts the released nesting (``question.problem``, ``label.steps[i].completions``
    with ``chosen_completion``) or a flat ``{"prompt", "steps", "ratings"}``.
    """
    mapping = {1: 1.0, -1: 0.0, 0: neutral, None: None}
    if "ratings" in sample:
        steps, ratings = list(sample["steps"]), list(sample["ratings"])
        prompt = sample.get("prompt", "")
    else:
        try:
            prompt = sample["question"]["problem"]
            steps, ratings = [], []
            for step in sample["label"]["steps"]:
                chosen = step.get("chosen_completion")
                if chosen is None and step.get("human_completion"):
                    completion = step["human_completion"]
                    completion = {"text": completion.get("text", ""), "rating": 1} \
                        if isinstance(completion, dict) else {"text": str(completion), "rating": 1}
                else:
                    completion = step["completions"][chosen or 0]
                steps.append(completion["text"])
                ratings.append(completion.get("rating"))
        except (KeyError, IndexError, TypeError) as error:
            raise ValueError(f"record {index}: PRM800K field missing or malformed: {error!r}") from None
    for position, rating in enumerate(ratings):
        if rating not in mapping:
            raise ValueError(f"record {index}: field 'rating' of step {position} is {rating!r}, not -1/0/+1")
    record = StepRecord(prompt, steps, [mapping[r] for r in ratings], meta={"source": "prm800k"})
    return validate_record(record, index)


def from_math_shepherd(text: str, label: str, *, tag: str = "ки", index: int = 0) -> StepRecord:
    """A Math-Shepherd sample: ``input`` with a step tag after each step, and
    ``label``: the same text with each tag replaced by ``+`` (good) or ``-`` (bad).

    The question is the text before ``Step 1:`` (the whole first piece if absent).
    """
    pieces = text.split(tag)
    if len(pieces) < 2:
        raise ValueError(f"record {index}: field 'input' has no step tag {tag!r}")
    labels, position = [], 0
    for piece in pieces[:-1]:
        if label[position:position + len(piece)] != piece:
            raise ValueError(f"record {index}: field 'label' does not match 'input' near {piece[-40:]!r}")
        mark = label[position + len(piece):position + len(piece) + 1]
        if mark not in ("+", "-"):
            raise ValueError(f"record {index}: field 'label' has {mark!r} where '+' or '-' belongs")
        labels.append(1.0 if mark == "+" else 0.0)
        position += len(piece) + 1
    steps = [piece.strip() for piece in pieces[:-1]]
    first = steps[0]
    split = re.search(r"Step 1\s*:", first)
    prompt = first[: split.start()].strip() if split else ""
    if split:
        steps[0] = first[split.start():].strip()
    steps = [re.sub(r"^Step \d+\s*:\s*", "", s) for s in steps]
    answer = None
    match = re.search(r"The answer is:?\s*(.+)$", steps[-1])
    if match:
        answer = match.group(1).strip()
    return validate_record(StepRecord(prompt, steps, labels, answer=answer,
                                      meta={"source": "math-shepherd"}), index)


def to_trl(record: StepRecord) -> dict:
    """``{"prompt", "completions", "labels"}``: bool labels when all known labels are 0/1."""
    hard = all(label in (0.0, 1.0) for label in record.labels if label is not None)
    labels = [None if label is None else (bool(label) if hard else label) for label in record.labels]
    return {"prompt": record.prompt, "completions": list(record.steps), "labels": labels}


def from_trl(row: dict, index: int = 0) -> StepRecord:
    """The inverse of :func:`to_trl`; ValueError names the row and the field."""
    for name in ("prompt", "completions", "labels"):
        if name not in row:
            raise ValueError(f"record {index}: field {name!r} is missing")
    labels = []
    for position, label in enumerate(row["labels"]):
        if label is not None and not isinstance(label, (bool, int, float)):
            raise ValueError(f"record {index}: field 'labels'[{position}] = {label!r} is not bool/float/None")
        labels.append(label)
    record = StepRecord(row["prompt"], list(row["completions"]), labels,
                        answer=row.get("answer"), reference=row.get("reference"))
    return validate_record(record, index)
