"""Trained networks beside their own initialisation (paper 2's untrained control): train an ensemble
in memory and measure both states with the coefficient engine."""
from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import asdict, replace

import pandas as pd

from ricci_lit.data.problems import load_xy
from ricci_lit.geometry.community import community_table
from ricci_lit.geometry.engine import (
    DEFAULT_CURVATURES,
    CoefficientTables,
    network_coefficients,
    validate_curvatures,
    validate_layers,
    validate_mode,
)
from ricci_lit.geometry.knn import validate_k


def trained_vs_untrained(
    problem: object,
    arch: object,
    seeds: Sequence[int],
    k: int,
    *,
    epochs: int = 50,
    curvatures: Sequence[str] | str = DEFAULT_CURVATURES,
    n_test: int | None = None,
    n_train: int | None = None,
    device: str = "auto",
    layers: str | Sequence[str] = "all",
    config: object | None = None,
    init: str = "glorot",
    data_seed: int = 0,
    pixel_scale: float = 1.0,
    mode: str = "union",
    points: bool = False,
    cpu_threads: int | None = 1,
    progress: bool = False,
    community: bool = False,
) -> CoefficientTables:
    """Coefficients of the same networks before and after training (P2 §A.1.1 control).

    The *untrained* ensemble is ``MLPEnsemble(arch, d_in, seeds, init=init)``: by construction
    (:mod:`ricci_lit.networks.mlp`) exactly the initial parameters from which
    :func:`ricci_lit.networks.training.train_ensemble` starts, so each trained network is compared with
    its own initialisation. Both are evaluated on the same test points with
    :func:`~ricci_lit.geometry.engine.network_coefficients`.

    Parameters
    ----------
    problem
        A problem name for :func:`ricci_lit.data.problems.load_problem` (e.g. ``"syn-1"``, ``"A"``) or a
        :class:`~ricci_lit.data.dataset.Dataset`.
    arch
        Architecture name or hidden widths (:func:`~ricci_lit.networks.architectures.hidden_widths`).
    seeds
        Distinct network seeds.
    k
        Neighbourhood size for every graph.
    epochs
        Training epochs (overrides ``config.epochs``).
    curvatures, mode, points
        As in :func:`~ricci_lit.geometry.engine.network_coefficients`.
    layers
        As in :func:`~ricci_lit.geometry.engine.network_coefficients` (``"all"`` or ``"hidden"``), or several of them (e.g.
        ``("all", "hidden")``): the networks are then trained once and each state is evaluated
        under every convention in turn; the tables' ``layers`` column tells them apart.
    n_test
        Test subset size (problem names only; ``load_problem``'s stratified seeded subset).
    n_train
        Optional deterministic training subset size.
    device
        Training device (``"auto"``: CUDA when available).
    config
        A :class:`ricci_lit.networks.training.TrainConfig` (default: P1's RMSprop, batch 32, lr 1e-3;
        P2 used PyTorch's initialisation, ``init="torch"``, and full-batch Adam, see
        :func:`ricci_lit.experiments.trajectory.full_batch_adam_config`).
    init
        ``"glorot"`` (Keras, P1; default) or ``"torch"`` (P2's code).
    data_seed, pixel_scale
        Passed to ``load_problem`` (image problems: ``1/255`` for P2's [0, 1] pixels).
    cpu_threads
        torch threads while training on the CPU (1 is fastest for small networks on a shared
        machine); ``None`` leaves torch's setting alone.
    progress
        tqdm bars for training and the coefficients.
    community
        Also the class modularity and normalised cut of every representation's kNN graph, both
        states (paper 2 §4.2; :attr:`~ricci_lit.geometry.engine.CoefficientTables.community`, the same ``k`` and ``mode``).

    Returns
    -------
    CoefficientTables
        Both tables gain ``problem``, ``architecture`` and ``state`` (``"untrained"`` or
        ``"trained"``); ``networks`` also ``train_accuracy`` and ``test_accuracy`` (Keras
        ``binary_accuracy``: logit > 0). ``meta`` records the settings and timings.
    """
    from ricci_lit.networks.mlp import (
        MLPEnsemble,
        accuracy,
        hidden_widths,
        representations,
    )
    from ricci_lit.networks.training import TrainConfig, torch_threads, train_ensemble

    curvatures = validate_curvatures(curvatures)
    conventions = [layers] if isinstance(layers, str) else list(layers)
    if not conventions or len(set(conventions)) != len(conventions):
        raise ValueError(f"layers must be 'all', 'hidden' or distinct ones of them, got {layers!r}")
    for lay in conventions:
        validate_layers(lay)
    validate_mode(mode)
    if config is None:
        config = TrainConfig()
    if not isinstance(config, TrainConfig):
        raise ValueError(f"config must be a TrainConfig, got {type(config).__name__}")
    config = replace(config, epochs=epochs)
    widths = hidden_widths(arch)
    name, x_train, y_train, x_test, y_test = load_xy(problem, n_test=n_test, n_train=n_train,
                                                      data_seed=data_seed, pixel_scale=pixel_scale)
    validate_k(k, len(x_test))
    arch_name = arch if isinstance(arch, str) else "x".join(str(w) for w in widths)

    t0 = time.perf_counter()
    untrained = MLPEnsemble(arch, x_train.shape[1], list(seeds), init=init, device="cpu")
    with torch_threads(cpu_threads):
        res = train_ensemble(x_train, y_train, arch, list(seeds), config, device=device,
                             progress=progress, init=init)
    train_seconds = time.perf_counter() - t0
    trained = res.ensemble.to("cpu")

    frames: dict[str, list] = {"networks": [], "layers": [], "points": [], "community": []}
    t0 = time.perf_counter()
    states = (("untrained", untrained), ("trained", trained))
    reps = {state: representations(ens, x_test) for state, ens in states}  # once per state
    if community:
        for state, _ in states:
            for net, rep in enumerate(reps[state]):
                frames["community"].append(
                    community_table(rep.all, y_test, k, mode=mode)
                    .assign(problem=name, architecture=arch_name, state=state, network=net, seed=rep.seed))
    for lay in conventions:
        for state, ens in states:
            tables = network_coefficients(reps[state], k, curvatures=curvatures,
                                          layers=lay, mode=mode, points=points, progress=progress)
            acc_train = accuracy(ens, x_train, y_train)
            acc_test = accuracy(ens, x_test, y_test)
            nets = tables.networks
            nets.insert(0, "state", state)
            nets.insert(0, "architecture", arch_name)
            nets.insert(0, "problem", name)
            nets["train_accuracy"] = acc_train[nets["network"].to_numpy()]
            nets["test_accuracy"] = acc_test[nets["network"].to_numpy()]
            frames["networks"].append(nets)
            for key in ("layers", "points"):
                df = getattr(tables, key)
                if df is None:
                    continue
                df.insert(0, "state", state)
                df.insert(0, "architecture", arch_name)
                df.insert(0, "problem", name)
                frames[key].append(df)
    geometry_seconds = time.perf_counter() - t0
    meta = {"problem": name, "architecture": arch_name, "widths": list(widths), "seeds": list(seeds),
            "k": int(k), "mode": mode, "layers": layers if isinstance(layers, str) else list(conventions),
            "curvatures": list(curvatures),
            "init": init, "config": asdict(config), "n_train": len(x_train),
            "n_test": len(x_test), "data_seed": int(data_seed), "device": res.device,
            "train_seconds": train_seconds, "geometry_seconds": geometry_seconds}
    return CoefficientTables(
        networks=pd.concat(frames["networks"], ignore_index=True),
        layers=pd.concat(frames["layers"], ignore_index=True),
        points=pd.concat(frames["points"], ignore_index=True) if points else None,
        meta=meta,
        community=pd.concat(frames["community"], ignore_index=True) if community else None)


