"""Who sees whom: the peer network within each sector and the supply-chain ties.

Networks are built with numpy from a named random stream (never from global state) and kept
as ``scipy.sparse`` CSR matrices. A complete graph (mean field) is not materialised: the model
computes it from sector totals.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from agents.jit import compiled


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
        members = rng.permutation(np.nonzero(sector == s)[0])
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
    return _symmetric_csr(np.concatenate(rows), np.concatenate(cols), n)


def _symmetric_csr(rows: np.ndarray, cols: np.ndarray, n: int) -> sp.csr_matrix:
    """0/1 CSR matrix with a link both ways for each (row, col) pair, duplicates counted once.

    Built directly (sorted unique keys, then row pointers): several times faster than going
    through COO and adding the transpose, which matters when thousands of models are built.
    """
    keys = np.sort(np.concatenate([rows * n + cols, cols * n + rows]))
    keys = keys[np.concatenate([[True], keys[1:] != keys[:-1]])]
    indices = (keys % n).astype(np.int32)
    indptr = np.zeros(n + 1, dtype=np.int32)
    np.cumsum(np.bincount(keys // n, minlength=n), out=indptr[1:])
    return sp.csr_matrix((np.ones(len(keys)), indices, indptr), shape=(n, n))


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
        pool = np.nonzero(sector == s)[0]
        taken = np.concatenate(rows) if rows else np.empty(0, dtype=np.int64)
        pool = np.setdiff1d(pool, taken, assume_unique=True)
        chosen = rng.choice(pool, size=min(suppliers_per_lead, len(pool)), replace=False)
        rows.append(chosen)
        cols.append(np.full(len(chosen), lead))
    r = np.concatenate(rows) if rows else np.empty(0, dtype=np.int64)
    c = np.concatenate(cols) if cols else np.empty(0, dtype=np.int64)
    return sp.csr_matrix((np.ones(len(r)), (r, c)), shape=(n, len(lead_sector)))


class PeerSums:
    """Sums of per-firm quantities over each firm's peers, kept up to date incrementally.

    A month changes few firms, so instead of a full sparse product each month the sums are
    corrected for the firms whose values changed (cost proportional to changes x degree), in
    one compiled pass over the firms. With no adjacency (complete graph within sectors) sums
    come from sector totals. Values are counts, so incremental and full sums are exactly equal.

    Args:
        adjacency: Symmetric CSR adjacency, or ``None`` for a complete graph within sectors.
        sector: Sector index of each firm (used when ``adjacency`` is ``None``).
    """

    def __init__(self, adjacency: sp.csr_matrix | None, sector: np.ndarray) -> None:
        self.adjacency = adjacency
        self.sector = sector
        self.n_sectors = int(sector.max()) + 1 if len(sector) else 0
        self._last: np.ndarray | None = None
        self._sums: np.ndarray | None = None

    def __call__(self, values: np.ndarray) -> np.ndarray:
        """Sums over each firm's peers (the firm itself excluded).

        Args:
            values: ``(n_firms, k)`` array of counts.

        Returns:
            ``(n_firms, k)`` array; valid until the next call.
        """
        if self.adjacency is None:
            return _sector_sums_of_others(values, self.sector, self.n_sectors)
        a = self.adjacency
        if self._last is None:
            self._last = values.copy()
            self._sums = _neighbour_sums(a.indptr, a.indices, values)
        else:
            _correct_sums(a.indptr, a.indices, values, self._last, self._sums)
        return self._sums


@compiled
def _neighbour_sums(indptr: np.ndarray, indices: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Each firm's sum of its neighbours' values (adjacency 0/1, as the peer networks are)."""
    sums = np.zeros(values.shape)
    for i in range(len(indptr) - 1):
        for j in indices[indptr[i]:indptr[i + 1]]:
            sums[i] += values[j]
    return sums


@compiled
def _correct_sums(indptr: np.ndarray, indices: np.ndarray, values: np.ndarray,
                  last: np.ndarray, sums: np.ndarray) -> None:
    """Add each changed firm's change to its neighbours' sums; remember the new values."""
    for i in range(len(values)):
        for k in range(values.shape[1]):
            if values[i, k] != last[i, k]:
                change = values[i, k] - last[i, k]
                for j in indices[indptr[i]:indptr[i + 1]]:
                    sums[j, k] += change
                last[i, k] = values[i, k]


@compiled
def _sector_sums_of_others(values: np.ndarray, sector: np.ndarray,
                           n_sectors: int) -> np.ndarray:
    """Complete graphs within sectors: each firm's sector total minus its own value."""
    totals = np.zeros((n_sectors, values.shape[1]))
    for i in range(len(values)):  # in firm order, as np.bincount adds them
        totals[sector[i]] += values[i]
    return totals[sector] - values
