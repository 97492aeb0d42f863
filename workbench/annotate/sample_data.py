"""Ranking tasks from the Prometheus multi-response set (80 prompts x 4 responses, each
response rated 1-5 three times by a GPT-4 judge), with a bundled fallback.

The judge prompt in ``instruction`` wraps the question and the response; we cut
them out. Each task keeps the judge's mean score per response in
``meta["scores"]``: a reference annotation to compare people (or simulated
annotators) against. Source: prometheus-eval/prometheus-eval, Apache-2.0
(Kim et al. 2024, "Prometheus 2").
"""
from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

from ..paths import DATA_DIR, shared_data_dir

FILES = ("vicuna_eval.json", "mt_bench_eval.json")
BUNDLED = DATA_DIR / "prometheus_ranking_sample.jsonl"
_QUESTION = "###The instruction to evaluate:\n"
_RESPONSE = "###Response to evaluate:\n"
_END = "###Reference Answer"


def parse_instruction(instruction: str, row: int) -> tuple[str, str]:
    """(question, response) cut out of a Prometheus judge prompt."""
    try:
        question = instruction.split(_QUESTION, 1)[1].split(_RESPONSE, 1)[0].strip()
        response = instruction.split(_RESPONSE, 1)[1].split(_END, 1)[0].strip()
    except IndexError:
        raise ValueError(f"row {row}, field 'instruction': not a Prometheus judge prompt") from None
    if not question or not response:
        raise ValueError(f"row {row}, field 'instruction': empty question or response")
    return question, response


def tasks_from_file(path: str | Path) -> list[dict]:
    """One ranking task per prompt of a Prometheus file; responses sorted by source model."""
    path = Path(path)
    rows = json.loads(path.read_text(encoding="utf-8"))
    grouped: dict[int, list[tuple[str, str, float, str]]] = defaultdict(list)
    questions: dict[int, str] = {}
    for i, row in enumerate(rows):
        question, response = parse_instruction(row["instruction"], i)
        scores = row["gpt4_score"]
        if not scores:
            raise ValueError(f"row {i}, field 'gpt4_score': empty")
        questions[row["idx"]] = question
        grouped[row["idx"]].append((row["response_source"], response, sum(scores) / len(scores), row["category"]))
    tasks = []
    for idx in sorted(grouped):
        items = sorted(grouped[idx])
        tasks.append({"id": f"{path.stem}-{idx}", "prompt": questions[idx],
                      "responses": [r for _, r, _, _ in items],
                      "meta": {"sources": [s for s, _, _, _ in items], "scores": [q for _, _, q, _ in items],
                               "category": items[0][3]}})
    return tasks


def load_ranking_tasks(n: int | None = None, *, prefer_shared: bool = True) -> tuple[list[dict], str]:
    """(tasks, where they came from): ``../shared/data`` when present, else the bundled sample."""
    shared = shared_data_dir()
    folder = shared / "prometheus-multi-response" if shared else None
    if prefer_shared and folder is not None and folder.is_dir():
        tasks = [t for name in FILES for t in tasks_from_file(folder / name)]
        source = f"shared data: {folder}"
    elif BUNDLED.exists():
        tasks = [json.loads(line) for line in BUNDLED.read_text(encoding="utf-8").splitlines() if line.strip()]
        source = f"bundled sample: {BUNDLED}"
    else:
        raise FileNotFoundError(f"neither ../shared/data/prometheus-multi-response nor {BUNDLED} exists")
    return (tasks[:n] if n else tasks), source


def quality_of(tasks: list[dict]) -> dict[str, list[float]]:
    """Task id -> the judge's mean score per response (the reference quality)."""
    return {t["id"]: list(t["meta"]["scores"]) for t in tasks}


def write_bundled_sample(path: str | Path = BUNDLED, *, n_tasks: int = 40, max_chars: int = 5000) -> Path:
    """Write the fallback sample: the ``n_tasks`` prompts with the shortest responses
    (each task's four responses at most ``max_chars`` in all), not all-tied."""
    shared = shared_data_dir()
    if shared is None:
        raise FileNotFoundError("../shared/data is needed to build the bundled sample")
    folder = shared / "prometheus-multi-response"
    tasks = [t for name in FILES for t in tasks_from_file(folder / name)]
    fits = [t for t in tasks if len(set(t["meta"]["scores"])) > 1
            and sum(map(len, t["responses"])) + len(t["prompt"]) <= max_chars]
    chosen = sorted(fits, key=lambda t: sum(map(len, t["responses"])))[:n_tasks]
    chosen.sort(key=lambda t: t["id"])
    path = Path(path)
    with path.open("w", encoding="utf-8") as handle:
        for task in chosen:
            handle.write(json.dumps(task, ensure_ascii=False) + "\n")
    return path
