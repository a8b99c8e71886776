"""An unbiased estimate of the hop-distance total ``g_l`` from sampled BFS sources.

The exact total ``g = Σ_{s ∈ V} r_s``, ``r_s = Σ_{v ∈ V} γ(s, v)`` (P1 Eq. 7, ordered pairs), costs
one breadth-first search per vertex (:func:`ricci_lit.geometry.distances.hop_distance_totals`).
For large clouds a uniform sample ``S ⊂ V`` of ``m`` sources without replacement gives

.. math::  \\hat g = \\frac{n}{m} \\sum_{s \\in S} r_s, \\qquad
           \\mathbb E[\\hat g] = g, \\qquad
           \\widehat{\\operatorname{SE}}(\\hat g) = n \\sqrt{\\Big(1 - \\frac{m}{n}\\Big)\\frac{s_r^2}{m}},

with ``s_r²`` the sample variance of the ``r_s`` (the finite-population correction makes the
estimate exact, with standard error 0, when ``m = n``). Cost: ``m`` searches instead of ``n``.
A disconnected graph has ``g = ∞``; it is detected exactly (connected components, ``O(|E|)``)
and reported as such, never estimated.

:func:`ricci_lit.geometry.coefficients.ricci_coefficient` with ``sources=m`` uses this estimate for
every layer's ``g_l`` (each layer with its own seeded sample) and reports the standard errors
beside ``ρ``; chapter 6 of the book compares the estimate with the exact value.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components, shortest_path

from ricci_lit._checks import is_int
from ricci_lit.geometry._numba import bfs_block, resolve_engine
from ricci_lit.geometry.knn import KnnGraph

__all__ = ["SampledDistanceTotal", "sampled_hop_distance_total", "source_distance_sums"]

#: Sources per machine word of the bit-parallel BFS.
_WORD = 64

#: Bytes allowed for one block of sources (distance columns and bit matrices).
_BLOCK_BYTES = 96 * 2**20


@dataclass(frozen=True)
class SampledDistanceTotal:
    """The estimate of ``g`` from ``m`` sampled sources (module docstring).

    Attributes
    ----------
    estimate
        ``ĝ = (n/m) Σ_{s ∈ S} r_s`` (``inf`` when the graph is disconnected).
    standard_error
        Estimated standard error of ``ĝ`` (0 when ``m = n``; ``nan`` when ``m = 1 < n``, where a
        sample variance does not exist; ``inf`` when disconnected).
    m
        Number of sources sampled.
    n
        Number of vertices.
    connected
        Whether the graph is one component.
    sources
        The sampled sources (sorted).
    source_sums
        ``r_s`` of each sampled source (same order as ``sources``).
    """

    estimate: float
    standard_error: float
    m: int
    n: int
    connected: bool
    sources: np.ndarray
    source_sums: np.ndarray

    @property
    def exact(self) -> bool:
        """``True`` when every vertex was a source (the estimate is the exact total)."""
        return self.m == self.n


def _adjacency(graph: KnnGraph | sp.spmatrix) -> sp.csr_matrix:
    if isinstance(graph, KnnGraph):
        return graph.adjacency
    if not sp.issparse(graph):
        raise TypeError(f"expected a KnnGraph or a scipy sparse adjacency, got {type(graph).__name__}")
    A = sp.csr_matrix(graph)
    if A.shape[0] != A.shape[1]:
        raise ValueError(f"adjacency must be square, got shape {A.shape}")
    return A


def source_distance_sums(graph: KnnGraph | sp.spmatrix, sources: np.ndarray, *,
                         engine: str = "auto") -> np.ndarray:
    """``r_s = Σ_v γ(s, v)`` for each source ``s`` of ``sources`` (``int64``; the graph must be
    connected, or unreachable vertices count 0). A source listed twice gets the same sum twice.

    The numba engine runs the bit-parallel BFS of :mod:`ricci_lit.geometry.distances` on a block
    of sources at a time (as many 64-bit words as fit in about 96 MB with their distance
    columns: every source at once for a few thousand vertices), after relabelling the graph so
    those sources come first; the NumPy engine uses :func:`scipy.sparse.csgraph.shortest_path`
    from the same sources.
    """
    A = _adjacency(graph)
    n = A.shape[0]
    sources = np.asarray(sources, dtype=np.int64).ravel()
    if sources.size and (sources.min() < 0 or sources.max() >= n):
        raise ValueError(f"sources must be vertices 0 … {n - 1}")
    uniq, inverse = np.unique(sources, return_inverse=True)
    out = np.zeros(uniq.size, dtype=np.int64)
    if resolve_engine(engine) == "numpy":
        for a in range(0, uniq.size, _WORD):
            D = shortest_path(A, method="D", unweighted=True, directed=False, indices=uniq[a:a + _WORD])
            D[~np.isfinite(D)] = 0
            out[a:a + _WORD] = D.sum(axis=1).astype(np.int64)
        return out[inverse]
    # per word of 64 sources: the int32 distance columns and the three bit matrices of the kernel
    step = _WORD * max(1, _BLOCK_BYTES // (max(n, 1) * (4 * _WORD + 3 * 8)))
    for a in range(0, uniq.size, step):
        block = uniq[a:a + step]
        rest = np.setdiff1d(np.arange(n), block, assume_unique=True)
        perm = np.concatenate([block, rest])  # new label i ↔ old vertex perm[i]
        relabel = np.empty(n, dtype=np.int64)
        relabel[perm] = np.arange(n)
        # columns relabelled in place, then the rows taken in the new order (BFS needs no sorted rows)
        P = sp.csr_matrix((A.data, relabel[A.indices], A.indptr), shape=A.shape)[perm]
        dist = np.zeros((n, block.size), dtype=np.int32)
        bfs_block(P.indptr, P.indices, n, 0, block.size, dist)
        out[a:a + block.size] = dist.sum(axis=0, dtype=np.int64)
    return out[inverse]


def sampled_hop_distance_total(graph: KnnGraph | sp.spmatrix, sources: int, *,
                               seed: int | np.random.Generator | None = None,
                               engine: str = "auto") -> SampledDistanceTotal:
    """Estimate ``g = Σ_{i ≠ j} γ(i, j)`` from ``sources`` uniformly sampled BFS sources.

    Parameters
    ----------
    graph
        A :class:`~ricci_lit.geometry.knn.KnnGraph` or a symmetric scipy sparse adjacency.
    sources
        ``m``, the number of sources, ``1 ≤ m ≤ n`` (``m = n`` gives the exact total).
    seed
        Seed or generator of the sample (without replacement).
    engine
        ``"auto"``, ``"numba"`` or ``"numpy"`` (identical sums).

    Returns
    -------
    SampledDistanceTotal
        ``ĝ`` and its standard error (module docstring); ``E[ĝ] = g`` exactly.
    """
    A = _adjacency(graph)
    n = A.shape[0]
    if not is_int(sources) or not 1 <= int(sources) <= n:
        raise ValueError(f"sources must be an integer in [1, n = {n}], got {sources!r}")
    m = int(sources)
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    chosen = np.sort(rng.choice(n, size=m, replace=False)) if m < n else np.arange(n)
    n_comp = int(connected_components(A, directed=False)[0]) if n else 0
    if n_comp > 1:
        return SampledDistanceTotal(float("inf"), float("inf"), m, n, False, chosen,
                                    np.full(m, -1, dtype=np.int64))
    r = source_distance_sums(A, chosen, engine=engine)
    estimate = float(n) / m * float(r.sum())
    if m == n:
        se = 0.0
    elif m == 1:
        se = float("nan")
    else:
        se = float(n * np.sqrt((1.0 - m / n) * np.var(r.astype(np.float64), ddof=1) / m))
    return SampledDistanceTotal(estimate, se, m, n, True, chosen, r)
