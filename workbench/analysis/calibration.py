"""Length bias, corrected after the fact: post-hoc calibration and a
length-controlled win rate.

Post-hoc length calibration (Huang et al. 2025, "Post-hoc Reward Calibration:
A Case Study on Length Bias"): fit the length effect ``f(L) ≈ E[r | L]`` on a
reference set and subtract it,

    r_cal = r - (f(L) - mean_i f(L_i)),

so the calibrated reward keeps the mean of the reference set but no longer moves
with length. ``f`` is an ordinary least-squares line (``method="linear"``,
statsmodels OLS) or a LOWESS smooth (``method="lowess"``, statsmodels'
``lowess``; Cleveland 1979), optionally in ``log L``. This assumes true quality
does not depend on length in the reference set; where longer answers really are
better, the subtraction removes that real signal too. The fitted object,
:class:`~workbench.models.posthoc.LengthCalibration`, with its save, load and apply,
lives in :mod:`workbench.models.posthoc` (``workbench score`` applies a calibration
saved beside a checkpoint); its names are re-exported here, so
``from workbench.analysis.calibration import LengthCalibration, load_length_calibration``
keeps working.

Length-controlled win rate (Dubois et al. 2024, "Length-Controlled AlpacaEval"):
regress the outcome of "A beats B" on the length difference with a logistic GLM,

    P(A ≻ B) = σ(θ + φ · tanh((L_A - L_B) / s)),   s = std(L_A - L_B),

and report ``σ(θ)``: the win rate the judge would give if the two responses had
the same length. (AlpacaEval also fits an instruction-difficulty term from many
models; with one pair of systems that term is not identifiable and is left out.)
"""
from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import statsmodels.api as sm
from scipy.special import expit
from statsmodels.tools.sm_exceptions import PerfectSeparationWarning
from statsmodels.nonparametric.smoothers_lowess import lowess

from workbench.models.posthoc import (  # the saved artefact; re-exported for old imports
    CALIBRATION_FILE,
    CALIBRATION_METHODS,
    UNITS,
    LengthCalibration,
    _as_float_array,
    _check_same_length,
    load_length_calibration,
)

METHODS = CALIBRATION_METHODS


def fit_length_calibration(
    rewards: Sequence[float],
    lengths: Sequence[float],
    *,
    method: str = "lowess",
    log_length: bool = False,
    frac: float = 0.5,
    unit: str = "chars",
) -> LengthCalibration:
    """Fit ``f(L) ≈ E[r | L]`` on a reference set (rewards and lengths, shape ``(N,)``).

    ``method="linear"``: OLS ``r = a + b x``. ``method="lowess"``: LOWESS with
    ``frac`` the share of points in each local fit (larger is smoother) and three
    robustifying iterations (statsmodels' default). ``x = log L`` when
    ``log_length`` else ``L``. ``unit`` records what ``lengths`` count (``"chars"``,
    ``"words"`` or ``"tokens"`` of the scoring tokenizer) so that scoring recomputes them alike.
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    r = _as_float_array(rewards, "rewards")
    if unit not in UNITS:
        raise ValueError(f'unit must be "chars", "words" or "tokens", got {unit!r}')
    calibration = LengthCalibration(method=method, log_length=log_length, unit=unit)
    x = calibration._x(lengths)
    _check_same_length(rewards=r, lengths=x)
    if len(r) < 3:
        raise ValueError(f"need at least 3 reference rewards to fit a length effect, got {len(r)}")
    if np.ptp(x) == 0:
        raise ValueError("all reference lengths are equal: no length effect can be fitted")
    if method == "linear":
        fit = sm.OLS(r, sm.add_constant(x)).fit()
        calibration.intercept, calibration.slope = (float(v) for v in fit.params)
    else:
        if not 0 < frac <= 1:
            raise ValueError(f"frac must be in (0, 1], got {frac}")
        smooth = lowess(r, x, frac=frac, return_sorted=True)
        grid_x, inverse = np.unique(smooth[:, 0], return_inverse=True)
        grid_y = np.bincount(inverse, weights=smooth[:, 1]) / np.bincount(inverse)
        calibration.grid_x, calibration.grid_y = grid_x.tolist(), grid_y.tolist()
    calibration.offset = float(np.mean(calibration.predict(lengths)))
    return calibration


@dataclass
class LengthControlledWinRate:
    """Result of :func:`length_controlled_win_rate`.

    ``raw``: mean outcome; ``length_controlled``: ``σ(θ)``; ``theta``, ``phi``: the
    GLM coefficients with standard errors ``theta_se``, ``phi_se``; ``length_scale``:
    ``s``; ``n``: comparisons.
    """

    raw: float
    length_controlled: float
    theta: float
    phi: float
    theta_se: float
    phi_se: float
    length_scale: float
    n: int

    def predict(self, length_difference: Sequence[float]) -> np.ndarray:
        """Modelled ``P(A ≻ B)`` at the given ``L_A - L_B``, shape ``(N,)``."""
        d = _as_float_array(length_difference, "length_difference")
        return expit(self.theta + self.phi * np.tanh(d / self.length_scale))


def length_controlled_win_rate(
    outcomes: Sequence[float], lengths_a: Sequence[float], lengths_b: Sequence[float]
) -> LengthControlledWinRate:
    """Length-controlled win rate of system A over system B.

    ``outcomes``: shape ``(N,)``, 1 when A wins, 0 when B wins, 0.5 a tie, or any
    probability in [0, 1] (e.g. ``σ(r_A - r_B)`` from a reward model).
    ``lengths_a``, ``lengths_b``: the two responses' lengths, shape ``(N,)``.
    Fits the binomial GLM of the module docstring (statsmodels) and evaluates it
    at zero length difference.
    """
    y = _as_float_array(outcomes, "outcomes")
    la = _as_float_array(lengths_a, "lengths_a")
    lb = _as_float_array(lengths_b, "lengths_b")
    _check_same_length(outcomes=y, lengths_a=la, lengths_b=lb)
    bad = np.flatnonzero((y < 0) | (y > 1))
    if bad.size:
        raise ValueError(f"outcomes[{bad[0]}] is {y[bad[0]]}: outcomes must lie in [0, 1]")
    if len(y) < 3:
        raise ValueError(f"need at least 3 comparisons, got {len(y)}")
    difference = la - lb
    scale = float(np.std(difference))
    if scale == 0:
        raise ValueError("every comparison has the same length difference: length and the "
                         "systems' own quality cannot be told apart")
    design = sm.add_constant(np.tanh(difference / scale), has_constant="add")
    with warnings.catch_warnings():  # separation is handled below, not just warned about
        warnings.simplefilter("ignore", PerfectSeparationWarning)
        fit = sm.GLM(y, design, family=sm.families.Binomial()).fit()
    params, errors = np.asarray(fit.params, dtype=float), np.asarray(fit.bse, dtype=float)
    if not np.all(np.isfinite(params)) or np.abs(params).max() > 30:
        # Separation (one system wins every comparison): a tiny ridge keeps θ finite.
        params = np.asarray(sm.GLM(y, design, family=sm.families.Binomial())
                            .fit_regularized(alpha=1e-3, L1_wt=0.0).params, dtype=float)
        errors = np.full(2, np.inf)
    return LengthControlledWinRate(
        raw=float(y.mean()), length_controlled=float(expit(params[0])),
        theta=float(params[0]), phi=float(params[1]),
        theta_se=float(errors[0]), phi_se=float(errors[1]), length_scale=scale, n=len(y))


__all__ = [
    "fit_length_calibration", "length_controlled_win_rate", "LengthControlledWinRate",
    "LengthCalibration", "load_length_calibration", "CALIBRATION_FILE", "METHODS",
]
