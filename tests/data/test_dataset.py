"""Tests of the Dataset container and the seeded test-subset rule (ricci_lit.data.dataset)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ricci_lit.data.dataset import Dataset, split_streams, subset_indices


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 1), min_size=2, max_size=200), st.data())
def test_stratified_subset_keeps_class_shares(labels, data):
    y = np.asarray(labels)
    n_sub = data.draw(st.integers(1, y.size))
    idx = subset_indices(y, n_sub, "stratified", np.random.default_rng(0))
    assert idx.size == n_sub and np.all(np.diff(idx) > 0)  # sorted, distinct
    for c in (0, 1):
        exact = n_sub * np.count_nonzero(y == c) / y.size
        assert abs(np.count_nonzero(y[idx] == c) - exact) < 1  # largest remainder: within one
    again = subset_indices(y, n_sub, "stratified", np.random.default_rng(0))
    np.testing.assert_array_equal(idx, again)


def test_first_per_class_subset():
    y = np.array([1, 0, 1, 1, 0, 0, 1, 0])
    np.testing.assert_array_equal(subset_indices(y, 4, "first-per-class", np.random.default_rng(0)), [0, 1, 2, 4])
    with pytest.raises(ValueError, match="class 0 has only"):
        subset_indices(np.array([0, 1, 1, 1]), 4, "first-per-class", np.random.default_rng(0))
    with pytest.raises(ValueError, match="n_test must be in"):
        subset_indices(y, 9, "stratified", np.random.default_rng(0))
    with pytest.raises(ValueError, match="test_subset must be"):
        subset_indices(y, 2, "random", np.random.default_rng(0))  # type: ignore[arg-type]


def test_split_streams_are_independent_and_deterministic():
    a = [g.random(4) for g in split_streams(7)]
    b = [g.random(4) for g in split_streams(7)]
    for u, v in zip(a, b):
        np.testing.assert_array_equal(u, v)
    assert not np.array_equal(a[0], a[1]) and not np.array_equal(a[1], a[2])


def test_dataset_properties():
    d = Dataset("t", np.zeros((5, 3), np.float32), np.zeros(5, np.int64), np.zeros((2, 3), np.float32),
                np.zeros(2, np.int64))
    assert (d.n_train, d.n_test, d.dim) == (5, 2, 3) and d.meta == {}
