"""GSM8K for the ORM-vs-PRM comparison: training data with a known first error,
the real model solutions, and the selection and first-error metrics.

* :func:`~workbench.data.sources.load_gsm8k` (moved to :mod:`workbench.data.sources`,
  still importable from here) reads ``train``/``test``/``solutions`` from the bundled
  samples (``source="bundled"``, what notebooks use: ``data/gsm8k_prm/train.jsonl``,
  300 train questions, and ``data/gsm8k_solutions_sample.jsonl``, 160 test
  questions with their model solutions) or the full set in ``../shared/data/gsm8k``.
* :func:`corrupted_training_records`: gold train solutions (every step right,
  outcome 1) and, for the same questions, copies with one computed number
  changed in one step (``workbench.prm.verify.corrupt_step``): steps before it
  are labelled 1, the corrupted step and all after it 0, outcome 0.
* :func:`model_solution_records`: the four real model solutions per test question.
* :func:`selection_table`: best-of-n accuracy of each scorer against random
  choice, majority vote and the oracle.
"""
from __future__ import annotations

import random
from collections import Counter
from pathlib import Path

from workbench.data.jsonl import write_jsonl
from workbench.data.sources import GSM8K, GSM8K_MODELS, load_gsm8k
from workbench.errors import UserError
from workbench.paths import DATA_DIR
from workbench.prm.records import StepRecord, answers_equal, from_gsm8k, normalize_answer, split_steps
from workbench.prm.scoring import best_of_n_accuracy
from workbench.prm.verify import corrupt_step, verify_arithmetic

# Old names, kept (load_gsm8k above too): workbench.data.sources.GSM8K is the table of files.
MODELS = GSM8K_MODELS
BUNDLED = DATA_DIR / "gsm8k_prm"
FILES = {name: Path(data.shared).name for name, data in GSM8K.items()}
BUNDLED_FILES = {name: DATA_DIR / data.bundled for name, data in GSM8K.items() if data.bundled}


def corrupted_training_records(rows: list[dict], *, seed: int = 0) -> list[StepRecord]:
    """Per question: the gold solution and, when one step states a computation, a corrupted copy.

    Returns gold and corrupted records interleaved; ``meta["outcome"]`` is the
    ORM label (1 gold, 0 corrupted) and ``meta["corrupted_step"]`` the true first error.
    """
    rng = random.Random(seed)
    records = []
    for index, row in enumerate(rows):
        try:
            gold = from_gsm8k(row["question"], row["answer"])
        except KeyError as error:
            raise UserError(f"record {index}: field {error.args[0]!r} is missing") from None
        gold.meta.update(outcome=1.0, corrupted_step=None)
        records.append(gold)
        candidates = [i for i, step in enumerate(gold.steps) if verify_arithmetic(step)]
        rng.shuffle(candidates)
        for position in candidates:
            changed = corrupt_step(gold.steps[position], rng)
            if changed is not None and verify_arithmetic(changed) is False:
                steps = gold.steps[:position] + [changed] + gold.steps[position + 1:]
                labels = [1.0] * position + [0.0] * (len(steps) - position)
                records.append(StepRecord(gold.prompt, steps, labels, gold.answer, gold.reference,
                                          {"source": "gsm8k-corrupted", "outcome": 0.0,
                                           "corrupted_step": position}))
                break
    return records


def model_solution_records(rows: list[dict]) -> list[list[StepRecord]]:
    """Per test question, its model solutions as StepRecords (labels None; ``meta["is_correct"]``)."""
    questions = []
    for index, row in enumerate(rows):
        reference = row.get("reference")
        if reference is None:
            _, reference = split_steps(row["ground_truth"])
        candidates = []
        for name in MODELS:
            if name not in row:
                raise UserError(f"record {index}: field {name!r} is missing")
            steps, answer = split_steps(row[name]["solution"])
            candidates.append(StepRecord(row["question"], steps, [None] * len(steps), answer, reference,
                                         {"model": name, "is_correct": bool(row[name]["is_correct"])}))
        questions.append(candidates)
    return questions


def majority_vote_accuracy(questions: list[list[StepRecord]], n: int | None = None) -> float:
    """Pick the most frequent final answer among the first ``n``; is it right?

    Ties between answers are broken uniformly at random, in expectation (a 2-2
    split between a right and a wrong answer counts 0.5).
    """
    hits = 0.0
    for candidates in questions:
        chosen = candidates[: n or len(candidates)]
        answers = [normalize_answer(c.answer) for c in chosen if c.answer is not None]
        if not answers:
            continue
        counts = Counter(answers)
        best = max(counts.values())
        tied = [answer for answer, count in counts.items() if count == best]
        hits += sum(answers_equal(answer, chosen[0].reference) for answer in tied) / len(tied)
    return hits / len(questions)


def selection_table(questions: list[list[StepRecord]], scores: dict[str, list[list[float]]],
                    ns: tuple[int, ...] = (1, 2, 3, 4)) -> dict[str, list[float]]:
    """Best-of-n accuracy for n in ``ns``: ``random`` (expected), ``majority``, ``oracle``, and each scorer.

    scores: name -> per question, one score per candidate (higher = better).
    """
    correct = [[bool(c.meta["is_correct"]) for c in candidates] for candidates in questions]
    table = {
        "random": [sum(sum(row[:n]) / n for row in correct) / len(correct) for n in ns],
        "majority": [majority_vote_accuracy(questions, n) for n in ns],
        "oracle": [sum(any(row[:n]) for row in correct) / len(correct) for n in ns],
    }
    for name, values in scores.items():
        table[name] = [best_of_n_accuracy(correct, values, n) for n in ns]
    return table


def verifier_first_errors(records: list[StepRecord]) -> list[int | None | str]:
    """Ground truth where the formal verifier gives one: the first step it flags,
    None for a correct solution with no flagged step, ``"unknown"`` otherwise
    (a wrong answer whose error is not arithmetic)."""
    truths: list[int | None | str] = []
    for record in records:
        flagged = next((i for i, s in enumerate(record.steps) if verify_arithmetic(s) is False), None)
        if flagged is not None:
            truths.append(flagged)
        elif record.meta.get("is_correct"):
            truths.append(None)
        else:
            truths.append("unknown")
    return truths


def write_bundle(folder: Path = BUNDLED, *, n_train: int = 300, seed: int = 0) -> None:
    """Write the bundled train sample from the shared set (run once by maintainers; MIT licence)."""
    rng = random.Random(seed)
    write_jsonl(rng.sample(load_gsm8k("train", source="shared"), n_train), folder / FILES["train"])
