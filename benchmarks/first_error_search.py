"""First-error search (OmegaPRM's binary search) vs per-step Monte-Carlo rollouts.

On the known-truth simulated policy (``workbench.prm.SimulatedPolicy``: a set
per-step error rate, and rollouts that sometimes recover from a wrong step),
both methods look for each sampled solution's first wrong step:

* baseline, per-step MC (Math-Shepherd): ``n`` rollouts from every step's
  prefix; the first error is the first prefix with no rollout reaching the answer;
* ours, first-error search: free when the solution's own answer is right, else
  a binary search over prefixes, ``n`` rollouts per probe, stopping a probe at
  its first success.

Each is run for n in 1..32; accuracy = fraction of solutions whose first error
(or "none") is found exactly. "Equal accuracy": the cheapest setting of each
method that reaches the target accuracy (the best MC accuracy of the sweep,
less 0.01). Prints rollouts per solution and the ratio. Target >= 3x fewer.

Run: ``.venv/bin/python benchmarks/first_error_search.py``.
"""
from __future__ import annotations

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from workbench.prm import (  # noqa: E402
    FirstErrorSearch,
    MonteCarloAnnotator,
    SimulatedPolicy,
    annotate_all,
    first_error_accuracy,
    make_problems,
)

N_SOLUTIONS, STEPS, ERROR_RATE, RECOVER_RATE = 600, (6, 12), 0.08, 0.05
ROLLOUTS = (1, 2, 4, 8, 16, 32)


def sweep(make_annotator, records, truth, problems) -> list[tuple[int, float, float, float]]:
    """(n, accuracy, rollouts per solution, rollouts per wrong-answer solution) for each n."""
    rows = []
    wrong = [i for i, r in enumerate(records) if not r.is_correct]
    for n in ROLLOUTS:
        policy = SimulatedPolicy(problems, error_rate=ERROR_RATE, recover_rate=RECOVER_RATE, seed=100 + n)
        annotations = annotate_all(make_annotator(policy, n), records)
        accuracy = first_error_accuracy([a.first_error for a in annotations], truth)
        rows.append((n, accuracy, sum(a.cost["rollouts"] for a in annotations) / len(records),
                     sum(annotations[i].cost["rollouts"] for i in wrong) / len(wrong)))
    return rows


def cheapest(rows, target: float) -> tuple[int, float, float] | None:
    reaching = [row for row in rows if row[1] >= target]
    return min(reaching, key=lambda row: row[2]) if reaching else None


def main() -> int:
    start = time.perf_counter()
    problems = make_problems(N_SOLUTIONS, steps=STEPS, seed=0)
    sampler = SimulatedPolicy(problems, error_rate=ERROR_RATE, seed=1)
    records = [sampler.sample(p.question) for p in problems]
    truth = [r.first_error for r in records]
    mc = sweep(lambda policy, n: MonteCarloAnnotator(policy, n, hard=True), records, truth, problems)
    search = sweep(lambda policy, n: FirstErrorSearch(policy, n), records, truth, problems)
    print(f"{N_SOLUTIONS} solutions, {STEPS[0]}-{STEPS[1]} steps, error rate {ERROR_RATE}, "
          f"recover rate {RECOVER_RATE}; {sum(t is not None for t in truth)} have an error")
    print("   n | MC accuracy  rollouts/sol | search accuracy  rollouts/sol")
    for (n, mc_acc, mc_cost, _), (_, s_acc, s_cost, _) in zip(mc, search):
        print(f"{n:4d} | {mc_acc:11.3f} {mc_cost:13.1f} | {s_acc:15.3f} {s_cost:13.1f}")
    target = max(row[1] for row in mc) - 0.01
    best_mc, best_search = cheapest(mc, target), cheapest(search, target)
    print(f"target accuracy {target:.3f} (best MC accuracy - 0.01)")
    if best_search is None:
        print("first-error search never reaches the target accuracy")
        return 1
    ratio = best_mc[2] / best_search[2]
    print(f"per-step MC: n={best_mc[0]}, accuracy {best_mc[1]:.3f}, {best_mc[2]:.1f} rollouts/solution")
    print(f"first-error search: n={best_search[0]}, accuracy {best_search[1]:.3f}, "
          f"{best_search[2]:.1f} rollouts/solution")
    print(f"ratio: {ratio:.1f}x fewer rollouts (target >= 3x); {time.perf_counter() - start:.1f} s")
    print(f"on wrong-answer solutions only (no free pass): MC {best_mc[3]:.1f} vs search "
          f"{best_search[3]:.1f} rollouts/solution = {best_mc[3] / best_search[3]:.1f}x")
    return 0 if ratio >= 3 else 1


if __name__ == "__main__":
    sys.exit(main())
