"""The results store (:mod:`ricci_lit.experiments.store`): atomic chunks, no rewrites, provenance, refusal to mix,
settings locked at creation under concurrency, corrupt files detected and quarantined, umask modes.

A chunk is all or nothing: a write that fails (in-process exception, or the process killed in the
middle of ``pyarrow.parquet.write_table``) leaves no chunk, and its temporary file is gone after
the directory is opened again. A directory holding results of another profile, other settings,
another schema or another package version is refused with a message naming the difference, and
its files are left byte for byte as they were. Two processes opening one store at the same moment
(started behind a barrier, many times) never mix settings and never replace each other's chunk.
"""
from __future__ import annotations

import json
import multiprocessing
import os
import re
import stat
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import ricci_lit.experiments.store as store_mod
from ricci_lit.experiments.schema import TABLE_SCHEMAS, TableSchema, register_schema, schema_for
from ricci_lit.experiments.store import (
    CorruptChunkError,
    CorruptChunkWarning,
    ManifestError,
    ResultsStore,
    StoreMismatchError,
    atomic_write_bytes,
    iter_provenance,
    read_manifest,
    read_provenance,
    read_table,
    settings_hash,
)

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = {"epochs": 2, "k_synthetic": [5, 10], "n_test": 120, "mode": "union"}
#: a table without a registered schema (the store's mechanics, independent of paper 1's columns)
T = "rows"


def _frame(n: int = 4, offset: int = 0) -> pd.DataFrame:
    return pd.DataFrame({
        "problem": ["A"] * n,
        "seed": np.arange(n, dtype=np.int64) + offset,
        "ric": np.linspace(-1.5, 2.5, n),
        "g": np.r_[np.arange(n - 1, dtype=float), np.inf],
        "connected": [True] * (n - 1) + [False],
    })


def _net_frame(n_layers: int = 3, seed: int = 0) -> pd.DataFrame:
    """Rows shaped like a sweep's network chunk (paper 1's columns, one k)."""
    return pd.DataFrame({
        "problem": ["A"] * n_layers, "architecture": ["narrow-shallow"] * n_layers,
        "seed": np.full(n_layers, seed, np.int64), "n_hidden": np.full(n_layers, n_layers - 2, np.int64),
        "test_accuracy": np.full(n_layers, 0.99), "layer": np.arange(n_layers, dtype=np.int64),
        "k": np.full(n_layers, 5, np.int64), "ric": np.linspace(-3.0, 1.0, n_layers),
        "g": np.linspace(100.0, 50.0, n_layers), "connected": [True] * n_layers,
    })


def _is_marker(p: Path) -> bool:
    return p.name.startswith(".writer.pid")


def _snapshot(root: Path) -> dict[str, tuple[bytes, int] | None]:
    """Every file's bytes and mtime, and every directory, under ``root`` (writer markers aside)."""
    snap: dict[str, tuple[bytes, int] | None] = {}
    for p in sorted(root.rglob("*")):
        if _is_marker(p):
            continue
        rel = str(p.relative_to(root))
        snap[rel] = (p.read_bytes(), p.stat().st_mtime_ns) if p.is_file() else None
    return snap


def _tmp_files(root: Path) -> list[Path]:
    """Temporary files, not counting the markers that name live writers."""
    return [p for p in root.rglob("*") if p.is_file() and p.name.endswith(".tmp") and not _is_marker(p)]


@pytest.fixture
def store(tmp_path) -> ResultsStore:
    return ResultsStore(tmp_path / "res", "quick", dict(SETTINGS))


# -- layout and manifest ---------------------------------------------------------------------
def test_new_store_layout_and_manifest(store):
    root = store.root
    assert (root / "chunks").is_dir() and (root / "checkpoints").is_dir()
    man = json.loads((root / "manifest.json").read_text())
    assert man["profile"] == "quick"
    assert man["settings"] == SETTINGS
    assert man["settings_hash"] == settings_hash(SETTINGS)
    assert man["schema_version"] == store_mod.SCHEMA_VERSION
    assert man["ricci_lit"] == store_mod.__version__
    assert "git_sha" in man["created"]
    assert store.manifest() == man
    # no probe or temporary file is left behind
    assert sorted(p.name for p in root.iterdir() if not _is_marker(p)) == ["checkpoints", "chunks", "manifest.json"]


def test_settings_hash_ignores_key_order_but_not_values():
    a = {"x": 1, "y": [1, 2], "z": {"p": 1, "q": 2}}
    b = {"z": {"q": 2, "p": 1}, "y": [1, 2], "x": 1}
    assert settings_hash(a) == settings_hash(b)
    assert settings_hash(a) != settings_hash({**a, "x": 2})
    assert settings_hash(a) != settings_hash({**a, "y": [2, 1]})


def test_reopen_same_settings_changes_nothing(store):
    store.write_chunk(T, "A+narrow-shallow+s0", _frame(), {"seed": 0})
    before = _snapshot(store.root)
    again = ResultsStore(store.root, "quick", {k: SETTINGS[k] for k in reversed(list(SETTINGS))})
    assert again.chunk_keys(T) == ["A+narrow-shallow+s0"]
    assert _snapshot(store.root) == before


# -- atomic chunks ------------------------------------------------------------------------------
def test_chunk_round_trip(store):
    f0, f1 = _frame(3), _frame(5, offset=10)
    p0 = store.write_chunk(T, "A+narrow-shallow+s0", f0, {"seed": 0})
    store.write_chunk(T, "A+narrow-shallow+s1", f1, {"seed": 1})
    store.write_chunk("other", "x", _frame(2), {})
    assert p0 == store.root / "chunks" / "rows--A+narrow-shallow+s0.parquet"
    assert store.has_chunk(T, "A+narrow-shallow+s0")
    assert not store.has_chunk(T, "A+narrow-shallow+s2")
    assert store.chunk_keys(T) == ["A+narrow-shallow+s0", "A+narrow-shallow+s1"]
    got = store.read_table(T)
    pd.testing.assert_frame_equal(got, pd.concat([f0, f1], ignore_index=True))
    assert np.isinf(got["g"]).sum() == 2
    assert read_table(store.root, "missing").empty
    assert not _tmp_files(store.root)


def _half_writer(original):
    """A ``pyarrow.parquet.write_table`` stand-in: writes half the file, then fails."""
    import pyarrow as pa

    def half(table, where, *args, **kwargs):
        buf = pa.BufferOutputStream()
        original(table, buf, *args, **kwargs)
        data = buf.getvalue().to_pybytes()
        with open(where, "wb") as fh:
            fh.write(data[: len(data) // 2])
        raise OSError(28, "No space left on device (simulated)")

    return half


def test_failed_write_leaves_no_chunk_and_no_temp_file(store, monkeypatch):
    import pyarrow.parquet as pq

    store.write_chunk(T, "done", _frame(), {"seed": 0})
    before = _snapshot(store.root)
    monkeypatch.setattr(pq, "write_table", _half_writer(pq.write_table))
    with pytest.raises(OSError, match="simulated"):
        store.write_chunk(T, "crash", _frame(), {"seed": 1})
    assert not store.has_chunk(T, "crash")
    assert not _tmp_files(store.root)
    assert _snapshot(store.root) == before
    monkeypatch.undo()
    reopened = ResultsStore(store.root, "quick", dict(SETTINGS))
    assert reopened.chunk_keys(T) == ["done"]
    reopened.write_chunk(T, "crash", _frame(), {"seed": 1})  # the retry succeeds
    assert reopened.chunk_keys(T) == ["crash", "done"]


def test_interrupt_during_write_leaves_no_chunk(store, monkeypatch):
    import pyarrow.parquet as pq

    def interrupted(table, where, *args, **kwargs):
        with open(where, "wb") as fh:
            fh.write(b"PAR1 partial")
        raise KeyboardInterrupt

    monkeypatch.setattr(pq, "write_table", interrupted)
    with pytest.raises(KeyboardInterrupt):
        store.write_chunk(T, "crash", _frame(), {})
    assert not store.has_chunk(T, "crash")
    assert not _tmp_files(store.root)


def test_process_killed_in_the_middle_of_a_write(tmp_path):
    """A real crash: SIGKILL while ``write_table`` has written half the file. The except clause
    never runs, so the temporary file stays, but no chunk exists; opening the directory again
    removes the temporary file and the chunk can then be written."""
    root = tmp_path / "res"
    script = textwrap.dedent(f"""
        import os, signal
        import pandas as pd, pyarrow as pa, pyarrow.parquet as pq
        from ricci_lit.experiments.store import ResultsStore
        store = ResultsStore({str(root)!r}, "quick", {SETTINGS!r})
        store.write_chunk({T!r}, "first", pd.DataFrame({{"v": [1, 2]}}), {{"seed": 0}})
        original = pq.write_table
        def half(table, where, *a, **kw):
            buf = pa.BufferOutputStream()
            original(table, buf, *a, **kw)
            data = buf.getvalue().to_pybytes()
            with open(where, "wb") as fh:
                fh.write(data[: len(data) // 2]); fh.flush(); os.fsync(fh.fileno())
            os.kill(os.getpid(), signal.SIGKILL)
        pq.write_table = half
        store.write_chunk({T!r}, "second", pd.DataFrame({{"v": [3, 4]}}), {{"seed": 1}})
    """)
    proc = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == -9, proc.stderr
    leftovers = _tmp_files(root)
    assert len(leftovers) == 1 and leftovers[0].parent == root / "chunks"
    assert sorted(p.name for p in (root / "chunks").glob("*.parquet")) == ["rows--first.parquet"]
    dead_marker = [p for p in root.iterdir() if _is_marker(p)]
    assert len(dead_marker) == 1  # the killed writer's marker stays ...
    # the half-written file would not even parse: it is not a chunk
    reopened = ResultsStore(root, "quick", dict(SETTINGS))
    assert not _tmp_files(root) and not dead_marker[0].exists()  # ... until the next open
    assert reopened.chunk_keys(T) == ["first"]
    assert reopened.read_table(T)["v"].tolist() == [1, 2]
    reopened.write_chunk(T, "second", pd.DataFrame({"v": [3, 4]}), {"seed": 1})
    assert reopened.read_table(T)["v"].tolist() == [1, 2, 3, 4]


def test_leftover_temp_files_are_removed_on_open(store):
    stale = [store.root / "chunks" / ".network--x.parquet.abc123.tmp",
             store.root / "checkpoints" / ".A+narrow-shallow.pt.xyz.tmp"]
    for p in stale:
        p.write_bytes(b"half")
    keep = store.root / "chunks" / "notes.txt"  # not a temporary file of ours
    keep.write_text("keep me")
    ResultsStore(store.root, "quick", dict(SETTINGS))
    assert not any(p.exists() for p in stale)
    assert keep.read_text() == "keep me"


def test_a_live_writers_temp_file_is_left_alone(store):
    """Two sweeps on other problems may share a store: opening it must not delete the file that
    the other, live, process is writing at that moment; a dead writer's file goes."""
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    try:
        busy = store.root / "chunks" / f".network--x.parquet.pid{live.pid}.abc123.tmp"
        stale = store.root / "chunks" / f".network--y.parquet.pid{dead.pid}.def456.tmp"
        for p in (busy, stale):
            p.write_bytes(b"half")
        ResultsStore(store.root, "quick", dict(SETTINGS))
        assert busy.exists() and not stale.exists()
    finally:
        live.kill()
        live.wait()
    ResultsStore(store.root, "quick", dict(SETTINGS))
    assert not busy.exists()


def test_temp_files_name_their_writer(store, monkeypatch):
    import pyarrow.parquet as pq

    seen = []
    original = pq.write_table
    monkeypatch.setattr(pq, "write_table", lambda table, where, *a, **kw: (seen.append(where),
                                                                          original(table, where, *a, **kw)))
    store.write_chunk(T, "named", _frame(), {"seed": 0})
    assert len(seen) == 1 and f".pid{os.getpid()}." in Path(seen[0]).name


def test_existing_chunk_is_never_rewritten(store):
    path = store.write_chunk(T, "k", _frame(), {"seed": 0})
    before = (path.read_bytes(), path.stat().st_mtime_ns)
    with pytest.raises(FileExistsError, match="never rewritten"):
        store.write_chunk(T, "k", _frame(7), {"seed": 99})
    assert (path.read_bytes(), path.stat().st_mtime_ns) == before
    assert read_provenance(path) == {"seed": 0}
    assert not _tmp_files(store.root)


def test_provenance_round_trip(store):
    prov = {"git_sha": "abc-dirty", "seed": 3, "device": "cpu", "wall": 1.25,
            "packages": {"numpy": "2.0", "torch": "2.3"}, "ks": [5, 10], "note": "ρ < 0 ✓"}
    path = store.write_chunk(T, "p", _frame(), prov)
    assert read_provenance(path) == prov
    assert list(iter_provenance(store.root, T)) == [(path.name, prov)]
    # non-JSON values are stored as their string
    path2 = store.write_chunk(T, "q", _frame(), {"where": Path("/x/y")})
    assert read_provenance(path2) == {"where": "/x/y"}
    # the data itself does not carry the provenance as a column
    assert list(pd.read_parquet(path).columns) == list(_frame().columns)


@pytest.mark.parametrize("table,key", [
    (T, "a--b"), (T, "a/b"), (T, "../escape"), (T, ""),
    (T, "with space"), (T, "ümlaut"), (T, "a\nb"),
    ("net--work", "ok"), ("net/work", "ok"), ("", "ok"),
])
def test_invalid_chunk_keys_raise(store, table, key):
    with pytest.raises(ValueError, match="invalid chunk"):
        store.chunk_path(table, key)
    with pytest.raises(ValueError):
        store.write_chunk(table, key, _frame(), {})
    with pytest.raises(ValueError):
        store.has_chunk(table, key)
    assert not any((store.root / "chunks").iterdir())


@pytest.mark.parametrize("key", ["../x", "a/b", "", "a b"])
def test_invalid_checkpoint_keys_raise(store, key):
    with pytest.raises(ValueError, match="invalid checkpoint key"):
        store.checkpoint_path(key)


def test_checkpoint_round_trip(store):
    import torch

    obj = {"w": torch.arange(6.0).reshape(2, 3), "meta": {1: {"loss": 0.5}}}
    assert store.load_checkpoint("A+narrow-shallow") is None
    path = store.save_checkpoint("A+narrow-shallow", obj)
    assert path.parent == store.root / "checkpoints"
    back = store.load_checkpoint("A+narrow-shallow")
    assert torch.equal(back["w"], obj["w"]) and back["meta"] == obj["meta"]
    assert not _tmp_files(store.root)


# -- refusal to mix -----------------------------------------------------------------------------
@pytest.fixture
def filled(store):
    store.write_chunk(T, "A+narrow-shallow+s0", _frame(), {"seed": 0})
    store.save_checkpoint("A+narrow-shallow", {"x": 1})
    return store.root


@pytest.mark.parametrize("change,needles", [
    ({"epochs": 3}, ["settings differ in epochs"]),
    ({"k_synthetic": [5, 11]}, ["settings differ in k_synthetic"]),
    ({"mode": "r-compat", "n_test": 500}, ["settings differ in", "mode", "n_test"]),
    ({"curvature": "augmented-forman"}, ["settings differ in curvature"]),
])
def test_other_settings_refuse(filled, change, needles):
    before = _snapshot(filled)
    with pytest.raises(StoreMismatchError) as info:
        ResultsStore(filled, "quick", {**SETTINGS, **change})
    msg = str(info.value)
    for needle in needles:
        assert needle in msg
    named = re.search(r"settings differ in ([^)]*)\)", msg).group(1).split(", ")
    assert sorted(named) == sorted(change)  # exactly the keys that differ
    assert "\n" not in msg and str(filled) in msg
    assert _snapshot(filled) == before


def test_other_profile_refuses(filled):
    before = _snapshot(filled)
    with pytest.raises(StoreMismatchError, match="profile 'quick' there, 'paper' here"):
        ResultsStore(filled, "paper", dict(SETTINGS))
    assert _snapshot(filled) == before


def test_other_schema_refuses(filled, monkeypatch):
    before = _snapshot(filled)
    monkeypatch.setattr(store_mod, "SCHEMA_VERSION", store_mod.SCHEMA_VERSION + 1)
    with pytest.raises(StoreMismatchError, match=r"store schema 1 there, 2 here"):
        ResultsStore(filled, "quick", dict(SETTINGS))
    assert _snapshot(filled) == before


def test_other_version_refuses(filled, monkeypatch):
    before = _snapshot(filled)
    monkeypatch.setattr(store_mod, "__version__", "99.0.0")
    with pytest.raises(StoreMismatchError, match=r"ricci_lit version '.+' there, '99.0.0' here"):
        ResultsStore(filled, "quick", dict(SETTINGS))
    assert _snapshot(filled) == before


def test_unreadable_manifest_refuses(filled):
    (filled / "manifest.json").write_text("{not json")
    before = _snapshot(filled)
    with pytest.raises(StoreMismatchError, match="unreadable"):
        ResultsStore(filled, "quick", dict(SETTINGS))
    assert _snapshot(filled) == before


def test_chunks_without_manifest_refuse(filled):
    (filled / "manifest.json").unlink()
    before = _snapshot(filled)
    with pytest.raises(StoreMismatchError, match="no manifest.json"):
        ResultsStore(filled, "quick", dict(SETTINGS))
    assert _snapshot(filled) == before
    assert not (filled / "manifest.json").exists()


def test_mismatch_error_is_a_value_error():
    assert issubclass(StoreMismatchError, ValueError)


# -- unwritable directories ---------------------------------------------------------------------
def test_path_under_a_regular_file_is_not_writable(tmp_path):
    (tmp_path / "file").write_text("I am a file")
    target = tmp_path / "file" / "sub"
    with pytest.raises(PermissionError) as info:
        ResultsStore(target, "quick", dict(SETTINGS))
    msg = str(info.value)
    assert str(target) in msg and "not writable" in msg
    assert "\n" not in msg
    assert (tmp_path / "file").read_text() == "I am a file"


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only directories")
def test_read_only_directory_is_not_writable(tmp_path):  # pragma: no cover - not run as root
    d = tmp_path / "ro"
    d.mkdir()
    d.chmod(0o500)
    try:
        with pytest.raises(PermissionError, match="not writable"):
            ResultsStore(d / "res", "quick", dict(SETTINGS))
    finally:
        d.chmod(0o700)


# -- packing ------------------------------------------------------------------------------------
def _fill(store: ResultsStore) -> dict[str, pd.DataFrame]:
    frames = {}
    for i, key in enumerate(["A+narrow-shallow+s0", "A+narrow-shallow+s1", "B+wide-deep+s0", "A+wide-deep+s3"]):
        frames[key] = _frame(3 + i, offset=10 * i)
        store.write_chunk(T, key, frames[key], {"seed": i, "key": key})
    store.write_chunk("other", "A+x", _frame(2), {"table": "other"})
    return frames


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values(["seed", "ric"]).reset_index(drop=True)


def test_pack_keeps_rows_keys_and_provenance(store):
    frames = _fill(store)
    before_rows = _sorted(store.read_table(T))
    before_prov = list(iter_provenance(store.root, T))
    written = store.pack(T)
    assert [p.name for p in written] == ["rows--A.parquet", "rows--B.parquet"]
    # the loose network chunks are gone, the other table is untouched
    assert sorted(p.name for p in (store.root / "chunks").iterdir()) == ["other--A+x.parquet"]
    assert store.chunk_keys(T) == sorted(frames)
    assert all(store.has_chunk(T, k) for k in frames)
    pd.testing.assert_frame_equal(_sorted(store.read_table(T)), before_rows)
    assert list(iter_provenance(store.root, T)) == before_prov
    assert store.read_table("other")["seed"].tolist() == [0, 1]
    assert not _tmp_files(store.root)


def test_packed_chunk_is_never_rewritten_and_new_chunks_join_the_pack(store):
    frames = _fill(store)
    store.pack(T, groups=["A"])
    assert store.chunk_keys(T) == sorted(frames)
    assert (store.root / "chunks" / "rows--B+wide-deep+s0.parquet").exists()  # B not asked for
    with pytest.raises(FileExistsError, match="never rewritten"):
        store.write_chunk(T, "A+narrow-shallow+s1", _frame(9), {"seed": 99})
    extra = _frame(2, offset=100)
    store.write_chunk(T, "A+narrow-shallow+s7", extra, {"seed": 7})
    packed = store.root / "packed" / "rows--A.parquet"
    first = packed.read_bytes()
    store.pack(T)
    assert packed.read_bytes() != first
    assert store.chunk_keys(T) == sorted([*frames, "A+narrow-shallow+s7"])
    got = _sorted(store.read_table(T))
    want = _sorted(pd.concat([*frames.values(), extra], ignore_index=True))
    pd.testing.assert_frame_equal(got, want)
    # nothing loose left: packing again writes nothing
    assert store.pack(T) == []


def test_interrupted_pack_loses_nothing_and_duplicates_nothing(store, monkeypatch):
    frames = _fill(store)
    want = _sorted(store.read_table(T))
    # the packed file is written, then the process "dies" before the loose chunks are deleted
    real_unlink = Path.unlink

    def dying_unlink(self, *a, **kw):
        if self.parent.name == "chunks":
            raise KeyboardInterrupt("killed while deleting")
        return real_unlink(self, *a, **kw)

    monkeypatch.setattr(Path, "unlink", dying_unlink)
    with pytest.raises(KeyboardInterrupt):
        store.pack(T, groups=["A"])
    monkeypatch.setattr(Path, "unlink", real_unlink)
    assert (store.root / "packed" / "rows--A.parquet").exists()
    assert (store.root / "chunks" / "rows--A+narrow-shallow+s0.parquet").exists()
    pd.testing.assert_frame_equal(_sorted(store.read_table(T)), want)
    assert len(list(iter_provenance(store.root, T))) == len(frames)
    # the next pack finishes the job without duplicating rows
    store.pack(T)
    pd.testing.assert_frame_equal(_sorted(store.read_table(T)), want)


def test_pack_failure_while_writing_leaves_loose_chunks(store, monkeypatch):
    import pyarrow.parquet as pq

    frames = _fill(store)
    monkeypatch.setattr(pq, "write_table", _half_writer(pq.write_table))
    with pytest.raises(OSError):
        store.pack(T)
    assert not (store.root / "packed" / "rows--A.parquet").exists()
    assert store.chunk_keys(T) == sorted(frames)
    assert not _tmp_files(store.root)


def test_packed_store_refuses_other_settings_and_reserved_columns(store):
    _fill(store)
    store.pack(T)
    for p in (store.root / "chunks").iterdir():
        p.unlink()
    for p in (store.root / "checkpoints").iterdir():
        p.unlink()
    with pytest.raises(StoreMismatchError, match="settings differ in epochs"):
        ResultsStore(store.root, "quick", {**SETTINGS, "epochs": 3})
    with pytest.raises(ValueError, match="reserved"):
        store.write_chunk(T, "Z+x", _frame().assign(_chunk="x"), {})


def test_pack_is_smaller_than_loose_chunks(store):
    for s in range(40):
        store.write_chunk(T, f"A+narrow-shallow+s{s}", _frame(30, offset=s), {"seed": s, "git": "x" * 200})
    loose = sum(p.stat().st_size for p in (store.root / "chunks").iterdir())
    store.pack(T)
    packed = (store.root / "packed" / "rows--A.parquet").stat().st_size
    assert packed < loose / 5


def test_read_manifest(tmp_path):
    store = ResultsStore(tmp_path / "res", "quick", {"k": [1, 2]})
    man = read_manifest(store.root)
    assert man["profile"] == "quick" and man["settings"] == {"k": [1, 2]}
    with pytest.raises(FileNotFoundError, match=r"nowhere is not a results directory \(no manifest.json\)$"):
        read_manifest(tmp_path / "nowhere")
    with pytest.raises(FileNotFoundError, match=r"\(no manifest.json\); run `ricci-lit sweep` first"):
        read_manifest(tmp_path / "nowhere", "sweep")


def test_write_chunk_exist_ok_returns_the_existing_chunk(store):
    path = store.write_chunk(T, "k", _frame(), {"seed": 0})
    before = path.read_bytes()
    assert store.write_chunk(T, "k", _frame(7), {"seed": 99}, exist_ok=True) == path
    assert path.read_bytes() == before and read_provenance(path) == {"seed": 0}
    assert not _tmp_files(store.root)


def test_atomic_write_bytes_replaces_all_or_nothing(tmp_path):
    target = tmp_path / "x.bin"
    atomic_write_bytes(target, b"one")
    atomic_write_bytes(target, b"two")
    assert target.read_bytes() == b"two"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.bin"]


# -- item 1: settings locked at creation, under real concurrency ----------------------------------
REPS = 25


def _race_worker(base: str, settings: dict, keys: list[str], barrier, conn) -> None:
    """One of two processes: for each repetition, wait at the barrier, then open the store and
    write ``keys``; report what happened (opened? which writes won?)."""
    held = []
    for rep in range(REPS):
        barrier.wait()
        root = Path(base) / f"rep{rep}"
        outcome: dict = {"rep": rep, "pid": os.getpid()}
        try:
            s = ResultsStore(root, "quick", settings)
        except StoreMismatchError as exc:
            outcome["refused"] = str(exc)
        except Exception as exc:  # pragma: no cover - reported to the parent, which fails
            outcome["error"] = f"{type(exc).__name__}: {exc}"
        barrier.wait()  # both have opened (or been refused): the writes start together
        if "refused" not in outcome and "error" not in outcome:
            held.append(s)  # keep it open, as a running sweep would
            won, lost = [], []
            for key in keys:
                frame = pd.DataFrame({"writer": [os.getpid()], "epochs": [settings["epochs"]]})
                try:
                    s.write_chunk(T, key, frame, {"pid": os.getpid()})
                    won.append(key)
                except FileExistsError:
                    lost.append(key)
            outcome.update(won=won, lost=lost)
        conn.send(outcome)
        barrier.wait()  # both done with this repetition
    conn.close()


def _race(tmp_path, settings_a: dict, settings_b: dict, keys_a: list[str], keys_b: list[str]):
    ctx = multiprocessing.get_context("fork")
    barrier = ctx.Barrier(2)
    pipes, procs = [], []
    for settings, keys in ((settings_a, keys_a), (settings_b, keys_b)):
        parent, child = ctx.Pipe(duplex=False)
        proc = ctx.Process(target=_race_worker, args=(str(tmp_path), settings, keys, barrier, child))
        proc.start()
        child.close()
        pipes.append(parent)
        procs.append(proc)
    results = [[], []]
    try:
        for _ in range(REPS):
            for i, conn in enumerate(pipes):
                if not conn.poll(120):
                    pytest.fail("a racing process did not report within 120 s")
                results[i].append(conn.recv())
    finally:
        for proc in procs:
            proc.join(60)
            if proc.is_alive():  # pragma: no cover
                proc.kill()
    assert [p.exitcode for p in procs] == [0, 0]
    return results


def test_two_stores_opened_together_with_other_settings_never_mix(tmp_path):
    """Item 1: however close the starts, exactly one of two processes with other settings gets
    the store; the other is refused with one line, and every chunk is the winner's."""
    other = {**SETTINGS, "epochs": 3}
    res_a, res_b = _race(tmp_path, SETTINGS, other, ["a+0", "a+1"], ["b+0", "b+1"])
    for a, b in zip(res_a, res_b, strict=True):
        assert "error" not in a and "error" not in b, (a, b)
        opened = [r for r in (a, b) if "refused" not in r]
        assert len(opened) == 1, (a, b)
        loser = a if "refused" in a else b
        assert "\n" not in loser["refused"] and "refusing to mix" in loser["refused"]
        root = tmp_path / f"rep{a['rep']}"
        man = json.loads((root / "manifest.json").read_text())
        winner_settings = SETTINGS if opened[0] is a else other
        assert man["settings"] == winner_settings
        got = read_table(root, T)
        assert set(got["epochs"]) == {winner_settings["epochs"]} and len(got) == 2
        assert set(got["writer"]) == {opened[0]["pid"]}


def test_two_identical_sweeps_started_together_never_replace_a_chunk(tmp_path):
    """Item 1: both processes open the store; for every chunk exactly one write wins, the other
    raises FileExistsError (its copy discarded), and the file holds the winner's rows."""
    keys = [f"A+x+s{i}" for i in range(6)]
    res_a, res_b = _race(tmp_path, SETTINGS, SETTINGS, keys, list(reversed(keys)))
    contested = 0
    for a, b in zip(res_a, res_b, strict=True):
        assert "refused" not in a and "refused" not in b and "error" not in a and "error" not in b, (a, b)
        root = tmp_path / f"rep{a['rep']}"
        for key in keys:
            winners = [r["pid"] for r in (a, b) if key in r["won"]]
            assert len(winners) == 1, (key, a, b)
            assert key in a["won"] + a["lost"] and key in b["won"] + b["lost"]
            frame = pd.read_parquet(root / "chunks" / f"{T}--{key}.parquet")
            assert frame["writer"].tolist() == winners
            assert read_provenance(root / "chunks" / f"{T}--{key}.parquet") == {"pid": winners[0]}
        contested += bool(a["won"]) and bool(b["won"])
        assert not _tmp_files(root)
    assert contested > 0  # the two really did write at the same time, at least once


def test_a_live_writer_keeps_its_settings_until_it_ends(tmp_path):
    """No chunk yet, but another live process has the store open: other settings are refused;
    once it has ended, the empty store takes them."""
    root = tmp_path / "res"
    script = textwrap.dedent(f"""
        import sys, time
        from ricci_lit.experiments.store import ResultsStore
        s = ResultsStore({str(root)!r}, "quick", {SETTINGS!r})
        print("open", flush=True)
        sys.stdin.readline()
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "open"
        with pytest.raises(StoreMismatchError, match=rf"open in another running process \(pid {proc.pid}\)"):
            ResultsStore(root, "quick", {**SETTINGS, "epochs": 3})
        assert json.loads((root / "manifest.json").read_text())["settings"] == SETTINGS
        ResultsStore(root, "quick", dict(SETTINGS))  # the same settings are welcome
    finally:
        proc.communicate("\n", timeout=60)
    assert proc.returncode == 0
    assert not [p for p in root.iterdir() if _is_marker(p) and f".pid{proc.pid}." in p.name]
    again = ResultsStore(root, "quick", {**SETTINGS, "epochs": 3})
    assert again.manifest()["settings"]["epochs"] == 3


def test_same_process_reopen_of_an_empty_store_takes_new_settings(tmp_path):
    first = ResultsStore(tmp_path / "res", "quick", dict(SETTINGS))
    second = ResultsStore(tmp_path / "res", "quick", {**SETTINGS, "epochs": 9})
    assert second.manifest()["settings"]["epochs"] == 9
    del first, second


def test_writer_marker_goes_when_the_last_store_object_does(tmp_path):
    a = ResultsStore(tmp_path / "res", "quick", dict(SETTINGS))
    b = ResultsStore(tmp_path / "res", "quick", dict(SETTINGS))
    markers = [p for p in (tmp_path / "res").iterdir() if _is_marker(p)]
    assert len(markers) == 1 and f".pid{os.getpid()}." in markers[0].name
    del a
    assert markers[0].exists()
    del b
    assert not markers[0].exists()


# -- item 7: corrupt chunks detected, quarantined on resume, named on read -------------------------
@pytest.fixture
def nets(store):
    for s in range(3):
        store.write_chunk("network", f"A+narrow-shallow+s{s}", _net_frame(seed=s), {"seed": s})
    return store.root


def _reopen_and_list(root: Path, table: str = "network"):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        store = ResultsStore(root, "quick", dict(SETTINGS))
        keys = store.chunk_keys(table)
    return store, keys, [w for w in caught if issubclass(w.category, CorruptChunkWarning)]


def _quarantined(root: Path) -> list[Path]:
    q = root / "quarantine"
    return sorted(q.iterdir()) if q.is_dir() else []


@pytest.mark.parametrize("damage, reason", [
    ("truncate", "unreadable Parquet"),
    ("empty", "unreadable Parquet"),
    ("drop_g", "missing column(s) g"),
    ("nan_g", "1 NaN value(s) in g"),
    ("unrelated", "missing column(s) problem, architecture"),
    ("wrong_type", "wrong column type(s): layer is str, not int"),
])
def test_bad_chunk_is_named_on_read_and_quarantined_on_resume(nets, damage, reason):
    bad = nets / "chunks" / "network--A+narrow-shallow+s1.parquet"
    frame = _net_frame(seed=1)
    if damage == "truncate":
        bad.write_bytes(bad.read_bytes()[: bad.stat().st_size // 2])
    elif damage == "empty":
        bad.write_bytes(b"")
    elif damage == "drop_g":
        frame.drop(columns=["g"]).to_parquet(bad)
    elif damage == "nan_g":
        frame.loc[1, "g"] = np.nan
        frame.to_parquet(bad)
    elif damage == "unrelated":
        pd.DataFrame({"x": [1.0, 2.0]}).to_parquet(bad)
    else:
        frame.assign(layer=frame["layer"].astype(str)).to_parquet(bad)
    original = bad.read_bytes()
    # a reader: one clear line naming the file and the command that repairs the store
    with pytest.raises(CorruptChunkError) as info:
        read_table(nets, "network")
    msg = str(info.value)
    assert "\n" not in msg and str(bad) in msg and reason in msg
    assert f"ricci-lit sweep --out {nets}" in msg and "quarantine" in msg
    assert isinstance(info.value, ValueError) and info.value.path == bad
    # a writer (resume): the file is moved aside, never deleted, and counts as not done
    store, keys, caught = _reopen_and_list(nets)
    assert keys == ["A+narrow-shallow+s0", "A+narrow-shallow+s2"]
    assert len(caught) == 1 and str(bad) in str(caught[0].message) and reason in str(caught[0].message)
    (moved,) = _quarantined(nets)
    assert moved.read_bytes() == original and moved.name.endswith("--chunks--network--A+narrow-shallow+s1.parquet")
    assert str(moved) in str(caught[0].message)
    assert not bad.exists() and not store.has_chunk("network", "A+narrow-shallow+s1")
    store.write_chunk("network", "A+narrow-shallow+s1", _net_frame(seed=1), {"seed": 1})  # recomputed
    assert sorted(read_table(nets, "network")["seed"].unique()) == [0, 1, 2]


def test_infinite_g_is_a_result_not_corruption(store):
    frame = _net_frame().assign(g=[np.inf, 3.0, 2.0])
    store.write_chunk("network", "A+x+s0", frame, {})
    assert np.isinf(read_table(store.root, "network")["g"]).sum() == 1


def test_n_tie_decided_is_optional_but_typed(store):
    store.write_chunk("network", "A+old+s0", _net_frame(), {})
    store.write_chunk("network", "A+new+s0", _net_frame().assign(n_tie_decided=np.int64(2)), {})
    got = read_table(store.root, "network")
    assert len(got) == 6 and got["n_tie_decided"].isna().sum() == 3
    store.pack("network")  # old rows without the column and new rows with it share one packed file
    assert read_table(store.root, "network")["n_tie_decided"].isna().sum() == 3
    with pytest.raises(ValueError, match="n_tie_decided is str, not int"):
        store.write_chunk("network", "A+bad+s0", _net_frame().assign(n_tie_decided="two"), {})


def test_a_chunk_that_does_not_fit_its_schema_is_refused_on_write(store):
    with pytest.raises(ValueError, match=r"does not fit the schema of table 'network': missing column\(s\) g"):
        store.write_chunk("network", "A+x+s0", _net_frame().drop(columns=["g"]), {})
    with pytest.raises(ValueError, match=r"1 NaN value\(s\) in g"):
        store.write_chunk("network", "A+x+s0", _net_frame().assign(g=[1.0, np.nan, 2.0]), {})
    assert not store.has_chunk("network", "A+x+s0") and not _tmp_files(store.root)


def test_bad_packed_file_is_named_and_quarantined(nets):
    store = ResultsStore(nets, "quick", dict(SETTINGS))
    (packed,) = store.pack("network")
    packed.write_bytes(packed.read_bytes()[:-100])  # truncated
    with pytest.raises(CorruptChunkError, match=re.escape(str(packed))):
        read_table(nets, "network")
    with pytest.raises(CorruptChunkError, match=re.escape(str(packed))):
        list(iter_provenance(nets, "network"))
    _, keys, caught = _reopen_and_list(nets)
    assert keys == [] and len(caught) == 1 and str(packed) in str(caught[0].message)
    assert [p.name.split("--", 1)[1] for p in _quarantined(nets)] == ["packed--network--A.parquet"]


def test_a_fifo_chunk_does_not_hang(nets):
    fifo = nets / "chunks" / "network--A+fifo+s0.parquet"
    os.mkfifo(fifo)
    with pytest.raises(CorruptChunkError, match="FIFO"):
        read_table(nets, "network")
    _, keys, caught = _reopen_and_list(nets)
    assert "A+fifo+s0" not in keys and len(caught) == 1


def test_explicit_and_registered_schemas(store):
    store.write_chunk("custom", "a", pd.DataFrame({"v": [1.0, np.nan]}), {})
    assert len(read_table(store.root, "custom")) == 2  # no schema: readable is enough
    strict = TableSchema(required={"v": "float"}, not_nan=("v",))
    with pytest.raises(CorruptChunkError, match=r"1 NaN value\(s\) in v"):
        read_table(store.root, "custom", strict)
    with pytest.raises(ValueError, match="kind 'complex'"):
        TableSchema(required={"v": "complex"})
    with pytest.raises(ValueError, match="not_nan names"):
        TableSchema(required={"v": "float"}, not_nan=("w",))
    with pytest.raises(ValueError, match="already has a schema"):
        register_schema("network", strict)
    assert schema_for("nothing-registered") is None and set(TABLE_SCHEMAS) >= {"network", "coefficients"}


def test_committed_stores_fit_their_schemas():
    """Every committed results store reads back through the schema checks (nothing quarantined)."""
    roots = sorted(p.parent for p in (ROOT / "results").glob("*/manifest.json"))
    if not roots:
        pytest.skip("no committed results stores")
    seen = set()
    for root in roots:
        for table in sorted({p.name.split("--", 1)[0] for p in (root / "packed").glob("*.parquet")}):
            assert schema_for(table) is not None, table
            assert not read_table(root, table).empty
            seen.add(table)
    assert "network" in seen


def test_unloadable_checkpoint_is_quarantined_and_retrained(store):
    import torch

    path = store.save_checkpoint("A+narrow-shallow", {"w": torch.arange(4.0)})
    path.write_bytes(path.read_bytes()[:50])
    with pytest.warns(CorruptChunkWarning, match=re.escape(str(path))):
        assert store.load_checkpoint("A+narrow-shallow") is None
    assert not path.exists() and len(_quarantined(store.root)) == 1
    assert store.load_checkpoint("A+narrow-shallow") is None  # nothing there now: train again


# -- items 9, 10: manifests that are not manifests -------------------------------------------------
BAD_MANIFESTS = [
    (b"[1, 2, 3]", "JSON array, not an object"),
    (b"null", "JSON null, not an object"),
    (b'"paper"', "JSON string, not an object"),
    (b"{}", "an empty object without profile and settings"),
    (b'{"profile": "quick"}', "an object without settings"),
    (b'{"profile": 3, "settings": {}}', "profile is JSON number, not a string"),
    (b'{"profile": "quick", "settings": [1]}', "settings is JSON array, not an object"),
    (b"{not json", "not valid JSON: Expecting property name"),
    (b'{"profile": "\xff"}', "not UTF-8 text: invalid byte at offset 13"),
]


@pytest.mark.parametrize("content, reason", BAD_MANIFESTS)
def test_bad_manifest_is_refused_naming_the_file(tmp_path, content, reason):
    root = tmp_path / "res"
    root.mkdir()
    (root / "manifest.json").write_bytes(content)
    before = {k: v for k, v in _snapshot(root).items() if v is not None}
    with pytest.raises(ManifestError) as info:
        read_manifest(root)
    msg = str(info.value)
    assert "\n" not in msg and str(root / "manifest.json") in msg and reason in msg
    assert isinstance(info.value, ValueError) and isinstance(info.value, StoreMismatchError)
    for settings in (SETTINGS, {**SETTINGS, "epochs": 5}):  # also without results: never retaken
        with pytest.raises(ManifestError, match=re.escape(reason)):
            ResultsStore(root, "quick", dict(settings))
    assert {k: v for k, v in _snapshot(root).items() if v is not None} == before


@pytest.mark.parametrize("kind", ["directory", "fifo"])
def test_manifest_that_is_not_a_regular_file_is_refused_without_hanging(tmp_path, kind):
    root = tmp_path / "res"
    root.mkdir()
    if kind == "directory":
        (root / "manifest.json").mkdir()
    else:
        os.mkfifo(root / "manifest.json")
    with pytest.raises(ManifestError, match=re.escape(str(root / "manifest.json"))):
        read_manifest(root)


# -- item 12: files get the process umask, not 0600 ------------------------------------------------
@pytest.mark.parametrize("umask", [0o022, 0o002])
def test_files_are_created_with_the_process_umask(tmp_path, umask):
    old = os.umask(umask)
    try:
        store = ResultsStore(tmp_path / "res", "quick", dict(SETTINGS))
        chunk = store.write_chunk(T, "A+x", _frame(), {})
        ckpt = store.save_checkpoint("A+x", {"v": 1})
        store.write_chunk(T, "A+y", _frame(), {})
        (packed,) = store.pack(T)
        other = tmp_path / "res" / "blob.bin"
        atomic_write_bytes(other, b"x")
    finally:
        os.umask(old)
    want = 0o666 & ~umask
    for path in (store.manifest_path, ckpt, packed, other):
        assert stat.S_IMODE(path.stat().st_mode) == want, (path, oct(path.stat().st_mode))
    assert not chunk.exists()  # packed: check a loose chunk written under the same umask
    old = os.umask(umask)
    try:
        loose = store.write_chunk(T, "B+z", _frame(), {})
    finally:
        os.umask(old)
    assert stat.S_IMODE(loose.stat().st_mode) == want


def test_a_checkpoint_holding_code_is_never_run(store, tmp_path):
    """A crafted checkpoint (a pickle that calls a function when loaded) is refused unrun, moved
    aside and retrained (issue 12 item 6, the store's loader)."""
    import pickle

    import torch

    flag = tmp_path / "ran"

    class Evil:
        def __reduce__(self):
            return (Path.touch, (flag,))

    path = store.checkpoint_path("A+narrow-shallow")
    with open(path, "wb") as fh:
        torch.save({"ensemble": Evil()}, fh, pickle_module=pickle)
    with pytest.warns(CorruptChunkWarning, match="not a loadable checkpoint"):
        assert store.load_checkpoint("A+narrow-shallow") is None
    assert not flag.exists() and not path.exists() and len(_quarantined(store.root)) == 1
