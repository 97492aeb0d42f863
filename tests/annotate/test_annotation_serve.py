"""`workbench annotate serve/export/report` without a browser (the browser test serves it for real)."""
import json

import pytest

from workbench.annotate import AnnotationStore, RankingAnnotator
from workbench.annotate.serve import annotator_page, build_notebook
from workbench.annotate.simulate import simulate_annotator
from workbench.cli import main


@pytest.fixture
def task_file(tmp_path, ranking_tasks):
    path = tmp_path / "tasks.jsonl"
    path.write_text("\n".join(json.dumps(t) for t in ranking_tasks))
    return path


def test_page_shows_widget_for_query_annotator_else_a_form(tmp_path, task_file):
    config = {"tasks": str(task_file), "store": str(tmp_path / "s.db"), "kind": "ranking",
              "options": {"top_k": 2, "seed": 5}}
    widget = annotator_page(config, "annotator=dana")
    assert isinstance(widget, RankingAnnotator) and widget.annotator == "dana"
    assert widget.options["top_k"] == 2 and widget.seed == 5
    form = annotator_page(config, "")
    text, button = form.children[1], form.children[2]
    button.click()                                   # no name yet: nothing happens
    assert len(form.children) == 3
    text.value = "eve"
    button.click()
    assert isinstance(form.children[0], RankingAnnotator) and form.children[0].annotator == "eve"


def test_serve_refuses_a_bad_task_file_and_prints_voila_command(tmp_path, task_file, capsys):
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"id": "x", "prompt": "p", "responses": ["only one"]}))
    with pytest.raises(ValueError, match="task 0 .*needs at least 2"):
        build_notebook(bad, tmp_path / "s.db", "ranking")
    assert main(["annotate", "serve", str(task_file), "--store", str(tmp_path / "s.db"),
                 "--port", "9999", "--print-command"]) == 0
    command = capsys.readouterr().out
    assert "voila" in command and "--port=9999" in command
    notebook = json.loads((tmp_path / "s_voila" / "annotate_ranking.ipynb").read_text())
    assert "annotator_page" in "".join(notebook["cells"][0]["source"])


def test_export_and_report_commands(tmp_path, ranking_tasks, capsys):
    store = AnnotationStore(tmp_path / "s.db")
    quality = {t["id"]: [1.0, 2.0, 3.0, 4.0] for t in ranking_tasks}
    for seed, name in enumerate(["a", "b"]):
        simulate_annotator(ranking_tasks, store, name, quality, temperature=1.0, seed=seed)
    out = tmp_path / "r.jsonl"
    assert main(["annotate", "export", str(tmp_path / "s.db"), "--kind", "ranking", "--out", str(out)]) == 0
    assert len(out.read_text().splitlines()) == 12
    assert main(["annotate", "report", str(tmp_path / "s.db"), "--kind", "ranking"]) == 0
    printed = capsys.readouterr().out
    assert "fleiss_kappa" in printed and "first_win_rate" in printed
