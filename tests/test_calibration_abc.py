"""ABC-SMC runs, writes its history, and carries on from it (small versions)."""

from __future__ import annotations

import numpy as np
import pytest
from catfish.calibration.abc import Distance, Settings, calibrate, scaled_miss
from catfish.calibration.data import targets


def chengdu_only():
    return [f for f in targets() if f.name == "chengdu_pilot_firms_transformed"]


def test_distance_is_zero_inside_a_range_and_scaled_by_the_observation_error():
    facts = [f for f in targets() if f.name in ("pilot_cities_below_15pct", "payback_years")]
    ranged = next(f for f in facts if f.low is not None)
    assert scaled_miss((ranged.low + ranged.high) / 2, ranged) == 0.0, "inside the range"
    point = next(f for f in facts if f.value is not None)
    assert scaled_miss(point.observed + 2 * point.error_sd, point) == pytest.approx(2.0), \
        "two observation errors off"
    distance = Distance(facts)
    assert distance({ranged.name: ranged.low, point.name: point.observed + point.error_sd},
                    {}) == pytest.approx(1.0), "root of summed squares"
    assert distance({ranged.name: float("nan"), point.name: 4.2}, {}) == float("inf"), \
        "a statistic the run could not compute never matches"


def test_small_calibration_runs_and_resumes_from_its_database(tmp_path):
    settings = Settings(population=6, generations=1, min_epsilon=0.0, ppc_draws=2)
    first = calibrate(tmp_path, facts=chengdu_only(), settings=settings, workers=1,
                      parameters=("visit_conversion_prob", "competition_per_year"))
    assert (tmp_path / "abc.db").is_file(), "pyabc's history is kept in the output folder"
    assert first.generations == 1 and len(first.posterior) == 6, "one generation of 6"
    assert np.isclose(first.posterior["weight"].sum(), 1.0), "weights sum to one"
    more = Settings(population=6, generations=2, min_epsilon=0.0, ppc_draws=2)
    second = calibrate(tmp_path, facts=chengdu_only(), settings=more, workers=1,
                       parameters=("visit_conversion_prob", "competition_per_year"))
    assert second.generations == 2, "the second call carries on with one more generation"
    assert second.simulations > first.simulations, "simulations add up across sessions"


def test_posterior_summary_and_predictive_check_tables():
    import pandas as pd
    from catfish.calibration.priors import load_priors
    from catfish.calibration.report import (
        PPC_COLUMNS,
        posterior_summary,
        predictive_check,
        weighted_quantiles,
    )

    assert weighted_quantiles(np.array([1.0, 2.0, 3.0]), np.array([1.0, 1.0, 1.0]),
                              [0.5])[0] == 2.0, "the middle of three equal weights"
    priors = load_priors()
    prior = priors["competition_per_year"]
    narrow = pd.DataFrame({"competition_per_year": np.linspace(1.0, 1.1, 50),
                           "weight": np.full(50, 1 / 50)})
    summary = posterior_summary(narrow, priors).iloc[0]
    assert summary["lo90"] >= 1.0 and summary["hi90"] <= 1.1, "interval inside the sample"
    assert summary["contraction"] > 0.99, \
        f"a posterior 0.1 wide on a prior {prior.high - prior.low} wide contracts by ~1"
    table, simulations = predictive_check(narrow, chengdu_only(), draws=3)
    assert list(table.columns) == PPC_COLUMNS, "the predictive check's columns (ppc.csv)"
    assert len(simulations) == 3 and table["lo90"].iloc[0] <= table["hi90"].iloc[0]
    assert 0 <= table["percentile"].iloc[0] <= 100


def test_screen_of_the_priors_on_the_targets(tmp_path):
    from catfish.experiments.jobs.screen import influential, screen

    result = screen(tmp_path / "screen", trajectories=2, replicates=1, workers=1)
    factors = set(result.indices["factor"])
    assert {"promotion_per_year", "cost_sensitivity", "dummy"} <= factors, \
        "every prior screened, with the dummy"
    assert {"sichuan_revenue_gain", "chengdu_pilot_firms_transformed"} <= \
        set(result.indices["outcome"]), "targets are the outcomes"
    table = influential(result)
    assert list(table.columns) == ["parameter", "targets", "count"]
    assert "dummy" not in set(table["parameter"]), "the dummy is never worth calibrating"


def test_small_recovery_moves_the_posterior_toward_the_truth(tmp_path):
    from catfish.calibration.recovery import recover

    # Chengdu's efficiency gain follows the light projects' cost cut (the strongest effect in
    # the screen); a truth near the top of its prior should pull the posterior up
    truth = {"light_cost_cut": 0.13}
    table = recover(truth, tmp_path, facts=chengdu_only(), workers=1,
                    settings=Settings(population=16, generations=3, min_epsilon=0.0,
                                      ppc_draws=0))
    row = table.iloc[0]
    assert bool(row["moved_toward"]), f"posterior median {row['median']:.2f} is no closer to " \
        f"the truth {row['truth']} than the prior's middle"
    assert row["contraction"] > 0, "the data narrow the prior"


def test_coverage_says_whether_each_figure_lies_inside_its_predictive_intervals():
    import pandas as pd
    from catfish.calibration.report import coverage_table, holdout_table

    facts = {f.name: f for f in targets()}
    point, ranged = facts["payback_years"], facts["pilot_cities_below_15pct"]
    rng = np.random.default_rng(1)
    near = pd.DataFrame({point.name: 4.2 + rng.normal(0, 0.1, 400),
                         ranged.name: 0.17 + rng.normal(0, 0.01, 400)})
    table = coverage_table(near, [point, ranged]).set_index("target")
    assert table.loc[point.name, "in50"] and table.loc[point.name, "in90"], \
        "an observation at the predictions' centre lies inside both intervals"
    assert 30 < table.loc[point.name, "percentile"] < 70, "near the 50th percentile"
    width = table.loc[point.name, "hi90"] - table.loc[point.name, "lo90"]
    assert width > 3 * 0.8, \
        f"the observation error (sd {point.error_sd}) widens the interval, got {width:.2f}"
    far = pd.DataFrame({point.name: np.full(400, 9.0), ranged.name: np.full(400, 0.6)})
    table = coverage_table(far, [point, ranged]).set_index("target")
    assert not table.loc[point.name, "in90"] and table.loc[point.name, "percentile"] == 0, \
        "an observation below every prediction is outside, at percentile 0"
    assert not table.loc[ranged.name, "in90"], "a range far below the predictions is outside"
    edge = pd.DataFrame({ranged.name: np.full(400, 0.22), point.name: np.full(400, 4.2)})
    table = coverage_table(edge, [ranged, point]).set_index("target")
    assert table.loc[ranged.name, "in90"], \
        "a range (0.14-0.20) that overlaps the 90 % interval around 0.22 counts as inside"
    shipped = holdout_table(coverage_table(far, [point]), [point])
    assert list(shipped["result"]) == ["miss"], "the hold-out table says hit or miss"
    assert shipped["source"].iloc[0] == point.source.file, "and names the source"


def test_write_results_writes_the_fit_check_and_the_holdouts(tmp_path):
    import pandas as pd
    from catfish.calibration.abc import CalibrationRun, write_results
    from catfish.calibration.data import holdouts
    from catfish.calibration.report import HOLDOUT_COLUMNS, PPC_COLUMNS
    from catfish.experiments.cli import _coverage_lines

    posterior = pd.DataFrame({"promotion_per_year": [0.02, 0.03], "light_cost_cut": [0.2, 0.3],
                              "weight": [0.5, 0.5]})
    run = CalibrationRun(tmp_path, Settings(population=2, generations=1, min_epsilon=0,
                                            ppc_draws=3), posterior, generations=1,
                         simulations=2, acceptance_rate=1.0, epsilon=1.0)
    held = [f for f in holdouts() if f.scenario == "chengdu-chain-led"]
    paths = write_results(run, facts=chengdu_only(), held_out=held)
    for name in ("ppc.csv", "holdout.csv", "posterior_summary.csv", "pairplot.png"):
        assert paths[name].is_file(), f"{name} written"
    ppc = pd.read_csv(paths["ppc.csv"])
    assert list(ppc.columns) == PPC_COLUMNS and list(ppc["target"]) == \
        ["chengdu_pilot_firms_transformed"], "the fitted figures only, with their coverage"
    holdout = pd.read_csv(paths["holdout.csv"])
    assert list(holdout.columns) == HOLDOUT_COLUMNS, "the hold-outs' own columns"
    assert list(holdout["figure"]) == [f.name for f in held], "every hold-out, none fitted"
    simulations = pd.read_parquet(paths["ppc_simulations.parquet"])
    assert len(simulations) == 3, "one row per posterior draw"
    lines = _coverage_lines(tmp_path)
    assert "of 1 targets inside their 90 % predictive interval" in lines, lines
    assert f"of {len(held)} inside their 90 % predictive interval" in lines, lines


# pyabc forks its processes (numpy's BLAS threads make Python 3.12 warn about that)
@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
def test_small_calibration_on_two_local_processes_with_mesa_imported(tmp_path):
    import multiprocessing

    import mesa  # noqa: F401 - Mesa 3.3 makes spawn the default start method when imported

    before = multiprocessing.get_start_method(allow_none=True)
    settings = Settings(population=4, generations=1, min_epsilon=0.0, ppc_draws=2)
    run = calibrate(tmp_path, facts=chengdu_only(), settings=settings, workers=2,
                    parameters=("visit_conversion_prob",))
    assert run.generations == 1 and len(run.posterior) == 4, \
        "pyabc's local processes could not be started (they need fork)"
    assert multiprocessing.get_start_method(allow_none=True) == before, \
        "the start method is put back after the calibration"
