"""Tests of :mod:`ricci_lit.plotting.flow` (Agg backend; fixtures in ``tests/plotting/conftest.py``)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from figure_checks import render, visible_axes
from matplotlib.collections import PathCollection

from ricci_lit import plotting


def _totals_frame():
    rows = []
    for net in range(3):
        for layer in range(1, 6):
            rows.append({"network": net, "layer": layer, "ric": -100.0 * layer - net,
                         "g": 1e4 + 50.0 * layer if not (net == 2 and layer == 3) else np.inf})
    return pd.DataFrame(rows)


def test_layer_totals_figure():
    df = _totals_frame()
    fig = plotting.layer_totals_figure(df[df.network == 0])
    assert len(fig.axes) == 2
    assert [len(ax.get_lines()) for ax in fig.axes] == [1, 1]
    np.testing.assert_array_equal(fig.axes[0].get_lines()[0].get_ydata(), df[df.network == 0]["ric"])
    multi = plotting.layer_totals_figure(df, network="network", highlight=1)
    assert [len(ax.get_lines()) for ax in multi.axes] == [3, 3]
    # the disconnected layer (g = inf) of network 2 is left out of the g panel
    assert sorted(len(line.get_xdata()) for line in multi.axes[1].get_lines()) == [4, 5, 5]
    assert [t.get_text() for t in multi.axes[0].get_legend().get_texts()] == ["network 1"]
    render(multi)


def test_layer_totals_figure_bad_input():
    df = _totals_frame()
    with pytest.raises(ValueError, match="missing columns"):
        plotting.layer_totals_figure(df.drop(columns="g"))
    with pytest.raises(ValueError, match="missing columns"):
        plotting.layer_totals_figure(df, network="seed")
    with pytest.raises(ValueError, match="empty"):
        plotting.layer_totals_figure(df.iloc[:0])


def test_flow_scatter_figure():
    ric = np.array([-5.0, -4.0, -3.0, -2.0, -5.5, -4.2])
    eta = np.array([1.0, 2.0, 3.0, 4.0, 1.1, 2.2])
    labels = ["1→2", "2→3", "3→4", "4→5"] + ["1→2", "2→3"]
    fig = plotting.flow_scatter_figure(ric, eta, -0.91, labels, title="example")
    ax = fig.axes[0]
    points = [c for c in ax.collections if isinstance(c, PathCollection)]
    assert len(points) == 4  # one scatter per layer pair
    assert sum(len(p.get_offsets()) for p in points) == 6
    assert len(ax.get_lines()) == 1  # the least-squares line
    assert any("ρ = -0.91" in t.get_text() for t in ax.texts)
    assert len(ax.get_legend().get_texts()) == 5
    undefined = plotting.flow_scatter_figure(ric[:2], eta[:2], None)
    assert any("undefined" in t.get_text() for t in undefined.axes[0].texts)
    render(fig)


def test_flow_scatter_figure_bad_input():
    with pytest.raises(ValueError, match="length"):
        plotting.flow_scatter_figure([1.0, 2.0], [1.0, 2.0, 3.0], 0.1)
    with pytest.raises(ValueError, match="two points"):
        plotting.flow_scatter_figure([1.0], [1.0], 0.1)
    with pytest.raises(ValueError, match="NaN"):
        plotting.flow_scatter_figure([1.0, np.nan], [1.0, 2.0], 0.1)
    with pytest.raises(ValueError, match="rho"):
        plotting.flow_scatter_figure([1.0, 2.0], [1.0, 2.0], 1.5)
    with pytest.raises(ValueError, match="pair_labels"):
        plotting.flow_scatter_figure([1.0, 2.0], [1.0, 2.0], 0.1, ["a"])


def test_local_histogram_figure():
    rho = np.array([-0.9, -0.5, -0.4, 0.2, np.nan, np.nan])
    fig = plotting.local_histogram_figure(rho, title="local")
    ax = fig.axes[0]
    assert sum(p.get_height() for p in ax.patches) == 4  # NaNs are not drawn
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels[0] == "4 points (2 undefined)"
    assert labels[1] == f"mean {np.nanmean(rho):.2f}"
    assert ax.get_title() == "local"
    render(fig)
    with pytest.raises(ValueError, match="no finite"):
        plotting.local_histogram_figure([np.nan, np.nan])
    with pytest.raises(ValueError, match=r"\[-1, 1\]"):
        plotting.local_histogram_figure([0.5, 2.0])
    with pytest.raises(ValueError, match="infinite"):
        plotting.local_histogram_figure([0.5, np.inf])


def test_coefficient_by_k_figure():
    df = pd.DataFrame({"k": [6, 10, 30, 6, 10, 30], "rho": [-0.2, -0.6, np.nan, 0.1, -0.3, -0.4],
                       "arch": list("aaabbb")})
    fig = plotting.coefficient_by_k_figure(df, hue="arch", best=10)
    ax = fig.axes[0]
    assert ax.get_xscale() == "log"
    assert len(ax.get_lines()) == 4  # two series, the zero line and the chosen k
    assert "chosen k = 10" in [t.get_text() for t in ax.get_legend().get_texts()]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["6", "10", "30"]  # the k values, not 10^x
    plain = plotting.coefficient_by_k_figure(df[df.arch == "a"])
    assert plain.axes[0].get_legend() is None
    many = pd.concat([df.assign(arch=f"line {i}") for i in range(6)])
    fig_many = plotting.coefficient_by_k_figure(many, hue="arch")
    fig_many.canvas.draw()
    leg, ax_many = fig_many.axes[0].get_legend(), fig_many.axes[0]
    assert len(leg.get_texts()) == 6
    assert leg.get_window_extent().x0 >= ax_many.get_window_extent().x1  # beside the axes, not over the data
    fig.canvas.draw()
    assert ax.get_legend().get_window_extent().x1 <= ax.get_window_extent().x1  # few lines: inside
    render(fig)
    with pytest.raises(ValueError, match="missing columns"):
        plotting.coefficient_by_k_figure(df, y="z")
    with pytest.raises(ValueError, match="no finite"):
        plotting.coefficient_by_k_figure(df.assign(rho=np.nan))
    with pytest.raises(ValueError, match=r"\[-1, 1\]"):
        plotting.coefficient_by_k_figure(df.assign(rho=3.0))


def test_flow_scatter_grid_figure():
    ric = np.array([-5.0, -4.0, -3.0, -2.0])
    eta = np.array([4.0, 3.0, 2.0, 1.0])
    panels = [{"ric": ric, "eta": eta, "rho": -1.0, "labels": ["1→2", "2→3", "3→4", "4→5"], "title": "A"},
              {"ric": ric[:3], "eta": eta[:3], "rho": None, "title": "B"},
              {"ric": ric, "eta": eta, "rho": -0.5}]
    fig = plotting.flow_scatter_grid_figure(panels, ncols=2)
    visible = visible_axes(fig)
    assert len(visible) == 3 and len(fig.axes) == 4
    assert all(ax.get_legend() is None for ax in visible)
    assert len(fig.legends) == 1 and len(fig.legends[0].get_texts()) == 5  # four pairs + the line
    assert visible[0].get_title() == "A"
    assert any("undefined" in t.get_text() for t in visible[1].texts)
    render(fig)
    with pytest.raises(ValueError, match="empty"):
        plotting.flow_scatter_grid_figure([])
    with pytest.raises(ValueError, match="lacks keys"):
        plotting.flow_scatter_grid_figure([{"ric": ric}])
