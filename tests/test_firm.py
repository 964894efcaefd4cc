"""The firm-level benefit calculator (experiments/explore/firm.py, catfish firm).

It must be the model's own economic decision and stage failure rule applied to one firm, so
the tests tie its numbers to ``agents.sme.project_value`` and ``stage_failure_prob`` and to
what ``sim.projects.decide`` does with the same firm.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from catfish.agents.sme import (
    DEEP,
    LIGHT,
    QUEUED,
    WILLING,
    annuity_factor,
    beliefs,
    project_value,
    stage_failure_prob,
)
from catfish.experiments.explore.firm import (
    COLUMNS,
    Firm,
    FirmError,
    chosen_kind,
    evaluate,
    firm_model,
    table,
)
from catfish.scenarios.factors import apply_factors
from catfish.sim import projects
from catfish.sim.population import annual_benefit_share

from catfish import scenarios
from tests.conftest import catfish

SCENARIO = "jieyang-city-2023"
FIRMS = {  # one firm per outcome of the decision under the scenario's support
    "typical (light only with support)": {},
    "small (nothing)": {"revenue_rmb": 2e6},
    "larger (light either way)": {"revenue_rmb": 2e7},
    "large and ready (deep)": {"revenue_rmb": 1e8, "cash_rmb": 2e7, "credit_access": 0.9,
                               "talent": 0.9, "infrastructure": 0.9},
    "large, poor infrastructure (light)": {"revenue_rmb": 1e8, "cash_rmb": 2e7,
                                           "infrastructure": 0.1},
}


@pytest.fixture(scope="module")
def scenario():
    return scenarios.load(SCENARIO)


@pytest.fixture(scope="module")
def typical(scenario):
    return evaluate(scenario)


def row(df, kind, support):
    rows = df[(df["kind"] == kind) & (df["support"] == support)]
    assert len(rows) == 1, f"expected one row for {kind}/{support}, got {len(rows)}"
    return rows.iloc[0]


def test_table_has_one_row_per_kind_and_support(typical):
    assert list(typical.columns) == list(COLUMNS), f"unexpected columns {list(typical.columns)}"
    pairs = sorted(zip(typical["kind"], typical["support"], strict=True))
    assert pairs == sorted((k, s) for k in ("light", "deep") for s in ("scenario", "none")), \
        f"expected light/deep x scenario/none, got {pairs}"


@pytest.mark.parametrize("kind", ["light", "deep"])
def test_support_raises_the_npv_and_shortens_the_payback(typical, kind):
    with_, without = row(typical, kind, "scenario"), row(typical, kind, "none")
    assert with_.support_at_start_rmb > 0 and without.support_at_start_rmb == 0, \
        f"expected a grant at the start with the scenario's mix only ({kind})"
    assert with_.risk_adjusted_npv_rmb > without.risk_adjusted_npv_rmb, \
        f"expected support to raise the risk-adjusted NPV of a {kind} project"
    assert with_.expected_npv_rmb > without.expected_npv_rmb, \
        f"expected support to raise the expected NPV of a {kind} project"
    assert with_.payback_years < without.payback_years, \
        f"expected support to shorten the payback of a {kind} project"


def test_a_bigger_grant_share_raises_the_supported_npv_further(scenario, typical):
    richer = apply_factors(scenario, {"policies.grant.share": 0.5})
    more = evaluate(richer)
    # the typical light project's 30 % grant (90,000 RMB) is under the 200,000 RMB cap
    assert row(more, "light", "scenario").risk_adjusted_npv_rmb \
        > row(typical, "light", "scenario").risk_adjusted_npv_rmb, \
        "expected a 50 % grant to raise the supported NPV of a light project above a 30 % one"
    assert row(more, "light", "scenario").payback_years \
        < row(typical, "light", "scenario").payback_years, \
        "expected a 50 % grant to shorten the supported payback further"
    assert row(more, "light", "none").risk_adjusted_npv_rmb \
        == row(typical, "light", "none").risk_adjusted_npv_rmb, \
        "expected the unsupported NPV not to depend on the scenario's grant"


@pytest.mark.parametrize("support", ["scenario", "none"])
def test_numbers_are_project_value_and_stage_failure_prob(scenario, support):
    """The same rules, fed by hand with the firm's inputs, give the same numbers."""
    firm = Firm(sector="plastics", revenue_rmb=1.2e7, cash_rmb=4e5, credit_access=0.3,
                talent=0.6, infrastructure=0.5)
    df = evaluate(scenario, firm)
    p = scenario.model_params()
    size = 1.2e7 / p.revenue_median_rmb
    cost = np.array([p.light_cost_rmb, p.deep_cost_rmb]) * size ** p.cost_size_elasticity
    benefit = 1.2e7 * np.array([annual_benefit_share(p, LIGHT), annual_benefit_share(p, DEEP)])
    # the scenario's only start support for a deciding firm: a 30 % grant capped at 0.2 M
    grant = np.minimum(0.3 * cost, 200_000) if support == "scenario" else np.zeros(2)
    fail, belief = beliefs(0, 0, prior_failure=p.prior_failure_belief,
                           prior_benefit=p.prior_benefit_belief,
                           prior_weight=p.prior_belief_weight)
    odds = fail / (1 - fail) * p.light_failure_factor
    failure_prob = np.array([odds / (1 + odds), fail])
    common = dict(grant_at_start=grant, grant_on_acceptance=0.0, cash=4e5,
                  credit_limit=0.3 * p.credit_limit_share * 1.2e7, loan_rate=p.loan_rate,
                  interest_subsidy_share=0.0, loan_years=p.loan_years,
                  failure_prob=failure_prob, benefit_belief=belief, avoided_loss=0.0,
                  failure_reimbursement_share=0.0,
                  annuity=annuity_factor(p.horizon_years, p.discount_rate), risk_capacity=1.2e7)
    value, affordable = project_value(cost, benefit, risk_aversion=p.risk_aversion, **common)
    expected, _ = project_value(cost, benefit, risk_aversion=0.0, **common)
    stages = stage_failure_prob(
        np.array([p.early_failure_prob, p.middle_failure_prob, p.late_failure_prob]), 0.6,
        p.provider_quality_mean, 0.5,
        talent_mean=p.talent_mean, talent_effect=p.talent_effect,
        quality_effect=p.provider_quality_effect, fit_effect=p.fit_effect,
        extra_log_odds=np.array([[np.log(p.light_failure_factor)], [0.0]]))
    for k, kind in enumerate(("light", "deep")):
        got = row(df, kind, support)
        assert got.cost_rmb == pytest.approx(cost[k], rel=1e-12), \
            f"expected the {kind} cost from revenue as in sim.population"
        assert got.annual_benefit_rmb == pytest.approx(benefit[k], rel=1e-12), \
            f"expected the {kind} benefit from revenue as in sim.population"
        assert got.risk_adjusted_npv_rmb == pytest.approx(value[k], rel=1e-9), \
            f"expected project_value's certainty equivalent for {kind}/{support}"
        assert got.expected_npv_rmb == pytest.approx(expected[k], rel=1e-9), \
            f"expected project_value without risk aversion for {kind}/{support}"
        assert got.affordable == bool(affordable[k]), \
            f"expected project_value's affordability for {kind}/{support}"
        assert got.payback_years == pytest.approx((cost[k] - grant[k]) / benefit[k], rel=1e-12), \
            f"expected payback = (cost - grant at start) / annual benefit for {kind}/{support}"
        assert got.failure_prob == pytest.approx(1 - np.prod(1 - stages[k]), rel=1e-12), \
            f"expected 1 - product of (1 - stage_failure_prob) over the stages for {kind}"


def test_the_deep_project_fails_more_often_than_the_light_one(scenario, typical):
    assert scenario.model_params().light_failure_factor < 1, \
        "expected the scenario to make light projects safer (light_failure_factor < 1)"
    for support in ("scenario", "none"):
        assert row(typical, "deep", support).failure_prob \
            > row(typical, "light", support).failure_prob, \
            f"expected a deep project to fail more often than a light one ({support})"
        assert 0 < row(typical, "light", support).failure_prob < 1, \
            "expected a probability strictly between 0 and 1"


@pytest.mark.parametrize("name", list(FIRMS))
@pytest.mark.parametrize("support", ["scenario", "none"])
def test_the_model_queues_what_the_calculator_says_the_firm_would_choose(scenario, name,
                                                                          support):
    """sim.projects.decide, run on the calculator's own model, queues the kind it reports."""
    firm = Firm(**FIRMS[name])
    expected = chosen_kind(evaluate(scenario, firm), support)
    model, i = firm_model(scenario, firm, support=support == "scenario")
    assert model.smes.state[i] == WILLING, "expected the calculator's firm to start willing"
    none_seen = np.zeros(model.params.n_smes)
    projects.decide(model, none_seen, none_seen)
    s = model.smes
    assert s.project_kind[i] == expected, \
        f"{name}, {support}: expected the model to queue kind {expected}, got {s.project_kind[i]}"
    assert (s.state[i] == QUEUED) == (expected > 0), \
        f"{name}, {support}: expected the firm queued exactly when the calculator says it goes"


def test_the_cases_cover_every_choice(scenario):
    choices = {chosen_kind(evaluate(scenario, Firm(**kw)), "scenario") for kw in FIRMS.values()}
    assert choices == {0, LIGHT, DEEP}, f"expected firms choosing none, light and deep: {choices}"
    typical = evaluate(scenario)
    assert (chosen_kind(typical, "scenario"), chosen_kind(typical, "none")) == (LIGHT, 0), \
        "expected the typical firm to take a light project only with the scenario's support"


def test_results_do_not_depend_on_the_backdrop_seed(scenario, typical):
    other = evaluate(scenario, seed=2)
    assert other.equals(typical), "expected the same numbers whatever the backdrop model's seed"


def test_the_month_decides_which_support_is_in_force():
    east = scenarios.load("pilot-city-east")  # its grant opens in 2024-01
    before, after = evaluate(east, month="2023-06"), evaluate(east, month="2024-01")
    assert row(before, "light", "scenario").support_at_start_rmb == 0, \
        "expected no grant before the grant's first month"
    assert row(after, "light", "scenario").support_at_start_rmb > 0, \
        "expected the grant once it is open"


@pytest.mark.parametrize(("firm", "month", "message"), [
    (Firm(sector="metal"), None, "sector = 'metal': not a sector of jieyang-city-2023"),
    (Firm(revenue_rmb=-5), None, "revenue_rmb = -5: must be between 1 and 1e12"),
    (Firm(cash_rmb=float("nan")), None, "cash_rmb = nan: must be a finite number"),
    (Firm(talent=1.5), None, "talent = 1.5: must be between 0 and 1"),
    (Firm(), "2030-01", "month = '2030-01': must be a month of the scenario"),
])
def test_bad_inputs_raise_one_line(scenario, firm, month, message):
    with pytest.raises(FirmError) as caught:
        evaluate(scenario, firm, month=month)
    assert message in str(caught.value), f"expected {message!r} in {caught.value}"
    assert "\n" not in str(caught.value), "expected a one-line message"


def test_printed_table_in_both_languages(scenario, typical):
    english, chinese = table(typical, scenario, lang="en"), table(typical, scenario, lang="zh")
    npv = typical.loc[(typical["kind"] == "light") & (typical["support"] == "scenario"),
                      "risk_adjusted_npv_rmb"].iloc[0]
    assert "Light, with support" in english and f"{npv:,.0f}" in english, \
        f"expected the English column headers and the light NPV {npv:,.0f} in:\n{english}"
    assert "小快轻准（有政策支持）" in chinese and "验收前失败概率" in chinese, \
        f"expected Chinese labels in:\n{chinese}"


def test_cli_prints_the_table_and_json():
    done = catfish("firm", "--lang", "en", "--revenue-rmb", "2e7", "--sector", "plastics",
                   timeout=120)
    assert done.returncode == 0, f"expected success, got {done.returncode}: {done.stderr}"
    assert "Risk-adjusted expected NPV (RMB)" in done.stdout and "plastics" in done.stdout, \
        f"expected the table for a plastics firm:\n{done.stdout}"
    done = catfish("firm", "--json", "--talent", "0.5", timeout=120)
    assert done.returncode == 0, f"expected success, got {done.returncode}: {done.stderr}"
    records = json.loads(done.stdout)
    assert len(records) == 4 and set(records[0]) == set(COLUMNS), \
        f"expected four records with the table's columns, got {records[:1]}"


@pytest.mark.parametrize(("args", "expected"), [
    (("--sector", "metal"), "catfish: error: --sector = metal: not a sector of "
                            "jieyang-city-2023 (sectors: textiles, plastics, hardware, food)"),
    (("--revenue-rmb", "-5"), "catfish: error: --revenue-rmb = -5: must be between 1 and 1e12"),
    (("--cash-rmb", "lots"), "catfish: error: --cash-rmb = lots: must be a number"),
    (("--credit-access", "2"), "catfish: error: --credit-access = 2: must be between 0 and 1"),
    (("--month", "2023-13"), "catfish: error: --month = 2023-13: must be a month of the"),
    (("--scenario", "atlantis"), "catfish: error: atlantis: no such file or shipped scenario"),
])
def test_cli_bad_input_gives_one_line(args, expected):
    done = catfish("firm", *args, timeout=120)
    assert done.returncode == 2, f"expected exit status 2, got {done.returncode}"
    assert "Traceback" not in done.stderr, f"expected no traceback: {done.stderr}"
    assert done.stderr.startswith(expected), f"expected {expected!r}, got {done.stderr!r}"
    assert done.stderr.count("\n") == 1, f"expected one line, got {done.stderr!r}"
