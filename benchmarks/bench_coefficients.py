#!/usr/bin/env python
"""What sharing the triangle counts saves in paper 2's coefficients of one paper-scale network.

:func:`ricci_lit.geometry.engine.network_coefficients` computes the augmented Forman and approximate
Ollivier curvatures from the same per-edge triangle counts (:func:`ricci_lit.geometry.curvature.triangles`)
and counts them once per graph. The baseline is the same call with the sharing switched off (each
curvature counts the triangles itself, as before the change), in the same process, on the same
representations: seed 0 of one trained network of a results store (from its checkpoint), all
representations, at the ``k`` paper 1's rule chose for the configuration, union graphs, the three
default curvatures: exactly one ``ricci-lit coefficients`` unit (one state, one mode).

Run ``PYTHONPATH=. python benchmarks/bench_coefficients.py [--results results/paper]
[--problem fmnist-5v9] [--architecture narrow-deep] [--repeats 2]``. It prints the seconds of both
variants (best of ``--repeats``), their ratio, and checks that the two give identical tables; it
writes ``benchmarks/results/bench_coefficients.{csv,json}`` with provenance and the load average.
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


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--results", default=str(ROOT / "results" / "paper"), help="a results directory with checkpoints")
    ap.add_argument("--problem", default="fmnist-5v9")
    ap.add_argument("--architecture", default="narrow-deep")
    ap.add_argument("--repeats", type=int, default=2, help="timed runs per variant (the best is kept)")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results"), help="where to write the CSV and JSON")
    args = ap.parse_args(argv)
    if args.repeats < 1:
        ap.error("--repeats must be at least 1")

    import torch

    from ricci_lit.geometry import engine
    from ricci_lit.experiments.coefficients import coefficient_ks
    from ricci_lit.networks.mlp import MLPEnsemble, representations
    from ricci_lit.provenance import provenance
    from ricci_lit.experiments.store import ResultsStore
    from ricci_lit.experiments.paper1 import problem_data, stored_profile

    torch.set_num_threads(1)
    root = Path(args.results)
    manifest = json.loads((root / "manifest.json").read_text())
    store = ResultsStore(root, manifest["profile"], manifest["settings"])
    ckpt = store.load_checkpoint(f"{args.problem}+{args.architecture}")
    if ckpt is None:
        print(f"no checkpoint of {args.problem}+{args.architecture} in {root} (ricci-lit checkpoints re-creates it)",
              file=sys.stderr)
        return 1
    ks = coefficient_ks(root)
    k = ks[(ks["problem"] == args.problem) & (ks["architecture"] == args.architecture)]["k"].iloc[0]
    if k is None or (isinstance(k, float) and np.isnan(k)):
        print(f"{args.problem} {args.architecture} has no best k", file=sys.stderr)
        return 1
    k = int(k)
    x_test = problem_data(stored_profile(manifest), args.problem, None)[2]
    ens = MLPEnsemble.from_state(ckpt["ensemble"])
    reps = representations(ens.subset([list(ens.seeds).index(0)]), x_test)[0]

    def run(shared: bool) -> tuple[float, pd.DataFrame]:
        t0 = time.perf_counter()
        tab = engine.network_coefficients([reps], k, layers="all", mode="union", share_triangles=shared)
        return time.perf_counter() - t0, tab.layers

    load_before = os.getloadavg()
    times: dict[str, list[float]] = {"shared": [], "separate": []}
    tables = {}
    for _ in range(args.repeats):  # interleaved, so a change of load hits both variants
        for name in ("separate", "shared"):
            sec, tab = run(name == "shared")
            times[name].append(sec)
            tables[name] = tab
    same = tables["shared"].equals(tables["separate"])
    best = {name: min(v) for name, v in times.items()}
    ratio = best["separate"] / best["shared"]
    print(f"{args.problem} {args.architecture} seed 0, {len(reps.all)} representations of {reps.input.shape[0]} "
          f"points, k = {k}, curvatures {', '.join(engine.DEFAULT_CURVATURES)}, union graphs")
    print(f"  triangles counted per curvature (before): {best['separate']:.2f} s")
    print(f"  triangles counted once per graph (now):   {best['shared']:.2f} s")
    print(f"  ratio before/now: {ratio:.2f}; identical tables: {same}; load average {load_before} -> {os.getloadavg()}")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    row = {"problem": args.problem, "architecture": args.architecture, "seed": 0, "k": k,
           "n_points": int(reps.input.shape[0]), "n_representations": len(reps.all),
           "separate_s": best["separate"], "shared_s": best["shared"], "ratio": ratio, "identical": same}
    meta = provenance(benchmark="bench_coefficients", results=str(root), load_before=load_before,
                      load_after=os.getloadavg(), torch_threads=1, repeats=args.repeats, all_times=times)
    pd.DataFrame([row]).to_csv(out / "bench_coefficients.csv", index=False)  # after: a rewritten CSV is -dirty
    (out / "bench_coefficients.json").write_text(json.dumps({"provenance": meta, "row": row}, indent=2, default=str))
    return 0 if same else 2


if __name__ == "__main__":
    sys.exit(main())
