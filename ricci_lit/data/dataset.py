r"""The :class:`Dataset` container and the seeded test-subset rule every loader shares.

A :class:`Dataset` is one binary problem: a training and a test split (``float32`` inputs ``[n, d]``,
``int64`` labels 0/1) with provenance in ``meta``. :func:`subset_indices` is the one rule by which
a loader keeps a deterministic ``n_test``-point subset of a test set; :func:`split_streams` gives the
three independent random streams (training set, test set, test subset) of one seed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

__all__ = ["Dataset", "TestSubset", "subset_indices", "split_streams"]

Array = np.ndarray


# ---------------------------------------------------------------------------------------
# Containers
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Dataset:
    """One binary classification problem: a training and a test split.

    Attributes
    ----------
    name
        Problem name (a key of :data:`~ricci_lit.data.problems.PROBLEMS`, or ``"<kind>-<a>v<b>"`` from :func:`~ricci_lit.data.images.load_pair`).
    x_train
        ``float32`` array ``[n_train, d]``.
    x_test
        ``float32`` array ``[n_test, d]``.
    y_train
        ``int64`` array ``[n_train]`` with values 0/1.
    y_test
        ``int64`` array ``[n_test]`` with values 0/1.
    meta
        Provenance: source files or generator name and parameters, ``seed``, ``classes``,
        ``pixel_scale`` (``None`` for synthetic sets), test-subset rule and indices.
    """

    name: str
    x_train: Array
    y_train: Array
    x_test: Array
    y_test: Array
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def n_train(self) -> int:
        """Number of training points."""
        return int(self.x_train.shape[0])

    @property
    def n_test(self) -> int:
        """Number of test points."""
        return int(self.x_test.shape[0])

    @property
    def dim(self) -> int:
        """Input dimension d."""
        return int(self.x_train.shape[1])



# ---------------------------------------------------------------------------------------
# Test subsets
# ---------------------------------------------------------------------------------------
TestSubset = Literal["stratified", "first-per-class"]


def subset_indices(y: Array, n_sub: int, rule: TestSubset, rng: np.random.Generator) -> Array:
    """Indices (sorted) of a deterministic ``n_sub``-point subset of labels ``y``.

    ``"stratified"``: a uniformly random subset with class counts proportional to the full
    set (largest-remainder rounding), drawn from ``rng``.  ``"first-per-class"``: the first
    ``n_sub - n_sub//2`` points of class 0 and the first ``n_sub//2`` of class 1 in the
    given order (P2's balanced test set: ``n_sub = 1000`` gives 500 + 500).
    """
    n = y.shape[0]
    if not 0 < n_sub <= n:
        raise ValueError(f"n_test must be in 1 … {n}, got {n_sub}")
    classes, counts = np.unique(y, return_counts=True)
    if rule == "stratified":
        exact = n_sub * counts / n
        take = np.floor(exact).astype(np.int64)
        short = n_sub - int(take.sum())
        take[np.argsort(-(exact - take), kind="stable")[:short]] += 1
        parts = [rng.choice(np.flatnonzero(y == c), size=k, replace=False) for c, k in zip(classes, take)]
    elif rule == "first-per-class":
        want = {0: n_sub - n_sub // 2, 1: n_sub // 2}
        parts = []
        for c in (0, 1):
            idx = np.flatnonzero(y == c)
            if idx.size < want[c]:
                raise ValueError(f"first-per-class: class {c} has only {idx.size} points, {want[c]} requested")
            parts.append(idx[: want[c]])
    else:
        raise ValueError(f"test_subset must be 'stratified' or 'first-per-class', got {rule!r}")
    return np.sort(np.concatenate(parts))


def split_streams(seed: int) -> tuple[np.random.Generator, np.random.Generator, np.random.Generator]:
    """Independent generators for (training set, test set, test subset) from one seed."""
    train, test, sub = np.random.SeedSequence(seed).spawn(3)
    return np.random.default_rng(train), np.random.default_rng(test), np.random.default_rng(sub)
