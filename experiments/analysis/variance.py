"""Which parameters drive the gap between two mixes: variance shares by given-data RBD-FAST.

The gap is a paired difference per world (a mix's objective minus the best mix's). A
parameter's *share* is its first-order sensitivity index: the part of the gap's variance that
knowing the parameter alone would remove, Var(E[gap | parameter]) / Var(gap). Because the
worlds are a random sample rather than a designed one, the estimator is RBD-FAST applied to
given data: sort the worlds by the parameter, fold the order so it runs up and back down, and
read the variance at the first ``harmonics`` Fourier frequencies (Plischke 2010, "An effective
algorithm for computing global sensitivity indices (EASI)", Reliability Engineering & System
Safety 95:354-360), with Tissot & Prieur's (2012, RESS 107:205-213) bias correction, as
implemented by ``SALib.analyze.rbd_fast``.

First-order shares need not add up to 1: what is left is interactions between parameters and
run noise (the part of the gap no parameter explains). After the bias correction a parameter
with no effect scores about 0, sometimes slightly below.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from catfish.experiments.analysis.robustness import (
    Objective,
    get_objective,
    mixes,
    objective_values,
    world_table,
)
from SALib.analyze import rbd_fast

HARMONICS = 10   # SALib's default M: frequencies summed as the parameter's signal
RESAMPLES = 100  # bootstrap resamples for the confidence half-width
SEED = 0         # the bootstrap's stream: same tables, same confidence half-widths


def variance_shares(worlds: pd.DataFrame, diff: pd.Series | np.ndarray, *, level: float = 0.95,
                    harmonics: int = HARMONICS, resamples: int = RESAMPLES,
                    seed: int = SEED) -> pd.DataFrame:
    """Each parameter's first-order share of the variance of ``diff`` across worlds.

    Args:
        worlds: one row per world, one float column per parameter.
        diff: one value per world; a Series is matched to ``worlds`` by index, an array by
            position. Worlds where it is not finite (a cost per firm with no firm) are left out.
        level: confidence level of ``share_conf``.
        harmonics: Fourier frequencies read as the parameter's signal (SALib's M).
        resamples: bootstrap resamples for ``share_conf``.
        seed: seed of the bootstrap.

    Returns:
        Columns parameter, share, share_conf (bootstrap half-width of the ``level`` interval),
        n_worlds (worlds used), largest share first. A parameter that does not vary has share 0;
        shares are NaN when the gap does not vary or fewer than 4*harmonics + 2 worlds remain
        (SALib's bootstrap analyses half the worlds, and its bias correction divides by zero
        when that half has only 2*harmonics of them).
    """
    gap = diff.reindex(worlds.index) if isinstance(diff, pd.Series) else pd.Series(
        np.asarray(diff, dtype=float), index=worlds.index)
    if len(gap) != len(worlds):
        raise ValueError(f"{len(gap)} differences for {len(worlds)} worlds")
    y = gap.to_numpy(dtype=float)
    keep = np.isfinite(y)
    x, y = worlds.to_numpy(dtype=float)[keep], y[keep]
    names = [str(c) for c in worlds.columns]
    share = np.full(len(names), math.nan)
    conf = np.full(len(names), math.nan)
    if len(y) >= 4 * harmonics + 2 and np.ptp(y) > 0:
        varies = np.ptp(x, axis=0) > 0
        share[~varies], conf[~varies] = 0.0, 0.0  # a fixed parameter explains nothing
        if varies.any():
            cols = np.flatnonzero(varies)
            problem = {"num_vars": len(cols), "names": [names[j] for j in cols]}
            # a bootstrap resample of a gap that is nearly always 0 can be all 0: a 0/0 that
            # SALib turns into NaN (then share_conf is NaN), which is the honest answer
            with np.errstate(divide="ignore", invalid="ignore"):
                result = rbd_fast.analyze(problem, x[:, cols], y, M=harmonics,
                                          num_resamples=resamples, conf_level=level, seed=seed)
            share[cols] = result["S1"]
            conf[cols] = result["S1_conf"]
    table = pd.DataFrame({"parameter": names, "share": share, "share_conf": conf,
                          "n_worlds": int(keep.sum())})
    return table.sort_values("share", ascending=False, kind="stable",
                             na_position="last").reset_index(drop=True)


def variance_share_table(runs: pd.DataFrame, worlds: pd.DataFrame, objective: str | Objective,
                         best: str, **options) -> pd.DataFrame:
    """Variance shares of each mix's gap to ``best``: the mix's objective minus best's, per world.

    Columns: mix, parameter, share, share_conf, n_worlds, one block of rows per mix other than
    ``best`` in the runs' order, each block largest share first. ``options`` go to
    :func:`variance_shares`.
    """
    values = objective_values(runs, get_objective(objective))
    if best not in values.columns:
        raise ValueError(f"best mix {best!r} is not among the runs' mixes {mixes(runs)}")
    x = world_table(worlds, values.index)
    blocks = []
    for mix in values.columns:
        if mix == best:
            continue
        with np.errstate(invalid="ignore"):  # inf - inf: both mixes without firms, left out
            gap = values[mix] - values[best]
        blocks.append(variance_shares(x, gap, **options).assign(mix=mix))
    if not blocks:
        return pd.DataFrame(columns=["mix", "parameter", "share", "share_conf", "n_worlds"])
    table = pd.concat(blocks, ignore_index=True)
    return table[["mix", "parameter", "share", "share_conf", "n_worlds"]]
