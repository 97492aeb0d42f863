"""Null baselines on hand cases, scored by the same rules as a model."""
import numpy as np
import pytest

from workbench.evaluation import baseline_scores, evaluate_scores, load_eval_set

ROWS = [{"prompt": "p1", "chosen": "a long right answer", "rejected": "short", "subset": "long-wins"},
        {"prompt": "p2", "chosen": "ok", "rejected": "a long wrong answer", "subset": "short-wins"},
        {"prompt": "p3", "chosen": "same", "rejected": "four", "subset": "short-wins"}]


def test_length_baselines_score_by_characters_and_ties_lose_on_pairs():
    """long-wins: longest 1, shortest 0. short-wins: p2 shortest wins; p3 equal lengths (4 = 4): a tie,
    wrong for both -> longest 0, shortest 1/2."""
    s = load_eval_set(ROWS)
    assert [list(x) for x in baseline_scores(s, "longest")] == [[19, 5], [2, 19], [4, 4]]
    report = evaluate_scores(s, baseline_scores(s, "longest"), n_resamples=50)
    frame = report.to_frame().set_index("subset")
    assert frame.loc["long-wins", "longest"] == 1.0 and frame.loc["long-wins", "shortest"] == 0.0
    assert frame.loc["short-wins", "longest"] == 0.0 and frame.loc["short-wins", "shortest"] == 0.5
    assert frame.loc["long-wins", "first_position"] == 1.0  # the format stores the correct answer first


def test_first_position_follows_the_source_order_of_ranked_lists():
    """Top label at source position 2 of 3: first position picks position 0, wrong."""
    s = load_eval_set([{"prompt": "p", "responses": ["x", "y", "z"], "labels": [1, 2, 3]}])
    assert baseline_scores(s, "first_position")[0].tolist() == [-2.0, -0.0, -1.0]
    assert evaluate_scores(s, baseline_scores(s, "first_position"), n_resamples=20).overall == 0.0


def test_random_baseline_is_seeded_and_near_chance_on_best_of_4():
    rows = [{"prompt": f"p{i}", "chosen": ["a"], "rejected": ["b", "c", "d"], "subset": "s"} for i in range(2000)]
    s = load_eval_set(rows)
    first, again = baseline_scores(s, "random", seed=1), baseline_scores(s, "random", seed=1)
    assert all(np.array_equal(a, b) for a, b in zip(first, again))
    assert evaluate_scores(s, first, n_resamples=20, baselines=()).overall == pytest.approx(0.25, abs=0.03)
    with pytest.raises(ValueError, match="unknown baseline"):
        baseline_scores(s, "oracle")
