"""A comparison from start to finish: checked, estimated, run on the engine, written, reported.

:func:`plan_comparison` does everything that can fail on bad input before any run: it loads
the comparison file, checks the output folder (``experiments.runs.files``), draws the worlds
and estimates what the job needs (``experiments.runs.resources``). :func:`run_comparison`
then claims the folder, keeps copies of the inputs (``experiments.runs.kept_inputs``) and the
worlds before the first run, runs every mix on the same replicates on the engine
(``experiments.runs.engine``: any executor, results committed to the store in ``store/`` as
they arrive, so memory stays flat and a killed comparison carries on with
:func:`resume_comparison`), then writes the tables, charts, manifest and report from the
store. A write that fails (a full disk) raises ``WriteError`` naming the file; what was
written stays, listed in the manifest, which stays marked incomplete.

:func:`compare` does all of it in one call and returns a :class:`ComparisonResults`;
:func:`open_comparison` opens a finished folder.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import pandas as pd
from catfish.calibration.priors import PRIORS_FILE
from catfish.calibration.worlds import (
    INSTRUMENT_PRIORS_FILE,
    Uncertainty,
    comparison_uncertainties,
    draw_worlds,
)
from catfish.experiments.analysis import comparison as cmp
from catfish.experiments.analysis import robust
from catfish.experiments.runs import kept_inputs as inputs
from catfish.experiments.runs.comparisons import comparison_design
from catfish.experiments.runs.engine import Design, Workers, create_store, run_design
from catfish.experiments.runs.files import (
    OutputError,
    check_output,
    claim_output,
    finish,
    read_manifest,
    write_atomic,
)
from catfish.experiments.runs.resources import JobEstimate, estimate_runs
from catfish.experiments.runs.store import ResultStore, StoreError
from catfish.experiments.runs.store_files import MANIFEST as STORE_MANIFEST
from catfish.experiments.runs.store_files import STORE_FILES
from catfish.scenarios import comparison as comparisons

TABLES = ["runs", "summary", "timeseries"]
CHARTS = ["transformed_over_time.png", "target_probability.png", "paired_difference.png",
          "cost_effectiveness.png"]
RESULT_FILES = [f"{t}.{ext}" for t in TABLES for ext in ("csv", "parquet")] \
    + ["bands.csv", "bands.parquet"] + CHARTS + ["manifest.json", "report.html"]
ROBUST_CHARTS = ["spread_over_worlds.png", "flip_map.png"]
WORLD_FILES = ["worlds.csv", "worlds.parquet", *robust.FILES, *ROBUST_CHARTS]
SHIPPED = "<shipped>"  # posterior: the shipped one
STORE = "store"        # the engine's result store, inside the comparison's folder
JOB_FILE = "job.json"  # in the store: what was asked, so that --resume runs the same job
STORE_CLAIMS = [f"{STORE}/{name}" for name in (STORE_MANIFEST, *STORE_FILES, JOB_FILE)]
# the time-series tables written: both formats, Parquet only, or none (the bands stay)
TIMESERIES_FORMATS = {"csv+parquet": ("csv", "parquet"), "parquet": ("parquet",), "none": ()}
BAND_COLUMNS = ("n_counted", "spent_total_rmb")  # what the charts and report draw over time


class ComparisonError(RuntimeError):
    """Runs of a comparison failed (the store keeps them; one line saying the first error)."""


@dataclass(frozen=True)
class ComparisonJob:
    """A checked comparison, ready to run.

    Attributes:
        comparison: The loaded comparison (its base and every mix).
        out: The output folder (checked; nothing written yet).
        replicates: Runs per mix.
        seed: Replicate r runs seed + r (and world r) in every mix.
        posterior: The posterior file the worlds draw calibrated parameters from, or None.
        design: The runs, as the engine's design (``experiments.runs.comparisons``).
        estimate: What the job needs.
        worlds: One row per world (``calibration.worlds.draw_worlds``); None with ``--fixed``.
        uncertainties: What each world draws, and where each distribution comes from.
        objective: What makes a mix best in a world (the file's, or ``--objective``).
        timeseries: Which time-series tables to write (``TIMESERIES_FORMATS``).
        source: The comparison as the user named it (a path or a shipped name).
    """

    comparison: comparisons.Comparison
    out: Path
    replicates: int
    seed: int
    posterior: Path | None
    design: Design
    estimate: JobEstimate
    worlds: pd.DataFrame | None = None
    uncertainties: tuple[Uncertainty, ...] = ()
    objective: str = "transformed"
    timeseries: str = "csv+parquet"
    source: str = ""

    @property
    def files(self) -> list[str]:
        """Every result file the job writes (the kept inputs aside)."""
        series = [f"timeseries.{ext}" for ext in TIMESERIES_FORMATS[self.timeseries]]
        tables = [f for f in RESULT_FILES if not f.startswith("timeseries.")]
        return [*tables, *series, *(WORLD_FILES if self.worlds is not None else [])]

    def record(self) -> dict[str, Any]:
        """What ``--resume`` needs to plan the same job again (the store keeps it)."""
        return {"comparison": self.source or str(self.comparison.path),
                "replicates": self.replicates, "seed": self.seed,
                "posterior": None if self.posterior is None else str(self.posterior),
                "fixed": self.worlds is None, "objective": self.objective,
                "timeseries": self.timeseries}


def plan_comparison(comparison: str | Path, *, out: str | Path | None = None,
                    replicates: int | None = None, seed: int | None = None,
                    posterior: str | Path | None = None, fixed: bool = False,
                    objective: str | None = None, workers: int = 1,
                    overwrite: bool = False, timeseries: str = "csv+parquet") -> ComparisonJob:
    """Load, check and estimate a comparison, and draw its worlds; nothing is written.

    Args:
        comparison: A comparison file (an explicit path) or a shipped comparison's name.
        out: Output folder (default: ``catfish-output/compare-<name>-<timestamp>``).
        replicates: Runs per mix, one world each (default: the file's).
        seed: First seed (default: the file's).
        posterior: The posterior file the worlds draw calibrated parameters from (None or
            ``"<shipped>"``: the shipped one).
        fixed: Run the files' point values in every replicate: no worlds, only run-to-run
            noise (what ``catfish compare`` did before it had worlds).
        objective: What makes a mix best in a world (default: the file's ``objective``).
        workers: Processes the runs will use (for the estimate).
        overwrite: Allow replacing the results of an earlier Catfish command in ``out``.
        timeseries: Which time-series tables to write: ``csv+parquet``, ``parquet`` or
            ``none`` (the charts' monthly bands are written either way).

    Raises:
        ScenarioError: The comparison, its base scenario, a prior or the posterior is not
            valid, or ``fixed`` is asked for with a posterior.
        OutputError: ``out`` cannot be used.
    """
    chosen = comparisons.load(comparison)
    replicates = replicates or chosen.spec.replicates
    seed = chosen.spec.seed if seed is None else seed
    if seed + replicates > comparisons.MAX_SEED:
        raise comparisons.ScenarioError(f"--seed {seed}: seed + replicates must stay below "
                                        f"{comparisons.MAX_SEED}")
    if timeseries not in TIMESERIES_FORMATS:
        raise comparisons.ScenarioError(f"--timeseries {timeseries}: must be one of "
                                        f"{', '.join(TIMESERIES_FORMATS)}")
    if out is None:
        name = chosen.name.removeprefix(comparisons.PREFIX)
        out = Path("catfish-output") / f"compare-{name}-{dt.datetime.now():%Y%m%d-%H%M%S}"
    folder = check_output(out, overwrite=overwrite,
                          resume_hint=f", carry on with it (--resume {out})")
    if fixed and posterior is not None:
        raise comparisons.ScenarioError("--fixed runs the files' point values: it draws "
                                        "nothing from a posterior (leave out --posterior)")
    return _plan(chosen, folder, replicates=replicates, seed=seed, posterior=posterior,
                 fixed=fixed, objective=objective, workers=workers, timeseries=timeseries,
                 source=str(comparison))


def _plan(chosen: comparisons.Comparison, folder: Path, *, replicates: int, seed: int,
          posterior: str | Path | None, fixed: bool, objective: str | None, workers: int,
          timeseries: str, source: str) -> ComparisonJob:
    worlds, posterior_file, uncertain = None, None, ()
    if not fixed:
        from catfish.calibration.posterior import DEFAULT_POSTERIOR, load_posterior

        posterior_file = DEFAULT_POSTERIOR if posterior in (None, SHIPPED) else Path(posterior)
        sample = load_posterior(posterior_file)
        uncertain = tuple(comparison_uncertainties(
            chosen.base, [m.scenario for m in chosen.mixes], posterior=sample,
            extra=chosen.priors))
        worlds = draw_worlds(uncertain, replicates, seed, sample)
    kept_series = True if timeseries != "none" else list(BAND_COLUMNS)
    design = comparison_design(chosen, replicates, seed, worlds, uncertain,
                               timeseries=kept_series)
    estimate = estimate_runs([m.scenario.model_params() for m in chosen.mixes],
                             replicates=replicates, workers=workers, held_in_memory=False)
    return ComparisonJob(chosen, folder, replicates, seed, posterior_file, design, estimate,
                         worlds, uncertain, objective or chosen.spec.objective, timeseries,
                         source)


def run_comparison(job: ComparisonJob, *, workers: Workers | int = 1, lang: str = "zh",
                   progress: Callable[[int], None] | None = None) -> ComparisonResults:
    """Run a planned comparison on the engine and write its results folder.

    Args:
        job: From :func:`plan_comparison`.
        workers: Where the runs go (``Workers``; a number: that many local processes).
        lang: Language of the charts and the report.
        progress: Called with the number of runs in each batch committed.

    Raises:
        OutputError: The folder changed since it was checked and can no longer be used.
        WriteError: A result file could not be written (the folder keeps what was).
        ComparisonError: Runs failed (the folder keeps what ran: ``--resume`` it).
    """
    started = dt.datetime.now().astimezone()
    chosen, out = job.comparison, job.out
    kept = inputs.comparison_inputs(chosen, job.posterior, worlds=job.worlds is not None)
    claim_output(out, command="catfish compare", files=[*kept, *job.files, *STORE_CLAIMS])
    for name, content in kept.items():  # before the first run: the folder describes its run
        write_atomic(out / name, lambda f, c=content: f.write_bytes(c))
    if job.worlds is not None:
        write_table(out, "worlds", job.worlds)
    record = {**job.record(), "lang": lang, "started": started.isoformat(timespec="seconds"),
              "kept": {name: hashlib.sha256(content).hexdigest()
                       for name, content in kept.items()}}
    workers = workers if isinstance(workers, Workers) else Workers(int(workers))
    _drop_empty_folders(out / STORE)  # what --overwrite left of an earlier store
    with create_store(job.design, out / STORE, _store_manifest(job), overwrite=True,
                      files={JOB_FILE: json.dumps(record, indent=1)}) as store:
        _run(job, store, workers, progress)
    return write_results(job, lang=lang, started=started, workers=workers)


def resume_comparison(folder: str | Path, *, workers: Workers | int = 1,
                      progress: Callable[[int], None] | None = None,
                      retry_failed: bool = True) -> ComparisonResults:
    """Finish a comparison that was interrupted (even by ``kill -9``), then write its results.

    The job is planned again from what its store recorded, and refused if the comparison
    file, its base scenario or the posterior changed since (their copies in ``inputs/`` say
    what they were); the runs already committed are kept, the rest run, and the tables are
    identical to an uninterrupted comparison's.

    Raises:
        StoreError: The folder is not a comparison that can be resumed (one line, why).
    """
    folder = Path(folder)
    job, record = replan(folder)
    workers = workers if isinstance(workers, Workers) else Workers(int(workers))
    started = dt.datetime.fromisoformat(record["started"])
    with ResultStore.open(folder / STORE) as store:
        _run(job, store, workers, progress, retry_failed=retry_failed)
    return write_results(job, lang=record.get("lang", "zh"), started=started, workers=workers)


def resumable(folder: str | Path) -> str | None:
    """None if :func:`resume_comparison` can carry on in ``folder``, else why not (one line)."""
    try:
        replan(Path(folder))
    except (StoreError, OutputError, comparisons.ScenarioError) as exc:
        return str(exc)
    return None


def pending(folder: str | Path) -> dict[str, int]:
    """Runs done, failed and pending in a comparison's store.

    Raises:
        StoreError: The folder is not a comparison that can be resumed.
    """
    _check_resumable_folder(Path(folder))
    with ResultStore.open(Path(folder) / STORE, readonly=True) as store:
        return store.status_counts()


def compare(comparison: str | Path, out: str | Path | None = None, *,
            workers: Workers | int = 1, lang: str = "zh",
            progress: Callable[[int], None] | None = None,
            **options: Any) -> ComparisonResults:
    """Compare policy mixes across plausible worlds, in one call: plan, run, write, report.

    Args:
        comparison: A comparison file (a path) or a shipped comparison's name.
        out: The output folder (default: ``catfish-output/compare-<name>-<timestamp>``).
        workers: Where the runs go (``Workers``; a number: that many local processes).
        lang: Language of the charts and the report.
        progress: Called with the number of runs in each batch committed.
        **options: ``replicates``, ``seed``, ``posterior``, ``fixed``, ``objective``,
            ``overwrite``, ``timeseries`` (see :func:`plan_comparison`).

    Returns:
        A handle on the results folder.
    """
    planned = workers.planned if isinstance(workers, Workers) else int(workers)
    job = plan_comparison(comparison, out=out, workers=planned, **options)
    return run_comparison(job, workers=workers, lang=lang, progress=progress)


class ComparisonResults:
    """A comparison's results folder, its tables as pandas DataFrames.

    Args:
        folder: The folder ``catfish compare`` wrote.
    """

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)

    def _table(self, name: str) -> pd.DataFrame:
        path = self.folder / f"{name}.parquet"
        if not path.is_file():
            raise FileNotFoundError(f"{path}: not in this comparison's folder")
        return pd.read_parquet(path)

    @cached_property
    def summary(self) -> pd.DataFrame:
        """One row per mix: outcomes, their uncertainty, costs and the paired effect."""
        return self._table("summary")

    @cached_property
    def runs(self) -> pd.DataFrame:
        """One row per mix and replicate: every run outcome and spending by instrument."""
        return self._table("runs")

    @cached_property
    def worlds(self) -> pd.DataFrame:
        """One row per world: the values of every uncertain parameter (not with --fixed)."""
        return self._table("worlds")

    @cached_property
    def robustness(self) -> pd.DataFrame:
        """Per mix across worlds: P(target), P(best), regret, the bad case."""
        return self._table("robustness")

    @cached_property
    def bands(self) -> pd.DataFrame:
        """Per column, mix and month: mean over replicates and the 90 % band of runs."""
        return self._table("bands")

    def timeseries(self, columns: list[str] | None = None) -> pd.DataFrame:
        """One row per mix, replicate and month (all columns, or ``columns`` and the keys)."""
        path = self.folder / "timeseries.parquet"
        if path.is_file():
            if columns is None:
                return pd.read_parquet(path)
            keys = ["mix", "replicate", "seed", "month", "date"]
            return pd.read_parquet(path, columns=[*keys, *[c for c in columns
                                                           if c not in keys]])
        with ResultStore.open(self.folder / STORE, readonly=True) as store:
            return cmp.timeseries_table(store, columns)

    @property
    def manifest(self) -> dict[str, Any]:
        """Provenance: inputs and their digests, seeds, worlds, software, timing."""
        return json.loads((self.folder / "manifest.json").read_text(encoding="utf-8"))

    @property
    def report(self) -> Path:
        """The HTML report."""
        return self.folder / "report.html"

    def __repr__(self) -> str:
        return f"ComparisonResults({str(self.folder)!r})"


def open_comparison(folder: str | Path) -> ComparisonResults:
    """A handle on a finished comparison's folder (nothing runs).

    Raises:
        OutputError: The folder is not a finished comparison.
    """
    folder = Path(folder)
    record = read_manifest(folder) if folder.is_dir() else None
    if record is None or record.get("command") != "catfish compare":
        raise OutputError(f"{folder}: not a catfish compare results folder")
    if not record.get("complete"):
        raise OutputError(f"{folder}: the comparison has not finished; carry on with it "
                          f"(catfish compare --resume {folder})")
    return ComparisonResults(folder)


# --- inside -------------------------------------------------------------------------------------

def _run(job: ComparisonJob, store: ResultStore, workers: Workers,
         progress: Callable[[int], None] | None, *, retry_failed: bool = False) -> None:
    with workers as running:
        run_design(job.design, store, running, progress=progress, retry_failed=retry_failed)
    counts = store.status_counts()
    if counts.get("failed"):
        first = store.failed().iloc[0]
        raise ComparisonError(
            f"{counts['failed']:,} of {len(store):,} runs failed; the first, "
            f"{first['run_id']}: {str(first['error']).splitlines()[0]} (what ran is kept: "
            f"catfish compare --resume {job.out} runs the failed ones again)")


def _drop_empty_folders(folder: Path) -> None:
    """Remove ``folder`` and the folders in it if they hold no file (deepest first)."""
    if not folder.is_dir() or folder.is_symlink():
        return
    for path in sorted((p for p in folder.rglob("*") if p.is_dir() and not p.is_symlink()),
                       key=lambda p: len(p.parts), reverse=True):
        if not any(path.iterdir()):
            path.rmdir()
    if not any(folder.iterdir()):
        folder.rmdir()


def _store_manifest(job: ComparisonJob) -> dict[str, Any]:
    return {"command": "catfish compare",
            "comparison": {"name": job.comparison.name, "replicates": job.replicates,
                           "seed": job.seed}}


def replan(folder: str | Path) -> tuple[ComparisonJob, dict[str, Any]]:
    """The job a comparison folder was started with, planned again; refused if inputs changed.

    Returns:
        The job, and what the store recorded (``lang``, ``started``, the inputs' digests).

    Raises:
        StoreError: The folder is not a comparison that can be resumed, or its inputs changed.
    """
    folder = Path(folder)
    _check_resumable_folder(folder)
    path = folder / STORE / JOB_FILE
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
        chosen = comparisons.load(record["comparison"])
    except (ValueError, KeyError, TypeError) as exc:
        raise StoreError(f"{path}: cannot be read ({exc}); run the comparison again into a "
                         "new folder") from None
    posterior = record["posterior"]
    kept = inputs.comparison_inputs(chosen, None if posterior is None else Path(posterior),
                                    worlds=not record["fixed"])
    for name, digest in record["kept"].items():
        now = kept.get(name)
        if now is not None and hashlib.sha256(now).hexdigest() != digest \
                and not name.endswith("assumptions.json"):
            raise StoreError(f"{folder / name}: the file it copies has changed since the "
                             "comparison started, so it cannot be resumed as it was; run it "
                             "again into a new folder")
    job = _plan(chosen, folder, replicates=record["replicates"], seed=record["seed"],
                posterior=posterior, fixed=record["fixed"], objective=record["objective"],
                workers=1, timeseries=record["timeseries"], source=record["comparison"])
    return job, record


def _check_resumable_folder(folder: Path) -> None:
    if not (folder / STORE / JOB_FILE).is_file() or not (folder / STORE / "runs.parquet").is_file():
        raise StoreError(f"{folder}: not a comparison that can be resumed (no {STORE}/"
                         f"{JOB_FILE}; was it made by catfish compare?)")


def write_results(job: ComparisonJob, *, lang: str, started: dt.datetime,
                  workers: Workers) -> ComparisonResults:
    """The tables, charts, manifest and report, from the comparison's store."""
    from catfish.experiments.outputs import report as rep

    clock = time.perf_counter()
    chosen, out = job.comparison, job.out
    with ResultStore.open(out / STORE, readonly=True) as store:
        runs = cmp.runs_table(store)
        write_timeseries(out, store, TIMESERIES_FORMATS[job.timeseries])
        monthly = cmp.timeseries_table(store, [c for c in BAND_COLUMNS
                                               if c in store.series_columns()])
        seconds = sum(s.get("wall_seconds", 0.0) for s in store.manifest()["store"]["sessions"])
    analysis = None
    if job.worlds is not None:
        analysis = robust.analyse(runs, job.worlds, job.uncertainties, job.objective)
        for name, table in analysis.tables().items():
            write_table(out, name, table)
    summary = cmp.mix_table(chosen).merge(cmp.summarise(runs), on="mix", how="right")
    write_table(out, "runs", runs)
    write_table(out, "summary", summary)
    band_table = bands_table(monthly)
    write_table(out, "bands", band_table)
    del monthly
    write_charts(out, chosen, summary, band_table, job.replicates, lang)
    if analysis is not None:
        write_robust_charts(out, chosen, summary, analysis, job, lang)
    kept = inputs.comparison_inputs(chosen, job.posterior, worlds=job.worlds is not None)
    record = cmp.manifest(chosen, replicates=job.replicates, seed=job.seed,
                          workers=workers.planned,
                          started=started.isoformat(timespec="seconds"),
                          wall_seconds=seconds + time.perf_counter() - clock,
                          files=[*job.files, *kept], posterior=job.posterior)
    record["executor"] = workers.describe()
    record["worlds"] = worlds_record(job)
    record["inputs"] = inputs.record(kept, {inputs.COMPARISON: chosen.path,
                                            inputs.BASE: chosen.base_path,
                                            inputs.POSTERIOR: job.posterior,
                                            inputs.PRIORS: PRIORS_FILE,
                                            inputs.INSTRUMENT_PRIORS: INSTRUMENT_PRIORS_FILE})
    finish(out, record)
    rep.write_report(rep.load_results(out), lang=lang, overwrite=True)  # its own, as resumed
    return ComparisonResults(out)


def write_timeseries(out: Path, store: ResultStore, formats: tuple[str, ...]) -> None:
    """The time-series table, chunk by chunk (never whole in memory), as CSV and/or Parquet."""
    if not formats:
        return
    import pyarrow as pa
    import pyarrow.parquet as pq

    def csv(path: Path) -> None:
        with open(path, "w", encoding="utf-8", newline="") as file:
            for k, chunk in enumerate(cmp.timeseries_chunks(store)):
                chunk.to_csv(file, index=False, header=k == 0)

    def parquet(path: Path) -> None:
        writer = None
        try:
            for chunk in cmp.timeseries_chunks(store):
                table = pa.Table.from_pandas(chunk, preserve_index=False)
                if writer is None:
                    writer = pq.ParquetWriter(path, table.schema)
                writer.write_table(table)
        finally:
            if writer is not None:
                writer.close()

    for ext in formats:
        write_atomic(out / f"timeseries.{ext}", csv if ext == "csv" else parquet)


def bands_table(monthly: pd.DataFrame) -> pd.DataFrame:
    """Per column drawn over time, mix and month: the mean and the 90 % band of runs."""
    tables = [cmp.bands(monthly, column).assign(column=column)
              for column in BAND_COLUMNS if column in monthly.columns]
    table = pd.concat(tables, ignore_index=True)
    return table[["column", "mix", "month", "date", "mean", "lo", "hi"]]


def write_table(out: Path, name: str, table: pd.DataFrame) -> None:
    """A table as ``name.csv`` and ``name.parquet`` (the same contents)."""
    write_atomic(out / f"{name}.csv", lambda f: table.to_csv(f, index=False))
    write_atomic(out / f"{name}.parquet", lambda f: table.to_parquet(f, index=False))


def worlds_record(job: ComparisonJob) -> dict[str, object]:
    """The manifest's account of the worlds: how many, the rule, every distribution's source."""
    if job.worlds is None:
        return {"fixed": True, "rule": "every replicate runs the files' point values (--fixed)"}
    return {"fixed": False, "count": len(job.worlds),
            "objective": job.objective,
            "rule": f"replicate r runs world r and seed {job.seed} + r in every mix; "
                    "calibrated parameters drawn jointly from the posterior by weight (seed "
                    f"{job.seed}), the others from a Latin hypercube over their priors",
            "distributions": [u.record() for u in job.uncertainties]}


def write_robust_charts(out: Path, chosen: comparisons.Comparison, summary: pd.DataFrame,
                        analysis: robust.RobustResult, job: ComparisonJob, lang: str) -> None:
    """The spread of each mix over the worlds, and where the lead flips, as PNG files."""
    import matplotlib.pyplot as plt
    from catfish.experiments.outputs import robust_charts
    from catfish.experiments.outputs.fonts import use_language

    lang = use_language(lang)
    figures = robust_charts.comparison_figures(
        analysis, job.worlds,
        mix_labels=dict(zip(summary["mix"], summary[f"label_{lang}"], strict=True)),
        parameter_labels={u.key: robust_charts.labelled(u.labels.get(lang, u.key), u.unit, lang)
                          for u in job.uncertainties},
        target=chosen.base.target.firms, lang=lang)
    for file_name, fig in figures.items():
        write_atomic(out / file_name, lambda f, fig=fig: fig.savefig(f, dpi=120, format="png"))
        plt.close(fig)


def write_charts(out: Path, chosen: comparisons.Comparison, summary: pd.DataFrame,
                 band_table: pd.DataFrame, replicates: int, lang: str) -> None:
    """The comparison's four charts as PNG files in ``out``."""
    import matplotlib.pyplot as plt
    from catfish.experiments.outputs import charts
    from catfish.experiments.outputs.fonts import use_language

    lang = use_language(lang)
    params = chosen.base.model_params()
    labels = dict(zip(summary["mix"], summary[f"label_{lang}"], strict=True))
    deadline = chosen.base.calendar.deadline
    figures = {
        "transformed_over_time.png": charts.transformed_over_time(
            counted_bands(band_table), labels=labels, target=params.target_firms,
            deadline_month=params.deadline_month, replicates=replicates, lang=lang),
        "target_probability.png": charts.target_probability(
            summary, target=params.target_firms, deadline=deadline, lang=lang),
        "paired_difference.png": charts.paired_difference(summary, deadline=deadline, lang=lang),
        "cost_effectiveness.png": charts.cost_effectiveness(summary, lang=lang),
    }
    for file_name, fig in figures.items():
        write_atomic(out / file_name, lambda f, fig=fig: fig.savefig(f, dpi=120, format="png"))
        plt.close(fig)


def counted_bands(band_table: pd.DataFrame) -> pd.DataFrame:
    """The bands of the firms counted toward the target (what the over-time chart draws)."""
    rows = band_table[band_table["column"] == BAND_COLUMNS[0]]
    return rows.drop(columns="column").reset_index(drop=True)
