"""Paper 2's coefficients along training (:mod:`ricci_lit.experiments.trajectory`, P2 §4.3).

Oracles: the trajectory's first row against the untrained ensemble and its last row against an
independent :func:`ricci_lit.networks.training.train_ensemble` run with the same seeds and configuration,
both measured with :func:`ricci_lit.geometry.engine.network_coefficients` (itself checked against
:func:`ricci_lit.geometry.coefficients.ricci_coefficient`).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ricci_lit.data.problems import load_problem
from ricci_lit.experiments.trajectory import TRAJECTORY_COLUMNS, full_batch_adam_config, local_coefficient_trajectory
from ricci_lit.geometry.coefficients import ricci_coefficient
from ricci_lit.geometry.engine import network_coefficients
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


def test_modularity_of_the_last_hidden_layer_along_training(data, trajectory):
    """modularity=True adds the class modularity of the last hidden layer at every recorded epoch
    (community.modularity of its kNN graph, an independent call here) and changes nothing else."""
    from ricci_lit.geometry.community import modularity
    from ricci_lit.geometry.knn import knn_graph

    x_train, y_train, x_test, y_test = data
    t = local_coefficient_trajectory(*data, ARCH, SEEDS, k=K, curvature="approx-ollivier", epochs=4,
                                     every=2, config=CFG, device="cpu", modularity=True)
    assert list(t.columns) == list(TRAJECTORY_COLUMNS) + ["modularity_last_hidden"]
    pd.testing.assert_frame_equal(t[list(TRAJECTORY_COLUMNS)], trajectory)
    init = MLPEnsemble(ARCH, 2, SEEDS)
    want = [modularity(knn_graph(rep.hidden[-1], K), y_test) for rep in representations(init, x_test)]
    np.testing.assert_array_equal(t[t["epoch"] == 0]["modularity_last_hidden"].to_numpy(), want)
    trained = train_ensemble(x_train, y_train, ARCH, SEEDS, TrainConfig(batch_size=50, epochs=4), device="cpu",
                             progress=False).ensemble
    want = [modularity(knn_graph(rep.hidden[-1], K), y_test) for rep in representations(trained, x_test)]
    np.testing.assert_array_equal(t[t["epoch"] == 4]["modularity_last_hidden"].to_numpy(), want)
