"""Comparing policy mixes: comparison files, common random numbers, workers, the command line.

A small cluster (300 SMEs, 24 months, a central factory from month 7) keeps every run near
30 ms, so these tests run a few hundred runs at most.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
from pathlib import Path

import pandas as pd
import pytest
import yaml
from catfish.experiments.analysis import comparison as compare
from catfish.experiments.analysis import stats
from catfish.experiments.cli import main
from catfish.experiments.runs import comparisons as designs
from catfish.scenarios import ScenarioError
from catfish.scenarios import comparison as comparisons
from click.testing import CliRunner

from tests.conftest import catfish, write_yaml
from tests.engine_helpers import comparison_runs

SMALL_SCENARIO = {
    "name": "small-cluster",
    "labels": {"zh": "小型集群", "en": "Small cluster"},
    "sources": [{"document": "tests"}],
    "calendar": {"start": "2020-05", "months": 24, "deadline": "2022-04"},
    "target": {"firms": 60},
    "budget": {"total_rmb": 15_000_000},
    "cluster": {
        "smes": {"count": 300, "sectors": [{"name": "plastics", "share": 1.0}]},
        "providers": {"count": 4, "capacity": 8},
        "lead_firms": {"central_factory": {"opening": "2020-11"}},
    },
    "policies": [{"instrument": "grant", "share": 0.3, "cap_rmb": 300_000}],
}


def mix(name: str, **fields) -> dict:
    return {"name": name, "labels": {"zh": name, "en": name.title()}, **fields}


def comparison_data(**changes) -> dict:
    data = {
        "name": "compare-small",
        "labels": {"zh": "小型集群比较", "en": "Small cluster comparison"},
        "base": "small.yaml",
        "replicates": 3,
        "seed": 11,
        "mixes": [
            mix("grant-heavy", policies=[{"instrument": "grant", "share": 0.5,
                                          "cap_rmb": 500_000}]),
            mix("no-grant", policies=[]),
        ],
    }
    data.update(changes)
    return data


def write_files(folder: Path, data: dict | None = None) -> Path:
    """A small scenario and a comparison of it in ``folder``; returns the comparison's path."""
    write_yaml(folder / "small.yaml", SMALL_SCENARIO)
    return write_yaml(folder / "compare-small.yaml", data or comparison_data())


# --- comparison files ----------------------------------------------------------------------

def test_shipped_comparison_loads_with_base_first():
    shipped = comparisons.shipped_names()
    assert "compare-jieyang-2023" in shipped, f"shipped comparisons: {shipped}"
    loaded = comparisons.load("compare-jieyang-2023")
    names = [m.name for m in loaded.mixes]
    assert names[0] == "base" and len(names) == len(set(names)) >= 5, names
    assert loaded.base.name == "jieyang-city-2023", loaded.base.name
    for m in loaded.mixes:
        assert m.labels.zh and m.labels.en, f"mix {m.name} lacks labels"
        assert m.scenario.cluster == loaded.base.cluster, f"{m.name} changed the cluster"
        assert m.scenario.calendar == loaded.base.calendar, f"{m.name} changed the calendar"


def test_mixes_become_full_scenarios(tmp_path):
    data = comparison_data(mixes=[
        mix("heavy", policies=[{"instrument": "grant", "share": 0.5}]),
        mix("more", mode="add", policies=[{"instrument": "grant", "share": 0.1}],
            budget_rmb=20_000_000),
        mix("none"),
        mix("swapped", mode="swap", policies=[{"instrument": "grant", "share": 0.2}]),
        mix("dropped", mode="add", drop=["grant"]),
    ])
    loaded = comparisons.load(write_files(tmp_path, data))
    by_name = {m.name: m.scenario for m in loaded.mixes}
    assert [p.parameters().get("share") for p in by_name["heavy"].policies] == [0.5], \
        "replace: only the mix's grant"
    assert [p.parameters().get("share") for p in by_name["more"].policies] == [0.3, 0.1], \
        "add: the base's grant, then the mix's"
    assert by_name["none"].policies == (), "replace with nothing: no policy"
    assert [p.parameters().get("share") for p in by_name["swapped"].policies] == [0.2], \
        "swap: the mix's grant instead of the base's"
    assert by_name["dropped"].policies == (), "drop: the base's grant taken out"
    assert by_name["more"].budget.total_rmb == 20e6, "a mix's own budget"
    assert by_name["heavy"].budget.total_rmb == 15e6, "otherwise the base's budget"
    assert by_name["heavy"].labels.en == "Heavy", "the mix's labels"


def test_combine_policies_replace_add_swap_and_drop():
    def g(share):
        return {"instrument": "grant", "share": share}

    base = [g(0.3), {"instrument": "diagnosis"}, g(0.1), {"instrument": "showcase"}]
    mix_ = [{"instrument": "voucher"}, g(0.5)]
    combine = comparisons.combine_policies
    assert combine(base, mix_, "replace") == mix_, "replace: the mix's policies only"
    assert combine(base, mix_, "add") == base + mix_, "add: the base's, then the mix's"
    assert combine(base, mix_, "swap") == [g(0.5), {"instrument": "diagnosis"},
                                           {"instrument": "showcase"}, {"instrument": "voucher"}], \
        "swap: the mix's grant in place of both base grants, new instruments at the end"
    assert combine(base, [], "add", drop=("grant", "showcase")) == [{"instrument": "diagnosis"}], \
        "drop removes every base instrument of those names"


def test_same_budget_gives_every_mix_the_base_budget(tmp_path):
    loaded = comparisons.load(write_files(tmp_path, comparison_data(same_budget=True)))
    budgets = {m.name: m.scenario.budget.total_rmb for m in loaded.mixes}
    assert set(budgets.values()) == {15e6}, f"expected 15 M RMB everywhere, got {budgets}"


@pytest.mark.parametrize(("change", "expected"), [
    (lambda d: d.update(colour="red"), "compare-small.yaml: colour: unknown key"),
    (lambda d: d["mixes"][1].update(colour="red"), ": mixes[1].colour: unknown key"),
    (lambda d: d["mixes"][0]["policies"][0].update(share=1.5),
     ": mixes[0].policies[0].share = 1.5: must be between 0 and 1"),
    (lambda d: d["mixes"][0]["policies"].append({"instrument": "grant", "paid_on": "never"}),
     ": mixes[0].policies[1].paid_on = 'never'"),
    (lambda d: d["mixes"][0]["policies"][0].update(colour="red"),
     ": mixes[0].policies[0].colour: not a parameter of 'grant'"),
    (lambda d: d["mixes"][1].update(policies=[{"instrument": "magic"}]),
     ": mixes[1].policies[0].instrument = 'magic': unknown instrument 'magic'"),
    (lambda d: d.update(base="nowhere.yaml"),
     ": base = 'nowhere.yaml': no such scenario file"),
    (lambda d: d.pop("base"), ": base: missing (required)"),
    (lambda d: d.update(same_budget=True) or d["mixes"][0].update(budget_rmb=3e7),
     ": mixes[0].budget_rmb = 30000000.0: not allowed with same_budget: true"),
    (lambda d: d["mixes"][1].update(name="base"), "mixes[1].name = 'base': is the reference"),
    (lambda d: d["mixes"][1].update(name="grant-heavy"), "mixes[1].name = 'grant-heavy': is "
                                                         "used twice"),
    (lambda d: d["mixes"][1].update(mode="swop"), ": mixes[1].mode = 'swop'"),
    (lambda d: d["mixes"][1].update(mode="add", drop=["diagnosis"]),
     ": mixes[1].drop[0] = 'diagnosis': the base scenario has no such instrument (it has: "
     "grant)"),
    (lambda d: d["mixes"][1].update(drop=["grant"]),
     ": mixes[1].drop = ['grant']: only with mode add or swap"),
    (lambda d: d.update(replicates=1), ": replicates = 1: Input should be greater than or "
                                       "equal to 2"),
    (lambda d: d.update(mixes=[]), ": mixes = []: "),
])
def test_bad_comparison_gives_one_line_through_the_cli(tmp_path, change, expected):
    data = comparison_data()
    change(data)
    path = write_files(tmp_path, data)
    with pytest.raises(ScenarioError) as info:
        comparisons.load(path)
    assert str(info.value).startswith(f"{path}: "), f"file first: {info.value}"
    done = CliRunner().invoke(main, ["compare", str(path), "--out", str(tmp_path / "out")])
    assert done.exit_code == 2, f"expected exit status 2, got {done.exit_code}: {done.output}"
    lines = done.stderr.splitlines()
    assert len(lines) == 1, f"expected exactly one line on stderr, got {lines}"
    assert lines[0].startswith(f"catfish: error: {path}: "), lines[0]
    assert expected in lines[0], f"expected {expected!r} in {lines[0]!r}"
    assert not (tmp_path / "out").exists(), "an invalid comparison must not write results"


def test_bad_base_scenario_names_the_comparison_and_the_scenario(tmp_path):
    path = write_files(tmp_path)
    broken = {**SMALL_SCENARIO, "target": {"firms": -1}}
    (tmp_path / "small.yaml").write_text(yaml.safe_dump(broken), encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        comparisons.load(path)
    message = str(info.value)
    assert message.startswith(f"{path}: base: ") and "small.yaml: target.firms = -1" in message, \
        message


def test_unknown_name_scenario_file_and_bad_options(tmp_path):
    runner = CliRunner()
    done = runner.invoke(main, ["compare", "no-such-comparison"])
    assert done.exit_code == 2 and "no such file or shipped comparison" in done.stderr, \
        done.stderr
    scenario = tmp_path / "small.yaml"
    write_files(tmp_path)
    done = runner.invoke(main, ["compare", str(scenario)])
    assert done.exit_code == 2 and "this is a scenario file, not a comparison" in done.stderr, \
        done.stderr
    done = runner.invoke(main, ["compare", "compare-jieyang-2023", "--replicates", "1"])
    assert done.exit_code == 2 and "--replicates" in done.stderr, done.stderr
    done = runner.invoke(main, ["compare", "compare-jieyang-2023", "--workers", "0"])
    assert done.exit_code == 2 and "--workers" in done.stderr, done.stderr


# --- common random numbers -----------------------------------------------------------------

@pytest.fixture(scope="module")
def small_comparison(tmp_path_factory) -> comparisons.Comparison:
    folder = tmp_path_factory.mktemp("small")
    return comparisons.load(write_files(folder, comparison_data(mixes=[
        mix("grant-heavy", policies=[{"instrument": "grant", "share": 0.5,
                                      "cap_rmb": 500_000}]),
        mix("same-as-base", mode="add", policies=[]),
        mix("no-grant", policies=[]),
    ])))


def test_replicate_r_gets_seed_plus_r_in_every_mix(small_comparison):
    tasks = list(designs.plan(small_comparison, replicates=4, seed=100))
    assert [(t.mix, t.replicate) for t in tasks] == [
        (m.name, r) for m in small_comparison.mixes for r in range(4)], "(mix, replicate) order"
    for task in tasks:
        assert task.seed == 100 + task.replicate, f"{task}: expected seed {100 + task.replicate}"


def test_a_mix_identical_to_the_base_differs_by_exactly_zero(small_comparison, tmp_path):
    runs = comparison_runs(small_comparison, 4, 5, tmp_path / "store")
    seeds = runs.pivot(index="replicate", columns="mix", values="seed")
    assert (seeds.nunique(axis=1) == 1).all(), f"a replicate's seed differs between mixes:\n{seeds}"
    outcomes = [c for c in runs.columns if c not in ("mix",)]
    base = runs[runs["mix"] == "base"][outcomes].reset_index(drop=True)
    same = runs[runs["mix"] == "same-as-base"][outcomes].reset_index(drop=True)
    pd.testing.assert_frame_equal(base, same, obj="runs of the base and of an identical mix")
    row = compare.summarise(runs).set_index("mix").loc["same-as-base"]
    assert (row["diff_transformed_mean"], row["diff_transformed_lo"],
            row["diff_transformed_hi"]) == (0.0, 0.0, 0.0), "expected exactly zero, [0, 0]"
    heavy = compare.summarise(runs).set_index("mix").loc["grant-heavy"]
    assert heavy["spent_by_deadline_grant_rmb_mean"] > 0, "spending by instrument reported"
    no_grant = runs[runs["mix"] == "no-grant"]
    assert (no_grant["spent_by_deadline_grant_rmb"] == 0).all(), \
        "a mix without the grant must show 0 spent on it, not a missing value"


def test_paired_interval_is_much_narrower_than_unpaired(small_comparison, tmp_path):
    # Measured on this small cluster: with 60 replicates from seed 0 the Welch interval of
    # "grant-heavy minus base" in transformed firms is 2.9x as wide as the paired one (4.6 vs
    # 1.6 firms); over six blocks of 60 seeds the ratio ranged from 2.4 to 3.6. Fewer
    # replicates scatter more (1.9 to 4.2 with 20), hence 60.
    pair = dataclasses.replace(small_comparison, mixes=tuple(
        m for m in small_comparison.mixes if m.name in ("base", "grant-heavy")))
    runs = comparison_runs(pair, 60, 0, tmp_path / "store")
    heavy = runs[runs["mix"] == "grant-heavy"]["transformed_by_deadline"].to_numpy()
    base = runs[runs["mix"] == "base"]["transformed_by_deadline"].to_numpy()
    _, p_lo, p_hi = stats.paired_difference(heavy, base)
    _, w_lo, w_hi = stats.welch_difference(heavy, base)
    ratio = (w_hi - w_lo) / (p_hi - p_lo)
    assert ratio >= 2, f"expected the paired interval at least 2x narrower, got {ratio:.2f}x " \
                       f"(paired {p_hi - p_lo:.2f}, Welch {w_hi - w_lo:.2f} firms)"


# --- the command line end to end (catfish: tests/conftest.py) ------------------------------

def test_compare_end_to_end_workers_and_overwrite(tmp_path):
    path = write_files(tmp_path)
    one = catfish("compare", str(path), "--out", "one", "--workers", "1", cwd=tmp_path)
    assert one.returncode == 0, f"catfish compare failed: {one.stderr}"
    out = tmp_path / "one"
    for name in ("runs", "summary", "timeseries"):
        csv, parquet = pd.read_csv(out / f"{name}.csv"), pd.read_parquet(out / f"{name}.parquet")
        pd.testing.assert_frame_equal(parquet, csv, check_dtype=False, obj=f"{name} csv/parquet")
    for chart in ("transformed_over_time", "target_probability", "paired_difference",
                  "cost_effectiveness"):
        assert (out / f"{chart}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", f"{chart}.png"

    runs = pd.read_parquet(out / "runs.parquet")
    assert len(runs) == 3 * 3, f"expected 3 mixes x 3 replicates, got {len(runs)} rows"
    assert list(runs["mix"].unique()) == ["base", "grant-heavy", "no-grant"]
    assert set(runs["seed"]) == {11, 12, 13}, "seeds 11 + r from the file"
    summary = pd.read_csv(out / "summary.csv")
    assert len(summary) == 3 and summary["label_en"].iloc[0] == "Small cluster"
    ts = pd.read_parquet(out / "timeseries.parquet")
    assert len(ts) == 9 * 24, f"expected 9 runs x 24 months, got {len(ts)} rows"

    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["comparison"]["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert manifest["seeds"]["first"] == 11 and manifest["replicates"] == 3
    assert [m["name"] for m in manifest["mixes"]] == ["base", "grant-heavy", "no-grant"]
    assert all(len(m["scenario_sha256"]) == 64 for m in manifest["mixes"])
    assert set(manifest["packages"]) >= {"catfish", "mesa", "numpy", "scipy", "pandas",
                                         "pydantic"}, manifest["packages"]
    assert "commit" in manifest["git"] and manifest["wall_seconds"] > 0

    for expected in ("grant-heavy", "no-grant", "P(target)", "vs base", "reference",
                     "Results written to one/"):
        assert expected in one.stdout, f"expected {expected!r} in the headline:\n{one.stdout}"
    assert "Traceback" not in one.stderr, one.stderr

    two = catfish("compare", str(path), "--out", "two", "--workers", "2", cwd=tmp_path)
    assert two.returncode == 0, two.stderr
    for name in ("runs", "summary", "timeseries"):
        pd.testing.assert_frame_equal(pd.read_parquet(out / f"{name}.parquet"),
                                      pd.read_parquet(tmp_path / "two" / f"{name}.parquet"),
                                      obj=f"{name} with 1 and 2 workers")

    before = (out / "runs.csv").read_bytes()
    again = catfish("compare", str(path), "--out", "one", cwd=tmp_path)
    assert again.returncode == 2, f"expected exit status 2, got {again.returncode}"
    assert again.stderr.strip().startswith("catfish: error: ") \
        and "holds results of catfish" in again.stderr and len(again.stderr.splitlines()) == 1, \
        again.stderr
    assert (out / "runs.csv").read_bytes() == before, "an earlier result was overwritten"

    forced = catfish("compare", str(path), "--out", "one", "--overwrite", "--seed", "50",
                     "--replicates", "2", cwd=tmp_path)
    assert forced.returncode == 0, forced.stderr
    rerun = pd.read_csv(out / "runs.csv")
    assert set(rerun["seed"]) == {50, 51} and len(rerun) == 6, "--overwrite, --seed, --replicates"
    assert not math.isnan(rerun["transformed_by_deadline"].mean())


def test_worlds_draw_calibrated_values_from_the_posterior_given(tmp_path):
    path = write_files(tmp_path)
    posterior = tmp_path / "posterior.parquet"
    pd.DataFrame({"peer_effect_per_year": [0.2, 0.4, 0.6, 0.8],
                  "competition_per_year": [0.5, 1.0, 1.5, 2.0],
                  "weight": [0.1, 0.2, 0.3, 0.4]}).to_parquet(posterior)
    done = catfish("compare", str(path), "--out", "post", "--posterior", str(posterior),
                   cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    worlds = pd.read_parquet(tmp_path / "post" / "worlds.parquet")
    assert len(worlds) == 3 and worlds["world"].tolist() == [0, 1, 2], "a world per replicate"
    assert set(worlds["peer_effect_per_year"]) <= {0.2, 0.4, 0.6, 0.8}, "draws come from it"
    rows = worlds["posterior_draw"].to_numpy()
    assert (worlds["competition_per_year"].to_numpy() == [0.5, 1.0, 1.5, 2.0][0] + 0.5 * rows
            ).all(), "a posterior row is drawn whole: its values stay together"
    manifest = json.loads((tmp_path / "post" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["posterior"]["sha256"] == hashlib.sha256(posterior.read_bytes()).hexdigest()
    origins = {d["parameter"]: d["origin"] for d in manifest["worlds"]["distributions"]}
    assert origins["peer_effect_per_year"] == "posterior" \
        and origins["visit_conversion_prob"] == "prior", origins
    assert "calibrated values from posterior.parquet" in done.stdout, done.stdout

    pd.DataFrame({"not_a_parameter": [1.0]}).to_parquet(tmp_path / "bad.parquet")
    bad = catfish("compare", str(path), "--out", "bad", "--posterior", "bad.parquet",
                  cwd=tmp_path)
    assert bad.returncode == 2 and "'not_a_parameter' is not a model parameter" in bad.stderr, \
        bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1 and not (tmp_path / "bad").exists()


def test_probabilities_short_of_certainty_never_print_as_certain():
    from catfish.experiments.analysis.comparison import probability

    assert probability(0.996) == "0.996" and probability(1.0) == "1.00", "0.996 is not 1.00"
    assert probability(0.004) == "0.004" and probability(0.0) == "0.00", "0.004 is not 0.00"
    assert probability(0.5) == "0.50" and probability(float("nan")) == "n/a"
    assert probability(0.996, 0, percent=True) == "99.6%", "a percentage keeps the same rule"
    assert probability(0.94, 0, percent=True) == "94%" and probability(1.0, 0, percent=True) \
        == "100%"
