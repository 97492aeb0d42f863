"""The one error type for a user's mistakes.

A :class:`UserError` is something the user can fix (a file that does not exist, a row
with a bad field, a flag out of range); the command line prints it as one line on
stderr, ``workbench <command>: <message>``, and exits with code 2, never a traceback.
Its message names the place: the file, the line (1-based, as an editor shows it) or
row, and the field. It subclasses ``ValueError`` so library callers that catch
``ValueError`` keep working. Anything else that escapes a command is a bug and keeps
its traceback.
"""
from __future__ import annotations

from contextlib import contextmanager


class UserError(ValueError):
    """A mistake in what the user passed: reported in one line, exit code 2."""


@contextmanager
def mistakes_in(source):
    """A ValueError inside the block is a mistake in the user's ``source`` (a file, a dataset id, a setting).

    It is raised again as a :class:`UserError` whose message names ``source``. Wrap only
    the reading and validating of what the user passed, where every ValueError means a
    bad file, row or field (``with mistakes_in(path): records = load_records(path)``).
    """
    try:
        yield
    except UserError:
        raise
    except ValueError as error:
        message = str(error)
        raise UserError(message if str(source) in message else f"{source}: {message}") from None
