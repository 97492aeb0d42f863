"""The real reward matrix on GSM8K model solutions (bundled sample, and the shared file)."""
import json

import numpy as np
import pytest

from workbench.aggregation import trl_advantages
from workbench.aggregation.gsm8k import (BUNDLED, gsm8k_reward_matrix, load_solution_groups,
                                         shared_solutions_path)


def test_bundled_sample_reward_matrix():
    groups = load_solution_groups()
    assert len(groups) >= 100 and BUNDLED.stat().st_size < 400_000
    matrix = gsm8k_reward_matrix(groups)
    assert matrix.rewards.shape == (4 * len(groups), 3)
    assert matrix.names == ("correctness", "format", "length")
    # the rule correctness reward agrees with the data set's own labels
    np.testing.assert_array_equal(matrix.column("correctness"), matrix.meta["is_correct"].astype(float))
    assert 0.2 < matrix.column("correctness").mean() < 0.6
    assert matrix.column("format").min() == 0.0            # the sample keeps format failures
    assert matrix.column("length").min() == -1.0 and matrix.column("length").max() == 0.0
    advantages = trl_advantages(matrix.rewards, num_generations=4, aggregation="normalize_then_sum")
    assert np.all(np.isfinite(advantages))


def test_shared_file_agrees(shared_data):
    path = shared_solutions_path()
    groups = load_solution_groups(path, n_groups=120)
    matrix = gsm8k_reward_matrix(groups)
    agreement = (matrix.column("correctness") == matrix.meta["is_correct"]).mean()
    assert agreement > 0.99


def test_malformed_record_names_line_and_field(tmp_path):
    path = tmp_path / "bad.jsonl"
    good = {"question": "q", "ground_truth": "A: 1",
            **{m: {"solution": "A: 1", "is_correct": True} for m in
               ("6b_finetuning", "6b_verification", "175b_finetuning", "175b_verification")}}
    bad = dict(good)
    del bad["175b_finetuning"]
    path.write_text(json.dumps(good) + "\n" + json.dumps(bad) + "\n")
    with pytest.raises(ValueError, match="line 2 has no field '175b_finetuning'"):
        load_solution_groups(path)


def test_real_groups_collapse_under_grpo_but_not_gdpo():
    from workbench.aggregation import collapsing_group_pairs
    from workbench.aggregation.gsm8k import model_arms, model_means

    matrix = gsm8k_reward_matrix(load_solution_groups())
    pairs = collapsing_group_pairs(matrix.rewards, matrix.group_ids)
    assert len(pairs) > 10
    grpo = trl_advantages(matrix.rewards, group_ids=matrix.group_ids)
    for g, h in pairs[:5]:
        np.testing.assert_allclose(np.sort(grpo[matrix.group(g)]), np.sort(grpo[matrix.group(h)]), atol=1e-3)
    arms = model_arms(matrix)
    assert len(arms) == 4 and all(len(rows) == len(groups_) for rows, groups_ in
                                  zip(arms.values(), [load_solution_groups()] * 4))
    assert model_means(matrix).shape == (4, 3)
