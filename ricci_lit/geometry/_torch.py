"""Torch path for the per-layer totals: kNN and hop-distance totals batched over layers.

Used by :func:`ricci_lit.geometry.coefficients.geometry_table` with ``backend="torch"``. It computes the same
quantities as the NumPy path (identical totals wherever the two agree on the neighbour order,
which they do exactly on data whose distances are computed exactly, e.g. duplicated or
integer-valued points, and in practice on data without floating-point near-ties), on CUDA when
``device="auto"`` finds a GPU and on the CPU otherwise.

Method
------
* Distances: squared Euclidean in float64 between distinct points (``torch.unique``), gathered
  back, self set to ``+inf``; a stable sort of each row orders candidates by
  ``(distance, index)``, as :func:`ricci_lit.geometry.knn.neighbour_table` does (after the same
  exact power-of-two scale, so the result does not depend on the scale of the data). Unlike the
  NumPy path, near ties within the Gram form's rounding are *not* re-decided exactly here, and
  ``n_tie_decided`` counts equal computed distances at positions ``k`` and ``k + 1``.
* Graph for ``k``: out-neighbours are the first ``k`` entries (union) or every entry with
  distance ``≤`` the ``k``-th (r-compat); dense ``A = A_dir ∨ A_dirᵀ``.
* Forman total without touching edges: ``Σ_e (4 − d_i − d_j) = 4|E| − Σ_i d_i²`` (union) and
  ``4|E_dir| − Σ_i D_i²`` with ``D`` = in + out (r-compat). Augmented Forman adds
  ``3 Σ_e t_e`` with ``t = A²`` on the edges.
* Hop totals: breadth-first search from every source at once for all layers,
  ``N_{t+1} = (A F_t > 0) ∧ ¬V_t`` as a batched dense matrix product (half precision on CUDA is
  exact here: the products are sums of non-negative integers, only their sign is used),
  ``g = Σ_t t · |N_t|``.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from ricci_lit.geometry._exact import power_of_two_scale

from ricci_lit._device import resolve_device

__all__ = ["resolve_device", "geometry_table_torch"]


def _sorted_neighbours(X: np.ndarray, dev):
    import torch

    X, _ = power_of_two_scale(np.asarray(X, dtype=np.float64))  # exact: scale-free, as knn
    x = torch.from_numpy(np.ascontiguousarray(X - X[0])).to(dev)  # as knn.neighbour_table
    uniq, inverse = torch.unique(x, dim=0, return_inverse=True)
    norms = (uniq * uniq).sum(1)
    du = norms[:, None] + norms[None, :] - 2.0 * (uniq @ uniq.T)
    du.clamp_(min=0.0)
    du.fill_diagonal_(0.0)
    D = du[inverse][:, inverse]
    n = D.shape[0]
    D[torch.arange(n, device=dev), torch.arange(n, device=dev)] = float("inf")
    Ds, order = torch.sort(D, dim=1, stable=True)
    return Ds, order, int(uniq.shape[0])


def geometry_table_torch(
    reps: Sequence[np.ndarray],
    ks: Sequence[int],
    *,
    curvature: str = "forman",
    mode: str = "union",
    device: str = "auto",
) -> pd.DataFrame:
    """Torch implementation of :func:`ricci_lit.geometry.coefficients.geometry_table` (same columns)."""
    import torch
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import connected_components

    if curvature not in ("forman", "augmented-forman"):
        raise ValueError(
            f"the torch backend computes 'forman' and 'augmented-forman' totals; "
            f"use backend='numpy' for {curvature!r}")
    dev = resolve_device(device)
    mm_dtype = torch.float16 if dev.type == "cuda" else torch.float32
    n = reps[0].shape[0]
    tables = [_sorted_neighbours(X, dev) for X in reps]
    M = len(reps)
    rows = []
    eye = torch.eye(n, dtype=torch.bool, device=dev)
    for k in ks:
        A_dir = torch.zeros((M, n, n), dtype=torch.bool, device=dev)
        ties = [int((Ds[:, k - 1] == Ds[:, k]).sum()) if mode == "union" else 0
                for Ds, _, _ in tables]
        for l, (Ds, order, _) in enumerate(tables):
            if mode == "union":
                mask = torch.zeros_like(Ds, dtype=torch.bool)
                mask[:, :k] = True
            else:
                mask = Ds <= Ds[:, k - 1 : k]
            A_dir[l].scatter_(1, order, mask)
        A = A_dir | A_dir.transpose(1, 2)
        Af = A.to(mm_dtype)
        deg = A.sum(2, dtype=torch.int64)
        if mode == "union":
            n_edges = A.sum((1, 2), dtype=torch.int64) // 2
            ric = 4 * n_edges - (deg * deg).sum(1)
        else:
            n_edges = A_dir.sum((1, 2), dtype=torch.int64)
            D = A_dir.sum(2, dtype=torch.int64) + A_dir.sum(1, dtype=torch.int64)
            ric = 4 * n_edges - (D * D).sum(1)
        ric = ric.to(torch.float64)
        if curvature == "augmented-forman":
            A2 = torch.bmm(Af.float() if dev.type == "cpu" else Af, Af).to(torch.float64)
            weights = A_dir if mode == "r-compat" else A
            tri = (A2 * weights.to(torch.float64)).sum((1, 2))
            if mode == "union":
                tri = tri / 2.0
            ric = ric + 3.0 * tri
        visited = eye.expand(M, n, n).clone()
        frontier = visited.to(mm_dtype)
        total = torch.zeros(M, dtype=torch.int64, device=dev)
        diameter = torch.zeros(M, dtype=torch.int64, device=dev)
        level = 0
        while True:
            level += 1
            new = (torch.bmm(Af, frontier) > 0) & ~visited
            cnt = new.sum((1, 2), dtype=torch.int64)
            if int(cnt.sum()) == 0:
                break
            total += level * cnt
            diameter = torch.where(cnt > 0, torch.full_like(diameter, level), diameter)
            visited |= new
            frontier = new.to(mm_dtype)
        reached = visited.sum((1, 2), dtype=torch.int64)
        for l in range(M):
            connected = int(reached[l]) == n * n
            if connected:
                n_comp = 1
            else:
                n_comp = int(connected_components(csr_matrix(A[l].cpu().numpy()), directed=False)[0])
            rows.append({
                "layer": l, "k": int(k), "ric": float(ric[l]),
                "g": float(total[l]) if connected else float("inf"),
                "g_finite": int(total[l]), "connected": connected, "n_components": n_comp,
                "n_edges": int(n_edges[l]), "n_distinct": tables[l][2],
                "collapsed": tables[l][2] < k + 1, "diameter": int(diameter[l]),
                "n_tie_decided": ties[l],
            })
    df = pd.DataFrame(rows)
    return df.sort_values(["layer", "k"], kind="stable").reset_index(drop=True)
