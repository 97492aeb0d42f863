"""Best-of-n against a length-loving proxy, with the truth known: the text set-up of notebook 10.

    study = length_hacking_study(LengthHackingConfig())
    study.curves["proxy"].gold          # expected true quality of best-of-n by the proxy, n = 1..N
    study.lengths["proxy"]              # expected length of the chosen response, n = 1..N
    length_hacking_failed_claims(study) # [] when notebook 10's text bounds hold

Gold is the known quality level of :mod:`workbench.data.length_bias` (0-4, independent
of length); the proxy is a linear head on frozen MiniLM features trained with
Bradley-Terry on a length-loving annotator's labels (as in notebook 06). Each
prompt gets a pool of ``samples`` responses drawn from the same distribution, so
best-of-n picks among candidates whose quality and length are independent: what
the proxy pays for length, the picks pay in quality. The mitigation is the
post-hoc length calibration of :func:`workbench.analysis.calibration.fit_length_calibration`,
fitted on unlabelled reference responses.

The world (``workbench.world.overoptimisation``) is the other set-up: there the
gold reward peaks and falls. Here it does not (measured in benchmarks/RESULTS.md):
a linear proxy of quality plus length, on candidates whose length says nothing
about quality, still ranks quality, only worse; the hack shows as length bought
and quality left on the table (Gao, Schulman & Hilton 2022 find the fall when the
proxy's error grows with optimisation, which an additive length term does not).
"""
from __future__ import annotations

import dataclasses

import numpy as np
import torch

from workbench.analysis.best_of_n import BestOfNCurve, best_of_n
from workbench.analysis.calibration import fit_length_calibration
from workbench.data.length_bias import TOPICS, make_length_bias_pairs, sample_responses
from workbench.models.frozen import (FeaturePairs, FeatureRewardModel, collate_feature_pairs, embed_pairs,
                                     embed_texts, feature_pairwise_objective)
from workbench.training import TrainConfig, train


@dataclasses.dataclass(frozen=True)
class LengthHackingConfig:
    """Sizes of the text study (fast CPU defaults; full run: pairs=4000, prompts=300, samples=64)."""

    pairs: int = 240             # biased training pairs for the proxy
    length_bias: float = 3.0     # the annotator's utility per std of length, in quality levels
    prompts: int = 60            # prompts of the best-of-n pool
    samples: int = 16            # responses per prompt (N)
    reference: int = 200         # unlabelled responses the calibration is fitted on
    max_length: int = 96         # MiniLM tokens per prompt + response
    epochs: int = 30
    seed: int = 0


@dataclasses.dataclass
class LengthHackingStudy:
    """Best-of-n curves by each scorer (``proxy``, ``calibrated``, ``oracle``, ``longest``)."""

    curves: dict[str, BestOfNCurve]   # .gold is the expected true quality of the pick, one entry per n
    lengths: dict[str, np.ndarray]    # expected length (characters) of the pick, one entry per n
    proxy_length_corr: float          # Pearson r of proxy score and length over the pool
    config: LengthHackingConfig

    def rows(self) -> list[dict]:
        """One row per (scorer, n): gold, proxy (z) and chosen length, for a table."""
        return [{"scorer": name, "n": int(n), "gold": float(curve.gold[i]), "proxy": float(curve.proxy[i]),
                 "length": float(self.lengths[name][i])}
                for name, curve in self.curves.items() for i, n in enumerate(curve.ns)]


def train_length_proxy(config: LengthHackingConfig, *, shuffle_labels: bool = False) -> FeatureRewardModel:
    """A linear head on frozen MiniLM features, Bradley-Terry on the length-loving annotator's labels.

    ``shuffle_labels`` swaps chosen and rejected in a random half of the pairs (the
    control: labels that carry neither quality nor length).
    """
    torch.manual_seed(config.seed)
    pairs = make_length_bias_pairs(config.pairs, length_bias=config.length_bias, seed=config.seed)
    chosen, rejected = embed_pairs(pairs, max_length=config.max_length)
    if shuffle_labels:
        swap = np.random.default_rng(config.seed + 1).random(len(pairs)) < 0.5
        chosen, rejected = np.where(swap[:, None], rejected, chosen), np.where(swap[:, None], chosen, rejected)
        pairs = pairs.assign(length_chosen=np.where(swap, pairs.length_rejected, pairs.length_chosen),
                             length_rejected=np.where(swap, pairs.length_chosen, pairs.length_rejected))
    data = FeaturePairs(chosen, rejected, pairs.length_chosen, pairs.length_rejected)
    train_config = TrainConfig(batch_size=64, epochs=config.epochs, learning_rate=1e-2, warmup_ratio=0.0,
                               seed=config.seed, save_model=False, progress=False)
    return train(train_config, data, model=FeatureRewardModel(chosen.shape[1]),
                 compute_loss=feature_pairwise_objective(), collate_fn=collate_feature_pairs).model


def _scores(model: FeatureRewardModel, frame, max_length: int) -> np.ndarray:
    return model.score(embed_texts(list(frame.prompt), list(frame.response), max_length=max_length))


def length_hacking_study(config: LengthHackingConfig = LengthHackingConfig(), *,
                         proxy: FeatureRewardModel | None = None) -> LengthHackingStudy:
    """Train the proxy (unless given), score a pool of ``prompts x samples`` responses, and run best-of-n.

    Scorers: ``proxy`` (the raw head), ``calibrated`` (the head after a LOWESS length
    calibration fitted on ``reference`` unlabelled responses), ``oracle`` (the true
    quality: the ceiling) and ``longest`` (length alone: what a pure length-lover picks).
    """
    proxy = train_length_proxy(config) if proxy is None else proxy
    rng = np.random.default_rng(config.seed + 10)
    topics = np.repeat(rng.integers(len(TOPICS), size=config.prompts), config.samples)
    pool = sample_responses(config.prompts * config.samples, rng=rng, topics=topics)
    shape = (config.prompts, config.samples)
    raw = _scores(proxy, pool, config.max_length)
    lengths = pool.length.to_numpy(dtype=float)
    reference = sample_responses(config.reference, rng=config.seed + 3)
    calibration = fit_length_calibration(_scores(proxy, reference, config.max_length),
                                         reference.length.to_numpy(), method="lowess")
    scorers = {"proxy": raw, "calibrated": calibration.apply(raw, lengths),
               "oracle": pool.quality.to_numpy(dtype=float), "longest": lengths}
    gold = pool.quality.to_numpy(dtype=float).reshape(shape)
    curves, chosen_lengths = {}, {}
    for name, scores in scorers.items():
        curves[name] = best_of_n(scores.reshape(shape), gold)
        chosen_lengths[name] = best_of_n(scores.reshape(shape), lengths.reshape(shape)).gold
    return LengthHackingStudy(curves, chosen_lengths, float(np.corrcoef(raw, lengths)[0, 1]), config)


def length_hacking_failed_claims(study: LengthHackingStudy, *, longer: float = 25.0, gain: float = 0.04,
                                 rise: float = 0.5) -> list[str]:
    """Notebook 10's text bounds ([] = all hold), each measured on seeds 0-3 (benchmarks/RESULTS.md).

    * the proxy buys length: its best-of-N pick is ``longer`` characters longer than a random one;
    * the calibration stops that: its pick is no longer than a random one (+ 5 characters);
    * the calibration keeps more quality: its mean gold over n = 2..N beats the proxy's by ``gain``;
    * the proxy still carries quality: its best-of-N gold beats a random pick by ``rise`` levels.
    """
    proxy, calibrated = study.curves["proxy"], study.curves["calibrated"]
    start, failed = study.lengths["proxy"][0], []
    bought = study.lengths["proxy"][-1] - start
    if bought < longer:
        failed.append(f"the proxy's best-of-{proxy.ns[-1]} pick is only {bought:.0f} characters longer (< {longer:.0f})")
    kept = study.lengths["calibrated"][-1] - start
    if kept > 5.0:
        failed.append(f"the calibrated pick is {kept:.0f} characters longer than a random one (> 5)")
    advantage = float(np.mean(calibrated.gold[1:] - proxy.gold[1:]))
    if advantage < gain:
        failed.append(f"calibration keeps only {advantage:+.3f} more quality over n = 2..N (< {gain})")
    lift = proxy.gold[-1] - proxy.gold[0]
    if lift < rise:
        failed.append(f"the proxy's best-of-{proxy.ns[-1]} gold rises only {lift:+.2f} levels (< {rise})")
    return failed


__all__ = ["LengthHackingConfig", "LengthHackingStudy", "train_length_proxy", "length_hacking_study",
           "length_hacking_failed_claims"]
