"""Scenario files and their loader (a later issue)."""
