"""`workbench length-bias` and `workbench posthoc`: length bias of a checkpoint, and
post-hoc corrections fitted on reference records and saved beside it.

    workbench length-bias --model runs/rm --data held_out.jsonl      # JSON report
    workbench posthoc --model runs/rm --reference ref.jsonl --calibration lowess --centering per_prompt
    workbench score --model runs/rm --data new.jsonl                  # applies what posthoc saved
    workbench train-odin --data prefs.jsonl --output runs/odin        # ODIN (workbench.models.odin)

``posthoc`` scores every response of the reference records (pairwise or listwise;
labels are not used), fits a length calibration (:mod:`workbench.analysis.calibration`)
and/or a centering (:mod:`workbench.analysis.centering`) on the rewards (centering on
the calibrated rewards when both are fitted, the order ``workbench score`` applies
them in) and writes ``length_calibration.json`` / ``reward_centering.json``.
"""
from __future__ import annotations

import json
import sys

import numpy as np


def _flatten(model_dir: str, data: str, max_length: int, unit: str):
    """(rewards, lengths, prompts, pair_rows): every response of the records, scored."""
    from workbench.analysis.centering import prompt_and_responses
    from workbench.analysis.length import response_lengths
    from workbench.data import PreferencePair, load_records
    from workbench.models import load_reward_model
    from workbench.training import score_records

    model, tokenizer = load_reward_model(model_dir)
    records = load_records(data)
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
        print("workbench posthoc: choose --calibration and/or --centering", file=sys.stderr)
        return 2
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


def run_train_odin(args) -> int:
    """``workbench train`` with the ODIN model and objective; saves the quality-only checkpoint."""
    import dataclasses

    from workbench.data import load_records
    from workbench.models.odin import odin_model_from_pretrained, odin_objective, save_odin_model
    from workbench.training import train
    from workbench.training.cli import build_config

    try:
        config, data, eval_data = build_config(args)
    except ValueError as error:
        print(f"workbench train-odin: {error}", file=sys.stderr)
        return 2
    if config.lora is not None or config.pooling != "auto":
        print("workbench train-odin: LoRA and non-native pooling are not supported", file=sys.stderr)
        return 2
    model, tokenizer = odin_model_from_pretrained(config.model)
    result = train(dataclasses.replace(config, save_model=False), load_records(data),
                   eval_data=load_records(eval_data) if eval_data else None, model=model, tokenizer=tokenizer,
                   compute_loss=odin_objective(length_penalty=args.length_penalty, orthogonality=args.orthogonality))
    path = save_odin_model(result.model, tokenizer, config.output_dir)
    print(json.dumps({"steps": result.steps, "eval_after": result.eval_metrics, "output_dir": str(path)}, indent=2))
    return 0


def _add_train_odin(subparsers) -> None:
    from workbench.training.cli import FLAGS

    p = subparsers.add_parser("train-odin", help="train an ODIN reward model (quality + length heads)")
    p.add_argument("--config", help="YAML file of TrainConfig keys (plus data, eval_data)")
    p.add_argument("--data", help="training records")
    p.add_argument("--eval-data", help="held-out records (accuracy of the quality head)")
    p.add_argument("--output", dest="output_dir", help="where the quality-only checkpoint goes")
    for name, kind in FLAGS.items():
        if name != "output_dir":
            p.add_argument("--" + name.replace("_", "-"), dest=name, type=kind, default=None)
    p.add_argument("--length-penalty", type=float, default=1.0, help="λ_L: weight of |ρ(r_Q, L)| - ρ(r_L, L)")
    p.add_argument("--orthogonality", type=float, default=1.0, help="λ_O: weight of |w_Q · w_L|")
    p.add_argument("--no-progress", action="store_true")
    p.set_defaults(func=run_train_odin, loss_arg=[], gradient_checkpointing=None, lora_r=None)


def register(subparsers) -> None:
    """Add ``length-bias``, ``posthoc`` and ``train-odin`` to the ``workbench`` command."""
    _add_train_odin(subparsers)
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
