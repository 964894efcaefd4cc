"""Exchange sessions: organised peer visits where there is something to see."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from catfish.sim.policy.base import (
    Instrument,
    check_at_least,
    check_month,
    check_numbers,
    check_sectors,
    each,
    in_window,
    sector_mask,
    step_of,
)
from catfish.sim.policy.selection import sectors_with_something_to_show

if TYPE_CHECKING:
    from catfish.sim.model import ClusterModel
    from catfish.sim.params import ModelParams


@dataclass
class ExchangeSessions(Instrument):
    """Peer exchange sessions at a central factory or a transformed firm.

    ``sessions_per_quarter`` sessions are held, each with ``visitors_per_session`` visitors
    (people, as source 000 counts them; ``people_per_visiting_firm`` of them come from one firm).

    Sessions go, in equal numbers, to the chosen sectors that have something to show (an
    operating central factory or a transformed firm). Visitors convert as visits to a central
    factory do (``visit_conversion_prob``, less for a firm that has visited before). The
    government pays ``cost_per_session_rmb`` per session; sessions stop when the budget runs
    out.

    Args:
        sessions_per_quarter: Sessions held per quarter (whole sessions fall in each month).
        visitors_per_session: Visitors (people) per session.
        cost_per_session_rmb: Cost of one session, RMB.
        sectors: Sectors that hold sessions (empty: all).
        start: First month, YYYY-MM (default: the scenario's start).
        end: Last month, YYYY-MM (default: the end of the run).

    Source: 000 (10 peer exchange sessions with more than 500 industry visitors in 3 months).
    """

    sessions_per_quarter: float = 10.0
    visitors_per_session: float = 50.0
    cost_per_session_rmb: float = 30_000.0
    sectors: tuple[str, ...] = field(default_factory=tuple)
    start: str | None = None
    end: str | None = None
    name: ClassVar[str] = "exchange_sessions"
    pays_for: ClassVar[str] = "cost_per_session_rmb per session held"

    def __post_init__(self) -> None:
        check_numbers(self)
        check_at_least("sessions_per_quarter", self.sessions_per_quarter)
        check_at_least("visitors_per_session", self.visitors_per_session)
        check_at_least("cost_per_session_rmb", self.cost_per_session_rmb)
        self.sectors = tuple(self.sectors)
        check_month("start", self.start)
        check_month("end", self.end)

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
        hosts = sectors_with_something_to_show(self.chosen, leads.sector, leads.operating,
                                               s.state, s.sector)
        if not hosts.any():
            return
        paid = model.government.pay(self.account, each(self.cost_per_session_rmb, n))
        held = n if self.cost_per_session_rmb == 0 else np.count_nonzero(paid)
        model.levers.extra_visits += hosts * (held * self.visitors_per_session
                                              / np.count_nonzero(hosts))

