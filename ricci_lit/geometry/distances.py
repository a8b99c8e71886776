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

Points on a line: the interval path
-----------------------------------
A graph is an *interval graph in the order* ``π`` when, writing vertices by their position in
``π``, every vertex ``x`` and its neighbours fill one run of positions ``[a_x, b_x]`` and both ends
are non-decreasing, ``a_x ≤ a_{x+1}``, ``b_x ≤ b_{x+1}``. (A kNN graph of distinct points on a line
is one in the sorted order: each point's ``k`` nearest form a window that slides to the right
with the point.) Then the vertices within ``t`` hops of ``s`` are exactly the positions
``[A_t(s), B_t(s)]`` with ``B_0 = A_0 = s``, ``B_{t+1} = b_{B_t}``, ``A_{t+1} = a_{A_t}``: by induction,
the set is a run, and its farthest reach to the right is ``max_{x ≤ B_t} b_x = b_{B_t}`` since ``b``
is non-decreasing. So

.. math::  g = \\sum_s \\sum_{t \\ge 1} t\\,\\big[(B_t(s) - B_{t-1}(s)) + (A_{t-1}(s) - A_t(s))\\big],

all sources walked at once, one vectorised step per level: ``O(n · diameter)`` instead of
``O(|E| · n · diameter / 64)``. A component ends at ``x`` exactly when ``b_x = x``.
:func:`hop_distance_totals` takes this path when the graph carries a
:attr:`~ricci_lit.geometry.knn.KnnGraph.line_order` (points on a line, e.g. a sigmoid output) and
the two conditions are verified on its adjacency in that order, or in that order re-sorted by
each vertex's run of neighbours (:func:`refine_order`: tied points can leave a few vertices out of
place); when neither passes, the search is used. Both give the same integers.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components, reverse_cuthill_mckee

from ricci_lit.geometry._numba import bfs_block, kernel_threads, resolve_engine, uses_word_lists
from ricci_lit.geometry.knn import KnnGraph

__all__ = [
    "DistanceTotals",
    "hop_distance_totals",
    "hop_distance_matrix",
    "components",
    "interval_bounds",
    "refine_order",
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


def _numba_blocks(A: sp.csr_matrix, threads: int = 1) -> list[tuple[int, int]]:
    """Source blocks ``(s0, s1)`` of the compiled search: at most about 96 MB of bit matrices
    in all, and at least ``threads`` blocks when there are that many 64-source words."""
    n = A.shape[0]
    words = (n + 63) // 64
    # bound the three n x block bit matrices of every running block to about 96 MB together
    budget = _GATHER_BYTES // max(1, threads)
    block_words = int(max(1, min(words, budget // (3 * 8 * max(n, 1)))))
    block_words = min(block_words, -(-words // max(1, threads)))
    return [(64 * w0, min(n, 64 * (w0 + block_words))) for w0 in range(0, words, block_words)]


def _compiled_totals(A: sp.csr_matrix) -> tuple[int, int, int]:
    """``(Σ distances, reached pairs, diameter)`` by the compiled search, source blocks run on
    ``kernel_threads()`` threads (the kernel releases the GIL; blocks are independent, their sums
    are integers, so the result does not depend on the split). Blocks of more than
    ``SPARSE_BFS_WORDS`` words use the word-list kernel, for which the vertices are first
    relabelled in reverse Cuthill–McKee order (the totals do not depend on the labels)."""
    n = A.shape[0]
    threads = kernel_threads()
    blocks = _numba_blocks(A, threads)
    if any(uses_word_lists(s0, s1) for s0, s1 in blocks):
        # the word-list kernel: relabel so that sources close in the graph share words
        perm = reverse_cuthill_mckee(A, symmetric_mode=True)
        A = A[perm][:, perm].tocsr()
    indptr = A.indptr.astype(np.int64)
    indices = A.indices.astype(np.int64)
    if len(blocks) == 1 or threads == 1:
        parts = [bfs_block(indptr, indices, n, s0, s1) for s0, s1 in blocks]
    else:
        with ThreadPoolExecutor(max_workers=min(threads, len(blocks))) as pool:
            parts = list(pool.map(lambda b: bfs_block(indptr, indices, n, b[0], b[1]), blocks))
    return (sum(p[0] for p in parts), sum(p[1] for p in parts), max(p[2] for p in parts))


def interval_bounds(adjacency: sp.spmatrix, order: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """``(a, b)``: each position's run of neighbours when the graph is an interval graph in
    ``order`` (module docstring), else ``None``.

    Parameters
    ----------
    adjacency
        Symmetric ``n × n`` adjacency without self loops.
    order
        A permutation of the vertices; position ``x`` holds vertex ``order[x]``.
    """
    A = sp.csr_matrix(adjacency)
    n = A.shape[0]
    order = np.asarray(order, dtype=np.int64)
    if order.shape != (n,) or not np.array_equal(np.sort(order), np.arange(n)):
        raise ValueError(f"order must be a permutation of the {n} vertices")
    P = A[order][:, order].tocsr()
    P.sum_duplicates()
    P.sort_indices()
    deg = np.diff(P.indptr)
    x = np.arange(n, dtype=np.int64)
    a, b = x.copy(), x.copy()
    has = deg > 0
    a[has] = np.minimum(P.indices[P.indptr[:-1][has]], x[has])
    b[has] = np.maximum(P.indices[P.indptr[1:][has] - 1], x[has])
    if np.any(b - a != deg) or np.any(np.diff(a) < 0) or np.any(np.diff(b) < 0):
        return None  # not one run around every vertex, or the runs do not slide monotonically
    return a, b


def refine_order(adjacency: sp.spmatrix, order: np.ndarray) -> np.ndarray:
    """``order`` re-sorted by each vertex's run of neighbour positions ``(min, max)`` in it (then by
    position): the canonical order of an interval graph, which repairs an order that tied points
    left slightly wrong (distance ties decided by index, duplicates). Only a candidate:
    :func:`interval_bounds` decides."""
    A = sp.csr_matrix(adjacency)
    n = A.shape[0]
    order = np.asarray(order, dtype=np.int64)
    pos = np.empty(n, dtype=np.int64)
    pos[order] = np.arange(n)
    rows = np.repeat(np.arange(n), np.diff(A.indptr))
    p = pos[A.indices]
    lo, hi = pos.copy(), pos.copy()
    np.minimum.at(lo, rows, p)
    np.maximum.at(hi, rows, p)
    return np.arange(n)[np.lexsort((pos, hi, lo))]


def _interval_totals(a: np.ndarray, b: np.ndarray) -> DistanceTotals:
    """:class:`DistanceTotals` of an interval graph from its runs (module docstring)."""
    n = a.size
    total = reached = diameter = 0
    for step in (b, a):  # to the right, then to the left
        cur = np.arange(n, dtype=np.int64)
        level = 0
        while cur.size:
            nxt = step[cur]
            gain = np.abs(nxt - cur)
            moving = gain > 0
            if not moving.any():
                break
            level += 1
            m = int(gain.sum())
            total += level * m
            reached += m
            cur = nxt[moving]
        diameter = max(diameter, level)
    n_comp = int(np.count_nonzero(b == np.arange(n)))
    connected = n_comp == 1
    return DistanceTotals(total=float(total) if connected else float("inf"), finite_total=int(total),
                          connected=bool(connected), n_components=n_comp, reachable_pairs=int(reached),
                          diameter=int(diameter))


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

    Notes
    -----
    A :class:`~ricci_lit.geometry.knn.KnnGraph` of points on a line that is verified to be an
    interval graph in their order takes the interval path (module docstring), whatever
    ``engine`` says; the numbers are the same.
    """
    A = _adjacency_of(graph)
    n = A.shape[0]
    order = getattr(graph, "line_order", None)
    if order is not None:
        bounds = interval_bounds(A, order)
        if bounds is None:  # tied points may have put a few vertices out of place
            bounds = interval_bounds(A, refine_order(A, order))
        if bounds is not None:
            return _interval_totals(*bounds)
    total = 0
    reached = 0
    diameter = 0
    if resolve_engine(engine) == "numba":
        total, reached, diameter = _compiled_totals(A)
    else:
        for _s0, _s1, level, new in _bfs_blocks(A):
            c = _popcount(new)
            total += level * c
            reached += c
            diameter = max(diameter, level)
    # every ordered pair reached ⇔ one component (n ≤ 1 is one component or none)
    n_comp = 1 if n > 0 and reached == n * (n - 1) else components(A)[0]
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
