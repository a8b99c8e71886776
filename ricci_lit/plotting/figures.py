"""The book's one plotting style: functions that take data and return a matplotlib ``Figure``.

Every function here draws data it is given; none computes a curvature, a distance or a
coefficient (that is the job of :mod:`ricci_lit.geometry.curvature`, :mod:`ricci_lit.geometry.distances` and
:mod:`ricci_lit.geometry.coefficients`). The chapters call the science modules, pass the results here, and glue the
returned figure into the page with a caption.

Style
-----
:func:`house_style` is a context manager that applies the house seaborn theme
(:data:`HOUSE_THEME`) to the matplotlib ``rcParams`` for the duration of a ``with`` block and
restores them afterwards. Every figure function draws inside it, so figures look the same whatever
the caller's global settings are, and calling a figure function changes no global state.
:func:`set_theme` applies the same theme globally, for interactive use.

Figures are built as :class:`matplotlib.figure.Figure` objects through pyplot and immediately
detached from pyplot's figure manager (``plt.close``), so they are shown only where the caller
displays them (e.g. ``myst_nb.glue(name, fig, display=False)``) and never accumulate as open
figures. A function that accepts ``ax`` draws into the caller's axes instead and returns
``ax.figure`` without detaching it.

Colour conventions
------------------
Curvature is drawn with the diverging map :data:`CURVATURE_CMAP` centred on zero (negative red,
positive blue); layers and layer pairs use the sequential palette :data:`LAYER_PALETTE`; other
categories use the colour-blind-safe cycle of the theme.

Naming
------
``<what>_figure(data, ...)``: one function per kind of figure. Later chapters add, e.g.,
``coefficient_heatmap_figure`` (paper 1, Fig. 3) in the same pattern.
"""
from __future__ import annotations

import textwrap
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from types import MappingProxyType
from typing import Any

import matplotlib
import matplotlib.ticker
import numpy as np
import pandas as pd

__all__ = [
    "HOUSE_THEME",
    "CURVATURE_CMAP",
    "LAYER_PALETTE",
    "house_style",
    "set_theme",
    "curvature_norm",
    "graph_curvature_figure",
    "curvature_gallery_figure",
    "knn_graph_figure",
    "knn_modes_figure",
    "degree_distribution_figure",
    "connectivity_figure",
    "curvature_comparison_figure",
    "layer_totals_figure",
    "flow_scatter_figure",
    "local_histogram_figure",
    "coefficient_by_k_figure",
    "pca_2d",
    "pca_layers_figure",
    "point_clouds_figure",
    "image_grid_figure",
    "accuracy_strip_figure",
    "coefficient_heatmap_figure",
    "flow_scatter_grid_figure",
    "control_coefficients_figure",
    "correlation_matrix_figure",
    "layer_profile_figure",
    "trajectory_figure",
    "sensitivity_figure",
    "message_figure",
]

#: The seaborn theme of every figure (arguments of ``seaborn.set_theme``; read-only).
HOUSE_THEME: Mapping[str, Any] = MappingProxyType({
    "context": "notebook",
    "style": "whitegrid",
    "palette": "colorblind",
    "font_scale": 0.9,
})

#: Diverging colour map for curvature (red = negative, blue = positive), centred on zero.
CURVATURE_CMAP = "RdBu"

#: Sequential palette for layers and layer pairs (input side light, output side dark).
LAYER_PALETTE = "viridis"

_EXTRA_RC: Mapping[str, Any] = MappingProxyType({
    "figure.dpi": 100,
    "savefig.dpi": 150,
    "savefig.bbox": "tight",
    "axes.titlesize": "medium",
    "axes.titleweight": "bold",
    "legend.frameon": False,
    "image.cmap": "viridis",
})


def _theme_rc(**overrides: Any) -> dict[str, Any]:
    import seaborn as sns
    from cycler import cycler

    theme = {**HOUSE_THEME, **overrides}
    rc: dict[str, Any] = {}
    rc.update(sns.axes_style(theme["style"]))
    rc.update(sns.plotting_context(theme["context"], font_scale=theme["font_scale"]))
    rc["axes.prop_cycle"] = cycler(color=sns.color_palette(theme["palette"]))
    rc.update(_EXTRA_RC)
    return rc


@contextmanager
def house_style(**overrides: Any) -> Iterator[None]:
    """Apply the house theme to ``matplotlib.rcParams`` inside a ``with`` block.

    Parameters
    ----------
    overrides
        Replace entries of :data:`HOUSE_THEME` (``context``, ``style``, ``palette``,
        ``font_scale``) for this block only.

    The previous ``rcParams`` are restored on exit (``matplotlib.rc_context``).
    """
    unknown = set(overrides) - set(HOUSE_THEME)
    if unknown:
        raise ValueError(f"unknown theme keys {sorted(unknown)}; valid: {sorted(HOUSE_THEME)}")
    with matplotlib.rc_context(_theme_rc(**overrides)):
        yield


def set_theme(**overrides: Any) -> None:
    """Apply the house theme globally (``rcParams``), e.g. for interactive figures of one's own."""
    unknown = set(overrides) - set(HOUSE_THEME)
    if unknown:
        raise ValueError(f"unknown theme keys {sorted(unknown)}; valid: {sorted(HOUSE_THEME)}")
    matplotlib.rcParams.update(_theme_rc(**overrides))


# -------------------------------------------------------------------------------------------------
# helpers
# -------------------------------------------------------------------------------------------------


def _new_figure(nrows: int = 1, ncols: int = 1, *, figsize: tuple[float, float], **kw: Any):
    """A new figure with a grid of axes, detached from pyplot (see the module docstring)."""
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=figsize, layout="constrained")
    plt.close(fig)
    axes = fig.subplots(nrows, ncols, squeeze=False, **kw)
    return fig, axes


def _grid_shape(count: int, ncols: int) -> tuple[int, int]:
    """``(nrows, ncols)`` of a grid holding ``count`` panels, at most ``ncols`` per row."""
    ncols = min(ncols, count)
    return -(-count // ncols), ncols


def _hide_unused(axes, used: int) -> None:
    """Hide the axes of a grid beyond the first ``used`` (the last row's empty cells)."""
    for ax in list(axes.flat)[used:]:
        ax.set_visible(False)


def _finite_1d(values: Any, name: str, *, allow_nan: bool = False) -> np.ndarray:
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{name}: expected numbers") from None
    if arr.ndim != 1:
        raise ValueError(f"{name}: expected a 1-D array, got shape {arr.shape}")
    if allow_nan:
        if np.isinf(arr).any():
            raise ValueError(f"{name}: contains infinite values")
    elif not np.isfinite(arr).all():
        raise ValueError(f"{name}: contains NaN or infinite values")
    return arr


def _positions(positions: Any, n: int) -> np.ndarray:
    if isinstance(positions, Mapping):
        missing = [i for i in range(n) if i not in positions]
        if missing:
            raise ValueError(f"positions: no position for vertices {missing[:5]}")
        positions = [positions[i] for i in range(n)]
    try:
        pos = np.asarray(positions, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError("positions: expected an [n, 2] array or a {vertex: (x, y)} mapping") from None
    if pos.shape != (n, 2):
        raise ValueError(f"positions: expected shape ({n}, 2), got {pos.shape}")
    if not np.isfinite(pos).all():
        raise ValueError("positions: contains NaN or infinite values")
    return pos


def _edges_of(graph: Any) -> tuple[int, np.ndarray]:
    try:
        n = int(graph.n)
        edges = np.asarray(graph.edges, dtype=np.int64)
    except (AttributeError, TypeError, ValueError):
        raise ValueError("graph: expected a ricci_lit KnnGraph (attributes n and edges)") from None
    if edges.size == 0:
        edges = edges.reshape(0, 2)
    if edges.ndim != 2 or edges.shape[1] != 2:
        raise ValueError(f"graph.edges: expected shape [E, 2], got {edges.shape}")
    return n, edges


def curvature_norm(values: np.ndarray, vmin: float | None = None, vmax: float | None = None):
    """A colour normalisation for curvature values: centred on 0 when the range spans 0."""
    from matplotlib.colors import Normalize, TwoSlopeNorm

    lo = float(np.min(values)) if vmin is None else float(vmin)
    hi = float(np.max(values)) if vmax is None else float(vmax)
    if lo > hi:
        raise ValueError(f"vmin {lo} exceeds vmax {hi}")
    if lo == hi:
        lo, hi = lo - 1.0, hi + 1.0
    if lo < 0 < hi:
        return TwoSlopeNorm(vcenter=0.0, vmin=lo, vmax=hi)
    # one-signed range: keep zero at the neutral end of the diverging map
    bound = max(abs(lo), abs(hi))
    return Normalize(vmin=-bound, vmax=bound)


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


# -------------------------------------------------------------------------------------------------
# graphs coloured by curvature (chapter 2)
# -------------------------------------------------------------------------------------------------


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
        One finite value per row of ``graph.edges`` (e.g. :func:`ricci_lit.edge_curvature`).
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
    n, edges = _edges_of(graph)
    pos = _positions(positions, n)
    values = _finite_1d(edge_values, "edge_values")
    if values.shape[0] != edges.shape[0]:
        raise ValueError(f"edge_values has {values.shape[0]} entries, graph has {edges.shape[0]} edges")
    with house_style():
        if ax is None:
            fig, axes = _new_figure(figsize=(4.2, 3.6))
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
    panels = list(panels)
    if not panels:
        raise ValueError("panels is empty")
    if ncols < 1:
        raise ValueError(f"ncols must be positive, got {ncols}")
    prepared = []
    for item in panels:
        if len(item) != 4:
            raise ValueError("each panel must be (title, graph, positions, edge_values)")
        title, graph, positions, edge_values = item
        n, edges = _edges_of(graph)
        pos = _positions(positions, n)
        values = _finite_1d(edge_values, f"edge_values of {title!r}")
        if values.shape[0] != edges.shape[0]:
            raise ValueError(f"{title!r}: {values.shape[0]} values for {edges.shape[0]} edges")
        prepared.append((str(title), pos, edges, values))
    all_values = np.concatenate([p[3] for p in prepared] + [np.zeros(0)])
    nrows, ncols = _grid_shape(len(prepared), ncols)
    with house_style():
        fig, axes = _new_figure(nrows, ncols, figsize=(panel_size * ncols + 0.8, panel_size * nrows))
        norm = curvature_norm(all_values if all_values.size else np.zeros(1))
        lc = None
        for ax, (title, pos, edges, values) in zip(axes.flat, prepared):
            lc = _draw_curvature_graph(ax, pos, edges, values, norm, cmap, 14.0, 2.0)
            ax.set_title(title)
        _hide_unused(axes, len(prepared))
        fig.colorbar(lc, ax=axes, label=label, shrink=0.8)
    return fig


# -------------------------------------------------------------------------------------------------
# kNN graphs (chapter 3)
# -------------------------------------------------------------------------------------------------


def _draw_knn(ax, pts: np.ndarray, graph: Any, show_labels: bool) -> None:
    from matplotlib.collections import LineCollection
    from matplotlib.patches import FancyArrowPatch

    n, edges = _edges_of(graph)
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
    n, _ = _edges_of(graph)
    pts = _positions(points, n)
    with house_style():
        if ax is None:
            fig, axes = _new_figure(figsize=(4.2, 3.8))
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
    ns = {_edges_of(g)[0] for g in graphs.values()}
    if len(ns) != 1:
        raise ValueError(f"graphs have different numbers of vertices: {sorted(ns)}")
    pts = _positions(points, ns.pop())
    from matplotlib.colors import Normalize

    degrees = np.concatenate([np.asarray(g.degree) for g in graphs.values()])
    norm = Normalize(vmin=float(degrees.min()), vmax=float(degrees.max()))
    with house_style():
        fig, axes = _new_figure(1, len(graphs), figsize=(panel_size * len(graphs) + 0.8, panel_size))
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
    degrees = {str(name): _finite_1d(d, f"degrees[{name!r}]") for name, d in dict(degrees).items()}
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
            fig, axes = _new_figure(figsize=(5.5, 3.4))
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
    _require_columns(df, need)
    if df.empty:
        raise ValueError("df is empty")
    frac = df["fraction_connected"].to_numpy(dtype=float)
    if ((frac < 0) | (frac > 1)).any():
        raise ValueError("fraction_connected must lie in [0, 1]")
    groups = [(None, df)] if hue is None else list(df.groupby(hue, sort=False))
    with house_style():
        fig, axes = _new_figure(1, 2, figsize=(8.4, 3.3))
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


# -------------------------------------------------------------------------------------------------
# comparing curvatures (chapter 2)
# -------------------------------------------------------------------------------------------------


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
        fig, axes = _new_figure(m, m, figsize=(2.1 * m, 2.0 * m))
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


# -------------------------------------------------------------------------------------------------
# global Ricci flow (chapter 4)
# -------------------------------------------------------------------------------------------------


def _require_columns(df: Any, need: set[str]) -> None:
    if not isinstance(df, pd.DataFrame):
        raise ValueError("expected a pandas DataFrame")
    missing = sorted(need - set(df.columns))
    if missing:
        raise ValueError(f"missing columns {missing}; have {list(df.columns)}")


def layer_totals_figure(df: pd.DataFrame, *, network: str | None = None,
                        highlight: Any = None, layer_label: str = "hidden layer l"):
    """Per-layer totals: ``Ric_l`` (P1 Eq. 6) and ``g_l`` (P1 Eq. 7) against the layer.

    Parameters
    ----------
    df
        Columns ``layer``, ``ric`` and ``g`` (one row per layer; e.g. the output of
        :func:`ricci_lit.geometry_table` at one ``k``). Non-finite ``g`` (a disconnected graph)
        is left out of the plot.
    network
        Optional column identifying networks: one line per network.
    highlight
        With ``network``: the network drawn in colour (the others in grey).
    layer_label
        x-axis label.

    Returns
    -------
    matplotlib.figure.Figure
    """
    _require_columns(df, {"layer", "ric", "g"} | ({network} if network else set()))
    if df.empty:
        raise ValueError("df is empty")
    groups = [(None, df)] if network is None else list(df.groupby(network, sort=False))
    with house_style():
        fig, axes = _new_figure(1, 2, figsize=(8.4, 3.3))
        for name, sub in groups:
            sub = sub.sort_values("layer")
            if network is None or highlight is None or name == highlight:
                kw = {"marker": "o", "markersize": 4, "linewidth": 1.8, "zorder": 3}
                if network is not None:
                    kw["label"] = f"{network} {name}"
            else:
                kw = {"color": "0.7", "linewidth": 0.9, "zorder": 1}
            g = sub["g"].to_numpy(dtype=float)
            ok = np.isfinite(g)
            axes[0, 0].plot(sub["layer"], sub["ric"], **kw)
            axes[0, 1].plot(sub["layer"].to_numpy()[ok], g[ok], **kw)
        axes[0, 0].set_ylabel(r"total curvature $\mathrm{Ric}_l$")
        axes[0, 1].set_ylabel(r"total geodesic distance $g_l$")
        for ax in axes.flat:
            ax.set_xlabel(layer_label)
            ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
            ax.ticklabel_format(axis="y", style="sci", scilimits=(-3, 4))
        if network is not None and highlight is not None:
            axes[0, 0].legend()
    return fig


def flow_scatter_figure(ric: Any, eta: Any, rho: float | None, pair_labels: Sequence[Any] | None = None,
                        ax=None, *, title: str | None = None):
    """Paper 1's Fig. 4: ``η_l`` (x) against ``Ric_l`` (y), points coloured by layer pair, the
    least-squares line of ``Ric`` on ``η``, and the coefficient ``ρ`` printed.

    Parameters
    ----------
    ric, eta
        Equal-length series: curvature at layer ``l`` and distance change ``l → l+1`` (pooled over
        networks if several). Finite.
    rho
        The coefficient to print (``None`` prints "undefined").
    pair_labels
        One label per point, e.g. ``"1→2"``; points with the same label share a colour. Default:
        the point's position.
    title
        Axes title.

    Returns
    -------
    matplotlib.figure.Figure
    """
    ric = _finite_1d(ric, "ric")
    eta = _finite_1d(eta, "eta")
    if ric.shape != eta.shape:
        raise ValueError(f"ric and eta differ in length ({ric.size} and {eta.size})")
    if ric.size < 2:
        raise ValueError("need at least two points")
    if rho is not None and not (-1.0 <= float(rho) <= 1.0):
        raise ValueError(f"rho must lie in [-1, 1], got {rho}")
    labels = [str(i) for i in range(ric.size)] if pair_labels is None else [str(p) for p in pair_labels]
    if len(labels) != ric.size:
        raise ValueError(f"pair_labels has {len(labels)} entries for {ric.size} points")
    import seaborn as sns

    levels = list(dict.fromkeys(labels))
    colours = dict(zip(levels, sns.color_palette(LAYER_PALETTE, len(levels))))
    with house_style():
        if ax is None:
            fig, axes = _new_figure(figsize=(5.6, 4.0))
            ax = axes[0, 0]
        else:
            fig = ax.figure
        lab = np.asarray(labels)
        for level in levels:
            sel = lab == level
            ax.scatter(eta[sel], ric[sel], s=36, color=colours[level], label=level,
                       edgecolors="white", linewidths=0.5, zorder=3)
        if np.ptp(eta) > 0:
            slope, intercept = np.polyfit(eta, ric, 1)
            xs = np.linspace(eta.min(), eta.max(), 50)
            ax.plot(xs, slope * xs + intercept, color="0.2", linewidth=1.3, zorder=2,
                    label="least squares")
        text = "ρ undefined" if rho is None else f"ρ = {float(rho):.2f}"
        ax.text(0.03, 0.05, text, transform=ax.transAxes, fontsize="large",
                bbox={"boxstyle": "round", "fc": "white", "ec": "0.7"})
        ax.set_xlabel(r"$\eta_l = g_{l+1} - g_l$")
        ax.set_ylabel(r"$\mathrm{Ric}_l$")
        ax.ticklabel_format(style="sci", scilimits=(-3, 4))
        ax.legend(title="layer pair", loc="center left", bbox_to_anchor=(1.02, 0.5),
                  fontsize="small")
        if title:
            ax.set_title(title)
    return fig


def local_histogram_figure(rho_local: Any, ax=None, *, bins: int = 30, title: str | None = None):
    """Histogram of paper 2's local coefficients ``ρ(x)``, with their mean and zero marked.

    NaN entries (undefined coefficients) are counted in the legend, not drawn.

    Returns
    -------
    matplotlib.figure.Figure
    """
    rho = _finite_1d(rho_local, "rho_local", allow_nan=True)
    finite = rho[np.isfinite(rho)]
    if finite.size == 0:
        raise ValueError("rho_local has no finite values")
    if ((finite < -1.0 - 1e-12) | (finite > 1.0 + 1e-12)).any():
        raise ValueError("correlation coefficients must lie in [-1, 1]")
    with house_style():
        if ax is None:
            fig, axes = _new_figure(figsize=(5.4, 3.4))
            ax = axes[0, 0]
        else:
            fig = ax.figure
        ax.hist(finite, bins=np.linspace(-1, 1, bins + 1), color="C0", alpha=0.85,
                label=f"{finite.size} points ({rho.size - finite.size} undefined)")
        ax.axvline(0.0, color="0.4", linewidth=1.0)
        ax.axvline(float(finite.mean()), color="C3", linestyle="--", linewidth=1.6,
                   label=f"mean {finite.mean():.2f}")
        ax.set_xlim(-1.02, 1.02)
        ax.set_xlabel(r"local coefficient $\rho(x)$")
        ax.set_ylabel("number of points")
        ax.legend(loc="upper left")
        if title:
            ax.set_title(title)
    return fig


def coefficient_by_k_figure(df: pd.DataFrame, *, x: str = "k", y: str = "rho",
                            hue: str | None = None, best: Any = None,
                            ylabel: str = "aggregated coefficient"):
    """A coefficient as a function of ``k`` (log axis), optionally one line per ``hue`` level,
    with the chosen ``k`` marked (``best``).

    Parameters
    ----------
    df
        Columns ``x`` and ``y`` (``y`` may hold NaN where the coefficient is undefined).
    best
        Value of ``x`` to mark with a vertical line.

    Returns
    -------
    matplotlib.figure.Figure
    """
    _require_columns(df, {x, y} | ({hue} if hue else set()))
    if df.empty:
        raise ValueError("df is empty")
    vals = df[y].to_numpy(dtype=float)
    finite = vals[np.isfinite(vals)]
    if finite.size == 0:
        raise ValueError(f"column {y!r} has no finite values")
    if ((finite < -1.0 - 1e-12) | (finite > 1.0 + 1e-12)).any():
        raise ValueError(f"column {y!r} must hold correlations in [-1, 1]")
    groups = [(None, df)] if hue is None else list(df.groupby(hue, sort=False))
    with house_style():
        fig, axes = _new_figure(figsize=(5.6, 3.4))
        ax = axes[0, 0]
        for name, sub in groups:
            sub = sub.sort_values(x)
            kw = {"marker": "o", "markersize": 4}
            if name is not None:
                kw["label"] = str(name)
            ax.plot(sub[x], sub[y], **kw)
        ax.axhline(0.0, color="0.4", linewidth=1.0)
        if best is not None:
            ax.axvline(best, color="C3", linestyle="--", linewidth=1.4, label=f"chosen {x} = {best}")
        ax.set_xscale("log")
        ticks = np.unique(df[x].to_numpy(dtype=float))
        if ticks.size <= 12:  # label the k values themselves, not powers of ten
            from matplotlib.ticker import NullFormatter, NullLocator

            ax.set_xticks(ticks)
            ax.set_xticklabels([f"{t:g}" for t in ticks])
            ax.xaxis.set_minor_locator(NullLocator())
            ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_xlabel(x)
        ax.set_ylabel(ylabel)
        ax.set_ylim(-1.05, 1.05)
        if hue is not None or best is not None:
            n_entries = len(groups) + (best is not None)
            if n_entries > 4:  # many lines: the legend beside the axes, not over the data
                ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0)
            else:
                ax.legend()
    return fig


# -------------------------------------------------------------------------------------------------
# the question (chapter 1): paper 1's Fig. 1A
# -------------------------------------------------------------------------------------------------


def pca_2d(points: Any, *, return_variance: bool = False):
    """The first two principal-component scores of a point cloud (a plotting helper).

    Centres the rows of ``points`` and projects them on the two leading right singular vectors
    (numpy SVD). Each component's sign is fixed so that its largest-magnitude loading is positive,
    which makes the picture deterministic. A cloud of dimension (or rank) below 2 gets zeros in
    the missing component, e.g. the one-dimensional sigmoid output of a network.

    Parameters
    ----------
    points
        ``[n, d]`` finite values, ``n ≥ 2``.
    return_variance
        Also return the fraction of the total variance carried by each of the two components.

    Returns
    -------
    numpy.ndarray
        ``[n, 2]`` scores (and, with ``return_variance``, a length-2 array of variance fractions).
    """
    try:
        x = np.asarray(points, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError("points: expected numbers") from None
    if x.ndim != 2 or x.shape[0] < 2 or x.shape[1] < 1:
        raise ValueError(f"points: expected an [n, d] array with n >= 2 and d >= 1, got shape {x.shape}")
    if not np.isfinite(x).all():
        raise ValueError("points: contains NaN or infinite values")
    centred = x - x.mean(axis=0)
    _, s, vt = np.linalg.svd(centred, full_matrices=False)
    m = min(2, vt.shape[0])
    scores = np.zeros((x.shape[0], 2))
    total = float((s**2).sum())
    var = np.zeros(2)
    for c in range(m):
        if s[c] <= 1e-12 * max(s[0], 1e-300):
            continue
        v = vt[c]
        if v[np.argmax(np.abs(v))] < 0:
            v = -v
        scores[:, c] = centred @ v
        var[c] = s[c] ** 2 / total if total > 0 else 0.0
    return (scores, var) if return_variance else scores


def _two_class_colours(levels: Sequence[Any]) -> dict[Any, Any]:
    import seaborn as sns

    pal = sns.color_palette(HOUSE_THEME["palette"])
    picks = [pal[0], pal[1], pal[2], pal[3]]
    return {lev: picks[i % len(picks)] for i, lev in enumerate(levels)}


def _labels_1d(y: Any, n: int, name: str = "y") -> np.ndarray:
    lab = np.asarray(y)
    if lab.ndim != 1 or lab.shape[0] != n:
        raise ValueError(f"{name}: expected {n} labels, got shape {lab.shape}")
    return lab


def pca_layers_figure(representations: Sequence[Any], y: Any, *, titles: Sequence[str] | None = None,
                      class_names: Mapping[Any, str] | None = None, ncols: int = 4,
                      panel_size: float = 2.6, point_size: float = 6.0):
    """Paper 1's Fig. 1A: PC1 against PC2 of one point set at every representation of a network.

    Parameters
    ----------
    representations
        ``[X^0, X^1, …]``, each ``[n, d_l]`` with the same ``n`` rows (e.g.
        :attr:`ricci_lit.networks.mlp.Representations.all`).
    y
        ``n`` class labels; points are coloured by class.
    titles
        One panel title per representation (default ``"representation l"``).
    class_names
        ``{label: name}`` for the legend.
    ncols
        Panels per row.

    Returns
    -------
    matplotlib.figure.Figure
    """
    reps = list(representations)
    if not reps:
        raise ValueError("representations is empty")
    n = np.asarray(reps[0]).shape[0] if np.asarray(reps[0]).ndim == 2 else -1
    scores = []
    for i, rep in enumerate(reps):
        arr = np.asarray(rep)
        if arr.ndim != 2 or arr.shape[0] != n:
            raise ValueError(f"representation {i}: expected shape [{n}, d], got {arr.shape}")
        scores.append(pca_2d(arr, return_variance=True))
    lab = _labels_1d(y, n)
    names = [f"representation {i}" for i in range(len(reps))] if titles is None else [str(t) for t in titles]
    if len(names) != len(reps):
        raise ValueError(f"titles has {len(names)} entries for {len(reps)} representations")
    if ncols < 1:
        raise ValueError(f"ncols must be positive, got {ncols}")
    levels = sorted(set(lab.tolist()))
    colours = _two_class_colours(levels)
    nrows, ncols = _grid_shape(len(reps), ncols)
    with house_style():
        fig, axes = _new_figure(nrows, ncols, figsize=(panel_size * ncols + 1.2, panel_size * nrows))
        for ax, title, (sc, var), rep in zip(axes.flat, names, scores, reps):
            for lev in levels:
                sel = lab == lev
                label = str(class_names.get(lev, lev)) if class_names else str(lev)
                ax.scatter(sc[sel, 0], sc[sel, 1], s=point_size, color=colours[lev], alpha=0.7,
                           linewidths=0, label=label, rasterized=True)
            dim = np.asarray(rep).shape[1]
            ax.set_title(title + (" (1-D: PC2 = 0)" if dim == 1 else ""))
            ax.set_xlabel(f"PC1 ({var[0]:.0%})")
            ax.set_ylabel(f"PC2 ({var[1]:.0%})")
            ax.set_xticks([])
            ax.set_yticks([])
        _hide_unused(axes, len(reps))
        handles, labels = axes.flat[0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="outside right upper", title="class", markerscale=3)
    return fig


# -------------------------------------------------------------------------------------------------
# the data (chapter 5)
# -------------------------------------------------------------------------------------------------


def point_clouds_figure(panels: Sequence[tuple[str, Any, Any, Any]], *, ncols: int = 3,
                        panel_size: float = 3.4, point_size: float = 5.0, elev: float = 22.0,
                        azim: float = -60.0):
    """Labelled point clouds side by side, in 3-D (three columns) or 2-D (two columns).

    Parameters
    ----------
    panels
        ``(title, X, y, class_names)`` per panel: points ``[n, 2]`` or ``[n, 3]``, ``n`` labels,
        and a ``{label: name}`` mapping or a sequence of names indexed by label (or ``None``).
    ncols
        Panels per row.
    elev, azim
        View angles of the 3-D panels.

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    panels = list(panels)
    if not panels:
        raise ValueError("panels is empty")
    if ncols < 1:
        raise ValueError(f"ncols must be positive, got {ncols}")
    prepared = []
    for item in panels:
        if len(item) != 4:
            raise ValueError("each panel must be (title, X, y, class_names)")
        title, X, y, names = item
        x = np.asarray(X, dtype=np.float64)
        if x.ndim != 2 or x.shape[1] not in (2, 3) or x.shape[0] < 1:
            raise ValueError(f"{title!r}: expected points of shape [n, 2] or [n, 3], got {x.shape}")
        if not np.isfinite(x).all():
            raise ValueError(f"{title!r}: points contain NaN or infinite values")
        prepared.append((str(title), x, _labels_1d(y, x.shape[0], f"labels of {title!r}"), names))
    nrows, ncols = _grid_shape(len(prepared), ncols)
    with house_style():
        fig = plt.figure(figsize=(panel_size * ncols, panel_size * nrows), layout="constrained")
        plt.close(fig)
        for i, (title, x, lab, names) in enumerate(prepared):
            three = x.shape[1] == 3
            ax = fig.add_subplot(nrows, ncols, i + 1, projection="3d" if three else None)
            levels = sorted(set(lab.tolist()))
            colours = _two_class_colours(levels)
            for lev in levels:
                sel = lab == lev
                if names is None:
                    label = str(lev)
                elif isinstance(names, Mapping):
                    label = str(names.get(lev, lev))
                else:
                    label = str(names[int(lev)])
                coords = [x[sel, j] for j in range(x.shape[1])]
                ax.scatter(*coords, s=point_size, color=colours[lev], alpha=0.75, linewidths=0,
                           label=label, rasterized=True)
            if three:
                ax.view_init(elev=elev, azim=azim)
                ax.set_xlabel("$x_1$", labelpad=-8)
                ax.set_ylabel("$x_2$", labelpad=-8)
                ax.set_zlabel("$x_3$", labelpad=-8)
                ax.tick_params(labelsize="x-small", pad=-2)
                ax.legend(loc="upper center", bbox_to_anchor=(0.5, 0.0), ncols=2, fontsize="small",
                          markerscale=2.5)
            else:
                ax.set_aspect("equal", adjustable="datalim")
                ax.set_xlabel("$x_1$")
                ax.set_ylabel("$x_2$")
                ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncols=2, fontsize="small",
                          markerscale=2.5)
            ax.set_title(textwrap.fill(title, max(12, int(10 * panel_size))))
    return fig


def image_grid_figure(rows: Sequence[tuple[str, Any, Sequence[str]]], *, image_size: float = 0.9,
                      shape: tuple[int, int] = (28, 28)):
    """Grey-scale images in rows, one row per named group, each image with a caption.

    Parameters
    ----------
    rows
        ``(row_title, images, captions)``: ``images`` is ``[m, h·w]`` or ``[m, h, w]`` and
        ``captions`` has ``m`` strings. Rows may have different lengths.
    shape
        ``(h, w)`` of a flattened image.

    Returns
    -------
    matplotlib.figure.Figure
    """
    rows = list(rows)
    if not rows:
        raise ValueError("rows is empty")
    prepared = []
    for item in rows:
        if len(item) != 3:
            raise ValueError("each row must be (row_title, images, captions)")
        title, images, captions = item
        imgs = np.asarray(images, dtype=np.float64)
        if imgs.ndim == 2:
            if imgs.shape[1] != shape[0] * shape[1]:
                raise ValueError(f"{title!r}: flattened images must have {shape[0] * shape[1]} values")
            imgs = imgs.reshape(-1, *shape)
        if imgs.ndim != 3 or imgs.shape[0] < 1:
            raise ValueError(f"{title!r}: expected [m, h*w] or [m, h, w] images, got {np.asarray(images).shape}")
        if not np.isfinite(imgs).all():
            raise ValueError(f"{title!r}: images contain NaN or infinite values")
        caps = [str(c) for c in captions]
        if len(caps) != imgs.shape[0]:
            raise ValueError(f"{title!r}: {len(caps)} captions for {imgs.shape[0]} images")
        prepared.append((str(title), imgs, caps))
    ncols = max(p[1].shape[0] for p in prepared)
    nrows = len(prepared)
    with house_style():
        fig, axes = _new_figure(nrows, ncols, figsize=(image_size * ncols + 0.4, (image_size + 0.45) * nrows))
        for r, (title, imgs, caps) in enumerate(prepared):
            for c in range(ncols):
                ax = axes[r, c]
                ax.grid(False)
                ax.set_xticks([])
                ax.set_yticks([])
                if c >= imgs.shape[0]:
                    ax.set_visible(False)
                    continue
                ax.imshow(imgs[c], cmap="gray_r", interpolation="nearest")
                ax.set_title(caps[c], fontsize="small", fontweight="normal")
                if c == 0:
                    ax.set_ylabel(title, rotation=0, ha="right", va="center", fontsize="small")
    return fig


# -------------------------------------------------------------------------------------------------
# the experiment (chapter 6)
# -------------------------------------------------------------------------------------------------


def accuracy_strip_figure(networks: pd.DataFrame, thresholds: Mapping[str, float], *,
                          problems: Sequence[str] | None = None,
                          architectures: Sequence[str] | None = None, ncols: int = 4,
                          panel_size: tuple[float, float] = (3.3, 3.0)):
    """Test accuracy of every network, one panel per problem and one box (with the networks as
    points) per architecture, with the problem's "well-trained" threshold as a dashed line.

    Parameters
    ----------
    networks
        Columns ``problem``, ``architecture``, ``test_accuracy`` (one row per network).
    thresholds
        ``{problem: threshold}`` for every problem drawn.
    problems, architectures
        Order of the panels and of the boxes (default: order of appearance).

    Returns
    -------
    matplotlib.figure.Figure
    """
    _require_columns(networks, {"problem", "architecture", "test_accuracy"})
    if networks.empty:
        raise ValueError("networks is empty")
    acc = networks["test_accuracy"].to_numpy(dtype=float)
    if not np.isfinite(acc).all() or ((acc < 0) | (acc > 1)).any():
        raise ValueError("test_accuracy must be finite and lie in [0, 1]")
    probs = list(dict.fromkeys(networks["problem"])) if problems is None else list(problems)
    archs = list(dict.fromkeys(networks["architecture"])) if architectures is None else list(architectures)
    missing = [p for p in probs if p not in thresholds]
    if missing:
        raise ValueError(f"no threshold for problems {missing}")
    if ncols < 1:
        raise ValueError(f"ncols must be positive, got {ncols}")
    nrows, ncols = _grid_shape(len(probs), ncols)
    with house_style():
        fig, axes = _new_figure(nrows, ncols, figsize=(panel_size[0] * ncols, panel_size[1] * nrows))
        for ax, prob in zip(axes.flat, probs):
            sub = networks[networks["problem"] == prob]
            present = [a for a in archs if a in set(sub["architecture"])]
            groups = [sub.loc[sub["architecture"] == a, "test_accuracy"].to_numpy(dtype=float) for a in present]
            if present:
                ax.boxplot(groups, positions=range(len(present)), widths=0.6, orientation="vertical",
                           showfliers=False, patch_artist=True,
                           boxprops={"facecolor": "0.92", "edgecolor": "0.4"},
                           medianprops={"color": "0.2"}, whiskerprops={"color": "0.4"},
                           capprops={"color": "0.4"})
                rng = np.random.default_rng(0)  # jitter only: the same picture every time
                for i, vals in enumerate(groups):
                    ax.scatter(i + rng.uniform(-0.22, 0.22, vals.size), vals, s=12, color="C0", alpha=0.8,
                               linewidths=0, zorder=3)
                ax.set_xticks(range(len(present)))
                ax.set_xticklabels(present)
            thr = float(thresholds[prob])
            ax.axhline(thr, color="C3", linestyle="--", linewidth=1.3, label=f"threshold {thr:.0%}")
            ax.set_title(prob)
            ax.set_xlabel("")
            ax.set_ylabel("test accuracy")
            ax.tick_params(axis="x", rotation=35, labelsize="small")
            for lab in ax.get_xticklabels():
                lab.set_ha("right")
            lo = min(float(sub["test_accuracy"].min()) if len(sub) else thr, thr)
            hi = max(float(sub["test_accuracy"].max()) if len(sub) else thr, thr)
            pad = max(0.004, 0.08 * (hi - lo))
            ax.set_ylim(lo - pad, min(1.0 + pad, hi + pad))
            ax.legend(loc="lower left", fontsize="small")
        _hide_unused(axes, len(probs))
    return fig


# -------------------------------------------------------------------------------------------------
# the results (chapter 7): paper 1's Figs. 3 and 4
# -------------------------------------------------------------------------------------------------


def coefficient_heatmap_figure(matrix: pd.DataFrame, *, best: Mapping[Any, Any] | None = None,
                               linkage: Any = None, title: str | None = None,
                               vlim: float | None = None, annotate: bool | None = None,
                               label: str = "aggregated coefficient"):
    """Paper 1's Fig. 3: a coefficient for every ``k`` (rows) and configuration (columns), on a
    diverging scale centred on zero (red negative, blue positive), the best ``k`` of each column
    boxed, and optionally the dendrogram that ordered the columns on top.

    Parameters
    ----------
    matrix
        Index: the ``k`` values (drawn top to bottom in the given order); columns: configurations.
        NaN cells (no coefficient) are drawn grey.
    best
        ``{column: k}``: the cell to box in each column (columns without a best ``k`` omitted).
    linkage
        A scipy linkage matrix computed over the columns *in the given order* (e.g. from
        :func:`ricci_lit.analysis.targets.cluster_columns`): the columns are then drawn in the
        dendrogram's leaf order, with the dendrogram above them.
    vlim
        Colour range ``[-vlim, vlim]`` (default: the largest absolute finite value).
    annotate
        Write each cell's value (default: when there are at most 150 cells).

    Returns
    -------
    matplotlib.figure.Figure
    """
    from matplotlib.colors import TwoSlopeNorm
    from matplotlib.patches import Rectangle

    if not isinstance(matrix, pd.DataFrame):
        raise ValueError("matrix must be a pandas DataFrame (k × configuration)")
    if matrix.shape[0] < 1 or matrix.shape[1] < 1:
        raise ValueError("matrix is empty")
    values = matrix.to_numpy(dtype=float)
    if np.isinf(values).any():
        raise ValueError("matrix contains infinite values")
    finite = values[np.isfinite(values)]
    if finite.size and ((finite < -1 - 1e-12) | (finite > 1 + 1e-12)).any():
        raise ValueError("matrix must hold correlations in [-1, 1]")
    cols = list(matrix.columns)
    order = list(range(len(cols)))
    dendro = None
    if linkage is not None:
        from scipy.cluster.hierarchy import dendrogram, is_valid_linkage

        Z = np.asarray(linkage, dtype=float)
        if not is_valid_linkage(Z) or Z.shape[0] != len(cols) - 1:
            raise ValueError(f"linkage must be a valid scipy linkage over the {len(cols)} columns")
        dendro = dendrogram(Z, no_plot=True)
        order = [int(i) for i in dendro["leaves"]]
    shown = values[:, order]
    shown_cols = [cols[i] for i in order]
    rows = list(matrix.index)
    if best is not None:
        unknown = [c for c in best if c not in cols]
        if unknown:
            raise ValueError(f"best names unknown columns {unknown}")
        bad = [c for c, k in best.items() if k not in rows]
        if bad:
            raise ValueError(f"best k of columns {bad} is not a row of matrix")
    v = float(vlim) if vlim is not None else (float(np.abs(finite).max()) if finite.size else 1.0)
    v = max(v, 1e-6)
    norm = TwoSlopeNorm(vcenter=0.0, vmin=-v, vmax=v)
    cmap = matplotlib.colormaps[CURVATURE_CMAP].with_extremes(bad="0.82")
    if annotate is None:
        annotate = shown.size <= 150
    width = max(3.6, 0.55 * len(cols) + 2.2)
    height = max(2.8, 0.32 * len(rows) + (1.6 if dendro is not None else 0.9))
    with house_style():
        import matplotlib.pyplot as plt

        fig = plt.figure(figsize=(width, height), layout="constrained")
        plt.close(fig)
        if dendro is not None:
            gs = fig.add_gridspec(2, 2, height_ratios=[0.22, 1.0], width_ratios=[1.0, 0.035])
            ax_d = fig.add_subplot(gs[0, 0])
            ax = fig.add_subplot(gs[1, 0])
            cax = fig.add_subplot(gs[1, 1])
            for xs, ys in zip(dendro["icoord"], dendro["dcoord"]):
                ax_d.plot((np.asarray(xs) - 5.0) / 10.0, ys, color="0.3", linewidth=1.0)
            ax_d.set_xlim(-0.5, len(cols) - 0.5)
            ax_d.set_axis_off()
        else:
            gs = fig.add_gridspec(1, 2, width_ratios=[1.0, 0.035])
            ax = fig.add_subplot(gs[0, 0])
            cax = fig.add_subplot(gs[0, 1])
        mesh = ax.imshow(np.ma.masked_invalid(shown), cmap=cmap, norm=norm, aspect="auto",
                         interpolation="nearest")
        ax.grid(False)
        ax.set_xticks(range(len(shown_cols)))
        ax.set_xticklabels([str(c) for c in shown_cols], rotation=60, ha="right", fontsize="small")
        ax.set_yticks(range(len(rows)))
        ax.set_yticklabels([str(r) for r in rows], fontsize="small")
        ax.set_ylabel("k")
        ax.set_xlim(-0.5, len(cols) - 0.5)
        if annotate:
            for i in range(shown.shape[0]):
                for j in range(shown.shape[1]):
                    val = shown[i, j]
                    if np.isfinite(val):
                        ax.text(j, i, f"{val:.2f}", ha="center", va="center", fontsize="x-small",
                                color="white" if abs(val) > 0.6 * v else "0.1")
        if best is not None:
            for c, k in best.items():
                j = shown_cols.index(c)
                i = rows.index(k)
                ax.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, edgecolor="black",
                                       linewidth=2.2, zorder=3))
        fig.colorbar(mesh, cax=cax, label=label)
        if title:
            (ax_d if dendro is not None else ax).set_title(title)
    return fig


def flow_scatter_grid_figure(panels: Sequence[Mapping[str, Any]], *, ncols: int = 4,
                             panel_size: tuple[float, float] = (3.6, 3.1)):
    """Several :func:`flow_scatter_figure` panels (paper 1's Fig. 4, one network per panel) with
    one shared legend of the layer pairs.

    Parameters
    ----------
    panels
        Mappings with keys ``ric``, ``eta``, ``rho`` and optionally ``labels`` (layer pair of each
        point) and ``title``; see :func:`flow_scatter_figure`.
    ncols
        Panels per row.

    Returns
    -------
    matplotlib.figure.Figure
    """
    panels = list(panels)
    if not panels:
        raise ValueError("panels is empty")
    if ncols < 1:
        raise ValueError(f"ncols must be positive, got {ncols}")
    for i, p in enumerate(panels):
        missing = {"ric", "eta", "rho"} - set(p)
        if missing:
            raise ValueError(f"panel {i} lacks keys {sorted(missing)}")
    nrows, ncols = _grid_shape(len(panels), ncols)
    with house_style():
        fig, axes = _new_figure(nrows, ncols, figsize=(panel_size[0] * ncols + 1.4, panel_size[1] * nrows))
        best_handles: tuple[list, list] = ([], [])
        for ax, p in zip(axes.flat, panels):
            flow_scatter_figure(p["ric"], p["eta"], p["rho"], p.get("labels"), ax=ax, title=p.get("title"))
            handles, labels = ax.get_legend_handles_labels()
            if len(labels) > len(best_handles[1]):
                best_handles = (handles, labels)
            ax.get_legend().remove()
        _hide_unused(axes, len(panels))
        fig.legend(*best_handles, loc="outside right upper", title="layer pair", fontsize="small")
    return fig


# -------------------------------------------------------------------------------------------------
# chapter 8: controls, curvature notions, layer profiles and training dynamics (paper 2)
# -------------------------------------------------------------------------------------------------


def control_coefficients_figure(networks: pd.DataFrame, *,
                                columns: Mapping[str, str] | None = None,
                                hue: str = "state", x: str = "curvature", seed: int = 0):
    """Coefficients of many networks by curvature (x) and state (colour), one panel per column:
    every network a jittered dot, the group mean a black bar, a dashed line at 0 (paper 2's
    untrained-versus-trained control, P2 §A.1.1).

    Parameters
    ----------
    networks
        One row per (network, curvature, state), e.g. the ``networks`` table of
        :func:`ricci_lit.experiments.controls.trained_vs_untrained`; must hold ``x``, ``hue`` and the columns.
    columns
        ``{column: panel title}`` (default: the global ``rho`` and the per-network ``local_mean``).
        NaN values are left out.
    hue, x
        The colour and x-axis grouping columns.
    seed
        Seed of the horizontal jitter (drawing only).

    Returns
    -------
    matplotlib.figure.Figure
    """
    if columns is None:
        columns = {"rho": "global ρ", "local_mean": "mean local ρ(x)"}
    columns = dict(columns)
    if not columns:
        raise ValueError("columns is empty")
    _require_columns(networks, {x, hue, *columns})
    if len(networks) == 0:
        raise ValueError("networks is empty")
    xs = list(dict.fromkeys(networks[x]))
    hues = list(dict.fromkeys(networks[hue]))
    rng = np.random.default_rng(seed)
    width = 0.8 / len(hues)
    with house_style():
        import matplotlib.pyplot as plt

        colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
        fig, axes = _new_figure(1, len(columns), figsize=(3.4 * len(columns) + 1.2, 3.2), sharey=True)
        for ax, (col, title) in zip(axes[0], columns.items()):
            for hi, h in enumerate(hues):
                for xi, xv in enumerate(xs):
                    v = networks.loc[(networks[x] == xv) & (networks[hue] == h), col].to_numpy(float)
                    v = v[np.isfinite(v)]
                    centre = xi - 0.4 + width * (hi + 0.5)
                    if v.size:
                        ax.scatter(centre + rng.uniform(-0.3, 0.3, v.size) * width, v, s=14,
                                   color=colours[hi % len(colours)], alpha=0.8,
                                   label=str(h) if xi == 0 else None, zorder=2)
                        ax.plot([centre - 0.4 * width, centre + 0.4 * width], [v.mean()] * 2,
                                color="black", linewidth=2, zorder=3)
            ax.axhline(0.0, color="0.4", linestyle="--", linewidth=0.8)
            ax.set_xticks(range(len(xs)))
            ax.set_xticklabels([str(v) for v in xs], rotation=20, ha="right")
            ax.set_title(title)
        axes[0, 0].set_ylabel("coefficient")
        handles, labels = axes[0, 0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="outside right upper", title=hue)
    return fig


def correlation_matrix_figure(matrix: pd.DataFrame, ax=None, *, title: str | None = None,
                              label: str = "correlation"):
    """A square correlation matrix (e.g. of curvature notions) as an annotated heat map on a
    diverging scale fixed to ``[-1, 1]``; NaN cells grey.

    Returns
    -------
    matplotlib.figure.Figure
    """
    from matplotlib.colors import TwoSlopeNorm

    if not isinstance(matrix, pd.DataFrame):
        raise ValueError("matrix must be a pandas DataFrame")
    if matrix.shape[0] < 1 or matrix.shape[0] != matrix.shape[1]:
        raise ValueError(f"matrix must be square and non-empty, got shape {matrix.shape}")
    values = matrix.to_numpy(dtype=float)
    finite = values[np.isfinite(values)]
    if np.isinf(values).any() or ((finite < -1 - 1e-12) | (finite > 1 + 1e-12)).any():
        raise ValueError("matrix must hold correlations in [-1, 1]")
    cmap = matplotlib.colormaps[CURVATURE_CMAP].with_extremes(bad="0.82")
    n = matrix.shape[0]
    with house_style():
        if ax is None:
            fig, axes = _new_figure(figsize=(1.0 * n + 2.4, 0.9 * n + 1.2))
            ax = axes[0, 0]
        else:
            fig = ax.figure
        mesh = ax.imshow(np.ma.masked_invalid(values), cmap=cmap, norm=TwoSlopeNorm(0.0, -1.0, 1.0),
                         interpolation="nearest")
        ax.grid(False)
        ax.set_xticks(range(n))
        ax.set_xticklabels([str(c) for c in matrix.columns], rotation=30, ha="right")
        ax.set_yticks(range(n))
        ax.set_yticklabels([str(c) for c in matrix.index])
        for i in range(n):
            for j in range(n):
                if np.isfinite(values[i, j]):
                    ax.text(j, i, f"{values[i, j]:.2f}", ha="center", va="center", fontsize="small",
                            color="white" if abs(values[i, j]) > 0.6 else "0.1")
        fig.colorbar(mesh, ax=ax, label=label, shrink=0.8)
        if title:
            ax.set_title(title)
    return fig


def layer_profile_figure(profile: pd.DataFrame, *, hue: str | None = None,
                         critical: Mapping[Any, Any] | None = None, threshold: float | None = None):
    """Layer coefficients ``ρ_l`` against the transition ``l`` (paper 2's Fig. 5): the mean over
    networks with ± one standard error, one line per value of ``hue``.

    Parameters
    ----------
    profile
        Columns ``transition``, ``rho_mean`` and optionally ``rho_sem`` (e.g. from
        :func:`ricci_lit.analysis.paper2.layer_profile`).
    hue
        Column naming the lines (``None``: one line).
    critical
        ``{hue value (or None): transition}``: marked with a ring (``None`` values skipped).
    threshold
        Drawn as a dotted horizontal line (the critical-layer rule's threshold).

    Returns
    -------
    matplotlib.figure.Figure
    """
    need = {"transition", "rho_mean"} | ({hue} if hue else set())
    _require_columns(profile, need)
    if len(profile) == 0:
        raise ValueError("profile is empty")
    groups = list(profile.groupby(hue, sort=False)) if hue else [(None, profile)]
    with house_style():
        fig, axes = _new_figure(figsize=(5.6, 3.4))
        ax = axes[0, 0]
        for key, grp in groups:
            grp = grp.sort_values("transition")
            t = grp["transition"].to_numpy(float)
            m = grp["rho_mean"].to_numpy(float)
            line, = ax.plot(t, m, marker="o", label=None if key is None else str(key))
            if "rho_sem" in grp:
                s = grp["rho_sem"].to_numpy(float)
                ok = np.isfinite(s)
                ax.fill_between(t[ok], (m - s)[ok], (m + s)[ok], color=line.get_color(), alpha=0.2,
                                linewidth=0)
            if critical is not None and critical.get(key) is not None:
                c = critical[key]
                row = grp[grp["transition"] == c]
                if len(row):
                    ax.scatter([c], row["rho_mean"].to_numpy(float), s=140, facecolors="none",
                               edgecolors=line.get_color(), linewidths=2, zorder=4)
        ax.axhline(0.0, color="0.4", linestyle="--", linewidth=0.8)
        if threshold is not None:
            ax.axhline(float(threshold), color="0.4", linestyle=":", linewidth=1.0)
        ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
        ax.set_xlabel("transition l → l+1")
        ax.set_ylabel("layer coefficient ρ_l")
        if hue:
            ax.legend(title=hue, fontsize="small")
    return fig


def trajectory_figure(curve: pd.DataFrame, *, value: str = "local_mean",
                      accuracies: Sequence[str] = ("train_accuracy", "test_accuracy"),
                      stop_epoch: int | None = None, value_label: str = "mean local ρ(x)"):
    """A coefficient along training (left axis) with accuracies on a twin right axis (paper 2's
    early-stopping figure, P2 §4.3); the stopping epoch as a vertical line.

    Parameters
    ----------
    curve
        One row per evaluation: ``epoch``, ``value`` and the ``accuracies`` columns (e.g. the mean
        over networks of :func:`ricci_lit.experiments.trajectory.local_coefficient_trajectory`); optional
        ``<value>_sem`` gives a ± band.

    Returns
    -------
    matplotlib.figure.Figure
    """
    _require_columns(curve, {"epoch", value, *accuracies})
    if len(curve) == 0:
        raise ValueError("curve is empty")
    c = curve.sort_values("epoch")
    e = c["epoch"].to_numpy(float)
    with house_style():
        import matplotlib.pyplot as plt

        colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
        fig, axes = _new_figure(figsize=(5.8, 3.4))
        ax = axes[0, 0]
        v = c[value].to_numpy(float)
        ax.plot(e, v, marker="o", color="black", label=value_label)
        if f"{value}_sem" in c:
            s = c[f"{value}_sem"].to_numpy(float)
            ok = np.isfinite(s)
            ax.fill_between(e[ok], (v - s)[ok], (v + s)[ok], color="black", alpha=0.15, linewidth=0)
        ax.axhline(0.0, color="0.4", linestyle="--", linewidth=0.8)
        ax.set_xlabel("epoch")
        ax.set_ylabel(value_label)
        twin = ax.twinx()
        twin.grid(False)
        for i, acc in enumerate(accuracies):
            twin.plot(e, c[acc].to_numpy(float), color=colours[i % len(colours)], linestyle="-.",
                      label=acc.replace("_", " "))
        twin.set_ylabel("accuracy")
        if stop_epoch is not None:
            ax.axvline(float(stop_epoch), color=colours[2 % len(colours)], linewidth=1.5,
                       label=f"stop (epoch {stop_epoch})")
        h1, l1 = ax.get_legend_handles_labels()
        h2, l2 = twin.get_legend_handles_labels()
        ax.legend(h1 + h2, l1 + l2, fontsize="small", loc="center right")
    return fig


def sensitivity_figure(configurations: pd.DataFrame, *, x: str = "aggregated_reference",
                       y: str = "aggregated_variant", panel: str = "variant", hue: str = "problem",
                       xlabel: str = "reference", ylabel: str = "variant", ncols: int = 3):
    """One value per configuration under two settings, the reference (x) against the variant (y),
    one panel per ``panel`` value, points coloured by ``hue``, with the diagonal: a point off the
    diagonal is a configuration whose number the setting changes (e.g. the most negative
    aggregated coefficient of :func:`ricci_lit.analysis.sensitivity.compare_tables`). Rows where either
    value is missing are left out and counted in the panel title.

    Returns
    -------
    matplotlib.figure.Figure
    """
    _require_columns(configurations, {x, y, panel, hue})
    if len(configurations) == 0:
        raise ValueError("configurations is empty")
    panels = list(dict.fromkeys(configurations[panel]))
    levels = list(dict.fromkeys(configurations[hue]))
    nrows, nc = _grid_shape(len(panels), ncols)
    with house_style():
        import matplotlib.pyplot as plt

        colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
        fig, axes = _new_figure(nrows, nc, figsize=(3.6 * nc + 1.4, 3.4 * nrows))
        for ax, name in zip(axes.flat, panels):
            sub = configurations[configurations[panel] == name]
            xv = pd.to_numeric(sub[x], errors="coerce").to_numpy(float)
            yv = pd.to_numeric(sub[y], errors="coerce").to_numpy(float)
            ok = np.isfinite(xv) & np.isfinite(yv)
            for li, level in enumerate(levels):
                m = ok & (sub[hue] == level).to_numpy()
                if m.any():
                    ax.scatter(xv[m], yv[m], s=30, color=colours[li % len(colours)], label=str(level),
                               edgecolor="white", linewidth=0.5, zorder=3)
            if ok.any():
                lo = float(min(xv[ok].min(), yv[ok].min()))
                hi = float(max(xv[ok].max(), yv[ok].max()))
                pad = 0.05 * (hi - lo or 1.0)
                ax.plot([lo - pad, hi + pad], [lo - pad, hi + pad], color="0.4", linestyle="--", linewidth=0.8)
            dropped = int((~ok).sum())
            ax.set_title(f"{name}" + (f" ({dropped} without a value)" if dropped else ""))
            ax.set_xlabel(xlabel)
            ax.set_ylabel(ylabel)
        _hide_unused(axes, len(panels))
        handles, labels = [], []
        for ax in axes.flat[: len(panels)]:
            for h, lab in zip(*ax.get_legend_handles_labels()):
                if lab not in labels:
                    handles.append(h)
                    labels.append(lab)
        if handles:
            fig.legend(handles, labels, loc="outside right upper", title=hue)
    return fig


def message_figure(message: str, *, title: str | None = None, figsize: tuple[float, float] = (6.0, 1.6)):
    """A figure that says, in words, why there is nothing to draw (e.g. a group of problems
    not yet in the rendered results), so a chapter's figure slot is never silently empty."""
    if not isinstance(message, str) or not message.strip():
        raise ValueError("message must be a non-empty string")
    with house_style():
        fig, axes = _new_figure(figsize=figsize)
        ax = axes[0, 0]
        ax.axis("off")
        ax.text(0.5, 0.5, message, ha="center", va="center", wrap=True, transform=ax.transAxes)
        if title:
            ax.set_title(title)
    return fig
