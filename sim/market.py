"""Each sector's demand is shared among its firms by competitiveness (unit cost, quality).

A firm's share of its sector is proportional to its starting revenue times
``unit_cost ** -cost_sensitivity * quality ** quality_sensitivity`` (a multinomial logit in the
logs), so a transformed rival takes orders and the others lose revenue: "not transforming is
waiting to die" enters the numbers here, and the competitive side of the catfish effect emerges.
"""

from __future__ import annotations

import numpy as np
from catfish.agents.jit import compiled


@compiled
def firm_weight(base_revenue: float, unit_cost: float, quality: float, cost_sensitivity: float,
                quality_sensitivity: float) -> float:
    """One firm's market weight (its starting revenue at baseline cost and quality).

    The powers are the C library's (``agents.jit``), in Python as in compiled code.
    """
    return base_revenue * unit_cost ** -cost_sensitivity * quality ** quality_sensitivity


@compiled
def competitiveness(base_revenue: np.ndarray, unit_cost: np.ndarray, quality: np.ndarray,
                    cost_sensitivity: float, quality_sensitivity: float) -> np.ndarray:
    """Market weight of each firm (:func:`firm_weight`)."""
    weight = np.empty(len(base_revenue))
    for i in range(len(base_revenue)):
        weight[i] = firm_weight(base_revenue[i], unit_cost[i], quality[i], cost_sensitivity,
                                quality_sensitivity)
    return weight


@compiled
def weigh_firms(firms: np.ndarray, base_revenue: np.ndarray, unit_cost: np.ndarray,
                quality: np.ndarray, weight: np.ndarray, cost_sensitivity: float,
                quality_sensitivity: float) -> None:
    """``weight[firms] = competitiveness(...)`` of the firms, in one call."""
    for f in firms:
        weight[f] = firm_weight(base_revenue[f], unit_cost[f], quality[f], cost_sensitivity,
                                quality_sensitivity)


@compiled
def share_demand(weights: np.ndarray, sector: np.ndarray, demand: np.ndarray,
                 extra: np.ndarray | None = None) -> np.ndarray:
    """Revenue of each firm: its sector's ``demand`` split in proportion to ``weights``.

    Args:
        weights: Market weight of each firm.
        sector: Sector index of each firm.
        demand: Demand of each sector, RMB/year.
        extra: Weight of other sellers in each sector (lead firms), which take their share.
    """
    totals = np.zeros(len(demand))
    for i in range(len(weights)):  # in firm order, as np.bincount adds them
        totals[sector[i]] += weights[i]
    if extra is not None:
        totals = totals + extra
    scale = np.zeros(len(demand))
    for k in range(len(demand)):
        if totals[k] > 0:
            scale[k] = demand[k] / totals[k]
    revenue = np.empty(len(weights))
    for i in range(len(weights)):
        revenue[i] = weights[i] * scale[sector[i]]
    return revenue


@compiled
def lost_order_share(revenue: np.ndarray, base_revenue: np.ndarray) -> np.ndarray:
    """Share of a firm's starting revenue that it has lost, in [0, 1]."""
    return np.minimum(np.maximum(1.0 - revenue / base_revenue, 0.0), 1.0)
