"""Constrained combination with a Lagrange multiplier (Safe RLHF)."""
import numpy as np
import pytest

from workbench.aggregation import Constraint, LagrangianCombiner, run_constrained_bandit


def test_scores_hand_worked():
    """primary r0, constraint r1 >= 0.5, lambda 1: s = (r0 - (0.5 - r1)) / 2.
    rows (1, 0) -> 0.25; (0.5, 1) -> 0.5."""
    combiner = LagrangianCombiner(0, [Constraint(1, 0.5)], lambda_init=1.0)
    np.testing.assert_allclose(combiner.scores([[1.0, 0.0], [0.5, 1.0]]), [0.25, 0.5])
    np.testing.assert_allclose(combiner.costs([[1.0, 0.0], [0.5, 1.0]]), [[0.5], [-0.5]])


def test_upper_bound_sense_and_names():
    combiner = LagrangianCombiner("quality", [Constraint("length", 100.0, "<=")],
                                  names=["quality", "length"], lambda_init=2.0)
    # cost = length - 100 = 50, s = (1 - 2 * 50) / 3
    np.testing.assert_allclose(combiner.scores([[1.0, 150.0]]), [(1 - 100) / 3])


def test_log_update_follows_safe_rlhf_and_linear_update_is_projected():
    """log-space: log l += lr * l * mean_cost: l = exp(0 + 0.1 * 1 * 0.5) = 1.05127.
    linear: l = max(0, 1 + 0.1 * (-0.5 * 30)) = 0 after a satisfied batch."""
    violated = [[1.0, 0.0], [1.0, 0.0]]
    log_rule = LagrangianCombiner(0, [Constraint(1, 0.5)], lambda_lr=0.1)
    np.testing.assert_allclose(log_rule.update(violated), [np.exp(0.05)])
    linear = LagrangianCombiner(0, [Constraint(1, 0.5)], lambda_lr=0.1 * 30, update="linear")
    np.testing.assert_allclose(linear.update([[0.0, 1.0]]), [0.0])
    np.testing.assert_allclose(linear.update(violated), [1.5])
    capped = LagrangianCombiner(0, [Constraint(1, 0.5)], lambda_lr=100, lambda_max=3.0, update="linear")
    np.testing.assert_allclose(capped.update(violated), [3.0])


def test_update_delay_and_missing_constraint_reward():
    combiner = LagrangianCombiner(0, [Constraint(1, 0.5)], update_delay_steps=1, update="linear")
    np.testing.assert_allclose(combiner.update([[1.0, 0.0]]), [1.0])      # delayed
    np.testing.assert_allclose(combiner.update([[1.0, np.nan]]), [1.0])   # nothing to learn from
    assert len(combiner.history) == 2


def test_validation():
    with pytest.raises(ValueError, match="sense"):
        Constraint(0, 1.0, "<")
    with pytest.raises(ValueError, match="lambda_init"):
        LagrangianCombiner(0, [Constraint(1, 0.0)], lambda_init=0.0)
    with pytest.raises(ValueError, match="unknown reward 'x'"):
        LagrangianCombiner("x", [], names=["a"])
    with pytest.raises(ValueError, match="column 3 out of range"):
        LagrangianCombiner(0, [Constraint(3, 0.0)]).scores([[1.0, 2.0]])


ARMS = [np.array([[1.0, 0.0]]), np.array([[0.5, 1.0]]), np.array([[0.2, 0.6]])]


@pytest.mark.parametrize("update,lr", [("log", 1.0), ("linear", 0.5)])
def test_multiplier_steers_the_policy_to_the_constraint(update, lr):
    """Maximise r0 s.t. E[r1] >= 0.5. Optimum: half arm 0, half arm 1 (r0 = 0.75).
    Unconstrained, the policy takes arm 0 and E[r1] -> 0."""
    free = run_constrained_bandit(ARMS, None, steps=300, policy_lr=0.05, scale="batch")
    assert free["expected"][-50:, 1].mean() < 0.1
    for seed in (0, 1):
        combiner = LagrangianCombiner(0, [Constraint(1, 0.5)], lambda_lr=lr, update=update)
        run = run_constrained_bandit(ARMS, combiner, steps=400, policy_lr=0.05, scale="batch", seed=seed)
        tail = run["expected"][-150:].mean(axis=0)
        assert tail[1] > 0.4, tail            # constraint (nearly) met on average
        assert tail[0] > 0.65, tail           # while keeping most of the primary reward
        assert run["lambdas"][-150:].mean() > 0.1
