"""Annotation: widgets (anywidget) that write every judgement to a durable store,
exports in the training record formats, simulated annotators, and a Voila server.

>>> from workbench.annotate import RankingAnnotator, AnnotationStore  # doctest: +SKIP
>>> widget = RankingAnnotator(tasks, "labels.db", annotator="alice", top_k=3)  # doctest: +SKIP
"""
from .records import export_jsonl, export_parquet, to_dataset, to_pandas, to_records
from .store import AnnotationStore
from .tasks import load_tasks, validate_tasks
from .widgets import PairwiseAnnotator, RankingAnnotator, StepAnnotator

__all__ = [
    "AnnotationStore", "PairwiseAnnotator", "RankingAnnotator", "StepAnnotator",
    "load_tasks", "validate_tasks", "to_records", "to_pandas", "to_dataset",
    "export_jsonl", "export_parquet",
]
