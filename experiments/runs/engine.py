"""The one engine every job runs on: a design's runs, on any executor, into the crash-safe store.

A job (a comparison, a sweep, a sensitivity analysis, the calibration's predictive check, a
reference table for parameter recovery) describes its work as a :class:`Design`: the run list
(one row per run: ``run_id``, ``point``, ``replicate``, ``seed`` and the columns that describe
the point) and a function that makes the runs' tasks lazily, point by point. The engine
creates a result store for it (:func:`create_store`, ``experiments.runs.store``), and
:func:`run_design` runs what the store has not done yet on the :class:`Workers` it is given,
committing each batch as it arrives (``experiments.runs.runner``). So every job gets the same
things from one place: parallel runs on local processes or Dask, a progress count, bounded
memory in the coordinator (only a few batches in flight; results go to disk), survival of
``kill -9`` and ``--resume``, and identical results whatever the executor or the number of
interruptions, because each run depends only on its task and its seed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from catfish.experiments.runs.executors import Workers
from catfish.experiments.runs.runner import Evaluate, Simulate, Task, run_tasks
from catfish.experiments.runs.store import ResultStore

__all__ = ["Design", "Workers", "create_store", "run_design"]


@dataclass(frozen=True)
class Design:
    """What a job runs: the run list and its tasks.

    Attributes:
        kind: What the runs are for (``comparison``, ``sweep``, ``sensitivity``,
            ``predictive-check``, ``reference-table``), recorded in the store's manifest.
        runs: One row per run: ``run_id`` (sorts in run order), ``point``, ``replicate``,
            ``seed``, then columns describing the point (factor values, a mix's name).
        tasks: Given the points that still have runs to make (sorted; None: all), their
            tasks, lazily and in run order: objects with ``run_id``, ``seed``, ``values``
            (the point's values, read by ``evaluate``) and ``subject`` (what ``simulate``
            runs). Building only the points asked for keeps a resume cheap.
        timeseries: Store every time-series column (True), none (False) or these.
        outcomes: Outcomes to store (None: every run outcome and instrument account).
        evaluate: Instead of the model, a module-level function of (values, seed) returning
            outcomes by name.
        simulate: How the model runs a task's subject (None: ``sim.run_one``).
    """

    kind: str
    runs: pd.DataFrame
    tasks: Callable[[Sequence[int] | None], Iterable[Task]]
    timeseries: bool | list[str] = True
    outcomes: list[str] | None = None
    evaluate: Evaluate | None = None
    simulate: Simulate | None = None

    @property
    def count(self) -> int:
        """How many runs the design has."""
        return len(self.runs)


def create_store(design: Design, folder: str | Path, manifest: Mapping[str, Any], *,
                 files: Mapping[str, str | bytes] | None = None, overwrite: bool = False,
                 option: str = "--out") -> ResultStore:
    """A new result store for ``design`` in ``folder`` (see ``ResultStore.create``).

    Raises:
        OutputError, OutputExistsError: The folder cannot be used.
        StoreError: The run list or manifest is not valid.
    """
    return ResultStore.create(folder, {"kind": design.kind, **manifest}, design.runs,
                              overwrite=overwrite, files=files, option=option)


def run_design(design: Design, store: ResultStore, workers: Workers, *,
               progress: Callable[[int], None] | None = None,
               retry_failed: bool = False) -> dict[str, Any]:
    """Run the design's runs that ``store`` has not done yet (failed ones too if asked).

    Args:
        design: The design the store was created for.
        store: Its store, opened for writing.
        workers: Where the runs go, entered (``with Workers(...) as workers``).
        progress: Called with the number of runs in each batch committed.
        retry_failed: Run failed runs again.

    Returns:
        The session's account (``experiments.runs.runner.run_tasks``).
    """
    todo = set(store.pending_ids())
    if retry_failed:
        todo |= set(store.failed()["run_id"])
    runs = design.runs
    points = sorted(int(p) for p in runs.loc[runs["run_id"].isin(todo), "point"].unique())
    whole = len(todo) == len(runs)
    return run_tasks(design.tasks(None if whole else points), store,
                     executor=workers.executor, workers=workers.count,
                     timeseries=design.timeseries, outcomes=design.outcomes,
                     progress=progress, retry_failed=retry_failed,
                     evaluate=design.evaluate, simulate=design.simulate)
