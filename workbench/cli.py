"""`workbench ...`: the command line.

Each area of the package that has commands exposes ``register(subparsers)``
in its own module; this file only lists those modules, so adding a command
never means editing another area's code.
"""
from __future__ import annotations

import argparse
import importlib
import sys

# Modules that define `register(subparsers)`; each adds its own subcommands.
COMMAND_MODULES = [
    "workbench.demo",
    "workbench.training.cli",
    "workbench.analysis.commands",
    "workbench.annotate.serve",
    "workbench.prm.cli",
    "workbench.rewards.cli",
    "workbench.aggregation.cli",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="workbench", description=__doc__.splitlines()[0])
    subparsers = parser.add_subparsers(dest="command", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    from workbench.errors import UserError

    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except UserError as error:  # the user's mistake: one line, exit 2 (see workbench.errors)
        print(f"workbench {args.command}: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
