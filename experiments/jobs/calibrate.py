"""The calibration from start to finish, and its checks on the engine.

:func:`plan_calibration` checks everything before anything is written: the output folder
(``experiments.runs.files``), or with ``resume`` the folder of a calibration to carry on with
(its settings and seed are read from its manifest). :func:`run_calibration` claims the folder,
runs ABC-SMC (``calibration.abc.calibrate``, one generation at a time when it is given a
progress callback), writes the posterior, its summary, the predictive checks and the pair plot
(``calibration.abc.write_results``), the predictive check's runs on the engine in ``ppc/``, and
finishes the manifest; it returns a :class:`CalibrationResults`. :func:`ship_calibration`
installs a finished calibration as a posterior and parameter set.

The calibration (``calibration/``) never imports the experiments; its predictive check
(``calibration.report.predictive_check``) and its reference table for leave-one-out and
parameter recovery (``calibration.reference.reference_table``) take a ``simulate_many``
function that says where their runs go. :class:`EngineSimulations` is that function on the
experiment engine: the parameter sets become a design (one point per set, its values as the
point's columns, its seed), run on any :class:`~experiments.runs.executors.Workers` into a
crash-safe store, and read back in order. A check that was interrupted carries on where it
stopped when it is asked again for the same sets and seeds.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import pandas as pd
from catfish.calibration.abc import DATABASE, DEFAULT, QUICK, CalibrationRun, Settings
from catfish.calibration.data import Fact
from catfish.calibration.targets import simulate
from catfish.experiments.runs.engine import Design, Workers, create_store, run_design
from catfish.experiments.runs.files import (
    MANIFEST,
    OutputError,
    check_output,
    claim,
    claim_output,
    finish,
    prepare,
    read_manifest,
    write_json,
)
from catfish.experiments.runs.store import ResultStore, StoreError
from catfish.experiments.runs.store_files import MANIFEST as STORE_MANIFEST
from catfish.experiments.runs.store_files import STORE_FILES

__all__ = ["CALIBRATION_FILES", "CalibrationError", "CalibrationJob", "CalibrationResults",
           "EngineSimulations", "RunsFailed", "SchedulerUnreachable", "Shipped",
           "TargetStatistics", "plan_calibration", "reach_scheduler", "resumable",
           "run_calibration", "ship_calibration"]

COMMAND = "catfish calibrate"
DEFAULT_SEED = 1
PPC = "ppc"  # the predictive check's store, inside the calibration's folder
PPC_CLAIMS = [f"{PPC}/{name}" for name in (STORE_MANIFEST, *STORE_FILES)]
CALIBRATION_FILES = [DATABASE, f"{DATABASE}-journal", f"{DATABASE}-wal", f"{DATABASE}-shm",
                     "posterior.parquet", "posterior_summary.csv", "ppc.csv", "holdout.csv",
                     "ppc_simulations.parquet", "pairplot.png", *PPC_CLAIMS]


class CalibrationError(ValueError):
    """A calibration that cannot start as asked (the user's input); the message is one line."""


class SchedulerUnreachable(ConnectionError):
    """No Dask scheduler answered at the address given (a failure, not a mistake in it)."""


class RunsFailed(RuntimeError):
    """Runs of a calibration check failed (the store keeps them; one line, the first error)."""


class TargetStatistics:
    """The engine's function of (parameter values, seed): every fact's simulated statistic.

    A class rather than a closure, so that it pickles to worker processes with its facts.
    """

    def __init__(self, facts: Sequence[Fact]) -> None:
        self.facts = list(facts)

    def __call__(self, values: Mapping[str, Any], seed: int) -> dict[str, float]:
        """The statistics of one parameter set, run with ``seed``."""
        return simulate(dict(values), seed, self.facts)


@dataclass(frozen=True)
class _Draw:
    """One parameter set to run: what the runner needs of a task."""

    run_id: str
    seed: int
    values: dict[str, float]
    subject: Any = field(default=None)


class EngineSimulations:
    """``simulate_many`` for the calibration's checks, on the engine, into a store.

    Args:
        folder: The store's folder (made; a store of the same sets and seeds is resumed).
        workers: Where the runs go.
        kind: What the runs are for, recorded in the store (``predictive-check``,
            ``reference-table``).
        progress: Called with the number of runs in each batch committed.
    """

    def __init__(self, folder: str | Path, workers: Workers, *, kind: str,
                 progress: Callable[[int], None] | None = None) -> None:
        self.folder = Path(folder)
        self.workers = workers
        self.kind = kind
        self.progress = progress

    def __call__(self, thetas: Sequence[Mapping[str, float]], seeds: Sequence[int],
                 facts: Sequence[Fact]) -> list[dict[str, float]]:
        """Each parameter set's statistics, in the order given.

        Raises:
            RunsFailed: Some runs failed (their errors are in the store's ledger).
        """
        design = self.design(thetas, seeds, facts)
        with self._store(design) as store, self.workers as running:
            run_design(design, store, running, progress=self.progress)
            counts = store.status_counts()
            if counts.get("failed"):
                first = store.failed().iloc[0]
                raise RunsFailed(f"{self.folder}: {counts['failed']} of {len(store)} runs "
                                   f"failed; the first, {first['run_id']}: "
                                   f"{str(first['error']).splitlines()[0]}")
            outcomes = store.outcomes()
        names = [f.name for f in facts]
        return [{name: float(row[name]) if pd.notna(row[name]) else float("nan")
                 for name in names} for _, row in outcomes.iterrows()]

    def design(self, thetas: Sequence[Mapping[str, float]], seeds: Sequence[int],
               facts: Sequence[Fact]) -> Design:
        """The parameter sets as a design: set i is point i, run once with its seed."""
        runs = pd.DataFrame({"run_id": [f"d{i:06d}" for i in range(len(thetas))],
                             "point": range(len(thetas)), "replicate": 0,
                             "seed": [int(s) for s in seeds]})
        runs = pd.concat([runs, pd.DataFrame([dict(t) for t in thetas])], axis=1)
        runs[["point", "replicate", "seed"]] = runs[["point", "replicate", "seed"]].astype(
            "int64")

        def tasks(points: Sequence[int] | None) -> Iterator[_Draw]:
            for i in range(len(thetas)) if points is None else points:
                yield _Draw(f"d{i:06d}", int(seeds[i]), dict(thetas[i]))

        return Design(self.kind, runs, tasks, timeseries=False,
                      evaluate=TargetStatistics(facts))

    def _store(self, design: Design) -> ResultStore:
        """The store of this design: resumed if the folder holds it, else made afresh."""
        if (self.folder / "runs.parquet").is_file():
            try:
                store = ResultStore.open(self.folder)
            except StoreError:
                store = None
            if store is not None:
                kept = store.runs()
                if kept["run_id"].tolist() == design.runs["run_id"].tolist() \
                        and kept["seed"].tolist() == design.runs["seed"].tolist():
                    return store
                store.close()
        return create_store(design, self.folder, {"command": f"catfish calibrate ({self.kind})"},
                            overwrite=True)


# --- the calibration from start to finish -------------------------------------------------------

@dataclass(frozen=True)
class CalibrationJob:
    """A checked calibration, ready to run (or to carry on with).

    Attributes:
        out: Its folder (checked; nothing written yet).
        quick: The small version (``calibration.abc.QUICK``) rather than the full one.
        seed: Seeds pyabc's draws and the predictive check's.
        resumed: It carries on with the calibration in ``out``.
        done: Generations already in its history.
    """

    out: Path
    quick: bool
    seed: int
    resumed: bool = False
    done: int = 0
    started: dt.datetime = field(default_factory=lambda: dt.datetime.now().astimezone())

    @property
    def settings(self) -> Settings:
        """Population, generations and predictive draws."""
        return QUICK if self.quick else DEFAULT

    @property
    def generations_left(self) -> int:
        """Generations still to run at most (fewer if epsilon or the simulations stop it)."""
        return max(self.settings.generations - self.done, 0)

    @property
    def files(self) -> list[str]:
        """Every file the calibration writes in its folder (its manifest aside)."""
        return list(CALIBRATION_FILES)


def plan_calibration(out: str | Path | None = None, *, quick: bool = False,
                     seed: int | None = None, resume: str | Path | None = None,
                     overwrite: bool = False) -> CalibrationJob:
    """Check the folder of a new calibration, or of one to carry on with; nothing is written.

    Args:
        out: The folder of a new calibration (default: ``catfish-output/calibration``, or
            ``calibration-quick`` with ``quick``).
        quick: The small version (16 particles, 2 generations).
        seed: Seeds pyabc's draws (with one worker, the same seed gives the same
            calibration) and the predictive check's (default 1).
        resume: Instead, carry on with the calibration in this folder, as it was started
            (its ``quick`` and ``seed`` are read from its manifest).
        overwrite: Allow replacing the results of an earlier Catfish command in ``out``.

    Raises:
        OutputError: ``out`` cannot be used (or holds a calibration, and ``overwrite`` is
            false), or ``resume`` holds no calibration to carry on with.
    """
    if resume is not None:
        folder = Path(resume).expanduser()
        record = read_manifest(folder) if folder.is_dir() else None
        if record is None or record.get("command") != COMMAND \
                or not (folder / DATABASE).is_file():
            raise OutputError(f"--resume {resume}: holds no calibration to carry on with (no "
                              f"{DATABASE} written by catfish calibrate)")
        quick = bool(record.get("quick", False))
        seed = int(record.get("seed", DEFAULT_SEED))
        return CalibrationJob(folder, quick, seed, resumed=True,
                              done=generations_done(folder))
    folder = Path(out) if out is not None else \
        Path("catfish-output") / ("calibration-quick" if quick else "calibration")
    record = read_manifest(folder) if folder.is_dir() else None
    if record is not None and (folder / DATABASE).is_file() and not overwrite:
        raise OutputError(f"--out {folder}: holds a calibration; carry on with it (--resume "
                          f"{folder}), pass --overwrite to start again, or choose another "
                          "folder")
    hint = f", carry on with it (--resume {folder})" \
        if record is not None and record.get("command") == COMMAND else ""
    folder = check_output(folder, overwrite=overwrite, resume_hint=hint)
    return CalibrationJob(folder, quick, DEFAULT_SEED if seed is None else int(seed))


def resumable(folder: str | Path) -> str | None:
    """None if ``resume`` (``--resume DIR``) can carry on in ``folder``, else why not."""
    try:
        plan_calibration(resume=folder)
    except OutputError as exc:
        return str(exc)
    return None


def generations_done(folder: Path) -> int:
    """Generations in the pyabc history of the calibration in ``folder``.

    Raises:
        OutputError: Its history cannot be read.
    """
    import pyabc

    try:
        history = pyabc.History(f"sqlite:///{folder / DATABASE}", _id=1, create=False)
        return max(int(history.max_t) + 1, 0)
    except Exception as exc:  # noqa: BLE001 - SQLAlchemy's and SQLite's errors alike
        raise OutputError(f"{folder / DATABASE}: cannot be read as pyabc's history "
                          f"({type(exc).__name__}); start the calibration again into a new "
                          "folder") from None


def run_calibration(job: CalibrationJob, *, workers: Workers | int = 1,
                    progress: Callable[[int], None] | None = None,
                    check_progress: Callable[[int], None] | None = None) -> CalibrationResults:
    """Run (or carry on with) a planned calibration and write its results folder.

    Args:
        job: From :func:`plan_calibration`.
        workers: Where the simulations go: local processes simulate pyabc's particles and
            run the predictive check on the engine; with a Dask scheduler
            (``Workers(scheduler=...)``) its workers do both.
        progress: Called with 1 after each generation (pyabc then runs one generation at a
            time, with the same results).
        check_progress: Called with the number of the predictive check's runs in each batch
            committed.

    Raises:
        CalibrationError: The calibration cannot run as asked.
        SchedulerUnreachable: No Dask scheduler answered at the address.
        RunsFailed: Runs of the predictive check failed (``ppc/`` keeps them: carry on with
            ``resume``).
        WriteError: A result file could not be written.
    """
    from catfish.calibration.abc import calibrate, write_results
    from catfish.experiments.runs.manifest import environment

    workers = workers if isinstance(workers, Workers) else Workers(int(workers))
    if workers.dask_local is not None:
        raise CalibrationError("a calibration runs on local processes or on a Dask "
                               "scheduler, not on a Dask LocalCluster")
    out = job.out
    if job.resumed:
        claim(out, job.files)  # a calibration started by an older Catfish claimed fewer
    else:
        claim_output(out, command=COMMAND, files=job.files)
        # what --resume needs to carry on with it as it was started
        write_json(out / MANIFEST, {**(read_manifest(out) or {}), "quick": job.quick,
                                    "seed": job.seed})
    try:
        run = calibrate(out, settings=job.settings, workers=workers.processes,
                        scheduler=workers.scheduler, seed=job.seed, progress=progress)
    except ValueError as exc:
        if workers.scheduler and str(exc).startswith("--scheduler"):
            raise SchedulerUnreachable(str(exc)) from None
        raise CalibrationError(str(exc)) from None
    check = EngineSimulations(out / PPC, workers, kind="predictive-check",
                              progress=check_progress)
    paths = write_results(run, seed=job.seed, simulate_many=check)
    finish(out, {"command": COMMAND, "quick": job.quick, "seed": job.seed,
                 "resumed": job.resumed, "scheduler": workers.scheduler,
                 "executor": workers.describe(),
                 "started": job.started.isoformat(timespec="seconds"),
                 "generations": run.generations, "simulations": run.simulations,
                 "epsilon": run.epsilon,
                 "predictive_check": {"draws": run.settings.ppc_draws, "store": f"{PPC}/"},
                 **environment()})
    return CalibrationResults(out, run, paths)


class CalibrationResults:
    """A calibration's results folder.

    Args:
        folder: The folder ``catfish calibrate`` wrote.
        run: What the calibration produced (generations, simulations, acceptance, epsilon).
        paths: The result files written, by name.
    """

    def __init__(self, folder: str | Path, run: CalibrationRun | None = None,
                 paths: Mapping[str, Path] | None = None) -> None:
        self.folder = Path(folder)
        self.run = run
        self.paths = dict(paths or {})

    def _csv(self, name: str) -> pd.DataFrame:
        return pd.read_csv(self.folder / name)

    @cached_property
    def posterior(self) -> pd.DataFrame:
        """One row per particle, one column per parameter, and its weight."""
        return pd.read_parquet(self.folder / "posterior.parquet")

    @cached_property
    def summary(self) -> pd.DataFrame:
        """Per parameter: prior range, posterior median and 90 % interval, contraction."""
        return self._csv("posterior_summary.csv")

    @cached_property
    def ppc(self) -> pd.DataFrame:
        """Per fitted target: observed, predictive intervals, percentile, in50, in90."""
        return self._csv("ppc.csv")

    @cached_property
    def holdout(self) -> pd.DataFrame:
        """Per figure held out of the fit: observed, 90 % interval, hit or miss."""
        return self._csv("holdout.csv")

    def __repr__(self) -> str:
        return f"CalibrationResults({str(self.folder)!r})"


def reach_scheduler(address: str) -> None:
    """Check that a Dask scheduler answers at ``address``, before anything is written.

    Raises:
        CalibrationError: ``address`` is not a Dask address (a mistake in it).
        SchedulerUnreachable: It is one, but no Dask scheduler answered there.
    """
    from catfish.calibration.abc import check_scheduler
    from distributed.comm import get_address_host_port

    try:
        check_scheduler(address)
    except ValueError as exc:
        try:
            get_address_host_port(address)
        except ValueError:
            raise CalibrationError(str(exc)) from None
        raise SchedulerUnreachable(str(exc)) from None


# --- shipping a finished calibration ------------------------------------------------------------

@dataclass(frozen=True)
class Shipped:
    """Where a calibration was shipped.

    Attributes:
        source: The calibration's folder.
        posteriors: The folder the posterior files went to.
        parameter_set: The parameter-set file written (the posterior's medians).
        local: The medians of the parameters calibrated for one scenario, by scenario (they
            belong in that scenario's file).
    """

    source: Path
    posteriors: Path
    parameter_set: Path
    local: dict[str, dict[str, float]]


def ship_calibration(folder: str | Path, dest: str | Path, *,
                     overwrite: bool = False) -> Shipped:
    """Install the finished calibration in ``folder`` into ``dest``.

    ``dest`` is a folder of the user's (the posterior files, ``calibrated.yaml`` and a
    manifest go there), or the root of a Catfish source checkout (a developer's step: they
    replace ``calibration/posteriors/default*`` and
    ``scenarios/parameter_sets/calibrated.yaml``); never an installed package.

    Raises:
        OutputError: ``folder`` is not a finished calibration (before anything is written
            anywhere), ``dest`` lies in an installed package, or cannot be used.
        DataError: The calibration's posterior is not one the model accepts.
    """
    from catfish.calibration.ship import COPIED, check_finished, ship
    from catfish.experiments.runs.manifest import environment, is_source_checkout, repository

    folder, dest = Path(folder), Path(dest).expanduser()
    try:
        check_finished(folder)  # before anything is written anywhere
    except FileNotFoundError as exc:
        raise OutputError(f"--out {exc}") from None
    if is_source_checkout(dest.resolve()):  # a developer ships into the repository
        posteriors = dest / "calibration" / "posteriors"
        parameter_set = dest / "scenarios" / "parameter_sets" / "calibrated.yaml"
    elif installed_package(dest, repository()):
        raise OutputError(f"--ship {dest}: is inside an installed package; ship into a "
                          "folder of yours, or into a source checkout of Catfish "
                          "(docs/calibration.md)")
    else:
        posteriors, parameter_set = dest, dest / "calibrated.yaml"
        prepare(dest, command=f"{COMMAND} --ship", option="--ship",
                files=[*COPIED.values(), parameter_set.name], overwrite=overwrite)
    try:
        local = ship(folder, posteriors=posteriors, parameter_set=parameter_set)
    except FileNotFoundError as exc:
        raise OutputError(str(exc)) from None
    if posteriors == dest:  # a folder of the user's: say what it holds
        finish(dest, {"command": f"{COMMAND} --ship", "from": str(folder.resolve()),
                      **environment()})
    return Shipped(folder, posteriors, parameter_set, local)


def installed_package(dest: Path, code_root: Path) -> bool:
    """Whether ``dest`` lies in site-packages, or in the folder Catfish is installed in."""
    where = dest.resolve()
    if {"site-packages", "dist-packages"} & set(where.parts):
        return True
    installed = code_root.resolve()
    return where == installed or installed in where.parents
