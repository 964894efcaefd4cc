"""Leave-one-out and parameter recovery, on one table of simulations from the prior.

Refitting the full ABC-SMC once per target, or once per synthetic truth, would take hours.
Both studies here are reduced the same documented way: one *reference table* of ``draws``
parameter sets drawn from the priors of the calibrated parameters, each simulated once with
every target and hold-out statistic (:func:`reference_table`); each refit is then ABC
rejection on that table: the ``keep`` share of rows nearest the data, by the calibration's
own distance (misses in observation errors).

- :func:`leave_one_out`: for each target, refit on the other targets and predict the one left
  out (the accepted rows' simulated values plus its observation error): its percentile, and
  whether it lies inside the 50 % and 90 % predictive intervals.
- :func:`recovery`: take ``truths`` rows of the table as the truth, their statistics plus
  observation error as data, refit on the other rows, and ask whether each parameter's 90 %
  interval covers the truth: coverage per parameter.

ABC rejection with a finite table gives wider posteriors than ABC-SMC (it keeps the nearest
rows, not rows within a small distance), so its intervals tend to cover more than their
nominal share; that is the price of the reduction, stated with the results.

    python -m experiments.jobs.reference --draws 1000 --out catfish-output/reference
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
from catfish.calibration.abc import CALIBRATED
from catfish.calibration.data import Fact, holdouts, targets
from catfish.calibration.priors import load_priors
from catfish.calibration.report import coverage_table
from catfish.calibration.targets import SimulateMany, simulate_here

KEEP = 0.05  # share of the table accepted by each rejection refit


def reference_table(draws: int, *, seed: int = 1, parameters: Sequence[str] = CALIBRATED,
                    facts: Sequence[Fact] | None = None,
                    simulate_many: SimulateMany = simulate_here) -> pd.DataFrame:
    """``draws`` rows: parameters drawn uniformly from their priors, and every statistic.

    Draw i runs with seed ``seed * 1_000_003 + i``; ``simulate_many`` says where (default:
    this process; ``python -m experiments.jobs.reference`` passes the experiment engine's).
    """
    priors = load_priors()
    facts = list(facts if facts is not None else targets() + holdouts())
    rng = np.random.default_rng([seed, 101])
    thetas = [{p: float(rng.uniform(priors[p].low, priors[p].high)) for p in parameters}
              for _ in range(draws)]
    stats = simulate_many(thetas, [seed * 1_000_003 + i for i in range(draws)], facts)
    return pd.DataFrame([{**theta, **row} for theta, row in zip(thetas, stats, strict=True)])


def distances(table: pd.DataFrame, facts: Sequence[Fact],
              observed: dict[str, tuple[float, float]] | None = None) -> np.ndarray:
    """Each row's distance from the data: root of summed squared misses in observation errors.

    ``observed`` replaces a figure's (low, high) (the recovery study's synthetic data).
    """
    total = np.zeros(len(table))
    for fact in facts:
        low, high = (observed or {}).get(fact.name, fact.bounds)
        values = table[fact.name].to_numpy(float)
        miss = np.maximum(np.maximum(low - values, values - high), 0.0) / fact.error_sd
        total += np.where(np.isfinite(values), miss**2, np.inf)
    return np.sqrt(total)


def nearest(table: pd.DataFrame, facts: Sequence[Fact], keep: float = KEEP,
            observed: dict[str, tuple[float, float]] | None = None) -> pd.DataFrame:
    """The ``keep`` share of rows nearest the data (ABC rejection), at least 10."""
    order = np.argsort(distances(table, facts, observed), kind="stable")
    return table.iloc[order[:count_kept(table, keep)]]


def leave_one_out(table: pd.DataFrame, facts: Sequence[Fact] | None = None, *,
                  keep: float = KEEP, seed: int = 1) -> pd.DataFrame:
    """Per target: refit without it, then predict it (columns of ``calibration.report``)."""
    facts = list(facts if facts is not None else targets())
    rows = []
    for left_out in facts:
        accepted = nearest(table, [f for f in facts if f is not left_out], keep)
        rows.append(coverage_table(accepted, [left_out], seed=seed).iloc[0])
    return pd.DataFrame(rows).reset_index(drop=True).assign(accepted=count_kept(table, keep))


def count_kept(table: pd.DataFrame, keep: float = KEEP) -> int:
    """Rows each rejection refit keeps."""
    return max(10, math.ceil(keep * len(table)))


def recovery(table: pd.DataFrame, facts: Sequence[Fact] | None = None, *, truths: int = 50,
             keep: float = KEEP, parameters: Sequence[str] = CALIBRATED,
             seed: int = 1) -> pd.DataFrame:
    """Per truth and parameter: the truth, the refit's 90 % interval, and whether it covers.

    The truths are rows whose parameters all lie in their priors' middle 80 % (so that an
    interval can lie on both sides); each truth's data are its own statistics plus one draw
    of every figure's observation error, and it is refitted on the other rows.
    """
    facts = list(facts if facts is not None else targets())
    priors = load_priors()
    rng = np.random.default_rng([seed, 202])
    inner = np.ones(len(table), bool)
    for p in parameters:
        low, high = priors[p].low, priors[p].high
        inner &= table[p].between(low + 0.1 * (high - low), high - 0.1 * (high - low))
    candidates = np.flatnonzero(inner.to_numpy())
    chosen = rng.choice(candidates, size=min(truths, len(candidates)), replace=False)
    rows = []
    for i in chosen:
        truth = table.iloc[i]
        observed = {}
        for f in facts:
            value = float(truth[f.name]) + rng.normal(0.0, f.error_sd)
            observed[f.name] = (value, value)
        accepted = nearest(table.drop(index=table.index[i]), facts, keep, observed)
        for p in parameters:
            lo, hi = np.quantile(accepted[p], [0.05, 0.95])
            low, high = priors[p].low, priors[p].high
            rows.append({"truth_row": int(i), "parameter": p, "truth": float(truth[p]),
                         "lo90": float(lo), "hi90": float(hi),
                         "covered": bool(lo <= truth[p] <= hi),
                         "width_share": float((hi - lo) / (high - low))})
    return pd.DataFrame(rows)


def recovery_summary(table: pd.DataFrame) -> pd.DataFrame:
    """Per parameter: coverage of the 90 % intervals and their mean width (share of prior)."""
    return (table.groupby("parameter", sort=False)
            .agg(coverage=("covered", "mean"), truths=("covered", "size"),
                 mean_width_share=("width_share", "mean"))
            .reset_index())
