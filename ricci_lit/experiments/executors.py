"""Where a plan's units run: in this process (the default), or on a Dask cluster (issue 13).

Every plan of :mod:`ricci_lit.experiments.runner` is a list of units and one pure, module-level
``compute(settings, unit)``; an *executor* maps it over the units. The runner's default,
:func:`ricci_lit.experiments.runner.serial_executor`, needs nothing but this package. This module
adds :class:`DaskExecutor`, which sends each unit to a ``dask.distributed`` cluster, and the means
to get one:

``--workers N`` (:func:`local_cluster`)
    A ``LocalCluster`` of ``N`` single-threaded worker *processes* on this machine, each with one
    BLAS/OpenMP/numba/torch thread (:data:`THREAD_ENV`, set before the worker starts, and
    :func:`one_thread` at the start of every unit), so ``N`` units use ``N`` cores. With
    ``device="cuda"`` there is one worker per GPU instead: worker ``i`` sees only GPU ``i``
    (``CUDA_VISIBLE_DEVICES``) and offers the resource ``GPU=1``; every unit asks for it, so two
    units never share a GPU.
``--scheduler ADDRESS``
    An existing cluster (``dask scheduler`` and ``dask worker ADDRESS`` by hand, ``dask-jobqueue``
    on SLURM/PBS/SGE/LSF, ``dask-kubernetes``...). With ``device="cuda"`` its workers must offer
    ``GPU`` (``dask worker ADDRESS --nthreads 1 --resources GPU=1``), else the run is refused.

**One writer.** A worker only computes: it returns the unit's tables (and checkpoint or file
bytes) to the client, and only the client writes the store (atomically, as in a serial run).
Workers need no shared filesystem; they load a problem's data *by name* (the synthetic problems
are deterministic; MNIST / Fashion-MNIST from the worker's own ``--data-dir`` /
``$RICCI_LIT_DATA`` / cache), and a unit's store inputs (a checkpoint, a network's weights) travel
in the unit, read by the client. Each chunk's provenance names where it was computed:
``worker_host`` (the host name; the runner fills it in as this host for a serial run) and
``worker`` (the Dask worker's address).

**Faults.** A unit is a pure function of ``(settings, unit)``, so a unit computed twice gives the
same bytes. A worker that dies mid-unit (killed, out of memory, its node lost) is noticed by the
scheduler, which runs the unit again on another worker (up to ``distributed.scheduler.allowed-
failures`` times, 3 by default; beyond that the unit fails with ``KilledWorker``). A unit that
*raises* fails with its key (after ``retries`` more tries, 0 by default: a pure unit that raises
raises again) and every other unit goes on; the runner then raises
:class:`~ricci_lit.experiments.runner.UnitsFailedError` naming the failed units. A client killed
mid-run loses at most the units in flight: the same command resumes.
"""
from __future__ import annotations

import contextlib
import logging
import os
import socket
import sys
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from typing import Any

from ricci_lit.experiments.runner import Unit, UnitOutput

__all__ = [
    "THREAD_ENV",
    "DaskExecutor",
    "dashboard_available",
    "local_cluster",
    "numba_config_matches_environment",
    "on_worker",
    "one_thread",
    "open_executor",
    "quiet_settings",
]

#: Environment of a local worker process: one thread for every numerical library.
THREAD_ENV: Mapping[str, str] = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
                                 "NUMEXPR_NUM_THREADS": "1", "VECLIB_MAXIMUM_THREADS": "1",
                                 "NUMBA_NUM_THREADS": "1"}

_NEEDS_DASK = "running on Dask needs dask[distributed] (pip install 'dask[distributed]')"


def _distributed():
    try:
        import distributed
    except ImportError:
        raise ImportError(_NEEDS_DASK) from None
    return distributed


def dashboard_available() -> bool:
    """Whether the Dask dashboard can be served (it needs ``bokeh``)."""
    try:
        import bokeh  # noqa: F401
    except ImportError:
        return False
    return True


def one_thread() -> None:
    """Use one torch and one numba thread in this thread of this process (a worker's setting).

    Only libraries already imported are touched (importing torch costs seconds); one imported
    later by the unit starts with one thread anyway in a worker started with :data:`THREAD_ENV`
    (or by a Dask nanny, which sets ``OMP_NUM_THREADS=1``), and the sweep's units set torch's
    threads themselves (``cpu_threads``).

    A worker may have imported numba before its environment was set: a spawned process first
    re-imports the parent's main module (``ricci-lit`` itself imports numba), and the nanny sets
    ``env`` only afterwards. numba's configuration then holds the machine's thread count while
    ``$NUMBA_NUM_THREADS`` says 1, and numba refuses the next compilation once its threads run
    ("Cannot set NUMBA_NUM_THREADS to a different value"). So the configuration is re-read from
    the environment first, or, if numba's threads already run, the environment is made to agree
    with it (:func:`numba_config_matches_environment`).
    """
    torch = sys.modules.get("torch")
    if torch is not None and torch.get_num_threads() != 1:
        torch.set_num_threads(1)
    numba = sys.modules.get("numba")
    if numba is not None:
        numba_config_matches_environment()
        if numba.get_num_threads() != 1:
            numba.set_num_threads(1)


def numba_config_matches_environment() -> None:
    """Make numba's configured thread count and ``$NUMBA_NUM_THREADS`` agree in this process.

    numba re-reads its configuration from the environment before every compilation and raises if
    the thread count would change after its threads were launched. When the two disagree, the
    configuration is re-read (possible while no thread runs); otherwise the environment is set to
    the configured count (numba's threads in use are then set by ``numba.set_num_threads``;
    ricci_lit's own kernel threads read ``$NUMBA_NUM_THREADS`` at every call, so in that fallback
    they follow the configured count). Nothing happens when numba is not imported.
    """
    if "numba" not in sys.modules:
        return
    from numba.core import config

    env = os.environ.get("NUMBA_NUM_THREADS", "").strip()
    if env.isdigit() and int(env) == config.NUMBA_NUM_THREADS:
        return
    try:
        config.reload_config()
    except RuntimeError:  # threads already launched with the configured count: keep it
        os.environ["NUMBA_NUM_THREADS"] = str(config.NUMBA_NUM_THREADS)


def on_worker(fn: Callable[[Any, Unit], UnitOutput], settings: Any, unit: Unit) -> UnitOutput:
    """Run one unit on a Dask worker: one thread (:func:`one_thread`), then ``fn(settings, unit)``,
    each chunk's provenance stamped with ``worker_host`` and ``worker``."""
    one_thread()
    out = fn(settings, unit)
    if not isinstance(out, UnitOutput):
        return out  # the runner reports it with the unit's key
    try:
        from distributed import get_worker

        address = get_worker().address
    except (ImportError, ValueError):  # pragma: no cover - called outside a worker
        address = None
    stamp = {"worker_host": socket.gethostname(), "worker": address}
    out.chunks = [replace(c, provenance={**c.provenance, **stamp}) for c in out.chunks]
    return out


class DaskExecutor:
    """An executor (see :mod:`ricci_lit.experiments.runner`) that runs units on a Dask cluster.

    Units are submitted as they are prepared, at most ``max_in_flight`` at a time (by default
    twice the cluster's worker threads, so a long plan does not hold every unit's inputs in
    memory), and their outputs come back in the order they finish.

    Parameters
    ----------
    client
        A ``distributed.Client``.
    resources
        Worker resources every unit asks for, e.g. ``{"GPU": 1}``: a unit then runs only on a
        worker offering them, one at a time per unit of resource.
    retries
        Extra tries of a unit that raises (a worker that dies is handled by the scheduler).
    max_in_flight
        Units submitted and not yet returned, at most.
    wait_for_workers
        Seconds to wait for a first (suitable) worker before refusing the run.
    """

    def __init__(self, client: Any, *, resources: Mapping[str, float] | None = None, retries: int = 0,
                 max_in_flight: int | None = None, wait_for_workers: float = 60.0) -> None:
        if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
            raise ValueError(f"retries must be a non-negative integer, got {retries!r}")
        if max_in_flight is not None and (isinstance(max_in_flight, bool) or not isinstance(max_in_flight, int)
                                          or max_in_flight < 1):
            raise ValueError(f"max_in_flight must be a positive integer, got {max_in_flight!r}")
        self.client = client
        self.resources = dict(resources) if resources else None
        self.retries = retries
        self.max_in_flight = max_in_flight
        self.wait_for_workers = float(wait_for_workers)
        self._in_flight = 0
        self._slots = 1

    @property
    def dashboard_link(self) -> str | None:
        """The cluster's dashboard address (``None`` without ``bokeh``)."""
        return getattr(self.client, "dashboard_link", None) if dashboard_available() else None

    def slots(self) -> int:
        """Units the cluster can run at once: worker threads (only those of workers offering
        every requested resource, counted by it)."""
        info = self.client.scheduler_info(n_workers=-1) if _takes_n_workers(self.client) \
            else self.client.scheduler_info()
        total = 0
        for w in info["workers"].values():
            if not self.resources:
                total += int(w.get("nthreads", 1))
                continue
            have = w.get("resources") or {}
            fits = [int(have.get(r, 0) // need) for r, need in self.resources.items() if need > 0]
            total += min(fits) if fits else int(w.get("nthreads", 1))
        return total

    def running(self) -> int:
        """Units submitted and not yet returned, capped by the cluster's slots (the bar's ``running``)."""
        return min(self._in_flight, self._slots)

    def _ready(self) -> int:
        """Wait for a worker that can run the units; their number of slots."""
        import time

        t0 = time.monotonic()
        while True:
            slots = self.slots()
            if slots > 0:
                return slots
            if time.monotonic() - t0 > self.wait_for_workers:
                if self.resources:
                    need = ", ".join(f"{k}={v:g}" for k, v in self.resources.items())
                    raise ValueError(f"no worker of the Dask cluster offers the resources {need} within "
                                     f"{self.wait_for_workers:g} s (start workers with "
                                     f"`dask worker ADDRESS --nthreads 1 --resources {need.replace(', ', ',')}`)")
                raise ValueError(f"the Dask cluster has no worker after {self.wait_for_workers:g} s")
            time.sleep(0.1)

    def __call__(self, fn: Callable[[Any, Unit], UnitOutput],
                 tasks: Iterable[tuple[Any, Unit]]) -> Iterator[tuple[int, UnitOutput | BaseException]]:
        distributed = _distributed()
        self._slots = self._ready()
        window = self.max_in_flight or max(2, 2 * self._slots)
        source = enumerate(tasks)
        done = distributed.as_completed()
        index: dict[str, int] = {}
        live: dict[str, Any] = {}

        def submit_next() -> bool:
            try:
                i, (settings, unit) = next(source)
            except StopIteration:
                return False
            settings = quiet_settings(settings)
            fut = self.client.submit(on_worker, fn, settings, unit, key=f"ricci-lit-{unit.key}-{uuid.uuid4().hex}",
                                     pure=False, retries=self.retries, resources=self.resources)
            index[fut.key] = i
            live[fut.key] = fut
            done.add(fut)
            self._in_flight += 1
            return True

        try:
            for _ in range(window):
                if not submit_next():
                    break
            for fut in done:
                i = index.pop(fut.key)
                live.pop(fut.key, None)
                self._in_flight -= 1
                result: UnitOutput | BaseException
                try:
                    if fut.status == "finished":
                        result = fut.result()
                    elif fut.status == "cancelled":
                        result = RuntimeError("the unit was cancelled by the cluster")
                    else:
                        result = fut.exception()
                        if not isinstance(result, BaseException):  # pragma: no cover - defensive
                            result = RuntimeError(f"the unit ended as {fut.status}")
                except Exception as exc:  # e.g. a result this process cannot unpickle: that unit fails
                    result = exc
                fut.release()
                yield i, result
                submit_next()
        finally:
            if live:  # interrupted: nothing left running for us on the cluster
                with contextlib.suppress(Exception):
                    self.client.cancel(list(live.values()))
            self._in_flight = 0


def quiet_settings(settings: Any) -> Any:
    """``settings`` with ``progress=False`` when it is a dataclass with that field: a worker draws
    no progress bars of its own (the client's one bar counts the units)."""
    import dataclasses

    if dataclasses.is_dataclass(settings) and not isinstance(settings, type) \
            and any(f.name == "progress" for f in dataclasses.fields(settings)) and settings.progress:
        return replace(settings, progress=False)
    return settings


def _takes_n_workers(client: Any) -> bool:
    import inspect

    try:
        return "n_workers" in inspect.signature(client.scheduler_info).parameters
    except (TypeError, ValueError):  # pragma: no cover
        return False


def local_cluster(n_workers: int, *, gpus: Sequence[str] | None = None, resources: Mapping[str, float] | None = None,
                  dashboard: bool | None = None, env: Mapping[str, str] | None = None) -> Any:
    """A cluster of single-threaded worker processes on this machine (127.0.0.1).

    Parameters
    ----------
    n_workers
        Worker processes.
    gpus
        One device id per worker: worker ``i`` starts with ``CUDA_VISIBLE_DEVICES=gpus[i]`` and
        offers ``GPU=1`` (so ``len(gpus)`` must equal ``n_workers``). ``None``: a plain
        ``LocalCluster(n_workers, threads_per_worker=1, processes=True)``.
    resources
        Further resources every worker offers (e.g. a fake ``{"GPU": 1}`` to test the plumbing
        on a CPU).
    dashboard
        Serve the dashboard on a free port (default: when ``bokeh`` is installed).
    env
        Extra environment of the worker processes (after :data:`THREAD_ENV`).
    """
    distributed = _distributed()
    if isinstance(n_workers, bool) or not isinstance(n_workers, int) or n_workers < 1:
        raise ValueError(f"the number of workers must be a positive integer, got {n_workers!r}")
    if dashboard is None:
        dashboard = dashboard_available()
    base_env = {**THREAD_ENV, **(env or {})}
    address = ":0" if dashboard else None
    if gpus is None:
        return distributed.LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True,
                                        host="127.0.0.1", dashboard_address=address, env=base_env,
                                        resources=dict(resources) if resources else None,
                                        silence_logs=logging.ERROR)
    gpus = [str(g) for g in gpus]
    if len(gpus) != n_workers:
        raise ValueError(f"{n_workers} workers but {len(gpus)} GPUs given: one worker per GPU")
    workers = {f"gpu-{g}": {"cls": distributed.Nanny,
                            "options": {"nthreads": 1, "host": "127.0.0.1", "dashboard": False,
                                        "env": {**base_env, "CUDA_VISIBLE_DEVICES": g},
                                        "resources": {**(resources or {}), "GPU": 1}}}
               for g in gpus}
    scheduler = {"cls": distributed.Scheduler,
                 "options": {"host": "127.0.0.1", "port": 0, "dashboard": bool(dashboard),
                             "dashboard_address": address or ":0"}}
    return distributed.SpecCluster(workers=workers, scheduler=scheduler, silence_logs=logging.ERROR,
                                   name="ricci-lit-gpus")


def _gpu_ids(n_workers: int | None) -> list[str]:
    import torch

    count = torch.cuda.device_count()
    if count == 0:
        raise ValueError("--device cuda with --workers needs a CUDA GPU; none is visible")
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    ids = [v.strip() for v in visible.split(",") if v.strip()][:count] if visible else [str(i) for i in range(count)]
    n = len(ids) if n_workers is None else n_workers
    if n > len(ids):
        raise ValueError(f"--workers {n} with --device cuda: only {len(ids)} GPU(s) visible, one worker per GPU")
    return ids[:n]


@contextlib.contextmanager
def open_executor(workers: int | None = None, scheduler: str | None = None, *, device: str = "cpu",
                  retries: int = 0, announce: Callable[[str], None] | None = None,
                  timeout: float | None = None) -> Iterator[DaskExecutor | None]:
    """The executor the command line's ``--workers`` / ``--scheduler`` ask for, as a context.

    Neither: ``None`` (the runner's serial default; Dask is not imported). ``workers=N``: a
    :func:`local_cluster` of ``N`` processes (one per GPU when ``device`` is CUDA), closed on
    exit. ``scheduler=ADDRESS``: a client of that cluster (left running on exit). ``device``
    is the plan's resolved device: on CUDA every unit asks for ``GPU=1``. ``announce`` receives
    one line naming the dashboard when one is served. ``timeout``: seconds to reach the scheduler
    (default: Dask's ``distributed.comm.timeouts.connect``, 30 s).
    """
    if workers is not None and scheduler is not None:
        raise ValueError("give --workers or --scheduler, not both")
    if workers is None and scheduler is None:
        yield None
        return
    distributed = _distributed()
    cuda = str(device).startswith("cuda")
    with contextlib.ExitStack() as stack:
        if scheduler is not None:
            try:
                client = distributed.Client(scheduler, **({} if timeout is None else {"timeout": timeout}))
            except (OSError, TimeoutError) as exc:
                raise ValueError(f"cannot reach the Dask scheduler at {scheduler}: "
                                 f"{' '.join(str(exc).split()) or type(exc).__name__}") from None
        else:
            cluster = stack.enter_context(local_cluster(workers, gpus=_gpu_ids(workers) if cuda else None))
            client = distributed.Client(cluster)
        stack.enter_context(client)
        ex = DaskExecutor(client, resources={"GPU": 1} if cuda else None, retries=retries)
        link = ex.dashboard_link
        if link and announce is not None:
            announce(f"dask dashboard: {link}")
        yield ex
