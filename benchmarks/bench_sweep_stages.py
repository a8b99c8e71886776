#!/usr/bin/env python
"""Where a paper-profile sweep spends its geometry time, stage by stage, on this machine.

A sweep's per-network cost is recorded in its store (``train_seconds``, ``geometry_seconds``;
:func:`ricci_lit.experiments.paper1.timing_table`), but not how the geometry splits. This script re-times the
geometry of representative networks of a results store (seed 0 of one shallow and one deep
architecture of every problem whose checkpoints are present) with the stages that
:func:`ricci_lit.geometry.coefficients.geometry_table` runs, in the same order, in this process:

``representations``  the test set through the network (:func:`ricci_lit.networks.mlp.representations`)
``knn``              one neighbour sort per representation up to the largest k (``neighbour_table``)
``graphs``           the kNN graph of every k from that sort (``graph_from_table``)
``distances``        all-pairs hop-distance totals of every graph (``hop_distance_totals``)
``curvature``        the total Forman curvature of every graph (``edge_curvature(...).sum()``)

and, as a check, ``geometry_table`` itself on the same representations (its time should be the
sum of the stages up to noise, and its numbers are compared with the stored chunk's).

Run ``PYTHONPATH=. python benchmarks/bench_sweep_stages.py [--results results/paper]``; it writes
``benchmarks/results/bench_sweep_stages.{csv,json}`` (the JSON holds the provenance and the load
average before and after). Rows of networks not timed in this run (their checkpoints may be gone
on this machine) are kept from the existing CSV, and the provenance of the runs that timed them
stays in the JSON's ``earlier_runs``; ``--replace`` writes this run's rows alone. Absolute seconds depend on the machine and its load; the shares are
what the book quotes.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]


def _stage_times(reps, ks, mode: str, curvature: str) -> dict[str, float]:
    from ricci_lit.geometry.curvature import edge_curvature
    from ricci_lit.geometry.distances import hop_distance_totals
    from ricci_lit.geometry.knn import graph_from_table, neighbour_table

    out = {"knn": 0.0, "graphs": 0.0, "distances": 0.0, "curvature": 0.0}
    for X in reps:
        t0 = time.perf_counter()
        table = neighbour_table(X, max(ks))
        out["knn"] += time.perf_counter() - t0
        for k in ks:
            t0 = time.perf_counter()
            g = graph_from_table(table, k, mode)
            out["graphs"] += time.perf_counter() - t0
            t0 = time.perf_counter()
            hop_distance_totals(g)
            out["distances"] += time.perf_counter() - t0
            t0 = time.perf_counter()
            float(edge_curvature(g, curvature).sum())
            out["curvature"] += time.perf_counter() - t0
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--results", default=str(ROOT / "results" / "paper"), help="a results directory with checkpoints")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results"), help="where to write the CSV and JSON")
    ap.add_argument("--architectures", default="narrow-shallow,wide-deep",
                    help="architectures timed per problem (seed 0 of each)")
    ap.add_argument("--replace", action="store_true",
                    help="write only this run's rows (default: merge them into the existing CSV, replacing "
                         "the rows of the networks timed again)")
    args = ap.parse_args(argv)

    import torch

    from ricci_lit.geometry.coefficients import geometry_table
    from ricci_lit.networks.mlp import MLPEnsemble, representations
    from ricci_lit.provenance import provenance
    from ricci_lit.experiments.store import ResultsStore
    from ricci_lit.experiments.paper1 import load_results, problem_data, stored_profile

    torch.set_num_threads(1)
    root = Path(args.results)
    nets, geo, manifest = load_results(root)
    settings = manifest["settings"]
    prof = stored_profile(manifest)
    store = ResultsStore(root, manifest["profile"], settings)
    load_before = os.getloadavg()
    rows = []
    archs = [a.strip() for a in args.architectures.split(",") if a.strip()]
    for problem in prof.problems:
        todo = [a for a in archs if store.checkpoint_path(f"{problem}+{a}").exists()
                and ((nets["problem"] == problem) & (nets["architecture"] == a) & (nets["seed"] == 0)).any()]
        if not todo:
            print(f"{problem}: no checkpoint of {archs} with seed 0 in {root}; skipped", flush=True)
            continue
        x_test = problem_data(prof, problem, None)[2]
        ks = prof.ks_for(problem, len(x_test))
        for arch in todo:
            ens = MLPEnsemble.from_state(store.load_checkpoint(f"{problem}+{arch}")["ensemble"])
            t0 = time.perf_counter()
            reps = representations(ens.subset([list(ens.seeds).index(0)]), x_test)[0]
            t_reps = time.perf_counter() - t0
            stages = _stage_times(reps.all, ks, prof.mode, prof.curvature)
            t0 = time.perf_counter()
            table = geometry_table(reps.all, ks, curvature=prof.curvature, mode=prof.mode)
            t_total = time.perf_counter() - t0
            stored = geo[(geo["problem"] == problem) & (geo["architecture"] == arch) & (geo["seed"] == 0)]
            merged = table.merge(stored[["layer", "k", "ric", "g"]], on=["layer", "k"], suffixes=("", "_stored"))
            same = bool(len(merged) == len(table) and np.array_equal(merged["ric"], merged["ric_stored"])
                        and np.array_equal(merged["g"], merged["g_stored"]))
            row = {"problem": problem, "architecture": arch, "seed": 0, "n_test": len(x_test),
                   "n_representations": len(reps.all), "n_k": len(ks), "k_max": max(ks),
                   "representations_s": t_reps, **{f"{k}_s": v for k, v in stages.items()},
                   "geometry_table_s": t_total, "same_as_stored": same}
            rows.append(row)
            print(f"{problem} {arch}: " + ", ".join(f"{k} {v:.2f} s" for k, v in row.items() if k.endswith("_s"))
                  + f"; equals the stored chunk: {same}", flush=True)
    if not rows:
        print("nothing timed", file=sys.stderr)
        return 1
    df = pd.DataFrame(rows)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    meta = provenance(benchmark="bench_sweep_stages", results=str(root), load_before=load_before,
                      load_after=os.getloadavg(), torch_threads=1,
                      timed=[f"{r['problem']}+{r['architecture']}" for r in rows])
    csv_path, json_path = out / "bench_sweep_stages.csv", out / "bench_sweep_stages.json"
    earlier: list = []
    if not args.replace and csv_path.exists():
        # keep the rows of networks not re-timed now (their checkpoints may be gone), each with
        # the provenance of the run that timed it
        old = pd.read_csv(csv_path)
        keys = ["problem", "architecture", "seed"]
        kept = old[~old.set_index(keys).index.isin(df.set_index(keys).index)]
        df = pd.concat([kept, df], ignore_index=True)
        if json_path.exists():
            before = json.loads(json_path.read_text())
            earlier = [before["provenance"], *before.get("earlier_runs", [])] if "provenance" in before else []
    df.to_csv(csv_path, index=False)
    json_path.write_text(json.dumps({"provenance": meta, "earlier_runs": earlier, "rows": rows}, indent=2,
                                    default=str))
    if not df["same_as_stored"].all():
        print("geometry differs from the stored chunks", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
