"""Format rewards: does the completion follow ``<think>...</think><answer>...</answer>``?

Strict mode scores 1.0 when the whole completion (surrounding whitespace
aside) is the tags in order, each exactly once, with no text outside them,
and 0.0 otherwise, as DeepSeek-R1 (2025) and TRL's ``think_format_reward``
do. Partial mode gives the fraction of the checks that pass

    r = (1 / (2T + 2)) * ( sum_t [open_t appears once] + [close_t appears once]
                           + [tags in order, none nested] + [no text outside the tags] )

for T tags, a denser signal early in training (and an easier one to game:
see notebook 05).
"""
from __future__ import annotations

import re

from workbench.rewards._text import completion_texts

MODES = ("strict", "partial")


def _checks(text: str, tags: tuple[str, ...]) -> list[bool]:
    checks, spans = [], []
    for tag in tags:
        opens, closes = text.count(f"<{tag}>"), text.count(f"</{tag}>")
        checks += [opens == 1, closes == 1]
        start, end = text.find(f"<{tag}>"), text.find(f"</{tag}>")
        spans.append((start, end + len(tag) + 3) if 0 <= start < end else None)
    ordered = all(s is not None for s in spans) and all(a[1] <= b[0] for a, b in zip(spans, spans[1:]))
    checks.append(ordered and all(c for c in checks))
    outside = ""
    if ordered:
        cuts = [0] + [i for span in spans for i in span] + [len(text)]
        outside = "".join(text[cuts[i]:cuts[i + 1]] for i in range(0, len(cuts), 2))
    checks.append(ordered and not outside.strip())
    return checks


def make_format_reward(pattern: str | None = None, *, tags=("think", "answer"), mode: str = "strict"):
    """A reward for the completion's layout: ``f(completions, **kw) -> list[float]``.

    pattern: a regular expression the whole completion must match (``re.DOTALL``,
        surrounding whitespace stripped); only with ``mode="strict"``.
    tags: tag names that must appear in this order, each once, nothing outside.
    mode: ``"strict"`` (1.0 or 0.0) or ``"partial"`` (fraction of checks, see module doc).

    >>> reward = make_format_reward(mode="partial")
    >>> reward(["<think>2+2</think><answer>4</answer>", "<think>2+2</think><answer>4", "4"])
    [1.0, 0.5, 0.0]
    """
    if mode not in MODES:
        raise ValueError(f"mode: expected one of {MODES}, got {mode!r}")
    if pattern is not None and mode != "strict":
        raise ValueError("mode: partial credit needs `tags`, not a custom `pattern`")
    tags = tuple(tags)
    if pattern is None and (not tags or any(not re.fullmatch(r"[\w-]+", t) for t in tags)):
        raise ValueError(f"tags: expected one or more tag names, got {tags!r}")
    compiled = re.compile(pattern, re.DOTALL) if pattern is not None else None

    def format_reward(completions, **kwargs) -> list[float]:
        scores = []
        for text in completion_texts(completions):
            if compiled is not None:
                scores.append(1.0 if compiled.fullmatch(text.strip()) else 0.0)
                continue
            checks = _checks(text, tags)
            scores.append(float(all(checks)) if mode == "strict" else sum(checks) / len(checks))
        return scores

    format_reward.__name__ = f"format_reward_{mode}" if pattern is None else "format_reward_pattern"
    return format_reward


format_reward = make_format_reward()
format_reward.__name__ = "format_reward"
format_reward.__doc__ = """Strict ``<think>...</think><answer>...</answer>`` format: 1.0 or 0.0.

>>> format_reward(["<think>a</think>\\n<answer>b</answer>", "<answer>b</answer>"])
[1.0, 0.0]
"""
