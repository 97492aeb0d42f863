"""Position bias: comparisons from judgements, and recovery of a simulated judge's bias."""
import numpy as np
import pytest

from workbench.analysis import position_bias
from workbench.annotate import AnnotationStore, PairwiseAnnotator
from workbench.annotate.simulate import simulate_annotator


def test_pairwise_comparisons_use_the_order_shown(tmp_path):
    tasks = [{"id": f"t{i}", "prompt": "p", "responses": ["x", "y"]} for i in range(20)]
    widget = PairwiseAnnotator(tasks, tmp_path / "s.db", "ann", seed=4)
    shown = {}
    while not widget.finished:
        shown[widget.current["id"]] = widget.shown_order
        widget.submit("A" if len(shown) % 3 else "tie_good")   # always the left one, or a tie
    table = position_bias.comparisons(widget.store, "pairwise")
    assert len(table) == 20 - 6 and table["earlier_wins"].all()
    for row in table.itertuples():
        assert row.earlier == shown[row.task_id][0] and row.place_gap == 1
    report = position_bias.position_bias_report(widget.store, "pairwise")
    assert report.loc["overall", "first_win_rate"] == 1.0 and report.loc["ann", "p_value"] < 0.001


def test_simulated_position_bias_is_recovered(tmp_path):
    rng = np.random.default_rng(0)
    tasks = [{"id": f"t{i}", "prompt": "p", "responses": [f"r{j}" for j in range(4)]} for i in range(80)]
    quality = {t["id"]: rng.normal(0, 1.5, 4).tolist() for t in tasks}
    store = AnnotationStore(tmp_path / "s.db")
    for seed, (name, bias) in enumerate([("fair", 0.0), ("biased", 0.8), ("mild", 0.3)]):
        simulate_annotator(tasks, store, name, quality, temperature=1.0, position_bias=bias, seed=seed)
    report = position_bias.position_bias_report(store, "ranking")
    assert abs(report.loc["fair", "bias_logit"]) < 0.3
    assert report.loc["biased", "bias_logit"] == pytest.approx(0.8, abs=0.35)
    assert report.loc["mild", "bias_logit"] == pytest.approx(0.3, abs=0.3)
    assert report.loc["biased", "ci_low"] > 0.5 and report.loc["fair", "ci_low"] < 0.5
    assert report.loc["biased", "debiased_first_win_rate"] > 0.6
    top = position_bias.first_shown_top_rate(store)
    assert top["n"] == 240 and top["chance_rate"] == pytest.approx(0.25)
    # debiased qualities track the truth (identified within a task only: centre per task)
    fitted = position_bias.fit_position_model(position_bias.comparisons(store, "ranking"))["quality"]
    truth = [quality[t][r] - np.mean(quality[t]) for t, r in fitted.index]
    assert np.corrcoef(truth, fitted.to_numpy())[0, 1] > 0.8


def test_no_comparisons_is_an_error(tmp_path):
    tasks = [{"id": "t", "prompt": "p", "responses": ["x", "y"]}]
    widget = PairwiseAnnotator(tasks, tmp_path / "s.db", "ann")
    widget.submit("tie_bad")
    with pytest.raises(ValueError, match="no untied comparisons"):
        position_bias.position_bias_report(widget.store, "pairwise")
