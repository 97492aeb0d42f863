"""The benchmarks' scoring rules on hand-computed cases (the arithmetic is in each docstring)."""
import math

import numpy as np
import pytest

from workbench.evaluation import rules
from workbench.evaluation.formats import EvalExample, EvalSet
from workbench.evaluation.report import evaluate_scores


def test_v1_pair_counts_only_a_strict_win():
    """chosen - rejected = 1, 0, -1: win, tie (wrong), loss -> [1, 0, 0]."""
    assert rules.pair_outcomes([2.0, 1.0, 0.0], [1.0, 1.0, 1.0]).tolist() == [1.0, 0.0, 0.0]
    with pytest.raises(ValueError, match="shape"):
        rules.pair_outcomes([1.0], [1.0, 2.0])


def test_v1_sections_are_example_weighted_with_the_benchmarks_counts_and_overall_is_their_mean():
    """Chat = (100 * 1.0 + 28 * 0.5) / 128 = 0.890625 (alpacaeval-easy 100, mt-bench-easy 28);
    Reasoning = (984 * 0.5 + 164 * 1.0) / 1148 = 656 / 1148 (math-prm counts 984, not its 447 rows);
    overall = (0.890625 + 656/1148) / 2."""
    accuracy = {"alpacaeval-easy": 1.0, "mt-bench-easy": 0.5, "math-prm": 0.5, "hep-python": 1.0}
    sections, counts = rules.default_sections(list(accuracy))
    assert sections == {"Chat": ["alpacaeval-easy", "mt-bench-easy"], "Reasoning": ["math-prm", "hep-python"]}
    scores = rules.section_scores(accuracy, counts, sections)
    assert scores["Chat"] == pytest.approx(0.890625)
    assert scores["Reasoning"] == pytest.approx(656 / 1148)
    assert rules.overall_score(scores) == pytest.approx((0.890625 + 656 / 1148) / 2)


def test_v1_report_on_rewardbench_subsets_follows_the_same_arithmetic():
    """alpacaeval-easy: 2 pairs, 1 won; math-prm: 1 pair, a tie (wrong); hep-python: 1 pair won.
    Chat = 0.5; Reasoning = (984 * 0 + 164 * 1) / 1148; overall = their mean."""
    examples = [EvalExample("p1", ("a",), ("b",), "alpacaeval-easy"), EvalExample("p2", ("a",), ("b",), "alpacaeval-easy"),
                EvalExample("p3", ("a",), ("b",), "math-prm"), EvalExample("p4", ("a",), ("b",), "hep-python")]
    scores = [[1.0, 0.0], [0.0, 1.0], [0.3, 0.3], [2.0, -1.0]]
    report = evaluate_scores(EvalSet(examples, "v1"), scores, n_resamples=50, baselines=())
    assert report.subsets["math-prm"].score.estimate == 0.0
    assert report.sections == pytest.approx({"Chat": 0.5, "Reasoning": 164 / 1148})
    assert report.overall == pytest.approx((0.5 + 164 / 1148) / 2)


def test_own_subsets_form_one_section_whose_score_is_plain_accuracy():
    """Subsets a (2 pairs, 2 won) and b (1 pair, lost): section all = 2/3 = overall."""
    examples = [EvalExample("p1", ("x",), ("y",), "a"), EvalExample("p2", ("x",), ("y",), "a"),
                EvalExample("p3", ("x",), ("y",), "b")]
    report = evaluate_scores(EvalSet(examples, "v1"), [[1, 0], [1, 0], [0, 1]], n_resamples=50, baselines=())
    assert report.sections == {"all": pytest.approx(2 / 3)} and report.overall == pytest.approx(2 / 3)


def test_v2_best_of_4_shares_a_tied_top_score():
    """Correct first. [4,1,2,3]: alone on top -> 1. [4,4,1,2]: shares the top with 1 other -> 1/2.
    [4,4,4,1] -> 1/3. [1,4,2,3]: a wrong answer on top -> 0. [4,4,4,4] -> 1/4 (chance)."""
    cases = {(4, 1, 2, 3): 1.0, (4, 4, 1, 2): 0.5, (4, 4, 4, 1): 1 / 3, (1, 4, 2, 3): 0.0, (4, 4, 4, 4): 0.25}
    for scores, expected in cases.items():
        assert rules.best_of_n_outcome(scores, 1) == pytest.approx(expected), scores


def test_v2_with_several_correct_gives_the_share_of_correct_answers_on_top():
    """Two correct of four: [3,3,3,0] -> 2 correct of 3 on top = 2/3; [1,5,5,0] -> 1/2."""
    assert rules.best_of_n_outcome([3, 3, 3, 0], 2) == pytest.approx(2 / 3)
    assert rules.best_of_n_outcome([1, 5, 5, 0], 2) == pytest.approx(0.5)
    with pytest.raises(ValueError, match="num_correct"):
        rules.best_of_n_outcome([1, 2], 2)


def test_ties_composite_by_hand():
    """Prompt 1: ref [3 | 1, 2]: gap 3-2 = 1 (right). tied [5, 4 | 1, 2]: gap 4-2 = 2 (right), spread 1:
       preferred 2 > 1 yes; hard min(1, 2) = 1 > 1 no; margin tanh(1/1 - 1) = 0.
    Prompt 2: ref [0 | 1]: gap -1 (wrong). tied [2, 0 | 1]: gap 0-1 = -1 (wrong), spread 2:
       preferred no; hard no; margin tanh(-1/2 - 1) = tanh(-1.5).
    score = 0.3 * 1/2 + 0.3 * 1/2 + 0.2 * 1/2 + 0.2 * 0 + 0.01 * tanh(-1.5) / 2."""
    ids = ["ref:1", "tied:1", "ref:2", "tied:2"]
    scores = [[3, 1, 2], [5, 4, 1, 2], [0, 1], [2, 0, 1]]
    parts = rules.ties_components(rules.ties_terms(ids, scores, [1, 2, 1, 2]))
    assert parts["accuracy_ref"] == parts["accuracy_tied"] == parts["correctness_preferred"] == 0.5
    assert parts["correctness_preferred_hard"] == 0.0
    assert parts["margin"] == pytest.approx(math.tanh(-1.5) / 2)
    assert parts["score"] == pytest.approx(0.15 + 0.15 + 0.1 + 0.01 * math.tanh(-1.5) / 2)


def test_ties_margin_is_zero_where_undefined_and_bounded_where_the_spread_is_zero():
    """tied [2, 2 | 1]: spread 0, hard gap min(1, 1) = 1: 1/0 -> tanh(inf) = 1; both gaps 0 -> 0/0 -> 0."""
    up = rules.ties_components(rules.ties_terms(["ref:1", "tied:1"], [[2, 1], [2, 2, 1]], [1, 2]))
    assert up["margin"] == 1.0
    flat = rules.ties_components(rules.ties_terms(["ref:1", "tied:1"], [[1, 1], [1, 1, 1]], [1, 2]))
    assert flat["margin"] == 0.0 and flat["accuracy_ref"] == 0.0


def test_v2_overall_is_the_mean_of_subsets_and_ties_uses_its_composite():
    """math: [2 | 1] -> 1 and [1 | 2] -> 0: 1/2. Ties (one prompt, all right, hard no): 0.3+0.3+0.2 = 0.8.
    overall = (0.5 + 0.8) / 2."""
    examples = [EvalExample("q1", ("a",), ("b",), "math"), EvalExample("q2", ("a",), ("b",), "math"),
                EvalExample("q3", ("a",), ("b",), "Ties", "ref:3"),
                EvalExample("q3", ("a", "c"), ("b",), "Ties", "tied:3")]
    scores = [[2, 1], [1, 2], [3, 2.5], [5, 4, 1]]
    report = evaluate_scores(EvalSet(examples, "v2"), scores, n_resamples=50, baselines=())
    assert report.subsets["Ties"].rule == "ties"
    assert report.subsets["Ties"].score.estimate == pytest.approx(0.8 + 0.01 * np.tanh(0.5 / 1 - 1))
    assert report.overall == pytest.approx((0.5 + report.subsets["Ties"].score.estimate) / 2)
