"""Every rule reward runs in time linear in its input, shown at 1 MB.

A policy under RL searches for the inputs where a reward is slow: a backtracking
regex that is quadratic in a run of blanks (40,000 newlines once took 30 s in
``correctness_reward``), a pattern rescanned from every unclosed tag, a loop over
all pairs of completions. Each reward meets each hostile family at 100 KB and at
1 MB: linear time takes ~10x as long for 10x the text, quadratic ~100x.
"""
import time

import pytest

from workbench.rewards import (
    correctness_reward,
    extract_code,
    format_reward,
    make_format_reward,
    make_group_length_penalty,
    make_length_penalty,
    make_soft_overlong_reward,
)
from workbench.rewards.execution import fenced_blocks

KB = 1_000


def _repeat(unit: str):
    return lambda size: [unit * (size // len(unit))]


# Each family: size in characters -> completions totalling about that many.
FAMILIES = {
    "newlines": _repeat("\n"),
    "blanks": _repeat(" \t \n"),
    "fence_then_blanks": lambda size: ["```" + " " * size],
    "unclosed_answer": _repeat("<answer>"),
    "unclosed_think": _repeat("<think>x"),
    "unclosed_fences": _repeat("```py\n"),
    "gsm8k_marks": _repeat("####\n"),
    "answer_lines": _repeat("Answer: \n"),
    "signs_and_dollars": _repeat("- $ "),
    "digit_groups": _repeat("1,"),
    "boxed": _repeat("\\boxed{"),
    "many_short_completions": lambda size: ["a b #### 4"] * (size // 10),
}

REWARDS = {
    "format_reward": format_reward,
    "format_partial": make_format_reward(mode="partial"),
    "correctness_reward": lambda c: correctness_reward(c, ground_truth=["#### 4"] * len(c)),
    "extract_code": lambda c: [extract_code(t) for t in c],
    "length_penalty": make_length_penalty(16),
    "soft_overlong": make_soft_overlong_reward(16, 8),
    "group_length_penalty": lambda c: make_group_length_penalty(correctness_reward)(
        c, prompts=[i % 8 for i in range(len(c))], ground_truth=["4"] * len(c)),
}


def _seconds(reward, completions) -> float:
    start = time.perf_counter()
    reward(completions)
    return time.perf_counter() - start


@pytest.mark.parametrize("family", sorted(FAMILIES))
@pytest.mark.parametrize("name", sorted(REWARDS))
def test_rule_reward_is_linear_up_to_one_megabyte(name, family):
    reward, make = REWARDS[name], FAMILIES[family]
    small = _seconds(reward, make(100 * KB))
    large = _seconds(reward, make(1000 * KB))
    # 30x (not 10x) and 50 ms of slack: a shared 2-core machine is noisy; quadratic is 100x.
    assert large < 30 * small + 0.05, f"{name} on {family}: 100 KB {small:.3f} s, 1 MB {large:.3f} s"
    assert large < 3.0, f"{name} on {family}: 1 MB took {large:.2f} s"


@pytest.mark.parametrize("text", [
    "```python\ndef f():\n    return 1\n```", "```python```\ncode```", "````\nx```", "``` ```\nbody```tail",
    "```\na```\n```py\nb```", "```\nunclosed", "```no newline", "text ``` ```\n", "```c\nx```````\ny```",
    "``\n`\n```\n```", " ```  js extra\nbody\n``` and ```\n2```",
])
def test_fenced_blocks_pair_fences_as_the_old_regex_did(text):
    import re

    old = re.compile(r"```[ \t]*([\w+-]*)[^\n]*\n(.*?)```", re.DOTALL)
    assert fenced_blocks(text) == old.findall(text)


@pytest.mark.parametrize("text, answer", [
    ("so 7\n#### 7", "7"), ("####\n 12 \n", "12"), ("  #### 1,000  \nmore", "1,000"),
    ("x #### 5", "5"), ("Answer:\n42", "42"), ("final answer : 3/4 ", "3/4"), ("A: 9\nA: 10", "10"),
    ("<answer> 2 </answer> <answer>3</answer>", "3"), ("<answer>1<answer>2</answer>", "1<answer>2"),
    ("costs $ 5 or - 3", "- 3"), ("-\n\n4", "-\n\n4"), ("pay $-5", "-5"), ("1,234.5", "1,234.5"),
])
def test_linear_extractors_find_the_answers_the_old_patterns_found(text, answer):
    from workbench.rewards import extract_answer

    assert extract_answer(text) == answer
