"""Bridges to the tools researchers already use: SALib's ``ProblemSpec`` and EMA Workbench.

Both read a sweep file (``docs/sweeps.md``): its base scenario, its factors (names, ranges or
levels, where each goes in the scenario) and its outcomes.

SALib::

    from SALib import ProblemSpec
    from catfish.bridges import salib_problem, salib_function

    sp = ProblemSpec(salib_problem("sweep-jieyang-2023"))
    sp.sample_sobol(64).evaluate(salib_function("sweep-jieyang-2023")).analyze_sobol()

EMA Workbench::

    from ema_workbench import perform_experiments
    from catfish.bridges import ema_model

    experiments, outcomes = perform_experiments(ema_model("sweep-jieyang-2023"),
                                                scenarios=50, policies=4)

A factor that sets a policy instrument or the budget (a path starting ``policies.`` or
``budget.``) is a *lever* for EMA Workbench, any other (behaviour, cluster) an *uncertainty*.
Every evaluation runs the model through ``catfish.sim.run_one`` on the base scenario with the
factors' values applied exactly as a sweep applies them, so the numbers are Catfish's own.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from catfish.experiments.runs.runner import pack_outcomes
from catfish.scenarios.factors import apply_factors
from catfish.scenarios.sweep import Factor, SweepSpec, load_sweep
from catfish.sim import run_one

__all__ = ["SweepFunction", "ema_model", "salib_function", "salib_problem"]

LEVER_PATHS = ("policies.", "budget.")


def _spec(sweep: str | Path | SweepSpec) -> SweepSpec:
    return sweep if isinstance(sweep, SweepSpec) else load_sweep(sweep)


def _applied(spec: SweepSpec) -> list[Factor]:
    return [f for f in spec.factors if f.applied]


def _bounds(factor: Factor) -> list[float]:
    if factor.levels is not None:  # levels: sampled by position, read back as the level
        return [0.0, float(len(factor.levels))]
    return [float(factor.low), float(factor.high)]


def salib_problem(sweep: str | Path | SweepSpec) -> dict[str, Any]:
    """A SALib problem (the dict ``ProblemSpec`` takes) from a sweep file's factors.

    A factor with ``levels`` is given the range [0, number of levels): a sample x stands for
    level ``floor(x)``, as Catfish's own sweeps read it. ``outputs`` are the sweep's outcomes.
    """
    spec = _spec(sweep)
    factors = _applied(spec)
    return {"num_vars": len(factors), "names": [f.name for f in factors],
            "bounds": [_bounds(f) for f in factors], "outputs": list(spec.outcomes)}


class SweepFunction:
    """The model as a function of a sweep's factors: ``f(X) -> Y``, one row per sample.

    Picklable (a class, not a closure), so ``ProblemSpec.evaluate(f, nprocs=2)`` can run it in
    processes. Each row runs ``replicates`` seeds (``seed``, ``seed + 1``, ...) and returns the
    mean of each outcome.

    Args:
        sweep: A sweep file (path or shipped name) or a loaded sweep.
        outcomes: The outcomes to return, one column each (default: the sweep's).
        replicates: Runs per row, averaged.
        seed: The first seed of every row (the same seeds for every row: common random
            numbers, as a sweep's default seed rule).
    """

    def __init__(self, sweep: str | Path | SweepSpec, *, outcomes: Sequence[str] | None = None,
                 replicates: int = 1, seed: int | None = None) -> None:
        self.spec = _spec(sweep)
        self.factors = _applied(self.spec)
        self.outcomes = tuple(outcomes or self.spec.outcomes)
        self.replicates = int(replicates)
        self.seed = self.spec.seed if seed is None else int(seed)

    def values(self, row: Sequence[float]) -> dict[str, Any]:
        """A sample row as the factors' values (a level for a factor with levels)."""
        found = {}
        for factor, x in zip(self.factors, row, strict=True):
            if factor.levels is not None:
                index = min(int(np.floor(x)), len(factor.levels) - 1)
                found[factor.name] = factor.typed(factor.levels[max(index, 0)])
            else:
                found[factor.name] = factor.typed(float(x))
        return found

    def evaluate(self, values: Mapping[str, Any]) -> dict[str, float]:
        """The outcomes, averaged over the replicates, at the factors' ``values``."""
        scenario = apply_factors(self.spec.base_scenario(),
                                 {f.path: values[f.name] for f in self.factors})
        runs = [pack_outcomes(run_one(scenario, seed=self.seed + r), self.outcomes)
                for r in range(self.replicates)]
        return {name: float(np.mean([float(run[name]) for run in runs]))
                for name in self.outcomes}

    def __call__(self, X: np.ndarray) -> np.ndarray:
        """One row of outcomes per row of ``X`` (a vector if there is one outcome)."""
        X = np.atleast_2d(np.asarray(X, dtype=float))
        Y = np.array([[row[name] for name in self.outcomes]
                      for row in (self.evaluate(self.values(x)) for x in X)])
        return Y[:, 0] if Y.shape[1] == 1 else Y


def salib_function(sweep: str | Path | SweepSpec, **options: Any) -> SweepFunction:
    """``f(X) -> Y`` for ``ProblemSpec.evaluate`` (see :class:`SweepFunction`)."""
    return SweepFunction(sweep, **options)


class _EmaFunction:
    """What EMA Workbench calls: keyword arguments by factor name -> outcomes by name."""

    def __init__(self, function: SweepFunction) -> None:
        self.function = function

    def __call__(self, **values: Any) -> dict[str, float]:
        return self.function.evaluate(values)


def ema_model(sweep: str | Path | SweepSpec, *, name: str | None = None,
              replicates: int = 1, seed: int | None = None) -> Any:
    """An EMA Workbench ``Model`` whose uncertainties, levers and outcomes come from a sweep file.

    Factors on ``policies.`` or ``budget.`` paths are levers, the others uncertainties; a
    factor with a range is a ``RealParameter`` (``IntegerParameter`` if its type is int), one
    with levels a ``CategoricalParameter``; every outcome of the sweep is a ``ScalarOutcome``.
    Works with EMA Workbench 2.5 and 3.x.
    """
    from ema_workbench import (
        CategoricalParameter,
        IntegerParameter,
        Model,
        RealParameter,
        ScalarOutcome,
    )

    function = SweepFunction(sweep, replicates=replicates, seed=seed)
    spec = function.spec

    def parameter(factor: Factor) -> Any:
        if factor.levels is not None:
            return CategoricalParameter(factor.name, list(factor.levels))
        if factor.type == "int":
            return IntegerParameter(factor.name, int(factor.low), int(factor.high))
        return RealParameter(factor.name, float(factor.low), float(factor.high))

    # EMA Workbench takes only letters and digits in a model's name
    model = Model(name or "".join(c for c in spec.name if c.isalnum()),
                  function=_EmaFunction(function))
    model.uncertainties = [parameter(f) for f in function.factors
                           if not f.path.startswith(LEVER_PATHS)]
    model.levers = [parameter(f) for f in function.factors if f.path.startswith(LEVER_PATHS)]
    model.outcomes = [ScalarOutcome(o) for o in function.outcomes]
    return model
