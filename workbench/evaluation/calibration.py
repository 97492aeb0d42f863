"""Is ``sigma(r_chosen - r_rejected)`` a probability? Calibration metrics, temperature scaling, its artefact.

A Bradley-Terry reward model claims ``P(chosen > rejected) = sigma(r_c - r_r)``. On
held-out pairs with ``p_i = sigma((r_c,i - r_r,i) / T)``:

* Brier score  ``mean_i (1 - p_i)^2``;
* log loss     ``-mean_i log p_i``;
* expected calibration error with equal-mass bins (Naeini et al. 2015; Guo et al. 2017)::

      ECE = sum_b (n_b / n) |mean_{i in b} y_i - mean_{i in b} p_i|

  Every pair's outcome is "chosen wins" (y = 1), so a calibration curve needs the other
  orientation too: each pair enters twice, as (p_i, 1) and (1 - p_i, 0). Brier and log
  loss are the same in either orientation. Bins hold equal numbers of points (sorted by
  p), so no bin is empty and each estimate has the same sample size.

Temperature scaling (Guo et al. 2017): the one-parameter fit
``T* = argmin_T -sum_i log sigma((r_c,i - r_r,i) / T)`` on held-out pairs (a convex problem
in 1/T, solved on log T in a bounded interval). Dividing every reward by T* keeps every
ranking and every accuracy, and only moves the probabilities.

Fitting (:func:`fit_temperature`) is kept apart from the saved artefact
(:class:`RewardTemperature`: ``temperature.json`` beside a checkpoint, ``save`` /
:func:`load_temperature` / ``apply``), which lives in :mod:`workbench.models.posthoc` with the length calibration and the
centering, so ``workbench score`` applies all three.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import minimize_scalar
from scipy.special import expit, log_expit

from workbench.models.posthoc import (  # the artefact lives with the other post-hoc corrections
    TEMPERATURE_FILE,
    RewardTemperature,
    apply_temperature_to_rows,
    load_temperature,
)

LOG_T_BOUNDS = (-6.0, 6.0)  # T in [0.0025, 403]: far beyond any useful temperature either way


def _margins(chosen, rejected) -> np.ndarray:
    chosen, rejected = np.asarray(chosen, dtype=float), np.asarray(rejected, dtype=float)
    if chosen.shape != rejected.shape or chosen.ndim != 1 or len(chosen) == 0:
        raise ValueError(f"chosen {chosen.shape} and rejected {rejected.shape} must be equal non-empty (N,) arrays")
    return chosen - rejected


def pair_probabilities(chosen, rejected, *, temperature: float = 1.0) -> np.ndarray:
    """``sigma((chosen - rejected) / T)``: (N,) from (N,) rewards."""
    return expit(_margins(chosen, rejected) / temperature)


def expected_calibration_error(probabilities, outcomes, *, n_bins: int = 10) -> tuple[float, pd.DataFrame]:
    """ECE over equal-mass bins and the bins (``mean_probability``, ``frequency``, ``count``)."""
    p, y = np.asarray(probabilities, dtype=float), np.asarray(outcomes, dtype=float)
    if p.shape != y.shape or p.ndim != 1 or len(p) == 0:
        raise ValueError(f"probabilities {p.shape} and outcomes {y.shape} must be equal non-empty (N,) arrays")
    order = np.argsort(p, kind="stable")
    bins = [b for b in np.array_split(order, min(n_bins, len(p))) if len(b)]
    table = pd.DataFrame({"mean_probability": [p[b].mean() for b in bins],
                          "frequency": [y[b].mean() for b in bins], "count": [len(b) for b in bins]})
    gaps = (table["frequency"] - table["mean_probability"]).abs()
    return float((gaps * table["count"]).sum() / len(p)), table


@dataclass
class CalibrationReport:
    """ECE, Brier score and log loss of ``sigma((r_c - r_r) / T)`` on ``n_pairs`` pairs, and the ECE bins."""

    ece: float
    brier: float
    log_loss: float
    n_pairs: int
    temperature: float
    bins: pd.DataFrame

    def to_dict(self) -> dict:
        return {"ece": self.ece, "brier": self.brier, "log_loss": self.log_loss, "n_pairs": self.n_pairs,
                "temperature": self.temperature}


def calibration_report(chosen, rejected, *, temperature: float = 1.0, n_bins: int = 10) -> CalibrationReport:
    """Calibration of the pairwise probabilities of rewards ``chosen``/``rejected`` (N,)."""
    margins = _margins(chosen, rejected) / temperature
    p = expit(margins)
    both = np.concatenate([p, 1 - p])  # each pair in both orientations (module docstring)
    ece, bins = expected_calibration_error(both, np.concatenate([np.ones_like(p), np.zeros_like(p)]), n_bins=n_bins)
    return CalibrationReport(ece=ece, brier=float(np.mean((1 - p) ** 2)), log_loss=float(-log_expit(margins).mean()),
                             n_pairs=len(p), temperature=float(temperature), bins=bins)


def fit_temperature(chosen, rejected) -> RewardTemperature:
    """``T*`` minimising the log loss of ``sigma((chosen - rejected) / T)`` on held-out pairs (N,).

    A result at the upper bound (T = e^6) says the margins carry no usable signal: the
    best probability for every pair is then 1/2, whatever the rewards.
    """
    margins = _margins(chosen, rejected)
    if np.all(margins == 0):
        raise ValueError("every margin is 0: no temperature changes these probabilities")
    result = minimize_scalar(lambda log_t: -log_expit(margins * np.exp(-log_t)).mean(), bounds=LOG_T_BOUNDS,
                             method="bounded", options={"xatol": 1e-6})
    return RewardTemperature(temperature=float(np.exp(result.x)), n_pairs=len(margins))


def calibration_pairs(eval_set, scores) -> tuple[np.ndarray, np.ndarray]:
    """Every (correct, incorrect) pair of every example: chosen and rejected rewards (P,)."""
    chosen, rejected = [], []
    for ex, s in zip(eval_set.examples, scores):
        s = np.asarray(s, dtype=float)
        for c in range(ex.num_correct):
            for r in range(ex.num_correct, len(ex.responses)):
                chosen.append(s[c])
                rejected.append(s[r])
    return np.array(chosen), np.array(rejected)

__all__ = [
    "pair_probabilities", "expected_calibration_error", "CalibrationReport", "calibration_report",
    "fit_temperature", "calibration_pairs",
    # the artefact, re-exported from workbench.models.posthoc
    "RewardTemperature", "load_temperature", "apply_temperature_to_rows", "TEMPERATURE_FILE",
]
