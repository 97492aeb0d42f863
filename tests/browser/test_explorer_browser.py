"""The explorer in a real JupyterLab (headless Chromium): widgets display, the figure draws,
and picking a method in the dropdown updates the table through the kernel.

Uses the JupyterLab/Chromium fixtures of conftest.py; skips when
Chromium or playwright is absent.
"""
import os

import nbformat
import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CELL = ("from workbench.aggregation.gsm8k import load_solution_groups, gsm8k_reward_matrix\n"
        "from workbench.viz.explorer import AggregationExplorer\n"
        "live = AggregationExplorer(gsm8k_reward_matrix(load_solution_groups(n_groups=12)))\n"
        "live.widget")


def test_explorer_renders_and_reacts_in_jupyterlab(jupyterlab, page, kernel_ready):
    base, token, root = jupyterlab
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(CELL)])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(notebook, root / "explorer.ipynb")
    page.goto(f"{base}/lab/tree/explorer.ipynb?token={token}")
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=90_000)
    kernel_ready(base, token)
    for attempt in range(2):
        page.locator(".jp-Notebook .jp-Cell .jp-InputPrompt").first.click()
        page.keyboard.press("Shift+Enter")
        try:
            page.wait_for_selector(".widget-dropdown select", timeout=90_000)
            break
        except Exception:
            if attempt:
                raise
    page.wait_for_selector(".js-plotly-plot .main-svg", timeout=60_000)      # the figure drew
    assert page.locator(".widget-slider").count() >= 3                         # weight sliders
    assert page.locator(".widget-checkbox").count() == 3                       # one constraint each
    table = page.locator(".widget-html table")
    assert "weighted_sum_score" in table.inner_text()
    page.locator(".widget-dropdown select").first.select_option("pareto")
    page.wait_for_function(
        "() => [...document.querySelectorAll('.widget-html table')].some(t => t.innerText.includes('pareto_score'))",
        timeout=60_000)
    if os.environ.get("WORKBENCH_SCREENSHOT"):                                # for a human look
        page.screenshot(path=os.environ["WORKBENCH_SCREENSHOT"], full_page=True)
