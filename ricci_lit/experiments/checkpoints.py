"""Re-create a sweep's checkpoints (its trained networks) bit for bit, as a plan of the runner.

Checkpoints are not committed, but everything that decides a network is: its settings are in
the store's manifest (the training scheme among them, :func:`ricci_lit.experiments.paper1.training_scheme`)
and training is deterministic for a given seed on a given device (:mod:`ricci_lit.networks.training`).
Under the legacy scheme a network's last bits also depend on the *batch* of seeds it was
trained with, which the store records implicitly (:func:`training_batches`).
:func:`recreate_checkpoints` re-trains each selected configuration in those batches, one unit of
:mod:`ricci_lit.experiments.runner` per (problem, architecture), checks every re-trained network's
test accuracy and training loss against the stored ones, and only then writes the checkpoint.

Bit for bit holds on the processor kind that trained the networks: PyTorch's CPU kernels round
differently on different processors (:func:`ricci_lit.provenance.cpu_identity`), and 50 epochs
turn last-bit differences into other weights. Chunks record their processor; a refusal names the
stored one and this machine's.
"""
from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence

import pandas as pd

from ricci_lit.experiments.paper1 import (
    Profile,
    train_seeds,
    load_results,
    problem_data,
    stored_profile,
)
from ricci_lit.experiments.runner import Executor, Plan, Unit, UnitOutput, run_plan
from ricci_lit.experiments.store import iter_provenance, read_manifest
from ricci_lit.provenance import cpu_identity

__all__ = ["RECREATED_COLUMNS", "training_batches", "CheckpointSettings", "checkpoint_unit", "checkpoint_plan",
           "recreate_checkpoints"]

#: The columns of a checkpoint re-creation table: one row per re-trained network, its stored and
#: re-created test accuracy and training loss, the device it was stored from, the seconds
#: re-training took and whether it is in the checkpoint (``kept``: false for a network of the
#: batch that was not asked for and did not come out as stored).
RECREATED_COLUMNS = ["problem", "architecture", "seed", "stored_accuracy", "recreated_accuracy", "stored_train_loss",
                     "recreated_train_loss", "stored_device", "train_seconds", "kept"]


def training_batches(networks: pd.DataFrame) -> list[list[int]]:
    """The batches in which a sweep trained one configuration's seeds, from its network rows.

    A sweep trains the seeds it lacks as one batched ensemble and records for each network the
    batch's wall time divided by its size (``train_seconds``), so the seeds of one batch share that
    value exactly. Batch composition matters for re-training under the legacy scheme: the batched
    matrix products round differently for different batch sizes, so a seed re-trained in another
    batch ends up with weights that differ in the last bits (and, after many epochs, possibly more).

    Parameters
    ----------
    networks
        The rows of one (problem, architecture) (:func:`ricci_lit.experiments.paper1.load_results`),
        with ``seed`` and ``train_seconds``.

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


@dataclass(frozen=True)
class CheckpointSettings:
    """What every unit of :func:`checkpoint_plan` shares."""

    profile: Profile
    device: str
    data_dir: str | None = None
    cpu_threads: int | None = 1
    progress: bool = False


def checkpoint_unit(s: CheckpointSettings, unit: Unit) -> UnitOutput:
    """Re-train one configuration's batches, check every accuracy, return its checkpoint.

    Payload: ``problem``, ``architecture``, ``batches`` (the sweep's), ``stored`` (seed →
    ``{"accuracy", "train_loss", "device", "cpu"}``; ``cpu`` is the chunk's processor record or
    ``None``), ``wanted`` (the seeds asked for; ``None``: all) and ``checkpoint`` (the existing
    one or ``None``; its seeds are kept, never replaced). Raises ``RuntimeError`` when a wanted
    network's re-trained test accuracy or training loss differs from the stored one (a loss stored
    as NaN is not compared): the training loss, a float64 mean over the training set, sees
    differences in the weights the accuracy rounds away. A network of the batch that was not asked
    for and differs is left out of the checkpoint (``kept`` false in the table): the networks of a
    batch are computed side by side, never from each other, so it says nothing about the others.
    """
    from ricci_lit.networks.mlp import MLPEnsemble, output_accuracy, representations
    from ricci_lit.networks.training import torch_threads

    p = unit.payload
    problem, arch, ckpt = p["problem"], p["architecture"], p.get("checkpoint")
    have = set() if ckpt is None else {int(v) for v in ckpt["ensemble"]["seeds"]}
    x_train, y_train, x_test, y_test = problem_data(s.profile, problem, s.data_dir)
    parts, meta, seconds, seed_list = [], {}, 0.0, []
    for batch in p["batches"]:  # the sweep's own batches: the same networks bit for bit
        with torch_threads(s.cpu_threads if s.device == "cpu" else None):
            part, part_meta, part_seconds = train_seeds(s.profile, arch, batch, x_train, y_train, x_test, y_test,
                                                         s.device, s.progress)
        keep = [i for i, v in enumerate(batch) if v not in have]  # never replace a checkpointed seed
        parts.append(part.subset(keep))
        meta.update({batch[i]: part_meta[batch[i]] for i in keep})
        seed_list += [batch[i] for i in keep]
        seconds += part_seconds
    ens = MLPEnsemble.concatenate(parts) if len(parts) > 1 else parts[0]
    wanted = None if p.get("wanted") is None else {int(v) for v in p["wanted"]}
    rows, bad = [], []
    for i, seed in enumerate(seed_list):  # evaluated exactly as the sweep evaluated it
        acc = output_accuracy(representations(ens.subset([i]), x_test)[0].output, y_test)
        st = p["stored"][seed]
        loss = float(meta[seed]["train_loss"])
        rows.append({"problem": problem, "architecture": arch, "seed": seed, "stored_accuracy": st["accuracy"],
                     "recreated_accuracy": acc, "stored_train_loss": st["train_loss"], "recreated_train_loss": loss,
                     "stored_device": st["device"], "train_seconds": seconds / len(seed_list), "kept": True})
        why = None
        if acc != st["accuracy"]:
            why = f"seed {seed}: test accuracy stored {st['accuracy']:.6f}, re-trained {acc:.6f}"
        elif math.isfinite(st["train_loss"]) and loss != st["train_loss"]:
            why = f"seed {seed}: training loss stored {st['train_loss']:.17g}, re-trained {loss:.17g}"
        if why is not None and (wanted is None or seed in wanted):
            bad.append(why)
        elif why is not None:  # not asked for and not the stored network: never checkpointed
            rows[-1]["kept"] = False
    if bad:
        raise RuntimeError(f"re-training {problem} {arch} did not reproduce the stored networks, so no "
                           f"checkpoint was written: {len(bad)} of {len(seed_list)} differ ({'; '.join(bad[:3])}"
                           + (f" and {len(bad) - 3} more" if len(bad) > 3 else "") + "); "
                           + _where_trained([p["stored"][v] for v in seed_list], s.device))
    good = [i for i, row in enumerate(rows) if row["kept"]]
    if len(good) < len(rows):
        ens = ens.subset(good)
        meta = {seed_list[i]: meta[seed_list[i]] for i in good}
    if ckpt is not None:  # a checkpoint with fewer seeds: extend it, as a resumed sweep would
        ens = MLPEnsemble.concatenate([MLPEnsemble.from_state(ckpt["ensemble"]), ens])
        meta = {**ckpt["meta"], **meta}
    return UnitOutput(checkpoints={f"{problem}+{arch}": {"ensemble": ens.to_state(), "meta": meta}},
                      stages={"train": seconds}, extra=pd.DataFrame(rows, columns=RECREATED_COLUMNS))


def _cpu_text(cpu: Mapping[str, Any]) -> str:
    return f"{cpu.get('model', 'unknown')} (torch {cpu.get('torch_capability', 'unknown')})"


def _where_trained(stored: Sequence[Mapping[str, Any]], device: str) -> str:
    """Why a re-training may differ: the stored networks' device and processor against this one's."""
    devices = sorted({str(v["device"]) for v in stored})
    if devices != [device]:
        return f"stored on {', '.join(devices)}, re-trained on {device}"
    if device != "cpu":
        return f"stored and re-trained on {device}"
    here = _cpu_text(cpu_identity())
    cpus = sorted({_cpu_text(v["cpu"]) for v in stored if v["cpu"]})
    if not cpus:
        return (f"the store does not record the processor that trained them; this machine is {here}, and CPU "
                "training is bit-reproducible only on the processor kind (and torch build) that ran it")
    if cpus == [here]:
        return f"stored and re-trained on {here}"
    return (f"trained on {', '.join(cpus)}, re-trained on {here}: CPU training is bit-reproducible only on the "
            "processor kind that ran it")


def _select(nets: pd.DataFrame, root: Path, problems: Sequence[str] | None,
            architectures: Sequence[str] | None) -> pd.DataFrame:
    configs = nets[["problem", "architecture"]].drop_duplicates()
    for name, wanted in (("problem", problems), ("architecture", architectures)):
        if wanted is not None:
            unknown = sorted(set(wanted) - set(configs[name]))
            if unknown:
                raise ValueError(f"{root} holds no networks of {name}(s) {unknown}")
            configs = configs[configs[name].isin(list(wanted))]
    return configs


def _stored_cpus(root: Path) -> dict[tuple[str, str, int], Mapping[str, Any]]:
    """(problem, architecture, seed) → the processor record of its network chunk, where it has one."""
    out = {}
    for _, prov in iter_provenance(root, "network"):
        cpu, key = prov.get("cpu"), (prov.get("problem"), prov.get("architecture"), prov.get("seed"))
        if isinstance(cpu, Mapping) and None not in key:
            out[(str(key[0]), str(key[1]), int(key[2]))] = cpu
    return out


def checkpoint_plan(out: str | Path, *, problems: Sequence[str] | None = None,
                    architectures: Sequence[str] | None = None, seeds: int | None = None, device: str = "cpu",
                    data_dir: str | None = None, progress: bool = True, cpu_threads: int | None = 1) -> Plan:
    """The plan of :func:`recreate_checkpoints`: one unit per configuration whose checkpoint is
    missing or lacks some of the wanted seeds (the unit re-trains the batches holding them)."""
    from ricci_lit.experiments.store import ResultsStore
    from ricci_lit.geometry._torch import resolve_device

    root = Path(out)
    manifest = read_manifest(root)
    if not isinstance(manifest, Mapping) or "profile" not in manifest or "settings" not in manifest:
        raise ValueError(f"{root / 'manifest.json'} is not a sweep's manifest")
    profile = stored_profile(manifest)
    nets, _, _ = load_results(root)
    if nets.empty:
        raise ValueError(f"{root} holds no networks: nothing to re-create")
    if seeds is not None and (isinstance(seeds, bool) or int(seeds) < 1):
        raise ValueError(f"seeds must be a positive count, got {seeds!r}")
    configs = _select(nets, root, problems, architectures)
    cpus = _stored_cpus(root)
    store = ResultsStore(root, manifest["profile"], manifest["settings"])
    units = []
    for problem in sorted(configs["problem"].unique()):
        present = set(configs.loc[configs["problem"] == problem, "architecture"])
        archs = [a for a in profile.architectures if a in present] + sorted(present - set(profile.architectures))
        for arch in archs:
            mine = nets[(nets["problem"] == problem) & (nets["architecture"] == arch)].sort_values("seed")
            wanted = [int(v) for v in mine["seed"]][: seeds if seeds is not None else None]
            ckpt = store.load_checkpoint(f"{problem}+{arch}")
            have = set() if ckpt is None else {int(v) for v in ckpt["ensemble"]["seeds"]}
            missing = {v for v in wanted if v not in have}
            if not missing:
                continue
            batches = [b for b in training_batches(mine) if missing & set(b)]
            stored = {int(r.seed): {"accuracy": float(r.test_accuracy),
                                    "train_loss": float(getattr(r, "train_loss", math.nan)),
                                    "device": str(getattr(r, "device", "unknown")),
                                    "cpu": cpus.get((problem, arch, int(r.seed)))}
                      for r in mine.itertuples(index=False)}
            units.append(Unit(key=f"{problem}+{arch}", payload={
                "problem": problem, "architecture": arch, "batches": batches, "stored": stored,
                "wanted": None if seeds is None else sorted(missing),
                "checkpoint": ckpt}))
    settings = CheckpointSettings(profile=profile, device=str(resolve_device(device)), data_dir=data_dir,
                                  cpu_threads=cpu_threads, progress=progress)
    return Plan(root=root, profile=manifest["profile"], store_settings=manifest["settings"], units=units,
                compute=checkpoint_unit, settings=settings, desc="checkpoints", unit_name="config")


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
    executor: Executor | None = None,
    client: Any = None,
) -> pd.DataFrame:
    """Re-train the networks of a results directory whose checkpoints are gone, and prove them equal.

    For each selected configuration without a checkpoint (or whose checkpoint lacks some of the
    wanted seeds) this trains the stored seeds again (``seeds``: only the first ``seeds`` of them;
    seeds already checkpointed are kept) with the store's training scheme, in the batches the
    sweep trained them in (:func:`training_batches`; a whole batch is re-trained even when only
    some of its seeds are wanted, since that is what makes the weights identical), evaluates
    every network on the test set and compares its test accuracy and training loss with the stored
    ones. Only when every wanted network of a configuration agrees exactly is its checkpoint
    written, so a later ``ricci-lit coefficients`` (which re-checks them) analyses the networks the
    results describe. A network re-trained only because it shares a batch with a wanted one, and
    that does not agree, is left out of the checkpoint with a warning naming it. On a processor
    of another kind than the one that trained them they do not agree (module docstring), and the
    refusal names both processors.

    Returns
    -------
    pandas.DataFrame
        One row per re-trained network, columns :data:`RECREATED_COLUMNS`.

    Warns
    -----
    UserWarning
        When networks that were not asked for were left out of a checkpoint (``kept`` false).

    ``executor`` (where the units run, serial by default) or ``client`` (a ``distributed.Client``:
    on its cluster, :mod:`ricci_lit.experiments.executors`) choose where the configurations are
    re-trained; only this process writes the checkpoints.

    Raises
    ------
    ricci_lit.experiments.runner.UnitsFailedError
        (a ``RuntimeError``) after the other configurations are done, when a re-trained network's
        accuracy or training loss differs from the stored one (for example networks trained on a GPU,
        or on another kind of CPU, re-trained here); no checkpoint is written for that configuration.
    """
    plan = checkpoint_plan(out, problems=problems, architectures=architectures, seeds=seeds, device=device,
                           data_dir=data_dir, progress=progress, cpu_threads=cpu_threads)
    summary = run_plan(plan, executor=executor, progress=progress, client=client)
    tables = [summary.outputs[u.key] for u in plan.units if u.key in summary.outputs]
    table = pd.concat(tables, ignore_index=True) if tables else pd.DataFrame(columns=RECREATED_COLUMNS)
    left = table[~table["kept"].astype(bool)]
    for (problem, arch), grp in left.groupby(["problem", "architecture"], sort=True):
        warnings.warn(f"{problem}+{arch}: seed(s) {grp['seed'].astype(int).tolist()} of the re-trained batch did "
                      "not come out as stored and are not in the checkpoint (they were not asked for)",
                      stacklevel=2)
    return table
