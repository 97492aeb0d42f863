"""`workbench annotate serve | export | report`: serve a task to annotators, export and summarise a store.

    workbench annotate serve tasks.jsonl --store labels.db --kind ranking   # Voila page, ?annotator=NAME
    workbench annotate export labels.db --kind ranking --out prefs.jsonl    # training records
    workbench annotate report labels.db --kind ranking                      # agreement and position bias

Serving itself (the page, the notebook Voila runs) is :mod:`workbench.annotate.serve`.
"""
from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

from workbench.data.jsonl import write_jsonl
from workbench.errors import UserError, mistakes_in

from .serve import WIDGETS, build_notebook, voila_command
from .tasks import load_tasks


def _options(args) -> dict:
    if args.kind == "ranking":
        return {"top_k": args.top_k, "allow_ties": not args.no_ties, "seed": args.seed}
    if args.kind == "pairwise":
        return {"strength": args.strength, "seed": args.seed}
    return {"seed": args.seed}


def _serve(args) -> int:
    with mistakes_in(args.tasks):  # load_tasks names the task and field of a bad one
        tasks = load_tasks(args.tasks, args.kind)
    with mistakes_in(args.store):  # a store the page could not open fails here, not in the browser
        from .store import AnnotationStore

        with AnnotationStore(args.store) as store:
            store.register_tasks(tasks, args.kind)
    notebook = build_notebook(args.tasks, args.store, args.kind, options=_options(args),
                              annotator=args.annotator)
    command = voila_command(notebook, port=args.port, ip=args.ip)
    if args.print_command:
        print(" ".join(command))
        return 0
    print(f"Serving {args.kind} annotation of {args.tasks} into {args.store} at "
          f"http://{args.ip}:{args.port}/?annotator=NAME (Ctrl-C stops)", flush=True)
    return run_server(command)


def run_server(command: list[str], *, grace_s: float = 5.0) -> int:
    """Run the server until it exits or this process is stopped (Ctrl-C or SIGTERM), then stop it too.

    ``subprocess.call`` alone leaves the server running when ``workbench`` gets SIGTERM
    (Python dies without unwinding), serving a page nobody can stop.
    """
    previous = signal.signal(signal.SIGTERM, _raise_interrupt)
    server = subprocess.Popen(command)
    try:
        return server.wait()
    except KeyboardInterrupt:
        server.terminate()
        try:
            server.wait(timeout=grace_s)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        print("stopped serving; the judgements are in the store", file=sys.stderr)
        return 130
    finally:
        signal.signal(signal.SIGTERM, previous)


def _raise_interrupt(signum, frame):
    raise KeyboardInterrupt


def _existing_store(path: str):
    """The store at ``path``, opened for reading: a missing or foreign file is a UserError, never created."""
    from .store import AnnotationStore

    return AnnotationStore(path, create=False)


def _kind(args, store) -> str:
    """``--kind``, or the one kind the store holds; several kinds (or none) ask for it."""
    if args.kind is not None:
        return args.kind
    kinds = [k for k in store.kinds() if k in args.kinds_allowed]
    if len(kinds) == 1:
        return kinds[0]
    if not kinds:
        raise UserError(f"{args.store}: holds no {' or '.join(args.kinds_allowed)} judgements")
    raise UserError(f"{args.store}: holds {', '.join(kinds)} judgements; pass --kind {' or --kind '.join(kinds)}")


def _export(args) -> int:
    from . import records

    out = Path(args.out)
    if out.suffix not in (".jsonl", ".parquet"):
        raise UserError(f"--out must end in .jsonl or .parquet, got {out}")
    with _existing_store(args.store) as store:
        kind = _kind(args, store)
        with mistakes_in(args.store):
            rows = records.to_records(store, kind, aggregate=args.aggregate)
    if not rows:  # an empty export would silently replace the user's last one with nothing
        raise UserError(f"{args.store}: holds no {kind} judgements; {out} left as it was")
    # both writers write a temporary file beside --out and rename it: a failure keeps the old file
    if out.suffix == ".parquet":
        records.write_parquet(rows, out, kind=kind)
    else:
        write_jsonl(rows, out)
    print(f"wrote {len(rows)} {kind} records to {out}")
    return 0


def _report(args) -> int:
    from ..analysis.agreement import agreement_report
    from ..analysis.position_bias import position_bias_report

    with _existing_store(args.store) as store:
        kind = _kind(args, store)
        with mistakes_in(args.store):
            report = agreement_report(store, kind)
            bias = position_bias_report(store, kind)
    pairs = report.pop("cohens_kappa")
    print(json.dumps(report, indent=2))
    print(pairs.to_string(index=False))
    print(bias.round(3).to_string())
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
    export.add_argument("--kind", choices=sorted(WIDGETS), default=None,
                        help="which judgements (default: the one kind the store holds)")
    export.add_argument("--out", required=True, help=".jsonl or .parquet")
    export.add_argument("--aggregate", action="store_true", help="one record per task")
    export.set_defaults(func=_export, kinds_allowed=tuple(sorted(WIDGETS)))
    report = commands.add_parser("report", help="agreement and position bias of a store")
    report.add_argument("store")
    report.add_argument("--kind", choices=["pairwise", "ranking"], default=None,
                        help="which judgements (default: the one kind the store holds)")
    report.set_defaults(func=_report, kinds_allowed=("pairwise", "ranking"))
