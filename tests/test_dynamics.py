"""Training dynamics (:mod:`ricci_lit.analysis.paper2`): the coefficient trajectory, our early-stopping
rule and our critical-layer rule (P2 §4.3–4.4; paper-details §5.7 d, e).

Oracles: the trajectory's first row against the untrained ensemble and its last row against an
independent :func:`ricci_lit.networks.training.train_ensemble` run with the same seeds and configuration,
both measured with :func:`ricci_lit.geometry.engine.network_coefficients` (itself checked against
:func:`ricci_lit.geometry.coefficients.ricci_coefficient`); the stopping and critical-layer rules on hand-made
sequences whose answer is worked out in the comments.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ricci_lit.geometry.engine import network_coefficients
from ricci_lit.data.problems import load_problem
from ricci_lit.analysis.paper2 import (
    critical_layer,
    critical_layers,
    early_stopping_epoch,
    early_stopping_table,
    layer_profile,
    profile_from_layers,
    stopping_epoch,
)
from ricci_lit.experiments.trajectory import TRAJECTORY_COLUMNS, full_batch_adam_config, local_coefficient_trajectory
from ricci_lit.geometry.coefficients import ricci_coefficient
from ricci_lit.networks.mlp import MLPEnsemble, accuracy, representations
from ricci_lit.networks.training import TrainConfig, train_ensemble

ARCH, SEEDS, K = (8, 8), [3, 5], 8
CFG = TrainConfig(batch_size=50)
COEF_COLS = ["rho", "local_mean", "local_median", "local_fraction_negative", "local_n_nan", "layer_mean",
             "layer_min"]


@pytest.fixture(scope="module")
def data():
    ds = load_problem("syn-1", n_test=100)
    return ds.x_train[:200], ds.y_train[:200], ds.x_test, ds.y_test


@pytest.fixture(scope="module")
def trajectory(data):
    return local_coefficient_trajectory(*data, ARCH, SEEDS, k=K, curvature="approx-ollivier", epochs=4,
                                        every=2, config=CFG, device="cpu")


def _coefs(ens, x_test, curvature="approx-ollivier"):
    return network_coefficients(representations(ens, x_test), K, curvatures=(curvature,)).networks


def test_trajectory_shape(trajectory):
    assert list(trajectory.columns) == list(TRAJECTORY_COLUMNS)
    assert sorted(trajectory["epoch"].unique()) == [0, 2, 4]
    assert len(trajectory) == 3 * len(SEEDS)
    assert list(trajectory[trajectory["epoch"] == 0]["seed"]) == SEEDS


def test_epoch_zero_is_the_untrained_network(trajectory, data):
    x_train, y_train, x_test, y_test = data
    init = MLPEnsemble(ARCH, 2, SEEDS)
    row0 = trajectory[trajectory["epoch"] == 0].reset_index(drop=True)
    expect = _coefs(init, x_test)
    pd.testing.assert_frame_equal(row0[COEF_COLS], expect[COEF_COLS])
    np.testing.assert_allclose(row0["test_accuracy"], accuracy(init, x_test, y_test))
    np.testing.assert_allclose(row0["train_accuracy"], accuracy(init, x_train, y_train))
    # direct oracle for one value
    direct = ricci_coefficient(representations(init, x_test)[1].all, K, curvature="approx-ollivier",
                               local=True, warn_collapsed=False)
    assert row0["local_mean"].iloc[1] == pytest.approx(direct.local.summary()["mean"], abs=1e-12)


def test_last_epoch_is_the_trained_network(trajectory, data):
    x_train, y_train, x_test, y_test = data
    res = train_ensemble(x_train, y_train, ARCH, SEEDS, TrainConfig(batch_size=50, epochs=4), device="cpu",
                         progress=False, x_test=x_test, y_test=y_test)
    last = trajectory[trajectory["epoch"] == 4].reset_index(drop=True)
    pd.testing.assert_frame_equal(last[COEF_COLS], _coefs(res.ensemble, x_test)[COEF_COLS])
    np.testing.assert_allclose(last["train_accuracy"], res.train_accuracy)
    np.testing.assert_allclose(last["test_accuracy"], res.test_accuracy)
    np.testing.assert_allclose(last["train_loss"], res.train_loss, rtol=1e-5)
    # training moved the networks
    first = trajectory[trajectory["epoch"] == 0].reset_index(drop=True)
    assert (last["train_loss"] < first["train_loss"]).all()


def test_trajectory_records_last_epoch_and_several_curvatures(data):
    t = local_coefficient_trajectory(*data, (6, 6), [1], k=K, curvature=("forman", "augmented-forman"),
                                     epochs=3, every=2, config=CFG, device="cpu")
    assert sorted(t["epoch"].unique()) == [0, 2, 3]
    assert list(t[t["epoch"] == 0]["curvature"]) == ["augmented-forman", "forman"]
    t0 = local_coefficient_trajectory(*data, (6, 6), [1], k=K, epochs=0, device="cpu")
    assert list(t0["epoch"]) == [0]


def test_full_batch_adam_config(data):
    cfg = full_batch_adam_config(200, epochs=7)
    assert (cfg.batch_size, cfg.optimizer, cfg.eps, cfg.shuffle, cfg.lr, cfg.epochs) == (200, "adam", 1e-8, False,
                                                                                         1e-3, 7)
    t = local_coefficient_trajectory(*data, (6, 6), [1], k=K, epochs=2, every=1, config=cfg, device="cpu")
    assert sorted(t["epoch"].unique()) == [0, 1, 2]
    with pytest.raises(ValueError):
        full_batch_adam_config(0)


def test_trajectory_bad_inputs(data):
    x_train, y_train, x_test, y_test = data
    kw = {"k": K, "epochs": 1, "device": "cpu"}
    with pytest.raises(ValueError, match="every"):
        local_coefficient_trajectory(*data, ARCH, SEEDS, every=0, **kw)
    with pytest.raises(ValueError, match="epochs"):
        local_coefficient_trajectory(*data, ARCH, SEEDS, k=K, epochs=-1)
    with pytest.raises(ValueError, match="k must be"):
        local_coefficient_trajectory(*data, ARCH, SEEDS, k=100, epochs=1)
    with pytest.raises(ValueError, match="TrainConfig"):
        local_coefficient_trajectory(*data, ARCH, SEEDS, config="rmsprop", **kw)
    with pytest.raises(ValueError, match="features"):
        local_coefficient_trajectory(x_train, y_train, x_test[:, :1], y_test, ARCH, SEEDS, **kw)
    with pytest.raises(ValueError, match="unknown curvature"):
        local_coefficient_trajectory(*data, ARCH, SEEDS, curvature="ricci", **kw)
    with pytest.raises(ValueError):
        local_coefficient_trajectory(x_train, y_train + 2, x_test, y_test, ARCH, SEEDS, **kw)


# -- early stopping -------------------------------------------------------------------------------


def test_stopping_epoch_hand_made():
    e = [0, 10, 20, 30, 40]
    # still falling at the end: the last evaluation (the window is truncated there)
    assert stopping_epoch(e, [0.0, -0.2, -0.4, -0.6, -0.8]) == 40
    # a V: stop at the minimum
    assert stopping_epoch(e, [0.1, -0.3, -0.8, -0.6, -0.5], tol=0.0, patience=1) == 20
    # decreases of at most tol are not "decreasing": stop at 10 with tol 0.01, at 30 with tol 0
    v = [0.0, -0.5, -0.505, -0.51, -0.3]
    assert stopping_epoch(e, v, tol=0.01, patience=2) == 10
    assert stopping_epoch(e, v, tol=0.0, patience=2) == 30
    # patience: a dip at 20 then a deeper minimum at 30
    e6 = [0, 1, 2, 3, 4, 5]
    v6 = [0.0, -0.5, -0.4, -0.7, -0.6, -0.55]
    assert stopping_epoch(e6, v6, tol=0.0, patience=1) == 1   # -0.4 >= -0.5
    assert stopping_epoch(e6, v6, tol=0.0, patience=2) == 3   # window {-0.4, -0.7} has a drop
    # NaN evaluations are left out
    assert stopping_epoch(e, [0.0, np.nan, -0.8, -0.7, -0.6], tol=0.0, patience=1) == 20


def test_stopping_epoch_bad_inputs():
    with pytest.raises(ValueError, match="increasing"):
        stopping_epoch([0, 2, 1], [0.0, -0.1, -0.2])
    with pytest.raises(ValueError, match="increasing"):
        stopping_epoch([0, 1, 1], [0.0, -0.1, -0.2])
    with pytest.raises(ValueError, match="equal length"):
        stopping_epoch([0, 1], [0.0])
    with pytest.raises(ValueError, match="finite"):
        stopping_epoch([0, 1], [np.nan, np.nan])
    with pytest.raises(ValueError, match="tol"):
        stopping_epoch([0, 1], [0.0, 0.1], tol=-0.1)
    with pytest.raises(ValueError, match="patience"):
        stopping_epoch([0, 1], [0.0, 0.1], patience=0)


def _hand_trajectory():
    # network 0 has its minimum at 20, network 1 at 30; the mean curve at 20
    epochs = [0, 10, 20, 30, 40]
    n0 = [0.1, -0.5, -0.9, -0.6, -0.5]
    n1 = [0.0, -0.2, -0.4, -0.5, -0.3]
    acc0 = [0.5, 0.9, 0.95, 0.97, 0.96]
    acc1 = [0.5, 0.8, 0.9, 0.92, 0.93]
    rows = []
    for net, (v, a) in enumerate([(n0, acc0), (n1, acc1)]):
        for e, x, t in zip(epochs, v, a):
            rows.append({"epoch": e, "network": net, "seed": 10 + net, "curvature": "approx-ollivier",
                         "local_mean": x, "test_accuracy": t})
    return pd.DataFrame(rows)


def test_early_stopping_epoch_and_table():
    traj = _hand_trajectory()
    # mean curve: 0.05, -0.35, -0.65, -0.55, -0.4 → minimum at 20
    assert early_stopping_epoch(traj, tol=0.0, patience=1) == 20
    tab = early_stopping_table(traj, tol=0.0, patience=1).set_index("network")
    assert tab.loc[0, "stop_epoch"] == 20 and tab.loc[1, "stop_epoch"] == 30 and tab.loc[-1, "stop_epoch"] == 20
    assert tab.loc[0, "seed"] == 10 and tab.loc[0, "stop_value"] == pytest.approx(-0.9)
    assert tab.loc[0, "test_accuracy_at_stop"] == pytest.approx(0.95)
    assert tab.loc[0, "best_test_accuracy"] == pytest.approx(0.97) and tab.loc[0, "best_test_epoch"] == 30
    assert tab.loc[1, "final_test_accuracy"] == pytest.approx(0.93)
    assert tab.loc[0, "min_epoch"] == 20 and bool(tab.loc[0, "window_complete"])
    # several curvatures: must choose
    two = pd.concat([traj, traj.assign(curvature="forman")], ignore_index=True)
    with pytest.raises(ValueError, match="several curvatures"):
        early_stopping_epoch(two)
    assert early_stopping_epoch(two, curvature="forman", tol=0.0, patience=1) == 20
    with pytest.raises(ValueError, match="not in trajectory"):
        early_stopping_epoch(two, curvature="ollivier")
    with pytest.raises(ValueError, match="lacks"):
        early_stopping_epoch(traj.drop(columns="local_mean"))


# -- layer profiles and the critical layer ---------------------------------------------------------


def test_critical_layer_hand_made():
    u = [-0.1, -0.6, -0.7, -0.65, -0.3, -0.1, -0.05]
    assert critical_layer(u, -0.2) == 5                       # first after the minimum (2) above −0.2
    assert critical_layer(u, 0.5, relative=True) == 4         # τ = 0.5 · (−0.7) = −0.35
    assert critical_layer([-0.1, -0.5, -0.6, -0.7], -0.2) is None   # never rises again
    assert critical_layer([-0.1, -0.15, -0.05], -0.2) is None       # the minimum is not below τ
    assert critical_layer([0.1, 0.2], 0.5, relative=True) is None   # no negative minimum
    assert critical_layer([-0.1, np.nan, -0.7, np.nan, -0.1], -0.2) == 4
    df = pd.DataFrame({"transition": [3, 1, 2, 0], "rho_mean": [-0.1, -0.7, -0.5, -0.2]})
    assert critical_layer(df, -0.3) == 3                      # sorted by transition: −0.2 −0.7 −0.5 −0.1


def test_critical_layer_bad_inputs():
    with pytest.raises(ValueError, match="relative"):
        critical_layer([-0.5, -0.1], 1.5, relative=True)
    with pytest.raises(ValueError, match="1-D"):
        critical_layer(np.zeros((2, 2)), -0.2)
    with pytest.raises(ValueError, match="finite"):
        critical_layer([np.nan, np.nan], -0.2)
    with pytest.raises(ValueError, match="threshold"):
        critical_layer([-0.5, -0.1], float("nan"))
    with pytest.raises(ValueError, match="repeated"):
        critical_layer(pd.DataFrame({"transition": [0, 0], "rho_mean": [-0.5, -0.1]}), -0.2)
    with pytest.raises(ValueError, match="columns"):
        critical_layer(pd.DataFrame({"rho": [-0.5]}), -0.2)


def test_critical_layers_per_depth():
    rows = []
    for depth, prof in ((4, [-0.2, -0.7, -0.6, -0.1, -0.05, 0.0]), (6, [-0.3, -0.7, -0.65, -0.5, -0.1, 0.0, 0.0, 0.0])):
        for l, v in enumerate(prof):
            rows.append({"curvature": "approx-ollivier", "k": 50, "n_hidden": depth, "transition": l,
                         "rho_mean": v})
    out = critical_layers(pd.DataFrame(rows), -0.2).set_index("n_hidden")
    assert out.loc[4, "critical_layer"] == 3 and out.loc[6, "critical_layer"] == 4
    assert out.loc[6, "min_transition"] == 1 and out.loc[6, "min_value"] == pytest.approx(-0.7)


def test_layer_profile_is_the_mean_of_layer_coefficients(data):
    _, _, x_test, _ = data
    reps = representations(MLPEnsemble((6, 6, 6), 2, [0, 1, 2]), x_test)
    prof = layer_profile(reps, K, "augmented-forman")
    direct = np.stack([ricci_coefficient(r.all, K, curvature="augmented-forman", local=True,
                                         warn_collapsed=False).local.layer_rho for r in reps])
    assert list(prof["transition"]) == [0, 1, 2, 3]
    assert (prof["n_hidden"] == 3).all() and (prof["n_representations"] == 5).all()
    np.testing.assert_allclose(prof["rho_mean"], direct.mean(axis=0), atol=1e-12)
    np.testing.assert_allclose(prof["rho_std"], direct.std(axis=0, ddof=1), atol=1e-12)
    np.testing.assert_allclose(prof["rho_sem"], direct.std(axis=0, ddof=1) / np.sqrt(3), atol=1e-12)
    assert (prof["n_networks"] == 3).all()
    # hidden-only selection: transitions between hidden layers, representations 1 … L−1
    hid = layer_profile(reps, K, "augmented-forman", layers="hidden")
    assert list(hid["representation"]) == [1, 2] and (hid["n_hidden"] == 3).all()
    # networks of different depths are refused, but profile_from_layers keeps them apart
    deeper = representations(MLPEnsemble((6, 6, 6, 6), 2, [0]), x_test)
    with pytest.raises(ValueError, match="different numbers of representations"):
        layer_profile(reps + deeper, K, "forman")
    tables = network_coefficients(reps + deeper, K, curvatures="forman")
    both = profile_from_layers(tables.layers)
    assert sorted(both["n_hidden"].unique()) == [3, 4]
    assert both.groupby("n_hidden")["transition"].count().to_dict() == {3: 4, 4: 5}
    with pytest.raises(ValueError, match="lacks"):
        profile_from_layers(pd.DataFrame({"transition": [0]}))
