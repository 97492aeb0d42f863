"""The combined TRL reward function, called the way GRPOTrainer calls it (no trainer)."""
import numpy as np
import pytest

from workbench.aggregation.trl_rewards import combined_reward, prompt_group_ids, reward_matrix_from_functions


def correct(completions, ground_truth, **kwargs):
    return [float(c.strip().endswith(t)) for c, t in zip(completions, ground_truth)]


def short(completions, **kwargs):
    return [None if not c else -len(c.split()) / 10 for c in completions]


def test_prompt_groups_are_runs_of_equal_prompts():
    chat = [{"role": "user", "content": "q"}]
    np.testing.assert_array_equal(prompt_group_ids(["a", "a", "b", "b", "a"]), [0, 0, 1, 1, 2])
    np.testing.assert_array_equal(prompt_group_ids([chat, chat, [{"role": "user", "content": "r"}]]), [0, 0, 1])


def test_lexicographic_reward_groups_by_prompt():
    """Within each prompt's group: correct first, then shorter; groups are scored apart."""
    reward = combined_reward([correct, short], method="lexicographic")
    completions = ["so 4", "a long way to 4", "5", "7", "the answer is 7"]
    scores = reward(prompts=["p", "p", "p", "q", "q"], completions=completions,
                    ground_truth=["4", "4", "4", "7", "7"], trainer_state=None)
    assert scores[:3] == [0.0, -1.0, -2.0] and scores[3:] == [0.0, -1.0]
    assert reward.__name__ == "combined_lexicographic"
    assert reward.last_rewards.shape == (5, 2)


def test_num_generations_overrides_prompt_grouping_and_none_passes_through():
    reward = combined_reward([short], method="normalize_then_sum", num_generations=2, name="brevity")
    scores = reward(prompts=["p"] * 4, completions=["a b", "a", "", "x y z"])
    assert reward.__name__ == "brevity"
    assert scores[0] < 0 < scores[1] and scores[2] is None and scores[3] == 0.0


def test_bad_reward_functions_are_named():
    with pytest.raises(ValueError, match="'short' returned 1 rewards for 2 completions"):
        reward_matrix_from_functions([_renamed(lambda completions, **kw: [1.0], "short")], ["a", "b"])
    with pytest.raises(ValueError, match="'text', row 1: expected a number or None"):
        reward_matrix_from_functions([_renamed(lambda completions, **kw: [1.0, "x"], "text")], ["a", "b"])
    with pytest.raises(ValueError, match="unknown method"):
        combined_reward([short], method="average")
    with pytest.raises(ValueError, match="LagrangianCombiner"):
        combined_reward([short], method="constrained")


def _renamed(function, name):
    function.__name__ = name
    return function
