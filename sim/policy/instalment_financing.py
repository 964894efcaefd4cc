"""Instalment financing: part of the cost paid in instalments, guaranteed by the equipment maker."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, Literal

import numpy as np
from catfish.agents.government import available, pay_from
from catfish.agents.jit import compiled
from catfish.sim.policy.base import Instrument, kind_mask
from catfish.sim.policy.parameters import instrument, param
from catfish.sim.policy.selection import KIND_CODES, of_kind

if TYPE_CHECKING:
    from catfish.sim.model import ClusterModel


@instrument
class InstalmentFinancing(Instrument):
    """Lets firms pay ``share`` of a project's cost in instalments out of its savings.

    The equipment maker guarantees (or buys back the equipment), so the instalments need no
    collateral: they add to what a firm can finance beyond its cash and credit line. The
    financing cost is the loan rate, as for a bank loan. The government pays a guarantee fee
    of ``fee_share`` of the amount financed when the project starts; the scheme stops when the
    budget runs out.
    """

    share: float = param(0.5, "share", "Share of the project cost payable in instalments.",
                         ge=0, le=1)
    fee_share: float = param(0.03, "share of amount financed", "Guarantee fee paid by the "
                             "government.", ge=0, le=1)
    kinds: Literal["light", "deep", "both"] = param("both", "", "Projects that qualify "
                                                    "(networked equipment: deep).")
    name: ClassVar[str] = "instalment_financing"
    pays_for: ClassVar[str] = ("fee_share × share × project cost per qualifying project, when it "
                               "starts")
    sources: ClassVar[str] = ("003 (instalment financing for networked equipment, maker "
                              "guarantees or buys back).")

    def apply(self, model: ClusterModel) -> None:
        """Offer instalments while the budget can pay the guarantee fees."""
        if model.government.available_rmb > 0:
            model.levers.instalment_share += self.share * kind_mask(self.kinds)

    def on_start(self, model: ClusterModel, firms: np.ndarray) -> None:
        """Pay the guarantee fee on the amount financed by instalments."""
        s, gov = model.smes, model.government
        _pay_fees(firms, s.project_kind, KIND_CODES[self.kinds], s.cost, self.share,
                  self.fee_share, gov.ledger, gov.account_spent, self.account_row)


@compiled
def _pay_fees(firms: np.ndarray, project_kind: np.ndarray, kinds: int, cost: np.ndarray,
              share: float, fee_share: float, ledger: np.ndarray, account_spent: np.ndarray,
              account: int) -> None:
    """The guarantee fees of the starting projects of the kinds covered, in queue order.

    ``fee_share`` of the amount financed (``share`` of the cost), while any money is left as
    the earlier instruments' payments this month leave it (``agents.government.pay_from``).
    (Also the compiled form of ``on_start``, ``sim.policy.month_hooks``.)
    """
    covered = of_kind(firms, project_kind, kinds)
    if len(covered) == 0 or available(ledger) <= 0:
        return
    fees = np.empty(len(covered))
    for j in range(len(covered)):
        fees[j] = fee_share * (share * cost[project_kind[covered[j]], covered[j]])
    pay_from(ledger, account_spent, account, fees, np.inf)
