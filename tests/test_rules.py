"""Layer 1: the pure decision rules, without a model."""

from __future__ import annotations

import mesa
import numpy as np
import pytest
from catfish.agents.government import Government, pay_within_budget
from catfish.agents.lead_firm import central_factory_effect, visit_prob
from catfish.agents.provider import GENERALIST, entry_due, fill_slots, preference_order, sector_fit
from catfish.agents.sme import (
    DEEP,
    LIGHT,
    NONE,
    accepted,
    annuity_factor,
    beliefs,
    choose_kind,
    lapse_prob,
    lapse_prob_bound,
    monthly_hazard,
    project_value,
    stage_failure_prob,
    willingness_prob,
    willingness_prob_bound,
)
from catfish.sim.market import competitiveness, lost_order_share, share_demand
from hypothesis import given, settings
from hypothesis import strategies as st

RATES = {"promotion_per_month": 0.03 / 12, "peer_per_month": 0.38 / 12,
         "competition_per_month": 1.0 / 12, "visit_conversion": 0.1}


def value(**changes):
    """project_value with a median firm's numbers, changed as given."""
    args = {"cost": 1.5e6, "annual_benefit": 357e3, "grant_at_start": 0.0,
            "grant_on_acceptance": 0.0, "cash": 1e6, "credit_limit": 1e6, "loan_rate": 0.06,
            "interest_subsidy_share": 0.0, "loan_years": 3.0, "failure_prob": 0.3,
            "benefit_belief": 1.0, "avoided_loss": 0.0, "failure_reimbursement_share": 0.0,
            "annuity": annuity_factor(7, 0.08), "risk_aversion": 5.0, "risk_capacity": 6e6}
    args.update(changes)
    v, ok = project_value(**args)
    return float(v), bool(ok)


class TestWillingness:
    def test_no_drivers_means_no_one_becomes_willing(self):
        prob = willingness_prob(0.0, 0.0, False, promotion_per_month=0.0, peer_per_month=0.0,
                                competition_per_month=0.0, visit_conversion=0.5)
        assert prob == 0.0, f"expected 0 with every driver off, got {prob}"

    def test_promotion_alone_is_the_bass_innovation_hazard(self):
        prob = willingness_prob(0.0, 0.0, False, **RATES)
        assert prob == pytest.approx(1 - np.exp(-0.03 / 12)), "expected 1 - exp(-p) per month"

    def test_a_visit_converts_with_the_conversion_probability(self):
        prob = willingness_prob(0.0, 0.0, True, **{**RATES, "promotion_per_month": 0.0})
        assert prob == pytest.approx(0.1), f"expected the visit conversion 0.1, got {prob}"

    @given(st.floats(0, 1), st.floats(0, 1), st.floats(0, 1), st.floats(0, 1))
    def test_more_exposure_or_lost_orders_never_lowers_willingness(self, e1, e2, l1, l2):
        lo = willingness_prob(min(e1, e2), min(l1, l2), False, **RATES)
        hi = willingness_prob(max(e1, e2), max(l1, l2), False, **RATES)
        assert 0 <= lo <= hi <= 1, f"expected 0 <= {lo} <= {hi} <= 1"

    @given(st.floats(0, 1), st.floats(0, 1), st.booleans(), st.floats(0, 1), st.floats(0, 5),
           st.floats(0, 5), st.floats(0, 5))
    def test_the_bound_a_month_skips_by_is_never_below_the_chance(self, e, lost, visited,
                                                                 conversion, p, q, c):
        # the month skips willingness_prob for draws at or above its bound: a bound below the
        # chance would change who becomes willing
        rates = {"promotion_per_month": p, "peer_per_month": q, "competition_per_month": c}
        converts = conversion if visited else 0.0
        prob = willingness_prob(e, lost, visited, visit_conversion=converts, **rates)
        bound = willingness_prob_bound(e, lost, visit_conversion=converts, **rates)
        assert prob <= bound, f"expected the chance {prob} at most its bound {bound}"


class TestBeliefs:
    def test_no_peers_seen_keeps_the_priors(self):
        fail, benefit = beliefs(0, 0, prior_failure=0.35, prior_benefit=0.6, prior_weight=3)
        assert (fail, benefit) == pytest.approx((0.35, 0.6)), "expected the priors unchanged"

    def test_many_successes_teach_the_true_benefit_and_low_risk(self):
        fail, benefit = beliefs(1e6, 0, prior_failure=0.35, prior_benefit=0.6, prior_weight=3)
        assert benefit == pytest.approx(1.0, abs=1e-5), f"expected belief -> 1, got {benefit}"
        assert fail == pytest.approx(0.0, abs=1e-5), f"expected risk -> 0, got {fail}"

    def test_seen_failures_raise_perceived_risk(self):
        base, _ = beliefs(2, 0, prior_failure=0.35, prior_benefit=0.6, prior_weight=3)
        worse, _ = beliefs(2, 3, prior_failure=0.35, prior_benefit=0.6, prior_weight=3)
        assert worse > base, f"expected failures to raise perceived risk: {worse} <= {base}"


class TestProjectValue:
    def test_zero_cost_project_is_worth_its_believed_benefit(self):
        v, ok = value(cost=0.0, failure_prob=0.0)
        assert ok, "a free project is always affordable"
        assert v == pytest.approx(357e3 * annuity_factor(7, 0.08)), "expected benefit x annuity"

    def test_full_subsidy_at_start_removes_all_risk_of_loss(self):
        v, ok = value(grant_at_start=1.5e6, annual_benefit=0.0, failure_prob=0.5)
        assert ok and v == pytest.approx(0.0), f"expected a free, worthless project at 0, got {v}"

    def test_grant_interest_subsidy_and_reimbursement_each_raise_value(self):
        base, _ = value(cash=0.0)  # the firm borrows, so the interest subsidy matters
        for change in ({"grant_at_start": 3e5}, {"grant_on_acceptance": 3e5},
                       {"interest_subsidy_share": 0.5}, {"failure_reimbursement_share": 0.5}):
            better, _ = value(cash=0.0, **change)
            assert better > base, f"expected {change} to raise value above {base:.0f}"

    def test_higher_perceived_risk_or_risk_aversion_lowers_value(self):
        base, _ = value()
        assert value(failure_prob=0.6)[0] < base, "expected more perceived risk to lower value"
        assert value(risk_aversion=20.0)[0] < base, "expected more risk aversion to lower value"

    def test_outlay_beyond_cash_and_credit_is_unaffordable(self):
        _, ok = value(cash=1e5, credit_limit=1e5)
        assert not ok, "expected 1.5 M RMB beyond 0.2 M of cash and credit to be unaffordable"

    def test_grant_on_acceptance_does_not_help_liquidity(self):
        _, ok = value(cash=1e5, credit_limit=1e5, grant_on_acceptance=1.5e6)
        assert not ok, "a grant paid on acceptance must not make the outlay affordable"

    def test_annuity_at_zero_rate_is_the_number_of_years(self):
        assert annuity_factor(5, 0.0) == 5.0, "expected 5 at a zero rate"


class TestChooseKind:
    def test_no_project_when_neither_clears_the_hurdle(self):
        kinds = choose_kind(np.array([5.0]), np.array([9.0]), np.array([False]), np.array([False]))
        assert kinds.tolist() == [NONE], "expected no project"

    def test_takes_the_more_valuable_feasible_kind(self):
        kinds = choose_kind(np.array([5.0, 5.0, 5.0]), np.array([9.0, 9.0, 1.0]),
                            np.array([True, True, True]), np.array([True, False, True]))
        assert kinds.tolist() == [DEEP, LIGHT, LIGHT], f"got {kinds.tolist()}"


class TestStagesAndAcceptance:
    def test_better_talent_provider_and_fit_lower_failure(self):
        kw = {"talent_mean": 0.35, "talent_effect": 1.5, "quality_effect": 1.5, "fit_effect": 1.0}
        base = stage_failure_prob(0.18, 0.35, 0.5, 0.5, **kw)
        assert base == pytest.approx(0.18), "expected the base probability for an average case"
        assert stage_failure_prob(0.18, 0.8, 0.5, 0.5, **kw) < base, "talent should help"
        assert stage_failure_prob(0.18, 0.35, 0.9, 0.5, **kw) < base, "quality should help"
        assert stage_failure_prob(0.18, 0.35, 0.5, 1.0, **kw) < base, "fit should help"
        assert stage_failure_prob(0.18, 0.35, 0.5, 0.5, extra_log_odds=-1, **kw) < base

    @given(st.floats(0, 0.99), st.integers(1, 24))
    def test_monthly_hazard_compounds_to_the_stage_probability(self, prob, months):
        hazard = monthly_hazard(prob, months)
        assert 1 - (1 - hazard) ** months == pytest.approx(prob, abs=1e-9)

    def test_hardware_only_never_accepted_and_small_gains_rejected(self):
        ok = accepted(np.array([2.0, 2.0, 0.1]), np.array([True, False, False]), min_gain=0.3)
        assert ok.tolist() == [False, True, False], f"got {ok.tolist()}"

    def test_full_talent_never_lapses(self):
        assert lapse_prob(1.0, lapse_per_month=0.01) == 0.0, "expected no lapse at talent 1"
        assert lapse_prob(0.0, lapse_per_month=0.01) > lapse_prob(0.5, lapse_per_month=0.01)

    @given(st.floats(0, 1), st.floats(0, 5))
    def test_the_bound_a_month_skips_by_is_never_below_the_lapse_chance(self, talent, rate):
        prob, bound = lapse_prob(talent, rate), lapse_prob_bound(talent, rate)
        assert prob <= bound, f"expected the lapse chance {prob} at most its bound {bound}"


class TestGovernment:
    def test_empty_budget_pays_nothing(self):
        paid = pay_within_budget(np.array([1.0, 2.0]), 0.0)
        assert paid.tolist() == [0.0, 0.0], f"expected nothing paid, got {paid.tolist()}"

    @given(st.lists(st.floats(0, 1e7), max_size=30), st.floats(0, 1e8))
    def test_pays_first_come_first_served_within_budget(self, requests, budget):
        paid = pay_within_budget(np.array(requests), budget)
        assert paid.sum() <= budget * (1 + 1e-12) + 1e-6, "spent more than the budget"
        assert np.all((paid >= 0) & (paid <= np.array(requests) + 1e-9)), "paid beyond a request"
        partly = np.flatnonzero(paid < np.array(requests) - 1e-9)
        if len(partly):  # after the first short-paid request, nothing more is paid
            assert np.all(paid[partly[0] + 1:] == 0), "paid a later request after running out"


    @settings(max_examples=200, deadline=None)
    @given(st.floats(0, 1e8), st.lists(st.tuples(
        st.sampled_from(["grant", "diagnosis", "voucher"]), st.integers(2023, 2025),
        st.lists(st.floats(0, 2e7), max_size=6), st.one_of(st.just(np.inf), st.floats(-1e6, 3e7))),
        max_size=12), st.dictionaries(st.integers(2023, 2025), st.floats(0, 4e7)))
    def test_the_ledger_books_every_payment_as_the_plain_rule_does(self, budget, payments,
                                                                    per_year):
        """Government.pay (pay_from over the ledger) against the rule written out in Python."""
        gov = Government(mesa.Model(rng=0), budget, 10, 12, per_year_rmb=per_year)
        left, spent, spent_year, year, accounts = budget, 0.0, 0.0, None, {}
        for account, when, requests, limit in payments:
            gov.start_year(when)
            if when != year:
                year, spent_year = when, 0.0
            cap = per_year.get(year)
            available = left if cap is None else max(0.0, min(left, cap - spent_year))
            assert gov.available_rmb == available, "what may be spent, as the plain rule says"
            expected = pay_within_budget(np.array(requests, dtype=float),
                                         min(available, max(0.0, limit)))
            paid = gov.pay(account, np.array(requests, dtype=float), limit)
            assert paid.tolist() == expected.tolist(), "each request paid as the plain rule says"
            total = float(np.sum(expected))
            spent += total
            spent_year += total
            left = max(0.0, budget - spent)
            accounts[account] = accounts.get(account, 0.0) + total
            assert (gov.spent_total_rmb, gov.spent_this_year_rmb, gov.budget_left_rmb) == \
                (spent, spent_year, left), "the ledger's totals to the last bit"
            assert gov.spent_rmb == accounts, "each account's spending to the last bit"


class TestProvidersLeadsMarket:
    def test_fill_slots_in_order_and_reports_the_unserved(self):
        assert fill_slots(5, np.array([2, 0, 1])).tolist() == [0, 0, 2, -1, -1]

    def test_fill_slots_with_no_providers(self):
        assert fill_slots(2, np.array([], dtype=int)).tolist() == [-1, -1]

    def test_sector_fit_and_preference(self):
        fit = sector_fit(np.array([0, GENERALIST, 1]), 0)
        assert fit.tolist() == [1.0, 0.5, 0.0], f"got {fit.tolist()}"
        order = preference_order(np.array([0.5, 1.0, 0.5]), np.array([0.9, 0.1, 0.2]),
                                 np.array([0.3, 0.2, 0.1]), rated=True)
        assert order.tolist() == [1, 0, 2], "best fit first, then by rated quality"

    def test_entry_needs_a_long_queue_for_the_whole_lag(self):
        assert entry_due([9, 9, 9], threshold=8, lag_months=3)
        assert not entry_due([9, 2, 9], threshold=8, lag_months=3)
        assert not entry_due([9, 9], threshold=8, lag_months=3)

    def test_central_factory_only_after_opening(self):
        assert central_factory_effect(5, 6, cost_cut=0.25, quality_gain=0.15) == (1.0, 1.0, False)
        cost, quality, on = central_factory_effect(6, 6, cost_cut=0.25, quality_gain=0.15)
        assert (cost, quality, on) == (pytest.approx(0.75), pytest.approx(1.15), True)
        assert not central_factory_effect(99, 0, cost_cut=0.25, quality_gain=0.15)[2], \
            "opening month 0 means no central factory"
        cost, _, on = central_factory_effect(6, np.array([0, 3, 6, 7]), cost_cut=0.25,
                                             quality_gain=0.15)
        assert on.tolist() == [False, True, True, False], "each lead firm opens in its own month"
        assert cost.tolist() == pytest.approx([1.0, 0.75, 0.75, 1.0])

    def test_visit_probability_is_capped_and_safe_with_no_firms(self):
        assert visit_prob(np.array([10.0, 500.0, 5.0]), np.array([100, 100, 0])).tolist() \
            == [0.1, 1.0, 0.0]

    def test_market_shares_the_demand_and_rewards_lower_cost(self):
        base = np.array([1.0, 1.0, 2.0])
        w = competitiveness(base, np.array([0.8, 1.0, 1.0]), np.ones(3), cost_sensitivity=3,
                            quality_sensitivity=2)
        revenue = share_demand(w, np.array([0, 0, 1]), np.array([2.0, 2.0]))
        assert revenue[:2].sum() == pytest.approx(2.0) and revenue[2] == pytest.approx(2.0)
        assert revenue[0] > 1.0 > revenue[1], "the cheaper firm should take orders"
        lost = lost_order_share(revenue, base)
        assert lost[0] == 0.0 and 0 < lost[1] < 1, f"got {lost.tolist()}"
