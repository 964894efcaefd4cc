"""Catfish: how digital transformation spreads through SME clusters, and what policy does to it.

The notebook API, in one place::

    import catfish

    scenario = catfish.load("jieyang-city-2023")                 # a shipped scenario or a file
    richer = catfish.edit(scenario, {"policies.grant.share": 0.4})  # checked like a file
    runs = catfish.replicates(richer, 20, seed=1, worlds=True)   # tidy: one row per run and month
    results = catfish.compare("compare-jieyang-2023", "out/demo", replicates=50, workers=2)
    results.summary, results.robustness                          # pandas DataFrames
    catfish.open_results("out/demo").report                      # a folder written earlier

The packages behind it are ``catfish.sim`` (the model), ``catfish.agents`` (the agents and
their decision rules), ``catfish.scenarios`` (input files), ``catfish.calibration`` (priors,
pilot data, the posterior) and ``catfish.experiments`` (the engine, analyses, charts, report,
command line); ``catfish.bridges`` connects Catfish to SALib's ``ProblemSpec`` and to EMA
Workbench. Everything is imported on first use, so ``import catfish`` stays quick.
"""

from __future__ import annotations

import importlib
from importlib import metadata
from typing import Any

try:
    __version__ = metadata.version("catfish")
except metadata.PackageNotFoundError:  # pragma: no cover - run from a tree never installed
    __version__ = "unknown"

__all__ = ["__version__", "compare", "edit", "load", "open_results", "replicates", "run",
           "sweep"]

_LAZY = {  # name -> (module, attribute)
    "load": ("catfish.scenarios", "load"),
    "edit": ("catfish.api", "edit"),
    "replicates": ("catfish.api", "replicates"),
    "run": ("catfish.sim", "run_one"),
    "compare": ("catfish.experiments.jobs.compare", "compare"),
    "sweep": ("catfish.experiments.jobs.sweep", "sweep"),
    "open_results": ("catfish.experiments.jobs", "open_results"),
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        module, attribute = _LAZY[name]
        value = getattr(importlib.import_module(module), attribute)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'catfish' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])
