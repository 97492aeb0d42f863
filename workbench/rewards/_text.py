"""Shared helpers: completion text from TRL's two completion shapes, column checks."""
from __future__ import annotations

from collections.abc import Sequence


def completion_text(completion, index: int = 0) -> str:
    """The text of one completion: a string, or a chat message list.

    For a message list (``[{"role": "assistant", "content": ...}]``, TRL's
    conversational format) the contents of its assistant messages are joined
    with newlines (all messages when none has a role); a content given as a
    list of parts contributes its ``{"type": "text", "text": ...}`` parts.

    >>> completion_text([{"role": "assistant", "content": "42"}])
    '42'
    """
    if isinstance(completion, str):
        return completion
    if isinstance(completion, dict):
        completion = [completion]
    if not isinstance(completion, Sequence):
        raise ValueError(f"completions[{index}]: expected a string or a list of chat messages, "
                         f"got {type(completion).__name__}")
    messages = [m for m in completion if isinstance(m, dict) and m.get("role") == "assistant"]
    if not messages:
        messages = list(completion)
    parts = []
    for message in messages:
        if not isinstance(message, dict) or "content" not in message:
            raise ValueError(f"completions[{index}]: a chat message must be a dict with 'content'")
        content = message["content"]
        if isinstance(content, list):
            content = "".join(p.get("text", "") for p in content if isinstance(p, dict))
        if not isinstance(content, str):
            raise ValueError(f"completions[{index}]: message content must be text, got {type(content).__name__}")
        parts.append(content)
    return "\n".join(parts)


def completion_texts(completions) -> list[str]:
    """:func:`completion_text` of each completion (raises ValueError naming the row)."""
    if isinstance(completions, str) or not isinstance(completions, Sequence):
        raise ValueError("completions: expected a list of completions (strings or chat message lists)")
    return [completion_text(c, i) for i, c in enumerate(completions)]


def column(values, name: str, n: int) -> list:
    """A dataset column passed as a keyword list; checks it has one entry per completion."""
    if values is None:
        raise ValueError(f"{name}: this reward needs the dataset column {name!r} (one entry per completion)")
    if isinstance(values, (str, bytes)) or not isinstance(values, Sequence):
        raise ValueError(f"{name}: expected a list with one entry per completion, got {type(values).__name__}")
    if len(values) != n:
        raise ValueError(f"{name}: has {len(values)} entries but there are {n} completions")
    return list(values)
