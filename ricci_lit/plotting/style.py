"""The house style of every figure, and the one figure that only says why there is nothing to draw.

:func:`house_style` is a context manager that applies the house seaborn theme
(:data:`HOUSE_THEME`) to the matplotlib ``rcParams`` for the duration of a ``with`` block and
restores them afterwards. Every figure function of :mod:`ricci_lit.plotting` draws inside it, so
figures look the same whatever the caller's global settings are, and calling a figure function
changes no global state. :func:`set_theme` applies the same theme globally, for interactive use.

Colour conventions
------------------
Curvature is drawn with the diverging map :data:`CURVATURE_CMAP` centred on zero (negative red,
positive blue; :func:`curvature_norm`); layers and layer pairs use the sequential palette
:data:`LAYER_PALETTE`; other categories use the colour-blind-safe cycle of the theme.
"""
from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from types import MappingProxyType
from typing import Any

import matplotlib
import numpy as np

from ricci_lit.plotting._helpers import new_figure

__all__ = [
    "HOUSE_THEME",
    "CURVATURE_CMAP",
    "LAYER_PALETTE",
    "house_style",
    "set_theme",
    "curvature_norm",
    "message_figure",
]


#: The seaborn theme of every figure (arguments of ``seaborn.set_theme``; read-only).
HOUSE_THEME: Mapping[str, Any] = MappingProxyType({
    "context": "notebook",
    "style": "whitegrid",
    "palette": "colorblind",
    "font_scale": 0.9,
})


#: Diverging colour map for curvature (red = negative, blue = positive), centred on zero.
CURVATURE_CMAP = "RdBu"


#: Sequential palette for layers and layer pairs (input side light, output side dark).
LAYER_PALETTE = "viridis"


_EXTRA_RC: Mapping[str, Any] = MappingProxyType({
    "figure.dpi": 100,
    "savefig.dpi": 150,
    "savefig.bbox": "tight",
    "axes.titlesize": "medium",
    "axes.titleweight": "bold",
    "legend.frameon": False,
    "image.cmap": "viridis",
})


def _theme_rc(**overrides: Any) -> dict[str, Any]:
    import seaborn as sns
    from cycler import cycler

    theme = {**HOUSE_THEME, **overrides}
    rc: dict[str, Any] = {}
    rc.update(sns.axes_style(theme["style"]))
    rc.update(sns.plotting_context(theme["context"], font_scale=theme["font_scale"]))
    rc["axes.prop_cycle"] = cycler(color=sns.color_palette(theme["palette"]))
    rc.update(_EXTRA_RC)
    return rc


@contextmanager
def house_style(**overrides: Any) -> Iterator[None]:
    """Apply the house theme to ``matplotlib.rcParams`` inside a ``with`` block.

    Parameters
    ----------
    overrides
        Replace entries of :data:`HOUSE_THEME` (``context``, ``style``, ``palette``,
        ``font_scale``) for this block only.

    Notes
    -----
    The previous ``rcParams`` are restored on exit (``matplotlib.rc_context``).
    """
    unknown = set(overrides) - set(HOUSE_THEME)
    if unknown:
        raise ValueError(f"unknown theme keys {sorted(unknown)}; valid: {sorted(HOUSE_THEME)}")
    with matplotlib.rc_context(_theme_rc(**overrides)):
        yield


def set_theme(**overrides: Any) -> None:
    """Apply the house theme globally (``rcParams``), e.g. for interactive figures of one's own."""
    unknown = set(overrides) - set(HOUSE_THEME)
    if unknown:
        raise ValueError(f"unknown theme keys {sorted(unknown)}; valid: {sorted(HOUSE_THEME)}")
    matplotlib.rcParams.update(_theme_rc(**overrides))


def curvature_norm(values: np.ndarray, vmin: float | None = None, vmax: float | None = None):
    """A colour normalisation for curvature values: centred on 0 when the range spans 0."""
    from matplotlib.colors import Normalize, TwoSlopeNorm

    lo = float(np.min(values)) if vmin is None else float(vmin)
    hi = float(np.max(values)) if vmax is None else float(vmax)
    if lo > hi:
        raise ValueError(f"vmin {lo} exceeds vmax {hi}")
    if lo == hi:
        lo, hi = lo - 1.0, hi + 1.0
    if lo < 0 < hi:
        return TwoSlopeNorm(vcenter=0.0, vmin=lo, vmax=hi)
    # one-signed range: keep zero at the neutral end of the diverging map
    bound = max(abs(lo), abs(hi))
    return Normalize(vmin=-bound, vmax=bound)


def message_figure(message: str, *, title: str | None = None, figsize: tuple[float, float] = (6.0, 1.6)):
    """A figure that says, in words, why there is nothing to draw (e.g. a group of problems
    not yet in the rendered results), so a chapter's figure slot is never silently empty."""
    if not isinstance(message, str) or not message.strip():
        raise ValueError("message must be a non-empty string")
    with house_style():
        fig, axes = new_figure(figsize=figsize)
        ax = axes[0, 0]
        ax.axis("off")
        ax.text(0.5, 0.5, message, ha="center", va="center", wrap=True, transform=ax.transAxes)
        if title:
            ax.set_title(title)
    return fig
