"""Paper 2's coefficients along training: an ensemble trained full-batch, measured every few epochs."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from ricci_lit._checks import is_int
from ricci_lit.geometry.community import modularity as community_modularity
from ricci_lit.geometry.knn import knn_graphs
from ricci_lit.geometry.engine import (
    NETWORK_COLUMNS,
    network_coefficients,
    validate_curvatures,
    validate_layers,
    validate_mode,
)

__all__ = ["TRAJECTORY_COLUMNS", "full_batch_adam_config", "local_coefficient_trajectory"]

#: The columns of a trajectory table: the epoch, the network's accuracies and losses after it,
#: then the coefficient columns of a network row (:data:`~ricci_lit.geometry.engine.NETWORK_COLUMNS`).
TRAJECTORY_COLUMNS: tuple[str, ...] = (
    "epoch", "train_accuracy", "test_accuracy", "train_loss", "test_loss",
) + NETWORK_COLUMNS


def full_batch_adam_config(n_train: int, *, lr: float = 1e-3, eps: float = 1e-8, epochs: int = 50):
    """P2's fixed-length training as a :class:`ricci_lit.networks.training.TrainConfig`.

    P2's ``train_model_with_ricci_coefs`` (paper-details §5.6) takes full-batch Adam steps
    (PyTorch defaults: lr 1e-3, β = (0.9, 0.999), ε = 1e-8) and calls each step an "epoch". A
    minibatch of the whole training set, without shuffling, is exactly that: one Adam step per
    epoch on the mean loss over all ``n_train`` points.
    """
    from ricci_lit.networks.training import TrainConfig

    if not is_int(n_train) or n_train < 1:
        raise ValueError(f"n_train must be a positive integer, got {n_train!r}")
    return TrainConfig(epochs=epochs, batch_size=int(n_train), lr=lr, optimizer="adam", eps=eps,
                       shuffle=False)


def _bce(z: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Per-network mean binary cross-entropy from logits ``z [B, n]`` (stable form)."""
    z = z.astype(np.float64)
    return (np.maximum(z, 0.0) - z * y[None, :] + np.log1p(np.exp(-np.abs(z)))).mean(axis=1)


def local_coefficient_trajectory(
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_test: np.ndarray,
    y_test: np.ndarray,
    arch: object,
    seeds: Sequence[int],
    *,
    k: int,
    curvature: str | Sequence[str] = "approx-ollivier",
    epochs: int,
    every: int = 1,
    config: object | None = None,
    device: str = "auto",
    layers: str = "all",
    mode: str = "union",
    init: str = "glorot",
    cpu_threads: int | None = 1,
    progress: bool = False,
    modularity: bool = False,
) -> pd.DataFrame:
    """Coefficients and accuracies of every network along training (P2 §4.3, paper-details §5.7 d).

    At epoch 0 (the initialisation, ``MLPEnsemble(arch, d, seeds, init=init)``, which is where
    :func:`~ricci_lit.networks.training.train_ensemble` starts) and after every epoch ``e`` with
    ``e % every == 0`` or ``e == epochs``, for every network: training and test accuracy and mean
    BCE loss, and the coefficients of :func:`ricci_lit.geometry.engine.network_coefficients` on the test
    representations (mean/median/fraction-negative of the local ``ρ(x)``, global ``ρ``, layer
    summary).

    Parameters
    ----------
    x_train, y_train, x_test, y_test
        Training and test data (``[n, d]`` features, ``[n]`` labels in {0, 1}); the geometry is
        measured on the test set.
    arch, seeds
        Architecture and distinct network seeds.
    k
        Neighbourhood size (P2: 50).
    curvature
        One curvature or several (P2 used the approximate Ollivier curvature here).
    epochs
        Number of training epochs (overrides ``config.epochs``).
    every
        Record every ``every`` epochs (P2: 10), plus epoch 0 and the last epoch.
    config
        A :class:`ricci_lit.networks.training.TrainConfig` (default P1's RMSprop, batch 32; P2's full-batch
        Adam is :func:`full_batch_adam_config`).
    device, init
        As in :func:`ricci_lit.networks.training.train_ensemble` (P2: ``init="torch"``).
    layers, mode
        As in :func:`ricci_lit.geometry.engine.network_coefficients` (P2: ``"all"``).
    cpu_threads
        torch threads while training on the CPU (``None``: unchanged).
    progress
        tqdm bar over epochs.
    modularity
        Also ``modularity_last_hidden``: the class modularity of the last hidden
        representation's kNN graph (P2 §4.2; :func:`ricci_lit.geometry.community.modularity`,
        the same ``k`` and ``mode``) at every recorded epoch.

    Returns
    -------
    pandas.DataFrame
        One row per (recorded epoch, network, curvature), columns :data:`TRAJECTORY_COLUMNS`
        (and ``modularity_last_hidden``), sorted by epoch, network, curvature.

    Raises
    ------
    ValueError
        Invalid ``every``/``epochs``/``k``/``config``/data, unknown curvature, layers or mode.
    """
    from ricci_lit.networks.mlp import (
        MLPEnsemble,
        accuracy,
        predict_logits,
        representations,
    )
    from ricci_lit.networks.training import (
        TrainConfig,
        check_xy,
        torch_threads,
        train_ensemble,
    )

    curvatures = validate_curvatures(curvature)
    validate_layers(layers)
    validate_mode(mode)
    if not is_int(epochs) or epochs < 0:
        raise ValueError(f"epochs must be a non-negative integer, got {epochs!r}")
    if not is_int(every) or every < 1:
        raise ValueError(f"every must be a positive integer, got {every!r}")
    if config is None:
        config = TrainConfig()
    if not isinstance(config, TrainConfig):
        raise ValueError(f"config must be a TrainConfig, got {type(config).__name__}")
    config = replace(config, epochs=int(epochs))
    xtr, ytr = check_xy(x_train, y_train, "train")
    xte, yte = check_xy(x_test, y_test, "test")
    if xte.shape[1] != xtr.shape[1]:
        raise ValueError(f"x_test has {xte.shape[1]} features but x_train has {xtr.shape[1]}")
    if not is_int(k) or not 1 <= k < xte.shape[0]:
        raise ValueError(f"k must be an integer with 1 <= k < {xte.shape[0]} (test points), got {k!r}")

    frames: list[pd.DataFrame] = []

    def record(epoch: int, ens: Any) -> None:
        reps = representations(ens, xte)
        tables = network_coefficients(reps, k, curvatures=curvatures, layers=layers, mode=mode)
        nets = tables.networks
        idx = nets["network"].to_numpy()
        if modularity:
            q = np.array([community_modularity(knn_graphs(rep.hidden[-1], [k], mode)[0], yte) for rep in reps])
            nets["modularity_last_hidden"] = q[idx]
        z_tr = predict_logits(ens, xtr)
        z_te = predict_logits(ens, xte)
        nets.insert(0, "test_loss", _bce(z_te, yte)[idx])
        nets.insert(0, "train_loss", _bce(z_tr, ytr)[idx])
        nets.insert(0, "test_accuracy", accuracy(ens, xte, yte)[idx])
        nets.insert(0, "train_accuracy", accuracy(ens, xtr, ytr)[idx])
        nets.insert(0, "epoch", int(epoch))
        frames.append(nets)

    def callback(epoch: int, ens: Any) -> None:
        if epoch % every == 0 or epoch == epochs:
            record(epoch, ens)

    with torch_threads(cpu_threads):
        record(0, MLPEnsemble(arch, xtr.shape[1], list(seeds), init=init, device="cpu"))
        if epochs > 0:
            train_ensemble(xtr, ytr, arch, list(seeds), config, device=device, progress=progress,
                           init=init, callback=callback)
    out = pd.concat(frames, ignore_index=True)
    columns = list(TRAJECTORY_COLUMNS) + (["modularity_last_hidden"] if modularity else [])
    return out[columns].sort_values(["epoch", "network", "curvature"], kind="stable", ignore_index=True)


