"""Tests of :mod:`ricci_lit.plotting.style` (Agg backend; fixtures in ``tests/plotting/conftest.py``)."""
from __future__ import annotations

import matplotlib
import numpy as np
import pytest

from ricci_lit import plotting


def test_house_style_applies_and_restores():
    before = matplotlib.rcParams["axes.grid"], matplotlib.rcParams["savefig.bbox"]
    with plotting.house_style():
        assert matplotlib.rcParams["axes.grid"] is True  # seaborn whitegrid
        assert matplotlib.rcParams["savefig.bbox"] == "tight"
    assert (matplotlib.rcParams["axes.grid"], matplotlib.rcParams["savefig.bbox"]) == before


def test_house_style_rejects_unknown_keys():
    with pytest.raises(ValueError, match="unknown theme keys"):
        with plotting.house_style(colour="red"):
            pass
    with pytest.raises(ValueError, match="unknown theme keys"):
        plotting.set_theme(colour="red")


def test_set_theme_changes_rcparams_globally():
    with matplotlib.rc_context():
        plotting.set_theme(style="ticks")
        assert matplotlib.rcParams["axes.grid"] is False
        assert matplotlib.rcParams["savefig.bbox"] == "tight"


def test_theme_is_read_only():
    with pytest.raises(TypeError):
        plotting.HOUSE_THEME["style"] = "dark"  # type: ignore[index]


def test_curvature_norm_is_centred_on_zero():
    from matplotlib.colors import TwoSlopeNorm

    norm = plotting.curvature_norm(np.array([-6.0, 2.0]))
    assert isinstance(norm, TwoSlopeNorm) and norm.vcenter == 0.0
    one_signed = plotting.curvature_norm(np.array([-6.0, -2.0]))
    assert one_signed.vmin == -6.0 and one_signed.vmax == 6.0
    constant = plotting.curvature_norm(np.array([0.0, 0.0]))
    assert constant.vmin < 0 < constant.vmax
    with pytest.raises(ValueError):
        plotting.curvature_norm(np.array([0.0]), vmin=1.0, vmax=0.0)


def test_message_figure_says_why_and_refuses_empty_text():
    fig = plotting.message_figure("nothing here yet: mnist-1v7 not computed", title="MNIST")
    texts = [t.get_text() for ax in fig.axes for t in ax.texts]
    assert texts == ["nothing here yet: mnist-1v7 not computed"]
    assert fig.axes[0].get_title() == "MNIST"
    for bad in ("", "   ", None):
        with pytest.raises(ValueError, match="non-empty"):
            plotting.message_figure(bad)


def test_every_public_function_is_tested():
    tested = {
        "house_style", "set_theme", "curvature_norm", "graph_curvature_figure",
        "curvature_gallery_figure", "knn_graph_figure", "knn_modes_figure",
        "degree_distribution_figure", "connectivity_figure", "curvature_comparison_figure",
        "layer_totals_figure", "flow_scatter_figure", "local_histogram_figure",
        "coefficient_by_k_figure", "pca_layers_figure", "point_clouds_figure",
        "image_grid_figure", "accuracy_strip_figure", "coefficient_heatmap_figure",
        "flow_scatter_grid_figure", "control_coefficients_figure", "correlation_matrix_figure",
        "layer_profile_figure", "trajectory_figure", "message_figure", "sensitivity_figure",
    }
    functions = {name for name in plotting.__all__ if callable(getattr(plotting, name))}
    assert functions <= tested, f"untested figure functions: {sorted(functions - tested)}"
    # plotting draws only: the projection of Fig. 1A is analysis's
    assert not hasattr(plotting, "pca_2d")
