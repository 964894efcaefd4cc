"""Layer 4: direction of effects, with paired seeds (common random numbers) and a tolerance of
two standard errors of the paired difference."""

from __future__ import annotations

import numpy as np
from catfish.sim import ModelParams
from catfish.sim.policy import Grant

from tests.conftest import run_model, series

SEEDS = range(30)
BASE = ModelParams(n_smes=500, months=36, deadline_month=36, target_firms=100, budget_rmb=1e9,
                   n_providers=8)


def paired(outcome, a: dict, b: dict, *, policies_a=None, policies_b=None):
    """Mean and standard error of outcome(b) - outcome(a) over paired seeds."""
    diffs = []
    for seed in SEEDS:
        ma = run_model(BASE, seed=seed, policies=policies_a, **a)
        mb = run_model(BASE, seed=seed, policies=policies_b, **b)
        diffs.append(outcome(mb) - outcome(ma))
    diffs = np.asarray(diffs, dtype=float)
    return diffs.mean(), diffs.std(ddof=1) / np.sqrt(len(diffs))


def transformed_at(month: int):
    return lambda model: series(model, "n_transformed")[month - 1]


def test_higher_grant_share_gives_no_fewer_transformed_firms():
    # same cap per firm; raising the cap too can lower the count (firms pick long deep projects
    # that hold providers' slots), a trade-off the model is meant to show
    mean, se = paired(transformed_at(36), {}, {}, policies_a=[Grant(share=0.1)],
                      policies_b=[Grant(share=0.6)])
    assert mean >= -2 * se, f"a higher grant gave {mean:.1f} (SE {se:.1f}) fewer firms"
    assert mean > 2 * se, f"expected a clear gain from a 60 % grant, got {mean:.1f} (SE {se:.1f})"


def test_higher_stage_failure_gives_fewer_transformed_firms():
    riskier = {"early_failure_prob": 0.4, "middle_failure_prob": 0.5, "late_failure_prob": 0.2}
    mean, se = paired(transformed_at(36), {}, riskier)
    assert mean < -2 * se, f"expected fewer firms with riskier stages, got {mean:.1f} (SE {se:.1f})"


def test_without_central_factory_take_off_in_first_18_months_is_slower():
    mean, se = paired(transformed_at(18), {"central_factory_month": 0}, {})
    assert mean > 2 * se, \
        f"expected more firms by month 18 with the central factory, got {mean:.1f} (SE {se:.1f})"


def test_stronger_competitive_pressure_gives_faster_take_off():
    mean, se = paired(transformed_at(18), {"competition_per_year": 0.2},
                      {"competition_per_year": 5.0})
    assert mean > 2 * se, f"expected faster take-off, got {mean:.1f} (SE {se:.1f})"


def test_zero_budget_spends_nothing():
    model = run_model(BASE, seed=0, budget_rmb=0.0, policies=[Grant(share=0.9)])
    assert series(model, "spent_total_rmb").max() == 0.0, "spent money from an empty budget"
    assert series(model, "spent_grant_rmb").max() == 0.0, "the grant paid from an empty budget"


def test_grant_spending_is_accounted_and_stops_when_budget_runs_out():
    model = run_model(BASE, seed=0, budget_rmb=3e6, policies=[Grant(share=0.5)])
    spent, grant = series(model, "spent_total_rmb"), series(model, "spent_grant_rmb")
    assert np.array_equal(spent, grant), "the only instrument's spending should equal the total"
    assert spent[-1] == 3e6, f"expected the 3 M RMB budget used up, spent {spent[-1]:,.0f}"
    assert np.all(np.diff(spent) >= 0), "cumulative spending went down"
