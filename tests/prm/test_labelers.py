import pytest

from workbench.prm import SimulatedPolicy, make_problems, true_labels, verify_arithmetic
from workbench.prm.labelers import (
    FirstErrorSearch,
    MonteCarloAnnotator,
    StepAnnotation,
    VerifierAnnotator,
    annotate_all,
    consensus,
)
from workbench.prm.metrics import first_error_accuracy


@pytest.fixture(scope="module")
def world():
    problems = make_problems(120, steps=(6, 10), seed=3)
    policy = SimulatedPolicy(problems, error_rate=0.1, recover_rate=0.0, seed=4)
    records = [policy.sample(p.question) for p in problems]
    return problems, policy, records


def test_problems_and_truth(world):
    problems, policy, records = world
    for problem in problems[:20]:
        assert 6 <= len(problem.operations) <= 10
        perfect = SimulatedPolicy([problem], error_rate=0.0)
        record = perfect.sample(problem.question)
        assert record.labels == [1.0] * len(problem.operations) and record.is_correct
        assert all(verify_arithmetic(step) for step in record.steps)
    wrong = [r for r in records if r.first_error is not None]
    assert 0.2 < len(wrong) / len(records) < 0.8  # error_rate 0.1 over 6-10 steps: ~35-65%
    for record in wrong:
        assert record.labels[record.first_error] == 0.0 and record.labels[:record.first_error] == [1.0] * record.first_error
        assert not record.is_correct or record.first_error is not None


def test_exact_policy_methods_find_the_true_first_error(world):
    problems, _, records = world
    clean = SimulatedPolicy(problems, error_rate=0.0, seed=5)  # rollouts never err: no label noise
    truth = [r.first_error for r in records]
    for annotator in (MonteCarloAnnotator(clean, 2, hard=True), FirstErrorSearch(clean, 2), VerifierAnnotator()):
        found = [a.first_error for a in annotate_all(annotator, records)]
        # the verifier is exact; rollouts miss an error that later floor division erases
        # (13 // 2 == 12 // 2): the final answer is right although a step was wrong
        bound = 1.0 if annotator.name == "verifier" else 0.9
        assert first_error_accuracy(found, truth) >= bound, annotator.name


def test_search_costs_fewer_rollouts_than_per_step_mc(world):
    problems, _, records = world
    policy = SimulatedPolicy(problems, error_rate=0.05, seed=6)
    mc = annotate_all(MonteCarloAnnotator(policy, 8), records)
    search = annotate_all(FirstErrorSearch(policy, 8), records)
    mc_cost = sum(a.cost["rollouts"] for a in mc)
    search_cost = sum(a.cost["rollouts"] for a in search)
    assert mc_cost == 8 * sum(len(r.steps) for r in records)
    assert search_cost * 3 < mc_cost
    truth = [r.first_error for r in records]
    assert first_error_accuracy([a.first_error for a in search], truth) > 0.8
    soft = mc[0].labels
    assert all(0.0 <= x <= 1.0 for x in soft)


def test_recovering_rollouts_make_mc_miss_errors(world):
    """MC labels are noisy when rollouts recover: a wrong step gets a positive label."""
    problems, _, records = world
    wrong = [r for r in records if r.first_error is not None]
    honest = SimulatedPolicy(problems, error_rate=0.0, recover_rate=0.0, seed=7)
    lucky = SimulatedPolicy(problems, error_rate=0.0, recover_rate=0.5, seed=7)
    label_at_error = lambda policy: sum(  # noqa: E731
        MonteCarloAnnotator(policy, 8).annotate(r).labels[r.first_error] for r in wrong) / len(wrong)
    assert label_at_error(honest) < 0.2  # only errors that floor division later erases
    assert label_at_error(lucky) > label_at_error(honest) + 0.25


def test_consensus_keeps_agreeing_solutions_only():
    a = StepAnnotation([1.0, 0.75, 0.0], 2, "mc", {"rollouts": 24, "calls": 0})
    b = StepAnnotation([1.0, 1.0, 0.0], 2, "judge", {"rollouts": 0, "calls": 1})
    c = StepAnnotation([1.0, 0.0, None], 1, "judge", {"rollouts": 0, "calls": 1})
    kept = consensus(a, b)
    assert kept.labels == [1.0, 1.0, 0.0] and kept.first_error == 2
    assert kept.cost == {"rollouts": 24, "calls": 1}
    assert consensus(a, c) is None
    partial = consensus(StepAnnotation([1.0, None, 0.0], 2, "x"), b)
    assert partial.labels == [1.0, None, 0.0]


def test_true_labels_and_unknown_prompt(world):
    problems, policy, _ = world
    with pytest.raises(ValueError, match="unknown prompt"):
        policy.rollout("not a question", [], 1)
    steps = SimulatedPolicy(problems, error_rate=0.0).sample(problems[0].question).steps
    broken = steps[:1] + [steps[1].replace("=", "= 1") ] + steps[2:]
    assert true_labels(problems[0], broken)[1:] == [0.0] * (len(steps) - 1)


def test_needs_reference(world):
    _, policy, records = world
    record = records[0]
    record_without = type(record)(record.prompt, record.steps, record.labels)
    with pytest.raises(ValueError, match="reference"):
        MonteCarloAnnotator(policy, 2).annotate(record_without)


def test_old_module_keeps_old_imports_working():
    from workbench.prm import annotate, labelers, metrics

    assert annotate.MonteCarloAnnotator is labelers.MonteCarloAnnotator
    assert annotate.StepAnnotation is labelers.StepAnnotation
    assert annotate.processbench_f1 is metrics.processbench_f1
    assert annotate.agreement_matrix is metrics.agreement_matrix
