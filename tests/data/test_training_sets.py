"""The training sets (:mod:`ricci_lit.data.training_sets`): the authors' Keras ``validation_split``
taken from the end of a class-sorted array, checked against a brute-force re-statement of Keras'
rule, golden counts from paper-details §6.1 item 4, properties and bad inputs."""
from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ricci_lit.data.problems import load_xy
from ricci_lit.data.training_sets import (
    AUTHORS_VALIDATION_SPLIT,
    TRAINING_SETS,
    authors_training_set,
    select_training_set,
)


def _keras_oracle(x, y, v):
    """Keras 2.9, spelled out with Python lists: concatenate the classes in label order (each in
    its original order), then keep rows [0, floor(n (1 - v)))."""
    rows = [(xi, yi) for label in sorted(set(y.tolist())) for xi, yi in zip(x.tolist(), y.tolist())
            if yi == label]
    split_at = int(math.floor(len(rows) * (1.0 - v)))
    kept = rows[:split_at]
    return np.array([r[0] for r in kept]), np.array([r[1] for r in kept])


def test_small_example_by_hand():
    x = np.arange(10, dtype=np.float32)[:, None]
    y = np.array([1, 0, 1, 0, 0, 1, 1, 0, 0, 1])
    xf, yf = authors_training_set(x, y)
    # label 0 rows 1, 3, 4, 7, 8; then label 1 rows 0, 2, 5 (6 and 9 form the validation set)
    assert xf[:, 0].tolist() == [1, 3, 4, 7, 8, 0, 2, 5]
    assert yf.tolist() == [0, 0, 0, 0, 0, 1, 1, 1]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 1), min_size=2, max_size=60), st.sampled_from([0.0, 0.1, 0.2, 0.25, 0.5]))
def test_equals_the_keras_oracle(labels, v):
    y = np.array(labels)
    x = np.stack([np.arange(len(y)), 7 * np.arange(len(y))], axis=1).astype(np.float64)
    if math.floor(len(y) * (1 - v)) < 1:
        with pytest.raises(ValueError, match="leaves no training point"):
            authors_training_set(x, y, v)
        return
    xf, yf = authors_training_set(x, y, v)
    xo, yo = _keras_oracle(x, y, v)
    np.testing.assert_array_equal(xf, xo)
    np.testing.assert_array_equal(yf, yo)
    assert np.all(np.diff(yf) >= 0)  # one class after the other


def test_full_is_the_identity_and_authors_the_split():
    x = np.random.default_rng(0).normal(size=(20, 3))
    y = np.array([0, 1] * 10)
    xs, ys = select_training_set(x, y, "full")
    assert xs is x and ys is y
    np.testing.assert_array_equal(select_training_set(x, y, "authors")[0], authors_training_set(x, y)[0])
    assert TRAINING_SETS == ("full", "authors") and AUTHORS_VALIDATION_SPLIT == 0.2


@pytest.mark.parametrize(("problem", "n0", "n1"), [("A", 500, 300)])
def test_load_xy_authors_on_a_synthetic_set(problem, n0, n1):
    _, xt, yt, xs, ys = load_xy(problem, n_test=None, n_train=None, data_seed=0, pixel_scale=1.0)
    _, xa, ya, xs2, ys2 = load_xy(problem, n_test=None, n_train=None, data_seed=0, pixel_scale=1.0,
                                  training_set="authors")
    assert ((ya == 0).sum(), (ya == 1).sum()) == (n0, n1)
    np.testing.assert_array_equal(xs, xs2)  # the test set is untouched
    np.testing.assert_array_equal(xa[:n0], xt[yt == 0])  # every point of class 0, in order
    np.testing.assert_array_equal(xa[n0:], xt[yt == 1][:n1])  # the first 60 % of class 1


def test_load_xy_authors_golden_counts_on_fashion_mnist():
    """paper-details §6.1 item 4: 6,000 sandals and 3,600 boots are fitted on."""
    try:
        _, _, y, _, _ = load_xy("fmnist-5v9", n_test=None, n_train=None, data_seed=0, pixel_scale=1.0,
                                training_set="authors")
    except FileNotFoundError:  # pragma: no cover - the data are installed by make setup
        pytest.skip("Fashion-MNIST files not installed")
    assert ((y == 0).sum(), (y == 1).sum()) == (6000, 3600)


@pytest.mark.parametrize("v", [1.0, -0.1, 1.5, True, "0.2", float("nan")])
def test_bad_validation_split(v):
    with pytest.raises(ValueError, match="validation_split"):
        authors_training_set(np.zeros((5, 2)), np.zeros(5), v)


def test_bad_shapes_and_names():
    with pytest.raises(ValueError, match="same n"):
        authors_training_set(np.zeros((5, 2)), np.zeros(4))
    with pytest.raises(ValueError, match="same n"):
        authors_training_set(np.zeros(5), np.zeros(5))
    with pytest.raises(ValueError, match="unknown training set 'keras'"):
        select_training_set(np.zeros((5, 2)), np.zeros(5), "keras")
    with pytest.raises(ValueError, match="unknown training set"):
        load_xy("A", n_test=None, n_train=None, data_seed=0, pixel_scale=1.0, training_set=None)
