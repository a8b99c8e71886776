"""``ricci_coefficient(sources=m)``: g_l estimated from sampled BFS sources, ρ from the estimates.

Oracles: the exact path (``sources=None``, itself checked against networkx in
``test_ricci_coefficients.py``), the exact per-source sums of every vertex (the population the
sample is drawn from) and :func:`ricci_lit.geometry.sampling.sampled_hop_distance_total` called
with the documented per-layer stream ``default_rng([seed, layer])``.
"""
from __future__ import annotations

import json
import math

import numpy as np
import pytest

from ricci_lit import (
    coefficient_from_totals,
    geometry_table,
    hop_distance_totals,
    knn_graph,
    ricci_coefficient,
    sampled_hop_distance_total,
)
from ricci_lit.geometry.sampling import source_distance_sums

N, K = 300, 6


@pytest.fixture(scope="module")
def reps():
    """Four connected representations of 300 points: a Gaussian cloud and three random ReLU layers."""
    rng = np.random.default_rng(11)
    out = [rng.normal(size=(N, 3))]
    for width in (6, 6, 4):
        out.append(np.maximum(out[-1] @ rng.normal(size=(out[-1].shape[1], width)), 0.0))
    return out


@pytest.fixture(scope="module")
def exact(reps):
    return ricci_coefficient(reps, K)


def test_exact_path_is_unchanged(reps, exact):
    # sources=None is the exact path: g from every vertex's BFS, ρ from the exact totals
    assert ricci_coefficient(reps, K, sources=None) == exact
    assert ricci_coefficient(reps, K, sources=None, seed=5) == exact  # seed is unused then
    assert exact.g_sources is None and exact.g_standard_error == () and not exact.estimated
    assert exact.g == tuple(hop_distance_totals(knn_graph(X, K)).total for X in reps)
    table = geometry_table(reps, [K])
    rho, _, eta = coefficient_from_totals(table["ric"], table["g"])
    assert exact.rho == rho and exact.eta == tuple(eta)
    d = exact.to_dict()
    assert "g_sources" not in d and "g_standard_error" not in d


@pytest.mark.parametrize("m", [N, N + 1, 10 * N])
def test_all_sources_is_the_exact_result(reps, exact, m):
    assert ricci_coefficient(reps, K, sources=m, seed=3) == exact


def test_estimate_fields_and_exact_curvature(reps, exact):
    res = ricci_coefficient(reps, K, sources=40, seed=0)
    assert res.estimated and res.g_sources == 40
    assert len(res.g_standard_error) == len(reps)
    assert all(0 < se < math.inf for se in res.g_standard_error)
    # only g (and what follows from it) is estimated
    assert res.ric == exact.ric and res.connected == exact.connected
    assert res.n_components == exact.n_components and res.n_edges == exact.n_edges
    assert res.n_distinct == exact.n_distinct and res.n_tie_decided == exact.n_tie_decided
    assert res.g != exact.g
    assert res.eta == tuple(np.diff(res.g))
    rho, reason, _ = coefficient_from_totals(res.ric, res.g)
    assert res.rho == rho and res.rho_reason == reason
    d = json.loads(json.dumps(res.to_dict(), allow_nan=False))
    assert d["g_sources"] == 40 and d["g_standard_error"] == list(res.g_standard_error)


def test_each_layer_draws_from_its_own_seeded_stream(reps):
    m, seed = 25, 9
    res = ricci_coefficient(reps, K, sources=m, seed=seed)
    draws = [sampled_hop_distance_total(knn_graph(X, K), m, seed=np.random.default_rng([seed, layer]))
             for layer, X in enumerate(reps)]
    assert res.g == tuple(e.estimate for e in draws)
    assert res.g_standard_error == tuple(e.standard_error for e in draws)
    # the layers' samples differ from one another
    assert len({tuple(e.sources) for e in draws}) == len(reps)


def test_same_seed_same_numbers_other_seed_other_numbers(reps):
    a = ricci_coefficient(reps, K, sources=30, seed=4)
    b = ricci_coefficient(reps, K, sources=30, seed=4)
    c = ricci_coefficient(reps, K, sources=30, seed=5)
    assert a == b
    assert a.g != c.g and a.g_standard_error != c.g_standard_error


def test_estimate_is_unbiased_and_its_standard_error_is_honest(reps, exact):
    m, runs = 20, 100
    results = [ricci_coefficient(reps, K, sources=m, seed=s) for s in range(runs)]
    G = np.array([r.g for r in results])                 # [runs, layers]
    SE = np.array([r.g_standard_error for r in results])
    g = np.array(exact.g)
    # the true standard error of ĝ_l, from the population of per-source sums
    true_se = []
    for X in reps:
        r = source_distance_sums(knn_graph(X, K), np.arange(N)).astype(float)
        true_se.append(N * np.sqrt((1 - m / N) * r.var(ddof=1) / m))
    true_se = np.array(true_se)
    assert np.all(np.abs(G.mean(axis=0) - g) < 4 * true_se / np.sqrt(runs))
    empirical_sd = G.std(axis=0, ddof=1)
    ratio = SE.mean(axis=0) / empirical_sd
    assert np.all((ratio > 1 / 1.5) & (ratio < 1.5)), ratio
    # ρ from the estimates is close to the exact ρ (it is not itself unbiased, but consistent)
    rhos = np.array([r.rho for r in results], dtype=float)
    assert np.isfinite(rhos).all()
    assert abs(np.median(rhos) - exact.rho) < 0.2


def two_clusters(rng, n=40, gap=60.0):
    return np.vstack([rng.normal(size=(n // 2, 2)), rng.normal(size=(n // 2, 2)) + gap])


def test_disconnected_layer_is_reported_never_estimated():
    rng = np.random.default_rng(2)
    reps = [rng.normal(size=(40, 2)), two_clusters(rng), rng.normal(size=(40, 3)), rng.normal(size=(40, 2))]
    res = ricci_coefficient(reps, 4, sources=10, seed=0)
    assert res.estimated and res.disconnected_layers == [1] and res.n_components[1] == 2
    assert math.isinf(res.g[1]) and math.isinf(res.g_standard_error[1])
    assert all(math.isfinite(v) for i, v in enumerate(res.g) if i != 1)
    assert res.rho is None and "disconnected" in res.rho_reason and "[1]" in res.rho_reason
    d = res.to_dict()
    assert d["g"][1] is None and d["g_standard_error"][1] is None


def test_one_source_estimates_g_without_standard_error(reps):
    res = ricci_coefficient(reps, K, sources=1, seed=0)
    assert all(math.isfinite(v) for v in res.g) and all(math.isnan(se) for se in res.g_standard_error)


def test_numpy_integer_sources_are_accepted(reps):
    assert ricci_coefficient(reps, K, sources=np.int64(30), seed=np.int64(4)) == \
        ricci_coefficient(reps, K, sources=30, seed=4)


@pytest.mark.parametrize("bad", [0, -1, True, False, 2.5, 30.0, "10", [10]])
def test_bad_sources_are_refused(reps, bad):
    with pytest.raises(ValueError, match="sources"):
        ricci_coefficient(reps, K, sources=bad)


@pytest.mark.parametrize("bad", [-1, 1.5, True, "0", None])
def test_bad_seeds_are_refused(reps, bad):
    with pytest.raises(ValueError, match="seed"):
        ricci_coefficient(reps, K, sources=10, seed=bad)


@pytest.mark.parametrize("m", [10, N])
def test_local_coefficients_need_every_pair(reps, m):
    with pytest.raises(ValueError, match="local"):
        ricci_coefficient(reps, K, local=True, sources=m)
