"""Tests of :mod:`ricci_lit.plotting.results` (Agg backend; fixtures in ``tests/plotting/conftest.py``)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from figure_checks import render, visible_axes
from matplotlib.collections import PathCollection

from ricci_lit import plotting


def test_accuracy_strip_figure():
    nets = pd.DataFrame({"problem": ["A"] * 4 + ["C"] * 2,
                         "architecture": ["n", "n", "w", "w", "n", "n"],
                         "test_accuracy": [0.995, 0.98, 1.0, 0.999, 0.92, 0.90]})
    fig = plotting.accuracy_strip_figure(nets, {"A": 0.99, "C": 0.91}, ncols=2)
    assert len(visible_axes(fig)) == 2
    ax = fig.axes[0]
    assert ax.get_title() == "A"
    thr = [line for line in ax.get_lines() if list(line.get_ydata()) == [0.99, 0.99]]
    assert len(thr) == 1
    assert "threshold 99%" in [t.get_text() for t in ax.get_legend().get_texts()]
    render(fig)
    with pytest.raises(ValueError, match="threshold"):
        plotting.accuracy_strip_figure(nets, {"A": 0.99})
    with pytest.raises(ValueError, match="missing columns"):
        plotting.accuracy_strip_figure(nets.drop(columns="test_accuracy"), {"A": 0.99, "C": 0.91})
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        plotting.accuracy_strip_figure(nets.assign(test_accuracy=1.5), {"A": 0.99, "C": 0.91})


def test_coefficient_heatmap_figure():
    from matplotlib.patches import Rectangle

    from ricci_lit.analysis.heatmap import cluster_columns

    m = pd.DataFrame({"A · n": [-0.5, -0.2, np.nan], "B · w": [0.4, 0.5, 0.6], "A · w": [-0.6, -0.1, 0.0]},
                     index=pd.Index([6, 10, 30], name="k"))
    clus = cluster_columns(m)
    fig = plotting.coefficient_heatmap_figure(m, best={"A · n": 6, "A · w": 6}, linkage=clus.linkage,
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
    plain = plotting.coefficient_heatmap_figure(m[["A · n"]], annotate=False)
    assert not [ax for ax in plain.axes if ax.images][0].texts
    render(fig)
    with pytest.raises(ValueError, match="empty"):
        plotting.coefficient_heatmap_figure(m.iloc[:0])
    with pytest.raises(ValueError, match="unknown columns"):
        plotting.coefficient_heatmap_figure(m, best={"C · x": 6})
    with pytest.raises(ValueError, match="not a row"):
        plotting.coefficient_heatmap_figure(m, best={"A · n": 7})
    with pytest.raises(ValueError, match="linkage"):
        plotting.coefficient_heatmap_figure(m, linkage=np.zeros((1, 4)))
    with pytest.raises(ValueError, match=r"\[-1, 1\]"):
        plotting.coefficient_heatmap_figure(m * 3)


def test_sensitivity_figure():
    conf = pd.DataFrame({"variant": ["r-compat"] * 3 + ["pixel"] * 2,
                         "problem": ["A", "A", "B", "mnist-1v7", "mnist-1v7"],
                         "aggregated_reference": [-0.5, -0.4, -0.9, -0.7, np.nan],
                         "aggregated_variant": [-0.6, -0.1, -0.8, -0.75, -0.7]})
    fig = plotting.sensitivity_figure(conf)
    visible = visible_axes(fig)
    assert [ax.get_title() for ax in visible] == ["r-compat", "pixel (1 without a value)"]
    dots = [c for c in visible[0].collections if isinstance(c, PathCollection)]
    assert sum(len(c.get_offsets()) for c in dots) == 3
    assert len(visible[0].lines) == 1  # the diagonal
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["A", "B", "mnist-1v7"]
    render(fig)
    with pytest.raises(ValueError, match="empty"):
        plotting.sensitivity_figure(conf.iloc[:0])
    with pytest.raises(ValueError):
        plotting.sensitivity_figure(conf.drop(columns="problem"))
