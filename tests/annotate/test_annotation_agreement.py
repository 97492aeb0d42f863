"""Agreement statistics: hand-worked cases, and the filter on store judgements."""
import numpy as np
import pandas as pd
import pytest

from workbench.analysis import agreement
from workbench.annotate import AnnotationStore, RankingAnnotator


def long_table(rows):
    """rows: unit -> list of labels, one per annotator a0, a1, ..."""
    return pd.DataFrame([(u, f"a{i}", v) for u, labels in rows.items() for i, v in enumerate(labels)
                         if v is not None], columns=["unit", "annotator", "label"])


def test_cohens_kappa_hand_worked():
    """p_o = 3/4; p_e = .5*.25 + .5*.75 = .5; kappa = (.75 - .5) / .5 = 0.5."""
    assert agreement.cohens_kappa([1, 1, 0, 0], [1, 0, 0, 0]) == pytest.approx(0.5)
    assert agreement.cohens_kappa(["x"] * 3, ["x"] * 3) == 1.0
    with pytest.raises(ValueError, match="equally long"):
        agreement.cohens_kappa([1, 0], [1])
    with pytest.raises(ValueError, match=r"labels_b\[1\] is missing"):
        agreement.cohens_kappa([1, 0], [1, None])


def test_fleiss_kappa_hand_worked_and_per_unit_mean():
    """Counts (x, y): (3,0), (2,1), (0,3). P_i = 1, 1/3, 1 -> P = 7/9; p = (5/9, 4/9),
    P_e = 41/81; kappa = (63/81 - 41/81) / (40/81) = 22/40 = 0.55."""
    table = long_table({"u1": ["x", "x", "x"], "u2": ["x", "x", "y"], "u3": ["y", "y", "y"]})
    assert agreement.fleiss_kappa(table) == pytest.approx(0.55)
    per_unit = agreement.per_unit_kappa(table)
    assert per_unit.mean() == pytest.approx(0.55)
    assert per_unit["u1"] == per_unit["u3"] > per_unit["u2"]


def test_krippendorff_alpha_handles_missing_and_matches_fleiss_at_scale():
    rng = np.random.default_rng(0)
    truth = rng.integers(0, 3, 400)
    rows = {f"u{i}": [t if rng.random() < 0.8 else int(rng.integers(0, 3)) for _ in range(3)]
            for i, t in enumerate(truth)}
    table = long_table(rows)
    alpha, kappa = agreement.krippendorff_alpha(table), agreement.fleiss_kappa(table)
    assert 0.5 < alpha < 0.9 and alpha == pytest.approx(kappa, abs=0.01)
    rows["u0"][2] = None                                   # one missing label is fine
    assert agreement.krippendorff_alpha(long_table(rows)) == pytest.approx(alpha, abs=0.01)
    with pytest.raises(ValueError, match="twice"):
        agreement.krippendorff_alpha(pd.concat([table, table.iloc[:1]]))


def test_kendalls_w_hand_worked():
    """Ranks [3,2,1] and [3,1,2]: R = (6,3,3), S = 4+1+1 = 6, W = 12*6/(4*(27-3)) = 0.75
    (= (1 + mean Spearman 0.5) / 2 for two annotators)."""
    assert agreement.kendalls_w([[3, 2, 1], [3, 1, 2]]) == pytest.approx(0.75)
    assert agreement.kendalls_w([[3, 2, 1], [1, 2, 3]]) == pytest.approx(0.0)
    # identical rankings with a tie: tie correction keeps W at exactly 1
    assert agreement.kendalls_w([[2, 2, 1], [2, 2, 1]]) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="shape"):
        agreement.kendalls_w([[1, 2, 3]])


def test_filter_keeps_the_tasks_annotators_agree_on(tmp_path):
    tasks = [{"id": f"t{i}", "prompt": "p", "responses": ["a", "b", "c", "d"]} for i in range(6)]
    store = AnnotationStore(tmp_path / "s.db")
    agree = {"t0", "t1", "t2"}
    for name, flip in (("a0", False), ("a1", True)):
        widget = RankingAnnotator(tasks, store, name, shuffle=False)
        while not widget.finished:
            task_id = widget.current["id"]
            reverse = flip and task_id not in agree
            widget.submit([[3], [2], [1], [0]] if reverse else [[0], [1], [2], [3]])
    assert set(agreement.filter_by_agreement(store, "ranking", threshold=0.6)) == agree
    assert set(agreement.filter_by_agreement(store, "ranking", statistic="kendalls_w")) == agree
    report = agreement.agreement_report(store, "ranking")
    assert report["n_annotators"] == 2 and report["mean_kendalls_w"] == pytest.approx(0.5)
    units = agreement.agreement_units(store, "ranking")
    assert len(units) == 2 * 6 * 6                         # 6 pairs per 4-response ranking
    assert set(units.loc[units["unit"] == "t0:0-3", "label"]) == {"0"}
    with pytest.raises(ValueError, match="statistic"):
        agreement.filter_by_agreement(store, "ranking", statistic="spearman")
