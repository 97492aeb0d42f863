import itertools
import math

import pytest
import torch

from workbench.losses import bradley_terry, lambdarank, listnet, plackett_luce, ranknet

LISTWISE = [plackett_luce, listnet, ranknet, lambdarank]


def textbook_plackett_luce(scores, labels):
    """The seed code: sort by label, then loop over places with logsumexp."""
    losses = []
    for row_scores, row_labels in zip(scores, labels):
        ordered = row_scores[torch.argsort(-row_labels, stable=True)]
        losses.append(sum(torch.logsumexp(ordered[j:], 0) - ordered[j] for j in range(len(ordered))))
    return torch.stack(losses)


def brute_force_tied_nll(scores, groups):
    """-log P(each group takes its places in any order), summing all |G|! orders."""
    total, remaining = 0.0, list(range(len(scores)))
    for group in groups:
        probability = 0.0
        for order in itertools.permutations(group):
            left, log_p = list(remaining), 0.0
            for item in order:
                log_p += float(scores[item] - torch.logsumexp(scores[left], 0))
                left.remove(item)
            probability += math.exp(log_p)
        total -= math.log(probability)
        remaining = [r for r in remaining if r not in group]
    return total


def test_plackett_luce_hand_worked():
    """scores (2, 1, 0) ranked in that order:
    [log(e^2+e^1+e^0) - 2] + [log(e^1+e^0) - 1] + 0 = 0.40761 + 0.31326 = 0.72087."""
    value = plackett_luce(torch.tensor([[2.0, 1.0, 0.0]], dtype=torch.float64), torch.tensor([[3, 2, 1]]))
    expected = math.log(math.exp(2) + math.e + 1) - 2 + math.log(math.e + 1) - 1
    assert float(value) == pytest.approx(expected, abs=1e-12)


def test_plackett_luce_matches_textbook_loop():
    torch.manual_seed(0)
    scores = torch.randn(16, 7, dtype=torch.float64) * 3
    labels = torch.stack([torch.randperm(7) for _ in range(16)]).to(torch.float64)
    expected = textbook_plackett_luce(scores, labels)
    for ties in ("breslow", "efron", "exact"):
        assert torch.allclose(plackett_luce(scores, labels, ties=ties, reduction="none"), expected)


def test_plackett_luce_at_k2_is_bradley_terry():
    torch.manual_seed(1)
    chosen, rejected = torch.randn(10, dtype=torch.float64), torch.randn(10, dtype=torch.float64)
    scores = torch.stack([chosen, rejected], dim=1)
    labels = torch.tensor([[1, 0]] * 10)
    assert torch.allclose(plackett_luce(scores, labels, reduction="none"),
                          bradley_terry(chosen, rejected, reduction="none"))


def test_mask_equals_unpadded():
    torch.manual_seed(2)
    rows = [torch.randn(k, dtype=torch.float64) for k in (2, 5, 3)]
    labels = [torch.randperm(len(r)).to(torch.float64) for r in rows]
    scores = torch.full((3, 5), 123.0, dtype=torch.float64)
    padded_labels = torch.full((3, 5), 99.0, dtype=torch.float64)  # padding labels must not matter
    mask = torch.zeros(3, 5, dtype=torch.bool)
    for i, (r, y) in enumerate(zip(rows, labels)):
        scores[i, : len(r)], padded_labels[i, : len(r)], mask[i, : len(r)] = r, y, True
    for loss in LISTWISE:
        padded = loss(scores, padded_labels, mask=mask, reduction="none")
        alone = torch.cat([loss(r[None], y[None], reduction="none") for r, y in zip(rows, labels)])
        assert torch.allclose(padded, alone), loss.__name__


@pytest.mark.parametrize("loss", LISTWISE)
def test_fully_masked_row_is_zero_with_finite_gradient(loss):
    scores = torch.randn(3, 4, dtype=torch.float64, requires_grad=True)
    labels = torch.tensor([[3, 2, 1, 0]] * 3)
    mask = torch.tensor([[True] * 4, [False] * 4, [True, True, False, False]])
    per_list = loss(scores, labels, mask=mask, reduction="none")
    assert per_list[1] == 0.0
    mean = loss(scores, labels, mask=mask)
    assert float(mean.detach()) == pytest.approx(float(per_list[[0, 2]].detach().mean()))
    mean.backward()
    assert torch.isfinite(scores.grad).all() and (scores.grad[1] == 0).all()
    assert float(loss(scores, labels, mask=torch.zeros(3, 4, dtype=torch.bool)).detach()) == 0.0


def test_top_k_counts_only_the_first_places():
    """top_k=1 on scores (2, 1, 0): only log(e^2+e^1+e^0) - 2 = 0.40761."""
    scores = torch.tensor([[2.0, 1.0, 0.0]], dtype=torch.float64)
    value = plackett_luce(scores, torch.tensor([[3, 2, 1]]), top_k=1)
    assert float(value) == pytest.approx(math.log(math.exp(2) + math.e + 1) - 2)
    # top_k >= K is the full ranking; per-row top_k as a tensor
    full = plackett_luce(scores, torch.tensor([[3, 2, 1]]))
    assert float(plackett_luce(scores, torch.tensor([[3, 2, 1]]), top_k=5)) == pytest.approx(float(full))
    both = plackett_luce(scores.repeat(2, 1), torch.tensor([[3, 2, 1]] * 2), top_k=torch.tensor([1, 3]), reduction="none")
    assert both.tolist() == pytest.approx([math.log(math.exp(2) + math.e + 1) - 2, float(full)])


def test_partial_ranking_with_unranked_tail_ignores_tail_order():
    """A top-2 ranking whose tail is tied: the tail's scores only enter denominators."""
    scores = torch.tensor([[1.0, 0.5, -1.0, 3.0]], dtype=torch.float64)
    labels = torch.tensor([[2, 1, 0, 0]])
    for ties in ("breslow", "efron", "exact"):
        value = plackett_luce(scores, labels, top_k=2, ties=ties)
        expected = (torch.logsumexp(scores[0], 0) - 1.0) + (torch.logsumexp(scores[0, 1:], 0) - 0.5)
        assert float(value) == pytest.approx(float(expected))


def test_exact_ties_match_brute_force_over_orders():
    torch.manual_seed(3)
    scores = torch.randn(6, dtype=torch.float64) * 2
    labels = torch.tensor([[2, 2, 1, 1, 1, 0]])
    expected = brute_force_tied_nll(scores, [[0, 1], [2, 3, 4], [5]])
    assert float(plackett_luce(scores[None], labels, ties="exact")) == pytest.approx(expected, abs=1e-10)


def test_breslow_hand_worked_tie():
    """Scores (1, 0) tied: Breslow charges each the whole pair's denominator:
    2 * log(e^1 + e^0) - 1 - 0 = 1.62652."""
    value = plackett_luce(torch.tensor([[1.0, 0.0]], dtype=torch.float64), torch.tensor([[1, 1]]))
    assert float(value) == pytest.approx(2 * math.log(math.e + 1) - 1)


def test_efron_hand_worked_tie_before_a_third_item():
    """Scores (1, 0 | -1), first two tied. R = {all}, G = first two:
    [log(S_R) - 1] + [log(S_R - S_G/2) - 0], S_R = e + 1 + 1/e, S_G = e + 1."""
    value = plackett_luce(torch.tensor([[1.0, 0.0, -1.0]], dtype=torch.float64), torch.tensor([[1, 1, 0]]), ties="efron")
    s_r, s_g = math.e + 1 + math.exp(-1), math.e + 1
    assert float(value) == pytest.approx(math.log(s_r) - 1 + math.log(s_r - s_g / 2))


@pytest.mark.parametrize("ties", ["breslow", "efron", "exact"])
def test_tie_handling_is_symmetric_within_a_group(ties):
    """Swapping the scores of two tied items cannot change the loss."""
    scores = torch.tensor([[0.3, -1.2, 2.0, 0.7]], dtype=torch.float64)
    labels = torch.tensor([[1, 1, 3, 0]])
    swapped = scores[:, [1, 0, 2, 3]]
    assert float(plackett_luce(scores, labels, ties=ties)) == pytest.approx(float(plackett_luce(swapped, labels, ties=ties)))


def test_exact_group_size_limit_raises():
    with pytest.raises(ValueError, match="efron"):
        plackett_luce(torch.zeros(1, 10), torch.zeros(1, 10), ties="exact")


@pytest.mark.parametrize("ties,expected", [
    ("breslow", 3e4 + 2 * math.log(2)), ("efron", 3e4 + math.log(2)), ("exact", 2e4 + 2 * math.log(2)),
])
def test_plackett_luce_exact_at_extreme_scores(ties, expected):
    """Scores 2e4 apart (a log(x + eps) implementation is wrong here). Best first:
    -1e4, then 1e4, then the tied group {0, 1e4} that ends the list.
    Place 1: lse(all) + 1e4 = 2e4 + log 2. Place 2: lse(1e4, 0, 1e4) - 1e4 = log 2.
    Tied tail: Breslow (1e4 - 0) + (1e4 - 1e4) = 1e4; Efron (1e4 - 0) + (log(e^1e4/2) - 1e4)
    = 1e4 - log 2; exact: the last group takes the last places with probability 1 -> 0."""
    scores = torch.tensor([[-1e4, 1e4, 0.0, 1e4]], requires_grad=True)
    labels = torch.tensor([[3, 2, 1, 1]])
    value = plackett_luce(scores, labels, ties=ties)
    value.backward()
    assert torch.isfinite(scores.grad).all()
    assert float(value.detach()) == pytest.approx(expected, rel=1e-6)


def test_plackett_luce_large_spread_matches_float64_reference():
    """Spread of 60 nats: exact against the float64 textbook loop in float32."""
    scores = torch.tensor([[30.0, -30.0, 0.0, 10.0]])
    labels = torch.tensor([[0, 3, 2, 1]])
    expected = textbook_plackett_luce(scores.double(), labels.double())
    assert float(plackett_luce(scores, labels)) == pytest.approx(float(expected), rel=1e-6)


@pytest.mark.parametrize("loss", LISTWISE)
def test_listwise_finite_gradients_at_extreme_scores(loss):
    scores = (torch.rand(4, 6) * 2e4 - 1e4).requires_grad_()
    labels = torch.randint(0, 3, (4, 6))
    value = loss(scores, labels)
    value.backward()
    assert torch.isfinite(value) and torch.isfinite(scores.grad).all()


@pytest.mark.parametrize("loss,kwargs", [
    (plackett_luce, {"ties": "breslow"}), (plackett_luce, {"ties": "efron"}), (plackett_luce, {"ties": "exact"}),
    (plackett_luce, {"top_k": 2}), (listnet, {}), (ranknet, {}), (lambdarank, {}), (lambdarank, {"top_k": 3}),
])
def test_listwise_gradcheck(loss, kwargs):
    torch.manual_seed(4)
    scores = torch.randn(3, 5, dtype=torch.float64, requires_grad=True)
    labels = torch.tensor([[4, 3, 2, 1, 0], [1, 1, 0, 2, 2], [0, 0, 1, 1, 1]], dtype=torch.float64)
    mask = torch.tensor([[True] * 5, [True] * 5, [True, True, True, True, False]])
    assert torch.autograd.gradcheck(lambda s: loss(s, labels, mask=mask, **kwargs), (scores,))


def test_listnet_hand_worked():
    """Labels (1, 0) -> target (e/(e+1), 1/(e+1)); scores (0, 0) -> log 1/2 each: loss = log 2."""
    value = listnet(torch.zeros(1, 2, dtype=torch.float64), torch.tensor([[1.0, 0.0]]))
    assert float(value) == pytest.approx(math.log(2))


def test_ranknet_hand_worked_counts_every_ordered_pair():
    """Scores (0, 0, 0), labels (2, 1, 0): three pairs, each log 2; ties are skipped."""
    zeros = torch.zeros(1, 3, dtype=torch.float64)
    assert float(ranknet(zeros, torch.tensor([[2, 1, 0]]))) == pytest.approx(3 * math.log(2))
    assert float(ranknet(zeros, torch.tensor([[1, 1, 0]]))) == pytest.approx(2 * math.log(2))


def test_lambdarank_hand_worked():
    """Labels (1, 0), scores (0, 1): gains (1, 0); ranks by score: item 1 first.
    |ΔNDCG| = |1-0| * |1/log2(3) - 1| / IDCG(=1) = 0.36907; loss = 0.36907 * log(1 + e)."""
    value = lambdarank(torch.tensor([[0.0, 1.0]], dtype=torch.float64), torch.tensor([[1.0, 0.0]]))
    assert float(value) == pytest.approx((1 - 1 / math.log2(3)) * math.log1p(math.e))


def test_lambdarank_top_k_ignores_swaps_below_the_cut():
    """Only the last two items are misordered, every other pair is separated by >= 39 nats
    (softplus(-39) ~ 1e-17). NDCG@4 charges that swap; NDCG@2 cannot see it, so ~0."""
    scores = torch.tensor([[100.0, 60.0, 0.0, 1.0]], dtype=torch.float64)
    labels = torch.tensor([[3.0, 2.0, 1.0, 0.0]])
    assert float(lambdarank(scores, labels)) > 1e-3
    assert float(lambdarank(scores, labels, top_k=2)) < 1e-12


@pytest.mark.parametrize("bad", [
    lambda: plackett_luce(torch.zeros(2, 3), torch.zeros(2, 4)),
    lambda: plackett_luce(torch.zeros(3), torch.zeros(3)),
    lambda: plackett_luce(torch.zeros(2, 3, dtype=torch.long), torch.zeros(2, 3)),
    lambda: plackett_luce(torch.zeros(2, 3), torch.zeros(2, 3), mask=torch.ones(2, 3)),
    lambda: plackett_luce(torch.zeros(2, 3), torch.zeros(2, 3), ties="random"),
    lambda: plackett_luce(torch.zeros(2, 3), torch.zeros(2, 3), top_k=0),
    lambda: plackett_luce(torch.zeros(2, 3), torch.zeros(2, 3), top_k=torch.tensor([1])),
    lambda: plackett_luce(torch.zeros(2, 3), torch.tensor([[1.0, float("nan"), 0.0], [0, 1, 2]])),
    lambda: listnet(torch.zeros(2, 3), torch.zeros(2, 3, dtype=torch.bool)),
    lambda: ranknet(torch.zeros(2, 3), torch.zeros(2, 3), reduction="avg"),
    lambda: lambdarank(torch.zeros(2, 3), torch.zeros(2, 3), top_k=1.5),
])
def test_bad_inputs_raise_value_error(bad):
    with pytest.raises(ValueError):
        bad()


def test_nan_label_under_padding_is_allowed():
    scores = torch.zeros(1, 3)
    labels = torch.tensor([[1.0, 0.0, float("nan")]])
    mask = torch.tensor([[True, True, False]])
    assert torch.isfinite(plackett_luce(scores, labels, mask=mask))


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("spread", [3.0, 40.0, 200.0, 2e4])
def test_suffix_logsumexp_matches_logcumsumexp_and_its_gradient(dtype, spread):
    """The max-shifted cumsum (small spreads) and its logcumsumexp fallback (a tail far
    below the best score) both give logcumsumexp's values and gradients, padding included."""
    from workbench.losses.listwise import suffix_logsumexp

    torch.manual_seed(0)
    scores = ((torch.rand(6, 9, dtype=dtype) - 0.5) * spread).requires_grad_()
    mask = torch.ones(6, 9, dtype=torch.bool)
    mask[1, 5:] = False
    weights = torch.randn(6, 9, dtype=dtype)
    ours = suffix_logsumexp(scores, mask)
    (ours * weights * mask).sum().backward()
    ours_grad, scores.grad = scores.grad.clone(), None
    reference = torch.logcumsumexp(scores.flip(-1), dim=-1).flip(-1)
    (reference * weights * mask).sum().backward()
    tolerance = 1e-6 if dtype == torch.float32 else 1e-12
    assert torch.allclose(ours[mask], reference[mask], rtol=tolerance, atol=tolerance * spread)
    assert torch.allclose(ours_grad, scores.grad, rtol=1e-4, atol=tolerance * 10)
    assert torch.isfinite(ours).all()


def test_suffix_logsumexp_padding_after_fill_has_zero_gradient():
    """Padded places filled far below the row (as plackett_luce fills them) have an empty
    shifted sum: the value is clamped finite and the gradient there is exactly 0, not NaN."""
    from workbench.losses._checks import fill_masked
    from workbench.losses.listwise import suffix_logsumexp

    mask = torch.tensor([[True, True, False, False]])
    raw = torch.tensor([[1.0, 2.0, 0.0, 0.0]], requires_grad=True)
    filled = fill_masked(raw, mask)
    suffix = suffix_logsumexp(filled, mask)
    torch.where(mask, suffix - filled, torch.zeros_like(suffix)).sum().backward()
    assert torch.isfinite(suffix).all() and torch.isfinite(raw.grad).all()
    assert raw.grad[0, 2:].abs().sum() == 0


def test_suffix_logsumexp_half_precision_uses_the_exact_path():
    from workbench.losses.listwise import suffix_logsumexp

    scores = torch.tensor([[4.0, -60.0, 1.0]], dtype=torch.bfloat16)
    mask = torch.ones(1, 3, dtype=torch.bool)
    assert torch.equal(suffix_logsumexp(scores, mask), torch.logcumsumexp(scores.flip(-1), -1).flip(-1))
