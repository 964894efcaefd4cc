"""Comparing policy mixes: the runs to make, running them, and the tables that summarise them.

Every mix runs the same replicates with the same seeds (replicate r uses seed + r in every
mix), so a mix and the base see the same firms, networks and fates, and their per-replicate
difference is the policy's effect (common random numbers). Running is separate from summing
up: :func:`run` returns one :class:`Replicate` per (mix, replicate), in that order; the table
functions are pure functions of those, and :func:`summarise` of the runs table.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from calibration.worlds import Uncertainty, world_values
from experiments.analysis import stats
from experiments.runs.executors import map_in_order
from scenarios.comparison import BASE, Comparison
from scenarios.schema import Scenario
from sim import codebook, run_one

SPREAD = 0.90      # percentile interval of single runs (5th to 95th percentile)
CONFIDENCE = 0.95  # confidence intervals of probabilities and mean differences
KEYS = ["mix", "replicate", "seed"]
SPENT = "spent_by_deadline_"  # prefix of the runs table's spending by instrument
FIXED_COLUMNS = frozenset(c.name for c in codebook.TIMESERIES)


@dataclass(frozen=True)
class Task:
    """One run to make: a mix's scenario with one replicate's seed (and its world).

    Attributes:
        mix: The mix's name.
        replicate: Replicate r, which runs world r (if there are worlds) with seed + r.
        seed: The run's seed.
        scenario: The mix's scenario.
        parameters: Model parameters the world sets (name, value).
        instruments: Instrument assumptions the world sets: (instrument, parameter, value),
            applied to every instrument of that kind in the mix.
    """

    mix: str
    replicate: int
    seed: int
    scenario: Scenario
    parameters: tuple[tuple[str, float], ...] = ()
    instruments: tuple[tuple[str, str, float], ...] = ()


@dataclass
class Replicate:
    """What one run gives the comparison: a runs-table row and its time series."""

    row: dict[str, Any]
    timeseries: pd.DataFrame


def plan(comparison: Comparison, replicates: int, seed: int,
         worlds: pd.DataFrame | None = None,
         uncertainties: Sequence[Uncertainty] = ()) -> list[Task]:
    """Every run, in (mix, replicate) order; replicate r has seed ``seed + r`` in every mix.

    With ``worlds`` (``calibration.worlds.draw_worlds``: one row per world, a column per
    uncertainty), replicate r also runs in world r in every mix, so the mixes meet the same
    worlds and the same luck, and their differences stay paired. A parameter calibrated for
    one scenario only (its prior names it) is left out of the others; an instrument
    assumption applies to the mixes that use the instrument.

    Raises:
        ValueError: Fewer worlds than replicates.
    """
    if worlds is None:
        return [Task(mix.name, r, seed + r, mix.scenario)
                for mix in comparison.mixes for r in range(replicates)]
    if len(worlds) < replicates:
        raise ValueError(f"worlds: {len(worlds)} worlds for {replicates} replicates")
    rows = worlds.to_dict("records")
    tasks = []
    for mix in comparison.mixes:
        for r in range(replicates):
            params, instruments = world_values(rows[r], uncertainties, mix.scenario)
            tasks.append(Task(mix.name, r, seed + r, mix.scenario,
                              tuple(sorted(params.items())), instruments))
    return tasks


def account_columns(ts: pd.DataFrame) -> list[str]:
    """The instrument spending columns (``spent_<account>_rmb``) of a run's time series."""
    return [c for c in ts.columns if c not in FIXED_COLUMNS
            and c.startswith("spent_") and c.endswith("_rmb")]


def run_task(task: Task) -> Replicate:
    """Run one task (module level, so that worker processes can receive it)."""
    params, policies = task.scenario.model_inputs()
    for instrument in policies:  # the world's assumptions, in every instrument of the kind
        for name, parameter, value in task.instruments:
            if instrument.name == name:
                setattr(instrument, parameter, value)
    result = run_one(params, seed=task.seed, policies=policies, **dict(task.parameters))
    ts = result.timeseries
    deadline_row = min(result.params.deadline_month, len(ts)) - 1
    outcomes = {k: v for k, v in result.outcomes.items() if k != "seed"}
    spent = {f"{SPENT}{c.removeprefix('spent_')}": float(ts[c].iloc[deadline_row])
             for c in account_columns(ts)}
    row = {"mix": task.mix, "replicate": task.replicate, "seed": task.seed, **outcomes,
           **spent}
    keys = pd.DataFrame({"mix": task.mix, "replicate": task.replicate, "seed": task.seed},
                        index=ts.index)
    return Replicate(row=row, timeseries=pd.concat([keys, ts], axis=1))


def run(tasks: list[Task], *, executor: Executor | None = None, workers: int = 1,
        progress: Callable[[int], None] | None = None) -> list[Replicate]:
    """Run every task, here or on ``executor``; results in the tasks' order."""
    return map_in_order(run_task, tasks, executor=executor, workers=workers, progress=progress)


def _zero_fill_spending(table: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    # a mix without an instrument spent nothing on it: 0, not missing
    table[columns] = table[columns].fillna(0.0)
    return table


def runs_table(replicates: list[Replicate]) -> pd.DataFrame:
    """One row per mix and replicate: keys, every run outcome, spending by instrument."""
    table = pd.DataFrame([r.row for r in replicates])
    return _zero_fill_spending(table, spending_columns(table))


def timeseries_table(replicates: list[Replicate]) -> pd.DataFrame:
    """One row per mix, replicate and month: keys and every time-series column."""
    table = pd.concat([r.timeseries for r in replicates], ignore_index=True)
    return _zero_fill_spending(table, account_columns(table))


def spending_columns(runs: pd.DataFrame) -> list[str]:
    """The runs table's spending-by-instrument columns, ``spent_by_deadline_<account>_rmb``."""
    return [c for c in runs.columns if c.startswith(SPENT) and c.endswith("_rmb")
            and c != "spent_by_deadline_rmb"]


def mix_table(comparison: Comparison) -> pd.DataFrame:
    """What each mix is: name, labels, mode, policies, budget and target (one row per mix)."""
    rows = []
    for mix in comparison.mixes:
        s = mix.scenario
        rows.append({
            "mix": mix.name, "label_en": mix.labels.en, "label_zh": mix.labels.zh,
            "mode": mix.mode, "policies": describe_policies(s),
            "budget_rmb": s.budget.total_rmb, "target_firms": s.target.firms,
            "deadline": s.calendar.deadline,
        })
    return pd.DataFrame(rows)


def describe_policies(scenario: Scenario) -> str:
    """A scenario's policy mix in one line, e.g. ``grant(share=0.3, cap_rmb=300000)``."""
    parts = [f"{p.instrument}({', '.join(f'{k}={v}' for k, v in p.parameters().items())})"
             for p in scenario.policies]
    return "; ".join(parts) or "none"


def summarise(runs: pd.DataFrame, reference: str = BASE) -> pd.DataFrame:
    """One row per mix (in the runs' order): outcomes, their uncertainty, costs, the effect.

    Differences and the cost per additional firm are paired with ``reference`` replicate by
    replicate (the same seeds).

    Raises:
        ValueError: ``reference`` is missing, or a mix lacks replicates the reference has.
    """
    if reference not in set(runs["mix"]):
        raise ValueError(f"reference mix {reference!r} is not in the runs table")
    ref = runs[runs["mix"] == reference].set_index("replicate").sort_index()
    spend_columns = spending_columns(runs)
    rows = []
    for mix, group in runs.groupby("mix", sort=False):
        g = group.set_index("replicate").sort_index()
        if not g.index.equals(ref.index):
            raise ValueError(f"mix {mix!r} and {reference!r} have different replicates; "
                             "paired statistics need the same ones")
        rows.append(_summary_row(str(mix), g, ref, spend_columns))
    return pd.DataFrame(rows)


def _summary_row(mix: str, g: pd.DataFrame, ref: pd.DataFrame,
                 spend_columns: list[str]) -> dict[str, Any]:
    transformed, spent = g["transformed_by_deadline"], g["spent_by_deadline_rmb"]
    met, n = int(g["target_met"].sum()), len(g)
    p_lo, p_hi = stats.wilson_interval(met, n, CONFIDENCE)
    t_lo, t_hi = stats.percentile_interval(transformed, SPREAD)
    months_median, reached = stats.median_where_reached(g["months_to_target"])
    diff, d_lo, d_hi = stats.paired_difference(transformed, ref["transformed_by_deadline"],
                                                CONFIDENCE)
    return {
        "mix": mix, "replicates": n,
        "transformed_by_deadline_mean": stats.mean(transformed),
        "transformed_by_deadline_p05": t_lo, "transformed_by_deadline_p95": t_hi,
        "target_met_prob": met / n, "target_met_prob_lo": p_lo, "target_met_prob_hi": p_hi,
        "reached_target_share": reached, "months_to_target_median": months_median,
        "spent_by_deadline_rmb_mean": stats.mean(spent),
        **{f"{c}_mean": stats.mean(g[c]) for c in spend_columns},
        "cost_per_transformed_rmb": stats.ratio_of_means(spent, transformed),
        "cost_per_additional_rmb": stats.cost_per_additional(
            spent, ref["spent_by_deadline_rmb"], transformed, ref["transformed_by_deadline"]),
        "diff_transformed_mean": diff, "diff_transformed_lo": d_lo, "diff_transformed_hi": d_hi,
        **dict(zip(("diff_spent_rmb_mean", "diff_spent_rmb_lo", "diff_spent_rmb_hi"),
                   stats.paired_difference(spent, ref["spent_by_deadline_rmb"], CONFIDENCE),
                   strict=True)),
        **{f"{c}_mean": stats.mean(g[c]) for c in
           ("failed_early", "failed_middle", "failed_late", "rejected", "lapsed")},
    }


def bands(timeseries: pd.DataFrame, column: str | None = None,
          level: float = SPREAD) -> pd.DataFrame:
    """Per mix and month: mean of ``column`` over replicates and its percentile interval.

    ``column`` defaults to the firms counted toward the target (``n_counted``, what
    ``transformed_by_deadline`` reads at the deadline), or ``n_transformed`` in time series
    without it. Columns ``mix``, ``month``, ``date``, ``mean``, ``lo``, ``hi`` (mixes in
    their order).
    """
    if column is None:
        column = "n_counted" if "n_counted" in timeseries else "n_transformed"
    tail = (1 - level) / 2
    grouped = timeseries.groupby(["mix", "month"], sort=False)[column]
    out = pd.DataFrame({"mean": grouped.mean(), "lo": grouped.quantile(tail),
                        "hi": grouped.quantile(1 - tail)}).reset_index()
    dates = timeseries.drop_duplicates(["mix", "month"])[["mix", "month", "date"]]
    return out.merge(dates, on=["mix", "month"], how="left")[
        ["mix", "month", "date", "mean", "lo", "hi"]]


# --- the headline printed on the terminal --------------------------------------------------

def _num(x: float, digits: int = 0, sign: bool = False) -> str:
    if x is None or not math.isfinite(x):
        return "n/a"
    return f"{x:{'+' if sign else ''},.{digits}f}"


def probability(x: float, digits: int = 2, *, percent: bool = False) -> str:
    """A probability to ``digits`` decimals (of a percentage, with ``percent``).

    One more decimal where rounding would turn a value short of 0 or 1 into 0 or 1: the lower
    bound 0.996 after 1,000 successes in 1,000 runs is not certainty.
    """
    if x is None or not math.isfinite(x):
        return "n/a"
    scale, unit = (100, "%") if percent else (1, "")
    shown = round(x * scale, digits)
    if shown in (0, scale) and x not in (0, 1):
        digits += 1
    return f"{x * scale:.{digits}f}{unit}"


def _interval(lo: float, hi: float, digits: int = 0, sign: bool = False) -> str:
    return f"[{_num(lo, digits, sign)}, {_num(hi, digits, sign)}]"


def _per_additional(cost: float) -> str:
    # negative: more firms for less money than the base, which no price per firm describes
    return "saves money" if math.isfinite(cost) and cost < 0 else _num(cost)


def headline_rows(summary: pd.DataFrame, reference: str = BASE) -> list[list[str]]:
    """The headline table's cells, one list per mix (header first)."""
    rows = [["mix", "transformed [90% of runs]", "P(target) [95% CI]", "RMB/firm",
             "RMB/extra firm", "vs base [95% CI]"]]
    for s in summary.itertuples(index=False):
        is_ref = s.mix == reference
        rows.append([
            s.mix,
            f"{_num(s.transformed_by_deadline_mean, 1)} "
            f"{_interval(s.transformed_by_deadline_p05, s.transformed_by_deadline_p95)}",
            f"{probability(s.target_met_prob)} "
            f"[{probability(s.target_met_prob_lo)}, {probability(s.target_met_prob_hi)}]",
            _num(s.cost_per_transformed_rmb),
            "reference" if is_ref else _per_additional(s.cost_per_additional_rmb),
            "reference" if is_ref else
            f"{_num(s.diff_transformed_mean, 1, True)} "
            f"{_interval(s.diff_transformed_lo, s.diff_transformed_hi, 1, True)}",
        ])
    return rows


def format_table(rows: list[list[str]]) -> str:
    """Cells as aligned text columns: the first left-aligned, the rest right-aligned."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for row in rows:
        cells = [row[0].ljust(widths[0])] + [c.rjust(w) for c, w in zip(row[1:], widths[1:],
                                                                         strict=True)]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def headline(summary: pd.DataFrame, comparison: Comparison, replicates: int, seed: int,
             posterior: Path | None = None) -> str:
    """What the terminal shows: what was compared, then one line per mix."""
    base = comparison.base
    drawn = f", each in its own world (calibrated values from {posterior.name})" if posterior \
        else ", fixed values (no worlds)"
    first = (f"{comparison.spec.labels.en}: {len(comparison.mixes)} mixes x {replicates} "
             f"replicates (seeds {seed}-{seed + replicates - 1}{drawn}, the same in every mix)")
    second = (f"  base {base.name}: {base.cluster.smes.count:,} SMEs, target "
              f"{base.target.firms:,} transformed firms by {base.calendar.deadline}")
    notes = ("transformed: firms counted toward the target at the deadline, mean "
             "[5th-95th percentile of runs]\n"
             "RMB/firm: mean spend / mean transformed; RMB/extra firm: paired extra spend / "
             "extra firms against base (n/a: no extra firms)\n"
             "vs base: mean paired difference in transformed firms (same seeds) [95% t interval]")
    return "\n".join([first, second, "", format_table(headline_rows(summary)), "", notes])



# --- provenance ------------------------------------------------------------------------------

def manifest(comparison: Comparison, *, replicates: int, seed: int, workers: int,
             started: str, wall_seconds: float, files: list[str],
             posterior: Path | None = None) -> dict[str, Any]:
    """What a result folder came from: inputs and their digests, seeds, software, timing."""
    from experiments.runs.manifest import environment, sha256_file, sha256_model

    drawn = {"posterior": {"path": str(posterior.resolve()), "sha256": sha256_file(posterior),
                           "rule": f"world r takes posterior row r, drawn by weight with "
                                   f"seed {seed}, in every mix"}} if posterior else {}
    return {
        "command": "catfish compare",
        "comparison": {"name": comparison.name, "labels": comparison.spec.labels.model_dump(),
                       "path": str(comparison.path.resolve()),
                       "sha256": sha256_file(comparison.path)},
        "base": {"name": comparison.base.name, "path": str(comparison.base_path.resolve()),
                 "sha256": sha256_file(comparison.base_path)},
        "mixes": [{"name": m.name, "labels": m.labels.model_dump(), "mode": m.mode,
                   "policies": describe_policies(m.scenario),
                   "instruments": [{"instrument": p.instrument, "parameters": p.parameters()}
                                   for p in m.scenario.policies],
                   "budget_rmb": m.scenario.budget.total_rmb,
                   "scenario_sha256": sha256_model(m.scenario)} for m in comparison.mixes],
        "replicates": replicates,
        "seeds": {"first": seed, "last": seed + replicates - 1,
                  "rule": "replicate r uses seed + r in every mix (common random numbers)"},
        **drawn,
        "workers": workers,
        "started": started,
        "wall_seconds": round(wall_seconds, 3),
        "files": files,
        **environment(),
    }
