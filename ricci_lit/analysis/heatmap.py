"""Paper 1's Fig. 3 as numbers: the aggregated-coefficient matrix (k × configuration), the
hierarchical clustering of its columns and its agreement with a factor, and each configuration's
best k as a fraction of its test set beside the paper's range (P1 §3.2).

Imports :mod:`ricci_lit.analysis.paper1` (the report) and the paper's values of
:mod:`ricci_lit.analysis.targets`.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ricci_lit.analysis.paper1 import Report
from ricci_lit.analysis.targets import (
    PAPER1_BEST_K_RANGE,
    PAPER1_TEST_SIZES,
    TOLERANCES,
)

__all__ = ["aggregated_matrix", "ColumnClustering", "cluster_columns", "adjusted_rand_index",
           "clustering_agreement", "best_k_fractions"]


def aggregated_matrix(report: Report, problems: Sequence[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The aggregated coefficient (P1 §3.2) as a ``k × configuration`` matrix for ``problems``.

    Columns are labelled ``"problem · architecture"`` for every configuration with networks in the
    report (one with no well-trained network is an all-NaN column); rows are the k values computed
    for these problems. Returns ``(matrix, columns)`` where ``columns`` has one row per column with
    ``label, problem, architecture, width, depth, best_k``.
    """
    nets = report.nets[report.nets["problem"].isin(list(problems))]
    configs = nets[["problem", "architecture"]].drop_duplicates()
    order = {p: i for i, p in enumerate(problems)}
    configs = configs.assign(_o=configs["problem"].map(order)).sort_values(["_o", "architecture"]).drop(columns="_o")
    agg = report.aggregated[report.aggregated["problem"].isin(list(problems))]
    ks = sorted(int(k) for k in agg["k"].unique())
    labels = [f"{p} · {a}" for p, a in zip(configs["problem"], configs["architecture"])]
    matrix = pd.DataFrame(np.nan, index=pd.Index(ks, name="k"), columns=labels, dtype=float)
    for _, r in agg.iterrows():
        if r["aggregated"] is not None and not pd.isna(r["aggregated"]):
            matrix.loc[int(r["k"]), f"{r['problem']} · {r['architecture']}"] = float(r["aggregated"])
    best = report.best.set_index(["problem", "architecture"])["best_k"]
    meta = []
    for (p, a), lab in zip(zip(configs["problem"], configs["architecture"]), labels):
        width, depth = str(a).split("-") if "-" in str(a) else (str(a), "")
        b = best.get((p, a), None)
        meta.append({"label": lab, "problem": p, "architecture": a, "width": width, "depth": depth,
                     "best_k": None if b is None or pd.isna(b) else int(b)})
    return matrix, pd.DataFrame(meta, columns=["label", "problem", "architecture", "width", "depth", "best_k"])


@dataclass(frozen=True)
class ColumnClustering:
    """Result of :func:`cluster_columns`."""

    order: list[str]
    linkage: np.ndarray | None
    nan_filled: int
    method: str = "complete"
    metric: str = "euclidean"


def cluster_columns(matrix: pd.DataFrame, *, method: str = "complete") -> ColumnClustering:
    """Hierarchical clustering of the columns of a ``k × configuration`` matrix (P1 Fig. 3).

    Each column (a configuration's aggregated coefficients over k) is a feature vector; columns
    are clustered with Euclidean distance and complete linkage (the defaults of R's
    ``hclust``/``heatmap``, which the authors used; paper 1 names no method). **NaN cells** (no
    coefficient: no well-trained or no connected network at that k) are replaced by 0 for the
    distance computation only, and counted in ``nan_filled``; the matrix itself is not changed.
    With fewer than two columns there is nothing to cluster (``linkage = None``).
    """
    from scipy.cluster.hierarchy import leaves_list, linkage

    if not isinstance(matrix, pd.DataFrame) or matrix.shape[1] == 0:
        raise ValueError("matrix must be a non-empty DataFrame (k × configuration)")
    values = matrix.to_numpy(dtype=float)
    nan = int(np.isnan(values).sum())
    if matrix.shape[1] < 2 or matrix.shape[0] == 0:
        return ColumnClustering(list(matrix.columns), None, nan, method)
    filled = np.nan_to_num(values, nan=0.0).T
    Z = linkage(filled, method=method, metric="euclidean")
    order = [matrix.columns[i] for i in leaves_list(Z)]
    return ColumnClustering(order, Z, nan, method)


def adjusted_rand_index(a: Sequence[Any], b: Sequence[Any]) -> float:
    """Adjusted Rand index of two labellings of the same items (Hubert & Arabie 1985)."""
    from scipy.special import comb

    a = list(a)
    b = list(b)
    if len(a) != len(b):
        raise ValueError("labellings differ in length")
    n = len(a)
    if n < 2:
        return float("nan")
    ta = pd.crosstab(pd.Series(a, name="a"), pd.Series(b, name="b")).to_numpy()
    sum_cells = comb(ta, 2).sum()
    sum_a = comb(ta.sum(axis=1), 2).sum()
    sum_b = comb(ta.sum(axis=0), 2).sum()
    expected = sum_a * sum_b / comb(n, 2)
    maximum = 0.5 * (sum_a + sum_b)
    if maximum == expected:
        return 1.0 if sum_cells == expected else float("nan")
    return float((sum_cells - expected) / (maximum - expected))


def clustering_agreement(matrix: pd.DataFrame, columns: pd.DataFrame, by: str) -> dict[str, Any]:
    """How well the column clustering of Fig. 3 follows a factor (``"problem"`` or ``"depth"``).

    The dendrogram of :func:`cluster_columns` is cut into as many clusters as the factor has
    levels and compared with the factor by the adjusted Rand index. Testable only when the factor
    has at least two levels with at least two columns each; otherwise ``ari`` is ``None`` with
    the reason.
    """
    from scipy.cluster.hierarchy import fcluster

    if by not in columns.columns:
        raise ValueError(f"columns has no {by!r}")
    labels = columns.set_index("label").loc[list(matrix.columns), by].tolist()
    sizes = pd.Series(labels).value_counts()
    big = sizes[sizes >= 2]
    if len(big) < 2:
        have = ", ".join(f"{lev} {int(n)}" for lev, n in sizes.items())
        return {"ari": None, "n_columns": len(labels), "levels": int(len(sizes)),
                "reason": f"needs ≥ 2 {by} levels with ≥ 2 columns each; have {have}"}
    clus = cluster_columns(matrix)
    cut = fcluster(clus.linkage, t=len(sizes), criterion="maxclust")
    return {"ari": adjusted_rand_index(cut, labels), "n_columns": len(labels), "levels": int(len(sizes)),
            "reason": ""}


def best_k_fractions(report: Report) -> pd.DataFrame:
    """Best k of each configuration as a fraction of its test-set size, beside the paper's range.

    Columns ``problem, architecture, best_k, n_test, fraction, paper_lo, paper_hi, lo, hi,
    in_range``: ``paper_lo/hi`` is :data:`~ricci_lit.analysis.targets.PAPER1_BEST_K_RANGE` divided by
    :data:`~ricci_lit.analysis.targets.PAPER1_TEST_SIZES`, ``lo/hi`` that range widened by ``TOLERANCES["best_k_widen"]``.
    """
    widen = TOLERANCES["best_k_widen"]
    n_test = report.nets.groupby("problem")["n_test"].first() if "n_test" in report.nets else pd.Series(dtype=float)
    configs = report.nets[["problem", "architecture"]].drop_duplicates()
    best = report.best.set_index(["problem", "architecture"])["best_k"]
    rows = []
    for p, a in zip(configs["problem"], configs["architecture"]):
        b = best.get((p, a), None)
        b = None if b is None or pd.isna(b) else int(b)
        n = int(n_test[p]) if p in n_test.index else None
        lo_k, hi_k = PAPER1_BEST_K_RANGE.get(p, (None, None))
        plo = lo_k / PAPER1_TEST_SIZES[p] if lo_k is not None else None
        phi = hi_k / PAPER1_TEST_SIZES[p] if hi_k is not None else None
        frac = b / n if (b is not None and n) else None
        lo = plo / widen if plo is not None else None
        hi = phi * widen if phi is not None else None
        rows.append({"problem": p, "architecture": a, "best_k": b, "n_test": n, "fraction": frac,
                     "paper_lo": plo, "paper_hi": phi, "lo": lo, "hi": hi,
                     "in_range": None if frac is None or lo is None else bool(lo <= frac <= hi)})
    return pd.DataFrame(rows, columns=["problem", "architecture", "best_k", "n_test", "fraction", "paper_lo",
                                       "paper_hi", "lo", "hi", "in_range"])
