"""Length bias, measured: does the reward (or the annotator) prefer longer responses?

Every function takes plain sequences (lists, numpy arrays, pandas columns) and
returns numbers or ``pandas.DataFrame`` objects; the figures that show them live
in :mod:`workbench.viz.length`.

Notation: ``r_i`` the reward of response ``i``, ``L_i`` its length (characters,
words or tokens, see :func:`response_lengths`), ``p(i)`` its prompt.

- :func:`length_correlation`: Pearson ``ρ(r, L)`` and Spearman ``ρ_s(r, L)``
  overall, within prompt (both variables centred on their prompt's mean) and per
  prompt (prompts with at least ``min_group`` responses).
- :func:`longer_wins_share`: the share of preference pairs whose longer response
  wins, in the data (``chosen`` longer) and under a model (``r_chosen > r_rejected``
  swapped to "the longer one scores higher").
- :func:`reward_by_length`: the binned curve ``E[r | L in bin]`` with its
  standard error.
- :func:`length_normalise`: ``r / L^α`` (length normalisation, see its docstring
  for the sign caveat).

Length normalisation and the other corrections: :mod:`workbench.analysis.calibration`
(regress ``r`` on ``L`` and subtract) and :mod:`workbench.models.odin` (training).
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

# Lengths are counted where scoring can reach them (a saved length calibration
# recomputes them at `workbench score` time); re-exported as this module's own.
from workbench.models.posthoc import (
    UNITS,
    _as_float_array,
    _check_same_length,
    _prompt_keys,
    response_lengths,
)


def _corr(x: np.ndarray, y: np.ndarray, method: str) -> float:
    """Pearson or Spearman correlation; 0.0 when either variable is constant
    (no linear association can be measured, and NaN would poison averages)."""
    if len(x) < 2 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return 0.0
    if method == "pearson":
        return float(stats.pearsonr(x, y)[0])
    return float(stats.spearmanr(x, y)[0])


def length_correlation(
    rewards: Sequence[float],
    lengths: Sequence[float] | dict[str, Sequence[float]],
    *,
    prompts: Sequence[Any] | None = None,
    min_group: int = 3,
) -> pd.DataFrame:
    """Correlation of reward with length, one row per (length unit, scope).

    ``lengths`` is one array or a dict ``{unit name: array}`` (e.g. characters and
    tokens). Scopes:

    - ``overall``: ``ρ(r, L)`` over all responses;
    - ``within_prompt`` (needs ``prompts``): ``ρ(r - r̄_p, L - L̄_p)``, both centred
      on their prompt's mean, so prompts that simply invite long answers do not count;
    - ``per_prompt_mean`` (needs ``prompts``): the mean of per-prompt correlations
      over prompts with at least ``min_group`` responses (see :func:`per_prompt_correlation`).

    Returns columns ``unit, scope, pearson, spearman, n``.
    """
    r = _as_float_array(rewards, "rewards")
    length_sets = lengths if isinstance(lengths, dict) else {"length": lengths}
    rows = []
    for unit, values in length_sets.items():
        L = _as_float_array(values, f"lengths[{unit!r}]")
        _check_same_length(rewards=r, lengths=L)
        rows.append({"unit": unit, "scope": "overall", "pearson": _corr(r, L, "pearson"),
                     "spearman": _corr(r, L, "spearman"), "n": len(r)})
        if prompts is None:
            continue
        frame = pd.DataFrame({"r": r, "L": L, "p": _prompt_keys(prompts, len(r))})
        centred = frame[["r", "L"]] - frame.groupby("p")[["r", "L"]].transform("mean")
        rows.append({"unit": unit, "scope": "within_prompt",
                     "pearson": _corr(centred["r"].to_numpy(), centred["L"].to_numpy(), "pearson"),
                     "spearman": _corr(centred["r"].to_numpy(), centred["L"].to_numpy(), "spearman"),
                     "n": len(r)})
        per = per_prompt_correlation(r, L, prompts=prompts, min_group=min_group)
        rows.append({"unit": unit, "scope": "per_prompt_mean",
                     "pearson": float(per["pearson"].mean()) if len(per) else 0.0,
                     "spearman": float(per["spearman"].mean()) if len(per) else 0.0,
                     "n": len(per)})
    return pd.DataFrame(rows)


def per_prompt_correlation(
    rewards: Sequence[float], lengths: Sequence[float], *, prompts: Sequence[Any], min_group: int = 3
) -> pd.DataFrame:
    """Pearson and Spearman ``ρ(r, L)`` inside each prompt with ``>= min_group`` responses.

    With two responses a correlation is always ±1, hence ``min_group`` (at least 3).
    Returns columns ``prompt, pearson, spearman, n`` (one row per kept prompt).
    """
    if min_group < 3:
        raise ValueError(f"min_group must be at least 3 (two points always correlate ±1), got {min_group}")
    r = _as_float_array(rewards, "rewards")
    L = _as_float_array(lengths, "lengths")
    _check_same_length(rewards=r, lengths=L)
    frame = pd.DataFrame({"r": r, "L": L, "prompt": _prompt_keys(prompts, len(r))})
    rows = [
        {"prompt": p, "pearson": _corr(g["r"].to_numpy(), g["L"].to_numpy(), "pearson"),
         "spearman": _corr(g["r"].to_numpy(), g["L"].to_numpy(), "spearman"), "n": len(g)}
        for p, g in frame.groupby("prompt", sort=False) if len(g) >= min_group
    ]
    return pd.DataFrame(rows, columns=["prompt", "pearson", "spearman", "n"])


def longer_wins_share(
    chosen_lengths: Sequence[float],
    rejected_lengths: Sequence[float],
    *,
    chosen_rewards: Sequence[float] | None = None,
    rejected_rewards: Sequence[float] | None = None,
) -> pd.DataFrame:
    """Share of pairs in which the longer response wins, in the data and under a model.

    Pairs of equal length are left out (they say nothing about length) and counted
    in ``n_equal_length``. ``data``: share with ``L_chosen > L_rejected``.
    ``model`` (when rewards are given): share where the longer response gets the
    higher reward, ``[r_long > r_short]`` (ties in reward count one half).
    Half of the pairs is what a length-blind judge gives on length-independent data.

    Returns rows ``source in {data, model}`` with ``longer_wins, n_pairs, n_equal_length``.
    """
    lc = _as_float_array(chosen_lengths, "chosen_lengths")
    lr = _as_float_array(rejected_lengths, "rejected_lengths")
    _check_same_length(chosen_lengths=lc, rejected_lengths=lr)
    differ = lc != lr
    n = int(differ.sum())
    if n == 0:
        raise ValueError("every pair has equal lengths: the longer-wins share is undefined")
    rows = [{"source": "data", "longer_wins": float(np.mean(lc[differ] > lr[differ])),
             "n_pairs": n, "n_equal_length": int((~differ).sum())}]
    if (chosen_rewards is None) != (rejected_rewards is None):
        raise ValueError("give both chosen_rewards and rejected_rewards, or neither")
    if chosen_rewards is not None:
        rc = _as_float_array(chosen_rewards, "chosen_rewards")
        rr = _as_float_array(rejected_rewards, "rejected_rewards")
        _check_same_length(chosen_lengths=lc, chosen_rewards=rc, rejected_rewards=rr)
        long_minus_short = np.where(lc > lr, rc - rr, rr - rc)[differ]
        wins = (long_minus_short > 0) + 0.5 * (long_minus_short == 0)
        rows.append({"source": "model", "longer_wins": float(wins.mean()),
                     "n_pairs": n, "n_equal_length": int((~differ).sum())})
    return pd.DataFrame(rows)


def reward_by_length(
    rewards: Sequence[float],
    lengths: Sequence[float],
    *,
    n_bins: int = 10,
    strategy: str = "quantile",
) -> pd.DataFrame:
    """Binned reward-by-length curve: ``E[r | L in bin]`` with its standard error.

    ``strategy="quantile"`` makes bins of equal count (robust to the long tail of
    lengths), ``"uniform"`` bins of equal width. Empty bins are dropped. Returns
    columns ``bin, length_low, length_high, length_mid, mean_reward, sem, count``;
    ``length_mid`` is the mean length inside the bin, ``sem = std / sqrt(count)``
    (0 for a single-item bin).
    """
    r = _as_float_array(rewards, "rewards")
    L = _as_float_array(lengths, "lengths")
    _check_same_length(rewards=r, lengths=L)
    if n_bins < 1:
        raise ValueError(f"n_bins must be >= 1, got {n_bins}")
    if len(r) == 0:
        raise ValueError("rewards is empty")
    if strategy == "quantile":
        edges = np.unique(np.quantile(L, np.linspace(0, 1, n_bins + 1)))
    elif strategy == "uniform":
        edges = np.linspace(L.min(), L.max(), n_bins + 1)
    else:
        raise ValueError(f'strategy must be "quantile" or "uniform", got {strategy!r}')
    if len(edges) < 2:
        edges = np.array([L.min(), L.max()])
    index = np.clip(np.searchsorted(edges, L, side="right") - 1, 0, len(edges) - 2)
    rows = []
    for b in range(len(edges) - 1):
        in_bin = index == b
        count = int(in_bin.sum())
        if count == 0:
            continue
        sem = float(r[in_bin].std(ddof=1) / np.sqrt(count)) if count > 1 else 0.0
        rows.append({"bin": b, "length_low": float(edges[b]), "length_high": float(edges[b + 1]),
                     "length_mid": float(L[in_bin].mean()), "mean_reward": float(r[in_bin].mean()),
                     "sem": sem, "count": count})
    return pd.DataFrame(rows)


def length_normalise(
    rewards: Sequence[float], lengths: Sequence[float], *, alpha: float = 1.0, shift: float = 0.0
) -> np.ndarray:
    """Length-normalised reward ``(r - shift) / L^α``, shape ``(N,)``.

    ``α = 1`` is the per-unit reward (reward per token, as in the per-token
    average of log-probabilities in length-normalised DPO/SimPO, Meng et al. 2024);
    ``α = 0.5`` divides by ``sqrt(L)``, a milder penalty; ``α = 0`` leaves
    rewards unchanged. The choice is a guess at how the bias grows with length:
    ``α = 1`` assumes the reward adds up per token, which over-corrects a reward
    that grows more slowly than linearly (check with :func:`reward_by_length`).

    Sign caveat: dividing a *negative* reward by a larger length moves it *up*
    towards 0, so a long bad answer gains. ``shift`` moves the origin first:
    pass a low reference (e.g. the minimum reward of a reference set) so all
    shifted rewards are positive and the division only ever shrinks them.
    Lengths must be positive.
    """
    r = _as_float_array(rewards, "rewards")
    L = _as_float_array(lengths, "lengths")
    _check_same_length(rewards=r, lengths=L)
    bad = np.flatnonzero(L <= 0)
    if bad.size:
        raise ValueError(f"lengths[{bad[0]}] is {L[bad[0]]}: lengths must be positive")
    if alpha < 0:
        raise ValueError(f"alpha must be >= 0, got {alpha}")
    return (r - shift) / L**alpha


def length_bias_summary(
    chosen_rewards: Sequence[float],
    rejected_rewards: Sequence[float],
    chosen_lengths: Sequence[float],
    rejected_lengths: Sequence[float],
) -> dict[str, float]:
    """One line on a scorer over labelled pairs: does it pick ``chosen``, and does it track length?

    ``accuracy``: share with ``r_chosen > r_rejected`` (ties count one half);
    ``pearson``/``spearman``: ``ρ(r, L)`` over all 2B responses; ``longer_wins``:
    the model's longer-wins share (:func:`longer_wins_share`). On length-balanced
    pairs labelled by the truth, a length-blind scorer has ``longer_wins ≈ 0.5``.
    """
    rc, rr = _as_float_array(chosen_rewards, "chosen_rewards"), _as_float_array(rejected_rewards, "rejected_rewards")
    lc, lr = _as_float_array(chosen_lengths, "chosen_lengths"), _as_float_array(rejected_lengths, "rejected_lengths")
    _check_same_length(chosen_rewards=rc, rejected_rewards=rr, chosen_lengths=lc, rejected_lengths=lr)
    correlation = length_correlation(np.concatenate([rc, rr]), np.concatenate([lc, lr])).iloc[0]
    shares = longer_wins_share(lc, lr, chosen_rewards=rc, rejected_rewards=rr).set_index("source")
    return {"accuracy": float(np.mean((rc > rr) + 0.5 * (rc == rr))), "pearson": float(correlation["pearson"]),
            "spearman": float(correlation["spearman"]), "longer_wins": float(shares.loc["model", "longer_wins"])}
