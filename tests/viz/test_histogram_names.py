"""The two reward-histogram figures have names of their own; the shared old name still works in each module."""
from workbench.viz import length, rewards


def test_each_histogram_has_its_own_name_and_keeps_the_old_one():
    assert length.reward_histograms is length.reward_shift_histograms
    assert rewards.reward_histograms is rewards.reward_sparsity_histograms
    assert length.reward_shift_histograms is not rewards.reward_sparsity_histograms


def test_shift_histograms_mark_each_mean_and_sparsity_histograms_bin_on_the_unit_interval():
    shift = length.reward_shift_histograms({"raw": [1.0, 2.0, 3.0], "centred": [-1.0, 0.0, 1.0]})
    assert [line.x0 for line in shift.layout.shapes] == [2.0, 0.0]
    sparsity = rewards.reward_sparsity_histograms({"all or nothing": [0, 0, 1]}, bins=11)
    assert sparsity.data[0].xbins.start == -0.05 and sparsity.data[0].xbins.size == 0.1
