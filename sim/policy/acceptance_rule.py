"""Acceptance rule: what counts as transformed (hardware-only purchases never do)."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, Literal

import numpy as np
from catfish.agents.government import pay_from
from catfish.agents.jit import compiled
from catfish.agents.sme import DEEP, LIGHT
from catfish.sim.policy.base import Instrument, in_window
from catfish.sim.policy.parameters import instrument, month, param
from catfish.sim.policy.selection import each

if TYPE_CHECKING:
    from catfish.sim.model import ClusterModel


@instrument
class AcceptanceRule(Instrument):
    """Sets how completed projects are judged, and which accepted levels count to the target.

    A completed project is accepted when its verified gain (realised gain as a share of the
    expected gain, from data: efficiency up, cost down) reaches ``min_verified_gain``;
    hardware-only purchases (computers, servers, printers, office software) are always
    rejected. ``counts`` says whether light projects count toward the target or only deep
    ones. A third-party check costs ``check_cost_rmb`` per completed project.

    The target counts the firms the city has accepted (source 001 reports each city's
    "acceptance completion ratio", 验收完成比例): a project accepted before ``start``, when the
    city's acceptance process was not yet in force, does not count toward the target (the
    firm is still transformed, and peers still see it).
    """

    min_verified_gain: float = param(0.3, "share of expected gain",
                                     "Least verified gain for acceptance.", ge=0, le=5)
    counts: Literal["light_or_deep", "deep_only"] = param(
        "light_or_deep", "", "Which accepted projects count toward the target.")
    check_cost_rmb: float = param(5_000.0, "RMB", "Public money per acceptance check.", ge=0)
    start: str | None = month("First month whose acceptances count toward the target "
                              "(default: the scenario's start).")
    name: ClassVar[str] = "acceptance_rule"
    pays_for: ClassVar[str] = "check_cost_rmb per project that reaches acceptance"
    sources: ClassVar[str] = ("001 (hardware-only purchases must not count; judge by data), 003 "
                              "(the lead unit answers for acceptance).")

    def apply(self, model: ClusterModel) -> None:
        """Put the rule in force for this month's acceptances and count."""
        model.levers.verified_gain_min = self.min_verified_gain
        model.levers.counted_min_level = DEEP if self.counts == "deep_only" else LIGHT
        model.levers.counting = in_window(model, self.start, None)

    def on_completion(self, model: ClusterModel, firms: np.ndarray) -> None:
        """Pay for the checks of projects that reached acceptance."""
        if len(firms) and self.check_cost_rmb > 0:
            gov = model.government
            _pay_checks(len(firms), self.check_cost_rmb, gov.ledger, gov.account_spent,
                        self.account_row)


@compiled
def _pay_checks(checks: int, price: float, ledger: np.ndarray, account_spent: np.ndarray,
                account: int) -> None:
    """``checks`` acceptance checks of ``price`` each, paid while the budget lasts.

    In order, through ``agents.government.pay_from``, as every payment.
    """
    pay_from(ledger, account_spent, account, each(price, checks), np.inf)
