"""Talent training: seats that raise the digital talent of firms about to transform."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import numpy as np
from catfish.agents.government import pay_from
from catfish.agents.jit import compiled
from catfish.agents.sme import FAILED, LAPSED, QUEUED, TRANSFORMED, UNAWARE, WILLING
from catfish.sim.policy.base import Instrument, in_window
from catfish.sim.policy.parameters import instrument, month, months_in_order, param
from catfish.sim.policy.selection import each, first_by_draw, paid_for, state_table

if TYPE_CHECKING:
    from catfish.sim.model import ClusterModel

# firms not in a project (a running project's risk was set when it started): before a first
# project, transformed (keeping systems running), or reconsidering after a failure or lapse
TRAINABLE = (UNAWARE, WILLING, QUEUED, TRANSFORMED, FAILED, LAPSED)
TRAINABLE_STATES = state_table(TRAINABLE)


@instrument
class TalentTraining(Instrument):
    """Trains staff of ``seats_per_month`` firms a month (one course per firm).

    Training raises a firm's digital talent by ``talent_gain`` (0-1 index, at most 1), which
    lowers the failure odds of its later projects and its chance of lapsing. Trained firms are
    drawn at random among those not in a project. The government pays ``cost_per_seat_rmb``
    per seat ("talent vouchers").
    """

    seats_per_month: int = param(20, "firms/month", "Firms trained per month.", ge=0)
    cost_per_seat_rmb: float = param(8_000.0, "RMB", "Cost of training one firm's staff.", ge=0)
    talent_gain: float = param(0.15, "index 0-1", "Rise in the firm's talent index.", ge=0, le=1)
    start: str | None = month("First month (default: the scenario's start).")
    end: str | None = month("Last month (default: the end of the run).")
    name: ClassVar[str] = "talent_training"
    pays_for: ClassVar[str] = "cost_per_seat_rmb per firm trained"
    sources: ClassVar[str] = ("001 (more than half of firms lack digital talent), 002 (university "
                              "agreements, expert advisers), 003 (online and offline training "
                              "through talent vouchers), 004 (CEO training).")

    _months_in_order = months_in_order()

    def setup(self, model: ClusterModel) -> None:
        """Open the account; nobody is trained yet."""
        super().setup(model)
        self.trained = np.zeros(model.params.n_smes, bool)

    def apply(self, model: ClusterModel) -> None:
        """Train this month's firms while seats and money last."""
        s = model.smes
        draws = self.uniforms(model)[0]  # every month: CRN
        if not in_window(model, self.start, self.end) or self.seats_per_month <= 0:
            return
        gov = model.government
        _train(s.state, self.trained, s.talent, draws, self.seats_per_month,
               self.cost_per_seat_rmb, self.talent_gain, gov.ledger, gov.account_spent,
               self.account_row)


@compiled
def _train(state: np.ndarray, trained: np.ndarray, talent: np.ndarray, draw: np.ndarray,
           seats: int, cost: float, gain: float, ledger: np.ndarray, account_spent: np.ndarray,
           account: int) -> None:
    """A month's courses: the ``seats`` trainable firms not yet trained with the smallest draws.

    The government pays ``cost`` a seat in that order (``agents.government.pay_from``); a
    firm whose seat is paid (or free) gains ``gain`` talent, up to 1.
    """
    chosen = first_by_draw(state, TRAINABLE_STATES, trained, draw, seats)
    if len(chosen) == 0:
        return
    paid = pay_from(ledger, account_spent, account, each(cost, len(chosen)), np.inf)
    for f in paid_for(chosen, paid, cost == 0):
        trained[f] = True
        raised = talent[f] + gain
        talent[f] = raised if raised < 1.0 else 1.0
