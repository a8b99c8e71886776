r"""Which training points a network is fitted on: the full training split, or what the authors' code kept.

Paper 1 says its networks were trained on "the full training set"; the authors' code
(paper-details §3 and §6.1 item 4, paper-notes §3) calls Keras 2.9's
``model.fit(x, y, epochs=50, batch_size=32, validation_split=0.2)`` on a training array built
class by class: all images of the first class, then all of the second. Keras takes the
validation set *before* any shuffling, as the last ``n - ⌊n·(1 − v)⌋`` rows of the array
(``keras.engine.data_adapter.train_validation_split``: ``split_at = int(math.floor(n * (1. - v)))``),
so with ``v = 0.2`` the validation set holds one class only and the fitted set loses a fifth of
its images from the second class (Fashion-MNIST sandals vs ankle boots: 6,000 sandals, 3,600 boots).
The validation set is only evaluated (no callback uses it), so it does not change the training and
is simply dropped here.

Training sets
-------------
``"full"`` (:data:`DEFAULT_TRAINING_SET`; our decision, paper-notes §3)
    every point of the problem's training split, in file order; the trainer shuffles each epoch.
``"authors"``
    :func:`authors_training_set`: the split stably sorted by label (label 0 first, each class in
    file order, as the authors' R code concatenates the two classes), then the first
    ``⌊n·(1 − 0.2)⌋`` rows kept, Keras' rule above.

The synthetic sets have no published code (paper-notes §2), so for them ``"authors"`` applies the
same rule to our generated points, sorted by label: an inference, stated as such in the book.
"""
from __future__ import annotations

import math
from typing import Final

import numpy as np

__all__ = ["AUTHORS_VALIDATION_SPLIT", "DEFAULT_TRAINING_SET", "TRAINING_SETS", "authors_training_set",
           "check_training_set", "select_training_set"]

#: The training sets :func:`select_training_set` knows (module docstring).
TRAINING_SETS: Final[tuple[str, ...]] = ("full", "authors")
#: Our choice (paper-notes §3): the whole training split, shuffled by the trainer.
DEFAULT_TRAINING_SET: Final[str] = "full"
#: Keras' ``validation_split`` in the authors' code (paper-details §3).
AUTHORS_VALIDATION_SPLIT: Final[float] = 0.2


def check_training_set(name: object) -> str:
    """``name`` when it is one of :data:`TRAINING_SETS`, else a ``ValueError`` naming them."""
    if not isinstance(name, str) or name not in TRAINING_SETS:
        raise ValueError(f"unknown training set {name!r}; choose one of {', '.join(TRAINING_SETS)}")
    return name


def authors_training_set(x: np.ndarray, y: np.ndarray, validation_split: float = AUTHORS_VALIDATION_SPLIT
                         ) -> tuple[np.ndarray, np.ndarray]:
    r"""The points Keras' ``validation_split`` leaves for fitting, on a class-sorted array.

    The rows are ordered by a stable sort on ``y`` (so each class keeps its order), then the first

    .. math:: n_\text{fit} = \big\lfloor n\,(1 - v) \big\rfloor

    rows are returned, as Keras 2.9 splits ``x`` before shuffling (module docstring).

    Parameters
    ----------
    x, y
        The training split, ``[n, d]`` and ``[n]``.
    validation_split
        ``v`` in ``[0, 1)``; 0.2 in the authors' code.

    Returns
    -------
    x_fit : numpy.ndarray
        The fitted points, a class-sorted copy; at least one.
    y_fit : numpy.ndarray
        Their labels.
    """
    x = np.asarray(x)
    y = np.asarray(y)
    if x.ndim != 2 or y.ndim != 1 or len(x) != len(y):
        raise ValueError(f"x must be [n, d] and y [n] with the same n, got shapes {x.shape} and {y.shape}")
    if isinstance(validation_split, bool) or not isinstance(validation_split, (int, float, np.floating)) \
            or not 0.0 <= float(validation_split) < 1.0:
        raise ValueError(f"validation_split must lie in [0, 1), got {validation_split!r}")
    n_fit = math.floor(len(x) * (1.0 - float(validation_split)))
    if n_fit < 1:
        raise ValueError(f"validation_split {validation_split} leaves no training point of {len(x)}")
    order = np.argsort(y, kind="stable")[:n_fit]
    return x[order], y[order]


def select_training_set(x: np.ndarray, y: np.ndarray, training_set: str = DEFAULT_TRAINING_SET
                        ) -> tuple[np.ndarray, np.ndarray]:
    """The points a network of ``training_set`` is fitted on (module docstring): ``(x, y)``
    unchanged for ``"full"``, :func:`authors_training_set` for ``"authors"``."""
    if check_training_set(training_set) == "full":
        return x, y
    return authors_training_set(x, y)
