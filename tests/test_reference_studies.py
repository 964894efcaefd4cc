"""Leave-one-out and recovery by ABC rejection on a reference table (calibration/reference.py).

The machinery is tested on a table whose statistics are known functions of the parameters
(no simulation), so that what it must find is known: a statistic that follows a parameter
pins it down (recovery covers the truth, the interval narrows), a statistic that follows no
parameter teaches nothing (the interval stays nearly as wide as the prior), and a left-out
target that depends on a parameter other targets pin down is predicted well.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from catfish.calibration.abc import CALIBRATED
from catfish.calibration.data import holdouts, targets
from catfish.calibration.priors import load_priors
from catfish.calibration.reference import (
    count_kept,
    distances,
    leave_one_out,
    nearest,
    recovery,
    recovery_summary,
    reference_table,
)


@pytest.fixture(scope="module")
def known_table():
    """800 prior draws; each target a known function of the parameters, plus a little noise."""
    priors = load_priors()
    rng = np.random.default_rng(5)
    table = pd.DataFrame({p: rng.uniform(priors[p].low, priors[p].high, 800) for p in CALIBRATED})

    def scaled(p):  # the parameter's place in its prior, 0-1
        return (table[p] - priors[p].low) / (priors[p].high - priors[p].low)

    for fact in targets():
        low, high = fact.bounds
        middle, sd = (low + high) / 2, fact.error_sd
        # every target follows light_cost_cut; the failure share also follows the early stage
        signal = 8 * sd * (scaled("light_cost_cut") - 0.5)
        if fact.name == "failures_early_middle_share":
            signal = signal + 8 * sd * (scaled("early_failure_prob") - 0.5)
        table[fact.name] = middle + signal + rng.normal(0, 0.2 * sd, len(table))
    return table


def test_distances_are_misses_in_observation_errors(known_table):
    facts = targets()
    row = known_table.iloc[[0]].copy()
    for fact in facts:
        row[fact.name] = fact.bounds[0]
    assert distances(row, facts)[0] == pytest.approx(0.0), "a row at the data is at distance 0"
    one = facts[1]
    row[one.name] = one.bounds[1] + 2 * one.error_sd
    assert distances(row, facts)[0] == pytest.approx(2.0), "two errors off one figure"


def test_rejection_keeps_the_nearest_share(known_table):
    accepted = nearest(known_table, targets(), keep=0.05)
    assert len(accepted) == count_kept(known_table, 0.05) == 40, "5 % of 800 rows"
    cut = (known_table["light_cost_cut"] - 0.05) / 0.35
    kept = (accepted["light_cost_cut"] - 0.05) / 0.35
    assert kept.std() < 0.5 * cut.std(), \
        "the parameter every target follows is pinned down among the nearest rows"


def test_recovery_covers_what_the_data_pin_down_and_learns_nothing_else(known_table):
    found = recovery(known_table, truths=30, keep=0.05, seed=2)
    summary = recovery_summary(found).set_index("parameter")
    assert set(summary.index) == set(CALIBRATED), "one row per calibrated parameter"
    pinned = summary.loc["light_cost_cut"]
    assert pinned["coverage"] >= 0.8, f"the truth covered in most repetitions: {pinned.to_dict()}"
    assert pinned["mean_width_share"] < 0.4, f"a narrow interval: {pinned.to_dict()}"
    free = summary.loc["hurdle_sd"]
    assert free["mean_width_share"] > 0.7, \
        f"a parameter no statistic follows keeps nearly its prior's width: {free.to_dict()}"


def test_leave_one_out_predicts_each_target_from_the_others(known_table):
    loo = leave_one_out(known_table, keep=0.05, seed=3)
    assert list(loo["target"]) == [f.name for f in targets()], "one row per target, in order"
    for column in ("lo50", "hi50", "lo90", "hi90", "percentile", "in50", "in90"):
        assert column in loo, f"a {column} column"
    assert loo["in90"].all(), \
        "each target follows the parameter the others pin down, so each is predicted: " \
        f"{loo[['target', 'lo90', 'hi90', 'observed']].to_dict('records')}"


def test_a_small_real_reference_table_has_every_statistic():
    facts = [f for f in targets() + holdouts() if f.scenario == "chengdu-chain-led"]
    table = reference_table(3, seed=4, facts=facts,
                            parameters=("promotion_per_year", "light_cost_cut"))
    assert len(table) == 3, "one row per draw"
    for fact in facts:
        assert np.isfinite(table[fact.name]).all(), f"{fact.name} simulated for every draw"
    priors = load_priors()
    assert table["light_cost_cut"].between(priors["light_cost_cut"].low,
                                           priors["light_cost_cut"].high).all(), \
        "parameters drawn inside their priors"


def test_the_engine_makes_the_same_reference_table_and_resumes_it(tmp_path):
    from catfish.experiments.jobs.calibrate import EngineSimulations
    from catfish.experiments.runs.engine import Workers

    facts = [f for f in targets() + holdouts() if f.scenario == "chengdu-chain-led"]
    parameters = ("promotion_per_year", "light_cost_cut")
    here = reference_table(3, seed=4, facts=facts, parameters=parameters)
    engine = EngineSimulations(tmp_path / "runs", Workers(1), kind="reference-table")
    made = reference_table(3, seed=4, facts=facts, parameters=parameters, simulate_many=engine)
    pd.testing.assert_frame_equal(made, here, obj="the engine's table and the in-process one")
    assert (tmp_path / "runs" / "runs.parquet").is_file(), "the runs land in a store"
    again = reference_table(3, seed=4, facts=facts, parameters=parameters, simulate_many=engine)
    pd.testing.assert_frame_equal(again, here, obj="asked again, the store's runs are reused")

