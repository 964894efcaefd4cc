"""Chain-leader programme: lead firms bring their suppliers onto their digital platform."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from catfish.agents.sme import LIGHT, TRANSFORMED
from catfish.sim.policy.base import (
    Instrument,
    check_at_least,
    check_month,
    check_numbers,
    check_sectors,
    check_share,
    each,
    in_window,
    sector_mask,
)
from catfish.sim.policy.selection import convert_unaware, paid_for, smallest_draws

if TYPE_CHECKING:
    from catfish.sim.model import ClusterModel
    from catfish.sim.params import ModelParams


@dataclass
class ChainLeaderProgramme(Instrument):
    """Lead firms bring their suppliers onto their digital platform.

    Each lead firm brings up to ``suppliers_per_lead`` of its suppliers on, ``per_month`` a
    month ("big firms build platforms, small firms use them").

    A supplier on the platform is asked to join (an unwilling one becomes willing with
    probability ``willingness_conversion``), gets the platform's standard light solution at
    ``platform_cost_cut`` lower cost (the lead firm's platform, not public money), and its
    projects fail less (``failure_log_odds`` on every stage: a proven solution that fits the
    chain). The government pays the lead firm ``fee_per_supplier_rmb`` per supplier brought on;
    onboarding stops when the budget runs out.

    Args:
        suppliers_per_lead: Suppliers each lead firm brings on over the run.
        per_month: Suppliers each lead firm brings on per month.
        fee_per_supplier_rmb: Public money per supplier brought on, RMB.
        platform_cost_cut: Share of a light project's cost the platform saves a supplier.
        failure_log_odds: Change in every stage's failure log-odds of platform suppliers.
        willingness_conversion: Chance an unwilling supplier becomes willing when brought on.
        sectors: Sectors whose lead firms take part (empty: all).
        start: First month, YYYY-MM (default: the scenario's start).
        end: Last month, YYYY-MM (default: the end of the run).

    Source: 001 (Chengdu: BOE led 50+ suppliers, FAW-Fawer 50+ parts makers; Deyang, Dongfang
    Electric and its supplier: cost -20 %), 003 (>= 20 firms onto the platform per cluster
    pilot), 004 ("1-2 lead firms + 1 platform + 1 university + N SMEs").
    """

    suppliers_per_lead: int = 50
    per_month: int = 5
    fee_per_supplier_rmb: float = 30_000.0
    platform_cost_cut: float = 0.3
    failure_log_odds: float = -0.5
    willingness_conversion: float = 0.5
    sectors: tuple[str, ...] = field(default_factory=tuple)
    start: str | None = None
    end: str | None = None
    name: ClassVar[str] = "chain_leader_programme"
    pays_for: ClassVar[str] = "fee_per_supplier_rmb per supplier brought onto a platform"

    def __post_init__(self) -> None:
        check_numbers(self)
        check_at_least("suppliers_per_lead", self.suppliers_per_lead)
        check_at_least("per_month", self.per_month)
        check_at_least("fee_per_supplier_rmb", self.fee_per_supplier_rmb)
        if not 0 <= self.platform_cost_cut < 1:
            raise ValueError(f"platform_cost_cut = {self.platform_cost_cut!r}: must be >= 0 "
                             f"and < 1")
        if not -5 <= self.failure_log_odds <= 0:
            raise ValueError(f"failure_log_odds = {self.failure_log_odds!r}: must be between "
                             f"-5 and 0 (0: no effect)")
        check_share("willingness_conversion", self.willingness_conversion)
        self.sectors = tuple(self.sectors)
        check_month("start", self.start)
        check_month("end", self.end)

    def validate_for(self, params: ModelParams) -> None:
        """The cluster needs lead firms with suppliers, and the sectors named must exist."""
        check_sectors("sectors", self.sectors, params)
        if params.n_lead_firms_per_sector == 0 or params.suppliers_per_lead_firm == 0:
            raise ValueError("suppliers_per_lead: the cluster has no lead firms with suppliers "
                             "(cluster.lead_firms.per_sector or suppliers_each is 0)")

    def setup(self, model: ClusterModel) -> None:
        """Open the account; list each taking-part lead firm's suppliers."""
        super().setup(model)
        self.on_platform = np.zeros(model.params.n_smes, bool)
        chain = model.chain.tocsc()
        taking_part = sector_mask(model.params, self.sectors)[model.leads.sector]
        self.suppliers = [chain.indices[chain.indptr[k]:chain.indptr[k + 1]]
                          for k in np.flatnonzero(taking_part)]
        self.brought_on = np.zeros(len(self.suppliers), np.int64)

    def apply(self, model: ClusterModel) -> None:
        """Each lead firm brings this month's suppliers on, while the budget pays the fees."""
        s = model.smes
        draws = self.uniforms(model, 2)  # every month: CRN
        if not in_window(model, self.start, self.end):
            return
        for k, suppliers in enumerate(self.suppliers):
            room = min(self.per_month, self.suppliers_per_lead - int(self.brought_on[k]))
            candidates = suppliers[~self.on_platform[suppliers]
                                   & (s.state[suppliers] != TRANSFORMED)]
            chosen = smallest_draws(candidates, draws[0], room)
            if len(chosen) == 0:
                continue
            paid = model.government.pay(self.account,
                                        each(self.fee_per_supplier_rmb, len(chosen)))
            joined = paid_for(chosen, paid, self.fee_per_supplier_rmb == 0)
            self.on_platform[joined] = True
            self.brought_on[k] += len(joined)
            model.tally.new_willing += convert_unaware(joined, s.state, draws[1],
                                                       self.willingness_conversion)

    def _saving(self, firms: np.ndarray, kinds: np.ndarray, cost: np.ndarray) -> np.ndarray:
        return np.where((np.asarray(kinds) == LIGHT) & self.on_platform[firms],
                        self.platform_cost_cut * cost, 0.0)

    def support_at_start(self, model: ClusterModel, firms: np.ndarray, kinds: np.ndarray,
                         cost: np.ndarray) -> np.ndarray:
        """Platform suppliers pay less for the standard light solution."""
        return self._saving(firms, kinds, cost)

    def on_start(self, model: ClusterModel, firms: np.ndarray) -> None:
        """The platform's lower price lowers the supplier's outlay (no public money)."""
        s = model.smes
        kinds = s.project_kind[firms]
        s.outlay[firms] -= self._saving(firms, kinds, s.cost[kinds, firms])

    def stage_log_odds(self, model: ClusterModel, firms: np.ndarray) -> np.ndarray:
        """Platform suppliers' projects fail less at every stage."""
        return self.on_platform[firms, None] * np.full(3, self.failure_log_odds)
