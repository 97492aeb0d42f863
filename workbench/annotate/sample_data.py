"""Ranking tasks from the Prometheus multi-response set (80 prompts x 4 responses, each
response rated 1-5 three times by a GPT-4 judge), with a bundled fallback.

The loaders moved to :mod:`workbench.data.sources` (``load_ranking_tasks``,
``load_prometheus_file``, ``parse_instruction``, ``write_ranking_sample``); this module
keeps old imports working and holds :func:`quality_of`, which reads the reference
annotation out of the tasks. The tasks are of the annotation store's kind
``"ranking"`` (the same thing records call ``"listwise"``). Source:
prometheus-eval/prometheus-eval, Apache-2.0 (Kim et al. 2024, "Prometheus 2").
"""
from __future__ import annotations

from workbench.data.sources import PROMETHEUS_FILES as FILES  # noqa: F401  (old names, kept)
from workbench.data.sources import (  # noqa: F401
    PROMETHEUS_RANKING,
    load_prometheus_file as tasks_from_file,
    load_ranking_tasks,
    parse_instruction,
    write_ranking_sample as write_bundled_sample,
)
from workbench.paths import DATA_DIR

BUNDLED = DATA_DIR / PROMETHEUS_RANKING.bundled


def quality_of(tasks: list[dict]) -> dict[str, list[float]]:
    """Task id -> the judge's mean score per response (the reference quality)."""
    return {t["id"]: list(t["meta"]["scores"]) for t in tasks}
