"""Judgements -> training records, and the conversions from what the annotator saw.

Pure functions; the widgets call the ``*_label`` converters, the exporters
read an :class:`~workbench.annotate.store.AnnotationStore`.

Record formats (TRL column conventions, shared with ``workbench.data``):

* pairwise: ``prompt, chosen, rejected, margin, tie`` -- ``margin`` from the
  strength of the preference (Llama 2's scale, Touvron et al. 2023:
  much better -> 1.0, slightly better -> 1/3, tie -> 0.0);
* ranking:  ``prompt, responses, labels, top_k`` -- ``labels[i] = G - g`` for a
  response in rank group ``g`` (0 = best) of ``G`` groups, so higher is better
  and a group is a tie; unranked responses of a top-k ranking get 0;
* step:     ``prompt, completions, labels`` -- PRM800K ratings +1/0/-1 become
  1.0 / ``neutral`` / 0.0 and unrated steps None (Lightman et al. 2023).
"""
from __future__ import annotations

from collections import Counter, defaultdict
from pathlib import Path

MARGINS = {"much": 1.0, "slightly": 1.0 / 3.0, None: None}
PAIRWISE_CHOICES = ("A", "B", "tie_good", "tie_bad", "skip")


def pairwise_label(choice: str, shown_order: list[int], strength: str | None = None) -> dict:
    """Label in original terms from the side the annotator picked (A = shown first)."""
    if choice not in PAIRWISE_CHOICES:
        raise ValueError(f"choice must be one of {PAIRWISE_CHOICES}, got {choice!r}")
    if strength not in MARGINS:
        raise ValueError(f"strength must be 'slightly', 'much' or None, got {strength!r}")
    winner = {"A": shown_order[0], "B": shown_order[1]}.get(choice)
    return {"choice": choice, "winner": winner, "tie": choice.startswith("tie"),
            "strength": strength if winner is not None else None, "skip": choice == "skip"}


def ranking_label(groups: list[list[int]], shown_order: list[int], *,
                  top_k: int | None = None, allow_ties: bool = True) -> dict:
    """Label from rank groups of *shown* positions (best first); the rest is unranked.

    groups: e.g. ``[[2], [0, 3]]`` = the third shown response is best, the first
    and fourth tie for second. Every shown position appears at most once; when
    ``top_k`` is None every position must be ranked.
    """
    k = len(shown_order)
    flat = [p for group in groups for p in group]
    if any(not isinstance(p, int) or p < 0 or p >= k for p in flat):
        raise ValueError(f"ranking positions must be integers in [0, {k}), got {groups}")
    if len(set(flat)) != len(flat):
        raise ValueError(f"a response appears twice in the ranking {groups}")
    if any(len(group) == 0 for group in groups):
        raise ValueError(f"empty rank group in {groups}")
    if not allow_ties and any(len(group) > 1 for group in groups):
        raise ValueError("ties are not allowed in this task")
    if top_k is None and len(flat) != k:
        raise ValueError(f"rank all {k} responses (got {len(flat)})")
    if top_k is not None and len(flat) < min(top_k, k):
        raise ValueError(f"rank at least the best {top_k} responses (got {len(flat)})")
    original_groups = [[shown_order[p] for p in group] for group in groups]
    labels = [0] * k
    for g, group in enumerate(original_groups):
        for item in group:
            labels[item] = len(groups) - g
    unranked = [shown_order[p] for p in range(k) if p not in set(flat)]
    return {"groups": original_groups, "unranked": unranked, "labels": labels,
            "top_k": len(flat) if unranked else None, "skip": False}


def step_label(ratings: list[int | None] | None = None, n_steps: int | None = None, *,
               first_wrong: int | None = None) -> dict:
    """Per-step PRM800K ratings (+1, 0, -1, None), or from a one-click "first wrong step".

    ``first_wrong=i``: steps before ``i`` are +1, step ``i`` is -1, later steps
    are None (unrated: after the first error their value is undefined).
    ``first_wrong=-1`` with ``n_steps``: every step is correct.
    """
    if first_wrong is not None:
        if n_steps is None or not -1 <= first_wrong < n_steps:
            raise ValueError(f"first_wrong must be in [-1, {n_steps}), got {first_wrong}")
        if first_wrong == -1:
            ratings = [1] * n_steps
        else:
            ratings = [1] * first_wrong + [-1] + [None] * (n_steps - first_wrong - 1)
    if ratings is None or (n_steps is not None and len(ratings) != n_steps):
        raise ValueError(f"need one rating per step ({n_steps}), got {ratings}")
    for i, rating in enumerate(ratings):
        if rating not in (1, 0, -1, None):
            raise ValueError(f"step {i}: rating must be +1, 0, -1 or None, got {rating!r}")
    wrong = [i for i, r in enumerate(ratings) if r == -1]
    return {"ratings": list(ratings), "first_wrong": wrong[0] if wrong else None, "skip": False}


def skip_label() -> dict:
    return {"skip": True}


# -- export ------------------------------------------------------------------------
def to_records(store, kind: str, *, aggregate: bool = False, neutral: float = 0.5,
               task_ids=None) -> list[dict]:
    """Training records from the store's live judgements (skips dropped).

    ``task_ids``: keep only these tasks (e.g. those that pass
    :func:`workbench.analysis.agreement.filter_by_agreement`).

    ``aggregate=False``: one record per judgement, with ``task_id`` and
    ``annotator`` columns. ``aggregate=True``: one record per task -- pairwise
    by majority vote (ties count as a vote; no majority -> a tie), ranking by
    the mean of the annotators' labels, steps by the per-step majority.
    """
    tasks = store.tasks(kind)
    judgements = [j for j in store.judgements(kind) if not j["label"].get("skip")]
    if task_ids is not None:
        keep = {str(t) for t in task_ids}
        judgements = [j for j in judgements if j["task_id"] in keep]
    missing = {j["task_id"] for j in judgements} - set(tasks)
    if missing:
        raise ValueError(f"judgements refer to tasks not registered in the store: {sorted(missing)[:5]}")
    if not aggregate:
        return [dict(_record(kind, tasks[j["task_id"]], [j["label"]], neutral),
                     task_id=j["task_id"], annotator=j["annotator"]) for j in judgements]
    by_task: dict[str, list[dict]] = defaultdict(list)
    for j in judgements:
        by_task[j["task_id"]].append(j["label"])
    return [dict(_record(kind, tasks[t], labels, neutral), task_id=t,
                 n_annotators=len(labels)) for t, labels in by_task.items()]


def _record(kind: str, task: dict, labels: list[dict], neutral: float) -> dict:
    if kind == "pairwise":
        votes = Counter("tie" if lab["tie"] else lab["winner"] for lab in labels)
        (top, count), *rest = votes.most_common()
        if rest and rest[0][1] == count:
            top = "tie"
        # margin: mean strength of the majority's votes; None when one gave no strength
        margins = [MARGINS[lab["strength"]] for lab in labels if lab["winner"] == top]
        if top == "tie":
            margin = 0.0
        elif None in margins:
            margin = None
        else:
            margin = sum(margins) / len(margins)
        winner = 0 if top == "tie" else top
        return {"prompt": task["prompt"], "chosen": task["responses"][winner],
                "rejected": task["responses"][1 - winner], "margin": margin, "tie": top == "tie"}
    if kind == "ranking":
        k = len(task["responses"])
        means = [sum(lab["labels"][i] for lab in labels) / len(labels) for i in range(k)]
        top_ks = {lab["top_k"] for lab in labels}
        return {"prompt": task["prompt"], "responses": task["responses"], "labels": means,
                "top_k": top_ks.pop() if len(top_ks) == 1 else None}
    value = {1: 1.0, 0: neutral, -1: 0.0}
    step_labels = []
    for i in range(len(task["steps"])):
        votes = Counter(lab["ratings"][i] for lab in labels if lab["ratings"][i] is not None)
        step_labels.append(value[votes.most_common(1)[0][0]] if votes else None)
    return {"prompt": task["prompt"], "completions": task["steps"], "labels": step_labels}


def to_pandas(store, kind: str, **kwargs):
    import pandas as pd

    return pd.DataFrame(to_records(store, kind, **kwargs))


def to_dataset(store, kind: str, **kwargs):
    """A ``datasets.Dataset`` of the records (see :func:`to_records`)."""
    import datasets

    records = to_records(store, kind, **kwargs)
    if not records:
        raise ValueError(f"no {kind} judgements to export")
    return datasets.Dataset.from_list(records)


def export_jsonl(store, kind: str, path: str | Path, **kwargs) -> Path:
    """Write the training records as JSON lines (replacing ``path`` only once all are written)."""
    from workbench.data.jsonl import write_jsonl

    return write_jsonl(to_records(store, kind, **kwargs), path)


def export_parquet(store, kind: str, path: str | Path, **kwargs) -> Path:
    path = Path(path)
    to_dataset(store, kind, **kwargs).to_parquet(str(path))
    return path
