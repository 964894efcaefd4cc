"""The pilot dataset: every figure sourced, validated with one-line errors, and every target
computable from model runs."""

from __future__ import annotations

import math

import pytest
from catfish.calibration.data import FACTS_FILE, DataError, holdouts, load_facts, targets
from catfish.calibration.targets import (
    PILOT_CITIES,
    STATISTICS,
    check_targets,
    needed_scenarios,
    simulate,
)

SEEDS = ("000_fbaf39d82f06f33e.txt", "001_aade41351b5d5984.txt", "002_31f3f53ea9308f8b.txt",
         "003_d6282a14b597bc4a.txt", "004_dea92ac85e1a12a4.txt")


def test_shipped_dataset_loads_and_cites_every_source():
    facts = load_facts()
    assert len(facts) >= 40, f"every usable figure, got {len(facts)}"
    assert {f.source.file for f in facts} == set(SEEDS), "figures from all five documents"
    names = {f.name for f in targets()}
    for required in ("pilot_cities_below_15pct", "failures_early_middle_share", "payback_years",
                     "baoan_unclear_value", "baoan_exploring", "chengdu_pilot_firms_transformed",
                     "sichuan_efficiency_gain", "sichuan_revenue_gain"):
        assert required in names, f"{required} is a calibration target"
    visitors = next(f for f in facts if f.name == "jieyang_visitors_3_months")
    assert visitors.role == "input", \
        "the 500 visitors set the exchange sessions' size, so they are an input, not a target"
    held = {f.name for f in holdouts()}
    assert len(held) >= 3, f"at least three hold-outs the fit never sees, got {sorted(held)}"
    assert not held & names, f"a hold-out is never a target: {sorted(held & names)}"
    for fact in targets() + holdouts():
        assert fact.error_sd and fact.error_model, \
            f"{fact.name}: an observation error and why (error_sd, error_model)"
    ambiguous = next(f for f in facts if f.name == "jieyang_central_factory_output_per_m2")
    assert ambiguous.bounds == (2.2, 3.2), "'提升2.2倍' stays a range: x2.2 or +220 %"


def test_every_target_is_computed_from_the_model():
    facts = targets()
    check_targets(facts)
    assert set(needed_scenarios(facts)) >= {"chengdu-chain-led", PILOT_CITIES}, \
        "Chengdu and the ensemble of pilot cities"
    stats = simulate({"peer_effect_per_year": 0.38}, seed=1, facts=facts)
    assert set(stats) == {f.name for f in facts}, "one statistic per target"
    for name, value in stats.items():
        assert math.isfinite(value), f"{name} = {value}: finite for the default behaviour"
    assert all(STATISTICS[f.computed_as].description for f in facts), "statistics say what they are"


@pytest.mark.parametrize(("entry", "expected"), [
    ("{name: x, value: 1, unit: firms, date: 2024, place: p, scenario: null, role: target, "
     "computed_as: transformed_by_deadline, error_sd: 1, error_model: a count of firms, "
     "source: {file: 001_aade41351b5d5984.txt, quote: 成都}}",
     "scenario = None: a target is computed from a shipped"),
    ("{name: x, value: 1, unit: firms, date: 2024, place: p, scenario: chengdu-chain-led, "
     "role: holdout, computed_as: transformed_by_deadline, source: {file: "
     "001_aade41351b5d5984.txt, quote: 成都}}", "a holdout needs its observation error"),
    ("{name: x, value: 1, unit: firms, date: 2024, place: p, scenario: nowhere, role: input, "
     "computed_as: y, source: {file: 001_aade41351b5d5984.txt, quote: 成都}}",
     "[0].scenario = 'nowhere': not a shipped scenario"),
    ("{name: x, value: 1, low: 0, high: 2, unit: u, date: 2024, place: p, scenario: null, "
     "role: context, computed_as: y, source: {file: 001_aade41351b5d5984.txt, quote: 成都}}",
     "give a value or low and high, not both"),
    ("{name: x, value: 1, unit: u, date: 2024, place: p, scenario: null, role: context, "
     "computed_as: y, source: {file: report.pdf, quote: 成都}}", "source.file = 'report.pdf'"),
])
def test_bad_entries_get_one_line_errors(tmp_path, entry, expected):
    path = tmp_path / "facts.yaml"
    path.write_text(f"- {entry}\n", encoding="utf-8")
    with pytest.raises(DataError) as err:
        load_facts(path)
    message = str(err.value)
    assert expected in message and "\n" not in message and str(path) in message, message


def test_the_shipped_file_is_where_the_loader_looks():
    assert FACTS_FILE.is_file(), f"{FACTS_FILE} ships with the package"
