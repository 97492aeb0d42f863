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

A centering is saved as ``reward_centering.json`` beside a checkpoint
(:meth:`RewardCentering.save`, :func:`load_centering`). A global centering can
also be folded into the last linear layer (:func:`fold_into_linear`) so that
plain ``transformers`` already returns centred scores. ``workbench score``
applies what is saved beside the checkpoint through :func:`adjust_scored_records`
(a saved length calibration first, then the centering; ``--raw`` skips both).
"""
from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from workbench.analysis.length import _as_float_array, _prompt_keys

CENTERING_FILE = "reward_centering.json"
MODES = ("global", "per_prompt")


@dataclass
class RewardCentering:
    """Offsets (and an optional scale) fitted on a reference set.

    ``mode``: ``"global"`` or ``"per_prompt"``; ``mean``: μ; ``scale``: s (1.0
    when not scaled); ``prompt_means``: μ_p by prompt text (empty for global).
    """

    mode: str
    mean: float
    scale: float = 1.0
    prompt_means: dict[str, float] = field(default_factory=dict)

    def apply(self, rewards: Sequence[float], prompts: Sequence[Any] | None = None) -> np.ndarray:
        """Centred rewards, shape ``(N,)``; ``prompts`` is required for per-prompt mode."""
        r = _as_float_array(rewards, "rewards")
        if self.mode == "global":
            return (r - self.mean) / self.scale
        if prompts is None:
            raise ValueError("per_prompt centering needs the prompts of the rewards")
        keys = _prompt_keys(prompts, len(r))
        offsets = np.array([self.prompt_means.get(k, self.mean) for k in keys])
        return (r - offsets) / self.scale

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> RewardCentering:
        unknown = set(data) - set(cls.__dataclass_fields__)
        if unknown:
            raise ValueError(f"unknown RewardCentering fields: {sorted(unknown)}")
        centering = cls(**data)
        if centering.mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {centering.mode!r}")
        if not (np.isfinite(centering.scale) and centering.scale > 0):
            raise ValueError(f"scale must be a positive finite number, got {centering.scale}")
        return centering

    def save(self, checkpoint_dir: str | Path) -> Path:
        """Write ``reward_centering.json`` into ``checkpoint_dir``; returns its path."""
        path = Path(checkpoint_dir) / CENTERING_FILE
        path.write_text(json.dumps(self.to_dict(), indent=1))
        return path


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


def load_centering(checkpoint_dir: str | Path) -> RewardCentering | None:
    """The centering saved beside a checkpoint, or None when there is none."""
    path = Path(checkpoint_dir) / CENTERING_FILE
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text())
    except json.JSONDecodeError as error:
        raise ValueError(f"{path} is not valid JSON: {error}") from error
    return RewardCentering.from_dict(data)


def fold_into_linear(linear: Any, centering: RewardCentering) -> None:
    """Fold a global centering into a scalar head in place: ``w ← w/s``, ``b ← (b - μ)/s``.

    ``linear`` is a ``torch.nn.Linear`` with one output and a bias (e.g. a BERT
    classifier head). After folding, ``linear(h)`` equals ``centering.apply(old_linear(h))``,
    so a plain ``transformers`` load of the saved checkpoint scores centred rewards.
    """
    import torch

    if centering.mode != "global":
        raise ValueError("only a global centering can be folded into the head; per-prompt "
                         "offsets depend on the prompt (save the centering with .save())")
    if getattr(linear, "bias", None) is None or linear.weight.shape[0] != 1:
        raise ValueError("fold_into_linear needs a Linear layer with one output and a bias")
    with torch.no_grad():
        linear.weight.div_(centering.scale)
        linear.bias.sub_(centering.mean).div_(centering.scale)


def prompt_and_responses(record: Any) -> tuple[Any, list]:
    """``(prompt, [responses])`` of a :class:`~workbench.data.PreferencePair` (implicit
    prompts split off; ``[chosen, rejected]``; a missing prompt is ``""``) or a
    :class:`~workbench.data.RankedList`."""
    from workbench.data import PreferencePair, split_implicit

    if isinstance(record, PreferencePair):
        pair = split_implicit(record)
        return ("" if pair.prompt is None else pair.prompt), [pair.chosen, pair.rejected]
    return record.prompt, list(record.responses)


def adjust_scored_records(checkpoint_dir: str | Path, records: Sequence[Any], scores: list[dict], *,
                          tokenizer: Any = None) -> list[dict]:
    """Apply the post-hoc corrections saved beside a checkpoint to ``workbench score`` rows.

    First a length calibration (``length_calibration.json``, see
    :mod:`workbench.analysis.calibration`; response lengths recomputed in its unit,
    tokens with ``tokenizer``), then a centering (``reward_centering.json``).
    ``records``: the scored :class:`~workbench.data.PreferencePair` /
    :class:`~workbench.data.RankedList` records (prompts key a per-prompt centering;
    implicit prompts are split off first); ``scores``: one dict per record with
    ``chosen_score``/``rejected_score`` or ``scores``. Returns new rows, or ``scores``
    itself when the checkpoint has neither file.
    """
    from workbench.analysis.calibration import load_length_calibration
    from workbench.analysis.length import response_lengths

    centering, calibration = load_centering(checkpoint_dir), load_length_calibration(checkpoint_dir)
    if centering is None and calibration is None:
        return scores
    if len(records) != len(scores):
        raise ValueError(f"{len(records)} records but {len(scores)} score rows")
    out = []
    for record, row in zip(records, scores):
        prompt, responses = prompt_and_responses(record)
        keys = ["chosen_score", "rejected_score"] if "scores" not in row else None
        values = np.asarray([row[k] for k in keys] if keys else row["scores"], dtype=float)
        if calibration is not None:
            lengths = response_lengths(responses, unit=calibration.unit, tokenizer=tokenizer)
            values = calibration.apply(values, np.maximum(lengths, 1.0) if calibration.log_length else lengths)
        if centering is not None:
            values = centering.apply(values, [prompt] * len(values))
        out.append({**row, **dict(zip(keys, values.tolist()))} if keys else {**row, "scores": values.tolist()})
    return out
