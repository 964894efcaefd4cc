"""Service vouchers: a fixed sum toward a provider's services, while vouchers last."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, Literal

import numpy as np
from catfish.agents.government import _larger, pay_from
from catfish.agents.jit import compiled
from catfish.sim.policy.base import Cell, Instrument, covers
from catfish.sim.policy.parameters import instrument, param
from catfish.sim.policy.selection import KIND_CODES, lower_outlay, of_kind

if TYPE_CHECKING:
    from catfish.sim.model import ClusterModel


@instrument
class ServiceVoucher(Instrument):
    """Vouchers that pay for the services part of a project.

    Each voucher is worth ``value_rmb``; first come, first served until ``vouchers`` have been
    issued.

    Unlike a grant, a voucher is a fixed sum, pays only for services (``service_share`` of the
    project cost: diagnosis, software, implementation; not equipment) and goes to the provider,
    so it lowers the firm's outlay at the start.
    """

    value_rmb: float = param(50_000.0, "RMB", "Face value of one voucher.", ge=0)
    service_share: float = param(0.5, "share", "Share of a project's cost that is services (what "
                                 "a voucher may pay).", ge=0, le=1)
    vouchers: int = param(300, "vouchers", "Vouchers on offer over the whole run.", ge=0)
    kinds: Literal["light", "deep", "both"] = param("both", "", "Projects that qualify.")
    name: ClassVar[str] = "service_voucher"
    pays_for: ClassVar[str] = ("min(value_rmb, service_share × cost) per voucher redeemed when a "
                               "project starts; at most `vouchers` vouchers")
    sources: ClassVar[str] = ("003 (service vouchers, 5G retrofit through vouchers), 004 "
                              "(vouchers).")
    left = Cell(int, "Vouchers still on offer (``vouchers`` at the start of a run).")

    def setup(self, model: ClusterModel) -> None:
        """Open the account; all vouchers are still on offer."""
        super().setup(model)
        self._left = model.counter(self, int(self.vouchers))

    def _amount(self, kinds: np.ndarray, cost: np.ndarray) -> np.ndarray:
        return np.where(covers(self.kinds, kinds),
                        np.minimum(self.value_rmb, self.service_share * cost), 0.0)

    def support_at_start(self, model: ClusterModel, firms: np.ndarray, kinds: np.ndarray,
                         cost: np.ndarray) -> np.ndarray | float:
        """The voucher's value, while vouchers and money are left."""
        if self.left <= 0 or model.government.available_rmb <= 0:
            return 0.0
        return self._amount(kinds, cost)

    def on_start(self, model: ClusterModel, firms: np.ndarray) -> None:
        """Redeem vouchers for qualifying projects, in queue order, while they last."""
        s, gov = model.smes, model.government
        self.left -= _redeem(firms, s.project_kind, KIND_CODES[self.kinds], self.left, s.cost,
                             s.outlay, self.service_share, self.value_rmb, gov.ledger,
                             gov.account_spent, self.account_row)


@compiled
def _redeem(firms: np.ndarray, project_kind: np.ndarray, kinds: int, left: int,
            cost: np.ndarray, outlay: np.ndarray, service_share: float, value: float,
            ledger: np.ndarray, account_spent: np.ndarray, account: int) -> int:
    """Vouchers for the first ``left`` starting projects of the kinds covered; how many used.

    Each is worth the project's service share of the cost, up to its face value, paid in queue
    order while the budget lasts (``agents.government.pay_from``); it lowers the firm's
    outlay, and only a voucher the budget paid something for is used up. (Also the compiled
    form of ``on_start``, ``sim.policy.month_hooks``.)
    """
    holders = of_kind(firms, project_kind, kinds)[:_larger(left, 0)]
    if len(holders) == 0:
        return 0
    request = np.empty(len(holders))
    for j in range(len(holders)):
        asked = service_share * cost[project_kind[holders[j]], holders[j]]
        request[j] = value if asked > value else asked  # (np.minimum's, NaN kept)
    paid = pay_from(ledger, account_spent, account, request, np.inf)
    lower_outlay(holders, paid, outlay)
    used = 0
    for amount in paid:
        used += amount > 0
    return used
