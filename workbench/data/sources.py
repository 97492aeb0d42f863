"""Every data set the workbench reads, and where it reads it from.

Each data set has up to two homes: the full public copy in ``../shared/data``
(``workbench.paths.shared_data_dir()``; see its README; absent on a user's fresh
clone) and a small sample bundled in the project's own ``data/`` (see
``data/README.md`` for what made each file). :func:`resolve` picks one, the shared
copy if present, else the bundled one, and says which, so a notebook can print a
note when it falls back::

    data = GSM8K_SOLUTIONS.resolve()          # or resolve(shared_relpath, bundled_relpath)
    print("data:", data.note)                 # "bundled sample: .../data/... (fallback: ../shared/data is absent)"
    groups = load_gsm8k_solution_groups(data.path)

* GSM8K train / test (:func:`load_gsm8k`): shared ``gsm8k/{train,test}.jsonl``;
  bundled ``gsm8k_prm/train.jsonl`` (300 train questions; no test).
* GSM8K model solutions (:func:`load_gsm8k`, :func:`load_gsm8k_solution_groups`): shared
  ``gsm8k/example_model_solutions.jsonl``; bundled ``gsm8k_solutions_sample.jsonl`` (160).
* hh-rlhf harmless pairs (:func:`load_hh_harmless`): shared ``hh-rlhf-harmless/test.jsonl.gz``;
  bundled ``hh_rlhf_harmless_sample.jsonl.gz`` (300).
* Prometheus 4-response rated sets as ranking tasks (:func:`load_ranking_tasks`): shared
  ``prometheus-multi-response/``; bundled ``prometheus_ranking_sample.jsonl`` (40).

The bundled hh-rlhf and Prometheus samples are stored already converted (split
pairs; ranking tasks), so their loaders read the two homes differently. What is
built *from* these rows (step records, reward matrices, length-bias pairs) stays
in the package that uses it and calls the loaders here.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from workbench.data.jsonl import MissingFileError, iter_jsonl, read_json, read_jsonl, write_jsonl
from workbench.errors import UserError
from workbench.paths import DATA_DIR, shared_data_dir

SOURCES = ("auto", "shared", "bundled")
SHARED_NAME = "../shared/data"  # how messages name the shared folder (WORKBENCH_SHARED_DATA may move it)


@dataclass(frozen=True)
class Resolved:
    """Which copy of a data set to read: ``path``, its ``source`` and whether it is a fallback."""

    path: Path
    source: str  # "shared" | "bundled"
    fell_back: bool = False  # a shared copy was wanted (source="auto") but is absent

    @property
    def note(self) -> str:
        """One line for a notebook or log: what is read, and why when it is the fallback."""
        text = f"{'shared data' if self.source == 'shared' else 'bundled sample'}: {self.path}"
        return text + (f" (fallback: {SHARED_NAME} is absent)" if self.fell_back else "")


def resolve(shared_relpath: str | None, bundled_relpath: str | None, *, source: str = "auto") -> Resolved:
    """The shared copy of a data set if present, else the bundled one.

    shared_relpath: path under ``../shared/data`` (None: no shared copy); bundled_relpath:
    path under ``data/`` (None: nothing bundled). ``source`` ``auto`` (shared, else
    bundled) | ``shared`` | ``bundled`` forces one. A copy counts as present when its
    file (or folder) exists. Raises :class:`MissingFileError` when the wanted copy is absent.
    """
    if source not in SOURCES:
        raise UserError(f"source must be one of {' | '.join(SOURCES)}, got {source!r}")
    root = shared_data_dir()
    shared = root / shared_relpath if root is not None and shared_relpath is not None else None
    if source in ("auto", "shared") and shared is not None and shared.exists():
        return Resolved(shared, "shared")
    if source == "shared":
        what = f"{SHARED_NAME}/{shared_relpath}" if shared_relpath else "a shared copy"
        raise MissingFileError(f"source='shared' but {what} is absent "
                               "(set WORKBENCH_SHARED_DATA to the folder, or use source='bundled')")
    bundled = DATA_DIR / bundled_relpath if bundled_relpath is not None else None
    if bundled is not None and bundled.exists():
        return Resolved(bundled, "bundled", fell_back=source == "auto" and shared_relpath is not None)
    wanted = [p for p in (shared_relpath and f"{SHARED_NAME}/{shared_relpath}", bundled) if p]
    raise MissingFileError(f"no copy of this data set: neither {' nor '.join(map(str, wanted))} exists")


@dataclass(frozen=True)
class DataSet:
    """A data set's two homes (see the module's table)."""

    shared: str | None  # path under ../shared/data
    bundled: str | None  # path under data/

    def resolve(self, source: str = "auto") -> Resolved:
        return resolve(self.shared, self.bundled, source=source)


GSM8K = {
    "train": DataSet("gsm8k/train.jsonl", "gsm8k_prm/train.jsonl"),
    "test": DataSet("gsm8k/test.jsonl", None),
    "solutions": DataSet("gsm8k/example_model_solutions.jsonl", "gsm8k_solutions_sample.jsonl"),
}
GSM8K_SOLUTIONS = GSM8K["solutions"]
HH_HARMLESS = DataSet("hh-rlhf-harmless/test.jsonl.gz", "hh_rlhf_harmless_sample.jsonl.gz")
PROMETHEUS_RANKING = DataSet("prometheus-multi-response", "prometheus_ranking_sample.jsonl")


def shared_path(shared_relpath: str) -> Path | None:
    """The file under ``../shared/data``, or None when it (or the folder) is absent."""
    root = shared_data_dir()
    path = root / shared_relpath if root is not None else None
    return path if path is not None and path.exists() else None


# --- GSM8K (Cobbe et al. 2021; openai/grade-school-math, MIT) -------------------------------

GSM8K_MODELS = ("6b_finetuning", "6b_verification", "175b_finetuning", "175b_verification")


def load_gsm8k(name: str, *, source: str = "bundled", limit: int | None = None) -> list[dict]:
    """Rows of ``name`` in ``train`` | ``test`` (``question``, ``answer``) | ``solutions``
    (``question``, ``ground_truth``, one ``{"solution", "is_correct"}`` per model).

    source: ``bundled`` (the samples in ``data/``, what notebooks use; no bundled
    ``test``) | ``shared`` (the full set) | ``auto`` (shared when present, else bundled).
    limit: the first ``limit`` rows (None: all).
    """
    if name not in GSM8K:
        raise UserError(f"unknown GSM8K file {name!r}; choose one of {sorted(GSM8K)}")
    if source == "bundled" and GSM8K[name].bundled is None:
        raise UserError(f"no bundled sample of {name!r}; use source='shared'")
    return read_jsonl(GSM8K[name].resolve(source).path, limit=limit)


def load_gsm8k_solution_groups(path: str | Path | None = None, *, n_groups: int | None = None) -> list[dict]:
    """GSM8K questions with their model solutions, one group per question:
    ``[{"question", "ground_truth", "models", "solutions", "is_correct"}]`` (4 of each).

    path: a file in the shared ``example_model_solutions.jsonl`` format (default: the
    bundled sample). Raises :class:`UserError` naming the file, line and field of a
    malformed record.
    """
    path = Path(path) if path is not None else GSM8K_SOLUTIONS.resolve("bundled").path
    groups = []
    for line_number, record in iter_jsonl(path):
        if n_groups is not None and len(groups) >= n_groups:
            break
        for field in ("question", "ground_truth", *GSM8K_MODELS):
            if field not in record:
                raise UserError(f"{path}: line {line_number} has no field {field!r}")
        for model in GSM8K_MODELS:
            if not isinstance(record[model], dict) or "solution" not in record[model]:
                raise UserError(f"{path}: line {line_number}, field {model!r} needs a 'solution'")
        groups.append({
            "question": record["question"], "ground_truth": record["ground_truth"],
            "models": list(GSM8K_MODELS),
            "solutions": [record[m]["solution"] for m in GSM8K_MODELS],
            "is_correct": [bool(record[m].get("is_correct")) for m in GSM8K_MODELS],
        })
    return groups


# --- hh-rlhf harmless-base (Bai et al. 2022; anthropics/hh-rlhf, MIT) ------------------------

def split_hh_dialogues(rows: list[dict]):
    """``prompt, chosen, rejected`` (a DataFrame) from hh-rlhf's implicit-prompt dialogues:
    the shared prefix up to the last ``Assistant:`` turn is the prompt."""
    import pandas as pd

    from workbench.data.encoding import split_implicit
    from workbench.data.records import PreferencePair

    pairs = []
    for i, row in enumerate(rows):
        try:
            pair = split_implicit(PreferencePair(chosen=row["chosen"], rejected=row["rejected"]))
        except (KeyError, ValueError) as error:
            raise UserError(f"hh-rlhf row {i}: {error}") from None
        pairs.append({"prompt": pair.prompt, "chosen": pair.chosen, "rejected": pair.rejected})
    return pd.DataFrame(pairs, columns=["prompt", "chosen", "rejected"])


def load_hh_harmless(n_pairs: int | None = None) -> tuple:
    """Real hh-rlhf harmless pairs as a ``prompt, chosen, rejected`` DataFrame, and
    where they came from (``"shared"`` or ``"bundled"``).

    Reads the first ``n_pairs`` (None: all) of the shared test split when present, else
    of the bundled sample (300 pairs, prompts cut to their last 600 characters;
    :func:`write_hh_harmless_sample`).
    """
    import pandas as pd

    data = HH_HARMLESS.resolve()
    rows = read_jsonl(data.path, limit=n_pairs or None)
    if data.source == "shared":
        return split_hh_dialogues(rows), "shared"
    return pd.DataFrame(rows, columns=["prompt", "chosen", "rejected"]), "bundled"


def write_hh_harmless_sample(n_pairs: int = 300, max_prompt_chars: int = 600) -> str:
    """Bundle the first ``n_pairs`` shared hh-rlhf harmless pairs into ``data/`` (prompts
    cut to their last ``max_prompt_chars`` characters to keep the file small)."""
    pairs = split_hh_dialogues(read_jsonl(HH_HARMLESS.resolve("shared").path, limit=n_pairs))
    pairs["prompt"] = pairs["prompt"].str[-max_prompt_chars:]
    return str(write_jsonl(pairs.to_dict("records"), DATA_DIR / HH_HARMLESS.bundled))


# --- Prometheus multi-response (Kim et al. 2024, "Prometheus 2"; prometheus-eval, Apache-2.0) -

PROMETHEUS_FILES = ("vicuna_eval.json", "mt_bench_eval.json")
_QUESTION = "###The instruction to evaluate:\n"
_RESPONSE = "###Response to evaluate:\n"
_END = "###Reference Answer"


def parse_instruction(instruction: str, row: int) -> tuple[str, str]:
    """(question, response) cut out of a Prometheus judge prompt (its ``instruction`` field)."""
    try:
        question = instruction.split(_QUESTION, 1)[1].split(_RESPONSE, 1)[0].strip()
        response = instruction.split(_RESPONSE, 1)[1].split(_END, 1)[0].strip()
    except IndexError:
        raise UserError(f"row {row}, field 'instruction': not a Prometheus judge prompt") from None
    if not question or not response:
        raise UserError(f"row {row}, field 'instruction': empty question or response")
    return question, response


def load_prometheus_file(path: str | Path) -> list[dict]:
    """One ranking task per prompt of a Prometheus file (a JSON list of rated responses).

    Task: ``{"id": "<file stem>-<idx>", "prompt", "responses" (sorted by source model),
    "meta": {"sources", "scores" (the judge's mean 1-5 score per response), "category"}}``.
    """
    path = Path(path)
    grouped: dict[int, list[tuple[str, str, float, str]]] = defaultdict(list)
    questions: dict[int, str] = {}
    for i, row in enumerate(read_json(path)):
        try:
            question, response = parse_instruction(row["instruction"], i)
            scores = row["gpt4_score"]
            if not scores:
                raise UserError(f"row {i}, field 'gpt4_score': empty")
            questions[row["idx"]] = question
            grouped[row["idx"]].append((row["response_source"], response, sum(scores) / len(scores),
                                        row["category"]))
        except KeyError as error:
            raise UserError(f"{path}: row {i}, field {error.args[0]!r} is missing") from None
        except UserError as error:
            raise UserError(f"{path}: {error}") from None
    tasks = []
    for idx in sorted(grouped):
        items = sorted(grouped[idx])
        tasks.append({"id": f"{path.stem}-{idx}", "prompt": questions[idx],
                      "responses": [r for _, r, _, _ in items],
                      "meta": {"sources": [s for s, _, _, _ in items], "scores": [q for _, _, q, _ in items],
                               "category": items[0][3]}})
    return tasks


def load_ranking_tasks(n: int | None = None, *, prefer_shared: bool = True) -> tuple[list[dict], str]:
    """(annotation ranking tasks, a note saying where they came from): the 160 shared
    Prometheus prompts when present (and ``prefer_shared``), else the 40 bundled ones.

    Tasks are of the annotation store's kind ``"ranking"`` (records' ``"listwise"``).
    """
    data = PROMETHEUS_RANKING.resolve("auto" if prefer_shared else "bundled")
    if data.source == "shared":
        tasks = [t for name in PROMETHEUS_FILES for t in load_prometheus_file(data.path / name)]
    else:
        tasks = read_jsonl(data.path, item="task")
    return (tasks[:n] if n else tasks), data.note


def write_ranking_sample(path: str | Path | None = None, *, n_tasks: int = 40, max_chars: int = 5000) -> Path:
    """Write the bundled sample: the ``n_tasks`` prompts with the shortest responses
    (each task's four responses at most ``max_chars`` in all), not all tied."""
    folder = PROMETHEUS_RANKING.resolve("shared").path
    tasks = [t for name in PROMETHEUS_FILES for t in load_prometheus_file(folder / name)]
    fits = [t for t in tasks if len(set(t["meta"]["scores"])) > 1
            and sum(map(len, t["responses"])) + len(t["prompt"]) <= max_chars]
    chosen = sorted(fits, key=lambda t: sum(map(len, t["responses"])))[:n_tasks]
    chosen.sort(key=lambda t: t["id"])
    return write_jsonl(chosen, path if path is not None else DATA_DIR / PROMETHEUS_RANKING.bundled)
