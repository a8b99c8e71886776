"""Each kept network's per-layer series at its chosen ``k`` and the Fig. 4 panels drawn from them
(P1 §3.3).

Imports :mod:`ricci_lit.geometry` and :mod:`ricci_lit.analysis.paper1` (the report) and the paper's
values of :mod:`ricci_lit.analysis.targets`.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ricci_lit.analysis.paper1 import NETWORK_KEYS, Report, kept_mask, layer_series
from ricci_lit.analysis.targets import PAPER1_FIG4_EXAMPLES
from ricci_lit.geometry.coefficients import coefficient_from_totals

__all__ = ["kept_networks", "network_series", "fig4_panels"]


def kept_networks(report: Report) -> pd.DataFrame:
    """The networks paper 1 keeps (P1 §3.3): well trained, connected at the chosen k, ρ defined."""
    return report.nets[kept_mask(report.nets)].reset_index(drop=True)


def _slope(values: np.ndarray) -> float:
    if values.size < 2:
        return float("nan")
    return float(np.polyfit(np.arange(values.size, dtype=float), values, 1)[0])


def network_series(report: Report, geometry: pd.DataFrame, *, layers: str = "hidden") -> pd.DataFrame:
    """Each kept network's per-layer totals at its chosen k, its ρ and its trends (P1 §3.3, Fig. 4).

    One row per kept network (:func:`kept_networks`) with arrays ``ric`` (``Ric_l``, l = 1 … L),
    ``g`` and ``eta`` (``η_l = g_{l+1} − g_l``), the coefficient ``rho`` recomputed from them with
    :func:`ricci_lit.geometry.coefficients.coefficient_from_totals` (equal to the report's), the least-squares slopes
    of ``Ric_l`` and ``η_l`` against the layer index, and ``trend``: ``"separation"`` when
    curvature falls and the distance change rises through the layers (paper 1's synthetic data),
    ``"aggregation"`` for the opposite (its MNIST and Fashion-MNIST), ``"mixed"`` otherwise.
    """
    kept = kept_networks(report)
    cols = ["problem", "architecture", "seed", "best_k", "n_hidden", "test_accuracy", "ric", "g", "eta",
            "rho", "ric_slope", "eta_slope", "trend"]
    if kept.empty:
        return pd.DataFrame(columns=cols)
    geo = layer_series(geometry, kept[NETWORK_KEYS + ["n_hidden"]], layers)
    geo = geo.merge(kept[NETWORK_KEYS + ["best_k"]], on=NETWORK_KEYS)
    geo = geo[geo["k"] == geo["best_k"]]
    rows = []
    for key, grp in geo.groupby(NETWORK_KEYS, sort=True):
        grp = grp.sort_values("layer")
        ric = grp["ric"].to_numpy(float)
        g = grp["g"].to_numpy(float)
        rho, _, eta = coefficient_from_totals(ric, g)
        rs, es = _slope(ric), _slope(eta)
        trend = "separation" if rs < 0 < es else ("aggregation" if es < 0 < rs else "mixed")
        first = grp.iloc[0]
        rows.append(dict(zip(NETWORK_KEYS, key), best_k=int(first["best_k"]), n_hidden=int(first["n_hidden"]),
                         ric=ric, g=g, eta=eta, rho=rho, ric_slope=rs, eta_slope=es, trend=trend))
    out = pd.DataFrame(rows, columns=[c for c in cols if c != "test_accuracy"])
    out = out.merge(kept[NETWORK_KEYS + ["test_accuracy"]], on=NETWORK_KEYS, how="left")
    return out[cols]


def _median_row(sub: pd.DataFrame) -> pd.Series:
    """The network with the (lower) median ρ: a representative, not the best, example."""
    ordered = sub.sort_values(["rho", "seed"], kind="stable")
    return ordered.iloc[(len(ordered) - 1) // 2]


def fig4_panels(series: pd.DataFrame, problems: Sequence[str]) -> list[dict[str, Any]]:
    """One Fig. 4 panel per problem (P1 §3.3): a deep network's ``Ric_l`` against ``η_l``.

    For each problem the paper's architecture (:data:`~ricci_lit.analysis.targets.PAPER1_FIG4_EXAMPLES`) is used when it has
    kept networks, else another deep architecture with kept networks (``fallback=True``), else the
    problem is skipped. Within the configuration the network with the median ρ is drawn (not the
    most negative one). ``series`` comes from :func:`network_series`.

    Returns
    -------
    list of dict
        ``problem, architecture, seed, k, ric (Ric_1 … Ric_{L−1}), eta, rho, labels, title,
        fallback, paper_architecture, paper_rho``.
    """
    panels = []
    for problem in problems:
        arch_paper, rho_paper = PAPER1_FIG4_EXAMPLES.get(problem, (None, None))
        sub = series[series["problem"] == problem]
        arch = arch_paper if arch_paper is not None and (sub["architecture"] == arch_paper).any() else None
        if arch is None:
            deep = sorted(a for a in set(sub["architecture"]) if str(a).endswith("-deep"))
            if not deep:
                continue
            arch = deep[0]
        row = _median_row(sub[sub["architecture"] == arch])
        L = int(row["n_hidden"])
        panels.append({
            "problem": problem, "architecture": arch, "seed": int(row["seed"]), "k": int(row["best_k"]),
            "ric": np.asarray(row["ric"])[:-1], "eta": np.asarray(row["eta"]), "rho": float(row["rho"]),
            "labels": [f"{l}→{l + 1}" for l in range(1, L)],
            "title": f"{problem}, {arch}, seed {int(row['seed'])}, k = {int(row['best_k'])}",
            "fallback": arch != arch_paper, "paper_architecture": arch_paper, "paper_rho": rho_paper,
        })
    return panels
