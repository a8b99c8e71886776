"""An append-only results store: Parquet chunks written atomically, with provenance.

Layout of a results directory::

    DIR/manifest.json                       profile, settings (and their hash), schema, version
    DIR/chunks/<table>--<key>.parquet       one chunk per unit of work, never rewritten
    DIR/checkpoints/<key>.pt                trained networks (resumption; not needed to analyse)
    DIR/packed/<table>--<group>.parquet     many finished chunks in one compact file (optional)
    DIR/quarantine/                         unreadable or invalid files moved aside (never deleted)

Every file is written to a temporary file in its directory (named after the writing process,
created with the process umask), flushed to disk and then published in one step, so a process
killed at any moment leaves either the whole file or nothing; a dead writer's temporary files are
removed on the next open, a live writer's are left alone. A chunk is published with
``os.link``, which never replaces: a chunk that exists is never written again, which is how a
resumed sweep skips finished work and never duplicates rows, and of two processes computing the
same chunk at the same time exactly one wins (the other's copy is discarded, and
:meth:`ResultsStore.write_chunk` raises :class:`FileExistsError` unless ``exist_ok``). Each chunk
carries its provenance record (git SHA, package versions, device, seeds, wall time...) in the
Parquet schema metadata under ``ricci_lit.provenance``.

One small Parquet file per chunk is what makes a sweep resumable, but each carries its own footer
(schema, statistics, pandas metadata: about 14 kB of a 21 kB network chunk). :meth:`ResultsStore.pack`
therefore merges the finished chunks of a *group* (by default the part of the key before the first
``+``: one problem of a sweep) into one file, zstd-compressed, with two extra columns: ``_chunk``
(the chunk's key) and ``_provenance`` (its provenance record as JSON; dictionary-encoded, so it
costs almost nothing). A packed chunk counts as present exactly like a loose one: it is never
recomputed, never rewritten, and :func:`~ricci_lit.experiments._chunks.read_table` returns the same rows either way. Packing
writes the packed file atomically *before* it deletes the loose chunks it now holds, so a pack
killed half way leaves duplicates that readers ignore (the packed copy wins), never a loss.

A store refuses to mix results. Its settings are locked when it is created: the manifest is
created exclusively, under a lock on the directory, so of two processes opening an empty
directory together the second sees the first's manifest. Opening a directory that holds chunks
or checkpoints under a manifest naming another profile, other settings, another schema or
another package version raises :class:`StoreMismatchError` explaining the difference. A
directory with a manifest but no results yet takes the new settings, unless another live process
has it open (then it is refused too: that process is about to write). A manifest that is not a
JSON object with a profile and settings is refused (:class:`ManifestError`), naming the file.

Every chunk read is checked against its table's schema (:mod:`ricci_lit.experiments.schema`):
required columns and their types, no NaN where a number is required. :func:`~ricci_lit.experiments._chunks.read_table` on a
store holding a bad chunk raises :class:`~ricci_lit.experiments._chunks.CorruptChunkError` naming the file and the command that
repairs it; a writer (the first time it lists a table's finished chunks, i.e. on resume) moves a
bad chunk or packed file into ``quarantine/`` with a :class:`~ricci_lit.experiments._chunks.CorruptChunkWarning`, so its work is
done again. A checkpoint that cannot be loaded is quarantined the same way (and retrained).
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import threading
import warnings
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable

import pandas as pd

from ricci_lit._files import NotRegularFileError, UnreadableFileError, open_regular, require_regular_file
from ricci_lit.experiments._atomic import TMP_PID_RE, create_temp, fsync_dir, locked, write_atomic, writer_alive
from ricci_lit.experiments._chunks import (
    CHUNK_COL,
    PROV_COL,
    PROV_KEY,
    CorruptChunkError,
    CorruptChunkWarning,
    StoreError,
    guard,
    iter_provenance,
    loose_files,
    loose_keys,
    packed_files,
    packed_keys,
    packed_keys_of_file,
    packed_path,
    quarantine,
    read_checked,
    read_provenance,
    read_table,
)
from ricci_lit.experiments.schema import TableSchema, schema_for
from ricci_lit.provenance import __version__, provenance

__all__ = ["SCHEMA_VERSION", "ResultsStore", "StoreError", "StoreMismatchError", "ManifestError",
           "CorruptChunkError", "CorruptChunkWarning", "settings_hash", "read_provenance", "read_table",
           "iter_provenance", "default_group", "read_manifest", "atomic_write_bytes"]

SCHEMA_VERSION = 1
_KEY_RE = re.compile(r"^[A-Za-z0-9._=+-]+$")
_MANIFEST_MAX_BYTES = 16 << 20
_WRITER_STEM = "writer"


class StoreMismatchError(StoreError):
    """The results directory holds results of a different profile, settings or code version."""


class ManifestError(StoreMismatchError):
    """A results directory's ``manifest.json`` is unreadable or not a valid manifest."""


# -- manifest -----------------------------------------------------------------------------------
def _load_manifest(path: Path) -> dict[str, Any]:
    """The manifest at ``path``, checked: a JSON object with a string profile and a settings object."""
    def bad(why: str) -> ManifestError:
        return ManifestError(f"{path} is unreadable ({why}); repair or remove it, or use another directory")

    try:
        with open_regular(path, "rb", what="a manifest (a JSON file)") as fh:
            raw = fh.read(_MANIFEST_MAX_BYTES + 1)
    except (NotRegularFileError, UnreadableFileError) as exc:
        raise bad(str(exc).split(": ", 1)[-1]) from None
    if len(raw) > _MANIFEST_MAX_BYTES:
        raise bad(f"over {_MANIFEST_MAX_BYTES >> 20} MiB: not a manifest")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise bad(f"not UTF-8 text: invalid byte at offset {exc.start}") from None
    try:
        man = json.loads(text)
    except json.JSONDecodeError as exc:
        raise bad(f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except RecursionError:
        raise bad("not valid JSON: nested too deeply") from None
    if not isinstance(man, dict):
        raise bad(f"JSON {_json_kind(man)}, not an object")
    missing = [k for k in ("profile", "settings") if k not in man]
    if missing:
        raise bad(f"{'an empty object' if not man else 'an object'} without {' and '.join(missing)}")
    if not isinstance(man["profile"], str):
        raise bad(f"profile is JSON {_json_kind(man['profile'])}, not a string")
    if not isinstance(man["settings"], dict):
        raise bad(f"settings is JSON {_json_kind(man['settings'])}, not an object")
    return man


def _json_kind(value: Any) -> str:
    if value is None:
        return "null"
    return {bool: "true/false", int: "number", float: "number", str: "string", list: "array",
            dict: "object"}.get(type(value), type(value).__name__)


def read_manifest(root: str | Path, command: str | None = None) -> dict[str, Any]:
    """The manifest of the results directory ``root``.

    Raises ``FileNotFoundError`` naming the directory when it has none (and, with ``command``, the
    ``ricci-lit`` command that writes one), and :class:`ManifestError` (a ``ValueError``) naming
    the file when it is not a regular file, not UTF-8 JSON, or not an object with a profile and
    settings.
    """
    path = Path(root) / "manifest.json"
    if not os.path.lexists(path):
        raise FileNotFoundError(f"{Path(root)} is not a results directory (no manifest.json)"
                                + (f"; run `ricci-lit {command}` first" if command else ""))
    return _load_manifest(path)


def settings_hash(settings: dict[str, Any]) -> str:
    """A stable hash of JSON-serialisable settings (key order does not matter)."""
    blob = json.dumps(settings, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:16]


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` all or nothing, replacing it (temporary file, fsync, rename).

    The file gets the process umask's mode; a kill leaves the old file or the new one, never a part.
    """
    write_atomic(Path(path), lambda tmp: Path(tmp).write_bytes(data), replace=True)


def default_group(key: str) -> str:
    """The packing group of a chunk key: the part before the first ``+`` (a sweep's problem)."""
    return key.split("+", 1)[0]


def _check_part(part: str, label: str) -> None:
    if not _KEY_RE.match(part) or "--" in part:
        raise ValueError(f"invalid chunk {label} {part!r}: use letters, digits and . _ = + - (no '--')")


def _write_parquet(table: Any, path: Path, *, replace: bool, **options: Any) -> bool:
    """Write a pyarrow table to ``path`` all or nothing (:func:`ricci_lit.experiments._atomic.write_atomic`)."""
    import pyarrow.parquet as pq

    return write_atomic(path, lambda tmp: pq.write_table(table, tmp, **options), replace=replace)

# -- this process's open stores: a marker file per directory names it as a live writer ------------
_HELD: dict[str, list[Any]] = {}  # realpath → [marker path, number of open ResultsStore objects, pid]
_HELD_LOCK = threading.Lock()


def _hold(root: Path) -> str:
    key = os.path.realpath(root)
    with _HELD_LOCK:
        entry = _HELD.get(key)
        if entry is not None and entry[2] == os.getpid() and entry[0].exists():
            entry[1] += 1
        else:  # first open here (or in a forked child: the parent's marker is not ours)
            _HELD[key] = [create_temp(root / _WRITER_STEM, stem=_WRITER_STEM), 1, os.getpid()]
    return key


def _release(key: str) -> None:
    with _HELD_LOCK:
        entry = _HELD.get(key)
        if entry is None or entry[2] != os.getpid():
            return
        entry[1] -= 1
        if entry[1] <= 0:
            entry[0].unlink(missing_ok=True)
            del _HELD[key]


def _own_marker(root: Path) -> Path | None:
    entry = _HELD.get(os.path.realpath(root))
    return entry[0] if entry is not None and entry[2] == os.getpid() else None


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
        self._verified: set[str] = set()
        with locked(self.root):
            held = _hold(self.root)
            self._release = weakref.finalize(self, _release, held)
            try:
                self._remove_leftovers()
                self._check_manifest()
            except BaseException:
                self._release()
                raise

    def _temp_files(self) -> list[Path]:
        return [p for d in (self.root, self.root / "chunks", self.root / "checkpoints", self.root / "packed")
                for p in d.glob(".*.tmp")]

    def _remove_leftovers(self) -> None:
        mine = _own_marker(self.root)
        for leftover in self._temp_files():
            if not writer_alive(leftover, mine=leftover == mine):  # a live process may be writing it
                leftover.unlink(missing_ok=True)

    def _other_writers(self) -> list[int]:
        """Pids of other live processes with a temporary file or writer marker in this store."""
        pids = set()
        for p in self._temp_files():
            m = TMP_PID_RE.search(p.name)
            if m and int(m.group(1)) != os.getpid() and writer_alive(p):
                pids.add(int(m.group(1)))
        return sorted(pids)

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

    def _write_manifest(self, want: dict[str, Any], *, replace: bool) -> bool:
        blob = json.dumps(dict(want, created=provenance()), indent=2, default=str).encode()
        return write_atomic(self.manifest_path, lambda tmp: Path(tmp).write_bytes(blob), replace=replace)

    def _check_manifest(self) -> None:
        """Create the manifest (exclusively) or check it; called under the directory lock."""
        want = self._manifest()
        if not os.path.lexists(self.manifest_path):
            if self._holds_results():
                raise StoreMismatchError(
                    f"{self.root} holds result chunks but no manifest.json: refusing to mix "
                    "results of unknown origin; use an empty directory")
            if self._write_manifest(want, replace=False):
                return
            # another process created it between the check and the link (no lock here): check it
        have = _load_manifest(self.manifest_path)
        problems = []
        for key, label in (("schema_version", "store schema"), ("ricci_lit", "ricci_lit version"),
                           ("profile", "profile")):
            if have.get(key) != want[key]:
                problems.append(f"{label} {have.get(key)!r} there, {want[key]!r} here")
        if not problems and have.get("settings_hash") != want["settings_hash"]:
            old = have["settings"]
            diff = sorted(k for k in set(old) | set(self.settings) if old.get(k) != self.settings.get(k))
            problems.append(f"settings differ in {', '.join(diff) or 'values'}")
        if not problems:
            return
        if not self._holds_results():
            others = self._other_writers()
            if others:
                raise StoreMismatchError(
                    f"{self.root} is open in another running process (pid {', '.join(map(str, others))}) "
                    f"with other settings ({'; '.join(problems)}); refusing to mix them. Use another --out "
                    "directory, or wait until that process ends.")
            # nothing computed yet and nobody writing (e.g. a run refused before its first
            # chunk): nothing to mix, so the directory takes the new settings
            self._write_manifest(want, replace=True)
            return
        raise StoreMismatchError(
            f"{self.root} holds results of a different run ({'; '.join(problems)}); refusing to mix "
            "them. Use another --out directory, or delete that one to start afresh.")

    def _holds_results(self) -> bool:
        return (any((self.root / "chunks").glob("*.parquet")) or any((self.root / "checkpoints").glob("*.pt"))
                or any((self.root / "packed").glob("*.parquet")))

    def manifest(self) -> dict[str, Any]:
        """The manifest as stored (with its creation provenance)."""
        return _load_manifest(self.manifest_path)

    # -- chunks -----------------------------------------------------------------------------
    def chunk_path(self, table: str, key: str) -> Path:
        _check_part(table, "table")
        _check_part(key, "key")
        return self.root / "chunks" / f"{table}--{key}.parquet"

    def has_chunk(self, table: str, key: str) -> bool:
        """Whether the chunk exists, loose or packed (bad files of ``table`` are first quarantined,
        see :meth:`repair`)."""
        path = self.chunk_path(table, key)
        self._ensure_verified(table)
        return path.exists() or key in packed_keys(self.root, table)

    def write_chunk(self, table: str, key: str, frame: pd.DataFrame, prov: dict[str, Any], *,
                    exist_ok: bool = False) -> Path:
        """Write one chunk atomically with its provenance; an existing chunk is never replaced.

        When the chunk exists (loose or packed), also when another process publishes it while
        this one writes, this call's copy is discarded and :class:`FileExistsError` is raised,
        or, with ``exist_ok``, the existing chunk's path is returned (the unit is done either way).
        A frame that does not fit the table's registered schema raises ``ValueError``.
        """
        import pyarrow as pa

        path = self.chunk_path(table, key)
        self._ensure_verified(table)

        def exists() -> Path:
            if exist_ok:
                return path
            raise FileExistsError(f"chunk {path.name} already exists; chunks are never rewritten")

        if path.exists() or key in packed_keys(self.root, table):
            return exists()
        reserved = {CHUNK_COL, PROV_COL} & set(frame.columns)
        if reserved:
            raise ValueError(f"column name(s) {sorted(reserved)} are reserved for packed chunks")
        tab = pa.Table.from_pandas(frame, preserve_index=False)
        schema = schema_for(table)
        why = schema is not None and (schema.schema_problem(tab.schema) or schema.value_problem(tab))
        if why:  # refused now rather than quarantined on the next resume, again and again
            raise ValueError(f"chunk {path.name} does not fit the schema of table {table!r}: {why}")
        meta = dict(tab.schema.metadata or {})
        meta[PROV_KEY] = json.dumps(prov, default=str).encode()
        tab = tab.replace_schema_metadata(meta)
        if not _write_parquet(tab, path, replace=False, compression="zstd"):
            return exists()
        return path

    def chunk_keys(self, table: str) -> list[str]:
        """Keys of every chunk of ``table``, loose or packed, sorted (bad files first quarantined)."""
        self._ensure_verified(table)
        return sorted(set(loose_keys(self.root, table)) | packed_keys(self.root, table))

    def _ensure_verified(self, table: str) -> None:
        if table not in self._verified:
            self.repair(table)

    def repair(self, table: str, schema: TableSchema | None = None) -> list[Path]:
        """Move every unreadable or invalid chunk and packed file of ``table`` into ``quarantine/``.

        Each file is read whole and checked against ``schema`` (default: the table's registered
        schema, :func:`ricci_lit.experiments.schema.schema_for`). A bad file is renamed to
        ``quarantine/<UTC time>-<pid>--<folder>--<name>`` (never deleted) with a
        :class:`~ricci_lit.experiments._chunks.CorruptChunkWarning` naming it, so the chunks it held count as not done. Called
        once per table and store object by :meth:`has_chunk`, :meth:`chunk_keys`,
        :meth:`write_chunk` and :meth:`pack`. Returns the quarantined files' new paths.
        """
        schema = schema if schema is not None else schema_for(table)
        moved = []
        for path, packed in [*((p, True) for p in packed_files(self.root, table)),
                             *((p, False) for p in loose_files(self.root, table))]:
            try:
                read_checked(path, table, schema, packed=packed)
            except FileNotFoundError:
                continue  # packed or quarantined meanwhile by another process
            except CorruptChunkError as exc:
                dest = quarantine(self.root, path)
                if dest is not None:
                    warnings.warn(f"{path} is not a valid {'packed file' if packed else 'chunk'} of table "
                                  f"{table!r} ({exc.reason}); moved it to {dest}, its work is done again",
                                  CorruptChunkWarning, stacklevel=3)
                    moved.append(dest)
        self._verified.add(table)
        return moved

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
        list of pathlib.Path
            The packed files written (groups without loose chunks are left alone).

        Notes
        -----
        A group's packed file is rewritten with its old rows plus the new chunks (atomically),
        then the loose chunks it now holds are deleted. Bad chunks are quarantined first
        (:meth:`repair`). Run one pack at a time per store, and not on a group a running sweep is
        still writing; chunks written while a pack runs stay loose and are packed by the next call.
        """
        import pyarrow as pa
        import pyarrow.parquet as pq

        self._ensure_verified(table)
        loose: dict[str, list[str]] = {}
        for key in loose_keys(self.root, table):
            loose.setdefault(group_of(key), []).append(key)
        wanted = set(loose) if groups is None else set(groups) & set(loose)
        written = []
        for group in sorted(wanted):
            _check_part(group, "group")
            target = packed_path(self.root, table, group)
            parts = []
            if target.exists():
                parts.append(guard(target, table, pq.read_table, target))
            done = packed_keys_of_file(target, table) if target.exists() else set()
            new = [k for k in sorted(loose[group]) if k not in done]
            for key in new:
                path = self.chunk_path(table, key)
                tab = guard(path, table, pq.read_table, path)
                prov = (tab.schema.metadata or {}).get(PROV_KEY, b"{}").decode()
                tab = tab.replace_schema_metadata({k: v for k, v in (tab.schema.metadata or {}).items()
                                                   if k != PROV_KEY})
                tab = tab.append_column(CHUNK_COL, pa.array([key] * tab.num_rows, pa.string()))
                tab = tab.append_column(PROV_COL, pa.array([prov] * tab.num_rows, pa.string()))
                parts.append(tab)
            if new:
                merged = pa.concat_tables(parts, promote_options="permissive")
                target.parent.mkdir(exist_ok=True)
                _write_parquet(merged, target, replace=True, compression="zstd", compression_level=9,
                               row_group_size=1 << 20)
                written.append(target)
            for key in loose[group]:  # now held by the packed file (old or new rows)
                self.chunk_path(table, key).unlink(missing_ok=True)
            fsync_dir(self.root / "chunks")
        return written

    def read_table(self, table: str, schema: TableSchema | None = None) -> pd.DataFrame:
        """All chunks of ``table`` concatenated (empty frame when there are none); see :func:`~ricci_lit.experiments._chunks.read_table`."""
        return read_table(self.root, table, schema)

    # -- checkpoints ------------------------------------------------------------------------
    def checkpoint_path(self, key: str) -> Path:
        if not _KEY_RE.match(key):
            raise ValueError(f"invalid checkpoint key {key!r}")
        return self.root / "checkpoints" / f"{key}.pt"

    def save_checkpoint(self, key: str, obj: Any) -> Path:
        """Save a torch-serialisable object atomically (replacing the key's older checkpoint)."""
        import io

        import torch

        buf = io.BytesIO()
        torch.save(obj, buf)
        path = self.checkpoint_path(key)
        atomic_write_bytes(path, buf.getvalue())
        return path

    def load_checkpoint(self, key: str) -> Any | None:
        """The checkpoint of ``key``, or ``None`` when there is none.

        Read safely (:func:`ricci_lit.networks.checkpoint.read_checkpoint`: ``weights_only=True``,
        tensors and plain data only, nothing in the file is run). A checkpoint that cannot be
        loaded (truncated, corrupt, not a regular file, or holding other objects) is moved into
        ``quarantine/`` with a :class:`~ricci_lit.experiments._chunks.CorruptChunkWarning` naming it, and ``None`` is returned:
        its networks are trained again. A permission problem raises ``PermissionError``.
        """
        from ricci_lit.networks.checkpoint import read_checkpoint

        path = self.checkpoint_path(key)
        if not os.path.lexists(path):
            return None
        try:
            require_regular_file(path, "a checkpoint")
            with open_regular(path, "rb", what="a checkpoint"):
                pass  # readable: a permission problem is not corruption
            return read_checkpoint(path)
        except (NotRegularFileError, UnreadableFileError, ValueError) as exc:
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        dest = quarantine(self.root, path)
        if dest is not None:
            warnings.warn(f"{path} is not a loadable checkpoint ({reason}); moved it to {dest}, "
                          "its networks are trained again", CorruptChunkWarning, stacklevel=2)
        return None
