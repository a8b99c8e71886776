"""Figures of paper 2's analyses: trained against untrained coefficients, correlations between
curvature notions, layer-coefficient profiles across depths, and coefficients along training."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib
import matplotlib.ticker
import numpy as np
import pandas as pd

from ricci_lit.plotting._helpers import new_figure, require_columns
from ricci_lit.plotting.style import CURVATURE_CMAP, house_style

__all__ = [
    "control_coefficients_figure",
    "correlation_matrix_figure",
    "layer_profile_figure",
    "trajectory_figure",
]


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
    require_columns(networks, {x, hue, *columns})
    if len(networks) == 0:
        raise ValueError("networks is empty")
    xs = list(dict.fromkeys(networks[x]))
    hues = list(dict.fromkeys(networks[hue]))
    rng = np.random.default_rng(seed)
    width = 0.8 / len(hues)
    with house_style():
        import matplotlib.pyplot as plt

        colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
        fig, axes = new_figure(1, len(columns), figsize=(3.4 * len(columns) + 1.2, 3.2), sharey=True)
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
            fig, axes = new_figure(figsize=(1.0 * n + 2.4, 0.9 * n + 1.2))
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
    require_columns(profile, need)
    if len(profile) == 0:
        raise ValueError("profile is empty")
    groups = list(profile.groupby(hue, sort=False)) if hue else [(None, profile)]
    with house_style():
        fig, axes = new_figure(figsize=(5.6, 3.4))
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
    require_columns(curve, {"epoch", value, *accuracies})
    if len(curve) == 0:
        raise ValueError("curve is empty")
    c = curve.sort_values("epoch")
    e = c["epoch"].to_numpy(float)
    with house_style():
        import matplotlib.pyplot as plt

        colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
        fig, axes = new_figure(figsize=(5.8, 3.4))
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
