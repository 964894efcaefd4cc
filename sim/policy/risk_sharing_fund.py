"""Risk-sharing fund: reimburses a share of what a firm loses on a failed project."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, Literal

import numpy as np
from catfish.agents.government import pairwise_sum, pay_from
from catfish.agents.jit import compiled
from catfish.sim.policy.base import Cell, Instrument, kind_mask
from catfish.sim.policy.parameters import instrument, param
from catfish.sim.policy.selection import KIND_CODES, of_kind

if TYPE_CHECKING:
    from catfish.sim.model import ClusterModel


@instrument
class RiskSharingFund(Instrument):
    """Reimburses a share of a failed or rejected project's own outlay.

    Pays ``share`` of the outlay from a fund of ``fund_rmb`` (part of the budget) until the
    fund is used up.

    Firms count on it when they decide: it lowers the loss they fear. Hardware-only purchases
    rejected at acceptance are not reimbursed (they are not transformation projects).
    """

    share: float = param(0.5, "share", "Share of the firm's own outlay reimbursed on failure.",
                         ge=0, le=1)
    fund_rmb: float = param(10_000_000.0, "RMB", "Size of the fund; the fund pays no more than "
                            "this in total.", ge=0)
    kinds: Literal["light", "deep", "both"] = param("both", "", "Projects covered.")
    name: ClassVar[str] = "risk_sharing_fund"
    pays_for: ClassVar[str] = ("share × the firm's own outlay per failed or rejected project, at "
                               "most fund_rmb in all")
    sources: ClassVar[str] = "004 (risk-sharing fund: firm, provider and bank share the risk)."
    paid_rmb = Cell(float, "What the fund has paid out so far in this run.")

    def setup(self, model: ClusterModel) -> None:
        """Open the account; the whole fund is available."""
        super().setup(model)
        self._paid_rmb = model.running_sum(self)

    @property
    def fund_left_rmb(self) -> float:
        """What the fund can still pay out."""
        return max(0.0, self.fund_rmb - self.paid_rmb)

    def apply(self, model: ClusterModel) -> None:
        """Announce the cover while the fund and the budget last."""
        if self.fund_left_rmb > 0 and model.government.available_rmb > 0:
            model.levers.failure_reimbursement_share += self.share * kind_mask(self.kinds)

    def on_failure(self, model: ClusterModel, firms: np.ndarray) -> None:
        """Reimburse covered failed projects, in order, while the fund lasts."""
        s, gov = model.smes, model.government
        self.paid_rmb += _reimburse(firms, s.project_kind, KIND_CODES[self.kinds],
                                    s.hardware_only, s.outlay, self.share, self.fund_left_rmb,
                                    gov.ledger, gov.account_spent, self.account_row)


@compiled
def _reimburse(firms: np.ndarray, project_kind: np.ndarray, kinds: int,
               hardware_only: np.ndarray, outlay: np.ndarray, share: float, fund_left: float,
               ledger: np.ndarray, account_spent: np.ndarray, account: int) -> float:
    """Reimbursements of failed or rejected projects; what they came to, RMB.

    The covered projects that were not hardware only get ``share`` of the firm's own outlay
    (none if it is negative), in order, while ``fund_left`` and the budget last
    (``agents.government.pay_from``). (Also the compiled form of ``on_failure``,
    ``sim.policy.month_hooks``.)
    """
    claims = of_kind(firms, project_kind, kinds)
    n = 0
    for f in claims:
        if not hardware_only[f]:
            claims[n] = f
            n += 1
    if n == 0 or fund_left <= 0:
        return 0.0
    requests = np.empty(n)
    for j in range(n):
        own = outlay[claims[j]]
        requests[j] = share * (own if own > 0.0 or own != own else 0.0)  # np.maximum's
    paid = pay_from(ledger, account_spent, account, requests, fund_left)
    return pairwise_sum(paid, 0, len(paid))  # (as numpy sums)
