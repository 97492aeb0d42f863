"""``workbench prm-train``, ``prm-verify`` and ``prm-annotate``: process rewards on the command line.

    workbench prm-train --kind prm --data steps.jsonl --output runs/prm --max-steps 2000
    workbench prm-verify --data ../shared/data/gsm8k/test.jsonl
    workbench prm-annotate --data steps.jsonl --method judge --judge-url http://localhost:8000/v1 \\
        --judge-model Qwen/Qwen2.5-7B-Instruct --output labelled.jsonl

``--data`` holds step-labelled rows (``prompt``/``completions``/``labels``, TRL's
columns) or GSM8K rows (``question``/``answer``: gold solutions, to which
``prm-train`` adds one corrupted copy each, with a known first error).
"""
from __future__ import annotations

import json
import sys

from workbench.prm.records import StepRecord, from_gsm8k, from_trl, split_steps, to_trl


def read_records(path: str) -> list[StepRecord] | list[dict]:
    """Step-labelled rows as StepRecords, or GSM8K rows as dicts (errors name the bad record)."""
    from workbench.data.jsonl import read_jsonl

    rows = read_jsonl(path, item="record")  # "record i" is how from_trl names a row too
    if rows and "question" in rows[0] and "answer" in rows[0]:
        return rows
    return [from_trl(row, index) for index, row in enumerate(rows)]


def run_train(args) -> int:
    from workbench.prm.gsm8k import corrupted_training_records
    from workbench.prm.model import load_orm, load_prm
    from workbench.prm.train import train_orm, train_prm
    from workbench.training import TrainConfig

    data = read_records(args.data)
    records = corrupted_training_records(data, seed=args.seed) if data and isinstance(data[0], dict) else data
    config = TrainConfig(model=args.model, output_dir=args.output, max_length=args.max_length,
                         batch_size=args.batch_size, max_steps=args.max_steps, epochs=args.epochs,
                         learning_rate=args.learning_rate, seed=args.seed)
    model, tokenizer = (load_prm if args.kind == "prm" else load_orm)(args.model)
    trainer = train_prm if args.kind == "prm" else train_orm
    result = trainer(records, config, model=model, tokenizer=tokenizer)
    last = result.history[-1] if result.history else {}
    print(json.dumps({"output_dir": args.output, "steps": result.steps, "last": last}))
    return 0


def run_verify(args) -> int:
    from workbench.prm.verify import verify_arithmetic

    data = read_records(args.data)
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

    data = read_records(args.data)
    records = [from_gsm8k(r["question"], r["answer"], label=None) if isinstance(r, dict) else r for r in data]
    if args.method == "judge":
        if not args.judge_url:
            raise SystemExit("--method judge needs --judge-url (an OpenAI-compatible endpoint)")
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
    train = subparsers.add_parser("prm-train", help="train a process (prm) or outcome (orm) reward model")
    train.add_argument("--kind", choices=("prm", "orm"), default="prm")
    train.add_argument("--data", required=True, help="step-labelled JSONL or GSM8K question/answer JSONL")
    train.add_argument("--output", required=True, help="checkpoint folder")
    train.add_argument("--model", default=None, help="backbone (HF id or path); default: offline MiniLM")
    train.add_argument("--max-length", type=int, default=512)
    train.add_argument("--batch-size", type=int, default=16)
    train.add_argument("--max-steps", type=int, default=None)
    train.add_argument("--epochs", type=float, default=1.0)
    train.add_argument("--learning-rate", type=float, default=5e-5)
    train.add_argument("--seed", type=int, default=0)
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
