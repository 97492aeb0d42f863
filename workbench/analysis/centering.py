"""Post-hoc reward centering against a reference set, stored with a checkpoint.

A Bradley-Terry reward is defined only up to an additive constant (and, across
runs, a scale), so two checkpoints' raw scores are not comparable and a policy
optimiser sees an arbitrary offset. Centering fixes the offset after training:

- ``mode="global"``:     r' = (r - μ) / s,     μ = mean reward over the reference set;
- ``mode="per_prompt"``: r' = (r - μ_p) / s,   μ_p = mean reward of the prompt's
  reference responses (unseen prompts fall back to μ);

with ``s`` the standard deviation of the centred reference rewards when
``scale=True``, else 1. The training-time alternative is the auxiliary penalty
``workbench.losses.center_penalty`` (Eisenstein et al. 2023), which pulls
``r_chosen + r_rejected`` towards 0 during training.

This module fits a centering (:func:`fit_centering`). The fitted object,
:class:`~workbench.models.posthoc.RewardCentering`, saved as ``reward_centering.json``
beside a checkpoint, its loading, :func:`~workbench.models.posthoc.fold_into_linear`
(a global centering folded into the head, so plain ``transformers`` returns
centred scores) and :func:`~workbench.models.posthoc.apply_posthoc` (what
``workbench score`` applies: a saved length calibration first, then the centering;
``--raw`` skips both) live in :mod:`workbench.models.posthoc`. Their names are
re-exported here (``adjust_scored_records`` is ``apply_posthoc``'s old name), so old
imports keep working.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from workbench.models.posthoc import (  # the saved artefact; re-exported for old imports
    CENTERING_FILE,
    CENTERING_MODES,
    RewardCentering,
    _as_float_array,
    _prompt_keys,
    apply_posthoc,
    fold_into_linear,
    load_centering,
    prompt_and_responses,
)

MODES = CENTERING_MODES
adjust_scored_records = apply_posthoc  # the name workbench score used before the move


def fit_centering(
    rewards: Sequence[float],
    *,
    prompts: Sequence[Any] | None = None,
    mode: str = "global",
    scale: bool = False,
) -> RewardCentering:
    """Fit a centering on reference rewards (shape ``(N,)``); see the module docstring."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    r = _as_float_array(rewards, "rewards")
    if len(r) == 0:
        raise ValueError("rewards is empty: centering needs a reference set")
    mean = float(r.mean())
    prompt_means: dict[str, float] = {}
    centred = r - mean
    if mode == "per_prompt":
        if prompts is None:
            raise ValueError('mode="per_prompt" needs prompts')
        frame = pd.DataFrame({"r": r, "p": _prompt_keys(prompts, len(r))})
        prompt_means = {str(k): float(v) for k, v in frame.groupby("p")["r"].mean().items()}
        centred = r - frame["p"].map(prompt_means).to_numpy()
    s = 1.0
    if scale:
        s = float(centred.std())
        if not s > 0:
            raise ValueError("the reference rewards have zero spread after centering: cannot scale")
    return RewardCentering(mode=mode, mean=mean, scale=s, prompt_means=prompt_means)


__all__ = [
    "fit_centering", "RewardCentering", "load_centering", "fold_into_linear", "CENTERING_FILE", "MODES",
    "adjust_scored_records", "prompt_and_responses",
]
