"""The bias-injection generator: known truth, independent length, the bias it promises."""
import numpy as np
import pytest

from workbench.data.length_bias import (
    FILLER,
    LEVELS,
    LONGEST_CORE,
    _core,
    length_scale,
    make_length_bias_pairs,
    sample_responses,
)


def test_responses_have_independent_quality_and_length():
    responses = sample_responses(3000, rng=0)
    assert set(responses["quality"]) == set(LEVELS)
    assert abs(np.corrcoef(responses["quality"], responses["length"])[0, 1]) < 0.06
    assert (responses["length"] >= LONGEST_CORE).all()
    assert responses["length"].max() <= LONGEST_CORE + 200 + max(len(f) for f in FILLER) + 1
    # padding is only neutral filler: removing it leaves the core of the row's level and topic
    for row in responses.head(200).itertuples():
        core = row.response
        for sentence in FILLER:
            core = core.replace(sentence, "")
        cores = {_core(row.quality, row.topic, v) for v in range(3)}
        assert " ".join(core.split()) in cores


def test_sample_responses_is_seeded_and_checks_arguments():
    assert sample_responses(5, rng=3).equals(sample_responses(5, rng=3))
    with pytest.raises(ValueError, match="extra_chars"):
        sample_responses(5, extra_chars=(10, 5))


def test_annotators_prefer_length_by_the_set_amount():
    unbiased = make_length_bias_pairs(3000, length_bias=0.0, seed=1)
    biased = make_length_bias_pairs(3000, length_bias=2.0, seed=1)
    longer = lambda f: np.mean(f["length_chosen"] > f["length_rejected"])  # noqa: E731
    assert abs(longer(unbiased) - 0.5) < 0.04
    assert longer(biased) > 0.7
    # the truth agrees with labels less often once annotators like length
    assert biased["truly_better"].mean() < unbiased["truly_better"].mean() - 0.05
    # the recorded p_chosen is the annotator model: σ(Δ/τ) with Δ from quality and length
    row = biased.iloc[0]
    delta = (row.quality_chosen - row.quality_rejected) + 2.0 * (row.length_chosen - row.length_rejected) / length_scale()
    assert row.p_chosen == pytest.approx(1 / (1 + np.exp(-delta / 0.5)))


def test_balanced_pairs_are_labelled_by_truth_and_half_longer():
    pairs = make_length_bias_pairs(501, balanced=True, seed=2)
    assert pairs["truly_better"].all()
    longer = (pairs["length_chosen"] > pairs["length_rejected"]).sum()
    assert longer in (250, 251)
    assert (pairs["length_chosen"] != pairs["length_rejected"]).all()
    assert set(pairs.columns) >= {"prompt", "chosen", "rejected"}


def test_pairs_bad_arguments():
    with pytest.raises(ValueError, match="n_pairs"):
        make_length_bias_pairs(0)
    with pytest.raises(ValueError, match="noise"):
        make_length_bias_pairs(5, noise=0)
    with pytest.raises(ValueError, match="80 wide"):
        make_length_bias_pairs(5, balanced=True, extra_chars=(0, 50))


def test_policy_pairs_verbose_a_truly_worse_b():
    from workbench.data.length_bias import make_policy_pairs

    pairs = make_policy_pairs(2000, seed=0)
    assert pairs["length_a"].mean() > pairs["length_b"].mean() + 60
    assert pairs["quality_a"].between(0, 3).all() and pairs["quality_b"].between(1, 4).all()
    assert pairs["true_outcome"].mean() < 0.4
    assert ((pairs["length_a"] - pairs["length_b"]) < 0).mean() > 0.05  # length differences straddle 0
    same = make_policy_pairs(2000, quality_a=(0, 4), quality_b=(0, 4), seed=1)
    assert abs(same["true_outcome"].mean() - 0.5) < 0.03
