"""What a calibration found: posterior summaries, the posterior predictive check, a pair plot.

- :func:`posterior_summary`: per parameter the weighted median, 90 % interval and contraction
  against the prior (1 - posterior variance / prior variance: 0 learned nothing, 1 pinned
  down).
- :func:`predictive_check`: parameter sets drawn from the posterior (by weight), each simulated
  with a fresh seed, plus each figure's observation error (normal, ``error_sd``): what the
  source would report if the model were right. Per figure the observed value (or range), the
  predictive 50 % and 90 % intervals, where the observation falls among the predictions
  (percentile) and whether it lies inside each interval (coverage; a range is inside when
  it overlaps the interval).
- :func:`holdout_table`: the same check for the figures the fit never saw, with their source.
- :func:`pair_plot`: the weighted posterior sample, pair by pair, with the prior ranges.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from catfish.calibration.data import Fact
from catfish.calibration.posterior import draw
from catfish.calibration.priors import Prior
from catfish.calibration.targets import SimulateMany, simulate_here

PPC_COLUMNS = ["target", "observed", "low", "high", "error_sd", "median", "lo50", "hi50",
               "lo90", "hi90", "percentile", "in50", "in90"]
HOLDOUT_COLUMNS = ["figure", "source", "quote", "observed", "low", "high", "error_sd", "median",
                   "lo90", "hi90", "percentile", "result"]
OBSERVATION_SALT = 17  # the observation errors' stream, apart from the runs' seeds


def weighted_quantiles(values: np.ndarray, weights: np.ndarray,
                       quantiles: Sequence[float]) -> np.ndarray:
    """Quantiles of a weighted sample (weights need not sum to one)."""
    order = np.argsort(values)
    values, weights = np.asarray(values, float)[order], np.asarray(weights, float)[order]
    cumulative = (np.cumsum(weights) - 0.5 * weights) / weights.sum()
    return np.interp(quantiles, cumulative, values)


def posterior_summary(posterior: pd.DataFrame, priors: Mapping[str, Prior]) -> pd.DataFrame:
    """Per parameter: prior range, posterior median and 90 % interval, contraction."""
    weights = posterior["weight"].to_numpy()
    rows = []
    for name in [c for c in posterior.columns if c != "weight"]:
        values = posterior[name].to_numpy()
        lo, median, hi = weighted_quantiles(values, weights, [0.05, 0.5, 0.95])
        mean = np.average(values, weights=weights)
        variance = np.average((values - mean) ** 2, weights=weights)
        prior = priors[name]
        prior_variance = (prior.high - prior.low) ** 2 / 12  # uniform
        rows.append({"parameter": name, "prior_low": prior.low, "prior_high": prior.high,
                     "median": median, "lo90": lo, "hi90": hi,
                     "contraction": 1 - variance / prior_variance})
    return pd.DataFrame(rows)


def predictive_check(posterior: pd.DataFrame, facts: Sequence[Fact], *, draws: int,
                     seed: int = 1, simulate_many: SimulateMany = simulate_here,
                     ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The posterior predictive check table, and the simulations behind it.

    Args:
        posterior: The posterior sample (a column per parameter, ``weight``).
        facts: The figures to predict.
        draws: Parameter sets drawn from the posterior by weight, each run once.
        seed: Seed of the draws; draw i runs with seed ``seed * 1_000_003 + i``.
        simulate_many: Where the runs go (default: this process; ``catfish calibrate``
            passes the experiment engine's).

    Returns:
        ``(table, simulations)``: the table has the columns ``PPC_COLUMNS`` (one row per
        target); ``simulations`` one row per draw, one column per target.
    """
    thetas = draw(posterior, draws, seed)
    seeds = [seed * 1_000_003 + i for i in range(draws)]
    simulations = pd.DataFrame(simulate_many(thetas, seeds, list(facts)))
    return coverage_table(simulations, facts, seed=seed), simulations


def coverage_table(simulations: pd.DataFrame, facts: Sequence[Fact], *,
                   seed: int = 1) -> pd.DataFrame:
    """Per figure: the predictive intervals (simulation plus observation error) and coverage."""
    rng = np.random.default_rng([seed, OBSERVATION_SALT])
    rows = []
    for fact in facts:
        low, high = fact.bounds
        row = {"target": fact.name, "observed": fact.observed, "low": low, "high": high,
               "error_sd": fact.error_sd}
        values = simulations[fact.name].to_numpy(float)
        values = values[np.isfinite(values)]
        if len(values) == 0:
            rows.append({**row, **dict.fromkeys(("median", "lo50", "hi50", "lo90", "hi90",
                                                 "percentile"), math.nan),
                         "in50": False, "in90": False})
            continue
        predicted = values + rng.normal(0.0, fact.error_sd, len(values))
        lo90, lo50, median, hi50, hi90 = np.quantile(predicted, [0.05, 0.25, 0.5, 0.75, 0.95])
        rows.append({**row, "median": median, "lo50": lo50, "hi50": hi50, "lo90": lo90,
                     "hi90": hi90,
                     "percentile": 100 * float(np.mean(predicted <= fact.observed)),
                     "in50": bool(low <= hi50 and high >= lo50),
                     "in90": bool(low <= hi90 and high >= lo90)})
    return pd.DataFrame(rows, columns=PPC_COLUMNS)


def holdout_table(coverage: pd.DataFrame, facts: Sequence[Fact]) -> pd.DataFrame:
    """The hold-outs' check as shipped: figure, source, observed, 90 % interval, hit or miss."""
    by_name = {f.name: f for f in facts}
    rows = []
    for row in coverage.itertuples(index=False):
        fact = by_name[row.target]
        rows.append({"figure": fact.name, "source": fact.source.file, "quote": fact.source.quote,
                     "observed": row.observed, "low": row.low, "high": row.high,
                     "error_sd": row.error_sd, "median": row.median, "lo90": row.lo90,
                     "hi90": row.hi90, "percentile": row.percentile,
                     "result": "hit" if row.in90 else "miss"})
    return pd.DataFrame(rows, columns=HOLDOUT_COLUMNS)


def pair_plot(posterior: pd.DataFrame, priors: Mapping[str, Prior], *, labels:
              Mapping[str, str] | None = None):
    """Scatter of every pair of parameters (dot size by weight), histograms on the diagonal."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [c for c in posterior.columns if c != "weight"]
    labels = labels or {}
    weights = posterior["weight"].to_numpy(float)
    size = 8 + 60 * weights / weights.max()
    n = len(names)
    fig, axes = plt.subplots(n, n, figsize=(2.4 * n, 2.4 * n), layout="constrained",
                             squeeze=False)
    for i, y in enumerate(names):
        for j, x in enumerate(names):
            ax = axes[i][j]
            if i == j:
                ax.hist(posterior[x], bins=20, weights=weights, range=priors[x].bounds,
                        color="#0072B2", alpha=0.8)
                ax.set_yticks([])
            elif i > j:
                ax.scatter(posterior[x], posterior[y], s=size, color="#0072B2", alpha=0.5)
                ax.set_xlim(priors[x].bounds)
                ax.set_ylim(priors[y].bounds)
            else:
                ax.set_visible(False)
            if i == n - 1:
                ax.set_xlabel(labels.get(x, x), fontsize=8)
            if j == 0 and i > 0:
                ax.set_ylabel(labels.get(y, y), fontsize=8)
            ax.tick_params(labelsize=7)
    return fig
