"""Small evaluation sets in the benchmarks' formats, built from ``../shared/data`` into ``data/eval/``.

:func:`build_bundled_sets` writes four gzipped JSONL files (seeded, byte-for-byte
reproducible contents; gzip headers carry no time or name):

* ``hh_harmless_pairs.jsonl.gz``, RewardBench v1 rows: hh-rlhf harmless-base test pairs
  (Bai et al. 2022) from row 300 on (rows 0-299 are ``data/hh_rlhf_harmless_sample.jsonl.gz``,
  which the notebooks train on), split at the last ``Assistant:`` turn the two dialogues
  share, prompts cut to their last turns within ``max_prompt_chars``; two subsets by the
  number of human turns, ``harmless-single-turn`` and ``harmless-multi-turn``.
* ``prometheus_best_of_4.jsonl.gz``, RewardBench 2 rows: the Prometheus multi-response
  prompts (Kim et al. 2024) whose best response, by the GPT-4 judge's mean 1-5 score, is
  unique: that one chosen, the other three rejected; subsets ``prometheus-vicuna`` and
  ``prometheus-mt-bench``.
* ``gsm8k_best_of_4.jsonl.gz``, RewardBench 2 rows, subset ``gsm8k-math``: GSM8K test
  questions (Cobbe et al. 2021) with exactly one right answer among the four model
  solutions (``is_correct``), like RewardBench 2's Math subset (1 correct, 3 wrong).
* ``gsm8k_ties.jsonl.gz``, RewardBench 2 rows, subset ``Ties``: questions with two or more
  right solutions and at least one wrong: a ``tied:N`` row (every right solution chosen)
  and a ``ref:N`` row (the first right solution only), the wrong ones rejected in both.
  (RewardBench 2 pairs each tied prompt with a different, single-answer reference prompt;
  here the reference is the same question with one answer, the closest this data allows.)

``python -m workbench.evaluation.bundled`` rebuilds them when ``../shared/data`` is present.
"""
from __future__ import annotations

import gzip
import io
import json
import random
from collections import defaultdict
from pathlib import Path

from workbench.paths import DATA_DIR

EVAL_DIR = DATA_DIR / "eval"
BUNDLED_SETS = {
    "hh_harmless": "hh_harmless_pairs.jsonl.gz",
    "prometheus": "prometheus_best_of_4.jsonl.gz",
    "gsm8k_math": "gsm8k_best_of_4.jsonl.gz",
    "gsm8k_ties": "gsm8k_ties.jsonl.gz",
}
HH_FIRST_ROW = 300  # rows before it are the training sample in data/
ASSISTANT = "\n\nAssistant:"
HUMAN = "\n\nHuman:"
GSM8K_MODELS = ("6b_finetuning", "6b_verification", "175b_finetuning", "175b_verification")
PROMETHEUS_FILES = {"vicuna_eval.json": "prometheus-vicuna", "mt_bench_eval.json": "prometheus-mt-bench"}


def bundled_path(name: str) -> Path:
    """The file of bundled set ``name`` (one of :data:`BUNDLED_SETS`)."""
    if name not in BUNDLED_SETS:
        raise ValueError(f"unknown bundled set {name!r}; choose one of {sorted(BUNDLED_SETS)}")
    return EVAL_DIR / BUNDLED_SETS[name]


def load_bundled(name: str):
    """The bundled set ``name`` as an :class:`~workbench.evaluation.formats.EvalSet`."""
    from workbench.evaluation.formats import load_eval_set

    return load_eval_set(bundled_path(name))


def write_rows(rows: list[dict], path: Path) -> Path:
    """Gzipped JSON lines with a fixed header (no time, no name): the same rows give the same bytes."""
    text = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows).encode("utf-8")
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, mtime=0, compresslevel=9) as handle:
        handle.write(text)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buffer.getvalue())
    return path


def _trim_prompt(prompt: str, max_chars: int) -> str:
    """The prompt's last whole turns within ``max_chars`` (at least its last human turn, cut from the left)."""
    starts = [i for i in range(len(prompt)) if prompt.startswith(HUMAN, i)]
    for start in starts:
        if len(prompt) - start <= max_chars:
            return prompt[start:]
    return prompt[-max_chars:]


def hh_rows(shared_dir: Path, *, n_per_subset: int = 110, max_prompt_chars: int = 700, seed: int = 0) -> list[dict]:
    """RewardBench v1 rows from hh-rlhf harmless test pairs (see the module docstring)."""
    import os

    path = shared_dir / "hh-rlhf-harmless" / "test.jsonl.gz"
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        raw = [json.loads(line) for line in handle if line.strip()]
    by_subset: dict[str, list[dict]] = defaultdict(list)
    for i, row in enumerate(raw[HH_FIRST_ROW:], start=HH_FIRST_ROW):
        shared = os.path.commonprefix([row["chosen"], row["rejected"]])
        cut = shared.rfind(ASSISTANT)
        if cut < 0:
            continue
        cut += len(ASSISTANT)
        chosen, rejected = row["chosen"][cut:], row["rejected"][cut:]
        if not chosen.strip() or not rejected.strip() or chosen == rejected:
            continue
        prompt = row["chosen"][:cut]
        subset = "harmless-single-turn" if prompt.count(HUMAN) == 1 else "harmless-multi-turn"
        by_subset[subset].append({"prompt": _trim_prompt(prompt, max_prompt_chars), "chosen": chosen,
                                  "rejected": rejected, "subset": subset, "id": f"hh-harmless-test-{i}"})
    rng = random.Random(seed)
    rows = []
    for subset in ("harmless-single-turn", "harmless-multi-turn"):
        picked = rng.sample(by_subset[subset], min(n_per_subset, len(by_subset[subset])))
        rows.extend(sorted(picked, key=lambda r: int(r["id"].rsplit("-", 1)[1])))
    return rows


def _prometheus_parts(instruction: str, where: str) -> tuple[str, str]:
    """(question, response) cut out of a Prometheus judge prompt."""
    question_mark, response_mark, end_mark = ("###The instruction to evaluate:\n", "###Response to evaluate:\n",
                                              "###Reference Answer")
    if question_mark not in instruction or response_mark not in instruction:
        raise ValueError(f"{where}: not a Prometheus judge prompt")
    question = instruction.split(question_mark, 1)[1].split(response_mark, 1)[0].strip()
    response = instruction.split(response_mark, 1)[1].split(end_mark, 1)[0].strip()
    return question, response


def prometheus_rows(shared_dir: Path) -> list[dict]:
    """RewardBench 2 rows: each prompt whose judge-best response is unique (see the module docstring)."""
    rows = []
    for name, subset in PROMETHEUS_FILES.items():
        path = shared_dir / "prometheus-multi-response" / name
        grouped: dict[int, list[tuple[str, str, float]]] = defaultdict(list)
        questions: dict[int, str] = {}
        for i, row in enumerate(json.loads(path.read_text(encoding="utf-8"))):
            question, response = _prometheus_parts(row["instruction"], f"{path}: row {i}")
            questions[row["idx"]] = question
            scores = row["gpt4_score"]
            grouped[row["idx"]].append((row["response_source"], response, sum(scores) / len(scores)))
        for idx in sorted(grouped):
            items = sorted(grouped[idx])  # by source model: a fixed, meaningless order
            ranked = sorted(items, key=lambda item: -item[2])
            if len(ranked) < 2 or ranked[0][2] == ranked[1][2]:
                continue
            rows.append({"prompt": questions[idx], "chosen": [ranked[0][1]],
                         "rejected": [item[1] for item in items if item is not ranked[0]], "num_correct": 1,
                         "subset": subset, "id": f"{Path(name).stem}-{idx}"})
    return rows


def _gsm8k_groups(shared_dir: Path) -> list[tuple[int, dict, list[str], list[str]]]:
    """(line, record, right solutions, wrong solutions) for each GSM8K test question."""
    path = shared_dir / "gsm8k" / "example_model_solutions.jsonl"
    groups = []
    with open(path, encoding="utf-8") as handle:
        for i, line in enumerate(handle):
            if not line.strip():
                continue
            record = json.loads(line)
            right = [record[m]["solution"] for m in GSM8K_MODELS if record[m]["is_correct"]]
            wrong = [record[m]["solution"] for m in GSM8K_MODELS if not record[m]["is_correct"]]
            groups.append((i, record, right, wrong))
    return groups


def gsm8k_rows(shared_dir: Path, *, n_math: int = 100, n_ties: int = 40, seed: int = 0) -> tuple[list, list]:
    """(math best-of-4 rows, Ties rows) from GSM8K model solutions (see the module docstring)."""
    groups = _gsm8k_groups(shared_dir)
    rng = random.Random(seed)
    single = [g for g in groups if len(g[2]) == 1]
    several = [g for g in groups if len(g[2]) >= 2 and g[3]]
    math = []
    for i, record, right, wrong in sorted(rng.sample(single, min(n_math, len(single))), key=lambda g: g[0]):
        math.append({"prompt": record["question"], "chosen": right, "rejected": wrong, "num_correct": 1,
                     "subset": "gsm8k-math", "id": f"gsm8k-test-{i}"})
    ties = []
    for i, record, right, wrong in sorted(rng.sample(several, min(n_ties, len(several))), key=lambda g: g[0]):
        ties.append({"prompt": record["question"], "chosen": right[:1], "rejected": wrong, "num_correct": 1,
                     "subset": "Ties", "id": f"ref:{i}"})
        ties.append({"prompt": record["question"], "chosen": right, "rejected": wrong, "num_correct": len(right),
                     "subset": "Ties", "id": f"tied:{i}"})
    return math, ties


def build_bundled_sets(shared_dir: str | Path, out_dir: str | Path = EVAL_DIR, *, seed: int = 0) -> dict[str, Path]:
    """Write every bundled set from the shared data in ``shared_dir``; returns name -> path."""
    shared_dir, out_dir = Path(shared_dir), Path(out_dir)
    math, ties = gsm8k_rows(shared_dir, seed=seed)
    rows = {"hh_harmless": hh_rows(shared_dir, seed=seed), "prometheus": prometheus_rows(shared_dir),
            "gsm8k_math": math, "gsm8k_ties": ties}
    return {name: write_rows(rows[name], out_dir / BUNDLED_SETS[name]) for name in BUNDLED_SETS}


if __name__ == "__main__":  # pragma: no cover
    from workbench.paths import shared_data_dir

    source = shared_data_dir()
    if source is None:
        raise SystemExit("../shared/data is absent: nothing to build the evaluation sets from")
    for set_name, written in build_bundled_sets(source).items():
        print(f"{set_name}: {written} ({written.stat().st_size / 1024:.0f} KB)")
