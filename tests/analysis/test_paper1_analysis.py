"""Paper 1's analysis (:mod:`ricci_lit.analysis.paper1`) on hand-made tables, and ``ricci-lit report``.

The tables are built by hand with known (Ric_l, g_l) series; every number the analysis produces
is recomputed here independently with ``np.corrcoef``, ``np.arctanh`` and a least-squares fit
with a hand-computed standard error (P1 §3.2–3.4, Eqs. 8 and 11; paper-notes §1, §3, §4).
"""
from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from ricci_lit.analysis.paper1 import (
    NETWORK_KEYS,
    accuracy_regression,
    aggregated_table,
    best_k,
    counts,
    layer_series,
    per_network_coefficients,
    per_network_k,
    report,
    well_trained,
)
from ricci_lit.cli import main
from ricci_lit.data.problems import WELL_TRAINED_THRESHOLD
from ricci_lit.geometry.coefficients import adjusted_coefficient

KEYS = ["problem", "architecture", "seed"]
KS = (5, 10, 20)
#: (problem, architecture, L) — four configurations whose problem/width/depth dummies are not collinear.
CONFIGS = [("A", "narrow-shallow", 5), ("A", "wide-deep", 11), ("C", "narrow-deep", 11), ("C", "wide-shallow", 5)]


# -- hand-made tables ---------------------------------------------------------------------------
def _series(rng, L, slope):
    """Ric_0 … Ric_{L+1} and g_0 … g_{L+1} with η_l ≈ −slope·Ric_l + noise."""
    ric = rng.normal(0.0, 200.0, size=L + 2) - 3000.0
    eta = -slope * (ric - ric.mean()) + rng.normal(0.0, 400.0, size=L + 2)
    g = 50_000.0 + np.r_[0.0, np.cumsum(eta[:-1])]
    return ric, g


def make_tables(seed=7, n_seeds=8):
    """``networks`` and ``geometry`` of 4 configurations × ``n_seeds`` networks × 3 k values.

    Some networks are below threshold (one exactly at it), some disconnected at a hidden layer at
    every k, some at one k only, and one only at the output layer."""
    rng = np.random.default_rng(seed)
    nets, geo = [], []
    for ci, (problem, arch, L) in enumerate(CONFIGS):
        width, depth = arch.split("-")
        thr = WELL_TRAINED_THRESHOLD[problem]
        for s in range(n_seeds):
            acc = thr + 0.001 + 0.008 * rng.random()
            if s == 0:
                acc = thr  # exactly at the threshold: not well trained (strict >)
            elif s == 1:
                acc = thr - 0.05
            nets.append(dict(problem=problem, architecture=arch, seed=s, n_hidden=L, width=width,
                             depth=depth, test_accuracy=acc, n_test=200))
            for k in KS:
                ric, g = _series(rng, L, slope=(0.5 + ci) * k / 10.0)
                connected = np.ones(L + 2, bool)
                if s == 2 or (s == 3 and k == 10):  # disconnected at a hidden layer
                    connected[2:] = False
                if s == 4:  # disconnected at the output only: kept with layers="hidden"
                    connected[L + 1] = False
                g = np.where(connected, g, np.inf)
                for layer in range(L + 2):
                    geo.append(dict(problem=problem, architecture=arch, seed=s, layer=layer, k=k,
                                    ric=ric[layer], g=g[layer], connected=bool(connected[layer])))
    networks = pd.DataFrame(nets)
    geometry = pd.DataFrame(geo).sample(frac=1.0, random_state=1).reset_index(drop=True)  # order must not matter
    return networks, geometry


def independent(networks, geometry, thresholds, layers="hidden"):
    """The whole pipeline recomputed with plain numpy."""
    wt = {tuple(r[k] for k in KEYS): r["test_accuracy"] > thresholds[r["problem"]] for _, r in networks.iterrows()}
    L_of = {tuple(r[k] for k in KEYS): int(r["n_hidden"]) for _, r in networks.iterrows()}
    series = {}
    for (p, a, s, k), grp in geometry.groupby(KEYS + ["k"]):
        L = L_of[(p, a, s)]
        grp = grp.sort_values("layer")
        if layers == "hidden":
            grp = grp[(grp["layer"] >= 1) & (grp["layer"] <= L)]
        ric, g = grp["ric"].to_numpy(), grp["g"].to_numpy()
        series[(p, a, s, k)] = (ric, g, bool(grp["connected"].all() and np.isfinite(g).all()))
    agg = {}
    for (p, a, _L) in {(p, a, L) for (p, a, L) in CONFIGS}:
        for k in KS:
            xs, ys = [], []
            for (p2, a2, s, k2), (ric, g, conn) in series.items():
                if (p2, a2, k2) == (p, a, k) and wt[(p, a, s)] and conn:
                    xs.append(ric[:-1])
                    ys.append(np.diff(g))
            agg[(p, a, k)] = np.corrcoef(np.concatenate(xs), np.concatenate(ys))[0, 1]
    best = {}
    for (p, a, _L) in CONFIGS:
        best[(p, a)] = min(KS, key=lambda k: (agg[(p, a, k)], k))
    rho, z = {}, {}
    for key, L in L_of.items():
        ric, g, conn = series[key + (best[key[:2]],)]
        if conn:
            rho[key] = np.corrcoef(ric[:-1], np.diff(g))[0, 1]
            z[key] = np.arctanh(rho[key]) / math.sqrt(L - 4)
        else:
            rho[key] = z[key] = None
    return wt, agg, best, rho, z


@pytest.fixture(scope="module")
def tables():
    return make_tables()


# -- step 1: the well-trained filter ------------------------------------------------------------
def test_paper_thresholds():
    assert dict(WELL_TRAINED_THRESHOLD) == {"A": 0.99, "B": 0.99, "C": 0.91, "mnist-1v7": 0.99, "mnist-6v8": 0.99,
                                            "fmnist-5v9": 0.98, "fmnist-6v4": 0.90}


def test_well_trained_is_strict():
    rows = []
    for problem, thr in WELL_TRAINED_THRESHOLD.items():
        for acc in (thr, np.nextafter(thr, 2.0), thr - 1e-9, thr + 1e-6, 1.0, 0.0):
            rows.append({"problem": problem, "test_accuracy": acc})
    nets = pd.DataFrame(rows)
    got = well_trained(nets, WELL_TRAINED_THRESHOLD)
    want = [acc > WELL_TRAINED_THRESHOLD[p] for p, acc in zip(nets["problem"], nets["test_accuracy"])]
    assert got.tolist() == want
    at = nets["test_accuracy"] == nets["problem"].map(WELL_TRAINED_THRESHOLD)
    assert not got[at].any() and at.sum() == len(WELL_TRAINED_THRESHOLD)
    assert got[nets["test_accuracy"] == 1.0].all()


def test_well_trained_unknown_problem():
    with pytest.raises(ValueError, match="no accuracy threshold"):
        well_trained(pd.DataFrame({"problem": ["Z"], "test_accuracy": [1.0]}), WELL_TRAINED_THRESHOLD)


# -- steps 2–4 against the independent pipeline --------------------------------------------------
@pytest.mark.parametrize("layers", ["hidden", "all"])
def test_pipeline_matches_independent_computation(tables, layers):
    networks, geometry = tables
    agg, best, nets = per_network_coefficients(networks, geometry, WELL_TRAINED_THRESHOLD, layers=layers)
    wt, agg_i, best_i, rho_i, z_i = independent(networks, geometry, WELL_TRAINED_THRESHOLD, layers)

    assert len(agg) == len(CONFIGS) * len(KS)
    for _, r in agg.iterrows():
        assert r["aggregated"] == pytest.approx(agg_i[(r["problem"], r["architecture"], r["k"])], rel=1e-10, abs=1e-12)
    for _, r in best.iterrows():
        assert r["best_k"] == best_i[(r["problem"], r["architecture"])]
        assert r["aggregated"] == pytest.approx(agg_i[(r["problem"], r["architecture"], r["best_k"])], rel=1e-10)
        assert r["aggregated"] == agg[(agg["problem"] == r["problem"]) & (agg["architecture"] == r["architecture"])]["aggregated"].min()

    assert len(nets) == len(networks)
    for _, r in nets.iterrows():
        key = tuple(r[k] for k in KEYS)
        assert bool(r["well_trained"]) == wt[key]
        assert r["best_k"] == best_i[key[:2]]
        if rho_i[key] is None:
            assert not r["connected"] and np.isnan(r["rho"]) and np.isnan(r["z"])
        else:
            assert r["connected"]
            assert r["rho"] == pytest.approx(rho_i[key], rel=1e-10, abs=1e-12)
            assert r["z"] == pytest.approx(z_i[key], rel=1e-9, abs=1e-12)


def test_aggregated_pools_only_connected_well_trained_networks(tables):
    networks, geometry = tables
    agg, _, nets = per_network_coefficients(networks, geometry, WELL_TRAINED_THRESHOLD)
    r = agg[(agg["problem"] == "A") & (agg["architecture"] == "narrow-shallow") & (agg["k"] == 10)].iloc[0]
    # 8 seeds: seeds 0, 1 below threshold; seeds 2 and 3 disconnected at k = 10
    assert (r["n_networks"], r["n_connected"]) == (6, 4)
    sub = geometry[(geometry["problem"] == "A") & (geometry["architecture"] == "narrow-shallow")
                   & (geometry["k"] == 10) & (geometry["seed"].isin([4, 5, 6, 7]))]
    xs, ys = [], []
    for _, grp in sub.groupby("seed"):
        grp = grp.sort_values("layer")
        grp = grp[(grp["layer"] >= 1) & (grp["layer"] <= 5)]
        xs.append(grp["ric"].to_numpy()[:-1])
        ys.append(np.diff(grp["g"].to_numpy()))
    assert r["aggregated"] == pytest.approx(np.corrcoef(np.concatenate(xs), np.concatenate(ys))[0, 1], rel=1e-12)
    # changing a below-threshold or a disconnected network's numbers changes nothing
    geo2 = geometry.copy()
    hit = (geo2["problem"] == "A") & (geo2["architecture"] == "narrow-shallow") & geo2["seed"].isin([0, 1, 2])
    geo2.loc[hit, "ric"] = geo2.loc[hit, "ric"] * -7.0 + 1e4
    agg2, _, _ = per_network_coefficients(networks, geo2, WELL_TRAINED_THRESHOLD)
    pd.testing.assert_frame_equal(agg, agg2)


def test_pooled_is_not_mean_of_rho():
    """The aggregated coefficient is one correlation over pooled points, not a mean of ρ."""
    rows, nets = [], []
    for s, (ric, g) in enumerate([([1, 2, 3, 4, 0, 0, 0], [0, 10, 15, 18, 19, 20, 30]),
                                  ([10, 20, 30, 40, 0, 0, 0], [0, 1, 3, 6, 10, 20, 30])]):
        nets.append(dict(problem="A", architecture="narrow-shallow", seed=s, n_hidden=5, test_accuracy=1.0))
        for layer in range(7):
            rows.append(dict(problem="A", architecture="narrow-shallow", seed=s, layer=layer, k=5,
                             ric=float(ric[layer]), g=float(g[layer]), connected=True))
    agg, _, out = per_network_coefficients(pd.DataFrame(nets), pd.DataFrame(rows), WELL_TRAINED_THRESHOLD)
    x = np.r_[2, 3, 4, 0, 20, 30, 40, 0]
    y = np.r_[5, 3, 1, 1, 2, 3, 4, 10]
    assert agg["aggregated"].iloc[0] == pytest.approx(np.corrcoef(x, y)[0, 1], rel=1e-12)
    assert agg["aggregated"].iloc[0] != pytest.approx(out["rho"].mean())


# -- best k -------------------------------------------------------------------------------------
def test_best_k_argmin_ties_to_smaller_k():
    agg = pd.DataFrame([
        ("A", "n", 5, -0.5), ("A", "n", 10, -0.9), ("A", "n", 20, -0.9), ("A", "n", 30, 0.2),
        ("B", "n", 30, -0.3), ("B", "n", 6, -0.3), ("B", "n", 90, None),
        ("C", "n", 5, None), ("C", "n", 10, None),
        ("C", "w", 50, -0.1), ("C", "w", 7, 0.4),
    ], columns=["problem", "architecture", "k", "aggregated"])
    got = best_k(agg).set_index(["problem", "architecture"])
    assert got.loc[("A", "n"), "best_k"] == 10
    assert got.loc[("A", "n"), "aggregated"] == -0.9
    assert got.loc[("B", "n"), "best_k"] == 6
    assert got.loc[("C", "w"), "best_k"] == 50
    assert got.loc[("C", "n"), "best_k"] is None or pd.isna(got.loc[("C", "n"), "best_k"])


def test_best_k_tie_from_identical_series(tables):
    networks, geometry = tables
    # make k = 20 a copy of k = 10 for one configuration: exact tie, smaller k wins
    sel = (geometry["problem"] == "A") & (geometry["architecture"] == "narrow-shallow")
    g10 = geometry[sel & (geometry["k"] == 10)].copy()
    geo = pd.concat([geometry[~(sel & geometry["k"].isin([5, 20]))], g10.assign(k=20)], ignore_index=True)
    agg, best, _ = per_network_coefficients(networks, geo, WELL_TRAINED_THRESHOLD)
    a = agg[(agg["problem"] == "A") & (agg["architecture"] == "narrow-shallow")].set_index("k")["aggregated"]
    assert a[10] == a[20]
    assert best.set_index(["problem", "architecture"]).loc[("A", "narrow-shallow"), "best_k"] == 10


# -- per-network ρ: which layers ----------------------------------------------------------------
def _one_network(ric, g, L, connected=None):
    nets = pd.DataFrame([dict(problem="A", architecture="x", seed=0, n_hidden=L, test_accuracy=1.0)])
    connected = np.ones(L + 2, bool) if connected is None else np.asarray(connected)
    geo = pd.DataFrame([dict(problem="A", architecture="x", seed=0, layer=l, k=5, ric=float(ric[l]),
                             g=float(g[l]), connected=bool(connected[l])) for l in range(L + 2)])
    return nets, geo


def test_rho_uses_hidden_layers_only_by_default():
    L = 11
    rng = np.random.default_rng(3)
    ric = rng.normal(size=L + 2) * 50
    g = 1000 + np.cumsum(rng.normal(size=L + 2) * 20)
    nets, geo = _one_network(ric, g, L)
    _, _, out = per_network_coefficients(nets, geo, WELL_TRAINED_THRESHOLD)
    want = np.corrcoef(ric[1:L], np.diff(g[1:L + 1]))[0, 1]   # l = 1 … L−1 against η_l = g_{l+1} − g_l
    assert out["rho"].iloc[0] == pytest.approx(want, rel=1e-12)
    assert out["n_layers"].iloc[0] == L
    assert out["z"].iloc[0] == pytest.approx(np.arctanh(want) / math.sqrt(L - 4), rel=1e-12)
    assert out["fisher_z"].iloc[0] == pytest.approx(np.arctanh(want) * math.sqrt(L - 1 - 3), rel=1e-12)
    # the input and the output do not matter ...
    ric2, g2 = ric.copy(), g.copy()
    ric2[[0, L + 1]] = [1e6, -1e6]
    g2[[0, L + 1]] = [-5e5, 7e7]
    _, _, out2 = per_network_coefficients(*_one_network(ric2, g2, L), WELL_TRAINED_THRESHOLD)
    assert out2["rho"].iloc[0] == pytest.approx(want, rel=1e-12)
    # ... but do with layers="all"
    _, _, out3 = per_network_coefficients(nets, geo, WELL_TRAINED_THRESHOLD, layers="all")
    assert out3["rho"].iloc[0] == pytest.approx(np.corrcoef(ric[:-1], np.diff(g))[0, 1], rel=1e-12)
    assert out3["n_layers"].iloc[0] == L + 2
    assert out3["z"].iloc[0] == pytest.approx(np.arctanh(out3["rho"].iloc[0]) / math.sqrt(L - 4), rel=1e-12)


def test_output_disconnection_counts_only_with_all_layers():
    L = 5
    ric = np.array([5., 1., 2., 4., 3., 6., 0.])
    g = np.array([100., 120., 130., 150., 155., 160., np.inf])
    connected = [True] * 6 + [False]
    nets, geo = _one_network(ric, g, L, connected)
    _, _, hid = per_network_coefficients(nets, geo, WELL_TRAINED_THRESHOLD)
    assert bool(hid["connected"].iloc[0])
    assert hid["rho"].iloc[0] == pytest.approx(np.corrcoef(ric[1:5], np.diff(g[1:6]))[0, 1])
    # (the only network is disconnected, so no aggregated coefficient picks k: fix it)
    choice = pd.DataFrame({"problem": ["A"], "architecture": ["x"], "best_k": [5]})
    _, _, allr = per_network_coefficients(nets, geo, WELL_TRAINED_THRESHOLD, layers="all", k_choice=choice)
    assert not bool(allr["connected"].iloc[0]) and np.isnan(allr["rho"].iloc[0])
    assert "disconnected" in allr["rho_reason"].iloc[0]
    assert counts(allr)["disconnected"] == 1 and counts(allr)["kept"] == 0


def test_adjusted_coefficient_formula():
    for rho in (-0.99, -0.5, 0.0, 0.3):
        for L in (5, 11):
            assert adjusted_coefficient(rho, L) == pytest.approx(np.arctanh(rho) / np.sqrt(L - 4))
    with pytest.raises(ValueError):
        adjusted_coefficient(-0.5, 4)


def test_bad_layers_argument(tables):
    with pytest.raises(ValueError, match="layers"):
        per_network_coefficients(*tables, WELL_TRAINED_THRESHOLD, layers="some")


# -- counts -------------------------------------------------------------------------------------
def test_counts_add_up(tables):
    networks, geometry = tables
    _, _, nets = per_network_coefficients(networks, geometry, WELL_TRAINED_THRESHOLD)
    wt, _, _, rho_i, _ = independent(networks, geometry, WELL_TRAINED_THRESHOLD)
    c = counts(nets)
    kept = [k for k in rho_i if wt[k] and rho_i[k] is not None]
    assert c["networks"] == len(networks) == 32
    assert c["above_threshold"] == sum(wt.values()) == 24
    assert c["below_threshold"] == 8
    assert c["networks"] == c["above_threshold"] + c["below_threshold"]
    assert c["above_threshold"] == c["kept"] + c["disconnected"]
    assert c["kept"] == len(kept)
    assert c["negative"] == sum(rho_i[k] < 0 for k in kept)
    assert c["fraction_negative"] == pytest.approx(c["negative"] / c["kept"])
    # seed 2 of every configuration is disconnected at every k; seed 3 only at k = 10
    n_disc = 4 + sum(1 for (p, a, _L) in CONFIGS
                     if nets.set_index(KEYS).loc[(p, a, 3), "best_k"] == 10)
    assert c["disconnected"] == n_disc


def test_counts_with_nothing_kept():
    nets = pd.DataFrame({"well_trained": [False, True], "connected": [True, np.nan], "rho": [0.1, np.nan]})
    c = counts(nets)
    assert c == {"networks": 2, "above_threshold": 1, "below_threshold": 1, "disconnected": 1,
                 "kept": 0, "negative": 0, "fraction_negative": None}


# -- regression (Table S2) ----------------------------------------------------------------------
def _ols_z(df):
    """OLS of test_accuracy on [1, z, dummies(problem, width, depth)] by lstsq; SE by hand."""
    from scipy import stats

    cols = [np.ones(len(df)), df["z"].to_numpy(float)]
    for col in ("problem", "width", "depth"):
        levels = sorted(df[col].unique())
        cols += [(df[col] == lev).to_numpy(float) for lev in levels[1:]]
    X = np.column_stack(cols)
    y = df["test_accuracy"].to_numpy(float)
    beta, *_ = np.linalg.lstsq(X, y, rcond=None)
    resid = y - X @ beta
    dof = len(y) - X.shape[1]
    s2 = resid @ resid / dof
    se = math.sqrt(s2 * np.linalg.inv(X.T @ X)[1, 1])
    t = beta[1] / se
    return beta[1], se, t, 2 * stats.t.sf(abs(t), dof)


def test_regression_recovers_slope_and_matches_lstsq():
    rng = np.random.default_rng(11)
    n = 90
    df = pd.DataFrame({
        "problem": rng.choice(["A", "C", "mnist-1v7"], n),
        "width": rng.choice(["narrow", "wide", "bottleneck"], n),
        "depth": rng.choice(["shallow", "deep"], n),
        "z": rng.normal(-0.6, 0.4, n),
    })
    effect = df["problem"].map({"A": 0.0, "C": -0.07, "mnist-1v7": 0.004}) + (df["depth"] == "deep") * 0.002
    df["test_accuracy"] = 0.97 + effect - 0.01 * df["z"] + rng.normal(0, 0.003, n)
    df["well_trained"] = True
    df["connected"] = True
    junk = pd.DataFrame({  # excluded: below threshold, disconnected (NaN / False), undefined z
        "problem": ["A"] * 4, "width": ["narrow"] * 4, "depth": ["deep"] * 4,
        "z": [5.0, 5.0, 5.0, np.nan], "test_accuracy": [0.0, 0.0, 0.0, 0.0],
        "well_trained": [False, True, True, True], "connected": [True, np.nan, False, True]})
    nets = pd.concat([df, junk], ignore_index=True)
    nets["connected"] = nets["connected"].astype(object)
    got = accuracy_regression(nets)
    est, se, t, p = _ols_z(df)
    assert got["n"] == n
    assert got["formula"] == "test_accuracy ~ z + C(problem) + C(width) + C(depth)"
    assert got["estimate"] < 0 and got["t"] < 0
    assert got["estimate"] == pytest.approx(est, rel=1e-8)
    assert got["estimate"] == pytest.approx(-0.01, abs=0.003)
    assert got["se"] == pytest.approx(se, rel=1e-8)
    assert got["t"] == pytest.approx(t, rel=1e-8)
    assert got["p"] == pytest.approx(p, rel=1e-6, abs=1e-300)


def test_regression_drops_constant_factors_and_refuses_too_few():
    df = pd.DataFrame({"problem": ["A"] * 3, "width": ["narrow"] * 3, "depth": ["deep"] * 3,
                       "z": [0.1, 0.2, 0.3], "test_accuracy": [0.99, 0.995, 0.991],
                       "well_trained": True, "connected": True})
    got = accuracy_regression(df)
    assert got["formula"] == "test_accuracy ~ z"
    assert got["estimate"] is not None
    got2 = accuracy_regression(df.iloc[:2])
    assert got2["estimate"] is None and got2["t"] is None and got2["p"] is None and got2["reason"]


# -- the whole report ---------------------------------------------------------------------------
def test_report_end_to_end(tables):
    networks, geometry = tables
    rep = report(networks, geometry, WELL_TRAINED_THRESHOLD, meta={"profile": "hand-made"})
    wt, _, best_i, rho_i, z_i = independent(networks, geometry, WELL_TRAINED_THRESHOLD)
    kept = networks[[wt[tuple(r[k] for k in KEYS)] and rho_i[tuple(r[k] for k in KEYS)] is not None
                     for _, r in networks.iterrows()]].copy()
    kept["z"] = [z_i[tuple(r[k] for k in KEYS)] for _, r in kept.iterrows()]
    est, se, t, p = _ols_z(kept)
    r = rep.regression
    assert r["n"] == len(kept)
    assert r["estimate"] == pytest.approx(est, rel=1e-8)
    assert r["t"] == pytest.approx(t, rel=1e-8)
    assert r["p"] == pytest.approx(p, rel=1e-6)

    d = rep.to_dict()
    text = json.dumps(d, allow_nan=False)
    back = json.loads(text)
    for key in ("networks", "above_threshold", "disconnected", "kept", "fraction_negative", "best_k", "regression"):
        assert key in back
    for key in ("estimate", "t", "p"):
        assert isinstance(back["regression"][key], float)
    assert back["networks"] == 32 and back["kept"] == len(kept)
    assert {(b["problem"], b["architecture"]): b["best_k"] for b in back["best_k"]} == best_i
    assert all(isinstance(b["best_k"], int) for b in back["best_k"])
    assert back["meta"] == {"profile": "hand-made"}


def test_report_without_any_well_trained_network(tables):
    """Nothing above threshold (e.g. a tiny sweep): a report with zero counts, not a crash."""
    networks, geometry = tables
    rep = report(networks.assign(test_accuracy=0.5), geometry, WELL_TRAINED_THRESHOLD)
    d = json.loads(json.dumps(rep.to_dict(), allow_nan=False))
    assert d["networks"] == 32 and d["above_threshold"] == 0 and d["kept"] == 0
    assert d["fraction_negative"] is None
    assert d["regression"]["estimate"] is None


def test_report_refuses_empty_tables():
    with pytest.raises(ValueError, match="no networks"):
        report(pd.DataFrame(), pd.DataFrame(), WELL_TRAINED_THRESHOLD)


# -- ricci-lit report -----------------------------------------------------------------------------
TINY = ["--problems", "A", "--architectures", "narrow-shallow", "--seeds", "2", "--n-test", "120",
        "--epochs", "2", "--k-synthetic", "5,10", "--device", "cpu", "--no-progress"]


@pytest.fixture(scope="module")
def tiny_results(tmp_path_factory):
    numba = pytest.importorskip("numba")
    old = numba.get_num_threads()
    numba.set_num_threads(1)  # 2 shared cores: parallel kernels only contend here
    try:
        out = tmp_path_factory.mktemp("report") / "res"
        assert main(["sweep", *TINY, "--out", str(out)]) == 0
    finally:
        numba.set_num_threads(old)
    return out


def _strict_json(text: str):
    """Parse JSON refusing NaN / Infinity (not JSON)."""
    def bad(const):
        raise ValueError(f"non-JSON constant {const} in the output")
    return json.loads(text, parse_constant=bad)


def _one_line(err: str) -> str:
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("ricci-lit: error: ")
    return lines[0]


def test_cli_report_json_after_tiny_sweep(tiny_results, capsys):
    capsys.readouterr()
    rc = main(["report", "--results", str(tiny_results), "--json"])
    out, err = capsys.readouterr()
    assert rc == 0, err
    lines = out.strip().splitlines()
    assert len(lines) == 1
    d = _strict_json(lines[0])
    for key in ("networks", "above_threshold", "disconnected", "kept", "fraction_negative", "best_k", "regression"):
        assert key in d
    for key in ("estimate", "t", "p"):
        assert key in d["regression"]
    assert d["networks"] == 2
    assert d["above_threshold"] + d["below_threshold"] == 2
    assert d["meta"]["profile"] == "quick"


def test_cli_report_json_with_networks_above_threshold(tiny_results, capsys, monkeypatch):
    """Two epochs do not reach 99 %: lower the thresholds so the whole pipeline runs."""
    import ricci_lit.data.problems as ds

    monkeypatch.setattr(ds, "WELL_TRAINED_THRESHOLD", {p: 0.0 for p in ds.WELL_TRAINED_THRESHOLD})
    capsys.readouterr()
    rc = main(["report", "--results", str(tiny_results), "--json"])
    out, err = capsys.readouterr()
    assert rc == 0, err
    d = _strict_json(out)
    assert d["networks"] == 2 and d["above_threshold"] == 2
    assert d["kept"] + d["disconnected"] == 2
    assert len(d["best_k"]) == 1 and d["best_k"][0]["best_k"] in (5, 10)
    rc = main(["report", "--results", str(tiny_results), "--json", "--layers", "all"])
    out, err = capsys.readouterr()
    assert rc == 0, err
    assert _strict_json(out)["networks"] == 2
    rc = main(["report", "--results", str(tiny_results)])  # the text form runs too
    out, err = capsys.readouterr()
    assert rc == 0, err
    assert "best k per configuration" in out and "networks 2 -> above threshold 2" in out


def test_cli_report_text_after_tiny_sweep(tiny_results, capsys):
    capsys.readouterr()
    rc = main(["report", "--results", str(tiny_results)])
    out, err = capsys.readouterr()
    assert rc == 0, err
    assert "networks 2" in out


def test_cli_report_nonexistent_directory(tmp_path, capsys):
    rc = main(["report", "--results", str(tmp_path / "nowhere"), "--json"])
    out, err = capsys.readouterr()
    assert rc == 2 and out == ""
    line = _one_line(err)
    assert "nowhere" in line and "manifest" in line


def test_cli_report_empty_results_directory(tmp_path, capsys):
    from ricci_lit.experiments.paper1 import get_profile
    from ricci_lit.experiments.store import ResultsStore

    prof = get_profile("quick")
    ResultsStore(tmp_path / "res", prof.name, prof.settings())
    for extra in (["--json"], []):
        rc = main(["report", "--results", str(tmp_path / "res"), *extra])
        out, err = capsys.readouterr()
        assert rc == 2 and out == ""
        assert "no networks" in _one_line(err)


def test_aggregated_table_is_the_pooled_pearson_of_connected_networks(tables):
    """Independent oracle: numpy's corrcoef over the pooled (Ric_l, g_{l+1} - g_l) points."""
    nets, geo = tables
    pnk = per_network_k(layer_series(geo, nets, "hidden"))
    assert list(pnk.columns[:4]) == NETWORK_KEYS + ["k"]
    agg = aggregated_table(pnk).set_index(["problem", "architecture", "k"])
    for (p, a, k), grp in pnk.groupby(["problem", "architecture", "k"]):
        conn = grp[grp["connected"]]
        assert agg.loc[(p, a, k), "n_connected"] == len(conn) and agg.loc[(p, a, k), "n_networks"] == len(grp)
        if len(conn) == 0:
            assert agg.loc[(p, a, k), "aggregated"] is None or pd.isna(agg.loc[(p, a, k), "aggregated"])
            continue
        x = np.concatenate([r[:-1] for r in conn["ric"]])
        y = np.concatenate([np.diff(g) for g in conn["g"]])
        assert agg.loc[(p, a, k), "aggregated"] == pytest.approx(np.corrcoef(x, y)[0, 1], abs=1e-12)
