"""The one resumable runner: every experiment of the package is a *plan* run by :func:`run_plan`.

A plan is a list of work :class:`Unit` s and one **pure** function ``compute(settings, unit) →
UnitOutput``. A unit has a deterministic key and names the store chunks it produces (its
``chunks``, ``(table, key)`` pairs); its output holds those chunks' tables with their provenance,
and optionally checkpoints (torch-serialisable objects of plain data and tensors), files (bytes
written under the store, e.g. representations) and an ``extra`` value returned to the caller.
The runner

1. opens the store (:class:`ricci_lit.experiments.store.ResultsStore`: creates it or verifies its
   settings),
2. skips every unit whose chunks all exist (loose or packed) and narrows the others to their
   missing chunks, then calls the plan's ``check`` on what is left (input errors are raised here,
   before anything is computed),
3. maps ``compute`` over the remaining units with an *executor* (default :func:`serial_executor`:
   in this process, in order), under one tqdm progress bar,
4. writes each unit's output **in this process only** (checkpoints, then files, then chunks,
   each atomically; a chunk that appeared meanwhile is left as it is), and packs a group of chunks
   (``default_group``: a key's part before its first ``+``) as soon as all of its units are done
   when asked to,
5. returns one :class:`RunSummary`; when units raised, it first finishes every other unit and
   then raises :class:`UnitsFailedError` naming them (with the summary attached).

Because ``compute`` is a module-level function of plain data (the plan's ``settings`` and the
unit), an executor may run it in other processes or on other machines (issue 13's Dask
executor); a unit's client-side inputs (e.g. a checkpoint read from the store) are added by the
plan's ``prepare`` just before the unit is handed to the executor. An executor is any callable
``executor(fn, tasks)`` that calls ``fn(settings, unit)`` for each ``(settings, unit)`` of the
iterable ``tasks`` and yields ``(index, output or exception)`` pairs, in any order, ``index``
being the task's position in ``tasks``; one with a ``running()`` method (how many units are being
computed now) gets ``done``/``running``/``failed`` in the progress bar's postfix.
:mod:`ricci_lit.experiments.executors` has the Dask one (``run_plan(plan, client=...)``). Each
chunk's provenance names the host that computed it (``worker_host``; this host unless the
executor says otherwise).

A run killed at any moment leaves whole chunks or none (the store writes atomically), so the
same command resumes to the store an uninterrupted run writes.
"""
from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd

from ricci_lit.experiments.store import ResultsStore, atomic_write_bytes, default_group

__all__ = ["Chunk", "Unit", "UnitOutput", "Plan", "RunSummary", "UnitsFailedError", "Executor",
           "serial_executor", "run_plan"]


@dataclass(frozen=True)
class Chunk:
    """One chunk of output: ``frame`` goes to chunk ``key`` of ``table`` with ``provenance``."""

    table: str
    key: str
    frame: pd.DataFrame
    provenance: Mapping[str, Any]


@dataclass(frozen=True)
class Unit:
    """One unit of work.

    Attributes
    ----------
    key
        Deterministic name of the unit (reported on failure; unique within a plan).
    chunks
        The ``(table, chunk key)`` pairs the unit produces. The runner skips a unit whose chunks
        all exist and hands ``compute`` the unit narrowed to its missing chunks. A unit without
        chunks (e.g. one that only re-creates a checkpoint) always runs.
    payload
        Plain, picklable data the computation needs (names, seeds, numbers, tensors).
    """

    key: str
    chunks: tuple[tuple[str, str], ...] = ()
    payload: Mapping[str, Any] = field(default_factory=dict)


@dataclass
class UnitOutput:
    """What ``compute`` returns for one unit.

    Attributes
    ----------
    chunks
        The unit's chunks (a subset of ``unit.chunks``).
    checkpoints
        Checkpoint key → torch-serialisable object (written before the chunks).
    files
        Path relative to the store's root → bytes (written atomically before the chunks).
    stages
        Seconds spent per named stage (summed over units in :attr:`RunSummary.stages`).
    extra
        Anything else for the caller (collected in :attr:`RunSummary.outputs`).
    """

    chunks: list[Chunk] = field(default_factory=list)
    checkpoints: dict[str, Any] = field(default_factory=dict)
    files: dict[str, bytes] = field(default_factory=dict)
    stages: dict[str, float] = field(default_factory=dict)
    extra: Any = None


@dataclass(frozen=True)
class Plan:
    """A resumable experiment: the store it writes, its units and their computation.

    Attributes
    ----------
    root
        The results store's directory (a :class:`~ricci_lit.experiments.store.ResultsStore` argument).
    profile
        The store's profile name (a :class:`~ricci_lit.experiments.store.ResultsStore` argument).
    store_settings
        The store's settings (a :class:`~ricci_lit.experiments.store.ResultsStore` argument).
    units
        The work, in the order a serial run does it.
    compute
        ``compute(settings, unit) -> UnitOutput``; a module-level function (picklable) that
        neither reads nor writes the store.
    settings
        Plain data handed to every ``compute`` call (profile values, device, data directory...).
    prepare
        Optional ``prepare(store, unit) -> unit``, run in the caller's process just before the
        unit is computed, to add inputs read from the store (its errors fail that unit only).
    check
        Optional ``check(store, units)``, run once on the units left to compute before any of
        them is; what it raises is raised by :func:`run_plan` as is (bad input, missing data).
    desc
        Progress-bar label.
    unit_name
        The name of what the progress bar counts (chunks, or units for a plan without chunks).
    group_of
        A chunk key's packing group (default: the part before its first ``+``).
    """

    root: Path
    profile: str
    store_settings: Mapping[str, Any]
    units: Sequence[Unit]
    compute: Callable[[Any, Unit], UnitOutput]
    settings: Any = None
    prepare: Callable[[ResultsStore, Unit], Unit] | None = None
    check: Callable[[ResultsStore, Sequence[Unit]], None] | None = None
    desc: str = "run"
    unit_name: str = "chunk"
    group_of: Callable[[str], str] = default_group


@dataclass
class RunSummary:
    """What one :func:`run_plan` call did.

    ``total``/``skipped``/``computed``/``failed`` count units (``skipped``: finished before
    this call); ``chunks_*`` count chunks (``chunks_before``: present before this call).
    ``outputs`` maps a computed unit's key to its :attr:`UnitOutput.extra`; ``notes`` holds what
    the plan left out when it was built, one line each; ``info`` plan-specific values.
    """

    out: Path
    total: int
    skipped: int
    computed: int
    failed: dict[str, str]
    seconds: float
    chunks_total: int = 0
    chunks_before: int = 0
    chunks_written: int = 0
    stages: dict[str, float] = field(default_factory=dict)
    outputs: dict[str, Any] = field(default_factory=dict)
    packed: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    info: dict[str, Any] = field(default_factory=dict)


class UnitsFailedError(RuntimeError):
    """Some units raised; every other unit was computed and written. ``summary`` says what was done."""

    def __init__(self, summary: RunSummary) -> None:
        self.summary = summary
        items = list(summary.failed.items())
        shown = "; ".join(f"{key} ({why})" for key, why in items[:3])
        more = f" and {len(items) - 3} more" if len(items) > 3 else ""
        super().__init__(f"{len(items)} of {summary.total} units failed: {shown}{more}")


Executor = Callable[[Callable[[Any, Unit], UnitOutput], Iterable[tuple[Any, Unit]]],
                    Iterator[tuple[int, "UnitOutput | BaseException"]]]


def serial_executor(fn: Callable[[Any, Unit], UnitOutput],
                    tasks: Iterable[tuple[Any, Unit]]) -> Iterator[tuple[int, UnitOutput | BaseException]]:
    """Run the tasks one after the other in this process, lazily, in order; an ``Exception``
    raised by a task is yielded as its result (``KeyboardInterrupt`` and the like propagate)."""
    for i, (settings, unit) in enumerate(tasks):
        try:
            out = fn(settings, unit)
        except Exception as exc:  # reported by the runner with the unit's key
            yield i, exc
        else:
            yield i, out


def _describe(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or "(no message)"
    return f"{type(exc).__name__}: {text}"


def _write(store: ResultsStore, unit: Unit, out: UnitOutput) -> int:
    """Write one unit's output (checkpoints, files, chunks); the number of chunks written."""
    if not isinstance(out, UnitOutput):
        raise TypeError(f"unit {unit.key}: compute returned {type(out).__name__}, not a UnitOutput")
    wanted = set(unit.chunks)
    extra = [(c.table, c.key) for c in out.chunks if (c.table, c.key) not in wanted]
    if extra:
        raise ValueError(f"unit {unit.key} returned chunks it does not own: {extra}")
    for key, obj in out.checkpoints.items():
        store.save_checkpoint(key, obj)
    for rel, data in out.files.items():
        target = (store.root / rel).resolve()
        if store.root.resolve() not in target.parents:
            raise ValueError(f"unit {unit.key}: file {rel!r} lies outside the store")
        target.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(target, data)
    written = 0
    host = socket.gethostname()
    for c in out.chunks:
        if store.has_chunk(c.table, c.key):  # written meanwhile by another run: never replaced
            continue
        prov = dict(c.provenance)
        prov.setdefault("worker_host", host)  # computed here unless an executor said where
        try:
            store.write_chunk(c.table, c.key, c.frame, prov)
        except FileExistsError:
            continue
        written += 1
    return written


def run_plan(plan: Plan, *, executor: Executor | None = None, progress: bool = True,
             pack: bool = False, client: Any = None) -> RunSummary:
    """Run (or resume) ``plan``; see the module docstring for the steps.

    Parameters
    ----------
    plan
        The experiment.
    executor
        Maps ``compute`` over the units (default :func:`serial_executor`).
    client
        A ``distributed.Client``: run the units on its cluster
        (:class:`ricci_lit.experiments.executors.DaskExecutor`; on CUDA, i.e. when
        ``plan.settings.device`` names it, every unit asks for the worker resource ``GPU=1``).
        Not with ``executor``.
    progress
        One tqdm bar over the plan's chunks (or units, for a plan without chunks).
    pack
        Pack each group of chunks into one file as soon as all of its units are done
        (:meth:`~ricci_lit.experiments.store.ResultsStore.pack`), groups finished earlier included.

    Returns
    -------
    RunSummary

    Raises
    ------
    UnitsFailedError
        After every other unit is done, when some units raised.
    """
    from tqdm import tqdm

    if client is not None:
        if executor is not None:
            raise ValueError("give an executor or a client, not both")
        from ricci_lit.experiments.executors import DaskExecutor

        cuda = str(getattr(plan.settings, "device", "cpu")).startswith("cuda")
        executor = DaskExecutor(client, resources={"GPU": 1} if cuda else None)
    keys = [u.key for u in plan.units]
    if len(set(keys)) != len(keys):
        raise ValueError(f"plan {plan.desc!r} names a unit twice")
    store = ResultsStore(Path(plan.root), plan.profile, dict(plan.store_settings))
    t_start = time.perf_counter()
    todo: list[Unit] = []
    chunks_before = chunks_total = 0
    pending_of: dict[tuple[str, str], int] = {}   # (table, group) -> units of it not yet done
    for unit in plan.units:
        missing = tuple(c for c in unit.chunks if not store.has_chunk(*c))
        chunks_total += len(unit.chunks)
        chunks_before += len(unit.chunks) - len(missing)
        for table, key in unit.chunks:
            pending_of.setdefault((table, plan.group_of(key)), 0)
        if missing or not unit.chunks:
            todo.append(replace(unit, chunks=missing))
            for g in {(t, plan.group_of(k)) for t, k in unit.chunks}:
                pending_of[g] += 1
    if plan.check is not None:
        plan.check(store, todo)
    summary = RunSummary(out=store.root, total=len(plan.units), skipped=len(plan.units) - len(todo), computed=0,
                         failed={}, seconds=0.0, chunks_total=chunks_total, chunks_before=chunks_before)
    broken: set[tuple[str, str]] = set()

    def pack_group(group: tuple[str, str]) -> None:
        if pack and group not in broken:
            summary.packed += store.pack(group[0], groups=[group[1]], group_of=plan.group_of)

    for group in sorted(g for g, n in pending_of.items() if n == 0):  # done before: pack leftovers too
        pack_group(group)
    counted = chunks_total > 0
    bar = tqdm(total=chunks_total if counted else len(todo), initial=chunks_before if counted else 0,
               desc=plan.desc, unit=plan.unit_name if counted else "unit", disable=not progress,
               dynamic_ncols=True)
    submitted: list[Unit] = []
    running = getattr(executor, "running", None)

    def tasks() -> Iterator[tuple[Any, Unit]]:
        for unit in todo:
            if plan.prepare is not None:
                try:
                    unit = plan.prepare(store, unit)
                except Exception as exc:
                    summary.failed[unit.key] = _describe(exc)
                    finish(unit, ok=False)
                    continue
            submitted.append(unit)
            yield plan.settings, unit

    def finish(unit: Unit, ok: bool) -> None:
        for g in sorted({(t, plan.group_of(k)) for t, k in unit.chunks}):
            pending_of[g] -= 1
            if not ok:
                broken.add(g)
            if pending_of[g] == 0:
                pack_group(g)
        if not counted:
            bar.update(1)
        if running is not None:
            bar.set_postfix(done=summary.computed, running=running(),
                            failed=len(summary.failed), refresh=False)
        elif summary.failed:
            bar.set_postfix(failed=len(summary.failed), refresh=False)

    try:
        for i, result in (executor or serial_executor)(plan.compute, tasks()):
            unit = submitted[i]
            if isinstance(result, BaseException):
                summary.failed[unit.key] = _describe(result)
                finish(unit, ok=False)
                continue
            t0 = time.perf_counter()
            try:
                n = _write(store, unit, result)
            except (ValueError, TypeError) as exc:
                summary.failed[unit.key] = _describe(exc)
                finish(unit, ok=False)
                continue
            summary.stages = {**summary.stages, **{k: summary.stages.get(k, 0.0) + float(v)
                                                   for k, v in result.stages.items()}}
            summary.stages["write"] = summary.stages.get("write", 0.0) + time.perf_counter() - t0
            summary.chunks_written += n
            summary.computed += 1
            summary.outputs[unit.key] = result.extra
            if counted:
                bar.update(len(unit.chunks))
            finish(unit, ok=True)
    finally:
        bar.close()
    summary.seconds = time.perf_counter() - t_start
    if summary.failed:
        raise UnitsFailedError(summary)
    return summary
