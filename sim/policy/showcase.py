"""Showcase ("little lighthouse") funding: demonstration projects that host visiting peers."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, Literal

import numpy as np
from catfish.agents.government import pay_from
from catfish.agents.jit import compiled
from catfish.sim.policy.base import Cell, Instrument
from catfish.sim.policy.parameters import instrument, param
from catfish.sim.policy.selection import (
    KIND_CODES,
    lower_outlay,
    of_kind,
    paid_for,
    project_costs,
    transformed_per_sector,
)

if TYPE_CHECKING:
    from catfish.sim.model import ClusterModel


@instrument
class Showcase(Instrument):
    """Funds showcase projects that, once accepted, host visits from their sector.

    ``projects`` showcases get ``grant_rmb`` each; an accepted one hosts ``visits_per_month``
    visitors (people).

    Showcases are picked among projects as they start (first in queue order) from firms whose
    talent is at least ``min_talent`` (expert review picks capable firms); the grant lowers
    their outlay. A showcase that fails hosts nobody. Visits convert unwilling firms as visits
    to a central factory do (``visit_conversion_prob``), weighted by ``conviction``: source 000
    found that large firms' showcases are too far from SMEs' reality to move them, so a showcase
    of that kind should say ``conviction: 0``.
    """

    projects: int = param(10, "projects", "Showcase projects funded over the run.", ge=0)
    grant_rmb: float = param(500_000.0, "RMB", "Grant per showcase (at most the project's cost).",
                             ge=0)
    visits_per_month: float = param(20.0, "visitors/month", "Visitors (people) an accepted "
                                    "showcase hosts per month.", ge=0)
    min_talent: float = param(0.4, "index 0-1", "Least digital talent of a firm picked as a "
                              "showcase.", ge=0, le=1)
    kinds: Literal["light", "deep", "both"] = param("both", "", "Projects that can be "
                                                    "showcases.")
    conviction: float = param(1.0, "share", "How much a visit to it persuades, relative to a "
                              "visit to a central factory (1: as much; 0: not at all, as source "
                              "000 says of large firms' showcases).", ge=0, le=1)
    name: ClassVar[str] = "showcase"
    pays_for: ClassVar[str] = "grant_rmb (at most the project cost) per showcase, when it starts"
    sources: ClassVar[str] = ("000 (large firms' showcases are too far from SMEs to move them; the "
                              "central factory competes on real orders instead); 001 (little "
                              "lighthouses; \"the digitalised first lead the later ones\"); 002 "
                              "(\"small-fast-light-precise\" showcases funded first; one "
                              "showcase should pull a batch of firms; 7 benchmark projects with "
                              "almost 20 M RMB).")
    left = Cell(int, "Showcase grants still on offer (``projects`` at the start of a run).")

    def setup(self, model: ClusterModel) -> None:
        """Open the account; no showcase is chosen yet."""
        super().setup(model)
        self.showcase = model.firm_flags(self)
        self._left = model.counter(self, int(self.projects))

    def apply(self, model: ClusterModel) -> None:
        """Accepted showcases host visits in their sectors this month."""
        s = model.smes
        _host_visits(s.state, s.sector, self.showcase, self.visits_per_month * self.conviction,
                     model.levers.extra_visits)

    def on_start(self, model: ClusterModel, firms: np.ndarray) -> None:
        """Pick this month's showcases among starting projects and pay their grants."""
        if self.left <= 0:
            return
        s, gov = model.smes, model.government
        self.left -= _fund_showcases(
            firms, self.showcase, self.left, s.project_kind, KIND_CODES[self.kinds], s.talent,
            self.min_talent, s.cost, s.outlay, self.grant_rmb, gov.ledger, gov.account_spent,
            self.account_row)


@compiled
def _fund_showcases(firms: np.ndarray, showcase: np.ndarray, left: int,
                    project_kind: np.ndarray, kinds: int, talent: np.ndarray,
                    min_talent: float, cost: np.ndarray, outlay: np.ndarray, grant: float,
                    ledger: np.ndarray, account_spent: np.ndarray, account: int) -> int:
    """This month's showcases among starting projects; how many were funded.

    The first ``left`` projects (queue order) of the kinds covered, of firms that are not
    showcases yet and have at least ``min_talent``, are offered ``grant`` (at most the
    project's cost), paid while the budget lasts (``agents.government.pay_from``); it lowers
    the firm's outlay, and a project whose grant was paid becomes a showcase.
    """
    kept = of_kind(firms, project_kind, kinds)
    n = 0
    for f in kept:
        if not showcase[f] and talent[f] >= min_talent:
            kept[n] = f
            n += 1
    chosen = kept[:min(n, left)]
    if len(chosen) == 0:
        return 0
    asked = project_costs(chosen, project_kind, cost)
    for i in range(len(asked)):
        asked[i] = grant if grant <= asked[i] else asked[i]
    paid = pay_from(ledger, account_spent, account, asked, np.inf)
    lower_outlay(chosen, paid, outlay)
    funded = paid_for(chosen, paid, False)
    for f in funded:
        showcase[f] = True
    return len(funded)


@compiled
def _host_visits(state: np.ndarray, sector: np.ndarray, showcase: np.ndarray,
                 visits_each: float, extra_visits: np.ndarray) -> None:
    """Each accepted showcase hosts ``visits_each`` visitors in its sector this month."""
    hosts = transformed_per_sector(state, sector, len(extra_visits), showcase)
    if np.any(hosts):
        for k in range(len(hosts)):
            extra_visits[k] += visits_each * hosts[k]
