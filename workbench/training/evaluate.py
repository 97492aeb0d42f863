"""Score encoded records in length-sorted batches and compute held-out metrics."""
from __future__ import annotations

import torch

from workbench.data import EncodedRecords, collator_for, encode_records
from workbench.models import eval_mode
from workbench.training.metrics import listwise_metrics, pairwise_metrics
from workbench.training.objectives import score_lists, score_pairs


def eval_loader(data: EncodedRecords, pad_token_id: int, batch_size: int = 64):
    """Unshuffled batches sorted by length (least padding); order is restored by the callers."""
    order = sorted(range(len(data)), key=lambda i: -data.lengths[i])
    batches = [order[s:s + batch_size] for s in range(0, len(order), batch_size)]
    return torch.utils.data.DataLoader(data, batch_sampler=batches, collate_fn=collator_for(data.kind, pad_token_id),
                                       generator=torch.Generator())  # leave the global RNG (dropout) alone


@torch.no_grad()
def predict(model, data: EncodedRecords, pad_token_id: int, *, batch_size: int = 64):
    """Rewards for every record in its original order.

    pairwise -> (chosen (N,), rejected (N,)); listwise -> (scores (N, K_max), mask (N, K_max)).
    Under several processes each one scores everything with its (identical) model
    copy: no collective calls, so a process can evaluate alone.
    """
    loader = eval_loader(data, pad_token_id, batch_size)
    order = torch.tensor([i for batch in loader.batch_sampler for i in batch])
    device = next(model.parameters()).device
    k_max = max((len(it["responses"]) for it in data.items), default=0) if data.kind == "listwise" else 0
    parts: list[tuple] = []
    with eval_mode(model):  # no dropout; a model evaluated mid-training goes back to training
        for batch in loader:
            batch = {k: v.to(device) for k, v in batch.items()}
            if data.kind == "pairwise":
                out = score_pairs(model, batch)
            else:
                scores = score_lists(model, batch)
                pad = k_max - scores.shape[1]
                out = (torch.nn.functional.pad(scores, (0, pad)), torch.nn.functional.pad(batch["mask"], (0, pad)))
            parts.append(tuple(t.float().cpu() if t.is_floating_point() else t.cpu() for t in out))
    first, second = (torch.cat([p[j] for p in parts]) for j in range(2))
    restored_first, restored_second = torch.empty_like(first), torch.empty_like(second)
    restored_first[order], restored_second[order] = first, second
    return restored_first, restored_second


def evaluate(model, data: EncodedRecords, pad_token_id: int, *, batch_size: int = 64) -> dict:
    """Held-out metrics: pairwise accuracy and mean margin, or Kendall's tau, NDCG and accuracies for lists."""
    a, b = predict(model, data, pad_token_id, batch_size=batch_size)
    if data.kind == "pairwise":
        keep = torch.tensor([not it["tie"] for it in data.items])
        return pairwise_metrics(a[keep], b[keep])
    labels = torch.zeros_like(a)
    for n, it in enumerate(data.items):
        labels[n, :len(it["labels"])] = torch.tensor(it["labels"])
    return listwise_metrics(a, labels, b)


def score_records(model, tokenizer, records: list, *, max_length: int = 512, batch_size: int = 64) -> list[dict]:
    """Rewards per record: ``{"chosen_score", "rejected_score"}`` or ``{"scores": [K]}``."""
    data = encode_records(records, tokenizer, max_length=max_length)
    a, b = predict(model, data, tokenizer.pad_token_id, batch_size=batch_size)
    if data.kind == "pairwise":
        return [{"chosen_score": float(c), "rejected_score": float(r)} for c, r in zip(a, b)]
    return [{"scores": a[n, : int(b[n].sum())].tolist()} for n in range(len(data))]
