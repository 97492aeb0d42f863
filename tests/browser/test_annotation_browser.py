"""The annotation widgets in a real JupyterLab, driven by headless Chromium.

Open a notebook, display the ranking widget, reorder by drag and drop and by
keyboard, submit, and read the store; the same for the pairwise widget.
Also checks that keys typed inside a widget never reach JupyterLab's
command-mode shortcuts (``b`` would insert a cell).
"""
import json
import sqlite3
import time

import nbformat
import pytest

pytestmark = [pytest.mark.browser, pytest.mark.timeout(240), pytest.mark.slow]

RANKING = [{"id": f"r{i}", "prompt": f"Ranking prompt {i}",
            "responses": [f"resp-{i}-{j}" for j in range(4)]} for i in range(3)]
PAIRWISE = [{"id": f"p{i}", "prompt": f"Pairwise prompt {i}",
             "responses": [f"side-{i}-{j}" for j in range(2)]} for i in range(3)]

STEPS = [{"id": f"s{i}", "prompt": f"Step prompt {i}", "steps": [f"step-{i}-{j}" for j in range(4)]}
         for i in range(2)]


def _notebook(root):
    (root / "tasks.json").write_text(json.dumps({"ranking": RANKING, "pairwise": PAIRWISE, "step": STEPS}))
    cells = [
        "import json\nfrom workbench.annotate import RankingAnnotator, PairwiseAnnotator\n"
        "tasks = json.load(open('tasks.json'))",
        "RankingAnnotator(tasks['ranking'], 'store.db', 'browser', seed=0)",
        "PairwiseAnnotator(tasks['pairwise'], 'store.db', 'browser', seed=0, strength=True)",
        "from workbench.annotate import StepAnnotator\n"
        "StepAnnotator(tasks['step'], 'store.db', 'browser', shuffle=False)",
        "RankingAnnotator(tasks['ranking'], 'store.db', 'browser-top2', top_k=2, seed=0)",
    ]
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(notebook, root / "annotate.ipynb")


def _judgements(db, kind, count, timeout=30):
    """Poll the store (the kernel writes it) until `count` live judgements of `kind` exist."""
    deadline = time.monotonic() + timeout
    while True:
        rows = []
        if db.exists():
            with sqlite3.connect(db) as conn:
                try:
                    rows = conn.execute("SELECT task_id, label, shown_order FROM judgements WHERE kind=?"
                                        " AND undone_at IS NULL ORDER BY id", (kind,)).fetchall()
                except sqlite3.OperationalError:
                    rows = []
        if len(rows) >= count or time.monotonic() > deadline:
            return [(t, json.loads(label), json.loads(order)) for t, label, order in rows]
        time.sleep(0.3)


def _open_and_run(page, base, token, kernel_ready):
    page.goto(f"{base}/lab/tree/annotate.ipynb?token={token}")
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=90_000)
    kernel_ready(base, token)
    for attempt in range(2):
        # run the five cells with Shift+Enter from the first one (command mode)
        page.locator(".jp-Notebook .jp-Cell .jp-InputPrompt").first.click()
        for _ in range(5):
            page.keyboard.press("Shift+Enter")
        try:
            page.wait_for_selector(".wb-annot .wb-item", timeout=60_000)
            page.wait_for_selector(".wb-annot .wb-card", timeout=30_000)
            page.wait_for_selector(".wb-annot .wb-step", timeout=30_000)
            page.wait_for_selector(".wb-annot .wb-pool .wb-item", timeout=30_000)
            return
        except Exception:
            if attempt:
                raise
            time.sleep(2)  # the page may have been a moment ahead of the kernel connection


def _ranking_texts(widget):
    return [t.strip() for t in widget.locator(".wb-item .wb-text").all_inner_texts()]


def test_ranking_and_pairwise_widgets_in_jupyterlab(jupyterlab, page, kernel_ready):
    base, token, root = jupyterlab
    _notebook(root)
    _open_and_run(page, base, token, kernel_ready)
    cells_before = page.locator(".jp-Notebook .jp-Cell").count()
    ranking = page.locator(".wb-annot").nth(0)
    prompt = ranking.locator(".wb-prompt .wb-text").inner_text()
    task = next(t for t in RANKING if t["prompt"] == prompt.strip())
    shown = _ranking_texts(ranking)
    assert sorted(shown) == sorted(task["responses"])

    # drag and drop: the last shown response onto the gap above the first rank
    ranking.locator(".wb-item").nth(3).drag_to(ranking.locator(".wb-gap[data-gap='0']"))
    after_drag = _ranking_texts(ranking)
    assert after_drag == [shown[3], shown[0], shown[1], shown[2]]

    # keyboard: focus the last item, pick it up, move it up twice, drop it
    ranking.locator(".wb-item").nth(3).click()
    for key in ("Space", "ArrowUp", "ArrowUp", "Space"):
        page.keyboard.press(key)
    expected = [after_drag[0], after_drag[3], after_drag[1], after_drag[2]]
    assert _ranking_texts(ranking) == expected
    # a tie by keyboard: "=" joins the focused response to the rank above
    ranking.locator(".wb-item").nth(3).click()
    page.keyboard.press("=")
    assert ranking.locator(".wb-rank").count() == 3
    # command-mode shortcuts do not fire from inside the widget ("b" = insert cell below)
    page.keyboard.press("b")
    page.keyboard.press("a")
    assert page.locator(".jp-Notebook .jp-Cell").count() == cells_before

    ranking.locator(".wb-submit").click()
    ((task_id, label, order),) = _judgements(root / "store.db", "ranking", 1)
    assert task_id == task["id"]
    index = {text: i for i, text in enumerate(task["responses"])}
    best, second, tied_a, tied_b = (index[t] for t in expected)
    assert label["labels"][best] == 3 and label["labels"][second] == 2
    assert label["labels"][tied_a] == label["labels"][tied_b] == 1
    assert [task["responses"][i] for i in order] == shown       # the order as shown is stored
    page.wait_for_function(
        "(p) => document.querySelector('.wb-annot .wb-prompt .wb-text').textContent !== p", arg=prompt)
    assert "1 / 3" in ranking.locator(".wb-count").inner_text()

    # pairwise: keyboard "Shift+2" = B much better; then a click on "Both good"
    pairwise = page.locator(".wb-annot").nth(1)
    first_prompt = pairwise.locator(".wb-prompt .wb-text").inner_text().strip()
    b_text = pairwise.locator(".wb-card[data-side='B'] .wb-text").inner_text().strip()
    pairwise.locator(".wb-card[data-side='A']").click()
    page.keyboard.press("Shift+2")
    page.wait_for_function(
        "(p) => document.querySelectorAll('.wb-annot')[1].querySelector('.wb-prompt .wb-text').textContent !== p",
        arg=first_prompt)
    pairwise.locator("button[data-choice='tie_good']").click()
    judged = _judgements(root / "store.db", "pairwise", 2)
    assert len(judged) == 2
    (task_id, label, order), (_, tie_label, _) = judged
    task = next(t for t in PAIRWISE if t["id"] == task_id)
    assert task["prompt"] == first_prompt
    assert task["responses"][label["winner"]] == b_text and label["strength"] == "much"
    assert task["responses"][order[1]] == b_text
    assert tie_label["tie"] and tie_label["choice"] == "tie_good"
    assert page.locator(".jp-Notebook .jp-Cell").count() == cells_before


def test_step_and_top_k_widgets_in_jupyterlab(jupyterlab, page, kernel_ready):
    base, token, root = jupyterlab
    _notebook(root)
    (root / "store.db").unlink(missing_ok=True)
    for leftover in root.glob("store.db-*"):
        leftover.unlink()
    _open_and_run(page, base, token, kernel_ready)
    steps = page.locator(".wb-annot").nth(2)
    # keyboard: +1 on step 1, 0 on step 2, -1 on step 3, then Enter
    steps.locator(".wb-step").first.click()
    for key in ("+", "ArrowDown", "0", "ArrowDown", "-", "Enter"):
        page.keyboard.press(key)
    page.wait_for_function(
        "() => document.querySelectorAll('.wb-annot')[2].querySelector('.wb-prompt .wb-text').textContent === 'Step prompt 1'")
    # one click: "first wrong step" on the second step
    steps.locator(".wb-step").nth(1).locator(".wb-first-wrong").click()
    judged = _judgements(root / "store.db", "step", 2)
    assert [(t, label["ratings"]) for t, label, _ in judged] == [
        ("s0", [1, 0, -1, None]), ("s1", [1, -1, None, None])]

    top2 = page.locator(".wb-annot").nth(3)
    pool = [t.strip() for t in top2.locator(".wb-pool .wb-item .wb-text").all_inner_texts()]
    assert len(pool) == 4 and top2.locator(".wb-rank").count() == 0
    top2.locator(".wb-submit").click()                     # nothing ranked yet: refused, stays
    top2.locator(".wb-message", has_text="rank at least the best 2").wait_for()
    top2.locator(".wb-pool .wb-item").nth(2).drag_to(top2.locator(".wb-gap[data-gap='0']"))
    top2.locator(".wb-pool .wb-item").first.click()
    page.keyboard.press("2")                               # the first left in the pool -> rank 2
    assert [t.strip() for t in top2.locator(".wb-rank .wb-text").all_inner_texts()] == [pool[2], pool[0]]
    top2.locator(".wb-submit").click()
    rows = [r for r in _judgements(root / "store.db", "ranking", 1)]
    ((task_id, label, order),) = rows
    task = next(t for t in RANKING if t["id"] == task_id)
    assert label["top_k"] == 2
    assert label["labels"][task["responses"].index(pool[2])] == 2
    assert label["labels"][task["responses"].index(pool[0])] == 1
    assert sorted(label["labels"]) == [0, 0, 1, 2]
