"""Pairwise preference losses: one chosen and one rejected score per pair.

Shapes: ``chosen``, ``rejected``, ``margin``, ``tie`` and ``mask`` are all ``(B,)``.
Every function returns a scalar for ``reduction="mean" | "sum"`` and a ``(B,)``
tensor for ``"none"``. ``mask`` (bool, True = real pair) lets a padded batch
through: a masked pair contributes exactly 0 and is left out of the mean.

All log-probabilities are computed with ``logsigmoid`` / ``logsumexp``, never
``log(sigmoid(...))`` or ``log(x + eps)``, so they stay exact for score
differences of any size (tested on scores in [-1e4, 1e4]).
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from ._checks import check_finite, check_mask, check_reduction, check_same_shape, check_tensor, reduce


def _check_pair(chosen, rejected, mask, loss):
    check_tensor(chosen, "chosen", ndim=1, floating=True)
    check_tensor(rejected, "rejected", ndim=1, floating=True)
    check_same_shape(chosen, "chosen", rejected, "rejected")
    mask = check_mask(mask, chosen, "chosen")
    chosen = check_finite(chosen, "chosen", loss=loss, mask=mask)
    rejected = check_finite(rejected, "rejected", loss=loss, mask=mask)
    return chosen, rejected, mask


def _finish(per_pair, mask, reduction):
    check_reduction(reduction)
    per_pair = torch.where(mask, per_pair, torch.zeros_like(per_pair))
    return reduce(per_pair, reduction, valid=mask)


def bradley_terry(chosen, rejected, *, margin=None, mask=None, reduction="mean"):
    r"""Bradley-Terry negative log-likelihood of the preference ``chosen ≻ rejected``.

    .. math:: \ell = -\log \sigma(r_c - r_r - m)

    Bradley & Terry (1952), "Rank analysis of incomplete block designs"; the
    reward-model form of Ouyang et al. (2022), InstructGPT. ``margin`` ``m`` is
    the optional per-pair margin of Llama 2 (Touvron et al. 2023), as in TRL's
    ``margin`` column: the model must prefer ``chosen`` by at least ``m`` nats
    before the loss flattens.

    Args:
        chosen, rejected: ``(B,)`` float rewards.
        margin: ``(B,)`` tensor or None.
        mask: ``(B,)`` bool or None.
    """
    chosen, rejected, mask = _check_pair(chosen, rejected, mask, "bradley_terry")
    difference = chosen - rejected
    if margin is not None:
        check_tensor(margin, "margin", ndim=1, floating=True)
        check_same_shape(chosen, "chosen", margin, "margin")
        margin = check_finite(margin, "margin", loss="bradley_terry", mask=mask)
        difference = difference - margin
    return _finish(-F.logsigmoid(difference), mask, reduction)


def hinge(chosen, rejected, *, margin=1.0, mask=None, reduction="mean"):
    r"""Hinge (max-margin) pairwise loss.

    .. math:: \ell = \max(0,\; m - (r_c - r_r))

    The ranking SVM loss (Herbrich et al. 2000; Joachims 2002). Unlike
    Bradley-Terry it gives exactly zero gradient once a pair is separated by
    ``m``, so well-ranked pairs stop pulling the scores apart.

    Args:
        chosen, rejected: ``(B,)`` float rewards.
        margin: a float or a ``(B,)`` tensor.
        mask: ``(B,)`` bool or None.
    """
    chosen, rejected, mask = _check_pair(chosen, rejected, mask, "hinge")
    if isinstance(margin, torch.Tensor):
        check_tensor(margin, "margin", ndim=1, floating=True)
        check_same_shape(chosen, "chosen", margin, "margin")
        margin = check_finite(margin, "margin", loss="hinge", mask=mask)
    elif not math.isfinite(margin):
        raise ValueError(f"hinge: margin must be finite, got {margin!r}")
    return _finish(F.relu(margin - (chosen - rejected)), mask, reduction)


def bradley_terry_ties(chosen, rejected, *, tie, method="rao_kupper", theta=1.5, nu=0.5,
                       mask=None, reduction="mean"):
    r"""Bradley-Terry with tie outcomes, for data labelled "A ≻ B" or "A = B".

    With :math:`\pi = e^r` and :math:`d = r_c - r_r`:

    ``method="rao_kupper"`` (Rao & Kupper 1967), threshold :math:`\theta > 1`,
    :math:`\eta = \log\theta`:

    .. math::
        P(c \succ r) = \sigma(d - \eta), \qquad
        P(c = r) = (\theta^2 - 1)\,\sigma(d - \eta)\,\sigma(-d - \eta)

    ``method="davidson"`` (Davidson 1970), tie weight :math:`\nu > 0`:

    .. math::
        P(c \succ r) = \frac{\pi_c}{\pi_c + \pi_r + \nu\sqrt{\pi_c\pi_r}}, \qquad
        P(c = r) = \frac{\nu\sqrt{\pi_c\pi_r}}{\pi_c + \pi_r + \nu\sqrt{\pi_c\pi_r}}

    The loss is :math:`-\log P` of the observed outcome: the preference for
    rows where ``tie`` is False, the tie for rows where it is True. A tie's
    likelihood is symmetric in ``chosen`` and ``rejected``. ``theta`` / ``nu``
    may be floats or 0-d tensors (learnable).

    Args:
        chosen, rejected: ``(B,)`` float rewards.
        tie: ``(B,)`` bool, True where the pair was judged equal.
        mask: ``(B,)`` bool or None.
    """
    chosen, rejected, mask = _check_pair(chosen, rejected, mask, "bradley_terry_ties")
    check_tensor(tie, "tie", ndim=1)
    if tie.dtype != torch.bool:
        raise ValueError(f"tie must be a bool tensor, got dtype {tie.dtype}")
    check_same_shape(chosen, "chosen", tie, "tie")
    difference = chosen - rejected
    if method == "rao_kupper":
        theta = torch.as_tensor(theta, dtype=chosen.dtype, device=chosen.device)
        if not bool(theta > 1):
            raise ValueError(f"rao_kupper needs theta > 1, got {float(theta)}")
        eta = torch.log(theta)
        log_win = F.logsigmoid(difference - eta)
        # log(theta^2 - 1) = 2*eta + log(1 - exp(-2*eta)), stable for theta near 1.
        log_scale = 2 * eta + torch.log1p(-torch.exp(-2 * eta))
        log_tie = log_scale + log_win + F.logsigmoid(-difference - eta)
    elif method == "davidson":
        nu = torch.as_tensor(nu, dtype=chosen.dtype, device=chosen.device)
        if not bool(nu > 0):
            raise ValueError(f"davidson needs nu > 0, got {float(nu)}")
        log_tie_term = torch.log(nu) + (chosen + rejected) / 2
        log_normaliser = torch.logsumexp(torch.stack([chosen, rejected, log_tie_term]), dim=0)
        log_win = chosen - log_normaliser
        log_tie = log_tie_term - log_normaliser
    else:
        raise ValueError(f"method must be 'rao_kupper' or 'davidson', got {method!r}")
    return _finish(-torch.where(tie, log_tie, log_win), mask, reduction)


def center_penalty(chosen, rejected=None, *, mask=None, reduction="mean"):
    r"""Reward-centering auxiliary term (Eisenstein et al. 2023, "Helping or Herding?").

    Pairwise: :math:`(r_c + r_r)^2`, the term TRL multiplies by
    ``center_rewards_coefficient``. It pins the mean reward at zero, which
    Bradley-Terry leaves free (only differences are identified).

    Listwise: with ``rejected=None``, ``chosen`` is a ``(B, K)`` score matrix and
    the term is :math:`(2\,\bar r)^2` with :math:`\bar r` the mean of the real
    items of a list; at ``K = 2`` this is exactly the pairwise term, and it does
    not grow with ``K``.
    """
    if rejected is not None:
        chosen, rejected, mask = _check_pair(chosen, rejected, mask, "center_penalty")
        return _finish((chosen + rejected) ** 2, mask, reduction)
    check_tensor(chosen, "scores", ndim=2, floating=True)
    mask = check_mask(mask, chosen, "scores")
    chosen = check_finite(chosen, "scores", loss="center_penalty", mask=mask)
    check_reduction(reduction)
    counts = mask.sum(dim=-1)
    total = torch.where(mask, chosen, torch.zeros_like(chosen)).sum(dim=-1)
    mean = total / counts.clamp(min=1).to(chosen.dtype)
    return reduce((2 * mean) ** 2, reduction, valid=counts > 0)

