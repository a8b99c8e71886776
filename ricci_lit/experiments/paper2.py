"""Paper 2's two training-side experiments at scale, resumable: trajectories and depth profiles.

Paper 2 (Hehl, von Renesse & Weber 2025; paper-details §5.7 (d), (e)) proposes two heuristics
from its coefficients, which :mod:`ricci_lit.analysis.paper2` implements for one ensemble:

* **geometry-informed early stopping** (P2 §4.3): the mean local coefficient recorded along
  training falls to a minimum around the epoch where the test accuracy saturates;
  :func:`ricci_lit.experiments.trajectory.local_coefficient_trajectory` records it and
  :func:`ricci_lit.analysis.paper2.early_stopping_table` applies our stopping rule;
* **depth selection** (P2 §4.4, Fig. 5): the layer coefficient of width-25 networks of several
  depths is U-shaped, rising toward 0 after a "critical" layer roughly independent of depth;
  :func:`ricci_lit.analysis.paper2.critical_layer` states our rule for it.

This module runs both over a fixed *plan* (:data:`PLANS`) into one results store
(:mod:`ricci_lit.experiments.store`), one chunk per unit, so a killed run resumes and a finished one is
reloaded. Table ``trajectory`` has one chunk per (problem, architecture): every seed's
coefficients and accuracies at initialisation and every ``every`` epochs of paper 1's training
(RMSprop, batch 32, Glorot; the networks of paper 1's design). Table ``depth`` has one chunk per
(problem, depth): the layer coefficients of width-25 networks trained with paper 2's protocol
(full-batch Adam until 99 % training accuracy, PyTorch initialisation, pixels in [0, 1];
paper-notes §3), plus their accuracy and whether they reached the threshold.
"""
from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping, Sequence

import pandas as pd

from ricci_lit.provenance import provenance
from ricci_lit.experiments.store import ResultsStore, read_manifest, read_table

__all__ = ["P2Plan", "PLANS", "run_p2_experiments", "load_p2_experiments", "book_p2"]


@dataclass(frozen=True)
class P2Plan:
    """What :func:`run_p2_experiments` computes (all of it is the store's settings)."""

    name: str
    trajectories: tuple[tuple[str, str], ...]
    trajectory_seeds: tuple[int, ...]
    epochs: int
    every: int
    depth_problems: tuple[str, ...]
    depths: tuple[int, ...]
    depth_width: int
    depth_seeds: tuple[int, ...]
    k: int = 50
    curvatures: tuple[str, ...] = ("approx-ollivier", "augmented-forman")
    n_test: int | None = None
    n_train: int | None = None
    max_steps: int = 20_000
    threshold: float = 0.99

    def settings(self) -> dict[str, Any]:
        d = asdict(self)
        d["trajectories"] = [list(t) for t in self.trajectories]
        for key in ("trajectory_seeds", "depth_problems", "depths", "depth_seeds", "curvatures"):
            d[key] = list(d[key])
        return d


PLANS: Mapping[str, P2Plan] = MappingProxyType({
    "paper": P2Plan(
        name="paper",
        trajectories=(("A", "narrow-deep"), ("C", "wide-deep"), ("mnist-1v7", "narrow-shallow")),
        trajectory_seeds=tuple(range(6)), epochs=50, every=2,
        depth_problems=("A", "mnist-1v7"), depths=(6, 8, 10, 12, 14, 16), depth_width=25,
        depth_seeds=tuple(range(10))),
    "quick": P2Plan(
        name="quick", trajectories=(("A", "narrow-shallow"),), trajectory_seeds=(0, 1), epochs=4, every=2,
        depth_problems=("A",), depths=(4, 6), depth_width=25, depth_seeds=(0, 1), k=20, n_test=200,
        n_train=400, max_steps=300),
})


def _data(problem: str, plan: P2Plan, pixel_scale: float, data_dir: str | None):
    """``(x_train, y_train, x_test, y_test)`` with the sweeps' deterministic training subset."""
    from ricci_lit.data.problems import load_xy

    return load_xy(problem, n_test=plan.n_test, n_train=plan.n_train, data_seed=0, pixel_scale=pixel_scale,
                    data_dir=data_dir)[1:]


def run_p2_experiments(out: str | Path, plan: str | P2Plan = "paper", *, parts: Sequence[str] = ("trajectory", "depth"),
                       device: str = "auto", data_dir: str | None = None, progress: bool = True,
                       pack: bool = True) -> dict[str, Any]:
    """Run (or resume) a plan's trajectories and depth profiles into the results store ``out``.

    Parameters
    ----------
    out
        Results directory (its manifest holds the plan; other settings are refused).
    plan
        A name of :data:`PLANS` or a :class:`P2Plan`.
    parts
        ``"trajectory"`` and/or ``"depth"``.
    device
        Training device (``"auto"``: CUDA when available).
    data_dir
        Where the MNIST / Fashion-MNIST files are.
    progress
        Progress bars.
    pack
        Pack each table into one file per problem at the end.

    Returns
    -------
    dict
        Units computed and skipped, and the wall time.
    """
    from tqdm import tqdm

    from ricci_lit.data.problems import PROBLEMS
    from ricci_lit.experiments.trajectory import local_coefficient_trajectory
    from ricci_lit.networks.mlp import representations
    from ricci_lit.geometry.engine import network_coefficients
    from ricci_lit.networks.training import UntilAccuracyConfig, torch_threads, train_until_accuracy

    if isinstance(plan, str):
        if plan not in PLANS:
            raise ValueError(f"unknown plan {plan!r}; choose one of {', '.join(PLANS)}")
        plan = PLANS[plan]
    bad = [p for p in parts if p not in ("trajectory", "depth")]
    if bad or not parts:
        raise ValueError(f"parts must be a non-empty subset of ('trajectory', 'depth'), got {list(parts)}")
    store = ResultsStore(Path(out), f"p2-{plan.name}", plan.settings())
    units = ([("trajectory", p, a) for p, a in plan.trajectories] if "trajectory" in parts else []) + \
            ([("depth", p, d) for p in plan.depth_problems for d in plan.depths] if "depth" in parts else [])
    keys = [(t, f"{p}+{x}" if t == "trajectory" else f"{p}+d{x}") for t, p, x in units]
    done = [store.has_chunk(t, k) for t, k in keys]
    t_start = time.perf_counter()
    computed = 0
    bar = tqdm(total=len(units), initial=sum(done), desc=f"p2 {plan.name}", unit="unit", disable=not progress)
    try:
        for (table, problem, x), (_, key), finished in zip(units, keys, done):
            if finished:
                continue
            t0 = time.perf_counter()
            if table == "trajectory":
                x_tr, y_tr, x_te, y_te = _data(problem, plan, 1.0, data_dir)
                with torch_threads(1):
                    frame = local_coefficient_trajectory(
                        x_tr, y_tr, x_te, y_te, x, list(plan.trajectory_seeds), k=plan.k,
                        curvature=list(plan.curvatures), epochs=plan.epochs, every=plan.every, device=device)
                frame.insert(0, "architecture", x)
                frame.insert(0, "problem", problem)
            else:
                # paper 2's protocol: pixels in [0, 1], PyTorch initialisation, full-batch Adam until 99 %
                synthetic = PROBLEMS[problem].kind == "synthetic"
                x_tr, y_tr, x_te, y_te = _data(problem, plan, 1.0 if synthetic else 1 / 255, data_dir)
                widths = [plan.depth_width] * int(x)
                cfg = UntilAccuracyConfig(threshold=plan.threshold, max_steps=plan.max_steps)
                with torch_threads(1):
                    res = train_until_accuracy(x_tr, y_tr, widths, list(plan.depth_seeds), cfg, device=device,
                                               progress=False, init="torch")
                ens = res.ensemble.to("cpu")
                reps = representations(ens, x_te)
                tabs = network_coefficients(reps, plan.k, curvatures=plan.curvatures, layers="all")
                frame = tabs.layers.merge(
                    tabs.networks[["network", "curvature", "rho", "local_mean", "layer_min", "layer_argmin"]],
                    on=["network", "curvature"])
                acc = {i: float(((r.output[:, 0] > 0.5) == y_te).mean()) for i, r in enumerate(reps)}
                frame["test_accuracy"] = frame["network"].map(acc)
                frame["steps"] = frame["network"].map(dict(enumerate(int(s) for s in res.steps)))
                frame["reached"] = frame["network"].map(dict(enumerate(bool(r) for r in res.reached)))
                frame.insert(0, "depth", int(x))
                frame.insert(0, "problem", problem)
            seconds = time.perf_counter() - t0
            frame["seconds"] = seconds
            store.write_chunk(table, key, frame.reset_index(drop=True),
                              provenance(table=table, plan=plan.settings(), problem=problem, unit=str(x),
                                         seconds=seconds))
            computed += 1
            bar.update(1)
    finally:
        bar.close()
    if pack:
        for table in ("trajectory", "depth"):
            store.pack(table)
    return {"out": store.root, "units": len(units), "computed": computed, "done_before": sum(done),
            "wall_seconds": time.perf_counter() - t_start}


def load_p2_experiments(out: str | Path) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    """``(trajectory, depth, manifest)`` tables of a store written by :func:`run_p2_experiments`."""
    root = Path(out)
    manifest = read_manifest(root, "p2")
    return read_table(root, "trajectory"), read_table(root, "depth"), manifest


