"""Outcome and process verifiers trained from scratch on the policy's samples, and best-of-N with them.

    train_records = labelled_samples(policy, tokenizer, train_problems, n=16)      # [P][n] StepRecords
    config = VerifierConfig(max_steps=400)
    orm = train_outcome_verifier(flatten(train_records), tokenizer, config, init=policy)   # outcome labels
    prm = train_process_verifier(flatten(train_records), tokenizer, config, init=policy)   # exact step labels
    scores = selection_scores(orm, prm, tokenizer, test_records)   # method -> [P][N] scores
    curves = best_of_n_curves(test_records, scores, ns=(1, 2, 4, 8, 16, 32))

This is Lightman et al. (2023, *Let's Verify Step by Step*) at toy scale:
the same policy samples, the same network and the same number of optimiser
steps for both; only the supervision differs. Both verifiers are one decoder
with one logit per token (``world.models.tiny_step_scorer``), started from the
policy's backbone (``init=``, as Lightman et al. start both from the base
model) and reading the policy's per-token surprise (``world.reader``, on by
default: without it a verifier of the policy's size cannot check a sum; see
``benchmarks/RESULTS.md``). The PRM is read at the newline after each step
and trained against the checker's exact step labels ("still on a correct path
after step i"), with the answer line as a last step (:func:`with_answer_step`);
the ORM is read at the answer line only and trained against the final
answer's correctness (Cobbe et al., 2021; :func:`outcome_record`). Both are
trained by ``workbench.prm.train.train_prm`` in the project's one loop; a
step's score sees the question and steps ``1..s`` only.

Selection: PRM-min (``min_s p_s``, Wang et al., 2024), PRM-product
(``prod_s p_s``, Lightman et al.), ORM (its probability), majority vote over
final answers (Wang et al., 2023, self-consistency), oracle (right if any
candidate is right) and random (the mean correctness). Best-of-n accuracy for
``n`` below the number of samples averages over ``draws`` random subsets of
each problem's samples; ties count in expectation (``c / t`` for ``t`` tied
candidates of which ``c`` are right), so a constant scorer scores exactly
random's accuracy.
"""
from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass

from workbench.prm.records import StepRecord, normalize_answer
from workbench.world.checker import label_solution
from workbench.world.models import tiny_step_scorer
from workbench.world.policy import sample_solutions
from workbench.world.tasks import WorldProblem

METHODS = ("prm_min", "prm_product", "orm", "majority", "oracle", "random")


@dataclass
class VerifierConfig:
    """One verifier training run; the ORM and the PRM of a comparison share it."""

    max_steps: int = 400  # optimiser steps, the same for both (fewer solutions: more epochs)
    batch_size: int = 32
    learning_rate: float = 2e-3  # from scratch, tiny: large steps
    arch: str = "llama"
    hidden: int = 64
    layers: int = 2
    heads: int = 4
    max_length: int = 256  # tokens: the longest question and solution fit
    reader: bool = True  # read the policy's per-token surprise (world.reader); without it a tiny verifier cannot check a sum
    seed: int = 0
    progress: bool = False


def labelled_samples(model, tokenizer, problems: list[WorldProblem], n: int, *, temperature: float = 1.0,
                     seed: int = 0, batch_size: int = 256) -> list[list[StepRecord]]:
    """``n`` samples per problem from the policy, each labelled exactly by the checker: ``[P][n]`` records."""
    samples = sample_solutions(model, tokenizer, problems, n, temperature=temperature, seed=seed,
                               batch_size=batch_size)
    return [[label_solution(problem, text) for text in texts] for problem, texts in zip(problems, samples)]


def flatten(records: list[list[StepRecord]]) -> list[StepRecord]:
    return [record for row in records for record in row]


def with_answer_step(record: StepRecord) -> StepRecord:
    """The record with its answer line ``#### N`` as a last step, labelled 1 iff every step and the answer are right.

    Why: the checker's step labels say "still on a correct path", so a solution
    that stops early (or states another answer) after right steps has every
    label 1. Scored on its steps alone, PRM-min would pick exactly those. With
    the answer as the last step, as in PRM800K, where the final answer is part
    of the last step (Lightman et al., 2023), the PRM must judge it too.
    """
    answer = record.answer if record.answer is not None else "?"
    outcome = record.meta.get("outcome", float(bool(record.is_correct)))  # the ORM's label, when set
    # right unless a step is labelled wrong (< 0.5; None = unlabelled): exact labels are 0/1, a source's may be soft
    right = bool(outcome) and not any(label is not None and label < 0.5 for label in record.labels)
    return StepRecord(record.prompt, [*record.steps, f"#### {answer}"], [*record.labels, float(right)],
                      answer=record.answer, reference=record.reference, meta=record.meta)


def _loop_config(config: VerifierConfig):
    from workbench.training import TrainConfig

    return TrainConfig(output_dir="", save_model=False, batch_size=config.batch_size, max_steps=config.max_steps,
                       learning_rate=config.learning_rate, warmup_ratio=0.05, weight_decay=0.01,
                       max_length=config.max_length, seed=config.seed, mixed_precision="no",
                       progress=config.progress, log_every=50)


def _sizes(config: VerifierConfig) -> dict:
    return dict(arch=config.arch, hidden=config.hidden, layers=config.layers, heads=config.heads,
                max_positions=max(256, config.max_length), seed=config.seed)


def _start_from(model, init):
    """Copy the backbone (``model.*``) of ``init``, a causal LM of the same config, into a scorer."""
    if init is not None:
        backbone = {k: v for k, v in init.state_dict().items() if k.startswith("model.")}
        missing, _ = model.load_state_dict(backbone, strict=False)
        assert all(not k.startswith("model.") for k in missing), missing
    return model


def outcome_record(record: StepRecord) -> StepRecord:
    """The record with its answer line, labelled only there, with the outcome: what the ORM learns from."""
    full = with_answer_step(record)
    outcome = float(record.meta.get("outcome", float(bool(record.is_correct))))
    return StepRecord(full.prompt, full.steps, [None] * (len(full.steps) - 1) + [outcome], answer=full.answer,
                      reference=full.reference, meta=full.meta)


def _verifier(tokenizer, config: VerifierConfig, init):
    """The network both verifiers share: a token scorer (from ``init``'s backbone), reading ``init`` if asked."""
    if not config.reader:
        return _start_from(tiny_step_scorer(tokenizer, **_sizes(config)), init)
    from workbench.world.reader import reading_scorer

    return reading_scorer(tokenizer, init, owner="VerifierConfig(reader=True)", **_sizes(config))


def train_outcome_verifier(records: list[StepRecord], tokenizer, config: VerifierConfig = VerifierConfig(), *,
                           init=None):
    """An ORM on ``records``: the PRM's network, labelled only at the answer line, with ``meta["outcome"]``."""
    from workbench.prm.train import train_prm

    return train_prm([outcome_record(r) for r in records], _loop_config(config),
                     model=_verifier(tokenizer, config, init), tokenizer=tokenizer).model.eval()


def train_process_verifier(records: list[StepRecord], tokenizer, config: VerifierConfig = VerifierConfig(), *,
                           init=None):
    """A PRM on ``records`` (the checker's exact step labels, the answer line last)."""
    from workbench.prm.train import train_prm

    return train_prm([with_answer_step(r) for r in records], _loop_config(config),
                     model=_verifier(tokenizer, config, init), tokenizer=tokenizer).model.eval()


def _aggregate(step_scores: list[float], method: str) -> float:
    if not step_scores:
        return 0.0  # a solution with no steps is no solution
    if method == "min":
        return min(step_scores)
    product = 1.0
    for score in step_scores:
        product *= score
    return product


def selection_scores(orm, prm, tokenizer, records: list[list[StepRecord]], *,
                     max_length: int = 256) -> dict[str, list[list[float]]]:
    """Per method with a score (``prm_min``, ``prm_product``, ``orm``), ``[P][N]`` candidate scores."""
    from workbench.prm.model import prm_step_scores

    flat = flatten(records)
    shape = [len(row) for row in records]

    def unflatten(values: list) -> list[list]:
        rows, start = [], 0
        for size in shape:
            rows.append(values[start:start + size])
            start += size
        return rows

    scores = {}
    if prm is not None:
        steps = prm_step_scores(prm, tokenizer, [with_answer_step(r) for r in flat], max_length=max_length)
        scores["prm_min"] = unflatten([_aggregate(s, "min") for s in steps])
        scores["prm_product"] = unflatten([_aggregate(s, "product") for s in steps])
    if orm is not None:  # read at the answer line, the last step (0 when cut off by max_length: no answer seen)
        steps = prm_step_scores(orm, tokenizer, [with_answer_step(r) for r in flat], max_length=max_length)
        scores["orm"] = unflatten([s[-1] if len(s) == len(r.steps) + 1 else 0.0 for s, r in zip(steps, flat)])
    return scores


def _pick(flags: list[bool], values: list[float]) -> float:
    """Expected correctness of the top-scored candidate, ties split evenly."""
    top = max(values)
    tied = [flag for flag, value in zip(flags, values) if value == top]
    return sum(tied) / len(tied)


def _majority(records: list[StepRecord]) -> float:
    """Expected correctness of the most common final answer (no answer never wins), ties split evenly."""
    votes = Counter(normalize_answer(r.answer) for r in records if r.answer is not None)
    if not votes:
        return 0.0
    top = max(votes.values())
    winners = [answer for answer, count in votes.items() if count == top]
    reference = normalize_answer(records[0].reference)
    return sum(answer == reference for answer in winners) / len(winners)


def best_of_n_curves(records: list[list[StepRecord]], scores: dict[str, list[list[float]]], *,
                     ns=(1, 2, 4, 8, 16, 32), draws: int = 20, seed: int = 0) -> dict[str, list[float]]:
    """Best-of-n accuracy per method (``METHODS`` that apply) and per ``n``: ``{method: [acc per n]}``.

    For ``n`` smaller than a problem's samples, ``draws`` random subsets (the
    same subsets for every method) are averaged; at ``n`` equal to it, one.
    """
    rng = random.Random(seed)
    methods = [m for m in METHODS if m in scores or m in ("majority", "oracle", "random")]
    curves = {method: [] for method in methods}
    for n in ns:
        totals = dict.fromkeys(methods, 0.0)
        count = 0
        for row, candidates in enumerate(records):
            if len(candidates) < n:
                raise ValueError(f"problem {row}: {len(candidates)} samples, fewer than n={n}")
            subsets = [list(range(n))] if n == len(candidates) else [rng.sample(range(len(candidates)), n)
                                                                     for _ in range(draws)]
            for subset in subsets:
                chosen = [candidates[i] for i in subset]
                flags = [bool(r.is_correct) for r in chosen]
                for method in methods:
                    if method == "majority":
                        totals[method] += _majority(chosen)
                    elif method == "oracle":
                        totals[method] += float(any(flags))
                    elif method == "random":
                        totals[method] += sum(flags) / n
                    else:
                        totals[method] += _pick(flags, [scores[method][row][i] for i in subset])
            count += len(subsets)
        for method in methods:
            curves[method].append(totals[method] / count)
    return curves
