"""Bootstrap uncertainty for paper 1's aggregated coefficient and accuracy regression.

Paper 1 reports point values only: the aggregated coefficient per (problem, architecture, k)
(P1 §3.2, Fig. 3), the best ``k`` it selects, and the regression of test accuracy on the adjusted
coefficient ``z`` (P1 §3.4, Table S2). The natural unit of sampling is the **network** (a seed):
the ``(Ric_l, η_l)`` points of one network are not independent of each other, so we resample
networks with replacement (a nonparametric "cluster" bootstrap) and report percentile intervals.

The aggregated coefficient from sufficient statistics
-----------------------------------------------------
The aggregated coefficient is one Pearson correlation over the pooled points of the networks
(:func:`ricci_lit.analysis.paper1.aggregated_table`). For network ``i`` with points
``(x_{ij}, y_{ij})``, ``j = 1 … n_i`` (``x = Ric_l``, ``y = η_l``) let

.. math:: s_i = \\big(n_i,\\ Σ_j x_{ij},\\ Σ_j y_{ij},\\ Σ_j x_{ij}^2,\\ Σ_j y_{ij}^2,\\ Σ_j x_{ij} y_{ij}\\big).

A bootstrap replicate that draws network ``i`` ``w_i`` times pools exactly the points whose
sums are ``S = Σ_i w_i s_i = (N, S_x, S_y, S_{xx}, S_{yy}, S_{xy})``, and its Pearson correlation is

.. math:: r = \\frac{N S_{xy} − S_x S_y}{\\sqrt{(N S_{xx} − S_x^2)(N S_{yy} − S_y^2)}}.

So every replicate is a weighted sum of precomputed per-network statistics: exact, and one
matrix product ``W S`` for all replicates at once (``W`` the ``[n_boot, G]`` multinomial counts).
The totals ``Ric_l`` and ``g_l`` are large (10⁴–10⁸), so the sums are taken after subtracting the
pooled means (Pearson is shift-invariant); this avoids the cancellation in ``N S_{xx} − S_x^2``.

Random numbers
--------------
Every configuration draws from its own generator,
``default_rng(SeedSequence([seed, crc32(key)]))`` with ``key = "problem|architecture|k"`` (or
``"problem|architecture"`` for joint resampling), so a configuration's replicates do not depend
on which other configurations are in the table, and the same ``seed`` reproduces them exactly.
"""
from __future__ import annotations

import math
import zlib
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from tqdm import tqdm

__all__ = [
    "aggregated_replicates",
    "bootstrap_aggregated",
    "bootstrap_regression",
    "per_network_k_table",
    "pooled_pearson",
    "sufficient_statistics",
]

_PNK_COLUMNS = ["problem", "architecture", "seed", "k", "ric", "eta", "connected"]


# ---------------------------------------------------------------------------------------------------
# Validation helpers
# ---------------------------------------------------------------------------------------------------


def _check_boot(n_boot: int, seed: int, level: float) -> None:
    if isinstance(n_boot, (bool, np.bool_)) or not isinstance(n_boot, (int, np.integer)) or n_boot < 1:
        raise ValueError(f"n_boot must be a positive integer, got {n_boot!r}")
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    if not (isinstance(level, (int, float, np.floating)) and 0.0 < float(level) < 1.0):
        raise ValueError(f"level must lie in (0, 1), got {level!r}")


def _rng(seed: int, key: str) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([int(seed), zlib.crc32(key.encode())]))


def _percentile_ci(reps: np.ndarray, level: float) -> tuple[float, float, int]:
    ok = reps[np.isfinite(reps)]
    if not ok.size:
        return math.nan, math.nan, 0
    lo, hi = np.percentile(ok, [50.0 * (1.0 - level), 50.0 * (1.0 + level)])
    return float(lo), float(hi), int(ok.size)


# ---------------------------------------------------------------------------------------------------
# Inputs
# ---------------------------------------------------------------------------------------------------


def per_network_k_table(networks: pd.DataFrame, geometry: pd.DataFrame,
                        thresholds: dict[str, float] | None = None, *, layers: str = "hidden",
                        well_trained_only: bool = True) -> pd.DataFrame:
    """One row per (network, k) with the arrays ``ric``, ``g``, ``eta`` and ``connected``.

    The first stage of :func:`ricci_lit.analysis.paper1.per_network_coefficients`
    (:func:`ricci_lit.analysis.paper1.per_network_k`), with the ``well_trained`` flag of P1 §3.1 attached and, by default,
    only the well-trained networks kept: the input of :func:`bootstrap_aggregated` and of
    :func:`ricci_lit.analysis.paper1.aggregated_table`.

    Parameters
    ----------
    networks, geometry
        A sweep's tables (:func:`ricci_lit.experiments.paper1.load_results`).
    thresholds
        Test-accuracy thresholds per problem (default
        :data:`ricci_lit.data.problems.WELL_TRAINED_THRESHOLD`).
    layers
        ``"hidden"`` (P1 Eq. 8) or ``"all"``.
    well_trained_only
        Drop networks at or below their threshold (as the aggregated coefficient does).
    """
    from ricci_lit.analysis.paper1 import (
        NETWORK_KEYS,
        layer_series,
        per_network_k,
        well_trained,
    )
    from ricci_lit.data.problems import WELL_TRAINED_THRESHOLD

    thresholds = dict(WELL_TRAINED_THRESHOLD) if thresholds is None else thresholds
    nets = networks.copy()
    nets["well_trained"] = well_trained(nets, thresholds)
    pnk = per_network_k(layer_series(geometry, nets, layers))
    if pnk.empty:
        raise ValueError("no geometry rows match the networks")
    pnk = pnk.merge(nets[NETWORK_KEYS + ["well_trained"]], on=NETWORK_KEYS, how="left")
    if well_trained_only:
        pnk = pnk[pnk["well_trained"]].reset_index(drop=True)
    return pnk


def _as_pnk(data: object, thresholds: dict[str, float] | None, layers: str) -> pd.DataFrame:
    if isinstance(data, tuple) and len(data) == 2 and all(isinstance(d, pd.DataFrame) for d in data):
        return per_network_k_table(data[0], data[1], thresholds, layers=layers)
    if not isinstance(data, pd.DataFrame):
        raise ValueError("expected a per-network-k DataFrame or a (networks, geometry) pair of "
                         f"DataFrames, got {type(data).__name__}")
    missing = [c for c in _PNK_COLUMNS if c not in data.columns]
    if missing:
        raise ValueError(f"per-network-k table lacks columns {missing} (build it with "
                         "per_network_k_table, or pass (networks, geometry))")
    if data.empty:
        raise ValueError("per-network-k table is empty")
    return data


# ---------------------------------------------------------------------------------------------------
# Sufficient statistics
# ---------------------------------------------------------------------------------------------------


def sufficient_statistics(xs: Sequence[np.ndarray], ys: Sequence[np.ndarray], *,
                          center: tuple[float, float] | None = None) -> np.ndarray:
    """Per-network sums ``(n, Σx, Σy, Σx², Σy², Σxy)`` of centred data, shape ``[G, 6]``.

    ``x`` and ``y`` are shifted by ``center`` (default: the pooled means over all networks)
    before summing; :func:`pooled_pearson` is invariant to the shift and the centring keeps the
    sums well conditioned (module docstring).

    Raises
    ------
    ValueError
        Different numbers of networks, a network whose ``x`` and ``y`` differ in length, or
        non-finite values.
    """
    xs = [np.asarray(x, dtype=np.float64).ravel() for x in xs]
    ys = [np.asarray(y, dtype=np.float64).ravel() for y in ys]
    if len(xs) != len(ys):
        raise ValueError(f"got {len(xs)} x-series but {len(ys)} y-series")
    if not xs:
        return np.zeros((0, 6))
    for i, (x, y) in enumerate(zip(xs, ys)):
        if x.shape != y.shape:
            raise ValueError(f"network {i}: x has {x.size} values but y has {y.size}")
        if not (np.isfinite(x).all() and np.isfinite(y).all()):
            raise ValueError(f"network {i}: non-finite values (a disconnected network?)")
    if center is None:
        allx, ally = np.concatenate(xs), np.concatenate(ys)
        center = (float(allx.mean()), float(ally.mean())) if allx.size else (0.0, 0.0)
    cx, cy = center
    out = np.empty((len(xs), 6))
    for i, (x, y) in enumerate(zip(xs, ys)):
        xc, yc = x - cx, y - cy
        out[i] = (x.size, xc.sum(), yc.sum(), xc @ xc, yc @ yc, xc @ yc)
    return out


def _pearson_from_sums(S: np.ndarray) -> np.ndarray:
    """Pearson correlation from summed statistics ``S [..., 6]``; ``NaN`` where undefined."""
    N, sx, sy, sxx, syy, sxy = np.moveaxis(S, -1, 0)
    vx = N * sxx - sx * sx
    vy = N * syy - sy * sy
    cov = N * sxy - sx * sy
    # relative guard: a variance that is only rounding noise of N·Σx² counts as zero
    ok = (N >= 2) & (vx > 1e-12 * np.abs(N * sxx)) & (vy > 1e-12 * np.abs(N * syy))
    with np.errstate(invalid="ignore", divide="ignore"):
        r = cov / np.sqrt(np.where(ok, vx * vy, np.nan))
    return np.clip(np.where(ok, r, np.nan), -1.0, 1.0)


def pooled_pearson(stats: np.ndarray, weights: np.ndarray | None = None) -> float | np.ndarray:
    """Pooled Pearson correlation of networks drawn ``weights`` times each.

    Parameters
    ----------
    stats
        ``[G, 6]`` from :func:`sufficient_statistics`.
    weights
        ``[G]`` (one replicate; default all ones, i.e. the aggregated coefficient itself) or
        ``[B, G]`` (``B`` replicates at once). Non-negative; integer counts for a bootstrap.

    Returns
    -------
    float or numpy.ndarray
        ``NaN`` where the pooled ``x`` or ``y`` is constant or fewer than two points are pooled.
    """
    stats = np.asarray(stats, dtype=np.float64)
    if stats.ndim != 2 or stats.shape[1] != 6:
        raise ValueError(f"stats must have shape [G, 6], got {stats.shape}")
    w = np.ones(stats.shape[0]) if weights is None else np.asarray(weights, dtype=np.float64)
    if w.shape[-1] != stats.shape[0] or w.ndim not in (1, 2):
        raise ValueError(f"weights must have shape [{stats.shape[0]}] or [B, {stats.shape[0]}], "
                         f"got {w.shape}")
    if (w < 0).any() or not np.isfinite(w).all():
        raise ValueError("weights must be finite and non-negative")
    r = _pearson_from_sums(w @ stats)
    return float(r) if r.ndim == 0 else r


# ---------------------------------------------------------------------------------------------------
# Bootstrap of the aggregated coefficient
# ---------------------------------------------------------------------------------------------------


def _connected_xy(rows: pd.DataFrame) -> tuple[list[np.ndarray], list[np.ndarray]]:
    xs = [np.asarray(r, np.float64)[:-1] for r in rows["ric"]]
    ys = [np.asarray(e, np.float64) for e in rows["eta"]]
    return xs, ys


def _replicate_arrays(pnk: pd.DataFrame, n_boot: int, seed: int, joint_k: bool,
                      progress: bool) -> dict[tuple[str, str, int], np.ndarray]:
    """``{(problem, architecture, k): r [n_boot]}`` (see :func:`aggregated_replicates`)."""
    out: dict[tuple[str, str, int], np.ndarray] = {}
    if not joint_k:
        groups = list(pnk.groupby(["problem", "architecture", "k"], sort=True))
        for (problem, arch, k), grp in tqdm(groups, desc="bootstrap", disable=not progress, leave=False):
            conn = grp[grp["connected"].astype(bool)]
            G = len(conn)
            if G:
                stats = sufficient_statistics(*_connected_xy(conn))
                W = _rng(seed, f"{problem}|{arch}|{int(k)}").multinomial(G, np.full(G, 1.0 / G),
                                                                          size=n_boot)
                out[(problem, arch, int(k))] = pooled_pearson(stats, W)
            else:
                out[(problem, arch, int(k))] = np.full(n_boot, np.nan)
        return out
    configs = list(pnk.groupby(["problem", "architecture"], sort=True))
    for (problem, arch), grp in tqdm(configs, desc="bootstrap", disable=not progress, leave=False):
        seeds = np.array(sorted(set(grp["seed"])))
        S = seeds.size
        W = _rng(seed, f"{problem}|{arch}").multinomial(S, np.full(S, 1.0 / S), size=n_boot)
        pos = {s: i for i, s in enumerate(seeds)}
        for k, gk in grp.groupby("k", sort=True):
            if gk["seed"].duplicated().any():
                raise ValueError(f"{problem}/{arch}/k={k}: a seed appears twice")
            conn = gk[gk["connected"].astype(bool)]
            stats = np.zeros((S, 6))
            if len(conn):
                idx = [pos[s] for s in conn["seed"]]
                stats[idx] = sufficient_statistics(*_connected_xy(conn))
            out[(problem, arch, int(k))] = pooled_pearson(stats, W)
    return out


def aggregated_replicates(
    data: object,
    *,
    n_boot: int = 1000,
    seed: int = 0,
    joint_k: bool = False,
    thresholds: dict[str, float] | None = None,
    layers: str = "hidden",
    progress: bool = False,
) -> pd.DataFrame:
    """Bootstrap replicates of the aggregated coefficient (long format).

    Parameters
    ----------
    data
        A per-network-k table (:func:`per_network_k_table`; every row is pooled, so pass the
        well-trained networks only) or a ``(networks, geometry)`` pair (then filtered with
        ``thresholds`` and ``layers``).
    n_boot, seed
        Number of replicates and the base seed (module docstring).
    joint_k
        ``False``: resample the *connected* networks independently within each
        ``(problem, architecture, k)``. ``True``: draw one multiset of networks per
        ``(problem, architecture)`` and evaluate it at every ``k`` (networks disconnected at a
        ``k`` contribute nothing there, as in the point estimate). Joint resampling is what the
        uncertainty of the **best k** needs, because P1 picks ``k`` by comparing the same
        networks across ``k``.

    Returns
    -------
    pandas.DataFrame
        ``problem, architecture, k, replicate, r`` (``r`` is ``NaN`` where undefined).
    """
    _check_boot(n_boot, seed, 0.5)
    pnk = _as_pnk(data, thresholds, layers)
    reps = _replicate_arrays(pnk, n_boot, seed, joint_k, progress)
    return pd.concat([pd.DataFrame({"problem": p, "architecture": a, "k": k,
                                    "replicate": np.arange(n_boot), "r": r})
                      for (p, a, k), r in reps.items()], ignore_index=True)


def bootstrap_aggregated(
    data: object,
    *,
    n_boot: int = 1000,
    seed: int = 0,
    level: float = 0.95,
    joint_k: bool = False,
    thresholds: dict[str, float] | None = None,
    layers: str = "hidden",
    progress: bool = False,
) -> pd.DataFrame:
    """Percentile bootstrap intervals of the aggregated coefficient (P1 §3.2) per configuration.

    Networks are resampled with replacement (see :func:`aggregated_replicates` for ``data`` and
    ``joint_k``); each replicate's pooled Pearson correlation is computed exactly from per-network
    sufficient statistics (module docstring).

    Returns
    -------
    pandas.DataFrame
        One row per ``(problem, architecture, k)``: ``aggregated`` (the point estimate, equal to
        :func:`ricci_lit.analysis.paper1.aggregated_table`), ``boot_mean``, ``boot_std``, ``ci_low``,
        ``ci_high`` (percentiles ``(1 ∓ level)/2``), ``fraction_negative`` (share of defined
        replicates below 0), ``n_valid`` (defined replicates), ``n_networks``, ``n_connected``,
        ``best_k_fraction`` (joint resampling only: the share of replicates in which this ``k``
        has the most negative coefficient of its configuration, ties to the smaller ``k`` as in
        :func:`ricci_lit.analysis.paper1.best_k`; ``NaN`` otherwise), and ``resampling``, ``level``,
        ``n_boot``, ``seed``.

    Raises
    ------
    ValueError
        Bad ``n_boot``/``seed``/``level``, missing columns, an empty table.
    """
    _check_boot(n_boot, seed, level)
    pnk = _as_pnk(data, thresholds, layers)
    reps = _replicate_arrays(pnk, n_boot, seed, joint_k, progress)
    best_frac: dict[tuple, float] = {}
    if joint_k:
        by_config: dict[tuple[str, str], list[int]] = {}
        for problem, arch, k in reps:
            by_config.setdefault((problem, arch), []).append(k)
        for (problem, arch), ks in by_config.items():
            ks = sorted(ks)
            vals = np.stack([reps[(problem, arch, k)] for k in ks], axis=1)  # [n_boot, K]
            anyf = np.isfinite(vals).any(axis=1)
            filled = np.where(np.isfinite(vals), vals, np.inf)
            best = np.argmin(filled, axis=1)  # first minimum = smaller k on ties
            for j, k in enumerate(ks):
                best_frac[(problem, arch, k)] = (float(((best == j) & anyf).sum() / anyf.sum())
                                                 if anyf.any() else math.nan)
    rows = []
    for (problem, arch, k), grp in pnk.groupby(["problem", "architecture", "k"], sort=True):
        conn = grp[grp["connected"].astype(bool)]
        point = pooled_pearson(sufficient_statistics(*_connected_xy(conn))) if len(conn) else math.nan
        r = reps[(problem, arch, int(k))]
        lo, hi, n_valid = _percentile_ci(r, level)
        ok = r[np.isfinite(r)]
        rows.append({
            "problem": problem, "architecture": arch, "k": int(k),
            "aggregated": point,
            "boot_mean": float(ok.mean()) if ok.size else math.nan,
            "boot_std": float(ok.std(ddof=1)) if ok.size > 1 else math.nan,
            "ci_low": lo, "ci_high": hi,
            "fraction_negative": float((ok < 0).mean()) if ok.size else math.nan,
            "n_valid": n_valid, "n_networks": len(grp), "n_connected": len(conn),
            "best_k_fraction": best_frac.get((problem, arch, int(k)), math.nan),
            "resampling": "joint" if joint_k else "per-k",
            "level": float(level), "n_boot": int(n_boot), "seed": int(seed),
        })
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------------------------------
# Bootstrap of the accuracy regression (P1 §3.4, Table S2)
# ---------------------------------------------------------------------------------------------------


def bootstrap_regression(
    nets: pd.DataFrame,
    *,
    n_boot: int = 1000,
    seed: int = 0,
    level: float = 0.95,
    stratify: Sequence[str] | None = None,
    progress: bool = False,
) -> dict[str, Any]:
    """Percentile bootstrap of the ``z`` term of P1's accuracy regression (Table S2).

    The point estimate is :func:`ricci_lit.analysis.paper1.accuracy_regression` (OLS
    ``test_accuracy ~ z + C(problem) + C(width) + C(depth)`` over the well-trained networks
    connected at their best ``k`` with a finite ``z``). Each replicate draws that many networks
    with replacement (within each stratum of ``stratify`` when given, e.g.
    ``("problem", "architecture")``, which keeps every dummy estimable) and refits the same
    design by least squares. A category absent from a replicate leaves a zero column; the
    minimum-norm least-squares solution then gives the same ``z`` coefficient as the model
    without that category. ``best k`` and ``z`` are held fixed (the bootstrap does not redo the
    choice of ``k``).

    Parameters
    ----------
    nets
        The ``nets`` table of :func:`ricci_lit.analysis.paper1.per_network_coefficients`.
    n_boot, seed, level
        Replicates, seed (``default_rng(SeedSequence([seed, crc32("regression")]))``), and the
        interval's coverage.
    stratify
        Columns to resample within (``None``: plain resampling of networks).
    progress
        tqdm bar over replicates.

    Returns
    -------
    dict
        ``formula, n, estimate, se, t, p`` (the point fit), ``boot_mean, boot_std, ci_low,
        ci_high, fraction_negative`` (share of defined replicates with a negative ``z`` term),
        ``n_valid``, ``replicates`` (array ``[n_boot]``, ``NaN`` where ``z`` was constant),
        ``level, n_boot, seed, stratify`` and ``reason`` (non-empty when the model cannot be
        fitted, with ``None`` estimates).
    """
    import patsy

    from ricci_lit.analysis.paper1 import accuracy_regression

    _check_boot(n_boot, seed, level)
    need = ["well_trained", "connected", "z", "test_accuracy"]
    missing = [c for c in need if c not in nets.columns]
    if missing:
        raise ValueError(f"nets table lacks columns {missing}")
    if stratify is not None:
        stratify = list(stratify)
        bad = [c for c in stratify if c not in nets.columns]
        if bad:
            raise ValueError(f"stratify columns {bad} are not in nets")
    point = accuracy_regression(nets)
    out: dict[str, Any] = {**point, "level": float(level), "n_boot": int(n_boot), "seed": int(seed),
                           "stratify": stratify}
    if point.get("estimate") is None:
        out.update(boot_mean=None, boot_std=None, ci_low=None, ci_high=None, fraction_negative=None,
                   n_valid=0, replicates=np.full(n_boot, np.nan))
        return out
    kept = nets[nets["well_trained"] & nets["connected"].fillna(False).astype(bool)]
    kept = kept[np.isfinite(kept["z"].astype(float))]
    kept = kept.assign(z=kept["z"].astype(float), test_accuracy=kept["test_accuracy"].astype(float))
    kept = kept.reset_index(drop=True)
    yd, Xd = patsy.dmatrices(point["formula"], kept, NA_action="raise", return_type="matrix")
    zi = Xd.design_info.column_names.index("z")
    y = np.asarray(yd, dtype=np.float64)[:, 0]
    X = np.asarray(Xd, dtype=np.float64)
    n = X.shape[0]
    rng = _rng(seed, "regression")
    if stratify:
        strata = [np.asarray(ix) for ix in kept.groupby(stratify, sort=True).indices.values()]
    else:
        strata = [np.arange(n)]
    reps = np.full(n_boot, np.nan)
    zcol = X[:, zi]
    for b in tqdm(range(n_boot), desc="bootstrap regression", disable=not progress, leave=False):
        idx = np.concatenate([s[rng.integers(0, s.size, s.size)] for s in strata])
        if np.ptp(zcol[idx]) == 0:
            continue
        beta = np.linalg.lstsq(X[idx], y[idx], rcond=None)[0]
        reps[b] = beta[zi]
    lo, hi, n_valid = _percentile_ci(reps, level)
    ok = reps[np.isfinite(reps)]
    out.update(boot_mean=float(ok.mean()) if ok.size else None,
               boot_std=float(ok.std(ddof=1)) if ok.size > 1 else None,
               ci_low=lo, ci_high=hi,
               fraction_negative=float((ok < 0).mean()) if ok.size else None,
               n_valid=n_valid, replicates=reps)
    return out
