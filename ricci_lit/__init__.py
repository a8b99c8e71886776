"""ricci-lit: deep learning as Ricci flow, as a tested library and an executable book.

Re-implements Baptista et al., *Deep learning as Ricci flow*, Sci. Rep. 14, 23383 (2024)
(arXiv 2404.14265) and the local/layer coefficients of Hehl, von Renesse & Weber (2025,
arXiv 2509.22362). The geometry core:

* :mod:`ricci_lit.geometry.knn`     kNN graphs (union or the authors' R semantics)
* :mod:`ricci_lit.geometry.curvature`  Forman, augmented Forman, approximate and exact Ollivier curvature
* :mod:`ricci_lit.geometry.distances`  hop distances by bit-parallel BFS
* :mod:`ricci_lit.geometry.coefficients`       global, aggregated, adjusted, local and layer Ricci coefficients
* :mod:`ricci_lit.geometry.engine`     many networks and curvatures at once
* :mod:`ricci_lit.geometry._torch`      the torch (CUDA when available) path for per-layer totals

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
from ricci_lit.provenance import __version__, provenance

__all__ = [
    "__version__", "provenance", "HAVE_NUMBA", "resolve_engine", "CURVATURES", "MODES", "KnnGraph", "knn_graph", "knn_graphs", "graph_from_adjacency",
    "edge_curvature", "node_curvature", "total_curvature", "triangles", "DistanceTotals",
    "hop_distance_totals", "hop_distance_matrix", "RicciFlowResult", "LocalCoefficients",
    "CollapsedLayerWarning", "ricci_coefficient", "geometry_table", "coefficient_from_totals",
    "aggregated_coefficient", "adjusted_coefficient", "fisher_z", "pearson",
    "local_and_layer_coefficients", "select_representations", "TieDecidedWarning",
    "DegenerateCoefficientWarning",
]
