"""ODIN's batch-level terms (Chen et al. 2024): by hand, against numpy, degenerate batches, gradients."""
import numpy as np
import pytest
import torch

from workbench.losses import length_correlation_penalty, orthogonality_penalty, pearson_correlation


def test_pearson_correlation_matches_numpy():
    g = torch.Generator().manual_seed(0)
    x, y = torch.randn(50, generator=g, dtype=torch.float64), torch.randn(50, generator=g, dtype=torch.float64)
    y = y + 0.5 * x
    assert pearson_correlation(x, y).item() == pytest.approx(np.corrcoef(x, y)[0, 1], abs=1e-9)
    assert pearson_correlation(x, 3 * x + 1).item() == pytest.approx(1.0, abs=1e-9)
    assert pearson_correlation(x, -x).item() == pytest.approx(-1.0, abs=1e-9)


def test_pearson_of_a_constant_is_zero_with_finite_gradients():
    x = torch.tensor([1.0, 2.0, 4.0], requires_grad=True)
    value = pearson_correlation(x, torch.full((3,), 7.0))
    value.backward()
    assert value.item() == 0.0 and torch.isfinite(x.grad).all()
    with pytest.raises(ValueError, match="1-D"):
        pearson_correlation(torch.ones(2, 2), torch.ones(2, 2))


def test_length_correlation_penalty_by_hand():
    """L = 1, 2, 3, 4. r_Q = L, r_L constant: |1| - 0 = 1 (the worst case for quality);
    r_Q constant, r_L = L: 0 - 1 = -1 (the goal); r_Q = -L: |-1| - 0 = 1 (anti-length
    counts as length too); integer lengths are cast to the rewards' dtype."""
    lengths = torch.tensor([1, 2, 3, 4])
    rising, flat = lengths.float(), torch.zeros(4)
    assert length_correlation_penalty(rising, flat, lengths).item() == pytest.approx(1.0)
    assert length_correlation_penalty(flat, rising, lengths).item() == pytest.approx(-1.0)
    assert length_correlation_penalty(-rising, flat, lengths).item() == pytest.approx(1.0)
    with pytest.raises(ValueError, match="lengths"):
        length_correlation_penalty(rising, flat, lengths[:3])
    with pytest.raises(ValueError, match="floating"):
        length_correlation_penalty(lengths, flat, lengths)


def test_length_correlation_penalty_gradients_are_finite_for_extreme_rewards():
    g = torch.Generator().manual_seed(1)
    quality = (torch.rand(16, generator=g) * 2e4 - 1e4).requires_grad_(True)
    length_reward = (torch.rand(16, generator=g) * 2e4 - 1e4).requires_grad_(True)
    value = length_correlation_penalty(quality, length_reward, torch.arange(16) * 50)
    value.backward()
    assert torch.isfinite(value) and torch.isfinite(quality.grad).all() and torch.isfinite(length_reward.grad).all()


def test_orthogonality_penalty_by_hand():
    """|1·0.5 + 0·2| = 0.5; |1·(-3) + 1·1| = 2 (the sign does not matter); orthogonal: 0."""
    assert orthogonality_penalty(torch.tensor([1.0, 0.0]), torch.tensor([0.5, 2.0])).item() == 0.5
    assert orthogonality_penalty(torch.tensor([1.0, 1.0]), torch.tensor([-3.0, 1.0])).item() == 2.0
    assert orthogonality_penalty(torch.tensor([1.0, 0.0]), torch.tensor([0.0, 5.0])).item() == 0.0
    with pytest.raises(ValueError, match="length_weight"):
        orthogonality_penalty(torch.ones(2), torch.ones(3))


def test_odin_loss_is_the_sum_of_the_terms():
    from workbench.losses import bradley_terry
    from workbench.models.odin import odin_loss

    g = torch.Generator().manual_seed(2)
    quality, length_reward, weights = torch.randn(8, generator=g), torch.randn(8, generator=g), torch.randn(2, 6, generator=g)
    lengths = torch.randint(5, 50, (8,), generator=g)
    loss, _ = odin_loss(quality, length_reward, lengths, weights[0], weights[1], length_penalty=0.3, orthogonality=2.0)
    total = quality + length_reward
    expected = (bradley_terry(total[:4], total[4:]) + 0.3 * length_correlation_penalty(quality, length_reward, lengths)
                + 2.0 * orthogonality_penalty(weights[0], weights[1]))
    torch.testing.assert_close(loss, expected)
