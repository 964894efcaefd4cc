"""Who sees whom: the peer network within each sector and the supply-chain ties.

Networks are built with numpy from a named random stream (never from global state) and kept
as ``scipy.sparse`` CSR matrices. A complete graph (mean field) is not materialised: the model
computes it from sector totals.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp


def small_world(sector: np.ndarray, mean_degree: int, rewire_prob: float,
                rng: np.random.Generator) -> sp.csr_matrix:
    """Watts-Strogatz graphs, one per sector, as one symmetric 0/1 adjacency matrix.

    Each sector's firms sit on a ring in random order and link to their ``mean_degree / 2``
    nearest neighbours on each side; each link is rewired to a random firm of the same sector
    with probability ``rewire_prob``. Self-links and duplicate links are dropped.

    Args:
        sector: Sector index of each firm.
        mean_degree: Links per firm before rewiring (rounded down to an even number and
            capped at the sector size minus one).
        rewire_prob: Probability of rewiring each link.
        rng: Random stream.

    Returns:
        ``n x n`` CSR matrix with ones where two firms are peers.
    """
    n = len(sector)
    rows, cols = [], []
    for s in np.unique(sector):
        members = rng.permutation(np.flatnonzero(sector == s))
        m = len(members)
        half = min(mean_degree, m - 1) // 2
        if half < 1:
            continue
        pos = np.repeat(np.arange(m), half)
        offsets = np.tile(np.arange(1, half + 1), m)
        target = (pos + offsets) % m
        rewire = rng.random(len(pos)) < rewire_prob
        target[rewire] = rng.integers(0, m, int(rewire.sum()))
        keep = target != pos
        rows.append(members[pos[keep]])
        cols.append(members[target[keep]])
    if not rows:
        return sp.csr_matrix((n, n), dtype=np.float64)
    r, c = np.concatenate(rows), np.concatenate(cols)
    adj = sp.coo_matrix((np.ones(len(r)), (r, c)), shape=(n, n)).tocsr()
    adj = adj + adj.T
    adj.data[:] = 1.0  # duplicates from rewiring count once
    return adj


def supply_chain(sector: np.ndarray, lead_sector: np.ndarray, suppliers_per_lead: int,
                 rng: np.random.Generator) -> sp.csr_matrix:
    """Supplier ties: each lead firm gets up to ``suppliers_per_lead`` SMEs of its sector.

    A firm supplies at most one lead firm.

    Returns:
        ``n_smes x n_leads`` CSR matrix with a one where an SME supplies a lead firm.
    """
    n = len(sector)
    rows, cols = [], []
    for lead, s in enumerate(lead_sector):
        pool = np.flatnonzero(sector == s)
        taken = np.concatenate(rows) if rows else np.empty(0, dtype=np.int64)
        pool = np.setdiff1d(pool, taken, assume_unique=True)
        chosen = rng.choice(pool, size=min(suppliers_per_lead, len(pool)), replace=False)
        rows.append(chosen)
        cols.append(np.full(len(chosen), lead))
    r = np.concatenate(rows) if rows else np.empty(0, dtype=np.int64)
    c = np.concatenate(cols) if cols else np.empty(0, dtype=np.int64)
    return sp.csr_matrix((np.ones(len(r)), (r, c)), shape=(n, len(lead_sector)))
