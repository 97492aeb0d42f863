"""Synthetic preference data with a known ground-truth reward: the demo's and notebooks' teaching set.

A response to a prompt is a short sentence naming two qualities, e.g.
``"Here is a clear and polite answer about taxes."``. Its true reward is the
sum of the two quality values (``QUALITIES``: +1 for "correct" down to -1 for
"misleading"); the topic and wording carry no reward. Judgements are drawn
from the Bradley-Terry model on the true rewards (Bradley & Terry 1952):

    P(a preferred to b) = sigma(beta * (r_a - r_b))

so a learner can check whether a trained reward model recovers the truth, and
the accuracy of the true rewards themselves on the noisy labels is the ceiling.
Lists (for Plackett-Luce) carry graded labels: the true reward plus Gaussian
noise, rounded to a 1-5 scale, so ties occur as with real ratings.
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np

QUALITIES = {
    "correct": 1.0, "accurate": 0.9, "helpful": 0.9, "clear": 0.7, "thorough": 0.6, "polite": 0.5,
    "friendly": 0.4, "short": 0.0, "long": 0.0, "formal": 0.0, "casual": -0.1, "vague": -0.6,
    "confusing": -0.7, "careless": -0.8, "rude": -0.9, "wrong": -1.0, "misleading": -1.0,
}
TOPICS = ["taxes", "cooking rice", "python lists", "the moon", "sleep", "gardening", "chess openings",
          "a job interview", "fractions", "the weather", "a broken bike", "learning french"]
TEMPLATES = ["Here is a {a} and {b} answer about {topic}.", "My reply on {topic} is {a} and {b}.",
             "A {a}, {b} explanation of {topic} follows.", "This {a} and {b} note covers {topic}."]


def true_reward(response: str) -> float:
    """The ground-truth reward of a synthetic response: the sum of its quality words' values."""
    words = response.replace(",", " ").replace(".", " ").split()
    return round(float(sum(QUALITIES.get(w, 0.0) for w in words)), 6)


def _response(rng: np.random.Generator, topic: str) -> str:
    a, b = rng.choice(list(QUALITIES), size=2, replace=False)
    return str(rng.choice(TEMPLATES)).format(a=a, b=b, topic=topic)


def synthetic_pairs(n_pairs: int, *, beta: float = 3.0, seed: int = 0) -> list[dict]:
    """``n_pairs`` pairwise records (prompt, chosen, rejected) with the true rewards alongside.

    The preferred response is drawn with P = sigma(beta * (r_a - r_b)); extra columns
    ``chosen_reward`` / ``rejected_reward`` hold the truth (ignored by training).
    """
    rng = np.random.default_rng(seed)
    rows = []
    for n in range(n_pairs):
        topic = str(rng.choice(TOPICS))
        a, b = _response(rng, topic), _response(rng, topic)
        while true_reward(a) == true_reward(b) and a == b:
            b = _response(rng, topic)
        ra, rb = true_reward(a), true_reward(b)
        a_wins = rng.random() < 1.0 / (1.0 + math.exp(-beta * (ra - rb)))
        chosen, rejected = (a, b) if a_wins else (b, a)
        rows.append({"prompt": f"Question {n}: tell me about {topic}. ", "chosen": chosen, "rejected": rejected,
                     "chosen_reward": true_reward(chosen), "rejected_reward": true_reward(rejected)})
    return rows


def synthetic_lists(n_lists: int, *, k: int = 4, noise: float = 0.3, seed: int = 0) -> list[dict]:
    """``n_lists`` listwise records: K responses per prompt, labels = round(1-5 scaled truth + noise)."""
    rng = np.random.default_rng(seed)
    rows = []
    for n in range(n_lists):
        topic = str(rng.choice(TOPICS))
        responses = [_response(rng, topic) for _ in range(k)]
        truth = np.array([true_reward(r) for r in responses])
        graded = np.clip(np.round(3.0 + truth + rng.normal(0.0, noise, size=k)), 1, 5)
        rows.append({"prompt": f"Question {n}: tell me about {topic}. ", "responses": responses,
                     "labels": [float(x) for x in graded], "true_rewards": truth.tolist()})
    return rows


def true_pair_accuracy(rows: list[dict]) -> float:
    """How often the true reward agrees with the (noisy) label: the best accuracy any model can expect."""
    agree = [(r["chosen_reward"] > r["rejected_reward"]) + 0.5 * (r["chosen_reward"] == r["rejected_reward"])
             for r in rows]
    return float(np.mean(agree))


def write_demo_data(folder: str | Path | None = None, *, n_train: int = 600, n_test: int = 300,
                    seed: int = 0) -> dict[str, Path]:
    """Write ``synthetic_pairs_{train,test}.jsonl`` and ``synthetic_lists_{train,test}.jsonl`` into ``data/``."""
    from workbench.data.records import write_jsonl
    from workbench.paths import DATA_DIR

    folder = Path(folder) if folder is not None else DATA_DIR
    sets = {"pairs_train": synthetic_pairs(n_train, seed=seed), "pairs_test": synthetic_pairs(n_test, seed=seed + 1),
            "lists_train": synthetic_lists(n_train // 4, seed=seed + 2),
            "lists_test": synthetic_lists(n_test // 4, seed=seed + 3)}
    return {name: write_jsonl(rows, folder / f"synthetic_{name}.jsonl") for name, rows in sets.items()}
