"""Exports: the record formats the training code reads, in every container."""
import json

import pandas as pd
import pytest

from workbench.annotate import (AnnotationStore, PairwiseAnnotator, export_jsonl, export_parquet,
                                to_dataset, to_pandas, to_records)
from workbench.annotate.simulate import simulate_annotator


@pytest.fixture
def ranking_store(tmp_path, ranking_tasks):
    store = AnnotationStore(tmp_path / "s.db")
    quality = {t["id"]: [3.0, 1.0, 2.0, 1.0] for t in ranking_tasks}   # responses 1 and 3 tie
    simulate_annotator(ranking_tasks, store, "reference", quality, temperature=0)
    simulate_annotator(ranking_tasks, store, "noisy", quality, temperature=1.0, seed=3)
    return store


def test_ranking_records_jsonl_parquet_dataset_agree(tmp_path, ranking_store, ranking_tasks):
    records = to_records(ranking_store, "ranking")
    assert len(records) == 12
    reference = [r for r in records if r["annotator"] == "reference"]
    for record in reference:
        task = next(t for t in ranking_tasks if t["id"] == record["task_id"])
        assert record["responses"] == task["responses"] and record["prompt"] == task["prompt"]
        assert record["labels"] == [3, 1, 2, 1] and record["top_k"] is None   # tie kept as equal labels
    jsonl = [json.loads(line) for line in export_jsonl(ranking_store, "ranking", tmp_path / "r.jsonl").open()]
    assert jsonl == records
    frame = pd.read_parquet(export_parquet(ranking_store, "ranking", tmp_path / "r.parquet"))
    assert frame["labels"].map(list).tolist() == [r["labels"] for r in records]
    dataset = to_dataset(ranking_store, "ranking", aggregate=True)
    assert set(dataset.column_names) >= {"prompt", "responses", "labels", "top_k"}
    assert len(dataset) == 6 and all(n == 2 for n in dataset["n_annotators"])
    assert to_pandas(ranking_store, "ranking").shape[0] == 12


def test_pairwise_majority_vote_and_tie(tmp_path, pairwise_tasks):
    store = AnnotationStore(tmp_path / "s.db")
    votes = {"a": "0", "b": "0", "c": "1"}
    for name, winner in votes.items():
        widget = PairwiseAnnotator(pairwise_tasks[:1], store, name)
        widget.submit("A" if widget.shown_order[0] == int(winner) else "B", "much")
    (record,) = to_records(store, "pairwise", aggregate=True)
    assert record["chosen"] == pairwise_tasks[0]["responses"][0] and not record["tie"]
    assert record["margin"] == pytest.approx(1.0) and record["n_annotators"] == 3
    widget = PairwiseAnnotator(pairwise_tasks[:1], store, "d")
    widget.submit("B" if widget.shown_order[0] == 0 else "A")   # 2 vs 2: no majority -> tie
    (record,) = to_records(store, "pairwise", aggregate=True)
    assert record["tie"] and record["margin"] == 0.0


def test_empty_export_is_an_error(tmp_path):
    with pytest.raises(ValueError, match="no ranking judgements"):
        to_dataset(AnnotationStore(tmp_path / "s.db"), "ranking")


def test_task_ids_restrict_the_export(ranking_store, ranking_tasks):
    keep = [ranking_tasks[0]["id"], ranking_tasks[2]["id"]]
    records = to_records(ranking_store, "ranking", aggregate=True, task_ids=keep)
    assert sorted(r["task_id"] for r in records) == sorted(keep)
