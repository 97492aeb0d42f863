"""Notebook 10's best-of-n bounds hold for an over-optimised proxy and fail for proxies that show nothing.

The pools are synthetic (no model): a proxy that tracks the gold with heavy-
tailed errors on wrong samples over-optimises exactly as a learned one does,
and each broken variant must fail the claim it breaks (the notebook asserts the
same ``failed_claims`` on real proxies).
"""
import numpy as np
import pytest

from workbench.prm.records import StepRecord
from workbench.world.overoptimisation import OveroptimisationConfig, best_of_n_study, failed_claims, summary
from workbench.world.proxy import ProxyConfig, gold_rank, pool_gold, preference_pairs

P, N = 60, 32


def pool(seed=0, rate=0.35):
    rng = np.random.default_rng(seed)
    right = rng.random((P, N)) < rate
    return [[StepRecord("q", ["s"], [1.0 if r else 0.0], answer="1" if r else "2", reference="1") for r in row]
            for row in right], right.astype(float)


def hacked_members(gold, k=3, seed=0):
    """Members that see the gold through noise, plus exploits of wrong samples that each member finds apart."""
    rng = np.random.default_rng(seed)
    shared = rng.normal(0, 0.3, gold.shape)
    return np.stack([gold + shared + (1 - gold) * rng.standard_t(2, gold.shape) * 0.9 for _ in range(k)])


@pytest.fixture(scope="module")
def data():
    records, gold = pool()
    return records, gold


def study(records, scores):
    return best_of_n_study([None] * len(scores), None, records, OveroptimisationConfig(), member_scores=scores)


def test_an_over_optimised_proxy_passes_every_bound(data):
    records, gold = data
    result = study(records, hacked_members(gold))
    assert failed_claims(result) == [], summary(result)


def test_a_proxy_equal_to_the_gold_is_not_over_optimised(data):
    records, gold = data
    rng = np.random.default_rng(1)
    scores = np.stack([gold + rng.normal(0, 0.01, gold.shape) for _ in range(3)])
    assert "the gold reward falls at least 0.1 below its peak by the largest n" in failed_claims(study(records, scores))


def test_a_random_proxy_has_nothing_to_over_optimise(data):
    records, gold = data
    scores = np.random.default_rng(2).normal(size=(3, P, N))
    failed = failed_claims(study(records, scores))
    assert "the gold reward falls at least 0.1 below its peak by the largest n" in failed


def test_an_ensemble_of_one_proxy_repeated_gains_nothing(data):
    records, gold = data
    one = hacked_members(gold, k=1)
    failed = failed_claims(study(records, np.concatenate([one, one, one])))
    assert any("conservative ensemble" in claim for claim in failed)


def test_pool_gold_and_rank():
    right = StepRecord("q", ["a", "b"], [1.0, 1.0], answer="3", reference="3")
    slipped = StepRecord("q", ["a", "b"], [1.0, 0.0], answer="4", reference="3")
    assert gold_rank(right) > gold_rank(slipped) == (0.0, 1)
    assert pool_gold([[right, slipped]]).tolist() == [[1.0, 0.0]]
    assert pool_gold([[right, slipped]], "partial").tolist() == [[1.0, 0.25]]


def test_preference_pairs_flip_at_the_noise_rate():
    rows = [[StepRecord(f"q{p}", ["a", "b"], [1.0, float(i % 2)], answer=str(i % 2), reference="1")
             for i in range(4)] for p in range(20)]
    pairs = preference_pairs(rows, ProxyConfig(pairs=2000, noise=0.2, seed=3))
    assert len(pairs) == 2000
    assert 0.17 < np.mean([p["flipped"] for p in pairs]) < 0.23
    unflipped = [p for p in pairs if not p["flipped"]]
    assert all(p["chosen"].endswith("#### 1") and p["rejected"].endswith("#### 0") for p in unflipped)
    assert all(p["prompt"].endswith("\n") for p in pairs)


def test_proxy_config_refuses_no_signal():
    with pytest.raises(ValueError, match="noise"):
        ProxyConfig(noise=0.5)
    with pytest.raises(ValueError, match="nothing to prefer"):
        preference_pairs([[StepRecord("q", ["a"], [1.0], answer="1", reference="1")] * 3])
