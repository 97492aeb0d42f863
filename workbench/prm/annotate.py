"""Moved to workbench.prm.labelers (the labelers) and workbench.prm.metrics (the metrics);
this module keeps old imports working.

(``annotate`` is the human annotation package, :mod:`workbench.annotate`; automatic
step labelling has its own word.)
"""
from workbench.prm.labelers import (  # noqa: F401
    FirstErrorSearch,
    MonteCarloAnnotator,
    Policy,
    StepAnnotation,
    VerifierAnnotator,
    annotate_all,
    consensus,
    consensus_all,
    labels_from_first_error,
)
from workbench.prm.metrics import agreement_matrix, first_error_accuracy, processbench_f1  # noqa: F401
