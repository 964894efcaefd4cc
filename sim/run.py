"""``run_one``: the single entry point every experiment uses (a plain, picklable function)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

import mesa
import numpy as np
import pandas as pd
from catfish.sim.calendar import calendar
from catfish.sim.metrics import outcomes
from catfish.sim.model import ClusterModel
from catfish.sim.params import ModelParams, ParameterError, default_params
from catfish.sim.policy import Instrument


class ModelInputs(Protocol):
    """Anything that can say which parameters and policy mix to run (e.g. a Scenario)."""

    def model_inputs(self) -> tuple[ModelParams, list[Instrument]]:
        """Return the parameters and the policy instruments of a run."""
        ...


class RunResult:
    """What one run produced.

    Attributes:
        timeseries: Tidy DataFrame, one row per month (columns in ``sim.codebook``), made
            from :attr:`columns` the first time it is asked for (a sweep stores the columns
            without ever making it).
        columns: The same time series as arrays by column name: ``month``, ``date``, then
            every reporter.
        outcomes: Run outcomes (name -> scalar), as in ``sim.codebook.OUTCOMES``.
        params: The parameters the run used.
        seed: The seed it used.
    """

    def __init__(self, timeseries: pd.DataFrame | None = None,
                 outcomes: dict[str, Any] | None = None, params: ModelParams | None = None,
                 seed: int = 0, *, columns: dict[str, np.ndarray] | None = None) -> None:
        if (timeseries is None) == (columns is None):
            raise ValueError("RunResult: give the time series as a DataFrame or as columns")
        self._timeseries = timeseries
        self._columns = columns
        self.outcomes = outcomes if outcomes is not None else {}
        self.params = params
        self.seed = seed

    @property
    def timeseries(self) -> pd.DataFrame:
        """The monthly time series, one row per month."""
        if self._timeseries is None:
            # arrays, not lists: pandas converts ready arrays several times faster
            self._timeseries = pd.DataFrame(self._columns, copy=False)
        return self._timeseries

    @property
    def columns(self) -> dict[str, np.ndarray]:
        """The time series' columns by name, as arrays."""
        if self._columns is None:
            self._columns = {name: column.to_numpy()
                             for name, column in self._timeseries.items()}
        return self._columns

    def __repr__(self) -> str:
        return (f"RunResult(seed={self.seed}, months={len(next(iter(self.columns.values())))}, "
                f"outcomes={self.outcomes!r})")


def run_one(params_or_scenario: ModelParams | ModelInputs | None = None, *, seed: int,
            months: int | None = None, policies: list[Instrument] | None = None,
            progress: Callable[[int], None] | None = None, **overrides: Any) -> RunResult:
    """Run the model once and return its time series and outcomes.

    Args:
        params_or_scenario: ``ModelParams``, an object with ``model_inputs()`` (a scenario), or
            ``None`` for the built-in default (Jieyang plastics cluster, 36 months).
        seed: Seed; the same seed gives identical results.
        months: Months to run (default: the parameters' ``months``).
        policies: Policy instruments (default: the scenario's, or the built-in mix).
        progress: Called with 1 after each month (a progress bar for a long run).
        **overrides: ``ModelParams`` fields to change, e.g. ``n_smes=2000``.

    Raises:
        ParameterError: A parameter is unknown or out of range.
    """
    if params_or_scenario is None or isinstance(params_or_scenario, ModelParams):
        params, mix = params_or_scenario or default_params(), None
    elif hasattr(params_or_scenario, "model_inputs"):
        params, mix = params_or_scenario.model_inputs()
    else:
        raise ParameterError(f"run_one: expected ModelParams, a scenario or None, got "
                             f"{type(params_or_scenario).__name__}")
    if months is not None:
        overrides["months"] = months
        overrides.setdefault("deadline_month", min(months, params.deadline_month))
    model = ClusterModel(params, rng=seed, policies=policies if policies is not None else mix,
                         **overrides)
    while model.running:
        model.step()
        if progress is not None:
            progress(1)
    return finish_run(model)


def finish_run(model: ClusterModel) -> RunResult:
    """A model that has run: its time series and outcomes, as :func:`run_one` returns them.

    Releases the model from Mesa 3.3's registry first (:func:`_release_from_mesa`).
    """
    _release_from_mesa(model)
    columns = model.datacollector.columns()
    n = len(next(iter(columns.values())))
    series = {"month": np.arange(1, n + 1),
              "date": np.array(calendar(model.params.start_month, n), dtype=object), **columns}
    return RunResult(columns=series, outcomes=outcomes(model, columns), params=model.params,
                     seed=model.seed)


def _release_from_mesa(model: ClusterModel) -> None:
    """Let a finished model be garbage-collected under Mesa 3.3.

    Mesa 3.3 numbers agents in a class-level dict keyed by model (``mesa.Agent._ids``), which
    keeps every model ever built alive: about 2 MB per run, so experiments running hundreds of
    models in one process grow to gigabytes. Mesa 3.5 has no such dict.
    """
    ids = getattr(mesa.Agent, "_ids", None)
    if isinstance(ids, dict):
        ids.pop(model, None)
