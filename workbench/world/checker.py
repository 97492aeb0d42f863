"""The exact checker: a label for every step and for the answer, from the problem's truth.

    record = label_solution(problem, completion)     # a prm.records.StepRecord
    record.labels          # [1.0, 1.0, 0.0, 0.0]: on a correct path after each step?
    record.is_correct      # the final answer equals the problem's answer
    record.meta["errors"]  # [None, None, "slip", "carried"]: what is wrong with each step itself
    solution_kind(record)  # "right", "wrong" or "right_after_wrong"

**What a step label means.** ``labels[i] = 1`` iff steps ``0..i`` are all
exactly right: each parses as ``<sentence>, so <name> has a op b = c <item>.``
and restates the problem's sentence for that step, its operation ``op``, its
operand ``b``, the true running value ``a`` and the true result ``c``. Once a step is wrong every later label is 0, even
when a later step happens to get back to the true value: the label answers
"is the solution still on a correct path after step i?" (Lightman et al.,
2023, count a solution's steps up to its first error; Math-Shepherd, Wang et
al., 2024, asks whether a prefix can still reach the answer, which a prefix
with a wrong step here can only do by a second mistake). Labels are thus
monotone and ``record.first_error`` is the first wrong step. The final-answer
line ``#### N`` is not a step (as everywhere in ``workbench.prm``): a solution
whose steps are all right but stops early or states another answer has all
step labels 1 and ``is_correct`` False; ``meta["complete"]`` flags it.

**What is wrong with a step** (``meta["errors"]``, one per step, the first that
applies; None for a right step): ``"format"`` (not the step shape, or another
name or item), ``"extra"`` (more steps than operations), ``"operation"`` (not
the problem's operator: a misread phrase), ``"copy"`` (another sentence
restated, an operand that is not the problem's, or a running value that is
not the one the previous step stated), ``"slip"`` (``a op b != c``, checked by
``workbench.prm.verify.verify_arithmetic``), ``"carried"`` (locally
consistent, but builds on an earlier error), ``"recovered"`` (not the value
the previous step stated, but the true one: back on the true values after
an error; its label is still 0).

Kinds of solutions (``solution_kind``): ``"right"`` (every step right and the
answer right), ``"wrong"`` (the answer wrong), ``"right_after_wrong"`` (the
answer right after a wrong step: what an outcome reward rewards and a
process reward should flag).
"""
from __future__ import annotations

import re

from workbench.prm.records import StepRecord, normalize_answer, split_steps
from workbench.prm.verify import verify_arithmetic
from workbench.world.tasks import WorldProblem, parse_question

KINDS = ("right", "wrong", "right_after_wrong")
STEP = re.compile(r"(?P<clause>[^,]+), so (?P<name>[A-Z][a-z]+) has (?P<a>\d+) (?P<op>[-+*]) (?P<b>\d+) = (?P<c>\d+)"
                  r" (?P<item>[a-z]+)\.$")


def parse_step(step: str) -> dict | None:
    """``{"clause", "name", "a", "op", "b", "c", "item"}`` of a step (numbers as int), or None if not the shape."""
    match = STEP.match(step.strip())
    if match is None:
        return None
    parts = match.groupdict()
    return {**parts, **{key: int(parts[key]) for key in ("a", "b", "c")}}


def step_error(problem: WorldProblem, index: int, step: str, stated_before: int | None) -> str | None:
    """What is wrong with step ``index`` taken alone (see the module docstring), None if it is right.

    stated_before: the running value the previous step stated (the start for
    step 0; None when the previous step did not parse).
    """
    if index >= len(problem.operations):
        return "extra"
    parts = parse_step(step)
    if parts is None or parts["name"] != problem.name or parts["item"] != problem.item:
        return "format"
    operation, true_before = problem.operations[index], problem.values[index]
    if parts["clause"] + "." != operation.sentence:
        return "copy"  # restates another sentence (or a garbled one): not this step's operation
    if parts["op"] != operation.operator:
        return "operation"
    if parts["b"] != operation.operand:
        return "copy"
    if parts["a"] != stated_before:
        return "recovered" if parts["a"] == true_before and stated_before is not None else "copy"
    if verify_arithmetic(step) is False:
        return "slip"
    if parts["a"] != true_before:
        return "carried"
    return None


def _steps_and_answer(solution: str | list[str]) -> tuple[list[str], str | None]:
    if isinstance(solution, str):
        return split_steps(solution)
    steps = [s.strip() for s in solution if s.strip()]
    if steps:
        extra, answer = split_steps(steps[-1])
        if answer is not None and not extra:
            return steps[:-1], answer
    return steps, None


def label_solution(problem: WorldProblem | str, solution: str | list[str]) -> StepRecord:
    """Exact step labels and the outcome for one solution of ``problem``.

    problem: a :class:`WorldProblem` or its question text (parsed with
    ``tasks.parse_question``). solution: the completion text (one step per
    line, ``#### N`` last) or its lines. Returns a ``StepRecord`` with
    ``reference`` the true answer and ``meta``: ``errors`` (per step),
    ``first_error``, ``complete``, ``kind`` (one of :data:`KINDS`), ``outcome`` (1.0 iff
    the answer is right; 0.0 also without an answer line: what an ORM learns).
    """
    if isinstance(problem, str):
        problem = parse_question(problem)
    steps, answer = _steps_and_answer(solution)
    errors, labels, stated, on_path = [], [], problem.start, True
    for index, step in enumerate(steps):
        error = step_error(problem, index, step, stated)
        parts = parse_step(step)
        stated = parts["c"] if parts is not None else None
        on_path = on_path and error is None
        errors.append(error)
        labels.append(1.0 if on_path else 0.0)
    record = StepRecord(problem.question, steps, labels, answer=answer, reference=str(problem.answer))
    record.meta.update(errors=errors, first_error=record.first_error,
                       complete=len(steps) == len(problem.operations) and stated is not None
                       and answer is not None and normalize_answer(answer) == str(stated))
    record.meta["kind"] = solution_kind(record)
    record.meta["outcome"] = float(bool(record.is_correct))  # no answer line: a wrong outcome, not a missing one
    return record


def solution_kind(record: StepRecord) -> str:
    """``"right"``, ``"wrong"`` or ``"right_after_wrong"`` (see the module docstring)."""
    if not record.is_correct:
        return "wrong"
    return "right" if record.first_error is None else "right_after_wrong"


def answer_correct(problem: WorldProblem | str, solution: str) -> bool:
    """Does the solution's final line ``#### N`` state the problem's answer? (False without one.)"""
    return bool(label_solution(problem, solution).is_correct)
