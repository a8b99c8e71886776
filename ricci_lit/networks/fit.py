"""A plain, seeded torch training loop for any classifier (issue 15).

:func:`fit` trains ``model`` on ``(x, y)`` with Adam (paper 2: Adam, learning rate 10⁻³) and
mini-batches (``batch_size=None``: full batch, as paper 2's ``train_model``), for a number of
epochs, on CPU or GPU, and returns the model with its per-epoch loss and accuracy.

Loss. A model with ``C ≥ 2`` output logits is trained with the cross-entropy
``−(1/B) Σ_b log softmax(z_b)_{y_b}`` on integer labels ``0 … C−1``; a model with one logit
with the binary cross-entropy with logits on labels ``{0, 1}`` (paper 2's BCEWithLogitsLoss).
A prediction is ``argmax_c z_c`` (``C ≥ 2``) or ``z > 0`` ⇔ ``sigmoid(z) > 1/2`` (one logit,
the rule of :func:`ricci_lit.networks.mlp.output_accuracy`).

Seeding. Epoch ``e``'s shuffle and any randomness inside the model (dropout) come from a
seed derived from ``(seed, e)`` by :class:`numpy.random.SeedSequence`, under
:func:`torch.random.fork_rng` (the caller's global random state is untouched). So on CPU the
same seed, weights and data give bit-identical results, and a run resumed at
``start_epoch=e`` with the optimizer state of the first ``e`` epochs continues exactly as an
uninterrupted run would.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import torch
from torch import nn

from ricci_lit._checks import is_int
from ricci_lit._device import resolve_device

__all__ = ["FitResult", "epoch_seed", "fit", "predict_classes"]


@dataclass(frozen=True)
class FitResult:
    """What :func:`fit` returns.

    Attributes
    ----------
    model
        The trained model (the same object that was passed in), on the training device, in
        eval mode.
    history
        One row per epoch of this call: ``epoch`` (counted from 1, continuing from
        ``start_epoch``), ``loss`` (mean training loss over the epoch's batches, weighted by
        batch size), ``accuracy`` (training accuracy of the epoch's batches, in train mode),
        and ``val_loss``/``val_accuracy`` (eval mode, after the epoch) when validation data
        were given.
    optimizer_state
        The Adam state after the last epoch, to resume with ``fit(..., start_epoch=...,
        optimizer_state=...)``.
    seed
        The seed the run used.
    """

    model: nn.Module
    history: pd.DataFrame
    optimizer_state: dict = field(repr=False)
    seed: int

    @property
    def epochs(self) -> int:
        """The last epoch reached (``start_epoch`` + epochs of this call)."""
        return int(self.history["epoch"].iloc[-1]) if len(self.history) else 0


def epoch_seed(seed: int, epoch: int) -> int:
    """The 63-bit seed of epoch ``epoch`` (0-based) of a run seeded with ``seed``."""
    return int(np.random.SeedSequence([int(seed), int(epoch)]).generate_state(2, dtype=np.uint64)[0] >> np.uint64(1))


def _as_tensor(name: str, v: object) -> torch.Tensor:
    if isinstance(v, torch.Tensor):
        return v.detach()
    if isinstance(v, np.ndarray):
        if v.dtype == object or not (np.issubdtype(v.dtype, np.number) or v.dtype == bool):
            raise ValueError(f"{name}: non-numeric data (dtype {v.dtype})")
        return torch.from_numpy(np.ascontiguousarray(v))
    raise TypeError(f"{name} must be a numpy array or a torch tensor, got {type(v).__name__}")


def _prepare(x: object, y: object, name: str, dtype: torch.dtype) -> tuple[torch.Tensor, torch.Tensor]:
    xt = _as_tensor(f"x{name}", x)
    yt = _as_tensor(f"y{name}", y)
    if xt.ndim < 1 or xt.shape[0] == 0:
        raise ValueError(f"x{name}: no points (shape {tuple(xt.shape)})")
    if yt.ndim != 1 or yt.shape[0] != xt.shape[0]:
        raise ValueError(f"y{name} must be one label per point, shape ({xt.shape[0]},), got {tuple(yt.shape)}")
    if yt.is_floating_point() and not torch.equal(yt, yt.round()):
        raise ValueError(f"y{name}: labels must be integers, got non-integer values")
    if xt.is_floating_point() or xt.dtype == torch.bool:
        xt = xt.to(dtype)
        if not torch.isfinite(xt).all():
            raise ValueError(f"x{name}: contains NaN or inf values")
    return xt, yt.to(torch.int64)


def _logits(model: nn.Module, xb: torch.Tensor) -> torch.Tensor:
    z = model(xb)
    if not isinstance(z, torch.Tensor):
        raise TypeError(f"the model returned a {type(z).__name__}; fit needs a tensor of logits")
    if z.ndim == 1:
        z = z[:, None]
    if z.ndim != 2 or z.shape[0] != xb.shape[0]:
        raise ValueError(f"the model's output has shape {tuple(z.shape)}; fit needs logits [batch, classes]")
    return z


def _loss_and_correct(z: torch.Tensor, yb: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    if z.shape[1] == 1:
        loss = nn.functional.binary_cross_entropy_with_logits(z[:, 0], yb.to(z.dtype))
        pred = (z[:, 0] > 0).to(torch.int64)
    else:
        loss = nn.functional.cross_entropy(z, yb)
        pred = z.argmax(dim=1)
    return loss, (pred == yb).sum()


def _check_labels(z: torch.Tensor, y: torch.Tensor, name: str) -> None:
    C = max(int(z.shape[1]), 2)
    lo, hi = int(y.min()), int(y.max())
    if lo < 0 or hi >= C:
        raise ValueError(f"y{name}: labels must lie in 0 … {C - 1} for a model with {z.shape[1]} output(s), "
                         f"got {lo} … {hi}")


def predict_classes(model: nn.Module, x: np.ndarray | torch.Tensor, *, batch_size: int = 1024,
                    device: str | torch.device | None = None) -> np.ndarray:
    """Predicted classes (``argmax`` of the logits; ``logit > 0`` for one output), eval mode, no grad.

    ``device=None`` runs on the device of the model's first parameter. The model's training
    flags are restored afterwards.
    """
    params = list(model.parameters())
    dev = params[0].device if device is None and params else resolve_device(device)
    dtype = next((p.dtype for p in params if p.is_floating_point()), torch.get_default_dtype())
    xt = _as_tensor("x", x)
    if xt.is_floating_point():
        xt = xt.to(dtype)
    modes = [(m, m.training) for m in model.modules()]
    out = []
    try:
        model.eval()
        with torch.no_grad():
            for s in range(0, xt.shape[0], batch_size):
                z = _logits(model, xt[s:s + batch_size].to(dev))
                out.append((z[:, 0] > 0).to(torch.int64) if z.shape[1] == 1 else z.argmax(dim=1))
    finally:
        for m, flag in modes:
            m.training = flag
    return torch.cat(out).cpu().numpy()


def fit(
    model: nn.Module,
    x: np.ndarray | torch.Tensor,
    y: np.ndarray | torch.Tensor,
    *,
    epochs: int = 10,
    batch_size: int | None = 128,
    lr: float = 1e-3,
    weight_decay: float = 0.0,
    seed: int = 0,
    device: str | torch.device | None = "auto",
    x_val: np.ndarray | torch.Tensor | None = None,
    y_val: np.ndarray | torch.Tensor | None = None,
    start_epoch: int = 0,
    optimizer_state: dict | None = None,
) -> FitResult:
    """Train a classifier with Adam on mini-batches; per-epoch loss and accuracy.

    Parameters
    ----------
    model
        Any ``nn.Module`` mapping a batch ``x[b]`` to logits ``[B, C]`` (or ``[B]``/``[B, 1]``
        for a binary model). It is moved to ``device`` and trained in place.
    x, y
        Training points (batch along dimension 0) and integer labels ``[n]``.
    epochs
        Epochs to run in this call (``0`` returns an empty history).
    batch_size
        Points per step, the last batch of an epoch possibly smaller; ``None`` = full batch.
    lr, weight_decay
        Adam's learning rate and (L2) weight decay.
    seed
        Seed of the shuffles and of any randomness inside the model (see the module docstring).
    device
        ``"auto"`` (CUDA when available), ``"cpu"``, ``"cuda:0"``, …
    x_val, y_val
        Optional validation data, evaluated after each epoch in eval mode.
    start_epoch, optimizer_state
        Resume: the epochs already run and the :attr:`FitResult.optimizer_state` they left.

    Returns
    -------
    FitResult
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if not is_int(epochs) or epochs < 0:
        raise ValueError(f"epochs must be a non-negative integer, got {epochs!r}")
    if not is_int(start_epoch) or start_epoch < 0:
        raise ValueError(f"start_epoch must be a non-negative integer, got {start_epoch!r}")
    if not is_int(seed) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    if batch_size is not None and (not is_int(batch_size) or batch_size < 1):
        raise ValueError(f"batch_size must be a positive integer or None, got {batch_size!r}")
    if not (isinstance(lr, (int, float)) and lr > 0):
        raise ValueError(f"lr must be a positive number, got {lr!r}")
    if (x_val is None) != (y_val is None):
        raise ValueError("pass both x_val and y_val, or neither")
    params = list(model.parameters())
    if not params:
        raise ValueError("the model has no parameters to train")
    dev = resolve_device(device)
    model.to(dev)
    dtype = next((p.dtype for p in params if p.is_floating_point()), torch.get_default_dtype())
    xt, yt = _prepare(x, y, "", dtype)
    xt, yt = xt.to(dev), yt.to(dev)
    val = None
    if x_val is not None:
        xv, yv = _prepare(x_val, y_val, "_val", dtype)
        val = (xv.to(dev), yv.to(dev))
    n = xt.shape[0]
    bs = n if batch_size is None else min(int(batch_size), n)
    opt = torch.optim.Adam(model.parameters(), lr=float(lr), weight_decay=float(weight_decay))
    if optimizer_state is not None:
        opt.load_state_dict(optimizer_state)

    rows = []
    fork_devices = [dev] if dev.type == "cuda" else []
    checked = False
    for epoch in range(int(start_epoch), int(start_epoch) + int(epochs)):
        s = epoch_seed(seed, epoch)
        with torch.random.fork_rng(devices=fork_devices):
            torch.manual_seed(s)
            gen = torch.Generator().manual_seed(s)
            order = torch.randperm(n, generator=gen).to(dev)
            model.train()
            total_loss, correct = 0.0, 0
            for start in range(0, n, bs):
                idx = order[start:start + bs]
                xb, yb = xt[idx], yt[idx]
                z = _logits(model, xb)
                if not checked:
                    _check_labels(z, yt, "")
                    if val is not None:
                        _check_labels(z, val[1], "_val")
                    checked = True
                loss, c = _loss_and_correct(z, yb)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                total_loss += float(loss.detach()) * len(idx)
                correct += int(c)
        row = {"epoch": epoch + 1, "loss": total_loss / n, "accuracy": correct / n}
        if val is not None:
            row.update(_evaluate(model, *val, bs))
        rows.append(row)
    model.eval()
    cols = ["epoch", "loss", "accuracy"] + (["val_loss", "val_accuracy"] if val is not None else [])
    return FitResult(model=model, history=pd.DataFrame(rows, columns=cols),
                     optimizer_state=copy.deepcopy(opt.state_dict()), seed=int(seed))


def _evaluate(model: nn.Module, x: torch.Tensor, y: torch.Tensor, bs: int) -> dict:
    model.eval()
    total, correct = 0.0, 0
    with torch.no_grad():
        for s in range(0, x.shape[0], bs):
            z = _logits(model, x[s:s + bs])
            loss, c = _loss_and_correct(z, y[s:s + bs])
            total += float(loss) * z.shape[0]
            correct += int(c)
    model.train()
    return {"val_loss": total / x.shape[0], "val_accuracy": correct / x.shape[0]}
