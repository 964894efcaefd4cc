"""Starting states: a sector whose firms begin the run where an earlier pilot left them.

``ModelParams.start_shares`` gives, for named sectors, the share of the sector's firms in each
*resting* state at the start (unaware, willing, transformed, failed, lapsed; ``deep``: the part
of the transformed holding a deep project). A running project or a place in a provider's queue
cannot be a starting state: it would need a provider, a stage and a failure hazard. Where a
starting state is the end of another run, :func:`end_shares` maps queued firms and firms in a
first project to *willing*: they had decided to transform, and the new run lets them decide
again with its own support and providers.

Firms of the sector are put in their states at random, in exact numbers (the shares times the
sector's firms, rounded so the numbers add up), from their own stream ``start_state``, which
is drawn only when a starting state is given: scenarios without one see the draws they always
saw. A firm transformed at the start holds an accepted project as if it had just completed
one: a realised gain drawn as acceptance lets gains through, the process cut, unit cost and
quality that gain gives (:func:`sim.projects.realised_effects`), one success that peers see.
It counts among the transformed (``n_transformed``) but not toward this run's target
(``n_counted`` counts the firms whose acceptance the run's city made, ``SMEArrays.counted``)
unless a project of this run is accepted (a deep upgrade, or a new project after a lapse).
Failed and lapsed firms failed or lapsed just before the start: one failure (lapsed: one
success) seen by peers, and their cooldown runs from month 0.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np
from catfish.agents.sme import (
    DEEP,
    FAILED,
    IN_PROJECT,
    LAPSED,
    LIGHT,
    QUEUED,
    STATE_NAMES,
    TRANSFORMED,
    UNAWARE,
    WILLING,
)
from catfish.sim.market import competitiveness
from catfish.sim.projects import realised_effects, realised_gains
from scipy.special import ndtr

if TYPE_CHECKING:
    from catfish.sim.params import ModelParams
    from catfish.sim.population import SMEArrays

RESTING = (UNAWARE, WILLING, TRANSFORMED, FAILED, LAPSED)
RESTING_NAMES = tuple(STATE_NAMES[s] for s in RESTING)
DEEP_KEY = "deep"  # of the sector's firms, the share transformed with a deep project
SHARE_KEYS = (*RESTING_NAMES, DEEP_KEY)
_TOLERANCE = 1e-9  # shares computed as counts / firms may sum to 1 plus rounding


def share_problem(shares: Mapping[str, float]) -> str | None:
    """What is wrong with one sector's starting shares (``what = value: rule``), or None."""
    for key, value in shares.items():
        if key not in SHARE_KEYS:
            return (f"{key!r} is not a starting state (allowed: {', '.join(SHARE_KEYS)}; "
                    f"running projects and queues cannot be stated)")
        if not 0 <= value <= 1:
            return f"{key} = {value!r}: must be between 0 and 1"
    total = sum(shares.get(name, 0.0) for name in RESTING_NAMES)
    if total > 1 + _TOLERANCE:
        return f"shares sum to {total:g}: must sum to at most 1 (the rest start unaware)"
    if shares.get(DEEP_KEY, 0.0) > shares.get("transformed", 0.0) + _TOLERANCE:
        return (f"deep = {shares[DEEP_KEY]!r}: must be at most transformed "
                f"({shares.get('transformed', 0.0)!r}), of which it is a part")
    return None


def start_counts(shares: Mapping[str, float], n: int) -> dict[str, int]:
    """Firms of a sector of ``n`` in each starting state: shares times ``n``, adding up.

    The cumulative shares are rounded, so every number is within one firm of its share and
    they never add up to more than ``n``; the rest start unaware.
    """
    order = ("transformed", "failed", "lapsed", "willing")
    bounds = np.minimum(np.round(np.cumsum([shares.get(k, 0.0) for k in order]) * n), n)
    numbers = np.diff(bounds, prepend=0).astype(int)
    counts = dict(zip(order, numbers.tolist(), strict=True))
    counts[DEEP_KEY] = min(int(round(shares.get(DEEP_KEY, 0.0) * n)), counts["transformed"])
    counts["unaware"] = n - int(bounds[-1])
    return counts


def accepted_gain(p: ModelParams, u: np.ndarray) -> np.ndarray:
    """Realised gains of accepted projects from uniforms ``u``.

    The lognormal of ``sim.projects`` (mean 1, sigma ``realised_gain_sd``) above the
    parameters' ``verified_gain_min``: the gains acceptance lets through.
    """
    sigma = p.realised_gain_sd
    if sigma == 0:
        return np.ones(len(u))
    low = 0.0 if p.verified_gain_min <= 0 or not p.acceptance_on \
        else float(ndtr((np.log(p.verified_gain_min) + sigma**2 / 2) / sigma))
    return realised_gains(low + u * (1 - low), sigma)


def apply_start_shares(p: ModelParams, smes: SMEArrays, rng: np.random.Generator) -> None:
    """Put the firms of each sector named in ``p.start_shares`` in their starting states.

    Sectors are taken in the order of ``p.sector_names``; the sector's firms are shuffled once
    and dealt out: deep-transformed, light-transformed, failed, lapsed, willing, and the rest
    unaware (a stated starting state replaces ``initial_willing_share`` in its sector).
    """
    for k, name in enumerate(p.sector_names):
        shares = p.start_shares.get(name)
        if shares is None:
            continue
        firms = rng.permutation(np.flatnonzero(smes.sector == k))
        counts = start_counts(shares, len(firms))
        smes.state[firms] = UNAWARE
        edges = np.cumsum([0, counts["transformed"], counts["failed"], counts["lapsed"],
                           counts["willing"]])
        transformed, failed, lapsed, willing = (firms[a:b] for a, b in zip(edges[:-1], edges[1:],
                                                                           strict=True))
        _transform(p, smes, transformed, counts[DEEP_KEY], rng)
        smes.state[failed] = FAILED
        smes.failures[failed] = 1
        smes.state[lapsed] = LAPSED
        smes.successes[lapsed] = 1
        smes.state[willing] = WILLING
        smes.since[firms] = 0  # accepted, failed or lapsed in the month before the start


def _transform(p: ModelParams, smes: SMEArrays, firms: np.ndarray, n_deep: int,
               rng: np.random.Generator) -> None:
    kind = np.where(np.arange(len(firms)) < n_deep, DEEP, LIGHT).astype(np.int8)
    gain = accepted_gain(p, rng.random(len(firms)))
    process_cut, unit_cost, quality = realised_effects(p, kind, gain)
    smes.state[firms] = TRANSFORMED
    smes.level[firms] = kind
    smes.successes[firms] = 1
    smes.counted[firms] = False  # accepted before this run: not an acceptance of its pilot
    smes.process_cut[firms] = process_cut
    smes.unit_cost[firms] = unit_cost
    smes.quality[firms] = quality
    smes.weight[firms] = competitiveness(smes.base_revenue[firms], unit_cost, quality,
                                         p.cost_sensitivity, p.quality_sensitivity)


def end_shares(state: np.ndarray, level: np.ndarray, sector: np.ndarray,
               k: int) -> dict[str, float]:
    """Starting shares for a sector from another run's end state in its sector ``k``.

    Queued firms and firms in a first project count as willing (see the module's note); a
    transformed firm upgrading to deep stays transformed at its light level.

    Args:
        state: The run's ``smes.state`` at its end.
        level: Its ``smes.level``.
        sector: Its ``smes.sector``.
        k: The sector whose end state is taken.

    Returns:
        Shares of the sector's firms (``SHARE_KEYS``); empty if the sector has no firms.
    """
    mine = sector == k
    n = int(np.count_nonzero(mine))
    if n == 0:
        return {}
    counts = np.bincount(state[mine], minlength=len(STATE_NAMES))
    counts[WILLING] += counts[QUEUED] + counts[IN_PROJECT]
    shares = {STATE_NAMES[s]: float(counts[s] / n) for s in RESTING}
    shares[DEEP_KEY] = float(np.count_nonzero((state[mine] == TRANSFORMED)
                                              & (level[mine] == DEEP)) / n)
    return shares
