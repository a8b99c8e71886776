"""Figures of data: a network's representations on their PC1–PC2 planes (paper 1's Fig. 1A; the
projection is :func:`ricci_lit.analysis.projection.pc_planes`), point clouds, and image grids."""
from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ricci_lit.plotting._helpers import (
    grid_shape,
    hide_unused,
    labels_1d,
    new_figure,
    panel_list,
)
from ricci_lit.plotting.style import HOUSE_THEME, house_style

__all__ = [
    "pca_layers_figure",
    "point_clouds_figure",
    "image_grid_figure",
]


def _two_class_colours(levels: Sequence[Any]) -> dict[Any, Any]:
    import seaborn as sns

    pal = sns.color_palette(HOUSE_THEME["palette"])
    picks = [pal[0], pal[1], pal[2], pal[3]]
    return {lev: picks[i % len(picks)] for i, lev in enumerate(levels)}


def pca_layers_figure(planes: Sequence[Any], y: Any, *, titles: Sequence[str] | None = None,
                      class_names: Mapping[Any, str] | None = None, ncols: int = 4,
                      panel_size: float = 2.6, point_size: float = 6.0):
    """Paper 1's Fig. 1A: PC1 against PC2 of one point set at every representation of a network.

    Parameters
    ----------
    planes
        One projected representation per panel, as
        :func:`ricci_lit.analysis.projection.pc_planes` returns them: objects with ``scores``
        (``[n, 2]``, the same ``n`` for all), ``variance`` (the two components' variance
        fractions, shown on the axes) and ``dim`` (the representation's dimension; 1 is noted
        in the title, PC2 being 0).
    y
        ``n`` class labels; points are coloured by class.
    titles
        One panel title per representation (default ``"representation l"``).
    class_names
        ``{label: name}`` for the legend.
    ncols
        Panels per row.

    Returns
    -------
    matplotlib.figure.Figure
    """
    planes = list(planes)
    if not planes:
        raise ValueError("planes is empty")
    scores, dims = [], []
    n = None
    for i, plane in enumerate(planes):
        try:
            sc = np.asarray(plane.scores, dtype=np.float64)
            var = np.asarray(plane.variance, dtype=np.float64)
            dim = int(plane.dim)
        except (AttributeError, TypeError, ValueError):
            raise ValueError(f"plane {i}: expected scores, variance and dim (a PCPlane)") from None
        n = sc.shape[0] if n is None else n
        if sc.shape != (n, 2) or var.shape != (2,):
            raise ValueError(f"plane {i}: expected scores of shape [{n}, 2] and 2 variance fractions, "
                             f"got {sc.shape} and {var.shape}")
        scores.append((sc, var))
        dims.append(dim)
    reps = planes
    lab = labels_1d(y, n)
    names = [f"representation {i}" for i in range(len(reps))] if titles is None else [str(t) for t in titles]
    if len(names) != len(reps):
        raise ValueError(f"titles has {len(names)} entries for {len(reps)} representations")
    if ncols < 1:
        raise ValueError(f"ncols must be positive, got {ncols}")
    levels = sorted(set(lab.tolist()))
    colours = _two_class_colours(levels)
    nrows, ncols = grid_shape(len(reps), ncols)
    with house_style():
        fig, axes = new_figure(nrows, ncols, figsize=(panel_size * ncols + 1.2, panel_size * nrows))
        for ax, title, (sc, var), dim in zip(axes.flat, names, scores, dims):
            for lev in levels:
                sel = lab == lev
                label = str(class_names.get(lev, lev)) if class_names else str(lev)
                ax.scatter(sc[sel, 0], sc[sel, 1], s=point_size, color=colours[lev], alpha=0.7,
                           linewidths=0, label=label, rasterized=True)
            ax.set_title(title + (" (1-D: PC2 = 0)" if dim == 1 else ""))
            ax.set_xlabel(f"PC1 ({var[0]:.0%})")
            ax.set_ylabel(f"PC2 ({var[1]:.0%})")
            ax.set_xticks([])
            ax.set_yticks([])
        hide_unused(axes, len(reps))
        handles, labels = axes.flat[0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="outside right upper", title="class", markerscale=3)
    return fig


def point_clouds_figure(panels: Sequence[tuple[str, Any, Any, Any]], *, ncols: int = 3,
                        panel_size: float = 3.4, point_size: float = 5.0, elev: float = 22.0,
                        azim: float = -60.0):
    """Labelled point clouds side by side, in 3-D (three columns) or 2-D (two columns).

    Parameters
    ----------
    panels
        ``(title, X, y, class_names)`` per panel: points ``[n, 2]`` or ``[n, 3]``, ``n`` labels,
        and a ``{label: name}`` mapping or a sequence of names indexed by label (or ``None``).
    ncols
        Panels per row.
    elev, azim
        View angles of the 3-D panels.

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    panels = panel_list(panels, ncols)
    prepared = []
    for item in panels:
        if len(item) != 4:
            raise ValueError("each panel must be (title, X, y, class_names)")
        title, X, y, names = item
        x = np.asarray(X, dtype=np.float64)
        if x.ndim != 2 or x.shape[1] not in (2, 3) or x.shape[0] < 1:
            raise ValueError(f"{title!r}: expected points of shape [n, 2] or [n, 3], got {x.shape}")
        if not np.isfinite(x).all():
            raise ValueError(f"{title!r}: points contain NaN or infinite values")
        prepared.append((str(title), x, labels_1d(y, x.shape[0], f"labels of {title!r}"), names))
    nrows, ncols = grid_shape(len(prepared), ncols)
    with house_style():
        fig = plt.figure(figsize=(panel_size * ncols, panel_size * nrows), layout="constrained")
        plt.close(fig)
        for i, (title, x, lab, names) in enumerate(prepared):
            three = x.shape[1] == 3
            ax = fig.add_subplot(nrows, ncols, i + 1, projection="3d" if three else None)
            levels = sorted(set(lab.tolist()))
            colours = _two_class_colours(levels)
            for lev in levels:
                sel = lab == lev
                if names is None:
                    label = str(lev)
                elif isinstance(names, Mapping):
                    label = str(names.get(lev, lev))
                else:
                    label = str(names[int(lev)])
                coords = [x[sel, j] for j in range(x.shape[1])]
                ax.scatter(*coords, s=point_size, color=colours[lev], alpha=0.75, linewidths=0,
                           label=label, rasterized=True)
            if three:
                ax.view_init(elev=elev, azim=azim)
                ax.set_xlabel("$x_1$", labelpad=-8)
                ax.set_ylabel("$x_2$", labelpad=-8)
                ax.set_zlabel("$x_3$", labelpad=-8)
                ax.tick_params(labelsize="x-small", pad=-2)
                ax.legend(loc="upper center", bbox_to_anchor=(0.5, 0.0), ncols=2, fontsize="small",
                          markerscale=2.5)
            else:
                ax.set_aspect("equal", adjustable="datalim")
                ax.set_xlabel("$x_1$")
                ax.set_ylabel("$x_2$")
                ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncols=2, fontsize="small",
                          markerscale=2.5)
            ax.set_title(textwrap.fill(title, max(12, int(10 * panel_size))))
    return fig


def image_grid_figure(rows: Sequence[tuple[str, Any, Sequence[str]]], *, image_size: float = 0.9,
                      shape: tuple[int, int] = (28, 28)):
    """Grey-scale images in rows, one row per named group, each image with a caption.

    Parameters
    ----------
    rows
        ``(row_title, images, captions)``: ``images`` is ``[m, h·w]`` or ``[m, h, w]`` and
        ``captions`` has ``m`` strings. Rows may have different lengths.
    shape
        ``(h, w)`` of a flattened image.

    Returns
    -------
    matplotlib.figure.Figure
    """
    rows = list(rows)
    if not rows:
        raise ValueError("rows is empty")
    prepared = []
    for item in rows:
        if len(item) != 3:
            raise ValueError("each row must be (row_title, images, captions)")
        title, images, captions = item
        imgs = np.asarray(images, dtype=np.float64)
        if imgs.ndim == 2:
            if imgs.shape[1] != shape[0] * shape[1]:
                raise ValueError(f"{title!r}: flattened images must have {shape[0] * shape[1]} values")
            imgs = imgs.reshape(-1, *shape)
        if imgs.ndim != 3 or imgs.shape[0] < 1:
            raise ValueError(f"{title!r}: expected [m, h*w] or [m, h, w] images, got {np.asarray(images).shape}")
        if not np.isfinite(imgs).all():
            raise ValueError(f"{title!r}: images contain NaN or infinite values")
        caps = [str(c) for c in captions]
        if len(caps) != imgs.shape[0]:
            raise ValueError(f"{title!r}: {len(caps)} captions for {imgs.shape[0]} images")
        prepared.append((str(title), imgs, caps))
    ncols = max(p[1].shape[0] for p in prepared)
    nrows = len(prepared)
    with house_style():
        fig, axes = new_figure(nrows, ncols, figsize=(image_size * ncols + 0.4, (image_size + 0.45) * nrows))
        for r, (title, imgs, caps) in enumerate(prepared):
            for c in range(ncols):
                ax = axes[r, c]
                ax.grid(False)
                ax.set_xticks([])
                ax.set_yticks([])
                if c >= imgs.shape[0]:
                    ax.set_visible(False)
                    continue
                ax.imshow(imgs[c], cmap="gray_r", interpolation="nearest")
                ax.set_title(caps[c], fontsize="small", fontweight="normal")
                if c == 0:
                    ax.set_ylabel(title, rotation=0, ha="right", va="center", fontsize="small")
    return fig
