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

from ricci_lit.geometry.engine import (
    LAYER_COLUMNS,
    NETWORK_COLUMNS,
    curvature_agreement,
    network_coefficients,
)
from ricci_lit.geometry.curvature import edge_curvature, node_curvature
from ricci_lit.data.problems import load_problem
from ricci_lit.geometry.coefficients import ricci_coefficient
from ricci_lit.geometry.knn import graph_from_adjacency, knn_graph
from ricci_lit.networks.mlp import MLPEnsemble, representations

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
            assert row["n_tie_decided"] == sum(direct.n_tie_decided)
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


def test_tie_decided_neighbourhoods_are_counted(rng):
    n = 30
    seq = [rng.standard_normal((n, 3)), rng.integers(0, 3, size=(n, 3)).astype(float),
           rng.standard_normal((n, 2)), rng.standard_normal((n, 2))]
    tables = network_coefficients([seq], 4, curvatures="forman")
    direct = ricci_coefficient(seq, 4, warn_collapsed=False)
    assert direct.n_tie_decided[1] > 0
    assert tables.networks["n_tie_decided"].tolist() == [sum(direct.n_tie_decided)]


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


def test_shared_triangle_counts_change_no_number(layered_reps):
    """Counting triangles once for both triangle curvatures is an optimisation only."""
    from ricci_lit.geometry.engine import network_coefficients

    curv = ("forman", "augmented-forman", "approx-ollivier")
    shared = network_coefficients([layered_reps], 6, curvatures=curv, points=True)
    alone = network_coefficients([layered_reps], 6, curvatures=curv, points=True, share_triangles=False)
    for a, b in zip((shared.networks, shared.layers), (alone.networks, alone.layers)):
        pd.testing.assert_frame_equal(a, b)
