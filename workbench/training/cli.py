"""`workbench train | score | eval`: reward-model training and scoring from the command line.

    workbench train --data prefs.jsonl --model ID_OR_PATH --loss bradley_terry --output runs/rm
    workbench train --config run.yaml            # TrainConfig keys + data / eval_data; unknown keys rejected
    accelerate launch --num_processes 2 -m workbench.cli train ...   # same entry point, many GPUs
    accelerate launch --cpu --num_processes 2 --mpirun_hostfile H -m workbench.cli train ...   # 2 CPU processes
    accelerate launch --multi_gpu --num_processes 2 -m workbench.cli train ...   # also 2 gloo processes on CPU
    workbench score --model runs/rm --data prefs.jsonl --output scores.jsonl
    workbench eval --model runs/rm --data held_out.jsonl
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path

# Command-line flags that map one-to-one onto TrainConfig fields (flag --a-b -> field a_b).
FLAGS = {
    "model": str, "output_dir": str, "pooling": str, "loss": str, "center_weight": float, "max_length": int,
    "batch_size": int, "grad_accum": int, "epochs": float, "max_steps": int, "learning_rate": float,
    "weight_decay": float, "warmup_ratio": float, "seed": int, "mixed_precision": str, "eval_every": int,
    "save_every": int, "log_every": int, "resume_from": str, "eval_batch_size": int,
}
DATA_KEYS = ("data", "eval_data")


def _add_train(subparsers) -> None:
    p = subparsers.add_parser("train", help="train a reward model (pairwise or listwise records)")
    p.add_argument("--config", help="YAML file of TrainConfig keys (plus data, eval_data)")
    p.add_argument("--data", help="training records: JSONL/JSON/parquet/CSV path or a Hugging Face dataset id")
    p.add_argument("--eval-data", help="held-out records (same formats)")
    p.add_argument("--eval-fraction", type=float, default=None,
                   help="hold out this fraction of --data when no --eval-data is given")
    p.add_argument("--output", dest="output_dir", help="where the checkpoint goes (output_dir)")
    for name, kind in FLAGS.items():
        if name != "output_dir":
            p.add_argument("--" + name.replace("_", "-"), dest=name, type=kind, default=None)
    p.add_argument("--loss-arg", action="append", default=[], metavar="KEY=VALUE",
                   help="loss hyperparameter (JSON value), e.g. --loss-arg ties='\"efron\"'")
    p.add_argument("--gradient-checkpointing", action="store_true", default=None)
    p.add_argument("--shared-prompt", action="store_true", default=None,
                   help="ranked lists on a decoder: encode each prompt once for all K responses")
    p.add_argument("--lora-r", type=int, default=None, help="train LoRA adapters of this rank (needs peft)")
    p.add_argument("--no-progress", action="store_true")
    p.set_defaults(func=run_train)


def build_config(args) -> tuple:
    """(TrainConfig, data, eval_data) from a YAML file and/or flags; flags win."""
    from workbench.training.config import LoraSettings, TrainConfig, from_dict

    values: dict = {}
    if args.config:
        import yaml

        with open(args.config, encoding="utf-8") as f:
            values = yaml.safe_load(f) or {}
        if not isinstance(values, dict):
            raise ValueError(f"{args.config}: expected a mapping of config keys")
    data = {k: values.pop(k, None) for k in DATA_KEYS}
    valid = sorted({f.name for f in dataclasses.fields(TrainConfig)} | set(DATA_KEYS))
    unknown = sorted(set(values) - set(valid))
    if unknown:
        raise ValueError(f"{args.config}: unknown key(s) {unknown}; valid keys: {valid}")
    values.update({k: getattr(args, k) for k in FLAGS if getattr(args, k, None) is not None})
    if args.loss_arg:
        kwargs = dict(values.get("loss_kwargs") or {})
        for item in args.loss_arg:
            key, _, raw = item.partition("=")
            kwargs[key] = json.loads(raw)
        values["loss_kwargs"] = kwargs
    if args.gradient_checkpointing:
        values["gradient_checkpointing"] = True
    if getattr(args, "shared_prompt", None):  # commands reusing this parser may not offer the flag
        values["shared_prompt"] = True
    if args.lora_r:
        values["lora"] = dataclasses.asdict(LoraSettings(r=args.lora_r))
    if args.no_progress:
        values["progress"] = False
    data["data"] = args.data or data["data"]
    data["eval_data"] = args.eval_data or data["eval_data"]
    if not data["data"]:
        raise ValueError("no training data: pass --data or set data: in the config file")
    return from_dict(TrainConfig, values, where=args.config or "command line"), data["data"], data["eval_data"]


def _split(records: list, fraction: float, seed: int) -> tuple[list, list]:
    import random

    order = list(range(len(records)))
    random.Random(seed).shuffle(order)
    n_eval = max(1, int(round(fraction * len(records))))
    return [records[i] for i in order[n_eval:]], [records[i] for i in order[:n_eval]]


def run_train(args) -> int:
    from workbench.data import load_records
    from workbench.training import train

    try:
        config, data, eval_data = build_config(args)
    except ValueError as e:
        print(f"workbench train: {e}", file=sys.stderr)
        return 2
    records = load_records(data)
    held_out = load_records(eval_data) if eval_data else None
    if held_out is None and args.eval_fraction:
        records, held_out = _split(records, args.eval_fraction, config.seed)
    result = train(config, records, eval_data=held_out, evaluate_before=held_out is not None)
    from accelerate import PartialState

    summary = {"processes": PartialState().num_processes, "steps": result.steps, "items_per_second": round(result.items_per_second, 3),
               "eval_before": result.eval_before, "eval_after": result.eval_metrics,
               "truncated": result.truncation.n_truncated if result.truncation else 0,
               "output_dir": config.output_dir}
    if PartialState().is_main_process:
        Path(config.output_dir).mkdir(parents=True, exist_ok=True)
        (Path(config.output_dir) / "metrics.json").write_text(json.dumps(summary, indent=2))
        print(json.dumps(summary, indent=2))
    return 0


def _load(args):
    from workbench.data import load_records
    from workbench.models import load_reward_model

    model, tokenizer = load_reward_model(args.model)
    return model, tokenizer, load_records(args.data)


def run_score(args) -> int:
    from workbench.training import score_records

    model, tokenizer, records = _load(args)
    scores = score_records(model, tokenizer, records, max_length=args.max_length, batch_size=args.batch_size)
    if not args.raw:  # length calibration / centering saved beside the checkpoint (workbench.analysis)
        from workbench.models.posthoc import apply_posthoc as adjust_scored_records

        scores = adjust_scored_records(args.model, records, scores, tokenizer=tokenizer)
    out = open(args.output, "w", encoding="utf-8") if args.output else sys.stdout
    for row in scores:
        out.write(json.dumps(row) + "\n")
    if args.output:
        out.close()
        print(f"wrote {len(scores)} scored records to {args.output}", file=sys.stderr)
    return 0


def run_eval(args) -> int:
    from workbench.data import encode_records
    from workbench.training import evaluate

    model, tokenizer, records = _load(args)
    encoded = encode_records(records, tokenizer, max_length=args.max_length)
    metrics = evaluate(model, encoded, tokenizer.pad_token_id, batch_size=args.batch_size)
    metrics["truncated"] = encoded.report.n_truncated
    print(json.dumps(metrics, indent=2))
    return 0


def register(subparsers) -> None:
    """Add ``train``, ``score`` and ``eval`` to the ``workbench`` command."""
    _add_train(subparsers)
    for name, func, help_text in (("score", run_score, "write each record's rewards as JSON lines"),
                                  ("eval", run_eval, "held-out accuracy / Kendall tau / NDCG of a reward model")):
        p = subparsers.add_parser(name, help=help_text)
        p.add_argument("--model", required=True, help="checkpoint folder or HF id")
        p.add_argument("--data", required=True, help="records (pairwise or listwise), any supported format")
        p.add_argument("--max-length", type=int, default=512)
        p.add_argument("--batch-size", type=int, default=64)
        if name == "score":
            p.add_argument("--output", help="JSONL file (default: stdout)")
            p.add_argument("--raw", action="store_true", help="ignore a saved length calibration / centering")
        p.set_defaults(func=func)


if __name__ == "__main__":  # pragma: no cover
    parser = argparse.ArgumentParser(prog="workbench")
    register(parser.add_subparsers(dest="command", required=True))
    cli_args = parser.parse_args()
    sys.exit(cli_args.func(cli_args))
