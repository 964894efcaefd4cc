"""Summary statistics: how each target of the pilot dataset is computed from model runs.

A target's ``computed_as`` names one of :data:`STATISTICS`. Each statistic says which shipped
scenarios it needs and computes one number from their runs. :func:`simulate` runs every
scenario the targets need once, with the behavioural parameters under calibration set to a
candidate's values, and returns every target's statistic: what ABC compares with the data.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np

import scenarios
from calibration.data import Fact
from calibration.priors import for_scenario
from sim import RunResult, run_one
from sim.calendar import month_index

PILOT_CITIES = ("pilot-city-east", "pilot-city-central", "pilot-city-west")
EXPLORING = ("n_willing", "n_queued", "n_in_project")


@dataclass(frozen=True)
class Statistic:
    """How a target is computed: from the runs of these scenarios (None: the target's own)."""

    compute: Callable[[Mapping[str, RunResult], str], float]
    scenarios: tuple[str, ...] | None = None
    description: str = ""


def _outcome(name: str) -> Statistic:
    return Statistic(lambda runs, own: float(runs[own].outcomes[name]),
                     description=f"the run outcome {name} of the target's scenario")


def _row(result: RunResult, month: str) -> int:
    """Row of a calendar month in a run's time series (clipped to the run)."""
    step = month_index(result.params.start_month, month)
    return min(max(step, 1), len(result.timeseries)) - 1


def _share_at(columns: Sequence[str], month: str) -> Callable[[Mapping[str, RunResult], str],
                                                              float]:
    def compute(runs: Mapping[str, RunResult], own: str) -> float:
        result = runs[own]
        row = result.timeseries.iloc[_row(result, month)]
        return float(sum(row[c] for c in columns)) / result.params.n_smes
    return compute


def _visits_after_central_factory(runs: Mapping[str, RunResult], own: str) -> float:
    result = runs[own]
    opening = result.params.central_factory_month
    if opening <= 0:
        return float("nan")
    visits = result.timeseries["new_visits"].to_numpy()
    return float(visits[opening - 1: opening + 2].sum())


def _cities_below(share: float, month: str) -> Callable[[Mapping[str, RunResult], str], float]:
    def compute(runs: Mapping[str, RunResult], own: str) -> float:
        below = []
        for name in PILOT_CITIES:
            result = runs[name]
            counted = result.timeseries["n_counted"].to_numpy()[_row(result, month)]
            below.append(counted < share * result.params.target_firms)
        return float(np.mean(below))
    return compute


STATISTICS: dict[str, Statistic] = {
    "transformed_by_deadline": _outcome("transformed_by_deadline"),
    "share_failures_early_middle": _outcome("share_failures_early_middle"),
    "mean_payback_years": _outcome("mean_payback_years"),
    "mean_efficiency_gain_transformed": _outcome("mean_efficiency_gain_transformed"),
    "mean_revenue_gain_transformed": _outcome("mean_revenue_gain_transformed"),
    "visits_3_months_after_central_factory": Statistic(
        _visits_after_central_factory,
        description="firm visits in the central factory's first three months (new_visits)"),
    "share_unaware_2025_08": Statistic(
        _share_at(("n_unaware",), "2025-08"),
        description="share of firms not (yet) willing in 2025-08 (n_unaware / SMEs)"),
    "share_exploring_2025_08": Statistic(
        _share_at(EXPLORING, "2025-08"),
        description="share of firms willing, queued or in a first project in 2025-08"),
    "share_of_cities_below_15pct_of_target_2025_10": Statistic(
        _cities_below(0.15, "2025-10"), scenarios=PILOT_CITIES,
        description="share of the three pilot-city scenarios (east, central, west) below 15 % "
                    "of their target in 2025-10"),
}


def check_targets(facts: Sequence[Fact]) -> None:
    """Every target names a statistic this module computes.

    Raises:
        ValueError: One line naming the target and the statistics that exist.
    """
    for fact in facts:
        if fact.role == "target" and fact.computed_as not in STATISTICS:
            raise ValueError(f"target {fact.name}: computed_as = {fact.computed_as!r} is not a "
                             f"statistic (one of {', '.join(STATISTICS)})")


def needed_scenarios(facts: Sequence[Fact]) -> tuple[str, ...]:
    """The shipped scenarios the targets' statistics run, in a stable order."""
    names: dict[str, None] = {}
    for fact in facts:
        statistic = STATISTICS[fact.computed_as]
        for name in statistic.scenarios or (fact.scenario,):
            names[name] = None
    return tuple(names)


@cache
def _scenario(name: str) -> Any:
    return scenarios.load(name)


def simulate(theta: Mapping[str, float], seed: int, facts: Sequence[Fact]) -> dict[str, float]:
    """Every target's statistic from one run of each scenario the targets need.

    Args:
        theta: Behavioural parameters (``ModelParams`` names) and their candidate values; they
            replace the scenarios' own values (a parameter whose prior names one scenario
            only in that scenario).
        seed: The runs' seed (the same for every scenario).
        facts: The targets.
    """
    runs = {}
    for name in needed_scenarios(facts):
        params, mix = _scenario(name).model_inputs()
        runs[name] = run_one(params.replace(**for_scenario(theta, name)), seed=seed,
                             policies=mix)
    return {f.name: STATISTICS[f.computed_as].compute(runs, f.scenario) for f in facts}
