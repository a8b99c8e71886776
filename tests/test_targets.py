"""Paper 1's reproduction targets (:mod:`ricci_lit.analysis.targets`): the stored values, the helpers, and
verdicts computed from hand-made results with known answers.

Two hand-made result sets are used: a *small* one (two problems, a few networks, like the quick
profile), on which every design-level target must be "not computed in this profile", and the
*full design* (7 problems × 6 architectures × 36 seeds = 1,512 networks at the paper profile's
settings) with built-in answers: 10 % of networks below threshold, 10 % of the rest disconnected,
curvature and distance change strongly anti-correlated at a k inside the paper's best-k range and
positively correlated at a k outside it, and the paper's trends (synthetic: Ric falls, η rises;
real: the opposite).
"""
from __future__ import annotations

import dataclasses
import math
import warnings

import numpy as np
import pandas as pd
import pytest

from ricci_lit.analysis import paper1 as analysis
from ricci_lit.analysis import targets
from ricci_lit.data.problems import PAPER1_PROBLEMS, WELL_TRAINED_THRESHOLD
from ricci_lit.networks.mlp import ARCHITECTURES
from ricci_lit.experiments.paper1 import get_profile
from ricci_lit.experiments.fig1a import Fig1A, fig1a_experiment

SYN = ("A", "B", "C")
#: per problem: (k inside the paper's best-k range, k outside it) on the paper's test sizes
K_PAIR = {"A": (50, 150), "B": (8, 30), "C": (20, 150), "mnist-1v7": (400, 50), "mnist-6v8": (400, 50),
          "fmnist-5v9": (300, 50), "fmnist-6v4": (300, 50)}


def _network_rows(rng, problem, arch, seed, ks, *, n_test, accuracy, disconnected, noise=0.05):
    L = len(ARCHITECTURES[arch])
    width, depth = arch.split("-")
    net = {"problem": problem, "architecture": arch, "seed": seed, "n_hidden": L, "width": width,
           "depth": depth, "test_accuracy": accuracy, "n_test": n_test}
    sign = -1.0 if problem in SYN else 1.0  # synthetic: Ric falls with depth; real: Ric rises
    rows = []
    for k, slope in zip(ks, (-1.0, +1.0)):  # anti-correlated at the first k, correlated at the second
        layers = np.arange(L + 2, dtype=float)
        ric = -5000.0 + sign * 300.0 * layers + rng.normal(0.0, 30.0, L + 2)
        eta = slope * 2.0 * (ric - ric.mean()) + rng.normal(0.0, noise * 600.0, L + 2)
        g = 1e6 + np.r_[0.0, np.cumsum(eta[:-1])]
        if disconnected:
            g[2] = np.inf
        for layer in range(L + 2):
            rows.append({"problem": problem, "architecture": arch, "seed": seed, "layer": layer, "k": int(k),
                         "ric": ric[layer], "g": g[layer], "connected": bool(np.isfinite(g[layer]))})
    return net, rows


def make_results(problems, archs, n_seeds, *, seed=3):
    rng = np.random.default_rng(seed)
    nets, geo = [], []
    for problem in problems:
        thr = WELL_TRAINED_THRESHOLD[problem]
        for arch in archs:
            for s in range(n_seeds):
                below = s % 10 == 0           # 10 % below threshold
                disconnected = s % 10 == 1    # 10 % of the rest (1 in 9 ≈ 11 %) disconnected
                acc = thr - 0.02 if below else thr + 0.001 + 0.008 * rng.random()
                net, rows = _network_rows(rng, problem, arch, s, K_PAIR[problem], n_test=targets.PAPER1_TEST_SIZES[problem],
                                          accuracy=acc, disconnected=disconnected)
                nets.append(net)
                geo.extend(rows)
    return pd.DataFrame(nets), pd.DataFrame(geo)


@pytest.fixture(scope="module")
def full():
    nets, geo = make_results(PAPER1_PROBLEMS, tuple(ARCHITECTURES), 36)
    rep = analysis.report(nets, geo, dict(WELL_TRAINED_THRESHOLD))
    manifest = {"profile": "paper", "settings": get_profile("paper").settings()}
    return rep, geo, manifest


@pytest.fixture(scope="module")
def small():
    nets, geo = make_results(("A", "fmnist-5v9"), ("narrow-shallow", "wide-deep"), 4)
    import statsmodels.formula.api  # noqa: F401  (imported first: it installs its own warning filters)

    with warnings.catch_warnings():  # 8 networks: the regression's design matrix is rank-deficient
        warnings.simplefilter("ignore")
        rep = analysis.report(nets, geo, dict(WELL_TRAINED_THRESHOLD))
    manifest = {"profile": "quick", "settings": get_profile("quick").settings()}
    return rep, geo, manifest


def _verdicts(table):
    return dict(zip(table["key"] + ":" + table["target"], table["verdict"]))


# -- stored values ---------------------------------------------------------------------------------
def test_paper_values_are_consistent():
    c = targets.PAPER1_COUNTS
    assert c["networks"] == 7 * 6 * 36
    assert c["networks"] - c["below_threshold"] == c["above_threshold"]
    assert c["above_threshold"] - c["disconnected"] == c["kept"]
    assert round(100 * c["negative"] / c["kept"], 1) == 93.2
    assert set(targets.PAPER1_BEST_K_RANGE) == set(PAPER1_PROBLEMS) == set(targets.PAPER1_TEST_SIZES)
    for p, cells in targets.PAPER1_BEST_K_CELLS.items():
        lo, hi = targets.PAPER1_BEST_K_RANGE[p]
        assert len(cells) == 6 and all(lo <= k <= hi for k in cells), p
    for p, (arch, rho) in targets.PAPER1_FIG4_EXAMPLES.items():
        assert arch in ARCHITECTURES and arch.endswith("-deep") and -1 < rho < 0
    assert set(targets.PAPER1_TRENDS) == set(PAPER1_PROBLEMS)


def test_every_target_of_paper_notes_section_4_is_listed():
    assert sorted({t.item for t in targets.TARGETS}) == list(range(1, 9))
    assert len({t.key for t in targets.TARGETS}) == len(targets.TARGETS)
    for t in targets.TARGETS:
        assert t.source and t.criterion and t.paper_value and t.scope


# -- helpers ---------------------------------------------------------------------------------------
def test_adjusted_rand_index_against_sklearn():
    from sklearn.metrics import adjusted_rand_score

    rng = np.random.default_rng(0)
    for _ in range(20):
        a = rng.integers(0, 3, 15)
        b = rng.integers(0, 4, 15)
        assert targets.adjusted_rand_index(a, b) == pytest.approx(adjusted_rand_score(a, b))
    assert targets.adjusted_rand_index([0, 0, 1, 1], ["x", "x", "y", "y"]) == pytest.approx(1.0)
    with pytest.raises(ValueError):
        targets.adjusted_rand_index([0, 1], [0])


def test_cluster_columns_fills_nan_for_the_distance_only():
    m = pd.DataFrame({"a1": [-0.5, -0.4, np.nan], "b1": [0.5, 0.6, 0.7], "a2": [-0.5, -0.45, 0.0],
                      "b2": [0.4, 0.6, 0.8]}, index=[5, 10, 20])
    c = targets.cluster_columns(m)
    assert c.nan_filled == 1 and np.isnan(m.loc[20, "a1"])  # the matrix is not changed
    assert sorted(c.order) == sorted(m.columns)
    pos = {col: i for i, col in enumerate(c.order)}
    assert abs(pos["a1"] - pos["a2"]) == 1 and abs(pos["b1"] - pos["b2"]) == 1
    one = targets.cluster_columns(m[["a1"]])
    assert one.linkage is None and one.order == ["a1"]
    cols = pd.DataFrame({"label": list(m.columns), "problem": ["a", "b", "a", "b"]})
    agree = targets.clustering_agreement(m, cols, "problem")
    assert agree["ari"] == pytest.approx(1.0)
    lonely = targets.clustering_agreement(m[["a1", "b1"]], cols, "problem")
    assert lonely["ari"] is None and "≥ 2" in lonely["reason"]


def test_linear_separability():
    x = np.array([[0.0], [1.0], [2.0], [3.0]])
    assert targets.linear_separability(x, [0, 0, 1, 1]) == 1.0
    xor = np.array([[0, 0], [1, 1], [0, 1], [1, 0]] * 5, dtype=float)
    assert targets.linear_separability(xor, [0, 0, 1, 1] * 5) <= 0.75
    with pytest.raises(ValueError):
        targets.linear_separability(x, [0, 1])


def test_network_series_recomputes_the_reports_rho_and_finds_the_trends(small):
    rep, geo, _ = small
    series = targets.network_series(rep, geo)
    kept = targets.kept_networks(rep)
    assert len(series) == len(kept) > 0
    merged = series.merge(kept[["problem", "architecture", "seed", "rho"]], on=["problem", "architecture", "seed"])
    np.testing.assert_allclose(merged["rho_x"].astype(float), merged["rho_y"].astype(float))
    for _, r in series.iterrows():
        assert len(r["ric"]) == r["n_hidden"] and len(r["eta"]) == r["n_hidden"] - 1
        assert r["trend"] == targets.PAPER1_TRENDS[r["problem"]]


def test_fig4_panels_use_the_papers_architecture_else_a_deep_fallback(small):
    rep, geo, _ = small
    series = targets.network_series(rep, geo)
    panels = targets.fig4_panels(series, ["A", "fmnist-5v9", "C"])
    assert [p["problem"] for p in panels] == ["A", "fmnist-5v9"]  # C has no networks: skipped
    assert all(p["architecture"] == "wide-deep" and not p["fallback"] for p in panels)
    for p in panels:
        assert len(p["ric"]) == len(p["eta"]) == len(p["labels"]) == ARCHITECTURES["wide-deep"].__len__() - 1
        sub = series[(series.problem == p["problem"]) & (series.architecture == "wide-deep")]
        assert p["rho"] == pytest.approx(sorted(sub["rho"])[(len(sub) - 1) // 2])  # the median network
    renamed = series.replace({"architecture": {"wide-deep": "narrow-deep"}})
    fb = targets.fig4_panels(renamed, ["A"])
    assert fb[0]["architecture"] == "narrow-deep" and fb[0]["fallback"]
    shallow = series[series.architecture == "narrow-shallow"]
    assert targets.fig4_panels(shallow, ["A"]) == []


def test_aggregated_matrix_and_best_k_fractions(small):
    rep, _, _ = small
    m, cols = targets.aggregated_matrix(rep, ["A"])
    assert list(m.index) == sorted(K_PAIR["A"]) and list(m.columns) == list(cols["label"])
    for _, r in rep.aggregated[rep.aggregated.problem == "A"].iterrows():
        assert m.loc[r["k"], f"A · {r['architecture']}"] == pytest.approx(r["aggregated"])
    bk = targets.best_k_fractions(rep)
    a = bk[bk.problem == "A"].iloc[0]
    assert a["best_k"] == 50 and a["fraction"] == pytest.approx(50 / 1000) and a["in_range"]
    assert a["paper_lo"] == pytest.approx(0.03) and a["hi"] == pytest.approx(0.10 * 1.25)


def test_fig1a_experiment_runs_and_measures_separability():
    f = fig1a_experiment("narrow-shallow", epochs=1)
    L = len(ARCHITECTURES["narrow-shallow"])
    assert len(f.representations) == len(f.names) == len(f.pc_separability) == L + 2
    assert f.names[0] == "input" and f.names[-1] == "output"
    assert f.representations[0].shape == (1000, 3) and f.representations[-1].shape == (1000, 1)
    assert all(0.0 <= s <= 1.0 for s in f.pc_separability)
    assert f.well_trained == (f.test_accuracy > f.threshold)


# -- verdicts --------------------------------------------------------------------------------------
def test_design_status(small, full):
    assert not targets.design_status(small[0].nets, small[2])["complete"]
    st = targets.design_status(full[0].nets, full[2])
    assert st["complete"] and st["present"] == st["expected"] == 1512
    other = targets.design_status(full[0].nets, {"profile": "paper", "settings": get_profile("quick").settings()})
    assert not other["complete"] and not other["settings_match"]


def test_small_results_leave_design_targets_not_computed(small):
    rep, geo, manifest = small
    table = targets.reproduction_table(rep, geometry=geo, manifest=manifest, profile_name="quick")
    assert set(table["verdict"]) <= set(targets.VERDICTS)
    by_key = table.groupby("key")["verdict"].apply(set).to_dict()
    for key in ("networks", "above_threshold", "kept", "fraction_negative", "regression", "p2_untrained",
                "p2_layers", "fig1a", "cluster_synthetic", "cluster_real"):
        assert by_key[key] == {targets.NOT_COMPUTED}, key
    assert "quick profile" in table.set_index("key").loc["fraction_negative", "ours"]
    best = table[table.key == "best_k"].set_index("target")["verdict"]
    assert best["best k, B"] == targets.NOT_COMPUTED  # not in the results
    assert best["best k, A"] == targets.REPRODUCED  # k = 50 of 1,000 for both architectures
    # two synthetic and two real configurations suffice for this group comparison: 15 % > 5 %
    assert by_key["larger_k_real"] == {targets.REPRODUCED}


def test_full_design_verdicts(full):
    rep, geo, manifest = full
    c = rep.counts
    assert c["networks"] == 1512 and c["below_threshold"] == 7 * 6 * 4
    table = targets.reproduction_table(rep, geometry=geo, manifest=manifest)
    v = table.set_index("target")["verdict"]
    assert v["networks trained"] == targets.REPRODUCED
    assert v["above the accuracy threshold"] == targets.REPRODUCED  # 88.9 % against 90.0 %
    assert v["connected at the chosen k (kept)"] == targets.REPRODUCED
    assert v["kept networks with ρ < 0"] == targets.REPRODUCED
    for p in PAPER1_PROBLEMS:
        assert v[f"best k, {p}"] == targets.REPRODUCED, p
        assert v[f"a negative aggregated coefficient, {p}"] == targets.REPRODUCED, p
    assert v["MNIST/fMNIST need larger k than synthetic data"] == targets.REPRODUCED
    assert v["Fig. 3 synthetic columns cluster by dataset"] == targets.REPRODUCED
    # Fig. 4: ρ ≈ −1 by construction and the paper's trend everywhere: close to −0.91 (A), far
    # from −0.45 (fMNIST 6v4), which is then only partly reproduced
    assert v["Fig. 4 example, A wide-deep"] == targets.REPRODUCED
    assert v["Fig. 4 example, fmnist-6v4 narrow-deep"] == targets.PARTLY
    # the regression verdict follows the fitted numbers
    reg = rep.regression
    expect = (targets.REPRODUCED if reg["t"] < 0 and reg["p"] < 0.05 else
              targets.PARTLY if reg["t"] < 0 else targets.NOT_REPRODUCED)
    assert v["accuracy ~ z + dataset + width + depth: the z term"] == expect
    assert v["P2 control: untrained networks"] == targets.NOT_COMPUTED


@pytest.mark.parametrize("t,p,expect", [(-2.27, 0.023, targets.REPRODUCED), (-1.0, 0.3, targets.PARTLY),
                                        (1.5, 0.13, targets.NOT_REPRODUCED)])
def test_regression_verdict_is_decided_by_t_and_p(full, t, p, expect):
    rep, geo, manifest = full
    changed = dataclasses.replace(rep, regression={"estimate": math.copysign(0.01, t), "se": 0.004, "t": t,
                                                   "p": p, "n": 1227, "reason": ""})
    table = targets.reproduction_table(changed, geometry=geo, manifest=manifest)
    assert table.set_index("key").loc["regression", "verdict"] == expect


@pytest.mark.parametrize("negative,expect", [(1144, targets.REPRODUCED), (700, targets.PARTLY),
                                             (500, targets.NOT_REPRODUCED)])
def test_fraction_negative_verdict(full, negative, expect):
    rep, geo, manifest = full
    counts = dict(rep.counts, kept=1227, negative=negative, fraction_negative=negative / 1227)
    table = targets.reproduction_table(dataclasses.replace(rep, counts=counts), geometry=geo, manifest=manifest)
    assert table.set_index("key").loc["fraction_negative", "verdict"] == expect


def test_fig1a_verdict():
    def fake(acc, sep):
        return Fig1A("A", "wide-shallow", 0, 50, [], [], np.zeros(2), ("0", "1"), acc, 0.99, sep)

    rep = analysis.Report(counts={"networks": 0, "above_threshold": 0, "below_threshold": 0, "disconnected": 0,
                                  "kept": 0, "negative": 0, "fraction_negative": None},
                          aggregated=pd.DataFrame(columns=["problem", "architecture", "k", "aggregated"]),
                          best=pd.DataFrame(columns=["problem", "architecture", "best_k", "aggregated"]),
                          nets=pd.DataFrame(columns=["problem", "architecture", "seed", "n_hidden", "n_test",
                                                     "well_trained", "connected", "rho", "best_k"]),
                          regression={"t": None, "reason": "no networks"})
    geo = pd.DataFrame(columns=["problem", "architecture", "seed", "layer", "k", "ric", "g", "connected"])
    for acc, sep, expect in [(1.0, [0.56, 0.9, 1.0, 1.0], targets.REPRODUCED),
                             (0.98, [0.56, 0.9, 1.0, 1.0], targets.PARTLY),
                             (1.0, [0.6, 0.6, 0.65, 1.0], targets.NOT_REPRODUCED)]:
        table = targets.reproduction_table(rep, geometry=geo, manifest={}, fig1a=fake(acc, sep))
        assert table.set_index("key").loc["fig1a", "verdict"] == expect
    assert set(table["verdict"]) <= set(targets.VERDICTS)


# -- paper 2's items 7 and 8 ------------------------------------------------------------------------
def _p2_networks(global_untrained, local_untrained, local_trained, n=20):
    """A coefficients network table: n untrained and n trained networks of problem A."""
    rows = []
    for seed in range(n):
        for state, loc in (("untrained", local_untrained), ("trained", local_trained)):
            for curv in ("forman", "approx-ollivier"):
                for mode in ("union", "r-compat"):
                    rho = global_untrained[seed] if state == "untrained" else np.nan
                    # r-compat rows carry opposite values: only union rows may be used
                    sign = 1 if mode == "union" else -1
                    rows.append({"problem": "A", "architecture": "narrow-deep", "seed": seed, "state": state,
                                 "curvature": curv, "mode": mode, "rho": sign * rho, "local_mean": sign * loc})
    return pd.DataFrame(rows)


def _p2_layers(profile):
    rows = [{"problem": "A", "architecture": "narrow-deep", "seed": 0, "state": "trained", "curvature": c,
             "mode": m, "n_hidden": 11, "transition": t, "layer_rho": v if m == "union" else -v}
            for t, v in enumerate(profile) for c in ("approx-ollivier", "forman") for m in ("union", "r-compat")]
    return pd.DataFrame(rows)


U_SHAPE = [-0.2, -0.4, -0.6, -0.7, -0.72, -0.7, -0.6, -0.5, -0.4, -0.3, -0.2, -0.1]


@pytest.mark.parametrize("glob,loc_u,loc_t,verdict", [
    ([-0.3] * 18 + [0.2] * 2, 0.01, -0.5, targets.REPRODUCED),      # 90 % negative, ≈ 0, clearly negative
    ([-0.3] * 18 + [0.2] * 2, -0.10, -0.5, targets.PARTLY),         # untrained local mean not ≈ 0
    ([-0.3] * 10 + [0.2] * 10, -0.10, -0.1, targets.NOT_REPRODUCED),  # none of the three
])
def test_p2_control_verdicts(glob, loc_u, loc_t, verdict):
    row7, row8 = targets.p2_rows(_p2_networks(glob, loc_u, loc_t), _p2_layers(U_SHAPE))
    assert row7["key"] == "p2_untrained" and row7["verdict"] == verdict
    neg = sum(g < 0 for g in glob)
    assert f"global ρ < 0 in {neg} of 20" in row7["ours"]
    assert row8["verdict"] == targets.REPRODUCED and "min -0.72 at transition 4 of 11" in row8["ours"]


@pytest.mark.parametrize("profile,verdict", [
    (U_SHAPE, targets.REPRODUCED),
    ([-0.1 - 0.05 * t for t in range(12)], targets.PARTLY),       # negative but minimum at the end
    ([0.1 + 0.01 * t for t in range(12)], targets.NOT_REPRODUCED),  # never negative
])
def test_p2_layer_verdicts(profile, verdict):
    _, row8 = targets.p2_rows(_p2_networks([-0.3] * 20, 0.0, -0.5), _p2_layers(profile))
    assert row8["verdict"] == verdict and "k-robustness not computed" in row8["ours"]


def test_p2_rows_without_the_needed_data_are_not_computed():
    for rows in (targets.p2_rows(None, None), targets.p2_rows(pd.DataFrame(), None)):
        assert [r["verdict"] for r in rows] == [targets.NOT_COMPUTED] * 2
    nets = _p2_networks([-0.3] * 20, 0.0, -0.5)
    only_trained = nets[nets["state"] == "trained"]
    shallow = _p2_layers(U_SHAPE).assign(n_hidden=5)
    r7, r8 = targets.p2_rows(only_trained, shallow)
    assert r7["verdict"] == r8["verdict"] == targets.NOT_COMPUTED
    assert "no trained deep" in r8["ours"]


def test_every_miss_carries_an_explanation(small, full):
    assert set(targets.MISS_EXPLANATIONS) == {t.key for t in targets.TARGETS}
    for rep, geo, manifest in (small, full):
        table = targets.reproduction_table(rep, geometry=geo, manifest=manifest)
        missed = table["verdict"].isin([targets.PARTLY, targets.NOT_REPRODUCED])
        assert (table.loc[missed, "why it may differ"].str.len() > 20).all()
        assert (table.loc[~missed, "why it may differ"] == "").all()
    rows = targets.p2_rows(_p2_networks([-0.3] * 10 + [0.2] * 10, -0.10, -0.1), _p2_layers(U_SHAPE))
    assert "paper 2 measured its own networks" in rows[0]["why it may differ"]
    assert rows[1]["why it may differ"] == ""


def _k_table(values_by_arch):
    return pd.DataFrame([{"problem": "A", "architecture": arch, "k": k, "n_networks": 3, "local_mean": v,
                          "local_sd": 0.1, "fraction_negative": 0.6}
                         for arch, vals in values_by_arch.items() for k, v in zip((20, 50, 70, 100, 150), vals)])


@pytest.mark.parametrize("layer_profile,k_values,verdict,needle", [
    (U_SHAPE, {"narrow-deep": [-0.4] * 5, "wide-deep": [-0.2] * 5}, targets.REPRODUCED, "in 2 of 2 configurations"),
    (U_SHAPE, {"narrow-deep": [-0.4] * 5, "wide-deep": [-0.2, -0.1, 0.05, 0.1, 0.2]}, targets.PARTLY, "in 1 of 2"),
    (U_SHAPE, {"narrow-deep": [0.1] * 5}, targets.PARTLY, "in 0 of 1"),
    ([0.1 + 0.01 * t for t in range(12)], {"narrow-deep": [-0.4] * 5}, targets.PARTLY, "in 1 of 1"),
    ([0.1 + 0.01 * t for t in range(12)], {"narrow-deep": [0.2] * 5}, targets.NOT_REPRODUCED, "in 0 of 1"),
])
def test_p2_k_robustness_half_of_item_8(layer_profile, k_values, verdict, needle):
    _, row8 = targets.p2_rows(_p2_networks([-0.3] * 20, 0.0, -0.5), _p2_layers(layer_profile), _k_table(k_values))
    assert row8["verdict"] == verdict
    assert "k-robustness (k ∈ {20, 50, 70, 100, 150}, 3 networks each): mean local ρ < 0 at every k " + needle \
        in row8["ours"]
    assert "not computed" not in row8["ours"]
    assert (row8["why it may differ"] == "") == (verdict == targets.REPRODUCED)


def test_p2_k_robustness_is_reported_even_without_deep_layers():
    nets = _p2_networks([-0.3] * 20, 0.0, -0.5)
    _, row8 = targets.p2_rows(nets, _p2_layers(U_SHAPE).assign(n_hidden=5), _k_table({"narrow-deep": [-0.4] * 5}))
    assert row8["verdict"] == targets.NOT_COMPUTED and "in 1 of 1 configurations" in row8["ours"]
