"""Which firms an instrument reaches this month: compiled helpers over the state arrays.

Diagnosis, training and the chain leaders' platforms offer their places to firms drawn at
random each month among those that qualify; showcases and exchange sessions need to know
which sectors have transformed firms to show. These run every month over every firm, so they
are compiled (``agents.jit``); they only select and count, and pick exactly the firms that a
stable sort of the draws would.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from agents.jit import compiled
from agents.sme import STATE_NAMES, TRANSFORMED, UNAWARE, WILLING


def state_table(states: Iterable[int]) -> np.ndarray:
    """True for each state code in ``states``: the argument ``eligible_firms`` takes."""
    table = np.zeros(len(STATE_NAMES), np.bool_)
    table[list(states)] = True
    return table


@compiled
def eligible_firms(state: np.ndarray, allowed: np.ndarray, excluded: np.ndarray) -> np.ndarray:
    """Firms in an ``allowed`` state (a :func:`state_table`) and not ``excluded``, in order."""
    firms = np.empty(len(state), np.int64)
    n = 0
    for i in range(len(state)):
        if allowed[state[i]] and not excluded[i]:
            firms[n] = i
            n += 1
    return firms[:n]


@compiled
def smallest_draws(candidates: np.ndarray, draw: np.ndarray, k: int) -> np.ndarray:
    """The ``k`` candidates with the smallest ``draw``, smallest first.

    Exactly ``candidates[np.argsort(draw[candidates], kind="stable")][:k]`` for candidates in
    increasing order (equal draws: the lower index first), without sorting them all: the
    k-th smallest draw is found by partition, and only the k chosen are sorted.
    """
    k = min(max(k, 0), len(candidates))
    values = draw[candidates]
    if k < len(candidates):
        threshold = np.partition(values, k - 1)[k - 1] if k else -np.inf
        below = np.count_nonzero(values < threshold)
        chosen = np.empty(k, np.int64)
        n, ties = 0, k - below  # of the draws equal to the threshold, the first ones count
        for i in range(len(candidates)):
            if values[i] < threshold or (values[i] == threshold and ties > 0):
                ties -= values[i] == threshold
                chosen[n] = i
                n += 1
        candidates, values = candidates[chosen], values[chosen]
    return candidates[np.argsort(values, kind="mergesort")]


@compiled
def transformed_per_sector(state: np.ndarray, sector: np.ndarray, n_sectors: int,
                           among: np.ndarray | None = None) -> np.ndarray:
    """Transformed firms in each sector (only those marked in ``among``, if given)."""
    counts = np.zeros(n_sectors, np.int64)
    for i in range(len(state)):
        if state[i] == TRANSFORMED and (among is None or among[i]):
            counts[sector[i]] += 1
    return counts


@compiled
def below(firms: np.ndarray, draw: np.ndarray, prob: float) -> np.ndarray:
    """The ``firms`` whose draw is below ``prob``: those that take an offer made with it."""
    return firms[draw[firms] < prob]


@compiled
def paid_for(firms: np.ndarray, paid: np.ndarray, free: bool) -> np.ndarray:
    """The ``firms`` whose payment came through (all of them if the service is ``free``)."""
    return firms[(paid > 0) | free]


@compiled
def convert_unaware(firms: np.ndarray, state: np.ndarray, draw: np.ndarray, prob: float) -> int:
    """Unaware ``firms`` become willing if their draw is below ``prob``; how many did."""
    converted = 0
    for f in firms:
        if state[f] == UNAWARE and draw[f] < prob:
            state[f] = WILLING
            converted += 1
    return converted
