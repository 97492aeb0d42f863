"""`workbench train | train-odin | score | eval`: reward-model training and scoring from the command line.

    workbench train --data prefs.jsonl --model ID_OR_PATH --loss bradley_terry --output runs/rm
    workbench train --config run.yaml            # TrainConfig keys + data / eval_data; unknown keys rejected
    workbench train-odin --data prefs.jsonl --output runs/odin   # ODIN's quality + length heads (models.odin)
    accelerate launch --num_processes 2 -m workbench.cli train ...   # same entry point, many GPUs
    accelerate launch --cpu --num_processes 2 --mpirun_hostfile H -m workbench.cli train ...   # 2 CPU processes
    accelerate launch --multi_gpu --num_processes 2 -m workbench.cli train ...   # also 2 gloo processes on CPU
    workbench score --model runs/rm --data prefs.jsonl --output scores.jsonl
    workbench eval --model runs/rm --data held_out.jsonl

One route from flags and YAML to a :class:`~workbench.training.TrainConfig` serves every
training command (``train``, ``train-odin``, ``prm-train``): :func:`add_train_arguments`
derives one flag per config field, :func:`build_config` reads ``--config`` with
:func:`~workbench.training.load_config` and puts the flags on top, and
:func:`write_summary` writes the run's ``metrics.json``.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import typing
from pathlib import Path

from workbench.errors import UserError, mistakes_in
from workbench.training.config import TrainConfig, load_config, read_yaml

DATA_KEYS = ("data", "eval_data")  # a run file's keys beside TrainConfig's: the records, not the config


def _scalar_type(hint):
    """int, float, str or bool for ``X`` / ``X | None`` with X one of them; None for anything structured."""
    options = [a for a in typing.get_args(hint) if a is not type(None)] if typing.get_args(hint) else [hint]
    return options[0] if len(options) == 1 and options[0] in (int, float, str, bool) else None


def _json_value(text: str):
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise argparse.ArgumentTypeError(f"not JSON ({error.msg}): {text!r}") from None


def _default_of(f: dataclasses.Field):
    return f.default_factory() if f.default_factory is not dataclasses.MISSING else f.default


def add_train_arguments(parser: argparse.ArgumentParser, *, defaults: dict | None = None) -> None:
    """Every training command's flags: ``--config``, the data flags, one flag per TrainConfig field.

    Field ``a_b`` becomes ``--a-b`` (``metadata["flags"]`` may name others, e.g.
    ``--output``) with the field's help and default; a bool becomes ``--a-b/--no-a-b``;
    a dict, list or dataclass field takes a JSON value, and ``loss_kwargs`` and ``lora``
    also keep their short forms ``--loss-arg KEY=VALUE`` and ``--lora-r R``. Every flag
    defaults to None ("not given"), so a YAML value stands unless a flag overrides it.
    ``defaults`` replaces TrainConfig's defaults for this command (e.g. its ``output_dir``).
    """
    defaults = dict(defaults or {})
    parser.add_argument("--config", help="YAML file of TrainConfig keys (plus data, eval_data); flags override it")
    parser.add_argument("--data", help="training records: JSONL/JSON/parquet/CSV path or a Hugging Face dataset id")
    parser.add_argument("--eval-data", help="held-out records (same formats)")
    parser.add_argument("--eval-fraction", type=float, default=None,
                        help="hold out this fraction of --data when no --eval-data is given")
    group = parser.add_argument_group("training (one flag per field of workbench.training.TrainConfig)")
    hints = typing.get_type_hints(TrainConfig)
    for f in dataclasses.fields(TrainConfig):
        flags = f.metadata.get("flags", ("--" + f.name.replace("_", "-"),))
        text = f"{f.metadata.get('help', f.name)} (default: {defaults.get(f.name, _default_of(f))})".replace("%", "%%")
        kind = _scalar_type(hints[f.name])
        if kind is bool:
            group.add_argument(*flags, dest=f.name, action=argparse.BooleanOptionalAction, default=None, help=text)
        elif kind is not None:
            group.add_argument(*flags, dest=f.name, type=kind, default=None, help=text)
        else:
            group.add_argument(*flags, dest=f.name, type=_json_value, default=None, metavar="JSON", help=text)
    group.add_argument("--loss-arg", action="append", default=[], metavar="KEY=VALUE",
                       help="one loss hyperparameter, a JSON value (anything else is a string), e.g. "
                            "--loss-arg ties=efron; goes into loss_kwargs")
    group.add_argument("--lora-r", type=int, default=None, help="train LoRA adapters of this rank (needs peft)")
    parser.set_defaults(train_defaults=defaults)


def _loss_args(items: list[str]) -> dict:
    kwargs = {}
    for item in items:
        key, equals, raw = item.partition("=")
        if not key or not equals:
            raise UserError(f"--loss-arg {item!r}: expected KEY=VALUE, e.g. --loss-arg margin=0.5")
        try:
            kwargs[key] = json.loads(raw)
        except json.JSONDecodeError:
            kwargs[key] = raw
    return kwargs


def _merged(base, extra: dict) -> dict:
    """A short form (--loss-arg, --lora-r) adds to the YAML / JSON value instead of replacing it."""
    return {**base, **extra} if isinstance(base, dict) else extra


def _config_and_sources(args) -> tuple[TrainConfig, dict]:
    """(TrainConfig, {"data", "eval_data"} from the YAML file) of a parsed training command."""
    values = {**getattr(args, "train_defaults", {}), **(read_yaml(args.config) if args.config else {})}
    sources = {key: values.pop(key, None) for key in DATA_KEYS}
    flags = {f.name: getattr(args, f.name) for f in dataclasses.fields(TrainConfig)
             if getattr(args, f.name, None) is not None}
    if args.loss_arg:
        flags["loss_kwargs"] = _merged(flags.get("loss_kwargs", values.get("loss_kwargs")), _loss_args(args.loss_arg))
    if args.lora_r is not None:
        flags["lora"] = _merged(flags.get("lora", values.get("lora")), {"r": args.lora_r})
    where = " + ".join(part for part in (args.config, "flags" if flags else None) if part) or "defaults"
    return load_config(values, cls=TrainConfig, where=where, **flags), sources


def config_from_args(args) -> TrainConfig:
    """The TrainConfig of a parsed training command: ``--config`` YAML, command defaults, flags on top."""
    return _config_and_sources(args)[0]


def build_config(args) -> tuple[TrainConfig, str, str | None]:
    """``(config, data, eval_data)`` of a parsed training command; flags win over the YAML file."""
    config, sources = _config_and_sources(args)
    data = args.data or sources["data"]
    if not data:
        raise UserError("no training data: pass --data or set data: in the config file")
    return config, data, args.eval_data or sources["eval_data"]


def check_model(name: str | None, flag: str = "--model") -> None:
    """UserError naming ``flag`` unless ``name`` is None (the default backbone), a folder here, or
    a model transformers can find (on the Hub, or in its cache when offline)."""
    if name is None or Path(name).is_dir():
        return
    if Path(name).exists():
        raise UserError(f"{flag} {name}: a file, not a checkpoint folder")
    from transformers import AutoConfig

    try:  # config.json only: cheap, and it draws no random numbers (the head's init stays seeded)
        AutoConfig.from_pretrained(name)
    except (OSError, ValueError):
        raise UserError(f"{flag} {name}: no such folder, and no such model on the Hugging Face Hub "
                        f"(or in its cache when offline)") from None


def hold_out(records: list, fraction: float, seed: int) -> tuple[list, list]:
    """(train, held out): a seeded random ``fraction`` of the records held out (at least one)."""
    import random

    if not 0 < fraction < 1:
        raise UserError(f"--eval-fraction must be between 0 and 1, got {fraction}")
    order = list(range(len(records)))
    random.Random(seed).shuffle(order)
    n_eval = max(1, int(round(fraction * len(records))))
    return [records[i] for i in order[n_eval:]], [records[i] for i in order[:n_eval]]


def load_run_records(args, data, eval_data, seed: int) -> tuple[list, list | None]:
    """(training records, held-out records or None): ``eval_data``, else ``--eval-fraction`` of ``data``."""
    from workbench.data import load_records

    with mistakes_in(data):
        records = load_records(data)
    if eval_data:
        with mistakes_in(eval_data):
            return records, load_records(eval_data)
    if args.eval_fraction:
        return hold_out(records, args.eval_fraction, seed)
    return records, None


def write_summary(config: TrainConfig, result, **extra) -> dict:
    """The run's summary as ``output_dir/metrics.json`` and on stdout (main process only)."""
    from accelerate import PartialState

    summary = {"processes": PartialState().num_processes, "steps": result.steps,
               "items_per_second": round(result.items_per_second, 3), "eval_before": result.eval_before,
               "eval_after": result.eval_metrics,
               "truncated": result.truncation.n_truncated if result.truncation else 0,
               "output_dir": config.output_dir, **extra}
    if PartialState().is_main_process:
        Path(config.output_dir).mkdir(parents=True, exist_ok=True)
        (Path(config.output_dir) / "metrics.json").write_text(json.dumps(summary, indent=2))
        print(json.dumps(summary, indent=2))
    return summary


def run_train(args) -> int:
    """``workbench train``: a reward model on pairwise or listwise records."""
    from workbench.training import train

    config, data, eval_data = build_config(args)
    check_model(config.model)
    records, held_out = load_run_records(args, data, eval_data, config.seed)
    result = train(config, records, eval_data=held_out, evaluate_before=held_out is not None)
    write_summary(config, result)
    return 0


def run_train_odin(args) -> int:
    """``workbench train-odin``: :func:`run_train` with ODIN's two-head model and objective
    (:mod:`workbench.models.odin`); saves the quality-only checkpoint plus the length head."""
    from accelerate import PartialState

    from workbench.models.odin import odin_model_from_pretrained, odin_objective, save_odin_model
    from workbench.training import train

    config, data, eval_data = build_config(args)
    if config.lora is not None or config.pooling != "auto":
        raise UserError("LoRA and non-native pooling are not supported: leave lora unset and pooling auto")
    check_model(config.model)
    records, held_out = load_run_records(args, data, eval_data, config.seed)
    model, tokenizer = odin_model_from_pretrained(config.model)
    objective = odin_objective(length_penalty=args.length_penalty, orthogonality=args.orthogonality)
    result = train(dataclasses.replace(config, save_model=False), records, eval_data=held_out, model=model,
                   tokenizer=tokenizer, compute_loss=objective, evaluate_before=held_out is not None)
    path = config.output_dir
    if PartialState().is_main_process:
        path = str(save_odin_model(result.model, tokenizer, config.output_dir))
    write_summary(config, result, output_dir=path)
    return 0


def _load(args):
    from workbench.data import load_records
    from workbench.models import load_reward_model

    check_model(args.model)
    with mistakes_in(args.data):
        records = load_records(args.data)
    model, tokenizer = load_reward_model(args.model)
    return model, tokenizer, records


def run_score(args) -> int:
    from workbench.training import score_records

    model, tokenizer, records = _load(args)
    scores = score_records(model, tokenizer, records, max_length=args.max_length, batch_size=args.batch_size)
    if not args.raw:  # length calibration, centering, temperature saved beside the checkpoint
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
    """Add ``train``, ``train-odin`` and ``score`` to the ``workbench`` command.

    ``workbench eval`` lives in :mod:`workbench.evaluation.cli` (a superset of
    :func:`run_eval`'s keys, with intervals and null baselines)."""
    train = subparsers.add_parser("train", help="train a reward model (pairwise or listwise records)")
    add_train_arguments(train)
    train.set_defaults(func=run_train)
    odin = subparsers.add_parser("train-odin", help="train an ODIN reward model (quality + length heads)")
    add_train_arguments(odin)
    odin.add_argument("--length-penalty", type=float, default=1.0, help="λ_L: weight of |ρ(r_Q, L)| - ρ(r_L, L)")
    odin.add_argument("--orthogonality", type=float, default=1.0, help="λ_O: weight of |w_Q · w_L|")
    odin.set_defaults(func=run_train_odin)
    for name, func, help_text in (("score", run_score, "write each record's rewards as JSON lines"),):
        p = subparsers.add_parser(name, help=help_text)
        p.add_argument("--model", required=True, help="checkpoint folder or HF id")
        p.add_argument("--data", required=True, help="records (pairwise or listwise), any supported format")
        p.add_argument("--max-length", type=int, default=512)
        p.add_argument("--batch-size", type=int, default=64)
        if name == "score":
            p.add_argument("--output", help="JSONL file (default: stdout)")
            p.add_argument("--raw", action="store_true", help="ignore the length calibration, centering and temperature saved beside --model")
        p.set_defaults(func=func)
