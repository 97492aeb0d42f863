"""Post-hoc length calibration (linear, LOWESS) and the length-controlled win rate."""
import numpy as np
import pytest
from scipy.special import expit, logit

from workbench.analysis.calibration import fit_length_calibration, length_controlled_win_rate
from workbench.analysis.length import length_correlation
from workbench.models.posthoc import LengthCalibration


def _biased(seed=0, n=1500):
    rng = np.random.default_rng(seed)
    quality = rng.normal(size=n)
    lengths = rng.uniform(20, 400, size=n)
    return quality, lengths, quality + np.sqrt(lengths) / 5  # a concave length effect


def test_linear_calibration_recovers_slope_and_keeps_mean():
    """r = 2 + 0.5 L exactly: the OLS line is (2, 0.5); calibrated rewards are constant
    and equal to the reference mean."""
    lengths = np.array([1.0, 2.0, 3.0, 4.0])
    rewards = 2 + 0.5 * lengths
    calibration = fit_length_calibration(rewards, lengths, method="linear")
    assert calibration.intercept == pytest.approx(2.0) and calibration.slope == pytest.approx(0.5)
    assert np.allclose(calibration.apply(rewards, lengths), rewards.mean())
    assert calibration.predict([10.0])[0] == pytest.approx(7.0)  # the line extrapolates


@pytest.mark.parametrize("method", ["linear", "lowess"])
def test_calibration_removes_the_length_effect_and_keeps_quality(method):
    quality, lengths, rewards = _biased()
    before = length_correlation(rewards, lengths).loc[0, "pearson"]
    calibrated = fit_length_calibration(rewards, lengths, method=method).apply(rewards, lengths)
    after = length_correlation(calibrated, lengths).loc[0, "pearson"]
    assert before > 0.5 and abs(after) < 0.05
    assert np.corrcoef(calibrated, quality)[0, 1] > 0.97
    assert calibrated.mean() == pytest.approx(rewards.mean())


def test_lowess_follows_a_curve_that_a_line_misses():
    rng = np.random.default_rng(1)
    lengths = rng.uniform(1, 100, size=800)
    rewards = np.where(lengths < 50, lengths, 100 - lengths) / 10 + rng.normal(0, 0.05, size=800)
    linear = fit_length_calibration(rewards, lengths, method="linear").apply(rewards, lengths)
    smooth = fit_length_calibration(rewards, lengths, method="lowess", frac=0.2).apply(rewards, lengths)
    assert smooth.std() < 0.2 < linear.std()


def test_lowess_is_flat_beyond_the_reference_range_and_round_trips():
    lengths = np.arange(1.0, 51.0)
    calibration = fit_length_calibration(lengths / 10, lengths, method="lowess", log_length=True)
    far = calibration.predict([1000.0, 0.5])
    assert far[0] == pytest.approx(calibration.grid_y[-1]) and far[1] == pytest.approx(calibration.grid_y[0])
    copy = LengthCalibration.from_dict(calibration.to_dict())
    assert np.allclose(copy.predict(lengths), calibration.predict(lengths))
    with pytest.raises(ValueError, match="unknown"):
        LengthCalibration.from_dict({**calibration.to_dict(), "colour": 1})


def test_calibration_bad_input():
    with pytest.raises(ValueError, match="method"):
        fit_length_calibration([1, 2, 3], [1, 2, 3], method="spline")
    with pytest.raises(ValueError, match="equal"):
        fit_length_calibration([1, 2, 3], [4, 4, 4])
    with pytest.raises(ValueError, match=r"lengths\[2\]"):
        fit_length_calibration([1, 2, 3], [4, 5, 0], log_length=True)
    with pytest.raises(ValueError, match=r"rewards\[0\]"):
        fit_length_calibration([np.inf, 2, 3], [4, 5, 6])


def test_lc_win_rate_recovers_the_length_free_win_rate():
    """Simulate a judge with θ = logit(0.4) (A is worse at equal length) and a strong
    length preference φ = 2; A is usually longer, so its raw win rate is inflated."""
    rng = np.random.default_rng(0)
    n = 6000
    la, lb = rng.uniform(100, 600, n), rng.uniform(50, 300, n)
    scale = np.std(la - lb)
    p = expit(logit(0.4) + 2.0 * np.tanh((la - lb) / scale))
    outcomes = (rng.random(n) < p).astype(float)
    result = length_controlled_win_rate(outcomes, la, lb)
    assert result.raw > 0.6
    assert result.length_controlled == pytest.approx(0.4, abs=0.03)
    assert result.phi == pytest.approx(2.0, abs=0.25)
    assert result.predict([0.0])[0] == pytest.approx(result.length_controlled)
    # a length-blind judge: raw and controlled agree
    blind = length_controlled_win_rate((rng.random(n) < 0.7).astype(float), la, lb)
    assert blind.length_controlled == pytest.approx(0.7, abs=0.04) and abs(blind.phi) < 0.3


def test_lc_win_rate_probabilities_separation_and_errors():
    soft = length_controlled_win_rate([0.9, 0.8, 0.7, 0.6], [4, 3, 2, 1], [1, 1, 1, 1])
    assert 0 < soft.length_controlled < 1
    sweep = length_controlled_win_rate([1.0] * 5, [5, 6, 7, 8, 9], [1, 2, 1, 2, 1])
    assert np.isfinite(sweep.theta) and sweep.length_controlled > 0.5
    with pytest.raises(ValueError, match=r"outcomes\[1\]"):
        length_controlled_win_rate([0.5, 1.5, 0.0], [1, 2, 3], [1, 1, 1])
    with pytest.raises(ValueError, match="same length difference"):
        length_controlled_win_rate([0.0, 1.0, 1.0], [2, 3, 4], [1, 2, 3])
