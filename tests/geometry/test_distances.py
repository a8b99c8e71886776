"""Hop distances (bit-parallel BFS) against networkx shortest paths and closed forms."""
from __future__ import annotations

import math

import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp

import ricci_lit.geometry.distances as geo
from ricci_lit import graph_from_adjacency, hop_distance_matrix, hop_distance_totals, knn_graph
from ricci_lit.geometry.distances import UNREACHABLE, components


def oracle_totals(G: nx.Graph):
    """total (inf if disconnected), finite_total, n_components, reachable_pairs, diameter."""
    finite = 0
    pairs = 0
    diam = 0
    for _, lengths in nx.all_pairs_shortest_path_length(G):
        for _, d in lengths.items():
            if d > 0:
                finite += d
                pairs += 1
                diam = max(diam, d)
    ncomp = nx.number_connected_components(G)
    total = float(finite) if ncomp == 1 else math.inf
    return total, finite, ncomp, pairs, diam


def check_against_networkx(G: nx.Graph, nx_dist_matrix):
    g = graph_from_adjacency(G)
    tot = hop_distance_totals(g)
    total, finite, ncomp, pairs, diam = oracle_totals(G)
    assert tot.total == total
    assert tot.finite_total == finite
    assert tot.n_components == ncomp
    assert tot.connected == (ncomp == 1)
    assert tot.reachable_pairs == pairs
    assert tot.diameter == diam
    D = hop_distance_matrix(g)
    assert D.dtype == np.int32 and D.shape == (g.n, g.n)
    np.testing.assert_array_equal(D, nx_dist_matrix(G))
    return tot


def disjoint(*graphs):
    return nx.convert_node_labels_to_integers(nx.disjoint_union_all(graphs))


GRAPHS = {
    "path7": nx.path_graph(7),
    "cycle10": nx.cycle_graph(10),
    "petersen": nx.petersen_graph(),
    "grid6x7": nx.convert_node_labels_to_integers(nx.grid_2d_graph(6, 7)),
    "er63": nx.gnp_random_graph(63, 0.08, seed=1),
    "er64": nx.gnp_random_graph(64, 0.08, seed=2),
    "er65": nx.gnp_random_graph(65, 0.06, seed=3),
    "er128": nx.gnp_random_graph(128, 0.04, seed=4),
    "er129": nx.gnp_random_graph(129, 0.04, seed=5),
    "er200-sparse": nx.gnp_random_graph(200, 0.012, seed=6),   # several components
    "tree150": nx.random_labeled_tree(150, seed=7) if hasattr(nx, "random_labeled_tree")
    else nx.random_tree(150, seed=7),
    "two-cycles": disjoint(nx.cycle_graph(5), nx.cycle_graph(70)),
    "isolated": disjoint(nx.path_graph(4), nx.empty_graph(3), nx.complete_graph(66)),
    "empty": nx.empty_graph(5),
    "single": nx.empty_graph(1),
}


@pytest.mark.parametrize("name", list(GRAPHS))
def test_distances_match_networkx(name, nx_dist_matrix):
    check_against_networkx(GRAPHS[name], nx_dist_matrix)


def test_disconnected_totals_named_fields(nx_dist_matrix):
    G = disjoint(nx.path_graph(3), nx.complete_graph(4), nx.empty_graph(1))
    tot = check_against_networkx(G, nx_dist_matrix)
    assert math.isinf(tot.total) and not tot.connected
    assert tot.n_components == 3
    # path 0-1-2: ordered pairs 2·(1+1+2) = 8; K4: 12 ordered pairs at distance 1
    assert tot.finite_total == 8 + 12
    assert tot.reachable_pairs == 6 + 12
    assert tot.diameter == 2
    D = hop_distance_matrix(graph_from_adjacency(G))
    assert D[0, 3] == UNREACHABLE and D[7, 0] == UNREACHABLE and D[7, 7] == 0


@pytest.mark.parametrize("n", [2, 5, 64, 65, 130])
def test_closed_forms_path_cycle_complete(n):
    # path: Σ over ordered pairs = 2 Σ_d d (n − d) = n (n² − 1) / 3
    assert hop_distance_totals(graph_from_adjacency(nx.path_graph(n))).total == n * (n * n - 1) // 3
    assert hop_distance_totals(graph_from_adjacency(nx.path_graph(n))).diameter == n - 1
    if n >= 3:
        # cycle: each vertex sees distances 1..⌊n/2⌋ twice (once if n even and d = n/2)
        per = sum(min(d, n - d) for d in range(1, n))
        tot = hop_distance_totals(graph_from_adjacency(nx.cycle_graph(n)))
        assert tot.total == n * per and tot.diameter == n // 2
    assert hop_distance_totals(graph_from_adjacency(nx.complete_graph(n))).total == n * (n - 1)


def test_source_blocks_do_not_change_results(monkeypatch, nx_dist_matrix):
    # shrink the gather budget so sources are processed one 64-bit word at a time
    G = disjoint(nx.gnp_random_graph(150, 0.03, seed=11), nx.path_graph(40))
    expected = oracle_totals(G)
    monkeypatch.setattr(geo, "_GATHER_BYTES", 1)
    g = graph_from_adjacency(G)
    tot = hop_distance_totals(g)
    assert (tot.total, tot.finite_total, tot.n_components, tot.reachable_pairs, tot.diameter) == expected
    np.testing.assert_array_equal(hop_distance_matrix(g), nx_dist_matrix(G))


def test_knn_graph_distances_ignore_direction(rng, nx_dist_matrix):
    X = np.vstack([rng.normal(size=(90, 3)), rng.normal(size=(50, 3)) + 40.0])  # 2 clusters
    for mode in ("union", "r-compat"):
        g = knn_graph(X, 4, mode=mode)
        A = g.adjacency.toarray()
        G = nx.from_numpy_array(A)
        tot = hop_distance_totals(g)
        assert not tot.connected and tot.n_components >= 2
        assert tot.finite_total == oracle_totals(G)[1]
        np.testing.assert_array_equal(hop_distance_matrix(g), nx_dist_matrix(G))


def test_sparse_matrix_input(nx_dist_matrix):
    G = nx.gnp_random_graph(70, 0.07, seed=9)
    A = nx.to_scipy_sparse_array(G, nodelist=range(70), format="csr")
    tot = hop_distance_totals(sp.csr_matrix(A))
    assert tot.finite_total == oracle_totals(G)[1]
    np.testing.assert_array_equal(hop_distance_matrix(sp.csr_matrix(A)), nx_dist_matrix(G))
    n, labels = components(sp.csr_matrix(A))
    assert n == nx.number_connected_components(G)
    for comp in nx.connected_components(G):
        assert len({labels[v] for v in comp}) == 1
    with pytest.raises(ValueError, match="square"):
        hop_distance_totals(sp.csr_matrix(np.zeros((3, 4))))


@pytest.mark.parametrize("threads", [1, 2, 3, 8])
def test_threaded_source_blocks_give_the_same_integers(monkeypatch, threads):
    """The compiled search's source blocks run on threads; any split gives the same totals."""
    G = disjoint(nx.gnp_random_graph(300, 0.02, seed=5), nx.path_graph(70), nx.cycle_graph(33))
    expected = oracle_totals(G)
    monkeypatch.setattr(geo, "kernel_threads", lambda: threads)
    tot = hop_distance_totals(graph_from_adjacency(G), engine="numba")
    assert (tot.total, tot.finite_total, tot.n_components, tot.reachable_pairs, tot.diameter) == expected
    blocks = geo._numba_blocks(geo._adjacency_of(graph_from_adjacency(G)), threads)
    assert len(blocks) == min(threads, -(-G.number_of_nodes() // 64))
    covered = np.concatenate([np.arange(s0, s1) for s0, s1 in blocks])
    assert np.array_equal(covered, np.arange(G.number_of_nodes()))


@pytest.mark.parametrize("threads", [1, 2])
def test_word_list_kernel_equals_networkx(monkeypatch, nx_dist_matrix, threads):
    """The BFS that keeps per-vertex lists of non-empty frontier words (used above
    SPARSE_BFS_WORDS words per block, after a reverse Cuthill–McKee relabelling) gives the same
    totals and matrix as networkx, on sparse and dense frontiers and with several components."""
    import ricci_lit.geometry._numba as nbmod

    monkeypatch.setattr(nbmod, "SPARSE_BFS_WORDS", 0)
    monkeypatch.setattr(geo, "kernel_threads", lambda: threads)
    rng = np.random.default_rng(3)
    X = np.vstack([rng.normal(size=(200, 3)), rng.normal(size=(90, 2)) @ np.ones((2, 3)) + 30.0])
    graphs = [disjoint(nx.gnp_random_graph(300, 0.02, seed=5), nx.path_graph(70), nx.cycle_graph(33)),
              nx.complete_graph(130),  # every frontier dense
              nx.convert_matrix.from_scipy_sparse_array(knn_graph(X, 6).adjacency)]
    for G in graphs:
        g = graph_from_adjacency(G)
        tot = hop_distance_totals(g, engine="numba")
        assert (tot.total, tot.finite_total, tot.n_components, tot.reachable_pairs, tot.diameter) == oracle_totals(G)
        np.testing.assert_array_equal(hop_distance_matrix(g, engine="numba"), nx_dist_matrix(G))
