"""Safe reading of files a user names: regular files only, one-line errors that name the file.

Every path the package opens on a user's behalf (representations, manifests, chunks, checkpoints) goes
through :func:`require_regular_file` or :func:`open_regular` first, so that

* a FIFO (named pipe) is refused instead of blocking forever on ``open``/``read``,
* a device such as ``/dev/zero`` is refused instead of being read until memory runs out,
* a directory, socket or missing path gets a message saying which it is,
* a permission problem says "permission denied" (not "not a zip archive").

:func:`read_npz` reads the arrays of an ``.npz`` archive (what :func:`numpy.savez` writes) without
trusting its headers: each member's ``.npy`` header is parsed and its shape × item size checked against
the bytes the member really holds *before* memory is allocated, object arrays are refused (never
unpickled), and corrupt compressed data is reported, naming the file and the member.

All errors are :class:`UnreadableFileError` (a :class:`ValueError`), :class:`FileNotFoundError` or
:class:`PermissionError`, each with a one-line message that starts with the path. The names here are
public (this is a private *module* shared across layers; it imports nothing from the package).
"""
from __future__ import annotations

import ast
import math
import os
import stat
import zipfile
import zlib
from pathlib import Path
from typing import IO, Any

import numpy as np

__all__ = ["NPY_MAX_HEADER", "NotRegularFileError", "UnreadableFileError", "open_regular", "read_bytes",
           "read_npz", "read_text", "require_regular_file"]

#: Longest ``.npy`` header accepted, in bytes (numpy's own ``max_header_size`` default).
NPY_MAX_HEADER = 10_000
#: Deflate cannot expand data by more than about 1032 : 1.
_DEFLATE_MAX_RATIO = 1032
_NPY_MAGIC = b"\x93NUMPY"


class UnreadableFileError(ValueError):
    """A file that cannot be read as what it should be; the message names the file."""


class NotRegularFileError(UnreadableFileError):
    """A path that exists but is not a regular file (a FIFO, a device, a directory, a socket)."""


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _check_mode(p: Path, mode: int, what: str) -> None:
    if not stat.S_ISREG(mode):
        raise NotRegularFileError(f"{p}: is {_kind(mode)}, expected {what}")


def require_regular_file(path: str | os.PathLike, what: str = "a regular file") -> Path:
    """Return ``Path(path)`` if it names a regular file (following symbolic links); raise otherwise.

    Uses :func:`os.stat` only: nothing is opened, so a FIFO cannot block.

    Raises
    ------
    FileNotFoundError
        ``"PATH: no such file"``.
    PermissionError
        ``"PATH: permission denied"`` (a directory on the way cannot be searched).
    NotRegularFileError
        ``"PATH: is a FIFO (named pipe), expected WHAT"`` and the like.
    """
    p = Path(path)
    try:
        st = os.stat(p)
    except FileNotFoundError:
        raise FileNotFoundError(f"{p}: no such file") from None
    except PermissionError:
        raise PermissionError(f"{p}: permission denied") from None
    except NotADirectoryError:
        raise FileNotFoundError(f"{p}: no such file (a component of the path is not a directory)") from None
    except OSError as exc:
        raise UnreadableFileError(f"{p}: cannot be read ({exc.strerror or exc})") from None
    _check_mode(p, st.st_mode, what)
    return p


def open_regular(path: str | os.PathLike, mode: str = "rb", *, what: str = "a regular file",
                 encoding: str | None = None) -> IO[Any]:
    """Open a regular file for reading, refusing anything else without blocking.

    The file is opened with ``O_NONBLOCK`` (so opening a FIFO returns at once), checked with
    :func:`os.fstat` on the open descriptor (no race between the check and the open), then set back
    to blocking and wrapped by :func:`os.fdopen`. ``mode`` is ``"rb"`` or ``"r"``. Errors as in
    :func:`require_regular_file`.
    """
    if mode not in ("rb", "r"):
        raise ValueError(f"open_regular reads only: mode 'rb' or 'r', got {mode!r}")
    p = Path(path)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(p, flags)
    except FileNotFoundError:
        raise FileNotFoundError(f"{p}: no such file") from None
    except PermissionError:
        raise PermissionError(f"{p}: permission denied") from None
    except IsADirectoryError:
        raise NotRegularFileError(f"{p}: is a directory, expected {what}") from None
    except NotADirectoryError:
        raise FileNotFoundError(f"{p}: no such file (a component of the path is not a directory)") from None
    except OSError as exc:
        raise UnreadableFileError(f"{p}: cannot be opened ({exc.strerror or exc})") from None
    try:
        _check_mode(p, os.fstat(fd).st_mode, what)
        os.set_blocking(fd, True)
        return os.fdopen(fd, mode, encoding=encoding if mode == "r" else None)
    except BaseException:
        os.close(fd)
        raise


def read_bytes(path: str | os.PathLike, *, what: str = "a regular file") -> bytes:
    """The bytes of a regular file (see :func:`open_regular`)."""
    with open_regular(path, "rb", what=what) as fh:
        try:
            return fh.read()
        except OSError as exc:
            raise UnreadableFileError(f"{Path(path)}: cannot be read ({exc.strerror or exc})") from None


def read_text(path: str | os.PathLike, *, what: str = "a text file", encoding: str = "utf-8") -> str:
    """The text of a regular file; a decoding error names the file and the byte offset."""
    raw = read_bytes(path, what=what)
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError as exc:
        raise UnreadableFileError(f"{Path(path)}: not {encoding} text (invalid byte at offset {exc.start})") from None


# --------------------------------------------------------------------------- .npz / .npy


def _read_exact(fh: IO[bytes], n: int) -> bytes:
    data = fh.read(n)
    return data if isinstance(data, bytes) else bytes(data)


def _npy_header(fh: IO[bytes], where: str) -> tuple[tuple[int, ...], bool, np.dtype, int]:
    """Parse an ``.npy`` header: ``(shape, fortran_order, dtype, header_bytes)``; never trusts it."""
    corrupt = f"{where}: corrupt .npy header"
    head = _read_exact(fh, 8)
    if len(head) < 8 or head[:6] != _NPY_MAGIC:
        raise UnreadableFileError(f"{corrupt} (no .npy magic string)")
    major, minor = head[6], head[7]
    if (major, minor) == (1, 0):
        size_bytes, encoding = 2, "latin1"
    elif (major, minor) in ((2, 0), (3, 0)):
        size_bytes, encoding = 4, "latin1" if major == 2 else "utf8"
    else:
        raise UnreadableFileError(f"{corrupt} (unknown format version {major}.{minor})")
    raw_len = _read_exact(fh, size_bytes)
    if len(raw_len) < size_bytes:
        raise UnreadableFileError(f"{corrupt} (ends inside the header length)")
    hlen = int.from_bytes(raw_len, "little")
    if hlen > NPY_MAX_HEADER:
        raise UnreadableFileError(f"{corrupt} (header length {hlen} > {NPY_MAX_HEADER} bytes)")
    raw = _read_exact(fh, hlen)
    if len(raw) < hlen:
        raise UnreadableFileError(f"{corrupt} (ends inside the header: {len(raw)} of {hlen} bytes)")
    try:
        d = ast.literal_eval(raw.decode(encoding))
    except (SyntaxError, ValueError, UnicodeDecodeError, MemoryError, RecursionError, TypeError):
        raise UnreadableFileError(f"{corrupt} (not a Python literal)") from None
    if not isinstance(d, dict) or set(d) != {"descr", "fortran_order", "shape"}:
        raise UnreadableFileError(f"{corrupt} (expected the keys descr, fortran_order, shape)")
    shape, fortran = d["shape"], d["fortran_order"]
    if not isinstance(shape, tuple) or not all(type(s) is int and s >= 0 for s in shape):
        raise UnreadableFileError(f"{corrupt} (shape {shape!r} is not a tuple of non-negative integers)")
    if not isinstance(fortran, bool):
        raise UnreadableFileError(f"{corrupt} (fortran_order {fortran!r} is not a bool)")
    try:
        dtype = np.lib.format.descr_to_dtype(d["descr"])
    except (TypeError, ValueError, KeyError, IndexError):
        raise UnreadableFileError(f"{corrupt} (descr {d['descr']!r} is not a numpy dtype)") from None
    return shape, fortran, dtype, 8 + size_bytes + hlen


def _read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, where: str, archive_size: int) -> np.ndarray:
    if info.compress_size > archive_size:
        raise UnreadableFileError(f"{where}: corrupt archive (member claims {info.compress_size} compressed "
                                  f"bytes, the file has {archive_size})")
    if info.compress_type == zipfile.ZIP_STORED and info.file_size != info.compress_size:
        raise UnreadableFileError(f"{where}: corrupt archive (stored member sizes disagree)")
    if (info.compress_type == zipfile.ZIP_DEFLATED
            and info.file_size > _DEFLATE_MAX_RATIO * info.compress_size + 65536):
        raise UnreadableFileError(f"{where}: corrupt archive (member claims {info.file_size} bytes from "
                                  f"{info.compress_size} compressed)")
    with zf.open(info) as fh:
        shape, fortran, dtype, header_bytes = _npy_header(fh, where)
        if dtype.hasobject:
            raise UnreadableFileError(f"{where}: holds Python objects (dtype {dtype}), not numbers; "
                                      "reading it would need pickle, which is never used")
        count = math.prod(shape)
        nbytes = count * dtype.itemsize
        available = info.file_size - header_bytes
        if nbytes > available:
            raise UnreadableFileError(
                f"{where}: truncated data: the header says shape {shape} of {dtype} = {nbytes} bytes, "
                f"the member holds {max(available, 0)}")
        try:
            flat = np.empty(count, dtype=dtype)
        except MemoryError:
            raise UnreadableFileError(f"{where}: not enough memory for shape {shape} of {dtype} "
                                      f"({nbytes} bytes)") from None
        if nbytes:
            view = memoryview(flat.view(np.uint8))  # raw bytes, whatever the dtype
            got = 0
            while got < nbytes:
                n = fh.readinto(view[got:])
                if not n:
                    raise UnreadableFileError(f"{where}: truncated data: the header says {nbytes} bytes, "
                                              f"the member holds {got}")
                got += n
    if fortran:
        return flat.reshape(shape[::-1]).transpose()
    return flat.reshape(shape)


def read_npz(path: str | os.PathLike) -> dict[str, np.ndarray | bytes]:
    """The members of an ``.npz`` archive, in stored order, read without trusting their headers.

    Members named ``NAME.npy`` are returned as arrays under ``NAME`` (as :func:`numpy.load` names
    them); any other member is returned as its raw ``bytes`` under its full name, for the caller to
    refuse. For each array the ``.npy`` header is parsed and ``prod(shape) × itemsize`` is checked
    against the member's size before any array is allocated.

    Raises
    ------
    UnreadableFileError
        Not a zip archive, a corrupt ``.npy`` header, data shorter than the header says, an object
        array (``pickle`` is never used), corrupt compressed data (``zlib.error``, a bad CRC), an
        encrypted or unsupported member, or not enough memory; the message names the file and member.
    FileNotFoundError, PermissionError, NotRegularFileError
        As in :func:`open_regular`.
    """
    p = Path(path)
    out: dict[str, np.ndarray | bytes] = {}
    with open_regular(p, "rb", what="an .npz file") as fh:
        archive_size = os.fstat(fh.fileno()).st_size
        try:
            zf = zipfile.ZipFile(fh)
        except (zipfile.BadZipFile, EOFError, ValueError, OSError, NotImplementedError):
            raise UnreadableFileError(f"{p}: cannot be read as .npz: not a zip archive "
                                      "(expected what numpy.savez writes)") from None
        with zf:
            for info in zf.infolist():
                name = info.filename
                where = f"{p}: member {name!r}"
                try:
                    if name.endswith(".npy"):
                        out[name[:-4]] = _read_member(zf, info, where, archive_size)
                    else:
                        if info.file_size > archive_size * _DEFLATE_MAX_RATIO + 65536:
                            raise UnreadableFileError(f"{where}: corrupt archive (implausible size)")
                        with zf.open(info) as m:
                            out[name] = m.read()
                except UnreadableFileError:
                    raise
                except (zlib.error, zipfile.BadZipFile, EOFError) as exc:
                    raise UnreadableFileError(f"{where}: corrupt compressed data ({exc})") from None
                except (RuntimeError, NotImplementedError) as exc:  # encrypted, unsupported method
                    raise UnreadableFileError(f"{where}: cannot be read ({exc})") from None
                except MemoryError:
                    raise UnreadableFileError(f"{where}: not enough memory to read it") from None
                except OSError as exc:
                    raise UnreadableFileError(f"{where}: cannot be read ({exc.strerror or exc})") from None
    return out
