"""Peer sums kept incrementally equal the full sparse product, whatever changes each month."""

from __future__ import annotations

import numpy as np
from catfish.sim.networks import PeerSums, small_world
from hypothesis import given, settings
from hypothesis import strategies as st


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), n=st.integers(2, 300), degree=st.sampled_from([0, 2, 4, 8]),
       rewire=st.floats(0, 1), months=st.integers(1, 12))
def test_incremental_peer_sums_equal_the_full_product(seed, n, degree, rewire, months):
    rng = np.random.default_rng(seed)
    sector = rng.integers(0, 3, n)
    adjacency = small_world(sector, degree, rewire, rng)
    sums = PeerSums(adjacency, sector)
    values = np.zeros((n, 3))
    for month in range(months):
        # a few firms change one or more of their counts (sometimes none, sometimes many)
        changed = rng.choice(n, size=rng.integers(0, max(1, n // 4)), replace=False)
        values[changed, rng.integers(0, 3, len(changed))] += 1
        got = sums(values)
        expected = adjacency @ values
        assert got.shape == values.shape, f"month {month}: shape {got.shape}, not {values.shape}"
        assert np.array_equal(got, expected), (
            f"month {month}: incremental sums differ from the full product in "
            f"{np.count_nonzero(got != expected)} cells")


def test_complete_graph_sums_exclude_the_firm_itself():
    sector = np.array([0, 0, 1, 1, 1])
    values = np.array([[1.0], [2.0], [3.0], [4.0], [5.0]])
    got = PeerSums(None, sector)(values)
    assert got.ravel().tolist() == [2.0, 1.0, 9.0, 8.0, 7.0], f"got {got.ravel().tolist()}"
