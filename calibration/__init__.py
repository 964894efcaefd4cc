"""Calibration against pilot data (a later issue)."""
