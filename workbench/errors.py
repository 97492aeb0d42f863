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


class UserError(ValueError):
    """A mistake in what the user passed: reported in one line, exit code 2."""
