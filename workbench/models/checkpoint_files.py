"""What a checkpoint folder holds, written so that nothing is lost or half-written.

A training run's folder (``output_dir``) holds the final model (a plain ``transformers``
checkpoint), ``checkpoint-N`` folders of resumable state, ``metrics.json`` and the
post-hoc corrections fitted on that model (``models.posthoc``). Three guarantees:

* A model is written to a temporary folder beside its destination and moved in only
  once every file is complete (:func:`move_model_files`): a crash mid-save never
  leaves a mixed checkpoint, and files of an older model that the new one does not
  have (a sharded index, ``modeling_workbench_reward.py``) are removed, not mixed in.
* A run that has not finished carries :data:`UNFINISHED_FILE` (written when the run
  starts, removed as its last act); :func:`check_finished` refuses to load such a
  folder, since its model (if any) is not the run's result.
* :func:`run_files` names everything a run writes, so ``--overwrite`` clears exactly
  the old run (its checkpoints, metrics and the corrections fitted on the old model)
  and leaves a user's other files alone.
"""
from __future__ import annotations

import fnmatch
import json
import os
import shutil
import tempfile
from pathlib import Path

from workbench.errors import UserError

UNFINISHED_FILE = "RUN_UNFINISHED.json"
CHECKPOINT_PREFIX = "checkpoint-"
# What save_pretrained (model, tokenizer, peft) writes; a new save replaces all of these.
MODEL_FILE_PATTERNS = (
    "config.json", "generation_config.json", "*.safetensors", "*.safetensors.index.json", "pytorch_model*.bin",
    "pytorch_model.bin.index.json", "adapter_config.json", "adapter_model.*", "tokenizer.json",
    "tokenizer_config.json", "special_tokens_map.json", "added_tokens.json", "vocab.txt", "vocab.json",
    "merges.txt", "spiece.model", "sentencepiece.bpe.model", "tokenizer.model", "chat_template.jinja",
    "chat_template.json", "modeling_workbench_reward.py", "odin_length_head.json",
)
# What a run writes beside its model: its summary and the corrections fitted on that model.
RUN_FILE_PATTERNS = ("metrics.json", "length_calibration.json", "reward_centering.json", "temperature.json",
                     UNFINISHED_FILE, CHECKPOINT_PREFIX + "*")


def _matches(name: str, patterns: tuple[str, ...]) -> bool:
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in patterns)


def run_files(folder: str | Path) -> list[Path]:
    """The entries of ``folder`` that a training run wrote (model, checkpoints, metrics, corrections)."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if _matches(p.name, MODEL_FILE_PATTERNS + RUN_FILE_PATTERNS)
                  or (p.name.startswith(".") and p.name.endswith(".partial")))


def remove(paths) -> None:
    for path in paths:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)


def temporary_folder_beside(path: str | Path) -> Path:
    """A new empty folder in ``path``'s parent (same file system: a rename into place is atomic)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}.", suffix=".partial"))


def move_model_files(source: Path, destination: Path) -> Path:
    """Move a complete model written in ``source`` to ``destination``; returns ``destination``.

    An absent or empty ``destination`` is replaced by one rename. Otherwise the old
    model files go first, then each new file is renamed in (each rename atomic); a run
    folder is marked unfinished (:data:`UNFINISHED_FILE`) during this, so a crash in
    between is never taken for a finished checkpoint.
    """
    destination = Path(destination)
    if destination.is_dir() and not any(destination.iterdir()):
        destination.rmdir()
    if not destination.exists():
        os.replace(source, destination)
        return destination
    remove(p for p in destination.iterdir() if _matches(p.name, MODEL_FILE_PATTERNS))
    for item in source.iterdir():
        os.replace(item, destination / item.name)
    source.rmdir()
    return destination


def write_text_atomically(path: str | Path, text: str) -> Path:
    """Write ``text`` to a temporary file beside ``path`` and rename it over ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".partial")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def mark_unfinished(folder: str | Path, **about) -> Path:
    """Write :data:`UNFINISHED_FILE` into ``folder`` (created if needed); ``about`` says what runs."""
    return write_text_atomically(Path(folder) / UNFINISHED_FILE, json.dumps(
        {"status": "training has not finished", **about}, indent=2, default=str))


def mark_finished(folder: str | Path) -> None:
    (Path(folder) / UNFINISHED_FILE).unlink(missing_ok=True)


def check_finished(folder: str | Path) -> None:
    """UserError if ``folder`` holds a run that has not finished (or was stopped)."""
    if (Path(folder) / UNFINISHED_FILE).is_file():
        raise UserError(f"{folder}: an unfinished training run ({UNFINISHED_FILE} is there: it stopped or is "
                        f"still running); resume it with --resume, or retrain with --overwrite")


def checkpoints(folder: str | Path) -> list[Path]:
    """The complete ``checkpoint-N`` folders in ``folder``, oldest (smallest N) first."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    found = [p for p in folder.iterdir() if p.is_dir() and p.name.startswith(CHECKPOINT_PREFIX)
             and p.name[len(CHECKPOINT_PREFIX):].isdigit()]
    return sorted(found, key=lambda p: int(p.name[len(CHECKPOINT_PREFIX):]))
