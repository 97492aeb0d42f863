"""Correctness rewards: extract the final answer, compare by mathematical equivalence.

The answer is taken from the completion by the first extractor that finds
one (default order: ``<answer>`` tags, ``\\boxed{}``, GSM8K's ``#### N``, a final
``A: N`` / ``Answer: N`` line, the last number). Two plain numbers are equal
when ``|pred - ref| <= abs_tol + rel_tol * |ref|``; anything else is compared
with ``math_verify.verify`` (Hugging Face's Math-Verify, 2025), so ``\\frac12``,
``0.5`` and ``50\\%`` agree and ``(x+1)^2`` equals ``x^2+2x+1``. A reference
that cannot be parsed gives ``None`` (not applicable), never a silent 0.
"""
from __future__ import annotations

import math
import re
import threading

from workbench.rewards._text import column, completion_texts

# Every pattern below runs in time linear in the text (a policy under RL finds the
# inputs where a backtracking regex is quadratic: 40,000 newlines took 30 s). The
# rules: no two adjacent quantified parts that can match the same character (the
# old ``^\s*`` before a line's content, ``\s*\d`` tried from every blank, ``(.+?)\s*$``),
# and a quantifier may cross a newline only right after a fixed anchor (``####``,
# ``:``), so each run of whitespace is scanned once. Leading and trailing blanks
# are removed by ``_last``'s strip, not by the pattern.
_NUMBER = r"(?:-?\$\s*|-\s*)?\d[\d,]*(?:\.\d+)?|-?\.\d+"
# Math-Verify's parser takes time that grows faster than the answer's length (1 MB of
# digits: seconds); a final answer is short, so a longer extracted one is wrong unparsed.
MAX_ANSWER_CHARS = 10_000
_LINE_START = r"^[^\S\n]*"  # blanks, but not newlines, before a line's first character
_GSM8K = re.compile(_LINE_START + r"####\s*(\S[^\n]*)", re.MULTILINE)
_ANSWER_LINE = re.compile(_LINE_START + r"(?:A|Answer|Final answer)[^\S\n]*:\s*(\S[^\n]*)",
                          re.MULTILINE | re.IGNORECASE)


def _boxed(text: str) -> str | None:
    start = max(text.rfind("\\boxed{"), text.rfind("\\fbox{"))
    if start < 0:
        return None
    i = text.index("{", start) + 1
    depth, begin = 1, i
    while i < len(text) and depth:
        depth += {"{": 1, "}": -1}.get(text[i], 0)
        i += 1
    return text[begin:i - 1] if depth == 0 else None


def _last(pattern, text: str, flags=0) -> str | None:
    found = re.findall(pattern, text, flags)
    return found[-1].strip() if found else None


def _answer_tag(text: str) -> str | None:
    """The last ``<answer>...</answer>`` of the left-to-right pairing (as ``re.findall`` pairs them).

    A scan with ``str.find`` instead of ``<answer>(.*?)</answer>``: the regex scans to the
    end of the text from every unclosed ``<answer>``, quadratic for a text of them.
    """
    found, position = None, 0
    while (start := text.find("<answer>", position)) >= 0:
        end = text.find("</answer>", start + len("<answer>"))
        if end < 0:  # no closing tag after this one, so none after any later opening either
            break
        found, position = text[start + len("<answer>"):end], end + len("</answer>")
    return found.strip() if found is not None else None


EXTRACTORS = {
    "answer_tag": _answer_tag,
    "boxed": _boxed,
    "gsm8k": lambda t: _last(_GSM8K, t),
    "answer_line": lambda t: _last(_ANSWER_LINE, t),
    "last_number": lambda t: _last(_NUMBER, t),
    "raw": lambda t: t.strip() or None,
}
DEFAULT_EXTRACTORS = ("answer_tag", "boxed", "gsm8k", "answer_line", "last_number")
REFERENCE_EXTRACTORS = ("boxed", "gsm8k", "answer_line", "raw")


def extract_answer(text: str, extractors=DEFAULT_EXTRACTORS) -> str | None:
    """The first answer found by ``extractors`` (names in ``EXTRACTORS`` or callables), or None.

    >>> extract_answer("so 3 + 4 = 7\\n#### 7")
    '7'
    >>> extract_answer("<think>...</think><answer>\\\\frac{1}{2}</answer>")
    '\\\\frac{1}{2}'
    """
    for extractor in extractors:
        fn = EXTRACTORS[extractor] if isinstance(extractor, str) else extractor
        found = fn(text)
        if found:
            return found
    return None


def as_number(answer: str | None) -> float | None:
    """A plain number written as ``1,234``, ``$5``, ``-0.5``, ``12.`` (units/percent excluded), else None."""
    if answer is None:
        return None
    cleaned = re.sub(r"[\s,$]", "", answer).rstrip(".")
    if not re.fullmatch(r"-?(\d+(\.\d*)?|\.\d+)", cleaned):
        return None
    value = float(cleaned)
    return value if math.isfinite(value) else None


def _parse(answer: str):
    from math_verify import parse

    timeout = 5 if threading.current_thread() is threading.main_thread() else None
    parsed = parse(answer, parsing_timeout=timeout)
    if not parsed and "$" not in answer:
        parsed = parse(f"${answer}$", parsing_timeout=timeout)
    return parsed


def answers_match(prediction: str | None, reference: str, *, rel_tol: float = 1e-6, abs_tol: float = 1e-9) -> bool | None:
    """True/False for equivalent/different answers; None when ``reference`` cannot be parsed.

    A ``prediction`` longer than ``MAX_ANSWER_CHARS`` that is not a plain number is False.

    >>> answers_match("0.5", "\\\\frac{1}{2}"), answers_match("1,000", "1000"), answers_match("3", "4")
    (True, True, False)
    """
    ref_number = as_number(reference)
    if prediction is None:
        parsed = ref_number is not None or any(not isinstance(g, str) for g in _parse(reference))
        return False if parsed else None
    if ref_number is not None:
        pred_number = as_number(prediction)
        if pred_number is not None:
            return abs(pred_number - ref_number) <= abs_tol + rel_tol * abs(ref_number)
    gold = _parse(reference)
    if not any(not isinstance(g, str) for g in gold):  # only the raw string came back: unparseable
        return None
    if len(prediction) > MAX_ANSWER_CHARS:
        return False
    from math_verify import verify

    timeout = 5 if threading.current_thread() is threading.main_thread() else None
    return bool(verify(gold, _parse(prediction), timeout_seconds=timeout))


def make_correctness_reward(*, extractors=DEFAULT_EXTRACTORS, reference_extractors=REFERENCE_EXTRACTORS,
                            column_name: str = "ground_truth", rel_tol: float = 1e-6, abs_tol: float = 1e-9,
                            correct: float = 1.0, wrong: float = 0.0):
    """A reward for the final answer: ``f(completions, ground_truth, **kw) -> list[float | None]``.

    extractors: how to find the completion's answer (names in ``EXTRACTORS`` or callables).
    reference_extractors: how to find the reference's answer (a full GSM8K solution works).
    column_name: the dataset column that holds the references.
    rel_tol, abs_tol: numeric tolerance for two plain numbers.
    correct, wrong: the scores given; an unparseable reference gives None.

    >>> reward = make_correctness_reward()
    >>> reward(["<answer>18</answer>", "#### 17", "I don't know"], ground_truth=["#### 18"] * 3)
    [1.0, 0.0, 0.0]
    """
    def correctness_reward(completions, ground_truth=None, **kwargs) -> list[float | None]:
        texts = completion_texts(completions)
        refs = column(ground_truth if column_name == "ground_truth" else kwargs.get(column_name), column_name, len(texts))
        scores: list[float | None] = []
        for i, (text, ref) in enumerate(zip(texts, refs)):
            if ref is None:
                scores.append(None)
                continue
            if not isinstance(ref, (str, int, float)) or isinstance(ref, bool):
                raise ValueError(f"{column_name}[{i}]: expected a string or number, got {type(ref).__name__}")
            reference = extract_answer(str(ref), reference_extractors)
            match = None if reference is None else answers_match(
                extract_answer(text, extractors), reference, rel_tol=rel_tol, abs_tol=abs_tol)
            scores.append(None if match is None else (correct if match else wrong))
        return scores

    return correctness_reward


correctness_reward = make_correctness_reward()
