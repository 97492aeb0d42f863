"""Evaluation metrics as pure tensor functions (no state, no device moves, no logging).

Pairwise, ``chosen``/``rejected`` (B,):
    accuracy     = mean_b [r_c > r_r] (+ 1/2 [r_c = r_r])
    mean_margin  = mean_b (r_c - r_r)
Listwise, ``scores``/``labels``/``mask`` (B, K), per list then averaged over lists
where the metric is defined (a list whose labels are all tied has no ranking):
    kendall_tau  tau-b between scores and labels over the real items (Kendall 1945)
    ndcg         sum_i g_i / log2(1 + rank_i) over the ideal value, gain g_i = l_i - min_j l_j
                 (Jarvelin & Kekalainen 2002, with linear gains so any label scale works;
                 workbench.losses.lambdarank weights pairs by an exponential-gain NDCG, see ndcg)
    pair_accuracy  fraction of label-ordered pairs the scores order the same way
    top1_accuracy  the highest-scored item has the highest label

``pairwise_metrics`` / ``listwise_metrics`` return floats and counts (held-out
evaluation). ``pairwise_metric_tensors`` / ``listwise_metric_tensors`` return the
same quantities as detached 0-dim tensors, for objectives to log every step
without a host sync (``.item()`` waits for the device).
"""
from __future__ import annotations

import torch


def pairwise_metric_tensors(chosen: torch.Tensor, rejected: torch.Tensor,
                            mask: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
    """Accuracy and mean margin of (B,) chosen/rejected rewards as detached 0-dim tensors.

    ``mask`` (B,) bool keeps the pairs that count (a training batch masks its tied
    pairs, which held-out :func:`workbench.training.evaluate` leaves out); both are 0 when
    no pair counts.
    """
    if chosen.shape != rejected.shape or chosen.ndim != 1:
        raise ValueError(f"chosen {tuple(chosen.shape)} and rejected {tuple(rejected.shape)} must be equal (B,)")
    diff = (chosen - rejected).detach().float()
    keep = torch.ones_like(diff, dtype=torch.bool) if mask is None else mask.bool()
    count = keep.sum().clamp_min(1)
    correct = (diff > 0).float() + 0.5 * (diff == 0).float()
    zero = torch.zeros_like(diff)
    return {"accuracy": torch.where(keep, correct, zero).sum() / count,
            "mean_margin": torch.where(keep, diff, zero).sum() / count}


def pairwise_metrics(chosen: torch.Tensor, rejected: torch.Tensor) -> dict[str, float]:
    """Accuracy and mean margin of (B,) chosen/rejected rewards as floats, and the number of pairs."""
    tensors = pairwise_metric_tensors(chosen, rejected)
    return {**{name: value.item() for name, value in tensors.items()}, "n_pairs": int(chosen.numel())}


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
    """Per-list NDCG (B,) over the real items, and a (B,) bool of lists with any non-zero gain.

    Linear gains ``g_i = l_i - min_j l_j`` and discounts ``1 / log2(1 + rank_i)``
    (rank 1-based): invariant to shifting and scaling the labels, so graded labels
    and real-valued utilities on any scale give comparable values.
    :func:`workbench.losses.lambdarank` weights its pairs by the exponential-gain
    NDCG (``2^(l - min l) - 1``, Burges et al. 2005) of the learning-to-rank
    literature instead; on 0/1 labels the two agree, on wider grades lambdarank's
    is top-heavier. The discounts are the same.
    """
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


def listwise_metric_tensors(scores: torch.Tensor, labels: torch.Tensor,
                            mask: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
    """Kendall's tau, NDCG, pairwise and top-1 accuracy of (B, K) scores as detached 0-dim tensors.

    Each is averaged over the lists where it is defined (0 when none is).
    """
    if scores.shape != labels.shape or scores.ndim != 2:
        raise ValueError(f"scores {tuple(scores.shape)} and labels {tuple(labels.shape)} must be equal (B, K)")
    scores, labels = scores.detach(), labels.detach()
    mask = torch.ones_like(scores, dtype=torch.bool) if mask is None else mask.bool()
    tau, tau_ok = kendall_tau(scores, labels, mask)
    gain, gain_ok = ndcg(scores, labels, mask)
    s, real = _pair_signs(scores.double(), mask)
    l, _ = _pair_signs(labels.double(), mask)
    ordered = real & (l != 0)
    right = ((s * l > 0).double() + 0.5 * (s == 0).double()) * ordered
    masked_scores = torch.where(mask, scores.double(), torch.full_like(scores.double(), -float("inf")))
    best = masked_scores.argmax(-1, keepdim=True)
    masked_labels = torch.where(mask, labels.double(), torch.full_like(labels.double(), -float("inf")))
    top1 = (masked_labels.gather(-1, best).squeeze(-1) == masked_labels.amax(-1)).float()

    def mean(values, ok):  # a masked mean, not values[ok]: boolean indexing waits for the device
        return torch.where(ok, values, torch.zeros_like(values)).sum() / ok.sum().clamp_min(1)

    return {"kendall_tau": mean(tau, tau_ok), "ndcg": mean(gain, gain_ok),
            "pair_accuracy": right.sum() / ordered.sum().clamp_min(1),
            "top1_accuracy": mean(top1, mask.any(-1))}


def listwise_metrics(scores: torch.Tensor, labels: torch.Tensor, mask: torch.Tensor | None = None) -> dict:
    """Kendall's tau, NDCG, pairwise and top-1 accuracy of (B, K) scores against graded labels,
    as floats, and the number of lists with a real item."""
    tensors = listwise_metric_tensors(scores, labels, mask)
    has_items = (torch.ones_like(scores, dtype=torch.bool) if mask is None else mask.bool()).any(-1)
    return {**{name: value.item() for name, value in tensors.items()}, "n_lists": int(has_items.sum())}
