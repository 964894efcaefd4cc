"""Named parameter sets (scenarios/parameter_sets/), calibrated-for-one-scenario parameters,
shipping a calibration, and the shipped calibration being what the shipped scenarios use."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import pytest
import yaml
from catfish.agents.sme import UNAWARE, WILLING
from catfish.calibration.posterior import DEFAULT_POSTERIOR, POSTERIORS, load_posterior
from catfish.calibration.priors import for_scenario, load_priors
from catfish.calibration.report import HOLDOUT_COLUMNS, PPC_COLUMNS
from catfish.calibration.ship import CALIBRATED_SET, COPIED, medians, ship
from catfish.scenarios import parameter_sets
from catfish.scenarios.loader import ScenarioError, parse, read_yaml, resolve
from catfish.scenarios.parameter_sets import ParameterSetError
from catfish.sim import ModelParams
from catfish.sim.model import ClusterModel

from catfish import scenarios
from tests.conftest import catfish


def _scenario_data(name: str = "jieyang-city-2023") -> dict:
    return read_yaml(resolve(name))


def _write_set(folder, name: str, parameters: dict) -> None:
    (folder / f"{name}.yaml").write_text(yaml.safe_dump(
        {"name": name, "description": "test set", "parameters": parameters}), encoding="utf-8")


def test_default_set_is_the_documented_defaults():
    assert parameter_sets.values("default") == {}, "the default set changes nothing"
    data = _scenario_data()
    data["behaviour"] = {"parameter_set": "default"}
    assert parse(data).model_params() == parse({**data, "behaviour": {}}).model_params(), \
        "parameter_set: default gives the ModelParams defaults"


def test_unknown_set_is_one_line_naming_the_field_and_the_choices():
    data = _scenario_data()
    data["behaviour"] = {"parameter_set": "nonesuch"}
    with pytest.raises(ScenarioError) as err:
        parse(data, "x.yaml")
    message = str(err.value)
    assert "\n" not in message, f"one line expected: {message}"
    for part in ("x.yaml", "behaviour.parameter_set", "nonesuch", "default"):
        assert part in message, f"{part!r} expected in: {message}"


def test_a_set_applies_and_overrides_win(tmp_path, monkeypatch):
    monkeypatch.setattr(parameter_sets, "SETS", tmp_path)
    _write_set(tmp_path, "trial", {"cost_sensitivity": 1.5, "promotion_per_year": 0.02})
    data = _scenario_data()
    data["behaviour"] = {"parameter_set": "trial", "overrides": {"promotion_per_year": 0.04}}
    params = parse(data).model_params()
    assert params.cost_sensitivity == 1.5, "the set's value is used"
    assert params.promotion_per_year == 0.04, "the scenario's override wins over the set"


def test_a_set_may_not_set_what_the_scenario_sets(tmp_path, monkeypatch):
    monkeypatch.setattr(parameter_sets, "SETS", tmp_path)
    _write_set(tmp_path, "bad", {"n_smes": 50})
    data = _scenario_data()
    data["behaviour"] = {"parameter_set": "bad"}
    with pytest.raises(ScenarioError, match=r"behaviour.parameter_set.*'n_smes'.*cluster"):
        parse(data, "x.yaml")


def test_a_bad_set_file_names_the_file_the_field_and_the_value(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump({"name": "broken", "description": "d",
                                    "parameters": {"cost_sensitivity": -3}}), encoding="utf-8")
    with pytest.raises(ParameterSetError) as err:
        parameter_sets.load(path)
    message = str(err.value)
    for part in (str(path), "parameters.cost_sensitivity", "-3"):
        assert part in message, f"{part!r} expected in: {message}"


def test_a_parameter_calibrated_for_one_scenario_stays_there():
    assert load_priors()["initial_willing_share"].scenario == "shenzhen-instruments", \
        "Shenzhen's starting willingness is calibrated in its scenario only"
    draw = {"initial_willing_share": 0.5, "cost_sensitivity": 1.0}
    assert for_scenario(draw, "jieyang-city-2023") == {"cost_sensitivity": 1.0}, \
        "dropped elsewhere"
    assert for_scenario(draw, "shenzhen-instruments") == draw, "kept in its own scenario"


def test_initial_willing_share_starts_that_share_willing():
    params = ModelParams(n_smes=4000, months=1, deadline_month=1, initial_willing_share=0.3)
    model = ClusterModel(params, seed=3)
    willing = np.mean(model.smes.state == WILLING)
    assert abs(willing - 0.3) < 0.03, f"about 30 % start willing, got {willing:.3f}"
    none = ClusterModel(ModelParams(n_smes=400, months=1, deadline_month=1), seed=3)
    assert np.all(none.smes.state == UNAWARE), "by default every firm starts unaware"


def _fake_calibration(folder) -> None:
    folder.mkdir()
    pd.DataFrame({"cost_sensitivity": [1.0, 2.0, 3.0], "initial_willing_share": [0.2, 0.4, 0.6],
                  "weight": [0.2, 0.6, 0.2]}).to_parquet(folder / "posterior.parquet")
    pd.DataFrame(columns=PPC_COLUMNS).to_csv(folder / "ppc.csv", index=False)
    pd.DataFrame(columns=HOLDOUT_COLUMNS).to_csv(folder / "holdout.csv", index=False)
    (folder / "posterior_summary.csv").write_text("parameter\n", encoding="utf-8")
    (folder / "pairplot.png").write_bytes(b"png")


def test_ship_installs_the_posterior_and_writes_its_medians(tmp_path):
    _fake_calibration(tmp_path / "calib")
    local = ship(tmp_path / "calib", posteriors=tmp_path / "posteriors",
                 parameter_set=tmp_path / "calibrated.yaml")
    for shipped in COPIED.values():
        assert (tmp_path / "posteriors" / shipped).is_file(), f"{shipped} installed"
    written = parameter_sets.load(tmp_path / "calibrated.yaml")
    assert written.parameters == {"cost_sensitivity": 2.0}, \
        "the weighted median of each parameter common to all scenarios"
    assert local == {"shenzhen-instruments": {"initial_willing_share": 0.4}}, \
        "a one-scenario parameter is returned for its scenario file, not put in the set"


def test_ship_refuses_an_unfinished_calibration_and_replaces_nothing(tmp_path):
    (tmp_path / "calib").mkdir()
    with pytest.raises(FileNotFoundError, match="posterior.parquet"):
        ship(tmp_path / "calib", posteriors=tmp_path / "posteriors",
             parameter_set=tmp_path / "calibrated.yaml")
    assert not (tmp_path / "posteriors").exists(), "nothing written"


# --- the shipped calibration -----------------------------------------------------------------

def test_shipped_posterior_and_predictive_check_exist_and_are_valid():
    posterior = load_posterior(DEFAULT_POSTERIOR)
    assert len(posterior) >= 100, f"a posterior sample of at least 100 draws, got {len(posterior)}"
    ppc = pd.read_csv(POSTERIORS / "default_ppc.csv")
    assert list(ppc.columns) == PPC_COLUMNS, f"columns {PPC_COLUMNS}, got {list(ppc.columns)}"
    from catfish.calibration.data import holdouts, targets
    assert set(ppc["target"]) == {f.name for f in targets()}, "one row per target"
    holdout = pd.read_csv(POSTERIORS / "default_holdout.csv")
    assert list(holdout.columns) == HOLDOUT_COLUMNS, \
        f"columns {HOLDOUT_COLUMNS}, got {list(holdout.columns)}"
    assert set(holdout["figure"]) == {f.name for f in holdouts()}, "one row per hold-out"
    assert set(holdout["result"]) <= {"hit", "miss"}, "each a hit or a miss"


def test_calibrated_set_is_the_shipped_posteriors_medians():
    written = parameter_sets.load(CALIBRATED_SET)
    digest = hashlib.sha256(DEFAULT_POSTERIOR.read_bytes()).hexdigest()
    assert written.source["sha256"] == digest, \
        "calibrated.yaml was written from the shipped posterior (run catfish calibrate --ship)"
    priors = load_priors()
    common = {k: v for k, v in medians(DEFAULT_POSTERIOR).items() if priors[k].scenario is None}
    assert written.parameters == common, "the set holds the posterior's medians"


def test_every_shipped_scenario_uses_the_calibration():
    posterior = medians(DEFAULT_POSTERIOR)
    priors = load_priors()
    for name in scenarios.shipped_names():
        scenario = scenarios.load(name)
        assert scenario.behaviour.parameter_set == "calibrated", \
            f"{name}: behaviour.parameter_set should be 'calibrated'"
        params = scenario.model_params()
        for parameter, value in posterior.items():
            if priors[parameter].scenario in (None, name) \
                    and parameter not in scenario.behaviour.overrides:
                assert abs(getattr(params, parameter) - value) <= 0.005 * max(1, abs(value)), \
                    f"{name}: {parameter} = {getattr(params, parameter)}, posterior median {value}"


def test_ship_command_on_an_unfinished_calibration_is_one_line(tmp_path):
    (tmp_path / "empty").mkdir()
    done = catfish("calibrate", "--ship", "dest", "--out", str(tmp_path / "empty"), cwd=tmp_path)
    assert done.returncode != 0, "shipping nothing fails"
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "posterior.parquet" in lines[0] and "Traceback" not in done.stderr, \
        f"one line naming the missing file expected: {done.stderr}"
    assert not (tmp_path / "dest").exists(), "nothing is written before the calibration is checked"
