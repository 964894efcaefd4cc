"""Who sees whom: the peer network within each sector and the supply-chain ties.

Networks are built with numpy from a named random stream (never from global state) as the
arrays of a CSR matrix (:class:`Links`), which the model's compiled code reads; the
``scipy.sparse`` matrix is made when someone asks for it. A complete graph (mean field) is not
materialised: the model computes it from sector totals.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import scipy.sparse as sp
from catfish.agents.jit import compiled


class Links(NamedTuple):
    """A 0/1 sparse matrix as the arrays of its CSR form (row pointers, column indices).

    What the model keeps of a network: building the ``scipy.sparse`` matrix (:meth:`matrix`)
    costs about a quarter of a month of the default cluster, and the month needs only the
    arrays. A row's column indices need not be sorted.
    """

    indptr: np.ndarray
    indices: np.ndarray
    shape: tuple[int, int]

    def matrix(self) -> sp.csr_matrix:
        """The ``scipy.sparse`` CSR matrix, with ones where the links are (indices sorted)."""
        matrix = sp.csr_matrix((np.ones(len(self.indices)), self.indices.copy(),
                                self.indptr.copy()), shape=self.shape)
        matrix.sort_indices()  # in place: the copies keep the model's arrays as they are
        return matrix


def small_world(sector: np.ndarray, mean_degree: int, rewire_prob: float,
                rng: np.random.Generator) -> sp.csr_matrix:
    """:func:`small_world_links` as a ``scipy.sparse`` CSR matrix (same arguments)."""
    return small_world_links(sector, mean_degree, rewire_prob, rng).matrix()


def small_world_links(sector: np.ndarray, mean_degree: int, rewire_prob: float,
                      rng: np.random.Generator) -> Links:
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
        The ``n x n`` matrix's :class:`Links`: where two firms are peers.
    """
    n = len(sector)
    rows, cols = [], []
    for s in np.flatnonzero(np.bincount(sector)):  # the sectors present, in order
        members = rng.permutation(np.flatnonzero(sector == s))
        m = len(members)
        half = min(mean_degree, m - 1) // 2
        if half < 1:
            continue
        rewire = rng.random(m * half) < rewire_prob
        targets = rng.integers(0, m, np.count_nonzero(rewire))
        r, c = _ring_links(members, half, rewire, targets)
        rows.append(r)
        cols.append(c)
    if not rows:
        return Links(np.zeros(n + 1, np.int32), np.zeros(0, np.int32), (n, n))
    indptr, indices = _symmetric_adjacency(np.concatenate(rows), np.concatenate(cols), n)
    return Links(indptr, indices, (n, n))


@compiled
def _ring_links(members: np.ndarray, half: int, rewire: np.ndarray,
                targets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Links of a ring of ``members`` to their ``half`` next neighbours, some rewired.

    Link ``i * half + j`` joins the i-th member to the (i + j + 1)-th around the ring or, if
    it is rewired, to the member the next of ``targets`` names. Self-links are dropped.
    """
    m = len(members)
    rows = np.empty(m * half, members.dtype)
    cols = np.empty(m * half, members.dtype)
    n, rewired = 0, 0
    for i in range(m):
        for j in range(half):
            target = (i + j + 1) % m
            if rewire[i * half + j]:
                target = targets[rewired]
                rewired += 1
            if target != i:
                rows[n], cols[n] = members[i], members[target]
                n += 1
    return rows[:n], cols[:n]


@compiled
def _symmetric_adjacency(rows: np.ndarray, cols: np.ndarray,
                         n: int) -> tuple[np.ndarray, np.ndarray]:
    """CSR row pointers and column indices of the links both ways, each once.

    A row's peers are in the order of the links (not sorted: the month's sums of counts over
    them are exact in any order); :meth:`Links.matrix` sorts them for scipy. Duplicates (a
    link drawn both ways, or twice) are dropped by marking each peer with the row it was last
    seen in: one pass, where inserting in order cost mispredicted branches, twice as long.
    """
    start = np.zeros(n + 1, np.int64)
    for k in range(len(rows)):
        start[rows[k] + 1] += 1
        start[cols[k] + 1] += 1
    start = np.cumsum(start)
    ends = start[:-1].copy()
    both_ways = np.empty(start[-1], np.int32)
    for k in range(len(rows)):
        both_ways[ends[rows[k]]] = cols[k]
        ends[rows[k]] += 1
        both_ways[ends[cols[k]]] = rows[k]
        ends[cols[k]] += 1
    indptr = np.zeros(n + 1, np.int32)
    indices = np.empty(len(both_ways), np.int32)
    seen_in = np.full(n, -1, np.int64)  # the last row each firm was seen in as a peer
    nnz = 0
    for i in range(n):
        for j in range(start[i], start[i + 1]):
            peer = both_ways[j]
            if seen_in[peer] != i:
                seen_in[peer] = i
                indices[nnz] = peer
                nnz += 1
        indptr[i + 1] = nnz
    return indptr, indices[:nnz]


def supply_chain(sector: np.ndarray, lead_sector: np.ndarray, suppliers_per_lead: int,
                 rng: np.random.Generator) -> sp.csr_matrix:
    """:func:`supply_chain_links` as a ``scipy.sparse`` CSR matrix (same arguments)."""
    return supply_chain_links(sector, lead_sector, suppliers_per_lead, rng).matrix()


def supply_chain_links(sector: np.ndarray, lead_sector: np.ndarray, suppliers_per_lead: int,
                       rng: np.random.Generator) -> Links:
    """Supplier ties: each lead firm gets up to ``suppliers_per_lead`` SMEs of its sector.

    A firm supplies at most one lead firm.

    Returns:
        The ``n_smes x n_leads`` matrix's :class:`Links`: where an SME supplies a lead firm.
    """
    n = len(sector)
    lead_of = np.full(n, -1, np.int32)
    for lead, s in enumerate(lead_sector):
        pool = _free_firms(sector, s, lead_of)
        chosen = rng.choice(pool, size=min(suppliers_per_lead, len(pool)), replace=False)
        lead_of[chosen] = lead
    supplies = lead_of >= 0
    indptr = np.zeros(n + 1, np.int32)
    np.cumsum(supplies, out=indptr[1:])
    return Links(indptr, lead_of[supplies], (n, len(lead_sector)))


@compiled
def _free_firms(sector: np.ndarray, s: int, lead_of: np.ndarray) -> np.ndarray:
    """Firms of sector ``s`` that supply no lead firm yet, in order."""
    return np.flatnonzero((sector == s) & (lead_of < 0))


class PeerSums:
    """Sums of per-firm quantities over each firm's peers, kept up to date incrementally.

    A month changes few firms, so instead of a full sparse product each month the sums are
    corrected for the firms whose values changed (cost proportional to changes x degree), in
    one compiled pass over the firms. With no adjacency (complete graph within sectors) sums
    come from sector totals. Values are counts, so incremental and full sums are exactly equal.

    Args:
        adjacency: Symmetric CSR adjacency (a ``scipy.sparse`` matrix or its :class:`Links`),
            or ``None`` for a complete graph within sectors.
        sector: Sector index of each firm (used when ``adjacency`` is ``None``).
    """

    def __init__(self, adjacency: sp.csr_matrix | Links | None, sector: np.ndarray) -> None:
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
            correct_sums(a.indptr, a.indices, values, self._last, self._sums)
        return self._sums

    def incremental(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None:
        """What :func:`correct_sums` takes once the first full sum is made, else ``None``.

        ``(indptr, indices, last, sums)``: a caller's compiled code may correct the sums
        itself in one call with other work (``sim.model.ClusterModel.observe_peers``).
        """
        if self.adjacency is None or self._last is None:
            return None
        return self.adjacency.indptr, self.adjacency.indices, self._last, self._sums


@compiled
def _neighbour_sums(indptr: np.ndarray, indices: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Each firm's sum of its neighbours' values (adjacency 0/1, as the peer networks are)."""
    sums = np.zeros(values.shape)
    for i in range(len(indptr) - 1):
        for j in indices[indptr[i]:indptr[i + 1]]:
            for k in range(values.shape[1]):
                sums[i, k] += values[j, k]
    return sums


@compiled
def correct_sums(indptr: np.ndarray, indices: np.ndarray, values: np.ndarray,
                  last: np.ndarray, sums: np.ndarray) -> None:
    """Add each changed firm's change to its neighbours' sums; remember the new values."""
    for i in range(len(values)):
        for k in range(values.shape[1]):
            if values[i, k] != last[i, k]:
                spread_change(indptr, indices, i, k, values[i, k] - last[i, k], sums)
                last[i, k] = values[i, k]


@compiled
def spread_change(indptr: np.ndarray, indices: np.ndarray, i: int, k: int, change: float,
                  sums: np.ndarray) -> None:
    """Firm ``i``'s value in column ``k`` changed by ``change``: its neighbours' sums follow."""
    for j in indices[indptr[i]:indptr[i + 1]]:
        sums[j, k] += change


@compiled
def _sector_sums_of_others(values: np.ndarray, sector: np.ndarray,
                           n_sectors: int) -> np.ndarray:
    """Complete graphs within sectors: each firm's sector total minus its own value."""
    totals = np.zeros((n_sectors, values.shape[1]))
    for i in range(len(values)):  # in firm order, as np.bincount adds them
        for k in range(values.shape[1]):
            totals[sector[i], k] += values[i, k]
    others = np.empty(values.shape)
    for i in range(len(values)):
        for k in range(values.shape[1]):
            others[i, k] = totals[sector[i], k] - values[i, k]
    return others
