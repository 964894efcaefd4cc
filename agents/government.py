"""The government: budget, target, deadline, and the rule that keeps spending in the budget."""

from __future__ import annotations

from collections.abc import Mapping

import mesa
import numpy as np
from catfish.agents.jit import compiled


class Government(mesa.Agent):
    """Holds the budget and the target; policy instruments spend through :meth:`pay`.

    Args:
        model: The model.
        budget_rmb: Total budget, RMB.
        target_firms: Transformed firms aimed for by the deadline.
        deadline_month: Step at which the target is judged.
        per_year_rmb: Most that may be spent in a calendar year (year -> RMB); unspent money
            does not carry over to the next year. Years not listed are limited by the total.
    """

    def __init__(self, model: mesa.Model, budget_rmb: float, target_firms: int,
                 deadline_month: int, per_year_rmb: Mapping[int, float] | None = None) -> None:
        super().__init__(model)
        self.budget_rmb = float(budget_rmb)
        self.budget_left_rmb = float(budget_rmb)
        self.spent_total_rmb = 0.0
        self.target_firms = int(target_firms)
        self.deadline_month = int(deadline_month)
        self.per_year_rmb = dict(per_year_rmb or {})
        self.year: int | None = None
        self.spent_this_year_rmb = 0.0
        self.spent_rmb: dict[str, float] = {}

    def register(self, instrument_name: str) -> None:
        """Open an account for an instrument so its spending is reported even when zero."""
        self.spent_rmb.setdefault(instrument_name, 0.0)

    def start_year(self, year: int) -> None:
        """Called every month with the calendar year; a new year opens a new annual budget."""
        if year != self.year:
            self.year = year
            self.spent_this_year_rmb = 0.0

    @property
    def available_rmb(self) -> float:
        """What may still be spent now: the total left, within this year's limit if any."""
        cap = self.per_year_rmb.get(self.year) if self.year is not None else None
        if cap is None:
            return self.budget_left_rmb
        return max(0.0, min(self.budget_left_rmb, cap - self.spent_this_year_rmb))

    def pay(self, instrument_name: str, requests_rmb: np.ndarray | float,
            limit_rmb: float = np.inf) -> np.ndarray:
        """Pay requests in order while the budget lasts; return what each one received.

        Args:
            instrument_name: Account the payments are booked to.
            requests_rmb: Amounts requested, in the order they are served.
            limit_rmb: A further limit of the instrument's own (e.g. a fund's size left).
        """
        requests = requests_rmb if _float_vector(requests_rmb) \
            else np.atleast_1d(np.asarray(requests_rmb, dtype=float))
        paid, total = _paid_and_total(requests, min(self.available_rmb, max(0.0, limit_rmb)))
        self.spent_total_rmb += total
        self.spent_this_year_rmb += total
        self.budget_left_rmb = max(0.0, self.budget_rmb - self.spent_total_rmb)
        self.spent_rmb[instrument_name] = self.spent_rmb.get(instrument_name, 0.0) + total
        return paid

    def step(self) -> None:
        """The government acts through its instruments, which the model applies each month."""


def _float_vector(value: object) -> bool:
    return type(value) is np.ndarray and value.dtype == np.float64 and value.ndim == 1


@compiled
def _paid_and_total(requests_rmb: np.ndarray, budget_left_rmb: float) -> tuple[np.ndarray, float]:
    """:func:`pay_within_budget` and the sum paid (as ``paid.sum()``), in one call."""
    paid = pay_within_budget(requests_rmb, budget_left_rmb)
    return paid, pairwise_sum(paid, 0, len(paid))


@compiled
def pay_within_budget(requests_rmb: np.ndarray, budget_left_rmb: float) -> np.ndarray:
    """First come, first served: pay each request in full while the budget lasts.

    The request that crosses the limit is paid partly; later ones get nothing. Negative
    requests are treated as zero.
    """
    req = np.maximum(requests_rmb, 0.0)
    if pairwise_sum(req, 0, len(req)) <= budget_left_rmb:  # the common case: everything fits
        return req
    before = np.cumsum(req) - req
    return np.minimum(np.maximum(budget_left_rmb - before, 0.0), req)


@compiled
def pairwise_sum(values: np.ndarray, first: int, n: int) -> float:
    """``values[first:first + n].sum()`` added up in numpy's order, so to the same last bit.

    numpy sums float arrays pairwise: a stretch of more than 128 numbers is split in two
    halves (the first a multiple of 8 long) summed separately; shorter ones are summed by
    :func:`_block_sum`. The halves are worked through with a stack rather than by recursion,
    which numba cannot load from its cache.
    """
    starts = np.empty(128, np.int64)   # stretches still to sum (depth < 64 for any array)
    lengths = np.empty(128, np.int64)
    split = np.empty(128, np.bool_)     # True once a stretch's halves have been queued
    sums = np.empty(128)                # sums of finished stretches, in order
    top, done = 0, 0
    starts[0], lengths[0], split[0] = first, n, False
    while top >= 0:
        start, length = starts[top], lengths[top]
        if length <= 128:
            sums[done] = _block_sum(values, start, length)
            done += 1
            top -= 1
        elif split[top]:  # both halves are summed: add them, the first half's sum first
            sums[done - 2] = sums[done - 2] + sums[done - 1]
            done -= 1
            top -= 1
        else:
            half = length // 2
            half -= half % 8
            split[top] = True
            top += 1  # the second half below the first, so the first half is summed first
            starts[top], lengths[top], split[top] = start + half, length - half, False
            top += 1
            starts[top], lengths[top], split[top] = start, half, False
    return sums[0]


@compiled
def _block_sum(values: np.ndarray, first: int, n: int) -> float:
    """Numpy's sum of up to 128 numbers: eight interleaved partial sums, then the rest."""
    if n < 8:
        total = 0.0
        for i in range(first, first + n):
            total += values[i]
        return total
    # eight partial sums in locals (a small array here would be allocated for every block)
    r0, r1, r2, r3 = values[first], values[first + 1], values[first + 2], values[first + 3]
    r4, r5, r6, r7 = values[first + 4], values[first + 5], values[first + 6], values[first + 7]
    i = 8
    while i < n - n % 8:
        at = first + i
        r0 += values[at]
        r1 += values[at + 1]
        r2 += values[at + 2]
        r3 += values[at + 3]
        r4 += values[at + 4]
        r5 += values[at + 5]
        r6 += values[at + 6]
        r7 += values[at + 7]
        i += 8
    total = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    for k in range(first + i, first + n):
        total += values[k]
    return total
