"""Analyses of rewards and judgements: length bias, calibration, position bias,
annotator agreement. One module per topic; import from the module."""
