"""A real reward matrix: GSM8K model solutions scored by the rule rewards.

Each GSM8K test question in ``../shared/data/gsm8k/example_model_solutions.jsonl``
comes with four solutions written by four models (GPT-3 6B/175B, fine-tuned
or with a verifier). They are a natural GRPO group: one prompt, several
completions. We score every solution with three rewards from
:mod:`workbench.rewards`:

* ``correctness``: ``correctness_reward`` against the reference (1 / 0);
* ``format``: the solution ends with a GSM8K answer line ``A: <number>``;
* ``length``: DAPO's soft overlong punishment (Yu et al. 2025,
  ``make_soft_overlong_reward``): 0 up to ``max_length - cache_length`` words,
  then falling linearly to -1 at ``max_length`` and -1 beyond. Its plateaus
  make equal reward vectors common, which is where GRPO's sum collapses
  distinct combinations (notebook 07).

The project bundles a subset (``data/gsm8k_solutions_sample.jsonl``, MIT, made
by :func:`write_bundled_sample`) so notebooks run on a fresh clone. Reading the
groups is :func:`workbench.data.sources.load_gsm8k_solution_groups` (importable here
by its old name, ``load_solution_groups``).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from workbench.data.jsonl import read_jsonl, write_jsonl
from workbench.data.sources import GSM8K_MODELS, GSM8K_SOLUTIONS, shared_path
from workbench.data.sources import load_gsm8k_solution_groups as load_solution_groups
from workbench.paths import DATA_DIR

from .matrix import RewardMatrix

MODELS = GSM8K_MODELS  # old name, kept
BUNDLED = DATA_DIR / GSM8K_SOLUTIONS.bundled
ANSWER_LINE = r".*\nA: ?-?[\d,]*\.?\d+"
REWARD_NAMES = ("correctness", "format", "length")


def shared_solutions_path() -> Path | None:
    """The full 1,319-question file in ../shared/data, or None when absent."""
    return shared_path(GSM8K_SOLUTIONS.shared)


def gsm8k_reward_functions(max_length: int = 60, cache_length: int = 20) -> dict:
    """The three rule rewards used here, by name, in TRL's signature."""
    from workbench.rewards import correctness_reward, make_format_reward, make_soft_overlong_reward

    answer_line = make_format_reward(pattern=ANSWER_LINE)
    answer_line.__name__ = "format"
    return {"correctness": correctness_reward, "format": answer_line,
            "length": make_soft_overlong_reward(max_length, cache_length)}


def gsm8k_reward_matrix(groups: list[dict], *, max_length: int = 60, cache_length: int = 20) -> RewardMatrix:
    """Score every solution of every group: a :class:`RewardMatrix` with N = 4 * len(groups), F = 3.

    ``meta`` holds ``is_correct`` (the data set's own label), ``models`` and ``questions``.
    """
    completions = [s for g in groups for s in g["solutions"]]
    truth = [g["ground_truth"] for g in groups for _ in g["solutions"]]
    group_ids = np.repeat(np.arange(len(groups)), [len(g["solutions"]) for g in groups])
    columns = {name: func(completions, ground_truth=truth)
               for name, func in gsm8k_reward_functions(max_length, cache_length).items()}
    matrix = RewardMatrix.from_columns(columns, group_ids=group_ids, texts=completions)
    matrix.meta = {"is_correct": np.array([c for g in groups for c in g["is_correct"]]),
                   "models": [m for g in groups for m in g["models"]],
                   "questions": [g["question"] for g in groups]}
    return matrix


def write_bundled_sample(source: str | Path | None = None, dest: str | Path = BUNDLED, *,
                         n_groups: int = 160, seed: int = 0) -> Path:
    """Write the bundled subset: every group whose format reward varies, then random others.

    Keeps the records in the shared file's format (the reference solution is
    cut to its final answer line to save space).
    """
    source = Path(source) if source is not None else GSM8K_SOLUTIONS.resolve("shared").path
    records = read_jsonl(source)
    matrix = gsm8k_reward_matrix(load_solution_groups(source))
    format_column = matrix.column("format")
    varied = [g for g in range(matrix.num_groups) if np.ptp(format_column[matrix.group(g)]) > 0]
    rest = [g for g in np.random.default_rng(seed).permutation(len(records)) if g not in set(varied)]
    chosen = sorted(varied[:n_groups] + rest[:max(0, n_groups - len(varied))])
    return write_jsonl(({**records[g], "ground_truth": records[g]["ground_truth"].strip().splitlines()[-1]}
                        for g in chosen), dest)


def model_arms(matrix: RewardMatrix) -> dict[str, np.ndarray]:
    """``{model: (n, F) reward rows of its solutions}``: each model as a policy (bandit arm)."""
    models = np.asarray(matrix.meta["models"])
    return {model: matrix.rewards[models == model] for model in dict.fromkeys(models)}


def model_means(matrix: RewardMatrix):
    """Mean of each reward per model: a DataFrame indexed by model (policies as points)."""
    import pandas as pd

    return pd.DataFrame({m: np.nanmean(rows, axis=0) for m, rows in model_arms(matrix).items()},
                        index=list(matrix.names)).T
