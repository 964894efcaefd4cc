"""Starting states: a sector starting from another scenario's end state or from stated shares.

The rule (exact numbers in each state, only the named sector touched, transformed firms holding
a realised project), the streams of runs without a starting state, Jieyang's city pilot
starting its plastics sector where the 2020 cluster pilot left it (and not counting those firms
toward its own target), and one-line errors for bad files.
"""

from __future__ import annotations

import numpy as np
import pytest
import yaml
from catfish.agents.sme import (
    DEEP,
    FAILED,
    LAPSED,
    LIGHT,
    STATE_NAMES,
    TRANSFORMED,
    UNAWARE,
    WILLING,
)
from catfish.scenarios import start_state as starting
from catfish.scenarios.loader import ScenarioError, parse, read_yaml, resolve
from catfish.sim import ClusterModel, ModelParams
from catfish.sim.params import ParameterError
from catfish.sim.run import run_one
from catfish.sim.start_state import accepted_gain, end_shares, start_counts

from catfish import scenarios

SHARES = {"transformed": 0.2, "deep": 0.05, "failed": 0.1, "lapsed": 0.05, "willing": 0.15}
TWO_SECTORS = {"n_smes": 2000, "sector_names": ("a", "b"), "sector_shares": (0.5, 0.5),
               "months": 12, "deadline_month": 12}


def _model(seed: int = 3, **changes) -> ClusterModel:
    return ClusterModel(ModelParams(**{**TWO_SECTORS, **changes}), rng=seed)


def _in_sector(model: ClusterModel, k: int) -> np.ndarray:
    return np.flatnonzero(model.smes.sector == k)


# --- the rule ---------------------------------------------------------------------------------

def test_shares_give_exact_numbers_in_the_named_sector_only():
    plain = _model()
    started = _model(start_shares={"b": SHARES})
    b = _in_sector(started, 1)
    state = started.smes.state[b]
    counts = start_counts(SHARES, len(b))
    for name in ("transformed", "failed", "lapsed", "willing", "unaware"):
        found = int(np.count_nonzero(state == STATE_NAMES.index(name)))
        assert found == counts[name], f"{counts[name]} {name} firms expected in b, got {found}"
        expected = SHARES.get(name, 1 - sum(v for k, v in SHARES.items() if k != "deep"))
        assert abs(found - expected * len(b)) <= 1, \
            f"{name}: {expected} of {len(b)} firms expected (within one), got {found}"
    deep = int(np.count_nonzero((state == TRANSFORMED) & (started.smes.level[b] == DEEP)))
    assert abs(deep - 0.05 * len(b)) <= 1, f"5 % of b deep-transformed expected, got {deep}"
    a = _in_sector(started, 0)
    assert (started.smes.state[a] == UNAWARE).all(), "sector a, not named, starts unaware"
    for field in ("sector", "base_revenue", "talent", "infrastructure", "credit_access", "cash",
                  "hurdle"):
        assert np.array_equal(getattr(started.smes, field), getattr(plain.smes, field)), \
            f"the population ({field}) is drawn as without a starting state"
    assert (started.peers != plain.peers).nnz == 0, "the peer network is the same"


def test_firms_are_placed_at_random_within_the_sector():
    one, other = (_model(seed, start_shares={"b": SHARES}) for seed in (3, 4))
    picked = [set(_in_sector(m, 1)[m.smes.state[_in_sector(m, 1)] == TRANSFORMED])
              for m in (one, other)]
    assert picked[0] != picked[1], "different seeds transform different firms at the start"


def test_transformed_at_start_hold_a_realised_accepted_project():
    model = _model(start_shares={"b": SHARES})
    s, p = model.smes, model.params
    held = s.state == TRANSFORMED
    assert held.any(), "some firms start transformed"
    assert set(np.unique(s.level[held])) == {LIGHT, DEEP}, "light and deep levels expected"
    assert (s.successes[held] == 1).all(), "each holds one success that peers see"
    assert (s.process_cut[held] > 0).all() and (s.unit_cost[held] < 1).all(), \
        "their processes' cost is cut and their unit cost below 1"
    assert (s.quality[held] > 1).all(), "their quality is above 1"
    assert (s.weight[held] > s.base_revenue[held]).all(), "they weigh more in the market"
    assert not s.counted[held].any(), "they are not counted toward this run's target"
    light = held & (s.level == LIGHT)
    gain = s.process_cut[light] / p.light_cost_cut
    assert (gain >= p.verified_gain_min - 1e-12).all(), \
        "realised gains are gains acceptance lets through"
    failed, lapsed = s.state == FAILED, s.state == LAPSED
    assert (s.failures[failed] == 1).all(), "failed firms have failed once"
    assert (s.successes[lapsed] == 1).all() and (s.level[lapsed] == 0).all(), \
        "lapsed firms once succeeded and hold no level"
    assert (s.since == 0).all(), "cooldowns run from month 0"


def test_accepted_gains_are_above_the_threshold_with_mean_above_one():
    p = ModelParams()
    gain = accepted_gain(p, np.random.default_rng(0).random(20_000))
    assert gain.min() >= p.verified_gain_min - 1e-12, "every gain passes acceptance"
    assert 1.0 < gain.mean() < 1.2, f"accepted gains average a little above 1, got {gain.mean()}"


def test_peers_see_the_starting_successes_and_failures():
    model = _model(start_shares={"b": {"transformed": 0.3, "failed": 0.2}})
    share, ok, bad = model.observe_peers()
    b, a = _in_sector(model, 1), _in_sector(model, 0)
    assert share[b].mean() > 0.2 and ok[b].sum() > 0, "firms of b see transformed peers"
    assert bad[b].sum() > 0, "firms of b see failed peers"
    assert ok[a].sum() == 0 and share[a].max() == 0, "firms of a see none (peers are in-sector)"


def test_an_end_state_maps_queued_and_running_first_projects_to_willing():
    state = np.array([0, 1, 2, 3, 4, 4, 5, 6, 2, 0], np.int8)
    level = np.array([0, 0, 0, 0, 1, 2, 0, 0, 0, 0], np.int8)
    sector = np.array([0] * 8 + [1] * 2)
    shares = end_shares(state, level, sector, 0)
    assert shares == {"unaware": 1 / 8, "willing": 3 / 8, "transformed": 2 / 8,
                      "failed": 1 / 8, "lapsed": 1 / 8, "deep": 1 / 8}, \
        f"queued and in-project firms count as willing, got {shares}"


def test_model_params_reject_bad_start_shares_in_one_line():
    cases = [({"c": {"transformed": 0.1}}, "'c' is not a sector"),
             ({"b": {"queued": 0.1}}, "'queued' is not a starting state"),
             ({"b": {"transformed": 0.7, "willing": 0.5}}, "sum to at most 1"),
             ({"b": {"transformed": 1.2}}, "between 0 and 1"),
             ({"b": {"transformed": 0.1, "deep": 0.2}}, "at most transformed")]
    for shares, expected in cases:
        with pytest.raises(ParameterError) as err:
            ModelParams(**TWO_SECTORS, start_shares=shares)
        message = str(err.value)
        assert "start_shares" in message and expected in message and "\n" not in message, \
            f"one line naming start_shares and {expected!r} expected, got {message}"


# --- streams are unchanged without a starting state ---------------------------------------------

def test_a_scenario_without_start_state_runs_as_before():
    data = read_yaml(resolve("jieyang-plastics-2020"))
    assert "start_state" not in data, "the 2020 pilot has no starting state"
    shipped = run_one(scenarios.load("jieyang-plastics-2020"), seed=1)
    empty = run_one(parse({**data, "start_state": []}), seed=1)
    assert shipped.timeseries.equals(empty.timeseries), \
        "an empty start_state gives the same time series as a file without the section"
    params = scenarios.load("jieyang-plastics-2020").model_params()
    assert params.start_shares == {}, "no starting state: empty start_shares"
    all_unaware = run_one(params, seed=1, policies=scenarios.load(
        "jieyang-plastics-2020").instruments(), start_shares={"plastics": {"unaware": 1.0}})
    assert shipped.timeseries.equals(all_unaware.timeseries), \
        "a starting state that leaves every firm unaware draws only from its own stream: " \
        "every other draw, and so the run, is the same"


# --- Jieyang: the city pilot starts where the 2020 cluster pilot left plastics ----------------

def test_jieyang_city_plastics_starts_from_the_2020_pilots_end():
    city = scenarios.load("jieyang-city-2023")
    assert [e.sector for e in city.start_state] == ["plastics"], "plastics has a start state"
    entry = city.start_state[0]
    assert entry.from_scenario == "jieyang-plastics-2020" and entry.seed == starting.SEED, \
        "it starts from the 2020 pilot's run with the fixed seed"
    pilot = run_one(scenarios.load("jieyang-plastics-2020"), seed=starting.SEED)
    last = pilot.timeseries.iloc[-1]
    n_pilot = pilot.params.n_smes
    params = city.model_params()
    shares = params.start_shares["plastics"]
    assert shares["transformed"] == pytest.approx(last["n_transformed"] / n_pilot), \
        "the transformed share is the 2020 pilot's at its end"
    assert shares["willing"] == pytest.approx(
        (last["n_willing"] + last["n_queued"] + last["n_in_project"]) / n_pilot), \
        "willing, queued and running firms start willing"
    model = ClusterModel(params, rng=1, policies=city.instruments())
    k = params.sector_names.index("plastics")
    plastics = _in_sector(model, k)
    found = np.count_nonzero(model.smes.state[plastics] == TRANSFORMED) / len(plastics)
    assert abs(found - shares["transformed"]) <= 1 / len(plastics), \
        f"{shares['transformed']:.3f} of plastics firms transformed at the start expected, " \
        f"got {found:.3f}"
    others = np.flatnonzero(model.smes.sector != k)
    assert (model.smes.state[others] == UNAWARE).all(), "the other sectors start unaware"
    assert city.model_params() == params, "the start is the same every time it is asked for"


def test_the_end_state_runs_once_per_process():
    scenarios.load("jieyang-city-2023").model_params()
    before = starting._end_state.cache_info()
    for _ in range(3):
        scenarios.load("jieyang-city-2023").model_params()
    after = starting._end_state.cache_info()
    assert after.misses == before.misses, "no new run of the 2020 pilot"
    assert after.hits >= before.hits + 3, "the kept end state is used"


def test_firms_transformed_before_the_start_do_not_count_toward_the_target():
    city = scenarios.load("jieyang-city-2023")
    params, mix = city.model_inputs()
    model = ClusterModel(params, rng=1, policies=mix)
    at_start = model.smes.state == TRANSFORMED
    assert at_start.sum() > 30, "the plastics sector starts with transformed firms"
    while model.running:
        model.step()
    ts = model.datacollector.get_model_vars_dataframe()
    assert ts["n_counted"].iloc[0] <= ts["new_transformed"].iloc[0], \
        "in month 1 only firms accepted in month 1 count"
    assert (ts["n_counted"] <= ts["cum_transformed"]).all(), \
        "no more firms count than this run has accepted"
    s = model.smes
    held = (s.state == TRANSFORMED) & ~s.counted
    assert (held <= at_start).all(), \
        "the only transformed firms not counted are firms transformed at the start"
    assert ts["n_transformed"].iloc[-1] == ts["n_counted"].iloc[-1] + held.sum(), \
        "n_transformed holds the counted firms and those transformed before the start"
    result = run_one(city, seed=1)
    deadline = result.params.deadline_month - 1
    assert result.outcomes["transformed_by_deadline"] == \
        result.timeseries["n_counted"].iloc[deadline], "the target is judged on n_counted"
    assert result.outcomes["transformed_by_deadline"] < \
        result.timeseries["n_transformed"].iloc[deadline], \
        "firms transformed before the start are transformed but not counted"


# --- bad files: one line naming the field -----------------------------------------------------

def _city_with(tmp_path, start_state, name: str = "jieyang-city-2023"):
    data = read_yaml(resolve("jieyang-city-2023"))
    data["name"] = name
    data["start_state"] = start_state
    path = tmp_path / "city.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


@pytest.mark.parametrize(("start_state", "expected"), [
    ([{"sector": "metal", "shares": {"transformed": 0.1}}],
     ["start_state[0].sector = 'metal'", "not a sector", "plastics"]),
    ([{"sector": "plastics", "from_scenario": "nowhere-2020"}],
     ["start_state[0].from_scenario = 'nowhere-2020'", "not a shipped scenario",
      "jieyang-plastics-2020"]),
    ([{"sector": "plastics", "from_scenario": "jieyang-plastics-2020",
       "from_sector": "textiles"}],
     ["start_state[0].from_sector = 'textiles'", "not a sector of jieyang-plastics-2020"]),
    ([{"sector": "plastics", "from_scenario": "jieyang-city-2023"}],
     ["start_state[0].from_scenario = 'jieyang-city-2023'", "its own end state"]),
    ([{"sector": "plastics", "shares": {"transformed": 1.5}}],
     ["start_state[0].shares", "transformed = 1.5", "between 0 and 1"]),
    ([{"sector": "plastics", "shares": {"transformed": -0.1}}],
     ["start_state[0].shares", "between 0 and 1"]),
    ([{"sector": "plastics", "shares": {"transformed": 0.6, "willing": 0.5}}],
     ["start_state[0].shares", "sum to 1.1", "at most 1"]),
    ([{"sector": "plastics", "shares": {"in_project": 0.1}}],
     ["start_state[0].shares", "'in_project' is not a starting state",
      "unaware, willing, transformed, failed, lapsed"]),
    ([{"sector": "plastics", "shares": {"deep": 0.1}}],
     ["start_state[0].shares", "'deep' is not a starting state"]),
    ([{"sector": "plastics"}], ["start_state[0].from_scenario", "or shares"]),
    ([{"sector": "plastics", "shares": {"willing": 0.1},
       "from_scenario": "jieyang-plastics-2020"}], ["start_state[0].shares", "not both"]),
    ([{"sector": "plastics", "shares": {"willing": 0.1}},
      {"sector": "plastics", "shares": {"willing": 0.2}}],
     ["start_state[1].sector = 'plastics'", "named twice"]),
    ([{"sector": "plastics", "shares": {"willing": 0.1}, "colour": "red"}],
     ["start_state[0].colour", "unknown key"]),
])
def test_bad_start_states_are_one_line_naming_the_field(tmp_path, start_state, expected):
    path = _city_with(tmp_path, start_state)
    with pytest.raises(ScenarioError) as err:
        scenarios.load(path)
    message = str(err.value)
    assert "\n" not in message, f"one line expected, got {message}"
    assert message.startswith(str(path)), f"the message names the file: {message}"
    for part in expected:
        assert part in message, f"{part!r} expected in: {message}"


def test_a_cycle_of_starting_states_is_an_error(tmp_path, monkeypatch):
    from catfish.scenarios import loader

    base = read_yaml(resolve("jieyang-plastics-2020"))
    shipped = tmp_path / "shipped"
    shipped.mkdir()
    monkeypatch.setattr(loader, "SHIPPED", shipped)
    for name, other in (("town-a", "town-b"), ("town-b", "town-a")):
        data = {**base, "name": name,
                "start_state": [{"sector": "plastics", "from_scenario": other}]}
        (shipped / f"{name}.yaml").write_text(yaml.safe_dump(data, allow_unicode=True),
                                              encoding="utf-8")
    with pytest.raises(ScenarioError) as err:
        scenarios.load(shipped / "town-a.yaml")
    message = str(err.value)
    assert "\n" not in message, f"one line expected, got {message}"
    for part in ("start_state[0].from_scenario = 'town-b'", "cycle",
                 "town-a -> town-b -> town-a"):
        assert part in message, f"{part!r} expected in: {message}"


def test_stated_shares_load_and_apply(tmp_path):
    path = _city_with(tmp_path, [{"sector": "food", "shares": {"transformed": 0.1,
                                                               "willing": 0.2}}])
    city = scenarios.load(path)
    params = city.model_params()
    assert params.start_shares == {"food": {"transformed": 0.1, "willing": 0.2}}, \
        f"stated shares carried to the model, got {params.start_shares}"
    model = ClusterModel(params, rng=2, policies=city.instruments())
    food = _in_sector(model, params.sector_names.index("food"))
    willing = np.count_nonzero(model.smes.state[food] == WILLING)
    assert abs(willing - 0.2 * len(food)) <= 1, \
        f"{0.2 * len(food):.1f} willing food firms expected, got {willing}"


def test_behaviour_overrides_may_not_set_start_shares():
    data = read_yaml(resolve("jieyang-plastics-2020"))
    data["behaviour"] = {"overrides": {"start_shares": {"plastics": {"willing": 0.5}}}}
    with pytest.raises(ScenarioError) as err:
        parse(data, "x.yaml")
    message = str(err.value)
    assert "start_shares" in message and "start_state" in message, \
        f"the message names the field and the section that sets it: {message}"
