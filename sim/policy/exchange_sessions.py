"""Exchange sessions: organised peer visits where there is something to see."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, ClassVar

import numpy as np
from catfish.agents.government import pay_from
from catfish.agents.jit import compiled
from catfish.sim.policy.base import Instrument, check_sectors, in_window, sector_mask, step_of
from catfish.sim.policy.parameters import instrument, month, months_in_order, names, param
from catfish.sim.policy.selection import each, sectors_with_something_to_show

if TYPE_CHECKING:
    from catfish.sim.model import ClusterModel
    from catfish.sim.params import ModelParams


@instrument
class ExchangeSessions(Instrument):
    """Peer exchange sessions at a central factory or a transformed firm.

    ``sessions_per_quarter`` sessions are held, each with ``visitors_per_session`` visitors
    (people, as source 000 counts them; ``people_per_visiting_firm`` of them come from one firm).

    Sessions go, in equal numbers, to the chosen sectors that have something to show (an
    operating central factory or a transformed firm). Visitors convert as visits to a central
    factory do (``visit_conversion_prob``, less for a firm that has visited before). The
    government pays ``cost_per_session_rmb`` per session; sessions stop when the budget runs
    out.
    """

    sessions_per_quarter: float = param(10.0, "sessions/quarter", "Sessions held per quarter "
                                        "(whole sessions fall in each month).", ge=0)
    visitors_per_session: float = param(50.0, "visitors", "Visitors (people) per session.",
                                        ge=0)
    cost_per_session_rmb: float = param(30_000.0, "RMB", "Cost of one session.", ge=0)
    sectors: tuple[str, ...] = names("Sectors that hold sessions (empty: all).",
                                     "a list of sectors of the cluster")
    start: str | None = month("First month (default: the scenario's start).")
    end: str | None = month("Last month (default: the end of the run).")
    name: ClassVar[str] = "exchange_sessions"
    pays_for: ClassVar[str] = "cost_per_session_rmb per session held"
    sources: ClassVar[str] = ("000 (10 peer exchange sessions with more than 500 industry "
                              "visitors in 3 months).")

    _months_in_order = months_in_order()

    def validate_for(self, params: ModelParams) -> None:
        """The sectors named must exist in the cluster."""
        check_sectors("sectors", self.sectors, params)

    def setup(self, model: ClusterModel) -> None:
        """Open the account; note the sectors and the programme's first month."""
        super().setup(model)
        self.chosen = sector_mask(model.params, self.sectors)
        self.first_step = max(step_of(model, self.start), 1)

    def sessions_in(self, months_running: int) -> int:
        """Whole sessions held in the ``months_running``-th month of the programme."""
        rate = self.sessions_per_quarter / 3
        return math.floor(months_running * rate + 1e-9) \
            - math.floor((months_running - 1) * rate + 1e-9)

    def apply(self, model: ClusterModel) -> None:
        """Hold this month's sessions where there is something to show."""
        if not in_window(model, self.start, self.end):
            return
        n = self.sessions_in(model.month - self.first_step + 1)
        if n <= 0:
            return
        s, leads, gov = model.smes, model.leads, model.government
        _hold_sessions(n, self.cost_per_session_rmb, self.visitors_per_session, self.chosen,
                       leads.sector, leads.operating, s.state, s.sector,
                       model.levers.extra_visits, gov.ledger, gov.account_spent,
                       self.account_row)


@compiled
def _hold_sessions(n: int, cost: float, visitors: float, chosen: np.ndarray,
                   lead_sector: np.ndarray, operating: np.ndarray, state: np.ndarray,
                   sector: np.ndarray, extra_visits: np.ndarray, ledger: np.ndarray,
                   account_spent: np.ndarray, account: int) -> None:
    """``n`` sessions, paid in turn (``agents.government.pay_from``), shared by the hosts.

    The chosen sectors with something to show host the sessions held in equal shares of
    their visitors (``extra_visits``, by sector); free sessions are always held.
    """
    hosts = sectors_with_something_to_show(chosen, lead_sector, operating, state, sector)
    n_hosts = np.count_nonzero(hosts)
    if n_hosts == 0:
        return
    paid = pay_from(ledger, account_spent, account, each(cost, n), np.inf)
    held = n if cost == 0 else np.count_nonzero(paid)
    per_host = held * visitors / n_hosts
    for k in range(len(hosts)):
        extra_visits[k] += hosts[k] * per_host

