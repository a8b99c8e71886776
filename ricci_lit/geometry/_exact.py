"""Exact-arithmetic helpers of the kNN search (scale normalisation, rounding bounds, exact ties).

The neighbour sort of :mod:`ricci_lit.geometry.knn` computes squared distances in the Gram form
``‖u‖² + ‖v‖² − 2 u·v``, which is fast but carries an absolute rounding error of order
``ε (‖u‖ + ‖v‖)²``. Two facts keep the result equal to what exact arithmetic gives:

* **Scale.** :func:`power_of_two_scale` multiplies a cloud by ``2^{−e}``, ``e`` the binary exponent of
  its largest ``|x|``, so every coordinate lies in ``[−1, 1)``. Multiplying by a power of two is
  exact for normal numbers, and so is every later rounding (it commutes with the scale), so an
  ordinary cloud gets bit-for-bit the same neighbour order as before and a cloud scaled by any
  finite positive factor ``c`` gets the same order as the cloud itself (no overflow above
  ``~1e152``, no underflow below ``~1e−158``).
* **Near ties.** :func:`gram_error_bound` bounds the Gram-form error per row (a standard forward
  error bound, ``γ_m = m u / (1 − m u)``, ``u = 2^{−53}``):
  ``|fl(D_ij) − D_ij| ≤ γ_{d+2} (‖u_i‖ + ‖u_j‖)² ≤ γ_{d+2} (‖u_i‖ + R)²``, ``R = max_j ‖u_j‖``
  (computed with a safety factor 2). Candidates whose computed distances lie within that bound of
  each other are re-decided by :func:`exact_order`: first by direct differences in float64
  (relative error ``≤ γ_{d+2}``), then, for those still within rounding of each other, by exact
  integer arithmetic on the dyadic values of the coordinates (:func:`exact_sqdist`).

Names here are public to the geometry subpackage (this module is private to it).
"""
from __future__ import annotations

import numpy as np

__all__ = ["UNIT_ROUNDOFF", "gamma", "power_of_two_scale", "gram_error_bound", "exact_sqdist",
           "exact_order", "near_tie_rows", "resolve_block"]

UNIT_ROUNDOFF = 2.0 ** -53

#: Absolute slack for squares of differences that underflow (each at most the smallest normal).
_UNDERFLOW_SLACK = 2.0 ** -1000


def gamma(m: int) -> float:
    """``γ_m = m u / (1 − m u)``, the bound on the relative error of ``m`` float64 operations."""
    mu = m * UNIT_ROUNDOFF
    if mu >= 0.5:
        raise ValueError(f"gamma({m}) is not defined in float64 (m u = {mu} ≥ 1/2)")
    return mu / (1.0 - mu)


def power_of_two_scale(X: np.ndarray) -> tuple[np.ndarray, int]:
    """``(X · 2^{−e}, e)`` with ``e`` the binary exponent of ``max |X|`` (``|X · 2^{−e}| < 1``).

    ``np.ldexp`` is exact for normal numbers, so distances of the result are those of ``X``
    times ``4^{−e}`` exactly (and their order is the same). ``e = 0`` for an all-zero array.
    """
    m = float(np.abs(X).max()) if X.size else 0.0
    if m == 0.0:
        return X, 0
    e = int(np.frexp(m)[1])
    if e == 0:
        return X, 0
    return np.ldexp(X, -e), e


def gram_error_bound(sqnorms: np.ndarray, d: int) -> np.ndarray:
    """Per-row bound on the absolute error of Gram-form squared distances (module docstring).

    ``sqnorms`` are the computed ``‖u_i‖²`` of the (translated, scaled) points of dimension ``d``.
    """
    norms = np.sqrt(sqnorms * (1.0 + 4.0 * gamma(d + 2)))
    radius = float(norms.max()) if norms.size else 0.0
    return 2.0 * gamma(d + 4) * (norms + radius) ** 2


def _dyadic_ints(P: np.ndarray) -> np.ndarray:
    """Coordinates as Python ints ``N`` with ``P = N · 2^E`` for one common ``E`` (exact)."""
    mant, expo = np.frexp(P)
    M = np.ldexp(mant, 53).astype(np.int64)  # 53-bit integer mantissas, exact
    ex = expo.astype(np.int64) - 53
    nz = M != 0
    if not nz.any():
        return np.zeros(P.shape, dtype=object)
    shift = np.where(nz, ex - ex[nz].min(), 0)
    return M.astype(object) * (np.full(P.shape, 2, dtype=object) ** shift.astype(object))


def exact_sqdist(p: np.ndarray, Q: np.ndarray) -> list[int]:
    """Exact squared distances from ``p`` to the rows of ``Q``, as integers on one common scale.

    The values are ``‖q − p‖² · 4^{−E}`` for one ``E`` shared by all rows, so they compare exactly
    (a tie in the result is a tie in exact arithmetic).
    """
    N = _dyadic_ints(np.vstack([p[None, :], Q]))
    diff = N[1:] - N[0]
    return [int(v) for v in (diff * diff).sum(axis=1)]


def exact_order(p: np.ndarray, Q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Dense exact rank of ``‖q − p‖²`` over the rows of ``Q``, and the direct float64 distances.

    Returns ``(level, direct)``: ``level[a] < level[b]`` exactly when row ``a`` is strictly nearer
    to ``p`` than row ``b`` in exact arithmetic, equal levels being exact ties; ``direct`` are the
    squared distances by direct differences in float64. Rows whose direct distances are farther
    apart than their rounding bound are ordered by them; the rest by :func:`exact_sqdist`.
    """
    m = Q.shape[0]
    if m == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    diff = Q - p
    direct = np.einsum("ij,ij->i", diff, diff)
    g = gamma(Q.shape[1] + 3)
    slack = _UNDERFLOW_SLACK * Q.shape[1]
    lo = direct * (1.0 - g) - slack
    hi = direct * (1.0 + g) + slack
    exact0 = ~diff.any(axis=1)  # identical rows: exactly 0
    lo[exact0] = hi[exact0] = 0.0
    order = np.argsort(direct, kind="stable")
    reach = np.maximum.accumulate(hi[order])
    new_cluster = np.ones(m, dtype=bool)
    new_cluster[1:] = lo[order][1:] > reach[:-1]
    cluster = np.cumsum(new_cluster) - 1  # in sorted position
    key: list[tuple[int, int]] = [(int(c), 0) for c in cluster]
    sizes = np.bincount(cluster)
    for c in np.nonzero(sizes > 1)[0]:
        pos = np.nonzero(cluster == c)[0]
        for q, v in zip(pos, exact_sqdist(p, Q[order[pos]])):
            key[q] = (int(c), v)
    keys_sorted = sorted(set(key))
    rank = {kv: r for r, kv in enumerate(keys_sorted)}
    level = np.empty(m, dtype=np.int64)
    level[order] = [rank[kv] for kv in key]
    return level, direct


def near_tie_rows(D: np.ndarray, counts: np.ndarray, cols: np.ndarray, d: np.ndarray,
                   exact_id: np.ndarray, err: np.ndarray) -> np.ndarray:
    """Rows whose order or boundary rounding could have decided (``bool [b]``).

    A row is flagged when two of its sorted candidates of different exact points lie within
    ``2 err`` of each other, or a point outside it lies within ``2 err`` of its last value.
    """
    offsets = np.cumsum(counts)
    tol = 2.0 * err
    t = d[offsets - 1]
    flag = np.count_nonzero(D <= (t + tol)[:, None], axis=1) > counts
    rows = np.repeat(np.arange(counts.size), counts)
    ids = exact_id[cols]
    close = ((rows[1:] == rows[:-1]) & (d[1:] - d[:-1] <= tol[rows[1:]])
             & (ids[1:] != ids[:-1]))
    flag[rows[1:][close]] = True
    return flag


def _resolve_row(exact_id: np.ndarray, exact_points: np.ndarray, i: int, Drow: np.ndarray,
                 limit: float, k_max: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Re-select row ``i`` by exact distances among every candidate with ``D ≤ limit``.

    Returns ``(cols, sqdist, rank)``: the candidates within the exact ``k_max``-th distance, sorted
    by (exact distance, index), their direct float64 squared distances and their dense exact rank.
    """
    C = np.nonzero(Drow <= limit)[0]
    uid, inv = np.unique(exact_id[C], return_inverse=True)
    level_u, direct_u = exact_order(exact_points[exact_id[i]], exact_points[uid])
    lev = level_u[inv.reshape(-1)]
    order = np.lexsort((C, lev))
    C, lev = C[order], lev[order]
    keep = lev <= lev[k_max - 1]
    C, lev = C[keep], lev[keep]
    rank = np.unique(lev, return_inverse=True)[1].reshape(-1).astype(np.int64)
    return C, direct_u[inv.reshape(-1)][order][keep], rank


def resolve_block(exact_id: np.ndarray, exact_points: np.ndarray, err: np.ndarray, D: np.ndarray,
                  start: int, k_max: int, flag: np.ndarray, counts: np.ndarray, cols: np.ndarray,
                  d: np.ndarray, rank: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Replace the flagged rows of one sorted block by their exact re-selection.

    ``D`` is the block's distance matrix (rows ``start…``), ``exact_id`` maps every point to its
    row of ``exact_points`` (the exact coordinates), ``err`` is the block rows' Gram-form error
    bound; ``counts, cols, d, rank`` are the block's CSR rows. Returns them with the flagged
    rows re-selected by ``_resolve_row``.
    """
    offsets = np.zeros(counts.size + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    out_c, out_d, out_r = [], [], []
    new_counts = counts.copy()
    tol = 2.0 * err
    for b in range(counts.size):
        s, e = offsets[b], offsets[b + 1]
        if flag[b]:
            c, dd, r = _resolve_row(exact_id, exact_points, start + b, D[b], d[e - 1] + tol[b], k_max)
            new_counts[b] = c.size
        else:
            c, dd, r = cols[s:e], d[s:e], rank[s:e]
        out_c.append(c)
        out_d.append(dd)
        out_r.append(r)
    return new_counts, np.concatenate(out_c), np.concatenate(out_d), np.concatenate(out_r)
