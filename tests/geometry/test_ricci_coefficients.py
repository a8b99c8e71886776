"""Global, aggregated, adjusted, local and layer Ricci coefficients, and the geometry table.

Oracles: brute-force kNN graphs (conftest), networkx degrees and shortest paths, np.corrcoef.
"""
from __future__ import annotations

import math
import warnings

import networkx as nx
import numpy as np
import pytest

from ricci_lit import (
    CollapsedLayerWarning,
    RicciFlowResult,
    adjusted_coefficient,
    aggregated_coefficient,
    coefficient_from_totals,
    edge_curvature,
    fisher_z,
    geometry_table,
    hop_distance_totals,
    knn_graph,
    local_and_layer_coefficients,
    pearson,
    ricci_coefficient,
    select_representations,
)

# --------------------------------------------------------------------------- oracles


def forman_total_nx(G: nx.Graph) -> float:
    return float(sum(4 - G.degree(u) - G.degree(v) for u, v in G.edges()))


def augmented_total_nx(G: nx.Graph) -> float:
    return float(sum(4 - G.degree(u) - G.degree(v) + 3 * len(set(G[u]) & set(G[v])) for u, v in G.edges()))


def g_total_nx(G: nx.Graph) -> float:
    if not nx.is_connected(G):
        return math.inf
    return float(sum(sum(d.values()) for _, d in nx.all_pairs_shortest_path_length(G)))


def rho_oracle(reps, k, brute_knn_union, total=forman_total_nx):
    graphs = [brute_knn_union(X, k) for X in reps]
    ric = np.array([total(G) for G in graphs])
    g = np.array([g_total_nx(G) for G in graphs])
    eta = np.diff(g)
    return ric, g, eta, float(np.corrcoef(ric[:-1], eta)[0, 1])


def local_oracle(reps, k, brute_knn_union, nx_dist_matrix, kind="forman"):
    """O_l(x), η_l(x), ρ(x), ρ_l, n_unreachable by per-point loops over networkx graphs."""
    graphs = [brute_knn_union(X, k) for X in reps]
    n = len(reps[0])
    M = len(graphs) - 1

    def kappa(G, u, v):
        base = 4 - G.degree(u) - G.degree(v)
        return base + (3 * len(set(G[u]) & set(G[v])) if kind == "augmented-forman" else 0)

    O = np.full((M, n), np.nan)
    H = np.full((M, n), np.nan)
    for l in range(M):
        G0, G1 = graphs[l], graphs[l + 1]
        D1 = nx_dist_matrix(G1, n)
        for x in range(n):
            nbrs = list(G0[x])
            O[l, x] = np.mean([kappa(G0, x, y) for y in nbrs])
            d = [D1[x, y] for y in nbrs]
            if all(v >= 0 for v in d):
                H[l, x] = np.mean([v - 1 for v in d])
    rho = np.full(n, np.nan)
    unreachable = 0
    for x in range(n):
        if not np.isfinite(H[:, x]).all():
            unreachable += 1
            continue
        if np.ptp(O[:, x]) == 0 or np.ptp(H[:, x]) < 1e-12:
            continue
        rho[x] = np.corrcoef(O[:, x], H[:, x])[0, 1]
    layer = np.full(M, np.nan)
    for l in range(M):
        ok = np.isfinite(H[l])
        if ok.sum() >= 2 and np.ptp(O[l, ok]) > 0 and np.ptp(H[l, ok]) > 1e-12:
            layer[l] = np.corrcoef(O[l, ok], H[l, ok])[0, 1]
    return O, H, rho, layer, unreachable


def two_clusters(rng, n=40, gap=100.0, d=2):
    X = rng.normal(size=(n, d))
    X[n // 2:] += gap
    return X


# --------------------------------------------------------------------------- global coefficient


def test_global_rho_matches_hand_computation(layered_reps, brute_knn_union):
    k = 6
    ric, g, eta, rho = rho_oracle(layered_reps, k, brute_knn_union)
    assert np.isfinite(g).all(), "test data should give connected graphs"
    res = ricci_coefficient(layered_reps, k)
    assert isinstance(res, RicciFlowResult)
    assert res.ric == tuple(ric) and res.g == tuple(g) and res.eta == tuple(eta)
    assert res.rho == pytest.approx(rho, abs=1e-12)
    assert res.rho_reason == ""
    assert res.n == 60 and res.k == k and res.curvature == "forman" and res.mode == "union"
    assert res.all_connected and res.disconnected_layers == [] and res.collapsed_layers == []
    assert len(res.eta) == len(layered_reps) - 1
    assert res.n_edges == tuple(brute_knn_union(X, k).number_of_edges() for X in layered_reps)


def test_global_rho_augmented_forman(layered_reps, brute_knn_union):
    ric, g, eta, rho = rho_oracle(layered_reps, 5, brute_knn_union, total=augmented_total_nx)
    res = ricci_coefficient(layered_reps, 5, curvature="augmented-forman")
    assert res.ric == tuple(ric)
    assert res.rho == pytest.approx(rho, abs=1e-12)


def test_global_rho_r_compat(rng, r_compat_oracle):
    reps = [np.round(rng.normal(size=(40, 2)) * 2) for _ in range(4)]   # integer data: ties
    k = 3
    out = [r_compat_oracle(X, k) for X in reps]
    ric = np.array([o[2] for o in out], dtype=float)
    g = np.array([o[3] for o in out])
    res = ricci_coefficient(reps, k, mode="r-compat", warn_collapsed=False)
    assert res.ric == tuple(ric) and res.g == tuple(g)
    if np.isfinite(g).all():
        assert res.rho == pytest.approx(np.corrcoef(ric[:-1], np.diff(g))[0, 1], abs=1e-12)
    else:
        assert res.rho is None


def test_hand_made_sequence_k1():
    # Six points, k = 1 (union), every number by hand.
    # path: 0..5 on a line; nearest of i is i−1 (ties go to the lower index) → path 0-1-2-3-4-5
    #   degrees 1,2,2,2,2,1: Ric = 4·5 − (1+4+4+4+4+1) = 2; g = Σ_ordered = 6·35/3 = 70
    path = np.arange(6.0)
    # star5: centre 0 at the origin, leaves ±e1, ±e2, e3 (leaves are √2 or 2 apart) → K_{1,5}
    #   Ric = 4·5 − (25 + 5) = −10; g = 5 (centre) + 5·(1 + 4·2) = 50
    star5 = np.array([[0, 0, 0], [1, 0, 0], [-1, 0, 0], [0, 1, 0], [0, -1, 0], [0, 0, 1]], dtype=float)
    # star4+pendant: centre 0, leaves ±e1, ±e2 (1..4), point 5 at (0, 2.5) → nearest is 3
    #   edges 0-1 (centre's nearest: tie, lowest index), 0-2, 0-3, 0-4, 3-5
    #   degrees 4,1,1,2,1,1: Ric = 20 − 24 = −4; g = 6 + 10 + 10 + 8 + 10 + 12 = 56
    pend = np.array([[0, 0], [1, 0], [-1, 0], [0, 1], [0, -1], [0, 2.5]], dtype=float)
    res = ricci_coefficient([path, star5, pend, path], 1)
    assert res.ric == (2.0, -10.0, -4.0, 2.0)
    assert res.g == (70.0, 50.0, 56.0, 70.0)
    assert res.eta == (-20.0, 6.0, 14.0)
    assert res.rho == pytest.approx(np.corrcoef([2.0, -10.0, -4.0], [-20.0, 6.0, 14.0])[0, 1], abs=1e-14)
    assert res.n_edges == (5, 5, 5, 5)
    # alternating path / star+pendant: perfectly Ricci-flow-like, ρ = −1
    res = ricci_coefficient([path, pend, path, pend, path], 1)
    assert res.ric == (2.0, -4.0, 2.0, -4.0, 2.0) and res.eta == (-14.0, 14.0, -14.0, 14.0)
    assert res.rho == pytest.approx(-1.0, abs=1e-14)
    # three pairs far apart: three disjoint edges, Ric = 3·(4 − 2) = 6, g = inf
    pairs = np.array([0, 1, 10, 11, 20, 21], dtype=float)
    res = ricci_coefficient([path, pairs, path], 1)
    assert res.ric == (2.0, 6.0, 2.0)
    assert math.isinf(res.g[1]) and res.g[2] == 70.0
    assert res.rho is None and "disconnected" in res.rho_reason and "[1]" in res.rho_reason
    assert res.disconnected_layers == [1]
    assert res.n_components == (1, 3, 1)


@pytest.mark.parametrize("kind", ["forman", "augmented-forman"])
def test_rho_invariant_under_point_permutation(layered_reps, kind):
    perm = np.random.default_rng(5).permutation(60)
    a = ricci_coefficient(layered_reps, 6, curvature=kind)
    b = ricci_coefficient([X[perm] for X in layered_reps], 6, curvature=kind)
    assert a.ric == b.ric and a.g == b.g
    assert b.rho == pytest.approx(a.rho, abs=1e-12)


@pytest.mark.parametrize("shift", [3.0, -250.0, 1e3])
def test_rho_invariant_under_translation(layered_reps, shift):
    a = ricci_coefficient(layered_reps, 6)
    reps = list(layered_reps)
    reps[2] = reps[2] + shift
    reps[0] = reps[0] - shift * np.arange(reps[0].shape[1])
    b = ricci_coefficient(reps, 6)
    assert a.ric == b.ric and a.g == b.g and a.rho == b.rho


@pytest.mark.parametrize("scale", [1e-3, 0.37, 12.0, 1e4])
def test_rho_invariant_under_uniform_scaling(layered_reps, scale):
    a = ricci_coefficient(layered_reps, 6)
    reps = list(layered_reps)
    reps[1] = reps[1] * scale
    reps[3] = reps[3] * (1 / scale)
    b = ricci_coefficient(reps, 6)
    assert a.ric == b.ric and a.g == b.g and a.rho == b.rho


def test_rho_changes_under_non_uniform_scaling(layered_reps):
    # guards against an invariance test that cannot fail: stretching one axis changes graphs
    a = ricci_coefficient(layered_reps, 6)
    reps = list(layered_reps)
    reps[0] = reps[0] * np.array([1.0, 50.0, 1.0, 1.0])
    b = ricci_coefficient(reps, 6)
    assert a.ric[0] != b.ric[0] or a.g[0] != b.g[0]


def test_disconnected_representation(rng):
    reps = [rng.normal(size=(40, 2)), two_clusters(rng), rng.normal(size=(40, 3)),
            two_clusters(rng, gap=50.0), rng.normal(size=(40, 2))]
    res = ricci_coefficient(reps, 4)
    assert res.rho is None
    assert "disconnected" in res.rho_reason and "[1, 3]" in res.rho_reason
    assert res.disconnected_layers == [1, 3]
    assert res.connected == (True, False, True, False, True)
    assert math.isinf(res.g[1]) and math.isinf(res.g[3])
    assert res.n_components[1] == 2 and res.n_components[3] == 2
    assert not res.all_connected
    d = res.to_dict()
    assert d["rho"] is None and d["g"][1] is None and d["disconnected_layers"] == [1, 3]


def test_collapsed_layer_warns_and_is_recorded(rng):
    n, k = 30, 4
    reps = [rng.normal(size=(n, 3)), np.zeros((n, 5)),
            np.repeat(rng.normal(size=(3, 2)), 10, axis=0), rng.normal(size=(n, 2))]
    with pytest.warns(CollapsedLayerWarning) as rec:
        res = ricci_coefficient(reps, k)
    msgs = [str(w.message) for w in rec if issubclass(w.category, CollapsedLayerWarning)]
    assert len(msgs) == 2
    assert "representation 1" in msgs[0] and "1 distinct" in msgs[0]
    assert "representation 2" in msgs[1] and "3 distinct" in msgs[1]
    assert res.collapsed_layers == [1, 2]
    assert res.n_distinct == (n, 1, 3, n)
    assert res.to_dict()["collapsed_layers"] == [1, 2]
    with warnings.catch_warnings():
        warnings.simplefilter("error", CollapsedLayerWarning)
        quiet = ricci_coefficient(reps, k, warn_collapsed=False)
    assert quiet.collapsed_layers == [1, 2]
    # exactly k + 1 distinct points is not collapsed
    reps[2] = np.repeat(rng.normal(size=(k + 1, 2)), 6, axis=0)
    with warnings.catch_warnings(record=True) as rec2:
        warnings.simplefilter("always")
        res = ricci_coefficient(reps, k)
    assert res.collapsed_layers == [1]
    assert sum(issubclass(w.category, CollapsedLayerWarning) for w in rec2) == 1


def test_constant_series_gives_none_with_reason(rng):
    X = rng.normal(size=(30, 3))
    res = ricci_coefficient([X, X + 1.0, 2 * X, X], 4)
    assert res.rho is None and "constant" in res.rho_reason
    assert res.eta == (0.0, 0.0, 0.0)


def test_to_dict_is_json_ready(layered_reps):
    import json

    res = ricci_coefficient(layered_reps, 6, local=True)
    d = res.to_dict(include_local=True, include_layer=True)
    json.dumps(d, allow_nan=False)
    for key in ("n", "k", "curvature", "mode", "rho", "ric", "g", "eta", "connected", "n_components",
                "n_distinct", "collapsed_layers", "disconnected_layers", "n_edges", "local", "layer"):
        assert key in d
    assert len(d["layer"]) == len(layered_reps) - 1
    assert set(d["local"]) >= {"mean", "fraction_negative", "n_nan", "n_points", "n_unreachable", "n_constant"}
    assert "local" not in res.to_dict()


# --------------------------------------------------------------------------- coefficient_from_totals, pearson


def test_coefficient_from_totals():
    ric = [5.0, 1.0, -3.0, 2.0, 0.0]
    g = [10.0, 14.0, 11.0, 30.0, 28.0]
    rho, reason, eta = coefficient_from_totals(ric, g)
    assert eta.tolist() == [4.0, -3.0, 19.0, -2.0]
    assert rho == pytest.approx(np.corrcoef(ric[:-1], eta)[0, 1], abs=1e-14) and reason == ""
    rho, reason, _ = coefficient_from_totals(ric, [10.0, math.inf, 11.0, 30.0, 28.0])
    assert rho is None and "[1]" in reason
    with pytest.raises(ValueError):
        coefficient_from_totals([1.0, 2.0], [3.0, 4.0])
    with pytest.raises(ValueError):
        coefficient_from_totals([1.0, 2.0, 3.0], [3.0, 4.0])


def test_pearson(rng):
    x, y = rng.normal(size=20), rng.normal(size=20)
    assert pearson(x, y) == pytest.approx(np.corrcoef(x, y)[0, 1], abs=1e-14)
    assert pearson(x, 3 * x + 1) == 1.0
    assert pearson(x, -x) == -1.0
    assert math.isnan(pearson(np.ones(5), np.arange(5.0)))
    assert math.isnan(pearson(np.arange(5.0), np.full(5, 7.0)))
    assert math.isnan(pearson([1e6] * 4, [1.0, 2.0, 3.0, 4.0]))
    assert math.isnan(pearson([1.0], [2.0]))
    assert math.isnan(pearson([1.0, np.nan, 3.0], [1.0, 2.0, 3.0]))
    assert math.isnan(pearson([1.0, np.inf, 3.0], [1.0, 2.0, 3.0]))
    # large-magnitude but non-constant data is not mistaken for constant
    assert pearson([1e9, 1e9 + 1, 1e9 + 3], [0.0, 1.0, 3.0]) == pytest.approx(1.0)
    with pytest.raises(ValueError):
        pearson([1.0, 2.0], [1.0, 2.0, 3.0])


# --------------------------------------------------------------------------- aggregated, adjusted, fisher


def test_aggregated_coefficient_pools_points(rng):
    series = []
    xs, ys = [], []
    for _ in range(4):
        ric = rng.normal(size=6) * 100
        g = np.cumsum(rng.normal(size=6) * 10) + 1000
        series.append((ric, g))
        xs.append(ric[:-1])
        ys.append(np.diff(g))
    want = np.corrcoef(np.concatenate(xs), np.concatenate(ys))[0, 1]
    mean_of_rhos = np.mean([np.corrcoef(x, y)[0, 1] for x, y in zip(xs, ys)])
    bad = (rng.normal(size=6), np.array([1.0, 2.0, math.inf, 3.0, 4.0, 5.0]))
    rho, used, dropped = aggregated_coefficient(series[:2] + [bad] + series[2:])
    assert rho == pytest.approx(want, abs=1e-12)
    assert rho != pytest.approx(mean_of_rhos, abs=1e-6)
    assert (used, dropped) == (4, 1)
    assert aggregated_coefficient([bad, bad]) == (None, 0, 2)
    assert aggregated_coefficient([]) == (None, 0, 0)
    const = ([1.0, 1.0, 1.0], [1.0, 2.0, 3.0])
    assert aggregated_coefficient([const]) == (None, 1, 0)


def test_aggregated_coefficient_accepts_results(layered_reps, rng):
    r1 = ricci_coefficient(layered_reps, 6)
    r2 = ricci_coefficient(layered_reps[::-1], 6)
    disc = ricci_coefficient([rng.normal(size=(40, 2)), two_clusters(rng), rng.normal(size=(40, 2))], 3)
    rho, used, dropped = aggregated_coefficient([r1, disc, r2])
    xs = np.concatenate([np.array(r1.ric[:-1]), np.array(r2.ric[:-1])])
    ys = np.concatenate([np.diff(r1.g), np.diff(r2.g)])
    assert rho == pytest.approx(np.corrcoef(xs, ys)[0, 1], abs=1e-12)
    assert (used, dropped) == (2, 1)


@pytest.mark.parametrize("rho, L", [(-0.9, 11), (0.3, 5), (-0.45, 6), (0.0, 8)])
def test_adjusted_coefficient(rho, L):
    assert adjusted_coefficient(rho, L) == pytest.approx(0.5 * math.log((1 + rho) / (1 - rho)) / math.sqrt(L - 4))


def test_adjusted_coefficient_errors_and_limits():
    for L in (4, 3, 0, -1):
        with pytest.raises(ValueError):
            adjusted_coefficient(-0.5, L)
    for r in (1.5, -1.0001, math.nan):
        with pytest.raises(ValueError):
            adjusted_coefficient(r, 11)
    assert adjusted_coefficient(1.0, 5) == math.inf
    assert adjusted_coefficient(-1.0, 11) == -math.inf


def test_fisher_z():
    assert fisher_z(0.5, 10) == pytest.approx(math.atanh(0.5) * math.sqrt(7))
    assert fisher_z(-0.2, 4) == pytest.approx(math.atanh(-0.2))
    # with m = L − 1 points Fisher multiplies where the paper's adjusted coefficient divides
    assert fisher_z(-0.6, 10) == pytest.approx(adjusted_coefficient(-0.6, 11) * 7)
    for m in (3, 2):
        with pytest.raises(ValueError):
            fisher_z(0.1, m)
    for r in (2.0, -3.0, math.nan):
        with pytest.raises(ValueError):
            fisher_z(r, 10)


# --------------------------------------------------------------------------- local and layer coefficients


@pytest.mark.parametrize("kind", ["forman", "augmented-forman"])
def test_local_and_layer_match_brute_force(layered_reps, brute_knn_union, nx_dist_matrix, kind):
    k = 6
    O, H, rho, layer, unreach = local_oracle(layered_reps, k, brute_knn_union, nx_dist_matrix, kind)
    res = ricci_coefficient(layered_reps, k, curvature=kind, local=True)
    loc = res.local
    np.testing.assert_allclose(loc.node_curvature, O, atol=1e-12)
    np.testing.assert_allclose(loc.expansion, H, atol=1e-12)
    np.testing.assert_allclose(loc.rho, rho, atol=1e-10)
    np.testing.assert_allclose(loc.layer_rho, layer, atol=1e-10)
    assert loc.n_unreachable == unreach
    assert np.isfinite(rho).sum() > 30, "the test should exercise defined coefficients"
    s = loc.summary()
    fin = rho[np.isfinite(rho)]
    assert s["mean"] == pytest.approx(fin.mean())
    assert s["fraction_negative"] == pytest.approx((fin < 0).mean())
    assert s["n_nan"] == int(np.isnan(rho).sum()) and s["n_points"] == 60


def test_local_unreachable_neighbours_give_nan(brute_knn_union, nx_dist_matrix):
    # layer 0: 20 points on a line (k = 2 → a connected band); layer 1: split between 9 and 10
    line = np.arange(20.0)
    split = np.where(line < 10, line, line + 1000.0)
    wobble = line + 0.3 * np.sin(line)
    reps = [line, split, wobble, line ** 1.1]
    k = 2
    O, H, rho, layer, unreach = local_oracle(reps, k, brute_knn_union, nx_dist_matrix)
    loc = ricci_coefficient(reps, k, local=True).local
    np.testing.assert_allclose(loc.expansion, H, atol=1e-12)
    np.testing.assert_allclose(loc.rho, rho, atol=1e-10)
    np.testing.assert_allclose(loc.layer_rho, layer, atol=1e-10)
    # points whose G_0 neighbourhood straddles the split: at k = 2 on a line, point i picks
    # i − 1 and i + 1, so only 9 (neighbour 10) and 10 (neighbour 9) lose a neighbour
    bad = sorted(np.nonzero(np.isnan(loc.expansion[0]))[0].tolist())
    assert bad == [9, 10]
    assert loc.n_unreachable == unreach == 2
    assert np.isnan(loc.rho[bad]).all()
    assert np.isfinite(loc.expansion[1:]).all()
    assert loc.summary()["n_unreachable"] == 2
    assert loc.summary()["n_nan"] >= 2


def test_local_constant_series_counted(rng):
    X = rng.normal(size=(25, 2))
    loc = ricci_coefficient([X, X * 2, X + 1, X], 3, local=True).local
    # identical graphs: every η_l(x) = 0, so every ρ(x) is undefined because of a constant series
    assert np.all(loc.expansion == 0.0)
    assert np.isnan(loc.rho).all()
    assert loc.n_constant == 25 and loc.n_unreachable == 0
    assert np.isnan(loc.layer_rho).all()
    s = loc.summary()
    assert s["mean"] is None and s["n_nan"] == 25


def test_local_and_layer_coefficients_direct_call(layered_reps):
    graphs = [knn_graph(X, 5) for X in layered_reps]
    a = local_and_layer_coefficients(graphs)
    b = ricci_coefficient(layered_reps, 5, local=True).local
    np.testing.assert_array_equal(a.rho, b.rho)
    with pytest.raises(ValueError):
        local_and_layer_coefficients(graphs[:1])


def test_local_coefficients_reuse_given_curvatures_and_distances(layered_reps):
    """Passing the edge curvatures and distance matrices gives the same numbers; passing
    *different* ones changes them (so they are really used), and wrong lengths are refused."""
    from ricci_lit.geometry.curvature import edge_curvature
    from ricci_lit.geometry.distances import hop_distance_matrix

    graphs = [knn_graph(X, 5) for X in layered_reps]
    curv = [edge_curvature(g, "augmented-forman") for g in graphs]
    dist = [None] + [hop_distance_matrix(g) for g in graphs[1:]]
    a = local_and_layer_coefficients(graphs, "augmented-forman")
    b = local_and_layer_coefficients(graphs, "augmented-forman", edge_curvatures=curv, distances=dist)
    np.testing.assert_array_equal(a.rho, b.rho)
    np.testing.assert_array_equal(a.layer_rho, b.layer_rho)
    c = local_and_layer_coefficients(graphs, "augmented-forman", edge_curvatures=[-x for x in curv])
    np.testing.assert_allclose(c.layer_rho[np.isfinite(a.layer_rho)], -a.layer_rho[np.isfinite(a.layer_rho)])
    with pytest.raises(ValueError, match="one entry per graph"):
        local_and_layer_coefficients(graphs, edge_curvatures=curv[:-1])
    with pytest.raises(ValueError, match="one entry per graph"):
        local_and_layer_coefficients(graphs, distances=dist[1:])


# --------------------------------------------------------------------------- select_representations


def test_select_representations():
    reps = [np.full((3, 1), i, dtype=float) for i in range(7)]
    hidden = select_representations(reps, "hidden")
    assert [int(X[0, 0]) for X in hidden] == [1, 2, 3, 4, 5]
    assert [int(X[0, 0]) for X in select_representations(reps, "all")] == list(range(7))
    assert [int(X[0, 0]) for X in select_representations(reps)] == [1, 2, 3, 4, 5]
    with pytest.raises(ValueError):
        select_representations(reps, "output")
    with pytest.raises(ValueError):
        select_representations(reps[:2], "hidden")


# --------------------------------------------------------------------------- geometry table


def test_geometry_table_matches_per_k_graphs(rng, brute_knn_union):
    reps = [rng.normal(size=(50, 3)), np.round(rng.normal(size=(50, 2)) * 2), two_clusters(rng, 50)]
    ks = [8, 3, 5, 3]
    df = geometry_table(reps, ks)
    assert list(df.columns) == ["layer", "k", "ric", "g", "g_finite", "connected", "n_components",
                                "n_edges", "n_distinct", "collapsed", "diameter",
                                "n_tie_decided"]
    assert len(df) == 3 * 3
    assert df[["layer", "k"]].values.tolist() == [[l, k] for l in range(3) for k in (3, 5, 8)]
    for row in df.itertuples():
        X = reps[row.layer]
        G = brute_knn_union(X, row.k)
        assert row.ric == forman_total_nx(G)
        assert row.g == g_total_nx(G)
        comps = list(nx.connected_components(G))
        finite = sum(sum(d.values()) for _, d in nx.all_pairs_shortest_path_length(G))
        assert row.g_finite == finite
        assert row.connected == (len(comps) == 1)
        assert row.n_components == len(comps)
        assert row.n_edges == G.number_of_edges()
        assert row.n_distinct == len(np.unique(X, axis=0))
        assert row.collapsed == (row.n_distinct < row.k + 1)
        assert row.diameter == max(max(nx.eccentricity(G.subgraph(c)).values()) for c in comps)


@pytest.mark.parametrize("mode", ["union", "r-compat"])
@pytest.mark.parametrize("kind", ["augmented-forman", "approx-ollivier"])
def test_geometry_table_other_curvatures_and_modes(rng, mode, kind):
    reps = [rng.normal(size=(35, 3)), np.repeat(rng.normal(size=(7, 2)), 5, axis=0)]
    df = geometry_table(reps, [2, 4], curvature=kind, mode=mode)
    for row in df.itertuples():
        g = knn_graph(reps[row.layer], row.k, mode=mode)
        assert row.ric == pytest.approx(float(edge_curvature(g, kind).sum()), abs=1e-9)
        assert row.g_finite == hop_distance_totals(g).finite_total
        assert row.n_edges == g.n_edges


def test_geometry_table_rejects_bad_arguments(rng):
    reps = [rng.normal(size=(10, 2))]
    with pytest.raises(ValueError, match="empty"):
        geometry_table(reps, [])
    with pytest.raises(ValueError):
        geometry_table(reps, [10])
    with pytest.raises(ValueError, match="curvature"):
        geometry_table(reps, [2], curvature="scalar")
    with pytest.raises(ValueError, match="mode"):
        geometry_table(reps, [2], mode="mutual")
    with pytest.raises(ValueError, match="backend"):
        geometry_table(reps, [2], backend="jax")


# --------------------------------------------------------------------------- bad inputs


def _reps(rng, n=12, m=3):
    return [rng.normal(size=(n, 2)) for _ in range(m)]


@pytest.mark.parametrize("case, match", [
    ("nan", "NaN or inf"),
    ("inf", "NaN or inf"),
    ("strings", "non-numeric"),
    ("object", "missing value"),
    ("objects", "non-numeric"),
    ("rows", "different numbers of rows"),
    ("two", "at least 3"),
    ("one-array", "single 2-D array"),
    ("3d", "2-D"),
    ("empty", "empty"),
])
def test_ricci_coefficient_bad_representations(rng, case, match):
    reps = _reps(rng)
    if case == "nan":
        reps[1][3, 0] = np.nan
    elif case == "inf":
        reps[2][0, 1] = -np.inf
    elif case == "strings":
        reps[0] = np.array([["x", "y"]] * 12)
    elif case == "object":
        reps[0] = np.array([[1.0, None]] * 12, dtype=object)
    elif case == "objects":
        reps[0] = np.array([[1.0, {}]] * 12, dtype=object)
    elif case == "rows":
        reps[2] = reps[2][:-1]
    elif case == "two":
        reps = reps[:2]
    elif case == "one-array":
        reps = reps[0]
    elif case == "3d":
        reps[1] = np.zeros((12, 2, 2))
    elif case == "empty":
        reps[1] = np.zeros((12, 0))
    with pytest.raises(ValueError, match=match):
        ricci_coefficient(reps, 2)


@pytest.mark.parametrize("k", [0, -1, 12, 13, 2.5, 3.0, "3", None, True])
def test_ricci_coefficient_bad_k(rng, k):
    with pytest.raises(ValueError, match="k"):
        ricci_coefficient(_reps(rng), k)


def test_ricci_coefficient_unknown_mode_and_curvature(rng):
    with pytest.raises(ValueError, match="mode"):
        ricci_coefficient(_reps(rng), 2, mode="directed")
    with pytest.raises(ValueError, match="curvature"):
        ricci_coefficient(_reps(rng), 2, curvature="ricci")


def test_ricci_coefficient_all_empty_reps():
    with pytest.raises(ValueError):
        ricci_coefficient([np.zeros((0, 2))] * 3, 1)
