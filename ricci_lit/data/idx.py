"""Reader (and a small writer) for the IDX file format of MNIST and Fashion-MNIST.

The IDX format (LeCun et al., "THE MNIST DATABASE of handwritten digits") stores one
n-dimensional array per file:

==============  =======================================================================
bytes           content
==============  =======================================================================
0, 1            always zero
2               dtype code: 0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32, 0x0D float32,
                0x0E float64 (multi-byte types are big-endian)
3               number of dimensions ``ndim``
4 … 4 + 4·ndim  ``ndim`` dimension sizes, each a big-endian unsigned 32-bit integer
rest            the data, C order, exactly ``prod(shape) * itemsize`` bytes
==============  =======================================================================

So the familiar magic numbers are ``2051 = 0x00000803`` (uint8, 3-D: images) and
``2049 = 0x00000801`` (uint8, 1-D: labels).  Files may be gzip-compressed (the
canonical distribution ships ``*.gz``); compression is detected from the gzip magic
bytes, not from the file name.

Every malformed input raises :class:`ValueError` whose message names the file, so a
broken download or a wrong file in a data directory is reported precisely (the data
sources are described in paper-notes §2 "Where the files come from").
"""

from __future__ import annotations

import gzip
import os
import zlib
from pathlib import Path
from typing import Final

import numpy as np

__all__ = [
    "IDX_DTYPES",
    "read_idx",
    "read_idx_bytes",
    "read_idx_header",
    "parse_idx",
    "write_idx",
]

#: IDX dtype code -> numpy dtype (big-endian for multi-byte types).
IDX_DTYPES: Final[dict[int, np.dtype]] = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}

_GZIP_MAGIC: Final[bytes] = b"\x1f\x8b"


def _is_gzip(path: Path) -> bool:
    with open(path, "rb") as fh:
        return fh.read(2) == _GZIP_MAGIC


def read_idx_bytes(path: str | os.PathLike[str]) -> bytes:
    """Return the (decompressed) bytes of an IDX file.

    Parameters
    ----------
    path
        A raw or gzip-compressed IDX file.

    Returns
    -------
    bytes
        The uncompressed file content (header and data).

    Raises
    ------
    ValueError
        If the file is gzip-compressed but the stream is corrupt or truncated.
    FileNotFoundError
        If ``path`` does not exist.
    """
    p = Path(path)
    if not _is_gzip(p):
        return p.read_bytes()
    try:
        with gzip.open(p, "rb") as fh:
            return fh.read()
    except (OSError, EOFError, zlib.error) as exc:  # BadGzipFile is an OSError
        raise ValueError(f"IDX file {p}: corrupt or truncated gzip stream ({exc})") from exc


def _parse_header(buf: bytes, name: str) -> tuple[np.dtype, tuple[int, ...], int]:
    """Parse an IDX header; return (dtype, shape, header length in bytes)."""
    if len(buf) < 4:
        raise ValueError(f"IDX file {name}: only {len(buf)} bytes, too short for the 4-byte magic number")
    if buf[0] != 0 or buf[1] != 0:
        magic = int.from_bytes(buf[:4], "big")
        raise ValueError(
            f"IDX file {name}: bad magic number 0x{magic:08x} (the first two bytes of an IDX file are zero; "
            "expected e.g. 0x00000803 for images, 0x00000801 for labels)"
        )
    code, ndim = buf[2], buf[3]
    if code not in IDX_DTYPES:
        raise ValueError(
            f"IDX file {name}: unknown dtype code 0x{code:02x} "
            f"(valid: {', '.join(f'0x{c:02x}' for c in IDX_DTYPES)})"
        )
    if ndim == 0:
        raise ValueError(f"IDX file {name}: header declares 0 dimensions")
    header_len = 4 + 4 * ndim
    if len(buf) < header_len:
        raise ValueError(
            f"IDX file {name}: truncated header ({len(buf)} bytes, need {header_len} for {ndim} dimensions)"
        )
    shape = tuple(int(s) for s in np.frombuffer(buf, dtype=">u4", count=ndim, offset=4))
    return IDX_DTYPES[code], shape, header_len


def parse_idx(buf: bytes, *, name: str = "<bytes>") -> np.ndarray:
    """Decode the uncompressed bytes of an IDX file into a numpy array.

    Parameters
    ----------
    buf
        Uncompressed IDX content.
    name
        File name used in error messages.

    Returns
    -------
    numpy.ndarray
        Array of the declared shape in native byte order.  For uint8 data (MNIST) the
        result is a read-only view of ``buf`` (no copy); other dtypes are converted to
        native byte order (a copy).

    Raises
    ------
    ValueError
        On a bad magic number, unknown dtype code, truncated header, or when the number
        of data bytes differs from ``prod(shape) * itemsize`` (truncated file or
        trailing garbage).
    """
    dtype, shape, header_len = _parse_header(buf, name)
    count = int(np.prod(shape, dtype=np.int64))
    expected = header_len + count * dtype.itemsize
    if len(buf) != expected:
        what = "truncated" if len(buf) < expected else "has trailing bytes"
        raise ValueError(
            f"IDX file {name}: {what}: {len(buf)} bytes, but the header (shape {shape}, dtype {dtype.str}) "
            f"implies exactly {expected}"
        )
    arr = np.frombuffer(buf, dtype=dtype, count=count, offset=header_len).reshape(shape)
    if dtype.byteorder == ">":
        arr = arr.astype(dtype.newbyteorder("="))
    return arr


def read_idx(path: str | os.PathLike[str]) -> np.ndarray:
    """Read an IDX file (``*-idx3-ubyte``, ``*-idx1-ubyte``, gzipped or not).

    Parameters
    ----------
    path
        Path of the file.  Gzip compression is detected from the content.

    Returns
    -------
    numpy.ndarray
        The stored array, e.g. ``uint8[60000, 28, 28]`` for MNIST training images or
        ``uint8[60000]`` for its labels.  uint8 arrays are read-only views of the file
        buffer; copy before modifying.

    Raises
    ------
    ValueError
        If the file is not a well-formed IDX file (message names the file).
    FileNotFoundError
        If the file does not exist.

    Examples
    --------
    >>> labels = read_idx("t10k-labels-idx1-ubyte.gz")  # doctest: +SKIP
    >>> labels.shape, labels.dtype                        # doctest: +SKIP
    ((10000,), dtype('uint8'))
    """
    p = Path(path)
    return parse_idx(read_idx_bytes(p), name=str(p))


def read_idx_header(path: str | os.PathLike[str]) -> tuple[np.dtype, tuple[int, ...]]:
    """Read only the header of an IDX file (cheap, also for gzipped files).

    Parameters
    ----------
    path
        Path of the file.

    Returns
    -------
    dtype : numpy.dtype
        The declared numpy dtype (native byte order).
    shape : tuple of int
        The declared shape.

    Raises
    ------
    ValueError
        On a malformed header (message names the file).
    """
    p = Path(path)
    try:
        if _is_gzip(p):
            with gzip.open(p, "rb") as fh:
                head = fh.read(4)
                if len(head) == 4:
                    head += fh.read(4 * head[3])
        else:
            with open(p, "rb") as fh:
                head = fh.read(4)
                if len(head) == 4:
                    head += fh.read(4 * head[3])
    except (OSError, EOFError, zlib.error) as exc:
        raise ValueError(f"IDX file {p}: unreadable header ({exc})") from exc
    dtype, shape, _ = _parse_header(head, str(p))
    return dtype.newbyteorder("="), shape


def write_idx(path: str | os.PathLike[str], array: np.ndarray, *, compress: bool | None = None) -> Path:
    """Write ``array`` as an IDX file (used by the tests and to make small fixtures).

    Parameters
    ----------
    path
        Destination.  Written atomically enough for tests (no temporary file).
    array
        Array of a dtype listed in :data:`IDX_DTYPES` (any byte order).
    compress
        Gzip the output; by default, iff ``path`` ends in ``.gz``.

    Returns
    -------
    pathlib.Path
        The written path.
    """
    p = Path(path)
    arr = np.asarray(array)
    code = next((c for c, dt in IDX_DTYPES.items() if dt.newbyteorder("=") == arr.dtype.newbyteorder("=")), None)
    if code is None:
        raise ValueError(f"dtype {arr.dtype} cannot be stored in IDX (valid: {list(IDX_DTYPES.values())})")
    if arr.ndim == 0 or arr.ndim > 255:
        raise ValueError(f"IDX stores 1 … 255 dimensions, got {arr.ndim}")
    header = bytes([0, 0, code, arr.ndim]) + np.asarray(arr.shape, dtype=">u4").tobytes()
    payload = header + np.ascontiguousarray(arr, dtype=IDX_DTYPES[code]).tobytes()
    if compress is None:
        compress = p.suffix == ".gz"
    p.write_bytes(gzip.compress(payload, mtime=0) if compress else payload)
    return p
