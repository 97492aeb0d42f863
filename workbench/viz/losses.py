"""Figures for the loss notebooks: fitted vs true rewards, loss curves.

``win_matrices`` moved to :mod:`workbench.viz.ranking` (the fitting study's figure); it stays importable here.
"""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import torch

from ..losses import bradley_terry, hinge
from .ranking import win_matrices  # noqa: F401  (moved; old imports keep working)


def true_vs_fitted(true_rewards, fitted_rewards, *, title: str = "Fitted vs true rewards") -> go.Figure:
    """Scatter of fitted against true rewards (both centred), with the identity line."""
    true = np.asarray(true_rewards, dtype=float)
    fitted = np.asarray(fitted_rewards, dtype=float)
    true, fitted = true - true.mean(), fitted - fitted.mean()
    low, high = float(min(true.min(), fitted.min())), float(max(true.max(), fitted.max()))
    figure = go.Figure([
        go.Scatter(x=true, y=fitted, mode="markers", name="items"),
        go.Scatter(x=[low, high], y=[low, high], mode="lines", name="y = x", line={"dash": "dash"}),
    ])
    correlation = float(np.corrcoef(true, fitted)[0, 1])
    figure.update_layout(title=f"{title} (Pearson r = {correlation:.3f})",
                         xaxis_title="true reward", yaxis_title="fitted reward")
    return figure


def pairwise_loss_curves(differences=None, *, margin: float = 1.0) -> go.Figure:
    """Loss against the reward difference r_c - r_r for Bradley-Terry, BT with a margin, and hinge."""
    d = torch.linspace(-4, 4, 161, dtype=torch.float64) if differences is None else torch.as_tensor(differences, dtype=torch.float64)
    zeros = torch.zeros_like(d)
    curves = {
        "Bradley-Terry": bradley_terry(d, zeros, reduction="none"),
        f"BT, margin {margin:g}": bradley_terry(d, zeros, margin=torch.full_like(d, margin), reduction="none"),
        f"hinge, margin {margin:g}": hinge(d, zeros, margin=margin, reduction="none"),
    }
    figure = go.Figure([go.Scatter(x=d.numpy(), y=v.numpy(), mode="lines", name=k) for k, v in curves.items()])
    figure.update_layout(title="Pairwise losses against the reward difference",
                         xaxis_title="r_chosen - r_rejected", yaxis_title="loss")
    return figure
