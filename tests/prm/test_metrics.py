import pytest

from workbench.prm.labelers import StepAnnotation
from workbench.prm.metrics import (
    agreement_matrix,
    calibrate_threshold,
    first_error_accuracy,
    first_error_from_scores,
    processbench_f1,
)


def test_processbench_f1():
    scores = processbench_f1([None, 2, 1, None], [None, 2, 2, 1])
    assert scores["correct_accuracy"] == 1.0
    assert scores["error_accuracy"] == pytest.approx(1 / 3)
    assert scores["f1"] == pytest.approx(2 * (1 / 3) / (4 / 3))
    with pytest.raises(ValueError):
        processbench_f1([None], [None])
    with pytest.raises(ValueError):
        first_error_accuracy([None], [None, 1])


def test_calibrated_threshold_beats_the_default():
    scores = [[0.9, 0.8, 0.7], [0.9, 0.6, 0.62], [0.95, 0.9], [0.7, 0.6]]
    truth = [None, 1, None, 1]   # errors score ~0.6, right steps >= 0.7: 0.5 finds none
    threshold, f1 = calibrate_threshold(scores, truth)
    assert 0.62 <= threshold <= 0.7 and f1 == 1.0
    assert first_error_from_scores(scores[1], 0.5) is None


def test_agreement_matrix_by_hand():
    """Two solutions: both methods say step 1 on the first, they differ on the second -> 1/2."""
    a = [StepAnnotation([1.0, 0.0], 1, "a"), StepAnnotation([1.0, 1.0], None, "a")]
    b = [StepAnnotation([1.0, 0.0], 1, "b"), StepAnnotation([0.0, None], 0, "b")]
    assert agreement_matrix({"a": a, "b": b}) == (["a", "b"], [[1.0, 0.5], [0.5, 1.0]])
    with pytest.raises(ValueError, match="different numbers"):
        agreement_matrix({"a": a, "b": b[:1]})


def test_old_homes_of_the_metrics_still_import():
    from workbench.prm import model

    assert model.calibrate_threshold is calibrate_threshold
    assert model.first_error_from_scores is first_error_from_scores
