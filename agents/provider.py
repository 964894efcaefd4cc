"""Service providers: capacity, quality and sector specialisation; the queue they serve."""

from __future__ import annotations

import numpy as np
from catfish.agents.base import ArrayAgent, ArrayField
from catfish.agents.jit import compiled

GENERALIST = -1  # specialisation code of a provider that serves every sector alike


class ServiceProvider(ArrayAgent):
    """A provider that runs transformation projects; attributes view ``model.providers``."""

    store_name = "providers"
    active = ArrayField("Whether the provider is in the market.")
    quality = ArrayField("Quality, 0-1.")
    specialty = ArrayField("Sector it specialises in, or -1 for a generalist.")
    capacity = ArrayField("Concurrent projects it can run.")
    load = ArrayField("Projects it runs now.")


@compiled
def sector_fit(specialty: np.ndarray, sector: np.ndarray | int) -> np.ndarray:
    """Fit of providers to a firm's sector: 1 specialist in it, 0.5 generalist, 0 elsewhere."""
    return np.where(specialty == GENERALIST, 0.5, np.where(specialty == sector, 1.0, 0.0))


def preference_order(fit: np.ndarray, quality: np.ndarray, noise: np.ndarray,
                     *, rated: bool) -> np.ndarray:
    """Order in which firms of one sector approach providers.

    Firms go to the best-fitting provider first. They cannot see quality unless the government
    rates providers (``rated``); otherwise ties are broken by ``noise`` (word of mouth).
    """
    second = quality if rated else noise
    return np.lexsort((noise, -second, -fit))


@compiled
def fill_slots(n_waiting: int, free_slots: np.ndarray) -> np.ndarray:
    """Hand waiting firms (in queue order) to providers' free slots, in preference order.

    Args:
        n_waiting: Number of firms waiting, already in queue order.
        free_slots: Free slots of the providers, in the order the firms approach them.

    Returns:
        For each waiting firm, the position (in ``free_slots``) of its provider, or -1 if
        every slot is taken.
    """
    slot = np.full(n_waiting, -1, np.int64)
    provider, left = 0, 0  # the provider firms go to now, and its slots not yet taken
    for firm in range(n_waiting):
        while left <= 0 and provider < len(free_slots):
            left = free_slots[provider]
            provider += 1
        if left <= 0:
            break
        slot[firm] = provider - 1
        left -= 1
    return slot


@compiled
def serve_queue(sector: np.ndarray, free_slots: np.ndarray, orders: np.ndarray) -> np.ndarray:
    """Providers' free slots taken by waiting firms, sector by sector (``fill_slots``).

    Sectors choose in the order of their first firm in the queue; within a sector, firms
    choose in queue order.

    Args:
        sector: Sector of each waiting firm, in queue order.
        free_slots: Free slots of every provider (taken slots are subtracted in place).
        orders: Row s: the providers in the order firms of sector s approach them, padded
            with -1.

    Returns:
        For each waiting firm, its provider, or -1 if it got no slot.
    """
    chosen = np.full(len(sector), -1, np.int64)
    done = np.zeros(orders.shape[0], np.bool_)
    for first in range(len(sector)):
        s = sector[first]
        if done[s]:
            continue
        done[s] = True
        mine = np.flatnonzero(sector[first:] == s) + first
        order = orders[s][orders[s] >= 0]
        slot = fill_slots(len(mine), free_slots[order])
        for i in range(len(mine)):
            if slot[i] >= 0:
                chosen[mine[i]] = order[slot[i]]
                free_slots[order[slot[i]]] -= 1
    return chosen


def entry_due(queue_history: list[int], *, threshold: int, lag_months: int) -> bool:
    """A new provider enters once the queue has exceeded ``threshold`` for ``lag_months`` months."""
    recent = queue_history[-lag_months:]
    return len(recent) == lag_months and min(recent) > threshold
