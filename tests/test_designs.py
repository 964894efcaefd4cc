"""Experimental designs: grid, list, Latin hypercube, Sobol, Morris; run ids, seeds, tasks."""

from __future__ import annotations

import inspect
import itertools
import math

import numpy as np
import pytest
from catfish.experiments.runs import designs
from catfish.scenarios import ScenarioError
from catfish.scenarios.sweep import load_sweep
from SALib.sample import morris as salib_morris
from SALib.sample import sobol as salib_sobol

from tests.test_sweep_spec import SMALL_SCENARIO, sweep_data, write_files

RANGES = [  # name, path, low, high: every one a float range
    ("peer_effect", "behaviour.overrides.peer_effect_per_year", 0.2, 0.6),
    ("talent", "cluster.smes.talent_mean", 0.25, 0.45),
    ("grant_share", "policies.grant.share", 0.1, 0.5),
]


def float_factors() -> list[dict]:
    return [{"name": n, "path": p, "low": lo, "high": hi} for n, p, lo, hi in RANGES]


def spec_of(tmp_path, **changes):
    return load_sweep(write_files(tmp_path, sweep_data(**changes)))


def test_grid_is_the_full_factorial_first_factor_slowest(tmp_path):
    factors = [
        {"name": "grant_share", "path": "policies.grant.share", "low": 0.1, "high": 0.5},
        {"name": "providers", "path": "cluster.providers.count", "low": 2, "high": 4,
         "type": "int"},
        {"name": "paid_on", "path": "policies.grant.paid_on", "levels": ["start", "acceptance"]},
    ]
    spec = spec_of(tmp_path, factors=factors, design={"kind": "grid", "points_per_factor": 3})
    points = designs.design_points(spec)
    assert len(points) == 3 * 3 * 2 == designs.count_points(spec), \
        f"expected the product of the numbers of levels, 18, got {len(points)}"
    expected = list(itertools.product([0.1, 0.3, 0.5], [2, 3, 4], ["start", "acceptance"]))
    got = [tuple(row) for row in points.itertuples(index=False)]
    assert [(round(a, 12), b, c) for a, b, c in got] == expected, \
        "expected itertools.product order, ranges evenly spaced with both ends"
    assert points["providers"].dtype == np.int64, "int factors give whole numbers"
    assert list(points.index) == list(range(18)) and points.index.name == "point", \
        "points are numbered 0..P-1"
    assert designs.count_runs(spec) == 18 * spec.replicates, "runs: points x replicates"


def test_list_design_keeps_the_listed_points_in_order(tmp_path):
    factors = [{"name": "grant_share", "path": "policies.grant.share"},
               {"name": "paid_on", "path": "policies.grant.paid_on"}]
    listed = [{"grant_share": 0.2, "paid_on": "acceptance"},
              {"grant_share": 0.4, "paid_on": "start"},
              {"grant_share": 0.3, "paid_on": "start"}]
    spec = spec_of(tmp_path, factors=factors, design={"kind": "list", "points": listed})
    points = designs.design_points(spec)
    assert points.to_dict("records") == listed, "expected the file's points, in its order"


def test_latin_hypercube_puts_one_point_in_each_stratum_of_each_factor(tmp_path):
    n = 40
    spec = spec_of(tmp_path, design={"kind": "lhs", "samples": n})
    points = designs.design_points(spec)
    assert len(points) == n, f"expected {n} points"
    for factor in spec.factors:
        if not factor.is_range or factor.type == "int":
            continue
        u = (points[factor.name].to_numpy() - factor.low) / (factor.high - factor.low)
        strata = np.floor(u * n).astype(int)
        assert sorted(strata) == list(range(n)), \
            f"{factor.name}: expected exactly one sample in each of {n} strata"
    counts = points["diagnoses"].value_counts()
    assert set(counts.index) == {0, 20, 40} and counts.max() - counts.min() <= 1, \
        f"levels are equally likely under a Latin hypercube: {counts.to_dict()}"
    assert points["providers"].between(2, 8).all() and points["providers"].dtype == np.int64, \
        "an int range gives whole numbers within it"
    again = designs.design_points(spec_of(tmp_path, design={"kind": "lhs", "samples": n}))
    assert again.equals(points), "the same seed gives the same design"
    other = designs.design_points(spec_of(tmp_path, design={"kind": "lhs", "samples": n,
                                                            "seed": 99}))
    assert not other.equals(points), "design.seed changes the sample"


@pytest.mark.parametrize("second_order", [True, False])
def test_sobol_design_is_salibs_saltelli_sample(tmp_path, second_order):
    n, d = 16, len(RANGES)
    spec = spec_of(tmp_path, factors=float_factors(),
                   design={"kind": "sobol", "base_samples": n, "calc_second_order": second_order})
    points = designs.design_points(spec)
    rows = n * (2 * d + 2) if second_order else n * (d + 2)
    assert len(points) == rows == designs.count_points(spec), \
        f"expected N(2D+2) or N(D+2) = {rows} points, got {len(points)}"
    expected = salib_sobol.sample(designs.salib_problem(spec), n,
                                  calc_second_order=second_order, seed=spec.seed)
    assert np.array_equal(points.to_numpy(), expected), \
        "expected SALib's matrix, rows in SALib's order, for the sweep's seed"
    assert np.array_equal(designs.sample_matrix(spec), expected), "the raw matrix too"


def test_morris_design_is_salibs_trajectories(tmp_path):
    r, ranges = 6, len(RANGES)
    factors = [*float_factors(), {"name": "diagnoses", "path": "policies[1].firms_per_month",
                                  "levels": [0, 20, 40, 80], "type": "int"}]
    d = len(factors)
    spec = spec_of(tmp_path, factors=factors,
                   design={"kind": "morris", "trajectories": r, "num_levels": 4})
    points = designs.design_points(spec)
    assert len(points) == r * (d + 1) == designs.count_points(spec), \
        f"expected r(D+1) = {r * (d + 1)} points, got {len(points)}"
    raw = salib_morris.sample(designs.salib_problem(spec), r, num_levels=4, seed=spec.seed)
    assert np.array_equal(points[spec.factor_names[:ranges]].to_numpy(), raw[:, :ranges]), \
        "expected SALib's trajectories for the ranges"
    assert set(points["diagnoses"]) == {0, 20, 40, 80}, \
        "four Morris levels on [0, 4] pick each of four levels"


def test_salib_problem_bounds_ranges_and_levels(tmp_path):
    spec = spec_of(tmp_path)
    problem = designs.salib_problem(spec)
    assert problem["num_vars"] == 5 and problem["names"] == spec.factor_names, problem
    assert problem["bounds"][0] == [0.2, 0.6], "a range's bounds are low and high"
    assert problem["bounds"][4] == [0.0, 3.0], "levels are sampled on [0, number of levels]"
    with pytest.raises(ValueError, match="not sampled"):
        designs.sample_matrix(spec_of(tmp_path, design={"kind": "grid"}))


def test_tasks_have_stable_unique_ids_common_seeds_and_the_points_values(tmp_path):
    spec = spec_of(tmp_path, design={"kind": "lhs", "samples": 5}, replicates=3, seed=40)
    points = designs.design_points(spec)
    tasks = list(designs.sweep_tasks(spec, points))
    ids = [t.run_id for t in tasks]
    assert len(tasks) == designs.count_runs(spec) == 15, f"expected 15 runs, got {len(tasks)}"
    assert ids[:4] == ["p000000-r000", "p000000-r001", "p000000-r002", "p000001-r000"], ids[:4]
    assert ids == sorted(ids) and len(set(ids)) == len(ids), "unique, in run id order"
    assert [t.seed for t in tasks[:6]] == [40, 41, 42, 40, 41, 42], \
        "replicate r uses seed + r at every point (common random numbers)"
    again = [t.run_id for t in designs.sweep_tasks(spec, points)]
    assert again == ids, "the same sweep gives the same run ids"
    for task in tasks:
        row = points.loc[task.point]
        assert task.values == row.to_dict(), f"{task.run_id}: the point's values"
        params, instruments = task.scenario.model_inputs()
        assert params.peer_effect_per_year == task.values["peer_effect"], "override applied"
        assert params.talent_mean == task.values["talent"], "scenario field applied"
        assert instruments[0].share == task.values["grant_share"], "instrument applied"
        assert instruments[1].firms_per_month == task.values["diagnoses"], "by index too"
        assert all(type(v) in (int, float) for v in task.values.values()), \
            f"plain Python values, got {[type(v) for v in task.values.values()]}"
    assert tasks[0].scenario is tasks[2].scenario, "a point's replicates share its scenario"
    subset = list(designs.sweep_tasks(spec, points.iloc[3:]))
    assert [t.run_id for t in subset] == ids[9:], "a subset of points keeps its point numbers"


def test_tasks_are_generated_lazily(tmp_path, monkeypatch):
    spec = spec_of(tmp_path, design={"kind": "lhs", "samples": 50}, replicates=4)
    built = []
    real = designs.apply_factors
    monkeypatch.setattr(designs, "apply_factors", lambda *a: built.append(1) or real(*a))
    tasks = designs.sweep_tasks(spec, designs.design_points(spec))
    assert inspect.isgenerator(tasks), "expected a generator"
    assert not built, "nothing is built before the first task is asked for"
    first = [next(tasks) for _ in range(5)]
    assert len(built) == 2 and first[4].point == 1, \
        f"expected one scenario per point reached (2), built {len(built)}"


def test_a_bad_point_names_the_design_point_and_the_factor(tmp_path):
    spec = spec_of(tmp_path)
    values = {"peer_effect": 0.3, "talent": 0.3, "grant_share": 1.5, "providers": 4,
              "diagnoses": 20}
    with pytest.raises(ScenarioError) as info:
        designs.point_scenario(spec, 7, values)
    assert str(info.value) == f"{spec.path}: design point 7: factor grant_share = 1.5: must be " \
                              "between 0 and 1 (for policies.grant.share)", str(info.value)


def test_a_point_whose_values_clash_stops_the_sweep_with_one_line(tmp_path):
    factors = [{"name": "length", "path": "calendar.months", "levels": [24, 30], "type": "int"},
               {"name": "deadline", "path": "calendar.deadline",
                "levels": ["2022-04", "2022-10"]}]
    scenario = {**SMALL_SCENARIO,
                "calendar": {"start": "2020-05", "months": 30, "deadline": "2022-04"}}
    spec = load_sweep(write_files(tmp_path, sweep_data(factors=factors, design={"kind": "grid"}),
                                  scenario))
    points = designs.design_points(spec)
    with pytest.raises(ScenarioError) as info:
        designs.check_points(spec, points)
    assert str(info.value).startswith(
        f"{spec.path}: design point 1 (length = 24, deadline = '2022-10'): calendar: deadline "
        "'2022-10' is outside the simulated months"), str(info.value)
    assert "\n" not in str(info.value), "one line"


def test_shipped_sweep_design_and_scenarios_are_valid():
    spec = load_sweep("sweep-jieyang-2023")
    points = designs.design_points(spec)
    assert len(points) == 400 and designs.count_runs(spec) == 2000, len(points)
    for factor in spec.factors:
        column = points[factor.name]
        allowed = (column.between(factor.low, factor.high).all() if factor.is_range
                   else set(column) <= set(factor.levels))
        assert allowed, f"{factor.name}: values outside the factor's range or levels"
    designs.check_points(spec, points)  # every point is a valid scenario
    # how fast tasks are built is a benchmark's business (benchmarks/bench_sweep.py), not a test's
    tasks = list(itertools.islice(designs.sweep_tasks(spec, points), 500))
    assert math.isclose(tasks[-1].scenario.policies[0].parameters()["share"],
                        points.loc[tasks[-1].point, "grant_share"]), "the grant share applied"
