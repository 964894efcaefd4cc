"""Each sector's demand is shared among its firms by competitiveness (unit cost, quality).

A firm's share of its sector is proportional to its starting revenue times
``unit_cost ** -cost_sensitivity * quality ** quality_sensitivity`` (a multinomial logit in the
logs), so a transformed rival takes orders and the others lose revenue: "not transforming is
waiting to die" enters the numbers here, and the competitive side of the catfish effect emerges.
"""

from __future__ import annotations

import numpy as np
from catfish.agents.jit import compiled


def competitiveness(base_revenue: np.ndarray, unit_cost: np.ndarray, quality: np.ndarray, *,
                    cost_sensitivity: float, quality_sensitivity: float) -> np.ndarray:
    """Market weight of each firm (equal to its starting revenue at baseline cost and quality)."""
    return base_revenue * unit_cost ** -cost_sensitivity * quality ** quality_sensitivity


def weigh_firms(firms: np.ndarray, base_revenue: np.ndarray, unit_cost: np.ndarray,
                quality: np.ndarray, weight: np.ndarray, *, cost_sensitivity: float,
                quality_sensitivity: float) -> None:
    """``weight[firms] = competitiveness(...)`` of the firms, to the last bit.

    The powers are numpy's, as :func:`competitiveness` computes them (numpy's vectorised
    ``pow`` may differ in the last bit from the C library's); gathering the firms' values and
    the products are compiled, two calls where numpy made eight.
    """
    firm_cost, firm_quality = _gathered(firms, unit_cost, quality)
    _weigh(firms, base_revenue, firm_cost ** -cost_sensitivity,
           firm_quality ** quality_sensitivity, weight)


@compiled
def _gathered(firms: np.ndarray, first: np.ndarray,
              second: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``first[firms]`` and ``second[firms]`` in one call."""
    a, b = np.empty(len(firms)), np.empty(len(firms))
    for i in range(len(firms)):
        a[i], b[i] = first[firms[i]], second[firms[i]]
    return a, b


@compiled
def _weigh(firms: np.ndarray, base_revenue: np.ndarray, cost_factor: np.ndarray,
           quality_factor: np.ndarray, weight: np.ndarray) -> None:
    """``weight[firms] = base_revenue[firms] * cost_factor * quality_factor``, in that order."""
    for i in range(len(firms)):
        weight[firms[i]] = base_revenue[firms[i]] * cost_factor[i] * quality_factor[i]


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
