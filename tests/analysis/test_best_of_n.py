"""workbench.analysis.best_of_n: exact best-of-n against enumeration, the KL, and Gao et al.'s fits."""
from itertools import combinations

import numpy as np
import pytest

from workbench.analysis.best_of_n import (best_of_n, best_of_n_for_kl, best_of_n_kl, fit_best_of_n,
                                          fit_overoptimisation, order_statistic_weights)


def enumerated(proxy, gold, n: int) -> tuple[float, float]:
    """Expected (gold, proxy) of best-of-n by listing every n-subset; a tied top is averaged
    (uniform tie-breaking keeps each tied member with equal chance)."""
    golds, proxies = [], []
    for subset in combinations(range(len(proxy)), n):
        top = max(proxy[i] for i in subset)
        tied = [i for i in subset if proxy[i] == top]
        golds.append(np.mean([gold[i] for i in tied]))
        proxies.append(top)
    return float(np.mean(golds)), float(np.mean(proxies))


def pool(rng, size: int, ties: bool):
    proxy = rng.integers(0, 3, size).astype(float) if ties else rng.normal(size=size)
    return proxy, rng.normal(size=size)


@pytest.mark.parametrize("ties", [False, True])
@pytest.mark.parametrize("size", [1, 2, 5, 8])
def test_agrees_with_enumerating_every_subset(size, ties):
    rng = np.random.default_rng(size + 10 * ties)
    pools = [pool(rng, size, ties) for _ in range(4)]
    curve = best_of_n([p for p, _ in pools], [g for _, g in pools])
    assert curve.ns.tolist() == list(range(1, size + 1))
    for row, (proxy, gold) in enumerate(pools):
        for k, n in enumerate(curve.ns):
            expected_gold, expected_proxy = enumerated(proxy, gold, int(n))
            assert curve.per_prompt_gold[row, k] == pytest.approx(expected_gold, abs=1e-12)
            assert curve.per_prompt_proxy[row, k] == pytest.approx(expected_proxy, abs=1e-12)
    assert np.allclose(curve.gold, curve.per_prompt_gold.mean(0))


def test_hand_worked_pool_of_three():
    """proxy (1, 2, 3), gold (10, 0, 4). n = 2: subsets {1,2} -> 0, {1,3} -> 4, {2,3} -> 4: mean 8/3.
    Weights w_2(i) = C(i-1, 1) / C(3, 2) = (0, 1/3, 2/3)."""
    assert np.allclose(order_statistic_weights(3, [2]), [[0, 1 / 3, 2 / 3]])
    curve = best_of_n([[3.0, 1.0, 2.0]], [[4.0, 10.0, 0.0]])
    assert np.allclose(curve.gold, [14 / 3, 8 / 3, 4.0])
    assert np.allclose(curve.proxy, [2.0, 8 / 3, 3.0])


def test_ends_of_the_curve_and_ragged_pools():
    """n = 1 is the pool mean, n = N the gold of the proxy's argmax (tied top averaged)."""
    proxy = [[0.1, 0.9, 0.5, 0.9], [3.0, 1.0, 2.0]]
    gold = [[1.0, 2.0, 3.0, 6.0], [7.0, 8.0, 9.0]]
    curve = best_of_n(proxy, gold)
    assert curve.ns.tolist() == [1, 2, 3]  # up to the smallest pool
    assert np.allclose(curve.per_prompt_gold[:, 0], [3.0, 8.0])
    assert curve.per_prompt_gold[1, 2] == pytest.approx(7.0)
    full = best_of_n(proxy[:1], gold[:1], ns=[1, 4])
    assert full.per_prompt_gold[0, 1] == pytest.approx(4.0)  # (2 + 6) / 2: the tie at 0.9
    assert best_of_n(np.array(proxy[0])[None], np.array(gold[0])[None]).gold[0] == pytest.approx(3.0)


def test_constant_proxy_is_flat_at_the_mean():
    """All samples tied: tie-breaking is uniform, so every n keeps a uniform sample. An
    implementation that breaks ties by position would return the gold of one index."""
    gold = np.random.default_rng(0).normal(size=(3, 7))
    curve = best_of_n(np.zeros((3, 7)), gold)
    assert np.allclose(curve.per_prompt_gold, gold.mean(1, keepdims=True))


def test_proxy_equal_to_gold_never_loses_gold():
    gold = np.random.default_rng(1).normal(size=(20, 32))
    curve = best_of_n(gold, gold)
    assert np.all(np.diff(curve.per_prompt_gold, axis=1) >= -1e-12)
    assert np.allclose(curve.gold, curve.proxy)
    assert curve.gold[-1] == pytest.approx(gold.max(1).mean())


def test_shuffled_proxy_gives_flat_gold():
    """The broken method: a proxy unrelated to gold gains nothing, so gold stays at the mean
    (within sampling error over prompts) while the proxy itself rises."""
    rng = np.random.default_rng(2)
    gold = rng.normal(size=(2000, 16))
    proxy = rng.permuted(gold, axis=1)
    curve = best_of_n(proxy, gold)
    error = gold.std() / np.sqrt(gold.shape[0])  # one kept sample per prompt, n = 16
    assert np.all(np.abs(curve.gold - gold.mean()) < 5 * error)
    assert curve.proxy[-1] > curve.proxy[0] + 1.0
    aligned = best_of_n(gold + 0.5 * rng.normal(size=gold.shape), gold)
    assert aligned.gold[-1] > aligned.gold[0] + 1.0  # and the test can tell a working proxy apart


def test_large_pool_is_finite_and_normalised():
    weights = order_statistic_weights(3000, [1, 2, 1500, 3000])
    assert np.all(np.isfinite(weights)) and np.allclose(weights.sum(1), 1.0)
    assert np.allclose(weights[0], 1 / 3000) and weights[3, -1] == pytest.approx(1.0)
    assert weights[1, -1] == pytest.approx(2 / 3000)  # C(2999, 1) / C(3000, 2)
    proxy = np.random.default_rng(3).normal(size=(2, 3000))
    curve = best_of_n(proxy, proxy, ns=[1, 10, 3000])
    assert curve.gold[-1] == pytest.approx(proxy.max(1).mean())


def test_kl_of_best_of_n():
    ns = np.arange(1, 200)
    kl = best_of_n_kl(ns)
    assert kl[0] == 0.0 and np.all(np.diff(kl) > 0)
    assert kl[1] == pytest.approx(np.log(2) - 0.5)
    assert np.allclose(best_of_n_for_kl(kl), ns)
    with pytest.raises(ValueError, match="n"):
        best_of_n_kl([0.5])


@pytest.mark.parametrize("form, alpha, beta", [("best_of_n", 1.2, 0.4), ("rl", 0.8, 0.5)])
def test_fits_recover_known_coefficients(form, alpha, beta):
    d = np.sqrt(best_of_n_kl(np.arange(1, 65)))
    shape = d * d if form == "best_of_n" else d * np.log(np.where(d > 0, d, 1.0))
    reward = 0.3 + d * alpha - beta * shape  # a baseline of 0.3 at d = 0
    fit = fit_overoptimisation(d ** 2, reward, form=form)
    assert (fit.alpha, fit.beta, fit.baseline) == pytest.approx((alpha, beta, 0.3))
    assert fit.r_squared == pytest.approx(1.0) and np.allclose(fit.fitted, reward[1:] - 0.3)
    peak = alpha / (2 * beta) if form == "best_of_n" else np.exp(alpha / beta - 1)
    assert fit.peak_d == pytest.approx(peak) and fit.has_peak
    assert fit.predict(fit.peak_d) == pytest.approx(fit.peak_reward)
    assert fit.predict([fit.peak_d * 0.9, fit.peak_d * 1.1]).max() < fit.peak_reward
    assert "peak at d*" in fit.describe()


def test_fit_says_when_there_is_no_peak():
    kl = best_of_n_kl(np.arange(1, 33))
    fit = fit_overoptimisation(kl, np.sqrt(kl) * 2 + 0.1 * kl)  # beta = -0.1: still rising
    assert fit.beta < 0 and not fit.has_peak and not fit.peak_inside and fit.peak_d == np.inf
    assert "no peak" in fit.describe()
    with pytest.raises(ValueError, match="baseline"):
        fit_overoptimisation(kl[1:], kl[1:])
    with pytest.raises(ValueError, match="form"):
        fit_overoptimisation(kl, kl, form="ppo")


def test_goodhart_pool_peaks_then_falls_and_the_fit_finds_the_peak():
    """Proxy = quality + hack; gold = quality - hack^2 / 2: the proxy rises with n, the gold
    rises then falls, and the best-of-n form places its peak inside the curve."""
    rng = np.random.default_rng(4)
    quality, hack = rng.normal(size=(300, 64)), rng.normal(size=(300, 64))
    curve = best_of_n(quality + 1.5 * hack, quality - 0.5 * hack ** 2)
    assert np.all(np.diff(curve.proxy) > 0)
    assert 1 < curve.peak_n < 64 and curve.gold[-1] < curve.gold.max()
    fit = fit_best_of_n(curve)
    assert fit.peak_inside and fit.r_squared > 0.8
    assert fit_best_of_n(curve, reward="proxy").alpha > 0


def test_mistakes_are_named():
    with pytest.raises(ValueError, match="prompt 1"):
        best_of_n([[1.0, 2.0], [1.0]], [[1.0, 2.0], [1.0, 2.0]])
    with pytest.raises(ValueError, match="finite"):
        best_of_n([[1.0, float("nan")]], [[1.0, 2.0]])
    with pytest.raises(ValueError, match="ns"):
        best_of_n([[1.0, 2.0]], [[1.0, 2.0]], ns=[3])
    with pytest.raises(ValueError, match="shapes"):
        best_of_n(np.zeros((2, 3)), np.zeros((2, 4)))
