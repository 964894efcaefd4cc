"""Service vouchers: a fixed sum toward a provider's services, while vouchers last."""

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
)

if TYPE_CHECKING:
    from catfish.sim.model import ClusterModel


@dataclass
class ServiceVoucher(Instrument):
    """Vouchers that pay for the services part of a project.

    Each voucher is worth ``value_rmb``; first come, first served until ``vouchers`` have been
    issued.

    Unlike a grant, a voucher is a fixed sum, pays only for services (``service_share`` of the
    project cost: diagnosis, software, implementation; not equipment) and goes to the provider,
    so it lowers the firm's outlay at the start.

    Args:
        value_rmb: Face value of one voucher, RMB.
        service_share: Share of a project's cost that is services (what a voucher may pay).
        vouchers: Vouchers on offer over the whole run.
        kinds: Projects that qualify: light, deep or both.

    Source: 003 (service vouchers, 5G retrofit through vouchers), 004 (vouchers).
    """

    value_rmb: float = 50_000.0
    service_share: float = 0.5
    vouchers: int = 300
    kinds: Literal["light", "deep", "both"] = "both"
    name: ClassVar[str] = "service_voucher"
    pays_for: ClassVar[str] = ("min(value_rmb, service_share × cost) per voucher redeemed when a "
                               "project starts; at most `vouchers` vouchers")

    def __post_init__(self) -> None:
        check_numbers(self)
        check_at_least("value_rmb", self.value_rmb)
        check_share("service_share", self.service_share)
        check_at_least("vouchers", self.vouchers)
        check_choice("kinds", self.kinds, KIND_CHOICES)

    def setup(self, model: ClusterModel) -> None:
        """Open the account; all vouchers are still on offer."""
        super().setup(model)
        self.left = int(self.vouchers)

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
        s = model.smes
        kinds = s.project_kind[firms]
        holders = firms[covers(self.kinds, kinds)][: max(self.left, 0)]
        if len(holders) == 0:
            return
        request = self._amount(s.project_kind[holders], s.cost[s.project_kind[holders], holders])
        paid = model.government.pay(self.account, request)
        s.outlay[holders] -= paid
        self.left -= int((paid > 0).sum())
