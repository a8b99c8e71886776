"""Plans on Dask (:mod:`ricci_lit.experiments.executors`, issue 13): the same store as a serial run
with ``--workers 2`` and with ``--scheduler`` (a scheduler and two workers started here as
processes on 127.0.0.1), a worker SIGKILLed during a unit, the client SIGKILLed mid-run and the
same command run again, a unit that raises, one worker per (fake) GPU, and the SLURM recipe.

Everything uses the synthetic problems A and B (no data files), 120 test points, 2 epochs,
k ∈ {5, 10}: 2 problems × 2 architectures = 4 units of 2 networks each. Kills happen at events
(a file a unit writes, the first chunk), never after a delay.
"""
from __future__ import annotations

import dataclasses
import functools
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

distributed = pytest.importorskip("distributed")

from ricci_lit.cli import main
from ricci_lit.experiments.executors import DaskExecutor, local_cluster, open_executor
from ricci_lit.experiments.paper1 import (
    get_profile,
    load_results,
    sweep_plan,
    sweep_unit,
)
from ricci_lit.experiments.runner import (
    Chunk,
    Plan,
    Unit,
    UnitOutput,
    run_plan,
)
from ricci_lit.experiments.store import read_provenance

ROOT = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "NUMBA_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
# the package, and this file (its unit functions are pickled by reference: scheduler and workers import it)
ENV["PYTHONPATH"] = os.pathsep.join([str(ROOT), str(Path(__file__).resolve().parent), ENV.get("PYTHONPATH", "")])
SWEEP4 = ["--problems", "A,B", "--architectures", "narrow-shallow,wide-shallow", "--seeds", "2",
          "--n-test", "120", "--epochs", "2", "--k-synthetic", "5,10", "--device", "cpu", "--no-progress"]
N_CHUNKS = 8
VOLATILE = ["train_seconds", "geometry_seconds", "device"]
ROW_KEY = ["problem", "architecture", "seed", "layer", "k"]


def sweep4_profile():
    return get_profile("quick", problems=["A", "B"], architectures=["narrow-shallow", "wide-shallow"], n_seeds=2,
                       n_test=120, epochs=2, k_synthetic=[5, 10])


# -- comparing stores -----------------------------------------------------------------------------
def _chunks(out: Path) -> list[str]:
    d = out / "chunks"
    return sorted(p.name for p in d.glob("*.parquet")) if d.is_dir() else []


def _report(out: Path, capsys) -> dict:
    capsys.readouterr()
    assert main(["report", "--results", str(out), "--json"]) == 0
    rep = json.loads(capsys.readouterr().out)
    rep.get("meta", {}).pop("results", None)  # the directory's own path
    return rep


def _equal(a, b) -> bool:
    import torch

    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_equal(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return isinstance(b, (list, tuple)) and len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b))
    if isinstance(a, torch.Tensor):
        return isinstance(b, torch.Tensor) and a.dtype == b.dtype and torch.equal(a, b)
    if isinstance(a, np.ndarray):
        return isinstance(b, np.ndarray) and np.array_equal(a, b)
    return a == b


def assert_same_store(a: Path, b: Path, capsys) -> None:
    """Every chunk's values equal (wall times and device aside), the report JSON equal, the
    checkpoints' networks equal, no temporary file left."""
    assert _chunks(a) == _chunks(b)
    _, ga, ma = load_results(a)
    _, gb, mb = load_results(b)
    assert not ga.duplicated(ROW_KEY).any() and not gb.duplicated(ROW_KEY).any()
    fa = ga.drop(columns=VOLATILE).sort_values(ROW_KEY, kind="stable").reset_index(drop=True)
    fb = gb.drop(columns=VOLATILE).sort_values(ROW_KEY, kind="stable").reset_index(drop=True)
    pd.testing.assert_frame_equal(fa, fb, check_exact=True)
    for key in ("profile", "settings", "settings_hash", "schema_version"):
        assert ma[key] == mb[key]
    assert _report(a, capsys) == _report(b, capsys)
    import torch

    ca, cb = sorted((a / "checkpoints").glob("*.pt")), sorted((b / "checkpoints").glob("*.pt"))
    assert [p.name for p in ca] == [p.name for p in cb]
    for pa, pb in zip(ca, cb):
        sa, sb = (torch.load(p, map_location="cpu", weights_only=False) for p in (pa, pb))
        assert _equal(sa["ensemble"], sb["ensemble"]), pa.name
    assert not [p for p in b.rglob("*") if p.name.endswith(".tmp")]


# -- fixtures -------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def serial_ref(tmp_path_factory):
    """The serial reference: the command line in this process, no Dask."""
    out = tmp_path_factory.mktemp("serial") / "res"
    assert main(["sweep", *SWEEP4, "--out", str(out)]) == 0
    return out


def _popen(args: list[str], log: Path) -> subprocess.Popen:
    with open(log, "wb") as fh:
        return subprocess.Popen([sys.executable, "-m", *args], cwd=ROOT, env=ENV, stdout=fh, stderr=subprocess.STDOUT,
                                start_new_session=True)


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=20)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            pass
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(timeout=20)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """``dask scheduler`` and two ``dask worker`` processes (with nannies, one thread each) on
    127.0.0.1, started as processes of their own: ``(address, client)``."""
    d = tmp_path_factory.mktemp("cluster")
    sfile = d / "scheduler.json"
    procs = [_popen(["distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                     "--scheduler-file", str(sfile)], d / "scheduler.log")]
    try:
        t0 = time.monotonic()
        while not sfile.is_file() or not sfile.read_text().strip():
            assert procs[0].poll() is None, (d / "scheduler.log").read_text()
            assert time.monotonic() - t0 < 60, "the scheduler did not start"
            time.sleep(0.05)
        address = json.loads(sfile.read_text())["address"]
        for i in range(2):
            procs.append(_popen(["distributed.cli.dask_worker", address, "--host", "127.0.0.1", "--nthreads", "1",
                                 "--no-dashboard", "--name", f"w{i}"], d / f"worker{i}.log"))
        client = distributed.Client(address, timeout=60)
        client.wait_for_workers(2, timeout=120)
        yield address, client
        client.close()
    finally:
        for p in reversed(procs):
            _stop(p)


# -- the same store, whichever way it is computed ---------------------------------------------------
def test_workers_2_gives_the_serial_store(serial_ref, tmp_path, capsys):
    out = tmp_path / "res"
    assert main(["sweep", *SWEEP4, "--workers", "2", "--out", str(out)]) == 0
    assert f"{N_CHUNKS} networks computed" in capsys.readouterr().out
    assert_same_store(serial_ref, out, capsys)
    provs = [read_provenance(p) for p in sorted((out / "chunks").glob("*.parquet"))]
    assert {p["worker_host"] for p in provs} == {socket.gethostname()}
    assert all(str(p["worker"]).startswith("tcp://127.0.0.1:") for p in provs)
    serial = read_provenance(next((serial_ref / "chunks").glob("*.parquet")))
    assert serial["worker_host"] == socket.gethostname() and "worker" not in serial


def test_scheduler_and_two_worker_processes_give_the_serial_store(serial_ref, cluster, tmp_path, capsys):
    address, client = cluster
    out = tmp_path / "res"
    assert main(["sweep", *SWEEP4, "--scheduler", address, "--out", str(out)]) == 0
    assert_same_store(serial_ref, out, capsys)
    workers = {read_provenance(p)["worker"] for p in (out / "chunks").glob("*.parquet")}
    assert workers <= set(client.scheduler_info(n_workers=-1)["workers"])
    # resumed through the cluster: nothing left to do, nothing rewritten
    before = {p: p.stat().st_mtime_ns for p in (out / "chunks").glob("*.parquet")}
    assert main(["sweep", *SWEEP4, "--scheduler", address, "--out", str(out)]) == 0
    assert f"0 networks computed, {N_CHUNKS} already done" in capsys.readouterr().out
    assert before == {p: p.stat().st_mtime_ns for p in (out / "chunks").glob("*.parquet")}


# -- faults -----------------------------------------------------------------------------------------
def _signalling_unit(sigdir: str, target: str, settings, unit: Unit) -> UnitOutput:
    """``sweep_unit``, except that the first attempt at ``target`` writes its worker's pid to
    ``sigdir/pid`` and waits there to be killed (at most 120 s, then it raises)."""
    mark = Path(sigdir) / "pid"
    if unit.key == target and not mark.exists():
        tmp = mark.with_suffix(".tmp")
        tmp.write_text(str(os.getpid()))
        tmp.replace(mark)
        t0 = time.monotonic()
        while time.monotonic() - t0 < 120:
            time.sleep(0.05)
        raise RuntimeError("this worker was not killed")
    return sweep_unit(settings, unit)


def test_worker_sigkilled_during_a_unit_is_retried_elsewhere(serial_ref, cluster, tmp_path, capsys):
    _, client = cluster
    sigdir = tmp_path / "signal"
    sigdir.mkdir()
    out = tmp_path / "res"
    plan = sweep_plan(sweep4_profile(), out, device="cpu", progress=False)
    target = plan.units[1].key
    plan = dataclasses.replace(plan, compute=functools.partial(_signalling_unit, str(sigdir), target))
    killed: list[int] = []

    def killer() -> None:
        mark = sigdir / "pid"
        t0 = time.monotonic()
        while not mark.exists() and time.monotonic() - t0 < 180:
            time.sleep(0.01)
        if mark.exists():
            pid = int(mark.read_text())
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)

    thread = threading.Thread(target=killer, daemon=True)
    thread.start()
    summary = run_plan(plan, client=client, progress=False)
    thread.join(timeout=5)
    assert killed, "the unit never signalled"
    assert summary.computed == 4 and not summary.failed
    assert_same_store(serial_ref, out, capsys)
    client.wait_for_workers(2, timeout=120)  # the nanny restarts the killed worker for the next tests


def test_client_sigkilled_mid_run_then_the_same_command_resumes(serial_ref, cluster, tmp_path, capsys):
    """The client of a cluster (``--scheduler``) is SIGKILLed once the first chunk is written; the
    same command run again completes the store on the same workers (the dead client's units are
    dropped by the scheduler)."""
    address, _ = cluster
    out = tmp_path / "res"
    proc = _popen(["ricci_lit.cli", "sweep", *SWEEP4, "--scheduler", address, "--out", str(out)],
                  tmp_path / "client.log")
    try:
        t0 = time.monotonic()
        while not _chunks(out):
            assert proc.poll() is None, (tmp_path / "client.log").read_text()
            assert time.monotonic() - t0 < 180, "no chunk within 180 s"
            time.sleep(0.002)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=60)
    finally:
        _stop(proc)
    done = _chunks(out)
    assert 1 <= len(done) < N_CHUNKS, f"the kill came too late to test anything: {done}"
    first = {name: (out / "chunks" / name).read_bytes() for name in done}
    capsys.readouterr()
    assert main(["sweep", *SWEEP4, "--scheduler", address, "--out", str(out)]) == 0
    assert f"{N_CHUNKS - len(done)} networks computed, {len(done)} already done" in capsys.readouterr().out
    for name, data in first.items():
        assert (out / "chunks" / name).read_bytes() == data  # never rewritten
    assert_same_store(serial_ref, out, capsys)


def _failing_unit(bad: str, settings, unit: Unit) -> UnitOutput:
    if unit.key == bad:
        raise ValueError(f"bad unit {unit.key} on purpose")
    return sweep_unit(settings, unit)


def test_a_unit_that_raises_is_named_and_the_rest_go_on(cluster, tmp_path, monkeypatch, capsys):
    address, _ = cluster
    from ricci_lit.experiments import paper1

    monkeypatch.setattr(paper1, "sweep_unit", functools.partial(_failing_unit, "B+narrow-shallow"))
    out = tmp_path / "res"
    capsys.readouterr()
    assert main(["sweep", *SWEEP4, "--scheduler", address, "--out", str(out)]) == 2
    err = [ln for ln in capsys.readouterr().err.splitlines() if ln.strip()]
    assert len(err) == 1 and err[0].startswith("ricci-lit: error: 1 of 4 units failed: B+narrow-shallow")
    assert "bad unit B+narrow-shallow on purpose" in err[0]
    assert len(_chunks(out)) == N_CHUNKS - 2  # the three other units' networks
    assert not any(name.startswith("B+narrow-shallow") for name in _chunks(out))


# -- one worker per GPU: the plumbing, with fake GPUs ------------------------------------------------
@dataclass(frozen=True)
class _Where:
    device: str = "cuda"
    seconds: float = 0.3


def _where(s: _Where, unit: Unit) -> UnitOutput:
    t0 = time.time()
    time.sleep(s.seconds)
    frame = pd.DataFrame({"gpu": [os.environ.get("CUDA_VISIBLE_DEVICES", "")], "pid": [os.getpid()],
                          "start": [t0], "end": [time.time()]})
    return UnitOutput(chunks=[Chunk("where", unit.key, frame, {"unit": unit.key})])


def test_one_worker_per_gpu_each_sees_only_its_own(tmp_path):
    units = [Unit(key=f"u{i}", chunks=(("where", f"u{i}"),)) for i in range(6)]
    plan = Plan(root=tmp_path / "res", profile="where", store_settings={"what": "where"}, units=units,
                compute=_where, settings=_Where(), desc="where")
    with local_cluster(2, gpus=["0", "1"], dashboard=False) as cl, distributed.Client(cl) as client:
        info = client.scheduler_info(n_workers=-1)["workers"]
        assert sorted(w["resources"].get("GPU") for w in info.values()) == [1, 1]
        summary = run_plan(plan, client=client, progress=False)  # device "cuda": units ask for GPU=1
    assert summary.computed == 6
    from ricci_lit.experiments.store import read_table

    rows = read_table(tmp_path / "res", "where")
    assert set(rows["gpu"]) == {"0", "1"}
    assert rows.groupby("pid")["gpu"].nunique().max() == 1  # a worker process keeps its one GPU
    for _, grp in rows.groupby("gpu"):  # two units never share a GPU: one at a time per device
        grp = grp.sort_values("start")
        assert (grp["start"].to_numpy()[1:] >= grp["end"].to_numpy()[:-1]).all()


def test_gpu_units_are_refused_by_a_cluster_without_gpus(cluster, tmp_path):
    _, client = cluster
    plan = Plan(root=tmp_path / "res", profile="where", store_settings={"what": "where"},
                units=[Unit(key="u0", chunks=(("where", "u0"),))], compute=_where, settings=_Where())
    ex = DaskExecutor(client, resources={"GPU": 1}, wait_for_workers=0.5)
    with pytest.raises(ValueError, match="no worker of the Dask cluster offers the resources GPU=1"):
        run_plan(plan, executor=ex, progress=False)


# -- arguments and errors ----------------------------------------------------------------------------
def test_no_flags_means_the_serial_default():
    with open_executor() as ex:
        assert ex is None


@pytest.mark.parametrize("bad", [dict(retries=-1), dict(retries=True), dict(max_in_flight=0), dict(max_in_flight=1.5)])
def test_dask_executor_refuses_bad_arguments(bad):
    with pytest.raises(ValueError):
        DaskExecutor(object(), **bad)


def test_run_plan_takes_an_executor_or_a_client_not_both(tmp_path):
    plan = Plan(root=tmp_path / "res", profile="where", store_settings={}, units=[], compute=_where)
    with pytest.raises(ValueError, match="not both"):
        run_plan(plan, executor=lambda fn, tasks: iter(()), client=object(), progress=False)


@pytest.mark.parametrize("flags, message", [
    (["--workers", "0"], "expected a positive number of workers"),
    (["--workers", "two"], "expected a positive number of workers"),
    (["--workers", "2", "--scheduler", "tcp://127.0.0.1:1"], "not allowed with argument"),
])
def test_cluster_flags_refused_in_one_line(flags, message, tmp_path, capsys):
    for command in (["sweep", *SWEEP4, "--out", str(tmp_path / "a")], ["p2", "--out", str(tmp_path / "b")],
                    ["checkpoints", "--results", str(tmp_path / "c")],
                    ["coefficients", "--results", str(tmp_path / "c"), "--out", str(tmp_path / "d")]):
        assert main([*command, *flags]) == 2
        err = [ln for ln in capsys.readouterr().err.splitlines() if ln.strip()]
        assert len(err) == 1 and message in err[0], err
    assert not (tmp_path / "a").exists()


def test_unreachable_scheduler_is_one_line(tmp_path, capsys):
    import dask

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with dask.config.set({"distributed.comm.timeouts.connect": "1s"}):
        assert main(["sweep", *SWEEP4, "--scheduler", f"tcp://127.0.0.1:{port}", "--out", str(tmp_path / "a")]) == 2
    err = [ln for ln in capsys.readouterr().err.splitlines() if ln.strip()]
    assert len(err) == 1 and f"cannot reach the Dask scheduler at tcp://127.0.0.1:{port}" in err[0], err


# -- the README's SLURM recipe -----------------------------------------------------------------------
#: the README's ``~/.config/dask/jobqueue.yaml`` (as a dict): per job one worker process with one
#: thread (``cores``) and one GPU, on 4 CPUs (``job-cpu``: data loading, the CPU geometry)
SLURM_CONFIG = {"jobqueue": {"slurm": {
    "queue": "gpu", "account": "myproject", "cores": 1, "processes": 1, "job-cpu": 4, "memory": "16GB",
    "walltime": "04:00:00", "job-extra-directives": ["--gres=gpu:1"], "worker-extra-args": ["--resources", "GPU=1"],
    "job-script-prologue": ["module load python", "source ~/ricci-lit/.venv/bin/activate",
                            "export RICCI_LIT_DATA=$HOME/data"],
    "local-directory": "$TMPDIR", "log-directory": "dask-logs"}}}


def test_slurm_recipe_renders():
    jobqueue = pytest.importorskip("dask_jobqueue")
    import dask

    flat = {f"jobqueue.slurm.{key}": value for key, value in SLURM_CONFIG["jobqueue"]["slurm"].items()}
    with dask.config.set(flat):  # on top of dask-jobqueue's defaults, as a jobqueue.yaml file is
        with jobqueue.SLURMCluster(scheduler_options={"host": "127.0.0.1", "dashboard_address": None}) as cl:
            script = cl.job_script()
    for line in ("#SBATCH -p gpu", "#SBATCH -A myproject", "#SBATCH --gres=gpu:1", "#SBATCH -t 04:00:00",
                 "#SBATCH --cpus-per-task=4",
                 "source ~/ricci-lit/.venv/bin/activate", "export RICCI_LIT_DATA=$HOME/data"):
        assert line in script, script
    assert "distributed.cli.dask_worker" in script and "--resources GPU=1" in script
    assert script.count("--nthreads") == 1 and "--nthreads 1 " in script


# -- how many units a cluster runs at once ----------------------------------------------------------
class _FakeClient:
    def __init__(self, workers):
        self.workers = workers

    def scheduler_info(self, n_workers: int = 5):
        assert n_workers == -1  # every worker, not the first five
        return {"workers": {f"tcp://w{i}": w for i, w in enumerate(self.workers)}}


_worker = st.fixed_dictionaries({"nthreads": st.integers(1, 8),
                                 "resources": st.dictionaries(st.sampled_from(["GPU", "MEM"]), st.integers(0, 4))})


@hsettings(max_examples=60, deadline=None)
@given(workers=st.lists(_worker, max_size=6), gpus=st.sampled_from([None, 1, 2]))
def test_slots_count_threads_or_resources(workers, gpus):
    ex = DaskExecutor(_FakeClient(workers), resources=None if gpus is None else {"GPU": gpus})
    if gpus is None:
        expect = sum(w["nthreads"] for w in workers)
    else:  # by hand: how many units of `gpus` GPUs fit on each worker
        expect = 0
        for w in workers:
            have = w["resources"].get("GPU", 0)
            while have >= gpus:
                have -= gpus
                expect += 1
    assert ex.slots() == expect


def test_workers_draw_no_progress_bars_of_their_own():
    from ricci_lit.experiments.executors import quiet_settings

    s = sweep_plan(sweep4_profile(), "/nonexistent-never-written", device="cpu", progress=True).settings
    assert s.progress and not quiet_settings(s).progress and quiet_settings(s).profile == s.profile
    assert quiet_settings(_Where()) == _Where() and quiet_settings({"progress": True}) == {"progress": True}


# -- numba's thread count in a worker that imported numba before its environment was set ---------
_NUMBA_PROBE = r"""
import os, sys
import numba
from numba.core import config
if config.NUMBA_DEFAULT_NUM_THREADS < 2:
    print("one cpu"); sys.exit(0)
if sys.argv[1] == "launched":
    numba.get_num_threads()          # numba's threads already run with the machine's count
os.environ["NUMBA_NUM_THREADS"] = "1"  # what a Dask nanny does after the main module's import
from ricci_lit.experiments.executors import one_thread
from ricci_lit.geometry._numba import kernel_threads
one_thread()

@numba.njit
def fresh(x):
    return x + 1

fresh(1.0)                           # numba re-reads its configuration before compiling
print(config.NUMBA_NUM_THREADS == int(os.environ["NUMBA_NUM_THREADS"]), numba.get_num_threads(), kernel_threads(),
      min(8, config.NUMBA_DEFAULT_NUM_THREADS))
"""


@pytest.mark.parametrize("state", ["imported", "launched"])
def test_a_worker_that_imported_numba_first_still_compiles(state):
    """A spawned worker re-imports the parent's main module (``ricci-lit`` imports numba) before the
    nanny sets ``NUMBA_NUM_THREADS=1``; numba then refused every later compilation ("Cannot set
    NUMBA_NUM_THREADS to a different value"), which failed a sweep's units after their training."""
    env = {k: v for k, v in ENV.items() if k != "NUMBA_NUM_THREADS"}
    res = subprocess.run([sys.executable, "-c", _NUMBA_PROBE, state], cwd=ROOT, env=env, capture_output=True,
                         check=False, text=True, timeout=300)
    assert res.returncode == 0, res.stderr[-2000:]
    if res.stdout.strip() == "one cpu":
        pytest.skip("numba sees one CPU: its configured count cannot disagree with 1")
    ok, numba_threads, kernel, machine = res.stdout.split()
    assert ok == "True" and numba_threads == "1"
    # re-read configuration: one kernel thread; threads already launched: the configured count kept
    assert kernel == ("1" if state == "imported" else machine)


def test_ricci_lit_sweep_on_local_workers_compiles_in_them(tmp_path):
    """The command line with ``--workers 2``, no ``NUMBA_NUM_THREADS`` in the user's environment and
    an empty numba cache (so the workers compile the kernels): every unit succeeds."""
    env = {k: v for k, v in ENV.items() if k != "NUMBA_NUM_THREADS"}
    env["NUMBA_CACHE_DIR"] = str(tmp_path / "numba-cache")
    out = tmp_path / "res"
    res = subprocess.run([sys.executable, "-m", "ricci_lit.cli", "sweep", "--problems", "A", "--architectures",
                          "narrow-shallow,wide-shallow", "--seeds", "1", "--n-test", "120", "--epochs", "1",
                          "--k-synthetic", "5,10", "--device", "cpu", "--no-progress", "--workers", "2",
                          "--out", str(out)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
                         check=False)
    assert res.returncode == 0, res.stdout[-1500:] + res.stderr[-1500:]
    assert "Cannot set NUMBA_NUM_THREADS" not in res.stderr
    assert len(_chunks(out)) == 2
