"""Ricci-flow coefficients of a sequence of representations (paper-notes §1).

Given representations ``X^0, …, X^M`` of the same ``n`` test points (rows aligned), build the kNN
graph ``G_l = G_k(X^l)`` of each and measure

* ``Ric_l = Σ_{e ∈ G_l} κ(e)``, the total curvature (P1 Eq. 6; any curvature of
  :data:`ricci_lit.geometry.curvature.CURVATURES`, Forman in paper 1);
* ``g_l = Σ_{i,j} γ_l(i, j)``, the total hop distance over ordered pairs (P1 Eq. 7);
* ``η_l = g_{l+1} − g_l``, the expansion (> 0) or contraction (< 0) from ``l`` to ``l+1``.

The **global Ricci coefficient** (P1 Eq. 8) is ``ρ = Pearson_l (Ric_l, η_l)`` over
``l = 0 … M−1``: curvature at a layer against the change of distance that follows it. Negative
``ρ`` is Ricci-flow-like, as in Hamilton's ``∂g/∂t = −2 Ric``: positively curved (clustered)
layers contract, negatively curved (tree-like) ones expand. Paper 1 passes the hidden layers
only (``X^1 … X^L``); paper 2 passes every representation (input to output):
:func:`select_representations` makes that choice explicit.

Further coefficients:

* **aggregated** (P1 §3.2): one Pearson correlation over the pooled ``(Ric_l, η_l)`` points of
  several networks (used to choose ``k``), not a mean of per-network ``ρ``;
* **adjusted** (P1 Eq. 11): ``z = artanh(ρ) / √(L − 4)``, ``L`` the number of hidden layers, as the
  paper prints it (a division), beside the conventional Fisher score ``artanh(ρ)·√(m − 3)`` for a
  correlation of ``m`` points;
* **local** (P2): for each point ``x`` and transition ``l``, the node curvature
  ``O_l(x)`` (mean over edges at ``x`` in ``G_l``) and the local expansion
  ``η_l(x) = mean_{y ∈ N_l(x)} [γ_{l+1}(x, y) − γ_l(x, y)]``; ``ρ(x) = Pearson_l(O_l(x), η_l(x))``,
  NaN (counted and reported) when a neighbour becomes unreachable or a series is constant;
* **layer** (P2): ``ρ_l = Pearson_x(O_l(x), η_l(x))`` over the points with finite ``η_l(x)``.

A disconnected graph is not an error: ``g_l`` is then infinite, ``ρ`` is undefined (``None``),
and the result says at which representations the graph is disconnected (P1 §3.2–3.3: such
networks are excluded and counted, never dropped silently).

Beyond a few ten thousand points the exact ``g_l`` (one breadth-first search per point) dominates
the cost; :func:`ricci_coefficient` with ``sources=m`` replaces it by the unbiased estimate of
:mod:`ricci_lit.geometry.sampling` from ``m`` sampled sources per layer, with its standard error.
"""
from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import Iterable, Sequence

import numpy as np
import pandas as pd

from ricci_lit._checks import is_int
from ricci_lit.geometry.curvature import edge_curvature, node_curvature, validate_curvature
from ricci_lit.geometry.distances import UNREACHABLE, components, hop_distance_matrix, hop_distance_totals
from ricci_lit.geometry.knn import (
    MODES,
    KnnGraph,
    graph_from_table,
    knn_graphs,
    neighbour_table,
    validate_k,
    validate_points,
)
from ricci_lit.geometry.sampling import sampled_hop_distance_total

__all__ = [
    "CollapsedLayerWarning",
    "DegenerateCoefficientWarning",
    "TieDecidedWarning",
    "RicciFlowResult",
    "LocalCoefficients",
    "pearson",
    "validate_representations",
    "select_representations",
    "geometry_table",
    "ricci_coefficient",
    "coefficient_from_totals",
    "aggregated_coefficient",
    "adjusted_coefficient",
    "fisher_z",
    "local_and_layer_coefficients",
]


class CollapsedLayerWarning(UserWarning):
    """A representation has fewer distinct points than ``k + 1`` (a collapsed ReLU layer)."""


class TieDecidedWarning(UserWarning):
    """A tie in distance decides some points' neighbourhoods by point order (integer data, …).

    The graph, and so ``ρ``, then depends on the order of the points; the count per
    representation is :attr:`RicciFlowResult.n_tie_decided`.
    """


class DegenerateCoefficientWarning(UserWarning):
    """``ρ`` is a correlation of two points (three representations): it can only be ``±1``."""


def pearson(x: Sequence[float] | np.ndarray, y: Sequence[float] | np.ndarray) -> float:
    """Pearson correlation of two equal-length series; ``nan`` if undefined.

    Undefined means fewer than two points, a non-finite value, or a constant series (zero
    variance). Callers report the reason; this function never raises on such data.
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if x.shape != y.shape or x.ndim != 1:
        raise ValueError(f"pearson needs two 1-D series of equal length, got {x.shape} and {y.shape}")
    if x.size < 2 or not (np.isfinite(x).all() and np.isfinite(y).all()):
        return float("nan")
    xc = x - x.mean()
    yc = y - y.mean()
    sxx = float(xc @ xc)
    syy = float(yc @ yc)
    scale = max(float(np.abs(x).max()), 1.0) ** 2 * x.size * 1e-24
    scale_y = max(float(np.abs(y).max()), 1.0) ** 2 * y.size * 1e-24
    if sxx <= scale or syy <= scale_y:
        return float("nan")
    r = float(xc @ yc) / math.sqrt(sxx * syy)
    return float(min(1.0, max(-1.0, r)))


def _pearson_rows(a: np.ndarray, b: np.ndarray, axis: int) -> np.ndarray:
    """Vectorised Pearson along ``axis``; ``nan`` where a series is constant or non-finite."""
    ok = np.isfinite(a).all(axis=axis) & np.isfinite(b).all(axis=axis)
    # a constant or non-finite series gives 0/0 here; those entries are replaced by NaN below
    # (``ok`` and the ``tiny`` variance test), which is the documented result, not a lost warning
    with np.errstate(invalid="ignore", divide="ignore"):
        ac = a - np.nanmean(a, axis=axis, keepdims=True)
        bc = b - np.nanmean(b, axis=axis, keepdims=True)
        sab = np.nansum(ac * bc, axis=axis)
        saa = np.nansum(ac * ac, axis=axis)
        sbb = np.nansum(bc * bc, axis=axis)
        r = sab / np.sqrt(saa * sbb)
    tiny = 1e-24 * np.maximum(np.nanmax(np.abs(a), axis=axis), 1.0) ** 2 * a.shape[axis]
    tiny_b = 1e-24 * np.maximum(np.nanmax(np.abs(b), axis=axis), 1.0) ** 2 * b.shape[axis]
    r = np.where(ok & (saa > tiny) & (sbb > tiny_b), r, np.nan)
    return np.clip(r, -1.0, 1.0)


def validate_representations(reps: Sequence[object], min_count: int = 3) -> list[np.ndarray]:
    """Check a sequence of representations and return them as float64 arrays.

    Requires at least ``min_count`` arrays (three by default: two transitions are needed for a
    correlation), each ``[n, d_l]`` with the same ``n``, numeric and finite.
    """
    if isinstance(reps, np.ndarray) and reps.ndim == 2:
        raise ValueError("expected a sequence of representations, got a single 2-D array")
    if reps is None or isinstance(reps, (str, bytes)) or not hasattr(reps, "__iter__"):
        raise ValueError(f"expected a sequence of representations, got {type(reps).__name__}")
    reps = list(reps)
    if len(reps) < min_count:
        raise ValueError(f"need at least {min_count} representations, got {len(reps)}")
    out = [validate_points(X, name=f"representation {i}") for i, X in enumerate(reps)]
    ns = {X.shape[0] for X in out}
    if len(ns) != 1:
        sizes = ", ".join(f"{i}: {X.shape[0]}" for i, X in enumerate(out))
        raise ValueError(f"representations have different numbers of rows ({sizes})")
    return out


def select_representations(reps: Sequence[np.ndarray], layers: str = "hidden") -> list[np.ndarray]:
    """Choose which of ``[X^0 (input), X^1 … X^L (hidden), X^{L+1} (output)]`` enter the analysis.

    ``"hidden"`` (paper 1, Eq. 8: hidden layers only) or ``"all"`` (paper 2: every
    representation). See paper-notes §1 for the Decision.
    """
    reps = list(reps)
    if layers == "hidden":
        if len(reps) < 3:
            raise ValueError("need input, at least one hidden layer and output to select hidden layers")
        return reps[1:-1]
    if layers == "all":
        return reps
    raise ValueError(f"layers must be 'hidden' or 'all', got {layers!r}")


@dataclass(frozen=True)
class LocalCoefficients:
    """Local and layer Ricci coefficients (P2; paper-notes §1).

    Attributes
    ----------
    rho
        ``float64 [n]``, the local coefficient ``ρ(x)`` of every point (``nan`` where undefined).
    node_curvature
        ``float64 [M, n]``: ``O_l(x)`` for the ``M`` transitions (curvature at the start layer).
    expansion
        ``float64 [M, n]``: ``η_l(x)``; ``nan`` where a neighbour is unreachable in ``G_{l+1}``.
    layer_rho
        ``float64 [M]``: the layer coefficient ``ρ_l`` of each transition.
    n_unreachable
        Points whose ``ρ(x)`` is ``nan`` because a neighbour became unreachable.
    n_constant
        Points whose ``ρ(x)`` is ``nan`` because ``O(x)`` or ``η(x)`` is constant over layers.
    """

    rho: np.ndarray
    node_curvature: np.ndarray
    expansion: np.ndarray
    layer_rho: np.ndarray
    n_unreachable: int
    n_constant: int

    def summary(self) -> dict:
        """Mean, fraction negative (of defined values) and NaN count of ``ρ(x)``."""
        finite = self.rho[np.isfinite(self.rho)]
        return {
            "mean": float(finite.mean()) if finite.size else None,
            "median": float(np.median(finite)) if finite.size else None,
            "fraction_negative": float((finite < 0).mean()) if finite.size else None,
            "n_points": int(self.rho.size),
            "n_nan": int(self.rho.size - finite.size),
            "n_unreachable": int(self.n_unreachable),
            "n_constant": int(self.n_constant),
        }


@dataclass(frozen=True)
class RicciFlowResult:
    """Everything computed for one sequence of representations at one ``k``.

    Attributes
    ----------
    n
        Number of points.
    k
        Neighbourhood size.
    curvature
        Curvature notion (one of :data:`~ricci_lit.geometry.curvature.CURVATURES`).
    mode
        Graph semantics, ``"union"`` or ``"r-compat"``.
    ric
        ``Ric_l`` for every representation ``l = 0 … M``.
    g
        ``g_l`` for every representation (``inf`` where the graph is disconnected).
    eta
        ``η_l = g_{l+1} − g_l`` for ``l = 0 … M−1``.
    rho
        Global Ricci coefficient, or ``None`` when undefined (see ``rho_reason``).
    rho_reason
        Why ``rho`` is ``None`` (``""`` when it is defined).
    connected
        Per representation: whether its kNN graph is connected.
    n_components
        Per representation: the number of connected components of its kNN graph.
    n_distinct
        Per representation: the number of distinct points.
    collapsed
        Per representation: whether it has too few distinct points for its kNN graph
        (:attr:`ricci_lit.geometry.knn.KnnGraph.collapsed`).
    n_edges
        Per representation: the number of edges of its kNN graph.
    local
        Local and layer coefficients, when requested.
    n_tie_decided
        Per representation: points whose neighbourhood a tie in distance decides by point
        order (:attr:`ricci_lit.geometry.knn.KnnGraph.n_tie_decided`); all zero means ``ρ`` does
        not depend on the order of the points.
    degenerate
        ``True`` when there are only three representations: ``ρ`` (and every local ``ρ(x)``) is
        then a correlation of two points, ``±1`` whenever it is defined.
    g_sources
        ``None`` when every ``g_l`` is exact; else ``m``, the number of sampled sources per
        representation from which each ``g_l`` (and so ``η_l`` and ``ρ``) was estimated
        (:func:`ricci_coefficient` with ``sources=m``, :mod:`ricci_lit.geometry.sampling`).
    g_standard_error
        Per representation, the estimated standard error of ``g_l`` (``inf`` where the graph is
        disconnected); empty when ``g`` is exact.
    """

    n: int
    k: int
    curvature: str
    mode: str
    ric: tuple[float, ...]
    g: tuple[float, ...]
    eta: tuple[float, ...]
    rho: float | None
    rho_reason: str
    connected: tuple[bool, ...]
    n_components: tuple[int, ...]
    n_distinct: tuple[int, ...]
    collapsed: tuple[bool, ...]
    n_edges: tuple[int, ...]
    local: LocalCoefficients | None = field(default=None, repr=False)
    n_tie_decided: tuple[int, ...] = ()
    degenerate: bool = False
    g_sources: int | None = None
    g_standard_error: tuple[float, ...] = ()

    @property
    def estimated(self) -> bool:
        """``True`` when ``g`` was estimated from sampled sources (``g_sources`` is set)."""
        return self.g_sources is not None

    @property
    def all_connected(self) -> bool:
        return all(self.connected)

    @property
    def disconnected_layers(self) -> list[int]:
        return [i for i, c in enumerate(self.connected) if not c]

    @property
    def collapsed_layers(self) -> list[int]:
        return [i for i, c in enumerate(self.collapsed) if c]

    @property
    def tie_decided_layers(self) -> list[int]:
        """Representations where a tie decides at least one neighbourhood."""
        return [i for i, c in enumerate(self.n_tie_decided) if c]

    def to_dict(self, *, include_local: bool = False, include_layer: bool = False) -> dict:
        """A JSON-ready dictionary (``inf``/``nan`` become ``None``); an estimated ``g`` adds
        ``g_sources`` and ``g_standard_error``."""
        def clean(v):
            if isinstance(v, float) and not math.isfinite(v):
                return None
            return v

        d = {
            "n": self.n,
            "k": self.k,
            "curvature": self.curvature,
            "mode": self.mode,
            "rho": clean(self.rho) if self.rho is not None else None,
            "rho_reason": self.rho_reason,
            "ric": [clean(float(v)) for v in self.ric],
            "g": [clean(float(v)) for v in self.g],
            "eta": [clean(float(v)) for v in self.eta],
            "connected": list(self.connected),
            "disconnected_layers": self.disconnected_layers,
            "n_components": list(self.n_components),
            "n_distinct": list(self.n_distinct),
            "collapsed_layers": self.collapsed_layers,
            "n_edges": list(self.n_edges),
            "n_tie_decided": list(self.n_tie_decided),
            "tie_decided_layers": self.tie_decided_layers,
            "degenerate": self.degenerate,
        }
        if self.g_sources is not None:
            d["g_sources"] = self.g_sources
            d["g_standard_error"] = [clean(float(v)) for v in self.g_standard_error]
        if self.local is not None and include_local:
            d["local"] = self.local.summary()
        if self.local is not None and include_layer:
            d["layer"] = [clean(float(v)) for v in self.local.layer_rho]
        return d


def coefficient_from_totals(ric: Sequence[float], g: Sequence[float]) -> tuple[float | None, str, np.ndarray]:
    """``ρ = Pearson(Ric_l, η_l)`` over ``l = 0 … M−1`` from per-representation totals.

    Returns ``(rho, reason, eta)``; ``rho`` is ``None`` with a reason when any ``g_l`` is infinite
    (disconnected graph) or a series is constant.
    """
    ric = np.asarray(ric, dtype=np.float64)
    g = np.asarray(g, dtype=np.float64)
    if ric.shape != g.shape or ric.ndim != 1:
        raise ValueError("ric and g must be 1-D of equal length")
    if ric.size < 3:
        raise ValueError(f"need at least 3 representations for a coefficient, got {ric.size}")
    with np.errstate(invalid="ignore"):  # inf − inf at a disconnected graph: reported just below
        eta = np.diff(g)
    if not np.isfinite(g).all():
        bad = [int(i) for i in np.nonzero(~np.isfinite(g))[0]]
        return None, f"graph disconnected at representation(s) {bad}", eta
    r = pearson(ric[:-1], eta)
    if math.isnan(r):
        return None, "undefined correlation: Ric_l or eta_l is constant", eta
    return r, "", eta


def geometry_table(
    reps: Sequence[np.ndarray],
    ks: Iterable[int],
    *,
    curvature: str = "forman",
    mode: str = "union",
    backend: str = "numpy",
    device: str = "auto",
) -> pd.DataFrame:
    """Per-representation totals for every ``k`` of a grid: the sweep's raw material.

    One neighbour sort per representation serves all ``k`` (graphs are prefixes of it).

    Parameters
    ----------
    reps
        Representations ``[n, d_l]`` (any number ≥ 1, same ``n``).
    ks
        Neighbourhood sizes.
    curvature, mode
        See :mod:`ricci_lit.geometry.curvature` and :mod:`ricci_lit.geometry.knn`.
    backend, device
        ``"numpy"`` (CPU) or ``"torch"`` (:mod:`ricci_lit.geometry._torch`: kNN and distance totals
        batched over representations on ``device``, CUDA when ``"auto"`` finds one).

    Returns
    -------
    pandas.DataFrame
        One row per ``(layer, k)`` with columns ``layer, k, ric, g, g_finite, connected,
        n_components, n_edges, n_distinct, collapsed, diameter, n_tie_decided`` (the last:
        points whose neighbourhood a tie decides by point order; stores written before it
        existed lack the column).
    """
    reps = validate_representations(reps, min_count=1)
    ks = sorted({validate_k(k, reps[0].shape[0]) for k in ks})
    if not ks:
        raise ValueError("ks is empty")
    validate_curvature(curvature)
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    if backend == "torch":
        from ricci_lit.geometry._torch import geometry_table_torch

        return geometry_table_torch(reps, ks, curvature=curvature, mode=mode, device=device)
    if backend != "numpy":
        raise ValueError(f"backend must be 'numpy' or 'torch', got {backend!r}")
    rows = []
    for layer, X in enumerate(reps):
        table = neighbour_table(X, max(ks))
        for k in ks:
            graph = graph_from_table(table, k, mode)
            rows.append(_graph_row(layer, graph, curvature))
    return pd.DataFrame(rows, columns=_TABLE_COLUMNS)


_TABLE_COLUMNS = ["layer", "k", "ric", "g", "g_finite", "connected", "n_components",
                  "n_edges", "n_distinct", "collapsed", "diameter", "n_tie_decided"]


def _layer_row(layer: int, graph: KnnGraph, curvature: str, **distances: object) -> dict:
    """One representation's row: its curvature total and graph facts, then ``distances``."""
    return {"layer": layer, "k": graph.k, "ric": float(edge_curvature(graph, curvature).sum()), **distances,
            "n_edges": graph.n_edges, "n_distinct": graph.n_distinct, "collapsed": graph.collapsed,
            "n_tie_decided": graph.n_tie_decided}


def _graph_row(layer: int, graph: KnnGraph, curvature: str) -> dict:
    tot = hop_distance_totals(graph)
    return _layer_row(layer, graph, curvature, g=tot.total, g_finite=tot.finite_total, connected=tot.connected,
                      n_components=tot.n_components, diameter=tot.diameter)


def _sampled_graph_row(layer: int, graph: KnnGraph, curvature: str, sources: int, seed: int) -> dict:
    """:func:`_graph_row` with ``g`` estimated from ``sources < n`` sampled sources (and its
    standard error as ``g_se``); the sample is ``default_rng([seed, layer])``'s own."""
    est = sampled_hop_distance_total(graph, sources, seed=np.random.default_rng([seed, layer]))
    n_comp = int(components(graph)[0]) if graph.n else 0
    return _layer_row(layer, graph, curvature, g=est.estimate, g_se=est.standard_error, connected=est.connected,
                      n_components=n_comp)


def _check_sources(sources: object, seed: object, local: bool) -> None:
    if sources is None:
        return
    if not is_int(sources) or int(sources) < 1:
        raise ValueError(f"sources must be None (exact g) or a positive integer, got {sources!r}")
    if not is_int(seed) or int(seed) < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    if local:
        raise ValueError("local=True needs the hop distance of every pair; it cannot be combined with "
                         "sources (sampled g); pass sources=None")


def local_and_layer_coefficients(
    graphs: Sequence[KnnGraph],
    curvature: str = "forman",
    *,
    edge_curvatures: Sequence[np.ndarray] | None = None,
    distances: Sequence[np.ndarray] | None = None,
) -> LocalCoefficients:
    """Local ``ρ(x)`` and layer ``ρ_l`` coefficients of paper 2 from the graphs ``G_0 … G_M``.

    ``O_l(x)`` is the mean curvature of the edges at ``x`` in ``G_l``;
    ``η_l(x) = mean_{y ∈ N_l(x)} γ_{l+1}(x, y) − 1`` (``γ_l(x, y) = 1`` for a neighbour), with
    ``N_l(x)`` the neighbours of ``x`` in the undirected simple graph ``G_l``.

    ``edge_curvatures`` (``edge_curvature(G_l, curvature)`` for ``l = 0 … M``) and ``distances``
    (``hop_distance_matrix(G_l)`` for ``l = 0 … M``; entry 0 is not used and may be ``None``)
    may be passed when the caller already has them (several curvatures on the same graphs);
    they are then not recomputed.
    """
    if len(graphs) < 2:
        raise ValueError("need at least two graphs for local coefficients")
    M = len(graphs) - 1
    for name, given in (("edge_curvatures", edge_curvatures), ("distances", distances)):
        if given is not None and len(given) != len(graphs):
            raise ValueError(f"{name} must have one entry per graph ({len(graphs)}), got {len(given)}")
    n = graphs[0].n
    O = np.empty((M, n))
    H = np.empty((M, n))
    for l in range(M):
        g0, g1 = graphs[l], graphs[l + 1]
        curv = edge_curvature(g0, curvature) if edge_curvatures is None else edge_curvatures[l]
        O[l] = node_curvature(g0, curv, "mean")
        dist = hop_distance_matrix(g1) if distances is None else distances[l + 1]
        A = g0.adjacency
        rows = np.repeat(np.arange(n), np.diff(A.indptr))
        d = dist[rows, A.indices].astype(np.float64)
        unreachable = np.bincount(rows, d == UNREACHABLE, n) > 0
        counts = np.diff(A.indptr)
        H[l] = np.bincount(rows, d, n) / np.maximum(counts, 1) - 1.0
        H[l][unreachable | (counts == 0)] = np.nan
    rho = _pearson_rows(O, H, axis=0)
    unreach = ~np.isfinite(H).all(axis=0)
    n_const = int((np.isnan(rho) & ~unreach).sum())
    layer_rho = np.array([
        pearson(O[l][np.isfinite(H[l])], H[l][np.isfinite(H[l])]) for l in range(M)
    ])
    return LocalCoefficients(rho=rho, node_curvature=O, expansion=H, layer_rho=layer_rho,
                             n_unreachable=int(unreach.sum()), n_constant=n_const)


def ricci_coefficient(
    reps: Sequence[np.ndarray],
    k: int,
    *,
    curvature: str = "forman",
    mode: str = "union",
    local: bool = False,
    warn_collapsed: bool = True,
    sources: int | None = None,
    seed: int = 0,
) -> RicciFlowResult:
    r"""Global (and optionally local and layer) Ricci coefficients of one network at one ``k``.

    Parameters
    ----------
    reps
        Representations ``[X^0, …, X^M]`` in order, each ``[n, d_l]`` with the same ``n``,
        ``M ≥ 2``. Pass the hidden layers only for paper 1 (:func:`select_representations`).
    k
        Neighbourhood size, ``1 ≤ k < n``.
    curvature
        ``"forman"`` (P1), ``"augmented-forman"``, ``"approx-ollivier"`` or ``"ollivier"`` (P2).
    mode
        ``"union"`` (default) or ``"r-compat"``.
    local
        Also compute the local and layer coefficients (P2).
    warn_collapsed
        Emit :class:`CollapsedLayerWarning` naming each representation with fewer than
        ``k + 1`` distinct points, :class:`TieDecidedWarning` naming each representation where
        a tie decides a neighbourhood by point order, and :class:`DegenerateCoefficientWarning`
        when three representations make ``ρ`` a correlation of two points. The result records
        all three either way.
    sources
        ``None`` (default): every ``g_l`` exact, one breadth-first search per point. An integer
        ``m``: every ``g_l`` is estimated from ``m`` sources ``S_l`` drawn uniformly without
        replacement (:func:`~ricci_lit.geometry.sampling.sampled_hop_distance_total`), which costs
        ``m`` searches instead of ``n``:

        .. math::  \hat g_l = \frac{n}{m} \sum_{s \in S_l} r_s, \qquad
                   r_s = \sum_{v} \gamma_l(s, v), \qquad \mathbb E[\hat g_l] = g_l, \qquad
                   \widehat{\operatorname{SE}}(\hat g_l)
                   = n \sqrt{\Big(1 - \frac{m}{n}\Big)\frac{s_r^2}{m}},

        ``s_r²`` the sample variance of the ``r_s`` and ``1 − m/n`` the finite-population
        correction. ``η_l`` and ``ρ`` are then computed from the ``ĝ_l`` as usual (``ρ`` is a
        ratio of sums, so it is not itself unbiased, but it converges to the exact ``ρ`` as the
        standard errors shrink); the curvature totals, connectivity and all other fields stay
        exact, and a disconnected graph is detected exactly and reported (``g_l = inf``), never
        estimated. ``m ≥ n`` makes every point a source: the result is then that of
        ``sources=None``. Cannot be combined with ``local=True`` (local coefficients need the
        distance of every pair).
    seed
        Seed of the sampled sources (non-negative; used only with ``sources``). Representation
        ``l`` draws its sources from ``numpy.random.default_rng([seed, l])``, so each layer has
        its own reproducible sample, independent of the others.

    Returns
    -------
    RicciFlowResult
        With ``sources=m < n``, ``g_sources = m`` and the per-representation
        ``g_standard_error``.
    """
    reps = validate_representations(reps)
    n = reps[0].shape[0]
    k = validate_k(k, n)
    validate_curvature(curvature)
    _check_sources(sources, seed, local)
    sampled = sources is not None and int(sources) < n
    graphs = [knn_graphs(X, [k], mode)[0] for X in reps]
    if sampled:
        rows = [_sampled_graph_row(i, g, curvature, int(sources), int(seed)) for i, g in enumerate(graphs)]
    else:
        rows = [_graph_row(i, g, curvature) for i, g in enumerate(graphs)]
    ric = [r["ric"] for r in rows]
    gs = [r["g"] for r in rows]
    rho, reason, eta = coefficient_from_totals(ric, gs)
    collapsed = tuple(bool(r["collapsed"]) for r in rows)
    ties = tuple(int(r["n_tie_decided"]) for r in rows)
    degenerate = len(reps) == 3
    if warn_collapsed:
        _warn_about(rows, k, n, rho, degenerate)
    loc = local_and_layer_coefficients(graphs, curvature) if local else None
    return RicciFlowResult(
        n=n, k=k, curvature=curvature, mode=mode,
        ric=tuple(float(v) for v in ric), g=tuple(float(v) for v in gs),
        eta=tuple(float(v) for v in eta), rho=rho, rho_reason=reason,
        connected=tuple(bool(r["connected"]) for r in rows),
        n_components=tuple(int(r["n_components"]) for r in rows),
        n_distinct=tuple(int(r["n_distinct"]) for r in rows),
        collapsed=collapsed,
        n_edges=tuple(int(r["n_edges"]) for r in rows),
        local=loc, n_tie_decided=ties, degenerate=degenerate,
        g_sources=int(sources) if sampled else None,
        g_standard_error=tuple(float(r["g_se"]) for r in rows) if sampled else (),
    )


def _warn_about(rows: list[dict], k: int, n: int, rho: float | None, degenerate: bool) -> None:
    """The warnings of :func:`ricci_coefficient` (collapsed layers, tie-decided graphs, ±1)."""
    for i, r in enumerate(rows):
        if r["collapsed"]:
            warnings.warn(
                f"representation {i} has only {r['n_distinct']} distinct points "
                f"(fewer than k + 1 = {k + 1}): a collapsed layer; ties decide its kNN graph",
                CollapsedLayerWarning, stacklevel=3)
    for i, r in enumerate(rows):
        if r["n_tie_decided"] and not r["collapsed"]:  # a collapsed layer is warned about above
            warnings.warn(
                f"representation {i}: a tie in distance decides the {k} nearest neighbours of "
                f"{r['n_tie_decided']} of {n} points (by point order), so its graph and rho "
                "depend on the order of the points", TieDecidedWarning, stacklevel=3)
    if degenerate and rho is not None:
        warnings.warn("three representations: rho is a correlation of two points and can only "
                      "be -1 or +1", DegenerateCoefficientWarning, stacklevel=3)


def aggregated_coefficient(
    series: Iterable[RicciFlowResult | tuple[Sequence[float], Sequence[float]]],
) -> tuple[float | None, int, int]:
    """Aggregated Ricci coefficient (P1 §3.2): Pearson over the pooled ``(Ric_l, η_l)`` points.

    Parameters
    ----------
    series
        Per network either a :class:`RicciFlowResult` or a pair ``(ric, g)`` of per-layer totals
        (``len(ric) == len(g)``). Networks with a disconnected layer (infinite ``g``) are left
        out and counted.

    Returns
    -------
    rho : float or None
        The aggregated coefficient; ``None`` when no network is usable or the pooled series is
        constant.
    n_networks_used : int
        Networks whose points were pooled.
    n_networks_disconnected : int
        Networks left out because a graph was disconnected (an infinite ``g_l``).
    """
    xs, ys = [], []
    used = dropped = 0
    for item in series:
        if isinstance(item, RicciFlowResult):
            ric, g = item.ric, item.g
        else:
            ric, g = item
        ric = np.asarray(ric, dtype=np.float64)
        g = np.asarray(g, dtype=np.float64)
        if not np.isfinite(g).all():
            dropped += 1
            continue
        xs.append(ric[:-1])
        ys.append(np.diff(g))
        used += 1
    if not used:
        return None, 0, dropped
    r = pearson(np.concatenate(xs), np.concatenate(ys))
    return (None if math.isnan(r) else r), used, dropped


def adjusted_coefficient(rho: float, n_hidden: int) -> float:
    """Paper 1's adjusted coefficient ``z = artanh(ρ) / √(L − 4)`` (P1 Eq. 11).

    ``L`` is the number of hidden layers (5 or 11 in paper 1). The paper *divides*; a Fisher
    z-score would multiply (see :func:`fisher_z`); we reproduce the paper (paper-notes §1).
    ``ρ = ±1`` gives ``±inf``.
    """
    if n_hidden <= 4:
        raise ValueError(f"the adjusted coefficient needs L > 4 hidden layers, got {n_hidden}")
    if not -1.0 <= rho <= 1.0:
        raise ValueError(f"rho must lie in [-1, 1], got {rho}")
    with np.errstate(divide="ignore"):  # artanh(±1) = ±inf is the documented result
        return float(np.arctanh(rho) / math.sqrt(n_hidden - 4))


def fisher_z(rho: float, n_points: int) -> float:
    """Conventional Fisher z-score ``artanh(ρ)·√(m − 3)`` of a correlation of ``m`` points."""
    if n_points <= 3:
        raise ValueError(f"the Fisher z-score needs more than 3 points, got {n_points}")
    if not -1.0 <= rho <= 1.0:
        raise ValueError(f"rho must lie in [-1, 1], got {rho}")
    with np.errstate(divide="ignore"):  # artanh(±1) = ±inf is the documented result
        return float(np.arctanh(rho) * math.sqrt(n_points - 3))
