"""Listwise reward models on GRPO groups ("Integration with GRPO").

GRPO already samples G responses per prompt. Rank each group (by existing
rewards, a judge or people) and the group *is* a listwise training record:
``prompt``, ``responses`` (G), ``labels`` (G, higher = better, ties allowed).
The loop here:

1. groups -> records with labels (:func:`groups_to_records`);
2. features of every response from a frozen encoder (:func:`group_features`,
   the offline MiniLM by default, mean-pooled; the encoder stays frozen and
   only a small head is trained, so the loop runs on a CPU in seconds: a
   documented simplification of fine-tuning the whole encoder, which
   ``workbench.training.train`` on the same records also does, given time);
3. a Plackett-Luce (ListMLE) head trained with :func:`workbench.training.train`
   (:func:`train_group_rm`);
4. new groups scored by the RM and turned into GRPO advantages
   (:func:`rm_advantages`), compared with the truth over *every* position
   (:func:`whole_order_report`: Kendall tau and NDCG over the whole group, and
   tau among the items below the true winner).
"""
from __future__ import annotations

import numpy as np

from workbench.aggregation.advantages import group_advantages
from .rankers import FeatureLists, ListScorer, ranking_metrics, train_ranker


def groups_to_records(prompts, responses, labels, *, top_k=None) -> list[dict]:
    """Listwise records (the project's record columns) from G-sized groups.

    prompts: (P,) str; responses: P lists of G str; labels: (P, G) numbers.
    Raises ValueError naming the group and field on a length mismatch.
    """
    records = []
    for i, (prompt, group, group_labels) in enumerate(zip(prompts, responses, labels, strict=True)):
        if len(group) != len(group_labels):
            raise ValueError(f"group {i}: {len(group)} responses but {len(group_labels)} labels")
        record = {"prompt": prompt, "responses": list(group), "labels": [float(v) for v in group_labels]}
        if top_k is not None:
            record["top_k"] = int(top_k)
        records.append(record)
    return records


def group_features(records: list[dict], *, model_path: str | None = None, max_length: int = 32,
                   with_prompt: bool = False, progress: bool = True) -> np.ndarray:
    """Frozen-encoder features ``(P, G, H)`` of every response of every record (equal G per record)."""
    from workbench.models.frozen import embed_texts

    sizes = {len(r["responses"]) for r in records}
    if len(sizes) != 1:
        raise ValueError(f"every group needs the same number of responses, got sizes {sorted(sizes)}")
    responses = [text for r in records for text in r["responses"]]
    prompts = [r["prompt"] for r in records for _ in r["responses"]] if with_prompt else None
    flat = embed_texts(prompts, responses, model_path=model_path, max_length=max_length, progress=progress)
    return flat.reshape(len(records), sizes.pop(), -1)


def train_group_rm(features: np.ndarray, records: list[dict], *, top_k: int | None = None, hidden: int = 64,
                   epochs: float = 40, learning_rate: float = 3e-3, weight_decay: float = 0.01,
                   loss: str = "plackett_luce", loss_kwargs: dict | None = None, seed: int = 0) -> ListScorer:
    """A listwise RM head on group features, trained by the project's loop.

    ``top_k=1`` trains on the winner of each group only (a softmax over the
    group): the baseline that shows what the rest of the order adds.
    """
    labels = np.array([r["labels"] for r in records], dtype=float)
    lists = FeatureLists(features, labels, top_k=top_k)
    model, _ = train_ranker(lists, loss=loss, loss_kwargs=loss_kwargs, hidden=hidden, epochs=epochs,
                            learning_rate=learning_rate, weight_decay=weight_decay, seed=seed)
    return model


def rm_advantages(model: ListScorer, features: np.ndarray, *, scale: str = "group") -> np.ndarray:
    """GRPO advantages ``(P, G)`` from the RM's scores of each group's responses."""
    scores = model.score(features)
    groups = np.repeat(np.arange(scores.shape[0]), scores.shape[1])
    return group_advantages(scores.reshape(-1), groups, scale=scale).reshape(scores.shape)


def whole_order_report(scores: np.ndarray, truth: np.ndarray) -> dict:
    """How well ``scores (P, G)`` order each group against ``truth (P, G)``, over every position.

    ``kendall_tau``, ``ndcg``, ``pair_accuracy``, ``top1_accuracy`` over whole
    groups, and ``tau_below_winner``: Kendall tau among the G-1 items left
    after removing each group's true best (what a winner-only model is not
    trained on).
    """
    scores, truth = np.asarray(scores, dtype=float), np.asarray(truth, dtype=float)
    report = ranking_metrics(scores, truth)
    best = np.argmax(truth, axis=1)
    keep = np.ones_like(truth, dtype=bool)
    keep[np.arange(len(truth)), best] = False
    rest = ranking_metrics(scores[keep].reshape(len(truth), -1), truth[keep].reshape(len(truth), -1))
    report["tau_below_winner"] = rest["kendall_tau"]
    report.pop("n_lists", None)
    return report
