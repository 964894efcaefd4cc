"""Running a sweep's tasks into a result store: batched, streaming, resumable.

Tasks are consumed lazily (a generator of 50,000 tasks is fine), skipped if the store has
them done (or failed, unless retried), grouped into batches, and sent to an executor with a
bounded number of batches in flight, so the coordinating process holds only a few batches
however long the sweep. Each finished batch is committed to the store as it arrives (see
``experiments.runs.store`` for why that survives ``kill -9``). A run that raises is recorded as
failed with its error, and the sweep goes on.

Each run depends only on its scenario and seed, so the stored tables are identical whatever
the executor, the number of workers, the batch size, or how often the sweep was interrupted.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait
from typing import Any, Protocol

import numpy as np
import pandas as pd
from catfish.experiments.runs.store import (
    DONE,
    FAILED,
    ResultStore,
    RunRecord,
    SeriesSlice,
    StoreError,
)
from catfish.sim import RunResult, codebook, run_one

MAX_BATCH = 100             # runs per batch: ~4 s of work, one part file per table
BATCHES_PER_WORKER = 4      # small sweeps: enough batches that every worker gets some
IN_FLIGHT_PER_WORKER = 2    # one running, one queued: workers never wait for the coordinator
LOOKAHEAD = 2_000           # tasks read ahead of a lazy stream to size the batches
SPENT_BY_DEADLINE = "spent_by_deadline_"  # + account + "_rmb": paid by the deadline

# (run_id, seed, scenario): what a worker needs of a task; with an evaluate function, the
# third item is the point's factor values instead of a scenario
WorkItem = tuple[str, int, Any]
Evaluate = Callable[[Mapping[str, Any], int], Mapping[str, Any]]
# a run of the model on a task's subject other than ``run_one(subject, seed=seed)``: e.g. a
# comparison's task, which sets its world's values on the mix first
Simulate = Callable[[Any, int], RunResult]


class Task(Protocol):
    """One run of a sweep (``experiments.runs.designs.SweepTask`` has exactly these attributes)."""

    run_id: str
    seed: int
    values: Mapping[str, Any]

    @property
    def subject(self) -> Any:
        """What the model runs on: for ``sim.run_one`` a scenario or ``sim.ModelParams``."""


# --- in the worker ----------------------------------------------------------------------------

def run_batch(items: list[WorkItem], timeseries: bool | tuple[str, ...] = True,
              outcomes: tuple[str, ...] | None = None,
              evaluate: Evaluate | None = None,
              simulate: Simulate | None = None) -> list[RunRecord]:
    """Run a batch of tasks; one compact record per task (runs in a worker process).

    Args:
        items: ``(run_id, seed, scenario)`` for each run, or ``(run_id, seed, values)`` with
            ``evaluate``.
        timeseries: Keep the whole time series (True), none (False), or these columns
            (month and date always).
        outcomes: Outcomes to keep (None: every run outcome and every account's
            ``spent_by_deadline_<account>_rmb``; the seed is in the run list).
        evaluate: Instead of the model, a function of (factor values, seed) returning
            outcomes by name (e.g. a test function of sensitivity analysis); a module-level
            function, so that it pickles to worker processes.
        simulate: How to run the model on a subject (default: ``sim.run_one(subject,
            seed=seed)``); a module-level function of (subject, seed) returning a
            ``RunResult``.
    """
    records = []
    model = simulate or _run_one
    for run_id, seed, subject in items:
        started = time.perf_counter()
        try:
            if evaluate is not None:
                record = RunRecord(run_id, outcomes={
                    name: _scalar(value) for name, value in evaluate(subject, seed).items()})
            else:
                result = model(subject, seed)
                record = RunRecord(run_id, outcomes=pack_outcomes(result, outcomes),
                                   timeseries=pack_timeseries(result.columns, timeseries))
        except Exception as exc:  # noqa: BLE001 - any error of one run is that run's failure
            record = RunRecord(run_id, error=describe_error(exc))
        record.seconds = time.perf_counter() - started
        records.append(record)
    return join_series(records)


def join_series(records: list[RunRecord]) -> list[RunRecord]:
    """The batch's time series as one block of columns, each record a slice of it.

    Pickled back to the coordinator the block is a few dozen arrays, not a few dozen per run,
    and it becomes the batch's time-series table without being joined again. Records whose
    columns differ from the first's (another policy mix) keep their own.
    """
    series = [r.timeseries for r in records if r.timeseries is not None]
    if len(series) < 2 or not all(isinstance(s, dict) and s.keys() == series[0].keys()
                                  for s in series):
        return records
    block = {name: np.concatenate([s[name] for s in series]) for name in series[0]}
    start = 0
    for record in records:
        if record.timeseries is not None:
            stop = start + len(record.timeseries["month"])
            record.timeseries = SeriesSlice(block, start, stop)
            start = stop
    return records


def _run_one(subject: Any, seed: int) -> RunResult:
    return run_one(subject, seed=seed)


def describe_error(exc: BaseException) -> str:
    """``"ExceptionType: message"``, as the ledger records a failed run."""
    return f"{type(exc).__name__}: {exc}"


def pack_outcomes(result: RunResult, keep: tuple[str, ...] | None) -> dict[str, Any]:
    """The outcomes to store, as plain Python scalars (they pickle small).

    Besides the run outcomes, ``spent_by_deadline_<account>_rmb`` is what an instrument
    account had paid by the deadline month, as in ``catfish compare``'s runs table; with
    ``keep`` None every account of the run is kept. The seed is left out: the run list has it.
    """
    series = result.columns
    deadline_row = min(result.params.deadline_month, len(series["month"])) - 1
    accounts = {f"{SPENT_BY_DEADLINE}{c.removeprefix('spent_')}": c for c in series
                if c.startswith("spent_") and c.endswith("_rmb") and c != "spent_total_rmb"}
    names = [*result.outcomes, *accounts] if keep is None else keep
    packed = {}
    for name in names:
        if name == "seed":
            continue
        if name in result.outcomes:
            packed[name] = _scalar(result.outcomes[name])
        elif name in accounts:
            packed[name] = float(series[accounts[name]][deadline_row])
        else:  # an account this run's mix lacks: it spent nothing
            packed[name] = 0.0
    return packed


def _scalar(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def pack_timeseries(series: dict[str, np.ndarray] | pd.DataFrame,
                    keep: bool | tuple[str, ...]) -> dict[str, np.ndarray] | None:
    """The part of a run's time series to store (month and date always), as columns.

    Arrays pickle small and fast, and the coordinator turns a whole batch of them into one
    table at once (``experiments.runs.store``).
    """
    if keep is False:
        return None
    if isinstance(series, pd.DataFrame):
        series = {name: column.to_numpy() for name, column in series.items()}
    if keep is True:
        return series
    chosen = ["month", "date", *(c for c in keep if c in series and c not in ("month", "date"))]
    return {name: series[name] for name in chosen}


# --- in the coordinator ------------------------------------------------------------------------

def run_tasks(tasks: Iterable[Task], store: ResultStore, *, executor: Executor | None,
              workers: int, batch_size: int | None = None,
              timeseries: bool | list[str] = True, outcomes: list[str] | None = None,
              progress: Callable[[int], None] | None = None,
              retry_failed: bool = False, evaluate: Evaluate | None = None,
              simulate: Simulate | None = None) -> dict[str, Any]:
    """Run the tasks the store has not done yet, committing each batch as it finishes.

    Args:
        tasks: The sweep's tasks, in any order, possibly a lazy generator; each run_id must
            be in the store's run list with the same seed.
        store: A store opened for writing (``ResultStore.create`` or ``.open``).
        executor: Where batches run (a local process pool, Dask's executor, ...); None runs
            them in this process.
        workers: How many workers the executor has (sets batch sizes and batches in flight).
        batch_size: Runs per batch (default: 100, fewer when the sweep is small, so that
            every worker gets about 4 batches; a lazy stream is read up to 2,000 tasks ahead
            to tell).
        timeseries: Store every time-series column (True), none (False) or these.
        outcomes: Outcomes to store: codebook run outcomes and
            ``spent_by_deadline_<account>_rmb`` (default: all of them, every account).
        progress: Called with the number of runs in each batch committed.
        retry_failed: Run failed runs again (otherwise they are skipped).
        evaluate: Run this function of (factor values, seed) instead of the model: it
            returns the outcomes by name (``timeseries`` and ``outcomes`` do not apply).
        simulate: Run the model on each task's subject with this function of (subject,
            seed) instead of ``sim.run_one`` (see :func:`run_batch`).

    Returns:
        What happened: ``ran``, ``succeeded``, ``failed`` and ``skipped`` runs in this
        session, ``batches``, ``batch_size``, ``wall_seconds``, ``run_seconds`` (worker time
        per run summed, the model and packing), ``commit_seconds`` (coordinator time spent
        writing), and ``totals`` (the store's counts afterwards).

    Raises:
        StoreError: A task is not in the store, has another seed, or comes twice.
        ValueError: An unknown time-series or outcome column.
    """
    series_spec, outcome_spec = _check_columns(timeseries, outcomes) if evaluate is None \
        else (False, None)
    if store.readonly:
        raise StoreError(f"{store.folder}: opened read-only; open it for writing to run")
    workers = max(1, int(workers))
    tasks, size = _batch_size(tasks, workers, batch_size)
    started_at = dt.datetime.now().astimezone().isoformat(timespec="seconds")
    clock = time.perf_counter()
    tally = {"ran": 0, "succeeded": 0, "failed": 0, "skipped": 0, "batches": 0,
             "run_seconds": 0.0, "commit_seconds": 0.0}
    done = progress or (lambda n: None)

    def commit(records: list[RunRecord]) -> None:
        t0 = time.perf_counter()
        store.commit(records)
        tally["commit_seconds"] += time.perf_counter() - t0
        failures = sum(r.error is not None for r in records)
        tally.update(ran=tally["ran"] + len(records), failed=tally["failed"] + failures,
                     succeeded=tally["succeeded"] + len(records) - failures,
                     batches=tally["batches"] + 1,
                     run_seconds=tally["run_seconds"] + sum(r.seconds for r in records))
        done(len(records))

    batches = _batches(tasks, store, size, retry_failed, tally, values=evaluate is not None)
    options = (series_spec, outcome_spec, evaluate, simulate)
    outcome = "complete"
    try:
        if executor is None:
            for batch in batches:
                commit(run_batch(batch, *options))
        else:
            _stream(batches, executor, workers * IN_FLIGHT_PER_WORKER, commit, options)
    except BaseException as exc:
        outcome = f"interrupted: {describe_error(exc)}"[:500]
        raise
    finally:
        wall = time.perf_counter() - clock
        summary = {**tally, "batch_size": size, "wall_seconds": round(wall, 3)}
        store.finish({"started": started_at, "workers": workers,
                      "executor": type(executor).__name__ if executor else "in-process",
                      "retry_failed": retry_failed, "outcome": outcome,
                      **{k: (round(v, 3) if isinstance(v, float) else v)
                         for k, v in summary.items()}})
    return {**summary, "totals": store.status_counts()}


def _stream(batches: Iterator[list[WorkItem]], executor: Executor, limit: int,
            commit: Callable[[list[RunRecord]], None], options: tuple) -> None:
    """Keep at most ``limit`` batches in flight; commit each as it finishes."""
    in_flight: set[Future] = set()

    def settle(finished: set[Future]) -> None:
        error = None
        for future in finished:  # commit every good batch before raising a bad one
            if future.exception() is not None:
                error = error or future.exception()
            else:
                commit(future.result())
        if error is not None:
            raise error

    try:
        for batch in batches:
            if len(in_flight) >= limit:
                finished, in_flight = wait(in_flight, return_when=FIRST_COMPLETED)
                settle(finished)
            in_flight.add(executor.submit(run_batch, batch, *options))
        while in_flight:
            finished, in_flight = wait(in_flight, return_when=FIRST_COMPLETED)
            settle(finished)
    finally:
        for future in in_flight:  # on an error or interrupt: nothing more to wait for
            future.cancel()


def _batches(tasks: Iterable[Task], store: ResultStore, size: int, retry_failed: bool,
             tally: dict[str, Any], *, values: bool = False) -> Iterator[list[WorkItem]]:
    """Lists of up to ``size`` work items of the tasks still to run, pulled lazily.

    A work item carries the task's scenario, or its factor values if ``values``.
    """
    seen = np.zeros(len(store), dtype=bool)
    batch: list[WorkItem] = []
    for task in tasks:
        position = store.position(task.run_id)
        if seen[position]:
            raise StoreError(f"{store.folder}: task {task.run_id!r} comes twice in the sweep")
        seen[position] = True
        if int(task.seed) != store.seed_at(position):
            raise StoreError(f"{store.folder}: task {task.run_id!r} has seed {task.seed}, the "
                             f"store has {store.seed_at(position)} (was the sweep changed?)")
        status = store.status_at(position)
        if status == DONE or (status == FAILED and not retry_failed):
            tally["skipped"] += 1
            continue
        batch.append((task.run_id, int(task.seed), task.values if values else task.subject))
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _batch_size(tasks: Iterable[Task], workers: int,
                chosen: int | None) -> tuple[Iterable[Task], int]:
    """Runs per batch, and the tasks (a lazy iterable is peeked at, never read whole)."""
    if chosen is not None:
        if chosen < 1:
            raise ValueError(f"batch_size = {chosen}: must be at least 1")
        return tasks, int(chosen)
    wanted = workers * BATCHES_PER_WORKER
    if hasattr(tasks, "__len__"):
        count = len(tasks)
    else:  # look ahead far enough to tell a small sweep, never far (tasks hold scenarios)
        iterator = iter(tasks)
        head = list(itertools.islice(iterator, min(wanted * MAX_BATCH, LOOKAHEAD)))
        tasks = itertools.chain(head, iterator)
        count = len(head) if len(head) < LOOKAHEAD else wanted * MAX_BATCH
    return tasks, max(1, min(MAX_BATCH, math.ceil(count / wanted)))


def _check_columns(timeseries: bool | list[str],
                   outcomes: list[str] | None) -> tuple[bool | tuple[str, ...],
                                                        tuple[str, ...] | None]:
    """Check column names against the codebook before any run is made."""
    def known(name: str, table: str) -> bool:
        if table == "outcomes" and name.startswith(SPENT_BY_DEADLINE) and name.endswith("_rmb"):
            return True  # an instrument account's spending by the deadline
        # a name may be in both tables (spent_total_rmb): look in the one asked for
        columns = codebook.OUTCOMES if table == "outcomes" else codebook.TIMESERIES
        if any(c.name == name for c in columns):
            return True
        return table == "timeseries" and name.startswith("spent_") and name.endswith("_rmb")

    if not isinstance(timeseries, bool):
        timeseries = tuple(timeseries)
        bad = [c for c in timeseries if not known(c, "timeseries")]
        if bad:
            raise ValueError(f"timeseries: {bad[0]!r} is not a time-series column of the "
                             "codebook (catfish codebook)")
    if outcomes is not None:
        outcomes = tuple(outcomes)
        bad = [c for c in outcomes if not known(c, "outcomes")]
        if bad:
            raise ValueError(f"outcomes: {bad[0]!r} is not a run outcome of the codebook "
                             "(catfish codebook) or spent_by_deadline_<account>_rmb")
    return timeseries, outcomes
