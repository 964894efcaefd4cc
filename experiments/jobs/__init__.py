"""Every job from start to finish, as Python functions: the command line only parses and prints.

A job checks its inputs and its output folder before any run, runs its design on the engine
(``experiments.runs``), analyses the results (``experiments.analysis``) and writes what
people read (``experiments.outputs``). Each returns a handle on its results folder::

    from catfish.experiments.jobs.compare import compare
    from catfish.experiments.jobs import open_results
    results = compare("compare-jieyang-2023", "out/demo", replicates=50, workers=2)
    results.summary                      # one row per mix
    open_results("out/demo").robustness  # the same folder, later

The modules are ``compare``, ``sweep``, ``sensitivity``, ``run``, ``calibrate``,
``reference``, ``screen`` and ``schemas``; the notebook API (``import catfish``) gathers their
main functions in one place.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

__all__ = ["open_results"]


def open_results(folder: str | Path) -> Any:
    """A handle on any Catfish results folder, whatever job wrote it (nothing runs).

    A comparison's folder gives a ``ComparisonResults``; a sweep's or a sensitivity
    analysis's store a ``SweepHandle`` (its outcomes, time series and ledger).

    Raises:
        OutputError: The folder holds no Catfish results that can be opened.
    """
    from catfish.experiments.runs.files import OutputError, read_manifest

    folder = Path(folder)
    record = read_manifest(folder) if folder.is_dir() else None
    command = (record or {}).get("command", "")
    if record is not None and "store" in record:  # a store (a comparison keeps one too)
        from catfish.experiments.jobs.sweep import open_results as open_store

        return open_store(folder)
    if command == "catfish compare":
        from catfish.experiments.jobs.compare import open_comparison

        return open_comparison(folder)
    raise OutputError(f"{folder}: holds no catfish results that can be opened (a folder "
                      "written by catfish compare, sweep or sensitivity)")
