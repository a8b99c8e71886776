"""Figures of graphs: small graphs coloured by edge curvature, kNN graphs and their modes, degree
distributions, connectivity over k, and pairwise comparisons of curvature notions."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib
import matplotlib.ticker
import numpy as np
import pandas as pd

from ricci_lit.plotting._helpers import (
    edges_of,
    finite_1d,
    grid_shape,
    hide_unused,
    new_figure,
    panel_list,
    require_columns,
    vertex_positions,
)
from ricci_lit.plotting.style import CURVATURE_CMAP, curvature_norm, house_style

__all__ = [
    "graph_curvature_figure",
    "curvature_gallery_figure",
    "knn_graph_figure",
    "knn_modes_figure",
    "degree_distribution_figure",
    "connectivity_figure",
    "curvature_comparison_figure",
]


def _draw_curvature_graph(ax, pos: np.ndarray, edges: np.ndarray, values: np.ndarray, norm,
                          cmap: str, node_size: float, linewidth: float):
    from matplotlib.collections import LineCollection

    segments = pos[edges] if edges.size else np.zeros((0, 2, 2))
    # a thin grey underlay keeps edges of curvature ~0 (white in the diverging map) visible
    ax.add_collection(LineCollection(segments, colors="0.55", linewidths=linewidth + 1.2, zorder=0))
    lc = LineCollection(segments, cmap=cmap, norm=norm, linewidths=linewidth, zorder=1)
    lc.set_array(values)
    ax.add_collection(lc)
    ax.scatter(pos[:, 0], pos[:, 1], s=node_size, c="0.25", zorder=2, linewidths=0)
    ax.set_aspect("equal", adjustable="datalim")
    ax.autoscale_view()
    ax.set_xticks([])
    ax.set_yticks([])
    ax.grid(False)
    for side in ax.spines.values():
        side.set_visible(False)
    return lc


def graph_curvature_figure(graph: Any, positions: Any, edge_values: Any, ax=None, *,
                           title: str | None = None, label: str = "curvature",
                           cmap: str = CURVATURE_CMAP, vmin: float | None = None,
                           vmax: float | None = None, colorbar: bool = True,
                           node_size: float = 18.0, linewidth: float = 2.0):
    """Draw a graph with every edge coloured by a curvature value.

    Parameters
    ----------
    graph
        A :class:`ricci_lit.geometry.knn.KnnGraph` (its ``n`` and ``edges`` are used).
    positions
        Vertex positions, ``[n, 2]`` or a mapping ``{vertex: (x, y)}`` over ``0 … n−1``.
    edge_values
        One finite value per row of ``graph.edges`` (e.g. :func:`~ricci_lit.geometry.curvature.edge_curvature`).
    ax
        Draw into these axes instead of a new figure.
    title, label
        Axes title and colour-bar label.
    cmap, vmin, vmax
        Colour map and range (default: the data's range, centred on zero).
    colorbar
        Add a colour bar.

    Returns
    -------
    matplotlib.figure.Figure
    """
    n, edges = edges_of(graph)
    pos = vertex_positions(positions, n)
    values = finite_1d(edge_values, "edge_values")
    if values.shape[0] != edges.shape[0]:
        raise ValueError(f"edge_values has {values.shape[0]} entries, graph has {edges.shape[0]} edges")
    with house_style():
        if ax is None:
            fig, axes = new_figure(figsize=(4.2, 3.6))
            ax = axes[0, 0]
        else:
            fig = ax.figure
        norm = curvature_norm(values if values.size else np.zeros(1), vmin, vmax)
        lc = _draw_curvature_graph(ax, pos, edges, values, norm, cmap, node_size, linewidth)
        if title:
            ax.set_title(title)
        if colorbar:
            fig.colorbar(lc, ax=ax, label=label, shrink=0.8)
    return fig


def curvature_gallery_figure(panels: Sequence[tuple[str, Any, Any, Any]], *, ncols: int = 3,
                             label: str = "Forman curvature", cmap: str = CURVATURE_CMAP,
                             panel_size: float = 2.8):
    """Several graphs side by side, edges coloured on one shared curvature scale.

    Parameters
    ----------
    panels
        ``(title, graph, positions, edge_values)`` per panel (see :func:`graph_curvature_figure`).
    ncols
        Panels per row.
    label
        Colour-bar label.

    Returns
    -------
    matplotlib.figure.Figure
    """
    panels = panel_list(panels, ncols)
    prepared = []
    for item in panels:
        if len(item) != 4:
            raise ValueError("each panel must be (title, graph, positions, edge_values)")
        title, graph, positions, edge_values = item
        n, edges = edges_of(graph)
        pos = vertex_positions(positions, n)
        values = finite_1d(edge_values, f"edge_values of {title!r}")
        if values.shape[0] != edges.shape[0]:
            raise ValueError(f"{title!r}: {values.shape[0]} values for {edges.shape[0]} edges")
        prepared.append((str(title), pos, edges, values))
    all_values = np.concatenate([p[3] for p in prepared] + [np.zeros(0)])
    nrows, ncols = grid_shape(len(prepared), ncols)
    with house_style():
        fig, axes = new_figure(nrows, ncols, figsize=(panel_size * ncols + 0.8, panel_size * nrows))
        norm = curvature_norm(all_values if all_values.size else np.zeros(1))
        lc = None
        for ax, (title, pos, edges, values) in zip(axes.flat, prepared):
            lc = _draw_curvature_graph(ax, pos, edges, values, norm, cmap, 14.0, 2.0)
            ax.set_title(title)
        hide_unused(axes, len(prepared))
        fig.colorbar(lc, ax=axes, label=label, shrink=0.8)
    return fig


def _draw_knn(ax, pts: np.ndarray, graph: Any, show_labels: bool) -> None:
    from matplotlib.collections import LineCollection
    from matplotlib.patches import FancyArrowPatch

    n, edges = edges_of(graph)
    directed = getattr(graph, "mode", "union") == "r-compat"
    color = "0.35"
    if directed:
        for i, j in edges:
            ax.add_patch(FancyArrowPatch(pts[i], pts[j], arrowstyle="-|>", mutation_scale=9,
                                         shrinkA=5, shrinkB=5, color=color, lw=0.9, zorder=1))
    elif edges.size:
        ax.add_collection(LineCollection(pts[edges], colors=color, linewidths=1.2, zorder=1))
    degree = np.asarray(getattr(graph, "degree", np.zeros(n)), dtype=np.int64)
    sc = ax.scatter(pts[:, 0], pts[:, 1], s=90, c=degree, cmap="viridis", zorder=2,
                    edgecolors="white", linewidths=0.8)
    if show_labels:
        for i, (x, y) in enumerate(pts):
            ax.annotate(str(i), (x, y), xytext=(5, 5), textcoords="offset points", fontsize=7,
                        color="0.2")
    ax.set_aspect("equal", adjustable="datalim")
    ax.autoscale_view()
    ax.margins(0.12)
    return sc


def knn_graph_figure(points: Any, graph: Any, ax=None, *, title: str | None = None,
                     show_labels: bool = True):
    """Draw a kNN graph on its 2-D points: lines for ``union`` graphs, arrows ``i → j`` for
    ``r-compat`` graphs; vertices coloured by ``graph.degree``.

    Parameters
    ----------
    points
        ``[n, 2]`` coordinates (the data the graph was built from, or a 2-D layout of it).
    graph
        A :class:`ricci_lit.geometry.knn.KnnGraph` on those ``n`` points.
    ax
        Draw into these axes instead of a new figure.
    title
        Axes title.
    show_labels
        Write each vertex's index next to it.

    Returns
    -------
    matplotlib.figure.Figure
    """
    n, _ = edges_of(graph)
    pts = vertex_positions(points, n)
    with house_style():
        if ax is None:
            fig, axes = new_figure(figsize=(4.2, 3.8))
            ax = axes[0, 0]
        else:
            fig = ax.figure
        sc = _draw_knn(ax, pts, graph, show_labels)
        fig.colorbar(sc, ax=ax, label="degree", shrink=0.8)
        if title:
            ax.set_title(title)
    return fig


def knn_modes_figure(points: Any, graphs: Mapping[str, Any], *, show_labels: bool = True,
                     panel_size: float = 3.8):
    """The same points under several kNN semantics, one panel per graph (titles = keys).

    Vertices are coloured by degree on one shared scale, so the r-compat in+out degrees can be
    compared with the union degrees at a glance.

    Returns
    -------
    matplotlib.figure.Figure
    """
    graphs = dict(graphs)
    if not graphs:
        raise ValueError("graphs is empty")
    ns = {edges_of(g)[0] for g in graphs.values()}
    if len(ns) != 1:
        raise ValueError(f"graphs have different numbers of vertices: {sorted(ns)}")
    pts = vertex_positions(points, ns.pop())
    from matplotlib.colors import Normalize

    degrees = np.concatenate([np.asarray(g.degree) for g in graphs.values()])
    norm = Normalize(vmin=float(degrees.min()), vmax=float(degrees.max()))
    with house_style():
        fig, axes = new_figure(1, len(graphs), figsize=(panel_size * len(graphs) + 0.8, panel_size))
        sc = None
        for ax, (title, g) in zip(axes.flat, graphs.items()):
            sc = _draw_knn(ax, pts, g, show_labels)
            sc.set_norm(norm)
            ax.set_title(title)
        fig.colorbar(sc, ax=axes, label="degree", shrink=0.8)
    return fig


def degree_distribution_figure(degrees: Mapping[str, Any], *, k: int | None = None, ax=None,
                               title: str | None = None):
    """Histograms (step outlines, log-scaled counts) of vertex degrees, one per named graph.

    Parameters
    ----------
    degrees
        ``{label: degree array}``, e.g. ``{"union": g.degree, "r-compat": h.degree}``.
    k
        Draw a reference line at ``k`` (the smallest possible union degree).

    Returns
    -------
    matplotlib.figure.Figure
    """
    degrees = {str(name): finite_1d(d, f"degrees[{name!r}]") for name, d in dict(degrees).items()}
    if not degrees:
        raise ValueError("degrees is empty")
    if any(d.size == 0 for d in degrees.values()):
        raise ValueError("a degree array is empty")
    hi = max(float(d.max()) for d in degrees.values())
    lo = min(float(d.min()) for d in degrees.values())
    bins = np.arange(np.floor(lo), np.ceil(hi) + 2) - 0.5
    if bins.size > 80:
        bins = np.linspace(lo - 0.5, hi + 0.5, 80)
    with house_style():
        if ax is None:
            fig, axes = new_figure(figsize=(5.5, 3.4))
            ax = axes[0, 0]
        else:
            fig = ax.figure
        for name, d in degrees.items():
            ax.hist(d, bins=bins, histtype="step", linewidth=1.8, label=name)
        if k is not None:
            ax.axvline(k, color="0.4", linestyle=":", linewidth=1.2, label=f"k = {k}")
        ax.set_yscale("log")
        ax.set_xlabel("vertex degree")
        ax.set_ylabel("number of vertices")
        ax.legend()
        if title:
            ax.set_title(title)
    return fig


def connectivity_figure(df: pd.DataFrame, *, hue: str | None = None):
    """Connectivity of kNN graphs as a function of ``k``: two panels, the fraction of connected
    graphs and the mean number of connected components.

    Parameters
    ----------
    df
        Columns ``k``, ``fraction_connected`` (in [0, 1]) and ``mean_components`` (≥ 1), one row
        per ``k`` (and per ``hue`` level).
    hue
        Optional column naming the point cloud of each row (one line per level).

    Returns
    -------
    matplotlib.figure.Figure
    """
    need = {"k", "fraction_connected", "mean_components"} | ({hue} if hue else set())
    require_columns(df, need)
    if df.empty:
        raise ValueError("df is empty")
    frac = df["fraction_connected"].to_numpy(dtype=float)
    if ((frac < 0) | (frac > 1)).any():
        raise ValueError("fraction_connected must lie in [0, 1]")
    groups = [(None, df)] if hue is None else list(df.groupby(hue, sort=False))
    with house_style():
        fig, axes = new_figure(1, 2, figsize=(8.4, 3.3))
        for name, sub in groups:
            sub = sub.sort_values("k")
            kw = {"marker": "o", "markersize": 4}
            if name is not None:
                kw["label"] = str(name)
            axes[0, 0].plot(sub["k"], sub["fraction_connected"], **kw)
            axes[0, 1].plot(sub["k"], sub["mean_components"], **kw)
        for ax in axes.flat:
            ax.set_xscale("log")
            ax.set_xlabel("k")
        axes[0, 0].set_ylabel("fraction of connected graphs")
        axes[0, 0].set_ylim(-0.03, 1.03)
        axes[0, 1].set_ylabel("mean number of components")
        axes[0, 1].set_yscale("log")
        axes[0, 1].yaxis.set_major_formatter(matplotlib.ticker.ScalarFormatter())
        axes[0, 1].yaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
        if hue is not None:
            axes[0, 1].legend(title=hue)
    return fig


def curvature_comparison_figure(df: pd.DataFrame, *, max_points: int = 4000, seed: int = 0):
    """Pairwise comparison of several edge curvatures of one graph.

    Lower triangle: scatter of one curvature against another (at most ``max_points`` edges,
    a fixed random subset); diagonal: histogram; upper triangle: Pearson and Spearman
    correlations of all edges.

    Parameters
    ----------
    df
        One numeric column per curvature, one row per edge (at least two columns, two rows).

    Returns
    -------
    matplotlib.figure.Figure
    """
    if not isinstance(df, pd.DataFrame):
        raise ValueError("df must be a pandas DataFrame")
    cols = list(df.columns)
    if len(cols) < 2 or len(df) < 2:
        raise ValueError("need at least two curvature columns and two edges")
    data = df.astype(float)
    if not np.isfinite(data.to_numpy()).all():
        raise ValueError("df contains NaN or infinite values")
    pearson = data.corr(method="pearson")
    spearman = data.corr(method="spearman")
    shown = data if len(data) <= max_points else data.sample(max_points, random_state=seed)
    m = len(cols)
    with house_style():
        fig, axes = new_figure(m, m, figsize=(2.1 * m, 2.0 * m))
        for i, yi in enumerate(cols):
            for j, xj in enumerate(cols):
                ax = axes[i, j]
                if i == j:
                    ax.hist(data[xj], bins=30, color="0.45")
                    ax.set_yticks([])
                elif i > j:
                    ax.scatter(shown[xj], shown[yi], s=4, alpha=0.35, linewidths=0)
                else:
                    ax.axis("off")
                    ax.text(0.5, 0.5, f"r = {pearson.loc[yi, xj]:.2f}\n"
                            f"ρ$_s$ = {spearman.loc[yi, xj]:.2f}",
                            ha="center", va="center", transform=ax.transAxes)
                if i == m - 1:
                    ax.set_xlabel(xj)
                elif i >= j:
                    ax.tick_params(labelbottom=False)
                if j == 0 and i > 0:
                    ax.set_ylabel(yi)
                elif i != j:
                    ax.tick_params(labelleft=False)
    return fig
