"""The geometry layer: kNN graphs, curvatures, hop distances and Ricci coefficients.

What it holds
-------------
* :mod:`~ricci_lit.geometry.knn` — kNN graphs of a point cloud (union or the authors' R
  semantics), exact in the order of neighbours (scale-free, near ties decided exactly) and
  counting the neighbourhoods a tie decides;
* :mod:`~ricci_lit.geometry.curvature` — Forman, augmented Forman, approximate and exact Ollivier
  curvature of graph edges and nodes;
* :mod:`~ricci_lit.geometry.distances` — hop distances by bit-parallel breadth-first search;
* :mod:`~ricci_lit.geometry.sampling` — the unbiased estimate of the hop-distance total from
  sampled breadth-first-search sources, with its standard error (large clouds);
* :mod:`~ricci_lit.geometry.coefficients` — global, aggregated, adjusted, local and layer Ricci
  coefficients, and the per-layer ``geometry_table`` of a sweep;
* :mod:`~ricci_lit.geometry.engine` — the multi-network, multi-curvature coefficient engine
  (``network_coefficients``) and ``curvature_agreement``;
* :mod:`~ricci_lit.geometry.community` — modularity and normalised cut of a class partition;
* private helpers shared inside the layer through public names: ``_exact`` (exact scale and
  tie arithmetic), ``_numba`` (compiled kernels), ``_torch`` (the torch/CUDA totals path).

What it may import
------------------
numpy, scipy, pandas (tables), tqdm (progress bars), numba (optional), torch and POT/networkx
(lazily, inside the functions that need them), and of ricci_lit only the shared private
modules :mod:`ricci_lit._checks` and :mod:`ricci_lit._device` (the one ``resolve_device``).
Every other layer (data, networks, experiments, analysis, plotting, book, cli) builds on this
one; nothing here imports them.
"""
from ricci_lit.geometry._numba import HAVE_NUMBA, resolve_engine
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
    validate_representations,
)
from ricci_lit.geometry.curvature import (
    CURVATURES,
    edge_curvature,
    node_curvature,
    total_curvature,
    triangles,
    validate_curvature,
)
from ricci_lit.geometry.distances import DistanceTotals, hop_distance_matrix, hop_distance_totals
from ricci_lit.geometry.engine import (
    DEFAULT_CURVATURES,
    CoefficientTables,
    CurvatureAgreement,
    curvature_agreement,
    network_coefficients,
    validate_curvatures,
    validate_layers,
    validate_mode,
)
from ricci_lit.geometry.knn import (
    MODES,
    KnnGraph,
    NeighbourTable,
    graph_from_adjacency,
    graph_from_table,
    knn_graph,
    knn_graphs,
    neighbour_table,
    tie_decided,
    validate_k,
    validate_points,
)
from ricci_lit.geometry.sampling import SampledDistanceTotal, sampled_hop_distance_total, source_distance_sums

__all__ = [
    "HAVE_NUMBA", "resolve_engine",
    "MODES", "KnnGraph", "NeighbourTable", "neighbour_table", "graph_from_table", "knn_graph",
    "knn_graphs", "graph_from_adjacency", "tie_decided", "validate_points", "validate_k",
    "CURVATURES", "edge_curvature", "node_curvature", "total_curvature", "triangles",
    "validate_curvature",
    "DistanceTotals", "hop_distance_totals", "hop_distance_matrix",
    "SampledDistanceTotal", "sampled_hop_distance_total", "source_distance_sums",
    "CollapsedLayerWarning", "TieDecidedWarning", "DegenerateCoefficientWarning",
    "RicciFlowResult", "LocalCoefficients", "ricci_coefficient", "geometry_table",
    "coefficient_from_totals", "aggregated_coefficient", "adjusted_coefficient", "fisher_z",
    "pearson", "local_and_layer_coefficients", "select_representations",
    "validate_representations",
    "DEFAULT_CURVATURES", "CoefficientTables", "CurvatureAgreement", "network_coefficients",
    "curvature_agreement", "validate_layers", "validate_curvatures", "validate_mode",
]
