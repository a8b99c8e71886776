r"""What both trainers share: input checks, the result type, evaluation, and the training schemes.

A private module whose names are public to the networks layer (:mod:`ricci_lit.networks.training`
and :mod:`ricci_lit.networks.until_accuracy` import them); :func:`check_xy` and :class:`TrainResult`
are also public API, re-exported by :mod:`ricci_lit.networks`.

Training schemes (which networks are computed together)
-------------------------------------------------------
An ensemble is trained as batched tensor operations over its networks. The arithmetic of one
network must not depend on which other networks share its batch, but the kernels do not promise
that: a batched matrix product (``torch.bmm``/``baddbmm``, a cuBLAS batched GEMM) chooses its
blocking, and on CUDA its algorithm, by the shape of the whole batch, including the batch count,
and on the CPU the last matrix of a batch can be computed on a different path (measured: the
weight gradient ``hᵀ·g`` of a 3-input first layer rounds differently in the last slot and for
``B = 1``). So a seed trained alone, or beside other seeds, ends with weights that differ in the
last bits, and the differences grow with the epochs.

``"independent-v2"`` (the default) makes a network's numbers a function of its own seed only.
Seed ``s`` is always trained in its *canonical block* ``q = s // BLOCK_SIZE``: the ensemble of
seeds ``q·BLOCK_SIZE … q·BLOCK_SIZE + BLOCK_SIZE − 1``, in that order, whichever of them were
asked for; the others are computed and dropped (full-batch training masks them from the start,
so they cost forward passes but never delay the stop). Each block is one computation of a fixed
shape, evaluated on its own (losses, accuracies), so seed ``s``'s weights and numbers are
bit-identical whether it is trained alone, with its block, or with any other seeds (on one device
and torch build). ``chunk_size`` is then irrelevant: one block is trained at a time.

``"batched-v1"`` is the scheme every store written before it existed was trained with: the seeds
asked for form one ensemble (or ``chunk_size`` chunks of it), in the order given, and the final
losses and accuracies are evaluated on the concatenated ensemble. A store's networks are
re-created bit for bit only with the scheme and the batches they were trained with.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
import torch.nn.functional as F

from ricci_lit._checks import is_int
from ricci_lit.networks.architectures import INITS, ArchSpec, check_seeds, hidden_widths
from ricci_lit.networks.mlp import MLPEnsemble

if TYPE_CHECKING:  # pragma: no cover
    from ricci_lit.networks.training import TrainConfig
    from ricci_lit.networks.until_accuracy import UntilAccuracyConfig

__all__ = [
    "BLOCK_SIZE",
    "DEFAULT_SCHEME",
    "LEGACY_SCHEME",
    "SCHEMES",
    "TrainResult",
    "TrainingGroup",
    "canonical_block",
    "check_chunk",
    "check_optimizer_settings",
    "check_scheme",
    "check_test",
    "check_xy",
    "evaluate",
    "gather_networks",
    "prepare",
    "sync",
    "torch_threads",
    "training_groups",
]

SCHEMES: tuple[str, ...] = ("independent-v2", "batched-v1")
"""The training schemes (module docstring), newest first."""
DEFAULT_SCHEME: str = "independent-v2"
"""The scheme new networks are trained with."""
LEGACY_SCHEME: str = "batched-v1"
"""The scheme of every store written before schemes were recorded."""
BLOCK_SIZE: int = 12
"""Seeds per canonical block of ``"independent-v2"`` (P1's 36 seeds are three blocks)."""

_SEED_END = 2**63


@contextmanager
def torch_threads(n: int | None) -> Iterator[None]:
    """Run with ``n`` intra-op torch threads, restoring the previous setting afterwards
    (``None`` leaves torch's setting alone).

    Training many small networks on the CPU is fastest single-threaded: the batched matrix
    products are too small to split, and two threads on two busy cores wait on each other
    (measured 5–12× slower in ``benchmarks/bench_training.py``).
    """
    if n is None:
        yield
        return
    old = torch.get_num_threads()
    torch.set_num_threads(int(n))
    try:
        yield
    finally:
        torch.set_num_threads(old)




def check_scheme(scheme: Any) -> str:
    """``scheme`` if it names a training scheme, else a ``ValueError`` listing them."""
    if not isinstance(scheme, str) or scheme not in SCHEMES:
        raise ValueError(f"unknown training scheme {scheme!r}; valid: {', '.join(SCHEMES)}")
    return scheme


def check_optimizer_settings(lr: float, eps: float, beta1: float, beta2: float) -> None:
    """Validate the learning rate, ε and two moment decays shared by both configurations."""
    if not (math.isfinite(float(lr)) and float(lr) > 0):
        raise ValueError(f"lr must be a positive finite number, got {lr!r}")
    if not (math.isfinite(float(eps)) and float(eps) >= 0):
        raise ValueError(f"eps must be a non-negative finite number, got {eps!r}")
    for name, v in (("beta1", beta1), ("beta2", beta2)):
        if not (0.0 <= float(v) < 1.0):
            raise ValueError(f"{name} must lie in [0, 1), got {v!r}")



@dataclass
class TrainResult:
    """What a training run returns (one entry per network, in seed order, in every array).

    Attributes
    ----------
    ensemble
        The trained networks (on the training device).
    config
        The :class:`~ricci_lit.networks.training.TrainConfig` or :class:`~ricci_lit.networks.until_accuracy.UntilAccuracyConfig` used.
    train_loss
        ``[B]`` mean BCE over the full training set with the *final* parameters.
    train_accuracy
        ``[B]`` training accuracy with the final parameters.
    test_accuracy
        ``[B]`` test accuracy, or ``None`` when no test data was given.
    history_loss
        :func:`~ricci_lit.networks.training.train_ensemble`: ``[epochs, B]``, the per-epoch mean of the minibatch losses weighted by
        batch size (what Keras reports as ``loss``). :func:`~ricci_lit.networks.until_accuracy.train_until_accuracy`: ``[steps_run, B]``,
        the full-batch loss before each step, ``NaN`` once a network has stopped.
    history_test_accuracy
        ``[n_evals, B]`` test accuracy after the epochs in ``history_eval_epochs`` (``eval_every``),
        or ``None``.
    history_eval_epochs
        1-based epoch numbers of the rows of ``history_test_accuracy``.
    steps
        :func:`~ricci_lit.networks.until_accuracy.train_until_accuracy` only: ``[B]`` number of updates each network took.
    reached
        :func:`~ricci_lit.networks.until_accuracy.train_until_accuracy` only: ``[B]`` whether the threshold was reached.
    wall_time_s
        Wall-clock seconds of the whole call (including evaluation).
    device
        The device trained on, e.g. ``"cpu"`` or ``"cuda:0"``.
    """

    ensemble: MLPEnsemble
    config: TrainConfig | UntilAccuracyConfig
    train_loss: np.ndarray
    train_accuracy: np.ndarray
    test_accuracy: np.ndarray | None
    history_loss: np.ndarray
    history_test_accuracy: np.ndarray | None = None
    history_eval_epochs: tuple[int, ...] = ()
    steps: np.ndarray | None = None
    reached: np.ndarray | None = None
    wall_time_s: float = 0.0
    device: str = "cpu"

    @property
    def seeds(self) -> tuple[int, ...]:
        return self.ensemble.seeds

    def to_frame(self):
        """One row per network: seed, architecture, losses, accuracies (and steps): a pandas DataFrame."""
        import pandas as pd

        arch = self.ensemble.arch if self.ensemble.arch is not None else str(list(self.ensemble.widths))
        data: dict[str, Any] = {
            "seed": list(self.ensemble.seeds),
            "arch": arch,
            "train_loss": self.train_loss,
            "train_accuracy": self.train_accuracy,
        }
        if self.test_accuracy is not None:
            data["test_accuracy"] = self.test_accuracy
        if self.steps is not None:
            data["steps"] = self.steps
            data["reached"] = self.reached
        return pd.DataFrame(data)



def _as_array(a: Any) -> np.ndarray:
    if isinstance(a, torch.Tensor):
        a = a.detach().cpu().numpy()
    return np.asarray(a)


def check_xy(x: Any, y: Any, what: str) -> tuple[np.ndarray, np.ndarray]:
    """Validate one (x, y) pair and return float32 copies: x ``[n, d]``, y ``[n]`` in {0, 1}."""
    xa, ya = _as_array(x), _as_array(y)
    if xa.ndim != 2:
        raise ValueError(f"x_{what} must be 2-D [n, d], got shape {xa.shape}")
    if ya.ndim == 2 and ya.shape[1] == 1:
        ya = ya[:, 0]
    if ya.ndim != 1:
        raise ValueError(f"y_{what} must be 1-D [n] (or [n, 1]), got shape {ya.shape}")
    if xa.shape[0] != ya.shape[0]:
        raise ValueError(f"x_{what} has {xa.shape[0]} rows but y_{what} has {ya.shape[0]} labels")
    if xa.shape[0] == 0:
        raise ValueError(f"x_{what} is empty")
    if not (np.issubdtype(xa.dtype, np.number) or xa.dtype == np.bool_):
        raise ValueError(f"x_{what} must be numeric, got dtype {xa.dtype}")
    xf = xa.astype(np.float32)
    if not np.isfinite(xf).all():
        raise ValueError(f"x_{what} contains non-finite values (NaN/inf, or beyond float32 range)")
    try:
        yf = ya.astype(np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"y_{what} must be numeric 0/1 labels, got dtype {ya.dtype}") from None
    if not np.isfinite(yf).all():
        raise ValueError(f"y_{what} contains non-finite values")
    bad = ~np.isin(yf, (0.0, 1.0))
    if bad.any():
        raise ValueError(f"y_{what} must contain only 0 and 1; found e.g. {np.unique(yf[bad])[:5]}")
    return np.ascontiguousarray(xf), yf.astype(np.float32)


def check_test(x_test: Any, y_test: Any, d: int) -> tuple[np.ndarray, np.ndarray] | None:
    if (x_test is None) != (y_test is None):
        raise ValueError("give both x_test and y_test, or neither")
    if x_test is None:
        return None
    xt, yt = check_xy(x_test, y_test, "test")
    if xt.shape[1] != d:
        raise ValueError(f"x_test has {xt.shape[1]} features but x_train has {d}")
    return xt, yt


def check_chunk(chunk_size: int | None) -> int | None:
    if chunk_size is None:
        return None
    if not is_int(chunk_size) or chunk_size < 1:
        raise ValueError(f"chunk_size must be a positive integer or None, got {chunk_size!r}")
    return int(chunk_size)



@torch.no_grad()
def evaluate(ens: MLPEnsemble, x: torch.Tensor, y: torch.Tensor,
              batch_size: int = 1024) -> tuple[np.ndarray, np.ndarray]:
    """Per-network mean BCE and accuracy on shared points (already on the ensemble's device)."""
    n = x.shape[0]
    loss = torch.zeros(ens.n_networks, dtype=torch.float64, device=x.device)
    correct = torch.zeros(ens.n_networks, dtype=torch.float64, device=x.device)
    for s in range(0, n, batch_size):
        z = ens(x[s:s + batch_size])
        yb = y[s:s + batch_size].expand_as(z)
        loss += F.binary_cross_entropy_with_logits(z, yb, reduction="none").sum(1, dtype=torch.float64)
        correct += ((z > 0).to(yb.dtype) == yb).sum(1, dtype=torch.float64)
    return (loss / n).cpu().numpy(), (correct / n).cpu().numpy()



def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def chunks(seeds: tuple[int, ...], chunk_size: int | None) -> list[tuple[int, ...]]:
    if chunk_size is None or chunk_size >= len(seeds):
        return [seeds]
    return [seeds[i:i + chunk_size] for i in range(0, len(seeds), chunk_size)]


def prepare(x_train: Any, y_train: Any, arch: ArchSpec, seeds: Sequence[int], x_test: Any,
             y_test: Any, init: str, chunk_size: int | None):
    x_np, y_np = check_xy(x_train, y_train, "train")
    test = check_test(x_test, y_test, x_np.shape[1])
    hidden_widths(arch)  # raises ValueError for an unknown architecture
    check_seeds(seeds)
    if init not in INITS:
        raise ValueError(f"unknown init {init!r}; valid: {INITS}")
    return x_np, y_np, test, check_chunk(chunk_size)



@dataclass(frozen=True)
class TrainingGroup:
    """Networks computed together: ``seeds`` in slot order, of which the slots ``keep`` were asked for
    (in the order they were asked for)."""

    seeds: tuple[int, ...]
    keep: tuple[int, ...]


def to_device(x: np.ndarray, y: np.ndarray, test: tuple[np.ndarray, np.ndarray] | None,
              device: torch.device) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None, torch.Tensor | None]:
    """The checked training arrays (and the test pair, when given) as tensors on ``device``:
    ``(x, y, x_test, y_test)``, the test tensors ``None`` without test data."""
    xt = yt = None
    if test is not None:
        xt, yt = (torch.from_numpy(a).to(device) for a in test)
    return torch.from_numpy(x).to(device), torch.from_numpy(y).to(device), xt, yt


def canonical_block(seed: int) -> tuple[int, ...]:
    """The seeds of the canonical block of ``seed`` (``"independent-v2"``), in slot order.

    Slot ``j`` of block ``q = seed // BLOCK_SIZE`` holds seed ``q·BLOCK_SIZE + j``; in the last
    block below ``2**63`` a slot whose seed would not be valid holds the seed of the same slot
    one block lower (never a seed of its own block).
    """
    q = int(seed) // BLOCK_SIZE
    out = []
    for j in range(BLOCK_SIZE):
        s = q * BLOCK_SIZE + j
        out.append(s if s < _SEED_END else s - BLOCK_SIZE)
    return tuple(out)


def training_groups(seeds: tuple[int, ...], scheme: str, chunk_size: int | None) -> list[TrainingGroup]:
    """How ``seeds`` are trained under ``scheme``: the groups, in the order they are computed.

    ``"batched-v1"``: the seeds as given, in chunks of ``chunk_size``. ``"independent-v2"``: the
    canonical blocks that hold an asked-for seed, in increasing block order.
    """
    if check_scheme(scheme) == LEGACY_SCHEME:
        return [TrainingGroup(g, tuple(range(len(g)))) for g in chunks(seeds, chunk_size)]
    asked: dict[int, list[int]] = {}
    for s in seeds:
        asked.setdefault(int(s) // BLOCK_SIZE, []).append(int(s))
    groups = []
    for q in sorted(asked):
        block = canonical_block(q * BLOCK_SIZE)
        groups.append(TrainingGroup(block, tuple(block.index(s) for s in asked[q])))
    return groups


def gather_networks(seeds: Sequence[int], groups: Sequence[TrainingGroup], ensembles: Sequence[MLPEnsemble],
                    arrays: Sequence[Sequence[np.ndarray]]) -> tuple[MLPEnsemble, list[np.ndarray]]:
    """The asked-for networks of trained groups, in the order of ``seeds``.

    Parameters
    ----------
    seeds
        The seeds asked for, in the caller's order.
    groups, ensembles
        The groups and their trained ensembles (one per group, in slot order).
    arrays
        Per group, a list of arrays whose *last* axis runs over the group's slots (``[B]`` or
        ``[rows, B]``). Arrays of one position with fewer rows than others are padded with NaN
        at the end (full-batch histories of groups that stopped earlier).

    Returns
    -------
    ensemble : MLPEnsemble
        The ensemble of ``seeds``.
    arrays : list of numpy.ndarray
        Each array with its last axis over ``seeds``.
    """
    where: dict[int, tuple[int, int]] = {}
    for gi, g in enumerate(groups):
        for slot in g.keep:
            where[g.seeds[slot]] = (gi, slot)
    order = [where[int(s)] for s in seeds]
    ens = MLPEnsemble.concatenate([ensembles[gi].subset([slot]) for gi, slot in order])
    out = []
    for k in range(len(arrays[0]) if arrays else 0):
        parts = [arrays[gi][k] for gi in range(len(groups))]
        if parts[0].ndim == 1:
            out.append(np.array([parts[gi][slot] for gi, slot in order]))
            continue
        rows = max(p.shape[0] for p in parts)
        col = np.full((rows, len(order)), np.nan, dtype=np.result_type(parts[0].dtype, np.float64))
        for c, (gi, slot) in enumerate(order):
            col[: parts[gi].shape[0], c] = parts[gi][:, slot]
        out.append(col)
    return ens, out
