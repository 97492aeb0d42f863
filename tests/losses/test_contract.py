"""The contract every registered loss holds (workbench/losses/_checks.py's docstring).

Non-finite scores of a real item raise a ValueError naming the loss and the entry;
empty batches and empty lists give exactly 0 with a gradient; lambdarank's gains
stay finite for any label spread.
"""
import pytest
import torch

from workbench.losses import LOSS_INFO, center_penalty, lambdarank, length_correlation_penalty

NAMES = sorted(LOSS_INFO)


def call(name, scores, labels=None, mask=None, **kw):
    """Call a registered loss on ``(B, K)`` scores (pairwise: column 0 chosen, column 1 rejected)."""
    info = LOSS_INFO[name]
    if info.kind == "listwise":
        if labels is None:
            labels = torch.arange(scores.shape[-1], 0, -1, dtype=scores.dtype).expand_as(scores)
        return info.function(scores, labels, mask=mask, **kw)
    extra = {"tie": torch.zeros(scores.shape[0], dtype=torch.bool)} if info.takes_tie else {}
    pair_mask = None if mask is None else mask[:, 0]
    return info.function(scores[:, 0], scores[:, 1], mask=pair_mask, **extra, **kw)


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), float("-inf")])
@pytest.mark.parametrize("name", NAMES)
def test_non_finite_score_names_the_loss_and_the_entry(name, bad):
    scores = torch.zeros(3, 2)
    scores[2, 1] = bad
    function = LOSS_INFO[name].function.__name__
    with pytest.raises(ValueError, match=rf"^{function}: .*\[2.*is {bad}"):
        call(name, scores)


@pytest.mark.parametrize("name", NAMES)
def test_non_finite_score_under_padding_is_allowed_and_leaves_gradients_finite(name):
    scores = torch.tensor([[0.2, -0.5, float("nan")], [1.0, float("-inf"), 2.0]], requires_grad=True)
    mask = torch.tensor([[True, True, False], [True, False, True]])
    if LOSS_INFO[name].kind == "pairwise":  # a masked pair is padding, whatever it holds
        mask = torch.tensor([[True, True, True], [False, False, False]])
    loss = call(name, scores, mask=mask)
    loss.backward()
    assert torch.isfinite(loss) and torch.isfinite(scores.grad).all()
    assert (scores.grad[~mask] == 0).all() and (scores.grad[0, :2] != 0).any()


@pytest.mark.parametrize("name", NAMES)
def test_infinite_label_of_a_real_item_raises(name):
    if LOSS_INFO[name].kind == "pairwise":
        pytest.skip("pairwise losses take no labels")
    labels = torch.tensor([[1.0, float("inf"), 0.0]])
    with pytest.raises(ValueError, match=f"^{LOSS_INFO[name].function.__name__}: labels"):
        call(name, torch.zeros(1, 3), labels)


@pytest.mark.parametrize("shape", [(0, 2), (3, 0), (0, 0)])
@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize("name", NAMES)
def test_empty_batches_and_empty_lists_are_exactly_zero(name, reduction, shape):
    if LOSS_INFO[name].kind == "pairwise" and shape[1] < 2:
        shape = (0, 2)  # a pair always has two items; empty means B = 0
    scores = torch.zeros(shape, requires_grad=True)
    loss = call(name, scores, reduction=reduction)
    assert loss.shape == () and float(loss.detach()) == 0.0
    loss.backward()  # still part of the graph, so a training step can go through
    assert scores.grad is not None and scores.grad.shape == scores.shape


@pytest.mark.parametrize("name", NAMES)
def test_empty_lists_with_reduction_none_give_one_zero_per_list(name):
    if LOSS_INFO[name].kind == "pairwise":
        assert call(name, torch.zeros(0, 2), reduction="none").shape == (0,)
    else:
        assert torch.equal(call(name, torch.zeros(3, 0), reduction="none"), torch.zeros(3))


def test_other_losses_of_the_package_hold_the_contract():
    with pytest.raises(ValueError, match=r"^center_penalty: scores\[0, 1\] is nan"):
        center_penalty(torch.tensor([[0.0, float("nan")]]))
    with pytest.raises(ValueError, match=r"^length_correlation_penalty: lengths\[1\] is inf"):
        length_correlation_penalty(torch.zeros(2), torch.zeros(2), torch.tensor([1.0, float("inf")]))
    with pytest.raises(ValueError, match="^hinge: margin"):
        LOSS_INFO["hinge"].function(torch.zeros(1), torch.zeros(1), margin=float("nan"))


@pytest.mark.parametrize("spread", [127.0, 200.0, 1000.0, 1e30])
def test_lambdarank_is_finite_for_any_label_spread(spread):
    """The textbook gains 2^(y - min y) overflow float32 past a spread of 128."""
    scores = torch.tensor([[0.0, 1.0, 2.0]], requires_grad=True)
    labels = torch.tensor([[spread, spread / 2, 0.0]])
    loss = lambdarank(scores, labels)
    loss.backward()
    assert torch.isfinite(loss) and float(loss) > 0 and torch.isfinite(scores.grad).all()


def test_lambdarank_relative_gains_equal_the_textbook_weights():
    """Both gain scales give one loss: every weight is a ratio of gains.

    Labels [3, 1, 0]: textbook gains [7, 1, 0]; divided by 2^3 they are [7/8, 1/8, 0],
    and the ideal DCG divides by 2^3 too, so the NDCG swaps are the same numbers.
    """
    torch.manual_seed(0)
    scores = torch.randn(4, 6, dtype=torch.float64, requires_grad=True)
    labels = torch.randint(0, 5, (4, 6)).double()
    loss = lambdarank(scores, labels, reduction="none")
    (grad,) = torch.autograd.grad(loss.sum(), scores)
    shifted = lambdarank(scores, labels + 100.0, reduction="none")  # gains relative: a shift changes nothing
    (shifted_grad,) = torch.autograd.grad(shifted.sum(), scores)
    assert torch.equal(loss, shifted) and torch.equal(grad, shifted_grad)


def test_the_finite_check_leaves_torch_compile_a_full_graph():
    """Under torch.compile the check is skipped, so fullgraph=True captures the loss with no break.

    (plackett_luce has data-dependent fast paths of its own, older than this check.)"""
    from workbench.losses import bradley_terry

    pair = torch.compile(lambda c, r: bradley_terry(c, r), backend="eager", fullgraph=True)
    chosen, rejected = torch.randn(4), torch.randn(4)
    torch.testing.assert_close(pair(chosen, rejected), bradley_terry(chosen, rejected))
    lists = torch.compile(lambda s, y: lambdarank(s, y), backend="eager", fullgraph=True)
    scores, labels = torch.randn(2, 3), torch.tensor([[2.0, 1.0, 0.0], [0.0, 1.0, 2.0]])
    torch.testing.assert_close(lists(scores, labels), lambdarank(scores, labels))
