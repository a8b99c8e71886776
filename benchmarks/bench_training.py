"""Benchmark: networks trained per minute, batched ensemble vs one network at a time.

Not a test. Trains the same seeds (a) all at once with :func:`ricci_lit.networks.training.train_ensemble` and
(b) one at a time (each call ``seeds=[s]``), in the same process, on synthetic data shaped like P1's
problems (paper-notes §2–3), and prints networks per minute and the speed-up. Sequential timing uses
the first ``--n-single`` seeds and is extrapolated to networks per minute (training cost per network
does not depend on the seed).

Usage::

    PYTHONPATH=. python benchmarks/bench_training.py                 # the two default cases
    PYTHONPATH=. python benchmarks/bench_training.py --full-epoch    # + 36 × wide-deep, 12,000 × 784, 1 epoch

Threads: ``torch.set_num_threads`` is set from ``--threads``, else ``$OMP_NUM_THREADS``, else the
number of CPUs this process may run on.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from dataclasses import dataclass

import numpy as np
import torch

from ricci_lit.networks.training import TrainConfig, train_ensemble


@dataclass(frozen=True)
class Case:
    name: str
    arch: str
    n_train: int
    d: int
    epochs: int
    n_seeds: int


def _data(n: int, d: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    if d == 3:  # a curved 3-D boundary, like the synthetic sets
        x = rng.uniform(-1, 1, size=(n, 3)).astype(np.float32)
        y = (np.sin(3 * x[:, 0]) + x[:, 1] ** 2 - x[:, 2] > 0).astype(np.float32)
    else:  # "pixels" in [0, 255] (P1 feeds raw pixels) with a linear rule
        x = rng.uniform(0, 255, size=(n, d)).astype(np.float32)
        w = rng.normal(size=d)
        y = ((x - 127.5) @ w > 0).astype(np.float32)
    return x, y


def _threads(arg: int | None) -> int:
    if arg is not None:
        return arg
    env = os.environ.get("OMP_NUM_THREADS")
    if env:
        return int(env)
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def run_case(case: Case, n_single: int, device: str) -> dict:
    x, y = _data(case.n_train, case.d)
    cfg = TrainConfig(epochs=case.epochs)
    seeds = list(range(case.n_seeds))
    t0 = time.perf_counter()
    batched = train_ensemble(x, y, case.arch, seeds, cfg, device=device, progress=False)
    t_batched = time.perf_counter() - t0
    row = dict(case=case.name, arch=case.arch, n=case.n_train, d=case.d, epochs=case.epochs,
               B=case.n_seeds, t_batched=t_batched, npm_batched=60 * case.n_seeds / t_batched,
               mean_train_acc=float(batched.train_accuracy.mean()))
    if n_single > 0:
        k = min(n_single, case.n_seeds)
        t0 = time.perf_counter()
        for s in seeds[:k]:
            train_ensemble(x, y, case.arch, [s], cfg, device=device, progress=False)
        t_single = time.perf_counter() - t0
        row.update(k_single=k, t_single=t_single, npm_single=60 * k / t_single)
        row["speedup"] = row["npm_batched"] / row["npm_single"]
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--device", default="auto")
    ap.add_argument("--n-single", type=int, default=6, help="seeds timed one at a time per case")
    ap.add_argument("--seeds", type=int, default=36)
    ap.add_argument("--epochs-3d", type=int, default=5)
    ap.add_argument("--epochs-784", type=int, default=2)
    ap.add_argument("--full-epoch", action="store_true",
                    help="also time 36 × wide-deep on 12,000 × 784 for 1 epoch (batched only)")
    ap.add_argument("--skip-default", action="store_true", help="only run --full-epoch")
    args = ap.parse_args()

    nt = _threads(args.threads)
    torch.set_num_threads(nt)
    print(f"torch {torch.__version__} | {platform.processor() or platform.machine()} | "
          f"threads={torch.get_num_threads()} | device={args.device} | "
          f"cuda={torch.cuda.is_available()} | loadavg={os.getloadavg()[0]:.2f}")

    # Warm-up (first-call costs: kernels, allocator, imports).
    xw, yw = _data(64, 3)
    train_ensemble(xw, yw, "wide-deep", [0, 1], TrainConfig(epochs=1), device=args.device, progress=False)

    cases = []
    if not args.skip_default:
        cases += [Case("synthetic-3d", "wide-deep", 1000, 3, args.epochs_3d, args.seeds),
                  Case("pixels-784", "wide-deep", 2000, 784, args.epochs_784, args.seeds)]
    rows = [run_case(c, args.n_single, args.device) for c in cases]
    if args.full_epoch:
        rows.append(run_case(Case("mnist-size", "wide-deep", 12000, 784, 1, 36), 0, args.device))

    hdr = (f"{'case':<13} {'arch':<10} {'n':>6} {'d':>4} {'ep':>3} {'B':>3} | {'batched s':>9} "
           f"{'net/min':>8} | {'single s':>8} {'(k)':>4} {'net/min':>8} | {'speed-up':>8}")
    print(hdr)
    print("-" * len(hdr))
    for r in rows:
        single = (f"{r['t_single']:8.1f} {r['k_single']:4d} {r['npm_single']:8.1f} | {r['speedup']:7.1f}×"
                  if "t_single" in r else f"{'-':>8} {'-':>4} {'-':>8} | {'-':>8}")
        print(f"{r['case']:<13} {r['arch']:<10} {r['n']:6d} {r['d']:4d} {r['epochs']:3d} {r['B']:3d} | "
              f"{r['t_batched']:9.1f} {r['npm_batched']:8.1f} | {single}")
    for r in rows:
        if r["case"] == "mnist-size":
            per_epoch = r["t_batched"] / r["epochs"]
            print(f"\n36 × wide-deep, 12,000 × 784, 1 epoch: {per_epoch:.1f} s "
                  f"→ 50 epochs ≈ {50 * per_epoch / 60:.1f} min per (problem, architecture) cell")


if __name__ == "__main__":
    main()
