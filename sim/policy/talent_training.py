"""Talent training: seats that raise the digital talent of firms about to transform."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from catfish.agents.sme import FAILED, LAPSED, QUEUED, TRANSFORMED, UNAWARE, WILLING
from catfish.sim.policy.base import (
    Instrument,
    check_at_least,
    check_month,
    check_numbers,
    check_share,
    each,
    in_window,
)
from catfish.sim.policy.selection import first_by_draw, paid_for, state_table

if TYPE_CHECKING:
    from catfish.sim.model import ClusterModel

# firms not in a project (a running project's risk was set when it started): before a first
# project, transformed (keeping systems running), or reconsidering after a failure or lapse
TRAINABLE = (UNAWARE, WILLING, QUEUED, TRANSFORMED, FAILED, LAPSED)
TRAINABLE_STATES = state_table(TRAINABLE)


@dataclass
class TalentTraining(Instrument):
    """Trains staff of ``seats_per_month`` firms a month (one course per firm).

    Training raises a firm's digital talent by ``talent_gain`` (0-1 index, at most 1), which
    lowers the failure odds of its later projects and its chance of lapsing. Trained firms are
    drawn at random among those not in a project. The government pays ``cost_per_seat_rmb``
    per seat ("talent vouchers").

    Args:
        seats_per_month: Firms trained per month.
        cost_per_seat_rmb: Cost of training one firm's staff, RMB.
        talent_gain: Rise in the firm's talent index.
        start: First month, YYYY-MM (default: the scenario's start).
        end: Last month, YYYY-MM (default: the end of the run).

    Source: 001 (more than half of firms lack digital talent), 002 (university agreements,
    expert advisers), 003 (online and offline training through talent vouchers), 004 (CEO
    training).
    """

    seats_per_month: int = 20
    cost_per_seat_rmb: float = 8_000.0
    talent_gain: float = 0.15
    start: str | None = None
    end: str | None = None
    name: ClassVar[str] = "talent_training"
    pays_for: ClassVar[str] = "cost_per_seat_rmb per firm trained"

    def __post_init__(self) -> None:
        check_numbers(self)
        check_at_least("seats_per_month", self.seats_per_month)
        check_at_least("cost_per_seat_rmb", self.cost_per_seat_rmb)
        check_share("talent_gain", self.talent_gain)
        check_month("start", self.start)
        check_month("end", self.end)

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
