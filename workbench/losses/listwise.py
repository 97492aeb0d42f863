"""Listwise ranking losses over K scored responses per prompt.

Shapes: ``scores`` and ``labels`` are ``(B, K)``; ``mask`` is ``(B, K)`` bool with
True for real items (padding False). ``labels`` are graded preferences: higher
is better, equal values are ties. ``reduction="none"`` returns ``(B,)``: each
list's full negative log-likelihood (summed over places, not divided by K-1);
``"mean"`` averages over lists that hold at least one real item; a fully
masked row contributes exactly 0.

Every log-sum-exp is computed as such (``logcumsumexp`` or a max-shifted
cumulative sum that falls back to it, ``logsumexp``, ``logaddexp``), with no
epsilon inside a logarithm: adding ``eps`` to a sum of
exponentials (as some popular ListMLE code does) makes the loss and its
gradient wrong once the scores of one list spread more than ~23 nats, because
``exp(-23)`` is already below a typical ``eps`` of 1e-10. Padding is filled with
a finite value far below the row's real scores, so it adds exactly nothing and
never produces ``-inf - -inf``.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from ._checks import check_labels, check_mask, check_reduction, check_tensor, fill_masked, reduce
from ._ties import exact_tie_groups_nll, group_structure

TIE_METHODS = ("breslow", "efron", "exact")


def _check_list_inputs(scores, labels, mask, reduction):
    check_tensor(scores, "scores", ndim=2, floating=True)
    mask = check_mask(mask, scores, "scores")
    labels = check_labels(labels, scores, mask)
    check_reduction(reduction)
    return labels, mask


def _top_k_limit(top_k, scores):
    """``(B, 1)`` number of leading places that count, from an int, a ``(B,)`` tensor or None."""
    batch, size = scores.shape
    if top_k is None:
        return torch.full((batch, 1), size, device=scores.device)
    if isinstance(top_k, torch.Tensor):
        if top_k.shape != (batch,) or top_k.is_floating_point():
            raise ValueError(f"top_k tensor must be integer of shape ({batch},), got "
                             f"{top_k.dtype} {tuple(top_k.shape)}")
        if (top_k < 1).any():
            raise ValueError("top_k must be >= 1 in every row")
        return top_k.to(scores.device).unsqueeze(-1)
    if isinstance(top_k, bool) or not isinstance(top_k, int) or top_k < 1:
        raise ValueError(f"top_k must be a positive int, an integer tensor of shape (B,), or None; got {top_k!r}")
    return torch.full((batch, 1), top_k, device=scores.device)


def _sort_by_labels(scores, labels, mask):
    """Reorder each row so real items come first by label, best first (stable for ties)."""
    key = labels.masked_fill(~mask, float("-inf"))
    order = torch.sort(key, dim=-1, descending=True, stable=True).indices
    return scores.gather(-1, order), labels.gather(-1, order), mask.gather(-1, order)


# A suffix sum of exp(s - row max) above this is exact to float rounding: the
# terms that underflowed to 0 (< 1e-38 in float32) are a relative 1e-8 of it.
_SHIFTED_SUM_FLOOR = 1e-30


def suffix_logsumexp(s, mask):
    r"""``out[:, j] = log sum_{l >= j} exp(s[:, l])`` for every place ``j`` (the PL denominators).

    Fast path: shift each row by its maximum, ``exp``, a reversed ``cumsum``, ``log``.
    That is exact as long as no real place's suffix sum underflows, i.e. unless a
    tail of the list sits more than ~69 nats below the row's best score; then (and
    for half precisions) it falls back to ``torch.logcumsumexp``, exact everywhere
    but 4-6x slower to differentiate on CPU at K >= 32. Padded places (``mask``
    False) may have an empty sum: they are clamped to a finite value, which no
    loss reads and which gets zero gradient.
    """
    if s.dtype in (torch.float32, torch.float64) and s.shape[-1] > 0:
        top = s.detach().amax(dim=-1, keepdim=True)
        shifted = torch.exp(s - top).flip(-1).cumsum(dim=-1).flip(-1)
        if bool(((shifted.detach() > _SHIFTED_SUM_FLOOR) | ~mask).all()):
            return torch.log(shifted.clamp_min(_SHIFTED_SUM_FLOOR)) + top
    return torch.logcumsumexp(s.flip(-1), dim=-1).flip(-1)


def plackett_luce(scores, labels, *, mask=None, top_k=None, ties="breslow", max_exact_group=8,
                  reduction="mean"):
    r"""Plackett-Luce negative log-likelihood of the ranking given by ``labels`` (ListMLE).

    Sort each list by ``labels`` (best first) into :math:`\pi`; the ranking's
    probability is a sequence of softmax choices among the items still left:

    .. math::
        \ell = -\log P(\pi \mid s) = \sum_{j=1}^{k}
               \Big[\log \sum_{l \ge j} e^{s_{\pi_l}} - s_{\pi_j}\Big]

    Plackett (1975), Luce (1959); as a learning-to-rank loss, ListMLE (Xia et
    al. 2008). ``k`` is ``top_k`` (partial rankings: only the best ``k`` places
    were observed; the rest still appear in every denominator) or the number
    of real items. With ``K = 2`` and no ties it equals ``bradley_terry``.

    Ties (items with equal labels, a tied group :math:`G` that starts when the
    set :math:`R` is left) are scored by ``ties=``:

    - ``"breslow"`` (Breslow 1974): every member of :math:`G` shares the
      denominator of the whole remaining set,
      :math:`\sum_{i\in G}\big[\log\sum_{l\in R} e^{s_l} - s_i\big]`. Cheap and
      vectorised; over-counts the denominator, so it slightly underrates
      rankings with large tied groups.
    - ``"efron"`` (Efron 1977): the :math:`m`-th member (0-based) of a group of
      size :math:`g` sees :math:`\sum_R e^{s} - \frac{m}{g}\sum_G e^{s}`: an
      average over the orders in which the group could have been drawn.
      Vectorised, closer to exact.
    - ``"exact"``: the tied-set likelihood, the probability that the members
      of :math:`G` take the next :math:`|G|` places in *any* order, summed
      over all :math:`|G|!` orders by a dynamic programme over the
      :math:`2^{|G|}` subsets of :math:`G`; for groups up to
      ``max_exact_group`` items. A group that starts inside the top ``k``
      counts whole.

    Without ties all three equal the textbook loss.

    Args:
        scores: ``(B, K)`` float rewards.
        labels: ``(B, K)`` graded preferences (higher better, equal = tie).
        mask: ``(B, K)`` bool or None.
        top_k: None, an int, or a ``(B,)`` integer tensor.
    """
    labels, mask = _check_list_inputs(scores, labels, mask, reduction)
    if ties not in TIE_METHODS:
        raise ValueError(f"ties must be one of {TIE_METHODS}, got {ties!r}")
    limit = _top_k_limit(top_k, scores)
    s, y, m = _sort_by_labels(scores, labels, mask)
    if not bool(m.all()):
        s = fill_masked(s, m)
    # suffix[:, j] = log sum_{l >= j} exp(s_l): the denominator of place j.
    suffix = suffix_logsumexp(s, m)
    places = torch.arange(s.shape[-1], device=s.device)
    counts = m & (places < limit)
    has_ties = bool(((y[:, 1:] == y[:, :-1]) & m[:, 1:] & m[:, :-1]).any())
    if not has_ties:  # every method reduces to the textbook sum
        per_list = torch.where(counts, suffix - s, torch.zeros_like(s)).sum(dim=-1)
        return reduce(per_list, reduction, valid=mask.any(dim=-1))
    groups = group_structure(y, m, s if ties == "efron" else None)
    if ties == "breslow":
        terms = suffix.gather(-1, groups.start) - s
    elif ties == "efron":
        terms = _efron_terms(s, suffix, groups)
    else:
        terms = suffix - s
        in_big_group = groups.size > 1
        counts = counts & ~in_big_group
    per_list = torch.where(counts, terms, torch.zeros_like(terms)).sum(dim=-1)
    if ties == "exact":
        per_list = per_list + exact_tie_groups_nll(s, suffix, groups, m, limit, max_exact_group)
    return reduce(per_list, reduction, valid=mask.any(dim=-1))


def _efron_terms(s, suffix, groups):
    """Per-place Efron terms: log(sum_R e^s - (m/g) sum_G e^s) - s_i, in log space."""
    log_rest = suffix.gather(-1, groups.start)
    ratio = torch.exp(groups.logsumexp - log_rest)  # <= 1: G is part of R
    fraction = groups.index_in_group.to(s.dtype) / groups.size.to(s.dtype)
    return log_rest + torch.log1p(-fraction * ratio) - s


def listnet(scores, labels, *, mask=None, reduction="mean"):
    r"""ListNet top-one cross-entropy (Cao et al. 2007).

    .. math::
        \ell = -\sum_{i} \operatorname{softmax}(y)_i \, \log \operatorname{softmax}(s)_i

    over the real items of a list. Unlike Plackett-Luce it matches only the
    distribution of the first place, so it is cheaper but ignores most of the
    order below the top.
    """
    labels, mask = _check_list_inputs(scores, labels, mask, reduction)
    target = torch.softmax(fill_masked(labels, mask), dim=-1)
    log_probs = torch.log_softmax(fill_masked(scores, mask), dim=-1)
    cross = torch.where(mask, -target * log_probs, torch.zeros_like(scores)).sum(dim=-1)
    return reduce(cross, reduction, valid=mask.any(dim=-1))


def _ordered_pairs(labels, mask):
    """``(B, K, K)`` bool: real pairs (i, j) with label_i > label_j."""
    both = mask.unsqueeze(-1) & mask.unsqueeze(-2)
    return both & (labels.unsqueeze(-1) > labels.unsqueeze(-2))


def ranknet(scores, labels, *, mask=None, reduction="mean"):
    r"""RankNet (Burges et al. 2005): logistic loss over every ordered pair of a list.

    .. math::
        \ell = \sum_{(i,j):\, y_i > y_j} \log\big(1 + e^{-(s_i - s_j)}\big)

    Tied pairs carry no preference and are skipped. A list of K items with
    distinct labels gives K(K-1)/2 Bradley-Terry terms.
    """
    labels, mask = _check_list_inputs(scores, labels, mask, reduction)
    pairs = _ordered_pairs(labels, mask)
    difference = scores.unsqueeze(-1) - scores.unsqueeze(-2)
    per_pair = torch.where(pairs, F.softplus(-difference), torch.zeros_like(difference))
    return reduce(per_pair.sum(dim=(-1, -2)), reduction, valid=mask.any(dim=-1))


def _discounts(order_keys, mask, top_k):
    """``1/log2(2 + rank)`` of each item when its row is sorted by ``order_keys`` (0 past top_k)."""
    key = order_keys.detach().masked_fill(~mask, float("-inf"))
    order = torch.sort(key, dim=-1, descending=True, stable=True).indices
    ranks = torch.argsort(order, dim=-1)
    discount = 1.0 / torch.log2(ranks.to(order_keys.dtype) + 2.0)
    if top_k is not None:
        discount = torch.where(ranks < top_k, discount, torch.zeros_like(discount))
    return torch.where(mask, discount, torch.zeros_like(discount))


def lambdarank(scores, labels, *, mask=None, top_k=None, reduction="mean"):
    r"""LambdaRank: RankNet pairs weighted by the NDCG change of swapping them.

    .. math::
        \ell = \sum_{(i,j):\, y_i > y_j} |\Delta\mathrm{NDCG}_{ij}|\,
               \log\big(1 + e^{-(s_i - s_j)}\big), \qquad
        |\Delta\mathrm{NDCG}_{ij}| = \frac{|G_i - G_j|\,|D_i - D_j|}{\mathrm{IDCG}}

    with gains :math:`G = 2^{y - \min y} - 1` (labels shifted so the lowest real
    label has gain 0), discounts :math:`D = 1/\log_2(2 + \text{rank})` by the
    current (detached) scores (rank 0-based), zero past ``top_k`` for NDCG@k.
    Burges et al. (2006), "Learning to Rank with Nonsmooth Cost Functions"; the
    weighted-loss form follows Wang et al. (2018), "The LambdaLoss Framework".

    Exponential gains, the NDCG of Burges et al. (2005) and of LightGBM's and
    XGBoost's lambdarank, so the weights match the literature on small integer
    grades. The NDCG that :func:`workbench.training.metrics.ndcg` reports uses
    *linear* gains :math:`y - \min y` instead: evaluation labels may be real-valued
    utilities on any scale, where :math:`2^y` would mostly reward the single best
    item (and overflows float32 for label spreads above ~128). The discounts are
    the same. So a lambdarank run optimises a top-heavier NDCG than the one logged.
    """
    labels, mask = _check_list_inputs(scores, labels, mask, reduction)
    if top_k is not None and (isinstance(top_k, bool) or not isinstance(top_k, int) or top_k < 1):
        raise ValueError(f"top_k must be a positive int or None, got {top_k!r}")
    lowest = labels.masked_fill(~mask, float("inf")).amin(dim=-1, keepdim=True)
    lowest = torch.where(torch.isinf(lowest), torch.zeros_like(lowest), lowest)
    gains = torch.where(mask, torch.exp2(labels - lowest) - 1.0, torch.zeros_like(labels))
    discount = _discounts(scores, mask, top_k)
    ideal = (torch.sort(gains, dim=-1, descending=True).values
             * _discounts(gains, mask, top_k).sort(dim=-1, descending=True).values).sum(-1, keepdim=True)
    weight = ((gains.unsqueeze(-1) - gains.unsqueeze(-2)).abs()
              * (discount.unsqueeze(-1) - discount.unsqueeze(-2)).abs())
    weight = weight / ideal.unsqueeze(-1).clamp(min=torch.finfo(scores.dtype).tiny)
    pairs = _ordered_pairs(labels, mask)
    difference = scores.unsqueeze(-1) - scores.unsqueeze(-2)
    per_pair = torch.where(pairs, weight * F.softplus(-difference), torch.zeros_like(difference))
    return reduce(per_pair.sum(dim=(-1, -2)), reduction, valid=mask.any(dim=-1))
