"""Interest subsidy: the state pays a share of the interest on project loans, monthly."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, Literal

import numpy as np
from catfish.sim.policy.base import Instrument, covers, kind_mask
from catfish.sim.policy.parameters import instrument, param

if TYPE_CHECKING:
    from catfish.sim.model import ClusterModel


@instrument
class InterestSubsidy(Instrument):
    """Pays ``share`` of the interest on the loan a firm takes for its project.

    Firms count on it when they decide (their financing cost falls). The subsidy is paid each
    month, from the month after the project starts, for the loan's term (``loan_years``) and
    on the part of the outlay the firm borrows (outlay beyond its cash), whether or not the
    project succeeds. Payments stop when the budget runs out.
    """

    share: float = param(0.5, "share", "Share of the interest paid.", ge=0, le=0.5)
    kinds: Literal["light", "deep", "both"] = param("both", "", "Projects whose loans qualify.")
    name: ClassVar[str] = "interest_subsidy"
    pays_for: ClassVar[str] = ("share × loan × loan_rate / 12 per subsidised loan each month for "
                               "loan_years")
    sources: ClassVar[str] = ("001 (loan interest subsidies), 004 (interest subsidy up to 50 % on "
                              "smart-equipment loans).")

    def setup(self, model: ClusterModel) -> None:
        """Open the account; no loan is subsidised yet."""
        super().setup(model)
        n = model.params.n_smes
        self.monthly_rmb = np.zeros(n)
        self.months_left = np.zeros(n, np.int32)
        self.pending = model.firm_flags(self)  # projects started last month that qualify

    def apply(self, model: ClusterModel) -> None:
        """Take on last month's new loans, pay this month's interest, announce the share."""
        s, p = model.smes, model.params
        # each firm once (a firm starts one project a month): the order does not matter
        new = np.flatnonzero(self.pending & (s.loan > 0))
        self.monthly_rmb[new] += s.loan[new] * p.loan_rate * self.share / 12
        self.months_left[new] = round(p.loan_years * 12)
        self.pending[:] = False
        running = np.nonzero(self.months_left > 0)[0]
        if len(running):
            model.government.pay(self.account, self.monthly_rmb[running])
            self.months_left[running] -= 1
            self.monthly_rmb[running[self.months_left[running] == 0]] = 0.0
        if model.government.available_rmb > 0:
            model.levers.interest_subsidy_share += self.share * kind_mask(self.kinds)

    def on_start(self, model: ClusterModel, firms: np.ndarray) -> None:
        """Remember qualifying projects; their loans are known once all support is paid."""
        self.pending[firms[covers(self.kinds, model.smes.project_kind[firms])]] = True
