"""The bridges to SALib's ProblemSpec and EMA Workbench, against the real libraries."""

from __future__ import annotations

import numpy as np
import pytest
from catfish.scenarios.factors import apply_factors
from catfish.scenarios.sweep import load_sweep
from catfish.sim import run_one

from catfish.bridges import SweepFunction, ema_model, salib_function, salib_problem

SWEEP = "sweep-jieyang-2023"


def test_salib_problem_has_the_sweeps_factors_bounds_and_outcomes():
    spec = load_sweep(SWEEP)
    problem = salib_problem(SWEEP)
    assert problem["names"] == [f.name for f in spec.factors], "every factor, in order"
    assert problem["bounds"][0] == [0.2, 0.6], "a range keeps its bounds (peer effect)"
    assert problem["bounds"][-1] == [0.0, 5.0], "five levels: the range [0, 5)"
    assert problem["outputs"] == list(spec.outcomes), "outputs are the sweep's outcomes"


def test_the_function_is_the_model_with_the_factors_applied():
    f = salib_function(SWEEP, outcomes=["transformed_by_deadline", "spent_by_deadline_rmb"])
    X = np.array([[0.3, 0.5, 0.3, 0.2, 2.7], [0.5, 0.8, 0.4, 0.4, 0.1]])
    Y = f(X)
    assert Y.shape == (2, 2), "one row per sample, one column per outcome"
    spec = load_sweep(SWEEP)
    values = f.values(X[0])
    assert values["diagnosis_per_month"] == 40, "x = 2.7 on five levels reads as the third"
    scenario = apply_factors(spec.base_scenario(),
                             {factor.path: values[factor.name] for factor in spec.factors})
    direct = run_one(scenario, seed=spec.seed).outcomes
    assert Y[0, 0] == direct["transformed_by_deadline"], \
        "the bridge gives exactly what the model gives at those values and seed"


def test_salib_problemspec_evaluates_and_analyses_catfish():
    from SALib import ProblemSpec

    problem = {**salib_problem(SWEEP), "outputs": ["transformed_by_deadline"]}
    sp = ProblemSpec(problem)
    sp.sample_morris(2, seed=1).evaluate(salib_function(SWEEP,
                                                        outcomes=["transformed_by_deadline"]))
    sp.analyze_morris(seed=1)
    table = sp.analysis.to_df()
    assert len(table) == len(problem["names"]), f"one row per factor:\n{table}"
    assert np.isfinite(table["mu_star"]).all(), "every factor gets a finite mu*"


def test_ema_model_has_levers_uncertainties_and_outcomes_and_runs():
    ema = pytest.importorskip("ema_workbench")
    model = ema_model(SWEEP)
    assert [u.name for u in model.uncertainties] == ["peer_effect", "prior_benefit", "talent"]
    assert [lever.name for lever in model.levers] == ["grant_share", "diagnosis_per_month"], \
        "policy factors are levers"
    experiments, outcomes = ema.perform_experiments(model, scenarios=2, policies=1)
    assert len(experiments) == 2 and len(outcomes["transformed_by_deadline"]) == 2
    assert np.isfinite(outcomes["spent_by_deadline_rmb"]).all()


def test_the_function_pickles_for_processes():
    import pickle

    f = SweepFunction(SWEEP, outcomes=["transformed_by_deadline"], replicates=2)
    again = pickle.loads(pickle.dumps(f))
    X = np.array([[0.3, 0.5, 0.3, 0.2, 1.0]])
    assert again(X)[0] == f(X)[0], "the same value after a round trip through pickle"
