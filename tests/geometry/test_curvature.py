"""Edge and node curvatures against hand-computed closed forms, an LP, and GraphRicciCurvature.

Closed forms used below (unit weights, simple graphs; d = degree, t = triangles on the edge):

* Forman 4 − d_u − d_v; augmented Forman 4 − d_u − d_v + 3t.
* Exact Ollivier, μ_x uniform on the neighbours of x (no laziness), κ = 1 − W₁:
  - K_n: μ_u and μ_v share n − 2 atoms; the 1/(n−1) at v must move to u: κ = (n−2)/(n−1).
  - C_n, n ≥ 4: shift u−1 → u and u+1 → u+2 (cost 1); the potential "position along the
    cycle" shows W₁ ≥ 1 : κ = 0.
  - star, centre c with m leaves: μ_leaf = δ_c, every leaf at distance 1 from c: κ = 0.
  - grid, both endpoints interior: shift each neighbour by one step along the edge (cost 1);
    f(x, y) = x is 1-Lipschitz and gains 1: κ = 0.
  - barbell of two K_m joined by a bridge (a, b): bridge κ = 4/m − 2 (potential 0 on the clique
    of a without a, 1 at a, 2 at b, 3 on the other clique); clique edge at a: κ = 1 − 2/m;
    other clique edges (m−2)/(m−1) as in K_m.
  Each closed form is also checked against an independent LP (scipy.optimize.linprog).
* Approximate Ollivier: the Jost–Liu bound average of paper-notes §1, transcribed here.
"""
from __future__ import annotations

import math

import networkx as nx
import numpy as np
import pytest
from scipy.optimize import linprog

from ricci_lit import (
    CURVATURES,
    edge_curvature,
    graph_from_adjacency,
    knn_graph,
    node_curvature,
    total_curvature,
    triangles,
)

# --------------------------------------------------------------------------- oracles


def nx_edges(graph):
    return [(int(i), int(j)) for i, j in graph.edges]


def common(G, u, v) -> int:
    return len(set(G[u]) & set(G[v]))


def forman_nx(G, u, v) -> float:
    return 4.0 - G.degree(u) - G.degree(v)


def augmented_nx(G, u, v) -> float:
    return 4.0 - G.degree(u) - G.degree(v) + 3 * common(G, u, v)


def approx_ollivier_nx(G, u, v) -> float:
    du, dv, t = G.degree(u), G.degree(v), common(G, u, v)
    base = 1 - 1 / du - 1 / dv
    return t / max(du, dv) - 0.5 * (max(base - t / min(du, dv), 0) + max(base - t / max(du, dv), 0))


def ollivier_lp(G, u, v) -> float:
    """1 − W₁(μ_u, μ_v) by a dense transport LP with networkx hop distances."""
    Nu, Nv = sorted(G[u]), sorted(G[v])
    a = np.full(len(Nu), 1.0 / len(Nu))
    b = np.full(len(Nv), 1.0 / len(Nv))
    dist = {x: nx.single_source_shortest_path_length(G, x) for x in Nu}
    C = np.array([[dist[x][y] for y in Nv] for x in Nu], dtype=float)
    m, n = C.shape
    A_eq = np.zeros((m + n, m * n))
    for i in range(m):
        A_eq[i, i * n:(i + 1) * n] = 1.0
    for j in range(n):
        A_eq[m + j, j::n] = 1.0
    res = linprog(C.ravel(), A_eq=A_eq, b_eq=np.concatenate([a, b]), bounds=(0, None), method="highs")
    assert res.status == 0
    return 1.0 - res.fun


ORACLES = {
    "forman": forman_nx,
    "augmented-forman": augmented_nx,
    "approx-ollivier": approx_ollivier_nx,
    "ollivier": ollivier_lp,
}


def kn(n):
    return nx.complete_graph(n)


# --------------------------------------------------------------------------- closed forms, verified by LP


@pytest.mark.parametrize("n", [3, 4, 5, 7])
def test_closed_form_ollivier_complete_graph_matches_lp(n):
    G = kn(n)
    assert ollivier_lp(G, 0, 1) == pytest.approx((n - 2) / (n - 1), abs=1e-9)


@pytest.mark.parametrize("n", [4, 5, 6, 8])
def test_closed_form_ollivier_cycle_matches_lp(n):
    assert ollivier_lp(nx.cycle_graph(n), 0, 1) == pytest.approx(0.0, abs=1e-9)


def test_closed_form_ollivier_star_grid_barbell_match_lp():
    assert ollivier_lp(nx.star_graph(5), 0, 3) == pytest.approx(0.0, abs=1e-9)
    G = nx.convert_node_labels_to_integers(nx.grid_2d_graph(4, 4), label_attribute="xy")
    idx = {G.nodes[v]["xy"]: v for v in G}
    assert ollivier_lp(G, idx[(1, 1)], idx[(1, 2)]) == pytest.approx(0.0, abs=1e-9)
    for m in (3, 4, 5):
        B = nx.barbell_graph(m, 0)          # bridge (m−1, m)
        a, b = m - 1, m
        assert ollivier_lp(B, a, b) == pytest.approx(4 / m - 2, abs=1e-9)
        assert ollivier_lp(B, 0, a) == pytest.approx(1 - 2 / m, abs=1e-9)
        if m >= 3:
            assert ollivier_lp(B, 0, 1) == pytest.approx((m - 2) / (m - 1), abs=1e-9)


# --------------------------------------------------------------------------- hand-computed golden values


@pytest.mark.parametrize("n", [3, 4, 6, 9])
def test_complete_graph_all_curvatures(n):
    g = graph_from_adjacency(kn(n))
    E = n * (n - 1) // 2
    assert g.n_edges == E
    np.testing.assert_array_equal(edge_curvature(g, "forman"), np.full(E, 6.0 - 2 * n))
    np.testing.assert_array_equal(edge_curvature(g, "augmented-forman"), np.full(E, float(n)))
    np.testing.assert_allclose(edge_curvature(g, "approx-ollivier"), (n - 2) / (n - 1), atol=1e-12)
    np.testing.assert_allclose(edge_curvature(g, "ollivier"), (n - 2) / (n - 1), atol=1e-9)


@pytest.mark.parametrize("n", [4, 5, 6, 11])
def test_cycle_all_curvatures_are_zero(n):
    g = graph_from_adjacency(nx.cycle_graph(n))
    for kind in CURVATURES:
        np.testing.assert_allclose(edge_curvature(g, kind), 0.0, atol=1e-9, err_msg=kind)


def test_triangle_is_complete_graph_three():
    g = graph_from_adjacency(nx.cycle_graph(3))
    np.testing.assert_array_equal(edge_curvature(g, "forman"), [0.0, 0.0, 0.0])
    np.testing.assert_array_equal(edge_curvature(g, "augmented-forman"), [3.0, 3.0, 3.0])
    np.testing.assert_allclose(edge_curvature(g, "ollivier"), 0.5, atol=1e-9)
    np.testing.assert_allclose(edge_curvature(g, "approx-ollivier"), 0.5, atol=1e-12)


@pytest.mark.parametrize("m", [1, 2, 5, 8])
def test_star(m):
    g = graph_from_adjacency(nx.star_graph(m))
    np.testing.assert_array_equal(edge_curvature(g, "forman"), np.full(m, 3.0 - m))
    np.testing.assert_array_equal(edge_curvature(g, "augmented-forman"), np.full(m, 3.0 - m))
    if m >= 2:  # the single edge K_2 has μ_u = δ_v, μ_v = δ_u: κ = 0 as well
        np.testing.assert_allclose(edge_curvature(g, "approx-ollivier"), 0.0, atol=1e-12)
    np.testing.assert_allclose(edge_curvature(g, "ollivier"), 0.0, atol=1e-9)


def test_single_edge():
    g = graph_from_adjacency(nx.path_graph(2))
    assert edge_curvature(g, "forman").tolist() == [2.0]
    assert edge_curvature(g, "augmented-forman").tolist() == [2.0]
    assert edge_curvature(g, "ollivier") == pytest.approx([0.0], abs=1e-9)  # W1(δ_v, δ_u) = 1
    # Jost–Liu average with d = 1, t = 0: base = −1, both parts 0 → 0
    assert edge_curvature(g, "approx-ollivier") == pytest.approx([0.0], abs=1e-12)


def test_grid_curvatures():
    rows, cols = 4, 5
    G0 = nx.grid_2d_graph(rows, cols)
    G = nx.convert_node_labels_to_integers(G0, ordering="sorted", label_attribute="xy")
    g = graph_from_adjacency(G)
    assert g.n_edges == rows * (cols - 1) + cols * (rows - 1)
    deg = {v: G.degree(v) for v in G}
    F = edge_curvature(g, "forman")
    AF = edge_curvature(g, "augmented-forman")
    AO = edge_curvature(g, "approx-ollivier")
    OR = edge_curvature(g, "ollivier")
    for e, (u, v) in enumerate(nx_edges(g)):
        assert F[e] == 4 - deg[u] - deg[v]
        assert AF[e] == F[e]                                  # a grid has no triangles
        assert AO[e] == pytest.approx(-max(1 - 1 / deg[u] - 1 / deg[v], 0.0), abs=1e-12)
        if deg[u] == deg[v] == 4:
            assert OR[e] == pytest.approx(0.0, abs=1e-9)     # interior edges
            assert F[e] == -4 and AO[e] == pytest.approx(-0.5)
    # the rest by the LP
    for e, (u, v) in enumerate(nx_edges(g)):
        assert OR[e] == pytest.approx(ollivier_lp(G, u, v), abs=1e-8)
    # 4 corners with degree 2, sum of degrees = 2|E|
    assert sorted(g.degree.tolist())[:4] == [2, 2, 2, 2]


@pytest.mark.parametrize("m", [3, 4, 6])
def test_barbell_curvatures(m):
    G = nx.barbell_graph(m, 0)
    g = graph_from_adjacency(G)
    a, b = m - 1, m
    expected = {
        "forman": {"bridge": 4 - 2 * m, "at_a": 5 - 2 * m, "inner": 6 - 2 * m},
        "augmented-forman": {"bridge": 4 - 2 * m, "at_a": 5 - 2 * m + 3 * (m - 2),
                             "inner": 6 - 2 * m + 3 * (m - 2)},
        "ollivier": {"bridge": 4 / m - 2, "at_a": 1 - 2 / m, "inner": (m - 2) / (m - 1)},
    }
    # approximate Ollivier by hand: bridge d = (m, m), t = 0 → −(1 − 2/m);
    # at a: d = (m, m−1), t = m−2 → (m−2)/m (both brackets negative); inner as in K_m
    expected["approx-ollivier"] = {"bridge": -(1 - 2 / m), "at_a": (m - 2) / m, "inner": (m - 2) / (m - 1)}
    for kind, vals in expected.items():
        got = edge_curvature(g, kind)
        for e, (u, v) in enumerate(nx_edges(g)):
            if (u, v) == (a, b):
                want = vals["bridge"]
            elif a in (u, v) or b in (u, v):
                want = vals["at_a"]
            else:
                want = vals["inner"]
            assert got[e] == pytest.approx(want, abs=1e-9), (kind, u, v)


def test_barbell_m4_golden_values():
    # literal numbers (GraphRicciCurvature style) for barbell_graph(4, 0), bridge (3, 4)
    g = graph_from_adjacency(nx.barbell_graph(4, 0))
    e = {(int(i), int(j)): n for n, (i, j) in enumerate(g.edges)}
    F, AF = edge_curvature(g, "forman"), edge_curvature(g, "augmented-forman")
    OR, AO = edge_curvature(g, "ollivier"), edge_curvature(g, "approx-ollivier")
    assert (F[e[3, 4]], F[e[0, 3]], F[e[0, 1]]) == (-4.0, -3.0, -2.0)
    assert (AF[e[3, 4]], AF[e[0, 3]], AF[e[0, 1]]) == (-4.0, 3.0, 4.0)
    assert OR[e[3, 4]] == pytest.approx(-1.0, abs=1e-9)
    assert OR[e[0, 3]] == pytest.approx(0.5, abs=1e-9)
    assert OR[e[0, 1]] == pytest.approx(2 / 3, abs=1e-9)
    assert AO[e[3, 4]] == pytest.approx(-0.5)
    assert AO[e[0, 3]] == pytest.approx(0.5)
    assert AO[e[0, 1]] == pytest.approx(2 / 3)


def test_karate_golden_values(named_graphs):
    # GraphRicciCurvature's FormanRicci docstring: karate club edge (0, 2) has augmented
    # Forman curvature −7 (d_0 = 16, d_2 = 10, five triangles)
    g = graph_from_adjacency(named_graphs["karate"])
    e = {(int(i), int(j)): n for n, (i, j) in enumerate(g.edges)}
    assert edge_curvature(g, "augmented-forman")[e[0, 2]] == -7.0
    assert edge_curvature(g, "forman")[e[0, 2]] == -22.0
    assert triangles(g)[e[0, 2]] == 5


@pytest.mark.parametrize("name", ["cycle6", "cycle9", "complete5", "star6", "grid4x5", "barbell4", "petersen", "karate"])
@pytest.mark.parametrize("kind", CURVATURES)
def test_every_curvature_matches_oracle_on_named_graphs(named_graphs, name, kind):
    G = named_graphs[name]
    g = graph_from_adjacency(G)
    got = edge_curvature(g, kind)
    assert got.shape == (G.number_of_edges(),) and got.dtype == np.float64
    want = np.array([ORACLES[kind](G, u, v) for u, v in nx_edges(g)])
    np.testing.assert_allclose(got, want, atol=1e-8, rtol=0)


def test_petersen_ollivier_value():
    # Petersen graph: 3-regular, girth 5, diameter 2. Edge (u, v): μ_u on {v, a, b}, μ_v on
    # {u, c, d}. Plan a → u (1), v → c (1), b → d (2): W1 = 4/3. Lower bound: a, b, c, d are
    # pairwise non-adjacent across the edge (a 4-cycle otherwise), so any plan moving mass
    # off {u, v} pays 2 for one of the three units: κ = 1 − 4/3 = −1/3.
    G = nx.petersen_graph()
    lp = ollivier_lp(G, 0, 1)
    assert lp == pytest.approx(-1 / 3, abs=1e-9)
    got = edge_curvature(graph_from_adjacency(G), "ollivier")
    np.testing.assert_allclose(got, -1 / 3, atol=1e-9)   # edge-transitive: all equal


# --------------------------------------------------------------------------- triangles, node curvature, totals


def test_triangles_match_networkx(rng, brute_knn_union):
    G = nx.gnp_random_graph(60, 0.15, seed=3)
    g = graph_from_adjacency(G)
    want = [common(G, u, v) for u, v in nx_edges(g)]
    assert triangles(g).tolist() == want
    # explicit pairs, including non-edges
    pairs = np.array([[0, 1], [2, 5], [10, 40], [7, 7]])
    want = [common(G, int(a), int(b)) if a != b else G.degree(int(a)) for a, b in pairs]
    assert triangles(g, pairs).tolist() == want
    # (A²)_ij on a kNN graph
    X = rng.normal(size=(80, 3))
    gk = knn_graph(X, 6)
    A = gk.adjacency.toarray().astype(np.int64)
    A2 = A @ A
    assert triangles(gk).tolist() == [A2[i, j] for i, j in gk.edges]


@pytest.mark.parametrize("kind", ["augmented-forman", "approx-ollivier", "forman"])
def test_given_triangle_counts_are_used_and_checked(rng, kind):
    g = knn_graph(rng.normal(size=(70, 3)), 5)
    t = triangles(g)
    assert np.array_equal(edge_curvature(g, kind, triangle_counts=t), edge_curvature(g, kind))
    if kind != "forman":  # the counts given are the ones used (not recomputed behind the caller's back)
        assert not np.array_equal(edge_curvature(g, kind, triangle_counts=t + 1), edge_curvature(g, kind))
        with pytest.raises(ValueError, match="one per edge"):
            edge_curvature(g, kind, triangle_counts=t[:-1])


def test_total_forman_is_4E_minus_sum_of_squared_degrees(named_graphs):
    for name, G in named_graphs.items():
        g = graph_from_adjacency(G)
        d = np.array([G.degree(v) for v in sorted(G)])
        assert total_curvature(g, "forman") == 4 * G.number_of_edges() - int((d * d).sum()), name


def test_node_curvature_mean_and_sum(named_graphs):
    G = named_graphs["barbell4"]
    G.add_node(99)  # an isolated vertex (index 8 after sorting)
    g = graph_from_adjacency(G)
    kappa = edge_curvature(g, "augmented-forman")
    nodes = sorted(G)
    by_edge = {frozenset(e): kappa[n] for n, e in enumerate(nx_edges(g))}
    mean = node_curvature(g, kappa, "mean")
    sums = node_curvature(g, kappa, "sum")
    for idx, v in enumerate(nodes):
        vals = [by_edge[frozenset((idx, nodes.index(w)))] for w in G[v]]
        if vals:
            assert mean[idx] == pytest.approx(np.mean(vals))
            assert sums[idx] == pytest.approx(np.sum(vals))
        else:
            assert math.isnan(mean[idx]) and sums[idx] == 0.0
    with pytest.raises(ValueError):
        node_curvature(g, kappa, "median")
    with pytest.raises(ValueError):
        node_curvature(g, kappa[:-1])


def test_r_compat_node_curvature_counts_directed_edges():
    # three points on a line: 0 — 1 — 2 (distances 1, 1.5); k = 1 gives 0→1, 1→0, 2→1
    X = np.array([[0.0], [1.0], [2.5]])
    g = knn_graph(X, 1, mode="r-compat")
    assert sorted(map(tuple, g.edges.tolist())) == [(0, 1), (1, 0), (2, 1)]
    # in + out degree: D0 = 2, D1 = 3, D2 = 1
    assert g.degree.tolist() == [2, 3, 1]
    F = edge_curvature(g, "forman")
    by = {tuple(e): F[n] for n, e in enumerate(g.edges.tolist())}
    assert by[(0, 1)] == by[(1, 0)] == 4 - 2 - 3 and by[(2, 1)] == 4 - 1 - 3
    s = node_curvature(g, F, "sum")
    # node 0: edges 0→1, 1→0 (−1 each); node 1: those two and 2→1 (0); node 2: 2→1
    assert s.tolist() == [-2.0, -2.0, 0.0]
    np.testing.assert_allclose(node_curvature(g, F, "mean"), [-1.0, -2.0 / 3.0, 0.0])
    # augmented: no triangles in the simple graph (a path)
    np.testing.assert_array_equal(edge_curvature(g, "augmented-forman"), F)
    # approx-ollivier / ollivier are evaluated on the simple path 0–1–2, once per directed edge
    P = nx.path_graph(3)
    for kind in ("approx-ollivier", "ollivier"):
        vals = edge_curvature(g, kind)
        for n, (i, j) in enumerate(g.edges.tolist()):
            assert vals[n] == pytest.approx(ORACLES[kind](P, i, j), abs=1e-9)


def test_empty_edge_set_and_unknown_curvature():
    g = graph_from_adjacency(nx.empty_graph(4))
    for kind in CURVATURES:
        assert edge_curvature(g, kind).shape == (0,)
        assert total_curvature(g, kind) == 0.0
    g2 = graph_from_adjacency(nx.path_graph(3))
    for bad in ("ricci", "Forman", "", None):
        with pytest.raises(ValueError, match="unknown curvature"):
            edge_curvature(g2, bad)


# --------------------------------------------------------------------------- GraphRicciCurvature as an oracle


def _grc_graph(G: nx.Graph) -> nx.Graph:
    """A fresh unweighted copy (GraphRicciCurvature then sets every edge and node weight to 1)."""
    H = nx.Graph()
    H.add_nodes_from(sorted(G))
    H.add_edges_from(G.edges())
    return H


def _random_graphs():
    out = []
    for seed in (1, 2):
        out.append(("er", nx.gnp_random_graph(45, 0.12, seed=seed)))
    rng = np.random.default_rng(7)
    for k in (3, 6):
        X = rng.normal(size=(60, 3))
        out.append((f"knn{k}", knn_graph_nx(X, k)))
    return out


def knn_graph_nx(X, k):
    D = ((X[:, None, :] - X[None, :, :]) ** 2).sum(2)
    G = nx.Graph()
    G.add_nodes_from(range(len(X)))
    for i in range(len(X)):
        for j in sorted((j for j in range(len(X)) if j != i), key=lambda j: (D[i, j], j))[:k]:
            G.add_edge(i, j)
    return G


RANDOM_GRAPHS = _random_graphs()


@pytest.mark.parametrize("label, G", RANDOM_GRAPHS, ids=[r[0] for r in RANDOM_GRAPHS])
@pytest.mark.parametrize("method, kind", [("1d", "forman"), ("augmented", "augmented-forman")])
def test_forman_matches_graphricci(label, G, method, kind):
    grc = pytest.importorskip("GraphRicciCurvature.FormanRicci")
    frc = grc.FormanRicci(_grc_graph(G), method=method)
    frc.compute_ricci_curvature()
    g = graph_from_adjacency(G)
    got = edge_curvature(g, kind)
    want = np.array([frc.G[u][v]["formanCurvature"] for u, v in nx_edges(g)])
    np.testing.assert_allclose(got, want, atol=1e-12)
    # node curvature: GraphRicciCurvature averages incident edge curvature too
    mean = node_curvature(g, got, "mean")
    for v in sorted(G):
        if G.degree(v):
            assert mean[v] == pytest.approx(frc.G.nodes[v]["formanCurvature"])


@pytest.mark.parametrize("label, G", RANDOM_GRAPHS[:1] + RANDOM_GRAPHS[2:3],
                         ids=[RANDOM_GRAPHS[0][0], RANDOM_GRAPHS[2][0]])
def test_ollivier_matches_graphricci_alpha0(label, G):
    grc = pytest.importorskip("GraphRicciCurvature.OllivierRicci")
    pytest.importorskip("networkit")
    H = _grc_graph(G)
    orc = grc.OllivierRicci(H, alpha=0.0, method="OTD", proc=1, verbose="ERROR")
    orc.compute_ricci_curvature()
    g = graph_from_adjacency(G)
    got = edge_curvature(g, "ollivier")
    want = np.array([orc.G[u][v]["ricciCurvature"] for u, v in nx_edges(g)])
    np.testing.assert_allclose(got, want, atol=1e-6)


def test_ollivier_matches_lp_on_random_knn_graph(rng, brute_knn_union):
    # independent of POT: every edge of a random kNN graph by linprog
    X = rng.normal(size=(40, 2))
    G = brute_knn_union(X, 3)
    g = knn_graph(X, 3)
    got = edge_curvature(g, "ollivier")
    want = [ollivier_lp(G, u, v) for u, v in nx_edges(g)]
    np.testing.assert_allclose(got, want, atol=1e-8)
    # the approximation is an average of a lower and an upper bound of κ: not equal, but close
    approx = edge_curvature(g, "approx-ollivier")
    assert np.all(np.isfinite(approx))
