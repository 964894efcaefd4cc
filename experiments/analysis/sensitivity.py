"""Sensitivity analysis: Morris screening and Sobol' indices over replicated stochastic runs.

``sensitivity(file, out)`` turns a sensitivity file (``experiments.runs.sensitivity_spec``) into
a sweep with a SALib design (Morris trajectories or Saltelli's scheme, no second order) plus a
dummy factor the model ignores, runs it on the sweep engine (parallel, Dask, resumable, the same
result store), averages each design point's replicates, and analyses the means with SALib:

- ``sobol``: first-order and total indices with bootstrap intervals, and a convergence check
  that analyses the first N/4, N/2 and N base samples again;
- ``morris``: mu*, its bootstrap interval, sigma (and mu).

Every run has its own seed, so the dummy factor's index is what replicate noise alone
produces, and the dummy's index plus its interval is the noise floor. A factor is a driver
(``influential``) only when its index minus its own interval clears the floor; one whose index
is above the floor but whose interval overlaps it is ``unclear``. The same code path analyses a
plain Python function (``evaluate=``) instead of the model, which is how it is tested on the
Ishigami function.

The result folder holds the sweep store, ``indices.parquet`` / ``.csv`` (one row per outcome
and factor), ``convergence`` tables (Sobol'), ``point_means.parquet`` (the analysed means),
charts and a plain-language summary in Chinese and English (``experiments.outputs.sa_report``).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from catfish.experiments.runs.designs import SWEEP_COPY, salib_problem, sample_matrix
from catfish.experiments.runs.files import claim, write_atomic
from catfish.experiments.runs.sensitivity_spec import (
    DUMMY,
    DUMMY_LABELS,
    SensitivitySpec,
)
from catfish.experiments.runs.store import ResultStore
from catfish.scenarios.loader import ScenarioError, describe, read_yaml
from catfish.scenarios.sweep import SweepSpec
from pydantic import ValidationError
from SALib.analyze import morris as morris_analyze
from SALib.analyze import sobol as sobol_analyze

SPEC_COPY = "sensitivity.yaml"   # the analysis as it was run, bounds filled in
AGAIN = "run the analysis again into a new folder"
INDICES = "indices"              # .parquet and .csv
CONVERGENCE = "convergence"      # .parquet and .csv (Sobol')
POINT_MEANS = "point_means.parquet"
# an outcome with one value at this share of the design points (e.g. the target met almost
# everywhere) has too little variance to apportion: its indices would be noise over noise
NEARLY_CONSTANT = 0.99
# an index that moves by no more than this between N/2 and N base samples has stabilised
CONVERGENCE_TOLERANCE = 0.05
COLUMNS = {"sobol": ("S1", "S1_conf", "ST", "ST_conf"),
           "morris": ("mu_star", "mu_star_conf", "sigma", "mu")}
MAIN_INDEX = {"sobol": ("ST", "ST_conf"), "morris": ("mu_star", "mu_star_conf")}
# a factor's verdict against the noise floor (``_judge``)
DRIVER, UNCLEAR, NOT_A_DRIVER = "driver", "unclear", "not a driver"


@dataclass(frozen=True)
class SensitivityResult:
    """What an analysis found.

    Attributes:
        folder: The result folder (a sweep store plus the analysis files).
        spec: The analysis as run (bounds filled in, command-line options applied).
        indices: One row per (outcome, factor), the dummy included: the method's indices
            with intervals, ``noise_floor`` (the dummy's index plus its interval),
            ``lower_bound`` (the factor's index minus its interval), ``verdict`` (``driver``,
            ``unclear`` or ``not a driver``), ``influential`` (a driver), ``rank`` and, for
            Sobol', ``converged``.
        convergence: Sobol' indices on N/4, N/2 and N base samples (empty for Morris).
        skipped: Outcomes that could not be analysed, and why (``{"en": ..., "zh": ...}``).
    """

    folder: Path
    spec: SensitivitySpec
    indices: pd.DataFrame
    convergence: pd.DataFrame
    skipped: dict[str, dict[str, str]]


# --- analysis ----------------------------------------------------------------------------------

def analyse(out: str | Path) -> SensitivityResult:
    """Analyse the finished runs of a result folder and write the tables.

    The charts and the summary in words are ``experiments.outputs.sa_report``'s
    (``experiments.jobs.sensitivity.analyse`` writes both).

    Raises:
        ScenarioError: The folder is not an analysis, or runs are missing.
    """
    out = Path(out)
    spec, sweep = _kept(out)
    with ResultStore.open(out, readonly=True) as store:
        counts = store.status_counts()
        outcomes = store.outcomes()
        of_function = "evaluate" in store.manifest()
    if counts.get("pending", 0):
        raise ScenarioError(f"{out}: {counts['pending']:,} runs have not run yet; finish them "
                            f"first (catfish sensitivity --resume {out})")
    if not counts.get("done", 0):
        with ResultStore.open(out, readonly=True) as store:
            first = store.failed().iloc[0]
        raise ScenarioError(f"{out}: every run failed; the first, {first['run_id']}: "
                            f"{str(first['error']).splitlines()[0]}")
    if of_function:  # a function's outcomes are whatever it returned
        spec = spec.model_copy(update={"outcomes": _function_outcomes(outcomes, sweep)})
    means = point_means(outcomes, spec.outcomes, sweep.point_count)
    X = sample_matrix(sweep)
    problem = salib_problem(sweep)
    indices, convergence, skipped = analyse_means(spec, problem, X, means)
    _write(out, indices, convergence, means)
    return SensitivityResult(out, spec, indices, convergence, skipped)


def point_means(outcomes: pd.DataFrame, names: tuple[str, ...] | list[str],
                points: int) -> pd.DataFrame:
    """Each design point's outcomes averaged over its finished replicates.

    A point whose replicates all failed, or whose outcome is undefined in every replicate
    (e.g. cost per firm when none transformed), has NaN; ``replicates`` counts the runs
    averaged.
    """
    grouped = outcomes.groupby("point")
    means = grouped[list(names)].mean()
    means["replicates"] = grouped.size()
    return means.reindex(pd.RangeIndex(points, name="point"))


def analyse_means(spec: SensitivitySpec, problem: dict[str, Any], X: np.ndarray,
                  means: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame,
                                                dict[str, dict[str, str]]]:
    """Indices of every outcome from the design matrix and the point means (SALib)."""
    rows, convergence, skipped = [], [], {}
    outcome_names = [c for c in means.columns if c != "replicates"]
    for outcome in outcome_names:
        y = means[outcome].to_numpy(dtype=float)
        why = _not_analysable(y)
        if why:
            skipped[outcome] = why
            continue
        if spec.method == "sobol":
            table = _sobol(problem, y, spec)
            convergence.append(_convergence(problem, y, spec).assign(outcome=outcome))
        else:
            table = _morris(problem, X, y, spec)
        rows.append(_judge(table.assign(outcome=outcome), spec.method))
    indices = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(
        columns=["outcome", "factor", *COLUMNS[spec.method]])
    conv = pd.concat(convergence, ignore_index=True) if convergence else pd.DataFrame()
    if len(conv):
        indices = indices.merge(_converged(conv), on="outcome", how="left")
    return _ordered(indices, spec), conv, skipped


def _not_analysable(y: np.ndarray) -> dict[str, str] | None:
    """Why an outcome's point means cannot be analysed (in both languages), or None."""
    undefined = int(np.isnan(y).sum())
    if undefined:
        return {"en": f"undefined at {undefined:,} of {len(y):,} design points (e.g. no firm "
                      "transformed, or every replicate failed)",
                "zh": f"{len(y):,}个设计点中有{undefined:,}个无定义（例如没有企业完成转型，"
                      "或各次重复运行均失败）"}
    if np.ptp(y) == 0:
        return {"en": f"the same ({y[0]:g}) at every design point: nothing to apportion",
                "zh": f"所有设计点的取值相同（{y[0]:g}），没有可分解的差异"}
    values, counts = np.unique(y, return_counts=True)
    share = counts.max() / len(y)
    if share >= NEARLY_CONSTANT:
        mode = values[counts.argmax()]
        return {"en": f"the same ({mode:g}) at {share:.1%} of design points: too little "
                      "variation for the indices to mean anything",
                "zh": f"{share:.1%}的设计点取值相同（{mode:g}），差异太少，指数没有意义"}
    return None


def _sobol(problem: dict[str, Any], y: np.ndarray, spec: SensitivitySpec) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # SALib divides by small variances
        result = sobol_analyze.analyze(problem, y, calc_second_order=False,
                                       num_resamples=spec.resamples,
                                       conf_level=spec.conf_level, seed=spec.seed)
    return pd.DataFrame({"factor": problem["names"],
                         **{c: np.asarray(result[c], dtype=float) for c in COLUMNS["sobol"]}})


def _morris(problem: dict[str, Any], X: np.ndarray, y: np.ndarray,
            spec: SensitivitySpec) -> pd.DataFrame:
    result = morris_analyze.analyze(problem, X, y, num_resamples=spec.resamples,
                                    conf_level=spec.conf_level, num_levels=spec.num_levels,
                                    seed=spec.seed)
    return pd.DataFrame({"factor": problem["names"],
                         **{c: np.asarray(result[c], dtype=float) for c in COLUMNS["morris"]}})


def _convergence(problem: dict[str, Any], y: np.ndarray, spec: SensitivitySpec) -> pd.DataFrame:
    """Sobol' indices on the first N/4, N/2 and N base samples (Saltelli blocks of D+2 rows)."""
    block = problem["num_vars"] + 2
    tables = []
    for n in sorted({max(1, spec.n // 4), max(1, spec.n // 2), spec.n}):
        if n < 2:
            continue  # one base sample gives no variance to apportion
        part = y[: n * block]
        if np.ptp(part) == 0:
            continue
        tables.append(_sobol(problem, part, spec).assign(n=n))
    return pd.concat(tables, ignore_index=True) if tables else pd.DataFrame()


def _converged(conv: pd.DataFrame) -> pd.DataFrame:
    """Per outcome: has every index moved by at most the tolerance from N/2 to N?"""
    rows = []
    for outcome, part in conv.groupby("outcome", sort=False):
        sizes = sorted(part["n"].unique())
        if len(sizes) < 2:
            rows.append({"outcome": outcome, "converged": False, "max_change": np.nan})
            continue
        half = part[part["n"] == sizes[-2]].set_index("factor")
        full = part[part["n"] == sizes[-1]].set_index("factor")
        change = float(np.nanmax(np.abs(full[["S1", "ST"]] - half[["S1", "ST"]]).to_numpy()))
        rows.append({"outcome": outcome, "converged": change <= CONVERGENCE_TOLERANCE,
                     "max_change": change})
    return pd.DataFrame(rows)


def _judge(table: pd.DataFrame, method: str) -> pd.DataFrame:
    """Judge each factor against the dummy's noise floor, and rank the factors.

    The noise floor is the dummy's index plus its interval's half-width. A factor is a
    ``driver`` (``influential``) only when its own interval lies wholly above the floor, that
    is when its index minus its half-width (``lower_bound``) exceeds it; ``unclear`` when its
    index is above the floor but its interval reaches down to it; ``not a driver`` otherwise
    (the dummy included). A half-width SALib could not estimate (NaN) counts as zero.

    Args:
        table: One row per factor, the dummy included, with the method's columns.
        method: ``sobol`` (judged on ``ST``) or ``morris`` (on ``mu_star``).

    Returns:
        The table with ``noise_floor``, ``lower_bound``, ``verdict``, ``influential`` and
        ``rank`` added.
    """
    index, conf = MAIN_INDEX[method]
    # a NaN half-width (e.g. too few trajectories to bootstrap) would make every comparison
    # false and hide a clear effect; zero keeps the index itself as the bound (documented)
    half = table[conf].fillna(0.0)
    is_dummy = table["factor"] == DUMMY
    floor = float((table[index] + half)[is_dummy].iloc[0]) if is_dummy.any() else 0.0
    lower = table[index] - half
    # an index that sits above the floor only while its interval overlaps it could be noise:
    # a small Sobol' run (N = 128) once named digital talent a driver that way (ST 1.16 ± 0.36
    # against a floor of 1.13; tests/test_sensitivity.py)
    verdict = np.select([~is_dummy & (lower > floor), ~is_dummy & (table[index] > floor)],
                        [DRIVER, UNCLEAR], NOT_A_DRIVER)
    table = table.assign(noise_floor=floor, lower_bound=lower, verdict=verdict)
    table["influential"] = table["verdict"] == DRIVER
    table["rank"] = table[index].rank(ascending=False, method="first").astype(int)
    return table


def _ordered(indices: pd.DataFrame, spec: SensitivitySpec) -> pd.DataFrame:
    if indices.empty:
        return indices
    first = ["outcome", "factor", "label_en", "label_zh"]
    indices = indices.assign(
        label_en=[_factor_label(spec, f, "en") for f in indices["factor"]],
        label_zh=[_factor_label(spec, f, "zh") for f in indices["factor"]])
    rest = [c for c in indices.columns if c not in first]
    return indices[first + rest].sort_values(["outcome", "rank"], kind="stable",
                                             key=lambda c: c.map(_outcome_order(spec))
                                             if c.name == "outcome" else c,
                                             ignore_index=True)


def _outcome_order(spec: SensitivitySpec) -> dict[str, int]:
    return {name: i for i, name in enumerate(spec.outcomes)}


def _factor_label(spec: SensitivitySpec, name: str, lang: str) -> str:
    if name == DUMMY:
        return DUMMY_LABELS[lang]
    factor = spec.factor(name)
    return factor.label(lang) if factor is not None else name


# --- files --------------------------------------------------------------------------------------

def _kept(out: Path) -> tuple[SensitivitySpec, SweepSpec]:
    kept = []
    for name, model in ((SPEC_COPY, SensitivitySpec), (SWEEP_COPY, SweepSpec)):
        path = out / name
        if not path.is_file():
            raise ScenarioError(f"{out}: not a sensitivity analysis folder (missing {name})")
        try:  # the loader of every Catfish file: a key written twice is an error
            kept.append(model.model_validate(read_yaml(path)))
        except ValidationError as exc:
            raise ScenarioError(describe(exc, path)) from None
    spec, sweep = kept
    return spec, sweep


def _function_outcomes(outcomes: pd.DataFrame, sweep: SweepSpec) -> tuple[str, ...]:
    fixed = {"run_id", "point", "replicate", "seed", *sweep.factor_names}
    return tuple(c for c in outcomes.columns if c not in fixed)


def _write(out: Path, indices: pd.DataFrame, convergence: pd.DataFrame,
           means: pd.DataFrame) -> None:
    tables = {INDICES: indices, CONVERGENCE: convergence}
    claim(out, [*(f"{name}.{ext}" for name, table in tables.items() if len(table)
                  for ext in ("parquet", "csv")), POINT_MEANS])
    for name, table in tables.items():
        if len(table):
            write_atomic(out / f"{name}.parquet", lambda p, t=table: t.to_parquet(p, index=False))
            write_atomic(out / f"{name}.csv", lambda p, t=table: t.to_csv(p, index=False))
    write_atomic(out / POINT_MEANS, means.to_parquet)
