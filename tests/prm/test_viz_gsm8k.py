import pytest

from workbench.prm import StepRecord, agreement_matrix, consensus_all
from workbench.prm.labelers import StepAnnotation
from workbench.prm.gsm8k import (
    corrupted_training_records,
    load_gsm8k,
    majority_vote_accuracy,
    model_solution_records,
    selection_table,
    verifier_first_errors,
)
from workbench.prm.verify import verify_arithmetic
from workbench.viz import prm as viz


def test_bundled_training_records_have_a_known_first_error():
    rows = load_gsm8k("train", limit=60)
    records = corrupted_training_records(rows, seed=3)
    gold = [r for r in records if r.meta["outcome"] == 1.0]
    bad = [r for r in records if r.meta["outcome"] == 0.0]
    assert len(gold) == 60 and len(bad) > 50
    for record in bad:
        k = record.meta["corrupted_step"]
        assert record.first_error == k and verify_arithmetic(record.steps[k]) is False
        assert record.labels[k:] == [0.0] * (len(record.steps) - k)
    with pytest.raises(ValueError, match="record 1"):
        corrupted_training_records([rows[0], {"question": "q"}])


def test_model_solutions_and_selection_baselines():
    questions = model_solution_records(load_gsm8k("solutions"))
    assert len(questions) == 160 and all(len(q) == 4 for q in questions)
    table = selection_table(questions, {"perfect": [[float(c.meta["is_correct"]) for c in q] for q in questions]})
    assert table["perfect"] == table["oracle"]
    assert table["random"][0] == table["oracle"][0] == table["majority"][0]
    assert table["oracle"][3] >= table["majority"][3] >= 0 and table["oracle"][3] > table["random"][3]
    truths = verifier_first_errors([c for q in questions for c in q])
    assert {type(t) for t in truths} <= {int, type(None), str}
    with pytest.raises(ValueError, match="no bundled sample"):
        load_gsm8k("test")


def test_majority_vote_by_hand():
    make = lambda answer, ok: StepRecord("q", ["s"], [None], answer, "7", {"is_correct": ok})  # noqa: E731
    questions = [[make("7", True), make("3", False), make("7", True), make("3", False)],
                 [make("1", False), make("2", False), make("7", True), make("1", False)]]
    assert majority_vote_accuracy(questions) == 0.25  # 7 vs 3 tie: 1/2 right; 1 wins: wrong
    assert majority_vote_accuracy(questions, n=3) == pytest.approx((1 + 1 / 3) / 2)  # 7 wins; 1/2/7 tie
    assert majority_vote_accuracy([[make("7.0", True), make("$7", True), make("3", False)]]) == 1.0


def test_agreement_and_figures():
    a = [StepAnnotation([1.0, 0.0], 1, "a"), StepAnnotation([1.0, 1.0], None, "a")]
    b = [StepAnnotation([1.0, 0.0], 1, "b"), StepAnnotation([0.0, None], 0, "b")]
    names, matrix = agreement_matrix({"a": a, "b": b})
    assert names == ["a", "b"] and matrix == [[1.0, 0.5], [0.5, 1.0]]
    assert list(consensus_all(a, b)) == [0]
    figure = viz.agreement_heatmap(names, matrix)
    assert figure.data[0].z.tolist() == matrix
    curves = viz.best_of_n_curves({"random": [0.3, 0.4], "prm": [0.3, 0.5]}, [1, 2])
    assert [t.name for t in curves.data] == ["random", "prm"] and list(curves.data[1].y) == [0.3, 0.5]
    steps = viz.step_scores_by_outcome([[0.9, 0.8], [0.2], [0.7, 0.1]], [True, False, False])
    means = {t.name: list(t.y) for t in steps.data if t.name}
    assert means["wrong answers (mean, n=2)"] == pytest.approx([0.45, 0.1])
    noise = viz.mc_label_noise([0.0, 0.25], [1.0])
    assert list(noise.data[1].x) == [0.0, 0.25]
    scatter = viz.cost_vs_accuracy(["mc"], [10.0], [0.5])
    assert list(scatter.data[0].x) == [10.0]
    with pytest.raises(ValueError):
        viz.agreement_heatmap(["a"], matrix)
    with pytest.raises(ValueError):
        viz.step_scores_by_outcome([[0.1]], [True, False])
