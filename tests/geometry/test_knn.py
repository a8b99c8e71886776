"""kNN graphs: union mode against a brute-force kNN, r-compat against a transcription of the R code.

Oracles are computed here from a full distance matrix by explicit coordinate differences, never
through :mod:`ricci_lit.geometry.knn`.
"""
from __future__ import annotations

import itertools

import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp

import ricci_lit
from ricci_lit import graph_from_adjacency, knn_graph, knn_graphs
from ricci_lit.geometry.knn import graph_from_table, neighbour_table
from ricci_lit.geometry.curvature import edge_curvature
from ricci_lit.geometry.distances import hop_distance_totals


# --------------------------------------------------------------------------- oracles

def sqdist(X: np.ndarray) -> np.ndarray:
    X = np.asarray(X, dtype=np.float64)
    if X.ndim == 1:
        X = X[:, None]
    diff = X[:, None, :] - X[None, :, :]
    return (diff * diff).sum(axis=2)


def brute_union_edges(X: np.ndarray, k: int) -> set[tuple[int, int]]:
    """Stable argsort of each row (ties by index), exactly k out-neighbours, undirected union."""
    D = sqdist(X)
    n = D.shape[0]
    edges = set()
    for i in range(n):
        others = [j for j in range(n) if j != i]
        order = sorted(others, key=lambda j: (D[i, j], j))
        for j in order[:k]:
            edges.add((min(i, j), max(i, j)))
    return edges


def edge_set(graph) -> set[tuple[int, int]]:
    return {(int(i), int(j)) for i, j in graph.edges}


# --------------------------------------------------------------------------- data

def integer_grid(side: int = 5) -> np.ndarray:
    return np.array(list(itertools.product(range(side), range(side))), dtype=np.float64)


def duplicated_points(rng, m: int = 15, reps: int = 3) -> np.ndarray:
    base = rng.normal(size=(m, 3))
    X = np.repeat(base, reps, axis=0)
    return X[rng.permutation(X.shape[0])]


def integer_cloud(rng, n: int = 40) -> np.ndarray:
    return rng.integers(0, 4, size=(n, 2)).astype(np.float64)


TIE_CASES = ["grid", "duplicates", "int-cloud", "identical", "line"]


def tie_data(name: str, rng) -> np.ndarray:
    if name == "grid":
        return integer_grid(5)
    if name == "duplicates":
        return duplicated_points(rng)
    if name == "int-cloud":
        return integer_cloud(rng)
    if name == "identical":
        return np.zeros((9, 4))
    if name == "line":
        return np.array([0, 1, 2, 3, 5, 6, 8, 9, 9, 10], dtype=np.float64)
    raise AssertionError(name)


# --------------------------------------------------------------------------- union mode

@pytest.mark.parametrize("k", [1, 2, 3, 5, 8])
def test_union_random_points_match_brute_force(rng, k):
    X = rng.normal(size=(70, 4))
    g = knn_graph(X, k)
    assert edge_set(g) == brute_union_edges(X, k)
    assert g.mode == "union" and g.k == k and g.n == 70


@pytest.mark.parametrize("case", TIE_CASES)
@pytest.mark.parametrize("k", [1, 3, 4, 6])
def test_union_with_ties_matches_brute_force(rng, case, k):
    X = tie_data(case, rng)
    if k >= X.shape[0]:
        pytest.skip("k must be < n")
    g = knn_graph(X, k)
    assert edge_set(g) == brute_union_edges(X, k)


def test_union_identical_points_pick_lowest_indices():
    # all distances 0: point i picks the k lowest indices other than itself
    n, k = 7, 2
    g = knn_graph(np.ones((n, 3)), k)
    expected = set()
    for i in range(n):
        for j in [j for j in range(n) if j != i][:k]:
            expected.add((min(i, j), max(i, j)))
    assert edge_set(g) == expected
    assert g.n_distinct == 1 and g.collapsed


@pytest.mark.parametrize("case", ["random", *TIE_CASES])
def test_union_graph_properties(rng, case):
    X = rng.normal(size=(50, 3)) if case == "random" else tie_data(case, rng)
    k = 3
    g = knn_graph(X, k)
    A = g.adjacency.toarray()
    assert A.shape == (g.n, g.n)
    assert (A == A.T).all(), "adjacency must be symmetric"
    assert (np.diag(A) == 0).all(), "no self loops"
    assert set(np.unique(A)) <= {0, 1}
    assert (A.sum(1) >= k).all(), "every degree >= k"
    assert np.array_equal(g.degree, A.sum(1))
    assert (g.edges[:, 0] < g.edges[:, 1]).all()
    order = np.lexsort((g.edges[:, 1], g.edges[:, 0]))
    assert np.array_equal(order, np.arange(g.n_edges)), "edges sorted by (i, j)"
    assert g.n_edges == A.sum() // 2
    assert len(edge_set(g)) == g.n_edges, "no duplicate edges"
    # every point has exactly k out-neighbours, so |E| <= n k
    assert g.n_edges <= g.n * k
    # deterministic
    g2 = knn_graph(X.copy(), k)
    assert np.array_equal(g.edges, g2.edges)
    assert np.array_equal(g.degree, g2.degree)


def test_n_distinct_and_collapsed(rng):
    X = duplicated_points(rng, m=4, reps=5)  # 20 points, 4 distinct
    assert knn_graph(X, 3).n_distinct == 4
    assert not knn_graph(X, 3).collapsed      # 4 >= k + 1
    assert knn_graph(X, 4).collapsed           # 4 < 5


def test_knn_graphs_equals_single_k_graphs(rng):
    X = np.vstack([rng.normal(size=(30, 3)), np.repeat(rng.normal(size=(5, 3)), 3, axis=0)])
    ks = [5, 1, 3, 8]
    for mode in ("union", "r-compat"):
        many = knn_graphs(X, ks, mode=mode)
        assert [g.k for g in many] == ks
        for g, k in zip(many, ks):
            single = knn_graph(X, k, mode=mode)
            assert np.array_equal(g.edges, single.edges)
            assert np.array_equal(g.degree, single.degree)
            assert (g.adjacency != single.adjacency).nnz == 0


@pytest.mark.parametrize("engine", ["numpy", "numba"])
def test_row_blocks_do_not_change_the_graph(rng, r_compat_oracle, engine):
    # force many distance blocks (block_rows rows of distances at a time)
    X = np.vstack([duplicated_points(rng, m=12, reps=3), integer_cloud(rng, 20) @ np.ones((2, 3)) / 2])
    whole = neighbour_table(X, 5, engine=engine)
    table = neighbour_table(X, 5, engine=engine, block_rows=7)
    for name in ("indptr", "indices", "sqdist", "rank"):
        assert np.array_equal(getattr(table, name), getattr(whole, name))
    for k in (2, 5):
        assert edge_set(graph_from_table(table, k, "union")) == brute_union_edges(X, k)
        directed, deg, _, _ = r_compat_oracle(X, k)
        g = graph_from_table(table, k, "r-compat")
        assert sorted(map(tuple, g.edges.tolist())) == sorted(directed)
    with pytest.raises(ValueError, match="block_rows"):
        neighbour_table(X, 5, block_rows=0)


def test_one_dimensional_input_is_points_on_a_line():
    x = np.array([0.0, 1.0, 3.0, 7.0, 8.0, 20.0])
    g1 = knn_graph(x, 2)
    g2 = knn_graph(x[:, None], 2)
    assert np.array_equal(g1.edges, g2.edges)
    assert edge_set(g1) == brute_union_edges(x, 2)


def test_integer_and_bool_dtypes_are_accepted():
    X = integer_grid(4)
    g_float = knn_graph(X, 3)
    g_int = knn_graph(X.astype(np.int32), 3)
    assert np.array_equal(g_float.edges, g_int.edges)
    B = np.array([[0, 0, 1], [0, 1, 1], [1, 1, 1], [1, 0, 0], [0, 0, 0]], dtype=bool)
    assert edge_set(knn_graph(B, 2)) == brute_union_edges(B.astype(float), 2)


# --------------------------------------------------------------------------- r-compat mode

@pytest.mark.parametrize("case", ["random", *TIE_CASES])
@pytest.mark.parametrize("k", [1, 2, 4])
def test_r_compat_matches_transcription(rng, case, k, r_compat_oracle):
    X = rng.normal(size=(40, 3)) if case == "random" else tie_data(case, rng)
    directed, deg, ric, gtot = r_compat_oracle(X, k)
    g = knn_graph(X, k, mode="r-compat")
    got = sorted(map(tuple, g.edges.tolist()))
    assert got == sorted(directed), "directed edges (with multiplicity) differ"
    assert g.degree.tolist() == deg
    assert float(edge_curvature(g, "forman").sum()) == pytest.approx(ric, abs=0)
    tot = hop_distance_totals(g)
    assert tot.total == gtot
    # the simple graph underneath is the union of both directions
    und = {(min(i, j), max(i, j)) for i, j in directed}
    A = g.adjacency.toarray()
    assert {(int(i), int(j)) for i, j in zip(*np.nonzero(np.triu(A)))} == und
    assert np.array_equal(g.simple_degree, A.sum(1))


def test_r_compat_ties_raise_out_degree():
    # integer grid: interior points have 4 neighbours at distance 1; with k = 1 all four are kept
    X = integer_grid(4)
    g = knn_graph(X, 1, mode="r-compat")
    out_deg = np.bincount(g.edges[:, 0], minlength=g.n)
    idx = {tuple(p): i for i, p in enumerate(X.astype(int).tolist())}
    assert out_deg[idx[(1, 1)]] == 4
    assert out_deg[idx[(0, 0)]] == 2
    # union keeps exactly one out-neighbour per point
    gu = knn_graph(X, 1)
    assert gu.n_edges < g.n_edges


def test_r_compat_identical_points_is_complete_directed_graph():
    n = 6
    g = knn_graph(np.zeros((n, 2)), 2, mode="r-compat")
    assert g.n_edges == n * (n - 1)
    assert (g.degree == 2 * (n - 1)).all()
    assert float(edge_curvature(g, "forman").sum()) == n * (n - 1) * (4 - 4 * (n - 1))


def test_r_compat_without_ties_doubles_mutual_pairs(rng):
    X = rng.normal(size=(30, 2))
    k = 3
    gr = knn_graph(X, k, mode="r-compat")
    gu = knn_graph(X, k)
    assert (np.bincount(gr.edges[:, 0], minlength=30) == k).all()
    assert set(map(tuple, np.sort(gr.edges, axis=1).tolist())) == edge_set(gu)
    mutual = sum(1 for i, j in gr.edges.tolist() if i < j and [j, i] in gr.edges.tolist())
    assert gr.n_edges == gu.n_edges + mutual


# --------------------------------------------------------------------------- graph_from_adjacency

def test_graph_from_adjacency_networkx_with_isolated_vertices():
    G = nx.Graph()
    G.add_nodes_from(range(6))
    G.add_edges_from([(0, 1), (1, 2), (4, 2)])
    g = graph_from_adjacency(G)
    assert g.n == 6
    assert g.edges.tolist() == [[0, 1], [1, 2], [2, 4]]
    assert g.degree.tolist() == [1, 2, 2, 0, 1, 0]
    assert g.k == 0 and g.mode == "union"


def test_graph_from_adjacency_sorts_nodes():
    G = nx.Graph()
    G.add_edge(3, 1)
    G.add_edge(1, 0)
    G.add_edge(2, 3)
    g = graph_from_adjacency(G)
    assert g.edges.tolist() == [[0, 1], [1, 3], [2, 3]]


@pytest.mark.parametrize("weight", [7.5, 2, 0.1, -0.5, 300, 300.0])
def test_graph_from_adjacency_ignores_networkx_edge_weights(weight):
    # an edge is an edge whatever its weight attribute (the graphs are unweighted); a weight
    # must neither drop the edge (0.1 -> 0 in int8) nor overflow (300 in int8)
    G = nx.Graph()
    G.add_edge(3, 1, weight=weight)
    G.add_edge(1, 0, weight=weight)
    G.add_edge(2, 3)
    g = graph_from_adjacency(G)
    assert g.edges.tolist() == [[0, 1], [1, 3], [2, 3]]
    assert set(np.unique(g.adjacency.toarray())) <= {0, 1}


def test_graph_from_adjacency_dense_and_sparse_agree():
    A = np.array([[0, 1, 1, 0], [1, 0, 0, 0], [1, 0, 0, 1], [0, 0, 1, 0]])
    g1 = graph_from_adjacency(A)
    g2 = graph_from_adjacency(sp.csr_matrix(A))
    assert np.array_equal(g1.edges, g2.edges)
    assert g1.edges.tolist() == [[0, 1], [0, 2], [2, 3]]


@pytest.mark.parametrize("bad, match", [
    (np.array([[0, 1], [0, 0]]), "symmetric"),
    (np.array([[1, 1], [1, 0]]), "self loop"),
    (np.zeros((2, 3)), "square"),
])
def test_graph_from_adjacency_rejects_bad_matrices(bad, match):
    with pytest.raises(ValueError, match=match):
        graph_from_adjacency(bad)


def test_graph_from_adjacency_rejects_directed_and_multigraphs():
    with pytest.raises(ValueError):
        graph_from_adjacency(nx.DiGraph([(0, 1)]))
    with pytest.raises(ValueError):
        graph_from_adjacency(nx.MultiGraph([(0, 1), (0, 1)]))


# --------------------------------------------------------------------------- bad inputs

@pytest.mark.parametrize("X, match", [
    (np.array([[0.0, 1.0], [np.nan, 2.0], [3.0, 1.0], [1.0, 1.0]]), "NaN or inf"),
    (np.array([[0.0, 1.0], [np.inf, 2.0], [3.0, 1.0], [1.0, 1.0]]), "NaN or inf"),
    (np.array([["a", "b"], ["c", "d"], ["e", "f"]]), "non-numeric"),
    (np.array([[1, "a"], [2, 3], [4, 5]], dtype=object), "non-numeric"),
    (np.zeros((4, 2, 2)), "2-D"),
    (np.zeros((0, 3)), "empty"),
    (np.zeros((5, 0)), "empty"),
    (np.array([[1 + 1j, 0], [0, 1], [2, 2]]), "complex"),
])
@pytest.mark.parametrize("mode", ["union", "r-compat"])
def test_bad_points_raise_value_error(X, match, mode):
    with pytest.raises(ValueError, match=match):
        knn_graph(X, 1, mode=mode)


def test_ragged_input_raises_value_error():
    with pytest.raises(ValueError):
        knn_graph([[0.0, 1.0], [1.0]], 1)


@pytest.mark.parametrize("k, match", [
    (0, "at least 1"), (-2, "at least 1"), (5, "smaller than"), (9, "smaller than"),
    (2.5, "integer"), (2.0, "integer"), ("3", "integer"), (True, "integer"), (None, "integer"),
])
def test_bad_k_raises_value_error(rng, k, match):
    X = rng.normal(size=(5, 2))
    with pytest.raises(ValueError, match=match):
        knn_graph(X, k)


def test_numpy_integer_k_is_accepted(rng):
    X = rng.normal(size=(12, 2))
    assert np.array_equal(knn_graph(X, np.int64(3)).edges, knn_graph(X, 3).edges)


def test_unknown_mode_and_empty_ks(rng):
    X = rng.normal(size=(8, 2))
    with pytest.raises(ValueError, match="mode"):
        knn_graph(X, 2, mode="mutual")
    with pytest.raises(ValueError, match="empty"):
        knn_graphs(X, [])
    with pytest.raises(ValueError):
        knn_graphs(X, [2, 8])


# --------------------------------------------------------------------------- fused compiled block

def reference_block(D: np.ndarray, k: int, tol: np.ndarray, exact_id: np.ndarray):
    """The selection rule of one distance block, row by row in plain NumPy (kept here as the
    reference of :func:`ricci_lit.geometry._numba.knn_block`): every column ``≤`` the row's
    ``k``-th smallest value, sorted by (value, column), its dense rank, and the near-tie flag."""
    counts, cols, vals, ranks, flags = [], [], [], [], []
    for i, row in enumerate(D):
        t = np.partition(row, k - 1)[k - 1]
        c = np.nonzero(row <= t)[0]
        c = c[np.lexsort((c, row[c]))]
        v = row[c]
        r = np.unique(v, return_inverse=True)[1].reshape(-1)
        close = (np.diff(v) <= tol[i]) & (exact_id[c[1:]] != exact_id[c[:-1]])
        flags.append(bool(np.count_nonzero(row <= t + tol[i]) > c.size or close.any()))
        counts.append(c.size)
        cols.append(c)
        vals.append(v)
        ranks.append(r)
    return (np.array(counts), np.concatenate(cols), np.concatenate(vals), np.concatenate(ranks),
            np.array(flags))


def _fused_case(seed: int, kind: str):
    r = np.random.default_rng(seed)
    n, d = int(r.integers(20, 160)), int(r.integers(1, 9))
    if kind == "gauss":
        X = r.standard_normal((n, d))
    elif kind == "grid":
        X = r.integers(0, 4, (n, d)).astype(np.float64) + 0.5 * r.integers(0, 2, (n, 1))
    else:  # near duplicates (last bits)
        X = r.standard_normal((n, d))
        X[n // 2:] = X[: n - n // 2] * (1.0 + 2.0 ** -50)
    return X, int(r.integers(1, min(n - 1, 40) + 1))


@pytest.mark.parametrize("kind", ["gauss", "grid", "near"])
@pytest.mark.parametrize("seed", range(6))
def test_knn_block_matches_reference(seed, kind):
    from ricci_lit.geometry._numba import HAVE_NUMBA, knn_block

    if not HAVE_NUMBA:
        pytest.skip("numba is not installed")
    X, k = _fused_case(seed, kind)
    n = X.shape[0]
    r = np.random.default_rng(seed + 100)
    start = int(r.integers(0, n))
    stop = int(r.integers(start + 1, n + 1))
    G = X[start:stop] @ X.T
    rn = np.einsum("ij,ij->i", X, X)
    tol = r.uniform(0.0, 0.3, stop - start) * (kind != "gauss")
    exact_id = np.arange(n)
    D = np.maximum((rn[start:stop, None] + rn[None, :]) - 2.0 * G, 0.0)
    D[np.arange(stop - start), np.arange(start, stop)] = np.inf
    out = knn_block(G.copy(order="C"), rn[start:stop], rn, start, k, tol, exact_id)
    if out is None:  # too many tied candidates for the per-row buffer: legitimately refused
        assert (np.sort(D, axis=1)[:, k + 16:] <= np.partition(D, k - 1, axis=1)[:, [k - 1]]).any()
        return
    for got, want in zip(out, reference_block(D, k, tol, exact_id)):
        assert np.array_equal(got, want)


def test_knn_block_refuses_rows_with_more_ties_than_its_buffer():
    from ricci_lit.geometry._numba import HAVE_NUMBA, knn_block

    if not HAVE_NUMBA:
        pytest.skip("numba is not installed")
    X = np.zeros((60, 2))
    X[0] = 1.0  # row 0: 59 equidistant candidates, more than k + 16
    G = X @ X.T
    rn = np.einsum("ij,ij->i", X, X)
    assert knn_block(G, rn, rn, 0, 3, np.zeros(60), np.arange(60)) is None
    # the table falls back to the two-pass selection and keeps every tie
    t = neighbour_table(X, 3, engine="numba")
    assert np.diff(t.indptr)[0] == 59


@pytest.mark.parametrize("seed", range(8))
def test_fused_and_numpy_tables_are_identical(seed):
    """Randomized: the compiled, row-parallel path equals the NumPy path (neighbours and ranks
    exactly, distances to rounding), whatever the block size (ties, near duplicates and integer
    data included)."""
    r = np.random.default_rng(1000 + seed)
    for kind in ("gauss", "grid", "near"):
        X, k = _fused_case(int(r.integers(1 << 30)), kind)
        br = int(r.integers(1, X.shape[0] + 5))
        a = neighbour_table(X, k, engine="numba", block_rows=br)
        b = neighbour_table(X, k, engine="numpy", block_rows=br)
        for name in ("indptr", "indices", "rank"):
            assert np.array_equal(getattr(a, name), getattr(b, name)), (kind, name)
        # the compiled pass forms each thread's Gram rows itself (BLAS may round a slice in the
        # last bit); the values decide nothing the exact re-selection does not check
        from ricci_lit.geometry.knn import _prepare
        np.testing.assert_allclose(a.sqdist, b.sqdist, rtol=0, atol=2.0 * _prepare(X).err.max())
        assert a.n_distinct == b.n_distinct and a.scale_exponent == b.scale_exponent


@pytest.mark.parametrize("kind", ["gauss", "integers", "sigmoid", "near", "far"])
@pytest.mark.parametrize("seed", range(5))
def test_line_path_equals_blocked_search(seed, kind):
    """Points on a line take the sorted-window path (numba engine); its table equals the blocked
    NumPy search's field for field, near ties and exact ties included."""
    r = np.random.default_rng(2000 + seed)
    n = int(r.integers(3, 300))
    k = int(r.integers(1, min(n, 50)))
    x = {"gauss": lambda: r.standard_normal(n),
         "integers": lambda: r.integers(0, 5, n).astype(np.float64),
         "sigmoid": lambda: 1.0 / (1.0 + np.exp(-30.0 * r.standard_normal(n))),
         "near": lambda: np.concatenate([v := r.standard_normal(n - n // 2),
                                         v[: n // 2] * (1.0 + 2.0 ** -50)]),
         "far": lambda: np.round(r.standard_normal(n), 2) + 1e6}[kind]()
    a = neighbour_table(x, k, engine="numba")
    b = neighbour_table(x, k, engine="numpy")
    for name in ("indptr", "indices", "sqdist", "rank"):
        assert np.array_equal(getattr(a, name), getattr(b, name)), name
    assert a.n_distinct == b.n_distinct
    if kind in ("gauss", "integers"):  # the float brute force is exact enough only there
        assert edge_set(graph_from_table(a, k, "union")) == brute_union_edges(x, k)


def test_line_kernel_windows_are_small_and_flag_near_ties():
    from ricci_lit.geometry import knn as knn_mod
    from ricci_lit.geometry._numba import HAVE_NUMBA, knn_line

    if not HAVE_NUMBA:
        pytest.skip("numba is not installed")
    x = np.random.default_rng(5).standard_normal(400)
    x[200:] = x[:200] * (1.0 + 2.0 ** -50)  # each point has a twin in its last bits
    c = knn_mod._prepare(x[:, None])
    counts, cols, vals, rank, flag = knn_line(c.uniq[c.inverse, 0], c.u_norm[c.inverse], 7,
                                              2.0 * c.err, c.err, c.exact_id)
    assert flag.all()  # every row has a candidate pair within rounding: re-decided exactly
    assert counts.min() >= 7


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="needs fork()")
def test_a_forked_child_can_still_search_after_the_parent_did(rng):
    """The compiled block search uses plain threads, never numba's OpenMP layer, after which a
    forked child (multiprocessing's default on Linux) would abort."""
    import multiprocessing as mp

    X = rng.normal(size=(600, 6))
    want = neighbour_table(X, 5).indices
    ctx = mp.get_context("fork")
    with ctx.Pool(1) as pool:
        got = pool.apply_async(neighbour_table, (X, 5)).get(timeout=120).indices
    assert np.array_equal(got, want)


# --------------------------------------------------------------------------- k-d tree path (d = 2, 3)

def _low_dim_case(r, kind: str, n: int, d: int) -> np.ndarray:
    if kind == "gauss":
        return r.standard_normal((n, d))
    if kind == "lattice":  # many exact ties, no duplicates
        side = int(np.ceil(n ** (1.0 / d)))
        grid = np.stack(np.meshgrid(*[np.arange(side)] * d), -1).reshape(-1, d).astype(np.float64)
        return grid[r.permutation(grid.shape[0])[:n]]
    if kind == "near":  # pairs differing in the last bits
        v = r.standard_normal((n - n // 2, d)) * 3.0
        return np.vstack([v, v[: n // 2] * (1.0 + 2.0 ** -50)])
    if kind == "clusters":  # dense blobs far apart: long tree queries
        c = r.standard_normal((4, d)) * 1e3
        return c[r.integers(0, 4, n)] + r.standard_normal((n, d)) * 1e-3
    X = np.unique(np.round(r.standard_normal((n, d)), 2), axis=0) + 1e6  # "far": rounding-heavy Gram form
    return X[r.permutation(X.shape[0])]


@pytest.mark.parametrize("kind", ["gauss", "lattice", "near", "clusters", "far"])
@pytest.mark.parametrize("d", [2, 3])
@pytest.mark.parametrize("seed", range(3))
def test_tree_path_equals_blocked_search(monkeypatch, seed, d, kind):
    """A 2-D or 3-D cloud takes the k-d tree path (numba engine); its neighbours and ranks equal
    the blocked NumPy search's, exact ties and near ties included, and its stored distances
    agree to rounding."""
    from ricci_lit.geometry import knn as knn_mod
    from ricci_lit.geometry._numba import HAVE_NUMBA

    if not HAVE_NUMBA:
        pytest.skip("numba is not installed")
    monkeypatch.setattr(knn_mod, "TREE_MIN_POINTS", 0)
    calls = []
    real = knn_mod._tree_table
    monkeypatch.setattr(knn_mod, "_tree_table", lambda c, k: calls.append(k) or real(c, k))
    r = np.random.default_rng(3000 + 10 * seed + d)
    n = int(r.integers(30, 400))
    X = _low_dim_case(r, kind, n, d)
    for k in sorted({1, int(r.integers(1, min(n - 1, 60) + 1)), min(n - 1, 90)}):
        a = neighbour_table(X, k, engine="numba")
        b = neighbour_table(X, k, engine="numpy")
        for name in ("indptr", "indices", "rank"):
            assert np.array_equal(getattr(a, name), getattr(b, name)), (name, k)
        # both are Gram-form values of the scaled cloud, each within its rounding bound
        np.testing.assert_allclose(a.sqdist, b.sqdist, rtol=0, atol=2.0 * knn_mod._prepare(X).err.max())
        assert a.n_distinct == b.n_distinct and a.scale_exponent == b.scale_exponent
        for mode in ("union", "r-compat"):
            assert edge_set(graph_from_table(a, k, mode)) == edge_set(graph_from_table(b, k, mode))
    assert calls, "the tree path was not taken"


def test_tree_path_is_taken_only_where_it_applies(monkeypatch, rng):
    from ricci_lit.geometry import knn as knn_mod
    from ricci_lit.geometry._numba import HAVE_NUMBA

    if not HAVE_NUMBA:
        pytest.skip("numba is not installed")
    calls = []
    real = knn_mod._tree_table
    monkeypatch.setattr(knn_mod, "_tree_table", lambda c, k: calls.append(c.uniq.shape) or real(c, k))
    n = knn_mod.TREE_MIN_POINTS + 1
    neighbour_table(rng.standard_normal((n, 2)), 5)
    neighbour_table(rng.standard_normal((n, 3)), 5)
    assert calls == [(n, 2), (n, 3)]
    neighbour_table(rng.standard_normal((n, 4)), 5)        # too many dimensions
    neighbour_table(rng.standard_normal((n - 1, 2)), 5)    # too few points
    dup = rng.standard_normal((n, 2))
    dup[1] = dup[0]
    neighbour_table(dup, 5)                                # duplicates: blocks
    neighbour_table(rng.standard_normal((n, 2)), 5, engine="numpy")
    assert len(calls) == 2


def test_tree_path_requeries_rows_whose_candidates_are_not_certain(monkeypatch):
    """A point far from a dense blob needs more than k + 17 tree neighbours to be certain (its
    k-th and (k+17)-th distances agree to rounding): the row is queried again, and the table
    still equals the blocked search's."""
    from ricci_lit.geometry import knn as knn_mod
    from ricci_lit.geometry._numba import HAVE_NUMBA

    if not HAVE_NUMBA:
        pytest.skip("numba is not installed")
    import scipy.spatial

    monkeypatch.setattr(knn_mod, "TREE_MIN_POINTS", 0)
    queries = []

    class CountingTree(scipy.spatial.cKDTree):
        def query(self, x, *args, **kwargs):
            queries.append(len(x))
            return super().query(x, *args, **kwargs)

    monkeypatch.setattr(scipy.spatial, "cKDTree", CountingTree)
    r = np.random.default_rng(7)
    X = np.vstack([r.standard_normal((200, 2)) * 1e-9, [[1e3, 0.0]], r.standard_normal((50, 2)) + 50.0])
    a = neighbour_table(X, 5, engine="numba")
    assert len(queries) >= 2 and queries[0] == X.shape[0] and queries[1] < X.shape[0]
    b = neighbour_table(X, 5, engine="numpy")
    for name in ("indptr", "indices", "rank"):
        assert np.array_equal(getattr(a, name), getattr(b, name)), name


def test_chunk_minima_kth_equals_a_full_partition():
    """The fused block's k-th value (chunk minima bound, then a heap over the few values below
    it) is the row's exact k-th smallest, ties and the +inf self entry included."""
    from ricci_lit.geometry._numba import HAVE_NUMBA, knn_block

    if not HAVE_NUMBA:
        pytest.skip("numba is not installed")
    r = np.random.default_rng(11)
    for trial in range(40):
        n = int(r.integers(3, 300))
        k = int(r.integers(1, n))
        X = r.integers(0, 3, (n, 2)).astype(np.float64) if trial % 2 else r.standard_normal((n, 4))
        X = np.unique(X, axis=0) if trial % 2 else X
        n = X.shape[0]
        if n < 3:
            continue
        k = min(k, n - 1)
        G = X @ X.T
        rn = np.einsum("ij,ij->i", X, X)
        D = np.maximum((rn[:, None] + rn[None, :]) - 2.0 * G, 0.0)
        np.fill_diagonal(D, np.inf)
        out = knn_block(G.copy(order="C"), rn, rn, 0, k, np.zeros(n), np.arange(n))
        if out is None:
            continue
        counts, cols, vals, rank, flag = out
        kth = np.partition(D, k - 1, axis=1)[:, k - 1]
        assert np.array_equal(counts, (D <= kth[:, None]).sum(axis=1))
        last = vals[np.cumsum(counts) - 1]
        assert np.array_equal(last, kth)


@pytest.mark.parametrize("seed", range(6))
def test_symmetric_csr_equals_the_sorted_key_set(seed):
    """The compiled A ∨ Aᵀ builder gives the arrays of the np.unique construction."""
    from ricci_lit.geometry._numba import HAVE_NUMBA, symmetric_csr

    if not HAVE_NUMBA:
        pytest.skip("numba is not installed")
    r = np.random.default_rng(seed)
    n = int(r.integers(1, 200))
    m = int(r.integers(0, 6 * n))
    src = np.sort(r.integers(0, n, m))
    dst = r.integers(0, n, m)
    keep = src != dst
    src, dst = src[keep], dst[keep]
    keys = np.unique(np.concatenate([src * n + dst, dst * n + src]))
    rows = keys // n
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=n), out=indptr[1:])
    got_ptr, got_idx = symmetric_csr(n, src, dst)
    assert np.array_equal(got_ptr, indptr) and np.array_equal(got_idx, keys - rows * n)


def test_duplicate_points_take_the_fused_pass_with_the_numpy_floats(monkeypatch):
    """A ReLU layer with several all-zero rows (exact duplicates) goes through the compiled pass,
    distances gathered from the distinct points' Gram rows, and gives the NumPy path's table
    field for field."""
    from ricci_lit.geometry import knn as knn_mod
    from ricci_lit.geometry._numba import HAVE_NUMBA

    if not HAVE_NUMBA:
        pytest.skip("numba is not installed")
    r = np.random.default_rng(1)
    X = np.maximum(r.standard_normal((700, 10)) @ r.standard_normal((10, 10)), 0.0)
    X[[3, 50, 400, 699]] = 0.0
    X[10] = X[20]
    mapped = []
    real = knn_mod.knn_block
    monkeypatch.setattr(knn_mod, "knn_block",
                        lambda *a, **kw: mapped.append(kw.get("col_map") is not None) or real(*a, **kw))
    tol = 2.0 * knn_mod._prepare(X).err.max()
    for k in (1, 7, 30):
        a = neighbour_table(X, k, engine="numba", block_rows=256)
        b = neighbour_table(X, k, engine="numpy", block_rows=256)
        for name in ("indptr", "indices", "rank"):
            assert np.array_equal(getattr(a, name), getattr(b, name)), (k, name)
        # each thread forms its own Gram rows; BLAS may round a row slice in the last bit
        np.testing.assert_allclose(a.sqdist, b.sqdist, rtol=0, atol=tol)
    assert mapped and all(mapped)
