"""Accompaniment: full-cycle advisory that carries projects through the middle stage."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Literal

import numpy as np

from catfish.sim.policy.base import (
    KIND_CHOICES,
    Instrument,
    check_at_least,
    check_choice,
    check_month,
    check_numbers,
    each,
    in_window,
)
from catfish.sim.policy.selection import KIND_CODES, of_kind, paid_for

if TYPE_CHECKING:
    from catfish.sim.model import ClusterModel


@dataclass
class Accompaniment(Instrument):
    """An accompanying think tank advises new projects from plan to acceptance.

    Up to ``projects_per_month`` new projects a month are accompanied ("deep research +
    full-course accompaniment").

    It lowers the failure odds of the stages of the projects it accompanies, most of all the
    middle stage, where systems are installed and fail when the product does not fit or staff
    will not use it. The government pays ``cost_per_project_rmb`` when a project starts.

    Args:
        projects_per_month: New projects accompanied per month (first in queue order).
        cost_per_project_rmb: Fee per accompanied project, RMB.
        early_log_odds: Change in the early-stage failure log-odds.
        middle_log_odds: Change in the middle-stage failure log-odds.
        late_log_odds: Change in the late-stage failure log-odds.
        kinds: Projects accompanied: light, deep or both.
        start: First month, YYYY-MM (default: the scenario's start).
        end: Last month, YYYY-MM (default: the end of the run).

    Source: 000 (process think tank, "1 cluster, 1 think tank"), 001 (90 % of failures in the
    early and middle stages; the middle stage is the watershed).
    """

    projects_per_month: int = 10
    cost_per_project_rmb: float = 60_000.0
    early_log_odds: float = -0.3
    middle_log_odds: float = -0.8
    late_log_odds: float = 0.0
    kinds: Literal["light", "deep", "both"] = "both"
    start: str | None = None
    end: str | None = None
    name: ClassVar[str] = "accompaniment"
    pays_for: ClassVar[str] = "cost_per_project_rmb per accompanied project, when it starts"

    def __post_init__(self) -> None:
        check_numbers(self)
        check_at_least("projects_per_month", self.projects_per_month)
        check_at_least("cost_per_project_rmb", self.cost_per_project_rmb)
        for name in ("early_log_odds", "middle_log_odds", "late_log_odds"):
            value = getattr(self, name)
            if not -5 <= value <= 0:
                raise ValueError(f"{name} = {value!r}: must be between -5 and 0 (0: no effect)")
        check_choice("kinds", self.kinds, KIND_CHOICES)
        check_month("start", self.start)
        check_month("end", self.end)

    def setup(self, model: ClusterModel) -> None:
        """Open the account; no project is accompanied yet."""
        super().setup(model)
        self.accompanied = np.zeros(model.params.n_smes, bool)
        self._effect = np.array([self.early_log_odds, self.middle_log_odds, self.late_log_odds])

    def on_start(self, model: ClusterModel, firms: np.ndarray) -> None:
        """Take on this month's first qualifying projects while the budget pays the fee."""
        self.accompanied[firms] = False  # a new project; earlier advice does not carry over
        if not in_window(model, self.start, self.end):
            return
        chosen = of_kind(firms, model.smes.project_kind, KIND_CODES[self.kinds])
        chosen = chosen[: self.projects_per_month]
        if len(chosen) == 0:
            return
        paid = model.government.pay(self.account,
                                    each(self.cost_per_project_rmb, len(chosen)))
        self.accompanied[paid_for(chosen, paid, self.cost_per_project_rmb == 0)] = True

    def stage_log_odds(self, model: ClusterModel, firms: np.ndarray) -> np.ndarray:
        """Safer stages for accompanied projects."""
        return self.accompanied[firms, None] * self._effect
