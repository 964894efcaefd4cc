"""Decision analysis over worlds (experiments/analysis): robustness, flips, variance, EVPPI.

Hand-made tables with answers worked out by hand, and planted structures with known answers;
tolerances for random cases are in the estimators' own standard errors.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from catfish.experiments.analysis import (
    Rule,
    best_mix,
    describe,
    evppi,
    evppi_estimate,
    find_rule,
    flip_table,
    objective_values,
    robustness,
    variance_share_table,
    variance_shares,
)
from catfish.experiments.analysis.stats import wilson_interval
from scipy import stats

MIXES = ["base", "A", "B"]
# 4 worlds x 3 mixes: firms transformed and money spent (RMB); the target is 9 firms
FIRMS = [[10, 12, 12], [10, 8, 9], [5, 7, 6], [0, 0, 3]]
SPENT = [[100, 120, 240], [100, 40, 90], [50, 140, 30], [20, 0, 30]]


def hand_runs() -> pd.DataFrame:
    rows = [{"mix": mix, "replicate": w, "transformed_by_deadline": FIRMS[w][j],
             "target_met": FIRMS[w][j] >= 9, "spent_by_deadline_rmb": float(SPENT[w][j])}
            for j, mix in enumerate(MIXES) for w in range(4)]
    return pd.DataFrame(rows)


def column(table: pd.DataFrame, name: str) -> list[float]:
    return [float(v) for v in table.set_index("mix").loc[MIXES, name]]


# --- robustness ------------------------------------------------------------------------------

def test_objective_values_are_a_worlds_by_mixes_matrix_in_run_order():
    values = objective_values(hand_runs(), "cost_per_firm")
    assert list(values.columns) == MIXES, f"expected mixes {MIXES}, got {list(values.columns)}"
    assert values.loc[3, "base"] == math.inf, f"expected +inf with no firm, got {values.loc[3]}"
    assert values.loc[2, "B"] == 5.0, f"expected 30 / 6 = 5 RMB per firm, got {values.loc[2, 'B']}"


@pytest.mark.parametrize("objective, p_best, regret, best", [
    # world 0: A and B tie at 12 firms (half each); 1: base; 2: A; 3: B
    ("transformed", [0.25, 0.375, 0.375], [7 / 4, 5 / 4, 2 / 4], "B"),
    # target met in world 0 by all (a third each), in world 1 by base and B (half each),
    # nowhere in worlds 2 and 3 (a third each); only A has regret, in world 1
    ("p_target", [1.5 / 4, 1 / 4, 1.5 / 4], [0, 1 / 4, 0], "base"),
    # costs 10,10,20 | 10,5,10 | 10,20,5 | inf,inf,10; inf is capped at the worst finite 20
    ("cost_per_firm", [0.5 / 4, 1.5 / 4, 2 / 4], [20 / 4, 25 / 4, 15 / 4], "B"),
])
def test_robustness_by_hand(objective, p_best, regret, best):
    table = robustness(hand_runs(), objective)
    got = column(table, "p_best")
    assert got == pytest.approx(p_best), f"{objective}: expected p_best {p_best}, got {got}"
    assert sum(got) == pytest.approx(1), f"expected p_best to sum to 1 over mixes, got {sum(got)}"
    got = column(table, "expected_regret")
    assert got == pytest.approx(regret), f"{objective}: expected regret {regret}, got {got}"
    assert best_mix(table) == best, f"{objective}: expected best {best}, got {best_mix(table)}"


def test_robustness_columns_target_and_bad_cases():
    table = robustness(hand_runs(), "cost_per_firm")
    p_target = column(table, "p_target")
    assert p_target == [0.5, 0.25, 0.5], f"expected targets met 2, 1, 2 of 4, got {p_target}"
    lo_hi = tuple(table.set_index("mix").loc["A", ["p_target_lo", "p_target_hi"]])
    assert lo_hi == pytest.approx(wilson_interval(1, 4)), f"expected Wilson(1, 4), got {lo_hi}"
    without = column(table, "worlds_without_firms")
    assert without == [0.25, 0.25, 0.0], f"expected one world of four without firms, got {without}"
    means = column(table, "objective_mean")
    assert means == pytest.approx([10, 35 / 3, 11.25]), f"expected means of finite costs, {means}"
    bad = column(table, "objective_bad_case")
    assert bad == [math.inf, math.inf, 20.0], f"expected the 90th-percentile cost, got {bad}"
    bad = column(robustness(hand_runs(), "transformed"), "objective_bad_case")
    assert bad == [0.0, 0.0, 3.0], f"expected the 10th-percentile firms, got {bad}"
    se = column(table, "expected_regret_se")
    want = [float(np.std([0, 5, 5, 10], ddof=1) / 2)]
    assert se[0] == pytest.approx(want[0]), f"expected base's regret se {want[0]}, got {se[0]}"


def test_unpaired_runs_are_refused():
    runs = hand_runs()
    with pytest.raises(ValueError, match="mix 'A' has no value in replicate"):
        objective_values(runs.drop(index=runs.index[(runs.mix == "A") & (runs.replicate == 2)]),
                         "transformed")
    with pytest.raises(ValueError, match="not one of"):
        robustness(runs, "happiness")


# --- flips: PRIM -----------------------------------------------------------------------------

def uniform_worlds(n: int, d: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(rng.uniform(size=(n, d)), columns=[f"x{i + 1}" for i in range(d)])


@pytest.mark.parametrize("noise", [0.0, 0.1])
def test_prim_recovers_a_planted_threshold(noise):
    x = uniform_worlds(1000, 4, seed=1)
    flip = np.random.default_rng(2).uniform(size=1000) < noise
    rule = find_rule(x, (x["x1"] > 0.6).to_numpy() ^ flip)
    assert rule is not None, "expected a rule for an event in about 40% of worlds"
    low = rule.limits.get("x1", (None, None))[0]
    assert low is not None and abs(low - 0.6) <= 0.05, f"expected x1 >= ~0.6, got {rule.limits}"
    assert len(rule.limits) <= 2, f"expected at most 2 restricted dims, got {rule.limits}"
    assert rule.coverage >= 0.8 and rule.density >= 0.8, \
        f"expected coverage and density >= 0.8, got {rule.coverage:.3f}, {rule.density:.3f}"
    inside = rule.contains(x)
    assert rule.mass == pytest.approx(inside.mean()), f"expected mass {inside.mean()}, {rule.mass}"
    assert np.array_equal(x.eval(rule.query()).to_numpy(), inside), \
        f"expected the query {rule.query()!r} to select the box's worlds"


def test_no_rule_for_an_event_that_never_or_always_happens():
    x = uniform_worlds(200, 3, seed=0)
    for y in (np.zeros(200, bool), np.ones(200, bool)):
        rule = find_rule(x, y)
        assert rule is None, f"expected no rule when y is all {y[0]}, got {rule}"


LABELS = {"visit_conversion_prob": {"en": "visit conversion", "zh": "参观转化率"},
          "exchange_sessions.visitors_per_session": {"en": "exchange-session visitors",
                                                     "zh": "交流会人数"}}


def test_describe_in_both_languages():
    rule = Rule({"visit_conversion_prob": (0.040012, None),
                 "exchange_sessions.visitors_per_session": (None, 35.04)}, 0.9, 0.9, 0.3)
    en = describe(rule, LABELS, "en")
    want = "visit conversion above 0.04 and exchange-session visitors below 35"
    assert en == want, f"expected {want!r}, got {en!r}"
    zh = describe(rule, LABELS, "zh")
    assert zh == "参观转化率高于0.04且交流会人数低于35", f"expected the zh sentence, got {zh!r}"
    rule = Rule({"subsidy_rmb": (12345.0, 67890.0), "p": (0.1234, None)}, 1, 1, 1)
    got = describe(rule, None, "en", fmt={"p": ".0%"})
    want = "subsidy_rmb between 12,300 and 67,900 and p above 12%"
    assert got == want, f"expected {want!r}, got {got!r}"
    query = Rule({"exchange_sessions.visitors_per_session": (None, 35.04)}, 1, 1, 1).query()
    assert query == "`exchange_sessions.visitors_per_session` <= 35.04", f"got {query!r}"


def planted_runs(x: pd.DataFrame, seed: int) -> pd.DataFrame:
    """base is best unless x1 > 0.6 (then A wins); B never wins; A misses the target if x2 < 0.3."""
    rng = np.random.default_rng(seed)
    n = len(x)
    firms = {"base": np.full(n, 100), "A": np.where(x["x1"] > 0.6, 120, 80),
             "B": np.full(n, 50)}
    missed = {"base": np.zeros(n, bool), "A": (x["x2"] < 0.3).to_numpy(), "B": np.ones(n, bool)}
    return pd.DataFrame([{"mix": m, "replicate": r, "transformed_by_deadline": int(firms[m][r]),
                          "target_met": not missed[m][r],
                          "spent_by_deadline_rmb": float(rng.uniform(1e6, 2e6))}
                         for m in firms for r in range(n)])


def test_flip_table_finds_who_beats_the_best_and_who_misses():
    x = uniform_worlds(1000, 4, seed=3)
    table = flip_table(planted_runs(x, 0), x.rename_axis("replicate"), "transformed", "base",
                       {"x1": {"en": "first", "zh": "第一"}})
    keys = list(zip(table["mix"], table["rival"], strict=True))
    want = [("base", "A"), ("base", "B"), ("base", "target"), ("A", "target"), ("B", "target")]
    assert keys == want, f"expected rows {want}, got {keys}"
    rows = table.set_index(["mix", "rival"])
    a = rows.loc[("base", "A")]
    assert a["rule"].startswith("x1 >= 0.5") or a["rule"].startswith("x1 >= 0.6"), \
        f"expected A to win where x1 > 0.6, got {a['rule']!r}"
    assert a["rule_en"].startswith("first above"), f"expected the label, got {a['rule_en']!r}"
    assert a["worlds"] == int((x["x1"] > 0.6).sum()), f"expected x1 > 0.6 worlds, {a['worlds']}"
    for key, note in [(("base", "B"), "never"), (("base", "target"), "never"),
                      (("B", "target"), "always")]:
        got = rows.loc[key]
        assert got["note"] == note and got["rule"] == "" and math.isnan(got["coverage"]), \
            f"expected {key} to be {note!r} with no rule, got {dict(got)}"
    miss = rows.loc[("A", "target")]
    assert miss["rule"].startswith("x2 <= 0.3") or miss["rule"].startswith("x2 <= 0.2"), \
        f"expected A to miss where x2 < 0.3, got {miss['rule']!r}"


# --- variance shares -------------------------------------------------------------------------

def test_variance_shares_recover_a_known_split():
    x = uniform_worlds(1000, 3, seed=4)
    noise = np.random.default_rng(5).normal(scale=0.05, size=1000)
    shares = variance_shares(x, 2 * x["x1"] + x["x2"] + noise).set_index("parameter")
    z = stats.norm.ppf(0.975)  # share_conf is a 95% half-width: z standard errors
    # Var(2 x1) = 4/12 and Var(x2) = 1/12 of 5/12 in all (the noise adds 0.0025 / 0.42 ~ 0.6%)
    for name, want in [("x1", 0.8), ("x2", 0.2), ("x3", 0.0)]:
        share, se = shares.loc[name, "share"], shares.loc[name, "share_conf"] / z
        assert abs(share - want) <= 3 * se + 0.01, \
            f"expected {name}'s share {want} within 3 se ({se:.3f}), got {share:.3f}"
    assert list(shares.index[:2]) == ["x1", "x2"], f"expected x1, x2 first, got {shares.index}"


def test_variance_share_table_has_a_block_per_other_mix():
    x = uniform_worlds(300, 2, seed=6)
    table = variance_share_table(planted_runs(x, 1), x, "transformed", "base")
    blocks = list(table.groupby("mix", sort=False).size().items())
    assert blocks == [("A", 2), ("B", 2)], f"expected 2 parameters for A and B, got {blocks}"
    b = table[table.mix == "B"]
    assert b["share"].isna().all(), f"expected NaN shares for a gap that never varies, got {b}"
    top = table[table.mix == "A"].iloc[0]
    assert top["parameter"] == "x1" and top["share"] > 0.9, f"expected x1 to explain A, {top}"


# --- EVPPI -----------------------------------------------------------------------------------

def closed_form_case(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """U1 = theta + noise (sd 0.5), U2 = 0, theta ~ N(0, 1); psi is irrelevant."""
    rng = np.random.default_rng(seed)
    theta, psi = rng.normal(size=n), rng.normal(size=n)
    utility = np.column_stack([theta + rng.normal(scale=0.5, size=n), np.zeros(n)])
    return theta, psi, utility


def test_evppi_matches_the_closed_form():
    theta, psi, utility = closed_form_case(4000, seed=7)
    want = 1 / math.sqrt(2 * math.pi)  # E[max(theta, 0)] - max(E theta, 0)
    value, se, _ = evppi_estimate(theta, utility)
    # 4 se: the estimate is a mean over 4,000 worlds (se ~ 0.011); a downward bias of about
    # sd / sqrt(2 pi n) ~ 0.007 remains when the mixes tie on average, as here
    assert abs(value - want) <= 4 * se, f"expected {want:.3f} within 4 se ({se:.3f}), {value:.3f}"
    value, se, plain = evppi_estimate(psi, utility)
    assert abs(value) <= 4 * se, f"expected ~0 for an irrelevant parameter (se {se:.3f}), {value}"
    # the plain Strong & Oakley estimate credits noise: each of 63 bins' means has sd
    # sqrt(1.25 / 63) ~ 0.14, and max(mean, 0) adds ~0.14 / sqrt(2 pi) ~ 0.056 on average
    assert plain > value + 2 * se, f"expected the plain estimate biased up, {plain} vs {value}"


def test_evppi_of_a_minimised_cost_from_tables():
    theta, psi, _ = closed_form_case(4000, seed=8)
    noise = np.random.default_rng(9).normal(scale=0.5, size=4000)
    cost = {"base": np.full(4000, 5.0), "A": 5.0 + theta + noise}  # A cheaper when theta < 0
    runs = pd.DataFrame([{"mix": m, "replicate": r, "transformed_by_deadline": 10,
                          "target_met": True, "spent_by_deadline_rmb": 10 * cost[m][r]}
                         for m in cost for r in range(4000)])
    worlds = pd.DataFrame({"replicate": range(4000), "theta": theta, "psi": psi})
    table = evppi(worlds, runs, "cost_per_firm").set_index("parameter")
    assert list(table.index) == ["theta", "psi"], f"expected theta first, got {table.index}"
    want = 1 / math.sqrt(2 * math.pi)  # E[max(-theta, 0)]: the saving from knowing theta
    got, se = table.loc["theta", "value"], table.loc["theta", "value_se"]
    assert abs(got - want) <= 4 * se, f"expected {want:.3f} RMB within 4 se ({se:.3f}), {got}"
    got, se = table.loc["psi", "value"], table.loc["psi", "value_se"]
    assert 0 <= got <= 4 * se, f"expected ~0 (floored at 0) for psi, got {got} (se {se})"
    assert (table["bins"] == 63).all(), f"expected sqrt(4000) ~ 63 bins, got {table['bins']}"
