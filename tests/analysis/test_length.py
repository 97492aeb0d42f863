"""Length-bias measurements: hand-worked cases, independent references, bad input."""
import numpy as np
import pandas as pd
import pytest
from scipy import stats

from workbench.analysis.length import (
    length_correlation,
    length_normalise,
    longer_wins_share,
    per_prompt_correlation,
    response_lengths,
    reward_by_length,
)


def test_response_lengths_units():
    texts = ["ab cd", "héllo", [{"role": "assistant", "content": "x y z"}]]
    assert response_lengths(texts).tolist() == [5, 5, 5]
    assert response_lengths(texts, unit="words").tolist() == [2, 1, 3]

    class Tok:  # one token per character, plus special tokens that must not count
        def __call__(self, texts, add_special_tokens=True):
            extra = 2 if add_special_tokens else 0
            return {"input_ids": [[0] * (len(t) + extra) for t in texts]}

    assert response_lengths(["abc", "de"], unit="tokens", tokenizer=Tok()).tolist() == [3, 2]


def test_response_lengths_bad_input():
    with pytest.raises(ValueError, match="tokenizer"):
        response_lengths(["a"], unit="tokens")
    with pytest.raises(ValueError, match="unit"):
        response_lengths(["a"], unit="bytes")
    with pytest.raises(ValueError, match=r"response\[1\]"):
        response_lengths(["a", 3])


def test_length_correlation_matches_scipy_and_separates_scopes():
    """Two prompts: across prompts, long prompt-2 answers score high (overall ρ > 0);
    inside each prompt, longer scores lower (within-prompt ρ = -1 for these numbers)."""
    rewards = [1.0, 0.0, -1.0, 11.0, 10.0, 9.0]
    lengths = [10, 20, 30, 110, 120, 130]
    prompts = ["a", "a", "a", "b", "b", "b"]
    table = length_correlation(rewards, {"chars": lengths}, prompts=prompts).set_index("scope")
    assert table.loc["overall", "pearson"] == pytest.approx(stats.pearsonr(rewards, lengths)[0])
    assert table.loc["overall", "spearman"] == pytest.approx(stats.spearmanr(rewards, lengths)[0])
    assert table.loc["overall", "pearson"] > 0.9
    assert table.loc["within_prompt", "pearson"] == pytest.approx(-1.0)
    assert table.loc["per_prompt_mean", "spearman"] == pytest.approx(-1.0)
    assert table.loc["per_prompt_mean", "n"] == 2


def test_length_correlation_several_units_and_constant_input():
    table = length_correlation([1, 2, 3], {"chars": [3, 2, 1], "tokens": [1, 1, 1]})
    assert table["unit"].tolist() == ["chars", "tokens"]
    assert table.loc[0, "pearson"] == pytest.approx(-1.0)
    assert table.loc[1, "pearson"] == 0.0  # constant lengths: reported as 0, never NaN
    assert not table.isna().any().any()


def test_length_correlation_bad_input():
    with pytest.raises(ValueError, match=r"rewards\[1\]"):
        length_correlation([1.0, float("nan")], [1, 2])
    with pytest.raises(ValueError, match="same length"):
        length_correlation([1.0, 2.0], [1, 2, 3])
    with pytest.raises(ValueError, match="prompts"):
        length_correlation([1.0, 2.0], [1, 2], prompts=["a"])
    with pytest.raises(ValueError, match="min_group"):
        per_prompt_correlation([1, 2], [1, 2], prompts=["a", "a"], min_group=2)


def test_per_prompt_correlation_skips_small_groups():
    table = per_prompt_correlation([1, 2, 3, 5, 6], [1, 2, 3, 9, 8], prompts=["a"] * 3 + ["b"] * 2)
    assert table["prompt"].tolist() == ["a"]
    assert table.loc[0, "pearson"] == pytest.approx(1.0)


def test_longer_wins_share_data_and_model():
    """Pairs (chosen, rejected) lengths: (5,3) (2,4) (7,1) (3,3). Excluding the tie:
    longer chosen in 2 of 3 -> 2/3. Model rewards: pair 1 long>short, pair 2 the long
    (rejected, 0.5) loses to 0.9, pair 3 equal rewards -> (1 + 0 + 0.5) / 3 = 0.5."""
    table = longer_wins_share(
        [5, 2, 7, 3], [3, 4, 1, 3], chosen_rewards=[1.0, 0.9, 0.2, 0.0], rejected_rewards=[0.0, 0.5, 0.2, 1.0]
    ).set_index("source")
    assert table.loc["data", "longer_wins"] == pytest.approx(2 / 3)
    assert table.loc["model", "longer_wins"] == pytest.approx(0.5)
    assert table.loc["data", "n_equal_length"] == 1
    with pytest.raises(ValueError, match="equal lengths"):
        longer_wins_share([1, 2], [1, 2])
    with pytest.raises(ValueError, match="both"):
        longer_wins_share([1], [2], chosen_rewards=[1.0])


def test_reward_by_length_bins_recover_a_linear_trend():
    rng = np.random.default_rng(0)
    lengths = rng.uniform(10, 500, size=2000)
    rewards = 0.01 * lengths + rng.normal(0, 0.1, size=2000)
    table = reward_by_length(rewards, lengths, n_bins=8)
    assert len(table) == 8 and table["count"].sum() == 2000
    assert np.allclose(table["mean_reward"], 0.01 * table["length_mid"], atol=0.05)
    assert (np.diff(table["mean_reward"]) > 0).all()
    uniform = reward_by_length(rewards, lengths, n_bins=4, strategy="uniform")
    assert np.allclose(np.diff(uniform["length_low"]), (lengths.max() - lengths.min()) / 4)


def test_reward_by_length_single_value_and_errors():
    table = reward_by_length([1.0, 3.0], [5, 5], n_bins=3)
    assert table["mean_reward"].tolist() == [2.0] and table["count"].tolist() == [2]
    with pytest.raises(ValueError, match="strategy"):
        reward_by_length([1.0], [1], strategy="log")
    with pytest.raises(ValueError, match="empty"):
        reward_by_length([], [])


def test_length_normalise_formula_and_sign_caveat():
    assert length_normalise([8.0, 8.0], [4, 16], alpha=0.5).tolist() == [4.0, 2.0]
    assert length_normalise([8.0], [4], alpha=0.0).tolist() == [8.0]
    # a negative reward divided by a longer length rises: the documented caveat ...
    raw = length_normalise([-4.0, -4.0], [1, 4])
    assert raw[1] > raw[0]
    # ... which a shift below every reward removes
    shifted = length_normalise([-4.0, -4.0], [1, 4], shift=-10.0)
    assert shifted[1] < shifted[0]
    with pytest.raises(ValueError, match=r"lengths\[1\]"):
        length_normalise([1.0, 1.0], [3, 0])
    with pytest.raises(ValueError, match="alpha"):
        length_normalise([1.0], [3], alpha=-1)


def test_longer_wins_share_on_real_pairs(shared_data):
    frame = pd.read_json(shared_data / "hh-rlhf-harmless" / "test.jsonl.gz", lines=True)
    table = longer_wins_share(response_lengths(frame["chosen"]), response_lengths(frame["rejected"]))
    share = table.loc[0, "longer_wins"]
    assert 0.3 < share < 0.7 and table.loc[0, "n_pairs"] > 2000


def test_length_bias_summary_by_hand():
    """Pairs: chosen rewards 2, 0, 1 vs rejected 1, 1, 1 -> accuracy (1 + 0 + 0.5) / 3.
    Lengths: chosen 10, 30, 20 vs rejected 20, 10, 20 -> pair 3 equal length is left out;
    pair 1 the longer (rejected, 1) loses, pair 2 the longer (chosen, 0) loses -> 0."""
    from workbench.analysis.length import length_bias_summary

    summary = length_bias_summary([2.0, 0.0, 1.0], [1.0, 1.0, 1.0], [10, 30, 20], [20, 10, 20])
    assert summary["accuracy"] == pytest.approx(0.5)
    assert summary["longer_wins"] == 0.0
    rewards, lengths = [2.0, 0.0, 1.0, 1.0, 1.0, 1.0], [10, 30, 20, 20, 10, 20]
    assert summary["pearson"] == pytest.approx(stats.pearsonr(rewards, lengths)[0])
