"""Community structure of kNN graphs: modularity and normalised cut of the class partition.

Paper 2 §4.2 ([P2-code] ``community_structure.py``; paper-details §5.7 c) measures how well
the test points' classes separate in each layer's kNN graph ``G = (V, E)``, ``m = |E|``,
with degrees ``k_i`` and the partition ``V = ⋃_c V_c`` by true class.

Modularity (Newman 2006, networkx's ``community.modularity`` at resolution 1)::

    Q = (1 / 2m) Σ_ij [A_ij − k_i k_j / 2m] δ(c_i, c_j)  =  Σ_c [ e_c / m − (d_c / 2m)² ],

with ``e_c`` the number of edges inside class ``c`` and ``d_c = Σ_{i ∈ V_c} k_i`` its volume.
``Q`` lies in ``[−1/2, 1)``; for ``C`` equal-volume classes it is at most ``1 − 1/C`` (``1/2``
for paper 2's two classes) and near 0 for a partition unrelated to the edges.

Normalised cut (paper 2's ``0.5 · networkx.normalized_cut_size(S, T)`` for two classes)::

    NCut = ½ Σ_c cut(V_c, V ∖ V_c) / d_c,

which for two classes is ``½ cut(S, T) (1/d_S + 1/d_T)``: 0 when no edge joins two classes.

Both are computed on the *undirected simple* graph (``KnnGraph.adjacency``; in ``r-compat``
mode the union of both edge directions, as paper 2's ``A ∨ Aᵀ``), vectorised over the
adjacency's stored entries with ``numpy.bincount``.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ricci_lit.geometry.knn import KnnGraph, knn_graphs, validate_k, validate_points

__all__ = ["class_codes", "community_table", "modularity", "normalized_cut"]


def class_codes(labels: object, n: int) -> tuple[np.ndarray, int]:
    """Labels ``[n]`` (any sortable values) as codes ``0 … C−1`` and the number of classes ``C``."""
    y = np.asarray(labels)
    if y.ndim != 1 or y.shape[0] != n:
        raise ValueError(f"labels must be one label per vertex, shape ({n},), got {y.shape}")
    if y.dtype.kind == "f" and not np.isfinite(y).all():
        raise ValueError("labels contain NaN or inf")
    try:
        uniq, codes = np.unique(y, return_inverse=True)
    except TypeError as exc:
        raise ValueError(f"labels cannot be compared ({exc})") from None
    return codes.astype(np.int64).ravel(), len(uniq)


def _adjacency(graph: KnnGraph | sp.spmatrix) -> sp.csr_matrix:
    if isinstance(graph, KnnGraph):
        return graph.adjacency
    if sp.issparse(graph):
        A = sp.csr_matrix(graph)
        if A.shape[0] != A.shape[1]:
            raise ValueError(f"adjacency must be square, got shape {A.shape}")
        return A
    raise TypeError(f"graph must be a KnnGraph or a scipy sparse adjacency, got {type(graph).__name__}")


def _class_sums(graph: KnnGraph | sp.spmatrix, labels: object) -> tuple[np.ndarray, np.ndarray, float, int]:
    """``(internal_c, volume_c, m, C)``: twice the edges inside each class, class volumes, edge count."""
    A = (_adjacency(graph) != 0).astype(np.int8).tocsr()
    n = A.shape[0]
    codes, C = class_codes(labels, n)
    rows = np.repeat(np.arange(n), np.diff(A.indptr))
    cols = A.indices
    if (rows == cols).any():
        raise ValueError("the graph has self loops; modularity here is for simple graphs")
    same = codes[rows] == codes[cols]
    internal = np.bincount(codes[rows[same]], minlength=C).astype(np.float64)  # 2·e_c
    degree = np.diff(A.indptr).astype(np.float64)
    volume = np.bincount(codes, weights=degree, minlength=C)
    m = A.nnz / 2.0
    if m == 0:
        raise ValueError("the graph has no edges: modularity and normalised cut are undefined")
    return internal, volume, m, C


def modularity(graph: KnnGraph | sp.spmatrix, labels: object) -> float:
    """Newman modularity ``Q = Σ_c [e_c/m − (d_c/2m)²]`` of the partition of the vertices by ``labels``.

    Parameters
    ----------
    graph
        A :class:`~ricci_lit.geometry.knn.KnnGraph` (its undirected simple adjacency is used)
        or a symmetric scipy sparse adjacency (non-zero entries are edges, weights ignored).
    labels
        One label per vertex; vertices with equal labels form one community.

    Returns
    -------
    float
        ``Q``; equals ``networkx.community.modularity(G, communities)`` (resolution 1).

    Raises
    ------
    ValueError
        Labels of the wrong length, a graph without edges, or self loops.
    """
    internal, volume, m, _ = _class_sums(graph, labels)
    return float(internal.sum() / (2.0 * m) - np.sum((volume / (2.0 * m)) ** 2))


def normalized_cut(graph: KnnGraph | sp.spmatrix, labels: object) -> float:
    """``½ Σ_c cut(V_c, V∖V_c)/vol(V_c)`` of the class partition (paper 2's normalised cut for two classes).

    ``cut(V_c, V∖V_c) = vol(V_c) − 2 e_c``. A class of isolated vertices (volume 0) makes the
    quantity undefined and raises ``ValueError``.
    """
    internal, volume, _, _ = _class_sums(graph, labels)
    if (volume == 0).any():
        raise ValueError("a class has volume 0 (only isolated vertices): the normalised cut is undefined")
    return float(0.5 * np.sum((volume - internal) / volume))


def community_table(reps: Sequence[object], labels: object, k: int, *, mode: str = "union",
                    layer_names: Sequence[str] | None = None) -> pd.DataFrame:
    """Modularity and normalised cut of the class partition in each representation's kNN graph.

    Parameters
    ----------
    reps
        Representations ``[X^0, …, X^M]``, each ``[n, d_l]`` with the same ``n``.
    labels
        The ``n`` points' classes.
    k, mode
        kNN graph parameters (paper 2 uses ``k = 100`` for community metrics, union mode).
    layer_names
        Optional names of the representations (a ``name`` column).

    Returns
    -------
    pandas.DataFrame
        One row per representation: ``layer`` (0 … M), ``name`` (when given), ``modularity``,
        ``normalized_cut``.
    """
    arrays = [validate_points(X, name=f"representation {i}") for i, X in enumerate(reps)]
    if not arrays:
        raise ValueError("need at least one representation")
    ns = {X.shape[0] for X in arrays}
    if len(ns) != 1:
        raise ValueError(f"representations have different numbers of rows ({sorted(ns)})")
    n = arrays[0].shape[0]
    k = validate_k(k, n)
    class_codes(labels, n)
    if layer_names is not None and len(layer_names) != len(arrays):
        raise ValueError(f"layer_names has {len(layer_names)} names for {len(arrays)} representations")
    rows = []
    for i, X in enumerate(arrays):
        g = knn_graphs(X, [k], mode)[0]
        row = {"layer": i}
        if layer_names is not None:
            row["name"] = str(layer_names[i])
        row["modularity"] = modularity(g, labels)
        row["normalized_cut"] = normalized_cut(g, labels)
        rows.append(row)
    return pd.DataFrame(rows)
