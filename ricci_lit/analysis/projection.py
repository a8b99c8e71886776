"""Projections of a point cloud on its principal-component plane, and how linearly separable two
classes are there (P1 Fig. 1A).

:func:`pca_2d` gives the scores on the two leading principal components; :func:`pc_planes`
projects every representation of a network at once, as the Fig. 1A picture needs it
(:func:`ricci_lit.plotting.data.pca_layers_figure` draws what it returns); and
:func:`pc_separability` measures the classes' :func:`linear_separability` in each plane, the
quantitative form of what the figure shows. Imports numpy only.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["pca_2d", "PCPlane", "pc_planes", "linear_separability", "pc_separability"]


def pca_2d(points: Any, *, return_variance: bool = False):
    """The first two principal-component scores of a point cloud (the projection of P1 Fig. 1A).

    Centres the rows of ``points`` and projects them on the two leading right singular vectors
    (numpy SVD). Each component's sign is fixed so that its largest-magnitude loading is positive,
    which makes the picture deterministic. A cloud of dimension (or rank) below 2 gets zeros in
    the missing component, e.g. the one-dimensional sigmoid output of a network.

    Parameters
    ----------
    points
        ``[n, d]`` finite values, ``n ≥ 2``.
    return_variance
        Also return the fraction of the total variance carried by each of the two components.

    Returns
    -------
    numpy.ndarray
        ``[n, 2]`` scores (and, with ``return_variance``, a length-2 array of variance fractions).
    """
    try:
        x = np.asarray(points, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError("points: expected numbers") from None
    if x.ndim != 2 or x.shape[0] < 2 or x.shape[1] < 1:
        raise ValueError(f"points: expected an [n, d] array with n >= 2 and d >= 1, got shape {x.shape}")
    if not np.isfinite(x).all():
        raise ValueError("points: contains NaN or infinite values")
    centred = x - x.mean(axis=0)
    _, s, vt = np.linalg.svd(centred, full_matrices=False)
    m = min(2, vt.shape[0])
    scores = np.zeros((x.shape[0], 2))
    total = float((s**2).sum())
    var = np.zeros(2)
    for c in range(m):
        if s[c] <= 1e-12 * max(s[0], 1e-300):
            continue
        v = vt[c]
        if v[np.argmax(np.abs(v))] < 0:
            v = -v
        scores[:, c] = centred @ v
        var[c] = s[c] ** 2 / total if total > 0 else 0.0
    return (scores, var) if return_variance else scores


@dataclass(frozen=True)
class PCPlane:
    """One representation projected on its PC1–PC2 plane (:func:`pc_planes`).

    Attributes
    ----------
    scores
        ``[n, 2]`` principal-component scores (:func:`pca_2d`).
    variance
        Fraction of the total variance carried by PC1 and PC2.
    dim
        Dimension ``d`` of the representation (1: PC2 is identically 0).
    """

    scores: np.ndarray
    variance: np.ndarray
    dim: int


def pc_planes(representations: Sequence[Any]) -> list[PCPlane]:
    """Every representation ``X^0, X^1, …`` (same ``n`` rows) on its own PC1–PC2 plane.

    Raises ``ValueError`` for an empty sequence or a representation that is not ``[n, d]`` with
    the first one's ``n``.
    """
    reps = list(representations)
    if not reps:
        raise ValueError("representations is empty")
    n = np.asarray(reps[0]).shape[0] if np.asarray(reps[0]).ndim == 2 else -1
    planes = []
    for i, rep in enumerate(reps):
        arr = np.asarray(rep)
        if arr.ndim != 2 or arr.shape[0] != n:
            raise ValueError(f"representation {i}: expected shape [{n}, d], got {arr.shape}")
        scores, var = pca_2d(arr, return_variance=True)
        planes.append(PCPlane(scores, var, int(arr.shape[1])))
    return planes


def linear_separability(points: Any, y: Any) -> float:
    """Accuracy of the least-squares linear classifier of ``y`` (0/1) on ``points`` (with an
    intercept), fitted and evaluated on the same points: 1 for linearly separable classes in
    practice, about the larger class share for entangled ones."""
    x = np.asarray(points, dtype=np.float64)
    lab = np.asarray(y)
    if x.ndim != 2 or x.shape[0] != lab.shape[0]:
        raise ValueError(f"points [n, d] and n labels expected, got {x.shape} and {lab.shape}")
    design = np.column_stack([x, np.ones(x.shape[0])])
    target = np.where(lab == 1, 1.0, -1.0)
    w = np.linalg.lstsq(design, target, rcond=None)[0]
    return float(((design @ w > 0) == (lab == 1)).mean())


def pc_separability(representations: Sequence[Any], y: Any) -> list[float]:
    """:func:`linear_separability` of the classes ``y`` in each representation's PC1–PC2 plane
    (:func:`pca_2d`): near the larger class share where the classes are entangled, 1 where a line
    separates them."""
    return [linear_separability(pca_2d(np.asarray(x)), y) for x in representations]
