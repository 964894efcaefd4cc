"""Scenario files: loading, one-line errors, equivalence with the built-in default, fuzzing."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
import yaml
from catfish.scenarios import ScenarioError, parameter_sets
from catfish.sim import ModelParams, run_one

from catfish import scenarios
from tests.conftest import mutate, shipped_yaml

SHIPPED = sorted(Path(scenarios.__file__).parent.glob("*.yaml"))


def default_data() -> dict:
    return shipped_yaml("jieyang-plastics-2020")


def test_every_shipped_scenario_loads_and_lists():
    names = scenarios.shipped_names()
    assert scenarios.DEFAULT in names, f"the default scenario is not shipped: {names}"
    for name in names:
        scenario = scenarios.load(name)
        assert scenario.name == name, f"{name}.yaml declares name {scenario.name!r}"
        assert scenario.labels.zh and scenario.labels.en and scenario.sources


def test_every_shipped_scenario_reads_in_chinese():
    """The Chinese report shows a scenario's description and sources; officials read Chinese."""
    for name in scenarios.shipped_names():
        scenario = scenarios.load(name)
        assert scenario.description_zh.strip(), f"{name}: description_zh is empty"
        for source in scenario.sources:
            assert source.note_zh.strip(), f"{name}: source {source.document!r} lacks note_zh"


def test_default_scenario_is_the_built_in_default():
    scenario = scenarios.load(scenarios.DEFAULT)
    params, policies = scenario.model_inputs()
    # the built-in default: ModelParams' defaults with the scenario's named parameter set
    chosen = parameter_sets.values(scenario.behaviour.parameter_set)
    defaults = ModelParams(**chosen)
    differ = {k for k in ModelParams.model_fields if getattr(params, k) != getattr(defaults, k)}
    assert not differ, f"scenario and ModelParams defaults differ in {sorted(differ)}"
    a = run_one(scenario, seed=4, months=12)
    b = run_one(seed=4, months=12, **chosen)
    assert a.timeseries.equals(b.timeseries), "the default scenario runs differently"


@pytest.mark.parametrize(("change", "expected"), [
    (lambda d: d["policies"][0].update(share=1.5),
     "policies[0].share = 1.5: must be between 0 and 1"),
    (lambda d: d["policies"][0].update(paid_on="later"), "policies[0].paid_on = 'later'"),
    (lambda d: d["policies"][0].update(colour="red"),
     "policies[0].colour: not a parameter of 'grant'"),
    (lambda d: d["policies"].append({"instrument": "magic"}), "unknown instrument 'magic'"),
    (lambda d: d["cluster"]["smes"].update(count="many"), "cluster.smes.count = 'many'"),
    (lambda d: d["cluster"]["smes"].update(count=3), "cluster.smes.count = 3: Input should be"),
    (lambda d: d["calendar"].update(deadline="2030-01"), "deadline '2030-01' is outside"),
    (lambda d: d.update(colour="red"), "colour: unknown key"),
    (lambda d: d.pop("labels"), "labels: missing (required)"),
    (lambda d: d["behaviour"].update(overrides={"n_smes": 5}), "set by another section"),
    (lambda d: d["behaviour"].update(overrides={"q": 5}), "'q' is not a model parameter"),
    (lambda d: d["behaviour"].update(overrides={"risk_aversion": -1}),
     "behaviour.overrides.risk_aversion = -1: Input should be greater than or equal to 0"),
])
def test_bad_scenario_gives_one_line_with_file_path_value_and_rule(change, expected):
    data = default_data()
    change(data)
    with pytest.raises(ScenarioError) as info:
        scenarios.parse(data, "my.yaml")
    message = str(info.value)
    assert message.startswith("my.yaml: "), f"expected the file first: {message!r}"
    assert expected in message, f"expected {expected!r} in {message!r}"
    assert "\n" not in message, f"expected one line: {message!r}"


def test_missing_file_and_bad_yaml(tmp_path):
    with pytest.raises(ScenarioError, match=r"absent.yaml: no such scenario file$"):
        scenarios.load(tmp_path / "absent.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("name: [unclosed\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"broken.yaml:2:1: not valid YAML"):
        scenarios.load(broken)
    listed = tmp_path / "list.yaml"
    listed.write_text("- 1\n- 2\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match="expected a mapping of sections"):
        scenarios.load(listed)


# --- fuzzing: mutated shipped scenarios either load or fail with the one-line error --------

NASTY = [None, "", "零", "💥" * 50, -1, 0, 1e308, -1e308, float("nan"), float("inf"), 2**63,
         True, [], {}, [1, 2], {"a": 1}, "2020-13", "<script>alert(1)</script>", 1.5, "1e9"]


def _mutate(data: dict, rng: random.Random) -> dict:
    """Keys deleted, NASTY values put in, keys added (a near miss of the one beside them too)."""
    return mutate(data, rng, NASTY, replace_below=0.8, new_keys=lambda last: [
        "extra", "名字", "share ", last + "x" if isinstance(last, str) else "x"])


def test_fuzz_one_thousand_mutations_never_give_a_traceback(tmp_path):
    rng = random.Random(20261123)
    originals = {path.name: path.read_text(encoding="utf-8") for path in SHIPPED
                 if not path.name.startswith(scenarios.loader.OTHER_KINDS)}
    loaded = failed = 0
    for i in range(1200):
        name, text = rng.choice(sorted(originals.items()))
        if i % 4 == 0:  # truncated or corrupted text, through the file path
            cut = rng.randint(0, len(text))
            mutated_text = text[:cut] + rng.choice(["", ":", "\t", "\x00", "{", "'", "- -"])
            target = tmp_path / f"m{i}.yaml"
            target.write_text(mutated_text, encoding="utf-8")
            attempt = lambda t=target: scenarios.load(t)  # noqa: E731
        else:
            mutated = _mutate(yaml.safe_load(text), rng)
            attempt = lambda m=mutated, n=name: scenarios.parse(m, n)  # noqa: E731
        try:
            attempt()
            loaded += 1
        except ScenarioError as exc:
            failed += 1
            assert "\n" not in str(exc) and str(exc), f"mutation {i}: bad message {exc!r}"
    assert loaded + failed == 1200 and failed > 500 and loaded > 20, (loaded, failed)


def test_each_call_gives_fresh_instruments_without_another_runs_state():
    scenario = scenarios.load("jieyang-city-2023")
    first, second = scenario.instruments(), scenario.instruments()
    assert first == second, "the same scenario must give the same policy mix every time"
    assert all(a is not b for a, b in zip(first, second, strict=True)), \
        "each call must give new instrument objects (they keep run state)"
    run_one(scenario, seed=1, months=3)  # sets up instruments of its own
    first[0].share = 0.99  # a comparison sets a world's assumptions on its instruments
    again = scenario.instruments()
    assert again == second, f"a run or a change to one mix leaked into the next: {again}"
    assert not any(hasattr(i, "account_row") for i in again), \
        "fresh instruments must not carry a run's set-up"
