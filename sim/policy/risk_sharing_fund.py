"""Risk-sharing fund: reimburses a share of what a firm loses on a failed project."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Literal

import numpy as np

from catfish.sim.policy.base import (
    KIND_CHOICES,
    Instrument,
    check_at_least,
    check_choice,
    check_numbers,
    check_share,
    covers,
    kind_mask,
)

if TYPE_CHECKING:
    from catfish.sim.model import ClusterModel


@dataclass
class RiskSharingFund(Instrument):
    """Reimburses a share of a failed or rejected project's own outlay.

    Pays ``share`` of the outlay from a fund of ``fund_rmb`` (part of the budget) until the
    fund is used up.

    Firms count on it when they decide: it lowers the loss they fear. Hardware-only purchases
    rejected at acceptance are not reimbursed (they are not transformation projects).

    Args:
        share: Share of the firm's own outlay reimbursed on failure, 0-1.
        fund_rmb: Size of the fund, RMB; the fund pays no more than this in total.
        kinds: Projects covered: light, deep or both.

    Source: 004 (risk-sharing fund: firm, provider and bank share the risk).
    """

    share: float = 0.5
    fund_rmb: float = 10_000_000.0
    kinds: Literal["light", "deep", "both"] = "both"
    name: ClassVar[str] = "risk_sharing_fund"
    pays_for: ClassVar[str] = ("share × the firm's own outlay per failed or rejected project, at "
                               "most fund_rmb in all")

    def __post_init__(self) -> None:
        check_numbers(self)
        check_share("share", self.share)
        check_at_least("fund_rmb", self.fund_rmb)
        check_choice("kinds", self.kinds, KIND_CHOICES)

    def setup(self, model: ClusterModel) -> None:
        """Open the account; the whole fund is available."""
        super().setup(model)
        self.paid_rmb = 0.0

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
        s = model.smes
        claims = firms[covers(self.kinds, s.project_kind[firms]) & ~s.hardware_only[firms]]
        if len(claims) == 0 or self.fund_left_rmb <= 0:
            return
        paid = model.government.pay(self.account, self.share * np.maximum(s.outlay[claims], 0),
                                    limit_rmb=self.fund_left_rmb)
        self.paid_rmb += float(paid.sum())
