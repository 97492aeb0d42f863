"""Per-subset reports and paired comparisons of two scorers."""
import numpy as np
import pytest

from workbench.evaluation import compare_scores, evaluate_scores, load_eval_set


def _set(n=120):
    rows = [{"prompt": f"p{i}", "chosen": "good " * (1 + i % 3), "rejected": "bad " * (1 + (i + 1) % 3),
             "subset": "first" if i < n // 2 else "second"} for i in range(n)]
    return load_eval_set(rows)


def test_report_frame_and_dict_hold_every_subset_interval_and_baseline():
    s = _set()
    scores = [[1.0, 0.0]] * 60 + [[0.0, 1.0]] * 60
    report = evaluate_scores(s, scores, n_resamples=200)
    frame = report.to_frame()
    assert list(frame["subset"]) == ["first", "second"] and frame["score"].tolist() == [1.0, 0.0]
    for column in ("low", "high", "longest", "longest_low", "random_high", "first_position"):
        assert column in frame
    data = report.to_dict()
    assert data["subsets"]["first"]["baselines"]["random"]["low"] <= data["subsets"]["first"]["baselines"]["random"]["high"]
    assert data["overall"] == 0.5 and data["format"] == "v1"
    with pytest.raises(ValueError, match="score lists"):
        evaluate_scores(s, scores[:-1])
    with pytest.raises(ValueError, match="2 responses"):
        evaluate_scores(s, [[1.0, 0.0, 2.0]] * 120)


def test_compare_scores_gives_differences_p_values_and_holm():
    """A wins everything; B wins the first subset's pairs only: differences 0 and 1."""
    s = _set()
    a = [[1.0, 0.0]] * 120
    b = [[1.0, 0.0]] * 60 + [[0.0, 1.0]] * 60
    frame = compare_scores(s, a, b, n_resamples=200, n_permutations=500).set_index("subset")
    assert frame.loc["first", "difference"] == 0.0 and frame.loc["first", "p_value"] == 1.0
    assert frame.loc["second", "difference"] == 1.0 and frame.loc["second", "p_value"] < 0.01
    assert frame.loc["second", "p_holm"] == pytest.approx(min(1.0, 2 * frame.loc["second", "p_value"]))
    assert np.all(frame["p_holm"] >= frame["p_value"])
