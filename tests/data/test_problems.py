"""Tests of the problem registry and P1's thresholds (ricci_lit.data.problems; P1 §3.1)."""

from __future__ import annotations

import numpy as np
import pytest

from ricci_lit.data.problems import (
    PAPER1_PROBLEMS,
    PAPER2_SYNTHETIC,
    PROBLEMS,
    WELL_TRAINED_THRESHOLD,
    is_well_trained,
    load_problem,
    load_xy,
)
from ricci_lit.data.problems import TEN_CLASS_PROBLEMS


# --------------------------------------------------------------------------- registry
def test_registry_names() -> None:
    assert PAPER1_PROBLEMS == ("A", "B", "C", "mnist-1v7", "mnist-6v8", "fmnist-5v9", "fmnist-6v4")
    assert PAPER2_SYNTHETIC == ("syn-1", "syn-2", "syn-3", "syn-4")
    assert TEN_CLASS_PROBLEMS == ("mnist-10", "fmnist-10")
    assert set(PROBLEMS) == set(PAPER1_PROBLEMS) | set(PAPER2_SYNTHETIC) | set(TEN_CLASS_PROBLEMS)
    assert {PROBLEMS[n].kind for n in ("A", "B", "C", *PAPER2_SYNTHETIC)} == {"synthetic"}
    assert PROBLEMS["mnist-1v7"].classes == (1, 7) and PROBLEMS["mnist-1v7"].kind == "mnist"
    assert PROBLEMS["fmnist-5v9"].class_names == ("Sandal", "Ankle boot")
    assert PROBLEMS["fmnist-6v4"].classes == (6, 4) and PROBLEMS["fmnist-6v4"].kind == "fashion-mnist"
    with pytest.raises(TypeError):
        PROBLEMS["X"] = PROBLEMS["A"]  # type: ignore[index]


def test_unknown_problem_lists_valid_names() -> None:
    with pytest.raises(ValueError) as info:
        load_problem("mnist-3v5")
    for name in PROBLEMS:
        assert repr(name) in str(info.value) or name in str(info.value)


def test_thresholds() -> None:
    assert dict(WELL_TRAINED_THRESHOLD) == {
        "A": 0.99, "B": 0.99, "C": 0.91, "mnist-1v7": 0.99, "mnist-6v8": 0.99, "fmnist-5v9": 0.98, "fmnist-6v4": 0.90,
    }
    assert not is_well_trained("A", 0.99) and is_well_trained("A", 0.991)
    assert is_well_trained("C", 0.915) and not is_well_trained("fmnist-6v4", 0.90)


# --------------------------------------------------------------------------- the training-subset rule
def test_load_xy_training_subset_rule() -> None:
    """The first n_train of a default_rng(data_seed) permutation, sorted (the sweeps' rule)."""
    full = load_problem("A", seed=3, n_test=100)
    name, xtr, ytr, xte, yte = load_xy("A", n_test=100, n_train=250, data_seed=3, pixel_scale=1.0)
    idx = np.sort(np.random.default_rng(3).permutation(full.n_train)[:250])
    assert name == "A" and xtr.dtype == ytr.dtype == xte.dtype == yte.dtype == np.float32
    np.testing.assert_array_equal(xtr, full.x_train[idx])
    np.testing.assert_array_equal(ytr, full.y_train[idx].astype(np.float32))
    np.testing.assert_array_equal(xte, full.x_test)
    _, xall, *_ = load_xy(full, n_test=None, n_train=10_000, data_seed=3, pixel_scale=1.0)
    np.testing.assert_array_equal(xall, full.x_train)  # n_train ≥ n keeps everything, in order


@pytest.mark.parametrize("bad", [0, -1, 2.5, True, "10"])
def test_load_xy_rejects_bad_n_train(bad) -> None:
    with pytest.raises(ValueError, match="n_train"):
        load_xy("A", n_test=None, n_train=bad, data_seed=0, pixel_scale=1.0)


def test_load_xy_rejects_other_inputs() -> None:
    with pytest.raises(ValueError, match="problem name or a Dataset"):
        load_xy(3, n_test=None, n_train=None, data_seed=0, pixel_scale=1.0)
    with pytest.raises(ValueError, match="n_test applies"):
        load_xy(load_problem("A"), n_test=5, n_train=None, data_seed=0, pixel_scale=1.0)
