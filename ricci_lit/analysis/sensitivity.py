"""How paper 1's headline numbers move when a choice it leaves open is made the other way.

Paper 1 does not say how its kNN graph treats direction and ties, nor whether pixels were scaled
(paper-notes §1, §3: our default is the undirected union graph on raw 0–255 pixels; the authors'
R code builds the ``r-compat`` graph). A *variant* store is a sweep run with one such setting
changed (``ricci-lit sweep --mode r-compat``, ``--pixel-scale 0.00392156862745098``), usually on a
subset of the seeds. This module puts it beside the *reference* store (``results/paper``) on
exactly the networks both hold, so that a difference is the setting's and not the sample's:

1. the common networks are the ``(problem, architecture, seed)`` keys present in both stores,
   and the common ``k`` the values of both grids;
2. paper 1's analysis (:func:`ricci_lit.analysis.paper1.report`: well-trained filter, aggregated
   coefficient per ``k``, best ``k``, per-network ``ρ`` at that ``k``; P1 §3.2–3.3) runs on each
   store restricted to them;
3. per configuration: the best ``k`` and its aggregated coefficient on each side, the kept and
   negative networks, and the *sign agreement*, the share of networks kept on both sides whose
   ``ρ`` has the same sign; per variant, the same counts pooled (the headline "share with
   ``ρ < 0``", P1 §3.3) with Wilson 95 % intervals.

A graph-mode variant re-uses the same trained networks (training does not depend on the graph;
the sweep is seeded), so its differences are the geometry's alone; a pixel-scale variant trains
other networks, so its differences include training's.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import pandas as pd

from ricci_lit.analysis.coefficients import same_sign
from ricci_lit.analysis.paper1 import NETWORK_KEYS, Report, kept_mask, report

__all__ = ["SETTING_LABELS", "Sensitivity", "wilson_interval", "compare_tables", "compare_stores",
           "sensitivity"]

#: How the book names a store's setting when it differs from the reference's.
SETTING_LABELS: Mapping[str, str] = {"mode": "kNN graph", "pixel_scale": "pixel scale",
                                     "training_set": "training set", "training_scheme": "training scheme",
                                     "curvature": "curvature", "epochs": "epochs"}


def wilson_interval(successes: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of a binomial proportion ``successes / n``.

    ``p̂ ± z√(p̂(1−p̂)/n + z²/4n²)`` re-centred at ``(p̂ + z²/2n)/(1 + z²/n)`` and divided by
    ``1 + z²/n``, with ``z`` the normal quantile of ``(1 + level)/2``. Raises on ``n = 0``
    rather than returning NaN."""
    from scipy.stats import norm

    if n <= 0:
        raise ValueError("a proportion needs at least one trial")
    if not 0 <= successes <= n:
        raise ValueError(f"successes must lie in [0, {n}], got {successes}")
    if not 0 < level < 1:
        raise ValueError(f"level must lie in (0, 1), got {level}")
    z = float(norm.ppf(0.5 + level / 2))
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass(frozen=True)
class Sensitivity:
    """The comparison of one or more variant stores with a reference store.

    Attributes
    ----------
    headline
        One row per (variant, side ∈ {reference, variant}): ``networks`` (common), ``above_threshold``,
        ``kept``, ``negative``, ``fraction_negative`` with its Wilson 95 % interval
        (``ci_low``, ``ci_high``), ``regression_t`` (the z term's t of Table S2, when fitted),
        ``sign_agreement`` (networks kept on both sides with the same sign of ρ, as a share),
        ``best_k_changed`` of ``configurations`` (configurations whose chosen k differs, a
        missing one counted as a change), ``accuracy_max_abs_diff`` (the largest difference of a common network's test accuracy
        between the two stores: 0 when the variant trained the very same networks, as a
        graph-mode variant of a seeded sweep must).
    configurations
        One row per (variant, problem, architecture): ``networks``, ``best_k`` and ``aggregated``
        on each side (``_reference`` / ``_variant``), ``kept``/``negative`` on each side,
        ``both_kept`` and ``sign_agreement``.
    settings
        Per variant, the manifest settings that differ from the reference's: ``{name: (ref, var)}``.
    ks
        Per variant, the common ``k`` values the comparison used.
    """

    headline: pd.DataFrame
    configurations: pd.DataFrame
    settings: dict[str, dict[str, tuple[Any, Any]]] = field(default_factory=dict)
    ks: dict[str, list[int]] = field(default_factory=dict)


def network_index(frame: pd.DataFrame) -> pd.MultiIndex:
    return pd.MultiIndex.from_frame(frame[NETWORK_KEYS].astype({"seed": int}))


def _restrict(networks: pd.DataFrame, geometry: pd.DataFrame, keys: pd.MultiIndex,
              ks: list[int]) -> tuple[pd.DataFrame, pd.DataFrame]:
    nets = networks[network_index(networks).isin(keys)].reset_index(drop=True)
    geo = geometry[network_index(geometry).isin(keys) & geometry["k"].astype(int).isin(ks)].reset_index(drop=True)
    return nets, geo


def _kept_on_both(ref: Report, var: Report) -> pd.DataFrame:
    """Per network kept on both sides: whether ρ has the same sign."""
    def kept(rep: Report) -> pd.DataFrame:
        return rep.nets[kept_mask(rep.nets)][NETWORK_KEYS + ["rho"]].astype({"seed": int})

    both = kept(ref).merge(kept(var), on=NETWORK_KEYS, suffixes=("_reference", "_variant"))
    both["same_sign"] = same_sign(both["rho_reference"], both["rho_variant"])
    return both


def compare_tables(reference: tuple[pd.DataFrame, pd.DataFrame], variant: tuple[pd.DataFrame, pd.DataFrame],
                   thresholds: Mapping[str, float], *, name: str = "variant",
                   layers: str = "hidden") -> Sensitivity:
    """Compare two results given as ``(networks, geometry)`` tables (see the module docstring).

    Raises
    ------
    ValueError
        When the two hold no network in common or no ``k`` in common (nothing to compare).
    """
    (ref_nets, ref_geo), (var_nets, var_geo) = reference, variant
    if ref_nets.empty or var_nets.empty:
        raise ValueError("both results must hold networks: nothing to compare")
    keys = network_index(ref_nets).intersection(network_index(var_nets))
    if len(keys) == 0:
        raise ValueError(f"{name}: the two results hold no (problem, architecture, seed) in common")
    ks = sorted(set(ref_geo["k"].astype(int)) & set(var_geo["k"].astype(int)))
    if not ks:
        raise ValueError(f"{name}: the two results share no k value")
    reps = {}
    for side, (nets, geo) in (("reference", (ref_nets, ref_geo)), ("variant", (var_nets, var_geo))):
        n, g = _restrict(nets, geo, keys, ks)
        reps[side] = report(n, g, dict(thresholds), layers=layers)
    agree = _kept_on_both(reps["reference"], reps["variant"])
    acc = reps["reference"].nets.merge(reps["variant"].nets, on=NETWORK_KEYS, suffixes=("_r", "_v"))
    acc_diff = float((acc["test_accuracy_r"].astype(float) - acc["test_accuracy_v"].astype(float)).abs().max())

    headline = []  # filled below, once the per-configuration table gives best_k_changed
    for side, rep in reps.items():
        c = rep.counts
        lo, hi = wilson_interval(c["negative"], c["kept"]) if c["kept"] else (None, None)
        headline.append({"variant": name, "side": side, "networks": c["networks"],
                         "above_threshold": c["above_threshold"], "kept": c["kept"], "negative": c["negative"],
                         "fraction_negative": c["fraction_negative"], "ci_low": lo, "ci_high": hi,
                         "regression_t": rep.regression.get("t"), "accuracy_max_abs_diff": acc_diff,
                         "sign_agreement": float(agree["same_sign"].mean()) if len(agree) else None})

    def per_config(rep: Report, side: str) -> pd.DataFrame:
        n = rep.nets
        kept = kept_mask(n)
        g = (n.assign(kept=kept, negative=kept & (n["rho"] < 0))
             .groupby(["problem", "architecture"], sort=True)
             .agg(networks=("seed", "size"), kept=("kept", "sum"), negative=("negative", "sum")).reset_index())
        g = g.merge(rep.best, on=["problem", "architecture"], how="left")
        out = g.rename(columns={c: f"{c}_{side}" for c in ("kept", "negative", "best_k", "aggregated")})
        return out if side == "reference" else out.drop(columns="networks")

    conf = per_config(reps["reference"], "reference").merge(per_config(reps["variant"], "variant"),
                                                          on=["problem", "architecture"], how="outer")
    by_conf = (agree.groupby(["problem", "architecture"], sort=True)
               .agg(both_kept=("same_sign", "size"), sign_agreement=("same_sign", "mean")).reset_index())
    conf = conf.merge(by_conf, on=["problem", "architecture"], how="left")
    conf["both_kept"] = conf["both_kept"].fillna(0).astype(int)
    for col in ("best_k_reference", "best_k_variant"):
        conf[col] = conf[col].astype("Int64")
    conf.insert(0, "variant", name)
    changed = int((conf["best_k_reference"] != conf["best_k_variant"]).fillna(True).sum())
    head = pd.DataFrame(headline).assign(best_k_changed=changed, configurations=len(conf))
    return Sensitivity(headline=head, configurations=conf, ks={name: ks})


def _settings_diff(ref: Mapping[str, Any], var: Mapping[str, Any]) -> dict[str, tuple[Any, Any]]:
    """The settings of two manifests that differ, with the values a store that omits a setting
    means (the legacy training scheme, the full training set)."""
    from ricci_lit.experiments.paper1 import explicit_settings

    a, b = explicit_settings(ref.get("settings", {})), explicit_settings(var.get("settings", {}))
    return {k: (a.get(k), b.get(k)) for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)}


def compare_loaded(reference: tuple, variant: tuple, *, name: str, reference_label: str,
                    variant_label: str, thresholds: Mapping[str, float] | None, layers: str) -> Sensitivity:
    """:func:`compare_tables` on two stores as :func:`ricci_lit.experiments.paper1.load_results` returns them
    (``networks, geometry, manifest``), with the differing settings recorded."""
    from ricci_lit.data.problems import WELL_TRAINED_THRESHOLD

    (ref_nets, ref_geo, ref_man), (var_nets, var_geo, var_man) = reference, variant
    diff = _settings_diff(ref_man, var_man)
    if not diff:
        raise ValueError(f"{variant_label} has the same settings as {reference_label}: it is not a variant")
    out = compare_tables((ref_nets, ref_geo), (var_nets, var_geo),
                         WELL_TRAINED_THRESHOLD if thresholds is None else thresholds, name=name, layers=layers)
    return Sensitivity(out.headline, out.configurations, {name: diff}, out.ks)


def combine(parts: list[Sensitivity]) -> Sensitivity:
    return Sensitivity(pd.concat([p.headline for p in parts], ignore_index=True),
                       pd.concat([p.configurations for p in parts], ignore_index=True),
                       {k: v for p in parts for k, v in p.settings.items()},
                       {k: v for p in parts for k, v in p.ks.items()})


def compare_stores(reference: str | Path, variant: str | Path, *, name: str | None = None,
                   thresholds: Mapping[str, float] | None = None, layers: str = "hidden") -> Sensitivity:
    """:func:`compare_tables` on two results directories written by ``ricci-lit sweep``; the
    differing manifest settings are recorded in ``settings`` (a variant with none is an error:
    it would compare a store with a copy of itself)."""
    return sensitivity(reference, {name or Path(variant).name: variant}, thresholds=thresholds, layers=layers)


def sensitivity(reference: str | Path, variants: Mapping[str, str | Path], *,
                thresholds: Mapping[str, float] | None = None, layers: str = "hidden") -> Sensitivity:
    """:func:`compare_stores` for every ``name → directory`` of ``variants``, concatenated (the
    reference store is read once)."""
    from ricci_lit.experiments.paper1 import load_results

    if not variants:
        raise ValueError("name at least one variant store")
    ref = load_results(reference)
    return combine([compare_loaded(ref, load_results(path), name=name, reference_label=str(reference),
                                     variant_label=str(path), thresholds=thresholds, layers=layers)
                     for name, path in variants.items()])


