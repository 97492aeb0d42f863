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
    """``(groups, reward names, rewards (N, F))`` from the JSONL above; ValueError names line and field."""
    groups, rows, names = [], [], None
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            record = json.loads(line)
            for field in ("group", "rewards"):
                if not isinstance(record, dict) or field not in record:
                    raise ValueError(f"{path}: line {number} has no field {field!r}")
            if not isinstance(record["rewards"], dict):
                raise ValueError(f"{path}: line {number}, field 'rewards' must be an object of name: number")
            names = names or list(record["rewards"])
            if sorted(record["rewards"]) != sorted(names):
                raise ValueError(f"{path}: line {number}, field 'rewards' has {sorted(record['rewards'])}, "
                                 f"expected {sorted(names)}")
            for name in names:
                value = record["rewards"][name]
                if value is not None and not isinstance(value, (int, float)):
                    raise ValueError(f"{path}: line {number}, field 'rewards.{name}' is not a number: {value!r}")
            groups.append(json.dumps(record["group"]))
            rows.append([np.nan if record["rewards"][n] is None else float(record["rewards"][n]) for n in names])
    if not rows:
        raise ValueError(f"{path}: no records")
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
    from workbench.aggregation import Constraint, LagrangianCombiner, combine, group_advantages, trl_advantages

    with mistakes_in(args.data):
        groups, names, rewards = read_reward_records(args.data)
    weights = [_parse_pairs(args.weights, names, "weights").get(n, 1.0) for n in names]
    priority = [_index(n, names, "priority") for n in args.priority.split(",")] if args.priority else None
    bounds = _parse_pairs(args.constraints, names, "constraints")
    combiner = LagrangianCombiner(_index(args.primary or names[0], names, "primary"),
                                  [Constraint(names.index(n), b) for n, b in bounds.items()],
                                  lambda_init=args.multiplier)
    scores = combine(args.method, rewards, group_ids=groups, weights=weights, priority=priority,
                     tolerances=None if priority is None else [args.tolerance] * len(priority),
                     preference=weights, constrained=combiner)
    if args.method == "normalize_then_sum":
        advantages = trl_advantages(rewards, group_ids=groups, weights=weights, aggregation="normalize_then_sum")
    else:
        advantages = group_advantages(scores, groups, scale=args.scale)
    for group, score, advantage in zip(groups, scores, advantages):
        print(json.dumps({"group": json.loads(group), "score": None if np.isnan(score) else float(score),
                          "advantage": float(advantage)}))
    print(f"{args.method}: {len(rewards)} samples, {len(set(groups))} groups, rewards {names}; "
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
