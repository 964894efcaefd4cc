"""Central factory: a lead unit's demonstration plant, co-funded, competing on real orders."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import numpy as np
from catfish.sim.policy.base import Instrument, step_of
from catfish.sim.policy.parameters import instrument, month, param

if TYPE_CHECKING:
    from catfish.sim.model import ClusterModel
    from catfish.sim.params import ModelParams


@instrument
class CentralFactory(Instrument):
    """The government co-funds a central factory run by a lead firm of ``sector``.

    From ``opening`` the plant produces for real orders at ``cost_cut`` lower unit cost and
    ``quality_gain`` higher quality, so it wins orders from the sector's SMEs (the competitive
    side of the catfish effect), hosts ``visits_per_month`` walk-in visitors (people), and its
    suppliers see it (the demonstration side). The government pays ``cost_rmb`` (plant,
    equipment, rent-free space) in the opening month; if the budget cannot pay it in full then,
    the plant does not open. It is run by the first lead firm of the sector that has no central
    factory yet.
    """

    sector: str | None = param(None, "", "Sector of the lead firm (default: the first sector).",
                               allowed="a sector of the cluster")
    opening: str | None = month("Month it starts operating (default: the scenario's start).")
    cost_cut: float = param(0.25, "share", "Unit-cost reduction.", ge=0, lt=1)
    quality_gain: float = param(0.15, "share", "Quality gain.", ge=0, le=2)
    visits_per_month: float = param(
        0.0, "visitors/month", "Walk-in visitors (people) it hosts per month, besides exchange "
        "sessions (source 000 counts its 500 visitors through the sessions).", ge=0)
    cost_rmb: float = param(5_000_000.0, "RMB", "Public money paid when it opens.", ge=0)
    name: ClassVar[str] = "central_factory"
    pays_for: ClassVar[str] = "cost_rmb once, in the opening month (all or nothing)"
    sources: ClassVar[str] = ("000 (central factory in production Nov 2020: cost -25 %, quality "
                              "+15 %; idle plant space given rent-free), 002 (2 lead units per "
                              "sector).")

    def sector_of(self, params: ModelParams) -> str:
        """The sector's name (the first sector if none is given)."""
        return params.sector_names[0] if self.sector is None else self.sector

    def validate_for(self, params: ModelParams) -> None:
        """The sector must exist and have a lead firm without a central factory."""
        if self.sector is not None and self.sector not in params.sector_names:
            raise ValueError(f"sector = {self.sector!r}: not a sector of this cluster "
                             f"(sectors: {', '.join(params.sector_names)})")
        if free_lead_firms(params, self.sector_of(params)) < 1:
            raise ValueError(f"sector = {self.sector_of(params)!r}: no lead firm left to run "
                             f"another central factory (cluster.lead_firms.per_sector is "
                             f"{params.n_lead_firms_per_sector}; the cluster's own factory "
                             f"takes the first)")

    def setup(self, model: ClusterModel) -> None:
        """Give the plant to the sector's first lead firm without one."""
        super().setup(model)
        sector = model.params.sector_names.index(self.sector_of(model.params))
        leads = model.leads
        free = np.flatnonzero((leads.sector == sector) & (leads.opening == 0))
        if len(free) == 0:
            raise ValueError(f"central_factory.sector = {self.sector_of(model.params)!r}: no "
                             f"lead firm left without a central factory")
        self.lead = int(free[0])
        self.opening_step = max(1, step_of(model, self.opening))
        self.paid = False
        if self.opening_step <= model.params.months:
            leads.opening[self.lead] = self.opening_step
            leads.cost_cut[self.lead] = self.cost_cut
            leads.quality_gain[self.lead] = self.quality_gain
            leads.visits[self.lead] = self.visits_per_month

    def apply(self, model: ClusterModel) -> None:
        """Pay for the plant in its opening month; without the money it does not open."""
        if model.month != self.opening_step or self.paid:
            return
        if model.government.available_rmb >= self.cost_rmb:
            model.government.pay(self.account, self.cost_rmb)
            self.paid = True
        else:
            model.leads.opening[self.lead] = 0


def free_lead_firms(params: ModelParams, sector: str) -> int:
    """Lead firms of ``sector`` that do not run the cluster's own central factory."""
    own = params.central_factory_month > 0 and params.n_lead_firms_per_sector > 0 and (
        not params.central_factory_sectors or sector in params.central_factory_sectors)
    return params.n_lead_firms_per_sector - int(own)
