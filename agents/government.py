"""The government: budget, target, deadline, and the rule that keeps spending in the budget."""

from __future__ import annotations

from collections.abc import Mapping

import mesa
import numpy as np
from catfish.agents.jit import compiled

# the ledger: one float array every payment is booked in, by Python and by compiled instruments
BUDGET, LEFT, SPENT, SPENT_THIS_YEAR, YEAR_CAP = range(5)


def _ledger_entry(row: int, doc: str) -> property:
    """A read-only attribute of :class:`Government` that reads one entry of its ledger."""
    return property(lambda government: float(government.ledger[row]), doc=doc)


class Government(mesa.Agent):
    """Holds the budget and the target; policy instruments spend through :meth:`pay`.

    Every RMB is booked by one compiled function, :func:`pay_from`: :meth:`pay` calls it for
    instruments written in Python, and compiled instruments call it with :attr:`ledger` and
    :attr:`account_spent` (``sim.policy``). The attributes below read the ledger.

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
        # budget, left, spent, spent this year, this year's limit (inf: none)
        self.ledger = np.array([float(budget_rmb), float(budget_rmb), 0.0, 0.0, np.inf])
        self.target_firms = int(target_firms)
        self.deadline_month = int(deadline_month)
        self.per_year_rmb = dict(per_year_rmb or {})
        self.year: int | None = None
        self.accounts: dict[str, int] = {}  # account name -> its row of account_spent
        self.account_spent = np.zeros(0)

    budget_rmb = _ledger_entry(BUDGET, "Total budget, RMB.")
    budget_left_rmb = _ledger_entry(LEFT, "What is left of the total budget, RMB.")
    spent_total_rmb = _ledger_entry(SPENT, "Spent so far, RMB.")
    spent_this_year_rmb = _ledger_entry(SPENT_THIS_YEAR,
                                        "Spent so far in the current calendar year, RMB.")

    @property
    def spent_rmb(self) -> dict[str, float]:
        """Spent so far by each account (instrument), RMB."""
        return {name: float(self.account_spent[row]) for name, row in self.accounts.items()}

    def register(self, instrument_name: str) -> int:
        """Open an account for an instrument (once) so its spending is reported even when zero.

        Returns:
            The account's row in :attr:`account_spent` (what compiled instruments book to).
        """
        row = self.accounts.get(instrument_name)
        if row is None:
            row = self.accounts[instrument_name] = len(self.accounts)
            self.account_spent = np.append(self.account_spent, 0.0)
        return row

    def start_year(self, year: int) -> None:
        """Called every month with the calendar year; a new year opens a new annual budget."""
        if year != self.year:
            self.year = year
            self.ledger[SPENT_THIS_YEAR] = 0.0
            self.ledger[YEAR_CAP] = self.per_year_rmb.get(year, np.inf)

    @property
    def available_rmb(self) -> float:
        """What may still be spent now: the total left, within this year's limit if any."""
        return available(self.ledger)

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
        row = self.register(instrument_name)  # first: a new account enlarges account_spent
        return pay_from(self.ledger, self.account_spent, row, requests, float(limit_rmb))

    def step(self) -> None:
        """The government acts through its instruments, which the model applies each month."""


def _float_vector(value: object) -> bool:
    return type(value) is np.ndarray and value.dtype == np.float64 and value.ndim == 1


@compiled
def available(ledger: np.ndarray) -> float:
    """What may still be spent now: the total left, within this year's limit if any."""
    return _larger(0.0, _smaller(ledger[LEFT], ledger[YEAR_CAP] - ledger[SPENT_THIS_YEAR]))


@compiled
def pay_from(ledger: np.ndarray, account_spent: np.ndarray, account: int,
             requests_rmb: np.ndarray, limit_rmb: float) -> np.ndarray:
    """The one door public money leaves by: pay requests in order while the budget lasts.

    Pays within what is :func:`available` and the instrument's own ``limit_rmb``
    (:func:`pay_within_budget`) and books the sum to the ledger and to the ``account``'s row
    of ``account_spent``.

    Returns:
        What each request received.
    """
    paid = pay_within_budget(requests_rmb,
                             _smaller(available(ledger), _larger(0.0, limit_rmb)))
    total = pairwise_sum(paid, 0, len(paid))
    ledger[SPENT] += total
    ledger[SPENT_THIS_YEAR] += total
    ledger[LEFT] = _larger(0.0, ledger[BUDGET] - ledger[SPENT])
    account_spent[account] += total
    return paid


@compiled
def _larger(a: float, b: float) -> float:
    """Python's ``max(a, b)``: ``a`` unless ``b`` is larger."""
    return b if b > a else a


@compiled
def _smaller(a: float, b: float) -> float:
    """Python's ``min(a, b)``: ``a`` unless ``b`` is smaller."""
    return b if b < a else a


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
