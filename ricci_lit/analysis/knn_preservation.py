"""Linear networks preserve kNN graphs; ReLU networks rewire them (paper 2's theory, §3 and §A.4.1).

Paper 2's Theorem 3.1 (as its notebook ``validation_theoretical_results.ipynb`` codes it;
paper-details §5.7 i): for points ``X = {x_1 … x_n} ⊂ R^d`` and a random linear map
``A ∈ R^{m×d}`` with i.i.d. ``N(0, 1/m)`` entries, the kNN graph of ``{A x_i}`` *equals* that of
``X`` with probability at least ``1 − δ`` once

    m ≥ 4 (ln(n(n−1)) − ln δ) / (ε² − ε³),
    ε = min_i (d²_(k+1)(i) − d²_(k)(i)) / (d²_(k+1)(i) + d²_(k)(i))

(:func:`width_bound`, :func:`kth_gap`; ``d_(j)(i)`` the distance from ``x_i`` to its ``j``-th
nearest neighbour): a Johnson–Lindenstrauss argument, so a wide enough linear layer cannot change
the graph and hence no curvature or distance on it; a ReLU is what lets a network rewire it.

This module measures that graded, per layer:

:func:`edge_overlap`
    How much of one kNN graph survives in another: by default the **share of the before-graph's
    edges kept** ``|E_before ∩ E_after| / |E_before|`` (the measure issue 15 asks for: "the share of
    kNN edges kept across a layer"), or the Jaccard index ``|E_b ∩ E_a| / |E_b ∪ E_a|``, which is 1
    exactly when the two (undirected) graphs are equal, paper 2's criterion.
:func:`transition_overlaps`
    The same, per transition, for any sequence of representations (a trained network's
    captured layers and those of its :func:`~ricci_lit.networks.zoo.linear_counterpart`).
:func:`linear_vs_relu`
    For each width ``m`` and seed, a random network ``H_l = σ(H_{l−1} W_lᵀ)`` with ``W_1 ∈ R^{m×d}``,
    ``W_l ∈ R^{m×m}``, i.i.d. ``N(0, 1/m)`` entries and no biases, run twice on the same weights:
    ``σ = identity`` (the linear network) and ``σ = ReLU``; per layer, the overlap between the kNN
    graphs before and after the layer, whether they are equal, and whether the *directed* kNN
    graphs (each point's ``k`` out-neighbours, what the notebook compares) are equal.

The weights' scale does not matter: kNN graphs are invariant under a global rescaling and ReLU is
positively homogeneous, so ``N(0, c/m)`` gives the same graphs for every ``c > 0``.
"""
from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ricci_lit._checks import is_int
from ricci_lit.geometry.knn import KnnGraph, knn_graphs, neighbour_table, validate_k, validate_points

__all__ = [
    "MEASURES",
    "edge_overlap",
    "kth_gap",
    "linear_vs_relu",
    "out_neighbours",
    "random_weights",
    "transition_overlaps",
    "width_bound",
]

MEASURES: tuple[str, ...] = ("kept", "jaccard")

#: Largest ``m × m`` hidden weight matrix :func:`linear_vs_relu` draws (2 GB of float64).
_MAX_SQUARE = 250_000_000


def _adjacency(g: KnnGraph | sp.spmatrix, name: str) -> sp.csr_matrix:
    if isinstance(g, KnnGraph):
        return g.adjacency
    if sp.issparse(g):
        return (sp.csr_matrix(g) != 0).astype(np.int8).tocsr()
    raise TypeError(f"{name} must be a KnnGraph or a scipy sparse adjacency, got {type(g).__name__}")


def edge_overlap(g_before: KnnGraph | sp.spmatrix, g_after: KnnGraph | sp.spmatrix, *,
                 measure: str = "kept") -> float:
    """The overlap of two graphs on the same vertices, by their undirected edge sets.

    Parameters
    ----------
    g_before, g_after
        :class:`~ricci_lit.geometry.knn.KnnGraph`\\ s (their undirected simple adjacencies) or
        symmetric scipy sparse adjacencies, on the same ``n`` vertices.
    measure
        ``"kept"`` (default): ``|E_b ∩ E_a| / |E_b|``, the share of the before-edges still present
        after; ``"jaccard"``: ``|E_b ∩ E_a| / |E_b ∪ E_a|`` (1 iff the graphs are equal).

    Returns
    -------
    float in ``[0, 1]``.
    """
    if measure not in MEASURES:
        raise ValueError(f"measure must be one of {MEASURES}, got {measure!r}")
    A = _adjacency(g_before, "g_before")
    B = _adjacency(g_after, "g_after")
    if A.shape != B.shape:
        raise ValueError(f"the graphs have different numbers of vertices ({A.shape[0]} and {B.shape[0]})")
    # symmetric matrices: nnz counts each undirected edge twice, so the ratios are edge ratios
    inter = A.multiply(B).nnz
    if measure == "kept":
        if A.nnz == 0:
            raise ValueError("g_before has no edges: the share of its edges kept is undefined")
        return inter / A.nnz
    union = A.nnz + B.nnz - inter
    if union == 0:
        raise ValueError("both graphs have no edges: the Jaccard index is undefined")
    return inter / union


def out_neighbours(X: object, k: int) -> np.ndarray:
    """Each point's ``k`` nearest neighbours, ties broken by the lower index, each row sorted: ``[n, k]``.

    The directed kNN graph (the out-neighbour sets the union graph symmetrises).
    """
    X = validate_points(X)
    k = validate_k(k, X.shape[0])
    table = neighbour_table(X, k)
    idx = table.indices[table.indptr[:-1, None] + np.arange(k)[None, :]]
    return np.sort(idx, axis=1)


def kth_gap(X: object, k: int) -> float:
    """Theorem 3.1's ``ε = min_i (d²_(k+1) − d²_(k)) / (d²_(k+1) + d²_(k))`` (needs ``k + 1 < n``).

    ``0`` when some point has tied ``k``-th and ``(k+1)``-th distances (then no width suffices).
    """
    X = validate_points(X)
    n = X.shape[0]
    k = validate_k(k, n)
    if k + 1 >= n:
        raise ValueError(f"kth_gap needs a (k+1)-th neighbour: k + 1 < n = {n}, got k = {k}")
    D = ((X[:, None, :] - X[None, :, :]) ** 2).sum(axis=2)
    np.fill_diagonal(D, np.inf)
    part = np.partition(D, (k - 1, k), axis=1)
    dk, dk1 = part[:, k - 1], part[:, k]
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(dk1 + dk > 0, (dk1 - dk) / (dk1 + dk), 0.0)
    return float(ratio.min())


def width_bound(n: int, delta: float, epsilon: float) -> float:
    """Theorem 3.1's sufficient width ``m ≥ 4 (ln(n(n−1)) − ln δ) / (ε² − ε³)`` (``inf`` for ε = 0)."""
    if not is_int(n) or n < 2:
        raise ValueError(f"n must be an integer ≥ 2, got {n!r}")
    if not 0 < delta < 1:
        raise ValueError(f"delta must lie in (0, 1), got {delta!r}")
    if not 0 <= epsilon < 1:
        raise ValueError(f"epsilon must lie in [0, 1), got {epsilon!r}")
    if epsilon == 0:
        return math.inf
    return 4.0 * (math.log(n * (n - 1)) - math.log(delta)) / (epsilon ** 2 - epsilon ** 3)


def random_weights(d: int, m: int, depth: int, seed: int) -> list[np.ndarray]:
    """The weights :func:`linear_vs_relu` uses: ``[W_1ᵀ (d × m), W_2ᵀ … W_depthᵀ (m × m)]``, i.i.d. ``N(0, 1/m)``.

    Drawn in that order from ``numpy.random.default_rng(SeedSequence([seed, m, depth]))``, so
    a layer acts as ``H ↦ H @ W`` on row-point clouds.
    """
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), int(m), int(depth)]))
    sd = 1.0 / math.sqrt(m)
    return [rng.normal(0.0, sd, size=(d if l == 0 else m, m)) for l in range(depth)]


def transition_overlaps(reps: Sequence[object], k: int, *, mode: str = "union",
                        names: Sequence[str] | None = None) -> pd.DataFrame:
    """How much of each kNN graph survives each transition ``X^{l−1} → X^l`` of a sequence of representations.

    Parameters
    ----------
    reps
        Representations ``[X^0, …, X^M]`` (``M ≥ 1``), each ``[n, d_l]`` with the same ``n``; e.g.
        :func:`ricci_lit.networks.capture.layer_representations`' values, for a network and for
        its linear counterpart (:func:`ricci_lit.networks.zoo.linear_counterpart`).
    k, mode
        kNN graph parameters.
    names
        Optional names of the ``M + 1`` representations; adds a ``name`` column (the name of
        ``X^l``).

    Returns
    -------
    pandas.DataFrame
        One row per transition, ``layer`` 1 … M, with ``kept`` (share of ``G(X^{l−1})``'s edges
        in ``G(X^l)``, :func:`edge_overlap`), ``jaccard``, ``equal`` (the undirected graphs
        coincide), ``directed_equal`` (every point's ``k`` out-neighbours coincide, paper 2's
        notebook test) and ``kept_from_input`` (share of ``G(X^0)``'s edges in ``G(X^l)``).
    """
    arrays = [validate_points(X, name=f"representation {i}") for i, X in enumerate(reps)]
    if len(arrays) < 2:
        raise ValueError(f"need at least two representations (one transition), got {len(arrays)}")
    ns = {X.shape[0] for X in arrays}
    if len(ns) != 1:
        raise ValueError(f"representations have different numbers of rows ({sorted(ns)})")
    if names is not None and len(names) != len(arrays):
        raise ValueError(f"names has {len(names)} entries for {len(arrays)} representations")
    k = validate_k(k, arrays[0].shape[0])
    graphs = [knn_graphs(X, [k], mode)[0] for X in arrays]
    nbs = [out_neighbours(X, k) for X in arrays]
    rows = []
    for l in range(1, len(arrays)):
        before, after = graphs[l - 1], graphs[l]
        row: dict = {"layer": l}
        if names is not None:
            row["name"] = str(names[l])
        row.update({
            "kept": edge_overlap(before, after),
            "jaccard": edge_overlap(before, after, measure="jaccard"),
            "equal": bool((before.adjacency != after.adjacency).nnz == 0),
            "directed_equal": bool(np.array_equal(nbs[l - 1], nbs[l])),
            "kept_from_input": edge_overlap(graphs[0], after),
        })
        rows.append(row)
    return pd.DataFrame(rows)


def linear_vs_relu(X: object, widths: Sequence[int], k: int, *, depth: int = 1,
                   seeds: Sequence[int] = (0,), mode: str = "union") -> pd.DataFrame:
    """kNN-graph preservation per layer of random linear networks and their ReLU counterparts, by width.

    Parameters
    ----------
    X
        Input points ``[n, d]``.
    widths
        Hidden widths ``m`` to try.
    k, mode
        kNN graph parameters.
    depth
        Number of layers (``W_1: d → m``, then ``depth − 1`` layers ``m → m``; the latter need
        ``m²`` float64 each, at most 2 GB).
    seeds
        One random network per ``(width, seed)``; the linear and the ReLU network share its weights.

    Returns
    -------
    pandas.DataFrame
        One row per ``(width, seed, network, layer)``, ``network`` ``"linear"`` or ``"relu"``,
        ``layer`` 1 … depth (the transition ``H_{l−1} → H_l``, ``H_0 = X``), with ``kept``
        (:func:`edge_overlap`, share of before-edges kept), ``jaccard``, ``equal`` (the
        undirected kNN graphs coincide), ``directed_equal`` (each point's ``k`` out-neighbours
        coincide, the notebook's test) and ``kept_from_input`` (share of the input graph's edges
        present in layer ``l``'s graph).
    """
    X = validate_points(X)
    n, d = X.shape
    k = validate_k(k, n)
    if not is_int(depth) or depth < 1:
        raise ValueError(f"depth must be a positive integer, got {depth!r}")
    widths = list(widths)
    seeds = list(seeds)
    if not widths or not seeds:
        raise ValueError("widths and seeds must not be empty")
    for m in widths:
        if not is_int(m) or m < 1:
            raise ValueError(f"widths must be positive integers, got {m!r}")
        if depth > 1 and m * m > _MAX_SQUARE:
            raise ValueError(f"width {m} with depth {depth} needs {m}×{m} weight matrices (> 2 GB); "
                             "use depth=1 for very wide layers")
    for s in seeds:
        if not is_int(s) or s < 0:
            raise ValueError(f"seeds must be non-negative integers, got {s!r}")

    frames = []
    for m in widths:
        for s in seeds:
            W = random_weights(d, int(m), depth, int(s))
            for network in ("linear", "relu"):
                reps = [X]
                for Wl in W:
                    H = reps[-1] @ Wl
                    reps.append(np.maximum(H, 0.0) if network == "relu" else H)
                df = transition_overlaps(reps, k, mode=mode)
                df.insert(0, "network", network)
                df.insert(0, "seed", int(s))
                df.insert(0, "width", int(m))
                frames.append(df)
    return pd.concat(frames, ignore_index=True)
