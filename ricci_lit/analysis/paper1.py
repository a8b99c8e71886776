"""Paper 1's analysis of a sweep's results store (P1 §3.2–3.4; paper-notes §1, §3, §4).

Inputs are the two tables a sweep writes (see :mod:`ricci_lit.experiments.paper1`):

``networks``
    one row per trained network: ``problem, architecture, seed, n_hidden, width, depth,
    test_accuracy`` (and training metadata);
``geometry``
    one row per (network, representation ``layer``, ``k``): ``ric, g, connected, ...`` with
    ``layer = 0`` the input, ``1 … L`` the hidden layers and ``L + 1`` the output.

The pipeline (paper-details §1.11):

1. well-trained filter: ``test_accuracy > threshold[problem]`` (P1 §3.1);
2. per ``(problem, architecture, k)``: the aggregated coefficient, one Pearson correlation over
   the pooled ``(Ric_l, η_l)`` points of the well-trained networks whose graphs are connected at
   every used layer (P1 §3.2);
3. best ``k`` = the most negative aggregated coefficient of each ``(problem, architecture)``;
4. per network at its best ``k``: excluded and counted if disconnected, else ``ρ`` (P1 Eq. 8) and
   the adjusted ``z = artanh(ρ)/√(L−4)`` (P1 Eq. 11);
5. the linear model ``test_accuracy ~ z + problem + width + depth`` (Table S2).

``layers="hidden"`` (paper 1, default) uses representations ``1 … L``; ``"all"`` (paper 2) uses
``0 … L+1``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ricci_lit.geometry.coefficients import (
    adjusted_coefficient,
    aggregated_coefficient,
    coefficient_from_totals,
    fisher_z,
)

__all__ = [
    "NETWORK_KEYS",
    "well_trained",
    "layer_series",
    "per_network_k",
    "aggregated_table",
    "best_k",
    "per_network_coefficients",
    "kept_mask",
    "counts",
    "accuracy_regression",
    "Report",
    "report",
]

NETWORK_KEYS = ["problem", "architecture", "seed"]


def _check_columns(df: pd.DataFrame, cols: list[str], name: str) -> None:
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise ValueError(f"{name} table lacks columns {missing}")


def well_trained(networks: pd.DataFrame, thresholds: dict[str, float]) -> pd.Series:
    """Boolean mask: ``test_accuracy > thresholds[problem]`` (strict, P1 §3.1)."""
    _check_columns(networks, ["problem", "test_accuracy"], "networks")
    unknown = sorted(set(networks["problem"]) - set(thresholds))
    if unknown:
        raise ValueError(f"no accuracy threshold for problems {unknown}")
    thr = networks["problem"].map(thresholds).astype(float)
    return networks["test_accuracy"].astype(float) > thr


def layer_series(geometry: pd.DataFrame, networks: pd.DataFrame, layers: str = "hidden") -> pd.DataFrame:
    """The rows of ``geometry`` that enter the coefficient, with ``n_hidden`` attached.

    ``layers="hidden"`` keeps ``1 ≤ layer ≤ L`` (P1 Eq. 8); ``"all"`` keeps every
    representation.
    """
    _check_columns(geometry, NETWORK_KEYS + ["layer", "k", "ric", "g", "connected"], "geometry")
    _check_columns(networks, NETWORK_KEYS + ["n_hidden"], "networks")
    own = [c for c in geometry.columns if c in NETWORK_KEYS or c not in networks.columns]
    geo = geometry[own].merge(networks[NETWORK_KEYS + ["n_hidden"]], on=NETWORK_KEYS, how="inner")
    if layers == "hidden":
        geo = geo[(geo["layer"] >= 1) & (geo["layer"] <= geo["n_hidden"])]
    elif layers != "all":
        raise ValueError(f"layers must be 'hidden' or 'all', got {layers!r}")
    return geo.sort_values(NETWORK_KEYS + ["k", "layer"], kind="stable")


def per_network_k(geo: pd.DataFrame) -> pd.DataFrame:
    """One row per (network, k) of :func:`layer_series` rows: the totals and the network's coefficient.

    Columns ``problem, architecture, seed, k`` and ``ric`` (``Ric_l``) and ``g`` (``g_l``) as
    arrays over the used representations, ``eta = g_{l+1} − g_l``, ``connected`` (every used
    graph connected and every ``g_l`` finite), ``rho`` (P1 Eq. 8, by
    :func:`ricci_lit.geometry.coefficients.coefficient_from_totals`; ``None`` with
    ``rho_reason`` when undefined or with fewer than 3 representations), ``n_layers`` and
    ``n_hidden``. The first stage of :func:`per_network_coefficients` and of the bootstrap
    (:mod:`ricci_lit.analysis.uncertainty`).
    """
    rows = []
    for key, grp in geo.groupby(NETWORK_KEYS + ["k"], sort=True):
        ric = grp["ric"].to_numpy(float)
        g = grp["g"].to_numpy(float)
        connected = bool(grp["connected"].all()) and bool(np.isfinite(g).all())
        if len(ric) >= 3:
            rho, reason, eta = coefficient_from_totals(ric, g)
        else:
            rho, reason, eta = None, "fewer than 3 representations", np.diff(g)
        rows.append(dict(zip(NETWORK_KEYS + ["k"], key), ric=ric, g=g, eta=eta, connected=connected,
                         rho=rho, rho_reason=reason, n_layers=len(ric),
                         n_hidden=int(grp["n_hidden"].iloc[0])))
    return pd.DataFrame(rows)


def aggregated_table(per_network_k: pd.DataFrame) -> pd.DataFrame:
    """Aggregated coefficient per ``(problem, architecture, k)`` over connected networks (P1 §3.2).

    ``per_network_k`` comes from :func:`per_network_k` (one row per network and k, restricted to
    the networks to pool, e.g. the well-trained ones). Each group's connected networks are pooled
    by :func:`ricci_lit.geometry.coefficients.aggregated_coefficient`: the Pearson correlation of
    the pooled ``(Ric_l, η_l)`` points, ``None`` when undefined.
    """
    rows = []
    for (problem, arch, k), grp in per_network_k.groupby(["problem", "architecture", "k"], sort=True):
        conn = grp[grp["connected"]]
        r, _, _ = aggregated_coefficient(zip(conn["ric"], conn["g"]))
        rows.append({"problem": problem, "architecture": arch, "k": int(k), "aggregated": r,
                     "n_networks": int(len(grp)), "n_connected": int(len(conn))})
    return pd.DataFrame(rows, columns=["problem", "architecture", "k", "aggregated", "n_networks", "n_connected"])


def best_k(aggregated: pd.DataFrame) -> pd.DataFrame:
    """The ``k`` with the most negative aggregated coefficient per ``(problem, architecture)``
    (P1 §3.2); ties go to the smaller ``k``. Configurations with no defined coefficient get
    ``best_k = None``."""
    rows = []
    for (problem, arch), grp in aggregated.groupby(["problem", "architecture"], sort=True):
        valid = grp.dropna(subset=["aggregated"]).sort_values(["aggregated", "k"], kind="stable")
        if len(valid):
            top = valid.iloc[0]
            rows.append({"problem": problem, "architecture": arch, "best_k": int(top["k"]),
                         "aggregated": float(top["aggregated"])})
        else:
            rows.append({"problem": problem, "architecture": arch, "best_k": None, "aggregated": None})
    return pd.DataFrame(rows, columns=["problem", "architecture", "best_k", "aggregated"])


def per_network_coefficients(
    networks: pd.DataFrame,
    geometry: pd.DataFrame,
    thresholds: dict[str, float],
    *,
    layers: str = "hidden",
    k_choice: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Run steps 1–4 of the pipeline.

    Returns
    -------
    aggregated : pandas.DataFrame
        One row per (problem, architecture, k).
    best : pandas.DataFrame
        The best k per configuration (or ``k_choice`` when given).
    nets : pandas.DataFrame
        One row per network with ``well_trained``, ``best_k``, ``connected`` at best k, ``rho``,
        ``z`` (adjusted, P1 Eq. 11), ``fisher_z``.
    """
    nets = networks.copy()
    nets["well_trained"] = well_trained(nets, thresholds)
    geo = layer_series(geometry, nets, layers)
    pnk = per_network_k(geo)
    if pnk.empty:
        raise ValueError("no geometry rows match the networks: is the results store empty?")
    pnk = pnk.merge(nets[NETWORK_KEYS + ["well_trained"]], on=NETWORK_KEYS, how="left")
    agg = aggregated_table(pnk[pnk["well_trained"]])
    best = best_k(agg) if k_choice is None else k_choice
    at_best = pnk.merge(best[["problem", "architecture", "best_k"]], on=["problem", "architecture"], how="left")
    at_best = at_best[at_best["k"] == at_best["best_k"]]
    cols = NETWORK_KEYS + ["best_k", "connected", "rho", "rho_reason", "n_layers"]
    nets = nets.merge(at_best[cols], on=NETWORK_KEYS, how="left")

    def _z(row, fn, n):
        if row["rho"] is None or not isinstance(row["rho"], float) or math.isnan(row["rho"]):
            return np.nan
        try:
            return fn(min(max(row["rho"], -1 + 1e-15), 1 - 1e-15), n(row))
        except ValueError:
            return np.nan

    nets["z"] = nets.apply(lambda r: _z(r, adjusted_coefficient, lambda q: int(q["n_hidden"])), axis=1)
    nets["fisher_z"] = nets.apply(lambda r: _z(r, fisher_z, lambda q: int(q["n_layers"]) - 1), axis=1)
    nets["rho"] = pd.to_numeric(nets["rho"], errors="coerce")
    return agg, best, nets


def kept_mask(nets: pd.DataFrame) -> pd.Series:
    """The networks paper 1 keeps (P1 §3.3): well trained, connected at the chosen k, ρ defined."""
    return nets["well_trained"].astype(bool) & nets["connected"].fillna(False).astype(bool) & nets["rho"].notna()


def counts(nets: pd.DataFrame) -> dict[str, Any]:
    """Paper 1's counts (P1 §3.1–3.3): trained → above threshold → connected at best k → ρ < 0."""
    wt = nets[nets["well_trained"]]
    kept = nets[kept_mask(nets)]
    negative = int((kept["rho"] < 0).sum())
    return {
        "networks": int(len(nets)),
        "above_threshold": int(len(wt)),
        "below_threshold": int(len(nets) - len(wt)),
        "disconnected": int(len(wt) - len(kept)),
        "kept": int(len(kept)),
        "negative": negative,
        "fraction_negative": (negative / len(kept)) if len(kept) else None,
    }


def accuracy_regression(nets: pd.DataFrame) -> dict[str, Any]:
    """OLS ``test_accuracy ~ z + C(problem) + C(width) + C(depth)`` over the kept networks
    (P1 §3.4, Table S2). Returns the z term's estimate, standard error, t and p, with the number
    of networks; ``None`` values (with a reason) when the model cannot be fitted."""
    import statsmodels.formula.api as smf

    kept = nets[nets["well_trained"] & nets["connected"].fillna(False).astype(bool)]
    kept = kept[np.isfinite(kept["z"].astype(float))]
    terms = ["z"]
    for col in ("problem", "width", "depth"):
        if col in kept.columns and kept[col].nunique() > 1:
            terms.append(f"C({col})")
    out: dict[str, Any] = {"formula": "test_accuracy ~ " + " + ".join(terms), "n": int(len(kept))}
    if len(kept) <= len(terms) + 1 or kept["z"].nunique() < 2:
        out.update(estimate=None, se=None, t=None, p=None,
                   reason=f"too few networks ({len(kept)}) for {len(terms)} terms")
        return out
    fit = smf.ols(out["formula"], data=kept.assign(z=kept["z"].astype(float),
                                                    test_accuracy=kept["test_accuracy"].astype(float))).fit()
    out.update(estimate=float(fit.params["z"]), se=float(fit.bse["z"]), t=float(fit.tvalues["z"]),
               p=float(fit.pvalues["z"]), r2=float(fit.rsquared), reason="")
    return out


@dataclass
class Report:
    """Everything ``ricci-lit report`` prints."""

    counts: dict[str, Any]
    aggregated: pd.DataFrame
    best: pd.DataFrame
    nets: pd.DataFrame
    regression: dict[str, Any]
    meta: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        def clean(v):
            if isinstance(v, (float, np.floating)):
                return None if not math.isfinite(float(v)) else float(v)
            if isinstance(v, (np.integer,)):
                return int(v)
            return v

        best_rows = []
        for _, r in self.best.iterrows():
            best_rows.append({"problem": r["problem"], "architecture": r["architecture"],
                              "best_k": None if r["best_k"] is None or pd.isna(r["best_k"]) else int(r["best_k"]),
                              "aggregated": clean(r["aggregated"])})
        kept = self.nets[self.nets["well_trained"] & self.nets["connected"].fillna(False).astype(bool)]
        d = dict(self.counts)
        d.update({
            "best_k": best_rows,
            "regression": {k: clean(v) for k, v in self.regression.items()},
            "mean_rho": clean(kept["rho"].mean()) if len(kept) else None,
            "meta": self.meta,
        })
        return {k: clean(v) for k, v in d.items()}


def report(networks: pd.DataFrame, geometry: pd.DataFrame, thresholds: dict[str, float],
           *, layers: str = "hidden", meta: dict[str, Any] | None = None) -> Report:
    """Steps 1–5 of the pipeline in one call."""
    if networks.empty or geometry.empty:
        raise ValueError("the results store holds no networks yet: run `ricci-lit sweep` first")
    agg, best, nets = per_network_coefficients(networks, geometry, thresholds, layers=layers)
    return Report(counts=counts(nets), aggregated=agg, best=best, nets=nets,
                  regression=accuracy_regression(nets), meta=meta or {})
