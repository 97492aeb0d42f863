"""Analyses of rewards and judgements: length bias, calibration, position bias,
annotator agreement, best-of-n over-optimisation. One module per topic; import from the module."""
