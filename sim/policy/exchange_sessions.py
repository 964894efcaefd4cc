"""Exchange sessions: organised peer visits where there is something to see."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, ClassVar

import numpy as np
from catfish.agents.sme import TRANSFORMED
from catfish.sim.policy.base import Instrument, check_sectors, in_window, sector_mask, step_of
from catfish.sim.policy.parameters import instrument, month, months_in_order, names, param

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
        s, leads = model.smes, model.leads
        operating = np.zeros_like(self.chosen)
        operating[leads.sector[leads.operating]] = True
        hosts = self.chosen & (operating | _has_transformed(s.sector, s.state, len(operating)))
        if not hosts.any():
            return
        paid = model.government.pay(self.account, np.full(n, self.cost_per_session_rmb))
        held = int(((paid > 0) | (self.cost_per_session_rmb == 0)).sum())
        model.levers.extra_visits += hosts * (held * self.visitors_per_session / hosts.sum())


def _has_transformed(sector: np.ndarray, state: np.ndarray, n_sectors: int) -> np.ndarray:
    """Whether each sector has at least one transformed firm."""
    if n_sectors == 1:  # the common single-sector cluster: no per-sector count needed
        return np.array([(state == TRANSFORMED).any()])
    return np.bincount(sector[state == TRANSFORMED], minlength=n_sectors) > 0
