"""One run of a scenario from start to finish: checked, estimated, run, written.

:func:`plan_run` does everything that can fail on bad input before the run: it loads the
scenario, checks the output folder (``experiments.runs.files``) and estimates what the run
needs (``experiments.runs.resources``); nothing is written. :func:`run_planned` then claims
the folder, keeps a copy of the scenario (``experiments.runs.kept_inputs``) before the run,
runs the model (``sim.run_one``) and writes the time series (CSV, Parquet), the outcomes
(JSON), a chart of firms by state (PNG) and the manifest. A write that fails (a full disk)
raises ``WriteError`` naming the file; what was written stays, listed in the manifest, which
stays marked incomplete.

:func:`run_scenario` does both in one call and returns a :class:`RunResults`.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from catfish.experiments.runs import kept_inputs as inputs
from catfish.experiments.runs.files import check_output, claim_output, finish, write_atomic
from catfish.experiments.runs.resources import JobEstimate, estimate_runs
from catfish.scenarios.schema import Scenario
from catfish.sim import ModelParams, run_one

from catfish import scenarios

COMMAND = "catfish run"
RUN_FILES = ["timeseries.csv", "timeseries.parquet", "outcomes.json", "firms_by_state.png"]


@dataclass(frozen=True)
class RunJob:
    """A checked run, ready to start.

    Attributes:
        scenario: The loaded scenario.
        path: Its file.
        params: Its parameters, with ``months`` applied.
        out: The output folder (checked; nothing written yet).
        seed: The run's seed.
        months: Months to run (None: the scenario's).
        estimate: What the run needs.
        started: When it was planned (names the default folder).
    """

    scenario: Scenario
    path: Path
    params: ModelParams
    out: Path
    seed: int
    months: int | None
    estimate: JobEstimate
    started: dt.datetime = field(default_factory=lambda: dt.datetime.now().astimezone())

    @property
    def files(self) -> list[str]:
        """The result files the run writes (the kept inputs and the manifest aside)."""
        return list(RUN_FILES)


@dataclass(frozen=True)
class RunResults:
    """A run's results folder, and what the run gave.

    Attributes:
        folder: The folder written.
        timeseries: One row per month.
        outcomes: The run's outcomes by name.
        params: The parameters it ran with.
        scenario: The scenario it ran.
    """

    folder: Path
    timeseries: pd.DataFrame
    outcomes: dict[str, Any]
    params: ModelParams
    scenario: Scenario

    @property
    def manifest(self) -> dict[str, Any]:
        """Provenance: the scenario and its digest, the seed, software, timing."""
        return json.loads((self.folder / "manifest.json").read_text(encoding="utf-8"))


def plan_run(scenario: str | Path | None = None, *, out: str | Path | None = None,
             seed: int = 1, months: int | None = None, overwrite: bool = False) -> RunJob:
    """Load the scenario, check the output folder and estimate the run; nothing is written.

    Args:
        scenario: A scenario file (a path) or a shipped scenario's name (default: the
            built-in Jieyang plastics cluster).
        out: Output folder (default: ``catfish-output/run-<timestamp>``).
        seed: The run's seed.
        months: Months to simulate (default: the scenario's).
        overwrite: Allow replacing the results of an earlier Catfish command in ``out``.

    Raises:
        ScenarioError: The scenario is not valid or not there.
        ParameterError: ``months`` is not allowed.
        OutputError: ``out`` cannot be used.
    """
    started = dt.datetime.now().astimezone()
    path = scenarios.loader.resolve(scenario or scenarios.DEFAULT)
    chosen = scenarios.load(path)
    params = chosen.model_params()
    if months is not None:
        params = params.model_copy(update={"months": months})
    folder = check_output(out or Path("catfish-output") / f"run-{started:%Y%m%d-%H%M%S}",
                          overwrite=overwrite)
    estimate = estimate_runs([params], replicates=1, workers=1, held_in_memory=False)
    return RunJob(chosen, path, params, folder, seed, months, estimate, started)


def run_planned(job: RunJob, *, lang: str = "zh",
                progress: Callable[[int], None] | None = None) -> RunResults:
    """Run a planned run and write its results folder.

    Args:
        job: From :func:`plan_run`.
        lang: Language of the chart.
        progress: Called with 1 after each month.

    Raises:
        OutputError: The folder changed since it was checked and can no longer be used.
        WriteError: A result file could not be written (the folder keeps what was).
    """
    from catfish.experiments.outputs.charts import firms_by_state
    from catfish.experiments.outputs.fonts import use_language
    from catfish.experiments.runs.manifest import environment

    clock = time.perf_counter()
    out = job.out
    kept = inputs.scenario_inputs(job.path, job.scenario)
    claim_output(out, command=COMMAND, files=[*job.files, *kept])
    for name, content in kept.items():  # before the run: the folder describes its run
        write_atomic(out / name, lambda f, c=content: f.write_bytes(c))
    options = {} if progress is None else {"progress": progress}
    result = run_one(job.scenario, seed=job.seed, months=job.months, **options)
    ts, o, p = result.timeseries, result.outcomes, result.params
    write_atomic(out / "timeseries.csv", lambda f: ts.to_csv(f, index=False))
    write_atomic(out / "timeseries.parquet", lambda f: ts.to_parquet(f, index=False))
    write_atomic(out / "outcomes.json", lambda f: f.write_text(
        json.dumps(jsonable(o), indent=2, ensure_ascii=False), encoding="utf-8"))
    fig = firms_by_state(ts, target=p.target_firms, deadline_month=p.deadline_month,
                         lang=use_language(lang))
    write_atomic(out / "firms_by_state.png", lambda f: fig.savefig(f, dpi=120, format="png"))
    finish(out, {"command": COMMAND, "scenario": job.scenario.name, "seed": job.seed,
                 "months": len(ts), "started": job.started.isoformat(timespec="seconds"),
                 "wall_seconds": round(time.perf_counter() - clock, 3),
                 "inputs": inputs.record(kept, {inputs.SCENARIO: job.path}), **environment()})
    return RunResults(out, ts, o, p, job.scenario)


def run_scenario(scenario: str | Path | None = None, *, out: str | Path | None = None,
                 seed: int = 1, months: int | None = None, lang: str = "zh",
                 overwrite: bool = False,
                 progress: Callable[[int], None] | None = None) -> RunResults:
    """Run a scenario once, in one call: plan, run, write.

    Args:
        scenario: A scenario file (a path) or a shipped scenario's name (default: the
            built-in Jieyang plastics cluster).
        out: Output folder (default: ``catfish-output/run-<timestamp>``).
        seed: The run's seed; the same seed gives the same results.
        months: Months to simulate (default: the scenario's).
        lang: Language of the chart.
        overwrite: Allow replacing the results of an earlier Catfish command in ``out``.
        progress: Called with 1 after each month.

    Returns:
        The results and their folder.
    """
    job = plan_run(scenario, out=out, seed=seed, months=months, overwrite=overwrite)
    return run_planned(job, lang=lang, progress=progress)


def jsonable(outcomes: dict[str, Any]) -> dict[str, Any]:
    """Outcomes as JSON can hold them: NaN as null."""
    return {k: (None if isinstance(v, float) and v != v else v) for k, v in outcomes.items()}
