"""Cities that differ: trait draws, a typical city turned into another, the ensemble, counting.

Layers: the pure rules (draws inside their ranges, the neutral city unchanged, months moved),
validation of the scenario section, the acceptance rule's counting window (an invariant of a
run), the direction of each trait's effect with paired seeds, and the ensemble the
calibration simulates.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from catfish.calibration.targets import PILOT_CITIES, STATISTICS, pilot_cities
from catfish.scenarios.cities import (
    PILOT_ENSEMBLE,
    CityTraits,
    as_city,
    draw_traits,
    ensemble_traits,
)
from catfish.scenarios.loader import ScenarioError
from catfish.sim import run_one
from catfish.sim.calendar import month_index

from catfish import scenarios


@pytest.fixture(scope="module")
def central():
    return scenarios.load("pilot-city-central")


def test_traits_are_drawn_inside_their_ranges(central):
    rng = np.random.default_rng(3)
    cities = central.cities
    for _ in range(200):
        traits = draw_traits(cities, rng)
        for name in ("promotion_factor", "providers_factor", "readiness_shift"):
            span = getattr(cities, name)
            value = getattr(traits, name)
            assert span.low <= value <= span.high, f"{name} = {value} inside {span}"
        delay = traits.start_delay_months
        assert isinstance(delay, int), f"the delay is whole months, got {delay!r}"
        assert cities.start_delay_months.low <= delay <= cities.start_delay_months.high, \
            f"delay {delay} inside its range"


def test_the_neutral_city_is_the_scenario_itself(central):
    params, mix = central.model_inputs()
    city, city_mix = as_city(params, mix, CityTraits())
    assert city == params, "factor 1, shift 0 and no delay change no parameter"
    assert city_mix == mix, "and no instrument"


def test_a_city_scales_promotion_and_providers_and_moves_every_start(central):
    params, mix = central.model_inputs()
    traits = CityTraits(promotion_factor=0.5, providers_factor=0.5, start_delay_months=7,
                        readiness_shift=-0.1)
    city, city_mix = as_city(params, mix, traits)
    assert city.promotion_per_year == pytest.approx(params.promotion_per_year * 0.5), \
        "promotion halved"
    assert city.n_providers == round(params.n_providers * 0.5), "half the providers at start"
    assert city.max_providers >= city.n_providers, "the limit stays at least the start"
    assert city.talent_mean == pytest.approx(params.talent_mean - 0.1), "readiness shifted"
    for before, after in zip(mix, city_mix, strict=True):
        if hasattr(before, "start"):
            first = before.start or params.start_month
            assert month_index(first, after.start) == 8, \
                f"{before.name}: its start 7 months later ({first} -> {after.start})"
        else:
            assert after == before, f"{before.name} has no start and is unchanged"


def test_readiness_stays_inside_the_traits_domain(central):
    params, mix = central.model_inputs()
    city, _ = as_city(params, mix, CityTraits(readiness_shift=0.5))
    assert city.infrastructure_mean <= 0.95, "a beta mean stays below 1"


@pytest.mark.parametrize(("cities", "expected"), [
    ("{promotion_factor: {low: 1.2, high: 2}}", "must contain 1"),
    ("{start_delay_months: {low: 0, high: 500}}", "must lie in 0-120 months"),
    ("{readiness_shift: {low: 0.1, high: -0.1}}", "must not be above high"),
    ("{providers_factor: {low: 0, high: 2}}", "factors must be above 0"),
    ("{speed: {low: 0, high: 1}}", "speed"),
])
def test_a_bad_cities_section_gets_one_line_naming_it(tmp_path, central, cities, expected):
    text = (scenarios.loader.SHIPPED / "pilot-city-central.yaml").read_text(encoding="utf-8")
    start = text.index("\ncities:\n")
    end = text.index("\nbehaviour:")
    path = tmp_path / "city.yaml"
    path.write_text(text[:start] + f"\ncities: {cities}" + text[end:], encoding="utf-8")
    with pytest.raises(ScenarioError) as err:
        scenarios.load(path)
    message = str(err.value)
    assert "\n" not in message, f"one line, got {message!r}"
    assert "cities" in message and expected in message, \
        f"names the section and says {expected!r}: {message!r}"


def test_acceptances_before_the_rule_starts_do_not_count(central):
    params, mix = central.model_inputs()
    run = run_one(params, seed=4, policies=mix)
    series = run.timeseries
    rule = next(i for i in mix if i.name == "acceptance_rule")
    before = month_index(params.start_month, rule.start) - 1  # the last month before it
    assert series["n_transformed"].iloc[before - 1] > 0, \
        "firms transform before the city counts (promotion and peers need no programme)"
    assert series["n_counted"].iloc[before - 1] == 0, "none of them counts"
    assert (series["n_counted"] <= series["n_transformed"]).all(), \
        "counted firms are transformed firms"
    assert series["n_counted"].iloc[-1] > 0, "acceptances from the rule's start count"


@pytest.mark.parametrize(("trait", "value"), [("start_delay_months", 12),
                                              ("promotion_factor", 0.2)])
def test_a_late_or_quiet_city_counts_fewer_firms(central, trait, value):
    params, _ = central.model_inputs()
    traits = dataclasses.replace(CityTraits(), **{trait: value})
    typical = [run_one(params, seed=s, policies=central.instruments())
               .outcomes["transformed_by_deadline"] for s in range(3)]

    def in_the_city(seed):  # fresh instruments each run: instruments keep run state
        city, mix = as_city(params, central.instruments(), traits)
        return run_one(city, seed=seed, policies=mix).outcomes["transformed_by_deadline"]

    lagging = [in_the_city(s) for s in range(3)]
    assert np.mean(lagging) < 0.9 * np.mean(typical), \
        f"{trait} = {value}: fewer counted firms ({np.mean(lagging):.0f} against " \
        f"{np.mean(typical):.0f}, three paired seeds)"


def test_the_ensemble_is_36_cities_with_fresh_traits_per_seed():
    regions = {n: scenarios.load(n).cities for n in PILOT_ENSEMBLE}
    first = ensemble_traits(regions, PILOT_ENSEMBLE, np.random.default_rng(1))
    again = ensemble_traits(regions, PILOT_ENSEMBLE, np.random.default_rng(1))
    other = ensemble_traits(regions, PILOT_ENSEMBLE, np.random.default_rng(2))
    assert len(first) == 36, f"12 cities of each of three regions, got {len(first)}"
    assert [name for name, _ in first].count("pilot-city-west") == 12, "12 western cities"
    assert first == again, "the same seed draws the same cities"
    assert first != other, "another seed draws other cities"


@pytest.mark.slow
def test_the_lagging_share_is_computed_over_the_ensemble():
    runs = {PILOT_CITIES: pilot_cities({}, seed=5)}
    share = STATISTICS["share_of_cities_below_15pct_of_target_2025_10"].compute(runs, "")
    assert len(runs[PILOT_CITIES]) == 36, "one run per city"
    assert 0 <= share <= 1 and (share * 36) == pytest.approx(round(share * 36)), \
        f"a share of 36 cities, got {share}"
    failures = STATISTICS["cities_share_failures_early_middle"].compute(runs, "")
    assert 0 < failures < 1, f"a pooled share of failures, got {failures}"
