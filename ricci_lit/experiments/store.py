"""An append-only results store: Parquet chunks written atomically, with provenance.

Layout of a results directory::

    DIR/manifest.json                       profile, settings (and their hash), schema, version
    DIR/chunks/<table>--<key>.parquet       one chunk per unit of work, never rewritten
    DIR/checkpoints/<key>.pt                trained networks (resumption; not needed to analyse)
    DIR/packed/<table>--<group>.parquet     many finished chunks in one compact file (optional)

Every chunk is written to a temporary file in the same directory, flushed to disk and then
renamed over its final name (``os.replace`` is atomic on POSIX), so a sweep killed at any moment
leaves either the whole chunk or nothing; leftover temporary files are removed on the next open.
A chunk that exists is never written again, which is how a resumed sweep skips finished work
and never duplicates rows. Each chunk carries its provenance record (git SHA, package versions,
device, seeds, wall time...) in the Parquet schema metadata under ``ricci_lit.provenance``.

One small Parquet file per chunk is what makes a sweep resumable, but each carries its own footer
(schema, statistics, pandas metadata: about 14 kB of a 21 kB network chunk). :meth:`ResultsStore.pack`
therefore merges the finished chunks of a *group* (by default the part of the key before the first
``+``: one problem of a sweep) into one file, zstd-compressed, with two extra columns: ``_chunk``
(the chunk's key) and ``_provenance`` (its provenance record as JSON; dictionary-encoded, so it
costs almost nothing). A packed chunk counts as present exactly like a loose one: it is never
recomputed, never rewritten, and :func:`read_table` returns the same rows either way. Packing
writes the packed file atomically *before* it deletes the loose chunks it now holds, so a pack
killed half way leaves duplicates that readers ignore (the packed copy wins), never a loss.

A store refuses to mix results: opening a directory that holds chunks or checkpoints under a
manifest naming another profile, other settings, another schema or another package version
raises :class:`StoreMismatchError` explaining the difference. A directory with a manifest but no
results yet takes the new settings.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable

import pandas as pd

from ricci_lit.provenance import __version__, provenance

__all__ = ["SCHEMA_VERSION", "ResultsStore", "StoreMismatchError", "settings_hash", "read_provenance",
           "read_table", "iter_provenance", "default_group", "read_manifest"]

SCHEMA_VERSION = 1
_PROV_KEY = b"ricci_lit.provenance"
_CHUNK_COL = "_chunk"
_PROV_COL = "_provenance"
_KEY_RE = re.compile(r"^[A-Za-z0-9._=+-]+$")


class StoreMismatchError(ValueError):
    """The results directory holds results of a different profile, settings or code version."""


def read_manifest(root: str | Path, command: str | None = None) -> dict[str, Any]:
    """The manifest of the results directory ``root``.

    Raises ``FileNotFoundError`` naming the directory when it has none (and, with ``command``, the
    ``ricci-lit`` command that writes one).
    """
    path = Path(root) / "manifest.json"
    if not path.exists():
        raise FileNotFoundError(f"{Path(root)} is not a results directory (no manifest.json)"
                                + (f"; run `ricci-lit {command}` first" if command else ""))
    return json.loads(path.read_text())


def settings_hash(settings: dict[str, Any]) -> str:
    """A stable hash of JSON-serialisable settings (key order does not matter)."""
    blob = json.dumps(settings, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:16]


def _fsync_dir(path: Path) -> None:
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


def _atomic_replace(path: Path, write: Callable[[str], None]) -> None:
    """Create ``path`` all or nothing: ``write`` fills a temporary file in the same directory,
    which is flushed to disk and renamed over ``path`` (and removed again if anything fails)."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.pid{os.getpid()}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(tmp)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
        _fsync_dir(path.parent)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


_TMP_PID_RE = re.compile(r"\.pid(\d+)\.[^.]*\.tmp$")


def _writer_alive(tmp: Path) -> bool:
    """Whether the process named in a temporary file's name (:func:`_atomic_replace` writes its
    pid there) still runs: its file may be a write in progress, by a sweep beside this one on
    other problems, and must not be removed. A name without a pid is a leftover."""
    m = _TMP_PID_RE.search(tmp.name)
    if m is None:
        return False
    pid = int(m.group(1))
    if pid == os.getpid():
        return False  # this process is only now opening the store: none of its writes is under way
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # pragma: no cover - a live process of another user
        return True
    return True


def _atomic_write_bytes(path: Path, data: bytes) -> None:
    _atomic_replace(path, lambda tmp: Path(tmp).write_bytes(data))


def default_group(key: str) -> str:
    """The packing group of a chunk key: the part before the first ``+`` (a sweep's problem)."""
    return key.split("+", 1)[0]


def _check_part(part: str, label: str) -> None:
    if not _KEY_RE.match(part) or "--" in part:
        raise ValueError(f"invalid chunk {label} {part!r}: use letters, digits and . _ = + - (no '--')")


def _atomic_write_parquet(table: Any, path: Path, **options: Any) -> None:
    """Write a pyarrow table to ``path`` all or nothing (:func:`_atomic_replace`)."""
    import pyarrow.parquet as pq

    _atomic_replace(path, lambda tmp: pq.write_table(table, tmp, **options))


def read_provenance(path: str | os.PathLike) -> dict[str, Any]:
    """The provenance record stored in a chunk's Parquet metadata."""
    import pyarrow.parquet as pq

    meta = pq.read_schema(path).metadata or {}
    raw = meta.get(_PROV_KEY)
    return json.loads(raw) if raw else {}


@dataclass
class ResultsStore:
    """A results directory bound to one profile and its settings.

    Parameters
    ----------
    root
        The directory (created if absent).
    profile
        Name of the profile that produces the results.
    settings
        Everything that determines the numbers (problems, architectures, seeds, k grids,
        training settings, graph mode...). Stored in the manifest; a different value refuses.
    """

    root: Path
    profile: str
    settings: dict[str, Any]

    def __post_init__(self) -> None:
        self.root = Path(self.root)
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            (self.root / "chunks").mkdir(exist_ok=True)
            (self.root / "checkpoints").mkdir(exist_ok=True)
            probe = self.root / f".write-probe-{os.getpid()}"
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as exc:
            raise PermissionError(f"results directory {self.root} is not writable ({exc.strerror or exc})") from None
        for leftover in [*(self.root / "chunks").glob(".*.tmp"), *(self.root / "checkpoints").glob(".*.tmp"),
                         *(self.root / "packed").glob(".*.tmp")]:
            if not _writer_alive(leftover):  # another live process may be writing it right now
                leftover.unlink(missing_ok=True)
        self._check_manifest()

    # -- manifest ---------------------------------------------------------------------------
    @property
    def manifest_path(self) -> Path:
        return self.root / "manifest.json"

    def _manifest(self) -> dict[str, Any]:
        return {
            "schema_version": SCHEMA_VERSION,
            "ricci_lit": __version__,
            "profile": self.profile,
            "settings_hash": settings_hash(self.settings),
            "settings": self.settings,
        }

    def _check_manifest(self) -> None:
        want = self._manifest()
        if not self.manifest_path.exists():
            if self._holds_results():
                raise StoreMismatchError(
                    f"{self.root} holds result chunks but no manifest.json: refusing to mix "
                    "results of unknown origin; use an empty directory")
            rec = dict(want, created=provenance())
            _atomic_write_bytes(self.manifest_path, json.dumps(rec, indent=2, default=str).encode())
            return
        try:
            have = json.loads(self.manifest_path.read_text())
        except (OSError, json.JSONDecodeError) as exc:
            raise StoreMismatchError(f"{self.manifest_path} is unreadable ({exc}); refusing to write there") from None
        problems = []
        for key, label in (("schema_version", "store schema"), ("ricci_lit", "ricci_lit version"),
                           ("profile", "profile")):
            if have.get(key) != want[key]:
                problems.append(f"{label} {have.get(key)!r} there, {want[key]!r} here")
        if not problems and have.get("settings_hash") != want["settings_hash"]:
            old = have.get("settings", {})
            diff = sorted(k for k in set(old) | set(self.settings) if old.get(k) != self.settings.get(k))
            problems.append(f"settings differ in {', '.join(diff) or 'values'}")
        if problems and not self._holds_results():
            # nothing computed yet (e.g. a run refused before its first chunk): nothing to mix,
            # so the directory takes the new settings
            rec = dict(want, created=provenance())
            _atomic_write_bytes(self.manifest_path, json.dumps(rec, indent=2, default=str).encode())
            return
        if problems:
            raise StoreMismatchError(
                f"{self.root} holds results of a different run ({'; '.join(problems)}); refusing to mix "
                "them. Use another --out directory, or delete that one to start afresh.")

    def _holds_results(self) -> bool:
        return (any((self.root / "chunks").glob("*.parquet")) or any((self.root / "checkpoints").glob("*.pt"))
                or any((self.root / "packed").glob("*.parquet")))

    def manifest(self) -> dict[str, Any]:
        """The manifest as stored (with its creation provenance)."""
        return json.loads(self.manifest_path.read_text())

    # -- chunks -----------------------------------------------------------------------------
    def chunk_path(self, table: str, key: str) -> Path:
        _check_part(table, "table")
        _check_part(key, "key")
        return self.root / "chunks" / f"{table}--{key}.parquet"

    def has_chunk(self, table: str, key: str) -> bool:
        """Whether the chunk exists, loose or packed."""
        return self.chunk_path(table, key).exists() or key in _packed_keys(self.root, table)

    def write_chunk(self, table: str, key: str, frame: pd.DataFrame, prov: dict[str, Any]) -> Path:
        """Write one chunk atomically with its provenance. An existing chunk is an error."""
        import pyarrow as pa

        path = self.chunk_path(table, key)
        if path.exists() or key in _packed_keys(self.root, table):
            raise FileExistsError(f"chunk {path.name} already exists; chunks are never rewritten")
        reserved = {_CHUNK_COL, _PROV_COL} & set(frame.columns)
        if reserved:
            raise ValueError(f"column name(s) {sorted(reserved)} are reserved for packed chunks")
        tab = pa.Table.from_pandas(frame, preserve_index=False)
        meta = dict(tab.schema.metadata or {})
        meta[_PROV_KEY] = json.dumps(prov, default=str).encode()
        tab = tab.replace_schema_metadata(meta)
        _atomic_write_parquet(tab, path, compression="zstd")
        return path

    def chunk_keys(self, table: str) -> list[str]:
        """Keys of every chunk of ``table``, loose or packed, sorted."""
        return sorted(set(_loose_keys(self.root, table)) | _packed_keys(self.root, table))

    def pack(self, table: str, groups: Iterable[str] | None = None, *,
             group_of: Callable[[str], str] = default_group) -> list[Path]:
        """Merge the loose chunks of ``table`` into one compact file per group.

        Parameters
        ----------
        table
            The table whose chunks are packed.
        groups
            Only these groups (all groups with loose chunks when ``None``).
        group_of
            Maps a chunk key to its group (default: the key up to its first ``+``, i.e. the
            problem of a sweep's network chunk).

        Returns
        -------
        list of Path
            The packed files written (groups without loose chunks are left alone).

        Notes
        -----
        A group's packed file is rewritten with its old rows plus the new chunks (atomically),
        then the loose chunks it now holds are deleted. Run one pack at a time per store, and
        not on a group a running sweep is still writing; chunks written while a pack runs stay
        loose and are packed by the next call.
        """
        import pyarrow as pa
        import pyarrow.parquet as pq

        loose: dict[str, list[str]] = {}
        for key in _loose_keys(self.root, table):
            loose.setdefault(group_of(key), []).append(key)
        wanted = set(loose) if groups is None else set(groups) & set(loose)
        written = []
        for group in sorted(wanted):
            _check_part(group, "group")
            target = _packed_path(self.root, table, group)
            parts = []
            if target.exists():
                parts.append(pq.read_table(target))
            done = _packed_keys_of_file(target) if target.exists() else set()
            new = [k for k in sorted(loose[group]) if k not in done]
            for key in new:
                path = self.chunk_path(table, key)
                tab = pq.read_table(path)
                prov = (tab.schema.metadata or {}).get(_PROV_KEY, b"{}").decode()
                tab = tab.replace_schema_metadata({k: v for k, v in (tab.schema.metadata or {}).items()
                                                   if k != _PROV_KEY})
                tab = tab.append_column(_CHUNK_COL, pa.array([key] * tab.num_rows, pa.string()))
                tab = tab.append_column(_PROV_COL, pa.array([prov] * tab.num_rows, pa.string()))
                parts.append(tab)
            if new:
                merged = pa.concat_tables(parts, promote_options="permissive")
                target.parent.mkdir(exist_ok=True)
                _atomic_write_parquet(merged, target, compression="zstd", compression_level=9,
                                      row_group_size=1 << 20)
                written.append(target)
            for key in loose[group]:  # now held by the packed file (old or new rows)
                self.chunk_path(table, key).unlink(missing_ok=True)
            _fsync_dir(self.root / "chunks")
        return written

    def read_table(self, table: str) -> pd.DataFrame:
        """All chunks of ``table`` concatenated (empty frame when there are none)."""
        return read_table(self.root, table)

    # -- checkpoints ------------------------------------------------------------------------
    def checkpoint_path(self, key: str) -> Path:
        if not _KEY_RE.match(key):
            raise ValueError(f"invalid checkpoint key {key!r}")
        return self.root / "checkpoints" / f"{key}.pt"

    def save_checkpoint(self, key: str, obj: Any) -> Path:
        """Save a torch-serialisable object atomically."""
        import io

        import torch

        buf = io.BytesIO()
        torch.save(obj, buf)
        path = self.checkpoint_path(key)
        _atomic_write_bytes(path, buf.getvalue())
        return path

    def load_checkpoint(self, key: str) -> Any | None:
        import torch

        path = self.checkpoint_path(key)
        if not path.exists():
            return None
        return torch.load(path, map_location="cpu", weights_only=False)


def _loose_keys(root: Path, table: str) -> list[str]:
    prefix = f"{table}--"
    return sorted(p.name[len(prefix):-len(".parquet")] for p in (Path(root) / "chunks").glob(f"{prefix}*.parquet"))


def _packed_path(root: Path, table: str, group: str) -> Path:
    return Path(root) / "packed" / f"{table}--{group}.parquet"


def _packed_files(root: Path, table: str) -> list[Path]:
    return sorted((Path(root) / "packed").glob(f"{table}--*.parquet"))


def _packed_keys_of_file(path: Path) -> set[str]:
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    col = pq.read_table(path, columns=[_CHUNK_COL]).column(_CHUNK_COL)
    return set(pc.unique(col).to_pylist())


def _packed_keys(root: Path, table: str) -> set[str]:
    keys: set[str] = set()
    for path in _packed_files(root, table):
        keys |= _packed_keys_of_file(path)
    return keys


def read_table(root: str | os.PathLike, table: str) -> pd.DataFrame:
    """Every chunk of ``table`` in a results directory, packed and loose, concatenated (no
    manifest check). A loose chunk also present in a packed file (a pack interrupted before it
    deleted it) is read once, from the packed file."""
    import pyarrow.parquet as pq

    frames = []
    packed: set[str] = set()
    for path in _packed_files(Path(root), table):
        names = [n for n in pq.read_schema(path).names if n != _PROV_COL]
        frame = pd.read_parquet(path, columns=names)
        packed |= set(frame[_CHUNK_COL].unique())
        frames.append(frame.drop(columns=[_CHUNK_COL]))
    prefix = f"{table}--"
    for path in sorted((Path(root) / "chunks").glob(f"{prefix}*.parquet")):
        if path.name[len(prefix):-len(".parquet")] not in packed:
            frames.append(pd.read_parquet(path))
    if not frames:
        return pd.DataFrame()
    return pd.concat(frames, ignore_index=True)


def iter_provenance(root: str | os.PathLike, table: str) -> Iterable[tuple[str, dict[str, Any]]]:
    """``(chunk name, provenance)`` for every chunk of ``table``, packed or loose, in key order
    (a packed chunk is named as its loose file would be)."""
    import pyarrow.parquet as pq

    found: dict[str, dict[str, Any]] = {}
    for path in _packed_files(Path(root), table):
        tab = pq.read_table(path, columns=[_CHUNK_COL, _PROV_COL]).to_pandas()
        for key, raw in tab.drop_duplicates(_CHUNK_COL).itertuples(index=False):
            found[f"{table}--{key}.parquet"] = json.loads(raw) if raw else {}
    for p in sorted((Path(root) / "chunks").glob(f"{table}--*.parquet")):
        found.setdefault(p.name, read_provenance(p))
    for name in sorted(found):
        yield name, found[name]
