"""Tests of the synthetic sets (ricci_lit.data.synthetic; paper-notes §2, paper-details §5.5)."""

from __future__ import annotations


import numpy as np
import pytest

from ricci_lit.data import synthetic
from ricci_lit.data.problems import (
    PROBLEMS,
    load_problem,
)
from ricci_lit.data.synthetic import blob_quadratic_forms, sheets_bayes_accuracy, sheets_bayes_predict

SYNTHETIC = [n for n, s in PROBLEMS.items() if s.kind == "synthetic"]


# --------------------------------------------------------------------------- synthetic sets
@pytest.mark.parametrize("name", SYNTHETIC)
def test_synthetic_shapes_balance_determinism(name: str) -> None:
    d = load_problem(name, seed=7)
    dim = 2 if name in ("syn-1", "syn-2") else 3
    assert d.x_train.shape == (1000, dim) and d.x_test.shape == (1000, dim)
    assert d.x_train.dtype == np.float32 and d.y_train.dtype == np.int64
    assert np.isfinite(d.x_train).all() and np.isfinite(d.x_test).all()
    for y in (d.y_train, d.y_test):
        assert set(np.unique(y)) == {0, 1}
        if name == "syn-2":  # four disks of radius 0.2 in the unit disk: 16 % ones expected
            assert 0.11 < y.mean() < 0.21
        else:
            assert y.sum() == 500
    again = load_problem(name, seed=7)
    for field in ("x_train", "y_train", "x_test", "y_test"):
        assert getattr(d, field).tobytes() == getattr(again, field).tobytes()
    other = load_problem(name, seed=8)
    assert not np.array_equal(d.x_train, other.x_train) and not np.array_equal(d.x_test, other.x_test)
    assert not np.array_equal(d.x_train, d.x_test)
    assert d.meta["seed"] == 7 and d.meta["pixel_scale"] is None and d.meta["params"] == dict(PROBLEMS[name].params)


@pytest.mark.parametrize("name", ["A", "syn-2"])
def test_synthetic_test_subset(name: str) -> None:
    full = load_problem(name, seed=1)
    sub = load_problem(name, seed=1, n_test=101)
    idx = sub.meta["test_indices"]
    assert sub.x_test.shape[0] == 101 and np.all(np.diff(idx) > 0)
    np.testing.assert_array_equal(sub.x_test, full.x_test[idx])
    np.testing.assert_array_equal(sub.x_train, full.x_train)
    assert abs(sub.y_test.mean() - full.y_test.mean()) <= 1 / 101 + 1e-12  # stratified
    np.testing.assert_array_equal(load_problem(name, seed=1, n_test=101).meta["test_indices"], idx)
    bal = load_problem(name, seed=1, n_test=100, test_subset="first-per-class")
    assert np.bincount(bal.y_test).tolist() == [50, 50]
    with pytest.raises(ValueError):
        load_problem(name, n_test=5000)


def test_A_sheets_are_separable_by_unrolling() -> None:
    p = PROBLEMS["A"].params
    d = load_problem("A")
    x = d.x_test.astype(np.float64)
    r = np.hypot(x[:, 0], x[:, 1])
    t = r * p["t_max"]  # invert r = t / t_max
    phase = np.arctan2(x[:, 1], x[:, 0]) - t  # = c*pi (mod 2pi) on the noiseless sheets
    pred = (np.cos(phase) < 0).astype(np.int64)
    assert (pred == d.y_test).mean() > 0.99
    assert np.abs(x[:, 2]).max() < p["half_height"] + 0.2
    assert r.min() > p["t_min"] / p["t_max"] - 0.1 and r.max() < 1.1


def test_B_cube_points_lie_in_cube_outside_blobs() -> None:
    p = PROBLEMS["B"].params
    d = load_problem("B", seed=3)
    for x, y in ((d.x_train, d.y_train), (d.x_test, d.y_test)):
        q = blob_quadratic_forms(x.astype(np.float64), p["centres"], p["semi_axes"])
        cube, blobs = y == 0, y == 1
        assert np.abs(x[cube]).max() <= p["half_side"]
        assert q[cube].min() >= (1 + p["margin"]) ** 2 - 1e-5 > 1  # outside the (enlarged) ellipsoids
        assert q[blobs].min(axis=1).max() <= 1 + 1e-5  # every blob point inside an ellipsoid
        assert (q[blobs] <= 1 + 1e-5).sum(axis=1).max() == 1  # the blobs are disjoint
    # the blobs themselves lie inside the cube
    m, a = np.asarray(p["centres"]), np.asarray(p["semi_axes"])
    assert (np.abs(m) + a).max() < p["half_side"]


def test_C_bayes_accuracy_by_construction() -> None:
    p = dict(PROBLEMS["C"].params)
    acc = sheets_bayes_accuracy(**p)
    assert 0.91 <= acc <= 0.95 and abs(acc - 0.93) < 0.002
    # the closed form, 1 - (1/pi) int_0^pi Phi(-(A/sigma) sin u) du, by an independent quadrature
    from scipy.integrate import quad
    from scipy.stats import norm

    closed = 1 - quad(lambda u: norm.cdf(-p["amplitude"] / p["noise"] * np.sin(u)), 0, np.pi)[0] / np.pi
    assert abs(closed - acc) < 1e-6
    # the empirical accuracy of the Bayes rule on a large sample from the generator agrees
    x, y = synthetic.make_sine_sheets(200_000, np.random.default_rng(0), **p)
    assert abs((sheets_bayes_predict(x, **p) == y).mean() - acc) < 0.005
    d = load_problem("C")
    assert d.meta["bayes_accuracy"] == pytest.approx(acc)
    assert 0.9 < (sheets_bayes_predict(d.x_test, **p) == d.y_test).mean() < 0.96


def test_paper2_geometry() -> None:
    x, y = synthetic.make_circles(1000, np.random.default_rng(0), noise=0.0, factor=0.8)
    np.testing.assert_allclose(np.hypot(x[:, 0], x[:, 1]), np.where(y == 0, 1.0, 0.8))
    d2 = load_problem("syn-2")
    inside = np.min([np.hypot(*(d2.x_train - c).T) for c in PROBLEMS["syn-2"].params["centres"]], axis=0) <= 0.2
    np.testing.assert_array_equal(inside, d2.y_train == 1)
    assert np.hypot(d2.x_train[:, 0], d2.x_train[:, 1]).max() <= 1
    d3 = load_problem("syn-3").x_train.astype(np.float64), load_problem("syn-3").y_train
    rho = np.hypot(d3[0][:, 0], d3[0][:, 2])
    assert rho[d3[1] == 0].min() >= 0.9 - 1e-6 and rho[d3[1] == 1].max() <= 0.9 + 1e-6
    assert d3[0][:, 1].min() >= 0 and d3[0][:, 1].max() <= 1
    d4 = load_problem("syn-4")
    x4, y4 = d4.x_train.astype(np.float64), d4.y_train
    tube0 = (np.hypot(x4[:, 0], x4[:, 1]) - 2) ** 2 + x4[:, 2] ** 2
    tube1 = (np.hypot(x4[:, 0] - 2, x4[:, 2]) - 2) ** 2 + x4[:, 1] ** 2
    assert tube0[y4 == 0].max() <= 1 + 1e-5 and tube1[y4 == 1].max() <= 1 + 1e-5
