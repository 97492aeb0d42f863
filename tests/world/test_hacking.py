"""Notebook 10's GRPO bounds: real-looking runs pass, and each broken variant fails the claim it breaks.

The runs are stand-ins with the fields ``grpo_failed_claims`` reads (the
notebook asserts the same function on TRL runs; tests/world/test_grpo.py
shows a real run with a random reward does not raise accuracy).
"""
from types import SimpleNamespace

from workbench.world.hacking import grpo_failed_claims


def run(start, end, proxy_from, proxy_to, steps=100):
    history = [SimpleNamespace(step=i + 1, proxy=proxy_from + (proxy_to - proxy_from) * i / (steps - 1))
               for i in range(steps)]
    return SimpleNamespace(start_accuracy=start, end_accuracy=end, history=history)


def profile(slip):
    return {"step_errors": {"slip": slip}}


RUNS = {"checker": run(0.57, 0.68, 0.3, 0.5), "proxy": run(0.57, 0.30, -1.0, 0.2),
        "proxy + KL": run(0.57, 0.55, -1.0, -0.5)}
PROFILES = {"start": profile(0.067), "proxy": profile(0.15)}


def test_the_measured_shape_passes():
    assert grpo_failed_claims(RUNS, PROFILES) == []


def test_a_random_reward_in_the_checkers_place_fails():
    failed = grpo_failed_claims({**RUNS, "checker": run(0.57, 0.56, 0.5, 0.5)}, PROFILES)
    assert failed == ["GRPO on the exact checker raises held-out accuracy by 0.05"]


def test_a_proxy_that_is_not_hacked_fails():
    failed = grpo_failed_claims({**RUNS, "proxy": run(0.57, 0.62, -1.0, 0.2)}, PROFILES)
    assert any("gold (held-out accuracy) falls" in claim for claim in failed)


def test_no_named_hack_fails():
    failed = grpo_failed_claims(RUNS, {"start": profile(0.067), "proxy": profile(0.07)})
    assert failed == ["the hack is named: one kind of step error rises by 0.03 a step under the proxy "
                      "(largest: slip, +0.003)"]


def test_the_hack_is_whichever_error_rose_most():
    from workbench.world.hacking import named_hack

    start = {"step_errors": {"slip": 0.067, "copy": 0.175, "format": 0.006, "carried": 0.17}}
    after = {"step_errors": {"slip": 0.049, "copy": 0.301, "format": 0.444, "carried": 0.9}}  # a 2-thread run
    kind, rise = named_hack(start, after)
    assert kind == "format" and abs(rise - 0.438) < 1e-9         # "carried" follows other errors: never named
    assert grpo_failed_claims(RUNS, {"start": start, "proxy": after}) == []


def test_a_penalty_that_keeps_nothing_fails():
    failed = grpo_failed_claims({**RUNS, "proxy + KL": run(0.57, 0.31, -1.0, 0.0)}, PROFILES)
    assert any("KL penalty" in claim for claim in failed)


def signal_run(hack_at=50, steps=100, seed=0):
    import numpy as np

    rng = np.random.default_rng(seed)
    history = []
    for i in range(steps):
        hacked = i >= hack_at
        history.append(SimpleNamespace(step=i + 1, accuracy=0.4 - (0.3 if hacked else 0.0) + rng.normal(0, 0.05),
                                       proxy=(0.5 if hacked else 0.0) + rng.normal(0, 0.05), length=60 + rng.normal(0, 2),
                                       kl_sequence=0.05 * i, disagreement=None))
    return SimpleNamespace(history=history)


def test_warning_signals_score_each_signal_against_the_truth():
    from workbench.world.hacking import warning_signals

    signals = warning_signals(signal_run())
    assert set(signals) == {"proxy_gold_gap", "length_drift", "kl"}  # no disagreement without an ensemble
    gap = signals["proxy_gold_gap"]
    assert gap["first_hacked"] is not None and 50 <= gap["first_hacked"] <= 60
    assert gap["precision"] > 0.8 and gap["recall"] > 0.8   # the gap sees the gold fall
    assert gap["lead"] >= 0   # it warns no later than the truth line
    kl = signals["kl"]
    assert kl["first_warning"] < gap["first_warning"] and kl["precision"] < gap["precision"]  # early, and often wrong
