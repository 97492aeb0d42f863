"""Code-execution reward: the fraction of a completion's tests it passes, safely.

``reward = (1 / n) * sum_i s_i`` over the completion's ``n`` tests, with
``s_i = 1`` for a pass, ``0`` for a failure and ``-timeout_penalty`` for a test
that ran past ``timeout`` seconds (never a pass). With ``partial_credit=False``
the reward is 1 only when every test passes (a sparser signal). How the tests
run (bubblewrap sandbox, verdicts computed outside the untrusted process) is
described in :mod:`workbench.rewards.sandbox`.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from types import CodeType

from workbench.rewards._text import column, completion_texts
from workbench.rewards.sandbox import PASS, TIMEOUT, IOTest, SandboxLimits, get_pool, same_output

_LANGUAGE = re.compile(r"[ \t]*([\w+-]*)")


def fenced_blocks(text: str) -> list[tuple[str, str]]:
    """``(language, body)`` of each fenced block, pairing fences left to right, in linear time.

    The same blocks as ``re.findall(r"```[ \\t]*([\\w+-]*)[^\\n]*\\n(.*?)```", text, re.DOTALL)``,
    found with ``str.find``: that regex is quadratic in a completion of unclosed fences or
    of a fence followed by blanks (its ``[ \\t]*`` and ``[^\\n]*`` match the same blanks).
    """
    blocks, position = [], 0
    while (start := text.find("```", position)) >= 0:
        newline = text.find("\n", start + 3)
        end = -1 if newline < 0 else text.find("```", newline + 1)
        if end < 0:  # no later fence can be closed either (see the tests)
            break
        language = _LANGUAGE.match(text, start + 3, newline).group(1)
        blocks.append((language, text[newline + 1:end]))
        position = end + 3
    return blocks


def extract_code(text: str, language: str = "python") -> str:
    """The last fenced code block in ``language`` (or untagged); the whole text when there is none.

    >>> extract_code("Here:\\n```python\\ndef f():\\n    return 1\\n```\\nDone.")
    'def f():\\n    return 1\\n'
    """
    blocks = [body for lang, body in fenced_blocks(text) if lang.lower() in ("", language, language[:2])]
    return blocks[-1] if blocks else text


def _io_test(test: dict, i: int, j: int) -> IOTest:
    for key in ("input", "output"):
        if not isinstance(test.get(key), str):
            raise ValueError(f"test_cases[{i}][{j}]['{key}']: an I/O test needs a string here")
    return IOTest(test["input"], test["output"])


def compile_tests(test_cases, n: int) -> list[list[CodeType | IOTest] | None]:
    """Compile each completion's tests; a bad test raises ValueError naming row and index.

    A test is a string of Python run against the completion's definitions
    (``"assert add(1, 2) == 3"``) or a standard-I/O case ``{"input": "1 2\\n",
    "output": "3\\n"}`` for which the completion runs as a program.
    """
    rows = column(test_cases, "test_cases", n)
    compiled: list[list[CodeType] | None] = []
    for i, tests in enumerate(rows):
        if tests is None:
            compiled.append(None)
            continue
        if isinstance(tests, str) or not isinstance(tests, (list, tuple)):
            raise ValueError(f"test_cases[{i}]: expected a list of test strings, got {type(tests).__name__}")
        row = []
        for j, test in enumerate(tests):
            if isinstance(test, dict):
                row.append(_io_test(test, i, j))
                continue
            if not isinstance(test, str):
                raise ValueError(f"test_cases[{i}][{j}]: expected a test string or an "
                                 f"{{'input': ..., 'output': ...}} dict, got {type(test).__name__}")
            try:
                row.append(compile(test, f"<test_cases[{i}][{j}]>", "exec"))
            except SyntaxError as exc:
                raise ValueError(f"test_cases[{i}][{j}]: not valid Python ({exc.msg}, line {exc.lineno})") from None
        compiled.append(row or None)
    return compiled


def run_code_tests(codes: list[str], test_cases, *, timeout: float = 2.0, limits: SandboxLimits = SandboxLimits(),
                   workers: int | None = None, use_bwrap: bool | None = None) -> list[list[str] | None]:
    """Per test verdicts ``"pass"`` / ``"fail"`` / ``"timeout"`` for each code string (None: no tests).

    >>> run_code_tests(["def add(a, b):\\n    return a + b"], [["assert add(1, 2) == 3", "assert add(2, 2) == 5"]])
    [['pass', 'fail']]
    """
    if not timeout > 0:
        raise ValueError(f"timeout: expected a positive number of seconds, got {timeout}")
    compiled = compile_tests(test_cases, len(codes))
    jobs = [(code, tests) for code, tests in zip(codes, compiled) if tests]
    pool = get_pool(limits, workers=workers, use_bwrap=use_bwrap)
    results = iter(pool.run(jobs, timeout))
    return [next(results) if tests else None for tests in compiled]


def run_programs(codes: list[str], stdins: list[str] | None = None, *, timeout: float = 2.0,
                 limits: SandboxLimits = SandboxLimits(), workers: int | None = None,
                 use_bwrap: bool | None = None) -> list[tuple[str, str]]:
    """Run each code string as a program in the sandbox (for code steps of a solution, e.g. a PRM).

    Returns ``(status, text)`` per program: ``("ok", printed output)``,
    ``("error", "ExceptionName: message")`` or ``("timeout", "")``.

    >>> run_programs(["print(6 * 7)", "1 / 0", "while True: pass"], timeout=0.5)
    [('ok', '42\\n'), ('error', 'ZeroDivisionError: division by zero'), ('timeout', '')]
    """
    if not timeout > 0:
        raise ValueError(f"timeout: expected a positive number of seconds, got {timeout}")
    stdins = [""] * len(codes) if stdins is None else column(stdins, "stdins", len(codes))
    for i, (code, stdin) in enumerate(zip(codes, stdins)):
        if not isinstance(code, str) or not isinstance(stdin, str):
            raise ValueError(f"codes[{i}] / stdins[{i}]: expected strings")
    return get_pool(limits, workers=workers, use_bwrap=use_bwrap).run_programs(list(zip(codes, stdins)), timeout)


def make_code_execution_reward(*, timeout: float = 2.0, timeout_penalty: float = 0.0, partial_credit: bool = True,
                               extract=extract_code, limits: SandboxLimits = SandboxLimits(),
                               workers: int | None = None, use_bwrap: bool | None = None):
    """A reward ``f(completions, test_cases, **kw) -> list[float | None]`` (see module doc).

    timeout: seconds per test (wall clock, and the CPU limit of its process).
    timeout_penalty: a timed-out test scores ``-timeout_penalty``.
    partial_credit: fraction of tests passed (True) or all-or-nothing (False).
    extract: completion text -> code (default: the last fenced Python block).
    limits, workers, use_bwrap: sandbox settings (``use_bwrap=None``: when installed).

    Standard-I/O tests (``{"input": ..., "output": ...}``) run the completion as a program:

    >>> echo_sum = "a, b = map(int, input().split())\\nprint(a + b)"
    >>> make_code_execution_reward()([echo_sum], test_cases=[[{"input": "1 2\\n", "output": "3\\n"},
    ...                                                       {"input": "5 5", "output": "11"}]])
    [0.5]
    >>> reward = make_code_execution_reward(timeout=1.0, timeout_penalty=0.5)
    >>> reward(["def f(x):\\n    return 2 * x", "def f(x):\\n    while True: pass"],
    ...        test_cases=[["assert f(1) == 2", "assert f(2) == 5"], ["assert f(1) == 2"]])
    [0.5, -0.5]
    """
    def code_execution_reward(completions, test_cases=None, **kwargs) -> list[float | None]:
        codes = [extract(text) for text in completion_texts(completions)]
        verdicts = run_code_tests(codes, test_cases, timeout=timeout, limits=limits, workers=workers,
                                  use_bwrap=use_bwrap)
        scores: list[float | None] = []
        for row in verdicts:
            if row is None:
                scores.append(None)
            elif not partial_credit:
                scores.append(1.0 if all(v == PASS for v in row) else 0.0)
            else:
                points = [1.0 if v == PASS else -timeout_penalty if v == TIMEOUT else 0.0 for v in row]
                scores.append(sum(points) / len(points))
        return scores

    return code_execution_reward


def code_execution_reward(completions, test_cases=None, *, timeout: float = 2.0, timeout_penalty: float = 0.0,
                          **kwargs) -> list[float | None]:
    """Fraction of each completion's ``test_cases`` passed in the sandbox (TRL signature).

    >>> code_execution_reward(["```python\\ndef add(a, b):\\n    return a + b\\n```"],
    ...                       test_cases=[["assert add(1, 2) == 3", "assert add(0, 0) == 1"]])
    [0.5]
    """
    return make_code_execution_reward(timeout=timeout, timeout_penalty=timeout_penalty)(
        completions, test_cases=test_cases, **kwargs)


def naive_code_reward(completions, test_cases=None, *, timeout: float = 5.0, python: str = sys.executable,
                      **kwargs) -> list[float | None]:
    """The textbook runner, for teaching and benchmarks only: NO isolation, forgeable verdicts.

    Writes each completion plus one test to a file and runs a fresh interpreter
    on it, sequentially; exit code 0 counts as a pass. ``sys.exit(0)`` before the
    asserts, an always-equal object or a patched builtin fool it (notebook 05).

    >>> naive_code_reward(["import sys\\nsys.exit(0)"], test_cases=[["assert add(1, 2) == 3"]])
    [1.0]
    """
    codes = [extract_code(text) for text in completion_texts(completions)]
    compiled = compile_tests(test_cases, len(codes))
    scores: list[float | None] = []
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "test.py")
        for code, tests, row in zip(codes, compiled, test_cases):
            if not tests:
                scores.append(None)
                continue
            passed = 0
            for test, source in zip(tests, row):
                io = isinstance(test, IOTest)
                with open(path, "w") as handle:
                    handle.write(code if io else code + "\n" + source + "\n")
                try:
                    run = subprocess.run([python, path], capture_output=True, timeout=timeout, text=True,
                                         input=test.stdin if io else None)
                    passed += same_output(run.stdout, test.expected) if io else run.returncode == 0
                except subprocess.TimeoutExpired:
                    pass
            scores.append(passed / len(tests))
    return scores
