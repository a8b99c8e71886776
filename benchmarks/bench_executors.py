#!/usr/bin/env python
"""Speed-up of a sweep on a local Dask cluster (``--workers 2``) over the serial default, measured
interleaved, and the overhead Dask adds per unit (issue 13).

The workload is a real sweep (:func:`ricci_lit.experiments.paper1.run_sweep`) of the synthetic
problems (no data files): ``--problems`` × ``--architectures`` configurations (one unit each) of
``--seeds`` networks, ``--n-test`` test points, ``--epochs`` epochs, a 4-value k grid. It is run
``--repeats`` times in each of two ways, alternately (serial, dask, serial, dask, ...), each time
into a fresh store:

``serial``   the default: in this process, units one after the other (torch 1 thread, numba as
             configured, see ``numba_threads`` in the JSON)
``dask``     ``--workers 2``: :func:`ricci_lit.experiments.executors.open_executor` (a
             ``LocalCluster`` of 2 single-threaded processes), its start-up included in the wall time
             (``startup_s`` says how much of it it was)

Every dask store is checked equal to the first serial store (the network tables' values). The
overhead per unit is ``(2 × dask wall − serial wall) / units``: the core-seconds a unit costs on
the cluster beyond a perfect 2× (cluster start-up, sending data, idle cores at the end); it is
only meaningful when the machine's load leaves the two cores free. ``cpu_s`` (user + system
seconds of this process and of the cluster's worker processes, reaped when it closes) does not
depend on the load: ``(dask CPU − serial CPU) / units`` is the CPU Dask adds per unit. Apart from
that, ``--noop`` no-op units through the warm cluster time one unit's round trip alone.

Run ``PYTHONPATH=. python benchmarks/bench_executors.py`` (a few minutes per repeat at the
defaults); it writes ``benchmarks/results/bench_executors.{csv,json}`` (the JSON: summary,
provenance, load average before and after). On a shared machine the numbers move with the load;
the load average is recorded for that reason.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class _Noop:
    seconds: float = 0.0


def noop_unit(s: _Noop, unit):
    """A unit that does nothing (but sleep ``s.seconds``): the executor's own cost."""
    from ricci_lit.experiments.runner import UnitOutput

    if s.seconds:
        time.sleep(s.seconds)
    return UnitOutput()


def _run(kind: str, profile, out: Path, workers: int) -> dict:
    import resource

    from ricci_lit.experiments.executors import open_executor
    from ricci_lit.experiments.paper1 import run_sweep

    def cpu() -> float:  # this process and its reaped children (the local cluster's workers)
        own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime

    c0 = cpu()
    t0 = time.perf_counter()
    with open_executor(workers if kind == "dask" else None, device="cpu") as ex:
        t1 = time.perf_counter()
        summary = run_sweep(profile, out, device="cpu", progress=False, executor=ex)
        t2 = time.perf_counter()
    t3 = time.perf_counter()
    return {"kind": kind, "wall_s": t3 - t0, "cpu_s": cpu() - c0, "startup_s": t1 - t0, "run_s": t2 - t1, "shutdown_s": t3 - t2,
            "units": summary.computed, "networks": summary.chunks_written,
            **{f"{k}_s": v for k, v in summary.stages.items()}}


def _noop_round_trip(workers: int, n: int) -> dict:
    """Seconds per no-op unit through a warm cluster (submission, pickling, scheduling, return)."""
    from ricci_lit.experiments.executors import open_executor
    from ricci_lit.experiments.runner import Plan, Unit, run_plan

    with tempfile.TemporaryDirectory() as tmp, open_executor(workers) as ex:
        plan = Plan(root=Path(tmp) / "noop", profile="noop", store_settings={}, units=[Unit(key="warm")],
                    compute=noop_unit, settings=_Noop())
        from ricci_lit.experiments.executors import one_thread

        ex.client.run(one_thread)  # warm every worker (its imports)
        run_plan(plan, executor=ex, progress=False)
        units = [Unit(key=f"u{i}") for i in range(n)]
        plan = Plan(root=Path(tmp) / "noop", profile="noop", store_settings={}, units=units, compute=noop_unit,
                    settings=_Noop())
        t0 = time.perf_counter()
        run_plan(plan, executor=ex, progress=False)
        dt = time.perf_counter() - t0
        t0 = time.perf_counter()
        run_plan(plan, progress=False)  # the same units serially, in this process
        dt_serial = time.perf_counter() - t0
    return {"noop_units": n, "noop_dask_s_per_unit": dt / n, "noop_serial_s_per_unit": dt_serial / n}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--problems", default="A,B,C")
    ap.add_argument("--architectures", default="narrow-shallow,wide-shallow,narrow-deep,wide-deep")
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--n-test", type=int, default=400)
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--noop", type=int, default=200, help="no-op units for the round-trip time (0: skip)")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results"))
    args = ap.parse_args(argv)

    from ricci_lit.experiments.paper1 import get_profile, load_results
    from ricci_lit.provenance import provenance

    profile = get_profile("quick", problems=args.problems.split(","), architectures=args.architectures.split(","),
                          n_seeds=args.seeds, n_test=args.n_test, epochs=args.epochs, k_synthetic=[10, 20, 30, 50])
    load_before = os.getloadavg()
    rows = []
    ref = None
    tmp = Path(tempfile.mkdtemp(prefix="bench-executors-"))
    try:
        for rep in range(args.repeats):
            for kind in ("serial", "dask"):
                out = tmp / f"{kind}{rep}"
                row = _run(kind, profile, out, args.workers)
                row.update(repeat=rep, load1=os.getloadavg()[0])
                nets = load_results(out)[1].drop(columns=["train_seconds", "geometry_seconds", "device"])
                nets = nets.sort_values(["problem", "architecture", "seed", "layer", "k"]).reset_index(drop=True)
                if ref is None:
                    ref = nets
                pd.testing.assert_frame_equal(nets, ref, check_exact=True)  # same numbers, every run
                row["equal_to_serial"] = True
                rows.append(row)
                print(f"{kind:>6} repeat {rep}: {row['wall_s']:.1f} s (start-up {row['startup_s']:.1f} s), "
                      f"load {row['load1']:.2f}", flush=True)
                shutil.rmtree(out)
        noop = _noop_round_trip(args.workers, args.noop) if args.noop else {}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    table = pd.DataFrame(rows)
    serial = table.loc[table["kind"] == "serial", "wall_s"]
    dask = table.loc[table["kind"] == "dask", "wall_s"]
    units = int(table["units"].iloc[0])
    pairs = list(zip(serial, dask))
    summary = {
        "workers": args.workers, "units": units, "networks": int(table["networks"].iloc[0]),
        "serial_wall_s": serial.tolist(), "dask_wall_s": dask.tolist(),
        "speedup_per_pair": [s / d for s, d in pairs],
        "speedup_median": float(pd.Series([s / d for s, d in pairs]).median()),
        "dask_startup_s": table.loc[table["kind"] == "dask", "startup_s"].tolist(),
        "overhead_s_per_unit": [(args.workers * d - s) / units for s, d in pairs],
        "serial_cpu_s": table.loc[table["kind"] == "serial", "cpu_s"].tolist(),
        "dask_cpu_s": table.loc[table["kind"] == "dask", "cpu_s"].tolist(),
        "cpu_overhead_s_per_unit": [(d - s) / units for s, d in zip(table.loc[table["kind"] == "serial", "cpu_s"],
                                                                     table.loc[table["kind"] == "dask", "cpu_s"])],
        **noop,
    }
    import numba

    meta = {"summary": summary, "settings": vars(args), "profile_settings": profile.settings(),
            "cpu_count": os.cpu_count(), "numba_threads": numba.get_num_threads(),
            "load_average_before": load_before, "load_average_after": os.getloadavg(),
            "provenance": provenance(benchmark="bench_executors")}
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    table.to_csv(out / "bench_executors.csv", index=False)
    (out / "bench_executors.json").write_text(json.dumps(meta, indent=2, default=str) + "\n")
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
