"""Hop (geodesic) distances on unweighted graphs, by bit-parallel breadth-first search.

Paper 1's geodesic distance ``γ_l(i, j)`` is the number of edges of a shortest path between
``i`` and ``j`` in ``G_k(X^l)`` (P1 §2.2), infinite between components; its per-layer total is
``g_l = Σ_{i,j ∈ V} γ_l(i, j)`` over *ordered* pairs (P1 Eq. 7; paper-notes §1).

Algorithm
---------
All sources are searched at once, 64 to a machine word. ``F[v]`` is a bit set over sources
(bit ``s`` set when ``v`` is on the current BFS frontier from ``s``) and ``V[v]`` the set of
sources that have reached ``v``. One BFS level for all sources is

.. math::  N[v] = \\Big(\\bigvee_{u \\in \\mathcal N(v)} F[u]\\Big) \\wedge \\neg V[v],\\qquad
           V \\leftarrow V \\vee N,\\quad F \\leftarrow N,

computed for every vertex at once with ``numpy.bitwise_or.reduceat`` over the CSR neighbour
lists. The pairs first reached at level ``t`` are the set bits of ``N``, so
``g = Σ_t t · popcount(N_t)``. A level costs ``O(|E| · n / 64)`` word operations and the number of
levels is the graph's diameter; sources are processed in blocks to bound memory.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from ricci_lit.geometry._numba import bfs_block, resolve_engine
from ricci_lit.geometry.knn import KnnGraph

__all__ = [
    "DistanceTotals",
    "hop_distance_totals",
    "hop_distance_matrix",
    "components",
    "UNREACHABLE",
]

#: Entry of :func:`hop_distance_matrix` for pairs in different components.
UNREACHABLE: int = -1

#: Bytes allowed for the gathered frontier block (``nnz × words × 8``).
_GATHER_BYTES = 96 * 2**20

if hasattr(np, "bitwise_count"):
    def _popcount(a: np.ndarray) -> int:
        return int(np.bitwise_count(a).sum(dtype=np.int64))
else:  # pragma: no cover - numpy < 2.0
    _POP8 = np.array([bin(i).count("1") for i in range(256)], dtype=np.int64)

    def _popcount(a: np.ndarray) -> int:
        return int(_POP8[np.ascontiguousarray(a).view(np.uint8)].sum())


@dataclass(frozen=True)
class DistanceTotals:
    """Totals of hop distances on one graph.

    Attributes
    ----------
    total
        ``Σ_{i ≠ j} γ(i, j)`` over ordered pairs (P1 Eq. 7), or ``inf`` if the graph is
        disconnected.
    finite_total
        The same sum restricted to pairs in the same component (always finite).
    connected
        Whether the graph is one connected component.
    n_components
        Number of connected components.
    reachable_pairs
        Number of ordered pairs ``i ≠ j`` joined by a path.
    diameter
        Largest finite hop distance.
    """

    total: float
    finite_total: int
    connected: bool
    n_components: int
    reachable_pairs: int
    diameter: int


def _adjacency_of(graph: KnnGraph | sp.spmatrix) -> sp.csr_matrix:
    A = graph.adjacency if isinstance(graph, KnnGraph) else sp.csr_matrix(graph)
    if A.shape[0] != A.shape[1]:
        raise ValueError(f"adjacency must be square, got shape {A.shape}")
    A = A.tocsr()
    return A


def components(graph: KnnGraph | sp.spmatrix) -> tuple[int, np.ndarray]:
    """Connected components (undirected): ``(count, label per vertex)``."""
    A = _adjacency_of(graph)
    return connected_components(A, directed=False)


def _bfs_blocks(A: sp.csr_matrix):
    """Yield ``(source_start, source_stop, level, newly_reached_bits)`` for every level."""
    n = A.shape[0]
    indptr = A.indptr.astype(np.int64)
    indices = A.indices.astype(np.int64)
    nnz = max(int(indices.size), 1)
    words_total = (n + 63) // 64
    block_words = int(max(1, min(words_total, _GATHER_BYTES // (8 * nnz))))
    deg = np.diff(indptr)
    has_nbr = deg > 0
    starts = indptr[:-1][has_nbr]
    for w0 in range(0, words_total, block_words):
        w1 = min(words_total, w0 + block_words)
        s0, s1 = 64 * w0, min(n, 64 * w1)
        bw = w1 - w0
        visited = np.zeros((n, bw), dtype=np.uint64)
        src = np.arange(s0, s1)
        local = src - s0
        visited[src, local // 64] = np.left_shift(np.uint64(1), (local % 64).astype(np.uint64))
        frontier = visited.copy()
        level = 0
        while True:
            level += 1
            nxt = np.zeros((n, bw), dtype=np.uint64)
            if starts.size:
                gathered = frontier[indices]
                nxt[has_nbr] = np.bitwise_or.reduceat(gathered, starts, axis=0)
            np.bitwise_and(nxt, np.invert(visited), out=nxt)
            if not nxt.any():
                break
            visited |= nxt
            frontier = nxt
            yield s0, s1, level, nxt


def _numba_blocks(A: sp.csr_matrix) -> list[tuple[int, int]]:
    n = A.shape[0]
    words = (n + 63) // 64
    # bound the three n x block bit matrices to about 96 MB
    block_words = int(max(1, min(words, _GATHER_BYTES // (3 * 8 * max(n, 1)))))
    return [(64 * w0, min(n, 64 * (w0 + block_words))) for w0 in range(0, words, block_words)]


def hop_distance_totals(graph: KnnGraph | sp.spmatrix, *, engine: str = "auto") -> DistanceTotals:
    """Total hop distance ``g = Σ_{i,j} γ(i, j)`` over ordered pairs, with connectivity.

    Parameters
    ----------
    graph
        A :class:`~ricci_lit.geometry.knn.KnnGraph` (its undirected ``adjacency`` is used, so
        direction is ignored as in igraph's ``distances(mode="all")``) or any square sparse
        adjacency matrix, read as undirected (it must be symmetric).
    engine
        ``"numba"`` (compiled kernel, :mod:`ricci_lit.geometry._numba`), ``"numpy"`` or ``"auto"``.

    Returns
    -------
    DistanceTotals
        ``total`` is ``inf`` when the graph is disconnected; ``finite_total`` and
        ``reachable_pairs`` are always reported so nothing is hidden.
    """
    A = _adjacency_of(graph)
    n = A.shape[0]
    total = 0
    reached = 0
    diameter = 0
    if resolve_engine(engine) == "numba":
        for s0, s1 in _numba_blocks(A):
            t, r, d = bfs_block(A.indptr, A.indices, n, s0, s1)
            total += t
            reached += r
            diameter = max(diameter, d)
    else:
        for _s0, _s1, level, new in _bfs_blocks(A):
            c = _popcount(new)
            total += level * c
            reached += c
            diameter = max(diameter, level)
    n_comp, _ = components(A)
    connected = n_comp == 1
    return DistanceTotals(
        total=float(total) if connected else float("inf"),
        finite_total=int(total),
        connected=bool(connected),
        n_components=int(n_comp),
        reachable_pairs=int(reached),
        diameter=int(diameter),
    )


def hop_distance_matrix(graph: KnnGraph | sp.spmatrix, *, engine: str = "auto") -> np.ndarray:
    """All-pairs hop distances as an ``int32 [n, n]`` matrix (``UNREACHABLE`` = −1 between
    components, 0 on the diagonal), by the same bit-parallel BFS."""
    A = _adjacency_of(graph)
    n = A.shape[0]
    dist = np.full((n, n), UNREACHABLE, dtype=np.int32)
    np.fill_diagonal(dist, 0)
    if resolve_engine(engine) == "numba":
        for s0, s1 in _numba_blocks(A):
            bfs_block(A.indptr, A.indices, n, s0, s1, dist)
        return dist
    for s0, s1, level, new in _bfs_blocks(A):
        bits = np.unpackbits(new.view(np.uint8), axis=1, bitorder="little")[:, : s1 - s0]
        rows, cols = np.nonzero(bits)
        dist[rows, cols + s0] = level
    return dist
