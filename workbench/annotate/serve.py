"""Serve a task to annotators as a web page (Voila); the command is in :mod:`workbench.annotate.cli`.

``workbench annotate serve tasks.jsonl --store labels.db --kind ranking`` writes
a one-cell notebook next to the store and runs Voila on it, so people without
Jupyter annotate in their browser into the same store (each page is its own
kernel: a separate writer process, which the store handles). An annotator
opens ``http://host:8866/?annotator=alice``; without ``annotator`` the page
asks for a name first.
"""
from __future__ import annotations

import json
import os
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
