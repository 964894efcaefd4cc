"""Diagnosis programme: on-site assessments that make firms willing and their projects safer."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import numpy as np
from catfish.agents.government import pay_from
from catfish.agents.jit import compiled
from catfish.agents.sme import FAILED, LAPSED, QUEUED, UNAWARE, WILLING
from catfish.sim.policy.base import Instrument, in_window
from catfish.sim.policy.parameters import instrument, month, months_in_order, param
from catfish.sim.policy.selection import (
    below,
    convert_unaware,
    each,
    first_by_draw,
    flagged_log_odds,
    paid_for,
    state_table,
)

if TYPE_CHECKING:
    from catfish.sim.model import ClusterModel

# firms a diagnosis can still help: not yet in a project, not transformed
DIAGNOSABLE = (UNAWARE, WILLING, QUEUED, FAILED, LAPSED)
DIAGNOSABLE_STATES = state_table(DIAGNOSABLE)


@instrument
class Diagnosis(Instrument):
    """Offers ``firms_per_month`` undiagnosed firms an on-site diagnosis ("one file per firm").

    A diagnosis makes an unwilling firm willing with probability ``willingness_conversion``
    (it shows what the firm could gain) and lowers the failure odds of the early and middle
    stages of the firm's later projects (a plan that fits the firm and a suitable product).
    Offered firms are drawn at random each month; a share ``take_up`` accepts. The government
    pays ``subsidy_share`` of ``cost_rmb`` per diagnosis (1: free); lower ``take_up`` when
    firms must pay part.
    """

    firms_per_month: int = param(30, "firms/month", "Diagnoses offered per month.", ge=0)
    cost_rmb: float = param(20_000.0, "RMB", "Cost of one diagnosis.", ge=0)
    subsidy_share: float = param(1.0, "share", "Share of the cost the government pays (1: free).",
                                 ge=0, le=1)
    take_up: float = param(0.8, "share", "Share of offered firms that accept.", ge=0, le=1)
    willingness_conversion: float = param(0.3, "probability", "Chance a diagnosis makes an "
                                          "unwilling firm willing.", ge=0, le=1)
    early_log_odds: float = param(-0.5, "log-odds", "Change in the early-stage failure log-odds "
                                  "of diagnosed firms.", note="0: no effect", ge=-5, le=0)
    middle_log_odds: float = param(-0.3, "log-odds", "Change in the middle-stage failure "
                                   "log-odds of diagnosed firms.", note="0: no effect", ge=-5,
                                   le=0)
    start: str | None = month("First month of the programme (default: the scenario's start).")
    end: str | None = month("Last month (default: the end of the run).")
    name: ClassVar[str] = "diagnosis"
    pays_for: ClassVar[str] = "subsidy_share × cost_rmb per diagnosis"
    sources: ClassVar[str] = ("001 (third-party diagnosis), 002 (third party and lead units' "
                              "experts on site; one file per firm), 004 (free diagnosis for "
                              "all).")

    _months_in_order = months_in_order()

    def setup(self, model: ClusterModel) -> None:
        """Open the account; nobody is diagnosed yet."""
        super().setup(model)
        self.diagnosed = model.firm_flags(self)
        self._effect = np.array([self.early_log_odds, self.middle_log_odds, 0.0])

    def apply(self, model: ClusterModel) -> None:
        """Diagnose this month's firms and convert some unwilling ones."""
        s = model.smes
        draws = self.uniforms(model, 3)  # every month: CRN
        if not in_window(model, self.start, self.end) or self.firms_per_month <= 0:
            return
        gov = model.government
        model.tally.new_willing += _diagnose(
            s.state, self.diagnosed, draws, self.firms_per_month, self.take_up,
            self.subsidy_share * self.cost_rmb, self.willingness_conversion, gov.ledger,
            gov.account_spent, self.account_row)

    def stage_log_odds(self, model: ClusterModel, firms: np.ndarray) -> np.ndarray:
        """Safer early and middle stages for diagnosed firms."""
        return flagged_log_odds(self.diagnosed, firms, self._effect)


@compiled
def _diagnose(state: np.ndarray, diagnosed: np.ndarray, draws: np.ndarray, places: int,
              take_up: float, price: float, conversion: float, ledger: np.ndarray,
              account_spent: np.ndarray, account: int) -> int:
    """A month of diagnoses (rows of ``draws``: offer, take-up, conversion); firms converted.

    The ``places`` diagnosable firms not yet diagnosed with the smallest offer draws are
    offered one; those whose take-up draw is below ``take_up`` accept, and the government pays
    ``price`` for each in that order (``agents.government.pay_from``). A co-paid diagnosis
    happens while the government can pay its part; a free one always.
    """
    offered = first_by_draw(state, DIAGNOSABLE_STATES, diagnosed, draws[0], places)
    accepting = below(offered, draws[1], take_up)
    if len(accepting) == 0:
        return 0
    paid = pay_from(ledger, account_spent, account, each(price, len(accepting)), np.inf)
    done = paid_for(accepting, paid, price == 0)
    for f in done:
        diagnosed[f] = True
    return convert_unaware(done, state, draws[2], conversion)
