"""Verdicts: every target of :mod:`ricci_lit.analysis.targets` judged from our results.

:func:`reproduction_table` computes each target's "ours" text and verdict from the numbers of an
:class:`ricci_lit.analysis.paper1.Report` (and the geometry table and manifest it was computed
from), the Fig. 1A experiment's representations, and for paper 2's items 7–8 a coefficients store;
a verdict is never set by hand. It runs one named step per item (:func:`count_rows`,
:func:`best_k_rows`, :func:`group_rows`, :func:`fig4_rows`, :func:`regression_row`,
:func:`fig1a_row`, :func:`p2_rows`). Verdicts only read results: nothing here trains or draws.

Imports :mod:`ricci_lit.analysis` (paper1, series, heatmap, projection, coefficients, targets) and
:mod:`ricci_lit.experiments.paper1` (the paper profile's design, for :func:`design_status`).
"""
from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ricci_lit.analysis.heatmap import (
    aggregated_matrix,
    best_k_fractions,
    clustering_agreement,
)
from ricci_lit.analysis.paper1 import Report
from ricci_lit.analysis.projection import pc_separability
from ricci_lit.analysis.series import network_series
from ricci_lit.analysis.targets import (
    FIG3_GROUPING,
    MISS_EXPLANATIONS,
    NOT_COMPUTED,
    NOT_REPRODUCED,
    PAPER1_BEST_K_RANGE,
    PAPER1_COUNTS,
    PAPER1_FIG4_EXAMPLES,
    PAPER1_TEST_SIZES,
    PAPER1_TRENDS,
    PARTLY,
    REAL_PROBLEMS,
    REPRODUCED,
    SYNTHETIC_PROBLEMS,
    TOLERANCES,
    VERDICTS,
    Target,
    target,
)

if TYPE_CHECKING:  # the experiment trains a network; verdicts only read its result
    from ricci_lit.experiments.fig1a import Fig1A

__all__ = ["design_status", "count_rows", "best_k_rows", "group_rows", "fig4_rows", "regression_row",
           "fig1a_row", "p2_rows", "reproduction_table", "COLUMNS"]

#: The columns of :func:`reproduction_table`.
COLUMNS: tuple[str, ...] = ("item", "key", "target", "paper value", "criterion", "ours", "verdict",
                            "why it may differ", "source", "scope")


def design_status(networks: pd.DataFrame, manifest: Mapping[str, Any] | None) -> dict[str, Any]:
    """Whether ``networks`` hold paper 1's full design (P1 §3.1) at the paper profile's settings.

    Returns ``{"complete", "present", "expected", "settings_match", "profile"}``: ``present``
    counts the design's (problem, architecture, seed) triples found, ``settings_match`` compares
    the manifest's settings with :func:`ricci_lit.experiments.paper1.get_profile` ``("paper")``'s.
    """
    from ricci_lit.experiments.paper1 import expected_networks, get_profile

    paper = get_profile("paper")
    expected = expected_networks(paper)
    if len(networks):
        keys = set(zip(networks["problem"], networks["architecture"], networks["seed"].astype(int)))
    else:
        keys = set()
    manifest = dict(manifest or {})
    settings = manifest.get("settings")
    match = settings is not None and (json.loads(json.dumps(settings, sort_keys=True))
                                      == json.loads(json.dumps(paper.settings(), sort_keys=True)))
    present = len(keys & expected)
    return {"complete": bool(match and present == len(expected)), "present": present,
            "expected": len(expected), "settings_match": bool(match), "profile": manifest.get("profile")}


def _pct(x: float | None) -> str:
    return "undefined" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.1%}"


def _count_verdict(ours: float | None, paper: float) -> str:
    if ours is None:
        return NOT_REPRODUCED
    d = abs(ours - paper)
    if d <= TOLERANCES["count_fraction"]:
        return REPRODUCED
    return PARTLY if d <= TOLERANCES["count_fraction_partly"] else NOT_REPRODUCED


def _row(t: Target, ours: str, verdict: str, **fmt: Any) -> dict[str, Any]:
    assert verdict in VERDICTS
    why = MISS_EXPLANATIONS[t.key] if verdict in (PARTLY, NOT_REPRODUCED) else ""
    return {"item": t.item, "key": t.key, "target": t.target.format(**fmt), "paper value": t.paper_value.format(**fmt),
            "criterion": t.criterion, "ours": ours, "verdict": verdict, "why it may differ": why,
            "source": t.source, "scope": t.scope}


def _grid_testable(ks_frac: Sequence[float], lo: float, hi: float) -> bool:
    inside = [f for f in ks_frac if lo <= f <= hi]
    return bool(inside) and len(inside) < len(ks_frac)


def _k_robustness_part(table: pd.DataFrame | None) -> tuple[str, str | None]:
    """Text and verdict of item 8's k-robustness half from :func:`ricci_lit.analysis.coefficients.k_robustness`."""
    if table is None or table.empty:
        return "k-robustness not computed (one k per configuration)", None
    from ricci_lit.analysis.coefficients import negative_at_every_k

    all_neg = negative_at_every_k(table)
    ks = sorted(int(k) for k in table["k"].unique())
    lo, hi = int(table["n_networks"].min()), int(table["n_networks"].max())
    text = (f"k-robustness (k ∈ {{{', '.join(map(str, ks))}}}, {lo if lo == hi else f'{lo}–{hi}'} networks "
            f"each): mean local ρ < 0 at every k in {int(all_neg.sum())} of "
            f"{len(all_neg)} configurations (range {table['local_mean'].min():+.2f} … {table['local_mean'].max():+.2f})")
    verdict = REPRODUCED if all_neg.all() else (PARTLY if all_neg.any() else NOT_REPRODUCED)
    return text, verdict


def p2_rows(coefficients: pd.DataFrame | None, layers: pd.DataFrame | None,
            k_robustness: pd.DataFrame | None = None) -> list[dict[str, Any]]:
    """The rows of items 7 and 8 (paper 2) from a coefficients store
    (:func:`ricci_lit.experiments.coefficients.load_coefficients`; ``None``: not computed).

    Item 7 uses the ``union`` graphs: the Forman global coefficient over all representations of
    the untrained networks (P2 computed its control with Forman, input to output) and the mean
    local coefficient with the approximate Ollivier curvature (P2 used exact Ollivier, which costs
    tens of seconds per graph here). Item 8 uses the trained networks with 11 hidden layers, and
    for its k-robustness half the table of :func:`ricci_lit.analysis.coefficients.k_robustness`
    (``None``: that half is not computed and the verdict is the layer half's).
    """
    t7, t8 = target("p2_untrained"), target("p2_layers")
    if coefficients is None or coefficients.empty:
        why = "no coefficients store rendered (`ricci-lit coefficients`)"
        return [_row(t7, why, NOT_COMPUTED), _row(t8, why, NOT_COMPUTED)]
    rows = []
    c = coefficients[coefficients["mode"] == "union"]
    unt_f = c[(c["state"] == "untrained") & (c["curvature"] == "forman")]
    unt_o = c[(c["state"] == "untrained") & (c["curvature"] == "approx-ollivier")]
    trn_o = c[(c["state"] == "trained") & (c["curvature"] == "approx-ollivier")]
    if unt_f.empty or unt_o.empty or trn_o.empty:
        rows.append(_row(t7, "needs trained and untrained networks with the Forman and approximate Ollivier "
                             "curvatures on union graphs", NOT_COMPUTED))
    else:
        glob = unt_f["rho"].dropna()
        frac = float((glob < 0).mean()) if len(glob) else float("nan")
        loc_u = float(unt_o["local_mean"].mean())
        loc_t = float(trn_o["local_mean"].mean())
        checks = [not math.isnan(frac) and frac >= TOLERANCES["p2_global_negative"],
                  abs(loc_u) < TOLERANCES["p2_local_zero"], loc_t <= TOLERANCES["p2_local_trained"]]
        problems = ", ".join(sorted(set(c["problem"])))
        text = (f"untrained: global ρ < 0 in {int((glob < 0).sum())} of {len(glob)} ({_pct(frac)}), mean local ρ "
                f"{loc_u:+.3f}; trained: mean local ρ {loc_t:+.3f} ({len(unt_f)} untrained and {len(trn_o)} trained "
                f"networks of {problems})")
        n_ok = sum(checks)
        rows.append(_row(t7, text, REPRODUCED if n_ok == 3 else (PARTLY if n_ok else NOT_REPRODUCED)))
    k_text, k_verdict = _k_robustness_part(k_robustness)
    if layers is None or layers.empty:
        rows.append(_row(t8, "no layer table rendered; " + k_text, NOT_COMPUTED))
        return rows
    lay = layers[(layers["mode"] == "union") & (layers["state"] == "trained")
                 & (layers["curvature"] == "approx-ollivier") & (layers["n_hidden"] == 11)]
    if lay.empty:
        rows.append(_row(t8, "no trained deep (11 hidden layers) network in the coefficients store; " + k_text,
                         NOT_COMPUTED))
        return rows
    parts, ok, neg = [], [], []
    for problem, grp in lay.groupby("problem", sort=True):
        prof = grp.groupby("transition")["layer_rho"].mean().sort_index()
        vals = prof.to_numpy()
        i_min = int(np.nanargmin(vals))
        rise = float(vals[-1] - vals[i_min])
        early = i_min < (2 * len(vals)) / 3
        good = vals[i_min] <= TOLERANCES["p2_layer_min"] and early and rise >= TOLERANCES["p2_layer_rise"]
        ok.append(good)
        neg.append(vals[i_min] < 0)
        parts.append(f"{problem}: min {vals[i_min]:.2f} at transition {i_min} of {len(vals) - 1}, last {vals[-1]:.2f}")
    verdict = REPRODUCED if all(ok) else (PARTLY if any(ok) or all(neg) else NOT_REPRODUCED)
    if k_verdict is not None and k_verdict != verdict:  # both halves must hold; neither: not reproduced
        verdict = PARTLY
    rows.append(_row(t8, "; ".join(parts) + "; " + k_text, verdict))
    return rows



def _not_design(status: Mapping[str, Any], profile_name: str | None) -> str:
    name = profile_name or status["profile"] or "these results"
    return (f"{name} profile, not the paper design: {status['present']:,} of {status['expected']:,} "
            "design networks" + (", other settings" if not status["settings_match"] else ""))


def count_rows(report: Report, status: Mapping[str, Any], not_design: str) -> list[dict[str, Any]]:
    """Item 1: networks trained, above the threshold, kept, and the fraction with ρ < 0 (design scope)."""
    rows: list[dict[str, Any]] = []
    c = report.counts
    t = target("networks")
    rows.append(_row(t, f"{c['networks']:,}" + ("" if status["complete"] else f" ({not_design})"),
                     REPRODUCED if status["complete"] and c["networks"] == PAPER1_COUNTS["networks"] else NOT_COMPUTED))
    paper_above = PAPER1_COUNTS["above_threshold"] / PAPER1_COUNTS["networks"]
    ours_above = c["above_threshold"] / c["networks"] if c["networks"] else None
    t = target("above_threshold")
    text = f"{c['above_threshold']:,} of {c['networks']:,} ({_pct(ours_above)})"
    rows.append(_row(t, text + ("" if status["complete"] else f" ({not_design})"),
                     _count_verdict(ours_above, paper_above) if status["complete"] else NOT_COMPUTED))
    paper_kept = PAPER1_COUNTS["kept"] / PAPER1_COUNTS["above_threshold"]
    ours_kept = c["kept"] / c["above_threshold"] if c["above_threshold"] else None
    t = target("kept")
    text = f"{c['kept']:,} of {c['above_threshold']:,} ({_pct(ours_kept)})"
    rows.append(_row(t, text + ("" if status["complete"] else f" ({not_design})"),
                     _count_verdict(ours_kept, paper_kept) if status["complete"] else NOT_COMPUTED))
    t = target("fraction_negative")
    frac = c["fraction_negative"]
    text = f"{c['negative']:,} of {c['kept']:,} ({_pct(frac)})"
    if not status["complete"]:
        verdict = NOT_COMPUTED
        text += f" ({not_design})"
    elif frac is None:
        verdict = NOT_REPRODUCED
    elif frac >= TOLERANCES["fraction_negative"]:
        verdict = REPRODUCED
    else:
        verdict = PARTLY if frac >= TOLERANCES["fraction_negative_partly"] else NOT_REPRODUCED
    rows.append(_row(t, text, verdict))
    return rows


def _best_k_row(report: Report, sub: pd.DataFrame, p: str, fmt: Mapping[str, Any]) -> dict[str, Any]:
    t = target("best_k")
    n = int(sub["n_test"].iloc[0])
    grid = sorted(int(k) for k in report.aggregated.loc[report.aggregated["problem"] == p, "k"].unique())
    lo, hi = float(sub["lo"].iloc[0]), float(sub["hi"].iloc[0])
    defined = sub[sub["best_k"].notna()]
    parts = [f"{a}: k = {int(k)} ({f:.1%})" for a, k, f in
             zip(defined["architecture"], defined["best_k"], defined["fraction"])]
    undefined = [str(a) for a in sub.loc[sub["best_k"].isna(), "architecture"]]
    if undefined:
        parts.append("undefined for " + ", ".join(undefined) + " (no well-trained connected network)")
    text = f"{n:,} test points; {'; '.join(parts)}"
    if defined.empty:
        verdict = NOT_COMPUTED
    elif not _grid_testable([k / n for k in grid], lo, hi):
        verdict = NOT_COMPUTED
        text += f"; the k grid {grid} cannot fall both inside and outside {lo:.1%}–{hi:.1%}"
    else:
        n_in = int(defined["in_range"].sum())
        if n_in == len(sub):
            verdict = REPRODUCED
        elif n_in > 0:
            verdict = PARTLY
        else:
            verdict = NOT_REPRODUCED
    return _row(t, text, verdict, **fmt)


def _negative_aggregated_row(report: Report, sub: pd.DataFrame, p: str, fmt: Mapping[str, Any]) -> dict[str, Any]:
    t = target("negative_aggregated")
    minima = []
    for a in sub["architecture"]:
        vals = report.aggregated[(report.aggregated["problem"] == p) & (report.aggregated["architecture"] == a)]
        vals = pd.to_numeric(vals["aggregated"], errors="coerce").dropna()
        minima.append((a, float(vals.min()) if len(vals) else None))
    defined_min = [(a, m) for a, m in minima if m is not None]
    n_neg = sum(m < 0 for _, m in defined_min)
    text = "; ".join(f"{a}: min {m:.2f}" if m is not None else f"{a}: undefined" for a, m in minima)
    if not defined_min:
        verdict = NOT_COMPUTED
    elif n_neg == len(minima):
        verdict = REPRODUCED
    else:
        verdict = PARTLY if n_neg else NOT_REPRODUCED
    return _row(t, f"{n_neg} of {len(minima)} architectures negative ({text})", verdict, **fmt)


def best_k_rows(report: Report, bk: pd.DataFrame) -> list[dict[str, Any]]:
    """Item 2, per problem: best k inside the paper's range, and a negative aggregated coefficient.

    ``bk`` is :func:`ricci_lit.analysis.heatmap.best_k_fractions` of the report."""
    rows: list[dict[str, Any]] = []
    present = [p for p in PAPER1_BEST_K_RANGE if p in set(report.nets["problem"])]
    for p in PAPER1_BEST_K_RANGE:
        lo_k, hi_k = PAPER1_BEST_K_RANGE[p]
        n_paper = PAPER1_TEST_SIZES[p]
        fmt = {"problem": p, "lo": lo_k, "hi": hi_k, "n": f"{n_paper:,}", "flo": lo_k / n_paper, "fhi": hi_k / n_paper}
        if p not in present:
            rows.append(_row(target("best_k"), "problem not in these results", NOT_COMPUTED, **fmt))
            rows.append(_row(target("negative_aggregated"), "problem not in these results", NOT_COMPUTED, **fmt))
            continue
        sub = bk[bk["problem"] == p]
        rows.append(_best_k_row(report, sub, p, fmt))
        rows.append(_negative_aggregated_row(report, sub, p, fmt))
    return rows


def group_rows(report: Report, bk: pd.DataFrame) -> list[dict[str, Any]]:
    """Item 3: real data need larger k than synthetic data; the Fig. 3 columns cluster by dataset
    (synthetic) and by depth (MNIST/Fashion-MNIST)."""
    rows: list[dict[str, Any]] = []
    t = target("larger_k_real")
    defined = bk[bk["fraction"].notna()]
    syn = defined[defined["problem"].isin(SYNTHETIC_PROBLEMS)]["fraction"].astype(float)
    real = defined[defined["problem"].isin(REAL_PROBLEMS)]["fraction"].astype(float)
    if len(syn) < 2 or len(real) < 2:
        rows.append(_row(t, f"needs a best k for ≥ 2 synthetic and ≥ 2 MNIST/fMNIST configurations; have "
                            f"{len(syn)} and {len(real)}", NOT_COMPUTED))
    else:
        text = (f"real {real.min():.1%}–{real.max():.1%} (median {real.median():.1%}) against synthetic "
                f"{syn.min():.1%}–{syn.max():.1%} (median {syn.median():.1%}); {len(real)} and {len(syn)} configurations")
        if real.min() > syn.max():
            verdict = REPRODUCED
        else:
            verdict = PARTLY if real.median() > syn.median() else NOT_REPRODUCED
        rows.append(_row(t, text, verdict))
    for key, group, problems in (("cluster_synthetic", "synthetic", SYNTHETIC_PROBLEMS),
                                 ("cluster_real", "real", REAL_PROBLEMS)):
        t = target(key)
        by = FIG3_GROUPING[group]
        matrix, cols = aggregated_matrix(report, problems)
        if matrix.shape[1] == 0 or matrix.shape[0] == 0:
            rows.append(_row(t, "no configurations of this group in these results", NOT_COMPUTED))
            continue
        agree = clustering_agreement(matrix, cols, by)
        if agree["ari"] is None or (isinstance(agree["ari"], float) and math.isnan(agree["ari"])):
            rows.append(_row(t, f"{agree['n_columns']} columns: {agree['reason'] or 'undefined'}", NOT_COMPUTED))
            continue
        ari = agree["ari"]
        verdict = REPRODUCED if ari >= TOLERANCES["ari"] else (PARTLY if ari >= TOLERANCES["ari_partly"] else NOT_REPRODUCED)
        rows.append(_row(t, f"adjusted Rand index {ari:.2f} over {agree['n_columns']} columns", verdict))
    return rows


def fig4_rows(report: Report, geometry: pd.DataFrame) -> list[dict[str, Any]]:
    """Item 4: each Fig. 4 example configuration's median ρ and trend (P1 §3.3)."""
    rows: list[dict[str, Any]] = []
    series = network_series(report, geometry)
    for p, (arch, rho_paper) in PAPER1_FIG4_EXAMPLES.items():
        trend = PAPER1_TRENDS[p]
        trend_text = ("Ric falls, η rises with depth" if trend == "separation" else "Ric rises, η falls with depth")
        t = target("fig4")
        fmt = {"problem": p, "architecture": arch, "rho": rho_paper, "trend": trend_text}
        sub = series[(series["problem"] == p) & (series["architecture"] == arch)]
        if sub.empty:
            why = ("configuration not in these results" if not ((report.nets["problem"] == p)
                                                                 & (report.nets["architecture"] == arch)).any()
                   else "no kept network in this configuration")
            rows.append(_row(t, why, NOT_COMPUTED, **fmt))
            continue
        med = float(sub["rho"].median())
        n_trend = int((sub["trend"] == trend).sum())
        rho_ok = abs(med - rho_paper) <= TOLERANCES["rho"]
        trend_ok = n_trend > len(sub) / 2
        score = int(rho_ok) + int(trend_ok)
        verdict = REPRODUCED if score == 2 else (PARTLY if score == 1 or med < 0 else NOT_REPRODUCED)
        text = (f"median ρ = {med:.2f} over {len(sub)} kept network(s) at k = "
                f"{', '.join(str(k) for k in sorted(set(sub['best_k'])))}; the paper's trend in {n_trend} of {len(sub)}")
        rows.append(_row(t, text, verdict, **fmt))
    return rows


def regression_row(report: Report, status: Mapping[str, Any], not_design: str) -> dict[str, Any]:
    """Item 5: the z term of accuracy ~ z + dataset + width + depth (design scope)."""
    t = target("regression")
    reg = report.regression
    if reg.get("t") is None:
        text = f"not fitted: {reg.get('reason', 'unknown reason')}"
    else:
        text = f"estimate {reg['estimate']:.3g}, t = {reg['t']:.2f}, p = {reg['p']:.3g} ({reg['n']:,} networks)"
    if not status["complete"]:
        return _row(t, f"{text} ({not_design})", NOT_COMPUTED)
    if reg.get("t") is None:
        return _row(t, text, NOT_REPRODUCED)
    verdict = REPRODUCED if reg["t"] < 0 and reg["p"] < TOLERANCES["alpha"] else (PARTLY if reg["t"] < 0 else NOT_REPRODUCED)
    return _row(t, text, verdict)


def fig1a_row(fig1a: Fig1A | None) -> dict[str, Any]:
    """Item 6: the classes' linear separability in the PC1–PC2 plane at the input and at the last
    hidden layer of the Fig. 1A network (:func:`ricci_lit.analysis.projection.pc_separability`)."""
    t = target("fig1a")
    if fig1a is None:
        return _row(t, "not run with these results", NOT_COMPUTED)
    sep = pc_separability(fig1a.representations, fig1a.y)
    first, last = sep[0], sep[-2]
    text = (f"{fig1a.architecture}, seed {fig1a.seed}, {fig1a.epochs} epochs: test accuracy "
            f"{fig1a.test_accuracy:.1%} (threshold {fig1a.threshold:.0%}); PC-plane separability "
            f"{first:.1%} at the input, {last:.1%} at the last hidden layer")
    full = fig1a.well_trained and first <= TOLERANCES["fig1a_input_max"] and last >= TOLERANCES["fig1a_last_min"]
    verdict = REPRODUCED if full else (PARTLY if last - first >= TOLERANCES["fig1a_rise_partly"] else NOT_REPRODUCED)
    return _row(t, text, verdict)


def reproduction_table(report: Report, *, geometry: pd.DataFrame, manifest: Mapping[str, Any] | None,
                       fig1a: Fig1A | None = None, profile_name: str | None = None,
                       coefficients: pd.DataFrame | None = None,
                       coefficient_layers: pd.DataFrame | None = None,
                       k_robustness: pd.DataFrame | None = None,
                       measured_effects: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Every target of paper-notes §4 with our value and a verdict computed from the numbers.

    Parameters
    ----------
    report
        :func:`ricci_lit.analysis.paper1.report` of the results.
    geometry, manifest
        The geometry table and manifest the report was computed from
        (:func:`ricci_lit.experiments.paper1.load_results`).
    fig1a
        The Fig. 1A experiment (:func:`ricci_lit.experiments.fig1a.fig1a_experiment`), or ``None``
        (target not computed).
    profile_name
        Named in the "ours" column of design-level targets that are not computed.
    coefficients, coefficient_layers
        The network and layer tables of a coefficients store
        (:func:`ricci_lit.experiments.coefficients.load_coefficients`) for paper 2's items 7 and 8
        (:func:`p2_rows`); ``None``: those items are not computed.
    k_robustness
        :func:`ricci_lit.analysis.coefficients.k_robustness` of a store evaluated at several k, for
        item 8's second half (``None``: not computed).
    measured_effects
        Target key → what a variant store *measured* about it
        (:func:`ricci_lit.analysis.pipelines.measured_effects`): that text replaces the candidate
        causes of :data:`~ricci_lit.analysis.targets.MISS_EXPLANATIONS` in the ``why it may
        differ`` column of the target's rows judged *partly* or *not reproduced*.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`COLUMNS`: ``item, key, target, paper value, criterion, ours, verdict, why it
        may differ, source, scope``; ``why it may differ`` (:data:`ricci_lit.analysis.targets.MISS_EXPLANATIONS`)
        is filled for every verdict *partly* or *not reproduced* and empty otherwise.
    """
    status = design_status(report.nets, manifest)
    not_design = _not_design(status, profile_name)
    bk = best_k_fractions(report)
    rows = count_rows(report, status, not_design)
    rows += best_k_rows(report, bk)
    rows += group_rows(report, bk)
    rows += fig4_rows(report, geometry)
    rows.append(regression_row(report, status, not_design))
    rows.append(fig1a_row(fig1a))
    rows += p2_rows(coefficients, coefficient_layers, k_robustness)
    table = pd.DataFrame(rows, columns=list(COLUMNS))
    for key, text in (measured_effects or {}).items():
        missed = (table["key"] == key) & table["verdict"].isin([PARTLY, NOT_REPRODUCED])
        table.loc[missed, "why it may differ"] = text
    return table
