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
(:mod:`ricci_lit.experiments.store`) on :mod:`ricci_lit.experiments.runner`, one chunk per unit, so a
killed run resumes and a finished one is reloaded. Table ``trajectory`` has one chunk per (problem, architecture): every seed's
coefficients and accuracies at initialisation and every ``every`` epochs of paper 1's training
(RMSprop, batch 32, Glorot; the networks of paper 1's design). Table ``depth`` has one chunk per
(problem, depth): the layer coefficients of width-25 networks trained with paper 2's protocol
(full-batch Adam until 99 % training accuracy, PyTorch initialisation, pixels in [0, 1];
paper-notes §3), plus their accuracy and whether they reached the threshold.
"""
from __future__ import annotations

import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping, Sequence

import pandas as pd

from ricci_lit.experiments.paper1 import LEGACY_TRAINING_SCHEME, resolve_training_scheme
from ricci_lit.experiments.runner import Chunk, Executor, Plan, RunSummary, Unit, UnitOutput, run_plan
from ricci_lit.experiments.store import read_manifest, read_table
from ricci_lit.provenance import provenance

__all__ = ["P2Plan", "PLANS", "P2Settings", "p2_unit", "p2_plan", "run_p2_experiments", "load_p2_experiments"]


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
    training_scheme: str | None = None

    def settings(self) -> dict[str, Any]:
        """The store's settings: every field (the training scheme only when it is not the legacy
        one, so stores written before schemes existed keep their settings)."""
        d = asdict(self)
        if d["training_scheme"] in (None, LEGACY_TRAINING_SCHEME):
            d.pop("training_scheme")
        d["trajectories"] = [list(t) for t in self.trajectories]
        for key in ("trajectory_seeds", "depth_problems", "depths", "depth_seeds", "curvatures"):
            d[key] = list(d[key])
        return d


#: The paper-2 plans by name: ``"paper"`` (paper 2's scale) and ``"quick"`` (a small one).
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


@dataclass(frozen=True)
class P2Settings:
    """What every unit of :func:`p2_plan` shares (plain, picklable data)."""

    plan: P2Plan
    device: str = "auto"
    data_dir: str | None = None


def _trajectory_frame(s: P2Settings, problem: str, arch: str) -> pd.DataFrame:
    """Every seed's coefficients along paper 1's training of ``arch`` on ``problem``."""
    from ricci_lit.experiments.trajectory import local_coefficient_trajectory
    from ricci_lit.networks.training import torch_threads

    plan = s.plan
    from ricci_lit.networks.training import TrainConfig

    x_tr, y_tr, x_te, y_te = _data(problem, plan, 1.0, s.data_dir)
    with torch_threads(1):
        frame = local_coefficient_trajectory(
            x_tr, y_tr, x_te, y_te, arch, list(plan.trajectory_seeds), k=plan.k,
            curvature=list(plan.curvatures), epochs=plan.epochs, every=plan.every, device=s.device,
            config=TrainConfig(scheme=plan.training_scheme))
    frame.insert(0, "architecture", arch)
    frame.insert(0, "problem", problem)
    return frame


def _depth_frame(s: P2Settings, problem: str, depth: int) -> pd.DataFrame:
    """Layer coefficients of width-``plan.depth_width`` networks of ``depth`` hidden layers
    trained with paper 2's protocol: pixels in [0, 1], PyTorch initialisation, full-batch Adam
    until ``plan.threshold`` training accuracy."""
    from ricci_lit.data.problems import PROBLEMS
    from ricci_lit.geometry.engine import network_coefficients
    from ricci_lit.networks.mlp import output_accuracy, representations
    from ricci_lit.networks.training import UntilAccuracyConfig, torch_threads, train_until_accuracy

    plan = s.plan
    synthetic = PROBLEMS[problem].kind == "synthetic"
    x_tr, y_tr, x_te, y_te = _data(problem, plan, 1.0 if synthetic else 1 / 255, s.data_dir)
    widths = [plan.depth_width] * int(depth)
    cfg = UntilAccuracyConfig(threshold=plan.threshold, max_steps=plan.max_steps, scheme=plan.training_scheme)
    with torch_threads(1):
        res = train_until_accuracy(x_tr, y_tr, widths, list(plan.depth_seeds), cfg, device=s.device,
                                   progress=False, init="torch")
    reps = representations(res.ensemble.to("cpu"), x_te)
    tabs = network_coefficients(reps, plan.k, curvatures=plan.curvatures, layers="all")
    frame = tabs.layers.merge(
        tabs.networks[["network", "curvature", "rho", "local_mean", "layer_min", "layer_argmin"]],
        on=["network", "curvature"])
    acc = {i: output_accuracy(r.output, y_te) for i, r in enumerate(reps)}
    frame["test_accuracy"] = frame["network"].map(acc)
    frame["steps"] = frame["network"].map(dict(enumerate(int(v) for v in res.steps)))
    frame["reached"] = frame["network"].map(dict(enumerate(bool(r) for r in res.reached)))
    frame.insert(0, "depth", int(depth))
    frame.insert(0, "problem", problem)
    return frame


def p2_unit(s: P2Settings, unit: Unit) -> UnitOutput:
    """One chunk: a trajectory (payload ``table="trajectory"``, ``problem``, ``x`` = architecture)
    or a depth profile (``table="depth"``, ``x`` = number of hidden layers)."""
    table, problem, x = unit.payload["table"], unit.payload["problem"], unit.payload["x"]
    t0 = time.perf_counter()
    frame = _trajectory_frame(s, problem, x) if table == "trajectory" else _depth_frame(s, problem, x)
    seconds = time.perf_counter() - t0
    frame["seconds"] = seconds
    prov = provenance(table=table, plan=s.plan.settings(), problem=problem, unit=str(x), seconds=seconds)
    (_, key), = unit.chunks
    return UnitOutput(chunks=[Chunk(table, key, frame.reset_index(drop=True), prov)], stages={table: seconds})


def p2_plan(out: str | Path, plan: str | P2Plan = "paper", *, parts: Sequence[str] = ("trajectory", "depth"),
            device: str = "auto", data_dir: str | None = None) -> Plan:
    """The plan of :func:`run_p2_experiments`: one unit and one chunk per trajectory
    (``PROBLEM+ARCH``, table ``trajectory``) and per depth profile (``PROBLEM+dDEPTH``, table ``depth``)."""
    if isinstance(plan, str):
        if plan not in PLANS:
            raise ValueError(f"unknown plan {plan!r}; choose one of {', '.join(PLANS)}")
        plan = PLANS[plan]
    bad = [p for p in parts if p not in ("trajectory", "depth")]
    if bad or not parts:
        raise ValueError(f"parts must be a non-empty subset of ('trajectory', 'depth'), got {list(parts)}")
    plan = replace(plan, training_scheme=resolve_training_scheme(plan.training_scheme, out))
    work = ([("trajectory", p, a, f"{p}+{a}") for p, a in plan.trajectories] if "trajectory" in parts else []) + \
           ([("depth", p, d, f"{p}+d{d}") for p in plan.depth_problems for d in plan.depths] if "depth" in parts else [])
    units = [Unit(key=f"{table}:{key}", chunks=((table, key),), payload={"table": table, "problem": p, "x": x})
             for table, p, x, key in work]
    return Plan(root=Path(out), profile=f"p2-{plan.name}", store_settings=plan.settings(), units=units,
                compute=p2_unit, settings=P2Settings(plan=plan, device=device, data_dir=data_dir),
                desc=f"p2 {plan.name}", unit_name="unit")


def run_p2_experiments(out: str | Path, plan: str | P2Plan = "paper", *, parts: Sequence[str] = ("trajectory", "depth"),
                       device: str = "auto", data_dir: str | None = None, progress: bool = True,
                       pack: bool = True, executor: Executor | None = None,
                       client: Any = None) -> RunSummary:
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
        Pack each table into one file per problem once the problem's units are done.
    executor
        Where the units run (:func:`ricci_lit.experiments.runner.serial_executor` by default).
    client
        A ``distributed.Client``: run the units on its cluster instead (only this process
        writes the store; :mod:`ricci_lit.experiments.executors`).

    Returns
    -------
    RunSummary
        One unit and one chunk per trajectory or depth profile.
    """
    return run_plan(p2_plan(out, plan, parts=parts, device=device, data_dir=data_dir), executor=executor,
                    progress=progress, pack=pack, client=client)


def load_p2_experiments(out: str | Path) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    """``(trajectory, depth, manifest)`` tables of a store written by :func:`run_p2_experiments`."""
    root = Path(out)
    manifest = read_manifest(root, "p2")
    return read_table(root, "trajectory"), read_table(root, "depth"), manifest


