"""Evaluation metrics as pure tensor functions (no state, no device moves, no logging).

Pairwise, ``chosen``/``rejected`` (B,):
    accuracy     = mean_b [r_c > r_r] (+ 1/2 [r_c = r_r])
    mean_margin  = mean_b (r_c - r_r)
Listwise, ``scores``/``labels``/``mask`` (B, K), per list then averaged over lists
where the metric is defined (a list whose labels are all tied has no ranking):
    kendall_tau  tau-b between scores and labels over the real items (Kendall 1945)
    ndcg         sum_i g_i / log2(1 + rank_i) over the ideal value, gain g_i = l_i - min_j l_j
                 (Jarvelin & Kekalainen 2002, with linear gains so any label scale works)
    pair_accuracy  fraction of label-ordered pairs the scores order the same way
    top1_accuracy  the highest-scored item has the highest label
"""
from __future__ import annotations

import torch


def pairwise_metrics(chosen: torch.Tensor, rejected: torch.Tensor) -> dict[str, float]:
    """Accuracy and mean margin of (B,) chosen/rejected rewards."""
    if chosen.shape != rejected.shape or chosen.ndim != 1:
        raise ValueError(f"chosen {tuple(chosen.shape)} and rejected {tuple(rejected.shape)} must be equal (B,)")
    if chosen.numel() == 0:
        return {"accuracy": 0.0, "mean_margin": 0.0, "n_pairs": 0}
    diff = (chosen - rejected).float()
    correct = (diff > 0).float() + 0.5 * (diff == 0).float()
    return {"accuracy": correct.mean().item(), "mean_margin": diff.mean().item(), "n_pairs": int(diff.numel())}


def _pair_signs(x: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """sign(x_i - x_j) for (B, K, K) and the mask of real pairs i < j."""
    sign = torch.sign(x.unsqueeze(-1) - x.unsqueeze(-2))
    k = x.shape[-1]
    upper = torch.triu(torch.ones(k, k, dtype=torch.bool, device=x.device), diagonal=1)
    real = mask.unsqueeze(-1) & mask.unsqueeze(-2) & upper
    return sign, real


def kendall_tau(scores: torch.Tensor, labels: torch.Tensor, mask: torch.Tensor | None = None):
    """Per-list tau-b (B,) and a (B,) bool of lists where it is defined (some untied pair on each side)."""
    mask = torch.ones_like(scores, dtype=torch.bool) if mask is None else mask
    s, real = _pair_signs(scores.double(), mask)
    l, _ = _pair_signs(labels.double(), mask)
    s, l = s * real, l * real
    concordant_minus_discordant = (s * l).sum((-1, -2))
    n_s = (s != 0).sum((-1, -2)).double()  # pairs untied in scores
    n_l = (l != 0).sum((-1, -2)).double()  # pairs untied in labels
    defined = (n_s > 0) & (n_l > 0)
    tau = concordant_minus_discordant / torch.sqrt(n_s * n_l).clamp_min(1.0)
    return torch.where(defined, tau, torch.zeros_like(tau)).float(), defined


def ndcg(scores: torch.Tensor, labels: torch.Tensor, mask: torch.Tensor | None = None):
    """Per-list NDCG (B,) over the real items, and a (B,) bool of lists with any non-zero gain."""
    mask = torch.ones_like(scores, dtype=torch.bool) if mask is None else mask
    labels = labels.double()
    low = torch.where(mask, labels, torch.full_like(labels, float("inf"))).amin(-1, keepdim=True)
    gains = torch.where(mask, labels - low, torch.zeros_like(labels))
    discount = 1.0 / torch.log2(torch.arange(2, scores.shape[-1] + 2, device=scores.device, dtype=torch.double))
    by_score = torch.where(mask, scores.double(), torch.full_like(labels, -float("inf"))).argsort(-1, descending=True)
    dcg = (gains.gather(-1, by_score) * discount).sum(-1)
    ideal = (gains.sort(-1, descending=True).values * discount).sum(-1)
    defined = ideal > 0
    return torch.where(defined, dcg / ideal.clamp_min(1e-12), torch.zeros_like(dcg)).float(), defined


def listwise_metrics(scores: torch.Tensor, labels: torch.Tensor, mask: torch.Tensor | None = None) -> dict:
    """Kendall's tau, NDCG, pairwise and top-1 accuracy of (B, K) scores against graded labels."""
    if scores.shape != labels.shape or scores.ndim != 2:
        raise ValueError(f"scores {tuple(scores.shape)} and labels {tuple(labels.shape)} must be equal (B, K)")
    mask = torch.ones_like(scores, dtype=torch.bool) if mask is None else mask.bool()
    tau, tau_ok = kendall_tau(scores, labels, mask)
    gain, gain_ok = ndcg(scores, labels, mask)
    s, real = _pair_signs(scores.double(), mask)
    l, _ = _pair_signs(labels.double(), mask)
    ordered = real & (l != 0)
    right = ((s * l > 0).double() + 0.5 * (s == 0).double()) * ordered
    n_ordered = ordered.sum()
    masked_scores = torch.where(mask, scores.double(), torch.full_like(scores.double(), -float("inf")))
    best = masked_scores.argmax(-1, keepdim=True)
    masked_labels = torch.where(mask, labels.double(), torch.full_like(labels.double(), -float("inf")))
    top1 = (masked_labels.gather(-1, best).squeeze(-1) == masked_labels.amax(-1)).float()
    has_items = mask.any(-1)

    def mean(values, ok):
        return (values[ok].mean().item() if ok.any() else 0.0)

    return {"kendall_tau": mean(tau, tau_ok), "ndcg": mean(gain, gain_ok),
            "pair_accuracy": (right.sum() / n_ordered).item() if n_ordered > 0 else 0.0,
            "top1_accuracy": mean(top1, has_items), "n_lists": int(has_items.sum())}
