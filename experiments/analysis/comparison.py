"""Comparing policy mixes: the tables that summarise a comparison's runs.

The runs are made by the engine (``experiments.runs.comparisons``: every mix on the same
replicates, seeds and worlds) into a result store; :func:`runs_table` and
:func:`timeseries_chunks` read it back, and the rest are pure functions of those tables:
:func:`summarise` (paired with the base, replicate by replicate), :func:`bands` and the
headline printed on the terminal.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
from catfish.experiments.analysis import stats
from catfish.experiments.runs.store import ResultStore
from catfish.scenarios.comparison import BASE, Comparison
from catfish.scenarios.schema import Scenario

SPREAD = 0.90      # percentile interval of single runs (5th to 95th percentile)
CONFIDENCE = 0.95  # confidence intervals of probabilities and mean differences
KEYS = ["mix", "replicate", "seed"]
SPENT = "spent_by_deadline_"  # prefix of the runs table's spending by instrument


def runs_table(store: ResultStore) -> pd.DataFrame:
    """One row per mix and replicate: keys, every run outcome, spending by instrument.

    Read from a comparison's result store (``experiments.runs.comparisons``); the spending
    columns come in the order the mixes list their instruments, 0 where a mix has none.
    """
    table = store.outcomes(order="runs").drop(columns=["run_id", "point"])
    return table[[*KEYS, *[c for c in table.columns if c not in KEYS]]]


def timeseries_chunks(store: ResultStore, columns: Sequence[str] | None = None, *,
                      runs_per_chunk: int = 1_000) -> Iterator[pd.DataFrame]:
    """The time series, one row per mix, replicate and month, in chunks of runs.

    Keys (mix, replicate, seed) first, then every stored column in the codebook's order and
    the instruments' spending as the mixes list them (0 where a mix has none), so that a long
    comparison's table is written without holding it in memory.
    """
    keys = store.runs().set_index("run_id")[KEYS]
    names = list(columns) if columns is not None else store.series_columns(order="runs")
    for chunk in store.iter_timeseries(names, runs_per_chunk=runs_per_chunk):
        ids = chunk.pop("run_id")
        front = keys.loc[ids.to_numpy()].reset_index(drop=True)
        yield pd.concat([front, chunk.reset_index(drop=True)], axis=1)


def timeseries_table(store: ResultStore, columns: Sequence[str] | None = None) -> pd.DataFrame:
    """The whole time series table (:func:`timeseries_chunks` in one frame)."""
    chunks = list(timeseries_chunks(store, columns))
    return pd.concat(chunks, ignore_index=True) if chunks else pd.DataFrame(columns=KEYS)


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
    from catfish.experiments.runs.manifest import environment, sha256_file, sha256_model

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
