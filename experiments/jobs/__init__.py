"""Every job from start to finish, as Python functions: the command line only parses and prints.

A job checks its inputs and its output folder before any run, runs its design on the engine
(``experiments.runs``), analyses the results (``experiments.analysis``) and writes what
people read (``experiments.outputs``).
"""
