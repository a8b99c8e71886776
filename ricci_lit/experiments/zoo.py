"""Chapter 9's networks beyond paper 1's MLPs as a resumable plan: a CNN and a residual MLP on
ten-class problems, trained and at initialisation (issue 15).

For every (problem, model, seed) one unit builds the model at the seed's initialisation
(:func:`ricci_lit.networks.zoo.seeded` weights), captures its ``representation_layers`` on the
balanced test subset (:func:`ricci_lit.networks.capture.layer_representations`), then trains the
same network with :func:`ricci_lit.networks.fit.fit` (Adam, cross-entropy, seeded shuffles) and
captures it again. Both states get, in one pass over their kNN graphs
(:func:`ricci_lit.geometry.engine.network_coefficients`), the global, local and layer
coefficients for every curvature of the plan, and the class modularity and normalised cut of
every representation's graph (paper 2 §4.2, :func:`ricci_lit.geometry.community.community_table`),
beside the test accuracy.

The store (:mod:`ricci_lit.experiments.store`) has three tables, one chunk per unit
(``PROBLEM+MODEL+sSEED``): ``networks`` (one row per state and curvature), ``layers`` (one row per
state, curvature and transition) and ``community`` (one row per state and representation). The
plan is the store's settings, so a run killed at any point resumes, and a finished store is read
back by :func:`load_zoo`.
"""
from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import pandas as pd

from ricci_lit.experiments.runner import Chunk, Executor, Plan, RunSummary, Unit, UnitOutput, run_plan
from ricci_lit.experiments.store import read_manifest, read_table
from ricci_lit.provenance import provenance

__all__ = ["ZooPlan", "ZooSettings", "PLANS", "MODELS", "build_model", "unit_key", "zoo_unit", "zoo_plan",
           "run_zoo", "load_zoo"]

#: The models of the plan: name → its constructor's arguments for 28 × 28 one-channel inputs and
#: ten classes (the chapter's ``SmallCNN`` and paper 2's residual network).
MODELS: Mapping[str, Mapping[str, Any]] = {
    "cnn": {"kind": "SmallCNN", "channels": (8, 16), "hidden": 64},
    "residual": {"kind": "ResidualMLP", "width": 50, "depth": 6},
}


def build_model(name: str, seed: int):
    """The plan's model ``name`` (a key of :data:`MODELS`) with the seed's initial weights."""
    from ricci_lit.networks.zoo import ResidualMLP, SmallCNN

    if name not in MODELS:
        raise ValueError(f"unknown model {name!r}; choose one of {', '.join(MODELS)}")
    spec = MODELS[name]
    if spec["kind"] == "SmallCNN":
        return SmallCNN(1, 28, 10, channels=tuple(spec["channels"]), hidden=int(spec["hidden"]), seed=int(seed))
    return ResidualMLP(784, width=int(spec["width"]), depth=int(spec["depth"]), n_classes=10, seed=int(seed))


@dataclass(frozen=True)
class ZooPlan:
    """What :func:`run_zoo` computes (all of it is the store's settings)."""

    name: str
    problems: tuple[str, ...]
    seeds: tuple[int, ...]
    epochs: int
    n_train: int
    n_test: int
    k: int
    models: tuple[str, ...] = ("cnn", "residual")
    curvatures: tuple[str, ...] = ("forman", "augmented-forman", "approx-ollivier")
    batch_size: int = 128
    pixel_scale: float = 1.0 / 255.0
    data_seed: int = 0

    def settings(self) -> dict[str, Any]:
        s = asdict(self)
        s["model_specs"] = {m: dict(MODELS[m]) for m in self.models}
        return s


#: The chapter's two scales (chapter 9's ``quick`` runs in minutes on a laptop's CPU).
PLANS: Mapping[str, ZooPlan] = {
    "quick": ZooPlan("quick", ("mnist-10", "fmnist-10"), seeds=(0,), epochs=3, n_train=2000, n_test=200, k=15),
    "paper": ZooPlan("paper", ("mnist-10", "fmnist-10"), seeds=(0, 1, 2, 3, 4), epochs=10, n_train=60000,
                     n_test=1000, k=50),
}


@dataclass(frozen=True)
class ZooSettings:
    """What every unit of a plan needs: the plan, the device and the data directory."""

    plan: ZooPlan
    device: str = "cpu"
    data_dir: str | None = None


def _state_rows(plan: ZooPlan, model, x_te: np.ndarray, y_te: np.ndarray, device: str):
    """The representations, the test accuracy and the community rows of one state of a network."""
    from ricci_lit.geometry.community import community_table
    from ricci_lit.networks.capture import layer_representations
    from ricci_lit.networks.fit import predict_classes

    reps = layer_representations(model, x_te, list(model.representation_layers), device=device)
    acc = float((predict_classes(model, x_te, device=device) == y_te).mean())
    comm = community_table(list(reps.values()), y_te, plan.k, layer_names=list(reps))
    return list(reps.values()), acc, comm


def zoo_unit(s: ZooSettings, unit: Unit) -> UnitOutput:
    """One (problem, model, seed): both states' coefficients, community structure and accuracy."""
    from ricci_lit.data.problems import load_xy
    from ricci_lit.geometry import engine
    from ricci_lit.networks.fit import fit

    plan = s.plan
    problem, name, seed = unit.payload["problem"], unit.payload["model"], int(unit.payload["seed"])
    t0 = time.perf_counter()
    _, x_tr, y_tr, x_te, y_te = load_xy(problem, n_test=plan.n_test, n_train=plan.n_train,
                                        data_seed=plan.data_seed, pixel_scale=plan.pixel_scale,
                                        data_dir=s.data_dir)
    y_tr, y_te = y_tr.astype(np.int64), y_te.astype(np.int64)
    model = build_model(name, seed)
    reps_list, metas, comms = [], [], []
    stages = {"train": 0.0}
    for state in ("untrained", "trained"):
        if state == "trained":
            t1 = time.perf_counter()
            fit(model, x_tr, y_tr, epochs=plan.epochs, batch_size=plan.batch_size, seed=seed, device=s.device)
            stages["train"] = time.perf_counter() - t1
        reps, acc, comm = _state_rows(plan, model, x_te, y_te, s.device)
        meta = {"problem": problem, "model": name, "seed": seed, "state": state, "test_accuracy": acc}
        reps_list.append(reps)
        metas.append(meta)
        comms.append(comm.assign(**meta))
    t2 = time.perf_counter()
    tables = engine.network_coefficients(reps_list, plan.k, curvatures=list(plan.curvatures))
    stages["geometry"] = time.perf_counter() - t2
    ids = pd.DataFrame(metas).assign(network=range(len(metas)))
    frames = {"networks": tables.networks.drop(columns="seed").merge(ids, on="network"),
              "layers": tables.layers.drop(columns="seed").merge(ids, on="network"),
              "community": pd.concat(comms, ignore_index=True)}
    seconds = time.perf_counter() - t0
    prov = provenance(plan=plan.settings(), problem=problem, model=name, seed=seed, seconds=seconds,
                      device=s.device)
    key = unit.chunks[0][1]
    chunks = [Chunk(table, key, frames[table].reset_index(drop=True), prov)
              for table, _ in unit.chunks]
    return UnitOutput(chunks=chunks, stages=stages)


def unit_key(problem: str, model: str, seed: int) -> str:
    """The key of a unit and of its chunks: ``PROBLEM+MODEL+sSEED``."""
    return f"{problem}+{model}+s{int(seed)}"


def _resolve(plan: str | ZooPlan) -> ZooPlan:
    if isinstance(plan, ZooPlan):
        return plan
    if plan not in PLANS:
        raise ValueError(f"unknown plan {plan!r}; choose one of {', '.join(PLANS)}")
    return PLANS[plan]


def zoo_plan(out: str | Path, plan: str | ZooPlan = "paper", *, device: str = "cpu",
             data_dir: str | None = None) -> Plan:
    """The plan of :func:`run_zoo`: one unit per (problem, model, seed), writing chunk
    ``PROBLEM+MODEL+sSEED`` of the tables ``networks``, ``layers`` and ``community``."""
    plan = _resolve(plan)
    for m in plan.models:
        if m not in MODELS:
            raise ValueError(f"unknown model {m!r}; choose one of {', '.join(MODELS)}")
    units = []
    for problem in plan.problems:
        for m in plan.models:
            for seed in plan.seeds:
                key = unit_key(problem, m, seed)
                units.append(Unit(key=key, chunks=tuple((t, key) for t in ("networks", "layers", "community")),
                                  payload={"problem": problem, "model": m, "seed": int(seed)}))
    return Plan(root=Path(out), profile=f"zoo-{plan.name}", store_settings=plan.settings(), units=units,
                compute=zoo_unit, settings=ZooSettings(plan=plan, device=device, data_dir=data_dir),
                desc=f"zoo {plan.name}", unit_name="chunk")


def run_zoo(out: str | Path, plan: str | ZooPlan = "paper", *, device: str = "cpu", data_dir: str | None = None,
            progress: bool = True, pack: bool = True, executor: Executor | None = None,
            client: Any = None) -> RunSummary:
    """Run (or resume) a plan of chapter 9's networks into the results store ``out``.

    Parameters
    ----------
    out
        Results directory (its manifest holds the plan; other settings are refused).
    plan
        A name of :data:`PLANS` or a :class:`ZooPlan`.
    device
        Training and capture device (``"cpu"``, ``"cuda"``, ``"auto"``).
    data_dir
        Where the MNIST / Fashion-MNIST files are.
    progress, pack
        Progress bar; pack each problem's chunks into one file once its units are done.
    executor, client
        Where the units run (serial by default; a ``distributed.Client`` for a Dask cluster;
        only this process writes the store).

    Returns
    -------
    RunSummary
    """
    return run_plan(zoo_plan(out, plan, device=device, data_dir=data_dir), executor=executor,
                    progress=progress, pack=pack, client=client)


def load_zoo(out: str | Path) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    """``(networks, layers, community, manifest)`` of a store written by :func:`run_zoo`."""
    root = Path(out)
    manifest = read_manifest(root, "zoo")
    return read_table(root, "networks"), read_table(root, "layers"), read_table(root, "community"), manifest

