"""A sensitivity analysis from start to finish: the sweep it needs, run, analysed, reported.

:func:`sensitivity` turns a sensitivity file (``experiments.runs.sensitivity_spec``) into a
sweep with a SALib design plus a dummy factor, runs it on the engine (``experiments.jobs.sweep``:
parallel, Dask, resumable, the same result store), and :func:`analyse` averages each design
point's replicates and computes the indices (``experiments.analysis.sensitivity``), then writes
the charts and the summary in words (``experiments.outputs.sa_report``). :func:`resume`
finishes an interrupted analysis.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import yaml
from catfish.experiments.analysis import sensitivity as indices
from catfish.experiments.analysis.sensitivity import AGAIN, SPEC_COPY, SensitivityResult, _kept
from catfish.experiments.jobs.sweep import (
    SWEEP_COPY,
    Estimate,
    as_workers,
    kept_spec,
    manifest,
    run_list,
)
from catfish.experiments.jobs.sweep import repair as repair_sweep
from catfish.experiments.jobs.sweep import resume as resume_sweep
from catfish.experiments.jobs.sweep import sweep as run_sweep
from catfish.experiments.runs.designs import design_points, sweep_tasks
from catfish.experiments.runs.executors import Workers
from catfish.experiments.runs.files import check_output
from catfish.experiments.runs.runner import Evaluate, run_tasks
from catfish.experiments.runs.sensitivity_spec import (
    DUMMY,
    SensitivitySpec,
    dump,
    function_sweep_spec,
    load_sensitivity,
    sweep_spec,
    with_prior_bounds,
)
from catfish.experiments.runs.store import Repair, ResultStore, StoreError, check_store
from catfish.scenarios.loader import ScenarioError

__all__ = ["SensitivityResult", "analyse", "repair", "resumable", "resume", "sensitivity"]


def analyse(out: str | Path, *, report: bool = True) -> SensitivityResult:
    """Analyse the finished runs of a result folder; write the tables, charts and summary.

    Raises:
        ScenarioError: The folder is not an analysis, or runs are missing.
    """
    result = indices.analyse(out)
    if report:
        from catfish.experiments.outputs.sa_report import write_report  # matplotlib: load late

        write_report(result)
    return result


def sensitivity(file: str | Path | SensitivitySpec, out: str | Path, *,
                method: str | None = None, n: int | None = None,
                replicates: int | None = None, seed: int | None = None,
                workers: Workers | int = 1,
                overwrite: bool = False, confirm: Callable[[Estimate], bool] | None = None,
                progress: Callable[[int], None] | None = None,
                evaluate: Evaluate | None = None, report: bool = True,
                command: str = "catfish sensitivity") -> SensitivityResult:
    """Run a sensitivity analysis into ``out`` and analyse it.

    Args:
        file: A sensitivity file (path or shipped name) or a ``SensitivitySpec``.
        out: Result folder (new or empty unless ``overwrite``).
        method: ``morris`` or ``sobol`` instead of the file's.
        n: Trajectories (Morris) or base samples (Sobol') instead of the file's.
        replicates: Runs per design point instead of the file's.
        seed: Seed of the sampler and the runs instead of the file's.
        workers: Where the runs go (``Workers``; a number: that many local processes).
        overwrite: Replace results already in ``out``.
        confirm: Shown the sweep's estimate before anything is written; False stops.
        progress: Called with the number of runs in each committed batch.
        evaluate: Analyse this function of (factor values, seed) -> outcomes by name instead
            of the model (a module-level function, so that it reaches worker processes).
        report: Write charts and the plain-language summary too.
        command: The command the folder's manifest says wrote it.

    Raises:
        ScenarioError: The file, an option or a factor's bounds are not valid (one line).
        OutputExistsError: ``out`` holds results and ``overwrite`` is false.
    """
    out = Path(out)
    if isinstance(file, SensitivitySpec):  # built in Python: bounds may still come from priors
        source = Path.cwd() / f"{file.name}.yaml"
        spec = with_prior_bounds(file, source)
    else:
        spec, source = load_sensitivity(file)
    spec = spec.with_options(method=method, n=n, replicates=replicates, seed=seed)
    if evaluate is None:
        sweep = sweep_spec(spec, source)
        kept = {SWEEP_COPY: yaml.safe_dump(spec.sweep_data(spec.base), allow_unicode=True,
                                           sort_keys=False), SPEC_COPY: dump(spec)}
        run_sweep(sweep, out, workers=workers, overwrite=overwrite, confirm=confirm,
                  progress=progress, kept=kept, command=command)
        if not (out / SPEC_COPY).exists():  # not confirmed: nothing was written
            return SensitivityResult(out, spec, pd.DataFrame(), pd.DataFrame(), {})
    else:
        _run_function(spec, out, evaluate, workers=as_workers(workers), overwrite=overwrite,
                      progress=progress, command=command)
    return analyse(out, report=report)


def resume(out: str | Path, *, workers: Workers | int = 1, retry_failed: bool = False,
           progress: Callable[[int], None] | None = None,
           report: bool = True,
           warn: Callable[[Repair], None] | None = None) -> SensitivityResult:
    """Finish an interrupted analysis of the model (runs what is pending), then analyse it.

    Damaged batches of its store are moved aside and run again (``experiments.jobs.sweep.resume``;
    ``warn`` is called with each part moved).

    Raises:
        StoreError: The folder cannot be resumed: not a store, or a copy of the sensitivity
            file, sweep or base scenario is missing or broken (before anything is moved or
            run).
    """
    out = Path(out)
    _check_resumable(out)
    resume_sweep(out, workers=workers, retry_failed=retry_failed, progress=progress, warn=warn)
    return analyse(out, report=report)


def repair(out: str | Path) -> list[Repair]:
    """Check an analysis's store as resuming it does and move damaged batches aside.

    Raises:
        StoreError: As :func:`resume`.
    """
    out = Path(out)
    _check_resumable(out)
    return repair_sweep(out)


def resumable(out: str | Path) -> str | None:
    """None if :func:`resume` (``--resume out``) can succeed, else why not, in one line."""
    try:
        _check_resumable(Path(out))
    except StoreError as exc:
        return str(exc)
    return None


def _check_resumable(out: Path) -> None:
    check_store(out, run_list=True)
    if not (out / SPEC_COPY).is_file():
        raise StoreError(f"{out / SPEC_COPY}: missing; this folder cannot be resumed without "
                         f"its copy of the sensitivity file; {AGAIN}")
    kept_spec(out, AGAIN)
    try:
        _kept(out)
    except ScenarioError as exc:
        raise StoreError(f"{exc} (this folder cannot be resumed with a broken copy; "
                         f"{AGAIN})") from None


def _run_function(spec: SensitivitySpec, out: Path, evaluate: Evaluate, *, workers: Workers,
                  overwrite: bool,
                  progress: Callable[[int], None] | None, command: str) -> None:
    sweep = function_sweep_spec(spec)
    out = check_output(out, overwrite=overwrite, resume_hint=f", resume it (--resume {out})")
    points = design_points(sweep)
    estimate = Estimate(runs=sweep.point_count * sweep.replicates, seconds_per_run=0.0,
                        bytes_per_run=0.0, workers=workers.planned)
    kept = {SWEEP_COPY: yaml.safe_dump(sweep.model_dump(mode="json"), allow_unicode=True),
            SPEC_COPY: dump(spec)}
    with ResultStore.create(out, {"command": command, **manifest(sweep, estimate), "evaluate":
                                  f"{evaluate.__module__}.{evaluate.__qualname__}"},
                            run_list(sweep, points), overwrite=overwrite, files=kept) as store, \
            workers as running:
        run_tasks(sweep_tasks(sweep, points, scenarios=False), store, executor=running.executor,
                  workers=running.count, progress=progress, evaluate=WithoutDummy(evaluate))


class WithoutDummy:
    """A function under analysis, called without the dummy factor (it is for the analysis).

    A class rather than a closure, so that it pickles to worker processes.
    """

    def __init__(self, evaluate: Evaluate) -> None:
        self.evaluate = evaluate

    def __call__(self, values: Mapping[str, Any], seed: int) -> Mapping[str, Any]:
        """The function's outcomes for the real factors' values."""
        return self.evaluate({k: v for k, v in values.items() if k != DUMMY}, seed)
