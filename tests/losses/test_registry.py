import pytest
import torch

from workbench.losses import LOSSES, bradley_terry, get_loss, is_listwise, plackett_luce


def test_every_registered_loss_runs_on_its_kind_of_input():
    scores, labels = torch.randn(4, 3), torch.tensor([[2, 1, 0]] * 4)
    chosen, rejected = torch.randn(4), torch.randn(4)
    for name in LOSSES:
        kwargs = {"tie": torch.zeros(4, dtype=torch.bool)} if name == "bradley_terry_ties" else {}
        loss = get_loss(name, **kwargs)
        value = loss(scores, labels) if is_listwise(name) else loss(chosen, rejected)
        assert value.shape == () and torch.isfinite(value), name


def test_get_loss_binds_keyword_hyperparameters():
    loss = get_loss("plackett_luce", top_k=1)
    scores, labels = torch.tensor([[2.0, 1.0, 0.0]]), torch.tensor([[3, 2, 1]])
    assert torch.equal(loss(scores, labels), plackett_luce(scores, labels, top_k=1))
    assert get_loss("bradley_terry") is bradley_terry
    assert get_loss("listmle") is plackett_luce


def test_unknown_name_lists_valid_names_and_suggests():
    with pytest.raises(ValueError, match="did you mean 'plackett_luce'") as error:
        get_loss("placket_luce")
    assert "bradley_terry" in str(error.value) and "lambdarank" in str(error.value)


def test_unknown_argument_is_refused():
    with pytest.raises(ValueError, match="ties"):
        get_loss("bradley_terry", ties="efron")


def test_kind_of_each_loss():
    assert not is_listwise("bradley_terry") and not is_listwise("hinge")
    assert is_listwise("plackett_luce") and is_listwise("lambdarank")
    with pytest.raises(ValueError):
        is_listwise("nope")


def test_loss_info_is_the_one_table():
    from workbench.losses import LISTWISE, LOSS_INFO, PAIRWISE, loss_info

    assert LOSS_INFO.keys() == LOSSES.keys() == PAIRWISE.keys() | LISTWISE.keys()
    assert not PAIRWISE.keys() & LISTWISE.keys()
    for name, info in LOSS_INFO.items():
        assert loss_info(name) is info and LOSSES[name] is info.function
        assert (name in LISTWISE) == (info.kind == "listwise") == is_listwise(name)


def test_loss_info_says_which_batch_columns_a_loss_reads():
    """margin: bradley_terry only (hinge's margin is a hyperparameter); tie: bradley_terry_ties;
    per-list top_k: plackett_luce and its alias listmle (lambdarank's top_k is NDCG@k)."""
    import inspect

    from workbench.losses import LOSS_INFO, loss_info

    taking = {flag: {n for n, info in LOSS_INFO.items() if getattr(info, f"takes_{flag}")}
              for flag in ("margin", "tie", "top_k")}
    assert taking == {"margin": {"bradley_terry"}, "tie": {"bradley_terry_ties"},
                      "top_k": {"plackett_luce", "listmle"}}
    for flag, names in taking.items():  # a flag names a keyword argument the function has
        for name in names:
            assert flag in inspect.signature(loss_info(name).function).parameters, (name, flag)


def test_loss_info_refuses_unknown_names_and_kinds():
    from workbench.losses import LossInfo, loss_info

    with pytest.raises(ValueError, match="did you mean 'bradley_terry_ties'") as error:
        loss_info("bradley_terry_tie")
    assert "plackett_luce" in str(error.value)
    with pytest.raises(ValueError, match="kind"):
        LossInfo(bradley_terry, "triplet")
