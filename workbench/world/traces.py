"""Solution traces with mistakes at set rates: what the world's policy learns to imitate.

    config = TraceConfig(slip_rate=0.05)
    text = make_trace(problem, random.Random(0), config)   # one solution, maybe with mistakes

A trace is written step by step like a careless student. At each step at most
one mistake happens, with these probabilities:

* ``misread_rate`` (``confusable_misread_rate`` for a confusable phrase, see
  ``world.tasks.Phrase``): **wrong operation**, the phrase's ``misread``
  operation instead of its own (``doubles`` -> ``+ 2``);
* ``copy_rate``: **a copied wrong number**, either the running value (a
  neighbour, the digits swapped, or an older value) or the operand (another
  number of the question);
* ``slip_rate``: **a slip**, the result off by 1, 2 or 10 (a lost carry).

Later steps build on what was written, so one mistake usually makes the
answer wrong; but right after a mistake, with probability ``recover_rate``,
the next step goes back to the true running value (the student re-reads the
question), which gives solutions with the right answer after a wrong step.

Why a confusable phrase is misread *more often than not* (0.6): a policy then
greedily decodes the misreading, and its samples agree on the same wrong
answer. Real models' errors are correlated in this way, which is why majority
voting saturates below a good verifier (Lightman et al., 2023; Wang et al.,
2023, self-consistency). With the defaults about 40% of problems hold a
confusable step, which puts the policy's greedy accuracy near one half.
"""
from __future__ import annotations

import random
from dataclasses import dataclass

from workbench.world.tasks import OPERATORS, WorldProblem, answer_line, apply, step_text

_KIND_OF = {operator: kind for kind, operator in OPERATORS.items()}


@dataclass(frozen=True)
class TraceConfig:
    """Mistake rates per step (see the module docstring); defaults give ~11% plain mistakes a step."""

    slip_rate: float = 0.05
    copy_rate: float = 0.03
    misread_rate: float = 0.03
    confusable_misread_rate: float = 0.6  # > 0.5: greedy decoding follows the misreading
    recover_rate: float = 0.3  # right after a mistake, the next step returns to the true value

    def __post_init__(self):
        for name in ("slip_rate", "copy_rate", "misread_rate", "confusable_misread_rate", "recover_rate"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"TraceConfig.{name} must be in [0, 1], got {value}")
        if self.slip_rate + self.copy_rate + max(self.misread_rate, self.confusable_misread_rate) > 1.0:
            raise ValueError("TraceConfig: slip_rate + copy_rate + misread rate must not exceed 1")


def _wrong_value(value: int, older: list[int], rng: random.Random) -> int:
    """A number a careless copy gives instead of ``value`` (never ``value``, never negative)."""
    candidates = {value + 1, value - 1, value + 10, value - 10, *older[-2:]}
    if value >= 10:
        candidates.add(int(str(value)[::-1]))  # 23 -> 32
    candidates = sorted(c for c in candidates if c >= 0 and c != value)
    return rng.choice(candidates)


def _step(problem: WorldProblem, index: int, before: int, rng: random.Random,
          config: TraceConfig) -> tuple[int, str, int, int]:
    """(a, operator, b, c) of step ``index`` written from running value ``before``, with at most one mistake."""
    operation = problem.operations[index]
    a, operator, b = before, operation.operator, operation.operand
    misread = config.confusable_misread_rate if operation.phrase.confusable else config.misread_rate
    draw, delta = rng.random(), 0
    if draw < misread:
        operator = OPERATORS[operation.phrase.misread]
    elif draw < misread + config.copy_rate:
        if rng.random() < 0.5:
            a = _wrong_value(a, list(problem.values[:index]), rng)
        else:
            others = [q for q in problem.quantities if q != b]
            b = rng.choice(others) if others else _wrong_value(b, [], rng)
    elif draw < misread + config.copy_rate + config.slip_rate:
        delta = rng.choice([-10, -2, -1, 1, 2, 10])
    c = apply(_KIND_OF[operator], a, b) + delta
    if c >= 0:
        return a, operator, b, c
    # a mistake that would go negative is not made: the student would notice, and also
    # notices a wrong running value that leaves nothing to take away
    if apply(operation.kind, before, operation.operand) < 0:
        before = problem.values[index]
    return before, operation.operator, operation.operand, apply(operation.kind, before, operation.operand)


def make_trace(problem: WorldProblem, rng: random.Random, config: TraceConfig = TraceConfig()) -> str:
    """One solution of ``problem``: one step per line, then ``#### answer`` (the last value written)."""
    lines, stated, just_erred = [], problem.start, False
    for index in range(len(problem.operations)):
        if just_erred and rng.random() < config.recover_rate:
            stated = problem.values[index]  # re-read the question: back on the true values
        a, operator, b, c = _step(problem, index, stated, rng, config)
        lines.append(step_text(problem.operations[index].sentence, problem.name, problem.item, a, operator, b, c))
        # only the step right after a fresh mistake may recover: a student who carries on
        # from a wrong value does not notice later
        just_erred = stated == problem.values[index] and c != problem.values[index + 1]
        stated = c
    return "\n".join([*lines, answer_line(stated)])


def make_traces(problems: list[WorldProblem], *, seed: int = 0,
                config: TraceConfig = TraceConfig()) -> list[str]:
    """One trace per problem, the same for the same seed."""
    rng = random.Random(seed)
    return [make_trace(problem, rng, config) for problem in problems]
