"""Annotation figures (their data) and the Prometheus ranking tasks (shared and bundled)."""
import json

import numpy as np
import pandas as pd
import pytest

from workbench.annotate import AnnotationStore, validate_tasks
from workbench.annotate.sample_data import BUNDLED, load_ranking_tasks, parse_instruction, quality_of
from workbench.annotate.simulate import simulate_annotator
from workbench.viz.annotation import kappa_heatmap, position_bias_bars, rank_by_shown_place


def test_kappa_heatmap_is_symmetric_with_unit_diagonal():
    pairs = pd.DataFrame({"annotator_a": ["a", "a", "b"], "annotator_b": ["b", "c", "c"],
                          "kappa": [0.5, 0.2, 0.7]})
    z = np.array(kappa_heatmap(pairs).data[0].z)
    assert np.allclose(z, z.T) and np.allclose(np.diag(z), 1.0) and z[0, 2] == 0.2


def test_position_bias_bars_and_rank_by_place(tmp_path, ranking_tasks):
    store = AnnotationStore(tmp_path / "s.db")
    quality = {t["id"]: [0.0] * 4 for t in ranking_tasks}              # all equal: only position matters
    simulate_annotator(ranking_tasks, store, "primacy", quality, temperature=1.0, position_bias=50.0)
    report = pd.DataFrame({"first_win_rate": [0.7], "ci_low": [0.6], "ci_high": [0.8],
                           "debiased_first_win_rate": [0.65]}, index=["x"])
    bars = position_bias_bars(report)
    assert list(bars.data[0].y) == [0.7] and list(bars.data[0].error_y.arrayminus) == pytest.approx([0.1])
    line = rank_by_shown_place(store).data[0]
    assert list(line.x) == [1, 2, 3, 4] and list(line.y) == [1, 2, 3, 4]   # shown order = rank order


def test_bundled_sample_is_valid_and_small():
    assert BUNDLED.stat().st_size < 300_000
    tasks, source = load_ranking_tasks(prefer_shared=False)
    assert "bundled" in source and len(tasks) == 40
    assert len(validate_tasks(tasks, "ranking")) == 40
    assert all(len(t["responses"]) == 4 and len(set(t["meta"]["scores"])) > 1 for t in tasks)
    assert set(quality_of(tasks)) == {t["id"] for t in tasks}


def test_shared_prometheus_parses(shared_data):
    tasks, source = load_ranking_tasks()
    assert "shared" in source and len(tasks) == 160
    assert all(len(t["responses"]) == 4 and all(1 <= s <= 5 for s in t["meta"]["scores"]) for t in tasks)
    raw = json.loads((shared_data / "prometheus-multi-response" / "vicuna_eval.json").read_text())[0]
    question, response = parse_instruction(raw["instruction"], 0)
    assert question == "How can I improve my time management skills?"
    assert response.startswith("Improving your time management") and "###" not in response
    with pytest.raises(ValueError, match="row 3, field 'instruction'"):
        parse_instruction("no markers here", 3)
