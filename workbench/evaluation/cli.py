"""`workbench eval` (benchmark-format scores with intervals and baselines) and `workbench doctor`.

    workbench eval --model runs/rm --data data/eval/hh_harmless_pairs.jsonl.gz --format table
    workbench eval --compare runs/a runs/b --data data/eval/gsm8k_best_of_4.jsonl.gz
    workbench eval --model runs/rm --data held_out.jsonl --fit-temperature   # writes runs/rm/temperature.json
    workbench doctor --model runs/rm [--data FILE]

``eval`` keeps the keys the training command's ``eval`` printed (``accuracy``,
``mean_margin``, ``n_pairs`` for pairs; ``kendall_tau``, ``ndcg``, ``pair_accuracy``,
``top1_accuracy``, ``n_lists`` for ranked lists; ``truncated``) and adds the benchmark's
rule per subset with intervals (``subsets``, ``sections``, ``overall``) and the
calibration of ``sigma(r_chosen - r_rejected)``. ``doctor`` exits 1 when a check fails.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

from workbench.errors import UserError

FORMATS = ("json", "table", "markdown")


def _load_model(name: str, dtype: str = "float32"):
    from workbench.models import load_reward_model

    if name.startswith((".", "/", "~")) and not Path(name).expanduser().exists():
        raise UserError(f"--model: no checkpoint at {name}")
    try:
        return load_reward_model(name, dtype=dtype)
    except OSError as error:  # neither a local folder nor a model id transformers can find
        raise UserError(f"cannot load a reward model from {name}: {str(error).splitlines()[0]}") from None


def _legacy_metrics(eval_set, scores) -> dict:
    """The keys the training command's ``eval`` printed, from the same scores."""
    import torch

    from workbench.training import listwise_metrics, pairwise_metrics

    if eval_set.rule == "pair":
        chosen = torch.tensor([float(s[0]) for s in scores])
        rejected = torch.tensor([float(s[1]) for s in scores])
        return pairwise_metrics(chosen, rejected)
    if eval_set.format != "ranked":
        return {}
    k_max = max(len(s) for s in scores)
    values, labels = torch.zeros(len(scores), k_max), torch.zeros(len(scores), k_max)
    mask = torch.zeros(len(scores), k_max, dtype=torch.bool)
    for n, (ex, s) in enumerate(zip(eval_set.examples, scores)):
        values[n, :len(s)], labels[n, :len(s)], mask[n, :len(s)] = torch.tensor(s), torch.tensor(ex.labels), True
    return listwise_metrics(values, labels, mask)


def _calibration(eval_set, scores, model_dir: str | None) -> dict:
    from workbench.evaluation.calibration import calibration_pairs, calibration_report, load_temperature

    chosen, rejected = calibration_pairs(eval_set, scores)
    out = {"calibration": calibration_report(chosen, rejected).to_dict()}
    saved = load_temperature(model_dir) if model_dir and Path(model_dir).is_dir() else None
    if saved is not None:
        out["calibration_with_temperature"] = calibration_report(chosen, rejected,
                                                                 temperature=saved.temperature).to_dict()
    return out


def _score(args, name: str, eval_set):
    from workbench.evaluation.scoring import score_set

    model, tokenizer = _load_model(name, args.dtype)
    return score_set(model, tokenizer, eval_set, max_length=args.max_length, batch_size=args.batch_size,
                     progress=args.progress)


def _report_options(args) -> dict:
    if not 0 < args.confidence < 1:
        raise UserError(f"--confidence must be in (0, 1), got {args.confidence}")
    if args.resamples < 10:
        raise UserError(f"--resamples must be at least 10, got {args.resamples}")
    return {"confidence": args.confidence, "n_resamples": args.resamples, "seed": args.seed}


def run_eval(args) -> int:
    from workbench.evaluation.formats import load_eval_set
    from workbench.evaluation.report import evaluate_scores

    if args.batch_size < 1 or args.max_length < 8:
        raise UserError("--batch-size must be >= 1 and --max-length >= 8")
    if bool(args.model) == bool(args.compare):
        raise UserError("give either --model DIR or --compare A B")
    eval_set = load_eval_set(args.data, format=args.data_format)
    options = _report_options(args)
    if args.compare:
        return _run_compare(args, eval_set, options)
    scored = _score(args, args.model, eval_set)
    report = evaluate_scores(eval_set, scored.scores, **options)
    result = {**_legacy_metrics(eval_set, scored.scores), "truncated": scored.truncated, **report.to_dict(),
              **_calibration(eval_set, scored.scores, args.model)}
    if args.fit_temperature:
        result["temperature"] = _fit_temperature(args.model, eval_set, scored.scores)
    print(json.dumps(result, indent=2) if args.format == "json" else render_report(result, args.format))
    return 0


def _fit_temperature(model_dir: str, eval_set, scores) -> dict:
    from workbench.evaluation.calibration import calibration_pairs, calibration_report, fit_temperature

    if not Path(model_dir).is_dir():
        raise UserError(f"--fit-temperature saves beside a local checkpoint; {model_dir} is not a folder")
    chosen, rejected = calibration_pairs(eval_set, scores)
    try:
        fitted = fit_temperature(chosen, rejected)
    except ValueError as error:
        raise UserError(str(error)) from None
    path = fitted.save(model_dir)
    after = calibration_report(chosen, rejected, temperature=fitted.temperature).to_dict()
    return {"value": fitted.temperature, "n_pairs": fitted.n_pairs, "saved": str(path), "calibration": after}


def _run_compare(args, eval_set, options) -> int:
    from workbench.evaluation.report import compare_scores, evaluate_scores

    name_a, name_b = args.compare
    scores_a, scores_b = _score(args, name_a, eval_set).scores, _score(args, name_b, eval_set).scores
    frame = compare_scores(eval_set, scores_a, scores_b, **options)
    overall = {name: evaluate_scores(eval_set, s, baselines=(), **options).overall
               for name, s in (("a", scores_a), ("b", scores_b))}
    result = {"a": name_a, "b": name_b, "format": eval_set.format, "confidence": args.confidence,
              "overall_a": overall["a"], "overall_b": overall["b"], "subsets": frame.to_dict("records")}
    if args.format == "json":
        print(json.dumps(result, indent=2))
    else:
        print(f"A = {name_a}\nB = {name_b}\n" + _table(frame.round(4), args.format)
              + f"\noverall: A {overall['a']:.4f}, B {overall['b']:.4f} (p_holm: Holm over {len(frame)} subsets)")
    return 0


def _table(frame, fmt: str) -> str:
    if fmt == "markdown":
        head = "| " + " | ".join(map(str, frame.columns)) + " |"
        rule = "|" + "---|" * len(frame.columns)
        body = ["| " + " | ".join(map(str, row)) + " |" for row in frame.itertuples(index=False)]
        return "\n".join([head, rule, *body])
    return frame.to_string(index=False)


def render_report(result: dict, fmt: str = "table") -> str:
    """A per-subset table (score [low, high] beside each baseline), then sections, overall, calibration."""
    import pandas as pd

    rows = []
    for name, s in result["subsets"].items():
        row = {"subset": name, "rule": s["rule"], "n": s["n"], "score": _cell(s)}
        row.update({b: _cell(v) for b, v in s["baselines"].items()})
        rows.append(row)
    lines = [_table(pd.DataFrame(rows), fmt)]
    if result.get("sections"):
        lines.append("sections: " + ", ".join(f"{k} {v:.3f}" for k, v in result["sections"].items()))
    lines.append(f"overall: {result['overall']:.3f}   ({int(result['confidence'] * 100)}% intervals, "
                 f"{result['n_resamples']} bootstrap resamples over prompts)")
    for key in ("calibration", "calibration_with_temperature"):
        if key in result:
            c = result[key]
            lines.append(f"{key.replace('_', ' ')}: ECE {c['ece']:.3f}, Brier {c['brier']:.3f}, "
                         f"log loss {c['log_loss']:.3f} (T = {c['temperature']:.3g}, {c['n_pairs']} pairs)")
    if "temperature" in result:
        lines.append(f"fitted temperature {result['temperature']['value']:.4g} -> {result['temperature']['saved']}")
    if result["format"] in ("v1", "v2", "trl"):
        lines.append("first_position: the correct answer is stored first in this format, so 100% there only "
                     "warns that a scorer must never see the storage order")
    return "\n".join(lines)


def _cell(s: dict) -> str:
    return f"{s['estimate']:.3f} [{s['low']:.3f}, {s['high']:.3f}]"


def run_doctor(args) -> int:
    from workbench.evaluation.bundled import bundled_path
    from workbench.evaluation.doctor import diagnose, texts_from
    from workbench.evaluation.formats import load_eval_set

    if not Path(args.model).is_dir():
        raise UserError(f"no checkpoint folder at {args.model}")
    if args.n_texts < 2:
        raise UserError(f"--n-texts must be at least 2, got {args.n_texts}")
    eval_set = load_eval_set(args.data if args.data else bundled_path("hh_harmless"))
    report = diagnose(args.model, texts_from(eval_set, args.n_texts), max_length=args.max_length)
    if args.format == "json":
        print(json.dumps({"model": report.model, "ok": report.ok, "checks": report.to_frame().to_dict("records")},
                         indent=2))
    else:
        print(report)
    return 0 if report.ok else 1


def register(subparsers) -> None:
    """Add ``eval`` and ``doctor`` to the ``workbench`` command."""
    p = subparsers.add_parser("eval", help="benchmark-format scores with intervals, null baselines, calibration")
    p.add_argument("--model", help="checkpoint folder or HF id")
    p.add_argument("--compare", nargs=2, metavar=("A", "B"), help="two checkpoints: paired differences per subset")
    p.add_argument("--data", required=True, help="RewardBench v1/v2 rows, TRL pairs or ranked lists (any format)")
    p.add_argument("--data-format", default="auto", choices=("auto", "v1", "v2", "trl", "ranked"))
    p.add_argument("--max-length", type=int, default=512)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--dtype", default="float32", choices=("float32", "bfloat16"),
                   help="score in this precision (bfloat16: fast on GPUs and AMX CPUs; check with `workbench doctor`)")
    p.add_argument("--format", default="json", choices=FORMATS, help="output: json (default), table or markdown")
    p.add_argument("--confidence", type=float, default=0.95)
    p.add_argument("--resamples", type=int, default=2000, help="bootstrap resamples (over prompts)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--fit-temperature", action="store_true",
                   help="fit a temperature on --data and save temperature.json beside --model")
    p.add_argument("--progress", action="store_true", help="show a progress bar while scoring")
    p.set_defaults(func=run_eval)
    d = subparsers.add_parser("doctor", help="check that a checkpoint's scores can be trusted")
    d.add_argument("--model", required=True, help="checkpoint folder")
    d.add_argument("--data", help="texts to score (any eval format; default: the bundled hh-rlhf pairs)")
    d.add_argument("--n-texts", type=int, default=16)
    d.add_argument("--max-length", type=int, default=256)
    d.add_argument("--format", default="table", choices=("table", "json"))
    d.set_defaults(func=run_doctor)


if __name__ == "__main__":  # pragma: no cover
    import argparse

    parser = argparse.ArgumentParser(prog="workbench")
    register(parser.add_subparsers(dest="command", required=True))
    cli_args = parser.parse_args()
    try:
        sys.exit(cli_args.func(cli_args))
    except UserError as error:
        print(f"workbench {cli_args.command}: {error}", file=sys.stderr)
        sys.exit(2)
