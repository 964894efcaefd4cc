"""Statistics over replicates: pure functions of arrays, no model and no files.

Intervals describe two different things and are named accordingly: a *percentile interval*
says where single runs fall (the spread of outcomes an analyst should expect), a *confidence
interval* says how precisely the replicates pin down a mean or a probability.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from scipy import stats

ArrayLike = Sequence[float] | np.ndarray


def _values(values: ArrayLike) -> np.ndarray:
    return np.asarray(values, dtype=float)


def mean(values: ArrayLike) -> float:
    """Mean of ``values``; NaN when there are none."""
    x = _values(values)
    return float(x.mean()) if len(x) else math.nan


def percentile_interval(values: ArrayLike, level: float = 0.90) -> tuple[float, float]:
    """Central percentile interval: where a share ``level`` of single runs fall.

    With ``level=0.90`` this is the 5th and 95th percentiles (numpy's default linear
    interpolation between order statistics). NaN for no values.
    """
    x = _values(values)
    if not len(x):
        return math.nan, math.nan
    tail = (1 - level) / 2 * 100
    lo, hi = np.percentile(x, [tail, 100 - tail])
    return float(lo), float(hi)


def wilson_interval(successes: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of a probability from ``successes`` out of ``n`` trials.

    Unlike the normal (Wald) interval it stays inside [0, 1] and does not collapse to a point
    when every replicate, or none, meets the target. NaN for ``n = 0``.
    """
    if n <= 0:
        return math.nan, math.nan
    if not 0 <= successes <= n:
        raise ValueError(f"successes = {successes}: must be between 0 and n = {n}")
    z = stats.norm.ppf(1 - (1 - level) / 2)
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    # at 0 or n successes the exact bound is 0 or 1; say so rather than 1e-17
    lo = 0.0 if successes == 0 else max(0.0, centre - half)
    hi = 1.0 if successes == n else min(1.0, centre + half)
    return lo, hi


def t_interval(values: ArrayLike, level: float = 0.95) -> tuple[float, float, float]:
    """Mean of ``values`` with its Student-t confidence interval: (mean, low, high).

    Applied to per-replicate paired differences this is the paired-difference interval. With
    fewer than two values the interval is NaN; with no spread it is the mean itself.
    """
    x = _values(values)
    m = mean(x)
    if len(x) < 2:
        return m, math.nan, math.nan
    se = float(x.std(ddof=1)) / math.sqrt(len(x))
    half = float(stats.t.ppf(1 - (1 - level) / 2, len(x) - 1)) * se
    return m, m - half, m + half


def paired_difference(a: ArrayLike, b: ArrayLike,
                      level: float = 0.95) -> tuple[float, float, float]:
    """Mean of ``a - b`` replicate by replicate, with its t interval: (mean, low, high).

    ``a[r]`` and ``b[r]`` must come from the same replicate (the same seed).
    """
    x, y = _values(a), _values(b)
    if x.shape != y.shape:
        raise ValueError(f"paired values differ in length: {len(x)} and {len(y)}")
    return t_interval(x - y, level)


def welch_difference(a: ArrayLike, b: ArrayLike,
                     level: float = 0.95) -> tuple[float, float, float]:
    """Mean of ``a`` minus mean of ``b`` with Welch's (unpaired) t interval: (diff, low, high).

    What the interval would be if the two mixes had been run on independent seeds; kept to
    show how much common random numbers gain. NaN interval with fewer than two of either.
    """
    x, y = _values(a), _values(b)
    diff = mean(x) - mean(y)
    if len(x) < 2 or len(y) < 2:
        return diff, math.nan, math.nan
    vx, vy = x.var(ddof=1) / len(x), y.var(ddof=1) / len(y)
    se = math.sqrt(vx + vy)
    if se == 0:
        return diff, diff, diff
    dof = (vx + vy) ** 2 / (vx**2 / (len(x) - 1) + vy**2 / (len(y) - 1))
    half = float(stats.t.ppf(1 - (1 - level) / 2, dof)) * se
    return diff, diff - half, diff + half


def ratio_of_means(numerator: ArrayLike, denominator: ArrayLike) -> float:
    """mean(numerator) / mean(denominator), e.g. cost per transformed firm; NaN if that is 0.

    A ratio of means, not a mean of ratios: runs with few transformed firms do not dominate.
    """
    d = mean(denominator)
    return mean(numerator) / d if d else math.nan


def cost_per_additional(spend: ArrayLike, spend_base: ArrayLike, effect: ArrayLike,
                        effect_base: ArrayLike) -> float:
    """Extra money per extra outcome against a reference, paired by replicate.

    mean(spend - spend_base) / mean(effect - effect_base). NaN when the mix adds nothing
    (a mean difference of zero or less): there is no cost per *additional* firm then.
    """
    extra_effect = mean(_values(effect) - _values(effect_base))
    if not extra_effect > 0:
        return math.nan
    return mean(_values(spend) - _values(spend_base)) / extra_effect


def median_where_reached(months: ArrayLike) -> tuple[float, float]:
    """(median over the runs that reached a goal, share of runs that reached it).

    ``months`` holds the month each run reached the goal, NaN for runs that never did.
    """
    x = _values(months)
    if not len(x):
        return math.nan, math.nan
    reached = x[np.isfinite(x)]
    return (float(np.median(reached)) if len(reached) else math.nan), len(reached) / len(x)
