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
from catfish.agents.jit import compiled
from catfish.agents.sme import DEEP, LIGHT, STATE_NAMES, TRANSFORMED, UNAWARE, WILLING


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


# first_by_draw's bound on the draws it looks at, in expected picks per eligible firm
FIRST_BY_DRAW_SPREAD = 3.0  # 2 left too few below the bound late in a city's run; 4 no faster


@compiled
def first_by_draw(state: np.ndarray, allowed: np.ndarray, excluded: np.ndarray,
                  draw: np.ndarray, k: int) -> np.ndarray:
    """``smallest_draws(eligible_firms(state, allowed, excluded), draw, k)``, picked sooner.

    The draws are uniforms, so the ``k`` smallest of many firms' are most likely below
    ``FIRST_BY_DRAW_SPREAD * k / firms``: one pass without a branch keeps the eligible firms
    below that bound, and if they are at least ``k`` (or all the eligible firms) the ``k``
    smallest are among them, exactly. Otherwise, as when few firms are left, every eligible
    firm is a candidate. About a fifth less time than taking every eligible firm at a city's
    size.
    """
    n = len(state)
    bound = FIRST_BY_DRAW_SPREAD * max(k, 1) / max(n, 1)
    if bound < 1.0:
        below = np.empty(n, np.int64)
        kept = eligible = 0
        for i in range(n):
            ok = allowed[state[i]] & ~excluded[i]
            below[kept] = i  # written always; kept only if eligible and below the bound
            kept += ok & (draw[i] < bound)
            eligible += ok
        if kept >= k or kept == eligible:
            return smallest_draws(below[:kept], draw, k)
    return smallest_draws(eligible_firms(state, allowed, excluded), draw, k)


@compiled
def smallest_draws(candidates: np.ndarray, draw: np.ndarray, k: int) -> np.ndarray:
    """The ``k`` candidates with the smallest ``draw``, smallest first.

    Exactly ``candidates[np.argsort(draw[candidates], kind="stable")][:k]`` for candidates in
    increasing order (equal draws: the lower index first), in one pass that keeps the best k
    so far in a heap, the worst of them on top, instead of sorting all the candidates; the
    heap is then sorted in place (heapsort).
    """
    k = min(max(k, 0), len(candidates))
    draws, firms = np.empty(k), np.empty(k, np.int64)
    size = 0
    worst_draw, worst_firm = np.inf, -1  # the worst kept once k are kept: the heap's top
    for f in candidates:
        d = draw[f]
        if size < k:  # not full yet: add at the bottom, move up past better ones
            at = size
            size += 1
            while at > 0 and _later(d, f, draws[(at - 1) // 2], firms[(at - 1) // 2]):
                draws[at], firms[at] = draws[(at - 1) // 2], firms[(at - 1) // 2]
                at = (at - 1) // 2
            draws[at], firms[at] = d, f
        elif k == 0 or _later(d, f, worst_draw, worst_firm):
            continue  # most candidates, once the heap is full: worse than the worst kept
        else:  # better than the worst kept: it takes the top
            _sift_down(draws, firms, size, d, f)
        if size == k:
            worst_draw, worst_firm = draws[0], firms[0]
    for end in range(size - 1, 0, -1):  # the worst left on top goes to the end, in turn
        d, f = draws[end], firms[end]
        draws[end], firms[end] = draws[0], firms[0]
        _sift_down(draws, firms, end, d, f)
    return firms


@compiled
def _sift_down(draws: np.ndarray, firms: np.ndarray, size: int, draw: float, firm: int) -> None:
    """Put ``(draw, firm)`` on top of the heap of the first ``size`` entries; move it down.

    It moves past children that come later (the top of the heap is the latest of them).
    """
    at = 0
    while 2 * at + 1 < size:
        child = 2 * at + 1
        if child + 1 < size and _later(draws[child + 1], firms[child + 1], draws[child],
                                       firms[child]):
            child += 1
        if not _later(draws[child], firms[child], draw, firm):
            break
        draws[at], firms[at] = draws[child], firms[child]
        at = child
    draws[at], firms[at] = draw, firm


@compiled
def _later(draw_a: float, firm_a: int, draw_b: float, firm_b: int) -> bool:
    """Whether firm a comes after firm b: a larger draw, or the same and a higher index."""
    return draw_a > draw_b or (draw_a == draw_b and firm_a > firm_b)


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
def flagged_log_odds(flagged: np.ndarray, firms: np.ndarray, effect: np.ndarray) -> np.ndarray:
    """The stage log-odds ``effect`` for the ``firms`` that are ``flagged``, 0 for the rest.

    Shape (firms, stages): ``flagged[firms, None] * effect``, as numpy makes it.
    """
    odds = np.empty((len(firms), len(effect)))
    for i in range(len(firms)):
        for j in range(len(effect)):
            odds[i, j] = flagged[firms[i]] * effect[j]
    return odds


@compiled
def each(amount: float, count: int) -> np.ndarray:
    """``count`` payment requests of ``amount`` RMB (``np.full``, callable from compiled code)."""
    requests = np.empty(count)
    requests[:] = amount
    return requests


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
    left = 0  # chosen sectors with nothing found to show yet: stop looking when none are
    for k in range(len(chosen)):
        left += chosen[k] and not show[k]
    for i in range(len(state)):
        if left == 0:
            break
        if state[i] == TRANSFORMED and chosen[sector[i]] and not show[sector[i]]:
            show[sector[i]] = True
            left -= 1
    return show & chosen


# what an instrument's ``kinds`` setting says, as compiled code takes it (0: both kinds)
KIND_CODES = {"both": 0, "light": LIGHT, "deep": DEEP}


@compiled
def of_kind(firms: np.ndarray, project_kind: np.ndarray, kinds: int) -> np.ndarray:
    """The ``firms`` whose project is of the kinds an instrument covers (:data:`KIND_CODES`)."""
    chosen = np.empty(len(firms), np.int64)
    n = 0
    for f in firms:
        if project_kind[f] == kinds or (kinds == 0 and project_kind[f] > 0):
            chosen[n] = f
            n += 1
    return chosen[:n]


@compiled
def project_costs(firms: np.ndarray, project_kind: np.ndarray, cost: np.ndarray) -> np.ndarray:
    """What the ``firms``' projects cost, RMB (``cost[project_kind[firms], firms]``)."""
    costs = np.empty(len(firms))
    for i in range(len(firms)):
        costs[i] = cost[project_kind[firms[i]], firms[i]]
    return costs


@compiled
def lower_outlay(firms: np.ndarray, paid: np.ndarray, outlay: np.ndarray) -> None:
    """The firms' own outlay falls by what they were paid (``outlay[firms] -= paid``)."""
    for i in range(len(firms)):
        outlay[firms[i]] -= paid[i]
