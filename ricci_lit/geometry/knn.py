"""k-nearest-neighbour graphs of point clouds (paper-notes §1, P1 §2.2).

Every representation ``X^l`` of the test set (one row per test point) is turned into an
unweighted graph ``G_k(X^l)`` whose vertices are the test points. Two semantics are offered:

``mode="union"`` (default, our Decision in paper-notes §1, also paper 2's construction)
    Point ``i`` is joined to its ``k`` nearest Euclidean neighbours (self excluded); ties in
    distance are broken by the lower point index, so exactly ``k`` out-neighbours are chosen
    and the result is deterministic. The graph is the undirected union
    ``A ∨ Aᵀ``: no self loops, no multi-edges, every degree ``≥ k``.

``mode="r-compat"`` (the authors' R code, ``cccd::nng`` + ``igraph``; paper-details §1.2–1.4)
    Directed edge ``i → j`` for every ``j ≠ i`` with ``‖x_i − x_j‖ ≤ d_k(i)``, the ``k``-th
    smallest distance from ``i`` (ties kept, so the out-degree can exceed ``k``, which happens
    when ReLU layers collapse points onto identical vectors). Degree = in + out, curvature is
    summed over directed edges and hop distances ignore direction.

All ``k`` of a grid share one neighbour ordering: :func:`neighbour_table` sorts each row's
candidates once by ``(distance, index)`` and a graph for any ``k ≤ k_max`` is a prefix of it.
Squared Euclidean distances are computed in float64 from the *distinct* points (exact
duplicates share one row), so duplicated points tie exactly, as they do in exact arithmetic.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from ricci_lit.geometry._numba import gram_to_sqdist, resolve_engine, select_rows

__all__ = [
    "MODES",
    "KnnGraph",
    "NeighbourTable",
    "neighbour_table",
    "knn_graph",
    "knn_graphs",
    "validate_points",
    "validate_k",
    "graph_from_adjacency",
]

MODES: tuple[str, ...] = ("union", "r-compat")

#: Row block of the distance computation; bounds peak memory at ``_BLOCK * n * 8`` bytes per
#: temporary (about 32 MB at n = 4,000).
_BLOCK = 1024


def validate_points(X: object, name: str = "X") -> np.ndarray:
    """Return ``X`` as a C-contiguous float64 array ``[n, d]`` or raise ``ValueError``.

    Rejects non-numeric data, arrays that are not one- or two-dimensional, empty arrays and
    NaN/inf values. A one-dimensional array is read as ``n`` points on a line (``d = 1``), which
    is what a single sigmoid output unit produces.
    """
    try:
        arr = np.asarray(X)
    except Exception as exc:  # pragma: no cover - numpy raises rarely here
        raise ValueError(f"{name}: cannot be read as an array ({exc})") from None
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise ValueError(f"{name}: non-numeric data (dtype {arr.dtype})")
    if np.iscomplexobj(arr):
        raise ValueError(f"{name}: complex values are not supported")
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2:
        raise ValueError(f"{name}: expected a 2-D array [n, d], got shape {arr.shape}")
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ValueError(f"{name}: empty array of shape {arr.shape}")
    arr = np.ascontiguousarray(arr, dtype=np.float64)
    if not np.isfinite(arr).all():
        bad = int((~np.isfinite(arr)).any(axis=1).sum())
        raise ValueError(f"{name}: contains NaN or inf values (in {bad} of {arr.shape[0]} rows)")
    return arr


def validate_k(k: int, n: int) -> int:
    """Check ``1 ≤ k < n`` (a point has ``n − 1`` possible neighbours) and return ``int(k)``."""
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)):
        raise ValueError(f"k must be an integer, got {k!r}")
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    if k >= n:
        raise ValueError(f"k must be smaller than the number of points n = {n}, got k = {k}")
    return int(k)


@dataclass(frozen=True)
class NeighbourTable:
    """Each point's candidate neighbours sorted by ``(distance, index)``, as a CSR table.

    Row ``i`` holds every ``j ≠ i`` with ``‖x_i − x_j‖ ≤ d_{k_max}(i)`` (ties at the boundary are
    all kept, so a row can be longer than ``k_max``). Distances are squared Euclidean.

    Attributes
    ----------
    indptr, indices, sqdist
        CSR layout: row ``i`` is ``indices[indptr[i]:indptr[i+1]]``.
    k_max
        Largest ``k`` the table serves.
    n_distinct
        Number of distinct points (rows of ``X`` up to exact equality).
    """

    indptr: np.ndarray
    indices: np.ndarray
    sqdist: np.ndarray
    k_max: int
    n_distinct: int

    @property
    def n(self) -> int:
        return len(self.indptr) - 1


@dataclass(frozen=True)
class KnnGraph:
    """An unweighted kNN graph on ``n`` points (paper-notes §1).

    Attributes
    ----------
    n, k, mode
        Number of vertices, neighbourhood size and semantics (``"union"`` or ``"r-compat"``).
    adjacency
        Symmetric ``n × n`` CSR matrix (int8, 0/1, no self loops) of the *undirected simple*
        graph: the union of both edge directions. Hop distances are taken on it in both modes.
    edges
        ``int64 [E, 2]``. ``union``: each undirected edge once, ``i < j``. ``r-compat``: every
        directed edge ``i → j`` (a mutual pair appears twice), as the R code sums over them.
    degree
        ``int64 [n]``. ``union``: the undirected degree. ``r-compat``: in-degree + out-degree
        (igraph's ``degree(mode="all")``), which counts a mutual pair twice.
    n_distinct
        Number of distinct points of the representation.
    """

    n: int
    k: int
    mode: str
    adjacency: sp.csr_matrix
    edges: np.ndarray
    degree: np.ndarray
    n_distinct: int
    _simple_degree: np.ndarray = field(repr=False, default=None)  # type: ignore[assignment]

    @property
    def collapsed(self) -> bool:
        """``True`` when fewer than ``k + 1`` distinct points exist (a collapsed ReLU layer):
        the ``k`` nearest neighbours are then not well defined and ties decide the graph."""
        return self.n_distinct < self.k + 1

    @property
    def simple_degree(self) -> np.ndarray:
        """Degree in the undirected simple graph ``adjacency`` (equals ``degree`` in union mode)."""
        if self._simple_degree is None:  # pragma: no cover - always set by the constructors
            return np.diff(self.adjacency.indptr).astype(np.int64)
        return self._simple_degree

    @property
    def out_degree(self) -> np.ndarray:
        """Out-degree of each vertex: rows of :attr:`edges` starting there (in union mode, where
        each undirected edge is stored once as ``i < j``, this is not a degree; use
        :attr:`degree`)."""
        return np.bincount(self.edges[:, 0], minlength=self.n).astype(np.int64)

    @property
    def in_degree(self) -> np.ndarray:
        """In-degree of each vertex: rows of :attr:`edges` ending there (see :attr:`out_degree`)."""
        return np.bincount(self.edges[:, 1], minlength=self.n).astype(np.int64)

    @property
    def n_edges(self) -> int:
        """Number of rows of :attr:`edges` (undirected edges, or directed ones in r-compat)."""
        return int(self.edges.shape[0])


def _row_sqnorms(X: np.ndarray) -> np.ndarray:
    return np.einsum("ij,ij->i", X, X)


def _kth_smallest(D: np.ndarray, k: int) -> np.ndarray:
    """Exact ``k``-th smallest value of every row (values are returned, not approximated).

    ``torch.topk`` is used because it is multi-threaded and several times faster than
    ``np.partition`` on the row blocks used here; both return elements of ``D`` itself.
    """
    import torch

    vals = torch.topk(torch.from_numpy(D), k, dim=1, largest=False, sorted=False).values
    return vals.max(dim=1).values.numpy()


def _surely_distinct(X: np.ndarray) -> bool:
    """``True`` only if no two rows of ``X`` are identical (cheap, exact in that direction).

    Identical rows have identical projections on any vector (each row is reduced by the same
    code), so distinct projections prove distinct rows; a collision is inconclusive and the
    caller falls back to ``np.unique``.
    """
    probe = np.random.default_rng(0x51CC1).standard_normal(X.shape[1])
    proj = (X * probe).sum(axis=1)
    return np.unique(proj).size == X.shape[0]


def neighbour_table(X: np.ndarray, k_max: int, *, engine: str = "auto") -> NeighbourTable:
    """Sort every point's nearest candidates by ``(squared distance, index)`` up to ``k_max``.

    Parameters
    ----------
    X
        Points ``[n, d]`` (validated: finite, numeric).
    k_max
        Largest neighbourhood size needed, ``1 ≤ k_max < n``.
    engine
        ``"numba"`` (per-row selection compiled, :mod:`ricci_lit.geometry._numba`), ``"numpy"`` or
        ``"auto"``; both give identical tables.

    Returns
    -------
    NeighbourTable
        Row ``i`` lists all ``j ≠ i`` with ``‖x_i − x_j‖² ≤ t_i``, where ``t_i`` is the
        ``k_max``-th smallest squared distance from ``i``, sorted by distance then index.

    Notes
    -----
    The points are first translated by ``x_0`` (so far-from-origin clouds lose no precision).
    Squared distances ``‖u‖² + ‖v‖² − 2 u·v`` are computed in float64 between the distinct
    points only and gathered back, so exact duplicates get bit-identical distances (and 0
    between themselves). The work is blocked over rows; per block the ``k_max``-th value is found
    with ``np.partition`` (linear time), the rows are masked to ``≤ t_i`` and only the survivors
    are sorted. Peak memory is a few ``_BLOCK × n`` float64 temporaries.
    """
    X = validate_points(X)
    n = X.shape[0]
    k_max = validate_k(k_max, n)
    # Translate by one of the points: distances are unchanged, the Gram-form cancellation error
    # (which grows with the distance from the origin) is avoided, and integer data stay exact.
    X = X - X[0]
    use_numba = resolve_engine(engine) == "numba"
    if _surely_distinct(X):
        has_duplicates = False
    else:
        uniq, inverse = np.unique(X, axis=0, return_inverse=True)
        inverse = inverse.reshape(-1)
        has_duplicates = uniq.shape[0] < n
    if not has_duplicates:  # keep the original order so no gather is needed
        uniq, inverse = X, np.arange(n)
    u_norm = _row_sqnorms(uniq)
    rows_out: list[np.ndarray] = []
    cols_out: list[np.ndarray] = []
    d_out: list[np.ndarray] = []
    for start in range(0, n, _BLOCK):
        stop = min(n, start + _BLOCK)
        ui = inverse[start:stop]
        rows_b = np.arange(stop - start)
        # squared distances (|u|² + |v|²) − 2 u·v between this block's distinct points and all
        # distinct points; 2·(u·v) is exact, so this is the same float as the direct formula
        gram = uniq[ui] @ uniq.T
        if use_numba and not has_duplicates:  # one compiled pass, the same floats as below
            D = gram_to_sqdist(gram, u_norm[ui], u_norm, start)
            counts, c, d = select_rows(D, k_max)
            rows_out.append(np.repeat(np.arange(start, stop), counts))
            cols_out.append(c)
            d_out.append(d)
            continue
        gram *= 2.0
        du = u_norm[ui, None] + u_norm[None, :]
        du -= gram
        del gram
        np.maximum(du, 0.0, out=du)
        du[rows_b, ui] = 0.0  # exact zero to itself and to its duplicates
        D = du[:, inverse] if has_duplicates else du
        D[rows_b, rows_b + start] = np.inf  # exclude self
        if use_numba:
            counts, c, d = select_rows(D, k_max)
            rows_out.append(np.repeat(np.arange(start, stop), counts))
            cols_out.append(c)
            d_out.append(d)
            continue
        t = _kth_smallest(D, k_max)
        r, c = np.nonzero(D <= t[:, None])
        rows_out.append(r + start)
        cols_out.append(c)
        d_out.append(D[r, c])
    rows = np.concatenate(rows_out)
    cols = np.concatenate(cols_out)
    dist = np.concatenate(d_out)
    if not use_numba:  # the kernel already returns rows sorted by (distance, index)
        order = np.lexsort((cols, dist, rows))
        rows, cols, dist = rows[order], cols[order], dist[order]
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=n), out=indptr[1:])
    return NeighbourTable(indptr=indptr, indices=cols.astype(np.int64), sqdist=dist,
                          k_max=k_max, n_distinct=int(uniq.shape[0]))


def _prefix_mask(table: NeighbourTable, k: int, mode: str) -> np.ndarray:
    """Boolean mask over the table's entries selecting the out-neighbours for ``k``."""
    counts = np.diff(table.indptr)
    pos = np.arange(table.indices.size) - np.repeat(table.indptr[:-1], counts)
    if mode == "union":
        return pos < k
    # r-compat: every entry whose distance is <= the k-th smallest distance of its row
    kth = table.sqdist[table.indptr[:-1] + (k - 1)]
    return table.sqdist <= np.repeat(kth, counts)


def _graph_from_table(table: NeighbourTable, k: int, mode: str) -> KnnGraph:
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    n = table.n
    k = validate_k(k, n)
    if k > table.k_max:
        raise ValueError(f"k = {k} exceeds the neighbour table's k_max = {table.k_max}")
    mask = _prefix_mask(table, k, mode)
    counts = np.diff(table.indptr)
    src = np.repeat(np.arange(n, dtype=np.int64), counts)[mask]
    dst = table.indices[mask]
    # the undirected simple graph A ∨ Aᵀ: every directed edge in both directions, as one sorted
    # set of keys i·n + j, which is CSR order (row-major, sorted indices) with no duplicates
    keys = np.unique(np.concatenate([src * n + dst, dst * n + src]))
    rows = keys // n
    cols = keys - rows * n
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=n), out=indptr[1:])
    adjacency = sp.csr_matrix((np.ones(cols.size, dtype=np.int8), cols, indptr), shape=(n, n))
    adjacency.has_sorted_indices = True
    simple_degree = np.diff(indptr)
    if mode == "union":
        upper = rows < cols  # each undirected edge once, (i, j) with i < j, lexicographic
        edges = np.column_stack([rows[upper], cols[upper]])
        degree = simple_degree
    else:
        edges = np.column_stack([src, dst]).astype(np.int64)
        degree = (np.bincount(src, minlength=n) + np.bincount(dst, minlength=n)).astype(np.int64)
    return KnnGraph(n=n, k=k, mode=mode, adjacency=adjacency, edges=edges, degree=degree,
                    n_distinct=table.n_distinct, _simple_degree=simple_degree)


def knn_graphs(X: np.ndarray, ks: list[int] | tuple[int, ...], mode: str = "union") -> list[KnnGraph]:
    """kNN graphs of one point cloud for several ``k`` from a single neighbour sort.

    Parameters
    ----------
    X
        Points ``[n, d]``.
    ks
        Neighbourhood sizes, each ``1 ≤ k < n``.
    mode
        ``"union"`` or ``"r-compat"`` (see the module docstring).

    Returns
    -------
    list of KnnGraph
        One graph per entry of ``ks``, in the same order.
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    X = validate_points(X)
    ks = [validate_k(k, X.shape[0]) for k in ks]
    if not ks:
        raise ValueError("ks is empty")
    table = neighbour_table(X, max(ks))
    return [_graph_from_table(table, k, mode) for k in ks]


def knn_graph(X: np.ndarray, k: int, mode: str = "union") -> KnnGraph:
    """The kNN graph ``G_k(X)`` of paper 1 §2.2 (see the module docstring for the two modes)."""
    return knn_graphs(X, [k], mode)[0]


def graph_from_adjacency(adjacency: object, k: int = 0) -> KnnGraph:
    """Wrap any undirected simple graph (a symmetric 0/1 matrix or a networkx graph) as a
    :class:`KnnGraph` in union semantics, so every curvature and distance function applies to it.

    Parameters
    ----------
    adjacency
        A symmetric square matrix (dense or scipy sparse) with zero diagonal, or a
        ``networkx.Graph`` (nodes are taken in sorted order).
    k
        Recorded as the graph's ``k`` (0 when the graph is not a kNN graph).
    """
    try:
        import networkx as nx
    except ImportError:  # pragma: no cover - networkx is a dependency
        nx = None
    if nx is not None and isinstance(adjacency, nx.Graph):
        if adjacency.is_directed() or adjacency.is_multigraph():
            raise ValueError("expected a simple undirected networkx graph")
        adjacency = nx.to_scipy_sparse_array(adjacency, nodelist=sorted(adjacency), weight=None, dtype=np.int8)
    A = sp.csr_matrix(adjacency)
    if A.shape[0] != A.shape[1]:
        raise ValueError(f"adjacency must be square, got shape {A.shape}")
    A = (A != 0).astype(np.int8).tocsr()
    if A.diagonal().any():
        raise ValueError("adjacency has self loops (non-zero diagonal)")
    if (A != A.T).nnz:
        raise ValueError("adjacency is not symmetric (the graph must be undirected)")
    A.sort_indices()
    n = A.shape[0]
    upper = sp.triu(A, k=1).tocoo()
    edges = np.column_stack([upper.row, upper.col]).astype(np.int64)
    edges = edges[np.lexsort((edges[:, 1], edges[:, 0]))]
    degree = np.diff(A.indptr).astype(np.int64)
    return KnnGraph(n=n, k=int(k), mode="union", adjacency=A, edges=edges, degree=degree,
                    n_distinct=n, _simple_degree=degree)
