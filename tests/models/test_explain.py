"""Parameter table and the padding table that notebook 02 shows."""
import pytest

from workbench.models.explain import describe, padding_table, parameter_table
from workbench.models.tiny import tiny_reward_model


def test_parameter_table_sums_to_the_model():
    model, _ = tiny_reward_model("bert")
    table = parameter_table(model)
    assert table["parameters"].sum() == sum(p.numel() for p in model.parameters())
    assert table.set_index("part").loc["head (hidden -> 1)", "parameters"] == 32 + 1
    assert describe(model)["pooling"] == "first" and not describe(model)["decoder"]


def test_padding_table_shows_naive_pooling_goes_wrong():
    model, tok = tiny_reward_model("gpt2")
    table = padding_table(model, tok, ["a good answer", "no", "the answer is right and clear"])
    assert (table["alone"] - table["right_padded"]).abs().max() < 1e-5
    assert (table["alone"] - table["left_padded"]).abs().max() < 1e-5
    shorter = table["tokens"] < table["tokens"].max()
    assert ((table["alone"] - table["naive_last_position"]).abs()[shorter] > 1e-4).all()
    with pytest.raises(ValueError, match="decoder"):
        padding_table(tiny_reward_model("bert")[0], tok, ["a"])
