"""The shipped instruments' in-month hooks as compiled code, so a month's phase is one call.

Each phase of a month that calls instruments' hooks (deciding asks the support on offer,
starting projects runs ``on_start`` and asks ``stage_log_odds``, progress runs
``on_completion``, ``on_failure`` and ``on_acceptance``) could be one compiled call but for the
hooks, which are Python. The shipped instruments' in-month hooks are simple (a grant's capped
share, vouchers, accompaniment, a chain leader's platform, diagnosis's safer stages, showcase
grants, the acceptance checks, loans to subsidise, instalment fees, a risk-sharing fund's
reimbursements), so the same work is written here as compiled code that reads the
instrument's terms from arrays made once per model (:class:`MonthHooks`). A phase runs as one
call (``sim.projects``) when every instrument hooked into it has its hooks here; otherwise it
calls the Python hooks as before. Each compiled form calls the instrument module's own compiled
functions (``_pay_grants``, ``_accompany``, ``_fund_showcases``, ``_pay_checks``, ``_redeem``,
``_pay_fees``, ``_reimburse``), which its Python hooks call too, or copies its expression in
the same order; ``tests/test_month_hooks.py`` checks each against the Python hook, so there
is still one rule per instrument.

An instrument's terms (shares, caps, fees, months, effects) are read when the model is built:
changing an instrument's parameters during a run, which nothing in Catfish does, would reach
only its Python hooks. An instrument of a subclass, or whose class's hook was replaced, runs
its Python hooks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from catfish.agents.government import _larger, available
from catfish.agents.jit import compiled
from catfish.agents.sme import LIGHT
from catfish.sim.policy.acceptance_rule import AcceptanceRule, _pay_checks
from catfish.sim.policy.accompaniment import Accompaniment, _accompany
from catfish.sim.policy.base import Instrument, _window
from catfish.sim.policy.chain_leader_programme import ChainLeaderProgramme
from catfish.sim.policy.diagnosis import Diagnosis
from catfish.sim.policy.grant import Grant, _pay_grants
from catfish.sim.policy.instalment_financing import InstalmentFinancing, _pay_fees
from catfish.sim.policy.interest_subsidy import InterestSubsidy
from catfish.sim.policy.risk_sharing_fund import RiskSharingFund, _reimburse
from catfish.sim.policy.selection import KIND_CODES, of_kind
from catfish.sim.policy.service_voucher import ServiceVoucher, _redeem
from catfish.sim.policy.showcase import Showcase, _fund_showcases

if TYPE_CHECKING:
    from catfish.sim.model import ClusterModel

# kinds of compiled hooks
(GRANT, ACCOMPANIMENT, CHAIN_LEADER, DIAGNOSIS, SHOWCASE, ACCEPTANCE_RULE, SERVICE_VOUCHER,
 INTEREST_SUBSIDY, INSTALMENT_FINANCING, RISK_SHARING_FUND) = range(1, 11)
# columns of MonthHooks.ints: kind, kinds covered (KIND_CODES), account row, first and last
# month open, places a month, and the instrument's row (of MonthHooks.flags, counters, sums)
KIND, KINDS, ACCOUNT, FIRST, LAST, PLACES, FLAGS = range(7)
# columns of MonthHooks.floats: an amount (a grant's, a voucher's, instalments' or a fund's
# share, accompaniment's fee, the platform's cost cut, a showcase's grant, a check's cost), a
# limit (a grant's cap, a voucher's value, a showcase's minimum talent, instalments' fee share,
# a fund's size), and the stage log-odds of the early, middle and late stage
AMOUNT, LIMIT, ODDS = 0, 1, 2

# the in-month hooks each kind has in compiled form, with the shipped function of each (a hook
# replaced on the class after import is the caller's own: its Python runs)
COMPILED_HOOKS: dict[type[Instrument], tuple[int, dict[str, object]]] = {
    cls: (kind, {hook: getattr(cls, hook) for hook in hooks}) for cls, kind, hooks in (
        (Grant, GRANT, ("support_at_start", "support_on_acceptance", "on_start",
                        "on_acceptance")),
        (Accompaniment, ACCOMPANIMENT, ("on_start", "stage_log_odds")),
        (ChainLeaderProgramme, CHAIN_LEADER, ("support_at_start", "on_start",
                                              "stage_log_odds")),
        (Diagnosis, DIAGNOSIS, ("stage_log_odds",)),
        (Showcase, SHOWCASE, ("on_start",)),
        (AcceptanceRule, ACCEPTANCE_RULE, ("on_completion",)),
        (ServiceVoucher, SERVICE_VOUCHER, ("support_at_start", "on_start")),
        (InterestSubsidy, INTEREST_SUBSIDY, ("on_start",)),
        (InstalmentFinancing, INSTALMENT_FINANCING, ("on_start",)),
        (RiskSharingFund, RISK_SHARING_FUND, ("on_failure",)))}
POINTS = ("support_at_start", "support_on_acceptance", "on_start", "stage_log_odds",
          "on_completion", "on_failure", "on_acceptance")


@dataclass(frozen=True, eq=False)
class MonthHooks:
    """The instruments' in-month hooks, as terms the compiled forms read; made once per model.

    Attributes:
        rows: For each hook point (``POINTS``), the rows of the instruments hooked into it, in
            the order of the mix; ``None`` if one of them has no compiled form (the phase
            calls the Python hooks).
        ints: Integer terms, one row per instrument of the mix (columns ``KIND`` ...).
        floats: Float terms, likewise (columns ``AMOUNT``, ``LIMIT``, ``ODDS`` ...).
        flags: The firms an instrument has marked (accompanied, on the platform, diagnosed,
            showcases): ``ClusterModel.firm_flags_table``, one row per instrument of the mix.
        counters: What each instrument has left to give (showcase grants, vouchers):
            ``ClusterModel.counters``, one per instrument of the mix.
        sums: What each has paid out (a risk-sharing fund): ``ClusterModel.running_sums``.
    """

    rows: dict[str, np.ndarray | None]
    ints: np.ndarray
    floats: np.ndarray
    flags: np.ndarray
    counters: np.ndarray
    sums: np.ndarray
    compiled_points: frozenset[str] = frozenset()  # the points whose hooks are all compiled

    @classmethod
    def of(cls, model: ClusterModel) -> MonthHooks:
        """The terms of the model's mix, after its instruments' ``setup``."""
        instruments, p = model.instruments, model.params
        ints = np.zeros((len(instruments), 7), np.int64)
        floats = np.zeros((len(instruments), 5))
        compiled_at: list[set[str]] = []
        for row, instrument in enumerate(instruments):
            kind, hooks = _compiled_form(instrument)
            compiled_at.append(hooks)
            if kind:
                ints[row], floats[row] = _terms(instrument, kind, row, p.start_month, p.months)
        rows: dict[str, np.ndarray | None] = {}
        for point in POINTS:
            hooked = [model._instrument_rows[id(hook.__self__)] for hook in model.hooks[point]]
            rows[point] = np.array(hooked, np.int64) \
                if all(point in compiled_at[row] for row in hooked) else None
        return cls(rows=rows, ints=ints, floats=floats, flags=model.firm_flags_table,
                   counters=model.counters, sums=model.running_sums,
                   compiled_points=frozenset(p for p, r in rows.items() if r is not None))

    def compiled(self, *points: str) -> bool:
        """Whether every hook of these points has a compiled form (or none is hooked)."""
        return self.compiled_points.issuperset(points)  # (asked three times a month)


def _compiled_form(instrument: Instrument) -> tuple[int, set[str]]:
    """The instrument's kind and the hooks it runs in compiled form (0 and none if Python)."""
    form = COMPILED_HOOKS.get(type(instrument))
    if form is None:
        return 0, set()
    kind, shipped = form
    return kind, {hook for hook, function in shipped.items()
                  if getattr(type(instrument), hook) is function}


def _terms(instrument: Instrument, kind: int, row: int, start_month: str,
           months: int) -> tuple[list[int], list[float]]:
    """One instrument's row of integer and float terms."""
    first, last = _window(start_month, months, getattr(instrument, "start", None),
                          getattr(instrument, "end", None))
    ints = [kind, KIND_CODES[getattr(instrument, "kinds", "both")],
            getattr(instrument, "account_row", -1), first, last, 0, row]
    floats = [0.0, np.inf, 0.0, 0.0, 0.0]
    if isinstance(instrument, Grant):
        floats[AMOUNT], floats[LIMIT] = instrument.share, instrument.cap_rmb
    elif isinstance(instrument, Accompaniment):
        ints[PLACES] = instrument.projects_per_month
        floats[AMOUNT] = instrument.cost_per_project_rmb
        floats[ODDS:] = instrument._effect
    elif isinstance(instrument, ChainLeaderProgramme):
        floats[AMOUNT] = instrument.platform_cost_cut
        floats[ODDS:] = [instrument.failure_log_odds] * 3
    elif isinstance(instrument, Diagnosis):
        floats[ODDS:] = instrument._effect
    elif isinstance(instrument, Showcase):
        floats[AMOUNT], floats[LIMIT] = instrument.grant_rmb, instrument.min_talent
    elif isinstance(instrument, AcceptanceRule):
        floats[AMOUNT] = instrument.check_cost_rmb
    elif isinstance(instrument, ServiceVoucher):
        floats[AMOUNT], floats[LIMIT] = instrument.service_share, instrument.value_rmb
    elif isinstance(instrument, InstalmentFinancing):
        floats[AMOUNT], floats[LIMIT] = instrument.share, instrument.fee_share
    elif isinstance(instrument, RiskSharingFund):
        floats[AMOUNT], floats[LIMIT] = instrument.share, instrument.fund_rmb
    return ints, floats


@compiled
def expected_support(rows: np.ndarray, ints: np.ndarray, floats: np.ndarray,
                     flags: np.ndarray, counters: np.ndarray, firms: np.ndarray,
                     cost: np.ndarray, month: int, ledger: np.ndarray) -> np.ndarray:
    """The support the instruments of ``rows`` offer ``firms``: shape (2, firms), light, deep.

    What their ``support_at_start`` (or ``support_on_acceptance``) hooks answer, added up in
    the order of the mix (``sim.projects._expected_support``): a grant's share of the cost up
    to its cap while it is open and money is left; a voucher's value (the cost's service share
    up to its face value) while vouchers and money are left; a chain leader's platform price
    cut on light projects of the firms on its platform.
    """
    support = np.zeros((2, len(firms)))
    money_left = available(ledger) > 0
    for i in rows:
        kind, covered = ints[i, KIND], ints[i, KINDS]
        capped = kind == GRANT or kind == SERVICE_VOUCHER  # a share of the cost, up to a limit
        if kind == GRANT and not (money_left and ints[i, FIRST] <= month <= ints[i, LAST]):
            continue  # firms expect nothing once the money has run out
        if kind == SERVICE_VOUCHER and not (money_left and counters[i] > 0):
            continue  # nor once the vouchers have
        for k in range(2):
            if capped and covered != 0 and covered != k + 1:
                continue
            for j in range(len(firms)):
                f = firms[j]
                if capped:
                    asked = floats[i, AMOUNT] * cost[k + 1, f]
                    support[k, j] += floats[i, LIMIT] if asked > floats[i, LIMIT] else asked
                elif kind == CHAIN_LEADER and k == 0 and flags[ints[i, FLAGS], f]:
                    support[k, j] += floats[i, AMOUNT] * cost[k + 1, f]
    return support


@compiled
def start_projects(rows: np.ndarray, ints: np.ndarray, floats: np.ndarray, flags: np.ndarray,
                   counters: np.ndarray, firms: np.ndarray, month: int,
                   project_kind: np.ndarray, cost: np.ndarray, outlay: np.ndarray,
                   talent: np.ndarray, ledger: np.ndarray, account_spent: np.ndarray) -> None:
    """The ``on_start`` hooks of the instruments of ``rows``, in the order of the mix.

    A grant pays its share while open (``grant._pay_grants``); accompaniment takes on the first
    projects while open (``accompaniment._accompany``); a chain leader's platform lowers its
    suppliers' outlay on light projects; a showcase programme funds its first projects while it
    has grants left (``showcase._fund_showcases``).
    """
    for i in rows:
        kind, row = ints[i, KIND], ints[i, FLAGS]
        open_now = ints[i, FIRST] <= month <= ints[i, LAST]
        if kind == GRANT and open_now:
            _pay_grants(firms, project_kind, cost, outlay, floats[i, AMOUNT], floats[i, LIMIT],
                        ints[i, KINDS], ledger, account_spent, ints[i, ACCOUNT])
        elif kind == ACCOMPANIMENT:
            _accompany(firms, flags[row], open_now, project_kind, ints[i, KINDS],
                       ints[i, PLACES], floats[i, AMOUNT], ledger, account_spent,
                       ints[i, ACCOUNT])
        elif kind == CHAIN_LEADER:
            for f in firms:
                k = project_kind[f]
                outlay[f] -= floats[i, AMOUNT] * cost[k, f] if k == LIGHT and flags[row, f] \
                    else 0.0
        elif kind == SHOWCASE and counters[i] > 0:
            counters[i] -= _fund_showcases(
                firms, flags[row], counters[i], project_kind, ints[i, KINDS], talent,
                floats[i, LIMIT], cost, outlay, floats[i, AMOUNT], ledger, account_spent,
                ints[i, ACCOUNT])
        elif kind == SERVICE_VOUCHER:
            counters[i] -= _redeem(firms, project_kind, ints[i, KINDS], counters[i], cost,
                                   outlay, floats[i, AMOUNT], floats[i, LIMIT], ledger,
                                   account_spent, ints[i, ACCOUNT])
        elif kind == INTEREST_SUBSIDY:
            for f in of_kind(firms, project_kind, ints[i, KINDS]):
                flags[row, f] = True  # its loan is taken on next month
        elif kind == INSTALMENT_FINANCING:
            _pay_fees(firms, project_kind, ints[i, KINDS], cost, floats[i, AMOUNT],
                      floats[i, LIMIT], ledger, account_spent, ints[i, ACCOUNT])


@compiled
def fail_projects(rows: np.ndarray, ints: np.ndarray, floats: np.ndarray, sums: np.ndarray,
                  firms: np.ndarray, project_kind: np.ndarray, hardware_only: np.ndarray,
                  outlay: np.ndarray, ledger: np.ndarray, account_spent: np.ndarray) -> None:
    """The ``on_failure`` hooks: a risk-sharing fund reimburses failed and rejected projects.

    Covered projects that were not hardware only, in order, get the fund's share of the
    firm's own outlay while the fund and the budget last.
    """
    for i in rows:
        if ints[i, KIND] == RISK_SHARING_FUND:
            sums[i] += _reimburse(firms, project_kind, ints[i, KINDS], hardware_only, outlay,
                                  floats[i, AMOUNT], _larger(0.0, floats[i, LIMIT] - sums[i]),
                                  ledger, account_spent, ints[i, ACCOUNT])


@compiled
def complete_projects(rows: np.ndarray, ints: np.ndarray, floats: np.ndarray,
                      firms: np.ndarray, ledger: np.ndarray, account_spent: np.ndarray) -> None:
    """The ``on_completion`` hooks: the acceptance checks of the projects completed, paid."""
    for i in rows:
        if ints[i, KIND] == ACCEPTANCE_RULE and len(firms) and floats[i, AMOUNT] > 0:
            _pay_checks(len(firms), floats[i, AMOUNT], ledger, account_spent, ints[i, ACCOUNT])


@compiled
def accept_projects(rows: np.ndarray, ints: np.ndarray, floats: np.ndarray, firms: np.ndarray,
                    started_month: np.ndarray, project_kind: np.ndarray, cost: np.ndarray,
                    outlay: np.ndarray, ledger: np.ndarray, account_spent: np.ndarray) -> None:
    """The ``on_acceptance`` hooks: grants paid on acceptance, to projects started while open."""
    for i in rows:
        if ints[i, KIND] == GRANT and len(firms):
            promised = np.empty(len(firms), np.int64)
            n = 0
            for f in firms:
                if ints[i, FIRST] <= started_month[f] <= ints[i, LAST]:
                    promised[n] = f
                    n += 1
            _pay_grants(promised[:n], project_kind, cost, outlay, floats[i, AMOUNT],
                        floats[i, LIMIT], ints[i, KINDS], ledger, account_spent,
                        ints[i, ACCOUNT])


@compiled
def stage_log_odds(rows: np.ndarray, ints: np.ndarray, floats: np.ndarray, flags: np.ndarray,
                   firms: np.ndarray) -> np.ndarray:
    """What the ``stage_log_odds`` hooks of the instruments of ``rows`` add: (firms, 3).

    Each adds its effect on every stage for the firms it marked (``flagged_log_odds``). Added
    to zeros where the Python hooks' single answer is taken as it is: the two differ only in
    the sign of a zero, which adding the kind's and the levers' log-odds removes.
    """
    odds = np.zeros((len(firms), 3))
    for i in rows:
        row = ints[i, FLAGS]
        for j in range(len(firms)):
            for stage in range(3):
                odds[j, stage] += flags[row, firms[j]] * floats[i, ODDS + stage]
    return odds
