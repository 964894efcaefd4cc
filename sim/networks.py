"""Who sees whom: the peer network within each sector and the supply-chain ties.

Networks are built with numpy from a named random stream (never from global state) and kept
as ``scipy.sparse`` CSR matrices. A complete graph (mean field) is not materialised: the model
computes it from sector totals.
"""

from __future__ import annotations

from functools import reduce

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
    corrected for the firms whose values changed (cost proportional to changes x degree). With
    no adjacency (complete graph within sectors) sums come from sector totals. Values are
    counts, so incremental and full sums are exactly equal.

    Args:
        adjacency: Symmetric CSR adjacency, or ``None`` for a complete graph within sectors.
        sector: Sector index of each firm (used when ``adjacency`` is ``None``).
    """

    # above this share of changed firms a full product is cheaper than corrections
    FULL_RECOMPUTE_SHARE = 0.05

    def __init__(self, adjacency: sp.csr_matrix | None, sector: np.ndarray) -> None:
        self.adjacency = adjacency
        self.sector = sector
        self.n_sectors = int(sector.max()) + 1 if len(sector) else 0
        self._last: np.ndarray | None = None
        self._sums: np.ndarray | None = None  # one spare last row: see _padded_neighbours
        if adjacency is not None:
            self._neighbours = _padded_neighbours(adjacency)

    def __call__(self, values: np.ndarray) -> np.ndarray:
        """Sums over each firm's peers (the firm itself excluded).

        Args:
            values: ``(n_firms, k)`` array of counts.

        Returns:
            ``(n_firms, k)`` array; valid until the next call.
        """
        if self.adjacency is None:
            totals = np.stack([np.bincount(self.sector, weights=col, minlength=self.n_sectors)
                               for col in values.T], axis=1)
            return totals[self.sector] - values
        if self._last is None:
            return self._full(values)
        # rows that changed; OR-ing the k columns is several times faster than any(axis=1)
        changed = np.flatnonzero(reduce(np.logical_or, (values != self._last).T))
        if len(changed) > self.FULL_RECOMPUTE_SHARE * len(values):
            return self._full(values)
        if len(changed):
            neighbours = self._neighbours[changed]
            delta = np.repeat(values[changed] - self._last[changed], neighbours.shape[1], axis=0)
            np.add.at(self._sums, neighbours.ravel(), delta)
            self._last[changed] = values[changed]
        return self._sums[:-1]

    def _full(self, values: np.ndarray) -> np.ndarray:
        self._sums = np.zeros((len(values) + 1, values.shape[1]))
        self._sums[:-1] = self.adjacency @ values
        self._last = values.copy()
        return self._sums[:-1]


def _padded_neighbours(adjacency: sp.csr_matrix) -> np.ndarray:
    """Each firm's peers as a row of a rectangular array, padded with ``n_firms``.

    A gather from a rectangle is one indexing operation; the padding points at a spare row of
    the sums that nobody reads. Adjacency must be 0/1 (the peer networks are).
    """
    n = adjacency.shape[0]
    degree = np.diff(adjacency.indptr)
    padded = np.full((n, int(degree.max(initial=0))), n, dtype=np.int64)
    rows = np.repeat(np.arange(n), degree)
    padded[rows, np.arange(adjacency.nnz) - adjacency.indptr[rows]] = adjacency.indices
    return padded
