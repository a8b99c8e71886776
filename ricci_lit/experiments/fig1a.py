"""Paper 1's Fig. 1A experiment: one network trained on problem A, and its test set at every
representation. What the figure shows is measured by
:func:`ricci_lit.analysis.projection.pc_separability` (analysis, a layer above) and drawn by
:func:`~ricci_lit.plotting.data.pca_layers_figure`; this module only trains and records."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Fig1A:
    """Paper 1's Fig. 1A experiment (:func:`fig1a_experiment`)."""

    problem: str
    architecture: str
    seed: int
    epochs: int
    representations: list[np.ndarray]
    names: list[str]
    y: np.ndarray
    class_names: tuple[str, str]
    test_accuracy: float
    threshold: float
    train_seconds: float = 0.0

    @property
    def well_trained(self) -> bool:
        return bool(self.test_accuracy > self.threshold)


def fig1a_experiment(architecture: str = "wide-shallow", *, seed: int = 0, epochs: int = 50,
                     problem: str = "A", data_seed: int = 0, device: str = "cpu") -> Fig1A:
    """Train one network on dataset A and return its test set at every representation (P1 Fig. 1A).

    P1 Fig. 1A shows the first two principal components of the test set of two entwined 3-D
    manifolds at the input, the hidden layers and the output of one trained network. The network
    is trained with :func:`ricci_lit.networks.training.train_ensemble` (P1's RMSprop recipe, single-threaded
    on the CPU as in the sweeps) and its representations come from
    :func:`ricci_lit.networks.mlp.representations`. The classes' linear separability in each
    representation's PC1–PC2 plane, the quantitative form of what the figure shows, is
    :func:`ricci_lit.analysis.projection.pc_separability` of ``representations`` and ``y``.
    """
    from ricci_lit.data.problems import PROBLEMS, WELL_TRAINED_THRESHOLD, load_problem
    from ricci_lit.networks.mlp import representations
    from ricci_lit.networks.training import TrainConfig, torch_threads, train_ensemble

    data = load_problem(problem, seed=data_seed)
    with torch_threads(1 if device == "cpu" else None):
        res = train_ensemble(data.x_train, data.y_train, architecture, [int(seed)], TrainConfig(epochs=int(epochs)),
                             device=device, progress=False, x_test=data.x_test, y_test=data.y_test)
    reps = representations(res.ensemble, data.x_test)[0]
    layers = [np.asarray(r) for r in reps.all]
    L = reps.n_hidden
    names = ["input"] + [f"hidden layer {l}" for l in range(1, L + 1)] + ["output"]
    return Fig1A(problem=problem, architecture=architecture, seed=int(seed), epochs=int(epochs),
                 representations=layers, names=names, y=np.asarray(data.y_test),
                 class_names=tuple(PROBLEMS[problem].class_names), test_accuracy=float(res.test_accuracy[0]),
                 threshold=float(WELL_TRAINED_THRESHOLD[problem]),
                 train_seconds=float(res.wall_time_s))


