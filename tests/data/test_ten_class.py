"""The ten-class problems ``mnist-10`` / ``fmnist-10`` (issue 15): all classes, balanced test subsets."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ricci_lit.data.dataset import split_streams
from ricci_lit.data.idx import write_idx
from ricci_lit.data.images import find_idx_dir
from ricci_lit.data.problems import (
    PROBLEMS,
    TEN_CLASS_PROBLEMS,
    balanced_subset,
    load_problem,
)


def _fixture_dir(d: Path, train_labels: np.ndarray, test_labels: np.ndarray) -> tuple[Path, dict]:
    """IDX files with the given labels; pixel (i, 0, 0) of image i encodes i (mod 256) for an oracle."""
    d.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(1)
    images = {}
    for split, labels in (("train", train_labels), ("t10k", test_labels)):
        imgs = rng.integers(0, 256, (len(labels), 28, 28), dtype=np.uint8)
        write_idx(d / f"{split}-images-idx3-ubyte", imgs)
        write_idx(d / f"{split}-labels-idx1-ubyte", np.asarray(labels, dtype=np.uint8))
        images[split] = imgs
    return d, images


@pytest.fixture()
def fixture(tmp_path: Path):
    rng = np.random.default_rng(0)
    train = rng.permutation(np.repeat(np.arange(10), 7))
    test = rng.permutation(np.repeat(np.arange(10), [5, 6, 7, 8, 9, 5, 6, 7, 8, 9]))
    d, images = _fixture_dir(tmp_path / "mnist", train, test)
    return d, images, train, test


def test_registry() -> None:
    assert TEN_CLASS_PROBLEMS == ("mnist-10", "fmnist-10")
    assert PROBLEMS["mnist-10"].kind == "mnist" and PROBLEMS["fmnist-10"].kind == "fashion-mnist"
    assert PROBLEMS["mnist-10"].classes == tuple(range(10))
    assert len(PROBLEMS["fmnist-10"].class_names) == 10 and PROBLEMS["fmnist-10"].class_names[9] == "Ankle boot"
    assert PROBLEMS["mnist-1v7"].classes == (1, 7)  # the binary ones unchanged


def test_all_classes_in_file_order(fixture) -> None:
    d, images, train, test = fixture
    ds = load_problem("mnist-10", data_dir=d, verify=False, download=False, pixel_scale=1 / 255)
    # oracle: every image, in file order, labels as in the file
    np.testing.assert_array_equal(ds.y_train, train)
    np.testing.assert_array_equal(ds.y_test, test)
    assert ds.y_train.dtype == np.int64 and ds.x_train.dtype == np.float32
    np.testing.assert_array_equal(ds.x_train, images["train"].reshape(len(train), 784).astype(np.float32)
                                  * np.float32(1 / 255))
    np.testing.assert_array_equal(ds.meta["train_file_indices"], np.arange(len(train)))
    assert ds.meta["n_classes"] == 10 and ds.meta["test_subset"] is None


@pytest.mark.parametrize("rule", ["first-per-class", "stratified"])
def test_balanced_subset_of_the_size_asked(fixture, rule: str) -> None:
    d, images, _, test = fixture
    ds = load_problem("mnist-10", data_dir=d, verify=False, download=False, n_test=40, test_subset=rule, seed=3)
    assert np.bincount(ds.y_test, minlength=10).tolist() == [4] * 10
    idx = ds.meta["test_file_indices"]
    assert np.all(np.diff(idx) > 0)  # original order kept
    np.testing.assert_array_equal(test[idx], ds.y_test)
    np.testing.assert_array_equal(ds.x_test, images["t10k"][idx].reshape(40, 784).astype(np.float32))
    if rule == "first-per-class":  # paper 2's rule: the first images of each class
        want = np.sort(np.concatenate([np.flatnonzero(test == c)[:4] for c in range(10)]))
        np.testing.assert_array_equal(idx, want)
    again = load_problem("mnist-10", data_dir=d, verify=False, download=False, n_test=40, test_subset=rule, seed=3)
    np.testing.assert_array_equal(again.x_test, ds.x_test)  # deterministic


def test_stratified_subset_depends_on_seed(fixture) -> None:
    d, *_ = fixture
    a = load_problem("mnist-10", data_dir=d, verify=False, download=False, n_test=40, seed=0)
    b = load_problem("mnist-10", data_dir=d, verify=False, download=False, n_test=40, seed=1)
    assert not np.array_equal(a.meta["test_file_indices"], b.meta["test_file_indices"])


@pytest.mark.parametrize("n_test", [0, 5, 41, 60, 2.5])
def test_bad_subset_sizes(fixture, n_test) -> None:
    d, *_ = fixture
    with pytest.raises(ValueError, match="n_test|per class"):
        load_problem("mnist-10", data_dir=d, verify=False, download=False, n_test=n_test)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(0, 9), min_size=10, max_size=200), st.integers(1, 5), st.integers(0, 2**31))
def test_balanced_subset_property(labels: list[int], per: int, seed: int) -> None:
    y = np.asarray(labels)
    C = np.unique(y).size
    rng = split_streams(seed)[2]
    if np.bincount(y)[np.unique(y)].min() < per:
        with pytest.raises(ValueError, match="per class"):
            balanced_subset(y, per * C, "stratified", rng)
        return
    idx = balanced_subset(y, per * C, "stratified", rng)
    assert np.all(np.diff(idx) > 0)
    assert set(np.unique(y[idx], return_counts=True)[1].tolist()) == {per}


@pytest.mark.parametrize("name", TEN_CLASS_PROBLEMS)
def test_real_data(name: str) -> None:
    try:
        find_idx_dir(PROBLEMS[name].kind, download=False)
    except FileNotFoundError as exc:
        pytest.skip(f"IDX files not installed here: {str(exc).splitlines()[0]}")
    ds = load_problem(name, download=False, n_test=200, pixel_scale=1 / 255, test_subset="first-per-class")
    assert ds.x_train.shape == (60000, 784) and ds.x_test.shape == (200, 784)
    assert np.bincount(ds.y_test).tolist() == [20] * 10
    assert set(np.unique(ds.y_train).tolist()) == set(range(10))
    assert 0 <= ds.x_train.min() and ds.x_train.max() == pytest.approx(1.0)
    # the binary problems are the same images: MNIST 1 v 7 ⊂ mnist-10
    if name == "mnist-10":
        pair = load_problem("mnist-1v7", download=False, pixel_scale=1 / 255)
        keep = np.isin(ds.y_train, (1, 7))
        np.testing.assert_array_equal(ds.x_train[keep], pair.x_train)
        np.testing.assert_array_equal((ds.y_train[keep] == 7).astype(np.int64), pair.y_train)
