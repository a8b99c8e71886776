"""What the command line reads and writes (a private module of :mod:`ricci_lit.cli`; its names are public).

* :func:`load_representations` — an ``.npz`` of representations, in order, read safely
  (:func:`ricci_lit._files.read_npz`); any problem is a :class:`UsageError` naming the file;
* :func:`strict_json`, :func:`print_json` — strict JSON (RFC 8259: non-finite numbers as ``null``);
* :class:`GuardedStdout`, :class:`StdoutError`, :func:`silence` — standard output while a command
  runs, so a closed pipe or a full disk ends the run cleanly instead of being mistaken for a file error;
* :func:`format_warning` — the package's warnings as one line ``warning: …``.
"""
from __future__ import annotations

import json
import os
import re
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from ricci_lit._files import UnreadableFileError, read_npz

__all__ = ["UsageError", "load_representations", "strict_json", "print_json", "StdoutError", "GuardedStdout",
           "silence", "format_warning"]


class UsageError(Exception):
    """Bad input from the command line: reported in one line, exit status 2."""


def load_representations(path: str | Path) -> list[np.ndarray]:
    """Read the representations of an ``.npz`` file, in order.

    Arrays named ``arr_0, arr_1, …`` are ordered by their number; other names keep the order in
    which they are stored. Only a regular file is opened (a FIFO or a device is refused before it
    can block or fill memory); each member's ``.npy`` header is checked against the bytes it holds
    before anything is allocated, and object arrays are refused (``pickle`` is never used), see
    :func:`ricci_lit._files.read_npz`. Raises :class:`UsageError` with a one-line reason naming the
    file on any problem.
    """
    p = Path(path)
    try:
        members = read_npz(p)
    except (UnreadableFileError, FileNotFoundError, PermissionError) as exc:
        raise UsageError(str(exc)) from None
    if not members:
        raise UsageError(f"{p}: contains no arrays")
    names = list(members)
    for nm in names:
        if not isinstance(members[nm], np.ndarray):
            raise UsageError(f"{p}: member {nm!r} is not a numpy array")
    if all(re.fullmatch(r"arr_\d+", nm) for nm in names):
        names.sort(key=lambda nm: int(nm[4:]))
    return [members[nm] for nm in names]


def strict_json(value: Any) -> Any:
    """``value`` with every non-finite float as ``None`` and numpy scalars as Python numbers."""
    if isinstance(value, dict):
        return {str(k): strict_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [strict_json(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


def print_json(value: Any) -> None:
    """Print one strict JSON document (RFC 8259: no ``NaN``/``Infinity``) on one line."""
    print(json.dumps(strict_json(value), allow_nan=False, default=str))


class StdoutError(Exception):
    """Writing to standard output failed (a closed pipe, a full disk); carries the ``OSError``."""

    def __init__(self, error: OSError) -> None:
        super().__init__(str(error))
        self.error = error


class GuardedStdout:
    """``sys.stdout`` while a command runs: an ``OSError`` from writing it becomes :class:`StdoutError`.

    So no command's own ``except OSError``/``PermissionError`` mistakes a closed pipe or a full disk
    on standard output for a problem with its files, and :func:`ricci_lit.cli.main` can end such a run cleanly.
    """

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        try:
            return self._stream.write(text)
        except OSError as exc:
            raise StdoutError(exc) from None

    def flush(self) -> None:
        try:
            self._stream.flush()
        except OSError as exc:
            raise StdoutError(exc) from None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def silence(stream: Any) -> None:
    """Point the descriptor under ``stream`` at ``/dev/null`` so the interpreter's last flush cannot fail."""
    try:
        fd = stream.fileno()
        devnull = os.open(os.devnull, os.O_WRONLY)
    except (OSError, ValueError, AttributeError):  # not a real file (e.g. captured in a test)
        return
    try:
        os.dup2(devnull, fd)
    except OSError:
        pass
    finally:
        os.close(devnull)


def format_warning(message: Warning | str, category: type[Warning], filename: str, lineno: int,
                    line: str | None = None) -> str:
    """The package's own warnings as one line ``warning: …`` (no source line); others as Python does."""
    if category.__module__.split(".")[0] == "ricci_lit":
        return "warning: " + " ".join(str(message).split()) + "\n"
    return PYTHON_FORMATWARNING(message, category, filename, lineno, line)


PYTHON_FORMATWARNING = warnings.formatwarning
