"""Sweeps: a sweep file's design, run into a crash-safe result store, resumable.

``sweep(file, out)`` loads and checks the sweep file (every design point is built before any
run), estimates time and disk from a few runs, writes the store (run list, manifest, and
copies of the sweep file and its base scenario so that a resume needs nothing but the
folder), and runs what is pending on the chosen executor. ``resume(out)`` carries on after an
interruption, even ``kill -9``, and after damage to the folder: a damaged batch is moved to
``damaged/`` and run again (``experiments.runs.store``); ``open_results(out)`` reads a store. All
three return a :class:`SweepHandle` that loads the results as pandas DataFrames.
``resumable(out)`` says whether ``--resume`` can succeed, and why not.
"""

from __future__ import annotations

import contextlib
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml
from catfish.experiments.runs.designs import (
    SWEEP_COPY,
    SweepTask,
    check_points,
    count_runs,
    design_points,
    sweep_tasks,
)
from catfish.experiments.runs.engine import Design, run_design
from catfish.experiments.runs.executors import Workers
from catfish.experiments.runs.files import check_output
from catfish.experiments.runs.manifest import environment, sha256_file
from catfish.experiments.runs.resources import (
    INTERPRETER_BYTES,
    SERIES_BYTES_WRITTEN,
    WORKER_BYTES,
    JobEstimate,
    duration,
)
from catfish.experiments.runs.runner import run_tasks
from catfish.experiments.runs.store import Repair, ResultStore, StoreError, check_store
from catfish.scenarios.loader import ScenarioError, describe, parse_yaml, read_yaml
from catfish.scenarios.sweep import SweepSpec, load_sweep, parse_sweep
from catfish.sim.cost import RunCost
from catfish.sim.warm import warm_up
from pydantic import ValidationError

__all__ = ["Estimate", "SweepHandle", "count_runs", "load_sweep", "open_results", "repair",
           "resumable", "resume", "sweep", "with_seed"]

BASE_COPY = "base-scenario.yaml"     # its base scenario as it was run
KEPT = {SWEEP_COPY: "the sweep file", BASE_COPY: "the base scenario"}
AGAIN = "run the sweep again into a new folder"
ESTIMATE_RUNS = 3
TIMED_SECONDS = 10.0  # a run estimated longer than this is not run just to time it
FILE_SEED = SweepSpec.model_fields["seed"].default  # a sweep file's seed if it gives none


@dataclass(frozen=True)
class Estimate:
    """What a sweep will take, from timing a few of its runs here.

    ``memory_bytes`` is the peak memory of the sweep's processes together: each worker holds
    one model at a time, sized for the sweep's largest point (``sim.cost``); the coordinator
    holds a few batches.
    """

    runs: int
    seconds_per_run: float
    bytes_per_run: float
    workers: int
    memory_bytes: float = 0.0

    @property
    def seconds(self) -> float:
        """Wall time on ``workers`` workers (assumes they scale perfectly: a lower bound)."""
        return self.runs * self.seconds_per_run / max(self.workers, 1)

    @property
    def bytes(self) -> float:
        """Disk for the outcomes and time series."""
        return self.runs * self.bytes_per_run

    def describe(self) -> str:
        """One line for people."""
        return (f"{self.runs:,} runs; about {duration(self.seconds)} on {self.workers} "
                f"worker{'s' if self.workers != 1 else ''} "
                f"({self.seconds_per_run * 1000:.0f} ms per run here), "
                f"{self.memory_bytes / 1e6:,.0f} MB of memory and "
                f"{self.bytes / 1e6:,.0f} MB of disk")

    def job(self) -> JobEstimate:
        """The same figures as any job's, for ``experiments.runs.resources.check``."""
        return JobEstimate(runs=self.runs, memory_bytes=self.memory_bytes,
                           seconds=self.seconds, disk_bytes=self.bytes, workers=self.workers)


class SweepHandle:
    """A sweep's result folder; loads its tables as pandas DataFrames.

    Args:
        folder: The store folder.
        repairs: What resuming it moved aside (the parts of damaged batches, run again).
    """

    def __init__(self, folder: Path | str, repairs: list[Repair] | None = None) -> None:
        self.folder = Path(folder)
        self.repairs = list(repairs or [])

    @contextlib.contextmanager
    def _store(self) -> Iterator[ResultStore]:
        store = ResultStore.open(self.folder, readonly=True)
        try:
            yield store
        finally:
            store.close()

    def outcomes(self) -> pd.DataFrame:
        """One row per finished run: run_id, point, replicate, seed, factors, outcomes."""
        with self._store() as store:
            return store.outcomes()

    def timeseries(self, columns: list[str] | None = None) -> pd.DataFrame:
        """One row per finished run and month (all stored columns, or ``columns``)."""
        with self._store() as store:
            return store.timeseries(columns)

    def ledger(self) -> pd.DataFrame:
        """Every run with its status (pending, done, failed) and error."""
        with self._store() as store:
            return store.ledger()

    def failed(self) -> pd.DataFrame:
        """The failed runs and their errors."""
        with self._store() as store:
            return store.failed()

    def status(self) -> dict[str, int]:
        """Runs pending, done and failed."""
        with self._store() as store:
            return store.status_counts()

    @property
    def manifest(self) -> dict[str, Any]:
        """Provenance: sweep file hash, design, seeds, versions, sessions."""
        with self._store() as store:
            return store.manifest()


def sweep(file: str | Path | SweepSpec, out: str | Path, *, seed: int | None = None,
          workers: Workers | int = 1,
          overwrite: bool = False, confirm: Callable[[Estimate], bool] | None = None,
          progress: Callable[[int], None] | None = None,
          kept: dict[str, str] | None = None, command: str = "catfish sweep") -> SweepHandle:
    """Run a sweep file into the result store ``out``.

    Args:
        file: A sweep file (path or shipped name) or a loaded ``SweepSpec``.
        out: The store folder (must be new or empty unless ``overwrite``).
        seed: The first seed instead of the file's (``--seed``; see :func:`with_seed`).
        workers: Where the runs go (``experiments.runs.executors.Workers``: local processes,
            a Dask LocalCluster or a scheduler); a number: that many local processes.
        overwrite: Replace a store already in ``out``.
        confirm: Shown the estimate before anything is written; return False to stop
            (default: go ahead).
        progress: Called with the number of runs in each committed batch.
        kept: Files to keep in the store besides (or instead of) the copies of the sweep file
            and its base scenario, name -> text (e.g. the sweep a sensitivity analysis made).
        command: The command the folder's manifest says wrote it.

    Raises:
        ScenarioError: The sweep file, its base scenario or one of its points is not valid.
        OutputExistsError: ``out`` holds results and ``overwrite`` is false.
    """
    spec = with_seed(file if isinstance(file, SweepSpec) else load_sweep(file), seed)
    out = Path(out)
    # say so before any work (ResultStore.create checks again, then claims the folder)
    out = check_output(out, overwrite=overwrite, resume_hint=f", resume it (--resume {out})")
    points = design_points(spec)
    largest = check_points(spec, points)  # a bad point stops the sweep before any write
    workers = as_workers(workers)
    estimate = estimate_sweep(spec, points, workers=workers.planned, largest=largest)
    if confirm is not None and not confirm(estimate):
        return SweepHandle(out)
    # the copies resume needs are written with the store, before its manifest
    store = ResultStore.create(out, {"command": command, **manifest(spec, estimate)},
                               run_list(spec, points),
                               overwrite=overwrite, files={**_kept_inputs(spec), **(kept or {})})
    with store:
        _run(spec, points, store, workers=workers, progress=progress, retry_failed=False)
    return SweepHandle(out)


def resume(out: str | Path, *, workers: Workers | int = 1, retry_failed: bool = False,
           progress: Callable[[int], None] | None = None,
           warn: Callable[[Repair], None] | None = None) -> SweepHandle:
    """Finish an interrupted sweep: run what is pending (and failed runs, if asked).

    The sweep is rebuilt from the copies kept in the folder, so later edits to the original
    sweep or scenario files do not change it. Opening the store checks every committed part;
    the parts of a damaged batch are moved to ``damaged/`` and its runs run again.

    Args:
        out: The store folder.
        workers: Where the runs go (``experiments.runs.executors.Workers``: local processes,
            a Dask LocalCluster or a scheduler); a number: that many local processes.
        retry_failed: Run the failed runs again too.
        progress: Called with the number of runs in each committed batch.
        warn: Called with each part moved aside, before anything runs (also listed in the
            handle's ``repairs``).

    Raises:
        StoreError: The folder is not a store, another process is writing it, or a copy of
            the sweep file or base scenario is missing or broken (before anything is moved
            or run).
    """
    out = Path(out)
    check_store(out)
    spec = kept_spec(out)  # a folder that cannot be resumed is left as it is
    store = ResultStore.open(out)
    with store:
        for repaired in store.repairs if warn is not None else ():
            warn(repaired)
        points = design_points(spec)
        todo = set(store.pending_ids()) | (set(store.failed()["run_id"]) if retry_failed
                                           else set())
        # build scenarios only for points with runs left to make
        points = points.loc[sorted({int(run_id[1:7]) for run_id in todo})]
        _run(spec, points, store, workers=as_workers(workers), progress=progress,
             retry_failed=retry_failed)
    return SweepHandle(out, store.repairs)


def repair(out: str | Path) -> list[Repair]:
    """Check a store as resuming it does, move its damaged batches aside; nothing runs.

    For a caller that shows the store's state before resuming (``catfish sweep --resume``):
    a damaged store cannot be read until this is done.

    Raises:
        StoreError: As :func:`resume`.
    """
    out = Path(out)
    check_store(out)
    kept_spec(out)
    with ResultStore.open(out) as store:
        return store.repairs


def resumable(out: str | Path) -> str | None:
    """None if ``resume(out)`` (``--resume out``) can succeed, else why not, in one line.

    It can if the folder is a store this version reads, with its run list and its copies of
    the sweep file and base scenario, and they parse. Damaged parts do not stop it: resuming
    moves them aside. Nothing is written.
    """
    out = Path(out)
    try:
        check_store(out, run_list=True)
        kept_spec(out)
    except StoreError as exc:
        return str(exc)
    return None


def open_results(out: str | Path) -> SweepHandle:
    """A handle on an existing store (nothing runs)."""
    ResultStore.open(out, readonly=True).close()  # a clear error if it is not a store
    return SweepHandle(out)


def kept_spec(out: Path, again: str = AGAIN) -> SweepSpec:
    """The sweep as it was run, from the copies in its store folder.

    Args:
        out: The store folder.
        again: What to do if the copies are missing or broken, for the message.

    Raises:
        StoreError: A copy is missing, or it does not parse (one line naming it).
    """
    for name, what in KEPT.items():
        if not (out / name).is_file():
            raise StoreError(f"{out / name}: missing; this folder cannot be resumed without "
                             f"its copy of {what}; {again}")
    try:
        data = read_yaml(out / SWEEP_COPY)
        if not isinstance(data, dict):
            raise ScenarioError(f"{out / SWEEP_COPY}: expected a mapping, got "
                                f"{type(data).__name__}")
        data["base"] = BASE_COPY
        spec = parse_sweep(data, out / SWEEP_COPY)
    except ScenarioError as exc:
        raise StoreError(f"{exc} (this folder cannot be resumed with a broken copy; "
                         f"{again})") from None
    return spec


def with_seed(spec: SweepSpec, seed: int | None) -> SweepSpec:
    """The same sweep with another first seed (``--seed``), checked again; None: as it is.

    The seed gives the runs' seeds (``seeds``) and the sampler's, unless the design has its
    own; the copy of the sweep file kept in the store says the seed it ran with.

    Raises:
        ScenarioError: The last run's seed would pass ``MAX_SEED`` (one line).
    """
    if seed is None or seed == spec.seed:
        return spec
    changed = spec.model_copy(update={"seed": seed})  # keeps its file and base scenario
    try:
        SweepSpec.model_validate(changed.model_dump())
    except ValidationError as exc:
        raise ScenarioError(describe(exc, f"--seed {seed}")) from None
    return changed


def estimate_sweep(spec: SweepSpec, points: pd.DataFrame, *, workers: int,
                   largest: RunCost | None = None) -> Estimate:
    """Time and store the first few runs of a sweep in a scratch store; scale to all runs.

    Args:
        spec: The sweep.
        points: Its design points.
        workers: Workers it will run on.
        largest: The largest run's estimated cost (``check_points``). If one run is
            estimated to take longer than ``TIMED_SECONDS``, nothing is run to time it: the
            estimate is the model's (``sim.cost``), so a sweep too big for the machine is
            refused without first building its models.
    """
    workers = max(int(workers), 1)
    memory = 0.0 if largest is None else \
        INTERPRETER_BYTES + workers * (WORKER_BYTES + largest.bytes)
    if largest is not None and largest.seconds > TIMED_SECONDS:
        months = int(spec.base_scenario().calendar.months)
        return Estimate(runs=count_runs(spec), seconds_per_run=largest.seconds,
                        bytes_per_run=months * SERIES_BYTES_WRITTEN, workers=workers,
                        memory_bytes=memory)
    sample = list(islice(sweep_tasks(spec, points), ESTIMATE_RUNS))
    with tempfile.TemporaryDirectory(prefix="catfish-estimate-") as tmp:
        folder = Path(tmp) / "store"
        runs = run_list(spec, points.loc[sorted({t.point for t in sample})])
        runs = runs[runs["run_id"].isin([t.run_id for t in sample])]
        with ResultStore.create(folder, {"estimate": True}, runs) as store:
            # as a worker does before its first run: the timed runs are not charged for
            # compiling the model's hot paths (or loading them from the cache)
            warm_up()
            before = _size(folder)
            started = time.perf_counter()
            run_tasks(sample, store, executor=None, workers=1,
                      timeseries=_timeseries(spec), outcomes=list(spec.outcomes))
            seconds = (time.perf_counter() - started) / max(len(sample), 1)
            written = (_size(folder) - before) / max(len(sample), 1)
    return Estimate(runs=count_runs(spec), seconds_per_run=seconds, bytes_per_run=written,
                    workers=workers, memory_bytes=memory)


# --- helpers -----------------------------------------------------------------------------------

def sweep_design(spec: SweepSpec, points: pd.DataFrame | None = None) -> Design:
    """A sweep file as the engine's design: its run list, and its tasks point by point."""
    points = design_points(spec) if points is None else points

    def tasks(wanted: Sequence[int] | None) -> Iterator[SweepTask]:
        return sweep_tasks(spec, points if wanted is None else points.loc[list(wanted)])

    return Design("sweep", run_list(spec, points), tasks, timeseries=_timeseries(spec),
                  outcomes=list(spec.outcomes))


def as_workers(workers: Workers | int) -> Workers:
    """``Workers`` as given, or that many local processes for a number."""
    return workers if isinstance(workers, Workers) else Workers(int(workers))


def _run(spec: SweepSpec, points: pd.DataFrame, store: ResultStore, *, workers: Workers,
         progress: Callable[[int], None] | None, retry_failed: bool) -> None:
    with workers as running:
        run_design(sweep_design(spec, points), store, running, progress=progress,
                   retry_failed=retry_failed)


def _timeseries(spec: SweepSpec) -> bool | list[str]:
    return spec.timeseries if isinstance(spec.timeseries, bool) else list(spec.timeseries)


def run_list(spec: SweepSpec, points: pd.DataFrame) -> pd.DataFrame:
    """One row per run: run_id, point, replicate, seed, then the factor values."""
    reps = spec.replicates
    point = np.repeat(points.index.to_numpy(np.int64), reps)
    replicate = np.tile(np.arange(reps, dtype=np.int64), len(points))
    runs = pd.DataFrame({
        "run_id": [f"p{p:06d}-r{r:03d}" for p, r in zip(point, replicate, strict=True)],
        "point": point, "replicate": replicate, "seed": spec.seed_of(point, replicate)})
    for name in spec.factor_names:
        runs[name] = np.repeat(points[name].to_numpy(), reps)
    return runs


def manifest(spec: SweepSpec, estimate: Estimate) -> dict[str, Any]:
    """What a sweep's store records about it: file hashes, design, seeds, environment."""
    return {
        "kind": "sweep",
        "sweep": {"name": spec.name, "file": str(spec.path) if spec.path else None,
                  "sha256": sha256_file(spec.path) if spec.path else None,
                  "base": spec.base,
                  "base_sha256": sha256_file(spec.base_path) if spec.base_path else None},
        "design": spec.design.model_dump(mode="json"),
        "factors": [f.model_dump(mode="json") for f in spec.factors],
        "replicates": spec.replicates,
        "seeds": {"first": spec.seed,
                  "last": int(spec.seed_of(spec.point_count - 1, spec.replicates - 1)),
                  "rule": spec.seed_rule},
        "runs": estimate.runs,
        "estimate": {"seconds_per_run": round(estimate.seconds_per_run, 4),
                     "bytes_per_run": round(estimate.bytes_per_run)},
        **environment(),
    }


def _kept_inputs(spec: SweepSpec) -> dict[str, str]:
    """Copies of the sweep file and its base scenario, kept in the store for ``resume``."""
    sweep_text = spec.path.read_text(encoding="utf-8") if spec.path is not None else \
        yaml.safe_dump(spec.model_dump(mode="json"), allow_unicode=True)
    if spec.path is not None:  # the file as run: with the seed --seed gave it
        data = parse_yaml(sweep_text, spec.path)
        if isinstance(data, dict) and data.get("seed", FILE_SEED) != spec.seed:
            sweep_text = yaml.safe_dump({**data, "seed": spec.seed}, allow_unicode=True,
                                        sort_keys=False)
    base = spec.base_scenario().model_dump(mode="json")
    return {SWEEP_COPY: sweep_text,
            BASE_COPY: yaml.safe_dump(base, allow_unicode=True, sort_keys=False)}


def _size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
