"""A comparison from start to finish: checked, estimated, run, written, reported.

:func:`plan_comparison` does everything that can fail on bad input before any run: it loads
the comparison file, checks the output folder (``experiments.runs.files``), draws the posterior
parameter sets and estimates what the job needs (``experiments.runs.resources``).
:func:`run_comparison` then claims the folder, keeps copies of the inputs
(``experiments.runs.kept_inputs``) before the first run, runs every mix on the same replicates, and
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

from calibration.priors import PRIORS_FILE
from calibration.worlds import (
    INSTRUMENT_PRIORS_FILE,
    Uncertainty,
    comparison_uncertainties,
    draw_worlds,
)
from experiments.analysis import comparison as cmp
from experiments.analysis import robust
from experiments.runs import kept_inputs as inputs
from experiments.runs.files import check_output, claim_output, finish, write_atomic
from experiments.runs.resources import JobEstimate, estimate_runs
from scenarios import comparison as comparisons

TABLES = ["runs", "summary", "timeseries"]
CHARTS = ["transformed_over_time.png", "target_probability.png", "paired_difference.png",
          "cost_effectiveness.png"]
RESULT_FILES = [f"{t}.{ext}" for t in TABLES for ext in ("csv", "parquet")] \
    + CHARTS + ["manifest.json", "report.html"]
ROBUST_CHARTS = ["spread_over_worlds.png", "flip_map.png"]
WORLD_FILES = ["worlds.csv", "worlds.parquet", *robust.FILES, *ROBUST_CHARTS]
SHIPPED = "<shipped>"  # posterior: the shipped one


@dataclass(frozen=True)
class ComparisonJob:
    """A checked comparison, ready to run.

    Attributes:
        comparison: The loaded comparison (its base and every mix).
        out: The output folder (checked; nothing written yet).
        replicates: Runs per mix.
        seed: Replicate r runs seed + r (and world r) in every mix.
        posterior: The posterior file the worlds draw calibrated parameters from, or None.
        tasks: Every run, in (mix, replicate) order.
        estimate: What the job needs.
        worlds: One row per world (``calibration.worlds.draw_worlds``); None with ``--fixed``.
        uncertainties: What each world draws, and where each distribution comes from.
        objective: What makes a mix best in a world (the file's, or ``--objective``).
    """

    comparison: comparisons.Comparison
    out: Path
    replicates: int
    seed: int
    posterior: Path | None
    tasks: list[cmp.Task]
    estimate: JobEstimate
    worlds: pd.DataFrame | None = None
    uncertainties: tuple[Uncertainty, ...] = ()
    objective: str = "transformed"


def plan_comparison(comparison: str | Path, *, out: str | Path | None = None,
                    replicates: int | None = None, seed: int | None = None,
                    posterior: str | Path | None = None, fixed: bool = False,
                    objective: str | None = None, workers: int = 1,
                    overwrite: bool = False) -> ComparisonJob:
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
    if out is None:
        name = chosen.name.removeprefix(comparisons.PREFIX)
        out = Path("catfish-output") / f"compare-{name}-{dt.datetime.now():%Y%m%d-%H%M%S}"
    folder = check_output(out, overwrite=overwrite)
    if fixed and posterior is not None:
        raise comparisons.ScenarioError("--fixed runs the files' point values: it draws "
                                        "nothing from a posterior (leave out --posterior)")
    worlds, posterior_file, uncertain = None, None, ()
    if not fixed:
        from calibration.posterior import DEFAULT_POSTERIOR, load_posterior

        posterior_file = DEFAULT_POSTERIOR if posterior in (None, SHIPPED) else Path(posterior)
        sample = load_posterior(posterior_file)
        uncertain = tuple(comparison_uncertainties(
            chosen.base, [m.scenario for m in chosen.mixes], posterior=sample,
            extra=chosen.priors))
        worlds = draw_worlds(uncertain, replicates, seed, sample)
    tasks = cmp.plan(chosen, replicates, seed, worlds, uncertain)
    estimate = estimate_runs([m.scenario.model_params() for m in chosen.mixes],
                             replicates=replicates, workers=workers, held_in_memory=True)
    return ComparisonJob(chosen, folder, replicates, seed, posterior_file, tasks, estimate,
                         worlds, uncertain, objective or chosen.spec.objective)


def run_comparison(job: ComparisonJob, *, executor: Executor | None = None, workers: int = 1,
                   lang: str = "zh", progress: Callable[[int], None] | None = None) -> Path:
    """Run a planned comparison and write its results folder; returns the report's path.

    Raises:
        OutputError: The folder changed since it was checked and can no longer be used.
        WriteError: A result file could not be written (the folder keeps what was).
    """
    from experiments.outputs import report as rep

    started, clock = dt.datetime.now().astimezone(), time.perf_counter()
    chosen, out = job.comparison, job.out
    kept = inputs.comparison_inputs(chosen, job.posterior, worlds=job.worlds is not None)
    results = [*RESULT_FILES, *(WORLD_FILES if job.worlds is not None else [])]
    claim_output(out, command="catfish compare", files=[*kept, *results])
    for name, content in kept.items():  # before the first run: the folder describes its run
        write_atomic(out / name, lambda f, c=content: f.write_bytes(c))
    done = cmp.run(job.tasks, executor=executor, workers=workers, progress=progress)
    runs, timeseries = cmp.runs_table(done), cmp.timeseries_table(done)
    del done
    analysis = None
    if job.worlds is not None:
        write_table(out, "worlds", job.worlds)
        analysis = robust.analyse(runs, job.worlds, job.uncertainties, job.objective)
        for name, table in analysis.tables().items():
            write_table(out, name, table)
    summary = cmp.mix_table(chosen).merge(cmp.summarise(runs), on="mix", how="right")
    for table_name, table in zip(TABLES, (runs, summary, timeseries), strict=True):
        write_table(out, table_name, table)
    write_charts(out, chosen, summary, timeseries, job.replicates, lang)
    if analysis is not None:
        write_robust_charts(out, chosen, summary, analysis, job, lang)
    record = cmp.manifest(chosen, replicates=job.replicates, seed=job.seed, workers=workers,
                          started=started.isoformat(timespec="seconds"),
                          wall_seconds=time.perf_counter() - clock,
                          files=[*results, *kept], posterior=job.posterior)
    record["worlds"] = worlds_record(job)
    record["inputs"] = inputs.record(kept, {inputs.COMPARISON: chosen.path,
                                            inputs.BASE: chosen.base_path,
                                            inputs.POSTERIOR: job.posterior,
                                            inputs.PRIORS: PRIORS_FILE,
                                            inputs.INSTRUMENT_PRIORS: INSTRUMENT_PRIORS_FILE})
    finish(out, record)
    return rep.write_report(rep.load_results(out), lang=lang)


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

    from experiments.outputs import robust_charts
    from experiments.outputs.fonts import use_language

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
                 timeseries: pd.DataFrame, replicates: int, lang: str) -> None:
    """The comparison's four charts as PNG files in ``out``."""
    import matplotlib.pyplot as plt

    from experiments.outputs import charts
    from experiments.outputs.fonts import use_language

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
