"""Experiments: command line, charts and result files."""
