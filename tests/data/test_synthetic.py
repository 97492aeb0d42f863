"""The synthetic teaching set: the truth is what the docstring says, and labels follow it."""
import numpy as np

from workbench.data import load_records
from workbench.data.synthetic import (
    QUALITIES,
    synthetic_lists,
    synthetic_pairs,
    true_pair_accuracy,
    true_reward,
    write_demo_data,
)


def test_true_reward_is_the_sum_of_the_two_qualities():
    assert true_reward("Here is a clear and polite answer about taxes.") == QUALITIES["clear"] + QUALITIES["polite"]
    assert true_reward("A rude, wrong explanation of sleep follows.") == QUALITIES["rude"] + QUALITIES["wrong"]


def test_pairs_follow_bradley_terry_on_the_truth():
    rows = synthetic_pairs(2000, beta=3.0, seed=0)
    assert len(load_records(rows)) == 2000
    accuracy = true_pair_accuracy(rows)
    assert 0.8 < accuracy < 0.95  # noisy, but far from chance
    assert true_pair_accuracy(synthetic_pairs(500, beta=50.0, seed=1)) > 0.97
    assert synthetic_pairs(5, seed=3) == synthetic_pairs(5, seed=3)


def test_list_labels_are_graded_with_ties_and_track_the_truth():
    rows = synthetic_lists(300, k=4, seed=0)
    labels = np.array([r["labels"] for r in rows])
    truth = np.array([r["true_rewards"] for r in rows])
    assert labels.min() >= 1 and labels.max() <= 5
    assert np.mean([len(set(row)) < 4 for row in labels]) > 0.2  # ties are common
    assert np.corrcoef(labels.ravel(), truth.ravel())[0, 1] > 0.8
    assert len(load_records(rows)) == 300


def test_write_demo_data(tmp_path):
    files = write_demo_data(tmp_path, n_train=40, n_test=20)
    assert len(load_records(files["pairs_train"])) == 40 and len(load_records(files["lists_test"])) == 5
