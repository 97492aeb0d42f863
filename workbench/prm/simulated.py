"""A policy with a known truth: arithmetic word problems and a simulated solver.

The project generates its own multi-step word problems (a running quantity
changed by one operation per step), so the true value after every step is
known. :class:`SimulatedPolicy` solves them like a careless student: each step
it writes is wrong with probability ``error_rate`` (the stated result is off),
and later steps build on whatever value was written. With probability
``recover_rate`` a rollout that starts after a wrong step re-reads the question
and recomputes the right running value: the "lucky recovery" that makes
Monte-Carlo step labels noisy (a wrong step still gets some good rollouts).

Because every step's truth is known, tests and notebooks can check whether an
annotation method finds the true first error.
"""
from __future__ import annotations

import random
import re
from dataclasses import dataclass

from workbench.prm.records import StepRecord, normalize_answer

_NAMES = ["Mia", "Noah", "Ava", "Liam", "Zoe", "Omar", "Lena", "Ravi", "Iris", "Theo"]
_ITEMS = ["marbles", "stickers", "apples", "coins", "books", "shells", "cards", "beads"]
# op -> (question clause, step clause); {n} name, {b} operand, {i} item
_CLAUSES = {
    "+": ("Then {n} gets {b} more {i}.", "After getting {b} more, {n} has {a} + {b} = {c} {i}."),
    "-": ("Then {n} gives away {b} {i}.", "After giving away {b}, {n} has {a} - {b} = {c} {i}."),
    "*": ("Then the number of {i} grows {b} times.", "Growing {b} times gives {a} * {b} = {c} {i}."),
    "/": ("Then {n} splits the {i} into {b} equal piles and keeps one.",
          "Keeping one of {b} piles leaves {a} / {b} = {c} {i}."),
}
_RESULT = re.compile(r"=\s*(-?\d+)")


@dataclass
class ArithmeticProblem:
    """question: the text. start: initial quantity. operations: S (op, operand) pairs.
    values: S+1 true running values (values[0] = start). answer: values[-1]."""

    question: str
    start: int
    operations: list[tuple[str, int]]
    values: list[int]
    name: str
    item: str

    @property
    def answer(self) -> str:
        return str(self.values[-1])

    def step_text(self, index: int, before: int, after: int) -> str:
        op, operand = self.operations[index]
        return _CLAUSES[op][1].format(n=self.name, i=self.item, a=before, b=operand, c=after)


def _next_operation(value: int, rng: random.Random) -> tuple[str, int]:
    options = ["+", "+", "-", "*"] if value < 60 else ["+", "-", "-", "/"]
    divisors = [d for d in (2, 3, 4, 5) if value % d == 0]
    if divisors and rng.random() < 0.25:
        return "/", rng.choice(divisors)
    op = rng.choice(options)
    if op == "/" and not divisors:
        op = "-"
    if op == "+":
        return op, rng.randint(2, 20)
    if op == "-":
        return op, rng.randint(1, max(1, min(20, value - 1)))
    if op == "*":
        return op, rng.randint(2, 4)
    return op, rng.choice(divisors)


def make_problems(n: int, *, steps: tuple[int, int] = (4, 8), seed: int = 0) -> list[ArithmeticProblem]:
    """``n`` word problems with between ``steps[0]`` and ``steps[1]`` steps each."""
    rng = random.Random(seed)
    problems = []
    for _ in range(n):
        name, item = rng.choice(_NAMES), rng.choice(_ITEMS)
        start = rng.randint(5, 30)
        values, operations = [start], []
        for _ in range(rng.randint(*steps)):
            op, operand = _next_operation(values[-1], rng)
            operations.append((op, operand))
            values.append(_apply(values[-1], op, operand))
        clauses = [_CLAUSES[op][0].format(n=name, i=item, b=b) for op, b in operations]
        question = f"{name} has {start} {item}. " + " ".join(clauses) + f" How many {item} does {name} have now?"
        problems.append(ArithmeticProblem(question, start, operations, values, name, item))
    return problems


def _apply(value: int, op: str, operand: int) -> int:
    if op == "+":
        return value + operand
    if op == "-":
        return value - operand
    if op == "*":
        return value * operand
    return value // operand


class SimulatedPolicy:
    """A solver with a set per-step error rate over :func:`make_problems` problems.

    error_rate: probability that a written step states a wrong result.
    recover_rate: probability that a rollout continuing after a wrong prefix
    silently recomputes the true running value (noise for Monte-Carlo labels).
    ``rollouts`` counts every completion generated, the unit of annotation cost.
    """

    def __init__(self, problems: list[ArithmeticProblem], *, error_rate: float = 0.1,
                 recover_rate: float = 0.0, seed: int = 0):
        if not 0.0 <= error_rate <= 1.0 or not 0.0 <= recover_rate <= 1.0:
            raise ValueError("error_rate and recover_rate must be in [0, 1]")
        self.problems = {p.question: p for p in problems}
        self.error_rate, self.recover_rate = error_rate, recover_rate
        self.rng = random.Random(seed)
        self.rollouts = 0

    def _problem(self, prompt: str) -> ArithmeticProblem:
        try:
            return self.problems[prompt]
        except KeyError:
            raise ValueError(f"SimulatedPolicy: unknown prompt {prompt[:60]!r}") from None

    def _write_steps(self, problem: ArithmeticProblem, start_index: int, value: int,
                     count: int | None = None) -> tuple[list[str], int]:
        steps = []
        stop = len(problem.operations) if count is None else min(len(problem.operations), start_index + count)
        for index in range(start_index, stop):
            op, operand = problem.operations[index]
            result = _apply(value, op, operand)
            if self.rng.random() < self.error_rate:
                result += self.rng.choice([-1, 1]) * self.rng.randint(1, 5)
            steps.append(problem.step_text(index, value, result))
            value = result
        return steps, value

    def _resume(self, problem: ArithmeticProblem, prefix: list[str]) -> int:
        """The running value a continuation starts from: the last stated result."""
        if not prefix:
            return problem.start
        match = _RESULT.findall(prefix[-1])
        if not match:
            raise ValueError(f"SimulatedPolicy: cannot read a result in step {prefix[-1]!r}")
        value = int(match[-1])
        if value != problem.values[len(prefix)] and self.rng.random() < self.recover_rate:
            return problem.values[len(prefix)]
        return value

    def sample(self, prompt: str) -> StepRecord:
        """One full solution, labelled with the truth (1.0 until the first wrong step, then 0.0)."""
        problem = self._problem(prompt)
        steps, value = self._write_steps(problem, 0, problem.start)
        self.rollouts += 1
        return StepRecord(prompt, steps, true_labels(problem, steps), answer=str(value),
                          reference=problem.answer, meta={"source": "simulated"})

    def rollout(self, prompt: str, prefix: list[str], n: int) -> list[str]:
        """``n`` completions of the solution after ``prefix``; each ends with ``The answer is N.``"""
        problem = self._problem(prompt)
        outputs = []
        for _ in range(n):
            value = self._resume(problem, prefix)
            steps, value = self._write_steps(problem, len(prefix), value)
            outputs.append("\n".join(steps + [f"The answer is {value}."]))
        self.rollouts += n
        return outputs

    def next_steps(self, prompt: str, prefix: list[str], n: int) -> list[str]:
        """``n`` candidates for the next step (empty string once the solution is complete)."""
        problem = self._problem(prompt)
        if len(prefix) >= len(problem.operations):
            return [""] * n
        outputs = []
        for _ in range(n):
            steps, _ = self._write_steps(problem, len(prefix), self._resume(problem, prefix), count=1)
            outputs.append(steps[0])
        self.rollouts += n
        return outputs

    def reference(self, prompt: str) -> str:
        return self._problem(prompt).answer


def true_labels(problem: ArithmeticProblem, steps: list[str]) -> list[float]:
    """1.0 while every stated result so far equals the true running value, then 0.0."""
    labels, ok = [], True
    for index, step in enumerate(steps):
        stated = _RESULT.findall(step)
        ok = ok and bool(stated) and int(stated[-1]) == problem.values[index + 1]
        labels.append(1.0 if ok else 0.0)
    return labels


def final_answer(completion: str) -> str | None:
    """The number after the last ``answer is`` / ``####`` / ``A:`` of a completion."""
    match = re.findall(r"(?:answer is|####|A:)\s*\$?(-?[\d,]+(?:\.\d+)?)", completion, re.IGNORECASE)
    return normalize_answer(match[-1]) if match else None
