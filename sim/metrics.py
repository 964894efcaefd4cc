"""Monthly reporters and run outcomes, named as in ``sim.codebook``."""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from catfish.agents.government import pairwise_sum
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
        self.failed_by_stage = np.zeros(3, np.int64)

    def add_failures(self, by_stage: np.ndarray) -> None:
        """Count failures of this month by stage (early, middle, late)."""
        self.failed_by_stage += by_stage
        self.cum_failed_by_stage += by_stage


def reporter(name: str) -> Callable[[ClusterModel], float]:
    """A Mesa model reporter reading this month's value of ``name``."""
    return lambda model: model.metrics[name]


def timeseries_columns(model: ClusterModel) -> list[str]:
    """Reporter names of a model.

    The codebook's time series (except month and date, which ``run_one`` adds) plus one
    spending column per instrument account.
    """
    fixed = [c.name for c in codebook.TIMESERIES if c.name not in ("month", "date")]
    accounts = [f"spent_{a}_rmb" for a in model.government.spent_rmb]
    return fixed + accounts


STATE_COUNT_NAMES = tuple(f"n_{name}" for name in STATE_NAMES)


def monthly(model: ClusterModel) -> dict[str, float]:
    """This month's value of every reporter."""
    s, t, gov = model.smes, model.tally, model.government
    n = len(s.state)
    counts, unit_cost_sum, lost_share_sum, n_providers = _month_counts(
        s.state, s.level, s.project_kind, s.counted, s.revenue, model.levers.counted_min_level,
        model.params.above_size_revenue_rmb, s.unit_cost, model.lost_share,
        model.providers.active)
    # cumulative flows are updated here once a month, from the month's flows
    t.cum_transformed += t.new_transformed
    values: dict[str, float] = dict(zip(COUNTED_NAMES, counts.tolist(), strict=True))
    values.update({
        "share_transformed": values["n_transformed"] / n,
        "new_willing": t.new_willing, "new_queued": t.new_queued, "new_started": t.new_started,
        "new_transformed": t.new_transformed, "new_upgraded": t.new_upgraded,
        "new_rejected": t.new_rejected,
        "new_failed_early": int(t.failed_by_stage[0]),
        "new_failed_middle": int(t.failed_by_stage[1]),
        "new_failed_late": int(t.failed_by_stage[2]),
        "new_lapsed": t.new_lapsed, "new_visits": t.visits,
        "cum_transformed": t.cum_transformed, "cum_failed": int(sum(t.cum_failed_by_stage)),
        "spent_total_rmb": gov.spent_total_rmb, "budget_left_rmb": gov.budget_left_rmb,
        "mean_unit_cost": unit_cost_sum / n,
        "mean_lost_order_share": lost_share_sum / n,
        "provider_queue": model.queue_history[-1] if model.queue_history else 0,
        "n_providers": n_providers,
    })
    # an account's row is its place among the accounts (rows are given in order)
    for account, spent in zip(gov.accounts, gov.account_spent.tolist(), strict=True):
        values[_spent_column(account)] = spent
    return values


@functools.cache
def _spent_column(account: str) -> str:
    return f"spent_{account}_rmb"


# what state_counts counts, in its order: firms in each state, then among the transformed
COUNTED_NAMES = (*STATE_COUNT_NAMES, "n_counted", "n_upgrading", "n_deep",
                 "n_transformed_above_size")


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
