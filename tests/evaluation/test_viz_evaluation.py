"""Figures of workbench.viz.evaluation carry the numbers they are given."""
import numpy as np

from workbench.evaluation import calibration_report, compare_scores, evaluate_scores, load_eval_set
from workbench.viz.evaluation import paired_differences, reliability_diagram, subset_scores


def _set():
    rows = [{"prompt": f"p{i}", "chosen": "x" * (i % 5 + 1), "rejected": "y" * 3, "subset": f"s{i % 2}"}
            for i in range(40)]
    return load_eval_set(rows)


def test_subset_scores_draws_models_and_baselines_with_intervals():
    s = _set()
    frame = evaluate_scores(s, [[1.0, 0.0]] * 40, n_resamples=50).to_frame()
    fig = subset_scores({"model": frame, "other": frame}, baselines=("longest",))
    assert [t.name for t in fig.data] == ["model", "other", "baseline: longest"]
    assert list(fig.data[0].y) == [1.0, 1.0] and list(fig.data[2].y) == list(frame["longest"])


def test_paired_differences_and_reliability_diagram():
    s = _set()
    frame = compare_scores(s, [[1.0, 0.0]] * 40, [[0.0, 1.0]] * 40, n_resamples=50, n_permutations=100)
    fig = paired_differences(frame)
    assert list(fig.data[0].y) == [1.0, 1.0]
    rng = np.random.default_rng(0)
    report = calibration_report(rng.normal(1, 1, 200), rng.normal(0, 1, 200), n_bins=5)
    fig = reliability_diagram({"raw": report})
    assert fig.data[0].name == "perfect calibration" and len(fig.data[1].x) == 5
    assert fig.data[1].name.startswith("raw (ECE")
