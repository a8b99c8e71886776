"""Tests of ricci_lit.experiments.controls: trained networks beside their own initialisation."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ricci_lit.data.problems import Dataset
from ricci_lit.experiments.controls import trained_vs_untrained
from ricci_lit.geometry.engine import network_coefficients
from ricci_lit.networks.mlp import MLPEnsemble, accuracy, representations
from ricci_lit.networks.training import TrainConfig, train_ensemble

CURV = ("forman", "approx-ollivier")


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


def _same_as_engine(rows: pd.DataFrame, ens, x_test, k, layers):
    """The rows of one state equal the coefficient engine run directly on that ensemble."""
    direct = network_coefficients(representations(ens, x_test), k, curvatures=CURV, layers=layers)
    got = rows[list(direct.networks.columns)].reset_index(drop=True)
    pd.testing.assert_frame_equal(got, direct.networks.reset_index(drop=True), check_dtype=False)


@pytest.fixture(scope="module")
def control(blobs):
    return trained_vs_untrained(blobs, (8, 8, 8), [4, 9], 6, epochs=8, config=TrainConfig(batch_size=30),
                                curvatures=CURV, device="cpu", layers="all")


def test_trained_vs_untrained(blobs, control):
    arch, seeds, k = (8, 8, 8), [4, 9], 6
    nets = control.networks
    assert set(nets["state"]) == {"untrained", "trained"}
    assert (nets["problem"] == "blobs").all() and (nets["architecture"] == "8x8x8").all()
    assert len(nets) == 2 * 2 * 2 and set(control.layers["state"]) == {"untrained", "trained"}
    # the untrained rows are the coefficients of the initial networks
    init = MLPEnsemble(arch, 2, seeds)
    un = nets[nets["state"] == "untrained"]
    _same_as_engine(un, init, blobs.x_test, k, "all")
    np.testing.assert_allclose(un.groupby("network")["test_accuracy"].first().to_numpy(),
                               accuracy(init, blobs.x_test, blobs.y_test))
    # the trained rows are those of the same networks trained by train_ensemble
    trained = train_ensemble(blobs.x_train, blobs.y_train, arch, seeds, TrainConfig(batch_size=30, epochs=8),
                             device="cpu", progress=False).ensemble
    tr = nets[nets["state"] == "trained"]
    _same_as_engine(tr, trained, blobs.x_test, k, "all")
    acc = nets.groupby("state")["test_accuracy"].mean()
    assert acc["trained"] > acc["untrained"]
    assert (tr["test_accuracy"] >= 0.95).all() and (tr["train_accuracy"] >= 0.95).all()
    assert control.meta["config"]["epochs"] == 8 and control.meta["seeds"] == seeds


def test_several_layer_conventions_train_once_and_equal_separate_calls(blobs, control):
    both = trained_vs_untrained(blobs, (8, 8, 8), [4, 9], 6, epochs=8, config=TrainConfig(batch_size=30),
                                curvatures=CURV, device="cpu", layers=("all", "hidden"))
    hidden = trained_vs_untrained(blobs, (8, 8, 8), [4, 9], 6, epochs=8, config=TrainConfig(batch_size=30),
                                  curvatures=CURV, device="cpu", layers="hidden")
    nets = both.networks
    assert list(dict.fromkeys(nets["layers"])) == ["all", "hidden"]
    for lay, single in (("all", control), ("hidden", hidden)):
        got = nets[nets["layers"] == lay].reset_index(drop=True)
        pd.testing.assert_frame_equal(got, single.networks.reset_index(drop=True))
        got_l = both.layers[both.layers["layers"] == lay].reset_index(drop=True)
        pd.testing.assert_frame_equal(got_l, single.layers.reset_index(drop=True))
    assert both.meta["layers"] == ["all", "hidden"]


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
    for bad in ((), ("all", "all"), ("all", "input")):
        with pytest.raises(ValueError, match="layers"):
            trained_vs_untrained(blobs, (4, 4), [0], 5, epochs=1, layers=bad)


def test_community_rows_are_community_table_of_both_states(blobs, control):
    """community=True adds every representation's class modularity, both states, and changes
    nothing else; the rows equal community_table on the same networks."""
    from ricci_lit.geometry.community import community_table

    arch, seeds, k = (8, 8, 8), [4, 9], 6
    assert control.community is None
    with_q = trained_vs_untrained(blobs, arch, seeds, k, epochs=8, config=TrainConfig(batch_size=30),
                                  curvatures=CURV, device="cpu", layers="all", community=True)
    pd.testing.assert_frame_equal(with_q.networks.drop(columns=[]), control.networks)
    comm = with_q.community
    assert len(comm) == 2 * len(seeds) * (len(arch) + 2)
    init = MLPEnsemble(arch, 2, seeds)
    for net, rep in enumerate(representations(init, blobs.x_test)):
        got = comm[(comm["state"] == "untrained") & (comm["network"] == net)].sort_values("layer")
        want = community_table(rep.all, blobs.y_test, k)
        np.testing.assert_array_equal(got["modularity"].to_numpy(), want["modularity"].to_numpy())
    q = comm.groupby("state")["modularity"].apply(lambda s: s.iloc[-1])
    last_hidden = comm[comm["layer"] == len(arch)].groupby("state")["modularity"].mean()
    assert last_hidden["trained"] > last_hidden["untrained"] and len(q) == 2
