"""JSON Lines: the one reader and the one writer of the workbench.

Every command and loader that reads a ``.jsonl`` (or ``.jsonl.gz``) file goes
through :func:`iter_jsonl` / :func:`read_jsonl` (a whole ``.json`` file through
:func:`read_json`), so a bad file gets the same
message everywhere, in the form compilers and ``grep -n`` use (editors and
terminals jump to it)::

    data/prefs.jsonl:3: not valid JSON: Expecting ',' delimiter at column 17 (line 3, 1-based; row 1, 0-based)

``line`` counts lines of the file from 1, as an editor shows them; ``row``
counts records from 0 (blank lines are skipped, not records), the index the
caller's own messages use (``row 1, field 'chosen': missing``), so the two can be
matched up. Every error is a :class:`workbench.errors.UserError`; a missing file
is a :class:`MissingFileError`, which is also a ``FileNotFoundError``.

:func:`write_jsonl` writes to a temporary file in the target's folder and renames
it over the target only when every row is written: a failing write (a row that
is not JSON-serialisable, a full disk, Ctrl-C) leaves the user's old file as it was.
"""
from __future__ import annotations

import gzip
import json
import os
import tempfile
from pathlib import Path
from typing import IO, Any, Iterable, Iterator

from workbench.errors import UserError


class MissingFileError(UserError, FileNotFoundError):
    """A file the user named (or a data set the workbench needs) is not there.

    Both a :class:`UserError` (the command line prints one line, exit code 2) and a
    ``FileNotFoundError`` (what code that checks for a missing file catches).
    """


def _open_text(path: Path, mode: str, *, gz: bool) -> IO[str]:
    if gz:
        return gzip.open(path, mode + "t", encoding="utf-8")
    return open(path, mode, encoding="utf-8")


def _is_gzip(path: Path) -> bool:
    # by suffix, as pandas and datasets decide: the name says what the bytes are.
    return path.name.endswith(".gz")


def iter_jsonl(path: str | Path, *, item: str = "row") -> Iterator[tuple[int, dict]]:
    """Yield ``(line number, record)`` for each non-blank line of a JSONL file.

    path: ``.jsonl``, or gzip-compressed when the name ends in ``.gz``.
    item: the caller's word for one record (``row``, ``record``, ``task``), used in
    error messages beside the 0-based index so they match the caller's own.
    Line numbers are 1-based. Raises :class:`MissingFileError` when the file is
    absent and :class:`UserError` for a line that is not a JSON object.
    """
    path = Path(path)
    if not path.exists():
        raise MissingFileError(f"{path}: no such file")
    if path.is_dir():
        raise UserError(f"{path}: is a folder, not a JSONL file")
    index = 0
    try:
        with _open_text(path, "r", gz=_is_gzip(path)) as handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                where = f"(line {number}, 1-based; {item} {index}, 0-based)"
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as error:
                    raise UserError(f"{path}:{number}: not valid JSON: {error.msg} "
                                    f"at column {error.colno} {where}") from None
                if not isinstance(record, dict):
                    raise UserError(f"{path}:{number}: expected a JSON object {{...}}, "
                                    f"got {type(record).__name__} {where}")
                yield number, record
                index += 1
    except UnicodeDecodeError as error:
        raise UserError(f"{path}: not UTF-8 text ({error.reason} at byte {error.start})") from None
    except (gzip.BadGzipFile, EOFError) as error:
        raise UserError(f"{path}: not a readable gzip file ({error})") from None


def read_jsonl(path: str | Path, *, limit: int | None = None, item: str = "row") -> list[dict]:
    """The records of a JSONL file (``.gz`` by suffix), blank lines skipped.

    limit: stop after this many records (None: all). Errors as :func:`iter_jsonl`.

    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "two.jsonl"
    >>> _ = path.write_text('{"a": 1}\\n\\n{"a": 2}\\n')
    >>> read_jsonl(path)
    [{'a': 1}, {'a': 2}]
    """
    records = []
    if limit is not None and limit <= 0:
        return records
    for _, record in iter_jsonl(path, item=item):
        records.append(record)
        if limit is not None and len(records) >= limit:
            break
    return records


def read_json(path: str | Path) -> Any:
    """A whole ``.json`` file (``.gz`` by suffix); a syntax error names the file and 1-based line."""
    path = Path(path)
    if not path.exists():
        raise MissingFileError(f"{path}: no such file")
    try:
        with _open_text(path, "r", gz=_is_gzip(path)) as handle:
            return json.load(handle)
    except json.JSONDecodeError as error:
        raise UserError(f"{path}:{error.lineno}: not valid JSON: {error.msg} at column {error.colno} "
                        f"(line {error.lineno}, 1-based)") from None
    except UnicodeDecodeError as error:
        raise UserError(f"{path}: not UTF-8 text ({error.reason} at byte {error.start})") from None


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_jsonl(rows: Iterable[dict[str, Any]], path: str | Path) -> Path:
    """Write dicts as JSON lines (UTF-8; gzip when the name ends in ``.gz``); returns the path.

    The rows go to a temporary file beside ``path``, renamed over it only once all
    are written, so an error part-way leaves any existing file untouched.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".partial")
    os.close(handle)
    temporary = Path(temporary)
    try:
        with _open_text(temporary, "w", gz=_is_gzip(path)) as out:
            for row in rows:
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
        # mkstemp makes the file private (0600); give it the mode a plain open() would.
        os.chmod(temporary, path.stat().st_mode & 0o777 if path.exists() else 0o666 & ~_umask())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return path
