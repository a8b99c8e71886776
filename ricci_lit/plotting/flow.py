"""Figures of the Ricci-flow quantities: per-layer totals, ``Ric_l`` against ``η_l`` with the
coefficient ρ (paper 1's Fig. 4, one panel or a grid), local coefficients ``ρ(x)``, and a
coefficient over k."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib
import matplotlib.ticker
import numpy as np
import pandas as pd

from ricci_lit.plotting._helpers import (
    finite_1d,
    grid_shape,
    hide_unused,
    new_figure,
    panel_list,
    require_columns,
)
from ricci_lit.plotting.style import LAYER_PALETTE, house_style

__all__ = [
    "layer_totals_figure",
    "flow_scatter_figure",
    "local_histogram_figure",
    "coefficient_by_k_figure",
    "flow_scatter_grid_figure",
]


def layer_totals_figure(df: pd.DataFrame, *, network: str | None = None,
                        highlight: Any = None, layer_label: str = "hidden layer l"):
    """Per-layer totals: ``Ric_l`` (P1 Eq. 6) and ``g_l`` (P1 Eq. 7) against the layer.

    Parameters
    ----------
    df
        Columns ``layer``, ``ric`` and ``g`` (one row per layer; e.g. the output of
        :func:`~ricci_lit.geometry.coefficients.geometry_table` at one ``k``). Non-finite ``g`` (a disconnected graph)
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
    require_columns(df, {"layer", "ric", "g"} | ({network} if network else set()))
    if df.empty:
        raise ValueError("df is empty")
    groups = [(None, df)] if network is None else list(df.groupby(network, sort=False))
    with house_style():
        fig, axes = new_figure(1, 2, figsize=(8.4, 3.3))
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
    ric = finite_1d(ric, "ric")
    eta = finite_1d(eta, "eta")
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
            fig, axes = new_figure(figsize=(5.6, 4.0))
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
    rho = finite_1d(rho_local, "rho_local", allow_nan=True)
    finite = rho[np.isfinite(rho)]
    if finite.size == 0:
        raise ValueError("rho_local has no finite values")
    if ((finite < -1.0 - 1e-12) | (finite > 1.0 + 1e-12)).any():
        raise ValueError("correlation coefficients must lie in [-1, 1]")
    with house_style():
        if ax is None:
            fig, axes = new_figure(figsize=(5.4, 3.4))
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
    require_columns(df, {x, y} | ({hue} if hue else set()))
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
        fig, axes = new_figure(figsize=(5.6, 3.4))
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
    panels = panel_list(panels, ncols)
    for i, p in enumerate(panels):
        missing = {"ric", "eta", "rho"} - set(p)
        if missing:
            raise ValueError(f"panel {i} lacks keys {sorted(missing)}")
    nrows, ncols = grid_shape(len(panels), ncols)
    with house_style():
        fig, axes = new_figure(nrows, ncols, figsize=(panel_size[0] * ncols + 1.4, panel_size[1] * nrows))
        best_handles: tuple[list, list] = ([], [])
        for ax, p in zip(axes.flat, panels):
            flow_scatter_figure(p["ric"], p["eta"], p["rho"], p.get("labels"), ax=ax, title=p.get("title"))
            handles, labels = ax.get_legend_handles_labels()
            if len(labels) > len(best_handles[1]):
                best_handles = (handles, labels)
            ax.get_legend().remove()
        hide_unused(axes, len(panels))
        fig.legend(*best_handles, loc="outside right upper", title="layer pair", fontsize="small")
    return fig
