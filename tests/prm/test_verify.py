import json
import random

import pytest

from workbench.prm.verify import corrupt_step, evaluate, find_computations, verify_arithmetic


@pytest.mark.parametrize("step, expected", [
    ("Janet sells 16 - 3 - 4 = <<16-3-4=9>>9 duck eggs a day.", True),
    ("She makes 9 * 2 = $<<9*2=18>>18 every day.", True),
    ("She makes 9 * 2 = $<<9*2=19>>19 every day.", False),        # annotation wrong
    ("She makes 9 * 3 = $<<9*2=18>>18 every day.", False),        # visible text wrong
    ("<<9*2=18>>19 dollars", False),                              # result after >> disagrees
    ("It takes 2/2=<<2/2=1>>1 bolt", True),
    ("He pays 5 x 3 = $15.", True),
    ("He pays 5 x 3 = $16.", False),
    ("So 1,000 + 250 = 1,250 people.", True),
    ("This is 12/20 x 100% = 60% of the students.", True),
    ("The price is 10/3 = 3.33 dollars.", True),                 # rounded decimals
    ("The price is 10/3 = 3.34 dollars.", False),
    ("Now 13 - 12 = -2 coins.", False),
    ("Now 13 - 15 = -2 coins.", True),
    ("2*(10+5) = 30", True),
    ("Charlie has 54 − 37 = 17 stickers.", True),                 # unicode minus
    ("So she is happy.", None),
    ("x + 4 = 10", None),                                         # algebra, not arithmetic
    ("Scottish Unicorns:27(1/3)=9", None),                       # implicit product: unreadable
    ("1/2 off is $3 = $3", None),                                  # no operator around '='
])
def test_verify_arithmetic_cases(step, expected):
    assert verify_arithmetic(step) is expected


def test_evaluate_is_exact_and_safe():
    assert evaluate("1/3 + 1/3 + 1/3") == 1
    assert evaluate("2^10") == 1024
    with pytest.raises(ValueError):
        evaluate("__import__('os')")
    with pytest.raises(ValueError):
        evaluate("1/0")
    with pytest.raises(ValueError):
        evaluate("2^1000")  # refuses huge powers instead of hanging


def test_rejects_non_string():
    with pytest.raises(ValueError):
        verify_arithmetic(3)


def test_corrupt_step_changes_a_computed_number_consistently():
    rng = random.Random(0)
    step = "Janet sells 16 - 3 - 4 = <<16-3-4=9>>9 duck eggs a day."
    seen = set()
    for _ in range(30):
        corrupted = corrupt_step(step, rng)
        assert corrupted != step
        assert verify_arithmetic(corrupted) is False
        seen.add(corrupted)
    assert len(seen) > 3
    assert corrupt_step("No numbers to compute here.", rng) is None
    assert corrupt_step("A profit of $<<125=125>>125", rng) is None  # computes nothing


def test_gsm8k_test_gold_and_corruptions(shared_data):
    """Real data: gold annotations check, corruptions are caught (full rates: benchmarks/)."""
    rows = [json.loads(line) for line in open(shared_data / "gsm8k" / "test.jsonl")][:300]
    rng = random.Random(1)
    checked = caught = corrupted_total = 0
    for row in rows:
        steps = row["answer"].split("\n")[:-1]
        annotated = [s for s in steps if "<<" in s]
        for step in annotated:
            for expression_result in find_computations(step)[:1]:
                checked += 1
                assert verify_arithmetic(step) in (True, False)
        if annotated:
            corrupted = corrupt_step(rng.choice(annotated), rng)
            if corrupted is not None:
                corrupted_total += 1
                caught += verify_arithmetic(corrupted) is False
    assert checked > 500
    assert caught / corrupted_total > 0.95


def test_long_inputs_stay_fast():
    import time

    start = time.perf_counter()
    verify_arithmetic("123 456 " * 5000 + "= 7")
    verify_arithmetic("1 + " * 5000 + "1 = 5001")
    verify_arithmetic("<<" + "1+" * 3000 + "1=3001>>")
    assert verify_arithmetic("<<" + "(" * 5000 + "1" + ")" * 5000 + "=1>>") is None
    assert time.perf_counter() - start < 5.0


def test_docstring_examples():
    import doctest

    import workbench.prm.verify as module

    assert doctest.testmod(module).failed == 0
