"""Peer sums kept incrementally equal the full sparse product, whatever changes each month."""

from __future__ import annotations

import numpy as np
from catfish.sim.model import ClusterModel
from catfish.sim.networks import PeerSums, small_world, small_world_links
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


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), n=st.integers(1, 200), degree=st.sampled_from([2, 4, 8]),
       rewire=st.floats(0, 1))
def test_links_hold_each_peer_once_both_ways_and_make_the_sorted_matrix(seed, n, degree, rewire):
    sector = np.random.default_rng(seed).integers(0, 3, n)
    links = small_world_links(sector, degree, rewire, np.random.default_rng(seed))
    indptr, indices = links.indptr.copy(), links.indices.copy()
    pairs = set()
    for i in range(n):
        row = indices[indptr[i]:indptr[i + 1]].tolist()
        assert len(row) == len(set(row)), f"firm {i}: a peer listed twice in {row}"
        assert i not in row, f"firm {i} is its own peer"
        assert all(sector[j] == sector[i] for j in row), f"firm {i}: a peer of another sector"
        pairs.update((i, j) for j in row)
    assert all((j, i) in pairs for i, j in pairs), "a link is not there both ways"
    matrix = links.matrix()
    assert matrix.has_sorted_indices, "the scipy matrix must have sorted indices"
    assert set(zip(*matrix.nonzero(), strict=True)) == pairs and (matrix.data == 1).all(), \
        "the matrix must have a one where the links are, and nowhere else"
    assert np.array_equal(links.indptr, indptr) and np.array_equal(links.indices, indices), \
        "making the matrix must leave the links' own arrays as they were"


def test_a_models_networks_are_made_as_scipy_matrices_once_when_asked():
    model = ClusterModel(seed=4)
    assert "peers" not in vars(model) and "chain" not in vars(model), \
        "a model must not build scipy matrices nobody asked for"
    peers, chain = model.peers, model.chain
    assert peers is model.peers and chain is model.chain, "each matrix is made once"
    assert (peers != model._peer_links.matrix()).nnz == 0 and peers.shape == (1000, 1000), \
        "model.peers must be the peer links' matrix"
    assert np.array_equal(np.diff(chain.indptr), np.diff(model._chain_links.indptr)) \
        and chain.shape == (1000, len(model.leads.sector)), "model.chain must be the supply chain"
    assert ClusterModel(seed=4, network="complete").peers is None, \
        "complete graphs within sectors have no peer matrix"
