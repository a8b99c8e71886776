"""Figures: functions that take data and return a matplotlib ``Figure``, in one house style.

Plotting draws only: no function here computes a curvature, a distance, a coefficient or a
projection (that is :mod:`ricci_lit.geometry` and :mod:`ricci_lit.analysis`); the callers compute,
pass the results here, and e.g. ``myst_nb.glue(name, fig, display=False)`` the returned figure.
A function that accepts ``ax`` draws into the caller's axes and returns ``ax.figure``; any other
returns a new figure detached from pyplot, so figures never accumulate as open figures.

Modules, by topic
-----------------
:mod:`~ricci_lit.plotting.style`
    the house theme (:func:`~ricci_lit.plotting.style.house_style`,
    :func:`~ricci_lit.plotting.style.set_theme`, colour conventions) and
    :func:`~ricci_lit.plotting.style.message_figure`;
:mod:`~ricci_lit.plotting.graphs`
    graphs coloured by curvature, kNN graphs, degrees, connectivity, curvature comparisons;
:mod:`~ricci_lit.plotting.flow`
    per-layer totals, ``Ric_l`` against ``η_l`` (paper 1's Fig. 4), local coefficients, ρ over k;
:mod:`~ricci_lit.plotting.data`
    PC planes of representations (paper 1's Fig. 1A), point clouds, image grids;
:mod:`~ricci_lit.plotting.results`
    accuracies, the aggregated-coefficient heatmap (paper 1's Fig. 3), sensitivity;
:mod:`~ricci_lit.plotting.paper2`
    paper 2's controls, curvature correlations, layer profiles, trajectories.

Every public figure function and the style API are re-exported here
(``from ricci_lit import plotting; plotting.flow_scatter_figure(...)``). Naming:
``<what>_figure(data, ...)``. May import :mod:`ricci_lit.analysis` and the layers below it (it
imports only matplotlib, seaborn, numpy, pandas and scipy today); never :mod:`ricci_lit.book`.
"""
from __future__ import annotations

from ricci_lit.plotting.data import (
    image_grid_figure,
    pca_layers_figure,
    point_clouds_figure,
)
from ricci_lit.plotting.flow import (
    coefficient_by_k_figure,
    flow_scatter_figure,
    flow_scatter_grid_figure,
    layer_totals_figure,
    local_histogram_figure,
)
from ricci_lit.plotting.graphs import (
    connectivity_figure,
    curvature_comparison_figure,
    curvature_gallery_figure,
    degree_distribution_figure,
    graph_curvature_figure,
    knn_graph_figure,
    knn_modes_figure,
)
from ricci_lit.plotting.paper2 import (
    control_coefficients_figure,
    correlation_matrix_figure,
    layer_profile_figure,
    trajectory_figure,
)
from ricci_lit.plotting.results import (
    accuracy_strip_figure,
    coefficient_heatmap_figure,
    sensitivity_figure,
)
from ricci_lit.plotting.style import (
    CURVATURE_CMAP,
    HOUSE_THEME,
    LAYER_PALETTE,
    curvature_norm,
    house_style,
    message_figure,
    set_theme,
)

__all__ = [
    "CURVATURE_CMAP",
    "HOUSE_THEME",
    "LAYER_PALETTE",
    "curvature_norm",
    "house_style",
    "message_figure",
    "set_theme",
    "connectivity_figure",
    "curvature_comparison_figure",
    "curvature_gallery_figure",
    "degree_distribution_figure",
    "graph_curvature_figure",
    "knn_graph_figure",
    "knn_modes_figure",
    "coefficient_by_k_figure",
    "flow_scatter_figure",
    "flow_scatter_grid_figure",
    "layer_totals_figure",
    "local_histogram_figure",
    "image_grid_figure",
    "pca_layers_figure",
    "point_clouds_figure",
    "accuracy_strip_figure",
    "coefficient_heatmap_figure",
    "sensitivity_figure",
    "control_coefficients_figure",
    "correlation_matrix_figure",
    "layer_profile_figure",
    "trajectory_figure",
]
