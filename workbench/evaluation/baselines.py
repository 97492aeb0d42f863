"""Null baselines: scorers that read nothing but the surface, scored by the same rules.

A benchmark number means little until it is set beside what a scorer that knows nothing
would get on the same subset. Each baseline gives every response a score, so the
benchmark's own rule (ties and all) turns it into a number with an interval:

* ``longest``:  ``r = len(response)`` in characters: what length alone reaches;
* ``shortest``: ``r = -len(response)``;
* ``random``:   one seeded draw of ``r ~ U(0, 1)``; its expectation is 1/2 on pairs and
  ``num_correct / K`` on best-of-K, and the draw wobbles around it by its own interval;
* ``first_position``: ``r = -position`` in the source row. In the RewardBench layouts the
  correct answer is *stored* first, so this baseline reads 100% there: anything in a
  pipeline that sees storage order (a pairwise judge, a collator that leaks it) would
  look perfect. On ranked lists it is the genuine position bias of the data.

A response given as chat messages counts the characters of its contents.
"""
from __future__ import annotations

import numpy as np

from workbench.evaluation.formats import EvalSet

BASELINES = ("longest", "shortest", "random", "first_position")


def response_length(response) -> int:
    """Characters of a text, or of the contents of a message list."""
    if isinstance(response, str):
        return len(response)
    return sum(len(str(m.get("content", ""))) for m in response)


def baseline_scores(eval_set: EvalSet, name: str, *, seed: int = 0) -> list[np.ndarray]:
    """Scores (K,) per example, in ``responses`` order, of baseline ``name`` (one of :data:`BASELINES`)."""
    if name not in BASELINES:
        raise ValueError(f"unknown baseline {name!r}; choose one of {BASELINES}")
    rng = np.random.default_rng(seed)
    out = []
    for ex in eval_set.examples:
        k = len(ex.responses)
        if name == "random":
            out.append(rng.random(k))
        elif name == "first_position":
            out.append(-np.asarray(ex.shown if ex.shown is not None else range(k), dtype=float))
        else:
            lengths = np.array([response_length(r) for r in ex.responses], dtype=float)
            out.append(lengths if name == "longest" else -lengths)
    return out
