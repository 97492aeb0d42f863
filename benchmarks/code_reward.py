"""Code-execution reward throughput: our sandbox vs the textbook runner.

64 completions x 5 tests each. The textbook runner (as the seed writes it)
puts each completion plus one test in a temp file and runs a fresh
interpreter on it, sequentially, with a 5 s timeout, counting exit code 0 as
a pass (no isolation at all). Ours runs the same jobs through
``make_code_execution_reward`` with full isolation on (bubblewrap when
installed): a pool of pre-forked workers, one forked child per test.

Run: ``.venv/bin/python benchmarks/code_reward.py`` (prints the ratio).
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from workbench.rewards import bwrap_path, make_code_execution_reward  # noqa: E402

PROBLEMS = [
    ("def add(a, b):\n    return a + b\n", "def add(a, b):\n    return a - b\n",
     ["assert add(1, 2) == 3", "assert add(-1, 1) == 0", "assert add(0, 0) == 0", "assert add(10, 5) == 15",
      "assert add(2, 2) == 4"]),
    ("def fib(n):\n    a, b = 0, 1\n    for _ in range(n):\n        a, b = b, a + b\n    return a\n",
     "def fib(n):\n    return n if n < 2 else fib(n - 1) + fib(n - 3)\n",
     ["assert fib(0) == 0", "assert fib(1) == 1", "assert fib(10) == 55", "assert fib(20) == 6765",
      "assert fib(30) == 832040"]),
    ("def is_prime(n):\n    if n < 2:\n        return False\n    return all(n % d for d in range(2, int(n ** 0.5) + 1))\n",
     "def is_prime(n):\n    return n % 2 == 1\n",
     ["assert is_prime(2)", "assert not is_prime(9)", "assert is_prime(97)", "assert not is_prime(1)",
      "assert [p for p in range(20) if is_prime(p)] == [2, 3, 5, 7, 11, 13, 17, 19]"]),
    ("def reverse_words(s):\n    return ' '.join(reversed(s.split()))\n",
     "def reverse_words(s):\n    return s[::-1]\n",
     ["assert reverse_words('a b c') == 'c b a'", "assert reverse_words('') == ''",
      "assert reverse_words('hello world') == 'world hello'", "assert reverse_words('x') == 'x'",
      "assert reverse_words(' a  b ') == 'b a'"]),
    ("from math import gcd as _g\ndef lcm(a, b):\n    return a * b // _g(a, b)\n",
     "def lcm(a, b):\n    return a * b\n",
     ["assert lcm(4, 6) == 12", "assert lcm(3, 5) == 15", "assert lcm(7, 7) == 7", "assert lcm(1, 9) == 9",
      "assert lcm(12, 18) == 36"]),
    ("from collections import Counter\ndef top_char(s):\n    return Counter(s).most_common(1)[0][0]\n",
     "def top_char(s):\n    return s[0]\n",
     ["assert top_char('aab') == 'a'", "assert top_char('bba') == 'b'", "assert top_char('zzzy') == 'z'",
      "assert top_char('q') == 'q'", "assert top_char('abcc') == 'c'"]),
    ("def flatten(xs):\n    out = []\n    for x in xs:\n        out.extend(flatten(x) if isinstance(x, list) else [x])\n"
     "    return out\n", "def flatten(xs):\n    return [x for x in xs if not isinstance(x, list)]\n",
     ["assert flatten([1, [2, [3]]]) == [1, 2, 3]", "assert flatten([]) == []", "assert flatten([[[]]]) == []",
      "assert flatten([1, 2]) == [1, 2]", "assert flatten([[1], [2, 3]]) == [1, 2, 3]"]),
    ("def word_count(s):\n    counts = {}\n    for w in s.split():\n        counts[w] = counts.get(w, 0) + 1\n"
     "    return counts\n", "def word_count(s):\n    return {w: 1 for w in s.split()}\n",
     ["assert word_count('a b a') == {'a': 2, 'b': 1}", "assert word_count('') == {}",
      "assert word_count('x') == {'x': 1}", "assert word_count('b b b') == {'b': 3}",
      "assert sorted(word_count('c a c').items()) == [('a', 1), ('c', 2)]"]),
]


def make_jobs(n: int = 64) -> tuple[list[str], list[list[str]]]:
    """n completions (3 of 4 correct, 1 of 4 buggy) in markdown fences, 5 tests each."""
    completions, tests = [], []
    for i in range(n):
        right, wrong, cases = PROBLEMS[i % len(PROBLEMS)]
        code = wrong if i % 4 == 3 else right
        completions.append(f"Here is my solution.\n```python\n{code}```\n")
        tests.append(cases)
    return completions, tests


def textbook_runner(completions: list[str], tests: list[list[str]], python: str) -> list[float]:
    """One interpreter per test, sequential, exit code 0 = pass (the seed's runner)."""
    from workbench.rewards import extract_code

    scores = []
    with tempfile.TemporaryDirectory() as folder:
        for completion, cases in zip(completions, tests):
            passed = 0
            for case in cases:
                path = os.path.join(folder, "test.py")
                with open(path, "w") as handle:
                    handle.write(extract_code(completion) + "\n" + case + "\n")
                try:
                    passed += subprocess.run([python, path], capture_output=True, timeout=5).returncode == 0
                except subprocess.TimeoutExpired:
                    pass
            scores.append(passed / len(cases))
    return scores


def main() -> None:
    completions, tests = make_jobs()
    start = time.perf_counter()
    baseline = textbook_runner(completions, tests, sys.executable)
    t_textbook = time.perf_counter() - start

    reward = make_code_execution_reward(timeout=5.0)
    start = time.perf_counter()
    cold = reward(completions, test_cases=tests)
    t_cold = time.perf_counter() - start
    start = time.perf_counter()
    warm = reward(completions, test_cases=tests)
    t_warm = time.perf_counter() - start
    assert cold == warm == baseline, "the two runners disagree on honest completions"

    n_tests = sum(map(len, tests))
    print(f"code reward: {len(completions)} completions x 5 tests = {n_tests} tests, {os.cpu_count()} CPUs, "
          f"isolation: {'bubblewrap' if bwrap_path() else 'rlimits only (no bwrap)'}")
    print(f"textbook runner (one {sys.executable} per test, sequential): {t_textbook:.2f} s "
          f"({1000 * t_textbook / n_tests:.1f} ms/test)")
    print(f"workbench sandbox, first call (starts the pool): {t_cold:.2f} s  ratio {t_textbook / t_cold:.1f}x")
    print(f"workbench sandbox, warm pool:                    {t_warm:.2f} s  ratio {t_textbook / t_warm:.1f}x")


if __name__ == "__main__":
    main()
