"""Sweep files: loading, one-line errors before any run, applying factor values, fuzzing."""

from __future__ import annotations

import copy
import random
from pathlib import Path

import pytest
import yaml
from catfish.scenarios import ScenarioError
from catfish.scenarios import sweep as sweeps
from catfish.scenarios.sweep import FactorError, apply_factors, load_sweep, parse_sweep

from catfish import scenarios
from tests.conftest import mutate, write_yaml
from tests.test_compare import SMALL_SCENARIO as COMPARE_SCENARIO

# the comparison tests' small cluster, with a second grant and a diagnosis to aim factors at
SMALL_SCENARIO = {**COMPARE_SCENARIO, "policies": [
    {"instrument": "grant", "share": 0.3, "cap_rmb": 300000},
    {"instrument": "diagnosis", "firms_per_month": 20},
    {"instrument": "grant", "share": 0.1, "kinds": "light"},
]}


def sweep_data(**changes) -> dict:
    data = {
        "name": "sweep-small",
        "labels": {"zh": "小型集群扫描", "en": "Small cluster sweep"},
        "base": "small.yaml",
        "factors": [
            {"name": "peer_effect", "path": "behaviour.overrides.peer_effect_per_year",
             "low": 0.2, "high": 0.6},
            {"name": "talent", "path": "cluster.smes.talent_mean", "low": 0.25, "high": 0.45},
            {"name": "grant_share", "path": "policies.grant.share", "low": 0.1, "high": 0.5},
            {"name": "providers", "path": "cluster.providers.count", "low": 2, "high": 8,
             "type": "int"},
            {"name": "diagnoses", "path": "policies[1].firms_per_month",
             "levels": [0, 20, 40], "type": "int"},
        ],
        "design": {"kind": "lhs", "samples": 12},
        "replicates": 2,
        "seed": 7,
    }
    data.update(changes)
    return data


def write_files(folder: Path, data: dict | None = None, scenario: dict | None = None) -> Path:
    """A small scenario and a sweep of it in ``folder``; returns the sweep file's path."""
    write_yaml(folder / "small.yaml", scenario or SMALL_SCENARIO)
    return write_yaml(folder / "sweep-small.yaml", data or sweep_data())


def small_base() -> scenarios.Scenario:
    return scenarios.parse(copy.deepcopy(SMALL_SCENARIO), "small.yaml")


# --- sweep files ---------------------------------------------------------------------------

def test_shipped_sweep_loads_by_name_and_is_not_a_scenario():
    shipped = sweeps.shipped_sweeps()
    assert "sweep-jieyang-2023" in shipped, f"shipped sweeps: {shipped}"
    spec = load_sweep("sweep-jieyang-2023")
    assert load_sweep("jieyang-2023") == spec, "the sweep- prefix may be left out"
    assert spec.base_scenario().name == "jieyang-city-2023", spec.base
    assert spec.design.kind == "lhs" and len(spec.factors) == 5, spec.design
    assert spec.point_count * spec.replicates == 2000, "about 2,000 runs: 400 points x 5"
    assert spec.labels.zh and spec.labels.en, "labels in both languages"
    assert all(f.labels for f in spec.factors), "every shipped factor has labels"
    assert "sweep-jieyang-2023" not in scenarios.shipped_names(), "a sweep is not a scenario"


def test_small_sweep_loads_with_its_base_beside_it(tmp_path):
    spec = load_sweep(write_files(tmp_path))
    assert spec.factor_names == ["peer_effect", "talent", "grant_share", "providers",
                                 "diagnoses"], spec.factor_names
    assert spec.path == tmp_path / "sweep-small.yaml", spec.path
    assert spec.base_path == tmp_path / "small.yaml", spec.base_path
    assert spec.base_scenario() is spec.base_scenario(), "the base is loaded once and shared"
    assert spec.outcomes == sweeps.OUTCOME_NAMES, "outcomes default to every run outcome"
    assert spec.timeseries is False, "time series are not kept unless asked for"


def _factor(i: int, **fields):
    return lambda d: d["factors"][i].update(fields)


@pytest.mark.parametrize(("change", "expected"), [
    (lambda d: d.update(colour="red"), "sweep-small.yaml: colour: unknown key"),
    (_factor(1, colour="red"), ": factors[1].colour: unknown key"),
    (lambda d: d.pop("design"), ": design: missing (required)"),
    (_factor(1, path="cluster.smes.talnet"),
     ": factors[1].path = 'cluster.smes.talnet': cluster.smes has no field 'talnet'"),
    (_factor(1, path="cluster.smes"), ": factors[1].path = 'cluster.smes': cluster.smes is a "
                                      "section; name one of its fields"),
    (_factor(1, path="labels.en"), ": factors[1].path = 'labels.en': 'labels' labels the "
                                   "scenario and is not a model input"),
    (_factor(1, path="cluster.smes.sectors"), "cluster.smes.sectors is a list or mapping"),
    (_factor(2, path="policies.showcase.projects"),
     ": factors[2].path = 'policies.showcase.projects': the base scenario has no 'showcase' "
     "instrument (it has: grant, diagnosis)"),
    (_factor(2, path="policies.magic.share"), "unknown instrument 'magic'"),
    (_factor(2, path="policies[3].share"), "the base scenario has 3 instruments (policies[0] "
                                           "to policies[2])"),
    (_factor(2, path="policies.grant.colour"), "'colour' is not a parameter of 'grant'"),
    (_factor(0, path="behaviour.overrides.n_smes"),
     ": factors[0].path = 'behaviour.overrides.n_smes': 'n_smes' is set by the scenario's "
     "cluster.smes.count"),
    (_factor(0, path="behaviour.overrides.q"), "'q' is not a model parameter"),
    (_factor(0, path="behaviour.overrides.light_stage_months"), "holds several values"),
    (_factor(0, path="Cluster.smes.count"), ": factors[0].path = 'Cluster.smes.count': not a "
                                            "path"),
    (_factor(0, low=0.6, high=0.2), ": factors[0].low = 0.6: must be less than high (0.2)"),
    (_factor(0, high=None), ": factors[0].high = None: a range needs both low and high"),
    (_factor(0, low="0.2"), ": factors[0].low = '0.2': Input should be a valid number"),
    (_factor(0, low=float("nan")), ": factors[0].low = nan: must be a finite number"),
    (_factor(0, levels=[0.3, 0.4]), ": factors[0].levels = [0.3, 0.4]: give either low and "
                                    "high (a range) or levels, not both"),
    (_factor(4, levels=[0, 20, 20]), ": factors[4].levels = [0, 20, 20]: 20 repeats"),
    (_factor(4, levels=[0, 20.5]), "factors[4].levels = [0, 20.5]: 20.5 is not a whole number"),
    (_factor(4, levels=[0, [1]]), ": factors[4].levels[1] = [1]: must be a number, text"),
    (_factor(3, low=2.5), ": factors[3].low = 2.5: must be a whole number (type: int)"),
    (_factor(3, type="float"), ": factors[3].type = 'float': cluster.providers.count takes "
                               "whole numbers; add type: int"),
    (_factor(2, path="policies.grant.paid_on"), ": factors[2].low = 0.1: policies.grant.paid_on "
                                                "takes text or one of a few choices, not a range"),
    (_factor(2, low=0.1, high=1.5),
     ": factors[2].high = 1.5: must be between 0 and 1 (for policies.grant.share)"),
    (_factor(2, low=None, high=None, levels=[0.2, 1.5]),
     ": factors[2].levels[1] = 1.5: must be between 0 and 1 (for policies.grant.share)"),
    (_factor(1, high=1.2), ": factors[1].high = 1.2: Input should be less than 1 (for "
                           "cluster.smes.talent_mean)"),
    (_factor(0, high=30), ": factors[0].high = 30.0: Input should be less than or equal to 20 "
                          "(for behaviour.overrides.peer_effect_per_year)"),
    (_factor(4, levels=["many"]), ": factors[4].levels = ['many']: 'many' is not a whole number"),
    (_factor(1, low=None, high=None),
     ": factors[1].low = None: a lhs design needs a range (low and high) or levels"),
    (_factor(1, name="peer_effect"), ": factors[1].name = 'peer_effect': used twice"),
    (_factor(1, name="target_met"), ": factors[1].name = 'target_met': a column of the results"),
    (_factor(1, name="Talent"), ": factors[1].name = 'Talent': String should match pattern"),
    (_factor(1, path="behaviour.overrides.peer_effect_per_year", low=0.1, high=0.2),
     ": factors[1].path = 'behaviour.overrides.peer_effect_per_year': varied by two factors"),
    (_factor(1, path="policies[0].share", low=0.1, high=0.2),
     ": factors[2].path = 'policies.grant.share': the same place as policies[0].share"),
    (lambda d: d.update(factors=[]), ": factors = []: Tuple should have at least 1 item"),
    (lambda d: d.update(design={"kind": "random"}),
     ": design.kind = 'random': must be one of grid, list, lhs, sobol, morris"),
    (lambda d: d.update(design={"samples": 4}), ": design.kind: missing (required)"),
    (lambda d: d.update(design={"kind": "lhs"}), ": design.samples: missing (required)"),
    (lambda d: d.update(design={"kind": "grid", "samples": 4}), ": design.samples: unknown key"),
    (lambda d: d.update(design={"kind": "sobol", "base_samples": 100}),
     ": design.base_samples = 100: must be a power of 2 (Sobol' points are balanced only in "
     "blocks of 2^k), e.g. 64 or 128"),
    (lambda d: d.update(design={"kind": "morris", "trajectories": 10, "num_levels": 5}),
     ": design.num_levels = 5: must be even"),
    (lambda d: d.update(design={"kind": "grid", "points_per_factor": 9}),
     ": design.points_per_factor = 9: factors[3] (providers, whole numbers 2 to 8) has only 7 "
     "values"),
    (lambda d: d.update(design={"kind": "lhs", "samples": 2_000_000}),
     ": design.samples = 2000000: Input should be less than or equal to 1000000"),
    (lambda d: d.update(design={"kind": "grid", "points_per_factor": 7}, factors=[
        {"name": f"f{i}", "path": p, "low": 0.1, "high": 0.2} for i, p in enumerate(
            ["cluster.smes.talent_mean", "cluster.smes.infrastructure_mean",
             "cluster.smes.credit_access_mean", "cluster.providers.quality_mean",
             "policies.grant.share", "behaviour.overrides.retry_prob",
             "cluster.network.rewire_prob",
             "behaviour.overrides.discount_rate"])]),
     ": design.kind = 'grid': 5,764,801 design points; at most 1,000,000"),
    (lambda d: d.update(replicates=0), ": replicates = 0: Input should be greater than or "
                                       "equal to 1"),
    (lambda d: d.update(replicates=1001), ": replicates = 1001: Input should be less than or "
                                          "equal to 1000"),
    (lambda d: d.update(seed=-1), ": seed = -1: Input should be greater than or equal to 0"),
    (lambda d: d.update(outcomes=["target_met", "happiness"]),
     ": outcomes[1] = 'happiness': not a run outcome"),
    (lambda d: d.update(outcomes=["target_met", "target_met"]),
     ": outcomes[1] = 'target_met': listed twice"),
    (lambda d: d.update(timeseries=["n_counted", "n_happy"]),
     ": timeseries[1] = 'n_happy': not a time-series column"),
    (lambda d: d.update(timeseries="yes"), ": timeseries = 'yes': must be true, false or a list "
                                          "of time-series columns"),
    (lambda d: d.update(base="nowhere.yaml"), ": base = 'nowhere.yaml': no such scenario file"),
    (lambda d: d.update(name="Sweep small"), ": name = 'Sweep small': String should match"),
])
def test_bad_sweep_gives_one_line_with_file_path_value_and_rule(tmp_path, change, expected):
    data = sweep_data()
    change(data)
    path = write_files(tmp_path, data)
    with pytest.raises(ScenarioError) as info:
        load_sweep(path)
    message = str(info.value)
    assert message.startswith(f"{path}: "), f"expected the file first: {message!r}"
    assert expected in message, f"expected {expected!r} in {message!r}"
    assert "\n" not in message, f"expected one line: {message!r}"


LIST_DESIGN = {"kind": "list", "points": [
    {"peer_effect": 0.3, "talent": 0.3, "grant_share": 0.2, "providers": 4, "diagnoses": 20},
    {"peer_effect": 0.5, "talent": 0.4, "grant_share": 0.4, "providers": 6, "diagnoses": 0},
]}


@pytest.mark.parametrize(("point", "expected"), [
    ({"colour": 1}, ": design.points[1].colour = 1: not a factor (factors: peer_effect, "),
    ({"talent": None}, ": design.points[1].talent = None: "),
    ({"grant_share": 0.9}, ": design.points[1].grant_share = 0.9: outside the factor's range "
                           "[0.1, 0.5]"),
    ({"diagnoses": 30}, ": design.points[1].diagnoses = 30: not one of the factor's levels "
                        "[0, 20, 40]"),
    ({"providers": 4.5}, ": design.points[1].providers = 4.5: must be a whole number"),
])
def test_bad_list_point_names_the_point_and_factor(tmp_path, point, expected):
    design = copy.deepcopy(LIST_DESIGN)
    design["points"][1].update(point)
    path = write_files(tmp_path, sweep_data(design=design))
    with pytest.raises(ScenarioError) as info:
        load_sweep(path)
    assert str(info.value).startswith(f"{path}: ") and expected in str(info.value), \
        f"expected {expected!r} in {info.value}"


def test_list_design_may_leave_out_ranges_but_each_point_is_checked(tmp_path):
    factors = [{"name": "grant_share", "path": "policies.grant.share"},
               {"name": "paid_on", "path": "policies.grant.paid_on"}]
    design = {"kind": "list", "points": [{"grant_share": 0.2, "paid_on": "acceptance"},
                                         {"grant_share": 0.4, "paid_on": "start"}]}
    spec = load_sweep(write_files(tmp_path, sweep_data(factors=factors, design=design)))
    assert spec.point_count == 2, f"expected the 2 listed points, got {spec.point_count}"
    design["points"][1]["paid_on"] = "never"
    with pytest.raises(ScenarioError) as info:
        load_sweep(write_files(tmp_path, sweep_data(factors=factors, design=design)))
    assert ": design.points[1]: policies.grant.paid_on = 'never': must be one of 'start', " \
           "'acceptance'" in str(info.value), str(info.value)


def test_low_ends_that_clash_together_are_caught_at_load(tmp_path):
    scenario = copy.deepcopy(SMALL_SCENARIO)
    scenario["calendar"]["months"] = 30
    factors = [{"name": "length", "path": "calendar.months", "levels": [24, 30], "type": "int"},
               {"name": "deadline", "path": "calendar.deadline", "levels": ["2022-10",
                                                                           "2022-04"]}]
    path = write_files(tmp_path, sweep_data(factors=factors), scenario)
    with pytest.raises(ScenarioError) as info:
        load_sweep(path)
    assert f"{path}: factors (low ends together): with calendar.months = 24, calendar.deadline " \
           f"= '2022-10': calendar: deadline '2022-10' is outside" in str(info.value), \
        str(info.value)


def test_bad_base_scenario_names_the_sweep_and_the_scenario(tmp_path):
    broken = {**SMALL_SCENARIO, "target": {"firms": -1}}
    path = write_files(tmp_path, scenario=broken)
    with pytest.raises(ScenarioError) as info:
        load_sweep(path)
    message = str(info.value)
    assert message.startswith(f"{path}: base: ") and "small.yaml: target.firms = -1" in message, \
        message


def test_missing_file_bad_yaml_and_other_kinds_of_file(tmp_path):
    with pytest.raises(ScenarioError, match="no such file or shipped sweep"):
        load_sweep("no-such-sweep")
    broken = tmp_path / "broken.yaml"
    broken.write_text("name: [unclosed\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"broken.yaml:2:1: not valid YAML"):
        load_sweep(broken)
    with pytest.raises(ScenarioError, match="this is a scenario file, not a sweep"):
        parse_sweep(copy.deepcopy(SMALL_SCENARIO), "small.yaml")
    with pytest.raises(ScenarioError, match="this is a comparison file, not a sweep"):
        load_sweep(Path(scenarios.__file__).parent / "compare-jieyang-2023.yaml")
    with pytest.raises(ScenarioError, match="expected a mapping"):
        parse_sweep([1, 2], "list.yaml")


# --- applying factor values ----------------------------------------------------------------

def test_apply_factors_sets_fields_overrides_and_instrument_parameters():
    base = small_base()
    before = base.model_dump()
    varied = apply_factors(base, {
        "cluster.providers.capacity": 5,                      # not in the base file: default 8
        "behaviour.overrides.peer_effect_per_year": 0.5,
        "policies.grant.share": 0.45,                         # the first grant
        "policies[2].cap_rmb": 100_000,                       # the second grant, by index
        "policies.diagnosis.take_up": 0.5,                    # a parameter the file leaves out
        "cluster.lead_firms.central_factory.opening": None,   # a text field, to null
    })
    assert varied.cluster.providers.capacity == 5, "a scenario field absent from the file"
    assert varied.behaviour.overrides == {"peer_effect_per_year": 0.5}, "a behaviour override"
    shares = [p.parameters().get("share") for p in varied.policies]
    assert shares == [0.45, None, 0.1], f"by name, the first grant only: {shares}"
    assert varied.policies[2].parameters()["cap_rmb"] == 100_000, "by index"
    assert varied.policies[1].parameters()["take_up"] == 0.5, "a default made explicit"
    assert varied.cluster.lead_firms.central_factory.opening is None, "set to null"
    params, instruments = varied.model_inputs()
    assert params.provider_capacity == 5 and params.peer_effect_per_year == 0.5, \
        "the model sees the values"
    assert params.central_factory_month == 0, "no central factory once its opening is null"
    assert instruments[0].share == 0.45 and instruments[1].take_up == 0.5, "instruments too"
    assert base.model_dump() == before, "the base scenario is left as it was"
    assert apply_factors(base, {}) == base, "no values: the base scenario itself"


def test_apply_factors_rejects_values_in_one_line_naming_the_path():
    base = small_base()
    cases = [
        ({"policies.grant.share": 1.5}, "policies.grant.share = 1.5: must be between 0 and 1"),
        ({"policies[1].firms_per_month": 2.5},
         "policies[1].firms_per_month = 2.5: must be a whole number >= 0"),
        ({"cluster.smes.count": 3}, "cluster.smes.count = 3: Input should be greater than"),
        ({"behaviour.overrides.risk_aversion": -1},
         "behaviour.overrides.risk_aversion = -1: Input should be greater than or equal to 0"),
        ({"calendar.months": 12}, "calendar.months = 12: calendar: deadline '2022-04' is "
                                  "outside"),
        ({"cluster.smes.colour": 1}, "cluster.smes.colour = 1: not a factor path: cluster.smes "
                                     "has no field 'colour'"),
    ]
    for values, expected in cases:
        with pytest.raises(FactorError) as info:
            apply_factors(base, values)
        assert str(info.value) == expected or str(info.value).startswith(expected), \
            f"expected {expected!r}, got {info.value}"
        assert "\n" not in str(info.value), f"one line: {info.value}"


def test_apply_factors_follows_a_new_base_scenario():
    first, second = small_base(), small_base()
    a = apply_factors(first, {"cluster.smes.talent_mean": 0.4})
    changed = scenarios.parse({**copy.deepcopy(SMALL_SCENARIO), "target": {"firms": 7}}, "x")
    b = apply_factors(changed, {"cluster.smes.talent_mean": 0.4})
    c = apply_factors(second, {"cluster.smes.talent_mean": 0.4})
    assert a.target.firms == 60 and b.target.firms == 7 and c == a, \
        "each call varies the base it is given, not a cached one"


# --- fuzzing: mutated sweep files either load or fail with the one-line error ---------------

NASTY = [None, "", "零", -1, 0, 1e308, float("nan"), float("inf"), 2**63, True, [], {},
         [1, 2], {"a": 1}, "<script>", 1.5, "1e9", "policies.grant.share",
         "behaviour.overrides.peer_effect_per_year", "lhs", "sobol", "grid", 64]


def _mutate(data: dict, rng: random.Random) -> dict:
    """Keys deleted, NASTY values put in, keys added (a sweep's own keys among them)."""
    return mutate(data, rng, NASTY, replace_below=0.85, new_keys=lambda last: [
        "extra", "名字", "low", "levels", "type", "seed"])


def test_fuzz_mutated_sweeps_never_give_a_traceback(tmp_path):
    rng = random.Random(20261124)
    shipped = Path(scenarios.__file__).parent / "sweep-jieyang-2023.yaml"
    text = shipped.read_text(encoding="utf-8")
    original = yaml.safe_load(text)
    loaded = failed = 0
    for i in range(1200):
        if i % 4 == 0:  # truncated or corrupted text, through the file path
            target = tmp_path / f"m{i}.yaml"
            cut = rng.randint(0, len(text))
            target.write_text(text[:cut] + rng.choice(["", ":", "\t", "{", "'", "- -"]),
                              encoding="utf-8")
            attempt = lambda t=target: load_sweep(t)  # noqa: E731
        else:
            mutated = _mutate(original, rng)
            attempt = lambda m=mutated: parse_sweep(m, shipped)  # noqa: E731
        try:
            attempt()
            loaded += 1
        except ScenarioError as exc:
            failed += 1
            assert str(exc) and "\n" not in str(exc), f"mutation {i}: bad message {exc!r}"
    assert failed > 600 and loaded > 20, f"expected a mix of outcomes: {loaded=}, {failed=}"
