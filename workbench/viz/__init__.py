"""Plotly figure builders used by the notebooks; tests check their data.

One module per topic (``viz.losses``, ``viz.training``, ``viz.length``...);
import from the module, e.g. ``from workbench.viz.losses import true_vs_fitted``.
"""
