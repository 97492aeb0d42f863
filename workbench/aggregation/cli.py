"""`workbench aggregate`: combine several rewards per sample and print GRPO advantages.

Input: JSONL, one sample per line, ``{"group": <any label>, "rewards": {"name": number or null, ...}}``
(every line naming the same rewards). Output: one JSON line per sample,
``{"group", "score", "advantage"}``, and a summary on stderr.
"""
from __future__ import annotations

import argparse
import json
import sys

import numpy as np

from workbench.errors import UserError, mistakes_in


def read_reward_records(path: str) -> tuple[list, list[str], np.ndarray]:
    """``(groups, reward names, rewards (N, F))`` from the JSONL above; UserError names line and field."""
    from workbench.data.jsonl import iter_jsonl

    groups, rows, names = [], [], None
    for number, record in iter_jsonl(path):
        for field in ("group", "rewards"):
            if field not in record:
                raise UserError(f"{path}: line {number} has no field {field!r}")
        if not isinstance(record["rewards"], dict):
            raise UserError(f"{path}: line {number}, field 'rewards' must be an object of name: number")
        names = names or list(record["rewards"])
        if sorted(record["rewards"]) != sorted(names):
            raise UserError(f"{path}: line {number}, field 'rewards' has {sorted(record['rewards'])}, "
                            f"expected {sorted(names)}")
        for name in names:
            value = record["rewards"][name]
            if value is not None and not isinstance(value, (int, float)):
                raise UserError(f"{path}: line {number}, field 'rewards.{name}' is not a number: {value!r}")
        groups.append(json.dumps(record["group"]))
        rows.append([np.nan if record["rewards"][n] is None else float(record["rewards"][n]) for n in names])
    if not rows:
        raise UserError(f"{path}: no records")
    return groups, names, np.array(rows, dtype=np.float64)


def _parse_pairs(text: str | None, names: list[str], what: str) -> dict[str, float]:
    if not text:
        return {}
    out = {}
    for item in text.split(","):
        name, _, value = item.partition("=")
        if name not in names or not value:
            raise UserError(f"--{what}: expected name=value with a name in {names}, got {item!r}")
        out[name] = float(value)
    return out


def _index(name: str, names: list[str], what: str) -> int:
    if name not in names:
        raise UserError(f"--{what}: {name!r} is not a reward in the file; rewards: {names}")
    return names.index(name)


def run_aggregate(args: argparse.Namespace) -> int:
    # The explorer's own computation (one place for how a method's settings become scores and advantages).
    from workbench.aggregation import Constraint, RewardMatrix
    from workbench.aggregation.explorer import method_advantages, method_scores

    with mistakes_in(args.data):
        groups, names, rewards = read_reward_records(args.data)
    if args.multiplier <= 0:
        raise UserError(f"--multiplier must be > 0, got {args.multiplier}")
    matrix = RewardMatrix(rewards, names, group_ids=groups)
    weights = [_parse_pairs(args.weights, names, "weights").get(n, 1.0) for n in names]
    # Without --priority the file's reward order is the lexicographic order (not the weights, as in the explorer).
    priority = [_index(n, names, "priority") for n in args.priority.split(",")] if args.priority \
        else list(range(len(names)))
    bounds = _parse_pairs(args.constraints, names, "constraints")
    scores = method_scores(matrix, args.method, weights=weights, priority=priority,
                           primary=_index(args.primary or names[0], names, "primary"),
                           constraints=[Constraint(names.index(n), b) for n, b in bounds.items()],
                           multiplier=args.multiplier, tolerance=args.tolerance)
    advantages = method_advantages(matrix, args.method, scores, weights=weights, scale=args.scale)
    for group, score, advantage in zip(groups, scores, advantages):
        print(json.dumps({"group": json.loads(group), "score": None if np.isnan(score) else float(score),
                          "advantage": float(advantage)}))
    print(f"{args.method}: {len(rewards)} samples, {matrix.num_groups} groups, rewards {names}; "
          f"{int(np.isnan(scores).sum())} unscorable", file=sys.stderr)
    return 0


def register(subparsers) -> None:
    """Add ``aggregate`` to the ``workbench`` command."""
    from workbench.aggregation import METHODS

    parser = subparsers.add_parser("aggregate", help="combine several rewards per sample into GRPO advantages")
    parser.add_argument("--data", required=True, help='JSONL: {"group": ..., "rewards": {"name": value, ...}}')
    parser.add_argument("--method", choices=METHODS, default="weighted_sum")
    parser.add_argument("--weights", help="name=value,... (default 1 each; also the Pareto preference)")
    parser.add_argument("--priority", help="lexicographic order: name,name,...")
    parser.add_argument("--tolerance", type=float, default=0.0, help="lexicographic tolerance per level")
    parser.add_argument("--primary", help="constrained: the reward to maximise (default: the first)")
    parser.add_argument("--constraints", help="constrained: name=bound,... meaning reward >= bound")
    parser.add_argument("--multiplier", type=float, default=1.0, help="constrained: the Lagrange multiplier")
    parser.add_argument("--scale", choices=("group", "batch", "none"), default="group", help="GRPO scaling")
    parser.set_defaults(func=run_aggregate)
