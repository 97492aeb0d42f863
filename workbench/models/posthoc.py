"""Post-hoc corrections saved beside a checkpoint: what they are, save, load, apply.

A reward model's raw scores carry things a user may want corrected after
training, each fitted on a reference set and stored as a small JSON file next to
the weights:

- ``length_calibration.json``, a :class:`LengthCalibration` (Huang et al. 2025,
  "Post-hoc Reward Calibration: A Case Study on Length Bias"): the fitted length
  effect ``f(L)``, subtracted as ``r - (f(L) - offset)``; fitted by
  :func:`workbench.analysis.calibration.fit_length_calibration`;
- ``reward_centering.json``, a :class:`RewardCentering`: ``(r - μ) / s`` with a
  global or per-prompt ``μ``; fitted by :func:`workbench.analysis.centering.fit_centering`.
  A global one can also be folded into the head (:func:`fold_into_linear`), so
  plain ``transformers`` scores centred rewards;
- ``temperature.json``, a :class:`RewardTemperature` (Guo et al. 2017, temperature
  scaling): ``r / T``, so that ``sigma(r_c - r_r)`` is a calibrated probability;
  fitted by :func:`workbench.evaluation.calibration.fit_temperature`
  (``workbench eval --fit-temperature``).

:func:`apply_posthoc` is what ``workbench score`` runs on its rows: the calibration
first (it is fitted on raw rewards), then the centering (fitted on calibrated ones
when both are), then the temperature; ``workbench score --raw`` skips all three. The files are plain JSON, so
a checkpoint stays loadable by ``transformers`` with no workbench import; only the
corrections need this module. It lives in ``models`` (fitting lives in
``analysis``) so that scoring, in ``training``, never imports an analysis.

Response lengths (:func:`response_lengths`) are defined here too: a calibration
records the unit it was fitted in, and scoring must count lengths exactly as the
fit did.
"""
from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

UNITS = ("chars", "words", "tokens")
CALIBRATION_FILE = "length_calibration.json"
CALIBRATION_METHODS = ("linear", "lowess")
CENTERING_FILE = "reward_centering.json"
CENTERING_MODES = ("global", "per_prompt")
TEMPERATURE_FILE = "temperature.json"


def save_beside(checkpoint_dir: str | Path, name: str, data: dict, *, indent: int | None = 1) -> Path:
    """Write one correction as JSON into ``checkpoint_dir``, atomically (a temporary file renamed
    over ``name``): a failed save never leaves half a file that ``workbench score`` would read."""
    from workbench.models.checkpoint_files import write_text_atomically

    return write_text_atomically(Path(checkpoint_dir) / name, json.dumps(data, indent=indent))


def _as_float_array(values: Any, name: str) -> np.ndarray:
    """1-D float array; raises ValueError naming the first non-finite row."""
    array = np.asarray(values, dtype=float)
    if array.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {array.shape}")
    bad = np.flatnonzero(~np.isfinite(array))
    if bad.size:
        raise ValueError(f"{name}[{bad[0]}] is {array[bad[0]]}: values must be finite")
    return array


def _check_same_length(**arrays: np.ndarray) -> None:
    sizes = {name: len(a) for name, a in arrays.items()}
    if len(set(sizes.values())) > 1:
        raise ValueError(f"inputs must have the same length, got {sizes}")


def _prompt_keys(prompts: Sequence[Any], n: int) -> list[str]:
    if len(prompts) != n:
        raise ValueError(f"prompts has {len(prompts)} entries, rewards has {n}")
    return [p if isinstance(p, str) else repr(p) for p in prompts]


def _text_of(response: Any, row: int) -> str:
    """A response as text: a string, or the joined contents of a chat message list."""
    if isinstance(response, str):
        return response
    if isinstance(response, (list, tuple)) and all(isinstance(m, dict) and "content" in m for m in response):
        return "".join(str(m["content"]) for m in response)
    raise ValueError(f"response[{row}] must be a str or a list of chat messages, got {type(response).__name__}")


def response_lengths(
    responses: Sequence[Any],
    *,
    unit: str = "chars",
    tokenizer: Callable | Any | None = None,
) -> np.ndarray:
    """Length of each response, shape ``(N,)`` float.

    ``unit``: ``"chars"`` (Unicode characters), ``"words"`` (whitespace-separated
    pieces) or ``"tokens"`` (``len(tokenizer(text, add_special_tokens=False).input_ids)``,
    so special tokens do not add a constant). Chat message lists count the text of
    their ``content`` fields.
    """
    if unit not in UNITS:
        raise ValueError(f"unit must be one of {UNITS}, got {unit!r}")
    texts = [_text_of(r, i) for i, r in enumerate(responses)]
    if unit == "chars":
        return np.array([len(t) for t in texts], dtype=float)
    if unit == "words":
        return np.array([len(t.split()) for t in texts], dtype=float)
    if tokenizer is None:
        raise ValueError('unit="tokens" needs a tokenizer')
    ids = tokenizer(texts, add_special_tokens=False)["input_ids"]
    return np.array([len(x) for x in ids], dtype=float)


@dataclass
class LengthCalibration:
    """A fitted length effect ``f(L)``; :meth:`apply` subtracts it from rewards.

    Attributes: ``method`` (``"linear"``/``"lowess"``), ``log_length`` (fit in
    ``log L``), ``grid_x``/``grid_y`` (the fitted curve at the sorted unique
    reference lengths, in the fit's x units), ``intercept``/``slope`` (linear fit),
    ``offset`` (``mean f(L)`` over the reference set, added back by :meth:`apply`).
    LOWESS is evaluated by linear interpolation on the grid and held flat beyond
    its ends (no extrapolation of a local smooth); the linear fit extrapolates.
    """

    method: str
    log_length: bool
    unit: str = "chars"  # what the lengths count (see response_lengths); scoring recomputes them this way
    grid_x: list[float] = field(default_factory=list)
    grid_y: list[float] = field(default_factory=list)
    intercept: float = 0.0
    slope: float = 0.0
    offset: float = 0.0

    def _x(self, lengths: Sequence[float]) -> np.ndarray:
        L = _as_float_array(lengths, "lengths")
        if self.log_length:
            bad = np.flatnonzero(L <= 0)
            if bad.size:
                raise ValueError(f"lengths[{bad[0]}] is {L[bad[0]]}: log_length needs positive lengths")
            return np.log(L)
        return L

    def predict(self, lengths: Sequence[float]) -> np.ndarray:
        """The length effect ``f(L)``, shape ``(N,)``."""
        x = self._x(lengths)
        if self.method == "linear":
            return self.intercept + self.slope * x
        return np.interp(x, self.grid_x, self.grid_y)

    def apply(self, rewards: Sequence[float], lengths: Sequence[float]) -> np.ndarray:
        """Calibrated rewards ``r - (f(L) - offset)``, shape ``(N,)``."""
        r = _as_float_array(rewards, "rewards")
        effect = self.predict(lengths)
        _check_same_length(rewards=r, lengths=effect)
        return r - (effect - self.offset)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> LengthCalibration:
        unknown = set(data) - {f for f in cls.__dataclass_fields__}
        if unknown:
            raise ValueError(f"unknown LengthCalibration fields: {sorted(unknown)}")
        calibration = cls(**data)
        if calibration.method not in CALIBRATION_METHODS or calibration.unit not in UNITS:
            raise ValueError(f"bad LengthCalibration method {calibration.method!r} or unit {calibration.unit!r}")
        return calibration

    def save(self, checkpoint_dir: str | Path) -> Path:
        """Write ``length_calibration.json`` into ``checkpoint_dir`` (``workbench score`` applies it)."""
        return save_beside(checkpoint_dir, CALIBRATION_FILE, self.to_dict(), indent=None)


def load_length_calibration(checkpoint_dir: str | Path) -> LengthCalibration | None:
    """The calibration saved beside a checkpoint, or None when there is none."""
    path = Path(checkpoint_dir) / CALIBRATION_FILE
    if not path.is_file():
        return None
    try:
        return LengthCalibration.from_dict(json.loads(path.read_text()))
    except (json.JSONDecodeError, TypeError) as error:
        raise ValueError(f"{path} is not a valid length calibration: {error}") from error


@dataclass
class RewardCentering:
    """Offsets (and an optional scale) fitted on a reference set.

    ``mode``: ``"global"`` or ``"per_prompt"``; ``mean``: μ; ``scale``: s (1.0
    when not scaled); ``prompt_means``: μ_p by prompt text (empty for global;
    an unseen prompt falls back to μ).
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
        if centering.mode not in CENTERING_MODES:
            raise ValueError(f"mode must be one of {CENTERING_MODES}, got {centering.mode!r}")
        if not (np.isfinite(centering.scale) and centering.scale > 0):
            raise ValueError(f"scale must be a positive finite number, got {centering.scale}")
        return centering

    def save(self, checkpoint_dir: str | Path) -> Path:
        """Write ``reward_centering.json`` into ``checkpoint_dir``; returns its path."""
        return save_beside(checkpoint_dir, CENTERING_FILE, self.to_dict())


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
        return save_beside(checkpoint_dir, TEMPERATURE_FILE, self.to_dict())


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


def prompt_and_responses(record: Any) -> tuple[Any, list]:
    """``(prompt, [responses])`` of a :class:`~workbench.data.PreferencePair` (implicit
    prompts split off; ``[chosen, rejected]``; a missing prompt is ``""``) or a
    :class:`~workbench.data.RankedList`."""
    from workbench.data import PreferencePair, split_implicit

    if isinstance(record, PreferencePair):
        pair = split_implicit(record)
        return ("" if pair.prompt is None else pair.prompt), [pair.chosen, pair.rejected]
    return record.prompt, list(record.responses)


@dataclass
class PosthocCorrections:
    """The corrections saved beside one checkpoint, loaded once (each None when absent).

    :meth:`apply` corrects one prompt's scores: the length calibration (response lengths
    recomputed in its unit, tokens with ``tokenizer``; under ``log_length`` an empty
    response counts as length 1), then the centering, then the temperature (``r / T``;
    it keeps every ranking). ``workbench score`` and ``workbench eval`` both use it, so
    they agree on what a checkpoint's score is.
    """

    calibration: LengthCalibration | None = None
    centering: RewardCentering | None = None
    temperature: RewardTemperature | None = None

    @property
    def names(self) -> list[str]:
        """The files in use, in the order they apply."""
        present = ((self.calibration, CALIBRATION_FILE), (self.centering, CENTERING_FILE),
                   (self.temperature, TEMPERATURE_FILE))
        return [name for artefact, name in present if artefact is not None]

    def apply(self, prompt: Any, responses: Sequence[Any], values: Sequence[float], *, tokenizer: Any = None,
              temperature: bool = True) -> np.ndarray:
        """Corrected scores (K,) of one prompt's ``responses`` from their raw ``values`` (K,)."""
        values = np.asarray(values, dtype=float)
        if self.calibration is not None:
            lengths = response_lengths(responses, unit=self.calibration.unit, tokenizer=tokenizer)
            values = self.calibration.apply(values, np.maximum(lengths, 1.0) if self.calibration.log_length
                                            else lengths)
        if self.centering is not None:
            values = self.centering.apply(values, [prompt] * len(values))
        if temperature and self.temperature is not None:
            values = self.temperature.apply(values)
        return values


def load_posthoc(model_dir: str | Path | None) -> PosthocCorrections:
    """The corrections saved in ``model_dir`` (none for a model id or a folder without them)."""
    if model_dir is None or not Path(model_dir).is_dir():
        return PosthocCorrections()
    return PosthocCorrections(load_length_calibration(model_dir), load_centering(model_dir),
                              load_temperature(model_dir))


def apply_posthoc(model_dir: str | Path, records: Sequence[Any], scores: list[dict], *,
                  tokenizer: Any = None) -> list[dict]:
    """Apply the corrections saved beside a checkpoint to ``workbench score`` rows.

    ``records``: the scored :class:`~workbench.data.PreferencePair` /
    :class:`~workbench.data.RankedList` records (prompts key a per-prompt centering;
    implicit prompts are split off first); ``scores``: one dict per record with
    ``chosen_score``/``rejected_score`` or ``scores``. The order is
    :class:`PosthocCorrections`'s. Returns new rows, or ``scores`` itself when
    ``model_dir`` has none of the three files.
    """
    corrections = load_posthoc(model_dir)
    if not corrections.names:
        return scores
    if len(records) != len(scores):
        raise ValueError(f"{len(records)} records but {len(scores)} score rows")
    out = []
    for record, row in zip(records, scores):
        prompt, responses = prompt_and_responses(record)
        keys = ["chosen_score", "rejected_score"] if "scores" not in row else None
        values = corrections.apply(prompt, responses, [row[k] for k in keys] if keys else row["scores"],
                                   tokenizer=tokenizer)
        out.append({**row, **dict(zip(keys, values.tolist()))} if keys else {**row, "scores": values.tolist()})
    return out


__all__ = [
    "LengthCalibration", "load_length_calibration", "CALIBRATION_FILE", "CALIBRATION_METHODS",
    "RewardCentering", "load_centering", "fold_into_linear", "CENTERING_FILE", "CENTERING_MODES",
    "RewardTemperature", "load_temperature", "apply_temperature_to_rows", "TEMPERATURE_FILE",
    "PosthocCorrections", "load_posthoc", "apply_posthoc", "prompt_and_responses", "response_lengths", "UNITS",
]
