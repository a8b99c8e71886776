"""Summaries of paper 2's coefficient tables: per-configuration summaries, sign agreement between
two curvatures or graph modes, and the k-robustness of the local coefficient.

Sign agreement has one rule here, :func:`same_sign` (``sign(a) == sign(b)``, network by network),
used by :func:`sign_agreement`, :func:`mode_agreement` and the variant comparison of
:mod:`ricci_lit.analysis.sensitivity`. Imports numpy and pandas only (and
:data:`ricci_lit.data.problems.WELL_TRAINED_THRESHOLD` where a threshold defaults to it).
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Mapping

import numpy as np
import pandas as pd


def summarise_coefficients(networks: pd.DataFrame,
                           by: Sequence[str] = ("problem", "architecture", "state", "curvature")
                           ) -> pd.DataFrame:
    """P2's control table (paper-details §5.7 (g)) from a ``networks`` table.

    Per group (the columns of ``by`` that exist in ``networks``): the number of networks; for
    the global ρ the number defined, the number and fraction negative among them, mean, std
    (``ddof=1``) and min; for the per-network mean local coefficient the same; the mean fraction
    of points with ``ρ(x) < 0``; and the mean accuracies when present.

    Raises
    ------
    ValueError
        When ``rho`` or ``local_mean`` is missing.
    """
    missing = [c for c in ("rho", "local_mean") if c not in networks.columns]
    if missing:
        raise ValueError(f"networks table lacks columns {missing}")
    keys = [c for c in by if c in networks.columns]

    def one(grp: pd.DataFrame) -> dict:
        out: dict[str, Any] = {"n_networks": len(grp)}
        for col, tag in (("rho", "global"), ("local_mean", "local")):
            v = grp[col].astype(float).to_numpy()
            v = v[np.isfinite(v)]
            out[f"{tag}_n_defined"] = int(v.size)
            out[f"{tag}_n_negative"] = int((v < 0).sum())
            out[f"{tag}_fraction_negative"] = float((v < 0).mean()) if v.size else math.nan
            out[f"{tag}_mean"] = float(v.mean()) if v.size else math.nan
            out[f"{tag}_std"] = float(v.std(ddof=1)) if v.size > 1 else math.nan
            out[f"{tag}_min"] = float(v.min()) if v.size else math.nan
        if "local_fraction_negative" in grp:
            out["points_fraction_negative"] = float(grp["local_fraction_negative"].mean())
        for col in ("train_accuracy", "test_accuracy"):
            if col in grp:
                out[f"{col}_mean"] = float(grp[col].mean())
        return out

    if not keys:
        return pd.DataFrame([one(networks)])
    rows = [{**dict(zip(keys, key if isinstance(key, tuple) else (key,))), **one(grp)}
            for key, grp in networks.groupby(keys, sort=False)]
    return pd.DataFrame(rows)


def same_sign(a: Any, b: Any) -> np.ndarray:
    """Network by network: whether ``a`` and ``b`` have the same sign (``sign(a) == sign(b)``,
    so two zeros agree). Equal-length 1-D inputs; compare only defined values (NaN never agrees)."""
    x = np.asarray(a, dtype=np.float64)
    y = np.asarray(b, dtype=np.float64)
    if x.shape != y.shape or x.ndim != 1:
        raise ValueError(f"same_sign needs two 1-D series of equal length, got {x.shape} and {y.shape}")
    return np.sign(x) == np.sign(y)


def sign_agreement(networks: pd.DataFrame, column: str = "rho",
                   by: Sequence[str] = ("problem", "architecture", "state"), *,
                   across: str = "curvature") -> pd.DataFrame:
    """Does the conclusion (the sign of ``column``) depend on the curvature notion (or graph mode)?

    For every pair ``(a, b)`` of the values of ``across`` (``"curvature"``, or ``"mode"`` for
    the graph construction; rows/columns of a square frame): the fraction of networks, among
    those where both values are defined, whose ``column`` has the same sign under ``a`` and ``b``
    (:func:`same_sign`). Networks are matched on ``network``, ``seed`` and the columns of ``by``
    that exist. The diagonal is 1 (when any value is defined).

    Raises
    ------
    ValueError
        When ``column``, ``across`` or ``network`` is missing.
    """
    need = [column, across, "network"]
    missing = [c for c in need if c not in networks.columns]
    if missing:
        raise ValueError(f"networks table lacks columns {missing}")
    keys = [c for c in (*by, "network", "seed") if c in networks.columns and c != across]
    wide = networks.pivot_table(index=keys, columns=across, values=column, aggfunc="first",
                                dropna=False)
    levels = list(dict.fromkeys(networks[across]))
    wide = wide.reindex(columns=levels)
    out = pd.DataFrame(np.nan, index=levels, columns=levels)
    for a in levels:
        for b in levels:
            va, vb = wide[a].to_numpy(float), wide[b].to_numpy(float)
            ok = np.isfinite(va) & np.isfinite(vb)
            if ok.any():
                out.loc[a, b] = float(same_sign(va[ok], vb[ok]).mean())
    out.index.name = across
    return out


def mode_agreement(networks: pd.DataFrame, column: str = "rho_hidden", *,
                   modes: tuple[str, str] = ("union", "r-compat"),
                   by: Sequence[str] = ("problem", "curvature")) -> pd.DataFrame:
    """The same networks' coefficient under two kNN graph modes, per group of ``by``.

    ``networks`` is a coefficients table with a ``mode`` column
    (:func:`ricci_lit.experiments.coefficients.load_coefficients`); networks are matched on
    ``problem, architecture, seed, curvature``. Per group: ``networks`` (defined under both
    modes), the share negative under each mode (among its defined values), and ``same sign``,
    the share of networks defined under both whose ``column`` has the same sign (:func:`same_sign`).
    """
    need = [column, "mode", "problem", "architecture", "seed", "curvature"]
    missing = [c for c in need if c not in networks.columns]
    if missing:
        raise ValueError(f"networks table lacks columns {missing}")
    a, b = modes
    wide = networks.pivot_table(index=["problem", "architecture", "seed", "curvature"], columns="mode",
                                values=column)
    for m in modes:
        if m not in wide.columns:
            raise ValueError(f"no networks with mode {m!r}")

    def one(g: pd.DataFrame) -> pd.Series:
        both = g.dropna()
        return pd.Series({"networks": int(g.notna().all(axis=1).sum()),
                          f"negative, {a}": float((g[a].dropna() < 0).mean()),
                          f"negative, {b}": float((g[b].dropna() < 0).mean()),
                          "same sign": float(same_sign(both[a], both[b]).mean())})

    return wide.groupby(level=list(by)).apply(one)


def k_phrase(k: Any) -> str:
    if isinstance(k, list):
        return f"at each k in {{{', '.join(str(v) for v in k)}}}"
    return "at paper 1's best k per configuration" if k == "best" else f"at k = {k}"


def k_robustness(networks: pd.DataFrame, *, curvature: str = "approx-ollivier", mode: str = "union",
                 state: str = "trained", thresholds: Mapping[str, float] | None = None) -> pd.DataFrame:
    """Paper 2's k-robustness table: the mean local coefficient per configuration and ``k``.

    P2 (paper-details §5.7 h, probably its Fig. 14) reports ``mean ρ(x)`` (the mean over points,
    then over networks) of w25-d7 networks for ``k ∈ {20, 50, 70, 100, 150}`` with the Ollivier
    curvature, and finds it negative at every ``k`` (paper-notes §4 item 8). This computes the same
    summary from a coefficients store evaluated at several ``k``
    (``run_coefficient_sweep(..., k=[...])``).

    Parameters
    ----------
    networks
        The network table of :func:`~ricci_lit.experiments.coefficients.load_coefficients`.
    curvature, mode, state
        Which rows to summarise (P2: Ollivier, here its approximation by default; union graphs;
        trained networks).
    thresholds
        Test-accuracy threshold per problem for ``n_well_trained`` (default paper 1's,
        :data:`ricci_lit.data.problems.WELL_TRAINED_THRESHOLD`). Every network is summarised; P2 kept
        only networks above 99 %, so the count says how many of them would pass such a filter.

    Returns
    -------
    pandas.DataFrame
        One row per (problem, architecture, k): ``n_networks``, ``n_well_trained``,
        ``local_mean`` (mean over the networks of their mean local ρ), ``local_sd`` (their
        standard deviation, ``ddof=1``; ``NaN`` for one network) and ``fraction_negative`` (mean
        share of points with ρ(x) < 0).

    Raises
    ------
    ValueError
        When ``networks`` holds no row of that curvature, mode and state, or only one ``k``.
    """
    need = {"problem", "architecture", "k", "curvature", "mode", "state", "local_mean", "local_fraction_negative",
            "test_accuracy"}
    missing = need - set(networks.columns)
    if missing:
        raise ValueError(f"networks lacks column(s) {sorted(missing)}: pass load_coefficients(...)[0]")
    sel = networks[(networks["curvature"] == curvature) & (networks["mode"] == mode) & (networks["state"] == state)]
    if sel.empty:
        have = networks[["curvature", "mode", "state"]].drop_duplicates().to_records(index=False).tolist()
        raise ValueError(f"no {state} networks with curvature {curvature!r} on {mode!r} graphs; the table holds {have}")
    if sel["k"].nunique() < 2:
        raise ValueError(f"k-robustness needs several k; these networks were evaluated at k = {sorted(sel['k'].unique())}")
    if thresholds is None:
        from ricci_lit.data.problems import WELL_TRAINED_THRESHOLD as thresholds
    unknown = sorted(set(sel["problem"]) - set(thresholds))
    if unknown:
        raise ValueError(f"no accuracy threshold for problem(s) {unknown}")
    sel = sel.assign(well_trained=sel["test_accuracy"] >= sel["problem"].map(thresholds))
    g = sel.groupby(["problem", "architecture", "k"], sort=True)
    out = pd.DataFrame({
        "n_networks": g["local_mean"].count(),
        "n_well_trained": g["well_trained"].sum().astype(int),
        "local_mean": g["local_mean"].mean(),
        "local_sd": g["local_mean"].std(ddof=1),
        "fraction_negative": g["local_fraction_negative"].mean(),
    }).reset_index()
    out["k"] = out["k"].astype(int)
    return out


def negative_at_every_k(table: pd.DataFrame) -> pd.Series:
    """Paper 2's k-robustness criterion per configuration of a :func:`k_robustness` table.

    ``True`` where the mean local coefficient is below 0 at every ``k`` evaluated (paper-notes
    §4 item 8); a boolean Series indexed by ``(problem, architecture)``.
    """
    return table.groupby(["problem", "architecture"])["local_mean"].apply(lambda v: bool((v < 0).all()))


