"""What is it worth to learn a parameter before choosing a mix? EVPPI per parameter.

The expected value of perfect partial information about a parameter is how much better, on
average, the choice of mix would be if the parameter were known before choosing:
E_theta[max_mix E(U | theta)] - max_mix E(U), in the objective's unit (for a minimised
objective, the expected reduction). It is estimated from the worlds already run, without new
runs, by Strong & Oakley's (2013) binning: "An efficient method for computing single-parameter
partial expected value of perfect information", Medical Decision Making 33(6):755-766. Sort the
worlds by the parameter, cut them into K bins of equal size, take each mix's mean in each bin,
the best mix's mean per bin, average over bins, and subtract the best overall mean.

Bias. With one noisy run per world, a bin's means carry noise, and the maximum of noisy means
overstates the maximum of the true ones: the plain estimator credits even an irrelevant
parameter with up to sd/sqrt(2 pi n/K), sd being the spread of the difference between
mixes within a bin (0.05 in the closed-form test, against a true value of 0). We remove this
by cross-fitting: each bin is split into two halves by alternate rank, the mix is chosen on one
half and scored on the other (and the other way round), and the same is done for the choice
without information. The choice never sees the noise it is scored on, so noise cannot make a
parameter look informative; the estimate is then, if anything, slightly low (a choice made on
half a bin is sometimes wrong; and when the mixes tie on average, the choice without
information is made on the same worlds' parameters, which costs about sd/sqrt(2 pi n): 0.007
in the closed-form test, under one standard error). It is a mean over worlds, which gives its
standard error (which ignores the noise of the choices themselves, so it is somewhat small for
a parameter worth nothing). We report it floored at 0 as ``value``, and the plain Strong &
Oakley estimate as ``value_plain``.

K. About sqrt(n) bins of about sqrt(n) worlds each: both grow with n, so the resolution lost
inside a bin and the noise of a bin's means both vanish as worlds are added. This is our choice,
not the paper's prescription; with cross-fitting, more bins no longer inflate the estimate, they
only make each bin's choice noisier.

Total EVPI (every parameter at once) is not estimated: with one run per world and mix, the best
mix in a world is picked on run noise as well as on the parameters, so the per-world maximum
would count luck as information.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from catfish.experiments.analysis.robustness import (
    Objective,
    capped,
    get_objective,
    objective_values,
    oriented,
    world_table,
)

MIN_PER_BIN = 4  # two worlds in each half of a bin


def default_bins(n: int) -> int:
    """About sqrt(n) bins, each with at least MIN_PER_BIN worlds (0 when n is too small)."""
    return min(int(math.sqrt(n)), n // MIN_PER_BIN)


def _bin_means(utility: np.ndarray, bins: np.ndarray, k: int) -> np.ndarray:
    """K x decisions matrix of mean utility in each bin (NaN for an empty bin)."""
    sums = np.zeros((k, utility.shape[1]))
    np.add.at(sums, bins, utility)
    counts = np.bincount(bins, minlength=k)[:, None]
    with np.errstate(invalid="ignore", divide="ignore"):
        return sums / counts


def evppi_estimate(x: np.ndarray, utility: np.ndarray,
                   bins: int | None = None) -> tuple[float, float, float]:
    """EVPPI of one parameter from worlds: (cross-fitted value, its standard error, plain value).

    Args:
        x: the parameter's value in each of n worlds.
        utility: n x decisions outcomes, more is better (turn a cost's sign first).
        bins: number of bins K; :func:`default_bins` by default.

    Raises:
        ValueError: more bins than n / MIN_PER_BIN.

    Returns:
        The cross-fitted estimate (not floored), its standard error as a mean over worlds
        (ignoring the noise of the choices themselves), and Strong & Oakley's plain estimate.
        All 0 for a parameter that does not vary; NaN for fewer than 2 * MIN_PER_BIN worlds.
    """
    x = np.asarray(x, dtype=float)
    u = np.asarray(utility, dtype=float)
    n = len(x)
    k = bins if bins is not None else default_bins(n)
    if k < 2 or n < 2 * MIN_PER_BIN:
        return math.nan, math.nan, math.nan
    if k > n // MIN_PER_BIN:
        raise ValueError(f"bins = {k}: at most {n // MIN_PER_BIN} for {n} worlds "
                         f"({MIN_PER_BIN} worlds a bin)")
    if np.ptp(x) == 0:
        return 0.0, 0.0, 0.0  # nothing to learn from a parameter that never varies
    rank = np.empty(n, dtype=int)
    rank[np.argsort(x, kind="stable")] = np.arange(n)
    bin_of = rank * k // n  # equal-sized bins, sizes differing by at most one
    half = rank % 2         # alternate ranks: both halves span the whole bin
    plain = float(np.mean(np.nanmax(_bin_means(u, bin_of, k), axis=1)[bin_of])
                  - u.mean(axis=0).max())
    gain = np.empty(n)
    for h in (0, 1):
        fit, score = half == h, half != h
        chosen = np.argmax(_bin_means(u[fit], bin_of[fit], k), axis=1)  # per bin
        default = np.argmax(u[fit].mean(axis=0))                          # without information
        rows = np.flatnonzero(score)
        gain[rows] = u[rows, chosen[bin_of[rows]]] - u[rows, default]
    return float(gain.mean()), float(gain.std(ddof=1) / math.sqrt(n)), plain


def evppi(worlds: pd.DataFrame, runs: pd.DataFrame, objective: str | Objective, *,
          bins: int | None = None) -> pd.DataFrame:
    """EVPPI of every parameter for the choice among the runs' mixes, largest first.

    Args:
        worlds: one row per replicate (index or ``replicate`` column), one column per parameter.
        runs: one row per (mix, replicate).
        objective: the objective the choice optimises; a world without firms counts at the
            worst finite cost per firm seen (see ``robustness.capped``).
        bins: number of bins; :func:`default_bins` of the number of worlds by default.

    Returns:
        Columns parameter, value (cross-fitted EVPPI floored at 0, in the objective's unit),
        value_se (its standard error before flooring), value_plain (Strong & Oakley's estimate,
        biased upward by run noise), bins, n_worlds.
    """
    obj = get_objective(objective)
    values = objective_values(runs, obj)
    x = world_table(worlds, values.index)
    utility = oriented(capped(values), obj)
    k = bins if bins is not None else default_bins(len(values))
    rows = []
    for name in x.columns:
        value, se, plain = evppi_estimate(x[name].to_numpy(), utility, k)
        floored = value if math.isnan(value) else max(value, 0.0)
        rows.append({"parameter": str(name), "value": floored,
                     "value_se": se, "value_plain": plain, "bins": k, "n_worlds": len(values)})
    table = pd.DataFrame(rows, columns=["parameter", "value", "value_se", "value_plain", "bins",
                                        "n_worlds"])
    return table.sort_values(["value", "value_plain"], ascending=False, kind="stable",
                             na_position="last").reset_index(drop=True)
