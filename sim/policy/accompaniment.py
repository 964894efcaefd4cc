"""Accompaniment: full-cycle advisory that carries projects through the middle stage."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, Literal

import numpy as np
from catfish.agents.government import pay_from
from catfish.agents.jit import compiled
from catfish.sim.policy.base import Instrument, in_window
from catfish.sim.policy.parameters import instrument, month, months_in_order, param
from catfish.sim.policy.selection import KIND_CODES, each, flagged_log_odds, of_kind, paid_for

if TYPE_CHECKING:
    from catfish.sim.model import ClusterModel

NO_EFFECT = "0: no effect"


@instrument
class Accompaniment(Instrument):
    """An accompanying think tank advises new projects from plan to acceptance.

    Up to ``projects_per_month`` new projects a month are accompanied ("deep research +
    full-course accompaniment").

    It lowers the failure odds of the stages of the projects it accompanies, most of all the
    middle stage, where systems are installed and fail when the product does not fit or staff
    will not use it. The government pays ``cost_per_project_rmb`` when a project starts.
    """

    projects_per_month: int = param(10, "projects/month",
                                    "New projects accompanied per month (first in queue order).",
                                    ge=0)
    cost_per_project_rmb: float = param(60_000.0, "RMB", "Fee per accompanied project.", ge=0)
    early_log_odds: float = param(-0.3, "log-odds", "Change in the early-stage failure log-odds.",
                                  note=NO_EFFECT, ge=-5, le=0)
    middle_log_odds: float = param(-0.8, "log-odds",
                                   "Change in the middle-stage failure log-odds.",
                                   note=NO_EFFECT, ge=-5, le=0)
    late_log_odds: float = param(0.0, "log-odds", "Change in the late-stage failure log-odds.",
                                 note=NO_EFFECT, ge=-5, le=0)
    kinds: Literal["light", "deep", "both"] = param("both", "", "Projects accompanied.")
    start: str | None = month("First month (default: the scenario's start).")
    end: str | None = month("Last month (default: the end of the run).")
    name: ClassVar[str] = "accompaniment"
    pays_for: ClassVar[str] = "cost_per_project_rmb per accompanied project, when it starts"
    sources: ClassVar[str] = ("000 (process think tank, \"1 cluster, 1 think tank\"), 001 (90 % "
                              "of failures in the early and middle stages; the middle stage is "
                              "the watershed).")

    _months_in_order = months_in_order()

    def setup(self, model: ClusterModel) -> None:
        """Open the account; no project is accompanied yet."""
        super().setup(model)
        self.accompanied = model.firm_flags(self)
        self._effect = np.array([self.early_log_odds, self.middle_log_odds, self.late_log_odds])

    def on_start(self, model: ClusterModel, firms: np.ndarray) -> None:
        """Take on this month's first qualifying projects while the budget pays the fee."""
        gov = model.government
        _accompany(firms, self.accompanied, in_window(model, self.start, self.end),
                   model.smes.project_kind, KIND_CODES[self.kinds], self.projects_per_month,
                   self.cost_per_project_rmb, gov.ledger, gov.account_spent, self.account_row)

    def stage_log_odds(self, model: ClusterModel, firms: np.ndarray) -> np.ndarray:
        """Safer stages for accompanied projects."""
        return flagged_log_odds(self.accompanied, firms, self._effect)


@compiled
def _accompany(firms: np.ndarray, accompanied: np.ndarray, open_now: bool,
               project_kind: np.ndarray, kinds: int, places: int, fee: float,
               ledger: np.ndarray, account_spent: np.ndarray, account: int) -> None:
    """New projects of ``firms``: the first ``places`` of the kinds covered are accompanied.

    Earlier advice does not carry over to a new project. While the programme is ``open_now``
    the government pays ``fee`` for each in queue order (``agents.government.pay_from``); a
    project is accompanied if its fee is paid (or there is none).
    """
    for f in firms:
        accompanied[f] = False
    if not open_now:
        return
    chosen = of_kind(firms, project_kind, kinds)[:places]
    if len(chosen) == 0:
        return
    paid = pay_from(ledger, account_spent, account, each(fee, len(chosen)), np.inf)
    for f in paid_for(chosen, paid, fee == 0):
        accompanied[f] = True
