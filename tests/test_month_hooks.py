"""The shipped instruments' hooks in compiled form give what their Python hooks give.

``sim.policy.month_hooks`` runs a month's phase as one compiled call when every instrument
hooked into it has a compiled form. Each form is checked against the Python hook on the same
state (a model some months into a run), and whole runs are checked both ways: a mix whose
phases run as one call against the same mix with an instrument whose Python hooks do nothing,
which makes every phase call the hooks.
"""

from __future__ import annotations

import numpy as np
import pytest
from catfish.agents.government import LEFT
from catfish.sim import run_one
from catfish.sim.model import ClusterModel
from catfish.sim.policy import (
    AcceptanceRule,
    Accompaniment,
    ChainLeaderProgramme,
    Diagnosis,
    ExchangeSessions,
    Grant,
    InstalmentFinancing,
    Instrument,
    InterestSubsidy,
    RiskSharingFund,
    ServiceVoucher,
    Showcase,
    default_policy_mix,
)
from catfish.sim.policy.month_hooks import (
    POINTS,
    accept_projects,
    complete_projects,
    expected_support,
    fail_projects,
    stage_log_odds,
    start_projects,
)
from catfish.sim.projects import _expected_support, _log_odds_of_instruments
from catfish.sim.warm import _PythonHooks

# hooks into every in-month point and does nothing: the phases call the Python hooks
Listening = _PythonHooks


def every_kind() -> list[Instrument]:
    """Each compiled form at least once, with windows, kinds and a small budget share."""
    return [ChainLeaderProgramme(per_month=3), Grant(share=0.4, cap_rmb=150_000.0),
            Grant(share=0.2, cap_rmb=80_000.0, paid_on="acceptance", kinds="deep"),
            Accompaniment(projects_per_month=3, kinds="light", start="2020-09",
                          end="2021-12"),
            Diagnosis(firms_per_month=20), Grant(share=0.1, cap_rmb=1e9, kinds="light",
                                                 start="2021-03"),
            Showcase(projects=6, grant_rmb=120_000.0, min_talent=0.3),
            AcceptanceRule(check_cost_rmb=4_000.0, start="2021-01"),
            ServiceVoucher(vouchers=40, value_rmb=30_000.0, kinds="deep"),
            InterestSubsidy(share=0.4), InstalmentFinancing(share=0.5, kinds="deep"),
            RiskSharingFund(share=0.6, fund_rmb=400_000.0)]


@pytest.mark.parametrize("mix", [default_policy_mix, every_kind], ids=["default", "every-kind"])
def test_a_run_in_compiled_phases_gives_the_numbers_of_one_calling_the_hooks(mix):
    for seed in (1, 7):
        fused = run_one(seed=seed, policies=mix(), budget_rmb=8e6)
        hooked = run_one(seed=seed, policies=[*mix(), Listening()], budget_rmb=8e6)
        assert fused.outcomes["transformed_by_deadline"] > 0, "the run must transform firms"
        for name, column in fused.columns.items():
            assert np.array_equal(column, hooked.columns[name]), \
                f"seed {seed}: {name} differs between the compiled phases and the hooked ones"


@pytest.mark.parametrize("mix", [default_policy_mix, every_kind], ids=["default", "every-kind"])
def test_a_month_in_one_call_gives_the_numbers_of_its_phases_one_by_one(mix):
    for seed in (2, 9):
        models = [ClusterModel(rng=seed, policies=mix(), budget_rmb=8e6) for _ in range(2)]
        assert models[0]._month_in_one_call, "every phase is compiled: expected one call"
        models[1]._month_in_one_call = False  # the same compiled phases, one call each
        for model in models:
            while model.running:
                model.step()
        one_call, by_phase = (model.datacollector.columns() for model in models)
        assert one_call["n_transformed"][-1] > 0, "the run must transform firms"
        for name, column in one_call.items():
            assert np.array_equal(column, by_phase[name]), \
                f"seed {seed}: {name} differs between one call and the phases one by one"


def test_a_month_is_one_call_only_when_each_of_its_phases_would_be():
    assert ClusterModel(rng=1, policies=every_kind())._month_in_one_call
    assert not ClusterModel(rng=1, policies=[Grant(), Listening()])._month_in_one_call, \
        "an instrument with Python hooks: expected the phases one by one"
    for switched_off in ("economic_gate_on", "provider_capacity_on", "stages_on"):
        assert not ClusterModel(rng=1, **{switched_off: False})._month_in_one_call, \
            f"{switched_off} = False: expected the phases one by one"
    assert not ClusterModel.bass(0.03, 0.4, 50, seed=1)._month_in_one_call, \
        "Bass docking adopts the willing: expected the phases one by one"


def test_the_phases_are_compiled_only_when_every_hooked_instrument_has_a_compiled_form():
    model = ClusterModel(rng=1, policies=every_kind())
    assert model.month_hooks.compiled(*POINTS), "every kind here has a compiled form"

    class Kinder(Grant):  # a subclass may change what its hooks use: they run as Python
        def _amount(self, kinds, cost):
            return 2 * super()._amount(kinds, cost)

    model = ClusterModel(rng=1, policies=[Kinder(), Accompaniment()])
    assert not model.month_hooks.compiled("support_at_start") \
        and not model.month_hooks.compiled("on_start"), "a subclass's hooks must run as Python"
    model = ClusterModel(rng=1, policies=[Grant(), Accompaniment()])
    assert model.month_hooks.compiled("support_at_start", "on_start", "stage_log_odds"), \
        "the shipped classes' hooks have compiled forms"
    model = ClusterModel(rng=1, policies=[Grant(), ExchangeSessions(), Listening()])
    assert not model.month_hooks.compiled("support_at_start"), \
        "an instrument of the user's own makes the phase call the hooks"


@pytest.fixture(scope="module")
def model_in_flight() -> ClusterModel:
    """A model of every kind, eight months into its run, with marked firms and spent money."""
    model = ClusterModel(rng=3, policies=every_kind(), budget_rmb=3e7)
    for _ in range(8):
        model.step()
    flags = model.firm_flags_table
    assert flags.any(axis=1).sum() >= 2, "the platform and diagnosis must have marked firms"
    return model


def test_expected_support_is_the_hooks_answer(model_in_flight):
    model, hooks = model_in_flight, model_in_flight.month_hooks
    firms = np.sort(np.random.default_rng(0).choice(model.params.n_smes, 300, replace=False))
    ledger = model.government.ledger
    for money_left in (True, False):  # grants are not expected once the money has run out
        kept = ledger.copy()
        if not money_left:
            ledger[LEFT] = 0.0
        python = _expected_support(model, firms)
        for i, point in enumerate(("support_at_start", "support_on_acceptance")):
            got = expected_support(hooks.rows[point], hooks.ints, hooks.floats, hooks.flags,
                                   hooks.counters, firms, model.smes.cost, model.month, ledger)
            assert np.array_equal(got, python[i]), \
                f"{point}, money left {money_left}: compiled support differs"
            assert got.any() == (money_left or point == "support_at_start"), \
                f"{point}, money left {money_left}: grants are offered while money is left, " \
                "the platform's price cut always"
        ledger[:] = kept


def test_stage_log_odds_are_the_hooks_answer(model_in_flight):
    model, hooks = model_in_flight, model_in_flight.month_hooks
    firms = np.arange(model.params.n_smes)
    got = stage_log_odds(hooks.rows["stage_log_odds"], hooks.ints, hooks.floats, hooks.flags,
                         firms)
    assert np.array_equal(got, _log_odds_of_instruments(model, firms)), \
        "compiled log-odds differ from the hooks' (a zero's sign aside)"
    assert (got < 0).any(), "marked firms' stages must be safer"


def the_hooks_both_ways(model, point, firms, compiled_form):
    """The model's state after the Python hooks of ``point`` and after the compiled form."""
    s, gov = model.smes, model.government
    state = (s.outlay, gov.ledger, gov.account_spent, model.firm_flags_table, model.counters,
             model.running_sums)
    before = [a.copy() for a in state]
    for hook in model.hooks[point]:
        hook(model, firms)
    python = [a.copy() for a in state]
    for a, b in zip(state, before, strict=True):
        a[...] = b
    compiled_form()
    return before, python, [a.copy() for a in state]


NAMES = ("outlay", "ledger", "account_spent", "flags", "counters", "running sums")


def test_start_projects_does_what_the_on_start_hooks_do(model_in_flight):
    model, hooks = model_in_flight, model_in_flight.month_hooks
    s, gov = model.smes, model.government
    firms = np.flatnonzero(s.project_kind > 0)[:40]
    s.project_kind[firms] = np.random.default_rng(1).integers(1, 3, len(firms))  # both kinds
    s.talent[firms[::2]] = 0.9  # showcases need talent
    showcase = next(i for i in model.instruments if isinstance(i, Showcase))
    voucher = next(i for i in model.instruments if isinstance(i, ServiceVoucher))
    showcase.left, voucher.left = 3, 5  # (the run may have used them up)
    assert model.counters[model.instruments.index(showcase)] == 3 \
        and model.counters[model.instruments.index(voucher)] == 5, \
        "a showcase's grants and a voucher programme's vouchers left are cells of the counters"
    for month in (model.month, 20):  # accompaniment open, then closed (a grant opens later)
        model.month = month
        before, python, compiled = the_hooks_both_ways(
            model, "on_start", firms, lambda: start_projects(
                hooks.rows["on_start"], hooks.ints, hooks.floats, hooks.flags, hooks.counters,
                firms, model.month, s.project_kind, s.cost, s.outlay, s.talent, gov.ledger,
                gov.account_spent))
        for name, a, b in zip(NAMES, python, compiled, strict=True):
            assert np.array_equal(a, b), f"month {month}: {name} differs after on_start"
        assert not np.array_equal(python[0], before[0]), f"month {month}: grants must be paid"
        assert month == 20 or not np.array_equal(python[4], before[4]), \
            "showcase grants must be used"


def test_failure_completion_and_acceptance_do_what_their_hooks_do(model_in_flight):
    model, hooks = model_in_flight, model_in_flight.month_hooks
    s, gov = model.smes, model.government
    firms = np.arange(0, model.params.n_smes, 7)
    s.project_kind[firms] = 2  # the grant on acceptance is for deep projects
    s.started_month[firms] = np.random.default_rng(2).integers(0, 30, len(firms))
    s.outlay[firms] = np.random.default_rng(3).normal(50_000.0, 80_000.0, len(firms))
    s.outlay[firms[:3]] = (-0.0, 0.0, np.nan)
    s.hardware_only[firms[3::5]] = True
    fund = next(i for i in model.instruments if isinstance(i, RiskSharingFund))
    fund.paid_rmb = 150_000.0  # the fund runs out among these claims
    for point, compiled_form in (
            ("on_failure", lambda: fail_projects(
                hooks.rows["on_failure"], hooks.ints, hooks.floats, hooks.sums, firms,
                s.project_kind, s.hardware_only, s.outlay, gov.ledger, gov.account_spent)),
            ("on_completion", lambda: complete_projects(
                hooks.rows["on_completion"], hooks.ints, hooks.floats, firms, gov.ledger,
                gov.account_spent)),
            ("on_acceptance", lambda: accept_projects(
                hooks.rows["on_acceptance"], hooks.ints, hooks.floats, firms, s.started_month,
                s.project_kind, s.cost, s.outlay, gov.ledger, gov.account_spent))):
        before, python, compiled = the_hooks_both_ways(model, point, firms, compiled_form)
        for name, a, b in zip(NAMES, python, compiled, strict=True):
            assert np.array_equal(a, b, equal_nan=a.dtype.kind == "f"), f"{point}: {name} differs"
        assert not np.array_equal(python[2], before[2]), f"{point}: money must be spent"
