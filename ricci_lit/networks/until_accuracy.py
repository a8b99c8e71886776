r"""Full-batch Adam per network until its training accuracy reaches a threshold (paper 2's protocol).

Paper 2 (paper-details §5.6) trains full-batch Adam (lr 1e-3, BCE with logits) until the training
accuracy reaches 99 % or 20,000 steps have been taken. :func:`train_until_accuracy` does this for
an ensemble at once: before every step all active networks are evaluated on the whole training set
(from the same forward pass that gives the gradient), and a network that reaches the threshold is
frozen by masking (:class:`~ricci_lit.networks.optimizers.BatchedAdam`). The loss differentiated is
the sum over networks of each network's mean loss, so each network gets its own gradient (see
:mod:`ricci_lit.networks.training`); which networks are computed together follows the training
scheme of the configuration (:mod:`ricci_lit.networks._common`).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from tqdm import tqdm

from ricci_lit._checks import is_int
from ricci_lit._device import resolve_device
from ricci_lit.networks._common import (
    DEFAULT_SCHEME,
    LEGACY_SCHEME,
    TrainResult,
    check_optimizer_settings,
    check_scheme,
    evaluate,
    gather_networks,
    prepare,
    to_device,
    sync,
    training_groups,
)
from ricci_lit.networks.architectures import ArchSpec
from ricci_lit.networks.mlp import MLPEnsemble
from ricci_lit.networks.optimizers import BatchedAdam

__all__ = ["UntilAccuracyConfig", "train_until_accuracy"]


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
    lr
        Adam's learning rate (PyTorch's default as in P2: 1e-3).
    beta1
        Adam's first-moment decay (0.9).
    beta2
        Adam's second-moment decay (0.999).
    eps
        Adam's ε (1e-8).
    scheme
        ``"independent-v2"`` (default) or ``"batched-v1"``, as in
        :class:`~ricci_lit.networks.training.TrainConfig`.
    """

    threshold: float = 0.99
    max_steps: int = 20_000
    lr: float = 1e-3
    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 1e-8
    scheme: str = DEFAULT_SCHEME

    def __post_init__(self) -> None:
        if not (0.0 < float(self.threshold) <= 1.0):
            raise ValueError(f"threshold must lie in (0, 1], got {self.threshold!r}")
        if not is_int(self.max_steps) or self.max_steps < 0:
            raise ValueError(f"max_steps must be a non-negative integer, got {self.max_steps!r}")
        check_optimizer_settings(self.lr, self.eps, self.beta1, self.beta2)
        check_scheme(self.scheme)



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
        As in :func:`~ricci_lit.networks.training.train_ensemble` (``chunk_size`` applies to the
        ``"batched-v1"`` scheme only). P2 feeds pixels in [0, 1] and used PyTorch's default
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
    x_np, y_np, test, chunk = prepare(x_train, y_train, arch, seeds, x_test, y_test, init, chunk_size)
    dev = resolve_device(device)
    seeds_t = tuple(int(s) for s in seeds)
    t0 = time.perf_counter()
    x, y, xt, yt = to_device(x_np, y_np, test, dev)

    parts = []
    groups = training_groups(seeds_t, config.scheme, chunk)
    for ci, group in enumerate(groups):
        desc = "adam-until-acc" + (f" [{ci + 1}/{len(groups)}]" if len(groups) > 1 else "")
        parts.append(_train_full_batch(x, y, arch, group.seeds, group.keep, config, dev, init, progress, desc))
    if config.scheme == LEGACY_SCHEME:  # one batch (or chunks of it), evaluated all together
        ens = parts[0][0] if len(parts) == 1 else MLPEnsemble.concatenate([p[0] for p in parts])
        steps = np.concatenate([p[1] for p in parts])
        reached = np.concatenate([p[2] for p in parts])
        rows = max(p[3].shape[0] for p in parts)
        hist = np.full((rows, len(seeds_t)), np.nan)
        col = 0
        for p in parts:
            hist[:p[3].shape[0], col:col + p[3].shape[1]] = p[3]
            col += p[3].shape[1]
        train_loss, train_acc = evaluate(ens, x, y)
        test_acc = None if xt is None else evaluate(ens, xt, yt)[1]
    else:  # every canonical block evaluated on its own, then the asked-for networks gathered
        arrays = []
        for block_ens, steps_b, reached_b, hist_b in parts:
            loss_b, acc_b = evaluate(block_ens, x, y)
            test_b = evaluate(block_ens, xt, yt)[1] if xt is not None else np.zeros(len(block_ens))
            arrays.append([steps_b, reached_b, hist_b, loss_b, acc_b, test_b])
        ens, (steps, reached, hist, train_loss, train_acc, test_all) = gather_networks(
            seeds_t, groups, [p[0] for p in parts], arrays)
        test_acc = None if xt is None else test_all
    sync(dev)
    return TrainResult(ensemble=ens, config=config, train_loss=train_loss, train_accuracy=train_acc,
                       test_accuracy=test_acc, history_loss=hist, steps=steps, reached=reached,
                       wall_time_s=time.perf_counter() - t0, device=str(dev))



def _train_full_batch(x: torch.Tensor, y: torch.Tensor, arch: ArchSpec, seeds: tuple[int, ...],
                      keep: tuple[int, ...], config: UntilAccuracyConfig, dev: torch.device, init: str,
                      progress: bool, desc: str):
    """Train the networks ``seeds`` as one batch; only the slots ``keep`` are active (the others are
    frozen from the start: computed, never updated, never waited for)."""
    ens = MLPEnsemble(arch, x.shape[1], seeds, init=init, device=dev)
    params = list(ens.parameters())
    opt = BatchedAdam(params, config.lr, config.beta1, config.beta2, config.eps)
    B = len(seeds)
    if len(keep) == B:
        active = torch.ones(B, dtype=torch.bool, device=dev)
    else:
        active = torch.zeros(B, dtype=torch.bool, device=dev)
        active[list(keep)] = True
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
