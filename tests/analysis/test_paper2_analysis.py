"""Training dynamics (:mod:`ricci_lit.analysis.paper2`): our early-stopping rule and our critical-layer
rule (P2 §4.3–4.4; paper-details §5.7 d, e), on hand-made sequences whose answer is worked out in
the comments. (The coefficient trajectory itself is tested in ``tests/experiments/test_trajectory.py``.)
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ricci_lit.analysis.paper2 import (
    critical_layer,
    critical_layers,
    early_stopping_epoch,
    early_stopping_table,
    layer_profile,
    profile_from_layers,
    stopping_epoch,
    trajectory_curve,
)
from ricci_lit.data.problems import load_problem
from ricci_lit.geometry.coefficients import ricci_coefficient
from ricci_lit.geometry.engine import network_coefficients
from ricci_lit.networks.mlp import MLPEnsemble, representations

K = 8


@pytest.fixture(scope="module")
def data():
    ds = load_problem("syn-1", n_test=100)
    return ds.x_train[:200], ds.y_train[:200], ds.x_test, ds.y_test


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


def test_trajectory_curve_by_hand():
    traj = _hand_trajectory().assign(train_accuracy=lambda t: t["test_accuracy"] + 0.01)
    curve = trajectory_curve(traj)
    assert list(curve["epoch"]) == [0, 10, 20, 30, 40]
    # network means, standard error of two values |a - b| / 2
    np.testing.assert_allclose(curve["local_mean"], [0.05, -0.35, -0.65, -0.55, -0.4])
    np.testing.assert_allclose(curve["local_mean_sem"], [0.05, 0.15, 0.25, 0.05, 0.1])
    np.testing.assert_allclose(curve["test_accuracy"], [0.5, 0.85, 0.925, 0.945, 0.945])
    np.testing.assert_allclose(curve["train_accuracy"], curve["test_accuracy"] + 0.01)
    # the curve's minimum is the epoch the mean stopping rule starts from
    assert int(curve.loc[curve["local_mean"].idxmin(), "epoch"]) == 20
    with pytest.raises(ValueError, match="lacks"):
        trajectory_curve(_hand_trajectory())  # no train_accuracy
