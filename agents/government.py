"""The government: budget, target, deadline, and the rule that keeps spending in the budget."""

from __future__ import annotations

import mesa
import numpy as np


class Government(mesa.Agent):
    """Holds the budget and the target; policy instruments spend through :meth:`pay`.

    Args:
        model: The model.
        budget_rmb: Total budget, RMB.
        target_firms: Transformed firms aimed for by the deadline.
        deadline_month: Step at which the target is judged.
    """

    def __init__(self, model: mesa.Model, budget_rmb: float, target_firms: int,
                 deadline_month: int) -> None:
        super().__init__(model)
        self.budget_rmb = float(budget_rmb)
        self.budget_left_rmb = float(budget_rmb)
        self.spent_total_rmb = 0.0
        self.target_firms = int(target_firms)
        self.deadline_month = int(deadline_month)
        self.spent_rmb: dict[str, float] = {}

    def register(self, instrument_name: str) -> None:
        """Open an account for an instrument so its spending is reported even when zero."""
        self.spent_rmb.setdefault(instrument_name, 0.0)

    def pay(self, instrument_name: str, requests_rmb: np.ndarray) -> np.ndarray:
        """Pay requests in order until the budget runs out; return what each one received."""
        paid = pay_within_budget(requests_rmb, self.budget_left_rmb)
        total = float(paid.sum())
        self.spent_total_rmb += total
        self.budget_left_rmb = max(0.0, self.budget_rmb - self.spent_total_rmb)
        self.spent_rmb[instrument_name] = self.spent_rmb.get(instrument_name, 0.0) + total
        return paid

    def step(self) -> None:
        """The government acts through its instruments, which the model applies each month."""


def pay_within_budget(requests_rmb: np.ndarray, budget_left_rmb: float) -> np.ndarray:
    """First come, first served: pay each request in full while the budget lasts.

    The request that crosses the limit is paid partly; later ones get nothing. Negative
    requests are treated as zero.
    """
    req = np.maximum(np.asarray(requests_rmb, dtype=float), 0.0)
    before = np.cumsum(req) - req
    return np.clip(budget_left_rmb - before, 0.0, req)
