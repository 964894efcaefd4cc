"""ABC-SMC runs, writes its history, and carries on from it (small versions)."""

from __future__ import annotations

import numpy as np

from calibration.abc import Distance, Settings, calibrate, scaled_miss
from calibration.data import targets


def chengdu_only():
    return [f for f in targets() if f.name == "chengdu_pilot_firms_transformed"]


def test_distance_is_zero_inside_a_range_and_scaled_by_tolerance():
    facts = [f for f in targets() if f.name in ("pilot_cities_below_15pct", "payback_years")]
    ranged = next(f for f in facts if f.low is not None)
    assert scaled_miss((ranged.low + ranged.high) / 2, ranged) == 0.0, "inside the range"
    point = next(f for f in facts if f.value is not None)
    assert scaled_miss(point.observed + 2 * point.tolerance, point) == 2.0, "two tolerances off"
    distance = Distance(facts)
    assert distance({ranged.name: ranged.low, point.name: point.observed + point.tolerance},
                    {}) == 1.0, "root of summed squares"
    assert distance({ranged.name: float("nan"), point.name: 4.2}, {}) == float("inf"), \
        "a statistic the run could not compute never matches"


def test_small_calibration_runs_and_resumes_from_its_database(tmp_path):
    settings = Settings(population=6, generations=1, min_epsilon=0.0, ppc_draws=2)
    first = calibrate(tmp_path, facts=chengdu_only(), settings=settings, workers=1,
                      parameters=("visit_conversion_prob", "competition_per_year"))
    assert (tmp_path / "abc.db").is_file(), "pyabc's history is kept in the output folder"
    assert first.generations == 1 and len(first.posterior) == 6, "one generation of 6"
    assert np.isclose(first.posterior["weight"].sum(), 1.0), "weights sum to one"
    more = Settings(population=6, generations=2, min_epsilon=0.0, ppc_draws=2)
    second = calibrate(tmp_path, facts=chengdu_only(), settings=more, workers=1,
                       parameters=("visit_conversion_prob", "competition_per_year"))
    assert second.generations == 2, "the second call carries on with one more generation"
    assert second.simulations > first.simulations, "simulations add up across sessions"
