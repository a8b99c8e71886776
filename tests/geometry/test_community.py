"""Modularity and normalised cut of a class partition, against networkx on random and named graphs."""
from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from ricci_lit.geometry.community import class_codes, community_table, modularity, normalized_cut
from ricci_lit.geometry.knn import graph_from_adjacency, knn_graph


def _communities(labels: np.ndarray) -> list[set[int]]:
    return [set(np.flatnonzero(labels == c).tolist()) for c in np.unique(labels)]


@st.composite
def graph_and_labels(draw):
    n = draw(st.integers(2, 25))
    p = draw(st.floats(0.05, 0.9))
    seed = draw(st.integers(0, 2 ** 31 - 1))
    G = nx.gnp_random_graph(n, p, seed=seed)
    if G.number_of_edges() == 0:
        G.add_edge(0, 1)
    labels = np.array(draw(st.lists(st.integers(0, 4), min_size=n, max_size=n)))
    return G, labels


@settings(max_examples=120, deadline=None)
@given(graph_and_labels())
def test_modularity_equals_networkx_on_random_graphs(data):
    G, labels = data
    want = nx.algorithms.community.modularity(G, _communities(labels))
    assert modularity(graph_from_adjacency(G), labels) == pytest.approx(want, abs=1e-12)
    # the same on a bare sparse adjacency
    A = nx.to_scipy_sparse_array(G, nodelist=range(G.number_of_nodes()))
    assert modularity(sp.csr_matrix(A), labels) == pytest.approx(want, abs=1e-12)


@settings(max_examples=80, deadline=None)
@given(graph_and_labels())
def test_normalized_cut_equals_networkx_for_two_classes(data):
    G, labels = data
    labels = labels % 2
    assume(len(np.unique(labels)) == 2)
    S, T = _communities(labels)
    deg = dict(G.degree())
    g = graph_from_adjacency(G)
    if sum(deg[i] for i in S) == 0 or sum(deg[i] for i in T) == 0:
        with pytest.raises(ValueError, match="volume 0"):
            normalized_cut(g, labels)
        return
    want = 0.5 * nx.algorithms.cuts.normalized_cut_size(G, S, T)
    assert normalized_cut(g, labels) == pytest.approx(want, abs=1e-12)


def test_named_graphs():
    # karate club split into its two factions
    G = nx.karate_club_graph()
    G = nx.Graph(G.edges())  # drop weights
    clubs = nx.get_node_attributes(nx.karate_club_graph(), "club")
    labels = np.array([clubs[i] for i in range(34)])
    want = nx.algorithms.community.modularity(G, _communities(labels))
    assert modularity(graph_from_adjacency(G), labels) == pytest.approx(want, abs=1e-12)
    # the defining double sum on the dense matrix, (1/2m) Σ_ij [A_ij − k_i k_j / 2m] δ(c_i, c_j)
    A = nx.to_numpy_array(G, nodelist=range(34))
    deg, two_m = A.sum(axis=1), A.sum()
    same = labels[:, None] == labels[None, :]
    dense = float(((A - np.outer(deg, deg) / two_m) * same).sum() / two_m)
    assert modularity(graph_from_adjacency(G), labels) == pytest.approx(dense, abs=1e-12)
    # two disjoint triangles split into the triangles: Q = 2·(3/6 − (6/12)²) = 1/2
    two = nx.disjoint_union(nx.complete_graph(3), nx.complete_graph(3))
    assert modularity(graph_from_adjacency(two), [0, 0, 0, 1, 1, 1]) == pytest.approx(0.5)
    assert normalized_cut(graph_from_adjacency(two), [0, 0, 0, 1, 1, 1]) == 0.0
    # one community: Q = 1 − 1 = 0; every vertex alone in a cycle: Q = −Σ (2/2m)² = −1/n
    C = nx.cycle_graph(8)
    assert modularity(graph_from_adjacency(C), np.zeros(8)) == pytest.approx(0.0)
    assert modularity(graph_from_adjacency(C), np.arange(8)) == pytest.approx(-1 / 8)
    # complete bipartite graph split by side: no internal edges, Q = −1/2 (the minimum)
    B = nx.complete_bipartite_graph(4, 4)
    assert modularity(graph_from_adjacency(B), [0] * 4 + [1] * 4) == pytest.approx(-0.5)
    assert normalized_cut(graph_from_adjacency(B), [0] * 4 + [1] * 4) == pytest.approx(1.0)


def test_labels_of_any_type_and_relabelling_invariance():
    G = nx.karate_club_graph()
    g = graph_from_adjacency(nx.Graph(G.edges()))
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, 34)
    names = np.array(["a", "b", "c"])[y]
    assert modularity(g, names) == modularity(g, y) == modularity(g, (y + 7) * 3)
    perm = rng.permutation(34)
    A = g.adjacency[perm][:, perm]
    assert modularity(sp.csr_matrix(A), y[perm]) == pytest.approx(modularity(g, y), abs=1e-14)


def test_knn_graphs_in_both_modes_use_the_undirected_adjacency():
    rng = np.random.default_rng(3)
    X = np.vstack([rng.normal(0, 1, (20, 2)), rng.normal(6, 1, (20, 2))])
    y = np.repeat([0, 1], 20)
    for mode in ("union", "r-compat"):
        g = knn_graph(X, 4, mode)
        G = nx.from_scipy_sparse_array(g.adjacency)
        want = nx.algorithms.community.modularity(G, _communities(y))
        assert modularity(g, y) == pytest.approx(want, abs=1e-12)
        assert modularity(g, y) > 0.45  # two far blobs: near the two-class maximum 1/2


def test_community_table_by_layer():
    rng = np.random.default_rng(4)
    y = np.repeat([0, 1, 2], 15)
    X0 = rng.normal(size=(45, 3))
    X1 = X0 + 10 * np.eye(3)[y]  # classes pulled apart
    df = community_table([X0, X1], y, 5, layer_names=["input", "h"])
    assert list(df.columns) == ["layer", "name", "modularity", "normalized_cut"]
    assert list(df["name"]) == ["input", "h"]
    assert df["modularity"].iloc[1] > df["modularity"].iloc[0]
    assert df["normalized_cut"].iloc[1] < df["normalized_cut"].iloc[0]
    assert df["modularity"].iloc[1] == pytest.approx(modularity(knn_graph(X1, 5), y))
    with pytest.raises(ValueError, match="layer_names"):
        community_table([X0, X1], y, 5, layer_names=["a"])
    with pytest.raises(ValueError, match="different numbers of rows"):
        community_table([X0, X1[:-1]], y, 5)


def test_errors():
    g = graph_from_adjacency(nx.path_graph(4))
    with pytest.raises(ValueError, match=r"one label per vertex, shape \(4,\)"):
        modularity(g, [0, 1, 0])
    with pytest.raises(ValueError, match="no edges"):
        modularity(graph_from_adjacency(nx.empty_graph(3)), [0, 1, 0])
    with pytest.raises(ValueError, match="NaN"):
        modularity(g, [0.0, np.nan, 1.0, 1.0])
    with pytest.raises(TypeError, match="KnnGraph or a scipy sparse"):
        modularity(np.eye(3), [0, 1, 2])
    with pytest.raises(ValueError, match="self loops"):
        modularity(sp.csr_matrix(np.ones((2, 2))), [0, 1])
    iso = nx.Graph([(0, 1)])
    iso.add_node(2)
    with pytest.raises(ValueError, match="volume 0"):
        normalized_cut(graph_from_adjacency(iso), [0, 0, 1])
    codes, C = class_codes(["x", "y", "x"], 3)
    assert C == 2 and list(codes) == [0, 1, 0]
