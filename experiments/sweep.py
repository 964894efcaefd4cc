"""Sweeps: a sweep file's design, run into a crash-safe result store, resumable.

``sweep(file, out)`` loads and checks the sweep file (every design point is built before any
run), estimates time and disk from a few runs, writes the store (run list, manifest, and
copies of the sweep file and its base scenario so that a resume needs nothing but the
folder), and runs what is pending on the chosen executor. ``resume(out)`` carries on after an
interruption, even ``kill -9``; ``open_results(out)`` reads a store. All three return a
:class:`SweepHandle` that loads the results as pandas DataFrames.
"""

from __future__ import annotations

import contextlib
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Executor
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from experiments.designs import check_points, count_runs, design_points, sweep_tasks
from experiments.executor import dask_executor, local_executor, worker_count
from experiments.files import OutputExistsError
from experiments.manifest import environment, sha256_file
from experiments.store import ResultStore
from experiments.sweep_runner import run_tasks
from scenarios.sweep import SweepSpec, load_sweep, parse_sweep

__all__ = ["Estimate", "SweepHandle", "count_runs", "load_sweep", "open_results", "resume",
           "sweep"]

SWEEP_COPY = "sweep.yaml"            # the sweep file as it was run
BASE_COPY = "base-scenario.yaml"     # its base scenario as it was run
ESTIMATE_RUNS = 3


@dataclass(frozen=True)
class Estimate:
    """What a sweep will take, from timing a few of its runs here."""

    runs: int
    seconds_per_run: float
    bytes_per_run: float
    workers: int

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
        return (f"{self.runs:,} runs; about {_duration(self.seconds)} on {self.workers} "
                f"worker{'s' if self.workers != 1 else ''} "
                f"({self.seconds_per_run * 1000:.0f} ms per run here) and "
                f"{self.bytes / 1e6:,.0f} MB of disk")


class SweepHandle:
    """A sweep's result folder; loads its tables as pandas DataFrames.

    Args:
        folder: The store folder.
    """

    def __init__(self, folder: Path | str) -> None:
        self.folder = Path(folder)

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


def sweep(file: str | Path | SweepSpec, out: str | Path, *, workers: int = 1,
          dask_local: int | None = None, scheduler: str | None = None,
          overwrite: bool = False, confirm: Callable[[Estimate], bool] | None = None,
          progress: Callable[[int], None] | None = None,
          kept: dict[str, str] | None = None) -> SweepHandle:
    """Run a sweep file into the result store ``out``.

    Args:
        file: A sweep file (path or shipped name) or a loaded ``SweepSpec``.
        out: The store folder (must be new or empty unless ``overwrite``).
        workers: Local worker processes (ignored with ``dask_local`` or ``scheduler``).
        dask_local: Start a Dask ``LocalCluster`` of this many workers.
        scheduler: Address of a running Dask scheduler.
        overwrite: Replace a store already in ``out``.
        confirm: Shown the estimate before anything is written; return False to stop
            (default: go ahead).
        progress: Called with the number of runs in each committed batch.
        kept: Files to keep in the store besides (or instead of) the copies of the sweep file
            and its base scenario, name -> text (e.g. the sweep a sensitivity analysis made).

    Raises:
        ScenarioError: The sweep file, its base scenario or one of its points is not valid.
        OutputExistsError: ``out`` holds results and ``overwrite`` is false.
    """
    spec = file if isinstance(file, SweepSpec) else load_sweep(file)
    out = Path(out)
    if not overwrite and out.is_dir() and any(out.iterdir()):  # say so before any work
        what = "holds a sweep store" if (out / "manifest.json").exists() else "is not empty"
        raise OutputExistsError(f"{out} {what}: choose another output folder, resume it, or "
                                "allow overwriting (--overwrite)")
    points = design_points(spec)
    check_points(spec, points)  # a bad point stops the sweep before anything is written
    estimate = estimate_sweep(spec, points, workers=dask_local or workers)
    if confirm is not None and not confirm(estimate):
        return SweepHandle(out)
    # the copies resume needs are written with the store, before its manifest
    store = ResultStore.create(out, manifest(spec, estimate), run_list(spec, points),
                               overwrite=overwrite, files={**_kept_inputs(spec), **(kept or {})})
    with store:
        _run(spec, points, store, workers=workers, dask_local=dask_local,
             scheduler=scheduler, progress=progress, retry_failed=False)
    return SweepHandle(out)


def resume(out: str | Path, *, workers: int = 1, dask_local: int | None = None,
           scheduler: str | None = None, retry_failed: bool = False,
           progress: Callable[[int], None] | None = None) -> SweepHandle:
    """Finish an interrupted sweep: run what is pending (and failed runs, if asked).

    The sweep is rebuilt from the copies kept in the folder, so later edits to the original
    sweep or scenario files do not change it.
    """
    out = Path(out)
    store = ResultStore.open(out)
    with store:
        spec = kept_spec(out)
        points = design_points(spec)
        todo = set(store.pending_ids()) | (set(store.failed()["run_id"]) if retry_failed
                                           else set())
        # build scenarios only for points with runs left to make
        points = points.loc[sorted({int(run_id[1:7]) for run_id in todo})]
        _run(spec, points, store, workers=workers, dask_local=dask_local,
             scheduler=scheduler, progress=progress, retry_failed=retry_failed)
    return SweepHandle(out)


def open_results(out: str | Path) -> SweepHandle:
    """A handle on an existing store (nothing runs)."""
    ResultStore.open(out, readonly=True).close()  # a clear error if it is not a store
    return SweepHandle(out)


def kept_spec(out: Path) -> SweepSpec:
    """The sweep as it was run, from the copies in its store folder."""
    data = yaml.safe_load((out / SWEEP_COPY).read_text(encoding="utf-8"))
    data["base"] = BASE_COPY
    return parse_sweep(data, out / SWEEP_COPY)


def estimate_sweep(spec: SweepSpec, points: pd.DataFrame, *, workers: int) -> Estimate:
    """Time and store the first few runs of a sweep in a scratch store; scale to all runs."""
    sample = list(islice(sweep_tasks(spec, points), ESTIMATE_RUNS))
    with tempfile.TemporaryDirectory(prefix="catfish-estimate-") as tmp:
        folder = Path(tmp) / "store"
        runs = run_list(spec, points.loc[sorted({t.point for t in sample})])
        runs = runs[runs["run_id"].isin([t.run_id for t in sample])]
        with ResultStore.create(folder, {"estimate": True}, runs) as store:
            before = _size(folder)
            started = time.perf_counter()
            run_tasks(sample, store, executor=None, workers=1,
                      timeseries=_timeseries(spec), outcomes=list(spec.outcomes))
            seconds = (time.perf_counter() - started) / max(len(sample), 1)
            written = (_size(folder) - before) / max(len(sample), 1)
    return Estimate(runs=count_runs(spec), seconds_per_run=seconds, bytes_per_run=written,
                    workers=max(int(workers), 1))


# --- helpers -----------------------------------------------------------------------------------

def _run(spec: SweepSpec, points: pd.DataFrame, store: ResultStore, *, workers: int,
         dask_local: int | None, scheduler: str | None,
         progress: Callable[[int], None] | None, retry_failed: bool) -> None:
    with executor_for(workers, dask_local, scheduler) as (executor, n_workers):
        run_tasks(sweep_tasks(spec, points), store, executor=executor, workers=n_workers,
                  timeseries=_timeseries(spec), outcomes=list(spec.outcomes),
                  progress=progress, retry_failed=retry_failed)


@contextlib.contextmanager
def executor_for(workers: int, dask_local: int | None,
                 scheduler: str | None) -> Iterator[tuple[Executor | None, int]]:
    """The executor the options ask for (None: run here), and how many workers it has."""
    if scheduler or dask_local:
        with dask_executor(scheduler=scheduler, local_workers=dask_local) as executor:
            yield executor, dask_local or worker_count(executor)
    else:
        with local_executor(workers) as executor:
            yield executor, max(workers, 1)


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
    base = spec.base_scenario().model_dump(mode="json")
    return {SWEEP_COPY: sweep_text,
            BASE_COPY: yaml.safe_dump(base, allow_unicode=True, sort_keys=False)}


def _size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"
