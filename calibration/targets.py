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
from catfish.calibration.data import Fact
from catfish.calibration.priors import for_scenario
from catfish.scenarios.cities import PILOT_ENSEMBLE, as_city, ensemble_traits
from catfish.sim import RunResult, run_one
from catfish.sim.calendar import month_index

from catfish import scenarios

EXPLORING = ("n_willing", "n_queued", "n_in_project")
# the pilot cities as the calibration simulates them: 12 cities of each region, each with its
# own traits drawn from its region scenario's `cities` section (scenarios/cities.py)
PILOT_CITIES = "pilot-cities"
ENSEMBLE_SEED_SALT = 7  # the traits' stream, apart from the runs' seeds


@dataclass(frozen=True)
class Statistic:
    """How a target is computed: from the runs of these scenarios (None: the target's own).

    ``PILOT_CITIES`` among the scenarios stands for the ensemble of pilot cities; its runs are
    ``runs[PILOT_CITIES]``, a list of (region scenario, run).
    """

    compute: Callable[[Mapping[str, Any], str], float]
    scenarios: tuple[str, ...] | None = None
    description: str = ""


def _outcome(name: str) -> Statistic:
    return Statistic(lambda runs, own: float(runs[own].outcomes[name]),
                     description=f"the run outcome {name} of the target's scenario")


def _row(result: RunResult, month: str) -> int:
    """Row of a calendar month in a run's time series (clipped to the run)."""
    step = month_index(result.params.start_month, month)
    return min(max(step, 1), len(result.timeseries)) - 1


def _share_at(columns: Sequence[str], month: str) -> Callable[[Mapping[str, Any], str], float]:
    def compute(runs: Mapping[str, Any], own: str) -> float:
        result = runs[own]
        row = result.timeseries.iloc[_row(result, month)]
        return float(sum(row[c] for c in columns)) / result.params.n_smes
    return compute


def _column_at(column: str, month: str) -> Callable[[Mapping[str, Any], str], float]:
    def compute(runs: Mapping[str, Any], own: str) -> float:
        result = runs[own]
        return float(result.timeseries[column].iloc[_row(result, month)])
    return compute


def _cities_below(share: float, month: str) -> Callable[[Mapping[str, Any], str], float]:
    def compute(runs: Mapping[str, Any], own: str) -> float:
        below = [result.timeseries["n_counted"].iloc[_row(result, month)]
                 < share * result.params.target_firms for _, result in runs[PILOT_CITIES]]
        return float(np.mean(below))
    return compute


def _cities_failures_early_middle(runs: Mapping[str, Any], own: str) -> float:
    """Early and middle failures as a share of all failures, pooled over the cities."""
    totals = np.zeros(4)
    for _, result in runs[PILOT_CITIES]:
        o = result.outcomes
        totals += [o["failed_early"], o["failed_middle"], o["failed_late"], o["rejected"]]
    failures = totals.sum()
    return float((totals[0] + totals[1]) / failures) if failures > 0 else float("nan")


def _cities_mean(name: str) -> Callable[[Mapping[str, Any], str], float]:
    def compute(runs: Mapping[str, Any], own: str) -> float:
        values = np.array([result.outcomes[name] for _, result in runs[PILOT_CITIES]], float)
        values = values[np.isfinite(values)]
        return float(values.mean()) if len(values) else float("nan")
    return compute


STATISTICS: dict[str, Statistic] = {
    "transformed_by_deadline": _outcome("transformed_by_deadline"),
    "deep_by_deadline": Statistic(
        lambda runs, own: float(runs[own].timeseries["n_deep"].iloc[
            runs[own].params.deadline_month - 1]),
        description="firms at the deep level at the deadline (n_deep)"),
    "mean_efficiency_gain_transformed": _outcome("mean_efficiency_gain_transformed"),
    "mean_revenue_gain_transformed": _outcome("mean_revenue_gain_transformed"),
    "transformed_2024_12": Statistic(
        _column_at("n_transformed", "2024-12"),
        description="firms transformed (n_transformed) in 2024-12"),
    "share_unaware_2025_08": Statistic(
        _share_at(("n_unaware",), "2025-08"),
        description="share of firms not (yet) willing in 2025-08 (n_unaware / SMEs)"),
    "share_exploring_2025_08": Statistic(
        _share_at(EXPLORING, "2025-08"),
        description="share of firms willing, queued or in a first project in 2025-08"),
    "share_of_cities_below_15pct_of_target_2025_10": Statistic(
        _cities_below(0.15, "2025-10"), scenarios=(PILOT_CITIES,),
        description="share of the 36 simulated pilot cities below 15 % of their target "
                    "(n_counted) in 2025-10"),
    "share_of_cities_below_30pct_of_target_2025_12": Statistic(
        _cities_below(0.30, "2025-12"), scenarios=(PILOT_CITIES,),
        description="share of the 36 simulated pilot cities below 30 % of their target "
                    "(n_counted) in 2025-12"),
    "cities_share_failures_early_middle": Statistic(
        _cities_failures_early_middle, scenarios=(PILOT_CITIES,),
        description="early and middle failures as a share of all failures (a rejection at "
                    "acceptance is a late failure), pooled over the 36 pilot cities"),
    "cities_mean_payback_years": Statistic(
        _cities_mean("mean_payback_years"), scenarios=(PILOT_CITIES,),
        description="mean payback of accepted projects (cost / realised annual benefit), "
                    "averaged over the 36 pilot cities"),
}


def check_targets(facts: Sequence[Fact]) -> None:
    """Every target names a statistic this module computes.

    Raises:
        ValueError: One line naming the target and the statistics that exist.
    """
    for fact in facts:
        if fact.role in ("target", "holdout") and fact.computed_as not in STATISTICS:
            raise ValueError(f"{fact.role} {fact.name}: computed_as = {fact.computed_as!r} is "
                             f"not a statistic (one of {', '.join(STATISTICS)})")


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
    runs: dict[str, Any] = {}
    for name in needed_scenarios(facts):
        if name == PILOT_CITIES:
            runs[name] = pilot_cities(theta, seed)
            continue
        params, mix = _scenario(name).model_inputs()
        runs[name] = run_one(params.replace(**for_scenario(theta, name)), seed=seed,
                             policies=mix)
    return {f.name: STATISTICS[f.computed_as].compute(runs, f.scenario) for f in facts}


def pilot_cities(theta: Mapping[str, float], seed: int) -> list[tuple[str, RunResult]]:
    """One run of each city of the pilot ensemble, with traits and seeds drawn from ``seed``.

    Fresh traits in every simulation: the 36 real cities are one draw of cities, so the
    simulated share of lagging cities varies as much as the observed one could.
    """
    rng = np.random.default_rng([seed, ENSEMBLE_SEED_SALT])
    regions = {name: _scenario(name) for name in PILOT_ENSEMBLE}
    runs = []
    for name, traits in ensemble_traits({n: s.cities for n, s in regions.items()},
                                        PILOT_ENSEMBLE, rng):
        params, mix = regions[name].model_inputs()
        params, mix = as_city(params.replace(**for_scenario(theta, name)), mix, traits)
        runs.append((name, run_one(params, seed=int(rng.integers(2**31)), policies=mix)))
    return runs


# Many parameter sets, each run once with its seed: (thetas, seeds, facts) -> statistics in
# the same order. The calibration's checks take one of these, so that whoever calls them
# decides where the runs go; ``catfish calibrate`` passes the experiment engine's (local
# processes or Dask, committed to a crash-safe store), the default runs them here.
SimulateMany = Callable[[Sequence[Mapping[str, float]], Sequence[int], Sequence[Fact]],
                        list[dict[str, float]]]


def simulate_here(thetas: Sequence[Mapping[str, float]], seeds: Sequence[int],
                  facts: Sequence[Fact]) -> list[dict[str, float]]:
    """:func:`simulate` for each parameter set and seed, one after another in this process."""
    return [simulate(theta, seed, facts) for theta, seed in zip(thetas, seeds, strict=True)]

