"""Bootstrap uncertainty (:mod:`ricci_lit.analysis.uncertainty`) of P1's aggregated coefficient and regression.

Oracles: ``np.corrcoef`` on the explicitly pooled (repeated) data of a replicate, reconstructed from
the documented random-number scheme; :func:`ricci_lit.analysis.paper1.aggregated_table` and
:func:`ricci_lit.analysis.paper1.accuracy_regression` (statsmodels) for point estimates and replicates;
properties (coverage in a well-conditioned case, reproducibility, narrowing with more networks).
"""
from __future__ import annotations

import zlib

import numpy as np
import pandas as pd
import pytest

from ricci_lit.analysis.paper1 import (
    accuracy_regression,
    aggregated_table,
    per_network_coefficients,
)
from ricci_lit.analysis.uncertainty import (
    aggregated_replicates,
    bootstrap_aggregated,
    bootstrap_regression,
    per_network_k_table,
    pooled_pearson,
    sufficient_statistics,
)


def _rng(seed, key):
    """The documented scheme: default_rng(SeedSequence([seed, crc32(key)]))."""
    return np.random.default_rng(np.random.SeedSequence([seed, zlib.crc32(key.encode())]))


def _network(rng, L, slope, noise=300.0, disconnected=False):
    """Per-representation totals ric (L+2) and g (L+2) with η_l ≈ −slope·(Ric_l − mean) + noise."""
    ric = rng.normal(0.0, 500.0, size=L + 2) - 40_000.0
    eta = -slope * (ric[:-1] - ric.mean()) + rng.normal(0.0, noise, size=L + 1)
    g = 2.0e6 + np.r_[0.0, np.cumsum(eta)]
    if disconnected:
        g[2] = np.inf
    return ric, g


def make_pnk(seed=0, n_networks=12, ks=(10, 30), configs=(("A", "wide-deep", 11), ("B", "narrow-shallow", 5)),
             slope=2.0, noise=300.0, n_disconnected=1):
    rng = np.random.default_rng(seed)
    rows = []
    for problem, arch, L in configs:
        for k in ks:
            for s in range(n_networks):
                dis = s < n_disconnected and k == ks[0]
                ric, g = _network(rng, L, slope, noise, dis)
                with np.errstate(invalid="ignore"):
                    eta = np.diff(g)
                rows.append({"problem": problem, "architecture": arch, "seed": s, "k": k, "ric": ric, "g": g,
                             "eta": eta, "connected": not dis, "n_hidden": L})
    return pd.DataFrame(rows)


# -- sufficient statistics --------------------------------------------------------------------------


def test_pooled_pearson_equals_corrcoef_of_pooled_data():
    rng = np.random.default_rng(1)
    xs = [rng.normal(5e4, 300.0, size=m) for m in (4, 6, 10, 3, 7)]
    ys = [3e6 - 2.0 * x + rng.normal(0, 500.0, size=x.size) for x in xs]
    S = sufficient_statistics(xs, ys)
    assert S.shape == (5, 6)
    r_all = np.corrcoef(np.concatenate(xs), np.concatenate(ys))[0, 1]
    assert pooled_pearson(S) == pytest.approx(r_all, abs=1e-12)
    W = rng.multinomial(5, np.full(5, 0.2), size=20)
    batch = pooled_pearson(S, W)
    for w, r in zip(W, batch):
        px = np.concatenate([np.tile(x, c) for x, c in zip(xs, w)])
        py = np.concatenate([np.tile(y, c) for y, c in zip(ys, w)])
        if np.ptp(px) == 0:
            assert np.isnan(r)
        else:
            assert r == pytest.approx(np.corrcoef(px, py)[0, 1], abs=1e-11)
        assert pooled_pearson(S, w) == pytest.approx(r, abs=1e-14, nan_ok=True)
    # the centre does not matter
    S0 = sufficient_statistics(xs, ys, center=(0.0, 0.0))
    np.testing.assert_allclose(pooled_pearson(S0, W), batch, atol=1e-7)


def test_pooled_pearson_degenerate_and_bad_inputs():
    S = sufficient_statistics([np.array([1.0, 1.0])], [np.array([2.0, 3.0])])
    assert np.isnan(pooled_pearson(S))                    # constant x
    S1 = sufficient_statistics([np.array([1.0])], [np.array([2.0])])
    assert np.isnan(pooled_pearson(S1))                   # a single point
    with pytest.raises(ValueError, match="shape"):
        pooled_pearson(np.zeros((3, 5)))
    with pytest.raises(ValueError, match="weights"):
        pooled_pearson(np.zeros((3, 6)), np.ones(4))
    with pytest.raises(ValueError, match="non-negative"):
        pooled_pearson(np.zeros((2, 6)), np.array([1.0, -1.0]))
    with pytest.raises(ValueError, match="non-finite"):
        sufficient_statistics([np.array([1.0, np.inf])], [np.array([1.0, 2.0])])
    with pytest.raises(ValueError, match="values but y"):
        sufficient_statistics([np.array([1.0, 2.0])], [np.array([1.0])])
    with pytest.raises(ValueError, match="series"):
        sufficient_statistics([np.array([1.0])], [])


# -- bootstrap of the aggregated coefficient ---------------------------------------------------------


def test_point_estimate_equals_aggregated_table():
    pnk = make_pnk()
    boot = bootstrap_aggregated(pnk, n_boot=50, seed=3)
    agg = aggregated_table(pnk)
    merged = boot.merge(agg, on=["problem", "architecture", "k"], suffixes=("", "_ref"))
    assert len(merged) == len(agg) == 4
    np.testing.assert_allclose(merged["aggregated"], merged["aggregated_ref"].astype(float), atol=1e-12)
    np.testing.assert_array_equal(merged["n_connected"], merged["n_connected_ref"])
    assert (boot["n_boot"] == 50).all() and (boot["seed"] == 3).all() and (boot["level"] == 0.95).all()


def test_replicates_equal_corrcoef_of_resampled_networks():
    pnk = make_pnk(n_networks=8)
    reps = aggregated_replicates(pnk, n_boot=6, seed=11)
    grp = pnk[(pnk["problem"] == "A") & (pnk["k"] == 10) & pnk["connected"]]
    G = len(grp)
    W = _rng(11, "A|wide-deep|10").multinomial(G, np.full(G, 1.0 / G), size=6)
    got = reps[(reps["problem"] == "A") & (reps["k"] == 10)].sort_values("replicate")["r"].to_numpy()
    for w, r in zip(W, got):
        px = np.concatenate([np.tile(ric[:-1], c) for ric, c in zip(grp["ric"], w)])
        py = np.concatenate([np.tile(eta, c) for eta, c in zip(grp["eta"], w)])
        assert r == pytest.approx(np.corrcoef(px, py)[0, 1], abs=1e-11)


def test_joint_replicates_equal_corrcoef_of_resampled_networks():
    pnk = make_pnk(n_networks=8)
    reps = aggregated_replicates(pnk, n_boot=4, seed=2, joint_k=True)
    W = _rng(2, "B|narrow-shallow").multinomial(8, np.full(8, 1 / 8), size=4)
    for k in (10, 30):
        grp = pnk[(pnk["problem"] == "B") & (pnk["k"] == k)].sort_values("seed")
        got = reps[(reps["problem"] == "B") & (reps["k"] == k)].sort_values("replicate")["r"].to_numpy()
        for w, r in zip(W, got):
            keep = [(ric, eta, c) for ric, eta, c, ok in zip(grp["ric"], grp["eta"], w, grp["connected"]) if ok]
            px = np.concatenate([np.tile(a[:-1], c) for a, _, c in keep])
            py = np.concatenate([np.tile(b, c) for _, b, c in keep])
            assert r == pytest.approx(np.corrcoef(px, py)[0, 1], abs=1e-11)


def test_ci_contains_estimate_and_is_reproducible():
    pnk = make_pnk(n_networks=30, slope=2.0)
    a = bootstrap_aggregated(pnk, n_boot=400, seed=5)
    assert ((a["ci_low"] <= a["aggregated"]) & (a["aggregated"] <= a["ci_high"])).all()
    assert (a["ci_high"] < 0).all() and (a["fraction_negative"] == 1.0).all()
    assert (a["n_valid"] == 400).all() and (a["resampling"] == "per-k").all()
    assert a["best_k_fraction"].isna().all()
    b = bootstrap_aggregated(pnk, n_boot=400, seed=5)
    pd.testing.assert_frame_equal(a, b)
    c = bootstrap_aggregated(pnk, n_boot=400, seed=6)
    assert not np.allclose(a["ci_low"], c["ci_low"])
    # a configuration's replicates do not depend on the other configurations in the table
    only_a = bootstrap_aggregated(pnk[pnk["problem"] == "A"], n_boot=400, seed=5)
    pd.testing.assert_frame_equal(only_a.reset_index(drop=True),
                                  a[a["problem"] == "A"].reset_index(drop=True))


def test_ci_narrows_with_more_networks():
    few = bootstrap_aggregated(make_pnk(seed=1, n_networks=6, slope=0.5, noise=600.0, n_disconnected=0),
                               n_boot=400, seed=0)
    many = bootstrap_aggregated(make_pnk(seed=1, n_networks=96, slope=0.5, noise=600.0, n_disconnected=0),
                                n_boot=400, seed=0)
    w_few = (few["ci_high"] - few["ci_low"]).to_numpy()
    w_many = (many["ci_high"] - many["ci_low"]).to_numpy()
    assert (w_many < 0.6 * w_few).all()


def test_joint_resampling_and_best_k():
    pnk = make_pnk(n_networks=10)
    j = bootstrap_aggregated(pnk, n_boot=200, seed=1, joint_k=True)
    p = bootstrap_aggregated(pnk, n_boot=200, seed=1)
    np.testing.assert_allclose(j["aggregated"], p["aggregated"], atol=1e-12)
    assert (j["resampling"] == "joint").all()
    sums = j.groupby(["problem", "architecture"])["best_k_fraction"].sum()
    np.testing.assert_allclose(sums.to_numpy(), 1.0)
    assert ((j["ci_low"] <= j["aggregated"]) & (j["aggregated"] <= j["ci_high"])).all()


def test_from_networks_and_geometry_tables():
    """(networks, geometry) input gives the analysis module's aggregated coefficients."""
    pnk = make_pnk(n_networks=6, configs=(("A", "wide-deep", 11), ("C", "narrow-shallow", 5)))
    geo_rows, net_rows = [], []
    for (problem, arch, seed), grp in pnk.groupby(["problem", "architecture", "seed"]):
        L = int(grp["n_hidden"].iloc[0])
        acc = 0.5 if seed == 5 else 0.995  # seed 5 is not well trained
        net_rows.append({"problem": problem, "architecture": arch, "seed": seed, "n_hidden": L,
                         "width": arch.split("-")[0], "depth": arch.split("-")[1], "test_accuracy": acc})
        for _, row in grp.iterrows():
            for layer in range(L + 2):
                geo_rows.append({"problem": problem, "architecture": arch, "seed": seed, "k": row["k"],
                                 "layer": layer, "ric": row["ric"][layer], "g": row["g"][layer],
                                 "connected": bool(np.isfinite(row["g"][layer]))})
    networks, geometry = pd.DataFrame(net_rows), pd.DataFrame(geo_rows)
    agg, _, _ = per_network_coefficients(networks, geometry, {"A": 0.99, "C": 0.91})
    boot = bootstrap_aggregated((networks, geometry), n_boot=30, seed=0, thresholds={"A": 0.99, "C": 0.91})
    merged = boot.merge(agg, on=["problem", "architecture", "k"], suffixes=("", "_ref"))
    assert len(merged) == 4
    np.testing.assert_allclose(merged["aggregated"], merged["aggregated_ref"].astype(float), atol=1e-12)
    assert (merged["n_networks"] == 5).all()
    table = per_network_k_table(networks, geometry, {"A": 0.99, "C": 0.91}, well_trained_only=False)
    assert len(table) == 24 and (~table["well_trained"]).sum() == 4


def test_bootstrap_aggregated_bad_inputs():
    pnk = make_pnk(n_networks=3)
    for kw in ({"n_boot": 0}, {"n_boot": 1.5}, {"seed": -1}, {"level": 1.0}, {"level": 0.0}):
        with pytest.raises(ValueError):
            bootstrap_aggregated(pnk, **kw)
    with pytest.raises(ValueError, match="lacks columns"):
        bootstrap_aggregated(pnk.drop(columns="eta"))
    with pytest.raises(ValueError, match="empty"):
        bootstrap_aggregated(pnk.iloc[:0])
    with pytest.raises(ValueError, match="expected"):
        bootstrap_aggregated([1, 2, 3])


# -- bootstrap of the regression ---------------------------------------------------------------------


def make_nets(seed=0, n_per=20, beta=-0.004, noise=0.002):
    rng = np.random.default_rng(seed)
    rows = []
    s = 0
    for problem in ("A", "C"):
        for width in ("narrow", "wide"):
            for depth in ("shallow", "deep"):
                for _ in range(n_per):
                    z = rng.normal(-0.5, 0.4)
                    base = {"A": 0.995, "C": 0.93}[problem] + (0.001 if width == "wide" else 0.0)
                    rows.append({"problem": problem, "architecture": f"{width}-{depth}", "seed": s,
                                 "width": width, "depth": depth, "z": z, "well_trained": True,
                                 "connected": True, "test_accuracy": base + beta * z + rng.normal(0, noise)})
                    s += 1
    nets = pd.DataFrame(rows)
    nets.loc[0, "connected"] = False       # excluded
    nets.loc[1, "well_trained"] = False    # excluded
    nets.loc[2, "z"] = np.nan              # excluded
    return nets


def test_bootstrap_regression_point_and_replicates():
    nets = make_nets()
    out = bootstrap_regression(nets, n_boot=200, seed=4)
    ref = accuracy_regression(nets)
    assert out["estimate"] == pytest.approx(ref["estimate"]) and out["formula"] == ref["formula"]
    assert out["n"] == ref["n"] == len(nets) - 3
    assert out["ci_low"] <= out["estimate"] <= out["ci_high"] < 0
    assert out["fraction_negative"] == 1.0 and out["n_valid"] == 200
    assert out["n_boot"] == 200 and out["seed"] == 4 and out["replicates"].shape == (200,)
    # the first two replicates, refitted with statsmodels on the resampled networks
    kept = nets[nets["well_trained"] & nets["connected"] & np.isfinite(nets["z"])].reset_index(drop=True)
    rng = _rng(4, "regression")
    for b in range(2):
        idx = rng.integers(0, len(kept), len(kept))
        again = accuracy_regression(kept.iloc[idx].reset_index(drop=True))
        assert out["replicates"][b] == pytest.approx(again["estimate"], abs=1e-10)
    # reproducible, and the seed matters
    np.testing.assert_array_equal(bootstrap_regression(nets, n_boot=200, seed=4)["replicates"], out["replicates"])
    assert not np.allclose(bootstrap_regression(nets, n_boot=200, seed=5)["replicates"], out["replicates"])


def test_bootstrap_regression_stratified_keeps_strata():
    nets = make_nets(n_per=6)
    out = bootstrap_regression(nets, n_boot=50, seed=0, stratify=("problem", "architecture"))
    assert out["stratify"] == ["problem", "architecture"] and out["n_valid"] == 50
    kept = nets[nets["well_trained"] & nets["connected"] & np.isfinite(nets["z"])].reset_index(drop=True)
    rng = _rng(0, "regression")
    strata = list(kept.groupby(["problem", "architecture"], sort=True).indices.values())
    idx = np.concatenate([s[rng.integers(0, s.size, s.size)] for s in strata])
    again = accuracy_regression(kept.iloc[idx].reset_index(drop=True))
    assert out["replicates"][0] == pytest.approx(again["estimate"], abs=1e-10)


def test_bootstrap_regression_too_few_and_bad_inputs():
    nets = make_nets().iloc[:4]
    out = bootstrap_regression(nets, n_boot=10)
    assert out["estimate"] is None and out["reason"] and out["n_valid"] == 0
    full = make_nets()
    with pytest.raises(ValueError, match="lacks"):
        bootstrap_regression(full.drop(columns="z"))
    with pytest.raises(ValueError, match="stratify"):
        bootstrap_regression(full, stratify=("nope",))
    with pytest.raises(ValueError, match="n_boot"):
        bootstrap_regression(full, n_boot=0)
    with pytest.raises(ValueError, match="level"):
        bootstrap_regression(full, level=95)
