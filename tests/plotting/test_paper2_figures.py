"""Tests of :mod:`ricci_lit.plotting.paper2` (Agg backend; fixtures in ``tests/plotting/conftest.py``)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from figure_checks import render, visible_axes
from matplotlib.collections import PathCollection

from ricci_lit import plotting


def test_control_coefficients_figure():
    nets = pd.DataFrame({"curvature": ["forman", "forman", "forman", "approx-ollivier"] * 2,
                         "state": ["untrained"] * 4 + ["trained"] * 4,
                         "rho": [-0.5, -0.2, np.nan, 0.1, -0.9, -0.8, -0.7, -0.6],
                         "local_mean": [0.0, 0.1, -0.1, 0.0, -0.5, -0.4, -0.3, -0.2]})
    fig = plotting.control_coefficients_figure(nets)
    visible = visible_axes(fig)
    assert len(visible) == 2 and visible[0].get_title() == "global ρ"
    dots = [c for c in visible[0].collections if isinstance(c, PathCollection)]
    assert sum(len(c.get_offsets()) for c in dots) == 7  # the NaN is left out
    assert len(fig.legends) == 1 and [t.get_text() for t in fig.legends[0].get_texts()] == ["untrained", "trained"]
    one = plotting.control_coefficients_figure(nets, columns={"local_mean": "local"})
    assert len(visible_axes(one)) == 1
    render(fig)
    with pytest.raises(ValueError, match="empty"):
        plotting.control_coefficients_figure(nets.iloc[:0])
    with pytest.raises(ValueError):
        plotting.control_coefficients_figure(nets.drop(columns="state"))


def test_correlation_matrix_figure():
    names = ["forman", "augmented-forman", "approx-ollivier"]
    m = pd.DataFrame([[1.0, 0.5, -0.2], [0.5, 1.0, np.nan], [-0.2, np.nan, 1.0]], index=names, columns=names)
    fig = plotting.correlation_matrix_figure(m, title="edges")
    ax = [a for a in fig.axes if a.images][0]
    assert ax.get_title() == "edges"
    assert ax.images[0].get_array().mask.sum() == 2
    norm = ax.images[0].norm
    assert norm.vmin == -1.0 and norm.vmax == 1.0
    assert sum(t.get_text() == "1.00" for t in ax.texts) == 3
    render(fig)
    with pytest.raises(ValueError, match="square"):
        plotting.correlation_matrix_figure(m.iloc[:2])
    with pytest.raises(ValueError, match=r"\[-1, 1\]"):
        plotting.correlation_matrix_figure(m * 3)
    with pytest.raises(ValueError, match="DataFrame"):
        plotting.correlation_matrix_figure(m.to_numpy())


def test_layer_profile_figure():
    prof = pd.DataFrame({"transition": [0, 1, 2, 3] * 2, "rho_mean": [-0.6, -0.7, -0.3, -0.1, -0.5, -0.6, -0.4, 0.0],
                         "rho_sem": [0.05] * 8, "state": ["trained"] * 4 + ["untrained"] * 4})
    fig = plotting.layer_profile_figure(prof, hue="state", critical={"trained": 2, "untrained": None},
                                       threshold=-0.2)
    ax = visible_axes(fig)[0]
    assert len(ax.get_lines()) == 2 + 2  # two profiles, zero line, threshold
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["trained", "untrained"]
    rings = [c for c in ax.collections if isinstance(c, PathCollection)]
    assert len(rings) == 1
    single = plotting.layer_profile_figure(prof[prof["state"] == "trained"].drop(columns="rho_sem"))
    assert visible_axes(single)[0].get_legend() is None
    render(fig)
    with pytest.raises(ValueError, match="empty"):
        plotting.layer_profile_figure(prof.iloc[:0])
    with pytest.raises(ValueError):
        plotting.layer_profile_figure(prof.drop(columns="rho_mean"))


def test_trajectory_figure():
    curve = pd.DataFrame({"epoch": [0, 3, 6, 9], "local_mean": [0.0, -0.4, -0.6, -0.5],
                          "local_mean_sem": [0.02] * 4, "train_accuracy": [0.5, 0.8, 0.9, 0.95],
                          "test_accuracy": [0.5, 0.78, 0.88, 0.87]})
    fig = plotting.trajectory_figure(curve, stop_epoch=6)
    assert len(fig.axes) == 2  # the coefficient and the twin accuracy axis
    ax, twin = fig.axes
    assert len(twin.get_lines()) == 2 and twin.get_ylabel() == "accuracy"
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "stop (epoch 6)" in texts and "test accuracy" in texts
    render(fig)
    with pytest.raises(ValueError, match="empty"):
        plotting.trajectory_figure(curve.iloc[:0])
    with pytest.raises(ValueError):
        plotting.trajectory_figure(curve.drop(columns="test_accuracy"))
