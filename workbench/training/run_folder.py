"""A training run's output folder: refused when it holds another run, checkpoints written whole, resumed safely.

    prepare_run_folder(config)            # the command line: refuse a non-empty folder unless overwrite/resume
    folder = resume_folder(config)        # the loop: the checkpoint to resume from (config.resume: the newest)
    save_checkpoint(accelerator, config, step, state)   # checkpoint-N, written beside and renamed in

What belongs to a run is listed in :mod:`workbench.models.checkpoint_files`; this module
adds the policy. Why refuse a non-empty folder: a new run into an old run's folder would
keep the old checkpoints, ``metrics.json`` and the length calibration / centering fitted
on the *old* model, which ``workbench score`` would then apply to the new one. Why a
fingerprint of the data: resuming with other data or another batch size silently
continues a different optimisation, so it is refused unless asked
(``allow_resume_changes``).
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

from workbench.errors import UserError
from workbench.models.checkpoint_files import (
    UNFINISHED_FILE,
    checkpoints,
    mark_unfinished,
    remove,
    run_files,
)

STATE_FILE = "trainer_state.json"


def check_run_folder(config) -> bool:
    """UserError unless ``config.output_dir`` may take this run; True when an old run must be cleared.

    Absent or empty: fine. Non-empty: refused, unless ``config.overwrite`` (the old run's
    files go; a user's other files stay) or a resume (the folder is that run's).
    """
    folder = Path(config.output_dir)
    if folder.exists() and not folder.is_dir():
        raise UserError(f"--output {folder}: a file, not a folder")
    if config.resume or config.resume_from or not (folder.is_dir() and any(folder.iterdir())):
        return False
    if not config.overwrite:
        raise UserError(f"--output {folder}: not empty (it holds {_some_entries(folder)}); pass --overwrite "
                        f"to replace the run there, --resume to continue it, or choose another folder")
    return True


def prepare_run_folder(config, command: str = "train") -> None:
    """:func:`check_run_folder`, the old run's files deleted if it says so, then the folder marked
    unfinished until the run's last act."""
    if check_run_folder(config):
        remove(run_files(config.output_dir))
    mark_unfinished(config.output_dir, command=command)


def _some_entries(folder: Path) -> str:
    names = sorted(p.name for p in folder.iterdir())
    return ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")


def resume_folder(config) -> Path | None:
    """The checkpoint to resume from: ``resume_from``, or with ``resume`` the newest in ``output_dir``."""
    if config.resume_from:
        folder = Path(config.resume_from)
        if not (folder / STATE_FILE).is_file():
            raise UserError(f"resume_from={folder}: no {STATE_FILE} (not a checkpoint written by train)")
        return folder
    if not config.resume:
        return None
    found = [c for c in checkpoints(config.output_dir) if (c / STATE_FILE).is_file()]
    if not found:
        raise UserError(f"--resume: no checkpoint-N folder in {config.output_dir} to resume from "
                        f"(a run saves them with --save-every N)")
    return found[-1]


def fingerprint(dataset, config) -> dict:
    """What must not change between a run and its resume: the data (a hash of every item) and batching."""
    digest = hashlib.sha256()
    for i in range(len(dataset)):
        digest.update(json.dumps(dataset[i], sort_keys=True, default=_plain).encode())
    return {"data_sha256": digest.hexdigest()[:16], "items": len(dataset), "batch_size": config.batch_size,
            "grad_accum": config.grad_accum}


def _plain(value):
    return value.tolist() if hasattr(value, "tolist") else str(value)


def check_resume(folder: Path, state: dict, now: dict, config) -> None:
    """UserError if the run being resumed had other data or batching, unless ``allow_resume_changes``."""
    before = state.get("run")
    if before is None or config.allow_resume_changes:
        return
    changed = [f"{key} {before.get(key)} -> {now[key]}" for key in now if before.get(key) != now[key]]
    if changed:
        what = "; ".join(c.replace("data_sha256", "data (hash)") for c in changed)
        raise UserError(f"--resume {folder}: this run differs from the checkpoint's ({what}); pass "
                        f"--allow-resume-changes to resume anyway, or --overwrite to start again")


def save_checkpoint(accelerator, config, step: int, state: dict) -> Path:
    """Resumable state in ``output_dir/checkpoint-<step>``, written beside it and renamed in whole
    (a kill mid-save leaves no half checkpoint for ``--resume`` to pick); then old ones pruned."""
    folder = Path(config.output_dir) / f"checkpoint-{step}"
    staging = folder.with_name(f".{folder.name}.partial")  # one name for every process (each saves its RNG)
    if accelerator.is_main_process and staging.exists():
        shutil.rmtree(staging)
    accelerator.wait_for_everyone()
    accelerator.save_state(str(staging))
    accelerator.wait_for_everyone()
    if accelerator.is_main_process:
        (staging / STATE_FILE).write_text(json.dumps(state))
        if folder.exists():
            shutil.rmtree(folder)
        os.replace(staging, folder)
        if config.keep_checkpoints:
            remove(checkpoints(config.output_dir)[:-config.keep_checkpoints])
    accelerator.wait_for_everyone()
    return folder


def resume_hint(config, command: str) -> str:
    """How to continue an interrupted run: one line for the command line."""
    found = [c for c in checkpoints(config.output_dir) if (c / STATE_FILE).is_file()]
    if not found:
        return (f"interrupted; no checkpoint was saved in {config.output_dir} ({UNFINISHED_FILE} marks it "
                f"unfinished); pass --save-every N to make a run resumable")
    return (f"interrupted; {found[-1]} saved: run the same `workbench {command}` command with --resume "
            f"to continue from it")
