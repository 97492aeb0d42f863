"""Automatic step labelling: four labelers behind one interface, and consensus.

(Labels from people are :mod:`workbench.annotate`'s widgets; the words differ on
purpose. The classes keep their public ``*Annotator`` names and their
``annotate(record)`` method.) Every labeler has ``annotate(record) -> StepAnnotation``:
a label per step (float in [0, 1] or None), the first error it finds (None: no
error) and its cost (``rollouts`` generated or judge ``calls`` made). How well
the labels match a truth is :mod:`workbench.prm.metrics`.

* :class:`MonteCarloAnnotator` (Wang et al., 2024, *Math-Shepherd*): from each
  step's prefix, ``n`` rollouts; soft label = fraction reaching the reference
  answer, hard label = any does. Cost ``S * n``.
* :class:`FirstErrorSearch` (Luo et al., 2024, *OmegaPRM*): binary search for
  the first prefix from which no rollout recovers. A solution whose own answer
  is right costs nothing; otherwise ``ceil(log2 S)`` probes of at most ``n``
  rollouts, stopping a probe at its first success.
* :class:`JudgeAnnotator` (``workbench.prm.judge``): an LLM names the first wrong step.
* :class:`VerifierAnnotator`: exact arithmetic checks (``verify_arithmetic``).

A policy is anything with ``rollout(prompt, prefix, n) -> list[str]`` (completions
that end with a final answer): :class:`~workbench.prm.simulated.SimulatedPolicy`,
:class:`~workbench.prm.policy.TransformersPolicy`, :class:`~workbench.prm.policy.HTTPPolicy`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from workbench.prm.records import StepRecord, answers_equal
from workbench.prm.simulated import final_answer
from workbench.prm.verify import verify_arithmetic


class Policy(Protocol):
    def rollout(self, prompt: str, prefix: list[str], n: int) -> list[str]: ...


@dataclass
class StepAnnotation:
    """labels: S values (float in [0, 1] or None). first_error: index or None (no error).
    cost: {"rollouts": int, "calls": int}. method: the annotator's name."""

    labels: list[float | None]
    first_error: int | None
    method: str
    cost: dict[str, int] = field(default_factory=lambda: {"rollouts": 0, "calls": 0})

    def apply(self, record: StepRecord) -> StepRecord:
        """A copy of ``record`` carrying these labels."""
        meta = dict(record.meta, annotation=self.method, first_error=self.first_error)
        return StepRecord(record.prompt, list(record.steps), list(self.labels), record.answer,
                          record.reference, meta)


def labels_from_first_error(n_steps: int, first_error: int | None, *, after: float | None = None):
    """1.0 before the first error, 0.0 at it, ``after`` (default None: unknown) beyond it."""
    if first_error is None:
        return [1.0] * n_steps
    return [1.0] * first_error + [0.0] + [after] * (n_steps - first_error - 1)


def _reaches(completion: str, reference: str) -> bool:
    answer = final_answer(completion)
    return answer is not None and answers_equal(answer, reference)


def _successes(policy: Policy, record: StepRecord, prefix_length: int, n: int, *, stop_early: bool):
    """(successes, rollouts used) from the prefix of ``prefix_length`` steps."""
    if record.reference is None:
        raise ValueError("annotation by rollouts needs the record's reference answer")
    prefix = record.steps[:prefix_length]
    successes = used = 0
    chunk = 1 if stop_early else n
    while used < n:
        for completion in policy.rollout(record.prompt, prefix, min(chunk, n - used)):
            used += 1
            successes += _reaches(completion, record.reference)
        if stop_early and successes:
            break
    return successes, used


class MonteCarloAnnotator:
    """Math-Shepherd: ``n`` rollouts from every step; soft (fraction) or hard (any) labels."""

    def __init__(self, policy: Policy, n: int = 8, *, hard: bool = False):
        self.policy, self.n, self.hard = policy, n, hard
        self.name = f"mc-{'hard' if hard else 'soft'}"

    def annotate(self, record: StepRecord) -> StepAnnotation:
        labels, rollouts = [], 0
        if hasattr(self.policy, "rollout_many"):  # every prefix in one batched call
            if record.reference is None:
                raise ValueError("annotation by rollouts needs the record's reference answer")
            requests = [(record.prompt, record.steps[: i + 1]) for i in range(len(record.steps))]
            for completions in self.policy.rollout_many(requests, self.n):
                successes = sum(_reaches(c, record.reference) for c in completions)
                rollouts += len(completions)
                labels.append(float(successes > 0) if self.hard else successes / len(completions))
        for i in range(len(labels), len(record.steps)):
            successes, used = _successes(self.policy, record, i + 1, self.n, stop_early=False)
            rollouts += used
            labels.append(float(successes > 0) if self.hard else successes / used)
        first = next((i for i, label in enumerate(labels) if label == 0.0), None)
        return StepAnnotation(labels, first, self.name, {"rollouts": rollouts, "calls": 0})


class FirstErrorSearch:
    """OmegaPRM's binary search for the first step from which no rollout recovers.

    Assumes monotonicity: once a prefix is unrecoverable, longer ones are too.
    ``good(i)`` = some of ``n`` rollouts from ``steps[:i+1]`` reaches the
    reference (a probe stops at its first success when ``stop_early``). A
    solution whose own final answer is right is taken as error-free at no cost;
    otherwise the smallest ``i`` with ``not good(i)`` is found in
    ``ceil(log2 S)`` probes (``good(S-1)`` is false: the answer is wrong).
    Labels: 1.0 before, 0.0 at the first error, ``None`` after it.
    """

    name = "first-error-search"

    def __init__(self, policy: Policy, n: int = 8, *, stop_early: bool = True):
        self.policy, self.n, self.stop_early = policy, n, stop_early

    def annotate(self, record: StepRecord) -> StepAnnotation:
        steps = len(record.steps)
        if record.answer is not None and record.reference is not None and record.is_correct:
            return StepAnnotation([1.0] * steps, None, self.name, {"rollouts": 0, "calls": 0})
        low, high, rollouts = 0, steps - 1, 0
        while low < high:
            middle = (low + high) // 2
            successes, used = _successes(self.policy, record, middle + 1, self.n, stop_early=self.stop_early)
            rollouts += used
            if successes:
                low = middle + 1
            else:
                high = middle
        first = low if steps else None
        return StepAnnotation(labels_from_first_error(steps, first), first, self.name,
                              {"rollouts": rollouts, "calls": 0})


class VerifierAnnotator:
    """Exact arithmetic: each step's ``verify_arithmetic`` verdict; first False is the first error.

    Labels: 1.0 for a verified step before the first error, None for a step with
    nothing to check, 0.0 at the first error, None after it (a later step can be
    right arithmetic on a wrong value). Free: no rollouts, no calls.
    """

    name = "verifier"

    def annotate(self, record: StepRecord) -> StepAnnotation:
        labels: list[float | None] = []
        first = None
        for index, step in enumerate(record.steps):
            if first is not None:
                labels.append(None)
                continue
            verdict = verify_arithmetic(step)
            if verdict is False:
                first = index
                labels.append(0.0)
            else:
                labels.append(None if verdict is None else 1.0)
        return StepAnnotation(labels, first, self.name)


def consensus(first: StepAnnotation, second: StepAnnotation, *, threshold: float = 0.5) -> StepAnnotation | None:
    """Keep a solution only when both methods name the same first error (or both none).

    Zhang et al., 2025 (*The Lessons of Developing Process Reward Models in
    Mathematical Reasoning*): MC estimation filtered by agreement with an LLM
    judge matches judge-only quality with a fraction of the data. Returns the
    step labels where both agree (hardened at ``threshold``) and None elsewhere,
    or None when the first errors differ. Cost is the sum of both.
    """
    if first.first_error != second.first_error:
        return None
    labels = []
    for a, b in zip(first.labels, second.labels):
        agree = a is not None and b is not None and (a >= threshold) == (b >= threshold)
        labels.append(float(a >= threshold) if agree else None)
    cost = {key: first.cost.get(key, 0) + second.cost.get(key, 0) for key in ("rollouts", "calls")}
    return StepAnnotation(labels, first.first_error, f"consensus({first.method},{second.method})", cost)


def annotate_all(annotator, records: list[StepRecord], *, progress: bool = False) -> list[StepAnnotation]:
    """``annotator.annotate`` over ``records`` (with a tqdm bar when ``progress``)."""
    if progress:
        from tqdm.auto import tqdm

        records = tqdm(records, desc=getattr(annotator, "name", "annotate"))
    return [annotator.annotate(record) for record in records]


def consensus_all(first: list[StepAnnotation], second: list[StepAnnotation]) -> dict[int, StepAnnotation]:
    """:func:`consensus` over two lists: solution index -> the kept annotation."""
    if len(first) != len(second):
        raise ValueError(f"{len(first)} vs {len(second)} annotations")
    kept = {}
    for index, (a, b) in enumerate(zip(first, second)):
        agreed = consensus(a, b)
        if agreed is not None:
            kept[index] = agreed
    return kept
