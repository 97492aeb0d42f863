"""The world's problems: short arithmetic word problems whose every step is known.

    problems = make_problems(100, steps=(3, 8), seed=0)
    problems[0].question   # 'Tom has 7 apples. He gets 5 more. Ann gives him 3. ... How many apples does Tom have?'
    problems[0].solution   # 'He gets 5 more, so Tom has 7 + 5 = 12 apples.\\n...\\n#### 30'

A problem is a start quantity and S operations (3-8 by default), one sentence
each. Its gold solution has one step per operation, always the same shape

    <the question's sentence>, so <name> has <a> <op> <b> = <c> <item>.
    He gets 5 more, so Tom has 7 + 5 = 12 apples.

(``a`` the running value, ``op`` one of ``+ - *``, ``b`` the operand, ``c`` the
new running value), then the final-answer line ``#### <answer>`` that
``workbench.prm.records.split_steps`` reads. One shape keeps the language
trivial, so all a tiny model has to learn is the reasoning: which operation
a phrase means, which number to copy, and the sum. A step restates its
sentence because finding "the next sentence" is copying what follows the
previous one (an induction head, which two layers learn in a few hundred
steps); without it a tiny model spends most of its training learning to count
sentences, and a verifier must do the same to know which operation a step
should have used.

Why these choices:

* **Small numbers.** Running values stay in ``[0, max_value - max_operand]``
  (a misreading, in ``[0, max_value]``; max_value = 99 by default) and
  additive operands in ``[1, max_operand]`` (9); multiplication is only
  doubling or tripling. With one digit per token (see ``world.tokenizer``)
  a sum is a ones-digit table and a carry, which a model of a few hundred
  thousand parameters learns in minutes on a CPU.
* **Phrases, not symbols.** Each operation is written by one of a few phrases
  (``He gets 5 more.``, ``He loses 5.``, ``He doubles them.``). A few of them
  are *confusable*: ``Ann gives him 3.`` (add, though "gives" usually means
  subtract here), ``Ann takes 3.`` (subtract), ``He doubles them.`` (times 2,
  often read as + 2). ``Phrase.confusable`` marks them and ``Phrase.misread``
  names the operation a careless reader uses instead. The traces the world's
  policy learns from misread confusable phrases far more often than plain
  ones (``world.policy.TraceConfig``), so the policy's wrong answers agree
  with each other on a problem, as a real model's do; this is what makes
  majority voting fail where a verifier does not (Lightman et al., 2023).
  ``confusable_rate`` sets how often a step's phrase is a confusable one.
* **Deterministic from a seed**: the same ``(n, steps, seed, ...)`` gives the
  same problems on every machine (``random.Random``, no global state).
"""
from __future__ import annotations

import random
import re
from dataclasses import dataclass

OPERATORS = {"add": "+", "subtract": "-", "multiply": "*"}
NAMES = [("Tom", "He", "him"), ("Sam", "He", "him"), ("Ben", "He", "him"), ("Max", "He", "him"),
         ("Ann", "She", "her"), ("Mia", "She", "her"), ("Eva", "She", "her"), ("Zoe", "She", "her")]
ITEMS = ["apples", "pens", "cards", "coins", "books", "shells", "stamps", "beads"]


def item_of(name: str) -> str:
    """What a person collects: one item per name (Tom: apples, Sam: pens, ...).

    Why fixed: a step names its item last (``... = 12 apples.``); with the item
    drawn apart from the name, a tiny policy must learn a long-range lookup
    into the question that it often had not formed after a minute of training
    (every step then fails on the item). Tied to the name it just wrote, the
    item is one short hop back, learnt early. Questions that pair them
    otherwise still parse and check (``parse_question`` reads the item).
    """
    return ITEMS[[n for n, _, _ in NAMES].index(name) % len(ITEMS)]


@dataclass(frozen=True)
class Phrase:
    """One way to write an operation in a question.

    text: the sentence, with ``{subject}`` (He/She), ``{object}`` (him/her),
    ``{friend}`` (another name) and ``{n}`` (the operand) to fill in.
    kind: the operation it means. operand: fixed operand (``doubles`` = 2) or None.
    misread: the operation a careless reader takes it for.
    confusable: misread far more often than the others (see the module docstring).
    """

    text: str
    kind: str
    misread: str
    confusable: bool = False
    operand: int | None = None


PHRASES = [
    Phrase("{subject} gets {n} more.", "add", "subtract"),
    Phrase("{subject} finds {n}.", "add", "subtract"),
    Phrase("{friend} gives {object} {n}.", "add", "subtract", confusable=True),
    Phrase("{subject} loses {n}.", "subtract", "add"),
    Phrase("{subject} gives away {n}.", "subtract", "add"),
    Phrase("{friend} takes {n}.", "subtract", "add", confusable=True),
    Phrase("{subject} doubles them.", "multiply", "add", confusable=True, operand=2),
    Phrase("{subject} triples them.", "multiply", "add", operand=3),
]


# multiplication grows values fast and leaves the range soon: rarer than the others
KIND_WEIGHTS = {"add": 0.45, "subtract": 0.4, "multiply": 0.15}


@dataclass(frozen=True)
class Operation:
    """One step of a problem: ``kind`` applied with ``operand``, as written by ``phrase``."""

    kind: str
    operand: int
    phrase: Phrase
    sentence: str  # the phrase filled in, as it stands in the question

    @property
    def operator(self) -> str:
        return OPERATORS[self.kind]


def apply(kind: str, value: int, operand: int) -> int:
    """The running value after one operation: ``apply("add", 7, 5) == 12``."""
    if kind == "add":
        return value + operand
    if kind == "subtract":
        return value - operand
    if kind == "multiply":
        return value * operand
    raise ValueError(f"unknown operation {kind!r}; choose one of {sorted(OPERATORS)}")


def step_text(sentence: str, name: str, item: str, before: int, operator: str, operand: int, after: int) -> str:
    """The one step shape: the question's sentence, then its arithmetic.

    >>> step_text("He gets 5 more.", "Tom", "apples", 7, "+", 5, 12)
    'He gets 5 more, so Tom has 7 + 5 = 12 apples.'
    """
    return f"{sentence.rstrip('.')}, so {name} has {before} {operator} {operand} = {after} {item}."


def answer_line(answer: int | str) -> str:
    """The final-answer line, ``#### 12``, that ``prm.records.split_steps`` takes off the steps."""
    return f"#### {answer}"


@dataclass(frozen=True)
class WorldProblem:
    """A word problem and its gold solution.

    question: the text the policy sees. name, item: who and what.
    start: the first quantity. operations: S :class:`Operation` in order.
    values: S+1 true running values (``values[0] == start``, ``values[-1] == answer``).
    steps: the S gold step texts. answer: the final value.
    """

    question: str
    name: str
    item: str
    start: int
    operations: tuple[Operation, ...]
    values: tuple[int, ...]
    steps: tuple[str, ...]
    answer: int

    @property
    def quantities(self) -> list[int]:
        """Every number the question states or implies: the start, then each operand."""
        return [self.start] + [operation.operand for operation in self.operations]

    @property
    def solution(self) -> str:
        """The gold solution: one step per line, then ``#### answer``."""
        return "\n".join([*self.steps, answer_line(self.answer)])

    @property
    def confusable_steps(self) -> list[int]:
        """Indices of the steps written with a confusable phrase."""
        return [i for i, operation in enumerate(self.operations) if operation.phrase.confusable]


def _choose_operation(value: int, rng: random.Random, *, max_value: int, max_operand: int,
                      confusable_rate: float) -> tuple[Phrase, int]:
    """A phrase and operand that keep the running value in ``[0, max_value]``."""
    while True:
        kind = rng.choices(list(KIND_WEIGHTS), weights=list(KIND_WEIGHTS.values()))[0]
        confusable = rng.random() < confusable_rate
        phrase = rng.choice([p for p in PHRASES if p.kind == kind and p.confusable == confusable])
        operand = phrase.operand if phrase.operand is not None else rng.randint(1, max_operand)
        # true values stay max_operand below the top, so that a misreading (one more addition)
        # stays in range too and some operation always fits
        if (0 <= apply(phrase.kind, value, operand) <= max_value - max_operand
                and 0 <= apply(phrase.misread, value, operand) <= max_value):
            return phrase, operand


def make_problem(rng: random.Random, *, steps: tuple[int, int] = (3, 8), max_value: int = 99,
                 max_operand: int = 9, confusable_rate: float = 0.12) -> WorldProblem:
    """One problem drawn from ``rng`` (see :func:`make_problems`)."""
    (name, subject, object_) = rng.choice(NAMES)
    item = item_of(name)
    friends = [other for other, _, _ in NAMES if other != name]
    start = rng.randint(max_operand + 1, max(max_operand + 1, max_value // 4))  # subtraction is possible from step one
    values, operations, gold = [start], [], []
    for _ in range(rng.randint(*steps)):
        phrase, operand = _choose_operation(values[-1], rng, max_value=max_value, max_operand=max_operand,
                                            confusable_rate=confusable_rate)
        sentence = phrase.text.format(subject=subject, object=object_, friend=rng.choice(friends), n=operand)
        operation = Operation(phrase.kind, operand, phrase, sentence)
        after = apply(phrase.kind, values[-1], operand)
        gold.append(step_text(sentence, name, item, values[-1], operation.operator, operand, after))
        operations.append(operation)
        values.append(after)
    question = " ".join([f"{name} has {start} {item}.", *(o.sentence for o in operations),
                         f"How many {item} does {name} have?"])
    return WorldProblem(question, name, item, start, tuple(operations), tuple(values), tuple(gold), values[-1])


def make_problems(n: int, *, steps: tuple[int, int] = (3, 8), seed: int = 0, max_value: int = 99,
                  max_operand: int = 9, confusable_rate: float = 0.12) -> list[WorldProblem]:
    """``n`` problems of ``steps[0]..steps[1]`` operations each, the same for the same arguments.

    max_value: running values stay in ``[0, max_value]``. max_operand: additive
    operands are ``1..max_operand``. confusable_rate: probability that a step's
    phrase is a confusable one (:attr:`Phrase.confusable`).
    """
    low, high = steps
    if not 1 <= low <= high:
        raise ValueError(f"steps must be (low, high) with 1 <= low <= high, got {steps!r}")
    if not 0.0 <= confusable_rate <= 1.0:
        raise ValueError(f"confusable_rate must be in [0, 1], got {confusable_rate}")
    if max_value < 4 * (max_operand + 1):
        raise ValueError(f"max_value={max_value} leaves no room for operands up to {max_operand}")
    rng = random.Random(seed)
    return [make_problem(rng, steps=steps, max_value=max_value, max_operand=max_operand,
                         confusable_rate=confusable_rate) for _ in range(n)]


def _phrase_pattern(phrase: Phrase) -> re.Pattern:
    pattern = re.escape(phrase.text)
    for field, group in (("subject", r"(?:He|She)"), ("object", r"(?:him|her)"), ("friend", r"[A-Z][a-z]+"),
                         ("n", r"(?P<n>\d+)")):
        pattern = pattern.replace(re.escape("{" + field + "}"), group)
    return re.compile(pattern + "$")


_PHRASE_PATTERNS = [(phrase, _phrase_pattern(phrase)) for phrase in PHRASES]
_OPENING = re.compile(r"(?P<name>[A-Z][a-z]+) has (?P<start>\d+) (?P<item>[a-z]+)\.$")
_CLOSING = re.compile(r"How many (?P<item>[a-z]+) does (?P<name>[A-Z][a-z]+) have\?$")


def parse_question(question: str) -> WorldProblem:
    """The problem a question states, rebuilt from its text alone (the inverse of :func:`make_problem`).

    This is what lets a reward function check a completion from the prompt
    alone (TRL passes ``prompts``, not problem objects). ValueError when a
    sentence is not one of the world's.

    >>> problem = parse_question("Tom has 7 apples. He gets 5 more. He doubles them. How many apples does Tom have?")
    >>> problem.values, problem.answer
    ((7, 12, 24), 24)
    """
    sentences = re.findall(r"[^.?]+[.?]", question.strip())
    opening = _OPENING.match(sentences[0].strip()) if sentences else None
    closing = _CLOSING.match(sentences[-1].strip()) if len(sentences) > 1 else None
    if opening is None or closing is None:
        raise ValueError(f"not a world question: {question[:80]!r}")
    name, item, start = opening["name"], opening["item"], int(opening["start"])
    values, operations, gold = [start], [], []
    for sentence in (s.strip() for s in sentences[1:-1]):
        found = next(((p, m) for p, m in ((p, rx.match(sentence)) for p, rx in _PHRASE_PATTERNS) if m), None)
        if found is None:
            raise ValueError(f"not a world sentence: {sentence!r}")
        phrase, match = found
        operand = phrase.operand if phrase.operand is not None else int(match["n"])
        operation = Operation(phrase.kind, operand, phrase, sentence)
        after = apply(phrase.kind, values[-1], operand)
        gold.append(step_text(sentence, name, item, values[-1], operation.operator, operand, after))
        operations.append(operation)
        values.append(after)
    return WorldProblem(question.strip(), name, item, start, tuple(operations), tuple(values), tuple(gold),
                        values[-1])
