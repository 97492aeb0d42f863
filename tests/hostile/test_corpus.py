"""The hostile-input corpus (cases.py), each case as a user types it.

Every case must: exit with code 2; print exactly one line on stderr, ``workbench <command>:
...``, naming the place (file, line or row, field); print no traceback; and leave every
file the user had byte-for-byte as it was (the folder is hashed before and after; nothing
new may appear either). In-process through :func:`workbench.cli.main` so the corpus is fast;
a few cases again as a real subprocess, for the exit code and the absence of a traceback.
"""
import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from workbench.cli import main

from .cases import CASES, FOLDER

BY_NAME = {case.name: case for case in CASES}


def _build(case, tmp: Path) -> list[str]:
    for name, content in case.files.items():
        path = tmp / name
        if content is FOLDER:
            path.mkdir(parents=True)
        elif callable(content):
            content(path)
        else:
            path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return [part.replace("{tmp}", str(tmp)) for part in case.argv]


def _snapshot(tmp: Path) -> dict[str, str]:
    return {str(p.relative_to(tmp)) + ("/" if p.is_dir() else ""):
            "" if p.is_dir() else hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(tmp.rglob("*"))}


def _check(case, code: int, err: str, before: dict, tmp: Path) -> None:
    assert code == 2, f"{case.name}: exit code {code}, stderr {err!r}"
    assert "Traceback" not in err, err
    lines = err.strip("\n").splitlines()
    assert len(lines) == 1, f"{case.name}: {len(lines)} lines on stderr: {err!r}"
    assert lines[0].startswith(f"workbench {case.argv[0]}"), lines[0]
    for text in case.expect:
        assert text in lines[0], f"{case.name}: {text!r} not in {lines[0]!r}"
    assert _snapshot(tmp) == before, f"{case.name}: the user's folder changed"


def test_the_corpus_is_large_and_names_are_unique():
    assert len(CASES) >= 40 and len(BY_NAME) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_hostile_input_is_one_line_exit_2_and_changes_nothing(case, tmp_path, capsys):
    argv = _build(case, tmp_path)
    before = _snapshot(tmp_path)
    capsys.readouterr()
    code = main(argv)
    _check(case, code, capsys.readouterr().err, before, tmp_path)


@pytest.mark.parametrize("name", ["aggregate_names_differ", "export_several_kinds", "rewards_completion_number"])
def test_as_a_real_process(name, tmp_path):
    case = BY_NAME[name]
    argv = _build(case, tmp_path)
    before = _snapshot(tmp_path)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    run = subprocess.run([sys.executable, "-m", "workbench.cli", *argv], capture_output=True, text=True,
                         env=env, timeout=120)
    _check(case, run.returncode, run.stderr, before, tmp_path)
