"""`workbench ...`: the command line.

Each area of the package that has commands exposes ``register(subparsers)``
in its own ``cli.py``; this file only lists those modules, so adding a command
never means editing another area's code. A user's mistake (a :class:`~workbench.errors.UserError`,
or a file that is missing, a folder or unreadable) is reported here, for every
command alike: one line on stderr, exit code 2, no traceback.
"""
from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import re
import sys

# Modules that define `register(subparsers)`; each adds its own subcommands.
COMMAND_MODULES = [
    "workbench.demo",
    "workbench.training.cli",
    "workbench.analysis.cli",
    "workbench.annotate.cli",
    "workbench.prm.cli",
    "workbench.rewards.cli",
    "workbench.aggregation.cli",
    "workbench.evaluation.cli",
]
# What the OS says about a path the user named (open(), Path.read_text() ...): their mistake, not a bug.
USER_OS_ERRORS = (FileNotFoundError, IsADirectoryError, NotADirectoryError, PermissionError)


def build_parser() -> argparse.ArgumentParser:
    from workbench import __version__

    parser = argparse.ArgumentParser(prog="workbench", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"workbench {__version__}",
                        help="print the installed version and exit")
    subparsers = parser.add_subparsers(dest="command", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def _one_line(error: BaseException) -> str:
    """The message on one line; an OSError as ``<file>: <what the OS said>``."""
    if isinstance(error, OSError) and error.filename is not None and error.strerror:
        return f"{error.filename}: {error.strerror.lower()}"
    text = re.sub(r":\s*\n\s*", ": ", str(error).strip())  # "2 bad records:\n  row 1 ...\n  row 4 ..."
    return re.sub(r"\s*\n\s*", "; ", text)                # -> "2 bad records: row 1 ...; row 4 ..."


def main(argv: list[str] | None = None) -> int:
    from workbench.errors import UserError

    if (sys.argv[1:] if argv is None else argv) == ["--version"]:  # answered before any command module loads
        from workbench import __version__

        print(f"workbench {__version__}")
        return 0
    args = build_parser().parse_args(argv)
    # `workbench annotate export ...` names itself in full: a command with subcommands stores
    # them in dest "<command>_command" (annotate_command)
    command = " ".join(filter(None, [args.command, getattr(args, f"{args.command.replace('-', '_')}_command", None)]))
    try:
        return int(args.func(args) or 0)
    except (UserError, *USER_OS_ERRORS) as error:  # the user's mistake: one line, exit 2 (see workbench.errors)
        print(f"workbench {command}: {_one_line(error)}", file=sys.stderr)
        return 2
    except FloatingPointError as error:  # a run that diverged (non-finite loss or scores): one line, exit 1
        print(f"workbench {command}: {_one_line(error)}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # `workbench score ... | head`: the reader has all it wanted
        with contextlib.suppress(OSError, ValueError):  # no flush error at exit either
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt as error:  # Ctrl-C: one line (training commands say how to resume), exit 130
        print(f"\nworkbench {command}: {error or 'interrupted'}", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
