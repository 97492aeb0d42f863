"""Where each data set is read from: the shared copy when present, else the bundled sample."""
import json

import pytest

from workbench.data import sources
from workbench.data.jsonl import MissingFileError
from workbench.data.sources import (
    GSM8K_SOLUTIONS,
    load_gsm8k,
    load_gsm8k_solution_groups,
    load_hh_harmless,
    load_ranking_tasks,
    resolve,
)
from workbench.errors import UserError
from workbench.paths import DATA_DIR


@pytest.fixture
def fake_shared(tmp_path, monkeypatch):
    """A shared-data folder with one GSM8K solutions file (two questions) in it."""
    row = {"question": "q", "ground_truth": "A: 1",
           **{m: {"solution": "A: 1", "is_correct": True} for m in sources.GSM8K_MODELS}}
    (tmp_path / "gsm8k").mkdir()
    (tmp_path / "gsm8k" / "example_model_solutions.jsonl").write_text(json.dumps(row) + "\n" + json.dumps(row) + "\n")
    monkeypatch.setenv("WORKBENCH_SHARED_DATA", str(tmp_path))
    return tmp_path


@pytest.fixture
def no_shared(tmp_path, monkeypatch):
    monkeypatch.setenv("WORKBENCH_SHARED_DATA", str(tmp_path / "absent"))


def test_shared_copy_wins_when_present(fake_shared):
    data = GSM8K_SOLUTIONS.resolve()
    assert data.path == fake_shared / "gsm8k" / "example_model_solutions.jsonl"
    assert data.source == "shared" and not data.fell_back and data.note.startswith("shared data: ")
    assert len(load_gsm8k("solutions", source="auto")) == 2
    assert len(load_gsm8k_solution_groups(data.path)) == 2


def test_shared_folder_without_the_file_falls_back(fake_shared):
    data = resolve("hh-rlhf-harmless/test.jsonl.gz", "hh_rlhf_harmless_sample.jsonl.gz")
    assert data.source == "bundled" and data.fell_back and data.path == DATA_DIR / "hh_rlhf_harmless_sample.jsonl.gz"


def test_missing_shared_folder_falls_back_with_a_note(no_shared):
    data = GSM8K_SOLUTIONS.resolve()
    assert data.source == "bundled" and data.fell_back
    assert data.path == DATA_DIR / "gsm8k_solutions_sample.jsonl"
    assert "bundled sample" in data.note and "fallback" in data.note
    assert not GSM8K_SOLUTIONS.resolve("bundled").fell_back            # asked for: no fallback to report
    with pytest.raises(MissingFileError, match="source='shared' but ../shared/data/gsm8k"):
        GSM8K_SOLUTIONS.resolve("shared")
    with pytest.raises(MissingFileError, match="neither"):
        resolve("gsm8k/test.jsonl", None)
    with pytest.raises(UserError, match="source must be"):
        resolve("x", "y", source="local")


def test_loaders_read_the_bundled_samples(no_shared):
    assert len(load_gsm8k("train", limit=5)) == 5 and set(load_gsm8k("train", limit=1)[0]) == {"question", "answer"}
    assert len(load_gsm8k_solution_groups(n_groups=3)) == 3
    pairs, source = load_hh_harmless(7)
    assert source == "bundled" and list(pairs.columns) == ["prompt", "chosen", "rejected"] and len(pairs) == 7
    tasks, note = load_ranking_tasks(5)
    assert len(tasks) == 5 and "bundled sample" in note and all(len(t["responses"]) == 4 for t in tasks)
    with pytest.raises(UserError, match="no bundled sample of 'test'"):
        load_gsm8k("test")
    with pytest.raises(UserError, match="unknown GSM8K file"):
        load_gsm8k("dev")


def test_old_imports_still_work():
    from workbench.aggregation.gsm8k import BUNDLED, load_solution_groups, shared_solutions_path  # noqa: F401
    from workbench.annotate.sample_data import parse_instruction, tasks_from_file, write_bundled_sample  # noqa: F401
    from workbench.data.length_bias import load_hh_harmless as old_hh
    from workbench.prm.gsm8k import load_gsm8k as old_gsm8k

    assert old_hh is load_hh_harmless and old_gsm8k is load_gsm8k
    assert load_solution_groups is load_gsm8k_solution_groups and BUNDLED == GSM8K_SOLUTIONS.resolve("bundled").path


def test_prometheus_file_errors_name_the_file(tmp_path):
    path = tmp_path / "judged.json"
    path.write_text(json.dumps([{"idx": 0, "instruction": "no markers", "gpt4_score": [3]}]))
    with pytest.raises(UserError, match=r"judged.json: row 0, field 'instruction'"):
        sources.load_prometheus_file(path)
    path.write_text(json.dumps([{"idx": 0}]))
    with pytest.raises(UserError, match=r"judged.json: row 0, field 'instruction' is missing"):
        sources.load_prometheus_file(path)


def test_hh_harmless_shared_and_bundled(shared_data, monkeypatch, tmp_path):
    shared, source = load_hh_harmless(50)
    assert source == "shared" and len(shared) == 50
    assert not shared["chosen"].str.startswith("\n\nHuman").any() and shared["prompt"].str.contains("Assistant").all()
    monkeypatch.setenv("WORKBENCH_SHARED_DATA", str(tmp_path / "absent"))
    bundled, source = load_hh_harmless(50)
    assert source == "bundled" and len(bundled) == 50
    # the bundle is the same pairs, prompts cut from the left
    assert bundled["chosen"].tolist() == shared["chosen"].tolist()
    assert all(s.endswith(b) for s, b in zip(shared["prompt"], bundled["prompt"]))
