"""Sweeps: train many networks and record every layer's geometry at every k, resumably.

A *profile* fixes what a sweep computes (paper-notes §3–§4):

``paper``
    P1's experiment: 7 problems × 6 architectures × 36 seeds = 1,512 networks, full test sets,
    50 epochs of RMSprop with batch 32 on raw pixels, and P1 §3.2's k grids.
``quick``
    A small but real subset that runs end to end in minutes on a 2-core CPU: 2 problems ×
    2 architectures × 4 seeds, 500 test points, 4 k values, at most 2,000 training points of the
    real data set.

A sweep is a plan of :mod:`ricci_lit.experiments.runner` (:func:`sweep_plan`) with one unit per
(problem, architecture) (:func:`sweep_unit`): the seeds its checkpoint lacks are trained together
as one batched computation (:func:`ricci_lit.networks.training.train_ensemble`, the store's
training scheme :func:`training_scheme`), the ensemble is checkpointed, then each network's
representations of the test set (input, every hidden layer, output) go through
:func:`ricci_lit.geometry.coefficients.geometry_table` for the whole k grid. One network's rows,
with its accuracy and training metadata, form one chunk of the results store
(:mod:`ricci_lit.experiments.store`), written atomically. Killing a sweep at any moment and running
the same command again resumes: finished networks are skipped, a checkpointed ensemble is
reloaded, and at most the unit in flight is recomputed (deterministically: the same numbers).
"""
from __future__ import annotations

import io
import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from ricci_lit.experiments.runner import (
    Chunk,
    Executor,
    Plan,
    RunSummary,
    Unit,
    UnitOutput,
    run_plan,
)
from ricci_lit.experiments.store import ResultsStore
from ricci_lit.geometry.coefficients import geometry_table
from ricci_lit.provenance import provenance

__all__ = [
    "K_GRID_REAL",
    "K_GRID_SYNTHETIC",
    "GEOMETRY_SETTINGS",
    "LEGACY_TRAINING_SCHEME",
    "PROFILES",
    "Profile",
    "SweepSettings",
    "check_networks_from",
    "expected_networks",
    "explicit_settings",
    "get_profile",
    "load_results",
    "network_key",
    "network_table",
    "pack_results",
    "problem_data",
    "resolve_training_scheme",
    "run_sweep",
    "stored_profile",
    "sweep_plan",
    "sweep_unit",
    "timing_table",
    "train_config",
    "train_seeds",
    "training_scheme",
]

#: P1 §3.2 k grid for the synthetic sets (``|test| = 1,000``).
K_GRID_SYNTHETIC: tuple[int, ...] = (6, 7, 9, 10, 15, 18, 20, 30, 50, 90, 100, 120, 140, 150, 160, 180, 200)
#: P1 §3.2 k grid for MNIST and Fashion-MNIST (``|test| ≈ 2,000``).
K_GRID_REAL: tuple[int, ...] = (10, 20, 30, 50, 90, 100, 120, 150, 250, 350, 500)

_NETWORK_COLUMNS = ["problem", "architecture", "seed", "n_hidden", "width", "depth", "test_accuracy",
                    "train_accuracy", "train_loss", "n_test", "n_train", "device", "train_seconds",
                    "geometry_seconds"]


#: The training scheme of every store whose settings do not name one (every store written before
#: schemes existed): the seeds missing from a configuration's checkpoint are trained together as
#: one batched ensemble (:data:`~ricci_lit.networks._common.LEGACY_SCHEME`).
LEGACY_TRAINING_SCHEME = "batched-v1"


@dataclass(frozen=True)
class Profile:
    """What a sweep computes. Everything but the selection (problems, architectures, number of
    seeds) is recorded in the store's manifest, so results of other settings are never mixed.

    ``training_set`` is ``"full"`` (our decision: the whole training split) or ``"authors"`` (the
    authors' Keras ``validation_split = 0.2`` taken from the end of the class-sorted array,
    :mod:`ricci_lit.data.training_sets`); with ``mode="r-compat"`` and ``pixel_scale=1`` the latter is
    the authors' pipeline (issue 14). The optimiser, initialisation, batch size, epochs and
    per-epoch shuffling are Keras 2.9's in both (:mod:`ricci_lit.networks.training`).
    """

    name: str
    problems: tuple[str, ...]
    architectures: tuple[str, ...]
    n_seeds: int
    k_synthetic: tuple[int, ...]
    k_real: tuple[int, ...]
    n_test: int | None = None
    n_train: int | None = None
    epochs: int = 50
    batch_size: int = 32
    lr: float = 1e-3
    pixel_scale: float = 1.0
    data_seed: int = 0
    mode: str = "union"
    curvature: str = "forman"
    training_scheme: str | None = None
    training_set: str = "full"

    def ks_for(self, problem: str, n_points: int) -> tuple[int, ...]:
        """The k grid of ``problem``, checked against the number of test points."""
        ks = self.k_synthetic if _is_synthetic(problem) else self.k_real
        too_big = [k for k in ks if k >= n_points]
        if too_big:
            raise ValueError(f"k = {too_big} is not smaller than the {n_points} test points of {problem!r}")
        return ks

    def settings(self) -> dict[str, Any]:
        """The manifest's settings: everything that determines a network's numbers."""
        d = asdict(self)
        for key in ("problems", "architectures", "n_seeds"):
            d.pop(key)
        d["k_synthetic"] = list(self.k_synthetic)
        d["k_real"] = list(self.k_real)
        if d["training_scheme"] in (None, LEGACY_TRAINING_SCHEME):
            # a store without a scheme is the legacy scheme: its settings (and hash) stay as written
            # (None: not resolved yet, see resolve_training_scheme)
            d.pop("training_scheme")
        if d["training_set"] == "full":
            # the default, which every store written before training sets existed used: their
            # settings (and hash) stay as written
            d.pop("training_set")
        return d


def _is_synthetic(problem: str) -> bool:
    from ricci_lit.data.problems import PROBLEMS

    return PROBLEMS[problem].kind == "synthetic"


#: The sweep profiles by name, ``"paper"`` and ``"quick"`` (module docstring).
PROFILES: Mapping[str, Profile] = MappingProxyType({
    "paper": Profile(
        name="paper",
        problems=("A", "B", "C", "mnist-1v7", "mnist-6v8", "fmnist-5v9", "fmnist-6v4"),
        architectures=("narrow-shallow", "wide-shallow", "bottleneck-shallow",
                       "narrow-deep", "wide-deep", "bottleneck-deep"),
        n_seeds=36, k_synthetic=K_GRID_SYNTHETIC, k_real=K_GRID_REAL),
    "quick": Profile(
        name="quick", problems=("A", "fmnist-5v9"), architectures=("narrow-shallow", "wide-deep"),
        n_seeds=4, k_synthetic=(10, 30, 50, 90), k_real=(20, 50, 100, 150),
        n_test=500, n_train=2000),
})


def get_profile(name: str, **overrides: Any) -> Profile:
    """A profile by name with optional overrides (``problems``, ``architectures``, ``n_seeds``,
    ``n_test``, ``epochs``, ``k_synthetic``, ``k_real``, ...), validated."""
    from ricci_lit.data.problems import PROBLEMS
    from ricci_lit.networks.mlp import ARCHITECTURES

    if name not in PROFILES:
        raise ValueError(f"unknown profile {name!r}; choose one of {', '.join(PROFILES)}")
    clean = {k: v for k, v in overrides.items() if v is not None}
    for key in ("problems", "architectures", "k_synthetic", "k_real"):
        if key in clean:
            clean[key] = tuple(clean[key])
    prof = replace(PROFILES[name], **clean)
    bad = [p for p in prof.problems if p not in PROBLEMS]
    if bad:
        raise ValueError(f"unknown problem(s) {bad}; choose from {', '.join(PROBLEMS)}")
    bad = [a for a in prof.architectures if a not in ARCHITECTURES]
    if bad:
        raise ValueError(f"unknown architecture(s) {bad}; choose from {', '.join(ARCHITECTURES)}")
    if not prof.problems or not prof.architectures:
        raise ValueError("a sweep needs at least one problem and one architecture")
    if prof.n_seeds < 1:
        raise ValueError(f"the number of seeds must be at least 1, got {prof.n_seeds}")
    for ks in (prof.k_synthetic, prof.k_real):
        if not ks or any(int(k) < 1 for k in ks):
            raise ValueError(f"k grids must be non-empty lists of positive integers, got {ks}")
    from ricci_lit.geometry.knn import MODES

    if prof.mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {prof.mode!r}")
    if not (isinstance(prof.pixel_scale, (int, float)) and 0 < prof.pixel_scale < float("inf")):
        raise ValueError(f"pixel_scale must be a positive finite number, got {prof.pixel_scale!r}")
    if prof.n_test is not None and prof.n_test < 3:
        raise ValueError(f"n_test must be at least 3, got {prof.n_test}")
    if prof.training_scheme is not None:
        resolve_training_scheme(prof.training_scheme, ".")  # a known scheme
    from ricci_lit.data.training_sets import check_training_set

    check_training_set(prof.training_set)
    return prof


def training_scheme(settings: Mapping[str, Any]) -> str:
    """The training scheme a store's settings record (:data:`LEGACY_TRAINING_SCHEME` when none).

    This is the one place that reads it: :func:`stored_profile` (hence
    :func:`ricci_lit.experiments.checkpoints.recreate_checkpoints`, which re-trains a store's networks
    with the store's own scheme) and :func:`resolve_training_scheme` (hence a resumed sweep).
    """
    return str(settings.get("training_scheme", LEGACY_TRAINING_SCHEME))


def explicit_settings(settings: Mapping[str, Any]) -> dict[str, Any]:
    """A store's settings with the values it means by omitting one written out: the training
    scheme (:func:`training_scheme`, the legacy one when absent) and the training set (``"full"``),
    so that two stores' settings compare by what they mean, not by how they were written."""
    return {**settings, "training_scheme": training_scheme(settings),
            "training_set": settings.get("training_set", "full")}


def resolve_training_scheme(wanted: str | None, out: str | Path) -> str:
    """The scheme a run into the store ``out`` trains with.

    An explicit ``wanted`` scheme is checked and used (a store of another scheme then refuses the
    run, as for any other setting). ``None`` means: the store's own scheme when ``out`` already
    has a manifest (:func:`training_scheme`: the legacy scheme for a store written before schemes
    existed, so committed stores are extended and re-created bit for bit), else the scheme new
    networks are trained with, :data:`~ricci_lit.networks._common.DEFAULT_SCHEME` (a network's
    weights then do not depend on which other seeds were trained with it).
    """
    from ricci_lit.networks.training import DEFAULT_SCHEME, SCHEMES

    if wanted is not None:
        if wanted not in SCHEMES:
            raise ValueError(f"unknown training scheme {wanted!r}; valid: {', '.join(SCHEMES)}")
        return wanted
    path = Path(out) / "manifest.json"
    if path.is_file():
        from ricci_lit.experiments.store import read_manifest

        try:
            settings = read_manifest(Path(out)).get("settings")
        except (OSError, ValueError, AttributeError):
            settings = None  # the store itself reports what is wrong with it
        if isinstance(settings, Mapping):
            return training_scheme(settings)
    return DEFAULT_SCHEME


def train_config(profile: Profile):
    """The :class:`ricci_lit.networks.training.TrainConfig` a profile's networks are trained with
    (its epochs, batch size, learning rate and resolved training scheme)."""
    from ricci_lit.networks.training import TrainConfig

    if profile.training_scheme is None:
        raise ValueError("the profile's training scheme is not resolved (see resolve_training_scheme)")
    return TrainConfig(epochs=profile.epochs, batch_size=profile.batch_size, lr=profile.lr,
                       scheme=profile.training_scheme)


def network_key(problem: str, arch: str, seed: int) -> str:
    """The chunk key of one network of a sweep (table ``network``): ``PROBLEM+ARCH+sSEED``."""
    return f"{problem}+{arch}+s{seed}"


def _arch_classes(arch: str) -> tuple[str, str]:
    width, depth = arch.split("-")
    return width, depth


@lru_cache(maxsize=1)
def _cached_xy(problem: str, n_test: int | None, n_train: int | None, data_seed: int, pixel_scale: float,
               data_dir: str | None, training_set: str):
    from ricci_lit.data.problems import load_xy

    return load_xy(problem, n_test=n_test, n_train=n_train, data_seed=data_seed, pixel_scale=pixel_scale,
                   data_dir=data_dir, training_set=training_set)[1:]


def problem_data(profile: Profile, problem: str, data_dir: str | None = None):
    """``(x_train, y_train, x_test, y_test)`` (float32) of ``problem`` as ``profile``'s networks see it.

    The test set and pixel scale are the profile's; the training set is its deterministic subset
    and its training set rule (``"full"``, or the authors' Keras ``validation_split``:
    :func:`ricci_lit.data.problems.load_xy`). The last problem loaded is kept (one per process), so
    the units of one problem share it: do not modify the arrays.
    """
    return _cached_xy(problem, profile.n_test, profile.n_train, profile.data_seed, profile.pixel_scale, data_dir,
                      profile.training_set)


def train_seeds(profile: Profile, arch: str, seeds: Sequence[int], x_train, y_train, x_test, y_test,
                 device: str, progress: bool):
    """Train ``seeds`` of ``arch`` as one batched ensemble with ``profile``'s training
    (:func:`train_config`): ``(ensemble on the CPU, meta per seed, seconds)``.

    ``meta[seed]`` holds the network's ``train_loss``, ``train_accuracy``, its share of the
    batch's wall time (``train_seconds``: the batch's seconds over its size) and the ``device``.
    """
    from ricci_lit.networks.training import train_ensemble

    res = train_ensemble(x_train, y_train, arch, list(seeds), train_config(profile), device=device,
                         progress=progress, x_test=x_test, y_test=y_test)
    seconds = float(res.wall_time_s)
    ens = res.ensemble.to("cpu") if hasattr(res.ensemble, "to") else res.ensemble
    meta = {int(s): {"train_loss": float(res.train_loss[i]),
                     "train_accuracy": float(res.train_accuracy[i]),
                     "train_seconds": seconds / len(seeds), "device": res.device}
            for i, s in enumerate(seeds)}
    return ens, meta, seconds


@dataclass(frozen=True)
class SweepSettings:
    """What every unit of a sweep shares (plain, picklable data)."""

    profile: Profile
    device: str
    backend: str
    data_dir: str | None = None
    cpu_threads: int | None = 1
    save_representations: tuple[int, ...] = ()
    progress: bool = False
    networks_from: str | None = None


def _ensemble(s: SweepSettings, arch: str, seeds: Sequence[int], ckpt: Mapping[str, Any] | None, data):
    """The trained ensemble of ``seeds``: the checkpoint's networks, the missing seeds trained now
    as one batch. ``(ensemble, seed -> index, meta, checkpoint to write or None)``."""
    from ricci_lit.networks.mlp import MLPEnsemble
    from ricci_lit.networks.training import torch_threads

    ens = MLPEnsemble.from_state(ckpt["ensemble"]) if ckpt is not None else None
    meta = dict(ckpt["meta"]) if ckpt is not None else {}
    have = set() if ens is None else {int(v) for v in ens.seeds}
    missing = [v for v in seeds if v not in have]
    new_ckpt = None
    if missing:
        with torch_threads(s.cpu_threads if s.device == "cpu" else None):
            new, meta_new, _ = train_seeds(s.profile, arch, missing, *data, s.device, s.progress)
        ens = new if ens is None else MLPEnsemble.concatenate([ens, new])
        meta = {**meta, **meta_new}
        new_ckpt = {"ensemble": ens.to_state(), "meta": meta}
    return ens, {int(v): i for i, v in enumerate(ens.seeds)}, meta, new_ckpt


def _network_chunk(s: SweepSettings, problem: str, arch: str, seed: int, reps, input_rows, data, meta,
                   stages) -> tuple[Chunk, pd.DataFrame]:
    """One network's rows (every layer × k) with its network columns and provenance."""
    from ricci_lit.networks.mlp import output_accuracy

    prof = s.profile
    x_train, _, x_test, y_test = data
    ks = prof.ks_for(problem, len(x_test))
    t0 = time.perf_counter()
    if input_rows is None:  # the input layer is the same for every network
        input_rows = geometry_table([reps.input], ks, curvature=prof.curvature, mode=prof.mode,
                                    backend=s.backend, device=s.device)
    rest = geometry_table(reps.all[1:], ks, curvature=prof.curvature, mode=prof.mode, backend=s.backend,
                          device=s.device)
    rest["layer"] += 1
    geo = pd.concat([input_rows, rest], ignore_index=True)
    g_seconds = time.perf_counter() - t0
    stages["geometry"] += g_seconds
    width, depth = _arch_classes(arch)
    m = meta[int(seed)]
    net = {"problem": problem, "architecture": arch, "seed": int(seed), "n_hidden": reps.n_hidden,
           "width": width, "depth": depth, "test_accuracy": output_accuracy(reps.output, y_test),
           "train_accuracy": m["train_accuracy"], "train_loss": m["train_loss"], "n_test": len(x_test),
           "n_train": len(x_train), "device": m["device"], "train_seconds": m["train_seconds"],
           "geometry_seconds": g_seconds}
    for col, val in net.items():
        geo[col] = val
    geo = geo[_NETWORK_COLUMNS + [c for c in geo.columns if c not in _NETWORK_COLUMNS]]
    extra = {} if s.networks_from is None else {"networks_from": s.networks_from}
    prov = provenance(profile=prof.name, settings=prof.settings(), problem=problem, architecture=arch,
                      seed=int(seed), device=s.device, backend=s.backend, geometry_seconds=g_seconds, **extra)
    return Chunk("network", network_key(problem, arch, seed), geo, prov), input_rows


def sweep_unit(s: SweepSettings, unit: Unit) -> UnitOutput:
    """One (problem, architecture) of a sweep: the ensemble (from the unit's checkpoint, the seeds
    whose chunks are missing and that it lacks trained as one batch), then one chunk per network the
    unit lacks."""
    from ricci_lit.networks.mlp import representations

    problem, arch = unit.payload["problem"], unit.payload["architecture"]
    seeds = list(unit.payload["seeds"])
    stages = {"data": 0.0, "train": 0.0, "representations": 0.0, "geometry": 0.0}
    t0 = time.perf_counter()
    data = problem_data(s.profile, problem, s.data_dir)
    stages["data"] += time.perf_counter() - t0
    wanted = {key for _, key in unit.chunks}
    # Only the seeds whose chunks are missing are trained. A stored network whose checkpoint was lost
    # must not be trained again into the new checkpoint: under the legacy scheme it would come out
    # of a different batch, other in its last bits than the network its chunk describes, and the
    # store's batches (recorded by ``train_seconds``) could no longer be re-created.
    seeds = [v for v in seeds if network_key(problem, arch, v) in wanted]
    t0 = time.perf_counter()
    ens, index, meta, new_ckpt = _ensemble(s, arch, seeds, unit.payload.get("checkpoint"), data)
    stages["train"] += time.perf_counter() - t0
    out = UnitOutput(stages=stages)
    if new_ckpt is not None:
        out.checkpoints[f"{problem}+{arch}"] = new_ckpt
    input_rows = None
    for seed in seeds:
        t0 = time.perf_counter()
        reps = representations(ens.subset([index[seed]]), data[2])[0]
        stages["representations"] += time.perf_counter() - t0
        chunk, input_rows = _network_chunk(s, problem, arch, seed, reps, input_rows, data, meta, stages)
        out.chunks.append(chunk)
        if seed in s.save_representations:
            buf = io.BytesIO()
            np.savez_compressed(buf, *reps.all)
            out.files[f"representations/{network_key(problem, arch, seed)}.npz"] = buf.getvalue()
    return out


#: Settings that do not enter training: a store that differs from another in these only has the same
#: trained networks, so :func:`run_sweep` can take them from it (``networks_from``).
GEOMETRY_SETTINGS: tuple[str, ...] = ("mode", "curvature", "k_synthetic", "k_real")


def check_networks_from(profile: Profile, source: str | Path) -> Path:
    """The store ``source`` when its networks are the ones ``profile`` trains, else a ``ValueError``.

    The two stores' settings must agree on everything but :data:`GEOMETRY_SETTINGS` (test set,
    pixel scale, training set, epochs, batch size, learning rate, data seed and training
    scheme), so a network read from ``source`` is bit for bit the one ``profile`` would train
    (the sweep is seeded, :mod:`ricci_lit.networks.training`).
    """
    from ricci_lit.experiments.store import read_manifest

    root = Path(source)
    manifest = read_manifest(root, "sweep")
    if manifest.get("profile") != profile.name:
        raise ValueError(f"{root} holds profile {manifest.get('profile')!r}, not {profile.name!r}: "
                         "its networks are not this sweep's")
    mine, theirs = explicit_settings(profile.settings()), explicit_settings(manifest["settings"])
    differ = sorted(k for k in set(mine) | set(theirs)
                    if k not in GEOMETRY_SETTINGS and mine.get(k) != theirs.get(k))
    if differ:
        raise ValueError(f"{root} trained its networks with other settings ("
                         + "; ".join(f"{k}: {theirs.get(k)!r} there, {mine.get(k)!r} here" for k in differ)
                         + "): they are not this sweep's networks")
    if not (root / "checkpoints").is_dir():
        raise ValueError(f"{root} has no checkpoints to take networks from")
    return root


def _source_checkpoint(source: Path, key: str) -> dict[str, Any] | None:
    """The checkpoint ``key`` of the store ``source`` (read safely, weights only; never written to,
    so a sweep still running there is not disturbed), or ``None`` when it has none."""
    from ricci_lit.networks.checkpoint import read_checkpoint

    path = source / "checkpoints" / f"{key}.pt"
    if not os.path.lexists(path):
        return None
    try:
        return read_checkpoint(path)
    except ValueError as exc:
        raise ValueError(f"cannot take networks from {source}: {exc}") from None


def sweep_plan(profile: Profile, out: str | Path, *, device: str = "auto", data_dir: str | None = None,
               progress: bool = True, save_representations: Sequence[int] = (),
               cpu_threads: int | None = 1, networks_from: str | Path | None = None) -> Plan:
    """The plan of :func:`run_sweep`: one unit per (problem, architecture), one chunk per network.

    With ``networks_from`` (a store whose settings differ from the profile's in
    :data:`GEOMETRY_SETTINGS` only, :func:`check_networks_from`) a unit without a checkpoint of its
    own starts from that store's checkpoint: its networks are not trained again, only their
    geometry is computed (a graph-mode variant of the same networks at the cost of the geometry).
    The chunks' provenance names the source.
    """
    from ricci_lit.geometry._torch import resolve_device

    seeds = list(range(profile.n_seeds))
    unknown = sorted(set(int(v) for v in save_representations) - set(seeds))
    if unknown:
        raise ValueError(f"--save-representations names seeds {unknown}, but the sweep trains seeds "
                         f"0…{profile.n_seeds - 1} only: nothing would be saved for them")
    profile = replace(profile, training_scheme=resolve_training_scheme(profile.training_scheme, out))
    source = None if networks_from is None else check_networks_from(profile, networks_from)
    dev = resolve_device(device)
    backend = "torch" if dev.type == "cuda" and profile.curvature in ("forman", "augmented-forman") else "numpy"
    settings = SweepSettings(profile=profile, device=str(dev), backend=backend, data_dir=data_dir,
                             cpu_threads=cpu_threads, save_representations=tuple(int(v) for v in save_representations),
                             progress=progress, networks_from=None if source is None else str(source))
    units = [Unit(key=f"{p}+{a}", chunks=tuple(("network", network_key(p, a, v)) for v in seeds),
                  payload={"problem": p, "architecture": a, "seeds": tuple(seeds)})
             for p in profile.problems for a in profile.architectures]

    def check(store: ResultsStore, todo: Sequence[Unit]) -> None:
        for problem in dict.fromkeys(u.payload["problem"] for u in todo):  # data present, k grid valid
            profile.ks_for(problem, len(problem_data(profile, problem, data_dir)[2]))

    def prepare(store: ResultsStore, unit: Unit) -> Unit:
        ckpt = store.load_checkpoint(unit.key)
        if ckpt is None and source is not None:
            ckpt = _source_checkpoint(source, unit.key)
        return unit if ckpt is None else replace(unit, payload={**unit.payload, "checkpoint": ckpt})

    return Plan(root=Path(out), profile=profile.name, store_settings=profile.settings(), units=units,
                compute=sweep_unit, settings=settings, prepare=prepare, check=check,
                desc=f"sweep {profile.name}", unit_name="net")


def run_sweep(
    profile: Profile,
    out: str | Path,
    *,
    device: str = "auto",
    data_dir: str | None = None,
    progress: bool = True,
    save_representations: Sequence[int] = (),
    cpu_threads: int | None = 1,
    pack: bool = False,
    executor: Executor | None = None,
    client: Any = None,
    networks_from: str | Path | None = None,
) -> RunSummary:
    """Run (or resume) a sweep into the results directory ``out`` (:func:`sweep_plan` on
    :func:`ricci_lit.experiments.runner.run_plan`).

    Parameters
    ----------
    profile
        From :func:`get_profile`.
    out
        Results directory; created if needed; refused if it holds other settings.
    device
        ``"auto"`` (CUDA when available), ``"cpu"`` or ``"cuda"``: training runs there, and on
        CUDA the per-layer totals use the torch backend (:mod:`ricci_lit.geometry._torch`).
    data_dir
        Directory with the MNIST/Fashion-MNIST IDX files (else the loader's search order).
    progress
        Show progress bars (tqdm, with ETA).
    save_representations
        Seeds whose representations are also stored as ``.npz`` under ``out/representations``
        (when their network is computed); a seed the profile does not train is an error.
    cpu_threads
        torch threads for training on the CPU (1 by default, see :func:`~ricci_lit.networks._common.torch_threads`;
        ``None`` leaves torch's setting alone). Ignored on CUDA.
    pack
        Pack each problem's network chunks into one compact file as soon as all its networks of
        this sweep are done, problems finished earlier included
        (:meth:`ricci_lit.experiments.store.ResultsStore.pack`); the numbers are the same.
    executor
        Where the units run (:func:`ricci_lit.experiments.runner.serial_executor` by default).
    client
        A ``distributed.Client``: run the units on its cluster instead (only this process
        writes the store; :mod:`ricci_lit.experiments.executors`).
    networks_from
        A store holding this sweep's trained networks under other geometry settings
        (:func:`check_networks_from`): its checkpoints are used instead of training again.

    Returns
    -------
    RunSummary
        Chunks count networks: ``chunks_written`` computed now, ``chunks_before`` present before,
        ``chunks_total`` in the profile; ``stages`` the seconds of data, training,
        representations, geometry and writing.
    """
    plan = sweep_plan(profile, out, device=device, data_dir=data_dir, progress=progress,
                      save_representations=save_representations, cpu_threads=cpu_threads,
                      networks_from=networks_from)
    return run_plan(plan, executor=executor, progress=progress, pack=pack, client=client)


def pack_results(out: str | Path, problems: Sequence[str] | None = None) -> list[Path]:
    """Pack the network chunks of a results directory, one compact file per problem.

    The store is opened with the profile and settings its manifest names, so nothing is mixed.
    Returns the packed files written. See :meth:`ricci_lit.experiments.store.ResultsStore.pack`.
    """
    from ricci_lit.experiments.store import read_manifest

    root = Path(out)
    manifest = read_manifest(root)
    store = ResultsStore(root, manifest["profile"], manifest["settings"])
    return store.pack("network", groups=problems)


def stored_profile(manifest: Mapping[str, Any]) -> Profile:
    """The :class:`Profile` a results directory was written with, from its manifest.

    The selection fields keep the named profile's values; every setting (test-set size, pixel
    scale, graph mode, k grids, training and its scheme, :func:`training_scheme`) is the
    manifest's, so data and networks are rebuilt exactly as the sweep built them.
    """
    if manifest.get("profile") not in PROFILES:
        raise ValueError(f"unknown profile {manifest.get('profile')!r} in the manifest")
    settings = {key: (tuple(v) if key in ("k_synthetic", "k_real") else v)
                for key, v in manifest["settings"].items() if key != "name"}
    settings["training_scheme"] = training_scheme(manifest["settings"])  # the legacy one when absent
    return replace(PROFILES[manifest["profile"]], **settings)


def load_results(out: str | Path) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    """``(networks, geometry, manifest)`` of a results directory.

    ``networks`` has one row per network (the network-level columns); ``geometry`` one row per
    (network, layer, k).
    """
    from ricci_lit.experiments.store import read_manifest, read_table

    root = Path(out)
    manifest = read_manifest(root, "sweep")
    geo = read_table(root, "network")
    if geo.empty:
        return pd.DataFrame(columns=_NETWORK_COLUMNS), geo, manifest
    return network_table(geo), geo, manifest


def network_table(geometry: pd.DataFrame) -> pd.DataFrame:
    """One row per network from the per-(layer, k) rows that carry the network columns."""
    cols = [c for c in _NETWORK_COLUMNS if c in geometry.columns]
    nets = geometry[cols].drop_duplicates(subset=["problem", "architecture", "seed"])
    return nets.sort_values(["problem", "architecture", "seed"], kind="stable").reset_index(drop=True)


def expected_networks(profile: Profile) -> set[tuple[str, str, int]]:
    """Every (problem, architecture, seed) a profile trains."""
    return {(p, a, s) for p in profile.problems for a in profile.architectures for s in range(profile.n_seeds)}


def timing_table(networks: pd.DataFrame, by: Sequence[str] = ("problem",)) -> pd.DataFrame:
    """Where a sweep's time went, from the per-network records of its store.

    ``train_seconds`` of a network is its share of the batched training of its configuration
    (the ensemble's wall time divided by the networks trained together) and ``geometry_seconds``
    the wall time of its representations' totals over the whole k grid. Per group of ``by``:
    the networks, the summed training and geometry hours, their shares, the mean seconds per
    network, and the devices used. A ``total`` row sums every group.
    """
    need = ["train_seconds", "geometry_seconds", "device", *by]
    missing = [c for c in need if c not in networks.columns]
    if missing:
        raise ValueError(f"networks table lacks columns {missing}")
    if networks.empty:
        raise ValueError("networks table is empty")

    def one(grp: pd.DataFrame) -> dict[str, Any]:
        train, geo = float(grp["train_seconds"].sum()), float(grp["geometry_seconds"].sum())
        return {"networks": len(grp), "train_h": train / 3600, "geometry_h": geo / 3600,
                "train_share": train / (train + geo) if train + geo > 0 else float("nan"),
                "train_s_per_network": train / len(grp), "geometry_s_per_network": geo / len(grp),
                "devices": ", ".join(sorted(set(map(str, grp["device"]))))}

    rows = [{**dict(zip(by, key if isinstance(key, tuple) else (key,))), **one(grp)}
            for key, grp in networks.groupby(list(by), sort=False)]
    rows.append({**{b: "total" for b in by}, **one(networks)})
    return pd.DataFrame(rows)


