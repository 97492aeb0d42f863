"""Formal verification of code steps: run them in the project's sandbox.

A step that carries code (a fenced block ```` ```python ... ``` ````) is checked by
running the program made of every code block up to and including it (the state a
reader of the solution has reached) in :mod:`workbench.rewards.sandbox`: isolated
by bubblewrap where installed, with CPU, memory and process limits. A program that
raises or times out marks its step wrong; a step without code gets no verdict. If
the record has a ``reference`` and the last code step prints, its output must
equal the reference.
"""
from __future__ import annotations

import re

from workbench.prm.labelers import StepAnnotation
from workbench.prm.records import StepRecord, answers_equal

_FENCE = re.compile(r"```(?:python|py)?[ \t]*\n(.*?)```", re.DOTALL)


def code_blocks(step: str) -> str | None:
    """The Python code in a step's fenced blocks, joined; None when there is none."""
    blocks = _FENCE.findall(step)
    return "\n".join(block.rstrip() for block in blocks) if blocks else None


class CodeStepVerifier:
    """Annotate code steps by running their cumulative programs in the sandbox.

    Labels: 1.0 for a code step whose program runs (and, for the last one, prints
    the reference when it prints anything), 0.0 at the first that fails, None for
    steps without code and after the first failure. Cost: ``calls`` = programs run.
    """

    name = "code-verifier"

    def __init__(self, *, timeout: float = 5.0, pool=None):
        self.timeout, self._pool = timeout, pool

    def _runner(self):
        if self._pool is None:
            from workbench.rewards.sandbox import get_pool

            self._pool = get_pool()
        return self._pool

    def annotate(self, record: StepRecord) -> StepAnnotation:
        code = [code_blocks(step) for step in record.steps]
        indices = [i for i, block in enumerate(code) if block is not None]
        programs = ["\n".join(c for c in code[: i + 1] if c is not None) for i in indices]
        results = self._runner().run_programs([(p, "") for p in programs], self.timeout) if programs else []
        labels: list[float | None] = [None] * len(record.steps)
        first = None
        for position, (index, (status, output)) in enumerate(zip(indices, results)):
            ok = status == "ok"
            last = position == len(indices) - 1
            if ok and last and record.reference is not None and output.strip():
                ok = answers_equal(output.strip().splitlines()[-1], record.reference)
            labels[index] = 1.0 if ok else 0.0
            if not ok:
                first = index
                break
        return StepAnnotation(labels, first, self.name, {"rollouts": 0, "calls": len(programs)})
