"""A learned proxy reward for the world: a reward model trained on a limited number of noisy preferences.

    records = labelled_samples(policy, tokenizer, problems, n=8)        # [P][n] policy samples, checked
    pairs = preference_pairs(records, ProxyConfig(pairs=1000, noise=0.2))
    proxy = train_proxy(pairs, tokenizer, ProxyConfig(), init=policy)   # a plain transformers reward model
    proxy_scores(proxy, tokenizer, prompts, completions)                # (B,) rewards, as `workbench score`

This is the proxy of Gao, Schulman & Hilton (2022, *Scaling Laws for Reward
Model Overoptimization*) at toy scale, with the gold reward known exactly
(the checker, ``world.checker``): an annotator compares two samples of one
problem by the gold ranking (:func:`gold_rank`: a right answer first, then
more right steps before the first error) and, with probability ``noise``,
reports the other order; a Bradley-Terry reward model (the project's one
loop, ``workbench.training.train``) is fitted to a limited number of such
pairs. A proxy learnt from few noisy labels agrees with the gold reward on
typical samples and disagrees at the extremes, which is what best-of-n and
RL then find (``workbench.analysis.best_of_n``; notebook 10).

The proxy is a tiny decoder (``world.models.tiny_outcome_scorer``) started
from the policy's backbone, as reward models start from the policy's base
model (Ouyang et al., 2022); :func:`save_proxy` writes a plain
``transformers`` checkpoint that ``rewards.reward_model_reward`` loads.
``ProxyConfig(reader=True)`` builds it instead as the verifiers' network
(``world.reader.ReadingScorer`` over a token scorer from the policy's backbone,
the policy as the frozen reader) read at each sequence's last real token: a
2x64 model alone cannot check a sum, one that reads the policy's surprise can
(``benchmarks/RESULTS.md``). Its text is the policy's own format, question,
newline, steps (``render`` joins prompt and completion with nothing between),
and pair packing is off for it (the reader would not see the block mask).
It is not a plain ``transformers`` model, so :func:`save_proxy` refuses it.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

from workbench.prm.records import StepRecord


@dataclass
class ProxyConfig:
    """One proxy reward model: its preference data and its training run (CPU defaults, ~15 s)."""

    pairs: int = 1000  # preference pairs, few on purpose: the proxy is a limited view of the gold reward
    noise: float = 0.2  # probability that the annotator reports the pair the wrong way round
    max_steps: int = 300
    batch_size: int = 16
    learning_rate: float = 3e-3
    arch: str = "llama"  # the backbone: the policy's sizes, so init= can copy its weights
    hidden: int = 64
    layers: int = 2
    heads: int = 4
    max_length: int = 256
    seed: int = 0  # pairs, flips, head initialisation and batches
    progress: bool = False
    # True: the RM also reads the policy's per-token surprise (world.reader.ReadingScorer, read at the last
    # real token), so it can see a wrong digit; needs init=<the policy>. Off by default: notebook 10's proxy
    # is the plain one, hackable on purpose
    reader: bool = False

    def __post_init__(self):
        if not 0.0 <= self.noise < 0.5:
            raise ValueError(f"ProxyConfig.noise must be in [0, 0.5), got {self.noise}: 0.5 is no signal")
        if self.pairs < 1:
            raise ValueError(f"ProxyConfig.pairs must be at least 1, got {self.pairs}")


def completion_text(record: StepRecord) -> str:
    """The sample as the policy wrote it: one step per line, then ``#### answer`` when it gave one."""
    lines = list(record.steps) + ([f"#### {record.answer}"] if record.answer is not None else [])
    return "\n".join(lines)


def gold_rank(record: StepRecord) -> tuple[float, int]:
    """The gold order of one sample: right answer first, then more right steps before the first error."""
    first_error = record.first_error
    right_steps = len(record.labels) if first_error is None else first_error
    return float(bool(record.is_correct)), right_steps


def preference_pairs(records: list[list[StepRecord]], config: ProxyConfig = ProxyConfig()) -> list[dict]:
    """``config.pairs`` noisy preference pairs ``{"prompt", "chosen", "rejected", "flipped"}`` between samples.

    Each pair is two samples of one problem with different :func:`gold_rank`,
    drawn uniformly over problems (problems whose samples all rank the same
    give none); ``chosen`` is the gold-better one except, with probability
    ``config.noise``, the annotator's mistake (``flipped`` says which).
    """
    rng = random.Random(config.seed)
    candidates = [row for row in records if len({gold_rank(r) for r in row}) > 1]
    if not candidates:
        raise ValueError("no problem has two samples of different gold rank: nothing to prefer")
    pairs = []
    while len(pairs) < config.pairs:
        row = rng.choice(candidates)
        a, b = rng.sample(row, 2)
        if gold_rank(a) == gold_rank(b):
            continue
        better, worse = (a, b) if gold_rank(a) > gold_rank(b) else (b, a)
        flipped = rng.random() < config.noise
        chosen, rejected = (worse, better) if flipped else (better, worse)
        pairs.append({"prompt": prompt_of(a), "chosen": completion_text(chosen),
                      "rejected": completion_text(rejected), "flipped": flipped})
    return pairs


def prompt_of(record: StepRecord) -> str:
    """What the policy was given: the question and a newline (``world.policy.prompt_text``)."""
    return record.prompt + "\n"


def proxy_model(tokenizer, config: ProxyConfig = ProxyConfig(), *, init=None):
    """The untrained proxy: a sequence scorer from ``init``'s backbone, or (``config.reader``) a reading one."""
    from workbench.world.models import tiny_outcome_scorer
    from workbench.world.verifiers import _start_from

    sizes = dict(arch=config.arch, hidden=config.hidden, layers=config.layers, heads=config.heads,
                 max_positions=max(256, config.max_length), seed=config.seed)
    if not config.reader:
        return _start_from(tiny_outcome_scorer(tokenizer, **sizes), init)
    from workbench.world.reader import reading_scorer

    return reading_scorer(tokenizer, init, pool="last", owner="ProxyConfig(reader=True)", **sizes)


def train_proxy(pairs: list[dict], tokenizer, config: ProxyConfig = ProxyConfig(), *, init=None):
    """A Bradley-Terry reward model on ``pairs``, from scratch or from ``init``'s backbone; returns it in eval mode."""
    from workbench.training import TrainConfig, train

    model = proxy_model(tokenizer, config, init=init)
    loop = TrainConfig(output_dir="", save_model=False, batch_size=config.batch_size, max_steps=config.max_steps,
                       learning_rate=config.learning_rate, warmup_ratio=0.05, weight_decay=0.01,
                       max_length=config.max_length, seed=config.seed, mixed_precision="no", loss="bradley_terry",
                       progress=config.progress, log_every=50,
                       shared_prompt=False if config.reader else None)  # None: the loop's auto, as before
    records = [{"prompt": p["prompt"], "chosen": p["chosen"], "rejected": p["rejected"]} for p in pairs]
    return train(loop, records, model=model, tokenizer=tokenizer).model.eval()


def proxy_scores(model, tokenizer, prompts: list[str], completions: list[str], *, max_length: int = 256):
    """Rewards ``(B,)`` of the proxy for B (prompt, completion) pairs, encoded as in training and `workbench score`."""
    from workbench.rewards.checkpoint import score_completions

    return score_completions(model, tokenizer, prompts, completions, max_length=max_length)


def pool_scores(model, tokenizer, records: list[list[StepRecord]]):
    """Proxy scores ``(P, N)`` of a pool of checked samples (``[P][N]`` records, N the same for every problem)."""
    import numpy as np

    flat = [record for row in records for record in row]
    values = proxy_scores(model, tokenizer, [prompt_of(r) for r in flat], [completion_text(r) for r in flat])
    return np.asarray(values, dtype=float).reshape(len(records), -1)


def pool_gold(records: list[list[StepRecord]], gold: str = "correctness"):
    """Gold rewards ``(P, N)``: ``"correctness"`` (1 iff the answer is right) or ``"partial"`` (right steps share)."""
    import numpy as np

    def value(record: StepRecord) -> float:
        right, steps = gold_rank(record)
        if gold == "correctness":
            return right
        if gold == "partial":
            return 0.5 * right + 0.5 * steps / max(1, len(record.labels))
        raise ValueError(f"gold must be 'correctness' or 'partial', got {gold!r}")

    return np.array([[value(r) for r in row] for row in records], dtype=float)


def save_proxy(model, tokenizer, path: str | Path) -> Path:
    """Write the proxy as a plain ``transformers`` checkpoint (``rewards.reward_model_reward(path)`` loads it)."""
    if not hasattr(model, "save_pretrained"):
        raise TypeError("save_proxy writes a plain transformers checkpoint; a ProxyConfig(reader=True) proxy "
                        "is not one (it holds the policy as its reader)")
    path = Path(path)
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


__all__ = ["ProxyConfig", "completion_text", "gold_rank", "preference_pairs", "proxy_model", "train_proxy", "proxy_scores",
           "pool_scores", "pool_gold", "save_proxy", "prompt_of"]
