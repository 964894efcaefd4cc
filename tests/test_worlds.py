"""Plausible worlds: drawn reproducibly and evenly, paired across mixes, applied to the runs;
--fixed is the comparison as it was; a comparison's own priors are checked in one line."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pandas as pd
import pytest
import yaml
from catfish.calibration.posterior import load_posterior
from catfish.calibration.worlds import (
    WORLD,
    comparison_uncertainties,
    draw_worlds,
    load_instrument_priors,
)
from catfish.experiments.cli import main
from catfish.experiments.runs import comparisons as designs
from catfish.scenarios import comparison as comparisons
from catfish.sim import run_one
from click.testing import CliRunner

from tests.test_compare import comparison_data, mix, write_files

DEMONSTRATION = [
    {"instrument": "exchange_sessions", "sessions_per_quarter": 9, "visitors_per_session": 40,
     "cost_per_session_rmb": 30_000},
    {"instrument": "diagnosis", "firms_per_month": 20, "cost_rmb": 20_000}]


@pytest.fixture
def small(tmp_path, monkeypatch):
    """A small comparison whose mixes use two instruments with assumption priors."""
    monkeypatch.chdir(tmp_path)
    data = comparison_data(mixes=[mix("demonstration", mode="add", policies=DEMONSTRATION),
                                  mix("no-grant", policies=[])])
    return write_files(tmp_path, data)


def uncertain(comparison):
    posterior = load_posterior()
    return posterior, comparison_uncertainties(
        comparison.base, [m.scenario for m in comparison.mixes], posterior=posterior,
        extra=comparison.priors)


def test_worlds_are_reproducible_and_cover_every_prior_evenly(small):
    comparison = comparisons.load(small)
    posterior, uncertainties = uncertain(comparison)
    worlds = draw_worlds(uncertainties, 200, seed=7, posterior=posterior)
    again = draw_worlds(uncertainties, 200, seed=7, posterior=posterior)
    pd.testing.assert_frame_equal(worlds, again, obj="the same seed gives the same worlds")
    assert not worlds.equals(draw_worlds(uncertainties, 200, seed=8, posterior=posterior)), \
        "another seed gives other worlds"
    for u in uncertainties:
        values = worlds[u.key].to_numpy()
        assert ((u.low <= values) & (values <= u.high)).all(), f"{u.key} inside its range"
        if u.origin != "posterior" and not u.integer:
            tenths = np.floor((values - u.low) / (u.high - u.low) * 10).clip(0, 9)
            counts = np.bincount(tenths.astype(int), minlength=10)
            assert (counts == 20).all(), f"{u.key}: a Latin hypercube puts 20 worlds in " \
                                         f"every tenth of the range, got {counts}"
    rows = worlds["posterior_draw"].to_numpy()
    for u in (u for u in uncertainties if u.origin == "posterior"):
        assert np.array_equal(worlds[u.key].to_numpy(), posterior[u.key].to_numpy()[rows]), \
            f"{u.key}: calibrated values come whole from the drawn posterior rows"


def test_every_mix_runs_the_same_world_in_each_replicate(small):
    comparison = comparisons.load(small)
    posterior, uncertainties = uncertain(comparison)
    worlds = draw_worlds(uncertainties, 5, seed=3, posterior=posterior)
    tasks = list(designs.plan(comparison, 5, 11, worlds, uncertainties))
    by_replicate: dict[int, list[designs.Task]] = {}
    for task in tasks:
        by_replicate.setdefault(task.replicate, []).append(task)
    for r, same in by_replicate.items():
        assert {t.seed for t in same} == {11 + r}, "replicate r has seed + r in every mix"
        assert len({t.parameters for t in same}) == 1, \
            f"replicate {r}: every mix runs the same behavioural values"
        world = worlds.iloc[r]
        for t in same:
            for instrument, parameter, value in t.instruments:
                assert value == pytest.approx(world[f"{instrument}.{parameter}"]), \
                    f"{t.mix}: {instrument}.{parameter} is world {r}'s"
    demo = [t for t in tasks if t.mix == "demonstration"][0]
    assert {i for i, _, _ in demo.instruments} == {"exchange_sessions", "diagnosis"}, \
        "the mix that uses them gets the instruments' assumptions"
    none = [t for t in tasks if t.mix == "no-grant"][0]
    assert none.instruments == (), "a mix without those instruments gets none of them"


def test_a_world_changes_the_instruments_it_names(small):
    comparison = comparisons.load(small)
    scenario = comparison.mixes[1].scenario
    def run(*instruments):
        task = designs.Task("demonstration", 0, 11, scenario, (), instruments)
        return designs.simulate_task(task, task.seed).outcomes

    as_written = run()
    same = run(("exchange_sessions", "visitors_per_session", 40.0))
    assert same == as_written, "a world value equal to the file's changes nothing"
    busier = run(("exchange_sessions", "visitors_per_session", 400.0))
    assert busier["transformed_by_deadline"] != as_written["transformed_by_deadline"], \
        "ten times the visitors per session changes the outcome"
    assert scenario.instruments()[1].visitors_per_session == 40, \
        "the scenario itself is untouched (instruments are made afresh for each run)"


def test_fixed_is_the_comparison_without_worlds(small):
    done = CliRunner().invoke(main, ["compare", str(small), "--fixed", "--out", "fixed"])
    assert done.exit_code == 0, done.stderr
    runs = pd.read_parquet(small.parent / "fixed" / "runs.parquet")
    assert not (small.parent / "fixed" / "worlds.parquet").exists(), "no worlds with --fixed"
    comparison = comparisons.load(small)
    for m in comparison.mixes:
        for r in range(3):
            direct = run_one(m.scenario, seed=11 + r).outcomes
            row = runs[(runs["mix"] == m.name) & (runs["replicate"] == r)].iloc[0]
            for name in ("transformed_by_deadline", "spent_by_deadline_rmb", "failed_early"):
                assert row[name] == direct[name], \
                    f"{m.name} replicate {r}: {name} as run_one gives it with seed {11 + r}"
    both = CliRunner().invoke(main, ["compare", str(small), "--fixed", "--posterior"])
    assert both.exit_code == 2 and "--fixed" in both.stderr, both.stderr


def test_instrument_priors_ship_valid_and_sourced():
    priors = load_instrument_priors()
    assert len(priors) >= 10, f"the instruments' assumptions have priors: {list(priors)}"
    for key, prior in priors.items():
        assert prior.source and prior.source_zh, f"{key}: a source in both languages"
        assert prior.labels.zh and prior.labels.en, f"{key}: labels in both languages"


@pytest.mark.parametrize(("change", "expected"), [
    ({"objective": "happiness"}, "objective = 'happiness'"),
    ({"priors": [{"parameter": "chain_leader_programme.per_month", "low": 1, "high": 5,
                  "source": "x"}]}, "no mix uses the 'chain_leader_programme' instrument"),
    ({"priors": [{"parameter": "diagnosis.take_up", "low": 0.5, "high": 1.5, "source": "x"}]},
     "high = 1.5: diagnosis does not accept it"),
    ({"priors": [{"parameter": "peer_magic", "low": 0, "high": 1, "source": "x"}]},
     "'peer_magic': not a model parameter"),
    ({"priors": [{"parameter": "budget_rmb", "low": 1, "high": 2, "source": "x"}]},
     "not uncertain in a comparison"),
    ({"priors": [{"parameter": "talent_mean", "low": 0.6, "high": 0.2, "source": "x"}]},
     "low = 0.6: must be less than high"),
    ({"priors": "missing-priors.yaml"}, "no such file"),
])
def test_bad_objectives_and_priors_are_one_line(tmp_path, change, expected):
    data = comparison_data(mixes=[mix("demonstration", mode="add", policies=DEMONSTRATION)],
                           **change)
    path = write_files(tmp_path, data)
    done = CliRunner().invoke(main, ["compare", str(path), "--out", str(tmp_path / "out")])
    assert done.exit_code == 2, f"exit status 2 expected: {done.stderr}"
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0], f"{expected!r} in one line: {done.stderr}"
    assert not (tmp_path / "out").exists(), "nothing written"


def test_a_malformed_prior_file_is_one_line(tmp_path):
    (tmp_path / "priors.yaml").write_text("- {parameter: talent_mean, low: 0.2}\n",
                                          encoding="utf-8")
    data = comparison_data(priors="priors.yaml")
    path = write_files(tmp_path, data)
    done = CliRunner().invoke(main, ["compare", str(path), "--out", str(tmp_path / "out")])
    assert done.exit_code == 2 and "priors.yaml" in done.stderr and "high" in done.stderr, \
        done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr


def test_a_comparison_prior_replaces_the_shipped_one(small):
    data = yaml.safe_load(small.read_text(encoding="utf-8"))
    data["priors"] = [{"parameter": "exchange_sessions.visitors_per_session", "low": 30,
                       "high": 32, "source": "registration lists"},
                      {"parameter": "talent_mean", "low": 0.3, "high": 0.4,
                       "source": "assumption"}]
    small.write_text(yaml.safe_dump(data), encoding="utf-8")
    comparison = comparisons.load(small)
    posterior, uncertainties = uncertain(comparison)
    by_key = {u.key: u for u in uncertainties}
    assert by_key["exchange_sessions.visitors_per_session"].origin == "comparison" \
        and by_key["exchange_sessions.visitors_per_session"].high == 32, "replaced"
    assert by_key["talent_mean"].origin == "comparison", "a cluster parameter made uncertain"
    worlds = draw_worlds(uncertainties, 50, seed=1, posterior=posterior)
    assert worlds["exchange_sessions.visitors_per_session"].between(30, 32).all()
    assert list(worlds[WORLD]) == list(range(50))
    assert dataclasses.replace(by_key["talent_mean"], low=0.0).low == 0.0  # frozen, not shared


def test_the_objective_option_changes_what_counts_as_best(small):
    done = CliRunner().invoke(main, ["compare", str(small), "--out", "cost", "--replicates", "4",
                                     "--objective", "cost_per_firm"])
    assert done.exit_code == 0, done.stderr
    record = json.loads((small.parent / "cost" / "manifest.json").read_text(encoding="utf-8"))
    assert record["worlds"]["objective"] == "cost_per_firm", "--objective replaces the file's"
    assert "public money per transformed firm" in done.stdout \
        or "每家转型企业的财政支出最少" in done.stdout, f"the headline says what best means: " \
                                                     f"{done.stdout[-600:]}"
