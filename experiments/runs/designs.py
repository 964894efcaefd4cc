"""Experimental designs of a sweep: the factor values of each design point, and its runs.

:func:`design_points` turns a sweep's design into a table, one row per design point and one
column per factor, deterministically from the sweep's seed. :func:`sweep_tasks` then yields
one :class:`SweepTask` per run, point by point and replicate by replicate, each carrying the
base scenario with the point's values applied; by default replicate r of every point uses
seed ``spec.seed + r`` (common random numbers), so two points differ by their factors, not by
luck (``seeds: independent`` gives every run its own seed instead).

Designs (``docs/sweeps.md``):

- ``grid``: every combination of the factors' levels (``itertools.product`` order, the first
  factor slowest); a range gives ``points_per_factor`` evenly spaced values, ends included.
- ``list``: the points the file lists, in its order.
- ``lhs``: a Latin hypercube (``scipy.stats.qmc.LatinHypercube``) scaled to each range.
- ``sobol``: Saltelli's scheme on a scrambled Sobol' sequence (``SALib.sample.sobol``), rows
  in SALib's order, which ``SALib.analyze.sobol`` expects.
- ``morris``: Morris trajectories (``SALib.sample.morris``), rows in SALib's order.

In ``lhs``, ``sobol`` and ``morris`` a factor with levels is sampled on [0, number of levels)
and the sample u picks level floor(u) (the last level for u at the upper end), so levels are
equally likely; an ``int`` factor's value is rounded to the nearest whole number (halves up).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from catfish.scenarios.loader import ScenarioError
from catfish.scenarios.schema import Scenario
from catfish.scenarios.sweep import (
    Factor,
    FactorError,
    GridDesign,
    LatinHypercubeDesign,
    ListDesign,
    MorrisDesign,
    SobolDesign,
    SweepSpec,
    apply_factors,
)
from catfish.sim.cost import RunCost, estimate
from SALib.sample import morris as morris_sampler
from scipy.stats import qmc

try:  # SALib >= 1.4.6; ``saltelli`` is the older, deprecated name of the same sampler
    from SALib.sample import sobol as sobol_sampler
except ImportError:  # pragma: no cover
    from SALib.sample import saltelli as sobol_sampler


SWEEP_COPY = "sweep.yaml"  # a sweep's store keeps the sweep file as it was run under this name


@dataclass(frozen=True)
class SweepTask:
    """One run of a sweep: a design point, a replicate, its seed and its scenario.

    Attributes:
        run_id: ``p{point:06d}-r{replicate:03d}``: stable, unique, sorts in run order.
        point: Design point number (the row label of :func:`design_points`).
        replicate: 0 .. replicates - 1.
        seed: ``spec.seed_of(point, replicate)``: by default ``spec.seed + replicate``, the
            same for a replicate at every point.
        values: Factor name -> value at this point (plain Python scalars).
        scenario: The base scenario with the point's values applied (shared by the point's
            replicates; frozen).
    """

    run_id: str
    point: int
    replicate: int
    seed: int
    values: dict[str, Any]
    scenario: Scenario

    @property
    def subject(self) -> Scenario:
        """What the model runs on: the point's scenario."""
        return self.scenario


def run_id(point: int, replicate: int) -> str:
    """The run id of a design point's replicate, e.g. ``p000017-r002``."""
    return f"p{point:06d}-r{replicate:03d}"


def count_points(spec: SweepSpec) -> int:
    """Number of design points of a sweep."""
    return spec.design.point_count(spec.factors)


def count_runs(spec: SweepSpec) -> int:
    """Number of runs of a sweep: design points x replicates."""
    return count_points(spec) * spec.replicates


def salib_problem(spec: SweepSpec) -> dict[str, Any]:
    """The SALib problem of a sweep: ``{num_vars, names, bounds}``, one entry per factor.

    A range's bounds are [low, high]; a factor with levels gets [0, number of levels] (its
    sample picks a level by index), so an analysis of the samples sees every factor as the
    sampler drew it.

    Raises:
        ValueError: A factor has neither a range nor levels (possible in a list design).
    """
    bounds = []
    for factor in spec.factors:
        if factor.is_range:
            bounds.append([factor.low, factor.high])
        elif factor.levels is not None:
            bounds.append([0.0, float(len(factor.levels))])
        else:
            raise ValueError(f"factor {factor.name!r} has neither a range nor levels, so it "
                             "has no bounds")
    return {"num_vars": len(spec.factors), "names": spec.factor_names, "bounds": bounds}


def sample_matrix(spec: SweepSpec) -> np.ndarray:
    """The sampler's raw matrix (points x factors, in problem units) of a sampled design.

    Row i is design point i; values are before rounding and before levels are picked, as
    ``SALib.analyze`` expects them (e.g. ``morris.analyze(problem, X, Y)``).

    Raises:
        ValueError: The design is a grid or a list (they are not sampled).
    """
    design = spec.design
    seed = spec.seed if getattr(design, "seed", None) is None else design.seed
    problem = salib_problem(spec)
    if isinstance(design, LatinHypercubeDesign):
        bounds = np.asarray(problem["bounds"], dtype=float)
        unit = _latin_hypercube(len(spec.factors), design.samples, seed)
        return bounds[:, 0] + unit * (bounds[:, 1] - bounds[:, 0])
    if isinstance(design, SobolDesign):
        return sobol_sampler.sample(problem, design.base_samples,
                                    calc_second_order=design.calc_second_order, seed=seed)
    if isinstance(design, MorrisDesign):
        return morris_sampler.sample(problem, design.trajectories,
                                     num_levels=design.num_levels, seed=seed)
    raise ValueError(f"a {design.kind} design is not sampled; use design_points")


def _latin_hypercube(dimensions: int, samples: int, seed: int) -> np.ndarray:
    generator = np.random.default_rng(seed)
    try:  # scipy >= 1.15 names it rng; older versions only know seed (same stream)
        sampler = qmc.LatinHypercube(d=dimensions, rng=generator)
    except TypeError:  # pragma: no cover
        sampler = qmc.LatinHypercube(d=dimensions, seed=generator)
    return sampler.random(samples)


def design_points(spec: SweepSpec) -> pd.DataFrame:
    """The design points of a sweep: one row per point, one column per factor.

    Values are typed as the scenario takes them (``int`` factors rounded, levels as written);
    the index, named ``point``, runs 0 .. P-1. The same spec gives the same table.
    """
    design = spec.design
    if isinstance(design, GridDesign):
        axes = [_grid_axis(f, design.points_per_factor) for f in spec.factors]
        rows = list(itertools.product(*axes))
        columns = {f.name: [row[j] for row in rows] for j, f in enumerate(spec.factors)}
    elif isinstance(design, ListDesign):
        columns = {f.name: [f.typed(p[f.name]) for p in design.points] for f in spec.factors}
    else:
        matrix = sample_matrix(spec)
        columns = {f.name: _from_samples(f, matrix[:, j]) for j, f in enumerate(spec.factors)}
    table = pd.DataFrame({name: pd.Series(values) for name, values in columns.items()})
    table.index = pd.RangeIndex(len(table), name="point")
    return table


def _grid_axis(factor: Factor, points: int) -> list[Any]:
    if factor.levels is not None:
        return [factor.typed(x) for x in factor.levels]
    return [factor.typed(float(x)) for x in np.linspace(factor.low, factor.high, points)]


def _from_samples(factor: Factor, samples: np.ndarray) -> list[Any]:
    if factor.levels is not None:
        last = len(factor.levels) - 1
        picks = np.minimum(np.floor(samples).astype(np.int64), last).clip(0)
        return [factor.typed(factor.levels[i]) for i in picks]
    return [factor.typed(float(x)) for x in samples]


def point_scenario(spec: SweepSpec, point: int, values: dict[str, Any]) -> Scenario:
    """The base scenario with one design point's values applied.

    Raises:
        ScenarioError: One line naming the sweep file, the design point, the factor, its
            value and what the scenario allows there.
    """
    applied = [f for f in spec.factors if f.applied]  # a dummy factor goes nowhere
    by_path = {f.path: f.name for f in applied}
    try:
        return apply_factors(spec.base_scenario(), {f.path: values[f.name] for f in applied})
    except FactorError as exc:
        where = f"{spec.path or spec.name}: design point {point}"
        if exc.path is not None:
            raise ScenarioError(f"{where}: factor {by_path[exc.path]} = {exc.value!r}: "
                                f"{exc.rule} (for {exc.path})") from None
        shown = ", ".join(f"{name} = {values[name]!r}" for name in spec.factor_names)
        raise ScenarioError(f"{where} ({shown}): {exc.rule}") from None


def sweep_tasks(spec: SweepSpec, points: pd.DataFrame, *,
                scenarios: bool = True) -> Iterator[SweepTask]:
    """The runs of a sweep, lazily, in run id order (point by point, then replicate).

    One scenario is built per design point and shared by its replicates, so memory holds
    only the point at hand. ``points`` may be a subset of :func:`design_points` (e.g. the
    points not yet run); its index gives the point numbers. With ``scenarios`` false no
    scenario is built (tasks carry None): a function, not the model, reads the values.

    Raises:
        ScenarioError: A point's values are not allowed (raised when that point is reached;
            call :func:`check_points` first to find every such problem before running).
        ValueError: ``points`` does not have one column per factor.
    """
    _check_columns(spec, points)
    names = spec.factor_names
    for point, *row in points[names].itertuples(index=True, name=None):
        values = {name: _native(value) for name, value in zip(names, row, strict=True)}
        point = int(point)
        scenario = point_scenario(spec, point, values) if scenarios else None
        for replicate in range(spec.replicates):
            yield SweepTask(run_id=run_id(point, replicate), point=point, replicate=replicate,
                            seed=spec.seed_of(point, replicate), values=dict(values),
                            scenario=scenario)


def check_points(spec: SweepSpec, points: pd.DataFrame) -> RunCost:
    """Build every point's scenario once and discard it, so a bad point stops a sweep early.

    Returns:
        The largest memory and time any one of its runs needs (``sim.cost``), so a sweep too
        big for the machine is refused before it starts.

    Raises:
        ScenarioError: The first point whose values are not allowed (one line).
    """
    _check_columns(spec, points)
    names = spec.factor_names
    largest = RunCost(bytes=0.0, seconds=0.0)
    for point, *row in points[names].itertuples(index=True, name=None):
        scenario = point_scenario(spec, int(point),
                                  {n: _native(v) for n, v in zip(names, row, strict=True)})
        cost = estimate(scenario.model_params())
        largest = RunCost(bytes=max(largest.bytes, cost.bytes),
                          seconds=max(largest.seconds, cost.seconds))
    return largest


def _check_columns(spec: SweepSpec, points: pd.DataFrame) -> None:
    missing = [name for name in spec.factor_names if name not in points.columns]
    if missing:
        raise ValueError(f"design points lack the factor columns {missing} "
                         f"(expected {spec.factor_names})")


def _native(value: Any) -> Any:
    """A plain Python scalar (numpy's become int, float, bool or str; NaN stays NaN)."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None  # pandas fills None levels with NaN in numeric columns; the file said null
    return value
