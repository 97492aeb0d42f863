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
import contextlib
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
    parser.add_argument("--config", help="YAML file of TrainConfig keys (plus data, eval_data); flags override it "
                                         "(default: none)")
    parser.add_argument("--data", help="training records: a JSONL/JSON/parquet/CSV file, or a Hugging Face dataset "
                                       "id (only a name that cannot be a file goes to the Hub) (required here or "
                                       "in --config)")
    parser.add_argument("--eval-data", help="held-out records, the same formats (default: none)")
    parser.add_argument("--eval-fraction", type=float, default=None,
                        help="hold out this fraction (between 0 and 1) of --data when no --eval-data is given "
                             "(default: none held out)")
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
                            "--loss-arg ties=efron; goes into loss_kwargs; repeat for more (default: none)")
    group.add_argument("--lora-r", type=int, default=None,
                       help="train LoRA adapters of this rank (>= 1; needs peft) (default: none, every weight trains)")
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
    fraction = getattr(args, "eval_fraction", None)
    if fraction is not None and not 0 < fraction < 1:
        raise UserError(f"--eval-fraction must be between 0 and 1, got {fraction}")
    return config, data, args.eval_data or sources["eval_data"]


def check_model(name: str | None, flag: str = "--model") -> None:
    """UserError naming ``flag`` unless ``name`` is None (the default backbone), a finished checkpoint
    folder here, or a model transformers can find (on the Hub, or in its cache when offline).
    A name that can only be a path is looked for on disk alone (no network retries)."""
    if name is None:
        return
    from workbench.models.loading import check_checkpoint

    check_checkpoint(name, flag)
    if Path(name).expanduser().is_dir():
        return
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
    """The run's summary as ``output_dir/metrics.json`` (written atomically) and on stdout (main process
    only): speed, held-out metrics before and after, the last logged training metrics (``final``) and
    the whole loss history (``history``: one entry per ``log_every`` steps, plus evaluations)."""
    from accelerate import PartialState

    logged = [h for h in result.history if "eval" not in h]
    summary = {"processes": PartialState().num_processes, "steps": result.steps,
               "items_per_second": round(result.items_per_second, 3), "precision": result.precision,
               "eval_before": result.eval_before,
               "eval_after": result.eval_metrics, "final": logged[-1] if logged else {},
               "truncated": result.truncation.n_truncated if result.truncation else 0,
               "output_dir": config.output_dir, **extra, "history": result.history}
    if PartialState().is_main_process:
        from workbench.models.checkpoint_files import write_text_atomically

        write_text_atomically(Path(config.output_dir) / "metrics.json", json.dumps(summary, indent=2))
        print(json.dumps(summary, indent=2))
    return summary


def process_state():
    """Accelerate's process state, set up as :func:`~workbench.training.make_accelerator` will
    (``cpu=True`` without CUDA: how accelerate sees the ranks of CPU processes)."""
    import torch
    from accelerate import PartialState

    return PartialState(cpu=not torch.cuda.is_available())


@contextlib.contextmanager
def training_run(config: TrainConfig, command: str):
    """The output folder around a training command: refused if it holds another run (unless
    --overwrite / --resume), cleared of the old run and marked unfinished on entry, unmarked when
    the block completes; Ctrl-C ends with one line saying how to resume (exit 130)."""
    from workbench.models.checkpoint_files import UNFINISHED_FILE, mark_finished
    from workbench.training.run_folder import prepare_run_folder, resume_hint

    folder = Path(config.output_dir).absolute()
    made = [p for p in (folder, *folder.parents) if not p.exists()]  # folders this run creates, innermost first
    was_unfinished = (folder / UNFINISHED_FILE).exists()
    state = process_state()
    if state.is_main_process:
        prepare_run_folder(config, command)
    state.wait_for_everyone()  # the other processes start once the folder is ready
    try:
        yield
    except KeyboardInterrupt:
        raise KeyboardInterrupt(resume_hint(config, command)) from None
    except UserError:  # found before any step (a loss that does not fit the records ...): leave no trace
        if state.is_main_process and not was_unfinished:
            mark_finished(folder)
            for made_here in made:
                if made_here.is_dir() and not any(made_here.iterdir()):
                    made_here.rmdir()
        raise
    if state.is_main_process:
        mark_finished(folder)


def check_run_folder(config: TrainConfig) -> None:
    """The refusal of :func:`training_run`, before any slow work (and with nothing changed); on the
    main process only, as under `accelerate launch` it may already have marked the folder."""
    from workbench.training.run_folder import check_run_folder as check

    if process_state().is_main_process:
        check(config)


def run_train(args) -> int:
    """``workbench train``: a reward model on pairwise or listwise records."""
    from workbench.training import train

    config, data, eval_data = build_config(args)
    check_run_folder(config)
    check_model(config.model)
    records, held_out = load_run_records(args, data, eval_data, config.seed)
    with training_run(config, "train"):
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
    check_run_folder(config)
    check_model(config.model)
    records, held_out = load_run_records(args, data, eval_data, config.seed)
    with training_run(config, "train-odin"):
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
    from workbench.training.loop import check_max_length

    for flag, value, least in (("--max-length", args.max_length, 8), ("--batch-size", args.batch_size, 1)):
        if value < least:
            raise UserError(f"{flag} must be >= {least}, got {value}")
    check_model(args.model)
    with mistakes_in(args.data):
        records = load_records(args.data)
    model, tokenizer = load_reward_model(args.model)
    check_max_length(args.max_length, model, "--max-length")
    return model, tokenizer, records


def _input_ids(source, n: int) -> list | None:
    """Each input row's ``id`` (None where a row has none), or None when no row has one."""
    from workbench.data.records import rows_from

    if not isinstance(source, str) or not Path(source).is_file():
        return None
    ids = [row.get("id") for row in rows_from(source)]
    return ids if len(ids) == n and any(i is not None for i in ids) else None


def run_score(args) -> int:
    from workbench.data.jsonl import write_jsonl
    from workbench.training import score_records

    model, tokenizer, records = _load(args)
    scores = score_records(model, tokenizer, records, max_length=args.max_length, batch_size=args.batch_size,
                           progress=True)
    if not args.raw:  # length calibration, centering, temperature saved beside the checkpoint
        from workbench.models.posthoc import apply_posthoc, load_posthoc

        scores = apply_posthoc(args.model, records, scores, tokenizer=tokenizer)
        used = load_posthoc(args.model).names
        if used:  # say which corrections the numbers carry, as `workbench eval` does
            print(f"scores corrected by {', '.join(used)} (beside {args.model}; --raw: none)", file=sys.stderr)
    ids = _input_ids(args.data, len(scores))
    if ids is not None:  # rows carry the input's id, first, so they join back to the input
        scores = [{"id": i, **row} for i, row in zip(ids, scores)]
    if args.output:  # to a temporary file renamed over --output when complete: a failure keeps the old file
        write_jsonl(scores, args.output)
        print(f"wrote {len(scores)} scored records to {args.output}", file=sys.stderr)
    else:
        for row in scores:
            sys.stdout.write(json.dumps(row) + "\n")
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
    odin.add_argument("--length-penalty", type=float, default=1.0,
                      help="λ_L: weight of |ρ(r_Q, L)| - ρ(r_L, L) (default: 1.0)")
    odin.add_argument("--orthogonality", type=float, default=1.0, help="λ_O: weight of |w_Q · w_L| (default: 1.0)")
    odin.set_defaults(func=run_train_odin)
    for name, func, help_text in (("score", run_score, "write each record's rewards as JSON lines"),):
        p = subparsers.add_parser(name, help=help_text)
        p.add_argument("--model", required=True, help="a finished checkpoint folder or a Hugging Face model id")
        p.add_argument("--data", required=True, help="records (pairwise or listwise): a JSONL/JSON/parquet/CSV "
                                                     "file or a Hugging Face dataset id")
        p.add_argument("--max-length", type=int, default=512,
                       help="tokens per sequence (>= 8, at most the model's position limit) (default: 512)")
        p.add_argument("--batch-size", type=int, default=64, help="records per scoring batch (>= 1) (default: 64)")
        if name == "score":
            p.add_argument("--output", help="JSONL file, replaced only once complete (default: stdout)")
            p.add_argument("--raw", action="store_true",
                           help="ignore the length calibration, centering and temperature saved beside --model "
                                "(default: apply them)")
        p.set_defaults(func=func)
