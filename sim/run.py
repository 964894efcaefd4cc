"""``run_one``: the single entry point every experiment uses (a plain, picklable function)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import mesa
import numpy as np
import pandas as pd
from catfish.sim.calendar import calendar
from catfish.sim.metrics import outcomes
from catfish.sim.model import ClusterModel
from catfish.sim.params import ModelParams, ParameterError
from catfish.sim.policy import Instrument


class ModelInputs(Protocol):
    """Anything that can say which parameters and policy mix to run (e.g. a Scenario)."""

    def model_inputs(self) -> tuple[ModelParams, list[Instrument]]:
        """Return the parameters and the policy instruments of a run."""
        ...


@dataclass
class RunResult:
    """What one run produced.

    Attributes:
        timeseries: Tidy DataFrame, one row per month (columns in ``sim.codebook``).
        outcomes: Run outcomes (name -> scalar), as in ``sim.codebook.OUTCOMES``.
        params: The parameters the run used.
        seed: The seed it used.
    """

    timeseries: pd.DataFrame
    outcomes: dict[str, Any]
    params: ModelParams
    seed: int


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
        params, mix = params_or_scenario or ModelParams(), None
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
    _release_from_mesa(model)
    # arrays first: pandas converts ready arrays several times faster than lists
    columns = {name: np.array(values) for name, values in model.datacollector.model_vars.items()}
    n = len(next(iter(columns.values())))
    ts = pd.DataFrame({"month": np.arange(1, n + 1),
                       "date": np.array(calendar(model.params.start_month, n), dtype=object),
                       **columns}, copy=False)
    return RunResult(timeseries=ts, outcomes=outcomes(model, columns), params=model.params,
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
