"""Each policy instrument: the direction of its effect, its accounts, and its stop at the budget.

Direction tests pair seeds (common random numbers): the same firms with and without the
instrument; the mean paired difference must exceed two standard errors in the expected
direction.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest
from catfish.sim.policy import (
    REGISTRY,
    AcceptanceRule,
    Accompaniment,
    CentralFactory,
    ChainLeaderProgramme,
    Diagnosis,
    ExchangeSessions,
    Grant,
    InstalmentFinancing,
    InterestSubsidy,
    ProviderRating,
    RiskSharingFund,
    ServiceVoucher,
    Showcase,
    TalentTraining,
)

from catfish import sim

SMALL = {"n_smes": 500, "months": 24, "deadline_month": 24}
SEEDS = range(12)


def run(mix: list, seed: int, **params) -> sim.RunResult:
    return sim.run_one(sim.ModelParams(**{**SMALL, **params}), seed=seed, policies=mix)


def total(column: str) -> Callable[[sim.RunResult], float]:
    return lambda r: float(r.timeseries[column].sum())


def last(column: str) -> Callable[[sim.RunResult], float]:
    return lambda r: float(r.timeseries[column].iloc[-1])


def failures_per_start(stages: tuple[str, ...] = ("early", "middle", "late")):
    def metric(r: sim.RunResult) -> float:
        ts = r.timeseries
        failed = sum(ts[f"new_failed_{s}"].sum() for s in stages)
        return float(failed / max(ts["new_started"].sum(), 1))
    return metric


def paired(metric, make_mix: Callable[[], list], make_base: Callable[[], list] = list,
           **params) -> tuple[float, float]:
    """Mean and standard error of metric(with) - metric(without) over paired seeds."""
    diffs = np.array([metric(run(make_mix(), seed, **params)) - metric(run(make_base(), seed,
                                                                          **params))
                      for seed in SEEDS])
    return float(diffs.mean()), float(diffs.std(ddof=1) / math.sqrt(len(diffs)))


# instrument factory, metric, expected sign, cluster settings that let the lever bite, and why
DIRECTIONS = {
    "grant": (lambda: [Grant(share=0.5, cap_rmb=300_000)], total("new_queued"), +1, {},
              "a grant raises the value of a project, so more willing firms go ahead"),
    "service_voucher": (lambda: [ServiceVoucher(value_rmb=100_000)], total("new_queued"), +1,
                        {}, "a voucher lowers the outlay, so more willing firms go ahead"),
    "interest_subsidy": (lambda: [InterestSubsidy(share=0.5)], total("new_queued"), +1,
                         {"cash_months": 0.2, "credit_limit_share": 0.5, "loan_rate": 0.12},
                         "cheaper loans make projects worth more to firms that must borrow"),
    "risk_sharing_fund": (lambda: [RiskSharingFund(share=0.8)], total("new_queued"), +1,
                          {"prior_failure_belief": 0.6, "risk_aversion": 20.0},
                          "a smaller feared loss makes risk-averse firms go ahead"),
    "instalment_financing": (lambda: [InstalmentFinancing(share=0.6)], total("new_queued"), +1,
                             {"cash_months": 0.2, "credit_access_mean": 0.1},
                             "instalments let cash-poor firms without credit afford a project"),
    "diagnosis": (lambda: [Diagnosis(firms_per_month=30)], total("new_willing"), +1, {},
                  "a diagnosis makes unwilling firms willing"),
    "talent_training": (lambda: [TalentTraining(seats_per_month=40, talent_gain=0.3)],
                        failures_per_start(), -1, {},
                        "more talent means fewer failed projects per project started"),
    "accompaniment": (lambda: [Accompaniment(projects_per_month=50)],
                      failures_per_start(("middle",)), -1, {},
                      "accompaniment lowers middle-stage failures"),
    "showcase": (lambda: [Showcase(projects=20, visits_per_month=40, min_talent=0.0)],
                 total("new_visits"), +1, {"central_factory_month": 0},
                 "accepted showcases host visits"),
    "central_factory": (lambda: [CentralFactory(opening="2020-07")], total("new_willing"), +1,
                        {"central_factory_month": 0},
                        "a central factory takes orders and hosts visits"),
    "exchange_sessions": (lambda: [ExchangeSessions()], total("new_visits"), +1, {},
                          "sessions bring visitors to what there is to see"),
    "provider_rating": (lambda: [ProviderRating(min_quality=0.0)], failures_per_start(), -1,
                        {"provider_quality_mean": 0.4, "n_providers": 20, "max_providers": 40},
                        "firms who see quality choose better providers and fail less"),
    "chain_leader_programme": (lambda: [ChainLeaderProgramme()], total("new_willing"), +1, {},
                               "lead firms ask their suppliers to join"),
    "acceptance_rule": (lambda: [AcceptanceRule(min_verified_gain=0.8)], total("new_rejected"),
                        +1, {}, "a stricter rule rejects more completed projects"),
}


def test_every_registered_instrument_has_a_direction_test():
    assert set(DIRECTIONS) == set(REGISTRY), \
        f"instruments without a direction test: {set(REGISTRY) - set(DIRECTIONS)}"


@pytest.mark.parametrize("name", sorted(DIRECTIONS))
def test_direction_of_effect(name):
    make, metric, sign, params, why = DIRECTIONS[name]
    mean, se = paired(metric, make, **params)
    assert sign * mean > 2 * se, f"{name}: {why}; paired difference {mean:.3g} (SE {se:.2g})"


def spent(r: sim.RunResult, account: str) -> np.ndarray:
    return r.timeseries[f"spent_{account}_rmb"].to_numpy()


@pytest.mark.parametrize("name", sorted(DIRECTIONS))
def test_spending_is_accounted_per_instrument(name):
    make, _, _, params, _ = DIRECTIONS[name]
    r = run(make() + [Grant()], seed=3, **params)
    ts = r.timeseries
    accounts = [c for c in ts.columns if c.startswith("spent_") and c != "spent_total_rmb"]
    assert f"spent_{name}_rmb" in accounts, f"the time series reports spent_{name}_rmb"
    np.testing.assert_allclose(ts[accounts].sum(axis=1), ts["spent_total_rmb"], rtol=1e-9,
                               err_msg="the accounts add up to the total spent every month")
    assert (np.diff(spent(r, name)) >= 0).all(), "spending so far never decreases"
    assert spent(r, name)[-1] > 0, f"{name} spent public money in this setting"


@pytest.mark.parametrize("name", sorted(DIRECTIONS))
def test_spending_stops_when_the_budget_runs_out(name):
    make, _, _, params, _ = DIRECTIONS[name]
    ample = run(make(), seed=5, **params)
    needed = spent(ample, name)[-1]
    budget = needed / 4
    r = run(make(), seed=5, budget_rmb=budget, **params)
    paid = spent(r, name)
    assert paid[-1] <= budget + 1e-6, f"{name} spent {paid[-1]:,.0f} of a {budget:,.0f} budget"
    exhausted = np.flatnonzero(r.timeseries["budget_left_rmb"].to_numpy() <= 1e-6)
    if len(exhausted):
        assert (paid[exhausted] == paid[exhausted[0]]).all(), \
            f"{name} paid nothing more once the budget was used up"
    elif name != "central_factory":  # paying in lumps may stop short of the last few RMB
        assert paid[-1] > budget * 0.5, f"{name} used most of the budget before stopping"


def test_central_factory_does_not_open_without_the_money_for_it():
    m = sim.ClusterModel(sim.ModelParams(**SMALL, central_factory_month=0, budget_rmb=1e6),
                         rng=1, policies=[CentralFactory(opening="2020-08", cost_rmb=5e6)])
    while m.running:
        m.step()
    assert not m.leads.operating.any(), "a plant the budget cannot pay for never opens"
    assert m.government.spent_rmb["central_factory"] == 0, "and costs nothing"


def test_effects_stop_with_the_money():
    """Once the budget is gone, instruments stop acting (no more diagnoses, no cover)."""
    m = sim.ClusterModel(sim.ModelParams(**SMALL, budget_rmb=200_000), rng=1,
                         policies=[Diagnosis(firms_per_month=30, cost_rmb=20_000),
                                   RiskSharingFund(), InterestSubsidy()])
    while m.running:
        m.step()
    diagnosis = m.instruments[0]
    assert diagnosis.diagnosed.sum() == 10, "200,000 RMB pays for exactly ten diagnoses"
    assert m.levers.failure_reimbursement_share.max() == 0, "no cover is promised without money"
    assert m.levers.interest_subsidy_share.max() == 0, "no subsidy is promised without money"


def test_yearly_budget_limits_spending_in_each_calendar_year():
    per_year = {2020: 1_000_000.0, 2021: 2_000_000.0}
    r = run([Grant()], seed=2, budget_per_year_rmb=per_year)
    ts = r.timeseries.assign(year=lambda d: d["date"].str[:4].astype(int))
    by_year = ts.groupby("year")["spent_total_rmb"].max().diff().fillna(
        ts.groupby("year")["spent_total_rmb"].max())
    assert by_year[2020] == pytest.approx(1_000_000), f"2020 spending {by_year[2020]:,.0f}: 1 M"
    assert by_year[2021] == pytest.approx(2_000_000), f"2021 spending {by_year[2021]:,.0f}: 2 M"
    assert by_year[2022] > 0, "2022 has no yearly limit, only the total"
    unlimited = run([Grant()], seed=2).timeseries["spent_total_rmb"].iloc[11]
    assert unlimited > 1_000_000, "the 2020 limit binds: without it, more is spent in 2020"


def test_deep_only_rule_counts_fewer_firms_than_are_transformed():
    r = run([AcceptanceRule(counts="deep_only")], seed=1, deep_process_share=0.9)
    ts = r.timeseries
    assert (ts["n_counted"] <= ts["n_transformed"]).all(), "counted firms are transformed firms"
    assert (ts["n_counted"] == ts["n_deep"]).all(), "under deep_only, only deep firms count"
    assert r.outcomes["transformed_by_deadline"] == ts["n_counted"].iloc[-1], \
        "the target is judged on counted firms"


def test_hardware_only_purchases_never_count_even_under_the_most_lenient_rule():
    m = sim.ClusterModel(sim.ModelParams(**SMALL, hardware_only_share=1.0), rng=4,
                         policies=[AcceptanceRule(min_verified_gain=0.0)])
    while m.running:
        m.step()
    ts = pd.DataFrame(m.datacollector.model_vars)
    assert ts["n_transformed"].max() == 0, "hardware-only purchases are always rejected"
    assert ts["new_rejected"].sum() > 0, "they reach acceptance and are rejected there"


def test_instruments_are_reset_between_runs():
    mix = [ServiceVoucher(vouchers=5), Showcase(projects=2), Diagnosis()]
    first = sim.run_one(sim.ModelParams(**SMALL), seed=7, policies=mix)
    again = sim.run_one(sim.ModelParams(**SMALL), seed=7, policies=mix)
    pd.testing.assert_frame_equal(first.timeseries, again.timeseries,
                                  obj="a reused instrument list gives the same run")


@pytest.mark.parametrize("cls, field, value, expected", [
    (InterestSubsidy, "share", 0.6, "interest_subsidy.share = 0.6: must be between 0 and 0.5"),
    (Diagnosis, "middle_log_odds", 0.5,
     "diagnosis.middle_log_odds = 0.5: must be between -5 and 0 (0: no effect)"),
    (ExchangeSessions, "start", "2020-13",
     "exchange_sessions.start = '2020-13': must be a calendar month YYYY-MM"),
    (ServiceVoucher, "kinds", "all",
     "service_voucher.kinds = 'all': must be one of 'light', 'deep', 'both'"),
    (Showcase, "projects", 2.5, "showcase.projects = 2.5: must be a whole number >= 0"),
    (Grant, "cap_rmb", "lots", "grant.cap_rmb = 'lots': must be a number >= 0"),
    (Grant, "colour", "red", "grant.colour = 'red': not a parameter (its parameters: share, "),
])
def test_bad_instrument_parameters_are_one_line_errors(cls, field, value, expected):
    with pytest.raises(ValueError) as err:
        cls(**{field: value})
    assert str(err.value).startswith(expected), f"message names field and value: {err.value}"
    assert "\n" not in str(err.value)


def test_an_end_before_the_start_is_refused_when_the_instrument_is_built():
    with pytest.raises(sim.ParameterError) as err:
        Grant(start="2021-06", end="2021-01")
    assert str(err.value) == "grant.end = '2021-01': must not be before start ('2021-06')"
    assert Grant(start="2021-06", end="2021-06").end == "2021-06", "one month is a window"


def test_every_parameter_is_declared_once_with_meaning_unit_and_rule():
    from catfish.sim.policy import REGISTRY
    from catfish.sim.policy.parameters import allowed

    for name, cls in REGISTRY.items():
        assert cls.sources and cls.pays_for, f"{name}: sources and pays_for"
        for field, info in cls.__pydantic_fields__.items():
            where = f"{name}.{field}"
            assert info.description, f"{where}: no meaning"
            assert isinstance(info.json_schema_extra, dict) \
                and "unit" in info.json_schema_extra, f"{where}: no unit"
            assert allowed(cls, field), f"{where}: no rule in words"
            if info.annotation in (int, float):
                assert info.metadata, f"{where}: a number without bounds"


def test_instruments_pickle_and_take_plain_assignment():
    import pickle

    grant = Grant(share=0.4)
    grant.share = 0.6  # comparisons set a world's assumptions on fresh instruments
    grant.lead = 3  # run state that setup() keeps
    again = pickle.loads(pickle.dumps(grant))
    assert (again.share, again.lead, again) == (0.6, 3, grant)

def test_mix_problems_name_the_instrument():
    params = sim.ModelParams(**SMALL)
    with pytest.raises(sim.ParameterError, match=r"policies\[1\]\.sector = 'plastics': no lead"):
        sim.ClusterModel(params, rng=1, policies=[Grant(), CentralFactory(sector="plastics")])
    with pytest.raises(sim.ParameterError, match=r"policies\[0\]\.sectors = \['food'\]"):
        sim.ClusterModel(params, rng=1, policies=[ExchangeSessions(sectors=("food",))])


def test_model_calls_only_the_hooks_an_instrument_overrides():
    from catfish.sim.policy import Accompaniment, Grant, bound_hooks

    grant, accompaniment = Grant(), Accompaniment()
    hooks = bound_hooks([grant, accompaniment])
    assert [h.__self__ for h in hooks["on_start"]] == [grant, accompaniment], \
        "both pay or choose at the start of a project, in the order listed"
    assert [h.__self__ for h in hooks["stage_log_odds"]] == [accompaniment], \
        "only accompaniment changes stage risk"
    assert hooks["on_failure"] == [], "neither reacts to failures: the base no-op is skipped"

    class Quiet(Grant):  # a subclass overriding one more hook gets it bound as well
        def on_failure(self, model, firms):
            pass

    quiet = Quiet()
    again = bound_hooks([quiet, grant])
    assert [h.__self__ for h in again["on_failure"]] == [quiet], \
        "a subclass's own hook must be bound, and only for its instances"
    assert [h.__self__ for h in again["on_start"]] == [quiet, grant], \
        "inherited hooks stay bound, in the order listed"

    later = Grant(paid_on="acceptance")
    idle = bound_hooks([grant, later])
    assert [h.__self__ for h in idle["on_start"]] == [grant] \
        and [h.__self__ for h in idle["support_at_start"]] == [grant], \
        "a grant paid on acceptance does nothing at the start: its start hooks are not called"
    assert [h.__self__ for h in idle["on_acceptance"]] == [later] \
        and [h.__self__ for h in idle["support_on_acceptance"]] == [later], \
        "a grant paid at the start does nothing on acceptance: its acceptance hooks are not called"

    class Thanking(Grant):  # its own on_acceptance acts whatever the grant's timing
        def on_acceptance(self, model, firms):
            pass

    thanking = Thanking()
    assert [h.__self__ for h in bound_hooks([thanking])["on_acceptance"]] == [thanking], \
        "a subclass's own hook is never taken for idle"


def test_the_default_mix_is_a_fresh_copy_of_the_same_instruments_every_time():
    from catfish.sim.policy import default_policy_mix

    first, second = default_policy_mix(), default_policy_mix()
    assert first == second == [Grant(share=0.3, cap_rmb=300_000.0, paid_on="start"),
                               Accompaniment(projects_per_month=8,
                                             cost_per_project_rmb=50_000.0),
                               ExchangeSessions(sessions_per_quarter=10, visitors_per_session=50,
                                                cost_per_session_rmb=30_000.0,
                                                start="2020-11")], \
        "the default mix must be the documented one, every time"
    assert all(a is not b for a, b in zip(first, second, strict=True)), \
        "each call must give new instrument objects (they keep run state)"
    sim.run_one(seed=1, months=3, policies=first)  # sets the instruments up
    first[0].share = 0.9
    assert default_policy_mix() == second and not hasattr(default_policy_mix()[0], "account_row"), \
        "a run or a change to one copy must not reach the next copies"
    copied = copy.copy(first[0])
    assert type(copied) is Grant and copied is not first[0] and vars(copied) == vars(first[0]), \
        "copy.copy of an instrument must give an equal one of the same class, with its state"
