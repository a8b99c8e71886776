"""Training ensembles of classifiers as one batched computation.

Paper 1 (P1 §2.1, §3.1; paper-notes §3) trains every network with Keras 2.9 defaults: binary
cross-entropy on a sigmoid output, RMSprop with learning rate 1e-3, 50 epochs, minibatches of 32.
Paper 2 (paper-details §5.6) trains full-batch Adam (lr 1e-3, BCE with logits) until the training
accuracy reaches 99 % or 20,000 steps have been taken.

Both are implemented here for an :class:`~ricci_lit.networks.mlp.MLPEnsemble` of ``B`` networks at once: the
parameters of all networks are stacked, each network sees its own minibatch, and the loss that is
differentiated is the **sum** over networks of each network's mean loss,

.. math:: \\mathcal L = \\sum_{b=1}^{B} \\frac{1}{m} \\sum_{i \\in \\text{batch}_b}
          \\ell\\big(z^{(b)}_i, y_i\\big), \\qquad
          \\ell(z, y) = \\max(z, 0) - z y + \\log(1 + e^{-|z|}),

so that :math:`\\partial\\mathcal L/\\partial\\theta^{(b)}` is exactly network ``b``'s own gradient (a mean
over networks would scale every gradient by ``1/B``, which RMSprop/Adam undo only approximately
because of ``eps``). The optimisers below are elementwise, hence per network. Training network ``b`` in
an ensemble is therefore the same computation as training it alone; the tests check this to float
tolerance.

The loss is computed from logits (``binary_cross_entropy_with_logits``), which is also what Keras 2.9
does for a ``Dense(1, activation="sigmoid")`` output with ``binary_crossentropy`` (it recovers the
logits of a sigmoid output). Pixel scaling is the dataset module's job: P1's code fed raw 0–255
pixels, P2 scales to [0, 1]; this module trains on whatever it is given.

Keras 2.9 RMSprop ↔ this module
-------------------------------
Keras 2.9 (``optimizer_v2.rmsprop``, ``momentum=0``, ``centered=False``) with defaults
``rho=0.9``, ``epsilon=1e-7``, accumulator initialised to zero, updates every parameter ``θ`` with
gradient ``g`` as

.. math:: v \\leftarrow \\rho v + (1-\\rho) g^2, \\qquad
          \\theta \\leftarrow \\theta - \\eta\\, g / (\\sqrt{v} + \\epsilon).

``torch.optim.RMSprop(lr=η, alpha=ρ, eps=ε, momentum=0, centered=False)`` computes the same formula
(``eps`` outside the square root). Note that torch's defaults differ (``alpha=0.99``, ``eps=1e-8``), so
they must be set explicitly, and that Keras ≥ 2.11/3 and the raw TF op put ``ε`` *inside* the root.
We implement the update ourselves on the stacked tensors, with the same operation sequence as torch's
single-tensor RMSprop (tested against ``torch.optim.RMSprop``).

Adam (paper 2, PyTorch defaults ``β1=0.9, β2=0.999, ε=1e-8``):

.. math:: m \\leftarrow \\beta_1 m + (1-\\beta_1) g,\\quad v \\leftarrow \\beta_2 v + (1-\\beta_2) g^2,\\quad
          \\theta \\leftarrow \\theta - \\frac{\\eta}{1-\\beta_1^t}\\,
          \\frac{m}{\\sqrt{v}/\\sqrt{1-\\beta_2^t} + \\epsilon},

with a per-network step count ``t`` so that networks can be frozen independently.

Per-network shuffling (the documented scheme)
---------------------------------------------
In epoch ``e`` (0-based) network ``b`` visits the training points in the order
``np.random.default_rng(np.random.SeedSequence(seeds[b], spawn_key=(SHUFFLE_STREAM, e))).permutation(n)``
(``SHUFFLE_STREAM = 1``; the initialisation uses a separate ``torch.Generator`` seeded with ``seeds[b]``,
see :mod:`ricci_lit.networks.mlp`). Minibatches are consecutive slices of 32 of that order; the last, partial
batch is kept (as Keras does), and because every network has the same ``n`` the batch boundaries
align across the ensemble. With ``shuffle=False`` every epoch uses the identity order.

Performance notes
-----------------
Batching pays most where one network's step is dominated by per-operation overhead (small inputs,
narrow layers): see ``benchmarks/bench_training.py``. On a CPU shared with other jobs, the many
small matrix products run far faster single-threaded (``torch.set_num_threads(1)`` or
``OMP_NUM_THREADS=1``) than with OpenMP threads that wait for each other; this module does not
change the thread count. Full-batch training keeps ``B × n × Σ widths`` activations for the
backward pass; use ``chunk_size`` to bound it.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np

from ricci_lit._checks import is_int
import torch
import torch.nn.functional as F
from tqdm import tqdm

from ricci_lit.networks.mlp import INITS, ArchSpec, MLPEnsemble, _check_seeds, hidden_widths, resolve_device

__all__ = [
    "OPTIMIZERS",
    "SHUFFLE_STREAM",
    "TrainConfig",
    "TrainResult",
    "UntilAccuracyConfig",
    "epoch_permutation",
    "train_ensemble",
    "train_until_accuracy",
]

OPTIMIZERS: tuple[str, ...] = ("rmsprop", "adam")
SHUFFLE_STREAM: int = 1
"""``spawn_key`` prefix of the shuffling streams (module docstring)."""


# ---------------------------------------------------------------------------------------------------
# Configuration
# ---------------------------------------------------------------------------------------------------


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




@dataclass(frozen=True)
class TrainConfig:
    """Minibatch training settings; the defaults are P1's (paper-notes §3, Keras 2.9 defaults).

    Attributes
    ----------
    epochs
        Passes over the training set (P1 code: 50).
    batch_size
        Minibatch size (P1 code: 32). The last partial batch is used, as in Keras.
    lr
        Learning rate η (1e-3).
    optimizer
        ``"rmsprop"`` (P1) or ``"adam"`` (minibatch Adam; for P2's full-batch protocol use
        :func:`train_until_accuracy`).
    rho
        RMSprop decay ρ (Keras default 0.9; torch's ``alpha``).
    eps
        ε added to the root of the second moment (Keras default 1e-7 for both optimisers).
    beta1, beta2
        Adam moment decays.
    shuffle
        Reshuffle the training set every epoch, per network (module docstring). P1's decision:
        shuffle and train on the full training set (paper-notes §3).
    """

    epochs: int = 50
    batch_size: int = 32
    lr: float = 1e-3
    optimizer: str = "rmsprop"
    rho: float = 0.9
    eps: float = 1e-7
    beta1: float = 0.9
    beta2: float = 0.999
    shuffle: bool = True

    def __post_init__(self) -> None:
        if not is_int(self.epochs) or self.epochs < 0:
            raise ValueError(f"epochs must be a non-negative integer, got {self.epochs!r}")
        if not is_int(self.batch_size) or self.batch_size < 1:
            raise ValueError(f"batch_size must be a positive integer, got {self.batch_size!r}")
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"unknown optimizer {self.optimizer!r}; valid: {OPTIMIZERS}")
        _check_common(self.lr, self.eps, self.beta1, self.beta2)
        if not (0.0 <= float(self.rho) < 1.0):
            raise ValueError(f"rho must lie in [0, 1), got {self.rho!r}")


@dataclass(frozen=True)
class UntilAccuracyConfig:
    """Full-batch Adam until the training accuracy reaches ``threshold`` (P2 code, paper-details §5.6).

    Attributes
    ----------
    threshold
        Training accuracy at which a network stops (P2: 0.99; 1.0 in its community experiments).
        Checked before every step, on the current parameters.
    max_steps
        Maximum number of full-batch updates per network (P2: 20,000).
    lr, beta1, beta2, eps
        Adam settings (PyTorch defaults as in P2: 1e-3, 0.9, 0.999, 1e-8).
    """

    threshold: float = 0.99
    max_steps: int = 20_000
    lr: float = 1e-3
    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 1e-8

    def __post_init__(self) -> None:
        if not (0.0 < float(self.threshold) <= 1.0):
            raise ValueError(f"threshold must lie in (0, 1], got {self.threshold!r}")
        if not is_int(self.max_steps) or self.max_steps < 0:
            raise ValueError(f"max_steps must be a non-negative integer, got {self.max_steps!r}")
        _check_common(self.lr, self.eps, self.beta1, self.beta2)


def _check_common(lr: float, eps: float, beta1: float, beta2: float) -> None:
    if not (math.isfinite(float(lr)) and float(lr) > 0):
        raise ValueError(f"lr must be a positive finite number, got {lr!r}")
    if not (math.isfinite(float(eps)) and float(eps) >= 0):
        raise ValueError(f"eps must be a non-negative finite number, got {eps!r}")
    for name, v in (("beta1", beta1), ("beta2", beta2)):
        if not (0.0 <= float(v) < 1.0):
            raise ValueError(f"{name} must lie in [0, 1), got {v!r}")


# ---------------------------------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------------------------------


@dataclass
class TrainResult:
    """What a training run returns (one entry per network, in seed order, in every array).

    Attributes
    ----------
    ensemble
        The trained networks (on the training device).
    config
        The :class:`TrainConfig` or :class:`UntilAccuracyConfig` used.
    train_loss
        ``[B]`` mean BCE over the full training set with the *final* parameters.
    train_accuracy
        ``[B]`` training accuracy with the final parameters.
    test_accuracy
        ``[B]`` test accuracy, or ``None`` when no test data was given.
    history_loss
        :func:`train_ensemble`: ``[epochs, B]``, the per-epoch mean of the minibatch losses weighted by
        batch size (what Keras reports as ``loss``). :func:`train_until_accuracy`: ``[steps_run, B]``,
        the full-batch loss before each step, ``NaN`` once a network has stopped.
    history_test_accuracy
        ``[n_evals, B]`` test accuracy after the epochs in ``history_eval_epochs`` (``eval_every``),
        or ``None``.
    history_eval_epochs
        1-based epoch numbers of the rows of ``history_test_accuracy``.
    steps
        :func:`train_until_accuracy` only: ``[B]`` number of updates each network took.
    reached
        :func:`train_until_accuracy` only: ``[B]`` whether the threshold was reached.
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


# ---------------------------------------------------------------------------------------------------
# Input validation
# ---------------------------------------------------------------------------------------------------


def _as_array(a: Any) -> np.ndarray:
    if isinstance(a, torch.Tensor):
        a = a.detach().cpu().numpy()
    return np.asarray(a)


def _check_xy(x: Any, y: Any, what: str) -> tuple[np.ndarray, np.ndarray]:
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


def _check_test(x_test: Any, y_test: Any, d: int) -> tuple[np.ndarray, np.ndarray] | None:
    if (x_test is None) != (y_test is None):
        raise ValueError("give both x_test and y_test, or neither")
    if x_test is None:
        return None
    xt, yt = _check_xy(x_test, y_test, "test")
    if xt.shape[1] != d:
        raise ValueError(f"x_test has {xt.shape[1]} features but x_train has {d}")
    return xt, yt


def _check_chunk(chunk_size: int | None) -> int | None:
    if chunk_size is None:
        return None
    if not is_int(chunk_size) or chunk_size < 1:
        raise ValueError(f"chunk_size must be a positive integer or None, got {chunk_size!r}")
    return int(chunk_size)


# ---------------------------------------------------------------------------------------------------
# Batched optimisers (elementwise, therefore per network)
# ---------------------------------------------------------------------------------------------------


_QUARTER_ULP = 2.0 ** -25
"""Below a quarter ulp of ``x`` (relative), ``x + δ`` rounds back to ``x`` in float32."""


class _BatchedRMSprop:
    """Keras-2.9/torch RMSprop on stacked tensors: ``v ← ρv + (1−ρ)g²``, ``θ ← θ − η g/(√v + ε)``.

    Subnormal guard: an accumulator entry ``v ≤ v_tiny = (ε·2⁻²⁵)²`` (≈ 9e-30 for ε = 1e-7) is set to
    zero. Such a ``v`` does not change the current update, because ``√v ≤ ε·2⁻²⁵`` is below half an
    ulp of ε, so ``√v + ε`` rounds to ε; later denominators can differ by at most one float32 ulp
    (in practice not at all). Without the guard, the accumulators of dead ReLU units (gradient
    exactly 0) decay geometrically through the float32 subnormal range (< 1.2e-38), where CPU
    arithmetic is ~30× slower; we measured epochs running 3× slower. (TensorFlow sidesteps the
    same trap by flushing subnormals to zero on its CPU threads.) With ``ε = 0`` nothing is flushed.
    """

    def __init__(self, params: Sequence[torch.Tensor], lr: float, rho: float, eps: float) -> None:
        self.params = list(params)
        self.lr, self.rho, self.eps = float(lr), float(rho), float(eps)
        self.v_tiny = (self.eps * _QUARTER_ULP) ** 2
        self.square_avg = [torch.zeros_like(p) for p in self.params]
        self._denom = [torch.empty_like(p) for p in self.params]  # reused: no per-step allocation

    @torch.no_grad()
    def step(self, grads: Sequence[torch.Tensor]) -> None:
        # Same operation sequence as torch.optim.RMSprop's single-tensor path, plus the guard.
        for p, g, v, d in zip(self.params, grads, self.square_avg, self._denom):
            v.mul_(self.rho).addcmul_(g, g, value=1.0 - self.rho)
            if self.v_tiny > 0:
                F.threshold(v, self.v_tiny, 0.0, inplace=True)   # v ≤ v_tiny → 0
            torch.sqrt(v, out=d).add_(self.eps)
            p.addcdiv_(g, d, value=-self.lr)


class _BatchedAdam:
    """Adam on stacked tensors with a per-network step count and an optional per-network mask.

    A network whose mask entry is False keeps its parameters, moments and step count unchanged.

    Subnormal guard (as for RMSprop): ``v ≤ (ε·2⁻²⁵·√(1−β₂))²`` is set to zero (it does not change
    ``√v̂ + ε``, since the bias correction multiplies √v by at most 1/√(1−β₂)), and ``|m| < 1e-30`` is
    set to zero (it would move a parameter by less than ``η/(1−β₁)·1e-30/ε`` = 1e-24 for the
    defaults).
    """

    def __init__(self, params: Sequence[torch.Tensor], lr: float, beta1: float, beta2: float,
                 eps: float) -> None:
        self.params = list(params)
        self.lr, self.beta1, self.beta2, self.eps = float(lr), float(beta1), float(beta2), float(eps)
        self.v_tiny = (self.eps * _QUARTER_ULP * math.sqrt(1.0 - self.beta2)) ** 2
        self.m_tiny = 1e-30 if self.eps > 0 else 0.0
        self.exp_avg = [torch.zeros_like(p) for p in self.params]
        self.exp_avg_sq = [torch.zeros_like(p) for p in self.params]
        self.n_networks = self.params[0].shape[0]
        self.t = np.zeros(self.n_networks, dtype=np.int64)

    @torch.no_grad()
    def step(self, grads: Sequence[torch.Tensor], mask: torch.Tensor | None = None) -> None:
        if mask is None:
            self.t += 1
        else:
            self.t += mask.detach().cpu().numpy().astype(np.int64)
        t = np.maximum(self.t, 1).astype(np.float64)
        step_size = self.lr / (1.0 - self.beta1 ** t)            # per network, computed in float64
        bc2_sqrt = np.sqrt(1.0 - self.beta2 ** t)
        dev = self.params[0].device
        step_t = torch.as_tensor(step_size, dtype=torch.float32, device=dev)
        bc2_t = torch.as_tensor(bc2_sqrt, dtype=torch.float32, device=dev)
        for p, g, m, v in zip(self.params, grads, self.exp_avg, self.exp_avg_sq):
            shape = (-1,) + (1,) * (p.dim() - 1)
            m_new = m.lerp(g, 1.0 - self.beta1)
            v_new = (v * self.beta2).addcmul_(g, g, value=1.0 - self.beta2)
            if self.v_tiny > 0:
                F.threshold(v_new, self.v_tiny, 0.0, inplace=True)
            if self.m_tiny > 0:
                m_new.masked_fill_(m_new.abs() < self.m_tiny, 0.0)
            denom = (v_new.sqrt() / bc2_t.view(shape)).add_(self.eps)
            p_new = p - step_t.view(shape) * (m_new / denom)
            if mask is None:
                m.copy_(m_new)
                v.copy_(v_new)
                p.copy_(p_new)
            else:
                mk = mask.view(shape)
                m.copy_(torch.where(mk, m_new, m))
                v.copy_(torch.where(mk, v_new, v))
                p.copy_(torch.where(mk, p_new, p))


# ---------------------------------------------------------------------------------------------------
# Evaluation helpers (all networks, shared points)
# ---------------------------------------------------------------------------------------------------


@torch.no_grad()
def _evaluate(ens: MLPEnsemble, x: torch.Tensor, y: torch.Tensor,
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


def epoch_permutation(seed: int, epoch: int, n: int) -> np.ndarray:
    """Order in which the network with ``seed`` visits ``n`` training points in ``epoch`` (0-based).

    ``np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(SHUFFLE_STREAM, epoch)))
    .permutation(n)`` — see the module docstring.
    """
    ss = np.random.SeedSequence(int(seed), spawn_key=(SHUFFLE_STREAM, int(epoch)))
    return np.random.default_rng(ss).permutation(n)


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _chunks(seeds: tuple[int, ...], chunk_size: int | None) -> list[tuple[int, ...]]:
    if chunk_size is None or chunk_size >= len(seeds):
        return [seeds]
    return [seeds[i:i + chunk_size] for i in range(0, len(seeds), chunk_size)]


def _prepare(x_train: Any, y_train: Any, arch: ArchSpec, seeds: Sequence[int], x_test: Any,
             y_test: Any, init: str, chunk_size: int | None):
    x_np, y_np = _check_xy(x_train, y_train, "train")
    test = _check_test(x_test, y_test, x_np.shape[1])
    hidden_widths(arch)  # raises ValueError for an unknown architecture
    _check_seeds(seeds)
    if init not in INITS:
        raise ValueError(f"unknown init {init!r}; valid: {INITS}")
    return x_np, y_np, test, _check_chunk(chunk_size)


# ---------------------------------------------------------------------------------------------------
# Minibatch training (P1)
# ---------------------------------------------------------------------------------------------------


def train_ensemble(
    x_train: np.ndarray | torch.Tensor,
    y_train: np.ndarray | torch.Tensor,
    arch: ArchSpec,
    seeds: Sequence[int],
    config: TrainConfig = TrainConfig(),
    *,
    device: str | torch.device | None = "auto",
    progress: bool = True,
    x_test: np.ndarray | torch.Tensor | None = None,
    y_test: np.ndarray | torch.Tensor | None = None,
    eval_every: int | None = None,
    chunk_size: int | None = None,
    init: str = "glorot",
    callback: Callable[[int, MLPEnsemble], None] | None = None,
) -> TrainResult:
    """Train one network per seed, all at once, with minibatch RMSprop (P1 §3.1, paper-notes §3).

    Parameters
    ----------
    x_train, y_train
        ``[n, d]`` inputs (scaled as the dataset module decided) and ``[n]`` labels in {0, 1}.
    arch
        Architecture name (:data:`~ricci_lit.networks.mlp.ARCHITECTURES`) or hidden widths.
    seeds
        Distinct non-negative integers, one per network. Network ``b`` is initialised from
        ``seeds[b]`` (:mod:`ricci_lit.networks.mlp`) and shuffled by :func:`epoch_permutation`.
    config
        :class:`TrainConfig`; defaults are P1's (50 epochs, batch 32, RMSprop 1e-3).
    device
        ``"auto"`` = CUDA if available, else CPU.
    progress
        Show a tqdm bar over epochs (mean loss over networks in the postfix).
    x_test, y_test
        Optional test set; gives :attr:`TrainResult.test_accuracy`.
    eval_every
        If set (needs test data), record the test accuracy every ``eval_every`` epochs (and after
        the last epoch) in :attr:`TrainResult.history_test_accuracy`.
    chunk_size
        Train at most this many networks at a time (memory bound); results are identical.
    init
        ``"glorot"`` (Keras, P1) or ``"torch"`` (P2 code).
    callback
        Called as ``callback(epoch, ensemble)`` after every epoch (1-based); with chunking it sees
        each chunk's ensemble.

    Returns
    -------
    TrainResult

    Raises
    ------
    ValueError
        Mismatched lengths, non-finite inputs, labels outside {0, 1}, unknown architecture,
        optimizer or init, bad seeds, ``eval_every`` without test data.
    """
    if not isinstance(config, TrainConfig):
        raise ValueError(f"config must be a TrainConfig, got {type(config).__name__}")
    x_np, y_np, test, chunk = _prepare(x_train, y_train, arch, seeds, x_test, y_test, init, chunk_size)
    if eval_every is not None:
        if not is_int(eval_every) or eval_every < 1:
            raise ValueError(f"eval_every must be a positive integer or None, got {eval_every!r}")
        if test is None:
            raise ValueError("eval_every needs x_test and y_test")
    dev = resolve_device(device)
    seeds_t = tuple(int(s) for s in seeds)

    t0 = time.perf_counter()
    x = torch.from_numpy(x_np).to(dev)
    y = torch.from_numpy(y_np).to(dev)
    xt = yt = None
    if test is not None:
        xt, yt = (torch.from_numpy(a).to(dev) for a in test)

    parts = []
    groups = _chunks(seeds_t, chunk)
    for ci, group in enumerate(groups):
        desc = f"train {arch if isinstance(arch, str) else list(hidden_widths(arch))} ×{len(group)}"
        if len(groups) > 1:
            desc += f" [{ci + 1}/{len(groups)}]"
        parts.append(_train_minibatch(x, y, xt, yt, arch, group, config, dev, init, progress,
                                      eval_every, desc, callback))
    ens = parts[0][0] if len(parts) == 1 else MLPEnsemble.concatenate([p[0] for p in parts])
    hist = np.concatenate([p[1] for p in parts], axis=1)
    hist_acc = None if eval_every is None else np.concatenate([p[2] for p in parts], axis=1)
    eval_epochs = parts[0][3]
    train_loss, train_acc = _evaluate(ens, x, y)
    test_acc = None if xt is None else _evaluate(ens, xt, yt)[1]
    _sync(dev)
    wall = time.perf_counter() - t0
    return TrainResult(ensemble=ens, config=config, train_loss=train_loss, train_accuracy=train_acc,
                       test_accuracy=test_acc, history_loss=hist, history_test_accuracy=hist_acc,
                       history_eval_epochs=eval_epochs, wall_time_s=wall, device=str(dev))


def _train_minibatch(x: torch.Tensor, y: torch.Tensor, xt: torch.Tensor | None, yt: torch.Tensor | None,
                     arch: ArchSpec, seeds: tuple[int, ...], config: TrainConfig, dev: torch.device,
                     init: str, progress: bool, eval_every: int | None, desc: str,
                     callback: Callable[[int, MLPEnsemble], None] | None):
    ens = MLPEnsemble(arch, x.shape[1], seeds, init=init, device=dev)
    params = list(ens.parameters())
    if config.optimizer == "rmsprop":
        opt: Any = _BatchedRMSprop(params, config.lr, config.rho, config.eps)
    else:
        opt = _BatchedAdam(params, config.lr, config.beta1, config.beta2, config.eps)
    n, B, bs = x.shape[0], len(seeds), config.batch_size
    hist = np.zeros((config.epochs, B), dtype=np.float64)
    hist_acc: list[np.ndarray] = []
    eval_epochs: list[int] = []
    identity = torch.arange(n, device=dev).unsqueeze(0).expand(B, n)
    bar = tqdm(range(config.epochs), desc=desc, disable=not progress, leave=False)
    for epoch in bar:
        if config.shuffle:
            perm = torch.from_numpy(np.stack([epoch_permutation(s, epoch, n) for s in seeds])).to(dev)
        else:
            perm = identity
        total = torch.zeros(B, dtype=torch.float64, device=dev)
        for s in range(0, n, bs):
            idx = perm[:, s:s + bs].reshape(-1)           # each network its own minibatch
            m = idx.shape[0] // B
            xb = x.index_select(0, idx).view(B, m, -1)    # row gather (much faster than x[idx2d])
            yb = y.index_select(0, idx).view(B, m)
            z = ens(xb)                                   # [B, m] logits
            per_net = F.binary_cross_entropy_with_logits(z, yb, reduction="none").mean(dim=1)
            grads = torch.autograd.grad(per_net.sum(), params)   # sum: per-network gradients
            opt.step(grads)
            total += per_net.detach().to(torch.float64) * m
        hist[epoch] = (total / n).cpu().numpy()
        if progress:
            bar.set_postfix(loss=f"{hist[epoch].mean():.4f}")
        if eval_every is not None and ((epoch + 1) % eval_every == 0 or epoch + 1 == config.epochs):
            hist_acc.append(_evaluate(ens, xt, yt)[1])
            eval_epochs.append(epoch + 1)
        if callback is not None:
            callback(epoch + 1, ens)
    bar.close()
    acc_arr = np.stack(hist_acc) if hist_acc else np.zeros((0, B))
    return ens, hist, acc_arr, tuple(eval_epochs)


# ---------------------------------------------------------------------------------------------------
# Full-batch Adam until a training-accuracy threshold (P2)
# ---------------------------------------------------------------------------------------------------


def train_until_accuracy(
    x_train: np.ndarray | torch.Tensor,
    y_train: np.ndarray | torch.Tensor,
    arch: ArchSpec,
    seeds: Sequence[int],
    config: UntilAccuracyConfig = UntilAccuracyConfig(),
    *,
    device: str | torch.device | None = "auto",
    progress: bool = True,
    x_test: np.ndarray | torch.Tensor | None = None,
    y_test: np.ndarray | torch.Tensor | None = None,
    chunk_size: int | None = None,
    init: str = "glorot",
) -> TrainResult:
    """Full-batch Adam per network until its training accuracy ≥ threshold (P2 protocol).

    Before every step all active networks are evaluated on the whole training set (from the same
    forward pass that gives the gradient); a network whose accuracy is ≥ ``config.threshold`` stops
    for good — its parameters and Adam state are frozen by masking — and its step count is recorded.
    Networks still active after ``config.max_steps`` updates stop with ``reached = False`` (the final
    parameters are checked once more). Each network's trajectory is the one it would follow alone.

    Parameters
    ----------
    x_train, y_train, arch, seeds, device, progress, x_test, y_test, chunk_size, init
        As in :func:`train_ensemble`. P2 feeds pixels in [0, 1] and used PyTorch's default
        initialisation (``init="torch"``); the default here is Keras/Glorot to match P1's networks.
    config
        :class:`UntilAccuracyConfig` (threshold 0.99, at most 20,000 steps, Adam 1e-3).

    Returns
    -------
    TrainResult
        With ``steps`` (updates taken) and ``reached`` filled in; ``history_loss`` is
        ``[steps_run, B]`` with ``NaN`` after a network stopped.
    """
    if not isinstance(config, UntilAccuracyConfig):
        raise ValueError(f"config must be an UntilAccuracyConfig, got {type(config).__name__}")
    x_np, y_np, test, chunk = _prepare(x_train, y_train, arch, seeds, x_test, y_test, init, chunk_size)
    dev = resolve_device(device)
    seeds_t = tuple(int(s) for s in seeds)
    t0 = time.perf_counter()
    x = torch.from_numpy(x_np).to(dev)
    y = torch.from_numpy(y_np).to(dev)

    parts = []
    groups = _chunks(seeds_t, chunk)
    for ci, group in enumerate(groups):
        desc = "adam-until-acc" + (f" [{ci + 1}/{len(groups)}]" if len(groups) > 1 else "")
        parts.append(_train_full_batch(x, y, arch, group, config, dev, init, progress, desc))
    ens = parts[0][0] if len(parts) == 1 else MLPEnsemble.concatenate([p[0] for p in parts])
    steps = np.concatenate([p[1] for p in parts])
    reached = np.concatenate([p[2] for p in parts])
    rows = max(p[3].shape[0] for p in parts)
    hist = np.full((rows, len(seeds_t)), np.nan)
    col = 0
    for p in parts:
        hist[:p[3].shape[0], col:col + p[3].shape[1]] = p[3]
        col += p[3].shape[1]
    train_loss, train_acc = _evaluate(ens, x, y)
    test_acc = None
    if test is not None:
        xt, yt = (torch.from_numpy(a).to(dev) for a in test)
        test_acc = _evaluate(ens, xt, yt)[1]
    _sync(dev)
    return TrainResult(ensemble=ens, config=config, train_loss=train_loss, train_accuracy=train_acc,
                       test_accuracy=test_acc, history_loss=hist, steps=steps, reached=reached,
                       wall_time_s=time.perf_counter() - t0, device=str(dev))


def _train_full_batch(x: torch.Tensor, y: torch.Tensor, arch: ArchSpec, seeds: tuple[int, ...],
                      config: UntilAccuracyConfig, dev: torch.device, init: str, progress: bool,
                      desc: str):
    ens = MLPEnsemble(arch, x.shape[1], seeds, init=init, device=dev)
    params = list(ens.parameters())
    opt = _BatchedAdam(params, config.lr, config.beta1, config.beta2, config.eps)
    B = len(seeds)
    active = torch.ones(B, dtype=torch.bool, device=dev)
    steps = np.zeros(B, dtype=np.int64)
    reached = np.zeros(B, dtype=bool)
    losses: list[np.ndarray] = []
    threshold = float(config.threshold)
    bar = tqdm(total=config.max_steps, desc=desc, disable=not progress, leave=False)
    for step in range(config.max_steps + 1):
        z = ens(x)                                                   # [B, n], full batch
        with torch.no_grad():
            acc = ((z > 0).to(y.dtype) == y).to(torch.float64).mean(dim=1)
            done_now = active & (acc >= threshold)
        per_net = F.binary_cross_entropy_with_logits(z, y.expand_as(z), reduction="none").mean(dim=1)
        if bool(done_now.any()):
            idx = done_now.nonzero().flatten().cpu().numpy()
            steps[idx] = step
            reached[idx] = True
            active = active & ~done_now
        if step == config.max_steps or not bool(active.any()):
            break
        row = per_net.detach().to(torch.float64).cpu().numpy().copy()
        row[~active.cpu().numpy()] = np.nan
        losses.append(row)
        grads = torch.autograd.grad(per_net.sum(), params)
        opt.step(grads, mask=active)
        bar.update(1)
        if progress and step % 100 == 0:
            bar.set_postfix(active=int(active.sum()), loss=f"{np.nanmean(row):.4f}")
    bar.close()
    not_reached = ~reached
    steps[not_reached] = config.max_steps
    hist = np.stack(losses) if losses else np.zeros((0, B))
    return ens, steps, reached, hist
