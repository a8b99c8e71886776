"""Discrete Ricci curvatures of the edges of an unweighted graph (paper-notes §1).

For an edge ``e = (i, j)`` with degrees ``d_i, d_j`` and ``t = t(i, j)`` triangles on it
(common neighbours, ``t = (A²)_ij``):

``"forman"`` (P1 Eq. 4, unit weights)
    ``F(i, j) = 4 − d_i − d_j``.
``"augmented-forman"`` (P2)
    ``AF(i, j) = 4 − d_i − d_j + 3 t``.
``"approx-ollivier"`` (P2)
    The mean of the Jost–Liu lower and upper bounds (Tian, Lubberts & Weber 2023),
    ``κ̂ = t / max(d_i, d_j) − ½[(1 − 1/d_i − 1/d_j − t/min(d_i, d_j))₊ +
    (1 − 1/d_i − 1/d_j − t/max(d_i, d_j))₊]``.
``"ollivier"`` (P2)
    ``κ(i, j) = 1 − W₁(μ_i, μ_j)``, ``μ_x`` uniform on the neighbours of ``x`` (no laziness),
    ground cost the hop distance; exact optimal transport with POT's ``emd2``.

In ``mode="r-compat"`` graphs the Forman curvature uses the R code's in+out degrees and one
value per *directed* edge (paper-details §1.3). The other three curvatures are defined on simple
undirected graphs; in r-compat they are evaluated on the undirected simple graph and reported
once per directed edge, so that totals keep the R code's weighting of mutual pairs.

The total Forman curvature of a simple graph is ``Σ_e (4 − d_i − d_j) = 4|E| − Σ_i d_i²``
(each vertex contributes its degree once per incident edge): a measure of degree
heterogeneity, as the book discusses (paper-details §1.3, §6.1 item 7).
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ricci_lit.geometry.distances import UNREACHABLE, hop_distance_matrix
from ricci_lit.geometry.knn import KnnGraph

__all__ = [
    "CURVATURES",
    "edge_curvature",
    "triangles",
    "node_curvature",
    "total_curvature",
    "validate_curvature",
]

#: The curvature notions of the package, the values a ``curvature=`` argument takes.
CURVATURES: tuple[str, ...] = ("forman", "augmented-forman", "approx-ollivier", "ollivier")

_PAIR_BYTES = 64 * 2**20


def validate_curvature(kind: str) -> str:
    """Return ``kind`` if it names a curvature of :data:`CURVATURES`, else raise ``ValueError``."""
    if kind not in CURVATURES:
        raise ValueError(f"unknown curvature {kind!r}; choose one of {', '.join(CURVATURES)}")
    return kind


def _bitsets(A: sp.csr_matrix) -> np.ndarray:
    """Rows of the 0/1 matrix ``A`` packed into ``uint64`` words (bit ``j`` of row ``i``)."""
    n = A.shape[1]
    words = (n + 63) // 64
    dense = np.zeros((A.shape[0], words * 64), dtype=bool)
    rows = np.repeat(np.arange(A.shape[0]), np.diff(A.indptr))
    dense[rows, A.indices] = True
    return np.packbits(dense, axis=1, bitorder="little").view(np.uint64)


def triangles(graph: KnnGraph, pairs: np.ndarray | None = None) -> np.ndarray:
    """Triangles on each pair, ``t(i, j) = |N(i) ∩ N(j)| = (A²)_ij``, in the simple graph.

    Computed as ``popcount(B_i ∧ B_j)`` on bit-packed neighbour sets, in chunks of pairs.
    ``pairs`` defaults to ``graph.edges``.
    """
    pairs = graph.edges if pairs is None else np.asarray(pairs, dtype=np.int64)
    B = _bitsets(graph.adjacency)
    out = np.empty(pairs.shape[0], dtype=np.int64)
    chunk = max(1, _PAIR_BYTES // (8 * B.shape[1]))
    for s in range(0, pairs.shape[0], chunk):
        p = pairs[s : s + chunk]
        both = np.bitwise_and(B[p[:, 0]], B[p[:, 1]])
        out[s : s + chunk] = np.bitwise_count(both).sum(axis=1, dtype=np.int64)
    return out


def _ollivier(graph: KnnGraph, pairs: np.ndarray) -> np.ndarray:
    """Exact Ollivier curvature ``1 − W₁(μ_i, μ_j)`` of each pair (one LP per distinct edge).

    This is the one curvature that cannot be vectorised: every edge is its own optimal
    transport problem. Each undirected edge is solved once (``W₁`` is symmetric).
    """
    import ot  # POT, the field's standard exact solver

    A = graph.adjacency
    dist = hop_distance_matrix(graph)
    und = np.sort(pairs, axis=1)
    uniq, inv = np.unique(und, axis=0, return_inverse=True)
    kappa = np.empty(uniq.shape[0], dtype=np.float64)
    indptr, indices = A.indptr, A.indices
    for e, (i, j) in enumerate(uniq):
        ni = indices[indptr[i] : indptr[i + 1]]
        nj = indices[indptr[j] : indptr[j + 1]]
        cost = dist[np.ix_(ni, nj)].astype(np.float64)
        if (cost == UNREACHABLE).any():  # pragma: no cover - impossible on an edge
            raise RuntimeError("neighbours of adjacent vertices cannot be disconnected")
        a = np.full(ni.size, 1.0 / ni.size)
        b = np.full(nj.size, 1.0 / nj.size)
        kappa[e] = 1.0 - float(ot.emd2(a, b, cost))
    return kappa[inv.reshape(-1)]


def edge_curvature(graph: KnnGraph, kind: str = "forman", *,
                   triangle_counts: np.ndarray | None = None) -> np.ndarray:
    """Curvature of every edge of ``graph`` (aligned with ``graph.edges``).

    Parameters
    ----------
    graph
        A kNN graph (:func:`ricci_lit.geometry.knn.knn_graph`).
    kind
        One of :data:`CURVATURES` (formulas in the module docstring).
    triangle_counts
        ``triangles(graph)`` when the caller already has it (the augmented Forman and approximate
        Ollivier curvatures both need it, and it is their whole cost on a dense graph); computed
        here otherwise. Ignored by the curvatures that do not use triangles.

    Returns
    -------
    numpy.ndarray
        ``float64 [E]``.
    """
    kind = validate_curvature(kind)
    e = graph.edges
    if e.shape[0] == 0:
        return np.zeros(0, dtype=np.float64)
    if kind == "forman":
        d = graph.degree
        return (4 - d[e[:, 0]] - d[e[:, 1]]).astype(np.float64)
    if kind == "ollivier":
        return _ollivier(graph, e)
    if triangle_counts is None:
        t = triangles(graph).astype(np.float64)
    else:
        t = np.asarray(triangle_counts)
        if t.shape != (e.shape[0],):
            raise ValueError(f"triangle_counts has shape {t.shape}, expected ({e.shape[0]},) (one per edge)")
        t = t.astype(np.float64)
    if kind == "augmented-forman":
        d = graph.degree
        return (4 - d[e[:, 0]] - d[e[:, 1]]).astype(np.float64) + 3.0 * t
    # approx-ollivier on the simple graph
    ds = graph.simple_degree
    di = ds[e[:, 0]].astype(np.float64)
    dj = ds[e[:, 1]].astype(np.float64)
    dmax = np.maximum(di, dj)
    dmin = np.minimum(di, dj)
    base = 1.0 - 1.0 / di - 1.0 / dj
    return t / dmax - 0.5 * (np.maximum(base - t / dmin, 0.0) + np.maximum(base - t / dmax, 0.0))


def node_curvature(graph: KnnGraph, edge_values: np.ndarray, reduce: str = "mean") -> np.ndarray:
    """Scalar curvature of each vertex from its incident edges.

    ``reduce="mean"`` (P2's ``O(x)``: the mean over incident edges) or ``"sum"`` (P1's R code,
    per-node sums). Every row of ``graph.edges`` counts once at each endpoint, so in r-compat the
    mean divides by the in+out degree. Vertices without edges get ``nan`` for ``"mean"``.
    """
    edge_values = np.asarray(edge_values, dtype=np.float64)
    e = graph.edges
    if edge_values.shape != (e.shape[0],):
        raise ValueError(f"edge_values has shape {edge_values.shape}, expected ({e.shape[0]},)")
    sums = np.bincount(e[:, 0], edge_values, graph.n) + np.bincount(e[:, 1], edge_values, graph.n)
    if reduce == "sum":
        return sums
    if reduce != "mean":
        raise ValueError(f"reduce must be 'mean' or 'sum', got {reduce!r}")
    counts = np.bincount(e[:, 0], minlength=graph.n) + np.bincount(e[:, 1], minlength=graph.n)
    return np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)


def total_curvature(graph: KnnGraph, kind: str = "forman") -> float:
    """``Ric = Σ_e κ(e)`` over the edges of ``graph`` (P1 Eq. 6)."""
    return float(edge_curvature(graph, kind).sum())
