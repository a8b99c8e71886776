"""Coefficients along training, the early-stopping heuristic, and layer profiles across depths.

Paper 2 (Hehl, von Renesse & Weber 2025; paper-details §5.7 (d), (e)) proposes two
geometry-informed heuristics:

* **early stopping** (P2 §4.3): record the mean local coefficient ``ρ̄ = nanmean_x ρ(x)`` every
  few epochs; it falls from ≈ 0 at initialisation to a minimum (≈ −0.8 on MNIST) around the
  epoch where the test accuracy saturates, and rises again when the network starts to overfit
  (fMNIST: −0.82 → −0.58). "Stop when the average local coefficient reaches its minimum or stops
  decreasing". The exact rule of the paper is unconfirmed; :func:`stopping_epoch` states ours.
* **depth selection** (P2 §4.4, Fig. 5): the layer coefficient ``ρ_l`` of a plain ReLU network is
  U-shaped over ``l``: strongly negative in early and middle layers (≈ −0.7), rising toward 0
  after a "critical" layer that is roughly independent of the total depth. The exact criterion
  is unconfirmed; :func:`critical_layer` states ours.

The trajectories themselves are recorded by
:func:`ricci_lit.experiments.trajectory.local_coefficient_trajectory` (it trains); this module
only reads them, and computes layer profiles with :func:`ricci_lit.geometry.engine.network_coefficients`.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ricci_lit._checks import is_int
from ricci_lit.geometry.engine import network_coefficients

__all__ = [
    "PROFILE_COLUMNS",
    "critical_layer",
    "critical_layers",
    "CRITICAL_THRESHOLD",
    "early_stopping_epoch",
    "early_stopping_table",
    "trajectory_curve",
    "layer_profile",
    "profile_from_layers",
    "stopping_epoch",
]

#: Our critical-layer rule's threshold on the layer coefficient (:func:`critical_layer`; paper 2
#: gives no number): the first transition after the profile's minimum rising above it.
CRITICAL_THRESHOLD = -0.2


# ---------------------------------------------------------------------------------------------------
# Early stopping (our rule for P2's heuristic)
# ---------------------------------------------------------------------------------------------------


def _check_rule(tol: float, patience: int) -> None:
    if not (isinstance(tol, (int, float, np.floating)) and math.isfinite(float(tol)) and tol >= 0):
        raise ValueError(f"tol must be a finite non-negative number, got {tol!r}")
    if not is_int(patience) or patience < 1:
        raise ValueError(f"patience must be a positive integer, got {patience!r}")


def _stop_index(values: np.ndarray, tol: float, patience: int) -> tuple[int, bool]:
    """Index ``j*`` of the rule (see :func:`stopping_epoch`) and whether its window was complete."""
    T = values.size
    for j in range(T):
        window = values[j + 1: j + 1 + patience]
        if not (window < values[j] - tol).any():
            return j, j + patience <= T - 1
    raise AssertionError("unreachable: the last evaluation always satisfies the rule")


def stopping_epoch(epochs: Sequence[int] | np.ndarray, values: Sequence[float] | np.ndarray, *,
                   tol: float = 0.01, patience: int = 2) -> int:
    """Our precise version of P2's early-stopping heuristic (paper-details §5.7 d).

    Let the evaluations be ``(e_0, m_0), …, (e_{T−1}, m_{T−1})`` with strictly increasing epochs
    ``e_i`` and finite mean local coefficients ``m_i`` (evaluations with a ``NaN`` value are left
    out). The stopping evaluation is the **first** ``j`` such that none of the next ``patience``
    evaluations decreases the coefficient by more than ``tol``:

    .. math:: j^* = \\min\\{\\, j : m_i \\ge m_j - \\text{tol}\\ \\ \\forall\\, i \\in
              \\{j+1, …, \\min(j + \\text{patience}, T-1)\\} \\,\\}.

    The window is truncated at the end of the record, so the last evaluation always qualifies
    (training simply ended while the coefficient was still falling). With ``tol = 0`` and
    ``patience = 1`` this is the first local minimum; larger ``patience`` and ``tol`` ignore
    plateaus and noise. P2 states only "stop when the average local coefficient reaches its
    minimum or stops decreasing"; this rule, and its defaults, are **ours**.

    Parameters
    ----------
    epochs
        Evaluation epochs, strictly increasing.
    values
        The coefficient at those epochs (typically the mean over networks of ``local_mean``).
    tol
        Decrease (in units of ρ) that still counts as "decreasing"; ``≥ 0``.
    patience
        Number of subsequent evaluations that must not decrease; ``≥ 1``.

    Returns
    -------
    int
        The epoch ``e_{j*}``.

    Raises
    ------
    ValueError
        Different lengths, no finite value, epochs not strictly increasing, bad ``tol``/``patience``.
    """
    _check_rule(tol, patience)
    e = np.asarray(epochs)
    v = np.asarray(values, dtype=np.float64)
    if e.ndim != 1 or v.ndim != 1 or e.shape != v.shape:
        raise ValueError(f"epochs and values must be 1-D of equal length, got {e.shape} and {v.shape}")
    if e.size and np.any(np.diff(e.astype(np.float64)) <= 0):
        raise ValueError("epochs must be strictly increasing")
    ok = np.isfinite(v)
    if not ok.any():
        raise ValueError("no finite coefficient values to stop on")
    j, _ = _stop_index(v[ok], float(tol), int(patience))
    return int(e[ok][j])


def _one_curvature(trajectory: pd.DataFrame, column: str, curvature: str | None) -> pd.DataFrame:
    need = ["epoch", column]
    missing = [c for c in need if c not in trajectory.columns]
    if missing:
        raise ValueError(f"trajectory lacks columns {missing}")
    if trajectory.empty:
        raise ValueError("trajectory is empty")
    if "curvature" in trajectory.columns:
        present = list(dict.fromkeys(trajectory["curvature"]))
        if curvature is None:
            if len(present) > 1:
                raise ValueError(f"trajectory holds several curvatures {present}: choose one")
            return trajectory
        if curvature not in present:
            raise ValueError(f"curvature {curvature!r} not in trajectory ({present})")
        return trajectory[trajectory["curvature"] == curvature]
    if curvature is not None:
        raise ValueError("trajectory has no curvature column")
    return trajectory


def trajectory_curve(trajectory: pd.DataFrame, *, column: str = "local_mean") -> pd.DataFrame:
    """The network-mean curve of a trajectory (one curvature): per ``epoch``, the mean of
    ``column`` over networks and its standard error (``<column>_sem``, ``ddof=1``), and the mean
    training and test accuracy, as :func:`~ricci_lit.plotting.paper2.trajectory_figure` draws it."""
    need = ["epoch", column, "train_accuracy", "test_accuracy"]
    missing = [c for c in need if c not in trajectory.columns]
    if missing:
        raise ValueError(f"trajectory lacks columns {missing}")
    return trajectory.groupby("epoch", sort=True).agg(
        **{column: (column, "mean"), f"{column}_sem": (column, "sem")},
        train_accuracy=("train_accuracy", "mean"), test_accuracy=("test_accuracy", "mean")).reset_index()


def early_stopping_epoch(trajectory: pd.DataFrame, *, column: str = "local_mean",
                         tol: float = 0.01, patience: int = 2,
                         curvature: str | None = None) -> int:
    """:func:`stopping_epoch` applied to the mean of ``column`` over networks at each epoch.

    P2 plots (and reads the heuristic off) the mean over its networks of each network's mean
    local coefficient; this is that curve. ``curvature`` selects one when the trajectory holds
    several.
    """
    traj = _one_curvature(trajectory, column, curvature)
    curve = traj.groupby("epoch", sort=True)[column].mean()
    return stopping_epoch(curve.index.to_numpy(), curve.to_numpy(float), tol=tol, patience=patience)


def early_stopping_table(trajectory: pd.DataFrame, *, column: str = "local_mean",
                         tol: float = 0.01, patience: int = 2,
                         curvature: str | None = None) -> pd.DataFrame:
    """The stopping rule per network and for the network mean, with what it would have cost.

    Returns one row per network (``network`` = its index) and a row ``network = -1`` for the
    mean curve: ``stop_epoch``, ``stop_value``, ``window_complete`` (the ``patience`` window fit
    in the record), ``min_epoch``/``min_value`` (the overall minimum of the coefficient), and,
    when the trajectory has ``test_accuracy``: the test accuracy at the stop, the best test
    accuracy and its epoch, and the final test accuracy.
    """
    _check_rule(tol, patience)
    traj = _one_curvature(trajectory, column, curvature)
    groups: list[tuple[int, int, pd.DataFrame]] = []
    if "network" in traj.columns:
        for net, grp in traj.groupby("network", sort=True):
            seed = int(grp["seed"].iloc[0]) if "seed" in grp else -1
            groups.append((int(net), seed, grp.groupby("epoch", sort=True).mean(numeric_only=True)))
    groups.append((-1, -1, traj.groupby("epoch", sort=True).mean(numeric_only=True)))
    rows = []
    for net, seed, g in groups:
        epochs = g.index.to_numpy()
        vals = g[column].to_numpy(float)
        ok = np.isfinite(vals)
        row: dict[str, Any] = {"network": net, "seed": seed}
        if not ok.any():
            row.update(stop_epoch=None, stop_value=math.nan, window_complete=False,
                       min_epoch=None, min_value=math.nan)
        else:
            j, complete = _stop_index(vals[ok], float(tol), int(patience))
            m = int(np.argmin(vals[ok]))
            row.update(stop_epoch=int(epochs[ok][j]), stop_value=float(vals[ok][j]),
                       window_complete=bool(complete), min_epoch=int(epochs[ok][m]),
                       min_value=float(vals[ok][m]))
        if "test_accuracy" in g:
            acc = g["test_accuracy"].to_numpy(float)
            b = int(np.argmax(acc))
            row.update(test_accuracy_at_stop=(float(g["test_accuracy"].loc[row["stop_epoch"]])
                                              if row["stop_epoch"] is not None else math.nan),
                       best_test_accuracy=float(acc[b]), best_test_epoch=int(epochs[b]),
                       final_test_accuracy=float(acc[-1]))
        rows.append(row)
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------------------------------
# Layer profiles and the critical layer (our rule for P2's depth criterion)
# ---------------------------------------------------------------------------------------------------

PROFILE_COLUMNS: tuple[str, ...] = (
    "curvature", "k", "layers", "n_representations", "n_hidden", "transition", "representation",
    "n_networks", "rho_mean", "rho_std", "rho_sem", "rho_median",
)


def profile_from_layers(layers_frame: pd.DataFrame, by: Sequence[str] = ()) -> pd.DataFrame:
    """Average the layer coefficients of a ``layers`` table over networks (P2 Fig. 5).

    Groups by the columns of ``by`` that exist, then ``curvature``, ``k``, ``layers``, the number of
    transitions (networks of different depths are never mixed) and ``transition``; per group:
    the number of networks with a defined ``ρ_l``, and their mean, std (``ddof=1``), standard
    error and median. ``n_representations`` is the number of representations of the networks and
    ``n_hidden`` their depth (``n_representations − 2`` for ``layers="all"``).

    Raises
    ------
    ValueError
        Missing columns or an empty table.
    """
    need = ["network", "curvature", "k", "layers", "transition", "representation", "layer_rho"]
    missing = [c for c in need if c not in layers_frame.columns]
    if missing:
        raise ValueError(f"layers table lacks columns {missing}")
    if layers_frame.empty:
        raise ValueError("layers table is empty")
    df = layers_frame.copy()
    ids = [c for c in ("problem", "architecture", "state", "network", "seed", "epoch")
           if c in df.columns]
    per_net = [c for c in ids + ["curvature", "k", "layers"] if c in df.columns]
    df["n_transitions"] = df.groupby(per_net, sort=False)["transition"].transform("count")
    df["n_representations"] = df["n_transitions"] + 1
    df["n_hidden"] = np.where(df["layers"] == "all", df["n_representations"] - 2,
                              df["n_representations"])
    keys = [c for c in by if c in df.columns] + ["curvature", "k", "layers", "n_representations",
                                                 "n_hidden", "transition", "representation"]
    rows = []
    for key, grp in df.groupby(keys, sort=True):
        v = grp["layer_rho"].to_numpy(float)
        v = v[np.isfinite(v)]
        rows.append({**dict(zip(keys, key)), "n_networks": int(v.size),
                     "rho_mean": float(v.mean()) if v.size else math.nan,
                     "rho_std": float(v.std(ddof=1)) if v.size > 1 else math.nan,
                     "rho_sem": float(v.std(ddof=1) / math.sqrt(v.size)) if v.size > 1 else math.nan,
                     "rho_median": float(np.median(v)) if v.size else math.nan})
    cols = [c for c in by if c in df.columns] + list(PROFILE_COLUMNS)
    return pd.DataFrame(rows)[cols]


def layer_profile(reps_list: Sequence[object], k: int, curvature: str = "approx-ollivier", *,
                  layers: str = "all", mode: str = "union", progress: bool = False) -> pd.DataFrame:
    """Mean layer coefficient per transition over networks of one depth (P2 §4.4, Fig. 5).

    P2 averages ``ρ_l`` over 50 networks of width 25 per depth, with the approximate Ollivier
    curvature, ``k = 50`` and ``layers="all"`` (transitions ``l = 0 … depth``, input → first hidden
    layer up to last hidden layer → output). Computes :func:`ricci_lit.geometry.engine.network_coefficients`
    and then :func:`profile_from_layers`.

    Raises
    ------
    ValueError
        Networks with different numbers of representations (profile each depth separately), or
        any error of :func:`~ricci_lit.geometry.engine.network_coefficients`.
    """
    tables = network_coefficients(reps_list, k, curvatures=(curvature,), layers=layers, mode=mode,
                                  progress=progress)
    depths = set(tables.networks["n_representations"])
    if len(depths) != 1:
        raise ValueError(f"networks have different numbers of representations {sorted(depths)}: "
                         "compute one profile per depth")
    return profile_from_layers(tables.layers)


def critical_layer(profile: pd.DataFrame | Sequence[float] | np.ndarray, threshold: float = -0.2, *,
                   column: str = "rho_mean", relative: bool = False) -> int | None:
    """Our definition of P2's critical layer (paper-details §5.7 e): where the U-shape ends.

    With the profile ``r_0, …, r_{T−1}`` (``NaN`` entries ignored) and ``m = argmin_l r_l`` (the first
    minimum), the critical layer is the first transition after the minimum whose coefficient
    rises above the threshold ``τ``:

    .. math:: l^* = \\min\\{\\, l > m : r_l > τ \\,\\},\\qquad
              τ = \\text{threshold}\\ \\ \\text{or, with relative=True,}\\ \\ τ = \\text{threshold}\\cdot r_m.

    ``relative=True`` with ``threshold = 0.5`` means "has risen half-way from the minimum back to
    0". Returns ``None`` when the minimum is not below ``τ`` (no U-shape to speak of) or the
    profile never rises above ``τ`` after it (no critical layer within this depth). P2 describes the
    layer "at which the coefficient starts approaching 0"; this rule and the default
    ``threshold = −0.2`` are **ours**.

    Parameters
    ----------
    profile
        A frame from :func:`layer_profile`/:func:`profile_from_layers` (one depth; sorted by
        ``transition``, which is returned) or a 1-D sequence indexed by transition.
    threshold
        ``τ`` (absolute) or the fraction of the minimum (relative; in ``(0, 1)``).
    column
        The profile column to use for a frame.
    relative
        Interpret ``threshold`` as a fraction of the minimum; the minimum must then be negative.

    Raises
    ------
    ValueError
        A frame with several depths/curvatures, missing columns, an empty or all-NaN profile, or a
        relative threshold outside ``(0, 1)``.
    """
    if isinstance(profile, pd.DataFrame):
        if column not in profile.columns or "transition" not in profile.columns:
            raise ValueError(f"profile needs columns 'transition' and {column!r}")
        if profile["transition"].duplicated().any():
            raise ValueError("profile has repeated transitions (several depths or curvatures?): "
                             "pass one profile, or use critical_layers")
        p = profile.sort_values("transition")
        trans = p["transition"].to_numpy()
        vals = p[column].to_numpy(float)
    else:
        vals = np.asarray(profile, dtype=np.float64)
        if vals.ndim != 1:
            raise ValueError(f"profile must be 1-D, got shape {vals.shape}")
        trans = np.arange(vals.size)
    if not (isinstance(threshold, (int, float, np.floating)) and math.isfinite(float(threshold))):
        raise ValueError(f"threshold must be a finite number, got {threshold!r}")
    ok = np.isfinite(vals)
    if not ok.any():
        raise ValueError("profile has no finite value")
    trans, vals = trans[ok], vals[ok]
    m = int(np.argmin(vals))
    if relative:
        if not 0.0 < threshold < 1.0:
            raise ValueError(f"a relative threshold must lie in (0, 1), got {threshold}")
        if vals[m] >= 0:
            return None
        tau = float(threshold) * float(vals[m])
    else:
        tau = float(threshold)
    if not vals[m] < tau:
        return None
    after = np.nonzero(vals[m + 1:] > tau)[0]
    return int(trans[m + 1 + after[0]]) if after.size else None


def critical_layers(profiles: pd.DataFrame, threshold: float = -0.2, *, column: str = "rho_mean",
                    relative: bool = False,
                    by: Sequence[str] = ("problem", "architecture", "state", "curvature", "k",
                                         "n_hidden")) -> pd.DataFrame:
    """:func:`critical_layer` for every profile of a table (e.g. one per depth).

    Groups by the columns of ``by`` that exist; returns them with ``critical_layer`` (``None``
    where undefined), ``min_transition`` and ``min_value``. P2's claim is that the critical layer
    is roughly independent of the total depth (``n_hidden``).
    """
    keys = [c for c in by if c in profiles.columns]
    if not keys:
        raise ValueError(f"profiles has none of the grouping columns {list(by)}")
    rows = []
    for key, grp in profiles.groupby(keys, sort=True):
        grp = grp.sort_values("transition")
        v = grp[column].to_numpy(float)
        ok = np.isfinite(v)
        row = dict(zip(keys, key if isinstance(key, tuple) else (key,)))
        if ok.any():
            m = int(np.nanargmin(v))
            row.update(critical_layer=critical_layer(grp, threshold, column=column, relative=relative),
                       min_transition=int(grp["transition"].iloc[m]), min_value=float(v[m]))
        else:
            row.update(critical_layer=None, min_transition=None, min_value=math.nan)
        rows.append(row)
    return pd.DataFrame(rows)
