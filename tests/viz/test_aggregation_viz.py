"""Figures of workbench.viz.aggregation carry the data they are given."""
import numpy as np
import pandas as pd

from workbench.aggregation import LagrangianCombiner, Constraint, pareto_front, run_constrained_bandit
from workbench.viz import aggregation as viz


def test_advantages_by_method_highlight():
    table = pd.DataFrame({"model": ["a", "b"], "x_advantage": [1.0, -1.0], "y_advantage": [0.5, -0.5]})
    figure = viz.advantages_by_method(table, methods=["x", "y", "missing"], highlight="y")
    assert [t.name for t in figure.data] == ["x", "y"]
    assert list(figure.data[1].y) == [0.5, -0.5] and figure.data[0].opacity < 1


def test_gdpo_collapse_labels_spell_out_rewards():
    rewards = np.array([[1.0, 0.0], [0.0, 1.0]])
    figure = viz.gdpo_collapse(rewards, [0, 0], np.array([1.0, -1.0]), np.array([0.5, -0.5]),
                               names=["correct", "format"])
    assert figure.data[0].x[0] == "g0: (c=1, f=0)"
    assert list(figure.data[1].y) == [0.5, -0.5]


def test_pareto_scatter_splits_front_and_marks_choices():
    points = np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]])
    figure = viz.pareto_scatter(points, pareto_front(points), names=["a", "b"], selected={"pick": 1})
    assert len(figure.data[0].x) == 1 and len(figure.data[1].x) == 2
    assert figure.data[2].name == "pick" and figure.data[2].y[0] == 1.0


def test_lagrangian_trace():
    arms = [np.array([[1.0, 0.0]]), np.array([[0.5, 1.0]])]
    run = run_constrained_bandit(arms, LagrangianCombiner(0, [Constraint(1, 0.5)]), steps=5)
    figure = viz.lagrangian_trace({"run": run}, constraint=1, bound=0.5)
    assert len(figure.data) == 3 and len(figure.data[2].y) == 5
