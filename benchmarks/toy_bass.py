"""A toy vectorised adoption model: the yardstick for the engine at 100,000 firms.

Not Catfish: a plain numpy Bass-style diffusion on the same kind of network, with about as
many whole-population array operations a month as a month of ``ClusterModel`` makes, so
that "the engine costs at most 1.5 times the toy" says the month's machinery adds little to
the arithmetic any vectorised model of that size must do. Each month, for every firm:

1. eight uniform draws (SFC64), as the model draws eight named streams of common random
   numbers for every firm;
2. exposure: the share of its peers (a Watts-Strogatz ring, 8 peers, 10 % rewired) that
   have adopted, by a sparse matrix-vector product;
3. the Bass hazard ``1 - exp(-(p + q * exposure))`` and the not-yet-adopted firms whose
   draw falls below it become willing;
4. willing firms start a project if a second draw clears a fixed chance; running projects
   fail with a monthly hazard, or finish after three months and the firm adopts;
5. adopters lapse with a small monthly chance;
6. counts of firms in each state and the mean exposure are recorded.

About twenty array operations a month on arrays of n firms (numpy, no Python loop over
firms). ``python benchmarks/toy_bass.py`` times it at 100,000 firms and 120 months.
"""

from __future__ import annotations

import sys
import time

import numpy as np
import scipy.sparse as sp

UNAWARE, WILLING, IN_PROJECT, ADOPTED = 0, 1, 2, 3


def ring(n: int, degree: int, rewire: float, rng: np.random.Generator) -> sp.csr_matrix:
    """A symmetric Watts-Strogatz adjacency matrix (CSR, 0/1)."""
    half = degree // 2
    rows = np.repeat(np.arange(n), half)
    cols = (rows + np.tile(np.arange(1, half + 1), n)) % n
    rewired = rng.random(len(cols)) < rewire
    cols[rewired] = rng.integers(0, n, np.count_nonzero(rewired))
    keep = rows != cols
    a = sp.csr_matrix((np.ones(np.count_nonzero(keep)), (rows[keep], cols[keep])), shape=(n, n))
    a = ((a + a.T) > 0).astype(np.float64)
    return a.tocsr()


def run_toy(n: int, months: int, seed: int = 0, *, p: float = 0.03 / 12,
            q: float = 0.38 / 12) -> np.ndarray:
    """Adopters' share month by month (and the time goes into the loop, not the setup)."""
    rng = np.random.Generator(np.random.SFC64(seed))
    peers = ring(n, 8, 0.1, rng)
    inv_degree = 1.0 / np.maximum(np.asarray(peers.sum(axis=1)).ravel(), 1.0)
    state = np.zeros(n, np.int8)
    started = np.zeros(n, np.int32)
    share = np.empty(months)
    for month in range(1, months + 1):
        u = rng.random((8, n))
        adopted = state == ADOPTED
        exposure = (peers @ adopted.astype(np.float64)) * inv_degree
        hazard = -np.expm1(-(p + q * exposure))
        state[(state == UNAWARE) & (u[0] < hazard)] = WILLING
        starting = (state == WILLING) & (u[1] < 0.3)
        state[starting] = IN_PROJECT
        started[starting] = month
        running = state == IN_PROJECT
        state[running & (u[2] < 0.02)] = UNAWARE
        state[(state == IN_PROJECT) & (month - started >= 3)] = ADOPTED
        state[adopted & (u[3] < 0.005)] = UNAWARE
        counts = np.bincount(state, minlength=4)
        share[month - 1] = counts[ADOPTED] / n
        _ = np.add.reduce(exposure) / n
    return share


def main() -> None:
    """Time the toy at 100,000 firms and 120 months (or the sizes given)."""
    n, months = (int(a) for a in sys.argv[1:3]) if len(sys.argv) > 2 else (100_000, 120)
    started = time.perf_counter()
    share = run_toy(n, months)
    print(f"toy Bass model, {n:,} firms x {months} months: "
          f"{time.perf_counter() - started:.3f} s, final adopted share {share[-1]:.3f}")


if __name__ == "__main__":
    main()
