"""Service providers: capacity, quality and sector specialisation; the queue they serve."""

from __future__ import annotations

import numpy as np
from catfish.agents.base import ArrayAgent, ArrayField

GENERALIST = -1  # specialisation code of a provider that serves every sector alike


class ServiceProvider(ArrayAgent):
    """A provider that runs transformation projects; attributes view ``model.providers``."""

    store_name = "providers"
    active = ArrayField("Whether the provider is in the market.")
    quality = ArrayField("Quality, 0-1.")
    specialty = ArrayField("Sector it specialises in, or -1 for a generalist.")
    capacity = ArrayField("Concurrent projects it can run.")
    load = ArrayField("Projects it runs now.")


def sector_fit(specialty: np.ndarray, sector: np.ndarray | int) -> np.ndarray:
    """Fit of providers to a firm's sector: 1 specialist in it, 0.5 generalist, 0 elsewhere."""
    specialty = np.asarray(specialty)
    return np.where(specialty == GENERALIST, 0.5, np.where(specialty == sector, 1.0, 0.0))


def preference_order(fit: np.ndarray, quality: np.ndarray, noise: np.ndarray,
                     *, rated: bool) -> np.ndarray:
    """Order in which firms of one sector approach providers.

    Firms go to the best-fitting provider first. They cannot see quality unless the government
    rates providers (``rated``); otherwise ties are broken by ``noise`` (word of mouth).
    """
    second = quality if rated else noise
    return np.lexsort((noise, -second, -fit))


def fill_slots(n_waiting: int, free_slots: np.ndarray) -> np.ndarray:
    """Hand waiting firms (in queue order) to providers' free slots, in preference order.

    Args:
        n_waiting: Number of firms waiting, already in queue order.
        free_slots: Free slots of the providers, in the order the firms approach them.

    Returns:
        For each waiting firm, the position (in ``free_slots``) of its provider, or -1 if
        every slot is taken.
    """
    cum = np.cumsum(free_slots)
    pos = np.searchsorted(cum, np.arange(n_waiting), side="right")
    return np.where(pos < len(free_slots), pos, -1)


def entry_due(queue_history: list[int], *, threshold: int, lag_months: int) -> bool:
    """A new provider enters once the queue has exceeded ``threshold`` for ``lag_months`` months."""
    recent = queue_history[-lag_months:]
    return len(recent) == lag_months and min(recent) > threshold
