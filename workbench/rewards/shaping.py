"""Length rewards: a linear length penalty, DAPO's soft overlong punishment, Kimi's group penalty.

Lengths are counted in tokens when TRL passes ``completion_ids`` (it does for
every reward function), else with ``tokenizer`` when one is given, else in
whitespace-separated words.

* Linear: ``r = -coef * max(0, L - target) / target``.
* Soft overlong punishment (DAPO, Yu et al. 2025), for a budget ``L_max`` and a
  soft zone of ``L_cache`` tokens before it::

      r = 0                               if L <= L_max - L_cache
      r = ((L_max - L_cache) - L) / L_cache if L_max - L_cache < L <= L_max
      r = -1                              if L > L_max

* Group length penalty (Kimi k1.5, 2025), within the completions of one prompt:
  ``lambda = 0.5 - (L - L_min) / (L_max - L_min)``; a correct completion gets
  ``lambda``, a wrong one ``min(0, lambda)`` (0 when all lengths are equal).
"""
from __future__ import annotations

from workbench.rewards._text import column, completion_texts


def completion_lengths(completions, *, completion_ids=None, tokenizer=None) -> list[int]:
    """Token counts (``completion_ids`` or ``tokenizer``) or word counts of each completion.

    >>> completion_lengths(["one two three", "four"])
    [3, 1]
    """
    texts = completion_texts(completions)
    if completion_ids is not None:
        return [len(ids) for ids in column(completion_ids, "completion_ids", len(texts))]
    if tokenizer is not None:
        return [len(tokenizer(t, add_special_tokens=False)["input_ids"]) for t in texts]
    return [len(t.split()) for t in texts]


def make_length_penalty(target: int, *, coef: float = 1.0, tokenizer=None):
    """Linear penalty beyond ``target`` tokens: ``r = -coef * max(0, L - target) / target``.

    >>> make_length_penalty(4)(["a b c", "a b c d e f"])
    [0.0, -0.5]
    """
    if target <= 0:
        raise ValueError(f"target: expected a positive length, got {target}")

    def length_penalty(completions, completion_ids=None, **kwargs) -> list[float]:
        lengths = completion_lengths(completions, completion_ids=completion_ids, tokenizer=tokenizer)
        return [0.0 - coef * max(0, n - target) / target for n in lengths]

    return length_penalty


def make_soft_overlong_reward(max_length: int, cache_length: int, *, tokenizer=None):
    """DAPO's soft overlong punishment (see module doc); 0 for short, -1 past ``max_length``.

    >>> make_soft_overlong_reward(8, 4)(["w " * 3, "w " * 6, "w " * 9])
    [0.0, -0.5, -1.0]
    """
    if not 0 < cache_length <= max_length:
        raise ValueError(f"cache_length: expected 0 < cache_length <= max_length, got {cache_length}, {max_length}")
    free = max_length - cache_length

    def soft_overlong_reward(completions, completion_ids=None, **kwargs) -> list[float]:
        lengths = completion_lengths(completions, completion_ids=completion_ids, tokenizer=tokenizer)
        return [0.0 if n <= free else -1.0 if n > max_length else (free - n) / cache_length for n in lengths]

    return soft_overlong_reward


def make_group_length_penalty(correctness, *, tokenizer=None, group_column: str = "prompts"):
    """Kimi k1.5's group length penalty; ``correctness`` is a reward giving 1.0 for correct.

    Completions are grouped by their ``prompts`` entry (TRL passes it); ``None``
    from ``correctness`` stays ``None``.

    >>> from workbench.rewards.correctness import correctness_reward
    >>> reward = make_group_length_penalty(correctness_reward)
    >>> reward(["#### 4", "a b c d e f g h #### 4", "a b c d e f #### 5"], prompts=["q"] * 3,
    ...        ground_truth=["4"] * 3)
    [0.5, -0.5, -0.25]
    """
    def group_length_penalty(completions, completion_ids=None, **kwargs) -> list[float | None]:
        lengths = completion_lengths(completions, completion_ids=completion_ids, tokenizer=tokenizer)
        groups = column(kwargs.get(group_column), group_column, len(lengths))
        right = correctness(completions, completion_ids=completion_ids, **kwargs)
        keys = [repr(g) for g in groups]
        bounds: dict[str, tuple[int, int]] = {}  # one pass, not one per completion (quadratic in N)
        for key, n in zip(keys, lengths):
            low, high = bounds.get(key, (n, n))
            bounds[key] = (min(low, n), max(high, n))
        out: list[float | None] = []
        for i, (key, n) in enumerate(zip(keys, lengths)):
            low, high = bounds[key]
            lam = 0.0 if high == low else 0.5 - (n - low) / (high - low)
            out.append(None if right[i] is None else lam if right[i] >= 1.0 else min(0.0, lam))
        return out

    return group_length_penalty
