"""The results store (:mod:`ricci_lit.experiments.store`): atomic chunks, no rewrites, provenance, refusal to mix.

A chunk is all or nothing: a write that fails (in-process exception, or the process killed in the
middle of ``pyarrow.parquet.write_table``) leaves no chunk, and its temporary file is gone after
the directory is opened again. A directory holding results of another profile, other settings,
another schema or another package version is refused with a message naming the difference, and
its files are left byte for byte as they were.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import ricci_lit.experiments.store as store_mod
from ricci_lit.experiments.store import (
    ResultsStore,
    StoreMismatchError,
    iter_provenance,
    read_provenance,
    read_table,
    settings_hash,
)

ROOT = Path(__file__).resolve().parents[1]
SETTINGS = {"epochs": 2, "k_synthetic": [5, 10], "n_test": 120, "mode": "union"}


def _frame(n: int = 4, offset: int = 0) -> pd.DataFrame:
    return pd.DataFrame({
        "problem": ["A"] * n,
        "seed": np.arange(n, dtype=np.int64) + offset,
        "ric": np.linspace(-1.5, 2.5, n),
        "g": np.r_[np.arange(n - 1, dtype=float), np.inf],
        "connected": [True] * (n - 1) + [False],
    })


def _snapshot(root: Path) -> dict[str, tuple[bytes, int] | None]:
    """Every file's bytes and mtime, and every directory, under ``root``."""
    snap: dict[str, tuple[bytes, int] | None] = {}
    for p in sorted(root.rglob("*")):
        rel = str(p.relative_to(root))
        snap[rel] = (p.read_bytes(), p.stat().st_mtime_ns) if p.is_file() else None
    return snap


def _tmp_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file() and p.name.endswith(".tmp")]


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
    assert sorted(p.name for p in root.iterdir()) == ["checkpoints", "chunks", "manifest.json"]


def test_settings_hash_ignores_key_order_but_not_values():
    a = {"x": 1, "y": [1, 2], "z": {"p": 1, "q": 2}}
    b = {"z": {"q": 2, "p": 1}, "y": [1, 2], "x": 1}
    assert settings_hash(a) == settings_hash(b)
    assert settings_hash(a) != settings_hash({**a, "x": 2})
    assert settings_hash(a) != settings_hash({**a, "y": [2, 1]})


def test_reopen_same_settings_changes_nothing(store):
    store.write_chunk("network", "A+narrow-shallow+s0", _frame(), {"seed": 0})
    before = _snapshot(store.root)
    again = ResultsStore(store.root, "quick", {k: SETTINGS[k] for k in reversed(list(SETTINGS))})
    assert again.chunk_keys("network") == ["A+narrow-shallow+s0"]
    assert _snapshot(store.root) == before


# -- atomic chunks ------------------------------------------------------------------------------
def test_chunk_round_trip(store):
    f0, f1 = _frame(3), _frame(5, offset=10)
    p0 = store.write_chunk("network", "A+narrow-shallow+s0", f0, {"seed": 0})
    store.write_chunk("network", "A+narrow-shallow+s1", f1, {"seed": 1})
    store.write_chunk("other", "x", _frame(2), {})
    assert p0 == store.root / "chunks" / "network--A+narrow-shallow+s0.parquet"
    assert store.has_chunk("network", "A+narrow-shallow+s0")
    assert not store.has_chunk("network", "A+narrow-shallow+s2")
    assert store.chunk_keys("network") == ["A+narrow-shallow+s0", "A+narrow-shallow+s1"]
    got = store.read_table("network")
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

    store.write_chunk("network", "done", _frame(), {"seed": 0})
    before = _snapshot(store.root)
    monkeypatch.setattr(pq, "write_table", _half_writer(pq.write_table))
    with pytest.raises(OSError, match="simulated"):
        store.write_chunk("network", "crash", _frame(), {"seed": 1})
    assert not store.has_chunk("network", "crash")
    assert not _tmp_files(store.root)
    assert _snapshot(store.root) == before
    monkeypatch.undo()
    reopened = ResultsStore(store.root, "quick", dict(SETTINGS))
    assert reopened.chunk_keys("network") == ["done"]
    reopened.write_chunk("network", "crash", _frame(), {"seed": 1})  # the retry succeeds
    assert reopened.chunk_keys("network") == ["crash", "done"]


def test_interrupt_during_write_leaves_no_chunk(store, monkeypatch):
    import pyarrow.parquet as pq

    def interrupted(table, where, *args, **kwargs):
        with open(where, "wb") as fh:
            fh.write(b"PAR1 partial")
        raise KeyboardInterrupt

    monkeypatch.setattr(pq, "write_table", interrupted)
    with pytest.raises(KeyboardInterrupt):
        store.write_chunk("network", "crash", _frame(), {})
    assert not store.has_chunk("network", "crash")
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
        store.write_chunk("network", "first", pd.DataFrame({{"v": [1, 2]}}), {{"seed": 0}})
        original = pq.write_table
        def half(table, where, *a, **kw):
            buf = pa.BufferOutputStream()
            original(table, buf, *a, **kw)
            data = buf.getvalue().to_pybytes()
            with open(where, "wb") as fh:
                fh.write(data[: len(data) // 2]); fh.flush(); os.fsync(fh.fileno())
            os.kill(os.getpid(), signal.SIGKILL)
        pq.write_table = half
        store.write_chunk("network", "second", pd.DataFrame({{"v": [3, 4]}}), {{"seed": 1}})
    """)
    proc = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == -9, proc.stderr
    leftovers = _tmp_files(root)
    assert len(leftovers) == 1 and leftovers[0].parent == root / "chunks"
    assert sorted(p.name for p in (root / "chunks").glob("*.parquet")) == ["network--first.parquet"]
    # the half-written file would not even parse: it is not a chunk
    reopened = ResultsStore(root, "quick", dict(SETTINGS))
    assert not _tmp_files(root)
    assert reopened.chunk_keys("network") == ["first"]
    assert reopened.read_table("network")["v"].tolist() == [1, 2]
    reopened.write_chunk("network", "second", pd.DataFrame({"v": [3, 4]}), {"seed": 1})
    assert reopened.read_table("network")["v"].tolist() == [1, 2, 3, 4]


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
    store.write_chunk("network", "named", _frame(), {"seed": 0})
    assert len(seen) == 1 and f".pid{os.getpid()}." in Path(seen[0]).name


def test_existing_chunk_is_never_rewritten(store):
    path = store.write_chunk("network", "k", _frame(), {"seed": 0})
    before = (path.read_bytes(), path.stat().st_mtime_ns)
    with pytest.raises(FileExistsError, match="never rewritten"):
        store.write_chunk("network", "k", _frame(7), {"seed": 99})
    assert (path.read_bytes(), path.stat().st_mtime_ns) == before
    assert read_provenance(path) == {"seed": 0}
    assert not _tmp_files(store.root)


def test_provenance_round_trip(store):
    prov = {"git_sha": "abc-dirty", "seed": 3, "device": "cpu", "wall": 1.25,
            "packages": {"numpy": "2.0", "torch": "2.3"}, "ks": [5, 10], "note": "ρ < 0 ✓"}
    path = store.write_chunk("network", "p", _frame(), prov)
    assert read_provenance(path) == prov
    assert list(iter_provenance(store.root, "network")) == [(path.name, prov)]
    # non-JSON values are stored as their string
    path2 = store.write_chunk("network", "q", _frame(), {"where": Path("/x/y")})
    assert read_provenance(path2) == {"where": "/x/y"}
    # the data itself does not carry the provenance as a column
    assert list(pd.read_parquet(path).columns) == list(_frame().columns)


@pytest.mark.parametrize("table,key", [
    ("network", "a--b"), ("network", "a/b"), ("network", "../escape"), ("network", ""),
    ("network", "with space"), ("network", "ümlaut"), ("network", "a\nb"),
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
    store.write_chunk("network", "A+narrow-shallow+s0", _frame(), {"seed": 0})
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
        store.write_chunk("network", key, frames[key], {"seed": i, "key": key})
    store.write_chunk("other", "A+x", _frame(2), {"table": "other"})
    return frames


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values(["seed", "ric"]).reset_index(drop=True)


def test_pack_keeps_rows_keys_and_provenance(store):
    frames = _fill(store)
    before_rows = _sorted(store.read_table("network"))
    before_prov = list(iter_provenance(store.root, "network"))
    written = store.pack("network")
    assert [p.name for p in written] == ["network--A.parquet", "network--B.parquet"]
    # the loose network chunks are gone, the other table is untouched
    assert sorted(p.name for p in (store.root / "chunks").iterdir()) == ["other--A+x.parquet"]
    assert store.chunk_keys("network") == sorted(frames)
    assert all(store.has_chunk("network", k) for k in frames)
    pd.testing.assert_frame_equal(_sorted(store.read_table("network")), before_rows)
    assert list(iter_provenance(store.root, "network")) == before_prov
    assert store.read_table("other")["seed"].tolist() == [0, 1]
    assert not _tmp_files(store.root)


def test_packed_chunk_is_never_rewritten_and_new_chunks_join_the_pack(store):
    frames = _fill(store)
    store.pack("network", groups=["A"])
    assert store.chunk_keys("network") == sorted(frames)
    assert (store.root / "chunks" / "network--B+wide-deep+s0.parquet").exists()  # B not asked for
    with pytest.raises(FileExistsError, match="never rewritten"):
        store.write_chunk("network", "A+narrow-shallow+s1", _frame(9), {"seed": 99})
    extra = _frame(2, offset=100)
    store.write_chunk("network", "A+narrow-shallow+s7", extra, {"seed": 7})
    packed = store.root / "packed" / "network--A.parquet"
    first = packed.read_bytes()
    store.pack("network")
    assert packed.read_bytes() != first
    assert store.chunk_keys("network") == sorted([*frames, "A+narrow-shallow+s7"])
    got = _sorted(store.read_table("network"))
    want = _sorted(pd.concat([*frames.values(), extra], ignore_index=True))
    pd.testing.assert_frame_equal(got, want)
    # nothing loose left: packing again writes nothing
    assert store.pack("network") == []


def test_interrupted_pack_loses_nothing_and_duplicates_nothing(store, monkeypatch):
    frames = _fill(store)
    want = _sorted(store.read_table("network"))
    # the packed file is written, then the process "dies" before the loose chunks are deleted
    real_unlink = Path.unlink

    def dying_unlink(self, *a, **kw):
        if self.parent.name == "chunks":
            raise KeyboardInterrupt("killed while deleting")
        return real_unlink(self, *a, **kw)

    monkeypatch.setattr(Path, "unlink", dying_unlink)
    with pytest.raises(KeyboardInterrupt):
        store.pack("network", groups=["A"])
    monkeypatch.setattr(Path, "unlink", real_unlink)
    assert (store.root / "packed" / "network--A.parquet").exists()
    assert (store.root / "chunks" / "network--A+narrow-shallow+s0.parquet").exists()
    pd.testing.assert_frame_equal(_sorted(store.read_table("network")), want)
    assert len(list(iter_provenance(store.root, "network"))) == len(frames)
    # the next pack finishes the job without duplicating rows
    store.pack("network")
    pd.testing.assert_frame_equal(_sorted(store.read_table("network")), want)


def test_pack_failure_while_writing_leaves_loose_chunks(store, monkeypatch):
    import pyarrow.parquet as pq

    frames = _fill(store)
    monkeypatch.setattr(pq, "write_table", _half_writer(pq.write_table))
    with pytest.raises(OSError):
        store.pack("network")
    assert not (store.root / "packed" / "network--A.parquet").exists()
    assert store.chunk_keys("network") == sorted(frames)
    assert not _tmp_files(store.root)


def test_packed_store_refuses_other_settings_and_reserved_columns(store):
    _fill(store)
    store.pack("network")
    for p in (store.root / "chunks").iterdir():
        p.unlink()
    for p in (store.root / "checkpoints").iterdir():
        p.unlink()
    with pytest.raises(StoreMismatchError, match="settings differ in epochs"):
        ResultsStore(store.root, "quick", {**SETTINGS, "epochs": 3})
    with pytest.raises(ValueError, match="reserved"):
        store.write_chunk("network", "Z+x", _frame().assign(_chunk="x"), {})


def test_pack_is_smaller_than_loose_chunks(store):
    for s in range(40):
        store.write_chunk("network", f"A+narrow-shallow+s{s}", _frame(30, offset=s), {"seed": s, "git": "x" * 200})
    loose = sum(p.stat().st_size for p in (store.root / "chunks").iterdir())
    store.pack("network")
    packed = (store.root / "packed" / "network--A.parquet").stat().st_size
    assert packed < loose / 5


def test_read_manifest(tmp_path):
    from ricci_lit.experiments.store import read_manifest

    store = ResultsStore(tmp_path / "res", "quick", {"k": [1, 2]})
    man = read_manifest(store.root)
    assert man["profile"] == "quick" and man["settings"] == {"k": [1, 2]}
    with pytest.raises(FileNotFoundError, match=r"nowhere is not a results directory \(no manifest.json\)$"):
        read_manifest(tmp_path / "nowhere")
    with pytest.raises(FileNotFoundError, match=r"\(no manifest.json\); run `ricci-lit sweep` first"):
        read_manifest(tmp_path / "nowhere", "sweep")
