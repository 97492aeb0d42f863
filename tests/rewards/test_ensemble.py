"""RewardEnsemble: the aggregation arithmetic by hand, standardisation, None rows, TRL's keywords."""
import math

import numpy as np
import pytest

from workbench.rewards import AGGREGATES, RewardEnsemble, combine_members

# Member scores (k=3, B=2), one fixed list per member.
TABLE = [[1.0, 4.0], [2.0, 0.0], [6.0, 2.0]]


def fixed(values, name):
    def member(prompts=None, completions=None, **kwargs):
        return list(values)

    member.__name__ = name
    return member


MEMBERS = [fixed(row, f"m{i}") for i, row in enumerate(TABLE)]
BATCH = dict(prompts=["q", "q"], completions=["a", "b"])


def test_aggregates_by_hand():
    """Column 0: 1, 2, 6 -> mean 3, median 2, min 1, variance (4 + 1 + 9) / 3 = 14/3.
    Column 1: 4, 0, 2 -> mean 2, median 2, min 0, variance (4 + 4 + 0) / 3 = 8/3.
    Uncertainty-weighted with lam = 0.5: 3 - 7/3 = 2/3 and 2 - 4/3 = 2/3."""
    expected = {"mean": [3.0, 2.0], "median": [2.0, 2.0], "min": [1.0, 0.0], "uncertainty": [2 / 3, 2 / 3]}
    assert set(expected) == set(AGGREGATES)
    for aggregate, values in expected.items():
        ensemble = RewardEnsemble(MEMBERS, aggregate=aggregate, lam=0.5)
        assert ensemble(**BATCH) == pytest.approx(values)
        assert combine_members(np.array(TABLE), aggregate, lam=0.5) == pytest.approx(values)
    ensemble = RewardEnsemble(MEMBERS)
    np.testing.assert_array_equal(ensemble.member_scores(**BATCH), TABLE)
    assert ensemble.uncertainty(**BATCH) == pytest.approx([math.sqrt(14 / 3), math.sqrt(8 / 3)])
    assert RewardEnsemble(MEMBERS, aggregate="uncertainty", lam=0.0)(**BATCH) == pytest.approx([3.0, 2.0])


def test_standardised_members_differing_by_offset_and_scale_agree():
    """Member b = 10 a + 5 ranks like a: once each is standardised on a reference set they agree
    (disagreement 0, min = mean); raw, the offset reads as disagreement and min is always a."""
    def a(prompts=None, completions=None, **kwargs):
        return [float(len(c)) for c in completions]

    def b(prompts=None, completions=None, **kwargs):
        return [10.0 * len(c) + 5.0 for c in completions]

    reference = (["q"] * 4, ["x", "xx", "xxx", "xxxx"])
    batch = dict(prompts=["q"] * 3, completions=["xx", "xxxxx", "x"])
    raw = RewardEnsemble([a, b], aggregate="min")
    assert raw(**batch) == [2.0, 5.0, 1.0] and raw.uncertainty(**batch).min() >= 7.0  # (15 - 1) / 2 at "x"
    standardised = RewardEnsemble([a, b], aggregate="min", reference=reference)
    z = (np.array([2.0, 5.0, 1.0]) - 2.5) / np.std([1, 2, 3, 4])
    assert standardised(**batch) == pytest.approx(z.tolist())
    assert standardised.uncertainty(**batch) == pytest.approx([0.0, 0.0, 0.0], abs=1e-12)
    np.testing.assert_allclose(standardised.offsets, [2.5, 30.0])
    # fixed statistics: a completion's reward does not depend on its batch-mates
    assert standardised(prompts=["q"], completions=["xx"]) == pytest.approx(standardised(**batch)[:1])


def test_none_rows_trl_keywords_and_names():
    seen = {}

    def partial(prompts=None, completions=None, ground_truth=None, **kwargs):
        seen.update(ground_truth=ground_truth, trainer_state=kwargs.get("trainer_state"))
        return [None, 1.0]

    logged = []
    ensemble = RewardEnsemble([MEMBERS[0], partial], aggregate="mean")
    out = ensemble(**BATCH, ground_truth=["4", "5"], trainer_state="state",
                   log_metric=lambda name, value: logged.append((name, value)))
    assert out == [None, 2.5]  # a member without a score leaves the row unscored (TRL ignores None)
    assert seen == {"ground_truth": ["4", "5"], "trainer_state": "state"}  # dataset columns reach members
    assert logged == [("ensemble_mean_2/disagreement", 1.5)]  # row 1: |4 - 1| / 2; row 0 has no score
    assert RewardEnsemble(MEMBERS, name="rm_ensemble").__name__ == "rm_ensemble"


def test_mistakes_raise_naming_what_is_wrong():
    with pytest.raises(ValueError, match="aggregate: expected one of"):
        RewardEnsemble(MEMBERS, aggregate="max")
    with pytest.raises(ValueError, match="members: expected one or more"):
        RewardEnsemble([])
    with pytest.raises(ValueError, match="lam"):
        RewardEnsemble(MEMBERS, lam=-1.0)
    with pytest.raises(ValueError, match="member 'm0' returned 2 rewards for 3 completions"):
        RewardEnsemble(MEMBERS)(prompts=["q"] * 3, completions=["a", "b", "c"])
    with pytest.raises(ValueError, match=r"members \['m0'\] give every reference completion the same score"):
        RewardEnsemble([fixed([1.0, 1.0], "m0")], reference=(["q", "q"], ["a", "b"]))
    with pytest.raises(ValueError, match=r"scores: expected \(k, B\)"):
        combine_members(np.zeros(3))


def test_an_ensemble_of_checkpoint_rewards(tmp_path):
    """Two tiny reward models differing by seed: member_scores rows are each member's own reward."""
    from workbench.models import save_reward_model
    from workbench.models.tiny import tiny_reward_model
    from workbench.rewards import reward_model_reward

    members = []
    for seed in (0, 1):
        model, tokenizer = tiny_reward_model("gpt2", seed=seed)
        members.append(reward_model_reward(save_reward_model(model, tokenizer, tmp_path / f"seed{seed}"),
                                           device="cpu"))
    prompts, completions = ["is it good ?"] * 3, [" yes", " no it is bad", " it is good and kind"]
    ensemble = RewardEnsemble(members, aggregate="median")
    scores = ensemble.member_scores(prompts, completions)
    assert scores.shape == (2, 3)
    for row, member in zip(scores, members):
        np.testing.assert_allclose(row, member(prompts=prompts, completions=completions))
    np.testing.assert_allclose(ensemble(prompts=prompts, completions=completions), scores.mean(axis=0))  # k=2
    assert [m.__name__ for m in members] == ["rm_seed0", "rm_seed1"]
