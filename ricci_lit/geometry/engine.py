"""Controls for the Ricci-flow coefficients: untrained networks and the choice of curvature.

Paper 2 (Hehl, von Renesse & Weber 2025, §A.1.1; paper-details §5.7 (g); paper-notes §4 item 7)
found that paper 1's *global* coefficient is negative for about 90 % of **untrained**,
randomly initialised networks (mean −0.2 … −0.4), while the mean *local* coefficient stays near
0 (``|mean| < 0.06``) and only becomes clearly negative (−0.2 … −0.9) after training. A negative
global ρ therefore does not by itself show that training produced a Ricci-flow-like geometry.
This module computes every coefficient of :mod:`ricci_lit.geometry.coefficients` for many networks and several
curvature notions at once, so that trained and untrained networks, and curvatures, can be
compared on the same representations.

What is computed, per network and curvature (paper-notes §1)
------------------------------------------------------------
For the representations ``X^0 … X^M`` (``layers="all"``: input, hidden layers and output, P2's
convention; ``layers="hidden"``: the hidden layers only, P1 Eq. 8) and the kNN graphs
``G_l = G_k(X^l)``:

* the **global** coefficient ``ρ = Pearson_l(Ric_l, η_l)``, ``η_l = g_{l+1} − g_l`` (P1 Eq. 8),
  undefined (``NaN`` with a reason) when a graph is disconnected or a series is constant;
* the **local** coefficients ``ρ(x) = Pearson_l(O_l(x), η_l(x))`` of every test point (P2 §3.2;
  paper-details §5.4), summarised by their mean, median and standard deviation over the points
  with a defined value, the fraction of those below zero, and the number of undefined ones;
* the **layer** coefficients ``ρ_l = Pearson_x(O_l(x), η_l(x))`` of every transition
  ``l → l+1`` (P2 §4.4), one row each in a separate table.

The graphs and their hop distances do not depend on the curvature; they are built once per
network and reused for every curvature (the kNN search dominates the cost of the cheap
curvatures). The numbers are those of :func:`ricci_lit.geometry.coefficients.ricci_coefficient` with
``local=True`` on the same representations (the tests check equality).

Cost of the curvature notions
-----------------------------
``"forman"``, ``"augmented-forman"`` and ``"approx-ollivier"`` are vectorised closed forms
(degrees and triangle counts): milliseconds per graph at ``n = 1000``, ``k = 50``. Exact
``"ollivier"`` solves one optimal-transport linear programme per edge (POT ``emd2``, a
``deg(i) × deg(j)`` problem): about 0.5 ms per edge at ``k = 30`` on one core, i.e. ~3 s for a
300-point graph at ``k = 30`` and tens of seconds per graph at ``n = 1000``, ``k = 50``
(~35,000 edges). It is therefore **not** in :data:`DEFAULT_CURVATURES`; pass it explicitly.

Tables
------
:class:`CoefficientTables` holds tidy :class:`pandas.DataFrame` objects:

``networks``
    one row per (network, curvature): identifiers, the global ρ (``NaN`` plus ``rho_reason``
    when undefined), connectivity, and the local summary (columns listed in
    :data:`NETWORK_COLUMNS`);
``layers``
    one row per (network, curvature, transition): the layer coefficient and the per-layer
    totals ``ric`` and ``eta`` behind the global ρ (:data:`LAYER_COLUMNS`);
``points`` (optional)
    one row per (network, curvature, test point) with ``ρ(x)``, for histograms (P2 §4.1).
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from tqdm import tqdm

from ricci_lit.geometry.curvature import edge_curvature, node_curvature, triangles, validate_curvature
from ricci_lit.geometry.coefficients import (
    coefficient_from_totals,
    local_and_layer_coefficients,
    select_representations,
    validate_representations,
)
from ricci_lit.geometry.distances import hop_distance_matrix, hop_distance_totals
from ricci_lit.geometry.knn import MODES, KnnGraph, knn_graphs, validate_k

__all__ = [
    "DEFAULT_CURVATURES",
    "LAYER_COLUMNS",
    "NETWORK_COLUMNS",
    "POINT_COLUMNS",
    "CoefficientTables",
    "CurvatureAgreement",
    "curvature_agreement",
    "network_coefficients",
    "validate_curvatures",
    "validate_layers",
    "validate_mode",
]

DEFAULT_CURVATURES: tuple[str, ...] = ("forman", "augmented-forman", "approx-ollivier")
"""The cheap curvatures (exact ``"ollivier"`` is one LP per edge: opt in explicitly)."""

_TRIANGLE_CURVATURES = frozenset({"augmented-forman", "approx-ollivier"})
"""Curvatures computed from the per-edge triangle counts (:func:`ricci_lit.geometry.curvature.triangles`)."""

NETWORK_COLUMNS: tuple[str, ...] = (
    "network", "seed", "curvature", "k", "mode", "layers", "n_points", "n_representations",
    "rho", "rho_reason", "connected", "n_disconnected", "n_collapsed", "n_tie_decided",
    "local_mean", "local_median", "local_std", "local_fraction_negative", "local_n_defined",
    "local_n_nan", "local_n_unreachable", "local_n_constant",
    "layer_mean", "layer_min", "layer_argmin",
)
"""Columns of :attr:`CoefficientTables.networks` (before any identifiers a caller adds).

``network`` is the position in the input list and ``seed`` the network's seed (``-1`` when the
input carries none). ``rho`` is the global coefficient (``NaN`` when undefined, with
``rho_reason``); ``connected`` is true when every graph is connected; ``n_disconnected`` and
``n_collapsed`` count representations with a disconnected graph or fewer than ``k + 1``
distinct points; ``n_tie_decided`` sums, over the representations, the points whose
neighbourhood a tie in distance decides by point order
(:attr:`ricci_lit.geometry.knn.KnnGraph.n_tie_decided`; 0: the row does not depend on the order
of the points). ``local_*`` summarise ``ρ(x)`` over the points where it is defined
(``local_n_nan = local_n_unreachable + local_n_constant`` points are not). ``layer_mean``,
``layer_min`` and ``layer_argmin`` summarise the layer coefficients (``NaN``-aware)."""

LAYER_COLUMNS: tuple[str, ...] = (
    "network", "seed", "curvature", "k", "mode", "layers", "transition", "representation",
    "layer_rho", "n_defined", "node_curvature_mean", "expansion_mean", "ric", "eta",
)
"""Columns of :attr:`CoefficientTables.layers`.

``transition`` is ``l`` for the step ``X^l → X^{l+1}`` *within the selected sequence*
(0-based); ``representation`` is the index of ``X^l`` in the full list ``[X^0 (input), …,
X^{L+1} (output)]`` (equal to ``transition`` for ``layers="all"``, ``transition + 1`` for
``"hidden"``). ``layer_rho`` is ``ρ_l`` over the ``n_defined`` points whose ``η_l(x)`` is finite;
``node_curvature_mean`` and ``expansion_mean`` are the means of ``O_l(x)`` and ``η_l(x)`` over
those points; ``ric`` is ``Ric_l`` and ``eta`` the global ``η_l = g_{l+1} − g_l`` (``inf``/``NaN``
when a graph is disconnected)."""

POINT_COLUMNS: tuple[str, ...] = ("network", "seed", "curvature", "point", "rho_x")
"""Columns of :attr:`CoefficientTables.points` (``rho_x`` is ``NaN`` where undefined)."""


@dataclass(frozen=True)
class CoefficientTables:
    """Tidy tables of global, local and layer coefficients (see the module docstring).

    Attributes
    ----------
    networks
        One row per (network, curvature[, state]).
    layers
        One row per (network, curvature[, state], transition).
    points
        One row per (network, curvature[, state], point), or ``None`` unless requested.
    meta
        Settings (``k``, ``mode``, ``layers``, curvatures, …) and, for
        :func:`~ricci_lit.experiments.controls.trained_vs_untrained`, the training configuration and timings.
    community
        One row per (network[, state], representation): the class modularity and normalised cut of
        its kNN graph (:func:`ricci_lit.geometry.community.community_table`), when asked for.
    """

    networks: pd.DataFrame
    layers: pd.DataFrame
    points: pd.DataFrame | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    community: pd.DataFrame | None = None


# ---------------------------------------------------------------------------------------------------
# Input handling
# ---------------------------------------------------------------------------------------------------


def validate_layers(layers: str) -> str:
    if layers not in ("all", "hidden"):
        raise ValueError(f"layers must be 'all' or 'hidden', got {layers!r}")
    return layers


def validate_curvatures(curvatures: Sequence[str] | str) -> tuple[str, ...]:
    if isinstance(curvatures, str):
        curvatures = (curvatures,)
    out = tuple(validate_curvature(c) for c in curvatures)
    if not out:
        raise ValueError("curvatures is empty")
    if len(set(out)) != len(out):
        raise ValueError(f"curvatures must be distinct, got {out}")
    return out


def validate_mode(mode: str) -> str:
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    return mode


def _is_array_like_2d(obj: object) -> bool:
    return isinstance(obj, np.ndarray) or (hasattr(obj, "shape") and hasattr(obj, "ndim")
                                           and not hasattr(obj, "layers"))


def _network_sequences(reps_list: Sequence[object], layers: str) -> list[tuple[int, list[np.ndarray]]]:
    """``[(seed, selected representations)]`` for every network of ``reps_list``.

    Each entry is a :class:`ricci_lit.networks.mlp.Representations` (``.select(layers)``; seed from
    the object) or a sequence ``[X^0, …, X^{L+1}]`` of arrays (input to output, selected with
    :func:`ricci_lit.geometry.coefficients.select_representations`; seed ``-1``).
    """
    validate_layers(layers)
    if isinstance(reps_list, np.ndarray) or hasattr(reps_list, "layers"):
        raise ValueError("reps_list must be a sequence with one entry per network "
                         "(wrap a single network's representations in a list)")
    try:
        entries = list(reps_list)
    except TypeError:
        raise ValueError(f"reps_list must be a sequence of networks' representations, "
                         f"got {type(reps_list).__name__}") from None
    if not entries:
        raise ValueError("reps_list is empty")
    out = []
    for i, entry in enumerate(entries):
        if _is_array_like_2d(entry):
            raise ValueError(f"reps_list[{i}] is an array: reps_list must hold one sequence of "
                             "representations per network (wrap a single network in a list)")
        if hasattr(entry, "select") and hasattr(entry, "seed"):
            seq, seed = entry.select(layers), int(entry.seed)
        else:
            try:
                seq = select_representations(list(entry), layers)
            except TypeError:
                raise ValueError(f"reps_list[{i}] is not a sequence of representations") from None
            seed = -1
        out.append((seed, validate_representations(seq)))
    ns = {seq[0].shape[0] for _, seq in out}
    if len(ns) != 1:
        raise ValueError(f"networks have representations of different numbers of points: {sorted(ns)}")
    return out


# ---------------------------------------------------------------------------------------------------
# Per-network computation (graphs once, every curvature)
# ---------------------------------------------------------------------------------------------------


def _nan_summary(values: np.ndarray) -> tuple[float, float, float, float, int]:
    finite = values[np.isfinite(values)]
    if not finite.size:
        return math.nan, math.nan, math.nan, math.nan, 0
    return (float(finite.mean()), float(np.median(finite)), float(finite.std()),
            float((finite < 0).mean()), int(finite.size))


def _network_rows(seq: list[np.ndarray], k: int, curvatures: tuple[str, ...], mode: str,
                  layers: str, network: int, seed: int, points: bool, share_triangles: bool = True
                  ) -> tuple[list[dict], list[dict], list[pd.DataFrame]]:
    """Rows of the three tables for one network (graphs and distances shared by all curvatures).

    Equivalent to ``ricci_coefficient(seq, k, curvature=c, mode=mode, local=True)`` for each
    curvature ``c`` (same public building blocks, same order of operations).
    """
    graphs: list[KnnGraph] = [knn_graphs(X, [k], mode)[0] for X in seq]
    totals = [hop_distance_totals(g) for g in graphs]
    g_tot = [t.total for t in totals]
    connected = [bool(t.connected) for t in totals]
    collapsed = [bool(g.collapsed) for g in graphs]
    offset = 0 if layers == "all" else 1
    distances = [None] + [hop_distance_matrix(g) for g in graphs[1:]]  # shared by every curvature
    net_rows, layer_rows, point_frames = [], [], []
    # augmented Forman and approximate Ollivier share the per-edge triangle counts: count them once
    tri = ([triangles(g) for g in graphs]
           if share_triangles and len(set(curvatures) & _TRIANGLE_CURVATURES) > 1 else None)
    for c in curvatures:
        if tri is not None and c in _TRIANGLE_CURVATURES:
            curv = [edge_curvature(g, c, triangle_counts=t) for g, t in zip(graphs, tri)]
        else:
            curv = [edge_curvature(g, c) for g in graphs]
        ric = [float(e.sum()) for e in curv]
        rho, reason, eta = coefficient_from_totals(ric, g_tot)
        loc = local_and_layer_coefficients(graphs, c, edge_curvatures=curv, distances=distances)
        mean, median, std, frac, n_def = _nan_summary(loc.rho)
        lr = loc.layer_rho
        finite_lr = np.isfinite(lr)
        base = {"network": network, "seed": seed, "curvature": c, "k": k, "mode": mode,
                "layers": layers}
        net_rows.append({
            **base, "n_points": int(seq[0].shape[0]), "n_representations": len(seq),
            "rho": math.nan if rho is None else float(rho), "rho_reason": reason,
            "connected": all(connected), "n_disconnected": int(len(connected) - sum(connected)),
            "n_collapsed": int(sum(collapsed)),
            "n_tie_decided": int(sum(g.n_tie_decided for g in graphs)),
            "local_mean": mean, "local_median": median, "local_std": std,
            "local_fraction_negative": frac, "local_n_defined": n_def,
            "local_n_nan": int(loc.rho.size - n_def), "local_n_unreachable": int(loc.n_unreachable),
            "local_n_constant": int(loc.n_constant),
            "layer_mean": float(lr[finite_lr].mean()) if finite_lr.any() else math.nan,
            "layer_min": float(lr[finite_lr].min()) if finite_lr.any() else math.nan,
            "layer_argmin": int(np.nanargmin(lr)) if finite_lr.any() else -1,
        })
        for l in range(lr.size):
            ok = np.isfinite(loc.expansion[l])
            layer_rows.append({
                **base, "transition": l, "representation": l + offset,
                "layer_rho": float(lr[l]), "n_defined": int(ok.sum()),
                "node_curvature_mean": float(loc.node_curvature[l][ok].mean()) if ok.any() else math.nan,
                "expansion_mean": float(loc.expansion[l][ok].mean()) if ok.any() else math.nan,
                "ric": ric[l], "eta": float(eta[l]),
            })
        if points:
            point_frames.append(pd.DataFrame({
                "network": network, "seed": seed, "curvature": c,
                "point": np.arange(loc.rho.size), "rho_x": loc.rho}))
    return net_rows, layer_rows, point_frames


def network_coefficients(
    reps_list: Sequence[object],
    k: int,
    *,
    curvatures: Sequence[str] | str = DEFAULT_CURVATURES,
    layers: str = "all",
    mode: str = "union",
    points: bool = False,
    progress: bool = False,
    share_triangles: bool = True,
) -> CoefficientTables:
    """Global, local and layer Ricci coefficients of many networks, for several curvatures.

    For each network, the kNN graphs ``G_k(X^l)`` and their hop distances are computed once;
    then, for each curvature, the global ``ρ`` (P1 Eq. 8), the local ``ρ(x)`` and the layer
    ``ρ_l`` (P2 §3.2, §4.4; paper-details §5.4) exactly as
    :func:`ricci_lit.geometry.coefficients.ricci_coefficient` (``local=True``) computes them.

    Parameters
    ----------
    reps_list
        One entry per network: a :class:`ricci_lit.networks.mlp.Representations` (as returned by
        :func:`ricci_lit.networks.mlp.representations`) or a sequence ``[X^0, …, X^{L+1}]`` of
        ``[n, d_l]`` arrays from input to output. Every network must have the same ``n``.
    k
        Neighbourhood size, ``1 ≤ k < n``.
    curvatures
        Curvature notions of :data:`ricci_lit.geometry.curvature.CURVATURES`. Exact ``"ollivier"`` costs one
        LP per edge (module docstring) and is not in the default.
    layers
        ``"all"`` (default; P2's convention, input to output, which is also how P2 computed the
        global coefficient of its untrained controls) or ``"hidden"`` (P1 Eq. 8).
    mode
        kNN graph semantics, ``"union"`` (default) or ``"r-compat"`` (:mod:`ricci_lit.geometry.knn`).
    points
        Also return the per-point ``ρ(x)`` table (``n`` rows per network and curvature).
    progress
        Show a tqdm bar over networks.
    share_triangles
        Count each graph's per-edge triangles once for the curvatures that need them (augmented
        Forman, approximate Ollivier); ``False`` lets every curvature count its own (same numbers,
        slower: the baseline of ``benchmarks/bench_coefficients.py``).

    Returns
    -------
    CoefficientTables
        ``networks`` (:data:`NETWORK_COLUMNS`), ``layers`` (:data:`LAYER_COLUMNS`) and, with
        ``points=True``, ``points`` (:data:`POINT_COLUMNS`).

    Raises
    ------
    ValueError
        Empty input, a bare array instead of a list of networks, fewer than three selected
        representations, different ``n`` across networks, invalid ``k``, unknown curvature,
        ``layers`` or ``mode``.
    """
    curvatures = validate_curvatures(curvatures)
    validate_mode(mode)
    nets = _network_sequences(reps_list, layers)
    k = validate_k(k, nets[0][1][0].shape[0])
    net_rows: list[dict] = []
    layer_rows: list[dict] = []
    point_frames: list[pd.DataFrame] = []
    bar = tqdm(nets, desc=f"coefficients k={k}", unit="net", disable=not progress, leave=False)
    for i, (seed, seq) in enumerate(bar):
        a, b, c = _network_rows(seq, k, curvatures, mode, layers, i, seed, points, share_triangles)
        net_rows += a
        layer_rows += b
        point_frames += c
    bar.close()
    networks = pd.DataFrame(net_rows, columns=list(NETWORK_COLUMNS))
    layer_df = pd.DataFrame(layer_rows, columns=list(LAYER_COLUMNS))
    pts = pd.concat(point_frames, ignore_index=True) if points else None
    meta = {"k": k, "mode": mode, "layers": layers, "curvatures": list(curvatures),
            "n_networks": len(nets)}
    return CoefficientTables(networks=networks, layers=layer_df, points=pts, meta=meta)


# ---------------------------------------------------------------------------------------------------
# Trained versus untrained networks (P2 §A.1.1)
# ---------------------------------------------------------------------------------------------------


# ---------------------------------------------------------------------------------------------------
# Summaries
# ---------------------------------------------------------------------------------------------------


# ---------------------------------------------------------------------------------------------------
# Agreement between curvature notions on the same graphs
# ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CurvatureAgreement:
    """Correlations between curvature notions on the same edges and nodes.

    Attributes
    ----------
    edge_pearson
        Square frame (curvature × curvature) of Pearson correlations over all edges of all
        graphs pooled.
    edge_spearman
        The same with Spearman (rank) correlations.
    node_pearson
        Square frame of Pearson correlations over all nodes of all graphs pooled.
    node_spearman
        The same with Spearman (rank) correlations.
    per_graph
        Long frame: ``graph, level ("edge"/"node"), method ("pearson"/"spearman"),
        curvature_a, curvature_b, r, n`` for every pair ``a < b`` (in the given order) within
        each graph, to show how the agreement changes with the layer.
    n_graphs
        Number of graphs pooled.
    n_edges
        Number of edges pooled.
    n_nodes
        Number of nodes pooled.
    """

    edge_pearson: pd.DataFrame
    edge_spearman: pd.DataFrame
    node_pearson: pd.DataFrame
    node_spearman: pd.DataFrame
    per_graph: pd.DataFrame
    n_graphs: int
    n_edges: int
    n_nodes: int


def _graphs_of(source: object, k: int | None, mode: str, layers: str) -> list[KnnGraph]:
    """Graphs from a graph, graphs, an array, one network's representations, or several."""
    def need_k(n: int) -> int:
        if k is None:
            raise ValueError("k is required when curvature_agreement is given points, not graphs")
        return validate_k(k, n)

    if isinstance(source, KnnGraph):
        return [source]
    if _is_array_like_2d(source):
        X = np.asarray(source)
        if X.ndim != 2:
            raise ValueError(f"points must be a 2-D array [n, d], got shape {X.shape}")
        return knn_graphs(X, [need_k(X.shape[0])], mode)
    if hasattr(source, "select") and hasattr(source, "seed"):  # one Representations
        return [knn_graphs(X, [need_k(X.shape[0])], mode)[0] for X in source.select(layers)]
    try:
        items = list(source)  # type: ignore[arg-type]
    except TypeError:
        raise ValueError(f"cannot build graphs from {type(source).__name__}") from None
    if not items:
        raise ValueError("no graphs or representations given")
    if all(isinstance(g, KnnGraph) for g in items):
        return items
    if all(_is_array_like_2d(X) for X in items):  # one network: [X^0 … X^{L+1}]
        seq = select_representations(items, layers) if len(items) >= 3 else items
        return [knn_graphs(np.asarray(X), [need_k(np.asarray(X).shape[0])], mode)[0] for X in seq]
    graphs: list[KnnGraph] = []
    for item in items:  # several networks
        graphs += _graphs_of(item, k, mode, layers)
    return graphs


def _corr_matrix(M: np.ndarray, names: list[str]) -> pd.DataFrame:
    """Pearson correlation matrix of the rows of ``M`` (``NaN`` for a constant row)."""
    # a constant row gives 0/0 in corrcoef; such rows are set to NaN just below (documented)
    with np.errstate(invalid="ignore", divide="ignore"):
        C = np.corrcoef(M) if M.shape[1] >= 2 else np.full((len(names), len(names)), np.nan)
    C = np.atleast_2d(C)
    C = np.clip(C, -1.0, 1.0)
    const = np.ptp(M, axis=1) == 0 if M.shape[1] else np.ones(len(names), bool)
    C[const, :] = np.nan
    C[:, const] = np.nan
    df = pd.DataFrame(C, index=names, columns=names)
    df.index.name = "curvature"
    return df


def _ranks(M: np.ndarray) -> np.ndarray:
    from scipy.stats import rankdata

    return rankdata(M, axis=1) if M.shape[1] else M


def curvature_agreement(
    source: object,
    k: int | None = None,
    curvatures: Sequence[str] | str = DEFAULT_CURVATURES,
    *,
    mode: str = "union",
    layers: str = "all",
    progress: bool = False,
) -> CurvatureAgreement:
    """How strongly the curvature notions agree on the same kNN graphs (P2 §3; paper-details §5.3).

    For every graph, every curvature of ``curvatures`` is evaluated on every edge
    (:func:`ricci_lit.geometry.curvature.edge_curvature`) and turned into node curvatures ``O(x)`` (mean
    over incident edges, :func:`ricci_lit.geometry.curvature.node_curvature`). The Pearson and Spearman
    (Pearson of ranks, average ranks for ties) correlation matrices are computed over all edges
    (nodes) of all graphs pooled, and per graph.

    Parameters
    ----------
    source
        A :class:`ricci_lit.geometry.knn.KnnGraph` or a list of them; a point cloud ``[n, d]``; one
        network's representations (a ``Representations`` or ``[X^0, …, X^{L+1}]``; ``layers``
        selects which); or a list of networks' representations.
    k
        Neighbourhood size; required unless graphs are given.
    curvatures
        At least two curvature notions. Exact ``"ollivier"`` costs one LP per edge (module
        docstring): ~0.5 ms per edge at ``k = 30``.
    mode, layers
        Graph semantics and representation selection, as in :func:`network_coefficients`.
    progress
        tqdm bar over graphs.

    Returns
    -------
    CurvatureAgreement

    Notes
    -----
    Forman ``4 − d_i − d_j`` depends on degrees only; augmented Forman adds ``3t``; the
    approximate Ollivier curvature is a function of ``(d_i, d_j, t)``; exact Ollivier depends on
    the whole 2-hop neighbourhood. On a kNN graph degrees vary little (between ``k`` and a few
    times ``k``), so how closely the notions agree is an empirical question this function answers.

    Raises
    ------
    ValueError
        Fewer than two curvatures, unknown names, ``k`` missing for points, empty input.
    """
    curvatures = validate_curvatures(curvatures)
    if len(curvatures) < 2:
        raise ValueError("curvature_agreement needs at least two curvatures")
    validate_mode(mode)
    validate_layers(layers)
    graphs = _graphs_of(source, k, mode, layers)
    names = list(curvatures)
    edge_blocks, node_blocks, rows = [], [], []
    for gi, g in enumerate(tqdm(graphs, desc="curvatures", unit="graph", disable=not progress,
                                leave=False)):
        E = np.stack([edge_curvature(g, c) for c in names])
        N = np.stack([node_curvature(g, E[i], "mean") for i in range(len(names))])
        N = N[:, np.isfinite(N).all(axis=0)]  # isolated vertices have no node curvature
        edge_blocks.append(E)
        node_blocks.append(N)
        for level, M in (("edge", E), ("node", N)):
            for method, C in (("pearson", _corr_matrix(M, names)),
                              ("spearman", _corr_matrix(_ranks(M), names))):
                for a in range(len(names)):
                    for b in range(a + 1, len(names)):
                        rows.append({"graph": gi, "level": level, "method": method,
                                     "curvature_a": names[a], "curvature_b": names[b],
                                     "r": float(C.iat[a, b]), "n": int(M.shape[1])})
    E = np.concatenate(edge_blocks, axis=1)
    N = np.concatenate(node_blocks, axis=1)
    return CurvatureAgreement(
        edge_pearson=_corr_matrix(E, names), edge_spearman=_corr_matrix(_ranks(E), names),
        node_pearson=_corr_matrix(N, names), node_spearman=_corr_matrix(_ranks(N), names),
        per_graph=pd.DataFrame(rows, columns=["graph", "level", "method", "curvature_a",
                                              "curvature_b", "r", "n"]),
        n_graphs=len(graphs), n_edges=int(E.shape[1]), n_nodes=int(N.shape[1]))
