"""Figures of a sweep's results: test accuracies against their thresholds, the aggregated
coefficient heatmap (paper 1's Fig. 3), and how the headline numbers move under a variant setting."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib
import numpy as np
import pandas as pd

from ricci_lit.plotting._helpers import (
    grid_shape,
    hide_unused,
    new_figure,
    require_columns,
)
from ricci_lit.plotting.style import CURVATURE_CMAP, house_style

__all__ = [
    "accuracy_strip_figure",
    "coefficient_heatmap_figure",
    "sensitivity_figure",
]


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
    require_columns(networks, {"problem", "architecture", "test_accuracy"})
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
    nrows, ncols = grid_shape(len(probs), ncols)
    with house_style():
        fig, axes = new_figure(nrows, ncols, figsize=(panel_size[0] * ncols, panel_size[1] * nrows))
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
        hide_unused(axes, len(probs))
    return fig


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
        :func:`ricci_lit.analysis.heatmap.cluster_columns`): the columns are then drawn in the
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
    require_columns(configurations, {x, y, panel, hue})
    if len(configurations) == 0:
        raise ValueError("configurations is empty")
    panels = list(dict.fromkeys(configurations[panel]))
    levels = list(dict.fromkeys(configurations[hue]))
    nrows, nc = grid_shape(len(panels), ncols)
    with house_style():
        import matplotlib.pyplot as plt

        colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
        fig, axes = new_figure(nrows, nc, figsize=(3.6 * nc + 1.4, 3.4 * nrows))
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
        hide_unused(axes, len(panels))
        handles, labels = [], []
        for ax in axes.flat[: len(panels)]:
            for h, lab in zip(*ax.get_legend_handles_labels()):
                if lab not in labels:
                    handles.append(h)
                    labels.append(lab)
        if handles:
            fig.legend(handles, labels, loc="outside right upper", title=hue)
    return fig
