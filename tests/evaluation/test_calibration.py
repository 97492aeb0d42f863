"""ECE with equal-mass bins, Brier, log loss; temperature fitting and its saved artefact."""
import json

import numpy as np
import pytest

from workbench.evaluation import load_eval_set
from workbench.evaluation.calibration import (
    TEMPERATURE_FILE,
    RewardTemperature,
    apply_temperature_to_rows,
    calibration_pairs,
    calibration_report,
    expected_calibration_error,
    fit_temperature,
    load_temperature,
    pair_probabilities,
)


def test_ece_by_hand_with_equal_mass_bins():
    """p = .1 .2 .8 .9, y = 0 1 1 1, two bins of two: |1/2 - .15| * 2/4 + |1 - .85| * 2/4 = .175 + .075."""
    ece, bins = expected_calibration_error([0.9, 0.1, 0.8, 0.2], [1, 0, 1, 1], n_bins=2)
    assert ece == pytest.approx(0.25)
    assert bins["count"].tolist() == [2, 2] and bins["mean_probability"].tolist() == pytest.approx([0.15, 0.85])


def test_brier_and_log_loss_by_hand_and_the_symmetric_curve():
    """margins 0 and ln 3: p = 1/2 and 3/4. Brier = (1/4 + 1/16) / 2; log loss = (ln 2 + ln 4/3) / 2.
    Both orientations enter the curve, so the mean predicted probability is 1/2 overall."""
    report = calibration_report([0.0, np.log(3)], [0.0, 0.0], n_bins=4)
    assert report.brier == pytest.approx((0.25 + 1 / 16) / 2)
    assert report.log_loss == pytest.approx((np.log(2) + np.log(4 / 3)) / 2)
    assert (report.bins["mean_probability"] * report.bins["count"]).sum() / report.bins["count"].sum() == 0.5
    assert pair_probabilities([2.0], [0.0], temperature=2.0)[0] == pytest.approx(1 / (1 + np.exp(-1)))


def test_a_calibrated_model_has_small_ece_and_an_overconfident_one_does_not():
    """Outcomes drawn from sigma(m): calibrated. Rewards 4x too large: overconfident; T = 4 fixes it."""
    rng = np.random.default_rng(0)
    margins = rng.normal(0, 1.5, 4000)
    wins = rng.random(4000) < 1 / (1 + np.exp(-margins))
    chosen, rejected = np.where(wins, margins, 0.0), np.where(wins, 0.0, margins)  # the winner as chosen
    calibrated = calibration_report(chosen, rejected)
    overconfident = calibration_report(4 * chosen, 4 * rejected)
    assert calibrated.ece < 0.03 < overconfident.ece
    fitted = fit_temperature(4 * chosen, 4 * rejected)
    assert fitted.temperature == pytest.approx(4.0, rel=0.1) and fitted.n_pairs == 4000
    assert calibration_report(4 * chosen, 4 * rejected, temperature=fitted.temperature).ece < 0.03
    with pytest.raises(ValueError, match="every margin is 0"):
        fit_temperature([1.0, 2.0], [1.0, 2.0])


def test_temperature_artefact_saves_loads_and_applies(tmp_path):
    assert load_temperature(tmp_path) is None
    path = RewardTemperature(2.0, n_pairs=10).save(tmp_path)
    assert path.name == TEMPERATURE_FILE and json.loads(path.read_text()) == {"temperature": 2.0, "n_pairs": 10}
    saved = load_temperature(tmp_path)
    assert saved.apply([2.0, -4.0]).tolist() == [1.0, -2.0]
    rows = apply_temperature_to_rows(tmp_path, [{"chosen_score": 4.0, "rejected_score": 2.0}, {"scores": [2.0, 6.0]}])
    assert rows == [{"chosen_score": 2.0, "rejected_score": 1.0}, {"scores": [1.0, 3.0]}]
    (tmp_path / TEMPERATURE_FILE).write_text('{"temperature": -1}')
    with pytest.raises(ValueError, match="not a saved temperature"):
        load_temperature(tmp_path)
    with pytest.raises(ValueError, match="positive"):
        RewardTemperature(0.0)


def test_calibration_pairs_expand_best_of_n_into_correct_incorrect_pairs():
    """2 correct x 2 incorrect = 4 pairs."""
    s = load_eval_set([{"prompt": "p", "chosen": ["a", "b"], "rejected": ["c", "d"], "subset": "x"}])
    chosen, rejected = calibration_pairs(s, [[4.0, 3.0, 2.0, 1.0]])
    assert chosen.tolist() == [4, 4, 3, 3] and rejected.tolist() == [2, 1, 2, 1]
