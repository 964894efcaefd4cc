"""A comparison from start to finish: checked, estimated, run, written, reported.

:func:`plan_comparison` does everything that can fail on bad input before any run: it loads
the comparison file, checks the output folder (``experiments.files``), draws the posterior
parameter sets and estimates what the job needs (``experiments.resources``).
:func:`run_comparison` then claims the folder, keeps copies of the inputs
(``experiments.kept_inputs``) before the first run, runs every mix on the same replicates, and
writes the tables, charts, manifest and report. A write that fails (a full disk) raises
``WriteError`` naming the file; what was written stays, listed in the manifest, which stays
marked incomplete.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from experiments import compare as cmp
from experiments import kept_inputs as inputs
from experiments.files import check_output, claim_output, finish, write_atomic
from experiments.resources import JobEstimate, estimate_runs
from scenarios import comparison as comparisons

TABLES = ["runs", "summary", "timeseries"]
CHARTS = ["transformed_over_time.png", "target_probability.png", "paired_difference.png",
          "cost_effectiveness.png"]
RESULT_FILES = [f"{t}.{ext}" for t in TABLES for ext in ("csv", "parquet")] \
    + CHARTS + ["manifest.json", "report.html"]
SHIPPED = "<shipped>"  # posterior: the shipped one


@dataclass(frozen=True)
class ComparisonJob:
    """A checked comparison, ready to run.

    Attributes:
        comparison: The loaded comparison (its base and every mix).
        out: The output folder (checked; nothing written yet).
        replicates: Runs per mix.
        seed: Replicate r runs seed + r in every mix.
        posterior: The posterior file the replicates draw from, or None.
        tasks: Every run, in (mix, replicate) order.
        estimate: What the job needs.
    """

    comparison: comparisons.Comparison
    out: Path
    replicates: int
    seed: int
    posterior: Path | None
    tasks: list[cmp.Task]
    estimate: JobEstimate


def plan_comparison(comparison: str | Path, *, out: str | Path | None = None,
                    replicates: int | None = None, seed: int | None = None,
                    posterior: str | Path | None = None, workers: int = 1,
                    overwrite: bool = False) -> ComparisonJob:
    """Load, check and estimate a comparison; nothing is written.

    Args:
        comparison: A comparison file (an explicit path) or a shipped comparison's name.
        out: Output folder (default: ``catfish-output/compare-<name>-<timestamp>``).
        replicates: Runs per mix (default: the file's).
        seed: First seed (default: the file's).
        posterior: A posterior file, ``"<shipped>"`` for the shipped one, or None.
        workers: Processes the runs will use (for the estimate).
        overwrite: Allow replacing the results of an earlier Catfish command in ``out``.

    Raises:
        ScenarioError: The comparison, its base scenario or the posterior is not valid.
        OutputError: ``out`` cannot be used.
    """
    chosen = comparisons.load(comparison)
    replicates = replicates or chosen.spec.replicates
    seed = chosen.spec.seed if seed is None else seed
    if seed + replicates > comparisons.MAX_SEED:
        raise comparisons.ScenarioError(f"--seed {seed}: seed + replicates must stay below "
                                        f"{comparisons.MAX_SEED}")
    if out is None:
        name = chosen.name.removeprefix(comparisons.PREFIX)
        out = Path("catfish-output") / f"compare-{name}-{dt.datetime.now():%Y%m%d-%H%M%S}"
    folder = check_output(out, overwrite=overwrite)
    draws, posterior_file = None, None
    if posterior is not None:
        from calibration.posterior import DEFAULT_POSTERIOR, draw, load_posterior

        posterior_file = DEFAULT_POSTERIOR if posterior == SHIPPED else Path(posterior)
        draws = draw(load_posterior(posterior_file), replicates, seed)
    tasks = cmp.plan(chosen, replicates, seed, draws)
    estimate = estimate_runs([m.scenario.model_params() for m in chosen.mixes],
                             replicates=replicates, workers=workers, held_in_memory=True)
    return ComparisonJob(chosen, folder, replicates, seed, posterior_file, tasks, estimate)


def run_comparison(job: ComparisonJob, *, executor: Executor | None = None, workers: int = 1,
                   lang: str = "zh", progress: Callable[[int], None] | None = None) -> Path:
    """Run a planned comparison and write its results folder; returns the report's path.

    Raises:
        OutputError: The folder changed since it was checked and can no longer be used.
        WriteError: A result file could not be written (the folder keeps what was).
    """
    from experiments import report as rep

    started, clock = dt.datetime.now().astimezone(), time.perf_counter()
    chosen, out = job.comparison, job.out
    kept = inputs.comparison_inputs(chosen, job.posterior)
    claim_output(out, command="catfish compare", files=[*kept, *RESULT_FILES])
    for name, content in kept.items():  # before the first run: the folder describes its run
        write_atomic(out / name, lambda f, c=content: f.write_bytes(c))
    done = cmp.run(job.tasks, executor=executor, workers=workers, progress=progress)
    runs, timeseries = cmp.runs_table(done), cmp.timeseries_table(done)
    del done
    summary = cmp.mix_table(chosen).merge(cmp.summarise(runs), on="mix", how="right")
    for table_name, table in zip(TABLES, (runs, summary, timeseries), strict=True):
        write_atomic(out / f"{table_name}.csv", lambda f, t=table: t.to_csv(f, index=False))
        write_atomic(out / f"{table_name}.parquet",
                     lambda f, t=table: t.to_parquet(f, index=False))
    write_charts(out, chosen, summary, timeseries, job.replicates, lang)
    record = cmp.manifest(chosen, replicates=job.replicates, seed=job.seed, workers=workers,
                          started=started.isoformat(timespec="seconds"),
                          wall_seconds=time.perf_counter() - clock,
                          files=[*RESULT_FILES, *kept], posterior=job.posterior)
    record["inputs"] = inputs.record(kept, {inputs.COMPARISON: chosen.path,
                                            inputs.BASE: chosen.base_path,
                                            inputs.POSTERIOR: job.posterior})
    finish(out, record)
    return rep.write_report(rep.load_results(out), lang=lang)


def write_charts(out: Path, chosen: comparisons.Comparison, summary: pd.DataFrame,
                 timeseries: pd.DataFrame, replicates: int, lang: str) -> None:
    """The comparison's four charts as PNG files in ``out``."""
    import matplotlib.pyplot as plt

    from experiments import charts
    from experiments.fonts import use_language

    lang = use_language(lang)
    params = chosen.base.model_params()
    labels = dict(zip(summary["mix"], summary[f"label_{lang}"], strict=True))
    deadline = chosen.base.calendar.deadline
    figures = {
        "transformed_over_time.png": charts.transformed_over_time(
            cmp.bands(timeseries), labels=labels, target=params.target_firms,
            deadline_month=params.deadline_month, replicates=replicates, lang=lang),
        "target_probability.png": charts.target_probability(
            summary, target=params.target_firms, deadline=deadline, lang=lang),
        "paired_difference.png": charts.paired_difference(summary, deadline=deadline, lang=lang),
        "cost_effectiveness.png": charts.cost_effectiveness(summary, lang=lang),
    }
    for file_name, fig in figures.items():
        write_atomic(out / file_name, lambda f, fig=fig: fig.savefig(f, dpi=120, format="png"))
        plt.close(fig)
