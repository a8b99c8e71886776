"""ricci-lit: deep learning as Ricci flow, as a tested library and an executable book.

Re-implements Baptista et al., *Deep learning as Ricci flow*, Sci. Rep. 14, 23383 (2024)
(arXiv 2404.14265) and the local/layer coefficients of Hehl, von Renesse & Weber (2025,
arXiv 2509.22362). The geometry core:

* :mod:`ricci_lit.geometry.knn`     kNN graphs (union or the authors' R semantics)
* :mod:`ricci_lit.geometry.curvature`  Forman, augmented Forman, approximate and exact Ollivier curvature
* :mod:`ricci_lit.geometry.distances`  hop distances by bit-parallel BFS
* :mod:`ricci_lit.geometry.sampling`   the hop-distance total estimated from sampled BFS sources
* :mod:`ricci_lit.geometry.coefficients`       global, aggregated, adjusted, local and layer Ricci coefficients
* :mod:`ricci_lit.geometry.engine`     many networks and curvatures at once
* :mod:`ricci_lit.geometry._torch`      the torch (CUDA when available) path for per-layer totals

Any torch model (issue 15): :func:`~ricci_lit.networks.capture.layer_representations` captures
named layers, :func:`~ricci_lit.networks.analyze.analyze` computes their coefficients (a
:class:`~ricci_lit.networks.analyze.NetworkAnalysis`), :func:`~ricci_lit.geometry.community.modularity`
and :func:`~ricci_lit.geometry.community.normalized_cut` score a class partition of a kNN graph;
they are imported on first use.

The layers above it: :mod:`ricci_lit.data` ← :mod:`ricci_lit.networks` ← :mod:`ricci_lit.experiments`
← :mod:`ricci_lit.analysis` ← :mod:`ricci_lit.plotting` (see each subpackage's docstring).
"""
from ricci_lit.geometry._numba import HAVE_NUMBA, resolve_engine
from ricci_lit.geometry.curvature import CURVATURES, edge_curvature, node_curvature, total_curvature, triangles
from ricci_lit.geometry.coefficients import (
    CollapsedLayerWarning,
    DegenerateCoefficientWarning,
    LocalCoefficients,
    RicciFlowResult,
    TieDecidedWarning,
    adjusted_coefficient,
    aggregated_coefficient,
    coefficient_from_totals,
    fisher_z,
    geometry_table,
    local_and_layer_coefficients,
    pearson,
    ricci_coefficient,
    select_representations,
)
from ricci_lit.geometry.distances import DistanceTotals, hop_distance_matrix, hop_distance_totals
from ricci_lit.geometry.knn import MODES, KnnGraph, graph_from_adjacency, knn_graph, knn_graphs
from ricci_lit.geometry.sampling import SampledDistanceTotal, sampled_hop_distance_total
from ricci_lit.provenance import __version__, provenance

#: Top-level names that need torch (or pull in more than the geometry core), imported on first use.
_LAZY = {
    "layer_representations": "ricci_lit.networks.capture",
    "analyze": "ricci_lit.networks.analyze",
    "NetworkAnalysis": "ricci_lit.networks.analyze",
    "modularity": "ricci_lit.geometry.community",
    "normalized_cut": "ricci_lit.geometry.community",
}


def __getattr__(name: str):  # PEP 562: ``ricci_lit.analyze`` imports torch only when asked for
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'ricci_lit' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))

__all__ = [
    "__version__", "provenance", "HAVE_NUMBA", "resolve_engine", "CURVATURES", "MODES", "KnnGraph", "knn_graph", "knn_graphs", "graph_from_adjacency",
    "edge_curvature", "node_curvature", "total_curvature", "triangles", "DistanceTotals",
    "hop_distance_totals", "hop_distance_matrix", "SampledDistanceTotal", "sampled_hop_distance_total",
    "RicciFlowResult", "LocalCoefficients",
    "CollapsedLayerWarning", "ricci_coefficient", "geometry_table", "coefficient_from_totals",
    "aggregated_coefficient", "adjusted_coefficient", "fisher_z", "pearson",
    "local_and_layer_coefficients", "select_representations", "TieDecidedWarning",
    "DegenerateCoefficientWarning", "layer_representations", "analyze", "NetworkAnalysis", "modularity",
    "normalized_cut",
]
