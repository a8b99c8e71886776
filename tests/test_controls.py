"""Controls (:mod:`ricci_lit.geometry.engine`): coefficients of many networks, trained vs untrained, and
agreement between curvature notions.

Oracles: :func:`ricci_lit.geometry.coefficients.ricci_coefficient` (``local=True``) called directly on the same
representations; ``np.corrcoef``/``scipy.stats.spearmanr`` on the package's ``edge_curvature`` and
``node_curvature`` outputs; hand-made tables for the summaries (P2 §A.1.1; paper-details §5.7 g).
"""
from __future__ import annotations

import math

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from scipy.stats import spearmanr

from ricci_lit.geometry import engine as controls
from ricci_lit.geometry.engine import (
    LAYER_COLUMNS,
    NETWORK_COLUMNS,
    curvature_agreement,
    network_coefficients,
)
from ricci_lit.analysis.coefficients import sign_agreement, summarise_coefficients
from ricci_lit.experiments.controls import trained_vs_untrained
from ricci_lit.geometry.curvature import edge_curvature, node_curvature
from ricci_lit.data.problems import Dataset, load_problem
from ricci_lit.geometry.coefficients import ricci_coefficient
from ricci_lit.geometry.knn import graph_from_adjacency, knn_graph
from ricci_lit.networks.mlp import MLPEnsemble, accuracy, representations
from ricci_lit.networks.training import TrainConfig, train_ensemble

CHEAP = ("forman", "augmented-forman", "approx-ollivier")


@pytest.fixture(scope="module")
def syn1():
    return load_problem("syn-1", n_test=120)


@pytest.fixture(scope="module")
def untrained_reps(syn1):
    ens = MLPEnsemble((8, 8, 8), 2, [0, 1, 2])
    return representations(ens, syn1.x_test)


def _same(a, b, tol=1e-12):
    if a is None or (isinstance(a, float) and math.isnan(a)):
        return b is None or (isinstance(b, float) and math.isnan(b))
    return b is not None and abs(float(a) - float(b)) <= tol


def _check_against_direct(tables, reps_list, k, curvatures, layers):
    """Every row of the tables equals a direct ricci_coefficient call."""
    nets = tables.networks.set_index(["network", "curvature"])
    lay = tables.layers.set_index(["network", "curvature", "transition"])
    for i, r in enumerate(reps_list):
        seq = r.select(layers) if hasattr(r, "select") else r
        for c in curvatures:
            direct = ricci_coefficient(seq, k, curvature=c, local=True, warn_collapsed=False)
            row = nets.loc[(i, c)]
            assert _same(row["rho"], direct.rho)
            assert row["rho_reason"] == direct.rho_reason
            assert row["connected"] == direct.all_connected
            s = direct.local.summary()
            assert _same(row["local_mean"], s["mean"])
            assert _same(row["local_median"], s["median"])
            assert _same(row["local_fraction_negative"], s["fraction_negative"])
            assert row["local_n_nan"] == s["n_nan"]
            assert row["local_n_unreachable"] == s["n_unreachable"]
            assert row["local_n_constant"] == s["n_constant"]
            assert row["n_representations"] == len(seq)
            for l, lr in enumerate(direct.local.layer_rho):
                lrow = lay.loc[(i, c, l)]
                assert _same(lrow["layer_rho"], float(lr))
                assert lrow["ric"] == pytest.approx(direct.ric[l], abs=1e-9)
                if math.isfinite(direct.eta[l]):
                    assert lrow["eta"] == pytest.approx(direct.eta[l], abs=1e-9)
            if tables.points is not None:
                pts = tables.points[(tables.points["network"] == i) & (tables.points["curvature"] == c)]
                np.testing.assert_array_equal(pts["rho_x"].to_numpy(), direct.local.rho)


@pytest.mark.parametrize("layers", ["all", "hidden"])
def test_network_coefficients_equal_direct_calls(untrained_reps, layers):
    tables = network_coefficients(untrained_reps, 8, curvatures=CHEAP, layers=layers, points=True)
    assert list(tables.networks.columns) == list(NETWORK_COLUMNS)
    assert list(tables.layers.columns) == list(LAYER_COLUMNS)
    assert len(tables.networks) == 3 * len(CHEAP)
    L = untrained_reps[0].n_hidden
    n_trans = L + 1 if layers == "all" else L - 1
    assert len(tables.layers) == 3 * len(CHEAP) * n_trans
    assert len(tables.points) == 3 * len(CHEAP) * 120
    assert list(tables.networks["seed"].unique()) == [0, 1, 2]
    offset = 0 if layers == "all" else 1
    assert (tables.layers["representation"] == tables.layers["transition"] + offset).all()
    _check_against_direct(tables, untrained_reps, 8, CHEAP, layers)
    assert tables.meta["k"] == 8 and tables.meta["layers"] == layers


def test_plain_sequences_and_single_curvature(untrained_reps):
    plain = [list(r.all) for r in untrained_reps]
    a = network_coefficients(plain, 8, curvatures="forman")
    b = network_coefficients(untrained_reps, 8, curvatures=["forman"])
    assert (a.networks["seed"] == -1).all()
    cols = ["rho", "local_mean", "local_fraction_negative", "layer_mean"]
    pd.testing.assert_frame_equal(a.networks[cols], b.networks[cols])
    assert a.points is None


def test_disconnected_layer_is_reported(rng):
    n = 60
    X0 = rng.normal(size=(n, 3))
    X1 = np.r_[rng.normal(size=(30, 3)), rng.normal(size=(30, 3)) + 100.0]  # two far clusters
    X2 = rng.normal(size=(n, 2))
    X3 = rng.normal(size=(n, 2))
    tables = network_coefficients([[X0, X1, X2, X3]], 5, curvatures=("forman",))
    row = tables.networks.iloc[0]
    assert not row["connected"] and row["n_disconnected"] == 1
    assert math.isnan(row["rho"]) and "disconnected" in row["rho_reason"]
    assert row["local_n_unreachable"] > 0
    _check_against_direct(tables, [[X0, X1, X2, X3]], 5, ("forman",), "all")


def test_exact_ollivier_on_a_tiny_network(rng):
    reps = [[rng.normal(size=(30, 3)), rng.normal(size=(30, 4)), rng.normal(size=(30, 2))]]
    tables = network_coefficients(reps, 3, curvatures=("ollivier", "forman"))
    _check_against_direct(tables, reps, 3, ("ollivier", "forman"), "all")


def test_network_coefficients_bad_inputs(untrained_reps, rng):
    X = rng.normal(size=(20, 2))
    with pytest.raises(ValueError, match="empty"):
        network_coefficients([], 5)
    with pytest.raises(ValueError, match="one entry per network"):
        network_coefficients(X, 5)
    with pytest.raises(ValueError, match="wrap a single network"):
        network_coefficients([X, X, X], 5)
    with pytest.raises(ValueError, match="one entry per network"):
        network_coefficients(untrained_reps[0], 5)
    with pytest.raises(ValueError, match="unknown curvature"):
        network_coefficients(untrained_reps, 5, curvatures=("ricci",))
    with pytest.raises(ValueError, match="distinct"):
        network_coefficients(untrained_reps, 5, curvatures=("forman", "forman"))
    with pytest.raises(ValueError, match="empty"):
        network_coefficients(untrained_reps, 5, curvatures=())
    with pytest.raises(ValueError, match="layers"):
        network_coefficients(untrained_reps, 5, layers="some")
    with pytest.raises(ValueError, match="mode"):
        network_coefficients(untrained_reps, 5, mode="directed")
    with pytest.raises(ValueError):
        network_coefficients(untrained_reps, 120)  # k >= n
    with pytest.raises(ValueError):
        network_coefficients(untrained_reps, 0)
    with pytest.raises(ValueError, match="different numbers of points"):
        network_coefficients([[X, X, X], [X[:10], X[:10], X[:10]]], 3)
    with pytest.raises(ValueError, match="at least 3"):
        network_coefficients([[X, X, X]], 3, layers="hidden")  # one hidden layer only


# -- trained vs untrained -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def blobs():
    """An easy, linearly separable problem: two Gaussian blobs in 2-D."""
    rng = np.random.default_rng(5)

    def draw(n):
        y = (np.arange(n) % 2).astype(np.int64)
        x = rng.normal(scale=0.5, size=(n, 2)) + np.where(y[:, None] == 1, 2.0, -2.0)
        return x.astype(np.float32), y

    xtr, ytr = draw(300)
    xte, yte = draw(100)
    return Dataset("blobs", xtr, ytr, xte, yte, {})


def test_trained_vs_untrained(blobs):
    arch, seeds, k = (8, 8, 8), [4, 9], 6
    cfg = TrainConfig(batch_size=30)
    res = trained_vs_untrained(blobs, arch, seeds, k, epochs=8, config=cfg, curvatures=("forman", "approx-ollivier"),
                               device="cpu", layers="all")
    nets = res.networks
    assert set(nets["state"]) == {"untrained", "trained"}
    assert (nets["problem"] == "blobs").all() and (nets["architecture"] == "8x8x8").all()
    assert len(nets) == 2 * 2 * 2 and set(res.layers["state"]) == {"untrained", "trained"}
    # the untrained rows are the coefficients of the initial networks, computed directly
    init = MLPEnsemble(arch, 2, seeds)
    un = nets[nets["state"] == "untrained"].reset_index(drop=True)
    un_tables = controls.CoefficientTables(networks=un, layers=res.layers[res.layers["state"] == "untrained"])
    _check_against_direct(un_tables, representations(init, blobs.x_test), k, ("forman", "approx-ollivier"), "all")
    np.testing.assert_allclose(un.groupby("network")["test_accuracy"].first().to_numpy(),
                               accuracy(init, blobs.x_test, blobs.y_test))
    # the trained rows are those of the same networks trained by train_ensemble
    trained = train_ensemble(blobs.x_train, blobs.y_train, arch, seeds, TrainConfig(batch_size=30, epochs=8),
                             device="cpu", progress=False).ensemble
    tr = nets[nets["state"] == "trained"].reset_index(drop=True)
    tr_tables = controls.CoefficientTables(networks=tr, layers=res.layers[res.layers["state"] == "trained"])
    _check_against_direct(tr_tables, representations(trained, blobs.x_test), k, ("forman", "approx-ollivier"), "all")
    # accuracies make sense on an easy problem
    acc = nets.groupby("state")["test_accuracy"].mean()
    assert acc["trained"] > acc["untrained"]
    assert (tr["test_accuracy"] >= 0.95).all() and (tr["train_accuracy"] >= 0.95).all()
    assert res.meta["config"]["epochs"] == 8 and res.meta["seeds"] == seeds


def test_trained_vs_untrained_problem_name_and_bad_inputs(blobs):
    res = trained_vs_untrained("syn-1", (6, 6), [0], 5, epochs=1, n_test=60, n_train=100,
                               curvatures="forman", device="cpu")
    assert res.meta["n_test"] == 60 and res.meta["n_train"] == 100
    assert res.networks["problem"].iloc[0] == "syn-1"
    with pytest.raises(ValueError, match="problem name or a Dataset"):
        trained_vs_untrained(42, (4, 4), [0], 5, epochs=1)
    with pytest.raises(ValueError, match="n_test"):
        trained_vs_untrained(blobs, (4, 4), [0], 5, epochs=1, n_test=50)
    with pytest.raises(ValueError, match="TrainConfig"):
        trained_vs_untrained(blobs, (4, 4), [0], 5, epochs=1, config={"epochs": 1})
    with pytest.raises(ValueError, match="n_train"):
        trained_vs_untrained(blobs, (4, 4), [0], 5, epochs=1, n_train=0)
    with pytest.raises(ValueError):
        trained_vs_untrained(blobs, (4, 4), [0], 100, epochs=1)  # k >= n_test


# -- curvature agreement --------------------------------------------------------------------------


def test_curvature_agreement_matches_corrcoef(rng):
    X = rng.normal(size=(80, 3))
    g = knn_graph(X, 6)
    ag = curvature_agreement(g, curvatures=CHEAP)
    E = np.stack([edge_curvature(g, c) for c in CHEAP])
    N = np.stack([node_curvature(g, e, "mean") for e in E])
    np.testing.assert_allclose(ag.edge_pearson.to_numpy(), np.corrcoef(E), atol=1e-12)
    np.testing.assert_allclose(ag.node_pearson.to_numpy(), np.corrcoef(N), atol=1e-12)
    np.testing.assert_allclose(ag.edge_spearman.to_numpy(), spearmanr(E, axis=1).statistic, atol=1e-12)
    np.testing.assert_allclose(ag.node_spearman.to_numpy(), spearmanr(N, axis=1).statistic, atol=1e-12)
    for M in (ag.edge_pearson, ag.edge_spearman, ag.node_pearson, ag.node_spearman):
        assert list(M.index) == list(CHEAP) == list(M.columns)
        np.testing.assert_allclose(np.diag(M.to_numpy()), 1.0, atol=1e-12)
        np.testing.assert_allclose(M.to_numpy(), M.to_numpy().T, atol=1e-15)
    assert ag.n_graphs == 1 and ag.n_edges == g.n_edges and ag.n_nodes == 80
    # the same from points + k
    ag2 = curvature_agreement(X, 6, CHEAP)
    pd.testing.assert_frame_equal(ag.edge_pearson, ag2.edge_pearson)


def test_curvature_agreement_pools_graphs_and_reports_each(untrained_reps):
    ag = curvature_agreement(untrained_reps[:2], 8, CHEAP)
    graphs = [knn_graph(X, 8) for r in untrained_reps[:2] for X in r.all]
    E = np.concatenate([np.stack([edge_curvature(g, c) for c in CHEAP]) for g in graphs], axis=1)
    np.testing.assert_allclose(ag.edge_pearson.to_numpy(), np.corrcoef(E), atol=1e-12)
    assert ag.n_graphs == len(graphs) == 10
    # 10 graphs × 2 levels × 2 methods × 3 pairs
    assert len(ag.per_graph) == 10 * 2 * 2 * 3
    first = ag.per_graph[(ag.per_graph["graph"] == 0) & (ag.per_graph["level"] == "edge")
                         & (ag.per_graph["method"] == "pearson")]
    E0 = np.stack([edge_curvature(graphs[0], c) for c in CHEAP])
    C0 = np.corrcoef(E0)
    np.testing.assert_allclose(first["r"].to_numpy(), [C0[0, 1], C0[0, 2], C0[1, 2]], atol=1e-12)


def test_curvature_agreement_with_exact_ollivier_on_a_small_graph(named_graphs):
    g = graph_from_adjacency(named_graphs["karate"])
    names = ("forman", "augmented-forman", "approx-ollivier", "ollivier")
    ag = curvature_agreement([g], curvatures=names)
    E = np.stack([edge_curvature(g, c) for c in names])
    np.testing.assert_allclose(ag.edge_pearson.to_numpy(), np.corrcoef(E), atol=1e-12)
    # the approximation tracks exact Ollivier closely on this graph
    assert ag.edge_pearson.loc["approx-ollivier", "ollivier"] > 0.8


def test_curvature_agreement_constant_curvature_gives_nan():
    g = graph_from_adjacency(nx.cycle_graph(8))  # Forman is constant on a regular graph
    ag = curvature_agreement(g, curvatures=("forman", "augmented-forman"))
    assert np.isnan(ag.edge_pearson.loc["forman", "augmented-forman"])


def test_curvature_agreement_bad_inputs(rng):
    X = rng.normal(size=(30, 2))
    with pytest.raises(ValueError, match="k is required"):
        curvature_agreement(X)
    with pytest.raises(ValueError, match="at least two"):
        curvature_agreement(X, 5, curvatures=("forman",))
    with pytest.raises(ValueError, match="unknown curvature"):
        curvature_agreement(X, 5, curvatures=("forman", "bogus"))
    with pytest.raises(ValueError, match="no graphs"):
        curvature_agreement([], 5)
    with pytest.raises(ValueError):
        curvature_agreement(X, 30)


# -- summaries ------------------------------------------------------------------------------------


def _hand_networks():
    rows = []
    rho = {("untrained", "forman"): [-0.5, -0.2, 0.1, np.nan],
           ("untrained", "approx-ollivier"): [-0.4, 0.3, 0.2, -0.1],
           ("trained", "forman"): [-0.9, -0.8, -0.7, -0.6],
           ("trained", "approx-ollivier"): [-0.3, -0.2, 0.5, -0.1]}
    local = {("untrained", "forman"): [0.01, -0.02, 0.03, 0.0],
             ("untrained", "approx-ollivier"): [0.02, -0.01, 0.0, 0.01],
             ("trained", "forman"): [-0.5, -0.6, -0.4, -0.7],
             ("trained", "approx-ollivier"): [-0.6, -0.5, -0.3, -0.2]}
    for (state, c), values in rho.items():
        for i, v in enumerate(values):
            rows.append({"state": state, "curvature": c, "network": i, "seed": i, "rho": v,
                         "local_mean": local[(state, c)][i], "local_fraction_negative": 0.5,
                         "test_accuracy": 0.5 if state == "untrained" else 0.99})
    return pd.DataFrame(rows)


def test_summarise_coefficients():
    s = summarise_coefficients(_hand_networks()).set_index(["state", "curvature"])
    r = s.loc[("untrained", "forman")]
    assert r["n_networks"] == 4 and r["global_n_defined"] == 3 and r["global_n_negative"] == 2
    assert r["global_fraction_negative"] == pytest.approx(2 / 3)
    assert r["global_mean"] == pytest.approx(np.mean([-0.5, -0.2, 0.1]))
    assert r["global_std"] == pytest.approx(np.std([-0.5, -0.2, 0.1], ddof=1))
    assert r["global_min"] == pytest.approx(-0.5)
    assert r["local_n_negative"] == 1 and r["local_mean"] == pytest.approx(0.005)
    t = s.loc[("trained", "forman")]
    assert t["global_fraction_negative"] == 1.0 and t["test_accuracy_mean"] == pytest.approx(0.99)
    with pytest.raises(ValueError, match="lacks"):
        summarise_coefficients(pd.DataFrame({"rho": [0.1]}))


def test_sign_agreement():
    a = sign_agreement(_hand_networks(), "rho", by=("state",))
    # untrained: network 3 is undefined under Forman; signs agree on 0 and 1? (-,-) yes, (-,+) no, (+,+) yes
    # trained: (-,-) (-,-) (-,+) (-,-) → 3/4; pooled over states: (2 + 3) / (3 + 4)
    assert a.loc["forman", "approx-ollivier"] == pytest.approx(5 / 7)
    assert a.loc["forman", "approx-ollivier"] == a.loc["approx-ollivier", "forman"]
    assert a.loc["forman", "forman"] == 1.0
    with pytest.raises(ValueError, match="lacks"):
        sign_agreement(pd.DataFrame({"rho": [0.1]}))
