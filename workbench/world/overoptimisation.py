"""Best-of-n over-optimisation on the world: a learned proxy against the exact gold reward, alone and in ensembles.

    config = OveroptimisationConfig()                          # notebook 10's CPU defaults
    model, tokenizer = cached_policy(config.policy)
    train, pool = sample_data(model, tokenizer, config)        # [P][n] checked samples of the starting policy
    members = train_members(train, tokenizer, config, init=model)   # k proxies differing by seed
    result = best_of_n_study(members, tokenizer, pool, config)      # curves per proxy and per ensemble
    failed_claims(result)                                       # [] when every asserted bound holds

Gao, Schulman & Hilton (2022) measured, with a gold reward model standing
in for people, that optimising a learned proxy harder raises the proxy
without end while the gold reward peaks and then falls. Here the gold reward
is the exact checker (a right final answer) and the proxy is a reward model
on a limited number of noisy preferences (``world.proxy``); best-of-n over a
pool of the starting policy's samples is the optimiser, and its expected
rewards for every n come exactly from ``analysis.best_of_n`` (order
statistics, no resampling noise). The ensembles are Coste et al. (2023)'s:
k proxies differing by seed, each standardised on the pool (the starting
policy's samples, a fixed reference, so a completion's score does not depend
on its batch), combined by mean, worst case (min) and uncertainty-weighted
(mean - lam * variance) through ``rewards.ensemble.combine_members``.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from workbench.prm.records import StepRecord
from workbench.world.policy import PolicyConfig
from workbench.world.proxy import ProxyConfig, pool_gold, pool_scores, preference_pairs, train_proxy
from workbench.world.verifiers import labelled_samples

ENSEMBLES = ("mean", "min", "uncertainty")


@dataclass
class OveroptimisationConfig:
    """Sizes of one study; the defaults are notebook 10's CPU defaults (about a minute with the policy cached)."""

    policy: PolicyConfig = field(default_factory=lambda: PolicyConfig(progress=False))
    train_problems: int = 200  # the proxies' preference pairs come from these problems' samples
    train_samples: int = 8
    pool_problems: int = 60  # held out: best-of-n picks among these problems' samples
    pool_samples: int = 32  # N: best-of-n for every n up to this
    proxy: ProxyConfig = field(default_factory=ProxyConfig)
    members: int = 3  # ensemble size: proxies differing by seed only
    lam: float = 1.0  # the uncertainty penalty, in standardised units (variance of z-scores)
    seed: int = 0


def sample_data(model, tokenizer, config: OveroptimisationConfig) -> tuple[list[list[StepRecord]],
                                                                         list[list[StepRecord]]]:
    """The proxies' training samples and the held-out best-of-n pool, both checked exactly: two ``[P][n]`` lists."""
    train_problems = config.policy.problems(config.train_problems, seed=30_000 + config.seed)
    pool_problems = config.policy.problems(config.pool_problems, seed=40_000 + config.seed)
    train = labelled_samples(model, tokenizer, train_problems, config.train_samples, seed=config.seed)
    pool = labelled_samples(model, tokenizer, pool_problems, config.pool_samples, seed=config.seed + 1)
    return train, pool


def train_members(train: list[list[StepRecord]], tokenizer, config: OveroptimisationConfig, *, init=None) -> list:
    """``config.members`` proxies on the same samples, differing by seed (their pairs, flips and weights)."""
    members = []
    for index in range(config.members):
        proxy = replace(config.proxy, seed=config.proxy.seed + 1000 * config.seed + index)
        members.append(train_proxy(preference_pairs(train, proxy), tokenizer, proxy, init=init))
    return members


def standardised(scores: np.ndarray) -> np.ndarray:
    """Member scores ``(k, P, N)`` as z-scores per member over the whole pool (the fixed reference set)."""
    mean = scores.mean(axis=(1, 2), keepdims=True)
    spread = scores.std(axis=(1, 2), keepdims=True)
    return (scores - mean) / np.where(spread > 0, spread, 1.0)


def best_of_n_study(members: list, tokenizer, pool: list[list[StepRecord]], config: OveroptimisationConfig,
                    *, member_scores: np.ndarray | None = None) -> dict:
    """Best-of-n curves for every proxy alone and for each ensemble, against the checker's gold.

    Returns ``{"gold": (P, N), "member_scores": (k, P, N) z-scores, "single": [BestOfNCurve per member],
    "ensembles": {name: BestOfNCurve}}``. ``member_scores`` (raw, ``(k, P, N)``) skips scoring.
    """
    from workbench.analysis.best_of_n import best_of_n
    from workbench.rewards.ensemble import combine_members

    gold = pool_gold(pool)
    if member_scores is None:
        member_scores = np.stack([pool_scores(member, tokenizer, pool) for member in members])
    z = standardised(np.asarray(member_scores, dtype=float))
    k = z.shape[0]
    ensembles = {name: best_of_n(combine_members(z.reshape(k, -1), name, lam=config.lam).reshape(gold.shape), gold)
                 for name in ENSEMBLES}
    return {"gold": gold, "member_scores": z, "single": [best_of_n(z[i], gold) for i in range(k)],
            "ensembles": ensembles}


def summary(result: dict) -> dict:
    """Peak gold, its n, and gold at the largest n, for the mean single proxy and each ensemble."""
    def describe(gold: np.ndarray, ns: np.ndarray) -> dict:
        peak = int(np.argmax(gold))
        return {"peak_gold": float(gold[peak]), "peak_n": int(ns[peak]), "gold_at_N": float(gold[-1]),
                "gold_at_1": float(gold[0])}

    singles = result["single"]
    ns = singles[0].ns
    out = {"single_mean": describe(np.mean([c.gold for c in singles], axis=0), ns)}
    out.update({f"single_{i}": describe(c.gold, ns) for i, c in enumerate(singles)})
    out.update({name: describe(curve.gold, ns) for name, curve in result["ensembles"].items()})
    return out


def failed_claims(result: dict, *, fall: float = 0.1, ensemble_gain: float = 0.003) -> list[str]:
    """The bounds notebook 10 asserts on best-of-n, each named when it fails ([] = all hold).

    A proxy that equals the gold (no over-optimisation), a random proxy (no
    signal to over-optimise) and an ensemble of one proxy repeated (nothing
    to gain) each fail one (tests/world/test_overoptimisation.py). Measured
    margins (benchmarks/RESULTS.md, seeds 0-2): the gold falls 0.25-0.27 below
    its peak; the conservative ensemble's peak is 0.009-0.019 above the
    average single proxy's, a thin margin.
    """
    failed = []
    first = result["single"][0]
    if not np.all(np.diff(first.proxy) > 0):
        failed.append("the proxy's expected reward rises with every n")
    if not first.gold.max() - first.gold[-1] >= fall:
        failed.append(f"the gold reward falls at least {fall} below its peak by the largest n")
    stats = summary(result)
    conservative = max(stats["min"]["peak_gold"], stats["uncertainty"]["peak_gold"])
    if not conservative >= stats["single_mean"]["peak_gold"] + ensemble_gain:
        failed.append("a conservative ensemble (min or mean - lam var) has a higher gold peak than a single "
                      "proxy (the members' average curve)")
    return failed


__all__ = ["OveroptimisationConfig", "sample_data", "train_members", "standardised", "best_of_n_study", "summary",
           "failed_claims", "ENSEMBLES"]
