"""Monthly reporters and run outcomes, named as in ``sim.codebook``."""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from catfish.agents.government import LEFT, SPENT, pairwise_sum
from catfish.agents.jit import compiled
from catfish.agents.sme import DEEP, STATE_NAMES, TRANSFORMED
from catfish.sim import codebook

if TYPE_CHECKING:
    from catfish.sim.model import ClusterModel


@dataclass
class Tally:
    """Flows counted during the month, and what accumulates over the run."""

    new_willing: int = 0
    new_queued: int = 0
    new_started: int = 0
    new_transformed: int = 0
    new_upgraded: int = 0
    new_rejected: int = 0
    new_lapsed: int = 0
    new_providers: int = 0
    visits: int = 0
    failed_by_stage: np.ndarray = field(default_factory=lambda: np.zeros(3, np.int64))
    cum_failed_by_stage: np.ndarray = field(default_factory=lambda: np.zeros(3, np.int64))
    cum_transformed: int = 0
    payback_sum: float = 0.0
    payback_n: int = 0

    def reset_month(self) -> None:
        """Zero the monthly flows (cumulative totals are kept)."""
        self.new_willing = self.new_queued = self.new_started = self.new_transformed = 0
        self.new_upgraded = self.new_rejected = self.new_lapsed = self.new_providers = 0
        self.visits = 0
        self.failed_by_stage[:] = 0  # in place: compiled phases hold it (sim.month_state)


@functools.cache  # the same reader for every model (a model asks for some forty)
def reporter(name: str) -> Callable[[ClusterModel], float]:
    """A Mesa model reporter reading this month's value of ``name``."""
    return lambda model: model.metrics[name]


def timeseries_columns(model: ClusterModel) -> list[str]:
    """Reporter names of a model.

    The codebook's time series (except month and date, which ``run_one`` adds) plus one
    spending column per instrument account.
    """
    return list(model.month_table.names)


STATE_COUNT_NAMES = tuple(f"n_{name}" for name in STATE_NAMES)

# what state_counts counts, in its order: firms in each state, then among the transformed
COUNTED_NAMES = (*STATE_COUNT_NAMES, "n_counted", "n_upgrading", "n_deep",
                 "n_transformed_above_size")
# the month's whole numbers, in the order _month_row writes them
WHOLE_NAMES = (*COUNTED_NAMES, "new_willing", "new_queued", "new_started", "new_transformed",
               "new_upgraded", "new_rejected", "new_failed_early", "new_failed_middle",
               "new_failed_late", "new_lapsed", "new_visits", "cum_transformed", "cum_failed",
               "provider_queue", "n_providers")
# and its amounts; one column per instrument account follows them
AMOUNT_NAMES = ("share_transformed", "spent_total_rmb", "budget_left_rmb", "mean_unit_cost",
                "mean_lost_order_share")
N_AMOUNTS = len(AMOUNT_NAMES)  # the accounts' columns start here


class MonthTable:
    """Every reporter's value, month by month: whole numbers in one array, amounts in another.

    A month's values are written by one compiled call (:func:`monthly`) into a row of each
    array, made for the run's months at the start (and enlarged if a model is stepped past
    them). Columns keep their type: counts are whole numbers, money and shares decimals.

    Args:
        accounts: The instrument accounts reported (one ``spent_<account>_rmb`` column each).
        months: The months the run is expected to last.
    """

    def __init__(self, accounts: list[str], months: int) -> None:
        self.names, self._place = _layout(tuple(accounts))
        rows = max(months, 1)
        self.whole = np.zeros((rows, len(WHOLE_NAMES)), np.int64)
        self.amounts = np.zeros((rows, N_AMOUNTS + len(accounts)))
        self.written = 0  # rows written so far

    def next_row(self) -> tuple[np.ndarray, np.ndarray]:
        """The next month's rows of both arrays, to be filled (the arrays grow if full)."""
        if self.written == len(self.whole):  # stepped past the months it was made for
            self.whole = np.concatenate([self.whole, np.zeros_like(self.whole)])
            self.amounts = np.concatenate([self.amounts, np.zeros_like(self.amounts)])
        self.written += 1
        return self.whole[self.written - 1], self.amounts[self.written - 1]

    def row(self, i: int) -> dict[str, float]:
        """Month row ``i``'s values by name (Python ints and floats)."""
        values = [*self.whole[i].tolist(), *self.amounts[i].tolist()]
        return {name: values[k] for name, k in zip(self.names, self._place, strict=True)}

    def columns(self, rows: list[int]) -> dict[str, np.ndarray]:
        """Each column by name over month ``rows`` (in that order), as a new array."""
        if rows == list(range(len(rows))):  # every month once, in order: a plain slice
            whole, amounts = self.whole[:len(rows)], self.amounts[:len(rows)]
        else:
            whole, amounts = self.whole[rows], self.amounts[rows]
        columns = [*whole.T.copy(), *amounts.T.copy()]  # each column contiguous
        return {name: columns[k] for name, k in zip(self.names, self._place, strict=True)}


def monthly(model: ClusterModel) -> int:
    """Write this month's value of every reporter into ``model.month_table``; return its row."""
    t, table = model.tally, model.month_table
    # cumulative flows are updated here once a month, from the month's flows
    t.cum_transformed += t.new_transformed
    whole, amounts = table.next_row()
    _month_row(model.month_state, whole, amounts, model.levers.counted_min_level,
               t.new_willing, t.new_queued, t.new_started, t.new_transformed, t.new_upgraded,
               t.new_rejected, t.new_lapsed, t.visits, t.cum_transformed,
               model.queue_history[-1] if model.queue_history else 0,
               model.government.account_spent)
    return table.written - 1


@compiled
def _month_row(m: Any, whole: np.ndarray, amounts: np.ndarray, counted_min_level: int,
               new_willing: int, new_queued: int, new_started: int, new_transformed: int,
               new_upgraded: int, new_rejected: int, new_lapsed: int, visits: int,
               cum_transformed: int, provider_queue: int, account_spent: np.ndarray) -> None:
    """The month's values in :data:`WHOLE_NAMES` and :data:`AMOUNT_NAMES` order, in one call.

    The counts (:func:`_month_counts`), the month's flows, and the ledger's totals and the
    accounts' spending (as many accounts as ``amounts`` has columns for). ``m`` is the model's
    ``month_state`` (``sim.month_state``).
    """
    state, failed_by_stage, cum_failed_by_stage, ledger = (m.state, m.failed_by_stage,
                                                           m.cum_failed_by_stage, m.ledger)
    counts, unit_cost_sum, lost_share_sum, n_providers = _month_counts(
        state, m.level, m.project_kind, m.counted, m.revenue, counted_min_level,
        m.above_size_revenue, m.unit_cost, m.lost_share, m.provider_active)
    n = len(counts)
    whole[:n] = counts
    whole[n], whole[n + 1], whole[n + 2] = new_willing, new_queued, new_started
    whole[n + 3], whole[n + 4], whole[n + 5] = new_transformed, new_upgraded, new_rejected
    whole[n + 6], whole[n + 7] = failed_by_stage[0], failed_by_stage[1]
    whole[n + 8], whole[n + 9], whole[n + 10] = failed_by_stage[2], new_lapsed, visits
    whole[n + 11] = cum_transformed
    whole[n + 12] = cum_failed_by_stage[0] + cum_failed_by_stage[1] + cum_failed_by_stage[2]
    whole[n + 13], whole[n + 14] = provider_queue, n_providers
    firms = len(state)
    amounts[0] = counts[TRANSFORMED] / firms
    amounts[1], amounts[2] = ledger[SPENT], ledger[LEFT]
    amounts[3], amounts[4] = unit_cost_sum / firms, lost_share_sum / firms
    for a in range(len(amounts) - N_AMOUNTS):
        amounts[N_AMOUNTS + a] = account_spent[a]


@functools.cache
def _spent_column(account: str) -> str:
    return f"spent_{account}_rmb"


@functools.cache
def _layout(accounts: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[int, ...]]:
    """The columns in the order reported, and where each is among a month's row's values.

    Reported: the codebook's time series, then one column per account. A row holds
    :data:`WHOLE_NAMES`, :data:`AMOUNT_NAMES`, then the accounts.
    """
    fixed = [c.name for c in codebook.TIMESERIES if c.name not in ("month", "date")]
    spent = [_spent_column(account) for account in accounts]
    written = {name: k for k, name in enumerate([*WHOLE_NAMES, *AMOUNT_NAMES, *spent])}
    if set(written) != {*fixed, *spent}:
        raise AssertionError(f"metrics: the codebook's time series {sorted(fixed)} are not "
                             f"the columns a month's row holds {sorted(written)}")
    names = (*fixed, *spent)
    return names, tuple(written[name] for name in names)


@compiled
def _month_counts(state: np.ndarray, level: np.ndarray, project_kind: np.ndarray,
                  counted: np.ndarray, revenue: np.ndarray, counted_min_level: int,
                  above_size_revenue: float, unit_cost: np.ndarray, lost_share: np.ndarray,
                  active: np.ndarray) -> tuple[np.ndarray, float, float, int]:
    """The month's counts in one call.

    :func:`state_counts`, the sums of unit costs and lost order shares (in numpy's order,
    pairwise, a fraction of ``.mean()``'s cost), and the active providers.
    """
    counts = state_counts(state, level, project_kind, counted, revenue, counted_min_level,
                          above_size_revenue)
    return (counts, pairwise_sum(unit_cost, 0, len(unit_cost)),
            pairwise_sum(lost_share, 0, len(lost_share)), np.count_nonzero(active))


@compiled
def state_counts(state: np.ndarray, level: np.ndarray, project_kind: np.ndarray,
                 counted: np.ndarray, revenue: np.ndarray, counted_min_level: int,
                 above_size_revenue: float) -> np.ndarray:
    """Firms in each state, then four counts of the transformed (:data:`COUNTED_NAMES`).

    Of the transformed: those counted toward the target (accepted while the city counted, at
    a level it counts), those upgrading, those at the deep level, those above size.
    """
    counts = np.zeros(len(STATE_NAMES) + 4, np.int64)
    for i in range(len(state)):
        counts[state[i]] += 1
        if state[i] == TRANSFORMED:
            counts[len(STATE_NAMES)] += counted[i] and level[i] >= counted_min_level
            counts[len(STATE_NAMES) + 1] += project_kind[i] > 0
            counts[len(STATE_NAMES) + 2] += level[i] == DEEP
            counts[len(STATE_NAMES) + 3] += revenue[i] >= above_size_revenue
    return counts


def _nan_div(a: float, b: float) -> float:
    return a / b if b else math.nan


def outcomes(model: ClusterModel, ts: Mapping[str, np.ndarray]) -> dict[str, Any]:
    """One row of run outcomes from a finished model and its time series (columns by name)."""
    p, t = model.params, model.tally
    n_transformed = np.asarray(ts["n_counted"])
    months = len(n_transformed)
    last = min(p.deadline_month, months) - 1  # row of the deadline month (or the last one)
    transformed = int(n_transformed[last]) if last >= 0 else 0
    spent_deadline = float(ts["spent_total_rmb"][last]) if last >= 0 else 0.0
    reached = np.flatnonzero(n_transformed >= p.target_firms) + 1

    def by_deadline(column: str) -> int:
        """A monthly flow summed up to the deadline, like the target (the run may go on)."""
        return int(np.sum(ts[column][: last + 1]))

    early, middle, late = (by_deadline(f"new_failed_{s}") for s in ("early", "middle", "late"))
    rejected = by_deadline("new_rejected")
    return {
        "seed": model.seed,
        "months": months,
        "target_firms": p.target_firms,
        "transformed_by_deadline": transformed,
        "share_transformed_by_deadline": transformed / p.n_smes,
        "target_attainment": _nan_div(transformed, p.target_firms),
        "target_met": int(transformed >= p.target_firms),
        "months_to_target": float(reached[0]) if len(reached) else math.nan,
        "spent_by_deadline_rmb": spent_deadline,
        "spent_total_rmb": model.government.spent_total_rmb,
        "cost_per_transformed_rmb": _nan_div(spent_deadline, transformed),
        "failed_early": early, "failed_middle": middle, "failed_late": late,
        # source 001 counts a project that ends without the promised gains as a failure: a
        # project rejected at acceptance is a (late) failure of that statistic
        "share_failures_early_middle": _nan_div(early + middle,
                                                early + middle + late + rejected),
        "rejected": rejected,
        "lapsed": by_deadline("new_lapsed"),
        "mean_payback_years": _nan_div(t.payback_sum, t.payback_n),
        **_gains_of_transformed(model),
    }


def _gains_of_transformed(model: ClusterModel) -> dict[str, float]:
    """Mean efficiency and revenue gains of the firms transformed at the end of the run."""
    s, p = model.smes, model.params
    transformed = s.state == TRANSFORMED
    if not transformed.any():
        return {"mean_efficiency_gain_transformed": math.nan,
                "mean_revenue_gain_transformed": math.nan}
    growth = (1 + p.demand_growth_per_year) ** (model.month / 12)
    return {
        # pilots report the efficiency of the processes a project changed (Sichuan +29 %)
        "mean_efficiency_gain_transformed": float(np.mean(
            1 / (1 - s.process_cut[transformed]) - 1)),
        "mean_revenue_gain_transformed": float(np.mean(
            s.revenue[transformed] / (s.base_revenue[transformed] * growth) - 1)),
    }
