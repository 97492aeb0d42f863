"""Code-execution reward throughput: our sandbox vs the textbook runner.

64 completions x 5 tests each. The textbook runner (as the seed writes it,
``workbench.rewards.naive_code_reward``) puts each completion plus one test in
a temp file and runs a fresh interpreter on it, sequentially, with a 5 s
timeout, counting exit code 0 as a pass (no isolation at all). It starts
``sys.executable`` directly, which is faster than the ``python`` on PATH. Ours runs the same jobs through
``make_code_execution_reward`` with full isolation on (bubblewrap when
installed): a pool of pre-forked workers, one forked child per test.

Run: ``.venv/bin/python benchmarks/code_reward.py`` (prints the ratio).
"""
from __future__ import annotations

import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from workbench.rewards import bwrap_path, make_code_execution_reward, naive_code_reward  # noqa: E402
from workbench.rewards.examples import CODE_TASKS  # noqa: E402


def make_jobs(n: int = 64) -> tuple[list[str], list[list[str]]]:
    """n completions over the 8 tasks of ``CODE_TASKS`` (half correct, a quarter partial, a quarter wrong),
    in markdown fences as a model writes them, 5 tests each."""
    completions, tests = [], []
    for i in range(n):
        task = CODE_TASKS[i % len(CODE_TASKS)]
        kind = ("correct", "correct", "partial", "wrong")[(i // len(CODE_TASKS)) % 4]
        completions.append(f"Here is my solution.\n```python\n{task[kind]}```\n")
        tests.append(task["tests"])
    return completions, tests


def main() -> None:
    completions, tests = make_jobs()
    start = time.perf_counter()
    baseline = naive_code_reward(completions, test_cases=tests, timeout=5.0)
    t_textbook = time.perf_counter() - start

    reward = make_code_execution_reward(timeout=5.0)
    start = time.perf_counter()
    cold = reward(completions, test_cases=tests)
    t_cold = time.perf_counter() - start
    warm_times = []
    for _ in range(5):
        start = time.perf_counter()
        warm = reward(completions, test_cases=tests)
        warm_times.append(time.perf_counter() - start)
        assert warm == cold
    t_warm = statistics.median(warm_times)
    assert cold == baseline, "the two runners disagree on non-hostile completions"

    n_tests = sum(map(len, tests))
    print(f"code reward: {len(completions)} completions x 5 tests = {n_tests} tests, {os.cpu_count()} CPUs, "
          f"isolation: {'bubblewrap' if bwrap_path() else 'rlimits only (no bwrap)'}")
    print(f"textbook runner (one {sys.executable} per test, sequential): {t_textbook:.2f} s "
          f"({1000 * t_textbook / n_tests:.1f} ms/test)")
    print(f"workbench sandbox, first call (starts the pool): {t_cold:.2f} s  ratio {t_textbook / t_cold:.1f}x")
    print(f"workbench sandbox, warm pool (median of 5):      {t_warm:.2f} s  ratio {t_textbook / t_warm:.1f}x")
    print(f"load average during the run: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
