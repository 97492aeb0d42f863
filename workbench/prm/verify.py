"""Formal verification of arithmetic steps: the exact, free annotator.

``verify_arithmetic(step)`` checks every computation a step states and returns
``True`` (all correct), ``False`` (at least one wrong) or ``None`` (nothing
checkable). Two forms are read:

* GSM8K calculator annotations ``<<48/2=24>>``: the expression must equal the
  result, and a number written right after ``>>`` must equal it too;
* plain statements in the visible text ``a op b [op c ...] = c`` (with ``$``,
  ``%`` and thousands separators), after the annotations are removed.

Expressions are parsed by a small recursive-descent parser over numbers,
``+ - * / x × ÷ ^ **`` and parentheses: never ``eval``. Exact arithmetic uses
``fractions.Fraction``; a stated result with ``d`` decimals is accepted when it
equals the exact value rounded (or truncated) to ``d`` decimals, because
solutions write ``10/3 = 3.33``.
"""
from __future__ import annotations

import random
import re
from fractions import Fraction

_NUMBER = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d{1,3}(?: \d{3})+(?![\d/])|\d+(?:\.\d+)?|\.\d+"
_MIXED = r"\d+ \d+/\d+(?![\d.])"  # 3 1/2
_TOKEN = re.compile(rf"\s*(?:({_MIXED})|({_NUMBER})|(\*\*|[-–−+*/x×÷^()%]))")
_ANNOTATION = re.compile(r"<<([^<>]*)>>\s*\$?\s*(" + _NUMBER + r")?")
# Visible arithmetic: operand (op operand)*, read around each "=" of the text.
_OPERAND = rf"\(*\s*\$?\s*[-−]?(?:{_MIXED}|{_NUMBER})\s*%?\s*\)*"
_OP = r"\s*(?:\*\*|[-–−+*/×÷^]|x(?=\s*\(*\s*\$?\s*[\d.]))\s*"
_EXPRESSION = rf"{_OPERAND}(?:{_OP}{_OPERAND})*"
_TAIL = re.compile(rf"({_EXPRESSION})\s*$")
_HEAD = re.compile(rf"^\s*({_EXPRESSION})")
_HAS_OP = re.compile(r"\d\s*%?\s*\)*\s*(?:\*\*|[-–−+*/×÷^x])\s*\(*\s*\$?\s*[\d.]")
_MAX_EXPONENT = 64
_SIDE_CHARS = 160


class _Parser:
    """expr := term (('+'|'-') term)*; term := power (('*'|'/') power)*;
    power := unary ('^' power)?; unary := '-' unary | atom '%'?; atom := number | '(' expr ')'."""

    def __init__(self, text: str):
        self.tokens: list[tuple[str, str]] = []
        position = 0
        text = text.replace("$", "").rstrip()
        while position < len(text):
            match = _TOKEN.match(text, position)
            if match is None or match.end() == position:
                raise ValueError(f"cannot read {text[position:]!r}")
            mixed, number, op = match.groups()
            if mixed:
                self.tokens.append(("num", mixed))
            else:
                self.tokens.append(("num", number) if number else ("op", op.replace("–", "-").replace("−", "-")))
            position = match.end()
        self.index = 0

    def parse(self) -> Fraction:
        value = self._expr()
        if self.index != len(self.tokens):
            raise ValueError("trailing tokens")
        return value

    def _peek(self) -> str | None:
        if self.index < len(self.tokens) and self.tokens[self.index][0] == "op":
            return self.tokens[self.index][1]
        return None

    def _expr(self) -> Fraction:
        value = self._term()
        while self._peek() in ("+", "-"):
            op = self.tokens[self.index][1]
            self.index += 1
            right = self._term()
            value = value + right if op == "+" else value - right
        return value

    def _term(self) -> Fraction:
        value = self._power()
        while self._peek() in ("*", "/", "x", "×", "÷"):
            op = self.tokens[self.index][1]
            self.index += 1
            right = self._power()
            if op in ("/", "÷"):
                if right == 0:
                    raise ZeroDivisionError
                value = value / right
            else:
                value = value * right
        return value

    def _power(self) -> Fraction:
        base = self._unary()
        if self._peek() in ("^", "**"):
            self.index += 1
            exponent = self._power()
            if exponent.denominator != 1 or abs(exponent) > _MAX_EXPONENT:
                raise ValueError("unsupported exponent")
            return base ** int(exponent)
        return base

    def _unary(self) -> Fraction:
        if self._peek() == "-":
            self.index += 1
            return -self._unary()
        if self._peek() == "+":
            self.index += 1
            return self._unary()
        value = self._atom()
        if self._peek() == "%":
            self.index += 1
            value = value / 100
        return value

    def _atom(self) -> Fraction:
        if self.index >= len(self.tokens):
            raise ValueError("unexpected end")
        kind, text = self.tokens[self.index]
        self.index += 1
        if kind == "num":
            if "/" in text:  # a mixed number, 3 1/2
                whole, fraction = text.split(" ")
                return int(whole) + Fraction(fraction)
            return Fraction(text.replace(",", "").replace(" ", ""))
        if text == "(":
            value = self._expr()
            if self._peek() != ")":
                raise ValueError("missing )")
            self.index += 1
            return value
        raise ValueError(f"unexpected {text!r}")


def evaluate(expression: str) -> Fraction:
    """Exact value of an arithmetic expression; ValueError when it is not one.

    >>> evaluate("2*(10+5) - 3^2")
    Fraction(21, 1)
    """
    try:
        return _Parser(expression).parse()
    except ZeroDivisionError:
        raise ValueError(f"division by zero in {expression!r}") from None
    except RecursionError:
        raise ValueError("expression nested too deeply") from None


def results_match(value: Fraction, stated: str) -> bool:
    """Does ``stated`` (a number or an expression) write ``value``?

    A decimal with ``d >= 1`` places matches the exact value rounded or
    truncated to ``d`` places (``3.33`` for 10/3); an integer must be exact.
    """
    text = stated.replace(",", "").replace("$", "").strip()
    try:
        target = evaluate(text)
    except ValueError:
        return False
    if target == value:
        return True
    decimals = len(text.split(".")[1]) if re.fullmatch(r"-?\d*\.\d+", text) else 0
    if decimals == 0:
        return False  # an integer result is written exactly (true of every GSM8K annotation)
    scale = Fraction(10) ** decimals
    return target in (Fraction(round(value * scale), scale), Fraction(int(value * scale), scale))


def _visible_pairs(text: str) -> list[tuple[str, str]]:
    """(left, right) expressions around each ``=``: the tail of the text before it
    and the head of the text after it. A side glued to more text (``27(1/3)``,
    ``60g * 4/5``, ``x + 4``) is skipped: we cannot tell what it computes."""
    pairs = []
    segments = text.split("=")
    for left_text, right_text in zip(segments, segments[1:]):
        # an equation's sides are short: bounding them keeps the regexes linear on long text
        left_text, right_text = left_text[-_SIDE_CHARS:], right_text[:_SIDE_CHARS]
        tail, head = _TAIL.search(left_text), _HEAD.search(right_text)
        if tail is None or head is None:
            continue
        start = tail.start(1) + len(tail.group(1)) - len(tail.group(1).lstrip())
        end = head.end(1) - len(head.group(1)) + len(head.group(1).rstrip())
        before, after = left_text[:start], right_text[end:]
        if before and (not before[-1].isspace() or before.rstrip()[-1:] in tuple(")-–−+*/×÷^(.,")):
            continue  # glued to a word or an operator: part of something larger
        if before.rstrip()[-1:].isdigit() or re.search(r"(?:^|\s)x\s*$", before):
            continue  # implicit multiplication, 1/2 (68), or "15 pages x 1/3"
        if _HAS_OP.search(head.group(1)) and "=" in right_text[end:]:
            continue  # a chain a = b + c = d: only the last link states a result
        if after[:1].isalnum() or re.match(r"\s*(?:\*\*|[-–−+*/×÷^(]|x\s*\d)", after):
            continue
        left, right = tail.group(1), head.group(1)
        if _HAS_OP.search(left) or _HAS_OP.search(right):
            pairs.append((left, right))
    return pairs


def find_computations(step: str) -> list[tuple[str, str]]:
    """Every ``(expression, stated_result)`` the step states, annotations first."""
    found: list[tuple[str, str]] = []
    for match in _ANNOTATION.finditer(step):
        body, after = match.group(1), match.group(2)
        if "=" not in body:
            continue
        expression, result = body.rsplit("=", 1)
        found.append((expression, result))
        glued = step[match.end():match.end() + 1] in ("/", "%")  # >>3/4 or >>25%: not the result alone
        if after is not None and after.strip() and not glued:
            found.append((result, after))
    visible = _ANNOTATION.sub(lambda m: m.group(2) or "", step)
    return found + _visible_pairs(visible)


def _agree(expression: str, stated: str) -> bool | None:
    """Do the two sides agree? None when either side is not arithmetic we read."""
    try:
        value = evaluate(expression)
        if results_match(value, stated):
            return True
        if "%" in expression + stated:  # "12/20 x 100 = 60%": % written as a label
            value = evaluate(expression.replace("%", ""))
            return results_match(value, stated.replace("%", ""))
        return False
    except ValueError:
        return None


def verify_arithmetic(step: str) -> bool | None:
    """True if every computation in ``step`` is right, False if one is wrong, None if none.

    >>> verify_arithmetic("She has 16 - 3 - 4 = <<16-3-4=9>>9 eggs.")
    True
    >>> verify_arithmetic("He pays 5 x 3 = $16.")
    False
    >>> verify_arithmetic("So she is happy.") is None
    True
    """
    if not isinstance(step, str):
        raise ValueError(f"verify_arithmetic: step must be str, got {type(step).__name__}")
    verdict: bool | None = None
    for expression, stated in find_computations(step):
        agree = _agree(expression, stated)
        if agree is False:
            return False
        if agree:
            verdict = True
    return verdict


def _perturb(number: str, rng: random.Random) -> str:
    """A different number written the same way (same decimals)."""
    clean = number.replace(",", "").replace(" ", "")
    decimals = len(clean.split(".")[1]) if "." in clean else 0
    value = Fraction(clean)
    while True:
        delta = rng.choice([1, 2, 3, 5, 10]) * rng.choice([-1, 1])
        candidate = value + delta if rng.random() < 0.7 else value * rng.choice([2, 10])
        if candidate != value and candidate > 0:
            break
    return f"{float(candidate):.{decimals}f}" if decimals else str(int(candidate))


_RESULT_BEFORE = re.compile(r"(?:=|>>)\s*\$?\s*$")


def corrupt_step(step: str, rng: random.Random) -> str | None:
    """The step with one number of one stated computation changed, consistently.

    A number is chosen among the operands and results of the computations the
    step states (those with an operator: ``<<125=125>>`` computes nothing), with
    its role: as an operand it is replaced wherever it stands as an operand,
    as a result wherever it follows ``=`` or ``>>``. The visible text and the
    ``<<...>>`` annotation therefore agree with each other and only the
    arithmetic is wrong: the error a careless solver makes. None when the step
    states no computation.
    """
    choices = []
    for expression, result in find_computations(step):
        if not _HAS_OP.search(expression):
            continue
        choices += [(n, "operand") for n in re.findall(_NUMBER, expression)]
        choices += [(n, "result") for n in re.findall(_NUMBER, result)]
    if not choices:
        return None
    original, role = rng.choice(sorted(set(choices)))
    replacement = _perturb(original, rng)
    pattern = re.compile(rf"(?<![\d.,]){re.escape(original)}(?![\d]|[.,]\d)")

    def swap(match: re.Match) -> str:
        is_result = bool(_RESULT_BEFORE.search(step[: match.start()]))
        return replacement if is_result == (role == "result") else match.group(0)

    return pattern.sub(swap, step)
