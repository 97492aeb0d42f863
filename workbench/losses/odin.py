r"""ODIN's disentangling terms: correlation with length, orthogonal heads.

Chen et al. (2024), "ODIN: Disentangled Reward Mitigates Hacking in RLHF"
(ICML 2024). A quality head :math:`r_Q` and a length head :math:`r_L` read the
same representation; training fits the preferences with :math:`r_Q + r_L` and
adds

.. math::
    \lambda_L \big(|\rho(r_Q, L)| - \rho(r_L, L)\big) + \lambda_O\,|w_Q \cdot w_L|

so that length moves into :math:`r_L` and out of :math:`r_Q`, and the two heads
read different directions. :math:`\rho` is the Pearson correlation over all the
responses of a batch, so both terms are batch-level: one 0-dim value, no
per-item values and no ``reduction``. The model, its two heads and the whole
objective are in :mod:`workbench.models.odin`.
"""
from __future__ import annotations

import torch

from ._checks import check_same_shape, check_tensor

# Keeps the denominator of a correlation of constant inputs away from sqrt(0),
# whose gradient is infinite; far below any real product of variances.
_VARIANCE_EPS = 1e-12


def pearson_correlation(x: torch.Tensor, y: torch.Tensor, *, eps: float = _VARIANCE_EPS) -> torch.Tensor:
    r"""Differentiable Pearson correlation of two ``(N,)`` tensors, a 0-dim tensor.

    .. math:: \rho(x, y) = \frac{\sum_i \tilde x_i \tilde y_i}
                                {\sqrt{\sum_i \tilde x_i^2 \sum_i \tilde y_i^2 + \epsilon}},
              \qquad \tilde x = x - \bar x

    0 (with finite gradients) when either input is constant, where the textbook
    formula is 0/0.
    """
    if not (isinstance(x, torch.Tensor) and isinstance(y, torch.Tensor)) or x.shape != y.shape or x.ndim != 1:
        raise ValueError(f"x and y must be equal 1-D tensors, got {tuple(getattr(x, 'shape', ()))} "
                         f"and {tuple(getattr(y, 'shape', ()))}")
    xc, yc = x - x.mean(), y - y.mean()
    return (xc * yc).sum() / torch.sqrt((xc * xc).sum() * (yc * yc).sum() + eps)


def length_correlation_penalty(quality: torch.Tensor, length_reward: torch.Tensor,
                               lengths: torch.Tensor) -> torch.Tensor:
    r""":math:`|\rho(r_Q, L)| - \rho(r_L, L)`: quality uncorrelated with length, the length head correlated.

    Args:
        quality: ``(N,)`` quality rewards :math:`r_Q` of every response in the batch.
        length_reward: ``(N,)`` length-head rewards :math:`r_L`.
        lengths: ``(N,)`` response lengths :math:`L` (any unit; cast to the rewards' dtype).

    Returns a 0-dim tensor in ``[-1, 2]``; minimal (``-1``) when :math:`r_Q` ignores
    length and :math:`r_L` is a rising function of it.
    """
    check_tensor(quality, "quality", ndim=1, floating=True)
    check_same_shape(quality, "quality", length_reward, "length_reward")
    check_same_shape(quality, "quality", lengths, "lengths")
    lengths = lengths.to(quality.dtype)
    return pearson_correlation(quality, lengths).abs() - pearson_correlation(length_reward, lengths)


def orthogonality_penalty(quality_weight: torch.Tensor, length_weight: torch.Tensor) -> torch.Tensor:
    r""":math:`|w_Q \cdot w_L|` of the two heads' weight vectors ``(H,)``: 0 when they are orthogonal."""
    check_tensor(quality_weight, "quality_weight", ndim=1, floating=True)
    check_same_shape(quality_weight, "quality_weight", length_weight, "length_weight")
    return (quality_weight * length_weight).sum().abs()


__all__ = ["pearson_correlation", "length_correlation_penalty", "orthogonality_penalty"]
