"""Tests of the house plotting module :mod:`ricci_lit.plotting.figures` (non-interactive Agg backend).

Each figure function must return a ``matplotlib.figure.Figure`` with the expected axes and
artists on tiny data, raise ``ValueError`` on bad input, leave no figure open in pyplot and leave
``rcParams`` as it found them.
"""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import networkx as nx  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.collections import LineCollection, PathCollection  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.patches import FancyArrowPatch  # noqa: E402

import ricci_lit  # noqa: E402
from ricci_lit.plotting import figures  # noqa: E402


@pytest.fixture(autouse=True)
def _no_leaks():
    """Every test must leave pyplot without open figures and rcParams unchanged."""
    before = plt.get_fignums()
    rc = dict(matplotlib.rcParams)
    yield
    assert plt.get_fignums() == before
    changed = [k for k, v in matplotlib.rcParams.items() if k in rc and rc[k] != v]
    assert not changed, f"rcParams changed: {changed[:5]}"
    plt.close("all")


@pytest.fixture
def barbell():
    G = nx.barbell_graph(4, 0)
    g = ricci_lit.graph_from_adjacency(G)
    pos = nx.spring_layout(G, seed=0)
    return g, pos, ricci_lit.edge_curvature(g, "forman")


@pytest.fixture
def lattice():
    pts = np.array([[0, 0], [1, 0], [0, 1], [1, 1], [2, 1], [2, 2]], dtype=float)
    return pts, ricci_lit.knn_graph(pts, 2), ricci_lit.knn_graph(pts, 2, mode="r-compat")


def _visible_axes(fig):
    return [ax for ax in fig.axes if ax.get_visible()]


def _render(fig):
    fig.canvas.draw()  # every figure must actually render


# ---------------------------------------------------------------------------------------------
# style
# ---------------------------------------------------------------------------------------------


def test_house_style_applies_and_restores():
    before = matplotlib.rcParams["axes.grid"], matplotlib.rcParams["savefig.bbox"]
    with figures.house_style():
        assert matplotlib.rcParams["axes.grid"] is True  # seaborn whitegrid
        assert matplotlib.rcParams["savefig.bbox"] == "tight"
    assert (matplotlib.rcParams["axes.grid"], matplotlib.rcParams["savefig.bbox"]) == before


def test_house_style_rejects_unknown_keys():
    with pytest.raises(ValueError, match="unknown theme keys"):
        with figures.house_style(colour="red"):
            pass
    with pytest.raises(ValueError, match="unknown theme keys"):
        figures.set_theme(colour="red")


def test_set_theme_changes_rcparams_globally():
    with matplotlib.rc_context():
        figures.set_theme(style="ticks")
        assert matplotlib.rcParams["axes.grid"] is False
        assert matplotlib.rcParams["savefig.bbox"] == "tight"


def test_theme_is_read_only():
    with pytest.raises(TypeError):
        figures.HOUSE_THEME["style"] = "dark"  # type: ignore[index]


def test_curvature_norm_is_centred_on_zero():
    from matplotlib.colors import TwoSlopeNorm

    norm = figures.curvature_norm(np.array([-6.0, 2.0]))
    assert isinstance(norm, TwoSlopeNorm) and norm.vcenter == 0.0
    one_signed = figures.curvature_norm(np.array([-6.0, -2.0]))
    assert one_signed.vmin == -6.0 and one_signed.vmax == 6.0
    constant = figures.curvature_norm(np.array([0.0, 0.0]))
    assert constant.vmin < 0 < constant.vmax
    with pytest.raises(ValueError):
        figures.curvature_norm(np.array([0.0]), vmin=1.0, vmax=0.0)


# ---------------------------------------------------------------------------------------------
# graphs coloured by curvature
# ---------------------------------------------------------------------------------------------


def test_graph_curvature_figure(barbell):
    g, pos, values = barbell
    fig = figures.graph_curvature_figure(g, pos, values, title="barbell")
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    coloured = [c for c in ax.collections if isinstance(c, LineCollection) and c.get_array() is not None]
    assert len(coloured) == 1
    np.testing.assert_array_equal(coloured[0].get_array(), values)
    assert len(coloured[0].get_segments()) == g.n_edges
    assert any(isinstance(c, PathCollection) for c in ax.collections)  # the vertices
    assert ax.get_title() == "barbell"
    assert len(fig.axes) == 2  # plot + colour bar
    _render(fig)


def test_graph_curvature_figure_accepts_array_positions_and_ax(barbell):
    g, pos, values = barbell
    arr = np.array([pos[i] for i in range(g.n)])
    with figures.house_style():
        fig, ax = plt.subplots()
    try:
        out = figures.graph_curvature_figure(g, arr, values, ax=ax, colorbar=False)
        assert out is fig and len(fig.axes) == 1
    finally:
        plt.close(fig)


def test_graph_curvature_figure_bad_input(barbell):
    g, pos, values = barbell
    with pytest.raises(ValueError, match="edge_values"):
        figures.graph_curvature_figure(g, pos, values[:-1])
    with pytest.raises(ValueError, match="NaN"):
        figures.graph_curvature_figure(g, pos, np.full(values.shape, np.nan))
    with pytest.raises(ValueError, match="positions"):
        figures.graph_curvature_figure(g, np.zeros((g.n, 3)), values)
    with pytest.raises(ValueError, match="positions"):
        figures.graph_curvature_figure(g, {0: (0, 0)}, values)
    with pytest.raises(ValueError, match="graph"):
        figures.graph_curvature_figure("not a graph", pos, values)


def test_curvature_gallery_figure(barbell):
    g, pos, values = barbell
    cyc = ricci_lit.graph_from_adjacency(nx.cycle_graph(5))
    panels = [("barbell", g, pos, values),
              ("cycle", cyc, nx.circular_layout(nx.cycle_graph(5)), ricci_lit.edge_curvature(cyc))]
    fig = figures.curvature_gallery_figure(panels, ncols=2)
    assert isinstance(fig, Figure)
    titles = [ax.get_title() for ax in _visible_axes(fig)]
    assert titles[:2] == ["barbell", "cycle"]
    assert len(_visible_axes(fig)) == 3  # two panels and one shared colour bar
    norms = {id(c.norm) for ax in fig.axes[:2] for c in ax.collections
             if isinstance(c, LineCollection) and c.get_array() is not None}
    assert len(norms) == 1  # one shared scale
    fig3 = figures.curvature_gallery_figure(panels * 2, ncols=3)  # 4 panels in a 2 x 3 grid
    assert len(_visible_axes(fig3)) == 5
    _render(fig3)


def test_curvature_gallery_figure_bad_input(barbell):
    g, pos, values = barbell
    with pytest.raises(ValueError, match="empty"):
        figures.curvature_gallery_figure([])
    with pytest.raises(ValueError):
        figures.curvature_gallery_figure([("x", g, pos)])
    with pytest.raises(ValueError, match="values"):
        figures.curvature_gallery_figure([("x", g, pos, values[:2])])
    with pytest.raises(ValueError, match="ncols"):
        figures.curvature_gallery_figure([("x", g, pos, values)], ncols=0)


# ---------------------------------------------------------------------------------------------
# kNN graphs
# ---------------------------------------------------------------------------------------------


def test_knn_graph_figure_union_and_r_compat(lattice):
    pts, union, rcompat = lattice
    fig = figures.knn_graph_figure(pts, union, title="union")
    ax = fig.axes[0]
    lines = [c for c in ax.collections if isinstance(c, LineCollection)]
    assert len(lines) == 1 and len(lines[0].get_segments()) == union.n_edges
    assert len(ax.texts) == union.n  # vertex labels
    fig_r = figures.knn_graph_figure(pts, rcompat, show_labels=False)
    arrows = [p for p in fig_r.axes[0].patches if isinstance(p, FancyArrowPatch)]
    assert len(arrows) == rcompat.n_edges
    assert not fig_r.axes[0].texts
    _render(fig_r)


def test_knn_modes_figure(lattice):
    pts, union, rcompat = lattice
    fig = figures.knn_modes_figure(pts, {"union": union, "r-compat": rcompat})
    assert [ax.get_title() for ax in fig.axes[:2]] == ["union", "r-compat"]
    scatters = [c for ax in fig.axes[:2] for c in ax.collections if isinstance(c, PathCollection)]
    assert len(scatters) == 2 and scatters[0].norm is scatters[1].norm
    assert scatters[0].norm.vmax == max(union.degree.max(), rcompat.degree.max())
    _render(fig)


def test_knn_figures_bad_input(lattice):
    pts, union, rcompat = lattice
    with pytest.raises(ValueError, match="empty"):
        figures.knn_modes_figure(pts, {})
    with pytest.raises(ValueError, match="positions"):
        figures.knn_graph_figure(pts[:3], union)
    other = ricci_lit.knn_graph(np.arange(10.0), 2)
    with pytest.raises(ValueError, match="different numbers of vertices"):
        figures.knn_modes_figure(pts, {"a": union, "b": other})


def test_degree_distribution_figure():
    fig = figures.degree_distribution_figure({"union": [2, 2, 3, 5], "r-compat": [4, 4, 9, 12]}, k=2)
    ax = fig.axes[0]
    assert ax.get_yscale() == "log"
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["union", "r-compat", "k = 2"]
    assert len(ax.patches) == 2  # one step histogram per graph
    with pytest.raises(ValueError, match="empty"):
        figures.degree_distribution_figure({})
    with pytest.raises(ValueError, match="empty"):
        figures.degree_distribution_figure({"a": []})
    with pytest.raises(ValueError):
        figures.degree_distribution_figure({"a": [1.0, np.nan]})


def test_connectivity_figure():
    df = pd.DataFrame({"k": [1, 2, 4, 1, 2, 4], "fraction_connected": [0, 0.5, 1, 0, 0, 1],
                       "mean_components": [9, 2, 1, 12, 3, 1], "cloud": list("aaabbb")})
    fig = figures.connectivity_figure(df, hue="cloud")
    assert len(fig.axes) == 2
    assert all(len(ax.get_lines()) == 2 for ax in fig.axes)
    assert fig.axes[0].get_xscale() == "log"
    single = figures.connectivity_figure(df[df.cloud == "a"])
    assert all(len(ax.get_lines()) == 1 for ax in single.axes)
    _render(fig)
    with pytest.raises(ValueError, match="missing columns"):
        figures.connectivity_figure(df.drop(columns="mean_components"))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        figures.connectivity_figure(df.assign(fraction_connected=2.0))
    with pytest.raises(ValueError, match="empty"):
        figures.connectivity_figure(df.iloc[:0])
    with pytest.raises(ValueError):
        figures.connectivity_figure("not a frame")


# ---------------------------------------------------------------------------------------------
# comparing curvatures
# ---------------------------------------------------------------------------------------------


def test_curvature_comparison_figure():
    rng = np.random.default_rng(0)
    a = rng.normal(size=50)
    df = pd.DataFrame({"forman": a, "ollivier": a + rng.normal(size=50), "other": rng.normal(size=50)})
    fig = figures.curvature_comparison_figure(df, max_points=20)
    assert len(fig.axes) == 9
    scat = [c for c in fig.axes[3].collections if isinstance(c, PathCollection)]  # row 1, col 0
    assert len(scat) == 1 and len(scat[0].get_offsets()) == 20  # subsampled
    texts = [t.get_text() for t in fig.axes[1].texts]  # row 0, col 1: the correlation
    r = np.corrcoef(df["forman"], df["ollivier"])[0, 1]
    assert texts and f"r = {r:.2f}" in texts[0]
    assert fig.axes[6].get_xlabel() == "forman" and fig.axes[6].get_ylabel() == "other"
    _render(fig)


def test_curvature_comparison_figure_bad_input():
    with pytest.raises(ValueError):
        figures.curvature_comparison_figure(pd.DataFrame({"a": [1.0, 2.0]}))
    with pytest.raises(ValueError):
        figures.curvature_comparison_figure(pd.DataFrame({"a": [1.0], "b": [2.0]}))
    with pytest.raises(ValueError, match="NaN"):
        figures.curvature_comparison_figure(pd.DataFrame({"a": [1.0, np.nan], "b": [2.0, 3.0]}))
    with pytest.raises(ValueError):
        figures.curvature_comparison_figure(np.zeros((3, 2)))


# ---------------------------------------------------------------------------------------------
# global Ricci flow
# ---------------------------------------------------------------------------------------------


def _totals_frame():
    rows = []
    for net in range(3):
        for layer in range(1, 6):
            rows.append({"network": net, "layer": layer, "ric": -100.0 * layer - net,
                         "g": 1e4 + 50.0 * layer if not (net == 2 and layer == 3) else np.inf})
    return pd.DataFrame(rows)


def test_layer_totals_figure():
    df = _totals_frame()
    fig = figures.layer_totals_figure(df[df.network == 0])
    assert len(fig.axes) == 2
    assert [len(ax.get_lines()) for ax in fig.axes] == [1, 1]
    np.testing.assert_array_equal(fig.axes[0].get_lines()[0].get_ydata(), df[df.network == 0]["ric"])
    multi = figures.layer_totals_figure(df, network="network", highlight=1)
    assert [len(ax.get_lines()) for ax in multi.axes] == [3, 3]
    # the disconnected layer (g = inf) of network 2 is left out of the g panel
    assert sorted(len(line.get_xdata()) for line in multi.axes[1].get_lines()) == [4, 5, 5]
    assert [t.get_text() for t in multi.axes[0].get_legend().get_texts()] == ["network 1"]
    _render(multi)


def test_layer_totals_figure_bad_input():
    df = _totals_frame()
    with pytest.raises(ValueError, match="missing columns"):
        figures.layer_totals_figure(df.drop(columns="g"))
    with pytest.raises(ValueError, match="missing columns"):
        figures.layer_totals_figure(df, network="seed")
    with pytest.raises(ValueError, match="empty"):
        figures.layer_totals_figure(df.iloc[:0])


def test_flow_scatter_figure():
    ric = np.array([-5.0, -4.0, -3.0, -2.0, -5.5, -4.2])
    eta = np.array([1.0, 2.0, 3.0, 4.0, 1.1, 2.2])
    labels = ["1→2", "2→3", "3→4", "4→5"] + ["1→2", "2→3"]
    fig = figures.flow_scatter_figure(ric, eta, -0.91, labels, title="example")
    ax = fig.axes[0]
    points = [c for c in ax.collections if isinstance(c, PathCollection)]
    assert len(points) == 4  # one scatter per layer pair
    assert sum(len(p.get_offsets()) for p in points) == 6
    assert len(ax.get_lines()) == 1  # the least-squares line
    assert any("ρ = -0.91" in t.get_text() for t in ax.texts)
    assert len(ax.get_legend().get_texts()) == 5
    undefined = figures.flow_scatter_figure(ric[:2], eta[:2], None)
    assert any("undefined" in t.get_text() for t in undefined.axes[0].texts)
    _render(fig)


def test_flow_scatter_figure_bad_input():
    with pytest.raises(ValueError, match="length"):
        figures.flow_scatter_figure([1.0, 2.0], [1.0, 2.0, 3.0], 0.1)
    with pytest.raises(ValueError, match="two points"):
        figures.flow_scatter_figure([1.0], [1.0], 0.1)
    with pytest.raises(ValueError, match="NaN"):
        figures.flow_scatter_figure([1.0, np.nan], [1.0, 2.0], 0.1)
    with pytest.raises(ValueError, match="rho"):
        figures.flow_scatter_figure([1.0, 2.0], [1.0, 2.0], 1.5)
    with pytest.raises(ValueError, match="pair_labels"):
        figures.flow_scatter_figure([1.0, 2.0], [1.0, 2.0], 0.1, ["a"])


def test_local_histogram_figure():
    rho = np.array([-0.9, -0.5, -0.4, 0.2, np.nan, np.nan])
    fig = figures.local_histogram_figure(rho, title="local")
    ax = fig.axes[0]
    assert sum(p.get_height() for p in ax.patches) == 4  # NaNs are not drawn
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels[0] == "4 points (2 undefined)"
    assert labels[1] == f"mean {np.nanmean(rho):.2f}"
    assert ax.get_title() == "local"
    _render(fig)
    with pytest.raises(ValueError, match="no finite"):
        figures.local_histogram_figure([np.nan, np.nan])
    with pytest.raises(ValueError, match=r"\[-1, 1\]"):
        figures.local_histogram_figure([0.5, 2.0])
    with pytest.raises(ValueError, match="infinite"):
        figures.local_histogram_figure([0.5, np.inf])


def test_coefficient_by_k_figure():
    df = pd.DataFrame({"k": [6, 10, 30, 6, 10, 30], "rho": [-0.2, -0.6, np.nan, 0.1, -0.3, -0.4],
                       "arch": list("aaabbb")})
    fig = figures.coefficient_by_k_figure(df, hue="arch", best=10)
    ax = fig.axes[0]
    assert ax.get_xscale() == "log"
    assert len(ax.get_lines()) == 4  # two series, the zero line and the chosen k
    assert "chosen k = 10" in [t.get_text() for t in ax.get_legend().get_texts()]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["6", "10", "30"]  # the k values, not 10^x
    plain = figures.coefficient_by_k_figure(df[df.arch == "a"])
    assert plain.axes[0].get_legend() is None
    many = pd.concat([df.assign(arch=f"line {i}") for i in range(6)])
    fig_many = figures.coefficient_by_k_figure(many, hue="arch")
    fig_many.canvas.draw()
    leg, ax_many = fig_many.axes[0].get_legend(), fig_many.axes[0]
    assert len(leg.get_texts()) == 6
    assert leg.get_window_extent().x0 >= ax_many.get_window_extent().x1  # beside the axes, not over the data
    fig.canvas.draw()
    assert ax.get_legend().get_window_extent().x1 <= ax.get_window_extent().x1  # few lines: inside
    _render(fig)
    with pytest.raises(ValueError, match="missing columns"):
        figures.coefficient_by_k_figure(df, y="z")
    with pytest.raises(ValueError, match="no finite"):
        figures.coefficient_by_k_figure(df.assign(rho=np.nan))
    with pytest.raises(ValueError, match=r"\[-1, 1\]"):
        figures.coefficient_by_k_figure(df.assign(rho=3.0))


def test_every_public_function_is_tested():
    tested = {
        "house_style", "set_theme", "curvature_norm", "graph_curvature_figure",
        "curvature_gallery_figure", "knn_graph_figure", "knn_modes_figure",
        "degree_distribution_figure", "connectivity_figure", "curvature_comparison_figure",
        "layer_totals_figure", "flow_scatter_figure", "local_histogram_figure",
        "coefficient_by_k_figure", "pca_2d", "pca_layers_figure", "point_clouds_figure",
        "image_grid_figure", "accuracy_strip_figure", "coefficient_heatmap_figure",
        "flow_scatter_grid_figure", "control_coefficients_figure", "correlation_matrix_figure",
        "layer_profile_figure", "trajectory_figure", "message_figure", "sensitivity_figure",
    }
    functions = {name for name in figures.__all__ if callable(getattr(figures, name))}
    assert functions <= tested, f"untested figure functions: {sorted(functions - tested)}"


# ---------------------------------------------------------------------------------------------
# chapters 1 and 5-7: Fig. 1A, the data, the experiment, Figs. 3 and 4
# ---------------------------------------------------------------------------------------------


def test_pca_2d():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 5)) * np.array([5.0, 2.0, 0.5, 0.1, 0.1])
    scores, var = figures.pca_2d(x, return_variance=True)
    assert scores.shape == (200, 2)
    np.testing.assert_allclose(scores.mean(axis=0), 0.0, atol=1e-10)
    assert var[0] > var[1] > 0 and var.sum() <= 1.0
    # the same as the SVD of the centred data, up to the sign fixed by the largest loading
    c = x - x.mean(axis=0)
    u, sv, vt = np.linalg.svd(c, full_matrices=False)
    np.testing.assert_allclose(np.abs(scores), np.abs(c @ vt[:2].T), atol=1e-10)
    np.testing.assert_allclose(figures.pca_2d(-x) * 1.0, -figures.pca_2d(x) * 1.0, atol=1e-10)
    one = figures.pca_2d(np.arange(6.0)[:, None])
    assert one.shape == (6, 2) and np.all(one[:, 1] == 0)
    with pytest.raises(ValueError, match="shape"):
        figures.pca_2d(np.zeros(5))
    with pytest.raises(ValueError, match="NaN"):
        figures.pca_2d([[0.0, 1.0], [np.nan, 2.0]])


def test_pca_layers_figure():
    rng = np.random.default_rng(1)
    reps = [rng.normal(size=(30, 3)), rng.normal(size=(30, 8)), rng.normal(size=(30, 1))]
    y = np.arange(30) % 2
    fig = figures.pca_layers_figure(reps, y, titles=["input", "hidden 1", "output"],
                                    class_names={0: "sheet 0", 1: "sheet 1"}, ncols=2)
    visible = _visible_axes(fig)
    assert len(visible) == 3 and len(fig.axes) == 4
    assert visible[2].get_title() == "output (1-D: PC2 = 0)"
    assert all(len([c for c in ax.collections if isinstance(c, PathCollection)]) == 2 for ax in visible)
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["sheet 0", "sheet 1"]
    _render(fig)
    with pytest.raises(ValueError, match="empty"):
        figures.pca_layers_figure([], y)
    with pytest.raises(ValueError, match="representation 1"):
        figures.pca_layers_figure([reps[0], reps[1][:10]], y)
    with pytest.raises(ValueError, match="labels"):
        figures.pca_layers_figure(reps, y[:5])
    with pytest.raises(ValueError, match="titles"):
        figures.pca_layers_figure(reps, y, titles=["a"])


def test_point_clouds_figure():
    rng = np.random.default_rng(2)
    x3, x2 = rng.normal(size=(40, 3)), rng.normal(size=(40, 2))
    y = np.arange(40) % 2
    fig = figures.point_clouds_figure([("A", x3, y, ("sheet 0", "sheet 1")), ("syn", x2, y, None)], ncols=2)
    assert len(fig.axes) == 2
    assert fig.axes[0].name == "3d" and fig.axes[1].name == "rectilinear"
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == ["sheet 0", "sheet 1"]
    assert fig.axes[0].get_title() == "A"
    _render(fig)
    with pytest.raises(ValueError, match="empty"):
        figures.point_clouds_figure([])
    with pytest.raises(ValueError, match="shape"):
        figures.point_clouds_figure([("bad", rng.normal(size=(5, 4)), y[:5], None)])
    with pytest.raises(ValueError, match="labels"):
        figures.point_clouds_figure([("bad", x3, y[:5], None)])


def test_image_grid_figure():
    imgs = np.arange(3 * 784, dtype=float).reshape(3, 784)
    fig = figures.image_grid_figure([("MNIST 1v7", imgs, ["1", "1", "7"]), ("short", imgs[:1], ["x"])])
    visible = _visible_axes(fig)
    assert len(fig.axes) == 6 and len(visible) == 4
    assert all(len(ax.images) == 1 for ax in visible)
    assert fig.axes[0].get_ylabel() == "MNIST 1v7" and fig.axes[2].get_title() == "7"
    _render(fig)
    with pytest.raises(ValueError, match="captions"):
        figures.image_grid_figure([("r", imgs, ["a"])])
    with pytest.raises(ValueError, match="784"):
        figures.image_grid_figure([("r", np.zeros((2, 10)), ["a", "b"])])
    with pytest.raises(ValueError, match="empty"):
        figures.image_grid_figure([])


def test_accuracy_strip_figure():
    nets = pd.DataFrame({"problem": ["A"] * 4 + ["C"] * 2,
                         "architecture": ["n", "n", "w", "w", "n", "n"],
                         "test_accuracy": [0.995, 0.98, 1.0, 0.999, 0.92, 0.90]})
    fig = figures.accuracy_strip_figure(nets, {"A": 0.99, "C": 0.91}, ncols=2)
    assert len(_visible_axes(fig)) == 2
    ax = fig.axes[0]
    assert ax.get_title() == "A"
    thr = [line for line in ax.get_lines() if list(line.get_ydata()) == [0.99, 0.99]]
    assert len(thr) == 1
    assert "threshold 99%" in [t.get_text() for t in ax.get_legend().get_texts()]
    _render(fig)
    with pytest.raises(ValueError, match="threshold"):
        figures.accuracy_strip_figure(nets, {"A": 0.99})
    with pytest.raises(ValueError, match="missing columns"):
        figures.accuracy_strip_figure(nets.drop(columns="test_accuracy"), {"A": 0.99, "C": 0.91})
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        figures.accuracy_strip_figure(nets.assign(test_accuracy=1.5), {"A": 0.99, "C": 0.91})


def test_coefficient_heatmap_figure():
    from matplotlib.patches import Rectangle

    from ricci_lit.analysis.targets import cluster_columns

    m = pd.DataFrame({"A · n": [-0.5, -0.2, np.nan], "B · w": [0.4, 0.5, 0.6], "A · w": [-0.6, -0.1, 0.0]},
                     index=pd.Index([6, 10, 30], name="k"))
    clus = cluster_columns(m)
    fig = figures.coefficient_heatmap_figure(m, best={"A · n": 6, "A · w": 6}, linkage=clus.linkage,
                                             title="synthetic")
    heat = [ax for ax in fig.axes if ax.images][0]
    shown = [t.get_text() for t in heat.get_xticklabels()]
    assert shown == clus.order  # columns drawn in the dendrogram's leaf order
    assert [t.get_text() for t in heat.get_yticklabels()] == ["6", "10", "30"]
    boxes = [p for p in heat.patches if isinstance(p, Rectangle) and not p.get_fill()]
    assert len(boxes) == 2
    data = heat.images[0].get_array()
    assert data.mask.sum() == 1  # the NaN cell is masked (drawn grey)
    norm = heat.images[0].norm
    assert norm.vmin == -norm.vmax and norm.vcenter == 0.0
    assert any(t.get_text() == "-0.50" for t in heat.texts)
    plain = figures.coefficient_heatmap_figure(m[["A · n"]], annotate=False)
    assert not [ax for ax in plain.axes if ax.images][0].texts
    _render(fig)
    with pytest.raises(ValueError, match="empty"):
        figures.coefficient_heatmap_figure(m.iloc[:0])
    with pytest.raises(ValueError, match="unknown columns"):
        figures.coefficient_heatmap_figure(m, best={"C · x": 6})
    with pytest.raises(ValueError, match="not a row"):
        figures.coefficient_heatmap_figure(m, best={"A · n": 7})
    with pytest.raises(ValueError, match="linkage"):
        figures.coefficient_heatmap_figure(m, linkage=np.zeros((1, 4)))
    with pytest.raises(ValueError, match=r"\[-1, 1\]"):
        figures.coefficient_heatmap_figure(m * 3)


def test_flow_scatter_grid_figure():
    ric = np.array([-5.0, -4.0, -3.0, -2.0])
    eta = np.array([4.0, 3.0, 2.0, 1.0])
    panels = [{"ric": ric, "eta": eta, "rho": -1.0, "labels": ["1→2", "2→3", "3→4", "4→5"], "title": "A"},
              {"ric": ric[:3], "eta": eta[:3], "rho": None, "title": "B"},
              {"ric": ric, "eta": eta, "rho": -0.5}]
    fig = figures.flow_scatter_grid_figure(panels, ncols=2)
    visible = _visible_axes(fig)
    assert len(visible) == 3 and len(fig.axes) == 4
    assert all(ax.get_legend() is None for ax in visible)
    assert len(fig.legends) == 1 and len(fig.legends[0].get_texts()) == 5  # four pairs + the line
    assert visible[0].get_title() == "A"
    assert any("undefined" in t.get_text() for t in visible[1].texts)
    _render(fig)
    with pytest.raises(ValueError, match="empty"):
        figures.flow_scatter_grid_figure([])
    with pytest.raises(ValueError, match="lacks keys"):
        figures.flow_scatter_grid_figure([{"ric": ric}])


# ---------------------------------------------------------------------------------------------
# chapter 8: controls, curvature notions, layer profiles, training dynamics
# ---------------------------------------------------------------------------------------------


def test_control_coefficients_figure():
    nets = pd.DataFrame({"curvature": ["forman", "forman", "forman", "approx-ollivier"] * 2,
                         "state": ["untrained"] * 4 + ["trained"] * 4,
                         "rho": [-0.5, -0.2, np.nan, 0.1, -0.9, -0.8, -0.7, -0.6],
                         "local_mean": [0.0, 0.1, -0.1, 0.0, -0.5, -0.4, -0.3, -0.2]})
    fig = figures.control_coefficients_figure(nets)
    visible = _visible_axes(fig)
    assert len(visible) == 2 and visible[0].get_title() == "global ρ"
    dots = [c for c in visible[0].collections if isinstance(c, PathCollection)]
    assert sum(len(c.get_offsets()) for c in dots) == 7  # the NaN is left out
    assert len(fig.legends) == 1 and [t.get_text() for t in fig.legends[0].get_texts()] == ["untrained", "trained"]
    one = figures.control_coefficients_figure(nets, columns={"local_mean": "local"})
    assert len(_visible_axes(one)) == 1
    _render(fig)
    with pytest.raises(ValueError, match="empty"):
        figures.control_coefficients_figure(nets.iloc[:0])
    with pytest.raises(ValueError):
        figures.control_coefficients_figure(nets.drop(columns="state"))


def test_sensitivity_figure():
    conf = pd.DataFrame({"variant": ["r-compat"] * 3 + ["pixel"] * 2,
                         "problem": ["A", "A", "B", "mnist-1v7", "mnist-1v7"],
                         "aggregated_reference": [-0.5, -0.4, -0.9, -0.7, np.nan],
                         "aggregated_variant": [-0.6, -0.1, -0.8, -0.75, -0.7]})
    fig = figures.sensitivity_figure(conf)
    visible = _visible_axes(fig)
    assert [ax.get_title() for ax in visible] == ["r-compat", "pixel (1 without a value)"]
    dots = [c for c in visible[0].collections if isinstance(c, PathCollection)]
    assert sum(len(c.get_offsets()) for c in dots) == 3
    assert len(visible[0].lines) == 1  # the diagonal
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["A", "B", "mnist-1v7"]
    _render(fig)
    with pytest.raises(ValueError, match="empty"):
        figures.sensitivity_figure(conf.iloc[:0])
    with pytest.raises(ValueError):
        figures.sensitivity_figure(conf.drop(columns="problem"))


def test_correlation_matrix_figure():
    names = ["forman", "augmented-forman", "approx-ollivier"]
    m = pd.DataFrame([[1.0, 0.5, -0.2], [0.5, 1.0, np.nan], [-0.2, np.nan, 1.0]], index=names, columns=names)
    fig = figures.correlation_matrix_figure(m, title="edges")
    ax = [a for a in fig.axes if a.images][0]
    assert ax.get_title() == "edges"
    assert ax.images[0].get_array().mask.sum() == 2
    norm = ax.images[0].norm
    assert norm.vmin == -1.0 and norm.vmax == 1.0
    assert sum(t.get_text() == "1.00" for t in ax.texts) == 3
    _render(fig)
    with pytest.raises(ValueError, match="square"):
        figures.correlation_matrix_figure(m.iloc[:2])
    with pytest.raises(ValueError, match=r"\[-1, 1\]"):
        figures.correlation_matrix_figure(m * 3)
    with pytest.raises(ValueError, match="DataFrame"):
        figures.correlation_matrix_figure(m.to_numpy())


def test_layer_profile_figure():
    prof = pd.DataFrame({"transition": [0, 1, 2, 3] * 2, "rho_mean": [-0.6, -0.7, -0.3, -0.1, -0.5, -0.6, -0.4, 0.0],
                         "rho_sem": [0.05] * 8, "state": ["trained"] * 4 + ["untrained"] * 4})
    fig = figures.layer_profile_figure(prof, hue="state", critical={"trained": 2, "untrained": None},
                                       threshold=-0.2)
    ax = _visible_axes(fig)[0]
    assert len(ax.get_lines()) == 2 + 2  # two profiles, zero line, threshold
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["trained", "untrained"]
    rings = [c for c in ax.collections if isinstance(c, PathCollection)]
    assert len(rings) == 1
    single = figures.layer_profile_figure(prof[prof["state"] == "trained"].drop(columns="rho_sem"))
    assert _visible_axes(single)[0].get_legend() is None
    _render(fig)
    with pytest.raises(ValueError, match="empty"):
        figures.layer_profile_figure(prof.iloc[:0])
    with pytest.raises(ValueError):
        figures.layer_profile_figure(prof.drop(columns="rho_mean"))


def test_trajectory_figure():
    curve = pd.DataFrame({"epoch": [0, 3, 6, 9], "local_mean": [0.0, -0.4, -0.6, -0.5],
                          "local_mean_sem": [0.02] * 4, "train_accuracy": [0.5, 0.8, 0.9, 0.95],
                          "test_accuracy": [0.5, 0.78, 0.88, 0.87]})
    fig = figures.trajectory_figure(curve, stop_epoch=6)
    assert len(fig.axes) == 2  # the coefficient and the twin accuracy axis
    ax, twin = fig.axes
    assert len(twin.get_lines()) == 2 and twin.get_ylabel() == "accuracy"
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "stop (epoch 6)" in texts and "test accuracy" in texts
    _render(fig)
    with pytest.raises(ValueError, match="empty"):
        figures.trajectory_figure(curve.iloc[:0])
    with pytest.raises(ValueError):
        figures.trajectory_figure(curve.drop(columns="test_accuracy"))


def test_message_figure_says_why_and_refuses_empty_text():
    fig = figures.message_figure("nothing here yet: mnist-1v7 not computed", title="MNIST")
    texts = [t.get_text() for ax in fig.axes for t in ax.texts]
    assert texts == ["nothing here yet: mnist-1v7 not computed"]
    assert fig.axes[0].get_title() == "MNIST"
    for bad in ("", "   ", None):
        with pytest.raises(ValueError, match="non-empty"):
            figures.message_figure(bad)
