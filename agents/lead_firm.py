"""Lead firms / central factories: the catfish in the cluster's market."""

from __future__ import annotations

import numpy as np
from catfish.agents.base import ArrayAgent, ArrayField
from catfish.agents.jit import compiled


class LeadFirm(ArrayAgent):
    """A lead firm of one sector; attributes are views into ``model.leads``."""

    store_name = "leads"
    sector = ArrayField("Sector index.")
    unit_cost = ArrayField("Unit-cost index (1 before its central factory opens).")
    quality = ArrayField("Quality index.")
    capacity = ArrayField("Market weight at baseline (its starting revenue), RMB/year.")
    operating = ArrayField("Whether its central factory is operating.")
    opening = ArrayField("Step its central factory opens (0: none).")
    visits = ArrayField("Visitors (people) its central factory hosts per month when operating.")


def central_factory_effect(
    month: int,
    opening_month: np.ndarray | int,
    *,
    cost_cut: np.ndarray | float,
    quality_gain: np.ndarray | float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Unit cost, quality and operating flag of lead firms in ``month`` (broadcastable).

    A central factory starts operating in ``opening_month`` (0: never) with its cost and
    quality advantage (Jieyang: cost -25 %, quality +15 % after five months' trial operation).
    """
    opening = np.asarray(opening_month)
    operating = (opening > 0) & (opening <= month)
    cost = np.where(operating, 1.0 - np.asarray(cost_cut, dtype=float), 1.0)
    quality = np.where(operating, 1.0 + np.asarray(quality_gain, dtype=float), 1.0)
    return cost, quality, operating


@compiled
def visit_prob(visits: np.ndarray, n_eligible: np.ndarray) -> np.ndarray:
    """Chance that a given eligible firm of each sector visits this month.

    Args:
        visits: Firm visits each sector hosts this month (visitors / people per visiting firm).
        n_eligible: Firms of each sector that could visit (not yet transformed).
    """
    chance = np.zeros(len(visits))
    for k in range(len(visits)):
        if n_eligible[k] > 0:
            chance[k] = min(1.0, visits[k] / n_eligible[k])
    return chance
