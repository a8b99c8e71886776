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
an ensemble is therefore mathematically the same computation as training it alone; bit for bit it is
the same only under the ``"independent-v2"`` scheme (below).

The loss is computed from logits (``binary_cross_entropy_with_logits``), which is also what Keras 2.9
does for a ``Dense(1, activation="sigmoid")`` output with ``binary_crossentropy`` (it recovers the
logits of a sigmoid output). Pixel scaling is the dataset module's job: P1's code fed raw 0–255
pixels, P2 scales to [0, 1]; this module trains on whatever it is given.

The optimisers (Keras 2.9 RMSprop, Adam) are in :mod:`ricci_lit.networks.optimizers`; full-batch
training until an accuracy threshold (paper 2) in :mod:`ricci_lit.networks.until_accuracy`.

Per-network shuffling (the documented scheme)
---------------------------------------------
In epoch ``e`` (0-based) network ``b`` visits the training points in the order
``np.random.default_rng(np.random.SeedSequence(seeds[b], spawn_key=(SHUFFLE_STREAM, e))).permutation(n)``
(``SHUFFLE_STREAM = 1``; the initialisation uses a separate ``torch.Generator`` seeded with ``seeds[b]``,
see :mod:`ricci_lit.networks.mlp`). Minibatches are consecutive slices of 32 of that order; the last, partial
batch is kept (as Keras does), and because every network has the same ``n`` the batch boundaries
align across the ensemble. With ``shuffle=False`` every epoch uses the identity order.

Training schemes
----------------
``TrainConfig(scheme=...)`` says which networks are computed together (see
:mod:`ricci_lit.networks._common`): ``"independent-v2"`` (default) trains every seed in its
canonical block of :data:`~ricci_lit.networks._common.BLOCK_SIZE` seeds, so a network's weights do not depend on which other
seeds were asked for; ``"batched-v1"`` trains the seeds asked for as one batch, as every store
written before schemes existed was trained.

The authors' Keras 2.9 code and this module
-------------------------------------------
With ``TrainConfig()`` and the authors' training set (:mod:`ricci_lit.data.training_sets`,
``"authors"``: Keras' ``validation_split = 0.2`` taken from the end of the class-sorted array), a
network is trained as the authors' ``model.fit(x, y, epochs=50, batch_size=32,
validation_split=0.2)`` trained it (paper-details §3, §6.1 item 4), in these respects:
Glorot-uniform kernels (limit ``√(6/(fan_in + fan_out))``) and zero biases; RMSprop with
``ρ = 0.9``, ``ε = 1e-7`` added *outside* the square root (Keras 2.9's ``optimizer_v2``; Keras
≥ 2.11 puts it inside, see :mod:`ricci_lit.networks.optimizers`), accumulators starting at zero,
learning rate 1e-3; binary cross-entropy on the logits that Keras recovers from a sigmoid
``Dense(1)`` output, averaged over the batch; the fitted rows shuffled every epoch, batches of 32
with the last partial batch kept; float32 throughout. The differences that remain:

1. **Random streams.** Keras draws the initial weights and the epoch orders from TensorFlow's and
   NumPy's global generators, unseeded in the authors' code; here they come from per-seed streams
   (:mod:`ricci_lit.networks.mlp`, :func:`epoch_permutation`). The distributions are the same, the
   draws are not, so no individual network of the paper can be re-created.
2. **The validation set.** Keras evaluates it at the end of every epoch; nothing in the authors'
   code reads the result (no callback, no early stopping), so it cannot change the weights and is
   not computed here.
3. **Floating point.** TensorFlow's CPU kernels (oneDNN matrix products, subnormals flushed to
   zero) and torch's round differently, so equal arithmetic gives weights that differ in the last
   bits; the accumulator guard of :class:`~ricci_lit.networks.optimizers.BatchedRMSprop` plays the
   role of the flush.
4. **Batching.** Several networks are trained as one stacked computation (module docstring above);
   each receives exactly its own gradient.
5. **Data the authors did not publish.** The synthetic sets are our generators (paper-notes §2),
   and their class-sorted order under ``"authors"`` is our inference.

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

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from tqdm import tqdm

from ricci_lit._checks import is_int
from ricci_lit._device import resolve_device
from ricci_lit.networks._common import (
    BLOCK_SIZE,
    DEFAULT_SCHEME,
    LEGACY_SCHEME,
    SCHEMES,
    TrainResult,
    canonical_block,
    check_optimizer_settings,
    check_scheme,
    check_xy,
    evaluate,
    gather_networks,
    prepare,
    to_device,
    sync,
    torch_threads,
    training_groups,
)
from ricci_lit.networks.architectures import ArchSpec, hidden_widths
from ricci_lit.networks.mlp import MLPEnsemble
from ricci_lit.networks.optimizers import BatchedAdam, BatchedRMSprop
from ricci_lit.networks.until_accuracy import UntilAccuracyConfig, train_until_accuracy

__all__ = [
    "BLOCK_SIZE",
    "DEFAULT_SCHEME",
    "LEGACY_SCHEME",
    "OPTIMIZERS",
    "SCHEMES",
    "SHUFFLE_STREAM",
    "TrainConfig",
    "TrainResult",
    "UntilAccuracyConfig",
    "canonical_block",
    "check_xy",
    "epoch_permutation",
    "torch_threads",
    "train_ensemble",
    "train_until_accuracy",
]

OPTIMIZERS: tuple[str, ...] = ("rmsprop", "adam")
SHUFFLE_STREAM: int = 1
"""``spawn_key`` prefix of the shuffling streams (module docstring)."""


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
        :func:`~ricci_lit.networks.until_accuracy.train_until_accuracy`).
    rho
        RMSprop decay ρ (Keras default 0.9; torch's ``alpha``).
    eps
        ε added to the root of the second moment (Keras default 1e-7 for both optimisers).
    beta1
        Adam's first-moment decay.
    beta2
        Adam's second-moment decay.
    shuffle
        Reshuffle the training set every epoch, per network (module docstring). P1's decision:
        shuffle and train on the full training set (paper-notes §3).
    scheme
        ``"independent-v2"`` (default: a network's weights depend on its own seed only) or
        ``"batched-v1"`` (the seeds asked for form one batch; how every store written before
        schemes existed was trained, needed to re-create those networks bit for bit).
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
    scheme: str = DEFAULT_SCHEME

    def __post_init__(self) -> None:
        if not is_int(self.epochs) or self.epochs < 0:
            raise ValueError(f"epochs must be a non-negative integer, got {self.epochs!r}")
        if not is_int(self.batch_size) or self.batch_size < 1:
            raise ValueError(f"batch_size must be a positive integer, got {self.batch_size!r}")
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"unknown optimizer {self.optimizer!r}; valid: {OPTIMIZERS}")
        check_optimizer_settings(self.lr, self.eps, self.beta1, self.beta2)
        if not (0.0 <= float(self.rho) < 1.0):
            raise ValueError(f"rho must lie in [0, 1), got {self.rho!r}")
        if not isinstance(self.shuffle, (bool, np.bool_)):
            raise ValueError(f"shuffle must be True or False, got {self.shuffle!r}")
        check_scheme(self.scheme)



def epoch_permutation(seed: int, epoch: int, n: int) -> np.ndarray:
    """Order in which the network with ``seed`` visits ``n`` training points in ``epoch`` (0-based).

    ``np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(SHUFFLE_STREAM, epoch)))
    .permutation(n)`` — see the module docstring.
    """
    ss = np.random.SeedSequence(int(seed), spawn_key=(SHUFFLE_STREAM, int(epoch)))
    return np.random.default_rng(ss).permutation(n)



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
        Architecture name (:data:`~ricci_lit.networks.architectures.ARCHITECTURES`) or hidden widths.
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
        Optional test set; gives :attr:`~ricci_lit.networks._common.TrainResult.test_accuracy`.
    eval_every
        If set (needs test data), record the test accuracy every ``eval_every`` epochs (and after
        the last epoch) in :attr:`~ricci_lit.networks._common.TrainResult.history_test_accuracy`.
    chunk_size
        ``"batched-v1"``: train at most this many networks at a time (memory bound; the chunks are
        batches of their own, so the last bits of the weights depend on it). ``"independent-v2"``:
        ignored, one canonical block is trained at a time.
    init
        ``"glorot"`` (Keras, P1) or ``"torch"`` (P2 code).
    callback
        Called as ``callback(epoch, ensemble)`` after every epoch (1-based) with the networks being
        trained: each chunk (``"batched-v1"``, the live ensemble) or, per canonical block
        (``"independent-v2"``), a copy of the block's asked-for networks in the order asked for. With
        one chunk or block that is the ensemble of ``seeds``.

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
    x_np, y_np, test, chunk = prepare(x_train, y_train, arch, seeds, x_test, y_test, init, chunk_size)
    if eval_every is not None:
        if not is_int(eval_every) or eval_every < 1:
            raise ValueError(f"eval_every must be a positive integer or None, got {eval_every!r}")
        if test is None:
            raise ValueError("eval_every needs x_test and y_test")
    dev = resolve_device(device)
    seeds_t = tuple(int(s) for s in seeds)

    t0 = time.perf_counter()
    x, y, xt, yt = to_device(x_np, y_np, test, dev)

    parts = []
    groups = training_groups(seeds_t, config.scheme, chunk)
    for ci, group in enumerate(groups):
        desc = f"train {arch if isinstance(arch, str) else list(hidden_widths(arch))} ×{len(group.seeds)}"
        if len(groups) > 1:
            desc += f" [{ci + 1}/{len(groups)}]"
        parts.append(_train_minibatch(x, y, xt, yt, arch, group.seeds, group.keep, config, dev, init, progress,
                                      eval_every, desc, callback))
    eval_epochs = parts[0][3]
    if config.scheme == LEGACY_SCHEME:  # one batch (or chunks of it), evaluated all together
        ens = parts[0][0] if len(parts) == 1 else MLPEnsemble.concatenate([p[0] for p in parts])
        hist = np.concatenate([p[1] for p in parts], axis=1)
        hist_acc = None if eval_every is None else np.concatenate([p[2] for p in parts], axis=1)
        train_loss, train_acc = evaluate(ens, x, y)
        test_acc = None if xt is None else evaluate(ens, xt, yt)[1]
    else:  # every canonical block evaluated on its own, then the asked-for networks gathered
        arrays = []
        for block_ens, block_hist, block_acc, _ in parts:
            loss_b, acc_b = evaluate(block_ens, x, y)
            test_b = evaluate(block_ens, xt, yt)[1] if xt is not None else np.zeros(len(block_ens))
            arrays.append([block_hist, block_acc, loss_b, acc_b, test_b])
        ens, (hist, acc_all, train_loss, train_acc, test_all) = gather_networks(
            seeds_t, groups, [p[0] for p in parts], arrays)
        hist_acc = None if eval_every is None else acc_all
        test_acc = None if xt is None else test_all
    sync(dev)
    wall = time.perf_counter() - t0
    return TrainResult(ensemble=ens, config=config, train_loss=train_loss, train_accuracy=train_acc,
                       test_accuracy=test_acc, history_loss=hist, history_test_accuracy=hist_acc,
                       history_eval_epochs=eval_epochs, wall_time_s=wall, device=str(dev))


def _train_minibatch(x: torch.Tensor, y: torch.Tensor, xt: torch.Tensor | None, yt: torch.Tensor | None,
                     arch: ArchSpec, seeds: tuple[int, ...], keep: tuple[int, ...], config: TrainConfig,
                     dev: torch.device,
                     init: str, progress: bool, eval_every: int | None, desc: str,
                     callback: Callable[[int, MLPEnsemble], None] | None):
    ens = MLPEnsemble(arch, x.shape[1], seeds, init=init, device=dev)
    params = list(ens.parameters())
    if config.optimizer == "rmsprop":
        opt: Any = BatchedRMSprop(params, config.lr, config.rho, config.eps)
    else:
        opt = BatchedAdam(params, config.lr, config.beta1, config.beta2, config.eps)
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
            hist_acc.append(evaluate(ens, xt, yt)[1])
            eval_epochs.append(epoch + 1)
        if callback is not None:  # the live ensemble when all of it was asked for, else a copy of the asked-for part
            callback(epoch + 1, ens if keep == tuple(range(B)) else ens.subset(keep))
    bar.close()
    acc_arr = np.stack(hist_acc) if hist_acc else np.zeros((0, B))
    return ens, hist, acc_arr, tuple(eval_epochs)
