"""Files written all or nothing, named after their writer, with the process umask (the store's file layer).

Private to :mod:`ricci_lit.experiments.store` (its names are public here so the store can share
them; other modules use the store's :func:`~ricci_lit.experiments.store.atomic_write_bytes`).

- :func:`write_atomic` fills a temporary file in the target's directory, flushes it to disk and
  then either renames it over the target (``replace=True``: manifests being retaken, checkpoints,
  packed files) or *links* it to the target name, which fails if that name exists
  (``replace=False``: chunks and a new manifest; ``os.link`` is atomic and never replaces, so of
  two processes publishing the same chunk exactly one wins and the other's copy is discarded).
- Temporary files are created with mode ``0o666`` filtered by the process umask (as ``open``
  would), not ``tempfile``'s ``0o600``, so a shared store stays readable by its group.
- Their names carry the writer's pid (``.<name>.pid<pid>.<random>.tmp``): a leftover of a dead
  process is removed on the next open, a live writer's file is left alone (:func:`writer_alive`).
- :func:`locked` holds an exclusive ``flock`` on a directory while a store checks and writes its
  manifest, so two processes opening one store at the same moment are serialised.
"""
from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets
from pathlib import Path
from typing import Callable, Iterator

__all__ = ["TMP_PID_RE", "create_temp", "fsync_dir", "write_atomic", "writer_alive", "locked"]

#: A temporary file's name with its writer's pid.
TMP_PID_RE = re.compile(r"\.pid(\d+)\.[^.]*\.tmp$")

#: ``os.link`` errors that mean "this file system has no hard links" (then check-and-rename is used).
_NO_LINKS = {errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EMLINK, errno.ENOSYS, errno.EXDEV}


def create_temp(path: Path, stem: str | None = None) -> Path:
    """Create an empty temporary file beside ``path`` (mode ``0o666`` & ~umask), named after this process."""
    name = stem if stem is not None else path.name
    for _ in range(64):
        tmp = path.parent / f".{name}.pid{os.getpid()}.{secrets.token_hex(6)}.tmp"
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o666)
        except FileExistsError:  # pragma: no cover - 48 random bits collided
            continue
        os.close(fd)
        return tmp
    raise FileExistsError(f"could not create a temporary file beside {path}")  # pragma: no cover


def fsync_dir(path: Path) -> None:
    """Flush a directory's entries to disk (where the platform allows)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory fds
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


def _publish_no_replace(tmp: Path, path: Path) -> bool:
    try:
        os.link(tmp, path)
    except FileExistsError:
        return False
    except OSError as exc:
        if exc.errno not in _NO_LINKS:
            raise
        if path.exists():  # pragma: no cover - file systems without hard links: best effort
            return False
        os.replace(tmp, path)  # pragma: no cover
    return True


def write_atomic(path: Path, write: Callable[[str], None], *, replace: bool) -> bool:
    """Create ``path`` all or nothing from what ``write`` puts in a temporary file.

    Returns ``True`` when ``path`` now holds this call's bytes, ``False`` when ``replace`` is false
    and ``path`` already existed (this call's copy is discarded). The temporary file is removed
    in every case, also when ``write`` raises or the call is interrupted (a kill leaves it, named
    after its dead writer, for the next open to remove).
    """
    tmp = create_temp(path)
    try:
        write(str(tmp))
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        if replace:
            os.replace(tmp, path)
            created = True
        else:
            created = _publish_no_replace(tmp, path)
        if created:
            fsync_dir(path.parent)
        return created
    finally:
        tmp.unlink(missing_ok=True)


def writer_alive(tmp: Path, mine: bool = False) -> bool:
    """Whether the process named in a temporary file's name still runs.

    A name without a pid is a leftover. This process's own files count as alive only with
    ``mine`` (a store being opened has no write of its own under way, but its live writer
    markers must stay).
    """
    m = TMP_PID_RE.search(tmp.name)
    if m is None:
        return False
    pid = int(m.group(1))
    if pid == os.getpid():
        return mine
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # pragma: no cover - a live process of another user
        return True
    except OverflowError:  # a pid no process can have
        return False
    return True


@contextlib.contextmanager
def locked(directory: Path) -> Iterator[None]:
    """Hold an exclusive advisory lock on ``directory`` (a no-op where ``flock`` is unavailable)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        yield
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
        except OSError:  # pragma: no cover - a file system without locks: exclusive creation still holds
            pass
        yield
    finally:
        os.close(fd)
