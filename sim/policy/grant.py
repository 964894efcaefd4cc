"""Grant on project cost: a share of the cost up to a cap per firm, at start or on acceptance."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, Literal

import numpy as np
from catfish.agents.government import pay_from
from catfish.agents.jit import compiled
from catfish.sim.policy.base import Instrument, covers, in_window, step_of
from catfish.sim.policy.parameters import instrument, month, months_in_order, param
from catfish.sim.policy.selection import KIND_CODES, lower_outlay, project_costs

if TYPE_CHECKING:
    from catfish.sim.model import ClusterModel


@instrument
class Grant(Instrument):
    """Pays ``share`` of a project's cost, at most ``cap_rmb`` per project.

    Firms count on the grant when they decide, while money is left. Paid at the start, it
    lowers the firm's outlay, so more firms can afford a project and less is lost if it fails.
    Paid on acceptance, it rewards only projects with verified gains: the firm must finance
    the whole cost first, and the grant adds to what success pays, not to what failure saves.
    """

    share: float = param(0.3, "share", "Share of the project cost paid.", ge=0, le=1)
    cap_rmb: float = param(300_000.0, "RMB", "Largest grant per project.", ge=0)
    paid_on: Literal["start", "acceptance"] = param(
        "start", "", "`start` (reduces the firm's up-front outlay) or `acceptance` (paid only "
        "for projects accepted on verified gains; the firm must finance the whole cost).")
    kinds: Literal["light", "deep", "both"] = param("both", "", "Which projects qualify.")
    start: str | None = month("First month projects can qualify (default: the scenario's "
                              "start).")
    end: str | None = month("Last month projects can qualify (default: the end of the run).")
    name: ClassVar[str] = "grant"
    pays_for: ClassVar[str] = ("share × project cost (at most cap_rmb) per qualifying project, at "
                               "its start or on its acceptance")
    sources: ClassVar[str] = "001 (special funds for pilot firms), 002 (50 M RMB provincial funds)."

    _months_in_order = months_in_order()

    def idle_hooks(self) -> tuple[str, ...]:
        """A grant paid at the start does nothing on acceptance, and the other way round.

        (Only Grant's own hooks: a subclass's own ``on_acceptance`` is called as it is.)
        """
        idle = ("support_on_acceptance", "on_acceptance") if self.paid_on == "start" \
            else ("support_at_start", "on_start")
        return tuple(hook for hook in idle if getattr(type(self), hook) is getattr(Grant, hook))

    def _amount(self, kinds: np.ndarray, cost: np.ndarray) -> np.ndarray:
        cost = np.asarray(cost, dtype=float)
        amount = _capped_share(cost if cost.flags.c_contiguous else cost.copy(), self.share,
                               self.cap_rmb)
        return amount if self.kinds == "both" else np.where(covers(self.kinds, kinds),
                                                             amount, 0.0)

    def _expected(self, model: ClusterModel, kinds: np.ndarray, cost: np.ndarray,
                  when: str) -> np.ndarray | float:
        # firms expect nothing once the government announces the money has run out
        if self.paid_on != when or model.government.available_rmb <= 0 \
                or not in_window(model, self.start, self.end):
            return 0.0
        return self._amount(kinds, cost)

    def support_at_start(self, model: ClusterModel, firms: np.ndarray, kinds: np.ndarray,
                         cost: np.ndarray) -> np.ndarray | float:
        """Expected grant at the start of a project (zero if paid on acceptance)."""
        return self._expected(model, kinds, cost, "start")

    def support_on_acceptance(self, model: ClusterModel, firms: np.ndarray, kinds: np.ndarray,
                              cost: np.ndarray) -> np.ndarray | float:
        """Expected grant on acceptance (zero if paid at the start)."""
        return self._expected(model, kinds, cost, "acceptance")

    def _pay(self, model: ClusterModel, firms: np.ndarray) -> None:
        """Pay the firms' grants; their own outlay falls by what they received."""
        s, gov = model.smes, model.government
        _pay_grants(firms, s.project_kind, s.cost, s.outlay, self.share, self.cap_rmb,
                    KIND_CODES[self.kinds], gov.ledger, gov.account_spent, self.account_row)

    def on_start(self, model: ClusterModel, firms: np.ndarray) -> None:
        """Pay grants due at the start; the firm's own outlay falls by what it received."""
        if self.paid_on == "start" and len(firms) and in_window(model, self.start, self.end):
            self._pay(model, firms)

    def on_acceptance(self, model: ClusterModel, firms: np.ndarray) -> None:
        """Pay grants due on acceptance."""
        if self.paid_on == "acceptance" and len(firms):
            # promised to projects that started while the grant was open
            started = model.smes.started_month[firms]
            firms = firms[(started >= step_of(model, self.start, 1))
                          & (started <= step_of(model, self.end, model.params.months))]
            self._pay(model, firms)


@compiled
def _capped_share(cost: np.ndarray, share: float, cap: float) -> np.ndarray:
    """``np.minimum(share * cost, cap)``, element by element, in one call."""
    amount = np.empty_like(cost)
    flat, costs = amount.reshape(-1), cost.reshape(-1)
    for i in range(len(costs)):
        asked = share * costs[i]
        flat[i] = cap if asked > cap else asked  # (as np.minimum: a NaN asked stays NaN)
    return amount


@compiled
def _pay_grants(firms: np.ndarray, project_kind: np.ndarray, cost: np.ndarray,
                outlay: np.ndarray, share: float, cap: float, kinds: int, ledger: np.ndarray,
                account_spent: np.ndarray, account: int) -> None:
    """Grants of ``share`` of the firms' project costs (at most ``cap``), paid in firm order.

    Projects of kinds not covered (``selection.KIND_CODES``) ask for nothing; the government
    pays while the budget lasts (``agents.government.pay_from``) and each firm's own outlay
    falls by what it received.
    """
    amount = project_costs(firms, project_kind, cost)
    for i in range(len(firms)):
        asked = share * amount[i]
        amount[i] = asked if asked <= cap else cap
        if kinds != 0 and project_kind[firms[i]] != kinds:
            amount[i] = 0.0
    lower_outlay(firms, pay_from(ledger, account_spent, account, amount, np.inf), outlay)
