"""Provider rating: a public quality rating (and optional delisting) of service providers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from catfish.sim.policy.base import (
    Instrument,
    check_at_least,
    check_month,
    check_numbers,
    check_share,
    in_window,
)

if TYPE_CHECKING:
    from catfish.sim.model import ClusterModel


@dataclass
class ProviderRating(Instrument):
    """The government rates providers and publishes the rating on its service platform.

    While the rating runs, firms see provider quality and choose better providers first
    (within the providers that fit their sector); providers rated below ``min_quality`` are
    delisted and take no new projects. Better providers lower the failure odds of every stage.
    The government pays ``cost_per_month_rmb`` to run the rating; it stops when the budget runs
    out.

    Args:
        min_quality: Quality (0-1) below which a provider is delisted (0: none).
        cost_per_month_rmb: Cost of running the rating and platform, RMB per month.
        start: First month, YYYY-MM (default: the scenario's start).
        end: Last month, YYYY-MM (default: the end of the run).

    Source: 001 (Chengdu's online service platform with reviews; a government platform to find
    providers; "quality service providers"), 004 (provider quality rating).
    """

    min_quality: float = 0.0
    cost_per_month_rmb: float = 50_000.0
    start: str | None = None
    end: str | None = None
    name: ClassVar[str] = "provider_rating"
    pays_for: ClassVar[str] = "cost_per_month_rmb each month it runs"

    def __post_init__(self) -> None:
        check_numbers(self)
        check_share("min_quality", self.min_quality)
        check_at_least("cost_per_month_rmb", self.cost_per_month_rmb)
        check_month("start", self.start)
        check_month("end", self.end)

    def apply(self, model: ClusterModel) -> None:
        """Run the rating this month if it can be paid for."""
        if not in_window(model, self.start, self.end):
            return
        if self.cost_per_month_rmb > 0:
            paid = model.government.pay(self.account, self.cost_per_month_rmb)
            if paid[0] <= 0:
                return
        model.levers.providers_rated = True
        model.levers.min_provider_quality = max(model.levers.min_provider_quality,
                                                self.min_quality)
