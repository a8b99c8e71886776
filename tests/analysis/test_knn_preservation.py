"""kNN-graph preservation: edge overlap, Theorem 3.1's gap and width, linear vs ReLU by width."""
from __future__ import annotations

import math

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ricci_lit.analysis.knn_preservation import (
    edge_overlap,
    kth_gap,
    linear_vs_relu,
    out_neighbours,
    random_weights,
    transition_overlaps,
    width_bound,
)
from ricci_lit.geometry.knn import graph_from_adjacency, knn_graph


def _edges(g) -> set[tuple[int, int]]:
    return {tuple(e) for e in g.edges.tolist()}


@st.composite
def two_graphs(draw):
    n = draw(st.integers(2, 15))
    seeds = draw(st.tuples(st.integers(0, 10 ** 6), st.integers(0, 10 ** 6)))
    p = draw(st.floats(0.1, 0.9))
    G1 = nx.gnp_random_graph(n, p, seed=seeds[0])
    G2 = nx.gnp_random_graph(n, p, seed=seeds[1])
    if G1.number_of_edges() == 0:
        G1.add_edge(0, 1)
    return graph_from_adjacency(G1), graph_from_adjacency(G2)


@settings(max_examples=100, deadline=None)
@given(two_graphs())
def test_edge_overlap_equals_set_arithmetic(graphs):
    a, b = graphs
    Ea, Eb = _edges(a), _edges(b)
    assert edge_overlap(a, b) == pytest.approx(len(Ea & Eb) / len(Ea), abs=1e-15)
    assert edge_overlap(a, b, measure="jaccard") == pytest.approx(len(Ea & Eb) / len(Ea | Eb), abs=1e-15)
    assert edge_overlap(a, a) == edge_overlap(a, a, measure="jaccard") == 1.0
    assert edge_overlap(a, b, measure="jaccard") == edge_overlap(b, a, measure="jaccard")


def test_edge_overlap_on_knn_graphs_and_errors():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 3))
    g = knn_graph(X, 4)
    assert edge_overlap(g, knn_graph(2.5 * X + 1.0, 4)) == 1.0  # similarity maps keep the graph
    assert edge_overlap(g, g.adjacency) == 1.0  # a bare sparse adjacency works too
    with pytest.raises(ValueError, match="measure"):
        edge_overlap(g, g, measure="dice")
    with pytest.raises(ValueError, match="different numbers of vertices"):
        edge_overlap(g, knn_graph(X[:-1], 4))
    empty = graph_from_adjacency(nx.empty_graph(30))
    with pytest.raises(ValueError, match="no edges"):
        edge_overlap(empty, g)
    with pytest.raises(ValueError, match="Jaccard"):
        edge_overlap(empty, empty, measure="jaccard")
    with pytest.raises(TypeError, match="KnnGraph"):
        edge_overlap(np.eye(3), g)


def test_out_neighbours_against_brute_force():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(25, 4))
    nb = out_neighbours(X, 3)
    D = ((X[:, None] - X[None]) ** 2).sum(-1)
    np.fill_diagonal(D, np.inf)
    want = np.sort(np.argsort(D, axis=1, kind="stable")[:, :3], axis=1)
    np.testing.assert_array_equal(nb, want)
    # ties broken by the lower index: four points on a line, equidistant neighbours of point 1
    line = np.array([[0.0], [1.0], [2.0], [3.0]])
    np.testing.assert_array_equal(out_neighbours(line, 1)[:, 0], [1, 0, 1, 2])


def test_kth_gap_and_width_bound_by_hand():
    # points 0, 1, 3 on a line, k = 1: squared distances to the 1st/2nd neighbour
    X = np.array([[0.0], [1.0], [3.0]])
    # point 0: 1, 9 → 8/10; point 1: 1, 4 → 3/5; point 2: 4, 9 → 5/13
    assert kth_gap(X, 1) == pytest.approx(5 / 13)
    assert kth_gap(np.array([[0.0], [1.0], [-1.0], [5.0]]), 1) == 0.0  # a tie: no width suffices
    eps = 0.1
    assert width_bound(50, 0.05, eps) == pytest.approx(4 * (math.log(50 * 49) - math.log(0.05)) / (eps ** 2 - eps ** 3))
    assert width_bound(50, 0.05, 0.0) == math.inf
    assert width_bound(50, 0.05, 0.2) < width_bound(50, 0.05, 0.1) < width_bound(50, 0.01, 0.1)
    with pytest.raises(ValueError, match="delta"):
        width_bound(50, 1.5, 0.1)
    with pytest.raises(ValueError, match="k \\+ 1 < n"):
        kth_gap(X, 2)


def test_linear_vs_relu_table_and_the_theory():
    """Wide random linear layers keep the kNN graph; the ReLU counterpart with the same weights rewires it."""
    rng = np.random.default_rng(2)
    X = rng.normal(size=(30, 3))
    df = linear_vs_relu(X, [4, 20000], 3, depth=1, seeds=[0, 1])
    assert list(df.columns) == ["width", "seed", "network", "layer", "kept", "jaccard", "equal",
                                "directed_equal", "kept_from_input"]
    assert len(df) == 2 * 2 * 2
    assert df[["kept", "jaccard", "kept_from_input"]].apply(lambda c: c.between(0, 1).all()).all()
    wide_linear = df[(df.width == 20000) & (df.network == "linear")]
    narrow_linear = df[(df.width == 4) & (df.network == "linear")]
    wide_relu = df[(df.width == 20000) & (df.network == "relu")]
    assert wide_linear["kept"].min() > 0.95
    assert narrow_linear["kept"].mean() < wide_linear["kept"].mean()
    assert wide_relu["kept"].mean() < wide_linear["kept"].mean()
    # kept = 1 and jaccard = 1 ⇔ equal; directed equality implies undirected equality
    assert (df["equal"] == (df["jaccard"] == 1.0)).all()
    assert (~df["directed_equal"] | df["equal"]).all()
    # depth 1: the transition is the input → layer 1 transition
    np.testing.assert_array_equal(df["kept"], df["kept_from_input"])


def test_linear_network_layer_by_layer_matches_a_manual_forward():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(20, 2))
    df = linear_vs_relu(X, [16], 3, depth=3, seeds=[5])
    assert sorted(df["layer"].unique()) == [1, 2, 3]
    W = random_weights(2, 16, 3, 5)
    H_lin, H_relu = X, X
    g_lin, g_relu = knn_graph(X, 3), knn_graph(X, 3)
    for l, Wl in enumerate(W, start=1):
        H_lin, H_relu = H_lin @ Wl, np.maximum(H_relu @ Wl, 0)
        n_lin, n_relu = knn_graph(H_lin, 3), knn_graph(H_relu, 3)
        row_lin = df[(df.network == "linear") & (df.layer == l)].iloc[0]
        row_relu = df[(df.network == "relu") & (df.layer == l)].iloc[0]
        assert row_lin["kept"] == edge_overlap(g_lin, n_lin)
        assert row_relu["kept"] == edge_overlap(g_relu, n_relu)
        assert row_lin["kept_from_input"] == edge_overlap(knn_graph(X, 3), n_lin)
        g_lin, g_relu = n_lin, n_relu
    assert all(w.shape == s for w, s in zip(W, [(2, 16), (16, 16), (16, 16)]))
    assert np.std(W[0]) == pytest.approx(1 / 4, rel=0.3)


def test_seeded_and_scale_free():
    X = np.random.default_rng(4).normal(size=(15, 3))
    a = linear_vs_relu(X, [8, 32], 2, seeds=[0])
    b = linear_vs_relu(X, [8, 32], 2, seeds=[0])
    assert a.equals(b)
    c = linear_vs_relu(10.0 * X, [8, 32], 2, seeds=[0])
    assert a[["kept", "jaccard", "equal"]].equals(c[["kept", "jaccard", "equal"]])


@pytest.mark.usefixtures("one_torch_thread")
def test_transition_overlaps_on_a_torch_network_and_its_linear_counterpart():
    """The book's use: capture a ReLU network's layers and those of the same weights without ReLU."""
    from ricci_lit.networks.capture import layer_representations
    from ricci_lit.networks.zoo import ResidualMLP, linear_counterpart

    model = ResidualMLP(3, width=64, depth=3, n_classes=2, seed=0)
    x = np.random.default_rng(5).normal(size=(40, 3)).astype(np.float32)
    names = list(model.representation_layers)
    relu = layer_representations(model, x, names)
    lin = layer_representations(linear_counterpart(model), x, names)
    a = transition_overlaps(list(relu.values()), 4, names=list(relu))
    b = transition_overlaps(list(lin.values()), 4, names=list(lin))
    assert list(a["name"]) == names and list(a["layer"]) == [1, 2, 3, 4]
    for df, reps in ((a, relu), (b, lin)):
        graphs = [knn_graph(X, 4) for X in reps.values()]
        want = [edge_overlap(graphs[l - 1], graphs[l]) for l in range(1, len(graphs))]
        assert df["kept"].tolist() == want
    with pytest.raises(ValueError, match="at least two"):
        transition_overlaps([x], 4)
    with pytest.raises(ValueError, match="names has 1"):
        transition_overlaps([x, x], 4, names=["a"])


@pytest.mark.parametrize("kwargs, msg", [
    ({"widths": []}, "must not be empty"),
    ({"widths": [0]}, "positive integers"),
    ({"widths": [20000], "depth": 2}, "2 GB"),
    ({"depth": 0}, "depth"),
    ({"seeds": [-1]}, "seeds"),
])
def test_bad_arguments(kwargs, msg):
    args = {"widths": [4], "depth": 1, "seeds": [0]} | kwargs
    with pytest.raises(ValueError, match=msg):
        linear_vs_relu(np.random.default_rng(0).normal(size=(10, 2)), args.pop("widths"), 3, **args)
