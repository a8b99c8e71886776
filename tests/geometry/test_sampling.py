"""The sampled-source estimate of g: exact at m = n, unbiased, honest standard error.

Oracle: per-source sums from networkx's BFS (independent of ricci_lit's search).
"""
from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp

from ricci_lit.geometry.distances import hop_distance_totals
from ricci_lit.geometry.knn import knn_graph
from ricci_lit.geometry.sampling import sampled_hop_distance_total, source_distance_sums


@pytest.fixture(scope="module")
def graph():
    rng = np.random.default_rng(3)
    t = rng.uniform(0, 2 * np.pi, 300)
    X = np.column_stack([np.cos(t), np.sin(t), 0.05 * rng.standard_normal(300)])
    return knn_graph(X, 6)


def nx_sums(g) -> np.ndarray:
    G = nx.from_scipy_sparse_array(g.adjacency)
    return np.array([sum(nx.single_source_shortest_path_length(G, s).values()) for s in range(g.n)])


@pytest.mark.parametrize("engine", ["numba", "numpy"])
def test_source_sums_match_networkx(graph, engine):
    want = nx_sums(graph)
    src = np.random.default_rng(0).permutation(graph.n)[:150]  # unsorted, more than one word
    assert np.array_equal(source_distance_sums(graph, src, engine=engine), want[src])


def test_all_sources_is_exact(graph):
    est = sampled_hop_distance_total(graph, graph.n, seed=1)
    assert est.exact and est.standard_error == 0.0
    assert est.estimate == hop_distance_totals(graph).total


def test_estimate_is_unbiased_and_its_standard_error_is_honest(graph):
    g = hop_distance_totals(graph).total
    m, runs = 20, 400
    ests = [sampled_hop_distance_total(graph, m, seed=s) for s in range(runs)]
    values = np.array([e.estimate for e in ests])
    # the exact standard error of the mean over `runs` draws, from the population itself
    r = nx_sums(graph).astype(float)
    n = graph.n
    true_se = n * np.sqrt((1 - m / n) * r.var(ddof=1) / m)
    assert abs(values.mean() - g) < 4 * true_se / np.sqrt(runs)
    # the reported standard error estimates the true one (its mean within 10 %) ...
    assert abs(np.mean([e.standard_error for e in ests]) / true_se - 1) < 0.1
    # ... and about 95 % of ±2 SE intervals cover g (binomial band for 400 runs)
    cover = np.mean([abs(e.estimate - g) <= 2 * e.standard_error for e in ests])
    assert 0.88 < cover < 0.995


def test_same_seed_same_estimate_and_sources_without_replacement(graph):
    a = sampled_hop_distance_total(graph, 50, seed=7)
    b = sampled_hop_distance_total(graph, 50, seed=np.random.default_rng(7))
    assert a.estimate == b.estimate and np.array_equal(a.sources, b.sources)
    assert np.unique(a.sources).size == 50


def test_disconnected_graph_is_infinite_not_estimated():
    A = sp.block_diag([nx.to_scipy_sparse_array(nx.path_graph(5)),
                       nx.to_scipy_sparse_array(nx.path_graph(4))]).tocsr()
    est = sampled_hop_distance_total(A, 3, seed=0)
    assert not est.connected and est.estimate == float("inf")


def test_one_source_has_no_standard_error(graph):
    est = sampled_hop_distance_total(graph, 1, seed=0)
    assert np.isnan(est.standard_error) and np.isfinite(est.estimate)


@pytest.mark.parametrize("bad", [0, -1, 301, 2.5, True, "10"])
def test_bad_source_counts_are_refused(graph, bad):
    with pytest.raises(ValueError, match="sources"):
        sampled_hop_distance_total(graph, bad)


def test_non_graph_input_is_a_type_error():
    with pytest.raises(TypeError, match="KnnGraph"):
        sampled_hop_distance_total(np.eye(3), 1)


def test_estimate_is_exported_at_the_top_level_and_from_geometry():
    import ricci_lit
    import ricci_lit.geometry as geometry
    from ricci_lit.geometry import sampling

    for module in (ricci_lit, geometry):
        assert module.sampled_hop_distance_total is sampling.sampled_hop_distance_total
        assert module.SampledDistanceTotal is sampling.SampledDistanceTotal
        assert {"sampled_hop_distance_total", "SampledDistanceTotal"} <= set(module.__all__)
    assert geometry.source_distance_sums is sampling.source_distance_sums


def test_generator_seed_streams_are_reproducible_and_distinct(graph):
    # the per-layer streams ricci_coefficient(sources=m, seed=s) uses: default_rng([s, layer])
    a = sampled_hop_distance_total(graph, 30, seed=np.random.default_rng([4, 0]))
    b = sampled_hop_distance_total(graph, 30, seed=np.random.default_rng([4, 0]))
    c = sampled_hop_distance_total(graph, 30, seed=np.random.default_rng([4, 1]))
    assert a.estimate == b.estimate and np.array_equal(a.sources, b.sources)
    assert not np.array_equal(a.sources, c.sources)


@pytest.mark.parametrize("engine", ["numba", "numpy"])
def test_repeated_sources_and_small_blocks(graph, engine, monkeypatch):
    from ricci_lit.geometry import sampling

    want = nx_sums(graph)
    src = np.array([5, 299, 5, 0, 17, 299])
    assert np.array_equal(source_distance_sums(graph, src, engine=engine), want[src])
    # one word per block (as for a very large graph): several relabellings, same sums
    monkeypatch.setattr(sampling, "_BLOCK_BYTES", 1)
    many = np.random.default_rng(1).permutation(graph.n)[:200]
    assert np.array_equal(source_distance_sums(graph, many, engine=engine), want[many])


@pytest.mark.parametrize("bad", [[-1], [300], [0, 1000]])
def test_out_of_range_sources_are_refused(graph, bad):
    with pytest.raises(ValueError, match="vertices"):
        source_distance_sums(graph, np.array(bad))
