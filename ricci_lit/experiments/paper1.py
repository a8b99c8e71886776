"""Sweeps: train many networks and record every layer's geometry at every k, resumably.

A *profile* fixes what a sweep computes (paper-notes §3–§4):

``paper``
    P1's experiment: 7 problems × 6 architectures × 36 seeds = 1,512 networks, full test sets,
    50 epochs of RMSprop with batch 32 on raw pixels, and P1 §3.2's k grids.
``quick``
    A small but real subset that runs end to end in minutes on a 2-core CPU: 2 problems ×
    2 architectures × 4 seeds, 500 test points, 4 k values, at most 2,000 training points of the
    real data set.

Work is done per (problem, architecture): the seeds are trained together as one batched
computation (:func:`ricci_lit.networks.training.train_ensemble`; the trained ensemble is checkpointed
atomically), then each network's representations of the test set (input, every hidden layer,
output) go through :func:`ricci_lit.geometry.coefficients.geometry_table` for the whole k grid. One network's
rows, with its accuracy and training metadata, form one chunk of the results store
(:mod:`ricci_lit.experiments.store`), written atomically. Killing a sweep at any moment and running the
same command again resumes: finished networks are skipped, a trained ensemble is reloaded, and
at most the chunk in flight is recomputed.
"""
from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from ricci_lit.geometry.coefficients import geometry_table
from ricci_lit.provenance import provenance
from ricci_lit.experiments.store import ResultsStore

__all__ = [
    "K_GRID_SYNTHETIC",
    "K_GRID_REAL",
    "Profile",
    "PROFILES",
    "get_profile",
    "run_sweep",
    "SweepSummary",
    "load_results",
    "network_table",
    "BookResults",
    "book_results",
    "resolve_results_root",
    "expected_networks",
    "pack_results",
    "complete_problems",
    "timing_table",
    "stored_profile",
    "recreate_checkpoints",
    "training_batches",
]

#: P1 §3.2 k grid for the synthetic sets (|test| = 1,000).
K_GRID_SYNTHETIC: tuple[int, ...] = (6, 7, 9, 10, 15, 18, 20, 30, 50, 90, 100, 120, 140, 150, 160, 180, 200)
#: P1 §3.2 k grid for MNIST and Fashion-MNIST (|test| ≈ 2,000).
K_GRID_REAL: tuple[int, ...] = (10, 20, 30, 50, 90, 100, 120, 150, 250, 350, 500)

_NETWORK_COLUMNS = ["problem", "architecture", "seed", "n_hidden", "width", "depth", "test_accuracy",
                    "train_accuracy", "train_loss", "n_test", "n_train", "device", "train_seconds",
                    "geometry_seconds"]


@dataclass(frozen=True)
class Profile:
    """What a sweep computes. Everything but the selection (problems, architectures, number of
    seeds) is recorded in the store's manifest, so results of other settings are never mixed."""

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
        return d


def _is_synthetic(problem: str) -> bool:
    from ricci_lit.data.problems import PROBLEMS

    return PROBLEMS[problem].kind == "synthetic"


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
    return prof


@dataclass
class SweepSummary:
    """What a call of :func:`run_sweep` did."""

    out: Path
    networks_total: int
    networks_done_before: int
    networks_computed: int
    wall_seconds: float
    train_seconds: float = 0.0
    geometry_seconds: float = 0.0
    stages: dict[str, float] = field(default_factory=dict)


def _arch_classes(arch: str) -> tuple[str, str]:
    width, depth = arch.split("-")
    return width, depth


def _chunk_key(problem: str, arch: str, seed: int) -> str:
    return f"{problem}+{arch}+s{seed}"


def _load_data(profile: Profile, problem: str, data_dir: str | None):
    from ricci_lit.data.problems import load_problem

    ds = load_problem(problem, seed=profile.data_seed, n_test=profile.n_test,
                      pixel_scale=profile.pixel_scale, data_dir=data_dir)
    x_train, y_train = ds.x_train, ds.y_train
    if profile.n_train is not None and len(x_train) > profile.n_train:
        # deterministic stratified subset (same for every network of the problem)
        rng = np.random.default_rng(profile.data_seed)
        idx = np.sort(rng.permutation(len(x_train))[: profile.n_train])
        x_train, y_train = x_train[idx], y_train[idx]
    return ds, np.asarray(x_train, np.float32), np.asarray(y_train, np.float32)


def _train_seeds(profile: Profile, arch: str, seeds: Sequence[int], x_train, y_train, x_test, y_test,
                 device: str, progress: bool):
    """Train ``seeds`` of ``arch`` as one batched ensemble: ``(ensemble on the CPU, meta per seed, seconds)``."""
    from ricci_lit.networks.training import TrainConfig, train_ensemble

    cfg = TrainConfig(epochs=profile.epochs, batch_size=profile.batch_size, lr=profile.lr)
    res = train_ensemble(x_train, y_train, arch, list(seeds), cfg, device=device, progress=progress,
                         x_test=x_test, y_test=y_test)
    seconds = float(res.wall_time_s)
    ens = res.ensemble.to("cpu") if hasattr(res.ensemble, "to") else res.ensemble
    meta = {int(s): {"train_loss": float(res.train_loss[i]),
                     "train_accuracy": float(res.train_accuracy[i]),
                     "train_seconds": seconds / len(seeds), "device": res.device}
            for i, s in enumerate(seeds)}
    return ens, meta, seconds


def _train(store: ResultsStore, profile: Profile, problem: str, arch: str, seeds: Sequence[int],
           x_train, y_train, x_test, y_test, device: str, progress: bool):
    """Trained ensemble for ``seeds``: from the checkpoint when present, else trained now."""
    from ricci_lit.networks.mlp import MLPEnsemble

    key = f"{problem}+{arch}"
    ckpt = store.load_checkpoint(key)
    have: dict[int, int] = {}
    ens = None
    if ckpt is not None:
        ens = MLPEnsemble.from_state(ckpt["ensemble"])
        have = {int(s): i for i, s in enumerate(ens.seeds)}
    missing = [s for s in seeds if s not in have]
    seconds = 0.0
    if missing:
        new, meta_new, seconds = _train_seeds(profile, arch, missing, x_train, y_train, x_test, y_test,
                                              device, progress)
        old_meta = ckpt["meta"] if ckpt is not None else {}
        ens = new if ens is None else MLPEnsemble.concatenate([ens, new])
        meta = {**old_meta, **meta_new}
        store.save_checkpoint(key, {"ensemble": ens.to_state(), "meta": meta})
        have = {int(s): i for i, s in enumerate(ens.seeds)}
        ckpt = {"meta": meta}
    return ens, have, ckpt["meta"], seconds


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
) -> SweepSummary:
    """Run (or resume) a sweep into the results directory ``out``.

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
        Seeds whose representations are also stored as ``.npz`` under ``out/representations``.
    cpu_threads
        torch threads for training on the CPU (1 by default, see :func:`ricci_lit.networks.training.torch_threads`;
        ``None`` leaves torch's setting alone). Ignored on CUDA.
    pack
        Pack each problem's network chunks into one compact file as soon as all its networks of
        this sweep are done (:meth:`ricci_lit.experiments.store.ResultsStore.pack`); the numbers are the same.
    """
    from tqdm import tqdm

    from ricci_lit.geometry._torch import resolve_device
    from ricci_lit.networks.mlp import representations
    from ricci_lit.networks.training import torch_threads

    dev = resolve_device(device)
    backend = "torch" if dev.type == "cuda" and profile.curvature in ("forman", "augmented-forman") else "numpy"
    store = ResultsStore(Path(out), profile.name, profile.settings())
    seeds = list(range(profile.n_seeds))
    units = [(p, a) for p in profile.problems for a in profile.architectures]
    total = len(units) * len(seeds)
    done_before = sum(store.has_chunk("network", _chunk_key(p, a, s)) for p, a in units for s in seeds)
    t_start = time.perf_counter()
    stages = {"data": 0.0, "train": 0.0, "representations": 0.0, "geometry": 0.0, "write": 0.0}
    computed = 0
    bar = tqdm(total=total, initial=done_before, desc=f"sweep {profile.name}", unit="net",
               disable=not progress, dynamic_ncols=True)
    try:
        for problem in profile.problems:
            todo_archs = [a for a in profile.architectures
                          if not all(store.has_chunk("network", _chunk_key(problem, a, s)) for s in seeds)]
            if not todo_archs:
                continue
            t0 = time.perf_counter()
            ds, x_train, y_train = _load_data(profile, problem, data_dir)
            x_test = np.asarray(ds.x_test, np.float32)
            y_test = np.asarray(ds.y_test, np.float32)
            ks = profile.ks_for(problem, len(x_test))
            stages["data"] += time.perf_counter() - t0
            input_rows: pd.DataFrame | None = None
            for arch in todo_archs:
                todo = [s for s in seeds if not store.has_chunk("network", _chunk_key(problem, arch, s))]
                t0 = time.perf_counter()
                with torch_threads(cpu_threads if dev.type == "cpu" else None):
                    ens, index, meta, _ = _train(store, profile, problem, arch, seeds, x_train, y_train,
                                                 x_test, y_test, str(dev), progress)
                stages["train"] += time.perf_counter() - t0
                width, depth = _arch_classes(arch)
                for seed in todo:
                    t0 = time.perf_counter()
                    one = ens.subset([index[seed]])
                    reps = representations(one, x_test)[0]
                    pred = (reps.output[:, 0] > 0.5).astype(np.float32)
                    test_acc = float((pred == y_test).mean())
                    stages["representations"] += time.perf_counter() - t0
                    t0 = time.perf_counter()
                    if input_rows is None:  # the input layer is the same for every network
                        input_rows = geometry_table([reps.input], ks, curvature=profile.curvature,
                                                    mode=profile.mode, backend=backend, device=str(dev))
                    rest = geometry_table(reps.all[1:], ks, curvature=profile.curvature,
                                          mode=profile.mode, backend=backend, device=str(dev))
                    rest["layer"] += 1
                    geo = pd.concat([input_rows, rest], ignore_index=True)
                    g_seconds = time.perf_counter() - t0
                    stages["geometry"] += g_seconds
                    t0 = time.perf_counter()
                    m = meta[int(seed)]
                    net = {"problem": problem, "architecture": arch, "seed": int(seed),
                           "n_hidden": reps.n_hidden, "width": width, "depth": depth,
                           "test_accuracy": test_acc, "train_accuracy": m["train_accuracy"],
                           "train_loss": m["train_loss"], "n_test": int(len(x_test)),
                           "n_train": int(len(x_train)), "device": m["device"],
                           "train_seconds": m["train_seconds"], "geometry_seconds": g_seconds}
                    for col, val in net.items():
                        geo[col] = val
                    geo = geo[_NETWORK_COLUMNS + [c for c in geo.columns if c not in _NETWORK_COLUMNS]]
                    prov = provenance(profile=profile.name, settings=profile.settings(), problem=problem,
                                      architecture=arch, seed=int(seed), device=str(dev), backend=backend,
                                      geometry_seconds=g_seconds)
                    if seed in save_representations:
                        _save_reps(store.root, problem, arch, seed, reps)
                    store.write_chunk("network", _chunk_key(problem, arch, seed), geo, prov)
                    stages["write"] += time.perf_counter() - t0
                    computed += 1
                    bar.update(1)
            if pack:
                store.pack("network", groups=[problem])
    finally:
        bar.close()
    wall = time.perf_counter() - t_start
    return SweepSummary(out=store.root, networks_total=total, networks_done_before=done_before,
                        networks_computed=computed, wall_seconds=wall, train_seconds=stages["train"],
                        geometry_seconds=stages["geometry"], stages=stages)


def _save_reps(root: Path, problem: str, arch: str, seed: int, reps) -> None:
    import io

    from ricci_lit.experiments.store import _atomic_write_bytes

    folder = root / "representations"
    folder.mkdir(exist_ok=True)
    buf = io.BytesIO()
    np.savez_compressed(buf, *reps.all)
    _atomic_write_bytes(folder / f"{_chunk_key(problem, arch, seed)}.npz", buf.getvalue())


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
    scale, graph mode, k grids, training) is the manifest's, so data and networks are rebuilt
    exactly as the sweep built them.
    """
    if manifest.get("profile") not in PROFILES:
        raise ValueError(f"unknown profile {manifest.get('profile')!r} in the manifest")
    settings = {key: (tuple(v) if key in ("k_synthetic", "k_real") else v)
                for key, v in manifest["settings"].items() if key != "name"}
    return replace(PROFILES[manifest["profile"]], **settings)


def training_batches(networks: pd.DataFrame) -> list[list[int]]:
    """The batches in which a sweep trained one configuration's seeds, from its network rows.

    A sweep trains the seeds it lacks as one batched ensemble and records for each network the
    batch's wall time divided by its size (``train_seconds``), so the seeds of one batch share that
    value exactly. Batch composition matters for re-training: the batched matrix products round
    differently for different batch sizes, so a seed re-trained in another batch ends up with
    weights that differ in the last bits (and, after many epochs, possibly more).

    Parameters
    ----------
    networks
        The rows of one (problem, architecture) (:func:`load_results`), with ``seed`` and
        ``train_seconds``.

    Returns
    -------
    list of list of int
        The batches, each sorted, in order of their first seed.
    """
    if networks[["problem", "architecture"]].drop_duplicates().shape[0] > 1:
        raise ValueError("networks must hold one (problem, architecture)")
    if networks["seed"].duplicated().any():
        raise ValueError("networks holds a seed twice")
    groups = networks.groupby("train_seconds", sort=False)["seed"].apply(lambda s: sorted(int(v) for v in s))
    return sorted(groups.tolist(), key=lambda b: b[0])


def recreate_checkpoints(
    out: str | Path,
    *,
    problems: Sequence[str] | None = None,
    architectures: Sequence[str] | None = None,
    seeds: int | None = None,
    device: str = "cpu",
    data_dir: str | None = None,
    progress: bool = True,
    cpu_threads: int | None = 1,
) -> pd.DataFrame:
    """Re-train the networks of a results directory whose checkpoints are gone, and prove them equal.

    Checkpoints (the trained weights) are not committed, but everything that decides a network
    is: its settings are in the manifest and training is deterministic for a given seed on a
    given device (:mod:`ricci_lit.networks.training`). For each selected configuration without a
    checkpoint (or whose checkpoint lacks some of the wanted seeds) this trains the stored seeds
    again (``seeds``: only the first ``seeds`` of them; seeds already checkpointed are kept), in
    the batches the sweep trained them in (:func:`training_batches`; a whole batch is re-trained
    even when only some of its seeds are wanted, since that is what makes the weights identical),
    evaluates every network on the test set and compares its test accuracy with the stored one.
    Only when every accuracy agrees exactly is the checkpoint written, so a later
    ``ricci-lit coefficients`` (which re-checks them) analyses the networks the results describe.

    Returns
    -------
    pandas.DataFrame
        One row per re-trained network: ``problem, architecture, seed, stored_accuracy,
        recreated_accuracy, stored_device, train_seconds``.

    Raises
    ------
    RuntimeError
        When a re-trained network's accuracy differs from the stored one (for example networks
        trained on a GPU re-trained on the CPU); no checkpoint is written for that configuration.
    """
    from ricci_lit.geometry._torch import resolve_device
    from ricci_lit.networks.mlp import MLPEnsemble, representations
    from ricci_lit.experiments.store import read_manifest
    from ricci_lit.networks.training import torch_threads

    root = Path(out)
    manifest = read_manifest(root)
    profile = stored_profile(manifest)
    store = ResultsStore(root, manifest["profile"], manifest["settings"])
    nets, _, _ = load_results(root)
    if nets.empty:
        raise ValueError(f"{root} holds no networks: nothing to re-create")
    if seeds is not None and (isinstance(seeds, bool) or int(seeds) < 1):
        raise ValueError(f"seeds must be a positive count, got {seeds!r}")
    configs = nets[["problem", "architecture"]].drop_duplicates()
    for name, wanted, col in (("problem", problems, "problem"), ("architecture", architectures, "architecture")):
        if wanted is not None:
            unknown = sorted(set(wanted) - set(configs[col]))
            if unknown:
                raise ValueError(f"{root} holds no networks of {name}(s) {unknown}")
            configs = configs[configs[col].isin(list(wanted))]
    dev = resolve_device(device)
    rows = []
    for problem in sorted(configs["problem"].unique()):
        present = set(configs.loc[configs["problem"] == problem, "architecture"])
        archs = [a for a in profile.architectures if a in present] + sorted(present - set(profile.architectures))
        todo = {}
        for arch in archs:
            mine = nets[(nets["problem"] == problem) & (nets["architecture"] == arch)].sort_values("seed")
            wanted = [int(s) for s in mine["seed"]][: seeds if seeds is not None else None]
            ckpt = store.load_checkpoint(f"{problem}+{arch}")
            have = set() if ckpt is None else {int(s) for s in ckpt["ensemble"]["seeds"]}
            missing = {s for s in wanted if s not in have}
            if missing:
                batches = [b for b in training_batches(mine) if missing & set(b)]
                todo[arch] = (mine, batches, ckpt, have)
        if not todo:
            continue
        ds, x_train, y_train = _load_data(profile, problem, data_dir)
        x_test = np.asarray(ds.x_test, np.float32)
        y_test = np.asarray(ds.y_test, np.float32)
        for arch, (mine, batches, ckpt, have) in todo.items():
            parts, meta, seconds, seed_list = [], {}, 0.0, []
            for batch in batches:  # the sweep's own batches: the same networks bit for bit
                with torch_threads(cpu_threads if dev.type == "cpu" else None):
                    part, part_meta, part_seconds = _train_seeds(profile, arch, batch, x_train, y_train, x_test,
                                                                 y_test, str(dev), progress)
                keep = [i for i, s in enumerate(batch) if s not in have]  # never replace a checkpointed seed
                parts.append(part.subset(keep))
                meta.update({batch[i]: part_meta[batch[i]] for i in keep})
                seed_list += [batch[i] for i in keep]
                seconds += part_seconds
            ens = MLPEnsemble.concatenate(parts) if len(parts) > 1 else parts[0]
            bad = []
            for i, seed in enumerate(seed_list):  # evaluated exactly as run_sweep evaluated it
                out_layer = representations(ens.subset([i]), x_test)[0].output
                pred = (out_layer[:, 0] > 0.5).astype(np.float32)
                acc = float((pred == y_test).mean())
                stored = mine[mine["seed"] == seed].iloc[0]
                rows.append({"problem": problem, "architecture": arch, "seed": seed,
                             "stored_accuracy": float(stored["test_accuracy"]), "recreated_accuracy": acc,
                             "stored_device": str(stored.get("device", "unknown")),
                             "train_seconds": seconds / len(seed_list)})
                if acc != float(stored["test_accuracy"]):
                    bad.append(f"seed {seed}: stored {float(stored['test_accuracy']):.6f}, re-trained {acc:.6f} "
                               f"(stored on {stored.get('device', 'unknown')}, re-trained on {dev})")
            if bad:
                raise RuntimeError(f"re-training {problem} {arch} did not reproduce the stored networks, so no "
                                   f"checkpoint was written: {'; '.join(bad[:3])}"
                                   + (f" and {len(bad) - 3} more" if len(bad) > 3 else ""))
            if ckpt is not None:  # a checkpoint with fewer seeds: extend it, as a resumed sweep would
                ens = MLPEnsemble.concatenate([MLPEnsemble.from_state(ckpt["ensemble"]), ens])
                meta = {**ckpt["meta"], **meta}
            store.save_checkpoint(f"{problem}+{arch}", {"ensemble": ens.to_state(), "meta": meta})
    return pd.DataFrame(rows, columns=["problem", "architecture", "seed", "stored_accuracy", "recreated_accuracy",
                                       "stored_device", "train_seconds"])


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


