"""Our exports are read by the other areas' loaders; pairwise agreement end to end."""
import numpy as np
import pytest

from workbench.analysis.agreement import agreement_report, filter_by_agreement
from workbench.annotate import AnnotationStore, StepAnnotator, to_dataset, to_records
from workbench.annotate.simulate import simulate_annotator
from workbench.data.records import load_records
from workbench.prm.records import from_trl


@pytest.fixture
def pairwise_store(tmp_path, make_tasks):
    tasks = make_tasks(n=60, k=2)
    rng = np.random.default_rng(1)
    quality = {t["id"]: rng.normal(0, 2, 2).tolist() for t in tasks}
    store = AnnotationStore(tmp_path / "s.db")
    for seed, name in enumerate(["a", "b", "c"]):
        simulate_annotator(tasks, store, name, quality, kind="pairwise", temperature=0.5, seed=seed)
    return store


def test_pairwise_export_loads_as_training_pairs(pairwise_store):
    pairs = load_records(to_dataset(pairwise_store, "pairwise", aggregate=True), kind="pairwise")
    assert len(pairs) == 60 and all(p.chosen != p.rejected for p in pairs)
    per_judgement = load_records(to_records(pairwise_store, "pairwise"))
    assert len(per_judgement) == 180


def test_listwise_export_loads_as_ranked_lists(tmp_path, ranking_tasks):
    store = AnnotationStore(tmp_path / "s.db")
    simulate_annotator(ranking_tasks, store, "x", {t["id"]: [1.0, 2.0, 3.0, 4.0] for t in ranking_tasks},
                       temperature=0.0, top_k=2)
    lists = load_records(to_records(store, "ranking"), kind="listwise")
    assert len(lists) == 6 and all(r.top_k == 2 and r.labels == [0.0, 0.0, 1.0, 2.0] for r in lists)


def test_step_export_loads_as_prm_records(tmp_path, step_tasks):
    widget = StepAnnotator(step_tasks, tmp_path / "s.db", "ann", shuffle=False)
    widget.submit(first_wrong=1)
    widget.submit([1, 0, 1, 1])
    records = [from_trl(r, i) for i, r in enumerate(to_records(widget.store, "step", neutral=1.0))]
    assert records[0].first_error == 1 and records[0].labels == [1.0, 0.0, None, None]
    assert records[1].first_error is None and records[1].labels == [1.0, 1.0, 1.0, 1.0]


def test_pairwise_agreement_and_filter(pairwise_store):
    report = agreement_report(pairwise_store, "pairwise")
    assert report["n_annotators"] == 3 and report["n_tasks"] == 60
    assert 0.3 < report["fleiss_kappa"] < 1.0
    assert report["krippendorff_alpha"] == pytest.approx(report["fleiss_kappa"], abs=0.05)
    kept = filter_by_agreement(pairwise_store, "pairwise", threshold=0.6)
    # a task is kept exactly when all three annotators picked the same side
    unanimous = {task for task in {j["task_id"] for j in pairwise_store.judgements("pairwise")}
                 if len({j["label"]["winner"] for j in pairwise_store.judgements("pairwise")
                         if j["task_id"] == task}) == 1}
    assert set(kept) == unanimous and 0 < len(kept) < 60
    with pytest.raises(ValueError, match="at least two annotators"):
        agreement_report([j for j in pairwise_store.judgements("pairwise") if j["annotator"] == "a"], "pairwise")
