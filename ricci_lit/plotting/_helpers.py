"""Helpers the figure modules share (validation of what they are given, and figure grids).

Private to :mod:`ricci_lit.plotting` (the module is private, its names are public so that the
figure modules can share them). Figures are built through pyplot and immediately detached from
pyplot's figure manager (``plt.close``), so they are shown only where the caller displays them and
never accumulate as open figures.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "new_figure",
    "grid_shape",
    "hide_unused",
    "finite_1d",
    "vertex_positions",
    "edges_of",
    "require_columns",
    "labels_1d",
]


def new_figure(nrows: int = 1, ncols: int = 1, *, figsize: tuple[float, float], **kw: Any):
    """A new figure with a grid of axes, detached from pyplot (see the module docstring)."""
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=figsize, layout="constrained")
    plt.close(fig)
    axes = fig.subplots(nrows, ncols, squeeze=False, **kw)
    return fig, axes


def panel_list(panels: Any, ncols: int) -> list:
    """The panels of a grid figure as a list, refusing an empty one or ``ncols < 1``."""
    panels = list(panels)
    if not panels:
        raise ValueError("panels is empty")
    if ncols < 1:
        raise ValueError(f"ncols must be positive, got {ncols}")
    return panels


def grid_shape(count: int, ncols: int) -> tuple[int, int]:
    """``(nrows, ncols)`` of a grid holding ``count`` panels, at most ``ncols`` per row."""
    ncols = min(ncols, count)
    return -(-count // ncols), ncols


def hide_unused(axes, used: int) -> None:
    """Hide the axes of a grid beyond the first ``used`` (the last row's empty cells)."""
    for ax in list(axes.flat)[used:]:
        ax.set_visible(False)


def finite_1d(values: Any, name: str, *, allow_nan: bool = False) -> np.ndarray:
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{name}: expected numbers") from None
    if arr.ndim != 1:
        raise ValueError(f"{name}: expected a 1-D array, got shape {arr.shape}")
    if allow_nan:
        if np.isinf(arr).any():
            raise ValueError(f"{name}: contains infinite values")
    elif not np.isfinite(arr).all():
        raise ValueError(f"{name}: contains NaN or infinite values")
    return arr


def vertex_positions(positions: Any, n: int) -> np.ndarray:
    if isinstance(positions, Mapping):
        missing = [i for i in range(n) if i not in positions]
        if missing:
            raise ValueError(f"positions: no position for vertices {missing[:5]}")
        positions = [positions[i] for i in range(n)]
    try:
        pos = np.asarray(positions, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError("positions: expected an [n, 2] array or a {vertex: (x, y)} mapping") from None
    if pos.shape != (n, 2):
        raise ValueError(f"positions: expected shape ({n}, 2), got {pos.shape}")
    if not np.isfinite(pos).all():
        raise ValueError("positions: contains NaN or infinite values")
    return pos


def edges_of(graph: Any) -> tuple[int, np.ndarray]:
    try:
        n = int(graph.n)
        edges = np.asarray(graph.edges, dtype=np.int64)
    except (AttributeError, TypeError, ValueError):
        raise ValueError("graph: expected a ricci_lit KnnGraph (attributes n and edges)") from None
    if edges.size == 0:
        edges = edges.reshape(0, 2)
    if edges.ndim != 2 or edges.shape[1] != 2:
        raise ValueError(f"graph.edges: expected shape [E, 2], got {edges.shape}")
    return n, edges


def require_columns(df: Any, need: set[str]) -> None:
    if not isinstance(df, pd.DataFrame):
        raise ValueError("expected a pandas DataFrame")
    missing = sorted(need - set(df.columns))
    if missing:
        raise ValueError(f"missing columns {missing}; have {list(df.columns)}")


def labels_1d(y: Any, n: int, name: str = "y") -> np.ndarray:
    lab = np.asarray(y)
    if lab.ndim != 1 or lab.shape[0] != n:
        raise ValueError(f"{name}: expected {n} labels, got shape {lab.shape}")
    return lab
