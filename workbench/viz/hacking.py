"""Figures for notebook 10's closed loop: GRPO runs side by side, gold against proxy, step by step.

Each builder returns a plotly figure whose data tests can read. A run is any
object with ``history``, a list of steps with ``step``, ``accuracy``,
``proxy``, ``length``, ``kl_sequence`` and ``heldout_accuracy`` (None between
evaluations): ``workbench.world.grpo.GRPORun``.
"""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from workbench.world.hacking import smoothed

PANELS = (("accuracy", "gold: accuracy of the step's samples"), ("proxy", "the reward it was trained on"),
          ("length", "mean completion tokens"), ("kl_sequence", "KL to the start (nats a completion)"))
COLOURS = ["#2a9d8f", "#e76f51", "#264653", "#9467bd", "#f4a261"]


def grpo_runs(runs: Mapping[str, object], *, window: int = 10,
              title: str = "GRPO on the world: what each reward did to the policy") -> go.Figure:
    """Four panels (gold accuracy, proxy reward, length, KL) against the step, one colour per run.

    Lines are trailing means over ``window`` steps; the gold panel adds each
    run's held-out accuracy as markers (``"<name> held-out"``). Traces are named
    ``"<name>"`` in the first panel and ``"<name> <field>"`` in the others.
    """
    figure = make_subplots(rows=2, cols=2, subplot_titles=[label for _, label in PANELS])
    for index, (name, run) in enumerate(runs.items()):
        colour = COLOURS[index % len(COLOURS)]
        steps = [s.step for s in run.history]
        for panel, (key, _) in enumerate(PANELS):
            row, col = divmod(panel, 2)
            values = [getattr(s, key) for s in run.history]
            if key == "proxy" and any(v is None for v in values):
                continue
            figure.add_trace(go.Scatter(x=steps, y=smoothed(values, window), mode="lines",
                                        name=name if panel == 0 else f"{name} {key}", line={"color": colour},
                                        showlegend=panel == 0, legendgroup=name), row=row + 1, col=col + 1)
        held = [(s.step, s.heldout_accuracy) for s in run.history if s.heldout_accuracy is not None]
        if held:
            figure.add_trace(go.Scatter(x=[0] + [h[0] for h in held], y=[run.start_accuracy] + [h[1] for h in held],
                                        mode="markers", marker={"color": colour, "symbol": "diamond", "size": 9},
                                        name=f"{name} held-out", legendgroup=name, showlegend=False),
                             row=1, col=1)
    figure.update_layout(title=title, template="plotly_white", height=640, legend={"orientation": "h", "y": -0.1})
    figure.update_xaxes(title_text="GRPO step")
    return figure


__all__ = ["grpo_runs", "smoothed"]
