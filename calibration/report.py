"""What a calibration found: posterior summaries, the posterior predictive check, a pair plot.

- :func:`posterior_summary`: per parameter the weighted median, 90 % interval and contraction
  against the prior (1 - posterior variance / prior variance: 0 learned nothing, 1 pinned
  down).
- :func:`predictive_check`: parameter sets drawn from the posterior (by weight), each simulated
  with a fresh seed; per target the observed value, the predictive 90 % interval, where the
  observation falls among the simulations (percentile), and whether the predictive median is
  within the target's tolerance (of its range).
- :func:`pair_plot`: the weighted posterior sample, pair by pair, with the prior ranges.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context

import numpy as np
import pandas as pd

from calibration.data import Fact
from calibration.posterior import draw
from calibration.priors import Prior
from calibration.targets import simulate

PPC_COLUMNS = ["target", "observed", "lo90", "hi90", "percentile", "within_tolerance"]


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
                     seed: int = 1, workers: int = 1) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The posterior predictive check table, and the simulations behind it.

    Returns:
        ``(table, simulations)``: the table has the columns ``PPC_COLUMNS`` (one row per
        target); ``simulations`` one row per draw, one column per target.
    """
    thetas = draw(posterior, draws, seed)
    seeds = [seed * 1_000_003 + i for i in range(draws)]
    jobs = [(theta, s, list(facts)) for theta, s in zip(thetas, seeds, strict=True)]
    if workers > 1:
        with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
            results = list(pool.map(_simulate, jobs))
    else:
        results = [_simulate(job) for job in jobs]
    simulations = pd.DataFrame(results)
    rows = []
    for fact in facts:
        values = simulations[fact.name].to_numpy(float)
        values = values[np.isfinite(values)]
        if len(values) == 0:
            rows.append({"target": fact.name, "observed": fact.observed, "lo90": math.nan,
                         "hi90": math.nan, "percentile": math.nan, "within_tolerance": False})
            continue
        lo, median, hi = np.quantile(values, [0.05, 0.5, 0.95])
        low, high = fact.bounds
        miss = max(low - median, median - high, 0.0) / fact.tolerance
        rows.append({"target": fact.name, "observed": fact.observed, "lo90": lo, "hi90": hi,
                     "percentile": 100 * float(np.mean(values <= fact.observed)),
                     "within_tolerance": bool(miss <= 1.0)})
    return pd.DataFrame(rows, columns=PPC_COLUMNS), simulations


def _simulate(job: tuple[dict[str, float], int, list[Fact]]) -> dict[str, float]:
    theta, seed, facts = job
    return simulate(theta, seed, facts)


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
