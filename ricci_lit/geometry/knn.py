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
Wherever rounding could decide an order (near-duplicate points, distances within the Gram
form's rounding error of each other) the candidates are re-ranked exactly
(:mod:`ricci_lit.geometry._exact`), and every cloud is first scaled by an exact power of two, so
the graph does not depend on the scale of the data (any finite positive factor).

A tie that exact arithmetic confirms (integer or pixel data) still decides a ``union``
neighbourhood by point order; :attr:`KnnGraph.n_tie_decided` counts such points.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from ricci_lit.geometry._exact import gram_error_bound, near_tie_rows, power_of_two_scale, resolve_block
from ricci_lit.geometry._numba import (gram_to_sqdist, kernel_threads, knn_block, knn_candidates, knn_line,
                                      resolve_engine, select_rows, symmetric_csr)

__all__ = [
    "MODES",
    "KnnGraph",
    "NeighbourTable",
    "neighbour_table",
    "knn_graph",
    "knn_graphs",
    "graph_from_table",
    "tie_decided",
    "validate_points",
    "validate_k",
    "graph_from_adjacency",
]

MODES: tuple[str, ...] = ("union", "r-compat")

#: Row block of the distance computation; bounds peak memory at ``_BLOCK * n * 8`` bytes per
#: temporary (about 32 MB at n = 4,000).
_BLOCK = 1024
#: Clouds of at most this many dimensions (and more than TREE_MIN_POINTS points, no two equal)
#: take the k-d tree path of :func:`neighbour_table`; below that size the blocks are as fast.
TREE_MAX_DIM = 3
TREE_MIN_POINTS = 512


def validate_points(X: object, name: str = "X") -> np.ndarray:
    """Return ``X`` as a C-contiguous float64 array ``[n, d]`` or raise ``ValueError``.

    Rejects non-numeric data, arrays that are not one- or two-dimensional, empty arrays and
    NaN/inf values, missing values (``None``, pandas ``NA``), time data (``timedelta64``,
    ``datetime64``) and masked arrays with a masked entry. A one-dimensional array is read as ``n``
    points on a line (``d = 1``), which is what a single sigmoid output unit produces.
    """
    if X is None:
        raise ValueError(f"{name}: got None, expected an array of points [n, d]")
    if np.ma.isMaskedArray(X):
        n_masked = int(np.ma.count_masked(X))
        if n_masked:
            raise ValueError(f"{name}: masked array with {n_masked} masked entries "
                             "(fill or drop them first)")
        X = np.ma.getdata(X)
    try:
        arr = np.asarray(X)
    except Exception as exc:  # pragma: no cover - numpy raises rarely here
        raise ValueError(f"{name}: cannot be read as an array ({exc})") from None
    if arr.dtype.kind in "mM":
        raise ValueError(f"{name}: time data (dtype {arr.dtype}) are not coordinates")
    if arr.dtype == object:
        _refuse_missing(arr, name)
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


def _refuse_missing(arr: np.ndarray, name: str) -> None:
    """Raise naming missing values (``None``, pandas ``NA``, NaN) in an object array."""
    import pandas as pd

    try:
        missing = np.asarray(pd.isna(arr), dtype=bool)
    except (TypeError, ValueError):  # pragma: no cover - pd.isna accepts any object array
        return
    if missing.any():
        bad = int(missing.reshape(arr.shape[0], -1).any(axis=1).sum()) if arr.ndim else 1
        raise ValueError(f"{name}: missing value (NA) in {bad} row(s)")


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
    all kept, so a row can be longer than ``k_max``). The order is that of exact arithmetic.

    Attributes
    ----------
    indptr
        CSR row pointers: row ``i`` is ``indices[indptr[i]:indptr[i+1]]``.
    indices
        CSR column indices, the candidate neighbours of each row in order.
    sqdist
        The squared Euclidean distances of each entry in the scaled cloud ``X · 2^{−e}``,
        ``e = scale_exponent`` (float64; use ``rank`` to compare them: two entries can round to
        one float and differ exactly).
    rank
        Dense rank of each entry's exact distance within its row (0 = nearest); equal ranks are
        exact ties.
    k_max
        Largest ``k`` the table serves.
    n_distinct
        Number of distinct points (rows of ``X`` up to exact equality).
    scale_exponent
        ``e`` of the exact power-of-two scale (module docstring).
    line_order
        For points on a line (``d = 1``), the points in increasing order (a stable sort of the
        coordinate); ``None`` otherwise. Passed on to every graph of the table
        (:attr:`KnnGraph.line_order`).
    """

    indptr: np.ndarray
    indices: np.ndarray
    sqdist: np.ndarray
    rank: np.ndarray
    k_max: int
    n_distinct: int
    scale_exponent: int = 0
    line_order: np.ndarray | None = field(default=None, repr=False)

    @property
    def n(self) -> int:
        return len(self.indptr) - 1


@dataclass(frozen=True)
class KnnGraph:
    """An unweighted kNN graph on ``n`` points (paper-notes §1).

    Attributes
    ----------
    n
        Number of vertices.
    k
        Neighbourhood size.
    mode
        Semantics, ``"union"`` or ``"r-compat"``.
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
    n_tie_decided
        Points whose neighbourhood a tie in distance decides by point order (``union``: the
        ``k``-th and ``(k+1)``-th distances are exactly equal; always 0 in ``r-compat``, which
        keeps every tied candidate; see :func:`tie_decided`). Zero means the graph does not
        depend on the order of the points.
    line_order
        For a graph of points on a line, the points in increasing order (else ``None``): a hint
        that lets :func:`ricci_lit.geometry.distances.hop_distance_totals` take the interval path,
        which it uses only after checking that the graph is an interval graph in this order.
    """

    n: int
    k: int
    mode: str
    adjacency: sp.csr_matrix
    edges: np.ndarray
    degree: np.ndarray
    n_distinct: int
    n_tie_decided: int = 0
    line_order: np.ndarray | None = field(default=None, repr=False)
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


@dataclass(frozen=True)
class _Cloud:
    """One validated cloud prepared for the blocked search (see :func:`neighbour_table`)."""

    scaled: np.ndarray      # X · 2^{−e}: the exact coordinates ties are decided on
    uniq: np.ndarray        # distinct rows of the translated cloud (Gram-form operands)
    inverse: np.ndarray     # row → its row of ``uniq``
    has_duplicates: bool
    u_norm: np.ndarray      # ‖uniq‖²
    exact_id: np.ndarray    # row → its exact-distinct point (equal rows of ``scaled``)
    exact_points: np.ndarray  # one row of ``scaled`` per exact-distinct point
    err: np.ndarray         # per row: bound on the Gram-form error of its distances
    scale_exponent: int


def _prepare(X: np.ndarray) -> _Cloud:
    """Scale by a power of two, translate by ``x_0``, find the distinct points and error bounds."""
    scaled, e = power_of_two_scale(X)
    n = scaled.shape[0]
    # Translate by one of the points: distances are unchanged, the Gram-form cancellation error
    # (which grows with the distance from the origin) is avoided, and integer data stay exact.
    Xt = scaled - scaled[0]
    has_duplicates = False
    if not _surely_distinct(Xt):
        uniq, inverse = np.unique(Xt, axis=0, return_inverse=True)
        inverse = inverse.reshape(-1)
        has_duplicates = uniq.shape[0] < n
    if not has_duplicates:  # keep the original order so no gather is needed
        uniq, inverse = Xt, np.arange(n)
        exact_id, exact_points = inverse, scaled
    else:
        first = np.empty(uniq.shape[0], dtype=np.int64)
        first[inverse[::-1]] = np.arange(n - 1, -1, -1)
        if (scaled != scaled[first[inverse]]).any():  # the translation merged distinct points
            exact_points, exact_id = np.unique(scaled, axis=0, return_inverse=True)
            exact_id = exact_id.reshape(-1)
        else:
            exact_id, exact_points = inverse, scaled[first]
    u_norm = _row_sqnorms(uniq)
    err = gram_error_bound(u_norm, uniq.shape[1])[inverse]
    return _Cloud(scaled=scaled, uniq=uniq, inverse=inverse, has_duplicates=has_duplicates,
                  u_norm=u_norm, exact_id=exact_id, exact_points=exact_points, err=err,
                  scale_exponent=e)


def _block_sqdist(cloud: _Cloud, start: int, stop: int, use_numba: bool) -> np.ndarray:
    """Gram-form squared distances ``[stop − start, n]`` from rows ``start…stop−1``; ``+inf`` to self.

    ``(|u|² + |v|²) − 2 u·v`` between this block's distinct points and all distinct points
    (``2·(u·v)`` is exact, so this is the same float as the direct formula), clamped at 0;
    exact 0 between duplicates.
    """
    uniq, inverse, u_norm = cloud.uniq, cloud.inverse, cloud.u_norm
    ui = inverse[start:stop]
    rows_b = np.arange(stop - start)
    gram = uniq[ui] @ uniq.T
    if use_numba and not cloud.has_duplicates:  # one compiled pass, the same floats as below
        return gram_to_sqdist(gram, u_norm[ui], u_norm, start)
    gram *= 2.0
    du = u_norm[ui, None] + u_norm[None, :]
    du -= gram
    del gram
    np.maximum(du, 0.0, out=du)
    du[rows_b, ui] = 0.0  # exact zero to itself and to its duplicates
    D = du[:, inverse] if cloud.has_duplicates else du
    D[rows_b, rows_b + start] = np.inf  # exclude self
    return D


def _select_sorted(D: np.ndarray, k_max: int, use_numba: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per row every column with value ``≤`` the row's ``k_max``-th smallest, sorted by
    ``(value, column)``: ``(counts, cols, values)`` in CSR order."""
    if use_numba:
        return select_rows(D, k_max)
    t = _kth_smallest(D, k_max)
    r, c = np.nonzero(D <= t[:, None])
    d = D[r, c]
    order = np.lexsort((c, d, r))
    return np.bincount(r, minlength=D.shape[0]).astype(np.int64), c[order], d[order]


def _dense_rank(counts: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Dense rank of each entry's value within its (sorted) row: 0 for the nearest."""
    starts = np.zeros(counts.size, dtype=np.int64)
    np.cumsum(counts[:-1], out=starts[1:])
    rows = np.repeat(np.arange(counts.size), counts)
    new = np.ones(d.size, dtype=np.int64)
    new[1:] = d[1:] != d[:-1]
    new[starts[counts > 0]] = 1
    cs = np.cumsum(new)
    return cs - cs[starts][rows]


def neighbour_table(X: np.ndarray, k_max: int, *, engine: str = "auto",
                    block_rows: int = _BLOCK) -> NeighbourTable:
    """Sort every point's nearest candidates by ``(squared distance, index)`` up to ``k_max``.

    Parameters
    ----------
    X
        Points ``[n, d]`` (validated: finite, numeric).
    k_max
        Largest neighbourhood size needed, ``1 ≤ k_max < n``.
    engine
        ``"numba"`` (per-row selection compiled, :mod:`ricci_lit.geometry._numba`), ``"numpy"`` or
        ``"auto"``; both give identical neighbours and ranks; the stored squared distances
        agree to rounding (Notes, 4 and 5).
    block_rows
        Rows per distance block (peak memory is a few ``block_rows × n`` float64 temporaries);
        the table does not depend on it.

    Returns
    -------
    NeighbourTable
        Row ``i`` lists all ``j ≠ i`` with ``‖x_i − x_j‖² ≤ T_i``, where ``T_i`` is the exact
        ``k_max``-th smallest squared distance from ``i``, sorted by exact distance then index.

    Notes
    -----
    1. The cloud is scaled by the power of two ``2^{−e}`` that brings ``max |x|`` into
       ``[1/2, 1)`` (exact, :func:`ricci_lit.geometry._exact.power_of_two_scale`: the table is the
       same for ``c·X``, any finite ``c > 0``), then translated by ``x_0``.
    2. Squared distances ``‖u‖² + ‖v‖² − 2 u·v`` are computed in float64 between the distinct
       points only and gathered back, so exact duplicates get bit-identical distances (and 0
       between themselves), blocked over rows; per block the ``k_max``-th value is found and only
       the survivors are sorted.
    3. Rows where the Gram-form rounding could have decided the order (two candidates of
       different points, or the boundary, within the rigorous error bound
       :func:`ricci_lit.geometry._exact.gram_error_bound`) are re-selected as exact arithmetic
       would: direct differences, then exact integers (:func:`ricci_lit.geometry._exact.exact_order`).
       On data without such near ties no row is re-selected and the table is the Gram form's.
    4. With numba, a block is done in one compiled row-parallel pass
       (:func:`ricci_lit.geometry._numba.knn_block`; with duplicate points the distances are
       gathered from the distinct points' Gram rows inside it), each thread forming its own
       rows of the Gram product; BLAS may round such a row slice differently in the last bit,
       which moves a stored distance by at most its rounding bound and never an order (rows
       where it could are re-selected exactly). Points on a line (``d = 1``, e.g. a sigmoid
       output) skip the blocks: a sorted order and a per-point window that provably holds every
       candidate (:func:`ricci_lit.geometry._numba.knn_line`), the same table bit for bit as the
       blocked NumPy search (the tests compare them).
    5. With numba, a cloud of ``2 ≤ d ≤ TREE_MAX_DIM`` dimensions (more than
       ``TREE_MIN_POINTS`` points, no two equal; e.g. the inputs of problems A, B and C)
       skips the blocks too: a k-d tree's nearest points, checked to hold every candidate
       (``_tree_table``). The neighbours and ranks are the blocked search's; the stored
       squared distances may differ in the last bits, never where they decide an order.
    """
    X = validate_points(X)
    n = X.shape[0]
    k_max = validate_k(k_max, n)
    if isinstance(block_rows, bool) or not isinstance(block_rows, (int, np.integer)) or block_rows < 1:
        raise ValueError(f"block_rows must be a positive integer, got {block_rows!r}")
    use_numba = resolve_engine(engine) == "numba"
    cloud = _prepare(X)
    parts: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
    line = None  # the whole table at once, without distance blocks
    if use_numba and X.shape[1] == 1:
        line = _line_table(cloud, k_max)
    elif use_numba and X.shape[1] <= TREE_MAX_DIM and not cloud.has_duplicates and n > TREE_MIN_POINTS:
        line = _tree_table(cloud, k_max)
    for start in range(0, n if line is None else 0, int(block_rows)):
        stop = min(n, start + int(block_rows))
        err = cloud.err[start:stop]
        fused = None
        if use_numba:  # one compiled, row-parallel pass; with duplicate points the distances are
            # gathered from the distinct points' Gram rows inside it
            rows = cloud.inverse[start:stop] if cloud.has_duplicates else slice(start, stop)
            gather = {"col_map": cloud.inverse, "row_u": rows} if cloud.has_duplicates else {}
            fused = knn_block(None, cloud.u_norm[rows], cloud.u_norm, start, k_max, 2.0 * err, cloud.exact_id,
                              operands=(cloud.uniq[rows], cloud.uniq), **gather)
        if fused is not None:
            counts, cols, d, rank, flag, D = fused
        else:  # numpy, or rows with many tied candidates
            D = _block_sqdist(cloud, start, stop, use_numba)
            counts, cols, d = _select_sorted(D, k_max, use_numba)
            rank = _dense_rank(counts, d)
            flag = near_tie_rows(D, counts, cols, d, cloud.exact_id, err)
        if flag.any():
            counts, cols, d, rank = resolve_block(cloud.exact_id, cloud.exact_points, err, D, start,
                                                  k_max, flag, counts, cols, d, rank)
        parts.append((counts, cols, d, rank))
        del D
    if line is not None:
        parts = [line]
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.concatenate([p[0] for p in parts]), out=indptr[1:])
    return NeighbourTable(indptr=indptr, indices=np.concatenate([p[1] for p in parts]).astype(np.int64),
                          sqdist=np.concatenate([p[2] for p in parts]),
                          rank=np.concatenate([p[3] for p in parts]).astype(np.int64),
                          k_max=k_max, n_distinct=int(cloud.exact_points.shape[0]),
                          scale_exponent=cloud.scale_exponent,
                          line_order=np.argsort(X[:, 0], kind="stable") if X.shape[1] == 1 else None)


def _line_table(cloud: _Cloud, k_max: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None:
    """The table's CSR rows for points on a line (``d = 1``) by sorting, without distance blocks
    (:func:`ricci_lit.geometry._numba.knn_line`: the same values and order as the blocked
    search); flagged rows are re-selected exactly from their full distance row. ``None`` when
    the line kernel's buffer overflows (many ties): the caller uses the blocked search."""
    x = cloud.uniq[cloud.inverse, 0]
    out = knn_line(x, cloud.u_norm[cloud.inverse], k_max, 2.0 * cloud.err, cloud.err, cloud.exact_id)
    return None if out is None else _resolve_flagged(cloud, k_max, *out)


#: Relative margin on the tree's distances (its own rounding is ~10⁻¹⁵ relative).
_TREE_MARGIN = 1e-9


def _tree_table(cloud: _Cloud, k_max: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None:
    """The table's CSR rows for a low-dimensional cloud (``2 ≤ d ≤ 3``, no two points equal)
    from a k-d tree's candidates instead of distance blocks: ``O(n log n)`` instead of ``O(n²)``.

    Each point's ``m ≥ k_max + 1`` nearest by the tree (``scipy.spatial.cKDTree``, direct
    differences) are its candidates when they provably hold every column the blocked search
    could keep or flag: with ``R`` the tree's ``k_max``-th distance and ``ε`` the point's
    Gram-form error bound, a column can matter only if its exact squared distance is
    ``≤ B = R²(1 + 10⁻⁹) + 5ε``, and the ``m``-th candidate's distance² is checked to exceed
    ``B(1 + 10⁻⁹)``. Rows that fail the check are queried again with ``m`` doubled (up to
    all points). The candidates' Gram-form values, selection, rank and near-tie flag are the
    blocked search's (:func:`ricci_lit.geometry._numba.knn_candidates`) and flagged rows are
    re-selected exactly, so the neighbours and ranks equal the blocked search's; the stored
    squared distances may differ from its in the last bits. ``None`` when the kernel's buffer
    overflows (many ties).
    """
    from scipy.spatial import cKDTree

    P = cloud.uniq
    n = P.shape[0]
    tree = cKDTree(P)
    m = min(n, k_max + 17)
    todo = np.arange(n)
    parts: list[tuple[np.ndarray, np.ndarray]] = []
    while todo.size:
        dist, idx = tree.query(P[todo], k=m, workers=kernel_threads())
        dist = np.atleast_2d(dist)
        idx = np.atleast_2d(idx)
        bound = dist[:, k_max] ** 2 * (1.0 + _TREE_MARGIN) + 5.0 * cloud.err[todo] + 2.0 ** -1000
        sure = (m >= n) | (dist[:, -1] ** 2 * (1.0 - _TREE_MARGIN) > bound * (1.0 + _TREE_MARGIN))
        parts.append((todo[sure], idx[sure]))
        todo = todo[~sure]
        m = min(n, 2 * m)
    width = max(p[1].shape[1] for p in parts)
    cand = np.full((n, width), -1, dtype=np.int64)
    for rows, c in parts:
        cand[rows, :c.shape[1]] = c
    # pad short rows with their own index (the kernel skips i itself)
    pad = cand < 0
    cand[pad] = np.broadcast_to(np.arange(n)[:, None], cand.shape)[pad]
    out = knn_candidates(P, cloud.u_norm, cand, k_max, 2.0 * cloud.err, cloud.exact_id)
    return None if out is None else _resolve_flagged(cloud, k_max, *out)


def _resolve_flagged(cloud: _Cloud, k_max: int, counts: np.ndarray, cols: np.ndarray, d: np.ndarray,
                     rank: np.ndarray, flag: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The whole cloud's CSR rows with each flagged row re-selected exactly from its full
    distance row (:func:`ricci_lit.geometry._exact.resolve_block`)."""
    if not flag.any():
        return counts, cols, d, rank
    offsets = np.zeros(counts.size + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    new_counts = counts.copy()
    done = 0
    rows_c, rows_d, rows_r = [], [], []
    for i in np.nonzero(flag)[0]:
        s, e = offsets[i], offsets[i + 1]
        rows_c.append(cols[done:s])
        rows_d.append(d[done:s])
        rows_r.append(rank[done:s])
        D = _block_sqdist(cloud, int(i), int(i) + 1, False)
        c1, cc, dd, rr = resolve_block(cloud.exact_id, cloud.exact_points, cloud.err[i:i + 1], D, int(i),
                                       k_max, np.ones(1, dtype=bool), counts[i:i + 1], cols[s:e], d[s:e],
                                       rank[s:e])
        new_counts[i] = c1[0]
        rows_c.append(cc)
        rows_d.append(dd)
        rows_r.append(rr)
        done = e
    rows_c.append(cols[done:])
    rows_d.append(d[done:])
    rows_r.append(rank[done:])
    return new_counts, np.concatenate(rows_c), np.concatenate(rows_d), np.concatenate(rows_r)


def _prefix_mask(table: NeighbourTable, k: int, mode: str) -> np.ndarray:
    """Boolean mask over the table's entries selecting the out-neighbours for ``k``."""
    counts = np.diff(table.indptr)
    pos = np.arange(table.indices.size) - np.repeat(table.indptr[:-1], counts)
    if mode == "union":
        return pos < k
    # r-compat: every entry whose exact distance is <= the k-th smallest distance of its row
    kth = table.rank[table.indptr[:-1] + (k - 1)]
    return table.rank <= np.repeat(kth, counts)


def tie_decided(table: NeighbourTable, k: int, mode: str = "union") -> np.ndarray:
    """``bool [n]``: points whose ``k`` nearest neighbours a tie in distance decides.

    In ``"union"`` mode a point's neighbourhood is decided by the order of the points (the lower
    index wins) exactly when its ``k``-th and ``(k+1)``-th smallest distances are equal in exact
    arithmetic. In ``"r-compat"`` every tied candidate is kept, so no neighbourhood depends on the
    order of the points and the result is all ``False``.
    """
    n = table.n
    if mode != "union":
        return np.zeros(n, dtype=bool)
    counts = np.diff(table.indptr)
    out = counts > k
    at = table.indptr[:-1][out] + k
    out[out] = table.rank[at] == table.rank[at - 1]
    return out


def _symmetric_adjacency(n: int, src: np.ndarray, dst: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """CSR ``(indptr, indices)`` of the undirected simple graph ``A ∨ Aᵀ`` of the arcs
    ``src → dst`` (``src`` non-decreasing), rows sorted: compiled when numba is there, else every
    arc in both directions as one sorted set of keys ``i·n + j`` (CSR order, no duplicates);
    the arrays are the same."""
    if resolve_engine("auto") == "numba":
        return symmetric_csr(n, src, dst)
    keys = np.unique(np.concatenate([src * n + dst, dst * n + src]))
    rows = keys // n
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=n), out=indptr[1:])
    return indptr, keys - rows * n


def graph_from_table(table: NeighbourTable, k: int, mode: str) -> KnnGraph:
    """The kNN graph for one ``k ≤ table.k_max`` as a prefix of a :class:`NeighbourTable`.

    ``union``: the first ``k`` entries of each row; ``r-compat``: every entry whose exact distance
    is at most the ``k``-th. Every ``k`` of a grid is served by one :func:`neighbour_table`.
    """
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
    indptr, cols = _symmetric_adjacency(n, src, dst)
    rows = np.repeat(np.arange(n, dtype=np.int64), np.diff(indptr))
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
                    n_distinct=table.n_distinct,
                    n_tie_decided=int(tie_decided(table, k, mode).sum()),
                    line_order=table.line_order, _simple_degree=simple_degree)


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
    return [graph_from_table(table, k, mode) for k in ks]


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
