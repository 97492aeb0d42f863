"""The live aggregation explorer: ipywidgets over a reward matrix.

Sliders set each reward's weight (also the preference for Pareto and the
priority order for lexicographic: heavier = more important), a dropdown picks
the method and GRPO's scaling, checkboxes switch constraints on (each with a
bound) for the constrained method, and the output shows, for one group, how
every method ranks its samples and the advantages GRPO would give them.

The numbers come from :func:`workbench.aggregation.explorer.compare_methods`
(a pure function, tested without widgets); this class only wires widgets to it
and to :func:`workbench.viz.aggregation.advantages_by_method`. It lives in
``viz`` because it is a view: ``aggregation`` computes and never imports a
figure. In a test, set ``explorer.method.value = "pareto"`` (or any widget) and
read ``explorer.table`` / ``explorer.figure``: both update on every change.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from workbench.aggregation.advantages import SCALES
from workbench.aggregation.constrained import Constraint
from workbench.aggregation.explorer import compare_methods
from workbench.aggregation.matrix import RewardMatrix
from workbench.aggregation.strategies import METHODS
from workbench.viz.aggregation import advantages_by_method


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


__all__ = ["AggregationExplorer"]
