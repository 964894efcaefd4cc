"""Calibration against pilot data: priors, targets, ABC-SMC, checks and shipped posteriors."""
