"""Reading a results store's chunks and packed files, checked against their table's schema (the store's read layer).

Private to :mod:`ricci_lit.experiments.store`, which re-exports the public readers
(:func:`read_table`, :func:`iter_provenance`, :func:`read_provenance`) and errors; the other
names are public here so the store can share them.

Every file is checked before its rows are used (:func:`read_checked`): a regular file (a FIFO
never blocks), readable Parquet, the table's required columns with their types, no NaN where the
schema forbids it (:mod:`ricci_lit.experiments.schema`). A reader gets a
:class:`CorruptChunkError` naming the file and the command that repairs the store; a writer
moves the file into ``quarantine/`` (:func:`quarantine`, never a deletion).
"""
from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any, Callable, Iterable

import pandas as pd

from ricci_lit._files import NotRegularFileError, UnreadableFileError, require_regular_file
from ricci_lit.experiments._atomic import fsync_dir
from ricci_lit.experiments.schema import TableSchema, schema_for

__all__ = ["StoreError", "CorruptChunkError", "CorruptChunkWarning", "read_table", "iter_provenance",
           "read_provenance", "PROV_KEY", "CHUNK_COL", "PROV_COL", "loose_files", "loose_keys", "packed_path",
           "packed_files", "packed_keys", "packed_keys_of_file", "read_checked", "guard", "quarantine"]

#: Parquet schema-metadata key of a chunk's provenance record.
PROV_KEY = b"ricci_lit.provenance"
#: Columns a packed file adds: the chunk's key and its provenance (JSON).
CHUNK_COL = "_chunk"
PROV_COL = "_provenance"


class StoreError(ValueError):
    """A results directory cannot be used as asked (base of the store's errors)."""


class CorruptChunkError(StoreError):
    """A chunk or packed file of a results directory is unreadable or does not fit its table's schema.

    ``path`` is the file and ``reason`` what is wrong with it.
    """

    def __init__(self, message: str, path: Path, reason: str) -> None:
        super().__init__(message)
        self.path = path
        self.reason = reason


class CorruptChunkWarning(UserWarning):
    """A bad chunk, packed file or checkpoint was moved into the store's ``quarantine/``."""


def read_provenance(path: str | os.PathLike) -> dict[str, Any]:
    """The provenance record stored in a chunk's Parquet metadata."""
    import pyarrow.parquet as pq

    meta = pq.read_schema(path).metadata or {}
    raw = meta.get(PROV_KEY)
    return json.loads(raw) if raw else {}


def loose_files(root: Path, table: str) -> list[Path]:
    return sorted((Path(root) / "chunks").glob(f"{table}--*.parquet"))


def loose_keys(root: Path, table: str) -> list[str]:
    prefix = f"{table}--"
    return [p.name[len(prefix):-len(".parquet")] for p in loose_files(root, table)]


def packed_path(root: Path, table: str, group: str) -> Path:
    return Path(root) / "packed" / f"{table}--{group}.parquet"


def packed_files(root: Path, table: str) -> list[Path]:
    return sorted((Path(root) / "packed").glob(f"{table}--*.parquet"))


def repair_hint(root: Path, table: str) -> str:
    schema = schema_for(table)
    cmd = schema.command if schema is not None and schema.command else "the ricci-lit command that wrote it"
    return (f"run `{cmd} --out {root}` again (with the options that wrote it): it moves the bad file into "
            f"{root / 'quarantine'} and computes its results again")


def corrupt(path: Path, table: str, reason: str) -> CorruptChunkError:
    root = path.parent.parent
    return CorruptChunkError(f"{path} is not a valid chunk of table {table!r} ({reason}); "
                             f"{repair_hint(root, table)}", path, reason)


def guard(path: Path, table: str, read: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """``read(*args, **kwargs)``, with a parse failure of ``path`` turned into :class:`CorruptChunkError`."""
    import pyarrow as pa

    try:
        return read(*args, **kwargs)
    except (FileNotFoundError, PermissionError):
        raise
    except (pa.ArrowException, OSError, ValueError, EOFError) as exc:
        if isinstance(exc, CorruptChunkError):
            raise
        msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise corrupt(path, table, f"unreadable Parquet: {msg}") from None


def read_checked(path: Path, table: str, schema: TableSchema | None, *, packed: bool,
                  columns: list[str] | None = None, frame: bool = False) -> Any:
    """Read a chunk or packed file (Arrow table, or pandas frame with ``frame``), checked.

    Raises :class:`CorruptChunkError` when it is not a regular file, not readable Parquet, lacks
    a required column or has the wrong type, or holds NaN where the schema forbids it.
    """
    import pyarrow.parquet as pq

    try:
        require_regular_file(path, "a Parquet chunk")
    except (NotRegularFileError, UnreadableFileError) as exc:
        raise corrupt(path, table, str(exc).split(": ", 1)[-1]) from None
    arrow_schema = guard(path, table, pq.read_schema, path)
    if packed and CHUNK_COL not in arrow_schema.names:
        raise corrupt(path, table, f"a packed file without its {CHUNK_COL} column")
    if schema is not None:
        why = schema.schema_problem(arrow_schema)
        if why:
            raise corrupt(path, table, why)
    if frame:
        data = guard(path, table, pd.read_parquet, path, columns=columns)
    else:
        data = guard(path, table, pq.read_table, path, columns=columns)
    if schema is not None:
        why = schema.value_problem(data)
        if why:
            raise corrupt(path, table, why)
    return data


def quarantine(root: Path, path: Path) -> Path | None:
    """Move ``path`` into ``root/quarantine`` (never delete); ``None`` if it is gone already."""
    qdir = Path(root) / "quarantine"
    qdir.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    dest = qdir / f"{stamp}-{os.getpid()}--{path.parent.name}--{path.name}"
    n = 1
    while os.path.lexists(dest):
        dest = qdir / f"{stamp}-{os.getpid()}-{n}--{path.parent.name}--{path.name}"
        n += 1
    try:
        os.rename(path, dest)
    except FileNotFoundError:
        return None
    fsync_dir(path.parent)
    return dest


def packed_keys_of_file(path: Path, table: str) -> set[str]:
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    tab = guard(path, table, pq.read_table, path, columns=[CHUNK_COL])
    return set(pc.unique(tab.column(CHUNK_COL)).to_pylist())


def packed_keys(root: Path, table: str) -> set[str]:
    keys: set[str] = set()
    for path in packed_files(root, table):
        try:
            keys |= packed_keys_of_file(path, table)
        except FileNotFoundError:  # replaced or quarantined meanwhile
            continue
    return keys


def read_table(root: str | os.PathLike, table: str, schema: TableSchema | None = None) -> pd.DataFrame:
    """Every chunk of ``table`` in a results directory, packed and loose, concatenated.

    No manifest check. A loose chunk also present in a packed file (a pack interrupted before it
    deleted it) is read once, from the packed file. Every file is checked against ``schema``
    (default: the table's registered schema, :mod:`ricci_lit.experiments.schema`; a table with
    none is only checked for being readable Parquet).

    Raises
    ------
    CorruptChunkError
        A file is unreadable or does not fit the schema; the message names the file and the
        command that repairs the store (it quarantines the file and recomputes its results).
    """
    root = Path(root)
    schema = schema if schema is not None else schema_for(table)
    frames = []
    packed: set[str] = set()
    for path in packed_files(root, table):
        import pyarrow.parquet as pq

        names = [n for n in guard(path, table, pq.read_schema, path).names if n != PROV_COL]
        frame = read_checked(path, table, schema, packed=True, columns=names, frame=True)
        packed |= set(frame[CHUNK_COL].unique())
        frames.append(frame.drop(columns=[CHUNK_COL]))
    prefix = f"{table}--"
    for path in loose_files(root, table):
        if path.name[len(prefix):-len(".parquet")] not in packed:
            frames.append(read_checked(path, table, schema, packed=False, frame=True))
    if not frames:
        return pd.DataFrame()
    return pd.concat(frames, ignore_index=True)


def iter_provenance(root: str | os.PathLike, table: str) -> Iterable[tuple[str, dict[str, Any]]]:
    """``(chunk name, provenance)`` for every chunk of ``table``, packed or loose, in key order
    (a packed chunk is named as its loose file would be)."""
    import pyarrow.parquet as pq

    found: dict[str, dict[str, Any]] = {}
    for path in packed_files(Path(root), table):
        tab = guard(path, table, pq.read_table, path, columns=[CHUNK_COL, PROV_COL]).to_pandas()
        for key, raw in tab.drop_duplicates(CHUNK_COL).itertuples(index=False):
            found[f"{table}--{key}.parquet"] = json.loads(raw) if raw else {}
    for p in loose_files(Path(root), table):
        found.setdefault(p.name, guard(p, table, read_provenance, p))
    for name in sorted(found):
        yield name, found[name]
