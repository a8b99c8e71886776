"""Tests of ricci_lit.analysis.projection: PC planes and linear separability (P1 Fig. 1A)."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ricci_lit.analysis import projection
from ricci_lit.analysis.projection import PCPlane, pc_planes, pc_separability, pca_2d


def test_linear_separability():
    x = np.array([[0.0], [1.0], [2.0], [3.0]])
    assert projection.linear_separability(x, [0, 0, 1, 1]) == 1.0
    xor = np.array([[0, 0], [1, 1], [0, 1], [1, 0]] * 5, dtype=float)
    assert projection.linear_separability(xor, [0, 0, 1, 1] * 5) <= 0.75
    with pytest.raises(ValueError):
        projection.linear_separability(x, [0, 1])


def test_pca_2d():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 3)) * np.array([5.0, 2.0, 0.1])
    scores, var = pca_2d(x, return_variance=True)
    assert scores.shape == (200, 2)
    # independent oracle: the eigenvectors of the covariance matrix
    w, v = np.linalg.eigh(np.cov(x.T, bias=True))
    top = v[:, ::-1][:, :2]
    ref = (x - x.mean(axis=0)) @ top
    for c in range(2):
        assert abs(abs(np.corrcoef(scores[:, c], ref[:, c])[0, 1]) - 1.0) < 1e-9
    np.testing.assert_allclose(var, w[::-1][:2] / w.sum(), rtol=1e-9)
    np.testing.assert_allclose(pca_2d(-x) * 1.0, -pca_2d(x) * 1.0, atol=1e-10)
    one = pca_2d(np.arange(6.0)[:, None])
    assert np.all(one[:, 1] == 0.0)
    with pytest.raises(ValueError):
        pca_2d(np.zeros(5))
    with pytest.raises(ValueError):
        pca_2d([[0.0, 1.0], [np.nan, 2.0]])


@settings(max_examples=30, deadline=None)
@given(st.integers(3, 40), st.integers(1, 5), st.integers(0, 2**31 - 1))
def test_pc_planes_project_each_representation(n, d, seed):
    rng = np.random.default_rng(seed)
    reps = [rng.normal(size=(n, d)), rng.normal(size=(n, d + 1))]
    planes = pc_planes(reps)
    assert [p.dim for p in planes] == [d, d + 1]
    for p, x in zip(planes, reps):
        assert isinstance(p, PCPlane) and p.scores.shape == (n, 2)
        np.testing.assert_array_equal(p.scores, pca_2d(x))
        assert 0.0 <= p.variance.sum() <= 1.0 + 1e-12


def test_pc_planes_bad_inputs():
    with pytest.raises(ValueError, match="empty"):
        pc_planes([])
    with pytest.raises(ValueError, match="representation 1"):
        pc_planes([np.zeros((5, 2)), np.zeros((4, 2))])


def test_pc_separability_is_linear_separability_in_the_pc_plane():
    rng = np.random.default_rng(3)
    y = np.arange(60) % 2
    apart = np.column_stack([y * 8.0, rng.normal(size=60), rng.normal(size=60)])
    mixed = rng.normal(size=(60, 3))
    sep = pc_separability([mixed, apart], y)
    assert sep[1] == 1.0 and sep[0] < 0.8
    assert sep == [projection.linear_separability(pca_2d(x), y) for x in (mixed, apart)]
