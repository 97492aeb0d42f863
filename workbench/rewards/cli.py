"""`workbench rewards-check` and `workbench rewards-score`: the rule rewards from the command line."""
from __future__ import annotations

import argparse
import json
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

    records = []
    for number, record in iter_jsonl(args.data, item="record"):
        if "completion" not in record:
            raise UserError(f"{args.data}: line {number} has no field 'completion'")
        records.append(record)
    column = {"format": None, "correctness": "ground_truth", "code": "test_cases"}[args.reward]
    columns = {}
    if column is not None:
        missing = [i for i, r in enumerate(records) if column not in r]
        if missing:
            raise UserError(f"{args.data}: record {missing[0]} has no field {column!r}")
        columns[column] = [r[column] for r in records]
    rewards = _reward(args.reward, args.timeout)([r["completion"] for r in records], **columns)
    for reward in rewards:
        print(json.dumps({"reward": reward}))
    scored = [r for r in rewards if r is not None]
    print(f"{args.reward}: {len(records)} records, mean {sum(scored) / max(1, len(scored)):.4f}, "
          f"{len(records) - len(scored)} not applicable", file=sys.stderr)
    return 0


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
