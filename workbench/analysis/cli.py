"""`workbench length-bias` and `workbench posthoc`: length bias of a checkpoint, and
post-hoc corrections fitted on reference records and saved beside it.

    workbench length-bias --model runs/rm --data held_out.jsonl      # JSON report
    workbench posthoc --model runs/rm --reference ref.jsonl --calibration lowess --centering per_prompt
    workbench score --model runs/rm --data new.jsonl                  # applies what posthoc saved

``posthoc`` scores every response of the reference records (pairwise or listwise;
labels are not used), fits a length calibration (:mod:`workbench.analysis.calibration`)
and/or a centering (:mod:`workbench.analysis.centering`) on the rewards (centering on
the calibrated rewards when both are fitted, the order ``workbench score`` applies
them in) and writes ``length_calibration.json`` / ``reward_centering.json``.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from workbench.errors import UserError, mistakes_in


def _flatten(model_dir: str, data: str, max_length: int, unit: str):
    """(rewards, lengths, prompts, pair_rows): every response of the records, scored."""
    from workbench.analysis.centering import prompt_and_responses
    from workbench.analysis.length import response_lengths
    from workbench.data import PreferencePair, load_records
    from workbench.models import load_reward_model
    from workbench.training import score_records
    from workbench.training.cli import check_model

    check_model(model_dir)
    with mistakes_in(data):
        records = load_records(data)
    model, tokenizer = load_reward_model(model_dir)
    rows = score_records(model, tokenizer, records, max_length=max_length)
    rewards, responses, prompts, pairs = [], [], [], []
    for record, row in zip(records, rows):
        prompt, texts = prompt_and_responses(record)
        if isinstance(record, PreferencePair):
            pairs.append((len(rewards), len(rewards) + 1))
        rewards += [row["chosen_score"], row["rejected_score"]] if "scores" not in row else row["scores"]
        responses += texts
        prompts += [prompt] * len(texts)
    lengths = response_lengths(responses, unit=unit, tokenizer=tokenizer)
    return np.array(rewards), lengths, prompts, pairs


def run_length_bias(args) -> int:
    from workbench.analysis.length import length_bias_summary, length_correlation

    rewards, lengths, prompts, pairs = _flatten(args.model, args.data, args.max_length, args.unit)
    table = length_correlation(rewards, {args.unit: lengths}, prompts=prompts)
    report = {"responses": len(rewards), "correlation": table.to_dict("records")}
    if pairs:
        chosen, rejected = (np.array([p[k] for p in pairs]) for k in (0, 1))
        report["pairs"] = length_bias_summary(rewards[chosen], rewards[rejected], lengths[chosen], lengths[rejected])
    print(json.dumps(report, indent=2))
    return 0


def run_posthoc(args) -> int:
    from workbench.analysis.calibration import fit_length_calibration
    from workbench.analysis.centering import fit_centering

    if not args.calibration and not args.centering:
        raise UserError("choose --calibration and/or --centering")
    if not Path(args.model).is_dir():  # the fits are saved beside the checkpoint: it must be a folder here
        raise UserError(f"--model {args.model}: no such checkpoint folder")
    rewards, lengths, prompts, _ = _flatten(args.model, args.reference, args.max_length, args.unit)
    saved = []
    if args.calibration:
        calibration = fit_length_calibration(rewards, lengths, method=args.calibration, unit=args.unit)
        saved.append(str(calibration.save(args.model)))
        rewards = calibration.apply(rewards, lengths)
    if args.centering:
        centering = fit_centering(rewards, prompts=prompts, mode=args.centering, scale=args.scale)
        saved.append(str(centering.save(args.model)))
    print(json.dumps({"reference_responses": len(rewards), "saved": saved}, indent=2))
    return 0


def register(subparsers) -> None:
    """Add ``length-bias`` and ``posthoc`` to the ``workbench`` command."""
    for name, func, help_text in (
        ("length-bias", run_length_bias, "reward-length correlations and longer-wins share of a checkpoint"),
        ("posthoc", run_posthoc, "fit a length calibration / centering on reference records, save beside the checkpoint"),
    ):
        p = subparsers.add_parser(name, help=help_text)
        p.add_argument("--model", required=True, help="checkpoint folder")
        if name == "length-bias":
            p.add_argument("--data", required=True, help="records to score (pairwise or listwise)")
        else:
            p.add_argument("--reference", required=True, help="reference records (labels unused)")
            p.add_argument("--calibration", choices=["linear", "lowess"], help="fit and save a length calibration")
            p.add_argument("--centering", choices=["global", "per_prompt"], help="fit and save a centering")
            p.add_argument("--scale", action="store_true", help="centering also divides by the reference spread")
        p.add_argument("--unit", choices=["chars", "words", "tokens"], default="chars", help="length unit")
        p.add_argument("--max-length", type=int, default=512)
        p.set_defaults(func=func)
