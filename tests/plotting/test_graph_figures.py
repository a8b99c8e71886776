"""Tests of :mod:`ricci_lit.plotting.graph` (Agg backend; fixtures in ``tests/plotting/conftest.py``)."""
from __future__ import annotations

import matplotlib.pyplot as plt
import networkx as nx
import numpy as np
import pandas as pd
import pytest
from figure_checks import render, visible_axes
from matplotlib.collections import LineCollection, PathCollection
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch

import ricci_lit
from ricci_lit import plotting


def test_graph_curvature_figure(barbell):
    g, pos, values = barbell
    fig = plotting.graph_curvature_figure(g, pos, values, title="barbell")
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    coloured = [c for c in ax.collections if isinstance(c, LineCollection) and c.get_array() is not None]
    assert len(coloured) == 1
    np.testing.assert_array_equal(coloured[0].get_array(), values)
    assert len(coloured[0].get_segments()) == g.n_edges
    assert any(isinstance(c, PathCollection) for c in ax.collections)  # the vertices
    assert ax.get_title() == "barbell"
    assert len(fig.axes) == 2  # plot + colour bar
    render(fig)


def test_graph_curvature_figure_accepts_array_positions_and_ax(barbell):
    g, pos, values = barbell
    arr = np.array([pos[i] for i in range(g.n)])
    with plotting.house_style():
        fig, ax = plt.subplots()
    try:
        out = plotting.graph_curvature_figure(g, arr, values, ax=ax, colorbar=False)
        assert out is fig and len(fig.axes) == 1
    finally:
        plt.close(fig)


def test_graph_curvature_figure_bad_input(barbell):
    g, pos, values = barbell
    with pytest.raises(ValueError, match="edge_values"):
        plotting.graph_curvature_figure(g, pos, values[:-1])
    with pytest.raises(ValueError, match="NaN"):
        plotting.graph_curvature_figure(g, pos, np.full(values.shape, np.nan))
    with pytest.raises(ValueError, match="positions"):
        plotting.graph_curvature_figure(g, np.zeros((g.n, 3)), values)
    with pytest.raises(ValueError, match="positions"):
        plotting.graph_curvature_figure(g, {0: (0, 0)}, values)
    with pytest.raises(ValueError, match="graph"):
        plotting.graph_curvature_figure("not a graph", pos, values)


def test_curvature_gallery_figure(barbell):
    g, pos, values = barbell
    cyc = ricci_lit.graph_from_adjacency(nx.cycle_graph(5))
    panels = [("barbell", g, pos, values),
              ("cycle", cyc, nx.circular_layout(nx.cycle_graph(5)), ricci_lit.edge_curvature(cyc))]
    fig = plotting.curvature_gallery_figure(panels, ncols=2)
    assert isinstance(fig, Figure)
    titles = [ax.get_title() for ax in visible_axes(fig)]
    assert titles[:2] == ["barbell", "cycle"]
    assert len(visible_axes(fig)) == 3  # two panels and one shared colour bar
    norms = {id(c.norm) for ax in fig.axes[:2] for c in ax.collections
             if isinstance(c, LineCollection) and c.get_array() is not None}
    assert len(norms) == 1  # one shared scale
    fig3 = plotting.curvature_gallery_figure(panels * 2, ncols=3)  # 4 panels in a 2 x 3 grid
    assert len(visible_axes(fig3)) == 5
    render(fig3)


def test_curvature_gallery_figure_bad_input(barbell):
    g, pos, values = barbell
    with pytest.raises(ValueError, match="empty"):
        plotting.curvature_gallery_figure([])
    with pytest.raises(ValueError):
        plotting.curvature_gallery_figure([("x", g, pos)])
    with pytest.raises(ValueError, match="values"):
        plotting.curvature_gallery_figure([("x", g, pos, values[:2])])
    with pytest.raises(ValueError, match="ncols"):
        plotting.curvature_gallery_figure([("x", g, pos, values)], ncols=0)


def test_knn_graph_figure_union_and_r_compat(lattice):
    pts, union, rcompat = lattice
    fig = plotting.knn_graph_figure(pts, union, title="union")
    ax = fig.axes[0]
    lines = [c for c in ax.collections if isinstance(c, LineCollection)]
    assert len(lines) == 1 and len(lines[0].get_segments()) == union.n_edges
    assert len(ax.texts) == union.n  # vertex labels
    fig_r = plotting.knn_graph_figure(pts, rcompat, show_labels=False)
    arrows = [p for p in fig_r.axes[0].patches if isinstance(p, FancyArrowPatch)]
    assert len(arrows) == rcompat.n_edges
    assert not fig_r.axes[0].texts
    render(fig_r)


def test_knn_modes_figure(lattice):
    pts, union, rcompat = lattice
    fig = plotting.knn_modes_figure(pts, {"union": union, "r-compat": rcompat})
    assert [ax.get_title() for ax in fig.axes[:2]] == ["union", "r-compat"]
    scatters = [c for ax in fig.axes[:2] for c in ax.collections if isinstance(c, PathCollection)]
    assert len(scatters) == 2 and scatters[0].norm is scatters[1].norm
    assert scatters[0].norm.vmax == max(union.degree.max(), rcompat.degree.max())
    render(fig)


def test_knn_figures_bad_input(lattice):
    pts, union, rcompat = lattice
    with pytest.raises(ValueError, match="empty"):
        plotting.knn_modes_figure(pts, {})
    with pytest.raises(ValueError, match="positions"):
        plotting.knn_graph_figure(pts[:3], union)
    other = ricci_lit.knn_graph(np.arange(10.0), 2)
    with pytest.raises(ValueError, match="different numbers of vertices"):
        plotting.knn_modes_figure(pts, {"a": union, "b": other})


def test_degree_distribution_figure():
    fig = plotting.degree_distribution_figure({"union": [2, 2, 3, 5], "r-compat": [4, 4, 9, 12]}, k=2)
    ax = fig.axes[0]
    assert ax.get_yscale() == "log"
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["union", "r-compat", "k = 2"]
    assert len(ax.patches) == 2  # one step histogram per graph
    with pytest.raises(ValueError, match="empty"):
        plotting.degree_distribution_figure({})
    with pytest.raises(ValueError, match="empty"):
        plotting.degree_distribution_figure({"a": []})
    with pytest.raises(ValueError):
        plotting.degree_distribution_figure({"a": [1.0, np.nan]})


def test_connectivity_figure():
    df = pd.DataFrame({"k": [1, 2, 4, 1, 2, 4], "fraction_connected": [0, 0.5, 1, 0, 0, 1],
                       "mean_components": [9, 2, 1, 12, 3, 1], "cloud": list("aaabbb")})
    fig = plotting.connectivity_figure(df, hue="cloud")
    assert len(fig.axes) == 2
    assert all(len(ax.get_lines()) == 2 for ax in fig.axes)
    assert fig.axes[0].get_xscale() == "log"
    single = plotting.connectivity_figure(df[df.cloud == "a"])
    assert all(len(ax.get_lines()) == 1 for ax in single.axes)
    render(fig)
    with pytest.raises(ValueError, match="missing columns"):
        plotting.connectivity_figure(df.drop(columns="mean_components"))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        plotting.connectivity_figure(df.assign(fraction_connected=2.0))
    with pytest.raises(ValueError, match="empty"):
        plotting.connectivity_figure(df.iloc[:0])
    with pytest.raises(ValueError):
        plotting.connectivity_figure("not a frame")


def test_curvature_comparison_figure():
    rng = np.random.default_rng(0)
    a = rng.normal(size=50)
    df = pd.DataFrame({"forman": a, "ollivier": a + rng.normal(size=50), "other": rng.normal(size=50)})
    fig = plotting.curvature_comparison_figure(df, max_points=20)
    assert len(fig.axes) == 9
    scat = [c for c in fig.axes[3].collections if isinstance(c, PathCollection)]  # row 1, col 0
    assert len(scat) == 1 and len(scat[0].get_offsets()) == 20  # subsampled
    texts = [t.get_text() for t in fig.axes[1].texts]  # row 0, col 1: the correlation
    r = np.corrcoef(df["forman"], df["ollivier"])[0, 1]
    assert texts and f"r = {r:.2f}" in texts[0]
    assert fig.axes[6].get_xlabel() == "forman" and fig.axes[6].get_ylabel() == "other"
    render(fig)


def test_curvature_comparison_figure_bad_input():
    with pytest.raises(ValueError):
        plotting.curvature_comparison_figure(pd.DataFrame({"a": [1.0, 2.0]}))
    with pytest.raises(ValueError):
        plotting.curvature_comparison_figure(pd.DataFrame({"a": [1.0], "b": [2.0]}))
    with pytest.raises(ValueError, match="NaN"):
        plotting.curvature_comparison_figure(pd.DataFrame({"a": [1.0, np.nan], "b": [2.0, 3.0]}))
    with pytest.raises(ValueError):
        plotting.curvature_comparison_figure(np.zeros((3, 2)))
