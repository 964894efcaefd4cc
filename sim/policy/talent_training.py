"""Talent training: seats that raise the digital talent of firms about to transform."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import numpy as np
from catfish.agents.sme import FAILED, LAPSED, QUEUED, TRANSFORMED, UNAWARE, WILLING
from catfish.sim.policy.base import Instrument, each, in_window
from catfish.sim.policy.parameters import instrument, month, months_in_order, param
from catfish.sim.policy.selection import first_by_draw, paid_for, state_table

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
        chosen = first_by_draw(s.state, TRAINABLE_STATES, self.trained, draws,
                               self.seats_per_month)
        if len(chosen) == 0:
            return
        paid = model.government.pay(self.account, each(self.cost_per_seat_rmb, len(chosen)))
        done = paid_for(chosen, paid, self.cost_per_seat_rmb == 0)
        self.trained[done] = True
        s.talent[done] = np.minimum(1.0, s.talent[done] + self.talent_gain)
