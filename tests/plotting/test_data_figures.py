"""Tests of :mod:`ricci_lit.plotting.data` (Agg backend; fixtures in ``tests/plotting/conftest.py``)."""
from __future__ import annotations

import numpy as np
import pytest
from figure_checks import render, visible_axes
from matplotlib.collections import PathCollection

from ricci_lit import plotting
from ricci_lit.analysis.projection import pc_planes


def test_pca_layers_figure():
    rng = np.random.default_rng(1)
    reps = [rng.normal(size=(30, 3)), rng.normal(size=(30, 8)), rng.normal(size=(30, 1))]
    y = np.arange(30) % 2
    planes = pc_planes(reps)
    fig = plotting.pca_layers_figure(planes, y, titles=["input", "hidden 1", "output"],
                                     class_names={0: "sheet 0", 1: "sheet 1"}, ncols=2)
    visible = visible_axes(fig)
    assert len(visible) == 3 and len(fig.axes) == 4
    assert visible[2].get_title() == "output (1-D: PC2 = 0)"
    assert visible[0].get_xlabel() == f"PC1 ({planes[0].variance[0]:.0%})"
    assert all(len([c for c in ax.collections if isinstance(c, PathCollection)]) == 2 for ax in visible)
    # the points drawn are the projected points given, class by class
    drawn = np.vstack([c.get_offsets() for c in visible[1].collections if isinstance(c, PathCollection)])
    np.testing.assert_allclose(drawn, np.vstack([planes[1].scores[y == 0], planes[1].scores[y == 1]]))
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["sheet 0", "sheet 1"]
    render(fig)
    with pytest.raises(ValueError, match="empty"):
        plotting.pca_layers_figure([], y)
    with pytest.raises(ValueError, match="plane 1"):
        plotting.pca_layers_figure([planes[0], type(planes[0])(planes[1].scores[:10], planes[1].variance, 8)], y)
    with pytest.raises(ValueError, match="PCPlane"):
        plotting.pca_layers_figure([reps[0]], y)
    with pytest.raises(ValueError, match="labels"):
        plotting.pca_layers_figure(planes, y[:5])
    with pytest.raises(ValueError, match="titles"):
        plotting.pca_layers_figure(planes, y, titles=["a"])


def test_point_clouds_figure():
    rng = np.random.default_rng(2)
    x3, x2 = rng.normal(size=(40, 3)), rng.normal(size=(40, 2))
    y = np.arange(40) % 2
    fig = plotting.point_clouds_figure([("A", x3, y, ("sheet 0", "sheet 1")), ("syn", x2, y, None)], ncols=2)
    assert len(fig.axes) == 2
    assert fig.axes[0].name == "3d" and fig.axes[1].name == "rectilinear"
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == ["sheet 0", "sheet 1"]
    assert fig.axes[0].get_title() == "A"
    render(fig)
    with pytest.raises(ValueError, match="empty"):
        plotting.point_clouds_figure([])
    with pytest.raises(ValueError, match="shape"):
        plotting.point_clouds_figure([("bad", rng.normal(size=(5, 4)), y[:5], None)])
    with pytest.raises(ValueError, match="labels"):
        plotting.point_clouds_figure([("bad", x3, y[:5], None)])


def test_image_grid_figure():
    imgs = np.arange(3 * 784, dtype=float).reshape(3, 784)
    fig = plotting.image_grid_figure([("MNIST 1v7", imgs, ["1", "1", "7"]), ("short", imgs[:1], ["x"])])
    visible = visible_axes(fig)
    assert len(fig.axes) == 6 and len(visible) == 4
    assert all(len(ax.images) == 1 for ax in visible)
    assert fig.axes[0].get_ylabel() == "MNIST 1v7" and fig.axes[2].get_title() == "7"
    render(fig)
    with pytest.raises(ValueError, match="captions"):
        plotting.image_grid_figure([("r", imgs, ["a"])])
    with pytest.raises(ValueError, match="784"):
        plotting.image_grid_figure([("r", np.zeros((2, 10)), ["a", "b"])])
    with pytest.raises(ValueError, match="empty"):
        plotting.image_grid_figure([])
