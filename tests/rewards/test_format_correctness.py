"""Format, correctness and length rewards: hand-worked cases, real GSM8K, bad input."""
import json

import pytest

from workbench.rewards import (
    answers_match,
    completion_lengths,
    correctness_reward,
    extract_answer,
    format_reward,
    make_correctness_reward,
    make_format_reward,
    make_group_length_penalty,
    make_length_penalty,
    make_soft_overlong_reward,
)

GOOD = "<think>16 - 3 - 4 = 9, 9 * 2 = 18</think>\n<answer>18</answer>"


def test_format_strict_accepts_only_the_exact_layout():
    texts = [GOOD, "  " + GOOD + "\n", "<answer>18</answer>", "<think>x</think><answer>18</answer> extra",
             "<answer>18</answer><think>x</think>", "<think>a</think><think>b</think><answer>1</answer>"]
    assert format_reward(texts) == [1.0, 1.0, 0.0, 0.0, 0.0, 0.0]


def test_format_partial_counts_checks():
    """6 checks for 2 tags: 4 tag counts, order, nothing outside. '<think>a</think>' passes 2 of 6."""
    reward = make_format_reward(mode="partial")
    scores = reward([GOOD, "<think>a</think>", "nothing", "pre <think>a</think><answer>b</answer>"])
    assert scores == pytest.approx([1.0, 2 / 6, 0.0, 5 / 6])


def test_format_custom_tags_and_pattern():
    reward = make_format_reward(tags=("reasoning", "solution"))
    assert reward(["<reasoning>r</reasoning><solution>s</solution>", GOOD]) == [1.0, 0.0]
    boxed = make_format_reward(r".*\\boxed\{[^}]+\}")
    assert boxed(["so \\boxed{4}", "so 4"]) == [1.0, 0.0]
    with pytest.raises(ValueError, match="mode"):
        make_format_reward(mode="lenient")
    with pytest.raises(ValueError, match="partial"):
        make_format_reward(r"x", mode="partial")


def test_chat_messages_and_bad_rows():
    chat = [[{"role": "user", "content": "q"}, {"role": "assistant", "content": GOOD}]]
    assert format_reward(chat) == [1.0]
    with pytest.raises(ValueError, match=r"completions\[1\]"):
        format_reward([GOOD, 42])
    with pytest.raises(ValueError, match="ground_truth"):
        correctness_reward([GOOD, GOOD], ground_truth=["18"])


@pytest.mark.parametrize("text, expected", [
    ("<answer>\\frac{1}{2}</answer>", "\\frac{1}{2}"),
    ("the area is \\boxed{\\frac{\\sqrt{3}}{4}} units", "\\frac{\\sqrt{3}}{4}"),
    ("9 * 2 = 18\n#### 18", "18"),
    ("She makes $18.\nA: 18", "18"),
    ("I think it is 17 or maybe 18.5", "18.5"),
    ("no digits", None),
])
def test_extract_answer(text, expected):
    assert extract_answer(text) == expected


def test_equivalence_not_string_equality():
    assert answers_match("0.5", "\\frac{1}{2}") and answers_match("1,000", "1000")
    assert answers_match("$18", "18") and answers_match("18.0000001", "18")
    assert answers_match("(x+1)^2", "x^2+2x+1") and not answers_match("x^2+1", "x^2+2x+1")
    assert answers_match("17", "18") is False
    assert answers_match("18", "not a number at all ???") in (None, False)


def test_correctness_none_for_unparseable_reference():
    scores = correctness_reward(["<answer>4</answer>"] * 3, ground_truth=["4", "%%%", None])
    assert scores == [1.0, None, None]


def test_correctness_custom_column_and_scores():
    reward = make_correctness_reward(column_name="answer", wrong=-1.0)
    assert reward(["#### 7", "#### 8"], answer=["7", "7"]) == [1.0, -1.0]


def test_correctness_agrees_with_gsm8k_labels(shared_data):
    """On 200 real GSM8K questions x 4 model solutions the reward equals the dataset's is_correct."""
    lines = (shared_data / "gsm8k" / "example_model_solutions.jsonl").read_text().splitlines()[:200]
    rows = [json.loads(line) for line in lines]
    keys = ["6b_finetuning", "6b_verification", "175b_finetuning", "175b_verification"]
    texts = [r[k]["solution"] for r in rows for k in keys]
    truths = [r["ground_truth"] for r in rows for k in keys]
    labels = [float(r[k]["is_correct"]) for r in rows for k in keys]
    assert correctness_reward(texts, ground_truth=truths) == labels
    assert 0.2 < sum(labels) / len(labels) < 0.8


def test_lengths_and_penalties():
    assert completion_lengths(["a b", "c"], completion_ids=[[1, 2, 3], [4]]) == [3, 1]
    assert make_length_penalty(10, coef=2.0)(["w " * 5, "w " * 15]) == [0.0, -1.0]
    overlong = make_soft_overlong_reward(100, 20)
    ids = [[0] * n for n in (50, 80, 90, 100, 101)]
    assert overlong(["x"] * 5, completion_ids=ids) == pytest.approx([0.0, 0.0, -0.5, -1.0, -1.0])
    with pytest.raises(ValueError, match="cache_length"):
        make_soft_overlong_reward(10, 20)


def test_group_length_penalty_groups_by_prompt():
    """Group q1 lengths 2 and 4: lambda = 0.5, -0.5. Group q2 alone: lambda = 0."""
    reward = make_group_length_penalty(correctness_reward)
    texts = ["#### 4", "a b #### 4", "#### 5"]
    scores = reward(texts, prompts=["q1", "q1", "q2"], ground_truth=["4", "4", "4"])
    assert scores == [0.5, -0.5, 0.0]
