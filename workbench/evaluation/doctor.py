"""The checkpoint doctor: will this reward model's scores survive being scored by someone else?

Most untrustworthy reward-model numbers in the public trackers come from how a checkpoint
is scored, not from how it was trained: a pad token equal to EOS, the wrong padding side,
scores that change with the batch size, a head that did not load. :func:`diagnose` loads a
checkpoint as plain ``transformers`` does (no workbench fixes applied), scores the same
texts several ways and reports one :class:`Check` per question, with the measured
discrepancy beside its tolerance:

==================  ====================================================================
``head_outputs``    the head has one output (a two-label head's ``logits[:, 0]`` is a class logit)
``head_loaded``     every head (and backbone) tensor came from the checkpoint, none freshly initialised
``pad_token``       decoders: a pad token exists, differs from EOS, and the model pools by the same id
``read_token``      which token the score is read from: decoders must read the last token, also
                    when a text ends in EOS (pad = EOS makes the head skip it)
``batch_size``      batch 1 vs batch 8 (mixed lengths, the saved padding side), position ids from the mask
``padding_side``    right vs left padding at batch 8
``plain_transformers``  ``model(**tokenizer(batch, padding=True))``, what RewardBench's pipeline runs,
                    vs the batch-1 scores: absolute positions shifted by left padding show here
``dtype``           float32 vs bfloat16
``chat_template``   with vs without the tokenizer's chat template (a warning, never a failure:
                    which one is right depends on training, but the benchmark number depends on it)
==================  ====================================================================

Score discrepancies are ``max_i |r_i - r'_i|`` against ``tolerance * max(1, max_i |r_i|)``.
A check is ``pass``, ``fail``, ``warn`` or ``skip``; ``workbench doctor`` exits 1 on a failure.
"""
from __future__ import annotations

import contextlib
import copy
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from workbench.evaluation.scoring import score_sequences

BATCH = 8


@dataclass(frozen=True)
class Tolerances:
    """Relative tolerances of the score checks (times ``max(1, max |r|)``)."""

    fp32: float = 1e-3  # float32 reorderings move a reward by ~1e-6; 1e-3 leaves room for TF32 GPUs
    bf16: float = 5e-2  # bfloat16 keeps 8 mantissa bits (~0.4% per op): a few % after a deep net
    template_rank: float = 0.9  # Spearman rho under which the template changes the ranking (warn)


@dataclass(frozen=True)
class Check:
    name: str
    status: str  # "pass", "fail", "warn", "skip"
    measured: str
    tolerance: str
    detail: str


@dataclass
class DoctorReport:
    model: str
    checks: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failed

    @property
    def failed(self) -> list[str]:
        return [c.name for c in self.checks if c.status == "fail"]

    def status(self, name: str) -> str:
        return next(c.status for c in self.checks if c.name == name)

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([c.__dict__ for c in self.checks])

    def __str__(self) -> str:
        frame = self.to_frame()[["name", "status", "measured", "tolerance", "detail"]]
        widths = {c: max(len(c), *(len(str(v)) for v in frame[c])) for c in frame.columns[:-1]}
        lines = ["  ".join(c.ljust(widths.get(c, 0)) for c in frame.columns)]
        for row in frame.itertuples(index=False):
            lines.append("  ".join(str(v).ljust(widths.get(c, 0)) for c, v in zip(frame.columns, row)))
        verdict = "healthy" if self.ok else f"FAILED: {', '.join(self.failed)}"
        return f"doctor: {self.model}\n" + "\n".join(lines) + f"\n{verdict}"


@contextlib.contextmanager
def _quiet_loading():
    """Hide transformers' load report and progress bars: the doctor reports missing weights itself."""
    from transformers.utils import logging as hf_logging

    verbosity, bars = hf_logging.get_verbosity(), hf_logging.is_progress_bar_enabled()
    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        hf_logging.set_verbosity(verbosity)
        if bars:
            hf_logging.enable_progress_bar()


def load_checkpoint(path: str | Path):
    """(model in float32, tokenizer, loading info) as plain ``transformers`` loads the checkpoint."""
    from transformers import AutoConfig, AutoModelForSequenceClassification, AutoTokenizer

    from workbench.models import PooledRewardModel

    path = str(path)
    config = AutoConfig.from_pretrained(path)
    tokenizer = AutoTokenizer.from_pretrained(path)
    with _quiet_loading():
        if getattr(config, "reward_pooling", None):  # our own pooled class, saved with remote code
            model, info = PooledRewardModel.from_pretrained(path, config=config, dtype=torch.float32,
                                                            output_loading_info=True)
        else:
            model, info = AutoModelForSequenceClassification.from_pretrained(
                path, dtype=torch.float32, output_loading_info=True)
    return model.eval(), tokenizer, info


def _texts(pieces: list[tuple[str, str]], tokenizer, template: bool) -> list[str]:
    if not template:
        return [p + r for p, r in pieces]
    return [tokenizer.apply_chat_template([{"role": "user", "content": p}, {"role": "assistant", "content": r}],
                                          tokenize=False) for p, r in pieces]


def _ids(tokenizer, texts: list[str], max_length: int) -> list[list[int]]:
    return [list(x) for x in tokenizer(texts, truncation=True, max_length=max_length)["input_ids"]]


def _pad_id(model, tokenizer) -> int:
    for candidate in (tokenizer.pad_token_id, model.config.pad_token_id, tokenizer.eos_token_id, 0):
        if candidate is not None:
            return int(candidate)
    return 0


def _head_names(model) -> list[str]:
    prefix = model.base_model_prefix + "."
    return [n for n, _ in model.named_parameters() if not n.startswith(prefix)]


def _compare(name: str, a: np.ndarray, b: np.ndarray, tolerance: float, what: str, fix: str) -> Check:
    scale = max(1.0, float(np.abs(a).max()))
    gap = float(np.abs(a - b).max())
    ok = gap <= tolerance * scale
    return Check(name, "pass" if ok else "fail", f"max|Δ| = {gap:.2e}", f"{tolerance * scale:.1e}",
                 f"{what} agree" if ok else f"{what} differ: {fix}")


def check_head(model, info: dict) -> list[Check]:
    """``head_outputs`` and ``head_loaded``."""
    n_out = int(model.config.num_labels)
    outputs = Check("head_outputs", "pass" if n_out == 1 else "fail", f"{n_out} output(s)", "1",
                    "one scalar reward" if n_out == 1 else
                    f"the head has {n_out} outputs: a scorer reading logits[:, 0] gets one class's logit, "
                    "not a reward (retrain or save with num_labels=1)")
    head = _head_names(model)
    missing = set(info.get("missing_keys", ())) | {k[0] if isinstance(k, tuple) else k
                                                   for k in info.get("mismatched_keys", ())}
    head_missing = sorted(n for n in head if n in missing)
    backbone_missing = sorted(n for n in missing if n not in head)
    ok = not head_missing and not backbone_missing
    detail = "every head and backbone tensor loaded from the checkpoint"
    if head_missing:
        detail = f"head {head_missing} not in the checkpoint: freshly (randomly) initialised, scores are noise"
    elif backbone_missing:
        detail = f"{len(backbone_missing)} backbone tensor(s) freshly initialised, e.g. {backbone_missing[:3]}"
    return [outputs, Check("head_loaded", "pass" if ok else "fail",
                           f"{len(head_missing)}/{len(head)} head, {len(backbone_missing)} backbone missing",
                           "0 missing", detail)]


def check_pad_token(model, tokenizer) -> Check:
    from workbench.models import is_decoder_config

    if not is_decoder_config(model.config):
        return Check("pad_token", "pass", "encoder", "-", "an encoder pools the first token; padding is masked")
    pad, eos, config_pad = tokenizer.pad_token_id, tokenizer.eos_token_id, model.config.pad_token_id
    measured = f"pad {pad}, eos {eos}, config {config_pad}"
    if pad is None:
        return Check("pad_token", "fail", measured, "pad ≠ eos", "no pad token: batches cannot be padded "
                     "(workbench.models.ensure_pad_token adds one)")
    if pad == eos:
        return Check("pad_token", "fail", measured, "pad ≠ eos", f"pad token {tokenizer.pad_token!r} is the EOS "
                     "token: the head takes every EOS for padding and skips a real final EOS")
    if getattr(model.config, "reward_pooling", None) is None and config_pad != pad:
        return Check("pad_token", "fail", measured, "config = tokenizer", "the model pools by "
                     f"config.pad_token_id={config_pad} but the tokenizer pads with {pad}")
    return Check("pad_token", "pass", measured, "pad ≠ eos", "a pad token distinct from EOS, the same in the config")


def _head_module(model):
    return next(m for n, m in model.named_children() if n != model.base_model_prefix)


@torch.no_grad()
def _read_positions(model, sequences: list[list[int]]) -> list[int]:
    """The position whose head output is the reward, per sequence scored alone (native decoders)."""
    captured = {}
    hook = _head_module(model).register_forward_hook(lambda _m, _i, out: captured.__setitem__("out", out))
    positions = []
    try:
        for seq in sequences:
            ids = torch.tensor([seq])
            reward = model(input_ids=ids, attention_mask=torch.ones_like(ids)).logits[0, 0]
            per_token = captured["out"][0, :, 0]
            positions.append(int((per_token - reward).abs().argmin()))
    finally:
        hook.remove()
    return positions


def check_read_token(model, tokenizer, sequences: list[list[int]]) -> Check:
    from workbench.models import is_decoder_config, pooling_of

    pooled = getattr(model.config, "reward_pooling", None)
    if not is_decoder_config(model.config) or pooled:
        pooling = pooling_of(model)
        where = {"first": "the first token", "last": "the last real token (by the mask)",
                 "mean": "the mean of all real tokens"}[pooling]
        return Check("read_token", "pass", f"pooling {pooling}", "-", f"the score is read from {where}")
    eos = tokenizer.eos_token_id
    probes = sequences + ([s + [eos] for s in sequences if s and s[-1] != eos] if eos is not None else [])
    read = _read_positions(model, probes)
    wrong = [(s, p) for s, p in zip(probes, read) if p != len(s) - 1]
    measured = f"{len(probes) - len(wrong)}/{len(probes)} read at the last token"
    if not wrong:
        return Check("read_token", "pass", measured, "all", "the score is read from the last token, EOS included")
    seq, position = wrong[0]
    tokens = tokenizer.convert_ids_to_tokens(seq)
    return Check("read_token", "fail", measured, "all", f"a text ending in {tokens[-1]!r} is read at position "
                 f"{position} ({tokens[position]!r}), not at its last token {len(seq) - 1}"
                 + (" (pad = EOS)" if tokenizer.pad_token_id == eos else ""))


def _workbench_scores(model, sequences, pad_id, *, batch_size: int, padding_side: str) -> np.ndarray:
    return score_sequences(model, sequences, pad_id, batch_size=batch_size, padding_side=padding_side,
                           sort_by_length=False, max_tokens=None)


@torch.no_grad()
def _plain_scores(model, tokenizer, texts: list[str], max_length: int) -> np.ndarray:
    out = []
    for start in range(0, len(texts), BATCH):
        enc = tokenizer(texts[start:start + BATCH], padding=True, truncation=True, max_length=max_length,
                        return_tensors="pt")
        out.append(model(**enc).logits[:, 0].double().numpy())
    return np.concatenate(out)


def check_scores(model, tokenizer, pieces, *, max_length: int, tol: Tolerances) -> list[Check]:
    """``batch_size``, ``padding_side``, ``plain_transformers``, ``dtype`` and ``chat_template``."""
    texts = _texts(pieces, tokenizer, template=False)
    sequences = _ids(tokenizer, texts, max_length)
    pad_id, side = _pad_id(model, tokenizer), tokenizer.padding_side
    alone = _workbench_scores(model, sequences, pad_id, batch_size=1, padding_side=side)
    checks = []
    attempts = [
        ("batch_size", lambda: _workbench_scores(model, sequences, pad_id, batch_size=BATCH, padding_side=side),
         "batch 1 and batch 8", "the batch's padding reaches the score (check pad_token and read_token)"),
        ("padding_side", lambda: _workbench_scores(model, sequences, pad_id, batch_size=BATCH,
                                                   padding_side="left" if side == "right" else "right"),
         "right and left padding", "the pooling reads a fixed position instead of the last real token"),
        ("plain_transformers", lambda: _plain_scores(model, tokenizer, texts, max_length),
         "plain transformers and position-aware scores", f"padding with the saved side {side!r} and no "
         "position ids shifts absolute positions (pad right, or pass position ids)"),
    ]
    for name, score, what, fix in attempts:
        try:
            checks.append(_compare(name, alone, score(), tol.fp32, what, fix))
        except Exception as error:  # a batch the model cannot score at all is a failed check, not a crash
            checks.append(Check(name, "fail", type(error).__name__, "-", str(error).splitlines()[0][:160]))
    checks.append(_check_dtype(model, sequences, pad_id, side, tol))
    checks.append(_check_template(model, tokenizer, pieces, alone, max_length, pad_id, side, tol))
    return checks


def _check_dtype(model, sequences, pad_id, side, tol: Tolerances) -> Check:
    full = _workbench_scores(model, sequences, pad_id, batch_size=BATCH, padding_side=side)
    try:
        half = _workbench_scores(copy.deepcopy(model).to(torch.bfloat16), sequences, pad_id, batch_size=BATCH,
                                 padding_side=side)
    except Exception as error:
        return Check("dtype", "skip", type(error).__name__, "-", f"bfloat16 does not run here: {error}"[:160])
    return _compare("dtype", full, half, tol.bf16, "float32 and bfloat16",
                    "the reward is fragile in low precision (score in float32)")


def _check_template(model, tokenizer, pieces, plain, max_length, pad_id, side, tol: Tolerances) -> Check:
    from scipy.stats import spearmanr

    if not getattr(tokenizer, "chat_template", None):
        return Check("chat_template", "skip", "no template", "-", "the tokenizer has no chat template")
    sequences = _ids(tokenizer, _texts(pieces, tokenizer, template=True), max_length)
    templated = _workbench_scores(model, sequences, pad_id, batch_size=1, padding_side=side)
    rho = float(spearmanr(plain, templated).statistic) if np.ptp(plain) > 0 and np.ptp(templated) > 0 else 1.0
    gap = float(np.abs(plain - templated).max())
    status = "pass" if rho >= tol.template_rank else "warn"
    detail = ("the template keeps the ranking" if status == "pass" else
              "the template reorders the texts: score as the model was trained, and say which in the report")
    return Check("chat_template", status, f"rho = {rho:.2f}, max|Δ| = {gap:.2e}", f"rho ≥ {tol.template_rank}",
                 detail)


def texts_from(eval_set, n_texts: int = 16) -> list[tuple[str, str]]:
    """Up to ``n_texts`` (prompt, response) strings from an evaluation set, every response of an example."""
    def flat(value):
        return value if isinstance(value, str) else "\n".join(str(m.get("content", "")) for m in value)

    pieces = [(flat(ex.prompt), flat(r)) for ex in eval_set.examples for r in ex.responses]
    return pieces[:n_texts]


def diagnose(model_dir: str | Path, pieces: list[tuple[str, str]], *, max_length: int = 256,
             tolerances: Tolerances = Tolerances()) -> DoctorReport:
    """Every check on a checkpoint folder, scoring ``pieces`` = (prompt, response) strings (8 or more)."""
    if len(pieces) < 2:
        raise ValueError("the doctor needs at least 2 texts (8 or more show batch effects)")
    model, tokenizer, info = load_checkpoint(model_dir)
    report = DoctorReport(str(model_dir))
    report.checks.extend(check_head(model, info))
    report.checks.append(check_pad_token(model, tokenizer))
    sequences = _ids(tokenizer, _texts(pieces, tokenizer, template=False), max_length)
    report.checks.append(check_read_token(model, tokenizer, sequences))
    report.checks.extend(check_scores(model, tokenizer, pieces, max_length=max_length, tol=tolerances))
    return report
