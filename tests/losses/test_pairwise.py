import math

import pytest
import torch

from workbench.losses import bradley_terry, bradley_terry_ties, center_penalty, hinge


def t(*values, dtype=torch.float64):
    return torch.tensor(values, dtype=dtype)


def test_bradley_terry_hand_worked():
    """chosen - rejected = 1 - 0 = 1: -log σ(1) = log(1 + e^-1) = 0.31326."""
    assert float(bradley_terry(t(1.0), t(0.0))) == pytest.approx(math.log1p(math.exp(-1)), abs=1e-12)


def test_bradley_terry_margin_shifts_the_difference():
    """With margin 2, a difference of 1 scores like a difference of -1: log(1 + e) = 1.31326."""
    value = bradley_terry(t(1.0), t(0.0), margin=t(2.0))
    assert float(value) == pytest.approx(math.log1p(math.e), abs=1e-12)


def test_bradley_terry_reductions_and_batch():
    chosen, rejected = t(1.0, 0.0, -2.0), t(0.0, 0.0, 1.0)
    none = bradley_terry(chosen, rejected, reduction="none")
    expected = [math.log1p(math.exp(-1)), math.log(2), math.log1p(math.exp(3))]
    assert none.tolist() == pytest.approx(expected, abs=1e-12)
    assert float(bradley_terry(chosen, rejected, reduction="sum")) == pytest.approx(sum(expected))
    assert float(bradley_terry(chosen, rejected)) == pytest.approx(sum(expected) / 3)


def test_pairwise_mask_drops_pairs_from_sum_and_mean():
    chosen, rejected = t(1.0, 5.0, -2.0), t(0.0, 0.0, 1.0)
    mask = torch.tensor([True, False, True])
    kept = bradley_terry(chosen[[0, 2]], rejected[[0, 2]])
    assert float(bradley_terry(chosen, rejected, mask=mask)) == pytest.approx(float(kept))
    all_masked = bradley_terry(chosen, rejected, mask=torch.zeros(3, dtype=torch.bool))
    assert float(all_masked) == 0.0


def test_bradley_terry_exact_at_extreme_scores():
    chosen = torch.tensor([1e4, -1e4], requires_grad=True)
    rejected = torch.tensor([-1e4, 1e4], requires_grad=True)
    value = bradley_terry(chosen, rejected, reduction="none")
    assert value.tolist() == [0.0, 2e4]
    value.sum().backward()
    assert torch.isfinite(chosen.grad).all() and chosen.grad.tolist() == [0.0, -1.0]


def test_hinge_hand_worked():
    """m = 1: difference 0.25 -> 0.75; difference 2 -> 0 (separated, no gradient)."""
    assert hinge(t(0.25, 2.0), t(0.0, 0.0), reduction="none").tolist() == [0.75, 0.0]
    assert hinge(t(0.25), t(0.0), margin=0.5).item() == pytest.approx(0.25)


def test_rao_kupper_hand_worked_and_probabilities_sum_to_one():
    """theta = 2, d = 0: P(win) = σ(-log 2) = 1/3; P(tie) = 3 * 1/3 * 1/3 = 1/3."""
    zero = t(0.0)
    win = bradley_terry_ties(zero, zero, tie=torch.tensor([False]), theta=2.0)
    tie = bradley_terry_ties(zero, zero, tie=torch.tensor([True]), theta=2.0)
    assert float(win) == pytest.approx(math.log(3))
    assert float(tie) == pytest.approx(math.log(3))
    for d in (-3.0, 0.5, 4.0):
        p = [math.exp(-float(bradley_terry_ties(t(a), t(b), tie=torch.tensor([tie_flag]), theta=1.7)))
             for a, b, tie_flag in ((d, 0.0, False), (0.0, d, False), (d, 0.0, True))]
        assert sum(p) == pytest.approx(1.0, abs=1e-12)


def test_davidson_hand_worked_and_probabilities_sum_to_one():
    """nu = 1, d = 0: P(win) = 1/(1+1+1) = 1/3 and P(tie) = 1/3."""
    zero = t(0.0)
    assert float(bradley_terry_ties(zero, zero, tie=torch.tensor([True]), method="davidson", nu=1.0)) == pytest.approx(math.log(3))
    for d in (-3.0, 0.5, 4.0):
        p = [math.exp(-float(bradley_terry_ties(t(a), t(b), tie=torch.tensor([flag]), method="davidson", nu=0.8)))
             for a, b, flag in ((d, 0.0, False), (0.0, d, False), (d, 0.0, True))]
        assert sum(p) == pytest.approx(1.0, abs=1e-12)


@pytest.mark.parametrize("method", ["rao_kupper", "davidson"])
def test_tie_likelihood_is_symmetric(method):
    a, b = torch.randn(8, dtype=torch.float64), torch.randn(8, dtype=torch.float64)
    tie = torch.ones(8, dtype=torch.bool)
    forward = bradley_terry_ties(a, b, tie=tie, method=method, reduction="none")
    backward = bradley_terry_ties(b, a, tie=tie, method=method, reduction="none")
    assert torch.allclose(forward, backward)


@pytest.mark.parametrize("method", ["rao_kupper", "davidson"])
def test_ties_finite_at_extreme_scores(method):
    chosen = torch.tensor([1e4, -1e4, 1e4], requires_grad=True)
    rejected = torch.tensor([-1e4, 1e4, -1e4])
    tie = torch.tensor([False, False, True])
    value = bradley_terry_ties(chosen, rejected, tie=tie, method=method)
    value.backward()
    assert torch.isfinite(value) and torch.isfinite(chosen.grad).all()


@pytest.mark.parametrize("loss", [bradley_terry, hinge])
def test_pairwise_gradcheck(loss):
    chosen = torch.randn(5, dtype=torch.float64, requires_grad=True)
    rejected = torch.randn(5, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda c, r: loss(c, r), (chosen, rejected))


def test_ties_gradcheck_including_parameters():
    chosen = torch.randn(6, dtype=torch.float64, requires_grad=True)
    rejected = torch.randn(6, dtype=torch.float64, requires_grad=True)
    theta = torch.tensor(1.8, dtype=torch.float64, requires_grad=True)
    tie = torch.tensor([True, False] * 3)
    assert torch.autograd.gradcheck(lambda c, r, th: bradley_terry_ties(c, r, tie=tie, theta=th), (chosen, rejected, theta))
    nu = torch.tensor(0.6, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda c, r, n: bradley_terry_ties(c, r, tie=tie, method="davidson", nu=n), (chosen, rejected, nu))


def test_center_penalty_pairwise_and_listwise_agree_at_k2():
    """(1 + 3)^2 = 16 and (-1 + 1)^2 = 0: mean 8."""
    chosen, rejected = t(1.0, -1.0), t(3.0, 1.0)
    assert float(center_penalty(chosen, rejected)) == pytest.approx(8.0)
    assert float(center_penalty(torch.stack([chosen, rejected], dim=1))) == pytest.approx(8.0)
    masked = center_penalty(torch.stack([chosen, rejected], 1), mask=torch.zeros(2, 2, dtype=torch.bool))
    assert float(masked) == 0.0


@pytest.mark.parametrize("bad", [
    lambda: bradley_terry(torch.zeros(3), torch.zeros(4)),
    lambda: bradley_terry(torch.zeros(3, 1), torch.zeros(3, 1)),
    lambda: bradley_terry(torch.zeros(3, dtype=torch.long), torch.zeros(3, dtype=torch.long)),
    lambda: bradley_terry([1.0], [0.0]),
    lambda: bradley_terry(torch.zeros(3), torch.zeros(3), margin=torch.zeros(2)),
    lambda: bradley_terry(torch.zeros(3), torch.zeros(3), reduction="avg"),
    lambda: bradley_terry(torch.zeros(3), torch.zeros(3), mask=torch.ones(3)),
    lambda: bradley_terry_ties(torch.zeros(2), torch.zeros(2), tie=torch.tensor([1, 0])),
    lambda: bradley_terry_ties(torch.zeros(2), torch.zeros(2), tie=torch.tensor([True, False]), theta=1.0),
    lambda: bradley_terry_ties(torch.zeros(2), torch.zeros(2), tie=torch.tensor([True, False]), method="glenn"),
])
def test_bad_inputs_raise_value_error(bad):
    with pytest.raises(ValueError):
        bad()
