"""`workbench annotate serve | export | report`: serve a task to annotators, export and summarise a store.

    workbench annotate serve tasks.jsonl --store labels.db --kind ranking   # Voila page, ?annotator=NAME
    workbench annotate export labels.db --kind ranking --out prefs.jsonl    # training records
    workbench annotate report labels.db --kind ranking                      # agreement and position bias

Serving itself (the page, the notebook Voila runs) is :mod:`workbench.annotate.serve`.
"""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

from workbench.errors import UserError, mistakes_in

from .serve import WIDGETS, build_notebook, voila_command


def _options(args) -> dict:
    if args.kind == "ranking":
        return {"top_k": args.top_k, "allow_ties": not args.no_ties, "seed": args.seed}
    if args.kind == "pairwise":
        return {"strength": args.strength, "seed": args.seed}
    return {"seed": args.seed}


def _serve(args) -> int:
    with mistakes_in(args.tasks):  # load_tasks names the task and field of a bad one
        notebook = build_notebook(args.tasks, args.store, args.kind, options=_options(args),
                                  annotator=args.annotator)
    command = voila_command(notebook, port=args.port, ip=args.ip)
    if args.print_command:
        print(" ".join(command))
        return 0
    print(f"Serving {args.kind} annotation of {args.tasks} into {args.store} at "
          f"http://{args.ip}:{args.port}/?annotator=NAME", flush=True)
    return subprocess.call(command)


def _existing_store(path: str):
    """The store at ``path``; opening a missing one would create an empty store, so refuse it."""
    from .store import AnnotationStore

    if not Path(path).is_file():
        raise UserError(f"{path}: no such annotation store")
    return AnnotationStore(path)


def _export(args) -> int:
    from . import records

    out = Path(args.out)
    if out.suffix not in (".jsonl", ".parquet"):
        raise UserError(f"--out must end in .jsonl or .parquet, got {out}")
    store = _existing_store(args.store)
    if out.suffix == ".parquet":
        records.export_parquet(store, args.kind, out, aggregate=args.aggregate)
    else:
        records.export_jsonl(store, args.kind, out, aggregate=args.aggregate)
    print(f"wrote {len(records.to_records(store, args.kind, aggregate=args.aggregate))} records to {out}")
    return 0


def _report(args) -> int:
    from ..analysis.agreement import agreement_report
    from ..analysis.position_bias import position_bias_report

    store = _existing_store(args.store)
    report = agreement_report(store, args.kind)
    pairs = report.pop("cohens_kappa")
    print(json.dumps(report, indent=2))
    print(pairs.to_string(index=False))
    print(position_bias_report(store, args.kind).round(3).to_string())
    return 0


def register(subparsers) -> None:
    """Add ``annotate serve | export | report`` to the ``workbench`` command."""
    parser = subparsers.add_parser("annotate", help="serve annotation tasks, export and report")
    commands = parser.add_subparsers(dest="annotate_command", required=True)
    serve = commands.add_parser("serve", help="serve a task file as a web page (Voila)")
    serve.add_argument("tasks", help="tasks as .jsonl or .json (see workbench.annotate.tasks)")
    serve.add_argument("--store", required=True, help="SQLite store the judgements go to")
    serve.add_argument("--kind", choices=sorted(WIDGETS), default="ranking")
    serve.add_argument("--annotator", help="fix the annotator (default: ?annotator=NAME or a form)")
    serve.add_argument("--top-k", type=int, default=None, help="ranking: rank only the best k")
    serve.add_argument("--no-ties", action="store_true", help="ranking: forbid ties")
    serve.add_argument("--strength", action="store_true", help="pairwise: ask slightly/much better")
    serve.add_argument("--seed", type=int, default=0, help="base seed of the per-annotator shuffles")
    serve.add_argument("--port", type=int, default=8866)
    serve.add_argument("--ip", default="127.0.0.1", help="0.0.0.0 to serve other machines")
    serve.add_argument("--print-command", action="store_true", help="print the Voila command, do not run it")
    serve.set_defaults(func=_serve)
    export = commands.add_parser("export", help="export judgements as training records")
    export.add_argument("store")
    export.add_argument("--kind", choices=sorted(WIDGETS), default="ranking")
    export.add_argument("--out", required=True, help=".jsonl or .parquet")
    export.add_argument("--aggregate", action="store_true", help="one record per task")
    export.set_defaults(func=_export)
    report = commands.add_parser("report", help="agreement and position bias of a store")
    report.add_argument("store")
    report.add_argument("--kind", choices=["pairwise", "ranking"], default="ranking")
    report.set_defaults(func=_report)
