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
    increasing order (equal draws: the lower index first), in one pass that keeps the k best
    so far in a heap instead of sorting them all.
    """
    heap = np.empty(min(max(k, 0), len(candidates)), np.int64)
    size = 0
    for f in candidates:
        size = _keep_if_smaller(heap, size, f, draw)
    return _in_order(heap, draw)


@compiled
def first_by_draw(state: np.ndarray, allowed: np.ndarray, excluded: np.ndarray,
                  draw: np.ndarray, k: int) -> np.ndarray:
    """``smallest_draws(eligible_firms(state, allowed, excluded), draw, k)`` in one pass."""
    heap = np.empty(max(k, 0), np.int64)
    size = 0
    for f in range(len(state)):
        if allowed[state[f]] and not excluded[f]:
            size = _keep_if_smaller(heap, size, f, draw)
    return _in_order(heap[:size], draw)


@compiled
def _before(a: int, b: int, draw: np.ndarray) -> bool:
    """Firm ``a`` comes before firm ``b``: a smaller draw, or the same and a lower index."""
    return draw[a] < draw[b] or (draw[a] == draw[b] and a < b)


@compiled
def _keep_if_smaller(heap: np.ndarray, size: int, f: int, draw: np.ndarray) -> int:
    """Offer firm ``f`` to a max-heap of the best ``len(heap)`` so far; its new size."""
    if size < len(heap):  # not full: add at the bottom, move up
        at = size
        heap[at] = f
        while at > 0 and _before(heap[(at - 1) // 2], heap[at], draw):
            parent = (at - 1) // 2
            heap[at], heap[parent] = heap[parent], heap[at]
            at = parent
        return size + 1
    if size and _before(f, heap[0], draw):  # better than the worst kept: replace it
        heap[0] = f
        _sink(heap, size, draw)
    return size


@compiled
def _sink(heap: np.ndarray, size: int, draw: np.ndarray) -> None:
    """Move the top of a max-heap down to its place."""
    at = 0
    while True:
        largest, left = at, 2 * at + 1
        for child in (left, left + 1):
            if child < size and _before(heap[largest], heap[child], draw):
                largest = child
        if largest == at:
            return
        heap[at], heap[largest] = heap[largest], heap[at]
        at = largest


@compiled
def _in_order(heap: np.ndarray, draw: np.ndarray) -> np.ndarray:
    """The firms of a full max-heap, smallest draw first (the heap is used up)."""
    size = len(heap)
    ordered = np.empty(size, np.int64)
    for last in range(size - 1, -1, -1):
        ordered[last] = heap[0]
        heap[0] = heap[last]
        _sink(heap, last, draw)
    return ordered


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


@compiled
def sectors_with_something_to_show(chosen: np.ndarray, lead_sector: np.ndarray,
                                   operating: np.ndarray, state: np.ndarray,
                                   sector: np.ndarray) -> np.ndarray:
    """The ``chosen`` sectors with an operating central factory or a transformed firm."""
    show = np.zeros(len(chosen), np.bool_)
    for k in range(len(lead_sector)):
        show[lead_sector[k]] |= operating[k]
    for i in range(len(state)):
        show[sector[i]] |= state[i] == TRANSFORMED
    return show & chosen
