"""Every input file and value Catfish reads is confined and validated.

Each test is one way a file or a value used to get through: a key written twice, a control or
bidirectional-override character in text, NaN or infinity, true/false for a number, providers
fewer than the initial ones, an instrument month outside the run, a parameter set or a file
named by a path where a shipped name is meant, a posterior that sets the cluster, and a firm
whose numbers overflow. Every refusal is one line naming the file, the path, the value and
what is allowed.
"""

from __future__ import annotations

import copy
import dataclasses
import itertools
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from catfish.calibration.data import DataError, load_facts
from catfish.calibration.posterior import DEFAULT_POSTERIOR, load_posterior
from catfish.calibration.priors import PriorsError, load_priors
from catfish.experiments.analysis.sensitivity import SPEC_COPY
from catfish.experiments.cli import main
from catfish.experiments.explore.firm import MAX_RMB, Firm, FirmError, evaluate
from catfish.experiments.jobs.sensitivity import analyse
from catfish.experiments.jobs.sweep import SWEEP_COPY
from catfish.experiments.runs.sensitivity_spec import parse_sensitivity
from catfish.scenarios import ScenarioError, parameter_sets
from catfish.scenarios import comparison as comparisons
from catfish.scenarios.loader import check_instrument, resolve
from catfish.scenarios.parameter_sets import ParameterSetError
from catfish.scenarios.sweep import load_sweep, parse_sweep
from catfish.sim import ModelParams
from catfish.sim.params import ParameterError
from catfish.sim.policy import REGISTRY
from click.testing import CliRunner

from catfish import scenarios
from tests.conftest import write_yaml
from tests.test_compare import SMALL_SCENARIO

SHIPPED = Path(scenarios.__file__).parent

# the comparison tests' small cluster, with two lead firms (a central factory and one more)
SMALL = {**SMALL_SCENARIO, "cluster": {
    **SMALL_SCENARIO["cluster"],
    "lead_firms": {"per_sector": 2, "central_factory": {"opening": "2020-11"}}}}


def small(**changes) -> dict:
    """The small scenario's data with top-level sections replaced."""
    data = copy.deepcopy(SMALL)
    data.update(copy.deepcopy(changes))
    return data


def refused(data: dict, source: str = "x.yaml") -> str:
    """The one-line message a scenario's data is refused with."""
    with pytest.raises(ScenarioError) as caught:
        scenarios.parse(data, source)
    message = str(caught.value)
    assert "\n" not in message, f"expected one line, got {message!r}"
    return message


def comparison_data(**changes) -> dict:
    data = {"name": "compare-small", "labels": {"zh": "比较", "en": "Comparison"},
            "base": "small.yaml", "replicates": 2,
            "mixes": [{"name": "no-grant", "labels": {"zh": "无", "en": "None"},
                       "policies": []}]}
    data.update(changes)
    return data


def sweep_data(**changes) -> dict:
    data = {"name": "sweep-small", "labels": {"zh": "扫描", "en": "Sweep"},
            "base": "small.yaml",
            "factors": [{"name": "grant_share", "path": "policies.grant.share",
                         "low": 0.1, "high": 0.5}],
            "design": {"kind": "lhs", "samples": 4}}
    data.update(changes)
    return data


# --- 1. a key written twice ------------------------------------------------------------------

def test_a_key_written_twice_in_a_scenario_file_is_refused_with_both_lines(tmp_path):
    text = yaml.safe_dump(SMALL, allow_unicode=True, sort_keys=False)
    path = tmp_path / "twice.yaml"
    path.write_text(text + "name: other-name\n", encoding="utf-8")
    line = len(text.splitlines()) + 1
    with pytest.raises(ScenarioError) as caught:
        scenarios.load(path)
    expected = f"{path}:{line}:1: key 'name' appears twice (first at line 1)"
    assert str(caught.value) == expected, f"expected {expected!r}, got {caught.value}"
    # what the safe loader did before stays: merge keys, 1e9 as text, months as text
    merged = tmp_path / "merged.yaml"
    merged.write_text("a: &b {x: 1, y: 2}\nc:\n  <<: *b\n  x: 3\nd: 1e9\ne: 2020-05\n",
                      encoding="utf-8")
    got = scenarios.loader.read_yaml(merged)
    assert got == {"a": {"x": 1, "y": 2}, "c": {"x": 3, "y": 2}, "d": "1e9", "e": "2020-05"}, \
        f"expected the safe loader's reading (merge keys override, 1e9 text), got {got}"


def test_a_key_written_twice_in_a_parameter_set_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(parameter_sets, "SETS", tmp_path)
    (tmp_path / "twice.yaml").write_text(
        "name: twice\ndescription: d\nparameters:\n  cost_sensitivity: 1.0\n"
        "  cost_sensitivity: 9.0\n", encoding="utf-8")
    with pytest.raises(ParameterSetError) as caught:
        parameter_sets.values("twice")
    expected = "shipped parameter set 'twice':5:3: key 'cost_sensitivity' appears twice " \
               "(first at line 4)"
    assert str(caught.value) == expected, f"expected {expected!r}, got {caught.value}"


def test_a_key_written_twice_in_a_kept_sensitivity_file_is_refused(tmp_path):
    (tmp_path / SPEC_COPY).write_text("name: sa-x\nname: sa-y\n", encoding="utf-8")
    (tmp_path / SWEEP_COPY).write_text("name: sweep-x\n", encoding="utf-8")
    with pytest.raises(ScenarioError) as caught:
        analyse(tmp_path, report=False)
    expected = f"{tmp_path / SPEC_COPY}:2:1: key 'name' appears twice (first at line 1)"
    assert str(caught.value) == expected, f"expected {expected!r}, got {caught.value}"


# --- 2. control and bidirectional-override characters in text --------------------------------

def _scenario_refused(change, tmp_path):
    data = small()
    change(data)
    return refused(data)


def _comparison_refused(change, tmp_path):
    write_yaml(tmp_path / "small.yaml", SMALL)
    data = comparison_data()
    change(data)
    with pytest.raises(ScenarioError) as caught:
        comparisons.parse(data, tmp_path / "compare-small.yaml")
    return str(caught.value)


def _sweep_refused(change, tmp_path):
    write_yaml(tmp_path / "small.yaml", SMALL)
    data = sweep_data()
    change(data)
    with pytest.raises(ScenarioError) as caught:
        parse_sweep(data, tmp_path / "sweep-small.yaml")
    return str(caught.value)


def _sensitivity_refused(change, tmp_path):
    data = {"name": "sa-small", "labels": {"zh": "敏感性", "en": "Sensitivity"},
            "base": "jieyang-city-2023", "n": 2,
            "factors": [{"name": "peer", "path": "behaviour.overrides.peer_effect_per_year"}]}
    change(data)
    with pytest.raises(ScenarioError) as caught:
        parse_sensitivity(data, tmp_path / "sa-small.yaml")
    return str(caught.value)


def _priors_refused(change, tmp_path):
    entries = [{"parameter": "risk_aversion", "low": 1.0, "high": 9.0, "source": "assumption"}]
    change(entries)
    path = write_yaml(tmp_path / "priors.yaml", entries)
    with pytest.raises(PriorsError) as caught:
        load_priors(path)
    return str(caught.value)


def _facts_refused(change, tmp_path):
    entries = [{"name": "firms", "value": 200, "unit": "firms", "date": "2025",
                "place": "Jieyang", "scenario": None, "role": "context",
                "computed_as": "not used", "source": {"file": "002_0123456789abcdef.txt",
                                                      "quote": "二百家"}}]
    change(entries)
    path = write_yaml(tmp_path / "facts.yaml", entries)
    with pytest.raises(DataError) as caught:
        load_facts(path)
    return str(caught.value)


def _parameter_set_refused(change, tmp_path):
    data = {"name": "mine", "description": "d", "parameters": {"cost_sensitivity": 1.0}}
    change(data)
    path = write_yaml(tmp_path / "mine.yaml", data)
    with pytest.raises(ParameterSetError) as caught:
        parameter_sets.load(path)
    return str(caught.value)


@pytest.mark.parametrize(("kind", "change", "expected"), [
    (_scenario_refused, lambda d: d["labels"].update(en="a\x00b"),
     "x.yaml: labels.en = 'a\\x00b': contains the control character U+0000 (NUL); text may "
     "not hold control or bidirectional-override characters"),
    (_scenario_refused, lambda d: d.update(description="pay \u202eeno\u202c now"),
     "x.yaml: description = 'pay \\u202eeno\\u202c now': contains the bidirectional control "
     "character U+202E (RIGHT-TO-LEFT OVERRIDE)"),
    (_scenario_refused, lambda d: d["sources"][0].update(note="line\x1b[2Jgone"),
     "x.yaml: sources[0].note = 'line\\x1b[2Jgone': contains the control character U+001B "
     "(ESC)"),
    (_scenario_refused, lambda d: d.update(behaviour={"overrides": {"risk\x00": 1.0}}),
     "x.yaml: behaviour.overrides = {'risk\\x00': 1.0}: the key 'risk\\x00' contains the "
     "control character U+0000 (NUL)"),
    (_scenario_refused, lambda d: d["policies"].append(
        {"instrument": "central_factory", "sector": "plastics\u2066"}),
     "x.yaml: policies[1].sector = 'plastics\\u2066': contains the bidirectional control "
     "character U+2066 (LEFT-TO-RIGHT ISOLATE)"),
    (_scenario_refused, lambda d: d["cluster"]["smes"]["sectors"][0].update(
        labels={"zh": "塑料\x85", "en": "Plastics"}),
     "x.yaml: cluster.smes.sectors[0].labels.zh = '塑料\\x85': contains the control character "
     "U+0085 (NEL)"),
    (_comparison_refused, lambda d: d["mixes"][0]["labels"].update(en="None\u200f"),
     "compare-small.yaml: mixes[0].labels.en = 'None\\u200f': contains the bidirectional "
     "control character U+200F (RIGHT-TO-LEFT MARK)"),
    (_sweep_refused, lambda d: d["factors"].append(
        {"name": "paid_on", "path": "policies.grant.paid_on", "levels": ["start\x00"]}),
     "sweep-small.yaml: factors[1].levels[0] = 'start\\x00': contains the control character "
     "U+0000 (NUL)"),
    (_sweep_refused, lambda d: d.update(design={"kind": "list", "points": [
        {"grant_share": 0.2, "note\x07": 1}]}),
     "sweep-small.yaml: design.points[0] = {'grant_share': 0.2, 'note\\x07': 1}: the key "
     "'note\\x07' contains the control character U+0007 (BEL)"),
    (_sensitivity_refused, lambda d: d.update(description="\u061cx"),
     "sa-small.yaml: description = '\\u061cx': contains the bidirectional control character "
     "U+061C (ARABIC LETTER MARK)"),
    (_priors_refused, lambda e: e[0].update(source="assumption\x7f"),
     "priors.yaml: [0].source = 'assumption\\x7f': contains the control character U+007F "
     "(DEL)"),
    (_facts_refused, lambda e: e[0]["source"].update(quote="二百\u202d家"),
     "facts.yaml: [0].source.quote = '二百\\u202d家': contains the bidirectional control "
     "character U+202D (LEFT-TO-RIGHT OVERRIDE)"),
    (_parameter_set_refused, lambda d: d.update(description="d\x00"),
     "mine.yaml: description = 'd\\x00': contains the control character U+0000 (NUL)"),
])
def test_text_with_control_or_bidi_characters_is_refused(kind, change, expected, tmp_path):
    message = kind(change, tmp_path)
    assert expected in message, f"expected {expected!r} in {message!r}"
    assert message.isprintable(), f"expected the character escaped, got {message!r}"
    assert "\n" not in message, f"expected one line, got {message!r}"


def test_tab_newline_and_carriage_return_stay_allowed_in_text():
    data = small(description="first line\n\tsecond line\r\n")
    got = scenarios.parse(data, "x.yaml").description
    assert got == "first line\n\tsecond line\r\n", f"expected the text kept, got {got!r}"
    with pytest.raises(ScenarioError, match=r"U\+000B \(VT\)"):
        scenarios.parse(small(description="a\vb"), "x.yaml")


# --- 3. NaN and infinity ---------------------------------------------------------------------

FLOAT_PARAMETERS = [(name, f.name) for name, cls in sorted(REGISTRY.items())
                    for f in dataclasses.fields(cls) if f.type == "float"]


@pytest.mark.parametrize(("instrument", "parameter"), FLOAT_PARAMETERS)
@pytest.mark.parametrize("value", [math.inf, -math.inf, math.nan])
def test_an_instrument_parameter_must_be_finite(instrument, parameter, value):
    with pytest.raises(ScenarioError) as caught:
        check_instrument(instrument, {parameter: value}, "x.yaml: policies[3]")
    expected = f"x.yaml: policies[3].{parameter} = {value!r}: must be a finite number"
    assert str(caught.value) == expected, f"expected {expected!r}, got {caught.value}"
    with pytest.raises(ValueError, match="must be a finite number"):
        REGISTRY[instrument](**{parameter: value})


def test_an_infinite_grant_cap_in_a_scenario_file_is_refused(tmp_path):
    path = tmp_path / "inf.yaml"
    path.write_text(yaml.safe_dump(SMALL).replace("cap_rmb: 300000", "cap_rmb: .inf"),
                    encoding="utf-8")
    with pytest.raises(ScenarioError) as caught:
        scenarios.load(path)
    expected = f"{path}: policies[0].cap_rmb = inf: must be a finite number"
    assert str(caught.value) == expected, f"expected {expected!r}, got {caught.value}"


def test_nan_for_a_model_parameter_says_it_must_be_finite(tmp_path):
    # it used to say "= nan: Input should be less than or equal to 20"
    message = refused(small(behaviour={"overrides": {"peer_effect_per_year": math.nan}}))
    expected = "x.yaml: behaviour.overrides.peer_effect_per_year = nan: must be a finite number"
    assert message == expected, f"expected {expected!r}, got {message!r}"
    write_yaml(tmp_path / "small.yaml", SMALL)
    data = sweep_data(factors=[{"name": "peer", "levels": [0.3, "nan"],
                                "path": "behaviour.overrides.peer_effect_per_year"}])
    with pytest.raises(ScenarioError) as caught:
        parse_sweep(data, tmp_path / "sweep.yaml")
    expected = "factors[0].levels[1] = 'nan': must be a finite number"
    assert expected in str(caught.value), f"expected {expected!r} in {caught.value}"
    for name in ("budget_rmb", "trait_concentration", "chain_exposure_weight"):
        with pytest.raises(ParameterError) as caught:
            ModelParams(**{name: math.inf})
        expected = f"ModelParams.{name} = inf: must be a finite number"
        assert str(caught.value) == expected, f"expected {expected!r}, got {caught.value}"


# --- 4. true/false is not a number -----------------------------------------------------------

@pytest.mark.parametrize(("change", "expected"), [
    (lambda d: d["cluster"]["smes"].update(count=True),
     "x.yaml: cluster.smes.count = True: must be a number, not true/false"),
    (lambda d: d["budget"].update(total_rmb=False),
     "x.yaml: budget.total_rmb = False: must be a number, not true/false"),
    (lambda d: d["budget"].update(per_year_rmb={2021: True}),
     "x.yaml: budget.per_year_rmb = {2021: True}: must be a number, not true/false"),
    (lambda d: d["policies"][0].update(cap_rmb=True),
     "x.yaml: policies[0].cap_rmb = True: must be a number, not true/false"),
    (lambda d: d.update(behaviour={"overrides": {"risk_aversion": True}}),
     "x.yaml: behaviour.overrides.risk_aversion = True: must be a number, not true/false"),
])
def test_true_or_false_for_a_number_is_refused(change, expected):
    data = small()
    change(data)
    message = refused(data)
    assert message == expected, f"expected {expected!r}, got {message!r}"


def test_true_or_false_for_a_number_is_refused_in_python_too():
    with pytest.raises(ParameterError) as caught:
        ModelParams(n_smes=True)
    expected = "ModelParams.n_smes = True: must be a number, not true/false"
    assert str(caught.value) == expected, f"expected {expected!r}, got {caught.value}"
    with pytest.raises(ValueError, match="share = True: must be a number, not true/false"):
        REGISTRY["grant"](share=True)
    # numbers written as text, which YAML gives for 1e9, keep working
    data = small(budget={"total_rmb": "1.5e7"})
    data["policies"][0]["cap_rmb"] = "3e5"
    params, mix = scenarios.parse(data, "x.yaml").model_inputs()
    assert (params.budget_rmb, mix[0].cap_rmb) == (1.5e7, 3e5), \
        f"expected 1.5e7 and 3e5 from text, got {params.budget_rmb}, {mix[0].cap_rmb}"


# --- 5. providers ----------------------------------------------------------------------------

def test_max_count_below_count_is_refused_not_raised():
    data = small()
    data["cluster"]["providers"] = {"count": 10, "max_count": 5}
    message = refused(data)
    expected = "x.yaml: cluster.providers.max_count = 5: must be at least count (10)"
    assert message == expected, f"expected {expected!r}, got {message!r}"
    # without max_count the limit is 40, or count if that is more
    data["cluster"]["providers"] = {"count": 50}
    limit = scenarios.parse(data, "x.yaml").model_params().max_providers
    assert limit == 50, f"expected the default limit to follow count 50, got {limit}"


def test_a_sweep_of_providers_past_max_count_is_refused_at_load(tmp_path):
    base = small()
    base["cluster"]["providers"] = {"count": 4, "max_count": 6}
    write_yaml(tmp_path / "small.yaml", base)
    data = sweep_data(factors=[{"name": "providers", "path": "cluster.providers.count",
                                "low": 2, "high": 8, "type": "int"}])
    with pytest.raises(ScenarioError) as caught:
        parse_sweep(data, tmp_path / "sweep.yaml")
    expected = "factors[0].high = 8: cluster.providers.max_count = 6: must be at least count (8)"
    assert expected in str(caught.value), f"expected {expected!r} in {caught.value}"


# --- 6. instrument months inside the run ------------------------------------------------------

@pytest.mark.parametrize(("policy", "expected"), [
    ({"instrument": "grant", "start": "2030-01"},
     "policies[1].start = '2030-01': must be a month of the run, 2020-05 to 2022-04 (YYYY-MM)"),
    ({"instrument": "diagnosis", "end": "2020-04"},
     "policies[1].end = '2020-04': must be a month of the run, 2020-05 to 2022-04 (YYYY-MM)"),
    ({"instrument": "central_factory", "opening": "2022-05"},
     "policies[1].opening = '2022-05': must be a month of the run, 2020-05 to 2022-04"),
    ({"instrument": "exchange_sessions", "start": "2021-06", "end": "2021-01"},
     "policies[1].end = '2021-01': must not be before start ('2021-06')"),
])
def test_an_instrument_month_outside_the_run_is_refused(policy, expected):
    data = small()
    data["policies"].append(policy)
    message = refused(data)
    assert message.startswith(f"x.yaml: {expected}"), f"expected {expected!r}, got {message!r}"


def test_months_outside_the_run_are_refused_in_comparisons_and_sweeps(tmp_path):
    message = _comparison_refused(lambda d: d["mixes"][0].update(
        policies=[{"instrument": "grant", "start": "2019-12"}]), tmp_path)
    expected = "mixes[0]: the resulting scenario: policies[0].start = '2019-12': must be a " \
               "month of the run"
    assert expected in message, f"expected {expected!r} in {message!r}"
    # the deadline (month 12) fits 13 months; the grant's start (month 14) does not
    data = small(calendar={"start": "2020-05", "months": 24, "deadline": "2021-04"})
    data["policies"][0]["start"] = "2021-06"
    write_yaml(tmp_path / "small.yaml", data)
    sweep = sweep_data(factors=[{"name": "run_months", "path": "calendar.months",
                                 "levels": [24, 13], "type": "int"}])
    with pytest.raises(ScenarioError) as caught:
        parse_sweep(sweep, tmp_path / "sweep.yaml")
    expected = "factors[0].levels[1] = 13: policies[0].start = '2021-06': must be a month of " \
               "the run, 2020-05 to 2021-05"
    assert expected in str(caught.value), f"expected {expected!r} in {caught.value}"
    # the cluster's own factory may open before the start (it operates from month 1)
    early = small()
    early["cluster"]["lead_firms"]["central_factory"]["opening"] = "2019-01"
    assert scenarios.parse(early, "x.yaml").model_params().central_factory_month == 1, \
        "expected the cluster's factory opened before the start to operate from month 1"


# --- 7. parameter sets are shipped names -------------------------------------------------------

@pytest.mark.parametrize("name", ["{evil}", "{evil_relative}", "Calibrated", "calibrated.yaml",
                                  "../parameter_sets/calibrated", ""])
def test_a_parameter_set_is_a_shipped_name_not_a_path(name, tmp_path):
    evil = tmp_path / "srv" / "evilset.yaml"
    evil.parent.mkdir()
    write_yaml(evil, {"name": "evil", "description": "d", "parameters": {"risk_aversion": 99.0}})
    relative = Path("../" * len(parameter_sets.SETS.parts)) / evil.relative_to("/")
    chosen = name.format(evil=evil.with_suffix(""), evil_relative=relative.with_suffix(""))
    message = refused(small(behaviour={"parameter_set": chosen}))
    expected = f": must be the name of a shipped parameter set, one of " \
               f"{', '.join(parameter_sets.names())}; values of your own go in behaviour.overrides"
    assert message.startswith(f"x.yaml: behaviour.parameter_set = {chosen!r}"[:60]) \
        and message.endswith(expected), f"expected the field, the value and {expected!r}, got " \
                                        f"{message!r}"


def test_a_broken_shipped_set_is_named_not_shown_by_its_install_path(tmp_path, monkeypatch):
    monkeypatch.setattr(parameter_sets, "SETS", tmp_path)
    write_yaml(tmp_path / "broken.yaml", {"name": "broken", "description": "d",
                                          "parameters": {"risk_aversion": -1.0}})
    message = refused(small(behaviour={"parameter_set": "broken"}))
    assert "shipped parameter set 'broken': parameters.risk_aversion = -1.0" in message, \
        f"expected the set named, got {message!r}"
    assert str(tmp_path) not in message, f"expected no install path in {message!r}"


# --- 8. shipped names and the user's own files -------------------------------------------------

def test_a_folder_is_not_a_scenario_file(tmp_path):
    for load, kind in ((scenarios.load, "scenario"), (comparisons.load, "comparison"),
                       (load_sweep, "sweep")):
        with pytest.raises(ScenarioError) as caught:
            load(tmp_path)
        expected = f"{tmp_path}: is a folder, not a {kind} file"
        assert str(caught.value) == expected, f"expected {expected!r}, got {caught.value}"


def test_a_missing_path_is_no_such_file(tmp_path):
    for argument in (tmp_path / "absent.yaml", "absent.yaml", "runs/absent"):
        with pytest.raises(ScenarioError) as caught:
            resolve(argument)
        expected = f"{argument}: no such scenario file"
        assert str(caught.value) == expected, f"expected {expected!r}, got {caught.value}"


def test_a_file_in_the_current_folder_never_stands_in_for_a_shipped_name(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write_yaml(tmp_path / "jieyang-plastics-2020", small())
    got = resolve("jieyang-plastics-2020")
    assert got == SHIPPED / "jieyang-plastics-2020.yaml", f"expected the shipped file, got {got}"
    assert scenarios.load("./jieyang-plastics-2020").name == "small-cluster", \
        "expected ./NAME to be the user's own file"


def test_a_name_that_cannot_be_shipped_suggests_a_path():
    for argument, kind, load in (("My City", "scenario", scenarios.load),
                                 ("Compare Jieyang", "comparison", comparisons.load)):
        with pytest.raises(ScenarioError) as caught:
            load(argument)
        message = str(caught.value)
        expected = f"{argument}: not a shipped {kind}'s name (lower-case letters, digits, - " \
                   f"and _) nor a path; for a file of your own give its path, e.g. ./{argument}"
        assert message.startswith(expected), f"expected {expected!r}, got {message!r}"
    unknown = "no-such-city"
    with pytest.raises(ScenarioError) as caught:
        scenarios.load(unknown)
    assert "jieyang-city-2023" in str(caught.value) and f"./{unknown}.yaml" in str(caught.value), \
        f"expected the shipped names and a path suggested, got {caught.value}"
    assert comparisons.load("jieyang-2023").name == "compare-jieyang-2023", \
        "expected the prefix-less shipped comparison name to keep working"


def test_a_plain_base_name_is_a_shipped_scenario_not_a_file_beside(tmp_path):
    write_yaml(tmp_path / "small", SMALL)
    message = _comparison_refused(lambda d: d.update(base="small"), tmp_path)
    expected = f"{tmp_path / 'compare-small.yaml'}: base = 'small': not a shipped scenario"
    assert message.startswith(expected) and message.endswith(f"relative to {tmp_path}, ./small"), \
        f"expected {expected!r} and ./small suggested, got {message!r}"
    (tmp_path / "sub").mkdir()
    for base in ("./small", "small.yaml", "sub/../small.yaml"):
        found = comparisons.parse(comparison_data(base=base), tmp_path / "c.yaml").base_path
        assert found.resolve() == (tmp_path / base).resolve(), \
            f"expected {base} relative to the comparison file, got {found}"
    with pytest.raises(ScenarioError) as caught:
        comparisons.parse(comparison_data(base="sub"), tmp_path / "c.yaml")
    assert "base = 'sub': no such file or shipped scenario" in str(caught.value), \
        str(caught.value)


# --- 9. posterior files ------------------------------------------------------------------------

@pytest.mark.parametrize(("column", "values", "expected"), [
    ("n_smes", [10.0, 20.0], "column 'n_smes' is a model parameter that is not calibrated; "
                             "allowed: the calibrated parameters of calibration/priors.yaml"),
    ("risk_aversion", [True, False], "column 'risk_aversion' holds true/false values; it must "
                                     "hold numbers"),
    ("risk_aversion", ["1", "2"], "column 'risk_aversion' holds values that are not numbers"),
    ("risk_aversion", [1.0, math.inf], "column 'risk_aversion' holds inf; it must hold finite "
                                       "numbers"),
    ("weight", [1.0, math.nan], "column 'weight' holds nan; it must hold finite numbers"),
])
def test_a_posterior_holds_only_calibrated_finite_numbers(column, values, expected, tmp_path):
    path = tmp_path / "posterior.parquet"
    table = {"cost_sensitivity": [1.0, 2.0], column: values}
    pd.DataFrame(table).to_parquet(path)
    with pytest.raises(DataError) as caught:
        load_posterior(path)
    assert str(caught.value).startswith(f"{path}: {expected}"), \
        f"expected {expected!r}, got {caught.value}"
    assert len(load_posterior(DEFAULT_POSTERIOR)) > 0, "expected the shipped posterior to load"


# --- 10. the firm calculator's numbers ---------------------------------------------------------

@pytest.fixture(scope="module")
def city():
    return scenarios.load("jieyang-city-2023")


def test_firm_money_out_of_bounds_is_one_line(city):
    with pytest.raises(FirmError) as caught:
        evaluate(city, Firm(revenue_rmb=1e308))
    assert str(caught.value) == "revenue_rmb = 1e+308: must be between 1 and 1e12", \
        f"expected the bounds, got {caught.value}"
    done = CliRunner().invoke(main, ["firm", "--revenue-rmb", "1e308"])
    expected = "catfish: error: --revenue-rmb = 1e308: must be between 1 and 1e12\n"
    assert done.exit_code == 2 and done.stderr == expected, \
        f"expected {expected!r} and status 2, got {done.exit_code}: {done.stderr!r}"


def test_firm_numbers_are_finite_at_the_ends_of_the_bounds(city):
    ends = (1.0, MAX_RMB)
    for revenue, light, deep, cash in itertools.product(ends, ends, ends, (0.0, MAX_RMB)):
        firm = Firm(revenue_rmb=revenue, light_cost_rmb=light, deep_cost_rmb=deep,
                    cash_rmb=cash, credit_access=1.0, talent=0.0, infrastructure=1.0)
        numbers = evaluate(city, firm).select_dtypes("number").to_numpy(float)
        assert np.isfinite(numbers).all(), \
            f"expected finite numbers for {firm}, got {numbers[~np.isfinite(numbers)]}"
