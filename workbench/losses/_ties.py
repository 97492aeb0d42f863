"""Tied groups in label-sorted lists, and the exact tied-set likelihood.

Inputs are already sorted best-first by label, with padding last (see
``listwise._sort_by_labels``), so a tied group is a run of equal labels.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

from ._checks import FILL_GAP


@dataclass
class Groups:
    """Per place of a sorted ``(B, K)`` list: its tied group's first place,
    size, the place's index within the group, and the group's log-sum-exp."""

    start: torch.Tensor
    size: torch.Tensor
    index_in_group: torch.Tensor
    logsumexp: torch.Tensor | None = None


def group_structure(sorted_labels, sorted_mask, sorted_scores=None) -> Groups:
    """Find runs of equal labels among the real items; every padding place is its own group.

    With ``sorted_scores`` the groups' log-sum-exp is filled in too (Efron needs it)."""
    batch, size = sorted_labels.shape
    places = torch.arange(size, device=sorted_labels.device).expand(batch, size)
    same_as_previous = torch.zeros_like(sorted_mask)
    same_as_previous[:, 1:] = (
        (sorted_labels[:, 1:] == sorted_labels[:, :-1]) & sorted_mask[:, 1:] & sorted_mask[:, :-1]
    )
    new_group = ~same_as_previous
    start = torch.cummax(torch.where(new_group, places, torch.zeros_like(places)), dim=-1).values
    group_id = new_group.long().cumsum(dim=-1) - 1
    group_size = torch.zeros_like(places).scatter_add(-1, group_id, torch.ones_like(places))
    groups = Groups(start=start, size=group_size.gather(-1, group_id), index_in_group=places - start)
    if sorted_scores is not None:
        groups.logsumexp = _group_logsumexp(groups, sorted_scores)
    return groups


def _group_logsumexp(groups: Groups, scores: torch.Tensor) -> torch.Tensor:
    """Log-sum-exp of each place's tied group, by a stable scatter (max, then sum of exp)."""
    new_group = groups.index_in_group == 0
    group_id = new_group.long().cumsum(dim=-1) - 1
    lowest = torch.full_like(scores, torch.finfo(scores.dtype).min)
    peak = lowest.scatter_reduce(-1, group_id, scores.detach(), reduce="amax", include_self=True)
    peak_per_place = peak.gather(-1, group_id)
    summed = torch.zeros_like(scores).scatter_add(-1, group_id, torch.exp(scores - peak_per_place))
    return peak_per_place + torch.log(summed.gather(-1, group_id))


def _subset_masks(size: int, device) -> torch.Tensor:
    """``(2**size, size)`` bool: row b is the subset whose bit i is set."""
    codes = torch.arange(2**size, device=device).unsqueeze(-1)
    return (codes >> torch.arange(size, device=device)) & 1 == 1


def _tied_set_log_prob(group_scores: torch.Tensor, log_rest: torch.Tensor) -> torch.Tensor:
    r"""log P(the g items take the next g places in any order), for n groups at once.

    ``group_scores``: ``(n, g)``; ``log_rest``: ``(n,)``, log-sum-exp of the items
    left *after* the group. With :math:`f(\varnothing) = 1`,

    .. math::
        f(S) = \sum_{i \in S} f(S \setminus i)\,
               \frac{e^{s_i}}{e^{\text{rest}} + \sum_{l \in G \setminus (S \setminus i)} e^{s_l}}

    and the answer is :math:`f(G)`: :math:`g\,2^{g-1}` terms instead of :math:`g!`.
    """
    count, size = group_scores.shape
    members = _subset_masks(size, group_scores.device)  # (2^g, g)
    # Members of T are filled far below the group (exp -> exactly 0, never -inf).
    fill = group_scores.detach().amin(dim=-1, keepdim=True).unsqueeze(1) - FILL_GAP
    expanded = group_scores.unsqueeze(1).expand(-1, 2**size, -1)
    # log-sum-exp of G minus each subset T, combined with the rest: (n, 2^g)
    outside = torch.where(~members.unsqueeze(0), expanded, fill.expand_as(expanded))
    log_left = torch.logaddexp(torch.logsumexp(outside, dim=-1), log_rest.unsqueeze(-1))
    log_f = [torch.zeros(count, dtype=group_scores.dtype, device=group_scores.device)]
    for code in range(1, 2**size):
        terms = [log_f[code ^ (1 << i)] + group_scores[:, i] - log_left[:, code ^ (1 << i)]
                 for i in range(size) if code >> i & 1]
        log_f.append(torch.logsumexp(torch.stack(terms), dim=0))
    return log_f[-1]


def exact_tie_groups_nll(scores, suffix, groups: Groups, mask, limit, max_group: int) -> torch.Tensor:
    """``(B,)`` negative log tied-set likelihood summed over every group of two or
    more real items that starts inside the counted places (``limit``: ``(B, 1)``)."""
    batch = scores.shape[0]
    total = torch.zeros(batch, dtype=scores.dtype, device=scores.device)
    heads = (groups.index_in_group == 0) & (groups.size > 1) & mask & (groups.start < limit)
    if not bool(heads.any()):
        return total
    rows, starts = heads.nonzero(as_tuple=True)
    sizes = groups.size[rows, starts]
    biggest = int(sizes.max())
    if biggest > max_group:
        raise ValueError(f"ties='exact' handles tied groups of up to {max_group} items (the cost "
                         f"grows as 2**size); a group of {biggest} was found: use ties='efron' "
                         f"or 'breslow', or raise max_exact_group")
    # Pad the suffix so a group that ends the list sees an empty rest (exp -> 0 exactly).
    floor = suffix.detach().amin(dim=-1, keepdim=True) - FILL_GAP
    padded_suffix = torch.cat([suffix, floor], dim=-1)
    for group_size in sorted(set(sizes.tolist())):
        pick = sizes == group_size
        r, s0 = rows[pick], starts[pick]
        index = s0.unsqueeze(-1) + torch.arange(group_size, device=scores.device)
        group_scores = scores[r.unsqueeze(-1), index]
        log_rest = padded_suffix[r, s0 + group_size]
        nll = -_tied_set_log_prob(group_scores, log_rest)
        total = total.index_add(0, r, nll)
    return total


__all__ = ["Groups", "group_structure", "exact_tie_groups_nll"]
