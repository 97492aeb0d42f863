"""Moved to workbench.analysis.cli (and ``train-odin`` to workbench.training.cli); this module keeps old imports working."""
from workbench.analysis.cli import register, run_length_bias, run_posthoc
from workbench.training.cli import run_train_odin

__all__ = ["register", "run_length_bias", "run_posthoc", "run_train_odin"]
