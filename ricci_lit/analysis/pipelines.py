r"""Paper 1's headline numbers for several pipelines side by side, on the same networks and k values.

A *pipeline* is a sweep store (``ricci-lit sweep``): how the networks were trained (training set,
scheme), how their layers became graphs (``union`` or ``r-compat``) and how pixels were scaled.
Issue 14 asks which of these choices moves paper 1's headline numbers (P1 §3.2–3.4;
paper-notes §4 items 1, 2 and 5). To make the rows comparable, :func:`pipeline_table`

1. restricts every store to the ``(problem, architecture, seed)`` keys *all* of them hold and to
   the ``k`` values all of their grids hold;
2. runs paper 1's analysis on each (:func:`ricci_lit.analysis.paper1.report`: well-trained filter,
   aggregated coefficient for every ``k``, the most negative one picks ``k``, each network's ``ρ``
   and ``z`` there, the accuracy regression of Table S2);
3. reports per pipeline: the counts (networks → above threshold → kept), the share of kept networks
   with ``ρ < 0`` and its percentile bootstrap interval, the regression's ``z`` term (estimate,
   ``t``, ``p``) and the best-``k`` pattern (per problem the range of the chosen ``k`` over the
   architectures, and how many configurations chose a ``k`` inside paper 1's range,
   :data:`ricci_lit.analysis.targets.PAPER1_BEST_K_RANGE`).

The bootstrap of the share
--------------------------
The kept networks are resampled with replacement within each (problem, architecture), keeping the
configuration's count (a stratified nonparametric bootstrap); each replicate's share is
``#{ρ < 0} / #kept``. The chosen ``k`` is held fixed (as in
:func:`ricci_lit.analysis.uncertainty.bootstrap_regression`). Replicates come from
``default_rng(SeedSequence([seed, crc32(label)]))``, so a pipeline's interval does not depend on
which other pipelines are in the table.

:func:`single_changes` compares pairs of pipelines that differ in one choice, each pair on the
networks both hold, and gives the change of every headline number; :func:`single_change_by_problem`
gives one change problem by problem.
"""
from __future__ import annotations

import math
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ricci_lit.analysis.paper1 import NETWORK_KEYS, Report, kept_mask, report
from ricci_lit.analysis.targets import PAPER1_BEST_K_RANGE, PAPER1_COUNTS, PAPER1_REGRESSION

__all__ = ["HEADLINE_COLUMNS", "PipelineTable", "best_k_pattern", "coverage", "headline_row", "measured_effects",
           "paper_row", "pipeline_table", "share_interval", "single_change_by_problem", "single_changes"]

#: The columns of :attr:`PipelineTable.table`, in order.
HEADLINE_COLUMNS: tuple[str, ...] = (
    "pipeline", "networks", "above_threshold", "kept", "negative", "fraction_negative", "ci_low", "ci_high",
    "z_estimate", "z_t", "z_p", "best_k", "best_k_in_paper_range", "configurations")


@dataclass(frozen=True)
class PipelineTable:
    """The headline numbers of several pipelines on common networks.

    Attributes
    ----------
    table
        One row per pipeline, columns :data:`HEADLINE_COLUMNS`.
    best
        One row per (pipeline, problem, architecture): ``best_k`` and its ``aggregated`` coefficient.
    keys
        The common ``(problem, architecture, seed)`` keys.
    ks
        The common ``k`` values.
    """

    table: pd.DataFrame
    best: pd.DataFrame
    keys: pd.MultiIndex
    ks: list[int]


def _index(frame: pd.DataFrame) -> pd.MultiIndex:
    return pd.MultiIndex.from_frame(frame[NETWORK_KEYS].astype({"seed": int}))


def share_interval(rho: np.ndarray, strata: Sequence[Any], *, n_boot: int = 2000, seed: int = 0,
                   label: str = "", level: float = 0.95) -> tuple[float, float]:
    """Percentile bootstrap interval of the share of ``rho < 0`` (module docstring).

    Parameters
    ----------
    rho
        ``ρ`` of the kept networks (finite).
    strata
        One label per network (its configuration); networks are resampled within their stratum.
    n_boot, seed, label, level
        Replicates, seed, the stream's label (``crc32``) and the coverage.
    """
    rho = np.asarray(rho, dtype=np.float64)
    if rho.ndim != 1 or len(rho) != len(strata):
        raise ValueError(f"rho must be 1-D with one stratum per value, got {rho.shape} and {len(strata)} strata")
    if len(rho) == 0:
        raise ValueError("no kept network: the share with ρ < 0 has no interval")
    if not np.all(np.isfinite(rho)):
        raise ValueError("rho holds NaN or infinite values; pass the kept networks only")
    if isinstance(n_boot, bool) or not isinstance(n_boot, (int, np.integer)) or n_boot < 1:
        raise ValueError(f"n_boot must be a positive integer, got {n_boot!r}")
    if not 0 < level < 1:
        raise ValueError(f"level must lie in (0, 1), got {level!r}")
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), zlib.crc32(label.encode())]))
    negative = np.zeros(n_boot)
    codes, uniques = pd.factorize(pd.Series([repr(s) for s in strata]), sort=True)
    for code in range(len(uniques)):
        neg = (rho[codes == code] < 0).astype(np.float64)
        draws = rng.integers(0, len(neg), size=(n_boot, len(neg)))
        negative += neg[draws].sum(axis=1)
    shares = negative / len(rho)
    lo, hi = np.quantile(shares, [(1 - level) / 2, (1 + level) / 2])
    return float(lo), float(hi)


def best_k_pattern(best: pd.DataFrame, problems: Sequence[str] | None = None) -> tuple[str, int, int]:
    """``(text, inside, configurations)``: per problem the range of the chosen ``k`` over its
    architectures (``"A 30–100 · B 6–10 …"``), and how many configurations chose a ``k`` inside
    paper 1's range for their problem (:data:`~ricci_lit.analysis.targets.PAPER1_BEST_K_RANGE`)."""
    parts, inside, total = [], 0, 0
    order = problems if problems is not None else list(dict.fromkeys(best["problem"]))
    for problem in order:
        ks = best.loc[best["problem"] == problem, "best_k"].dropna().astype(int)
        total += int((best["problem"] == problem).sum())
        if ks.empty:
            parts.append(f"{problem} none")
            continue
        lo, hi = int(ks.min()), int(ks.max())
        parts.append(f"{problem} {lo}" if lo == hi else f"{problem} {lo}–{hi}")
        if problem in PAPER1_BEST_K_RANGE:
            plo, phi = PAPER1_BEST_K_RANGE[problem]
            inside += int(((ks >= plo) & (ks <= phi)).sum())
    return " · ".join(parts), inside, total


def headline_row(rep: Report, label: str, *, n_boot: int = 2000, seed: int = 0,
                 problems: Sequence[str] | None = None) -> dict[str, Any]:
    """One row of :data:`HEADLINE_COLUMNS` from a report (module docstring)."""
    c = rep.counts
    nets = rep.nets
    kept = nets[kept_mask(nets)]
    if len(kept):
        lo, hi = share_interval(kept["rho"].to_numpy(float),
                                list(zip(kept["problem"], kept["architecture"])), n_boot=n_boot, seed=seed,
                                label=label)
    else:
        lo = hi = None
    text, inside, total = best_k_pattern(rep.best, problems)
    reg = rep.regression
    return {"pipeline": label, "networks": c["networks"], "above_threshold": c["above_threshold"],
            "kept": c["kept"], "negative": c["negative"], "fraction_negative": c["fraction_negative"],
            "ci_low": lo, "ci_high": hi, "z_estimate": reg.get("estimate"), "z_t": reg.get("t"),
            "z_p": reg.get("p"), "best_k": text, "best_k_in_paper_range": inside, "configurations": total}


def paper_row(problems: Sequence[str] | None = None) -> dict[str, Any]:
    """Paper 1's published numbers in the columns of :data:`HEADLINE_COLUMNS` (P1 §3.1–3.4;
    :mod:`ricci_lit.analysis.targets`); what it does not publish (an interval, the estimate) is ``None``."""
    names = list(PAPER1_BEST_K_RANGE) if problems is None else list(problems)
    best = " · ".join(f"{p} {PAPER1_BEST_K_RANGE[p][0]}–{PAPER1_BEST_K_RANGE[p][1]}" for p in names)
    return {"pipeline": "paper 1 (published)", "networks": PAPER1_COUNTS["networks"],
            "above_threshold": PAPER1_COUNTS["above_threshold"], "kept": PAPER1_COUNTS["kept"],
            "negative": PAPER1_COUNTS["negative"],
            "fraction_negative": PAPER1_COUNTS["negative"] / PAPER1_COUNTS["kept"], "ci_low": None,
            "ci_high": None, "z_estimate": None, "z_t": PAPER1_REGRESSION["t"], "z_p": PAPER1_REGRESSION["p"],
            "best_k": best, "best_k_in_paper_range": None, "configurations": 6 * len(names)}


def pipeline_table(stores: Mapping[str, tuple[pd.DataFrame, pd.DataFrame]], thresholds: Mapping[str, float],
                   *, layers: str = "hidden", n_boot: int = 2000, seed: int = 0) -> PipelineTable:
    """The headline numbers of every pipeline of ``stores`` (label → ``(networks, geometry)``, as
    :func:`ricci_lit.experiments.paper1.load_results` gives its first two items) on the networks and
    ``k`` values all of them hold (module docstring).

    Raises
    ------
    ValueError
        No store given, a store without networks, or nothing in common (networks or ``k``).
    """
    if not stores:
        raise ValueError("name at least one pipeline")
    for label, (nets, geo) in stores.items():
        if nets.empty or geo.empty:
            raise ValueError(f"pipeline {label!r} holds no networks")
    keys = None
    ks: set[int] | None = None
    for nets, geo in stores.values():
        idx = _index(nets)
        keys = idx if keys is None else keys.intersection(idx)
        grid = set(geo["k"].astype(int))
        ks = grid if ks is None else ks & grid
    assert keys is not None and ks is not None
    if len(keys) == 0:
        raise ValueError(f"the pipelines {', '.join(stores)} hold no (problem, architecture, seed) in common")
    if not ks:
        raise ValueError(f"the pipelines {', '.join(stores)} share no k value")
    k_list = sorted(ks)
    problems = list(dict.fromkeys(keys.get_level_values("problem")))
    rows, best = [], []
    for label, (nets, geo) in stores.items():
        n = nets[_index(nets).isin(keys)].reset_index(drop=True)
        g = geo[_index(geo).isin(keys) & geo["k"].astype(int).isin(k_list)].reset_index(drop=True)
        rep = report(n, g, dict(thresholds), layers=layers)
        rows.append(headline_row(rep, label, n_boot=n_boot, seed=seed, problems=problems))
        best.append(rep.best[["problem", "architecture", "best_k", "aggregated"]].assign(pipeline=label))
    table = pd.DataFrame(rows, columns=list(HEADLINE_COLUMNS))
    best_frame = pd.concat(best, ignore_index=True)[["pipeline", "problem", "architecture", "best_k", "aggregated"]]
    return PipelineTable(table=table, best=best_frame, keys=keys, ks=k_list)


def single_changes(stores: Mapping[str, tuple[pd.DataFrame, pd.DataFrame]],
                   changes: Sequence[tuple[str, str, str]], thresholds: Mapping[str, float], *,
                   layers: str = "hidden", n_boot: int = 2000, seed: int = 0) -> pd.DataFrame:
    """Each ``(change, before, after)`` of ``changes`` (labels of ``stores``) on the networks and ``k``
    values both pipelines hold: one row per change with both sides' headline numbers
    (``*_before``, ``*_after``) and the moves ``d_fraction_negative`` (after − before), ``d_z_t`` and
    ``best_k_changed`` (configurations whose chosen ``k`` differs, of ``configurations``)."""
    out = []
    for change, before, after in changes:
        missing = [s for s in (before, after) if s not in stores]
        if missing:
            raise ValueError(f"change {change!r} names pipelines {missing} that are not given")
        pt = pipeline_table({before: stores[before], after: stores[after]}, thresholds, layers=layers,
                            n_boot=n_boot, seed=seed)
        b, a = (pt.table.iloc[i].to_dict() for i in (0, 1))
        merged = pt.best[pt.best["pipeline"] == before].merge(pt.best[pt.best["pipeline"] == after],
                                                           on=["problem", "architecture"], suffixes=("_b", "_a"))
        changed = int((merged["best_k_b"].astype("Int64") != merged["best_k_a"].astype("Int64")).fillna(True).sum())
        row: dict[str, Any] = {"change": change, "before": before, "after": after, "networks": b["networks"]}
        for col in ("above_threshold", "kept", "fraction_negative", "ci_low", "ci_high", "z_estimate", "z_t", "z_p",
                    "best_k", "best_k_in_paper_range"):
            row[f"{col}_before"], row[f"{col}_after"] = b[col], a[col]

        def diff(x: Any, y: Any) -> float | None:
            return None if x is None or y is None or not (math.isfinite(x) and math.isfinite(y)) else float(y - x)

        row["d_fraction_negative"] = diff(b["fraction_negative"], a["fraction_negative"])
        row["d_z_t"] = diff(b["z_t"], a["z_t"])
        row["best_k_changed"], row["configurations"] = changed, len(merged)
        out.append(row)
    return pd.DataFrame(out)


def single_change_by_problem(stores: Mapping[str, tuple[pd.DataFrame, pd.DataFrame]],
                             change: tuple[str, str, str], thresholds: Mapping[str, float], *,
                             layers: str = "hidden", n_boot: int = 2000, seed: int = 0) -> pd.DataFrame:
    """One ``(change, before, after)`` of :func:`single_changes`, problem by problem.

    A pooled move can hide moves of opposite sign: the share with ``ρ < 0`` over all problems is
    the kept-weighted mean of the problems' shares, ``Σ_p n_p f_p / Σ_p n_p``. Each row here is
    :func:`single_changes` on one problem's networks and geometry alone (the networks and ``k``
    values both pipelines hold for that problem), with a ``problem`` column first; problems in
    the order they first appear in ``before``'s networks, those that only one side holds left
    out. The regression's ``t`` of a single problem has no dataset term to adjust for and few
    networks; read its move with that in mind.

    Raises
    ------
    ValueError
        ``before`` or ``after`` not in ``stores``, or no problem held by both.
    """
    label, before, after = change
    missing = [s for s in (before, after) if s not in stores]
    if missing:
        raise ValueError(f"change {label!r} names pipelines {missing} that are not given")
    held_after = set(stores[after][0]["problem"])
    problems = [p for p in dict.fromkeys(stores[before][0]["problem"]) if p in held_after]
    if not problems:
        raise ValueError(f"the pipelines {before!r} and {after!r} hold no problem in common")
    rows = []
    for problem in problems:
        subset = {name: (nets[nets["problem"] == problem], geo[geo["problem"] == problem])
                  for name, (nets, geo) in ((before, stores[before]), (after, stores[after]))}
        rows.append(single_changes(subset, [change], thresholds, layers=layers, n_boot=n_boot, seed=seed)
                    .assign(problem=problem))
    out = pd.concat(rows, ignore_index=True)
    return out[["problem", *[c for c in out.columns if c != "problem"]]]


def _pct(x: float | None) -> str:
    return "undefined" if x is None or not math.isfinite(x) else f"{x:.1%}"


def _t(x: float | None) -> str:
    return "undefined" if x is None or not math.isfinite(x) else f"{x:+.2f}"


def measured_effects(changes: pd.DataFrame, *, where: str = "chapter 7") -> dict[str, str]:
    """What :func:`single_changes` measured, as text per target key of
    :data:`ricci_lit.analysis.targets.MISS_EXPLANATIONS` (for
    :func:`ricci_lit.analysis.verdicts.reproduction_table`'s ``measured_effects``).

    Each change is stated on its own networks: the share with ``ρ < 0`` before → after
    (``fraction_negative``), the regression's ``t`` (``regression``), the networks above the
    accuracy threshold (``above_threshold``), the kept networks (``kept``) and the configurations
    whose chosen ``k`` moved (``best_k``, ``negative_aggregated``)."""
    if changes.empty:
        return {}

    def each(fmt) -> str:
        return "; ".join(f"{r['change']} ({int(r['networks']):,} networks): {fmt(r)}" for _, r in changes.iterrows())

    head = f"measured ({where}, each change on the networks both pipelines hold): "
    out = {
        "fraction_negative": head + each(lambda r: f"share with ρ < 0 {_pct(r['fraction_negative_before'])} → "
                                                   f"{_pct(r['fraction_negative_after'])}"),
        "regression": head + each(lambda r: f"t of the z term {_t(r['z_t_before'])} → {_t(r['z_t_after'])}"),
        "above_threshold": head + each(lambda r: f"above the accuracy threshold {int(r['above_threshold_before']):,} "
                                                 f"→ {int(r['above_threshold_after']):,}"),
        "kept": head + each(lambda r: f"kept {int(r['kept_before']):,} → {int(r['kept_after']):,}"),
        "best_k": head + each(lambda r: f"chosen k moved in {int(r['best_k_changed'])} of "
                                        f"{int(r['configurations'])} configurations"),
    }
    out["negative_aggregated"] = out["best_k"]
    return out


def coverage(networks: pd.DataFrame) -> str:
    """What a store holds, in words: per problem its configurations and seeds per configuration.

    Problems that hold the same (configurations, seeds) are named together, in their order of first
    appearance, e.g. ``"A, B and C: 6 configurations × 12 seeds; mnist-6v8: 1 configuration × 6
    seeds"``; seeds given as a range when configurations differ (``"6–12 seeds"``).

    Parameters
    ----------
    networks
        One row per network (or per network and layer): ``problem``, ``architecture``, ``seed``.
    """
    missing = [c for c in ("problem", "architecture", "seed") if c not in networks.columns]
    if missing:
        raise ValueError(f"networks lacks the column(s) {missing}")
    if networks.empty:
        return "no network"
    nets = networks.drop_duplicates(["problem", "architecture", "seed"])
    per_config = nets.groupby(["problem", "architecture"], sort=False).size()
    groups: dict[tuple[int, int, int], list[str]] = {}
    for problem in dict.fromkeys(nets["problem"]):
        seeds = per_config.loc[problem]
        groups.setdefault((len(seeds), int(seeds.min()), int(seeds.max())), []).append(str(problem))

    def names(ps: list[str]) -> str:
        return ps[0] if len(ps) == 1 else ", ".join(ps[:-1]) + " and " + ps[-1]

    parts = []
    for (n_conf, lo, hi), ps in groups.items():
        seeds = f"{lo} seed{'s' if hi > 1 else ''}" if lo == hi else f"{lo}–{hi} seeds"
        parts.append(f"{names(ps)}: {n_conf} configuration{'s' if n_conf > 1 else ''} × {seeds}")
    return "; ".join(parts)
