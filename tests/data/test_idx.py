"""Tests of the IDX reader and writer (ricci_lit.data.idx)."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest

from ricci_lit.data.idx import parse_idx, read_idx, read_idx_header, write_idx


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
