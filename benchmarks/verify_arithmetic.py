"""Formal verification over every GSM8K test gold solution, clean and corrupted.

1. Every step of every gold solution in ``test.jsonl`` that carries a
   ``<<expr=result>>`` annotation is checked by ``verify_arithmetic``: the rate
   that check as correct (target: all; the annotations alone and the whole
   step, visible text included, are reported separately, with every exception).
2. In each solution one annotated step gets one computed number changed
   (``corrupt_step``: an operand or a result, consistently in the text and the
   annotation, so only the arithmetic is wrong); the rate caught
   (``verify_arithmetic`` is False) among corrupted steps that state a
   computation. Target >= 95%. Baseline: a check of the ``<<...>>`` annotations
   alone (what a GSM8K-calculator replay does), measured on the same corruptions.

Needs ../shared/data (the full test set). Run: ``.venv/bin/python benchmarks/verify_arithmetic.py``.
"""
from __future__ import annotations

import os
import random
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from workbench.paths import shared_data_dir  # noqa: E402
from workbench.prm.gsm8k import load_gsm8k  # noqa: E402
from workbench.prm.records import split_steps  # noqa: E402
from workbench.prm.verify import corrupt_step, evaluate, results_match, verify_arithmetic  # noqa: E402

_ANNOTATION = re.compile(r"<<([^<>]*)=([^<>=]*)>>")


def annotations_only(step: str) -> bool | None:
    """The baseline: replay the calculator annotations, ignore the visible text."""
    verdict = None
    for expression, result in _ANNOTATION.findall(step):
        try:
            ok = results_match(evaluate(expression), result)
        except ValueError:
            continue
        if not ok:
            return False
        verdict = True
    return verdict


def main(seed: int = 0) -> int:
    if shared_data_dir() is None:
        print("skipped: needs ../shared/data (the full GSM8K test set)")
        return 0
    rows = load_gsm8k("test", source="shared")
    start = time.perf_counter()
    annotated = clean_annotations = clean_steps = 0
    exceptions = []
    for row in rows:
        for step in split_steps(row["answer"])[0]:
            if "<<" not in step:
                continue
            annotated += 1
            clean_annotations += annotations_only(step) is not False
            if verify_arithmetic(step) is False:
                exceptions.append(step)
            else:
                clean_steps += 1
    rng = random.Random(seed)
    corrupted = caught = caught_baseline = 0
    for row in rows:
        steps = [s for s in split_steps(row["answer"])[0] if "<<" in s]
        if not steps:
            continue
        changed = corrupt_step(rng.choice(steps), rng)
        if changed is None:
            continue
        corrupted += 1
        caught += verify_arithmetic(changed) is False
        caught_baseline += annotations_only(changed) is False
    seconds = time.perf_counter() - start
    print(f"GSM8K test: {len(rows)} gold solutions, {annotated} annotated steps")
    print(f"annotations that check correct: {clean_annotations}/{annotated} = {clean_annotations / annotated:.4f}")
    print(f"annotated steps that check correct (text too): {clean_steps}/{annotated} = {clean_steps / annotated:.4f}")
    for step in exceptions:
        print(f"  flagged gold step: {step}")
    print(f"corrupted steps caught: {caught}/{corrupted} = {caught / corrupted:.4f} (target >= 0.95)")
    print(f"baseline (annotations only) caught: {caught_baseline}/{corrupted} = {caught_baseline / corrupted:.4f}")
    print(f"time: {seconds:.2f} s for {annotated + corrupted} checks")
    ok = clean_annotations == annotated and caught / corrupted >= 0.95
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
