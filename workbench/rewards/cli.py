"""`workbench rewards-check` and `workbench rewards-score`: the rule rewards from the command line."""
from __future__ import annotations

import argparse
import json
import re
import sys

from workbench.errors import UserError


def run_check(args: argparse.Namespace) -> int:
    """Report the sandbox's isolation here and run the hostile gallery through it; 1 if any attack scores."""
    import os

    from workbench.rewards._isolation import bwrap_path, bwrap_problem
    from workbench.rewards.examples import run_gallery

    problem = bwrap_problem(os.geteuid() == 0)
    print(f"bubblewrap: {bwrap_path() or 'not installed'}; "
          f"{'usable' if problem is None else problem}; running as {'root' if os.geteuid() == 0 else 'a user'}")
    gallery = run_gallery(timeout=args.timeout, textbook=False)
    print(gallery[["attack", "sandbox", "verdicts", "seconds"]].to_string(index=False))
    leaked = gallery[(gallery.attack != "daemon") & (gallery.sandbox.fillna(0) > 0)]
    if len(leaked):
        print(f"FAILED: {', '.join(leaked.attack)} scored above 0", file=sys.stderr)
    return 1 if len(leaked) else 0


def _reward(name: str, timeout: float):
    from workbench.rewards import correctness_reward, format_reward, make_code_execution_reward

    return {"format": format_reward, "correctness": correctness_reward,
            "code": make_code_execution_reward(timeout=timeout)}[name]


def run_score(args: argparse.Namespace) -> int:
    """Score a JSONL file (``completion`` plus the reward's column per line); one JSON reward per line out."""
    from workbench.data.jsonl import iter_jsonl

    if args.reward == "code" and not args.timeout > 0:
        raise UserError(f"--timeout must be > 0 seconds, got {args.timeout}")
    numbered = list(iter_jsonl(args.data, item="record"))
    if not numbered:
        raise UserError(f"{args.data}: no records")
    lines = [number for number, _ in numbered]
    records = [record for _, record in numbered]
    column = {"format": None, "correctness": "ground_truth", "code": "test_cases"}[args.reward]
    for index, (number, record) in enumerate(numbered):
        if "completion" not in record:
            raise UserError(f"{args.data}: line {number} has no field 'completion'")
        if column is not None and column not in record:
            raise UserError(f"{args.data}: line {number}: record {index} has no field {column!r}")
    columns = {} if column is None else {column: [r[column] for r in records]}
    try:
        rewards = _reward(args.reward, args.timeout)([r["completion"] for r in records], **columns)
    except ValueError as error:
        raise UserError(_at_line(str(error), args.data, lines)) from None
    for reward in rewards:
        print(json.dumps({"reward": reward}))
    scored = [r for r in rewards if r is not None]
    print(f"{args.reward}: {len(records)} records, mean {sum(scored) / max(1, len(scored)):.4f}, "
          f"{len(records) - len(scored)} not applicable", file=sys.stderr)
    return 0


# A reward names a bad entry by column and 0-based position ("ground_truth[3]: ..."): the
# user's file numbers lines from 1, and "completions" is the file's "completion" field.
_ENTRY = re.compile(r"^(completions|\w+)\[(\d+)\](\S*): ")


def _at_line(message: str, path: str, lines: list[int]) -> str:
    """``message`` with its ``column[i]`` prefix turned into ``path: line N, field 'column'``."""
    found = _ENTRY.match(message)
    if not found or int(found[2]) >= len(lines):
        return f"{path}: {message}"
    name = "completion" if found[1] == "completions" else found[1]
    return f"{path}: line {lines[int(found[2])]}, field {name!r}{found[3]}: {message[found.end():]}"


def register(subparsers) -> None:
    """Add ``rewards-check`` and ``rewards-score`` to the ``workbench`` command."""
    check = subparsers.add_parser("rewards-check", help="show the code sandbox's isolation and test it with attacks")
    check.add_argument("--timeout", type=float, default=1.0, help="seconds per test")
    check.set_defaults(func=run_check)
    score = subparsers.add_parser("rewards-score", help="score a JSONL file of completions with a rule reward")
    score.add_argument("--data", required=True, help="JSONL: 'completion' and 'ground_truth' or 'test_cases'")
    score.add_argument("--reward", choices=("format", "correctness", "code"), required=True)
    score.add_argument("--timeout", type=float, default=2.0, help="seconds per test (code)")
    score.set_defaults(func=run_score)
