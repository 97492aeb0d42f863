"""`workbench annotate ...`: serve a task to annotators as a web page (Voila), export, report.

``workbench annotate serve tasks.jsonl --store labels.db --kind ranking`` writes
a one-cell notebook next to the store and runs Voila on it, so people without
Jupyter annotate in their browser into the same store (each page is its own
kernel: a separate writer process, which the store handles). An annotator
opens ``http://host:8866/?annotator=alice``; without ``annotator`` the page
asks for a name first.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import urllib.parse
from pathlib import Path

WIDGETS = {"pairwise": "PairwiseAnnotator", "ranking": "RankingAnnotator", "step": "StepAnnotator"}


def annotator_page(config: dict, query_string: str | None = None):
    """What the served notebook displays: the widget for ``?annotator=NAME``, else a name form."""
    import ipywidgets

    from . import widgets
    from .tasks import load_tasks

    tasks = load_tasks(config["tasks"], config["kind"])  # refuse a bad task file before showing anything
    query = urllib.parse.parse_qs(query_string if query_string is not None else os.environ.get("QUERY_STRING", ""))
    name = (query.get("annotator") or [config.get("annotator") or ""])[0].strip()

    def make(annotator: str):
        cls = getattr(widgets, WIDGETS[config["kind"]])
        return cls(tasks, config["store"], annotator, **config.get("options", {}))

    if name:
        return make(name)
    field = ipywidgets.Text(placeholder="your name", description="Annotator")
    button = ipywidgets.Button(description="Start", button_style="primary")
    box = ipywidgets.VBox([ipywidgets.HTML("<b>Who is annotating?</b>"), field, button])

    def start(_):
        if field.value.strip():
            box.children = [make(field.value.strip())]

    button.on_click(start)
    return box


def build_notebook(tasks: str | Path, store: str | Path, kind: str, *, options: dict | None = None,
                   annotator: str | None = None, directory: str | Path | None = None) -> Path:
    """Write the notebook Voila serves; paths are made absolute so it runs from anywhere."""
    import nbformat

    from .tasks import load_tasks

    load_tasks(tasks, kind)  # fail here, with the row and field, not in the browser
    store = Path(store).resolve()
    config = {"tasks": str(Path(tasks).resolve()), "store": str(store), "kind": kind,
              "options": options or {}, "annotator": annotator}
    directory = Path(directory) if directory else store.parent / f"{store.stem}_voila"
    directory.mkdir(parents=True, exist_ok=True)
    source = ("import json\nfrom workbench.annotate.serve import annotator_page\n"
              f"annotator_page(json.loads({json.dumps(config)!r}))")
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = directory / f"annotate_{kind}.ipynb"
    nbformat.write(notebook, path)
    return path


def voila_command(notebook: Path, *, port: int, ip: str) -> list[str]:
    return [sys.executable, "-m", "voila", str(notebook), f"--port={port}", "--no-browser",
            f"--Voila.ip={ip}"]


def _options(args) -> dict:
    if args.kind == "ranking":
        return {"top_k": args.top_k, "allow_ties": not args.no_ties, "seed": args.seed}
    if args.kind == "pairwise":
        return {"strength": args.strength, "seed": args.seed}
    return {"seed": args.seed}


def _serve(args) -> int:
    notebook = build_notebook(args.tasks, args.store, args.kind, options=_options(args),
                              annotator=args.annotator)
    command = voila_command(notebook, port=args.port, ip=args.ip)
    if args.print_command:
        print(" ".join(command))
        return 0
    print(f"Serving {args.kind} annotation of {args.tasks} into {args.store} at "
          f"http://{args.ip}:{args.port}/?annotator=NAME", flush=True)
    return subprocess.call(command)


def _export(args) -> int:
    from . import records
    from .store import AnnotationStore

    store = AnnotationStore(args.store)
    out = Path(args.out)
    if out.suffix == ".parquet":
        records.export_parquet(store, args.kind, out, aggregate=args.aggregate)
    elif out.suffix == ".jsonl":
        records.export_jsonl(store, args.kind, out, aggregate=args.aggregate)
    else:
        raise SystemExit(f"--out must end in .jsonl or .parquet, got {out}")
    print(f"wrote {len(records.to_records(store, args.kind, aggregate=args.aggregate))} records to {out}")
    return 0


def _report(args) -> int:
    from ..analysis.agreement import agreement_report
    from ..analysis.position_bias import position_bias_report
    from .store import AnnotationStore

    store = AnnotationStore(args.store)
    report = agreement_report(store, args.kind)
    pairs = report.pop("cohens_kappa")
    print(json.dumps(report, indent=2))
    print(pairs.to_string(index=False))
    print(position_bias_report(store, args.kind).round(3).to_string())
    return 0


def register(subparsers) -> None:
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="workbench")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return int(args.func(args) or 0)
