"""The live explorer: set widget values as a learner would, read the updated output."""
import numpy as np
import pytest

from workbench.aggregation import RewardMatrix
from workbench.aggregation.explorer import compare_methods
from workbench.viz.explorer import AggregationExplorer

pytest.importorskip("ipywidgets")


@pytest.fixture
def matrix():
    """Two groups of 4; group 0 mixes correctness and length, group 1 is all alike."""
    rewards = [[1, 1, -0.5], [1, 1, 0.0], [0, 1, 0.0], [0, 0, 0.0],
               [1, 1, 0.0], [1, 1, 0.0], [1, 1, 0.0], [1, 1, 0.0]]
    return RewardMatrix(rewards, names=("correctness", "format", "length"), group_ids=[0] * 4 + [1] * 4)


def test_compare_methods_table(matrix):
    table = compare_methods(matrix, 0, weights=[1, 1, 1])
    assert list(table["weighted_sum_score"]) == [1.5, 2.0, 1.0, 0.0]
    assert list(table["weighted_sum_rank"]) == [2, 1, 3, 4]
    assert list(table["lexicographic_rank"]) == [2, 1, 3, 4]
    assert abs(table["weighted_sum_advantage"].sum()) < 1e-9
    flat = compare_methods(matrix, 1, weights=[1, 1, 1])
    assert (flat.filter(like="_advantage") == 0).all().all()   # no signal in a uniform group
    with pytest.raises(ValueError, match="group 5 is empty"):
        compare_methods(matrix, 5, weights=[1, 1, 1])


def test_widgets_drive_the_output(matrix):
    explorer = AggregationExplorer(matrix)
    first = explorer.table.copy()
    assert len(explorer.figure.data) == 5 and "<table" in explorer.html.value

    # a weight slider: ignoring length makes samples 0 and 1 tie under the weighted sum
    explorer.weights["length"].value = 0.0
    assert explorer.table["weighted_sum_score"].iloc[0] == explorer.table["weighted_sum_score"].iloc[1]
    assert not explorer.table["weighted_sum_advantage"].equals(first["weighted_sum_advantage"])

    # the dropdown: the highlighted bars follow the method
    explorer.method.value = "pareto"
    opacities = {trace.name: trace.opacity for trace in explorer.figure.data}
    assert opacities["pareto"] == 1.0 and opacities["weighted_sum"] < 1.0
    assert "pareto_score" in explorer.html.value and "weighted_sum_score" not in explorer.html.value

    # a constraint checkbox: length >= -0.1 penalises sample 0 under the constrained method
    explorer.primary.value = "correctness"
    before = explorer.table["constrained_score"].to_numpy()
    assert before[0] == before[1]
    explorer.bounds["length"].value = -0.1
    explorer.constraint_on["length"].value = True
    after = explorer.table["constrained_score"].to_numpy()
    assert after[0] < after[1]
    assert explorer.table["violates"].iloc[0] == "length"
    explorer.multiplier.value = 10.0
    assert explorer.table["constrained_score"].iloc[0] < after[0]

    # the group slider and the bars' data
    explorer.group.value = 1
    assert np.allclose(explorer.figure.data[0].y, 0.0)


def test_lexicographic_priority_follows_weights(matrix):
    explorer = AggregationExplorer(matrix)
    explorer.weights["length"].value = 5.0      # length becomes the top priority
    ranks = explorer.table["lexicographic_rank"].to_numpy()
    assert ranks[0] == 4                         # the only long answer is now last
