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

_NUMBER = r"-?\$?\s*\d[\d,]*(?:\.\d+)?|-?\.\d+"


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


def _last(pattern: str, text: str, flags=0) -> str | None:
    found = re.findall(pattern, text, flags)
    return found[-1].strip() if found else None


EXTRACTORS = {
    "answer_tag": lambda t: _last(r"<answer>(.*?)</answer>", t, re.DOTALL),
    "boxed": _boxed,
    "gsm8k": lambda t: _last(r"^\s*####\s*(.+?)\s*$", t, re.MULTILINE),
    "answer_line": lambda t: _last(r"^\s*(?:A|Answer|Final answer)\s*:\s*(.+?)\s*$", t, re.MULTILINE | re.IGNORECASE),
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
