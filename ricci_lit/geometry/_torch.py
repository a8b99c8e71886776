"""Torch path for the per-layer totals: kNN and hop-distance totals batched over layers.

Used by :func:`ricci_lit.geometry.coefficients.geometry_table` with ``backend="torch"``. It computes the same
quantities as the NumPy path, with the same exact tie rule, on CUDA when ``device="auto"``
finds a GPU and on the CPU otherwise.

Method
------
* Distances: squared Euclidean in float64 between distinct points (``torch.unique``), gathered
  back, self set to ``+inf``; a stable sort of each row orders candidates by
  ``(distance, index)``, as :func:`ricci_lit.geometry.knn.neighbour_table` does (after the same
  exact power-of-two scale, so the result does not depend on the scale of the data). As on the
  NumPy path, rows whose first ``max(ks) + 1`` places the Gram form's rounding could have
  decided (two computed distances of different points within twice its error bound) are
  re-selected in exact arithmetic, on the CPU; ``n_tie_decided`` counts exact ties at places
  ``k`` and ``k + 1``.
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

from ricci_lit.geometry._exact import gram_error_bound, power_of_two_scale, resolve_block

from ricci_lit._device import resolve_device

__all__ = ["resolve_device", "geometry_table_torch"]


def _sorted_neighbours(X: np.ndarray, dev, k_max: int):
    """Each row's columns sorted by ``(distance, index)`` and the dense rank of its distance,
    with rows whose first ``k_max + 1`` places rounding could have decided re-selected exactly.

    Returns ``(order, rank, n_distinct)`` as ``[n, n]`` tensors on ``dev``: ``order[i]`` the
    columns of row ``i``, ``rank[i, p]`` the dense rank of the ``p``-th one's distance (exact in
    the first ``k_max + 1`` places). A row is re-selected (on the CPU, by
    :func:`ricci_lit.geometry._exact.resolve_block`, as the NumPy path does) when two of its
    first ``k_max + 2`` computed distances of different points are within twice the Gram-form
    error bound of each other.
    """
    import torch

    scaled, _ = power_of_two_scale(np.asarray(X, dtype=np.float64))  # exact: scale-free, as knn
    n, d = scaled.shape
    x = torch.from_numpy(np.ascontiguousarray(scaled - scaled[0])).to(dev)  # as knn.neighbour_table
    uniq, inverse = torch.unique(x, dim=0, return_inverse=True)
    norms = (uniq * uniq).sum(1)
    du = norms[:, None] + norms[None, :] - 2.0 * (uniq @ uniq.T)
    du.clamp_(min=0.0)
    du.fill_diagonal_(0.0)
    D = du[inverse][:, inverse]
    D[torch.arange(n, device=dev), torch.arange(n, device=dev)] = float("inf")
    Ds, order = torch.sort(D, dim=1, stable=True)
    new = torch.ones_like(Ds, dtype=torch.int64)
    new[:, 1:] = (Ds[:, 1:] != Ds[:, :-1]).to(torch.int64)
    new[:, 0] = 0
    rank = torch.cumsum(new, dim=1)
    # near ties: the exact points (rows of the scaled cloud; the translation may merge some)
    exact_points, exact_id = np.unique(scaled, axis=0, return_inverse=True)
    exact_id = exact_id.reshape(-1).astype(np.int64)
    err = gram_error_bound(norms.cpu().numpy(), d)[inverse.cpu().numpy()]
    K = min(n - 1, k_max + 1)  # places that must be exact: k_max and the tie at k_max + 1
    W = min(n - 1, K + 1)
    head = Ds[:, :W].cpu().numpy()
    head_cols = order[:, :W].cpu().numpy()
    close = (np.diff(head, axis=1) <= 2.0 * err[:, None]) & \
        (exact_id[head_cols[:, 1:]] != exact_id[head_cols[:, :-1]])
    flagged = np.nonzero(close.any(axis=1))[0]
    if flagged.size:
        order_np, rank_np = order.cpu().numpy(), rank.cpu().numpy()
        for i in flagged:
            row = D[i].cpu().numpy()
            c = np.count_nonzero(head[i] <= head[i, K - 1])
            _, cols, _, rk = resolve_block(exact_id, exact_points, err[i:i + 1], row[None], int(i), K,
                                           np.ones(1, dtype=bool), np.array([c]), head_cols[i, :c],
                                           head[i, :c], rank_np[i, :c])
            rest = order_np[i][~np.isin(order_np[i], cols)]
            order_np[i] = np.concatenate([cols, rest])
            rank_np[i] = np.concatenate([rk, rk[-1] + 1 + np.arange(rest.size)])
        order = torch.from_numpy(order_np).to(dev)
        rank = torch.from_numpy(rank_np).to(dev)
    return order, rank, int(exact_points.shape[0])


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
    tables = [_sorted_neighbours(X, dev, max(int(k) for k in ks)) for X in reps]
    M = len(reps)
    rows = []
    eye = torch.eye(n, dtype=torch.bool, device=dev)
    for k in ks:
        A_dir = torch.zeros((M, n, n), dtype=torch.bool, device=dev)
        ties = [int((rank[:, k - 1] == rank[:, k]).sum()) if mode == "union" and k < n - 1 else 0
                for _, rank, _ in tables]
        for l, (order, rank, _) in enumerate(tables):
            if mode == "union":
                mask = torch.zeros_like(rank, dtype=torch.bool)
                mask[:, :k] = True
            else:
                mask = rank <= rank[:, k - 1 : k]
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
