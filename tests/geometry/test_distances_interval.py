"""The interval path of :func:`ricci_lit.geometry.distances.hop_distance_totals` (points on a line):
equal, integer for integer, to the breadth-first search and to networkx, on data with ties,
duplicates and several components; and the recognition itself on graphs that are and are not
interval graphs."""
from __future__ import annotations

import dataclasses

import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from ricci_lit.geometry.distances import hop_distance_totals, interval_bounds, refine_order
from ricci_lit.geometry.knn import knn_graph


def _searched(graph):
    """The same graph without its line order: the breadth-first search."""
    return hop_distance_totals(dataclasses.replace(graph, line_order=None))


def _networkx_total(graph):
    G = nx.from_scipy_sparse_array(graph.adjacency)
    lengths = dict(nx.all_pairs_shortest_path_length(G))
    return sum(d for row in lengths.values() for d in row.values())


@settings(max_examples=80, deadline=None)
@given(st.lists(st.integers(0, 40), min_size=4, max_size=70), st.integers(1, 6),
       st.sampled_from(["union", "r-compat"]), st.sampled_from([1.0, 0.37, 1e-3]))
def test_equals_the_search_on_tied_and_duplicated_points(values, k, mode, scale):
    x = np.array(values, dtype=np.float64)[:, None] * scale
    if k >= len(x):
        k = len(x) - 1
    g = knn_graph(x, k, mode)
    assert g.line_order is not None
    assert hop_distance_totals(g) == _searched(g)


@settings(max_examples=30, deadline=None)
@given(st.integers(10, 80), st.integers(1, 5), st.integers(0, 2**31 - 1))
def test_equals_networkx_on_sigmoid_like_outputs(n, k, seed):
    rng = np.random.default_rng(seed)
    x = (1 / (1 + np.exp(-rng.normal(0, 4, n)))).astype(np.float32)[:, None]
    g = knn_graph(x, min(k, n - 1))
    t = hop_distance_totals(g)
    if t.connected:
        assert t.total == _networkx_total(g)
    assert t == _searched(g)


def test_several_components_and_the_fast_path_is_taken():
    x = np.r_[np.arange(20.0), 1000 + np.arange(15.0), 5000 + np.arange(7.0)][:, None]
    g = knn_graph(x, 3)
    assert interval_bounds(g.adjacency, g.line_order) is not None
    t = hop_distance_totals(g)
    assert (t.connected, t.n_components, t.total) == (False, 3, float("inf"))
    assert t == _searched(g)
    assert t.reachable_pairs == 20 * 19 + 15 * 14 + 7 * 6


def test_recognition():
    path = nx.to_scipy_sparse_array(nx.path_graph(6), dtype=np.int8)
    a, b = interval_bounds(path, np.arange(6))
    assert a.tolist() == [0, 0, 1, 2, 3, 4] and b.tolist() == [1, 2, 3, 4, 5, 5]
    assert interval_bounds(path, np.array([1, 0, 2, 3, 4, 5])) is None  # not in this order ...
    assert interval_bounds(path, refine_order(path, np.array([1, 0, 2, 3, 4, 5]))) is not None  # ... repaired
    cycle = nx.to_scipy_sparse_array(nx.cycle_graph(6), dtype=np.int8)
    assert interval_bounds(cycle, np.arange(6)) is None
    assert interval_bounds(cycle, refine_order(cycle, np.arange(6))) is None  # no order makes a cycle one
    star = nx.to_scipy_sparse_array(nx.star_graph(4), dtype=np.int8)  # centre 0 and four leaves
    assert interval_bounds(star, np.array([1, 2, 0, 3, 4])) is None  # runs do not slide
    with pytest.raises(ValueError, match="permutation"):
        interval_bounds(path, np.array([0, 0, 1, 2, 3, 4]))
    with pytest.raises(ValueError, match="permutation"):
        interval_bounds(path, np.arange(5))


def test_a_graph_without_a_line_order_is_searched():
    """A 2-D cloud has no line order; a hand-made matrix has none either."""
    g = knn_graph(np.random.default_rng(0).normal(size=(50, 2)), 4)
    assert g.line_order is None
    m = sp.csr_matrix(nx.to_scipy_sparse_array(nx.path_graph(5), dtype=np.int8))
    assert hop_distance_totals(m).total == 2 * (4 * 1 + 3 * 2 + 2 * 3 + 1 * 4)
