"""`workbench annotate serve`: the ranking task served by Voila, annotated in Chromium."""
import json
import os
import sqlite3
import subprocess
import sys
import time

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.timeout(180), pytest.mark.slow]


@pytest.fixture
def voila_server(tmp_path, chromium_path, server_helpers):
    free_port, kill, wait_until_up = server_helpers
    tasks = [{"id": f"v{i}", "prompt": f"Served prompt {i}", "responses": [f"served-{i}-{j}" for j in range(3)]}
             for i in range(2)]
    (tmp_path / "tasks.jsonl").write_text("\n".join(json.dumps(t) for t in tasks))
    port = free_port()
    log = (tmp_path / "voila.log").open("w")
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(tmp_path / ".jupyter"),
               JUPYTER_RUNTIME_DIR=str(tmp_path / ".runtime"))
    proc = subprocess.Popen([sys.executable, "-m", "workbench.cli", "annotate", "serve",
                             str(tmp_path / "tasks.jsonl"), "--store", str(tmp_path / "labels.db"),
                             "--kind", "ranking", "--port", str(port)],
                            stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    wait_until_up(proc, base + "/api/status", tmp_path / "voila.log", "voila")
    yield base, tmp_path, tasks
    kill(proc)
    log.close()


def test_served_page_writes_to_the_store(voila_server, page):
    base, root, tasks = voila_server
    page.goto(base + "/?annotator=carol")
    widget = page.locator(".wb-annot")
    widget.locator(".wb-item").first.wait_for(timeout=120_000)
    assert "carol" in widget.locator(".wb-annotator").inner_text()
    prompt = widget.locator(".wb-prompt .wb-text").inner_text().strip()
    shown = [t.strip() for t in widget.locator(".wb-item .wb-text").all_inner_texts()]
    widget.locator(".wb-item").nth(2).click()
    page.keyboard.press("1")                              # the last shown goes to rank 1
    page.keyboard.press("Enter")                          # submit
    deadline, rows = time.monotonic() + 30, []
    while not rows and time.monotonic() < deadline:
        time.sleep(0.3)
        if (root / "labels.db").exists():
            with sqlite3.connect(root / "labels.db") as conn:
                rows = conn.execute("SELECT task_id, annotator, label FROM judgements").fetchall()
    ((task_id, annotator, label),) = rows
    task = next(t for t in tasks if t["id"] == task_id)
    assert task["prompt"] == prompt and annotator == "carol"
    labels = json.loads(label)["labels"]
    assert labels[task["responses"].index(shown[2])] == 3
    assert labels[task["responses"].index(shown[0])] == 2
