"""The live aggregation explorer: ipywidgets over a reward matrix.

Sliders set each reward's weight (also the preference for Pareto and the
priority order for lexicographic: heavier = more important), a dropdown picks
the method and GRPO's scaling, checkboxes switch constraints on (each with a
bound) for the constrained method, and the output shows, for one group, how
every method ranks its samples and the advantages GRPO would give them.

The computation is a pure function, :func:`compare_methods`, so it can be
tested and reused without widgets; :class:`AggregationExplorer` only wires
widgets to it. In a test, set ``explorer.method.value = "pareto"`` (or any
widget) and read ``explorer.table`` / ``explorer.figure``: both update on
every change.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .advantages import SCALES, group_advantages, trl_advantages
from .constrained import Constraint, LagrangianCombiner
from .matrix import RewardMatrix
from .strategies import METHODS, combine


def method_scores(matrix: RewardMatrix, method: str, *, weights, priority=None, primary: int = 0,
                  constraints=(), multiplier: float = 1.0, tolerance: float = 0.0) -> np.ndarray:
    """Scores ``(N,)`` of one method with the explorer's settings (see module doc).

    ``priority`` (lexicographic order, reward indices, most important first)
    defaults to the weights, heaviest first, as the explorer's sliders set it;
    ``workbench aggregate`` passes its ``--priority``.
    """
    weights = np.asarray(weights, dtype=float)
    priority = list(np.argsort(-weights, kind="stable")) if priority is None else [int(p) for p in priority]
    combiner = LagrangianCombiner(primary, list(constraints), lambda_init=max(multiplier, 1e-8))
    return combine(method, matrix.rewards, group_ids=matrix.group_ids, weights=weights,
                   priority=priority, tolerances=[tolerance] * len(priority),
                   preference=np.maximum(weights, 0) + 1e-12, constrained=combiner)


def method_advantages(matrix: RewardMatrix, method: str, scores: np.ndarray, *, weights,
                      scale: str = "group") -> np.ndarray:
    """GRPO advantages ``(N,)``: TRL's own GDPO path for normalise-then-sum, else group advantages."""
    if method == "normalize_then_sum":
        return trl_advantages(matrix.rewards, group_ids=matrix.group_ids, weights=weights,
                              aggregation="normalize_then_sum")
    return group_advantages(scores, matrix.group_ids, scale=scale)


def compare_methods(matrix: RewardMatrix, group: int, *, weights, primary: int = 0, constraints=(),
                    multiplier: float = 1.0, tolerance: float = 0.0, scale: str = "group") -> pd.DataFrame:
    """One row per sample of ``group``: its rewards, and each method's score, rank and advantage.

    Columns: the reward names, then ``<method>_score``, ``<method>_rank`` (1 =
    best, ties share the best rank) and ``<method>_advantage`` for every
    method in :data:`METHODS`, plus ``violates`` (names of enabled
    constraints the sample breaks). Advantages use the whole batch (batch
    scaling and GDPO's batch normalisation need it).
    """
    rows = matrix.group(group)
    if not len(rows):
        raise ValueError(f"group {group} is empty; groups are 0..{matrix.num_groups - 1}")
    table = pd.DataFrame(matrix.rewards[rows], columns=list(matrix.names))
    if "models" in matrix.meta:
        table.insert(0, "model", [matrix.meta["models"][i] for i in rows])
    for method in METHODS:
        scores = method_scores(matrix, method, weights=weights, primary=primary,
                               constraints=constraints, multiplier=multiplier, tolerance=tolerance)
        advantages = method_advantages(matrix, method, scores, weights=weights, scale=scale)
        table[f"{method}_score"] = scores[rows]
        table[f"{method}_rank"] = pd.Series(scores[rows]).rank(ascending=False, method="min").to_numpy()
        table[f"{method}_advantage"] = advantages[rows]
    costs = LagrangianCombiner(primary, list(constraints)).costs(matrix.rewards[rows]) \
        if constraints else np.zeros((len(rows), 0))
    table["violates"] = [", ".join(matrix.names[matrix.index(c.reward)] for c, cost in zip(constraints, row)
                                   if cost > 0) for row in costs]
    return table


class AggregationExplorer:
    """Widgets over a :class:`RewardMatrix`; ``.widget`` is the box to display.

    Attributes you can set in code as a learner would with the mouse:
    ``method`` (Dropdown), ``weights`` ({name: FloatSlider}), ``constraint_on``
    ({name: Checkbox}), ``bounds`` ({name: FloatSlider}), ``primary``,
    ``multiplier``, ``tolerance``, ``scale``, ``group``. Outputs: ``table``
    (the latest :func:`compare_methods` frame), ``html`` (HTML widget),
    ``figure`` (plotly FigureWidget of advantages per method).
    """

    def __init__(self, matrix: RewardMatrix, *, group: int = 0, method: str = "weighted_sum",
                 primary: str | None = None):
        import ipywidgets as widgets

        from workbench.viz.aggregation import advantages_by_method

        self.matrix = matrix
        names = list(matrix.names)
        self.method = widgets.Dropdown(options=list(METHODS), value=method, description="method")
        self.scale = widgets.Dropdown(options=list(SCALES), value="group", description="GRPO scale")
        self.group = widgets.IntSlider(value=group, min=0, max=matrix.num_groups - 1, description="group")
        self.weights = {n: widgets.FloatSlider(value=1.0, min=0.0, max=5.0, step=0.1, description=n,
                                               continuous_update=False)
                        for n in names}
        self.primary = widgets.Dropdown(options=names, value=primary or names[0], description="primary")
        self.constraint_on, self.bounds = {}, {}
        for n in names:
            column = matrix.column(n)
            low, high = float(np.nanmin(column)), float(np.nanmax(column))
            self.constraint_on[n] = widgets.Checkbox(value=False, description=f"{n} >=")
            self.bounds[n] = widgets.FloatSlider(value=(low + high) / 2, min=low, max=max(high, low + 1e-6),
                                                 step=max((high - low) / 50, 1e-3), description="bound")
        self.multiplier = widgets.FloatLogSlider(value=1.0, base=10, min=-2, max=2, description="lambda")
        self.tolerance = widgets.FloatSlider(value=0.0, min=0.0, max=1.0, step=0.05, description="lex tol")
        self.html = widgets.HTML()
        self.table = None
        self.figure = advantages_by_method(pd.DataFrame(), methods=METHODS, widget=True)
        controls = [self.method, self.scale, self.group, self.primary, self.multiplier, self.tolerance]
        for w in [*controls, *self.weights.values(), *self.constraint_on.values(), *self.bounds.values()]:
            w.observe(self._refresh, names="value")
        constraint_rows = [widgets.HBox([self.constraint_on[n], self.bounds[n]]) for n in names]
        self.widget = widgets.VBox([
            widgets.HBox([self.method, self.scale, self.group]),
            widgets.HBox([widgets.VBox(list(self.weights.values())),
                          widgets.VBox([self.primary, *constraint_rows, self.multiplier, self.tolerance])]),
            self.figure, self.html])
        self._refresh()

    def constraints(self) -> list[Constraint]:
        """The enabled constraints (checkboxes), each ``reward >= bound``."""
        return [Constraint(self.matrix.index(n), self.bounds[n].value)
                for n, box in self.constraint_on.items() if box.value]

    def _refresh(self, change=None) -> None:
        from workbench.viz.aggregation import advantages_by_method

        weights = [self.weights[n].value for n in self.matrix.names]
        self.table = compare_methods(
            self.matrix, self.group.value, weights=weights, primary=self.matrix.index(self.primary.value),
            constraints=self.constraints(), multiplier=self.multiplier.value,
            tolerance=self.tolerance.value, scale=self.scale.value)
        fresh = advantages_by_method(self.table, methods=METHODS, highlight=self.method.value)
        with self.figure.batch_update():
            self.figure.data = []
            for trace in fresh.data:
                self.figure.add_trace(trace)
            self.figure.layout.title = fresh.layout.title
        shown = [c for c in self.table.columns if not c.endswith(("_score", "_advantage"))
                 or c.startswith(self.method.value)]
        display = self.table[shown].copy()
        for column in [c for c in shown if c.endswith("_rank")]:
            display[column] = display[column].astype("Int64")          # ranks read as whole numbers
        self.html.value = display.to_html(float_format=lambda v: f"{v:.3f}", index=False)

    def _ipython_display_(self):  # pragma: no cover - display only
        from IPython.display import display

        display(self.widget)


__all__ = ["AggregationExplorer", "compare_methods", "method_advantages", "method_scores"]
