"""``workbench prm-train``, ``prm-verify`` and ``prm-annotate``: process rewards on the command line.

    workbench prm-train --kind prm --data steps.jsonl --output runs/prm --max-steps 2000
    workbench prm-verify --data ../shared/data/gsm8k/test.jsonl
    workbench prm-annotate --data steps.jsonl --method judge --judge-url http://localhost:8000/v1 \\
        --judge-model Qwen/Qwen2.5-7B-Instruct --output labelled.jsonl

``--data`` holds step-labelled rows (``prompt``/``completions``/``labels``, TRL's
columns) or GSM8K rows (``question``/``answer``: gold solutions, to which
``prm-train`` adds one corrupted copy each, with a known first error).
``prm-train`` takes every ``workbench train`` flag (``--config``, ``--grad-accum``,
``--lora-r``, ``--eval-data`` ...: :func:`workbench.training.cli.add_train_arguments`)
and writes ``metrics.json`` beside its checkpoint, held-out step accuracy (PRM) or
outcome accuracy (ORM) included when it has held-out data.
"""
from __future__ import annotations

import json
import sys

from workbench.errors import UserError, mistakes_in
from workbench.prm.records import StepRecord, from_gsm8k, from_trl, split_steps, to_trl


def read_records(path: str) -> list[StepRecord] | list[dict]:
    """Step-labelled rows as StepRecords, or GSM8K rows as dicts (errors name the bad record)."""
    from workbench.data.jsonl import read_jsonl

    rows = read_jsonl(path, item="record")  # "record i" is how from_trl names a row too
    if rows and "question" in rows[0] and "answer" in rows[0]:
        return rows
    return [from_trl(row, index) for index, row in enumerate(rows)]


def _read(path: str) -> list[StepRecord] | list[dict]:
    """:func:`read_records`, a bad row reported as the user's mistake (UserError naming the file)."""
    with mistakes_in(path):
        return read_records(path)


def _training_records(path: str, seed: int) -> list[StepRecord]:
    """Step-labelled records; GSM8K rows become each gold solution plus a corrupted copy."""
    from workbench.prm.gsm8k import corrupted_training_records

    data = _read(path)
    if not data:
        raise UserError(f"{path}: no records to train on")
    if not isinstance(data[0], dict):
        return data
    with mistakes_in(path):
        return corrupted_training_records(data, seed=seed)


def _held_out_metrics(kind: str, model, tokenizer, records: list[StepRecord], config) -> dict:
    """PRM: accuracy of the step scores (>= 0.5) on labelled steps; ORM: of the outcome scores."""
    from workbench.models import eval_mode
    from workbench.prm.model import orm_scores, prm_step_scores

    score = prm_step_scores if kind == "prm" else orm_scores
    with eval_mode(model):
        scores = score(model, tokenizer, records, max_length=config.max_length, batch_size=config.eval_batch_size)
    if kind == "prm":
        hits = [(s >= 0.5) == (label >= 0.5) for record, row in zip(records, scores)
                for s, label in zip(row, record.labels) if label is not None]
        return {"step_accuracy": sum(hits) / max(1, len(hits)), "n_steps": len(hits)}
    outcomes = [record.meta.get("outcome", record.is_correct) for record in records]
    hits = [(s >= 0.5) == (float(o) >= 0.5) for s, o in zip(scores, outcomes) if o is not None]
    return {"accuracy": sum(hits) / max(1, len(hits)), "n_solutions": len(hits)}


def run_train(args) -> int:
    """``workbench prm-train``: a PRM or ORM with every ``workbench train`` flag; writes metrics.json."""
    from workbench.prm.model import load_orm, load_prm
    from workbench.prm.train import train_orm, train_prm
    from workbench.training.cli import build_config, check_model, hold_out, write_summary

    config, data, eval_data = build_config(args)
    check_model(config.model)
    records = _training_records(data, config.seed)
    held_out = _training_records(eval_data, config.seed) if eval_data else None
    if held_out is None and args.eval_fraction:
        records, held_out = hold_out(records, args.eval_fraction, config.seed)
    model, tokenizer = (load_prm if args.kind == "prm" else load_orm)(config.model)
    evaluate_fn = None
    if held_out:
        def evaluate_fn(trained):
            return _held_out_metrics(args.kind, trained, tokenizer, held_out, config)
    trainer = train_prm if args.kind == "prm" else train_orm
    result = trainer(records, config, model=model, tokenizer=tokenizer, evaluate_fn=evaluate_fn)
    write_summary(config, result, kind=args.kind, last=result.history[-1] if result.history else {})
    return 0


def run_verify(args) -> int:
    from workbench.prm.verify import verify_arithmetic

    data = _read(args.data)
    counts = {"true": 0, "false": 0, "none": 0}
    for row in data:
        steps = split_steps(row["answer"])[0] if isinstance(row, dict) else row.steps
        for step in steps:
            verdict = verify_arithmetic(step)
            counts["none" if verdict is None else str(verdict).lower()] += 1
            if verdict is False and args.show:
                print(f"wrong: {step}")
    print(json.dumps(counts))
    return 0


def run_annotate(args) -> int:
    from workbench.prm.labelers import VerifierAnnotator
    from workbench.prm.judge import JudgeAnnotator, OpenAIJudge

    data = _read(args.data)
    records = [from_gsm8k(r["question"], r["answer"], label=None) if isinstance(r, dict) else r for r in data]
    if args.method == "judge":
        if not args.judge_url:
            raise UserError("--method judge needs --judge-url (an OpenAI-compatible endpoint)")
        annotations = JudgeAnnotator(OpenAIJudge(args.judge_url, args.judge_model)).annotate_many(records)
    else:
        annotator = VerifierAnnotator()
        annotations = [annotator.annotate(r) for r in records]
    out = open(args.output, "w", encoding="utf-8") if args.output else sys.stdout
    try:
        for record, annotation in zip(records, annotations):
            out.write(json.dumps(to_trl(annotation.apply(record))) + "\n")
    finally:
        if out is not sys.stdout:
            out.close()
    return 0


def register(subparsers) -> None:
    """Add ``prm-train``, ``prm-verify`` and ``prm-annotate`` to the ``workbench`` command."""
    from workbench.training.cli import add_train_arguments

    train = subparsers.add_parser("prm-train", help="train a process (prm) or outcome (orm) reward model")
    train.add_argument("--kind", choices=("prm", "orm"), default="prm")
    add_train_arguments(train, defaults={"output_dir": "runs/prm"})
    train.set_defaults(func=run_train)
    verify = subparsers.add_parser("prm-verify", help="check every arithmetic step of a file exactly")
    verify.add_argument("--data", required=True)
    verify.add_argument("--show", action="store_true", help="print each wrong step")
    verify.set_defaults(func=run_verify)
    annotate = subparsers.add_parser("prm-annotate", help="label steps with the verifier or an LLM judge")
    annotate.add_argument("--data", required=True)
    annotate.add_argument("--method", choices=("verifier", "judge"), default="verifier")
    annotate.add_argument("--judge-url", default=None)
    annotate.add_argument("--judge-model", default="default")
    annotate.add_argument("--output", default=None, help="JSONL file (default: stdout)")
    annotate.set_defaults(func=run_annotate)
