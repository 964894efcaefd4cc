"""Provider rating: a public quality rating (and optional delisting) of service providers."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from catfish.sim.policy.base import Instrument, in_window
from catfish.sim.policy.parameters import instrument, month, months_in_order, param

if TYPE_CHECKING:
    from catfish.sim.model import ClusterModel


@instrument
class ProviderRating(Instrument):
    """The government rates providers and publishes the rating on its service platform.

    While the rating runs, firms see provider quality and choose better providers first
    (within the providers that fit their sector); providers rated below ``min_quality`` are
    delisted and take no new projects. Better providers lower the failure odds of every stage.
    The government pays ``cost_per_month_rmb`` to run the rating; it stops when the budget runs
    out.
    """

    min_quality: float = param(0.0, "index 0-1", "Quality below which a provider is delisted "
                               "(0: none).", ge=0, le=1)
    cost_per_month_rmb: float = param(50_000.0, "RMB/month", "Cost of running the rating and "
                                      "platform.", ge=0)
    start: str | None = month("First month (default: the scenario's start).")
    end: str | None = month("Last month (default: the end of the run).")
    name: ClassVar[str] = "provider_rating"
    pays_for: ClassVar[str] = "cost_per_month_rmb each month it runs"
    sources: ClassVar[str] = ("001 (Chengdu's online service platform with reviews; a government "
                              "platform to find providers; \"quality service providers\"), 004 "
                              "(provider quality rating).")

    _months_in_order = months_in_order()

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
