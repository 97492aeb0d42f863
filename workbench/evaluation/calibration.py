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
:func:`load_temperature` / ``apply``), as with the centering of
:mod:`workbench.analysis.centering`, so the artefact can live with the other post-hoc
corrections.
"""
from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.optimize import minimize_scalar
from scipy.special import expit, log_expit

TEMPERATURE_FILE = "temperature.json"
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


@dataclass
class RewardTemperature:
    """A fitted temperature: :meth:`apply` maps a reward ``r`` to ``r / T``."""

    temperature: float
    n_pairs: int = 0  # pairs it was fitted on (0: set by hand)

    def __post_init__(self):
        if not (np.isfinite(self.temperature) and self.temperature > 0):
            raise ValueError(f"temperature must be a positive finite number, got {self.temperature}")

    def apply(self, rewards: Sequence[float]) -> np.ndarray:
        """Rewards divided by T, shape kept."""
        return np.asarray(rewards, dtype=float) / self.temperature

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> RewardTemperature:
        unknown = set(data) - set(cls.__dataclass_fields__)
        if unknown:
            raise ValueError(f"unknown RewardTemperature fields: {sorted(unknown)}")
        return cls(**data)

    def save(self, checkpoint_dir: str | Path) -> Path:
        """Write ``temperature.json`` into ``checkpoint_dir``; returns its path."""
        path = Path(checkpoint_dir) / TEMPERATURE_FILE
        path.write_text(json.dumps(self.to_dict(), indent=1))
        return path


def load_temperature(checkpoint_dir: str | Path) -> RewardTemperature | None:
    """The temperature saved beside a checkpoint, or None when there is none."""
    path = Path(checkpoint_dir) / TEMPERATURE_FILE
    if not path.is_file():
        return None
    try:
        return RewardTemperature.from_dict(json.loads(path.read_text()))
    except (json.JSONDecodeError, TypeError, ValueError) as error:
        raise ValueError(f"{path}: not a saved temperature ({error})") from None


def apply_temperature_to_rows(checkpoint_dir: str | Path, rows: list[dict]) -> list[dict]:
    """``workbench score`` rows (``chosen_score``/``rejected_score`` or ``scores``) divided by the
    temperature saved beside the checkpoint; the rows themselves when there is none."""
    saved = load_temperature(checkpoint_dir)
    if saved is None:
        return rows
    out = []
    for row in rows:
        if "scores" in row:
            out.append({**row, "scores": saved.apply(row["scores"]).tolist()})
        else:
            out.append({**row, **{k: float(saved.apply([row[k]])[0]) for k in ("chosen_score", "rejected_score")
                                  if k in row}})
    return out


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
