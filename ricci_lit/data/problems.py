r"""The binary classification problems of paper 1 and paper 2, and where their data come from.

Paper 1 (Baptista et al. 2024, P1 §3.1) studies seven binary problems:

* three synthetic 3-D problems **A**, **B**, **C** (1,000 training and 1,000 test points each).
  P1 publishes no generator, only a picture (its Fig. 2A), so the generators below are
  ours (paper-notes §2, *Decision*); their equations are in the docstrings of
  :func:`~ricci_lit.data.synthetic.make_swiss_rolls`, :func:`~ricci_lit.data.synthetic.make_blobs_in_cube` and :func:`~ricci_lit.data.synthetic.make_sine_sheets`;
* MNIST 1 vs 7 and 6 vs 8, Fashion-MNIST sandal (5) vs ankle boot (9) and shirt (6) vs
  coat (4): the full training split of the two classes and *all* test images of the two
  classes, 28×28 images flattened to 784 values.

Paper 2 (Hehl, von Renesse, Weber 2025; paper-details §5.5) adds four small synthetic sets
``syn-1`` … ``syn-4`` (two circles, four disks in a disk, two cylinder shells, two linked
solid tori), re-implemented here with numpy and seeded.

Beyond both papers (issue 15): ``mnist-10`` and ``fmnist-10``, all ten classes (label = the
original class 0 … 9), with a balanced test subset of the size the user sets
(:func:`balanced_subset`).

Everything is reachable through :func:`load_problem` and the registry :data:`PROBLEMS`.

Conventions
-----------
* Labels are ``int64`` 0/1 (0 … 9 for the ten-class problems).  For the binary image problems the **first class named gets label 0,
  the second label 1** (``"mnist-1v7"``: digit 1 → 0, digit 7 → 1), as in the authors'
  R code (5 → 0, 9 → 1) and in P2's code.
* Inputs are ``float32`` arrays of shape ``[n, d]``.  Image pixels are multiplied by
  ``pixel_scale``: 1.0 keeps the raw 0–255 values that the authors of P1 fed to their
  networks (paper-details §2.4), ``1/255`` gives the [0, 1] range used by P2.
* The training set of an image problem is in file order (class-interleaved as in the
  IDX files); the training code shuffles.  Synthetic sets are generated in random order.
* Determinism: a synthetic set is a pure function of ``seed`` (bit-identical across calls);
  the training and the test set come from two independent child streams of
  ``numpy.random.SeedSequence(seed)``, so the test set does not depend on the training set
  and vice versa.


Where the image files come from and how they are checked: :mod:`ricci_lit.data.images`.
The generators of the synthetic sets: :mod:`ricci_lit.data.synthetic`.
"""

from __future__ import annotations

import dataclasses
import os
import types
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Literal

import numpy as np

from ricci_lit._checks import is_int
from ricci_lit.data.dataset import Dataset, TestSubset, split_streams, subset_indices
from ricci_lit.data.images import (
    FASHION_NAMES,
    MNIST_NAMES,
    SearchRoots,
    load_pair,
)
from ricci_lit.data.synthetic import (
    B_CENTRES,
    B_SEMI_AXES,
    make_blobs_in_cube,
    make_circles,
    make_cylinders,
    make_four_disks,
    make_linked_tori,
    make_sine_sheets,
    make_swiss_rolls,
    sheets_bayes_accuracy,
)
from ricci_lit.data.training_sets import (
    DEFAULT_TRAINING_SET,
    check_training_set,
    select_training_set,
)

__all__ = [
    "PAPER1_PROBLEMS",
    "PAPER2_SYNTHETIC",
    "PROBLEMS",
    "TEN_CLASS_PROBLEMS",
    "WELL_TRAINED_THRESHOLD",
    "ProblemSpec",
    "balanced_subset",
    "is_well_trained",
    "load_problem",
    "load_xy",
    "make_synthetic",
]

Array = np.ndarray


@dataclass(frozen=True)
class ProblemSpec:
    """Registry entry of one problem.

    Attributes
    ----------
    name
        Registry key.
    kind
        ``"synthetic"``, ``"mnist"`` or ``"fashion-mnist"``.
    classes
        For image problems the two original class labels ``(label→0, label→1)``, or all ten
        ``(0, …, 9)`` for the ten-class problems; for synthetic sets ``(0, 1)``.
    class_names
        Human-readable names of label 0, label 1 (, … label 9).
    description
        One line for tables and figure captions.
    paper
        ``"P1"``, ``"P2"`` or ``"beyond"`` (the ten-class problems of issue 15, studied by neither paper).
    generator
        For synthetic sets the generator function ``f(n, rng, **params) -> (X, y)``.
    params
        Generator parameters (read-only mapping).
    """

    name: str
    kind: Literal["synthetic", "mnist", "fashion-mnist"]
    classes: tuple[int, ...]
    class_names: tuple[str, ...]
    description: str
    paper: Literal["P1", "P2", "beyond"]
    generator: Callable[..., tuple[Array, Array]] | None = None
    params: Mapping[str, Any] = field(default_factory=lambda: types.MappingProxyType({}))


# ---------------------------------------------------------------------------------------
# Registry
# ---------------------------------------------------------------------------------------
def _ro(d: Mapping[str, Any]) -> Mapping[str, Any]:
    return types.MappingProxyType(dict(d))


def _syn(
    name: str,
    paper: Literal["P1", "P2"],
    gen: Callable[..., tuple[Array, Array]],
    desc: str,
    names: tuple[str, str],
    **params: Any,
) -> ProblemSpec:
    return ProblemSpec(name, "synthetic", (0, 1), names, desc, paper, gen, _ro(params))


def _img(name: str, kind: Literal["mnist", "fashion-mnist"], a: int, b: int) -> ProblemSpec:
    names = MNIST_NAMES if kind == "mnist" else FASHION_NAMES
    label = "MNIST" if kind == "mnist" else "Fashion-MNIST"
    desc = f"{label} {names[a]} ({a}) vs {names[b]} ({b}); {a} → 0, {b} → 1; 784-D"
    return ProblemSpec(name, kind, (a, b), (names[a], names[b]), desc, "P1")


def _ten(name: str, kind: Literal["mnist", "fashion-mnist"]) -> ProblemSpec:
    names = MNIST_NAMES if kind == "mnist" else FASHION_NAMES
    label = "MNIST" if kind == "mnist" else "Fashion-MNIST"
    desc = f"{label}, all ten classes (label = original class 0 … 9), balanced test subset; 784-D"
    return ProblemSpec(name, kind, tuple(range(10)), tuple(names[c] for c in range(10)), desc, "beyond")


#: All problems by name (read-only).  Values are :class:`ProblemSpec`.
PROBLEMS: Final[Mapping[str, ProblemSpec]] = types.MappingProxyType(
    {
        "A": _syn(
            "A", "P1", make_swiss_rolls,
            "two Swiss-roll sheets wound together in a cylinder (geometrically, not topologically entangled); 3-D",
            ("sheet 0", "sheet 1"), t_min=float(np.pi), t_max=float(3 * np.pi), half_height=1.0, noise=0.02,
        ),
        "B": _syn(
            "B", "P1", make_blobs_in_cube,
            "two ellipsoidal blobs (1) inside a solid cube (0), balanced by construction; 3-D",
            ("cube", "blobs"), centres=B_CENTRES, semi_axes=B_SEMI_AXES, half_side=1.0, margin=0.3,
        ),
        "C": _syn(
            "C", "P1", make_sine_sheets,
            "two intersecting noisy sinusoidal sheets, Bayes accuracy 0.93; 3-D",
            ("sheet +", "sheet -"), amplitude=0.5, omega=float(np.pi), noise=0.134,
        ),
        "mnist-1v7": _img("mnist-1v7", "mnist", 1, 7),
        "mnist-6v8": _img("mnist-6v8", "mnist", 6, 8),
        "fmnist-5v9": _img("fmnist-5v9", "fashion-mnist", 5, 9),
        "fmnist-6v4": _img("fmnist-6v4", "fashion-mnist", 6, 4),
        "mnist-10": _ten("mnist-10", "mnist"),
        "fmnist-10": _ten("fmnist-10", "fashion-mnist"),
        "syn-1": _syn("syn-1", "P2", make_circles, "two concentric circles (make_circles, noise 0.04, factor 0.8); 2-D",
                      ("outer circle", "inner circle"), noise=0.04, factor=0.8),
        "syn-2": _syn("syn-2", "P2", make_four_disks,
                      "unit disk, label 1 inside four disks of radius 0.2 (≈16 % ones); 2-D",
                      ("disk", "four small disks"), radius=0.2,
                      centres=((0.0, 0.5), (-0.5, 0.0), (0.0, -0.5), (0.5, 0.0))),
        "syn-3": _syn("syn-3", "P2", make_cylinders,
                      "two coaxial cylinder shells r = 1 and 0.8, ±0.1 radial noise; 3-D",
                      ("r = 1", "r = 0.8"), r0=1.0, r1=0.8, noise=0.1),
        "syn-4": _syn("syn-4", "P2", make_linked_tori, "two linked solid tori, R = 2, r = 1; 3-D",
                      ("torus in x1x2-plane", "torus in x1x3-plane"), major=2.0, minor=1.0, offset=(2.0, 0.0, 0.0)),
    }
)

#: The seven problems of paper 1, in the paper's order (P1 §3.1).
PAPER1_PROBLEMS: Final[tuple[str, ...]] = ("A", "B", "C", "mnist-1v7", "mnist-6v8", "fmnist-5v9", "fmnist-6v4")
#: The ten-class image problems (issue 15; neither paper studies them).
TEN_CLASS_PROBLEMS: Final[tuple[str, ...]] = ("mnist-10", "fmnist-10")
#: Paper 2's synthetic sets (paper-details §5.5).
PAPER2_SYNTHETIC: Final[tuple[str, ...]] = ("syn-1", "syn-2", "syn-3", "syn-4")

#: "Well-trained" thresholds on **test** accuracy, P1 §3.1: a network counts as well
#: trained iff its accuracy is strictly greater than the value (A, B, MNIST > 99 %;
#: C > 91 %; Fashion-MNIST sandal/boot > 98 % since no network reached 99 %; shirt/coat > 90 %).
WELL_TRAINED_THRESHOLD: Final[Mapping[str, float]] = types.MappingProxyType(
    {"A": 0.99, "B": 0.99, "C": 0.91, "mnist-1v7": 0.99, "mnist-6v8": 0.99, "fmnist-5v9": 0.98, "fmnist-6v4": 0.90}
)


def is_well_trained(name: str, accuracy: float) -> bool:
    """Whether ``accuracy`` passes P1's threshold for problem ``name`` (strict ``>``, P1 §3.1)."""
    if name not in WELL_TRAINED_THRESHOLD:
        raise ValueError(f"no P1 threshold for {name!r}; known: {', '.join(WELL_TRAINED_THRESHOLD)}")
    return bool(accuracy > WELL_TRAINED_THRESHOLD[name])


def _spec(name: str) -> ProblemSpec:
    try:
        return PROBLEMS[name]
    except KeyError:
        raise ValueError(f"unknown problem {name!r}; valid names: {', '.join(PROBLEMS)}") from None


# ---------------------------------------------------------------------------------------
# Synthetic loader
# ---------------------------------------------------------------------------------------
def make_synthetic(
    name: str,
    *,
    seed: int = 0,
    n_train: int = 1000,
    n_test_full: int = 1000,
    n_test: int | None = None,
    test_subset: TestSubset = "stratified",
) -> Dataset:
    """Generate a synthetic problem (``"A"``, ``"B"``, ``"C"``, ``"syn-1"`` … ``"syn-4"``).

    Parameters
    ----------
    name
        Registry name of a synthetic problem.
    seed
        Seed of :class:`numpy.random.SeedSequence`; the training set, the test set and
        the test subset use independent child streams.
    n_train, n_test_full
        Sizes of the generated sets (P1 and P2: 1,000 each).
    n_test
        If given, keep a deterministic subset of this size of the generated test set
        (see ``test_subset``); useful for quick profiles.
    test_subset
        ``"stratified"`` (random, class proportions kept, seeded) or ``"first-per-class"``.

    Returns
    -------
    Dataset
    """
    spec = _spec(name)
    if spec.kind != "synthetic" or spec.generator is None:
        raise ValueError(f"{name!r} is not a synthetic problem")
    rng_train, rng_test, rng_sub = split_streams(seed)
    params = dict(spec.params)
    Xtr, ytr = spec.generator(n_train, rng_train, **params)
    Xte, yte = spec.generator(n_test_full, rng_test, **params)
    meta: dict[str, Any] = {
        "problem": name,
        "kind": "synthetic",
        "paper": spec.paper,
        "generator": spec.generator.__name__,
        "params": params,
        "seed": seed,
        "classes": spec.classes,
        "class_names": spec.class_names,
        "pixel_scale": None,
        "n_test_full": n_test_full,
        "test_subset": None,
        "test_indices": None,
    }
    if spec.generator is make_sine_sheets:
        meta["bayes_accuracy"] = sheets_bayes_accuracy(**params)
    if n_test is not None:
        idx = subset_indices(yte, n_test, test_subset, rng_sub)
        Xte, yte = Xte[idx], yte[idx]
        meta["test_subset"] = test_subset
        meta["test_indices"] = idx
    return Dataset(
        name,
        np.ascontiguousarray(Xtr, dtype=np.float32),
        ytr.astype(np.int64),
        np.ascontiguousarray(Xte, dtype=np.float32),
        yte.astype(np.int64),
        meta,
    )


def load_problem(
    name: str,
    *,
    seed: int = 0,
    n_test: int | None = None,
    pixel_scale: float = 1.0,
    data_dir: str | os.PathLike[str] | None = None,
    download: bool = True,
    verify: bool = True,
    test_subset: TestSubset = "stratified",
    roots: SearchRoots | None = None,
) -> Dataset:
    """Load one problem of the registry :data:`PROBLEMS` (P1 §3.1; paper-details §2, §5.5).

    Parameters
    ----------
    name
        One of ``"A"``, ``"B"``, ``"C"``, ``"mnist-1v7"``, ``"mnist-6v8"``, ``"fmnist-5v9"``,
        ``"fmnist-6v4"`` (paper 1), ``"syn-1"`` … ``"syn-4"`` (paper 2), or the ten-class
        ``"mnist-10"``, ``"fmnist-10"`` (labels 0 … 9; see :func:`balanced_subset` for their
        ``n_test``).
    seed
        Synthetic sets: the seed of the generator (same seed → bit-identical data).
        All problems: the seed of the ``n_test`` subset.
    n_test
        Optional size of a deterministic test subset, for quick profiles.  With
        ``test_subset="stratified"`` (default) a seeded uniformly random subset whose class
        counts are proportional to the full test set (largest-remainder rounding); with
        ``"first-per-class"`` the first ``n_test - n_test//2`` points of label 0 and the first
        ``n_test//2`` of label 1 (P2's balanced 500 + 500 test sets).  Either way the subset
        keeps the original order.
    pixel_scale
        Image problems only (ignored for synthetic sets; ``meta["pixel_scale"]`` is then
        ``None``): multiplier of the raw 0–255 pixels.  1.0 = raw pixels as in the authors'
        code of P1; ``1/255`` = [0, 1] as in P2.
    data_dir, download
        Where the image files are (see :func:`~ricci_lit.data.images.find_idx_dir`); ``download=True`` lets a
        user with internet fetch missing files into the cache (md5-checked).
    verify
        Check the md5 of the image files' content (once per process and file).
    test_subset
        ``"stratified"`` or ``"first-per-class"``.
    roots
        Search roots for the image files (tests); default from the environment.

    Returns
    -------
    Dataset

    Raises
    ------
    ValueError
        Unknown ``name`` (the message lists the valid names).
    FileNotFoundError
        Image files not found (the message says where it looked and how to install them).
    """
    spec = _spec(name)
    if spec.kind == "synthetic":
        return make_synthetic(name, seed=seed, n_test=n_test, test_subset=test_subset)
    if len(spec.classes) > 2:
        return _load_ten_class(spec, seed=seed, n_test=n_test, pixel_scale=pixel_scale, data_dir=data_dir,
                               download=download, verify=verify, test_subset=test_subset, roots=roots)
    ds = load_pair(
        spec.kind,
        spec.classes,
        seed=seed,
        n_test=n_test,
        pixel_scale=pixel_scale,
        data_dir=data_dir,
        download=download,
        verify=verify,
        test_subset=test_subset,
        roots=roots,
        name=name,
    )
    return dataclasses.replace(ds, meta={**ds.meta, "paper": spec.paper, "description": spec.description})


def balanced_subset(y: Array, n_test: int, rule: TestSubset, rng: np.random.Generator) -> Array:
    """Indices (sorted) of a balanced ``n_test``-point subset of the ten-class labels ``y``.

    ``n_test`` must be a multiple of the number of classes ``C`` present; each class gives
    ``n_test / C`` points: its first ones in file order (``"first-per-class"``, as paper 2 picks
    its test points) or a uniformly random choice drawn from ``rng`` (``"stratified"``, the
    default of :func:`load_problem`; balanced here since the classes are). Either way the subset
    keeps the original order.
    """
    classes = np.unique(y)
    if not is_int(n_test) or n_test < classes.size or n_test % classes.size:
        raise ValueError(f"n_test of a {classes.size}-class problem must be a positive multiple of "
                         f"{classes.size} (a balanced subset), got {n_test!r}")
    if rule not in ("stratified", "first-per-class"):
        raise ValueError(f"test_subset must be 'stratified' or 'first-per-class', got {rule!r}")
    per = int(n_test) // classes.size
    parts = []
    for c in classes:
        idx = np.flatnonzero(y == c)
        if idx.size < per:
            raise ValueError(f"class {int(c)} has only {idx.size} test points, {per} per class requested")
        parts.append(idx[:per] if rule == "first-per-class" else rng.choice(idx, size=per, replace=False))
    return np.sort(np.concatenate(parts))


def _load_ten_class(spec: ProblemSpec, *, seed: int, n_test: int | None, pixel_scale: float,
                    data_dir: str | os.PathLike[str] | None, download: bool, verify: bool,
                    test_subset: TestSubset, roots: SearchRoots | None) -> Dataset:
    """All ten classes of MNIST or Fashion-MNIST, in file order, label = original class.

    Read as five class pairs through :func:`~ricci_lit.data.images.load_pair` (same files, same
    checks) and merged back into file order by the pairs' file indices.
    """
    pairs = [(c, load_pair(spec.kind, (c, c + 1), pixel_scale=pixel_scale, data_dir=data_dir, download=download,
                           verify=verify, roots=roots)) for c in range(0, 10, 2)]

    def merge(split: str) -> tuple[Array, Array, Array]:
        idx = np.concatenate([ds.meta[f"{split}_file_indices"] for _, ds in pairs])
        order = np.argsort(idx, kind="stable")
        x = np.concatenate([getattr(ds, f"x_{split}") for _, ds in pairs])[order]
        y = np.concatenate([c + getattr(ds, f"y_{split}") for c, ds in pairs])[order].astype(np.int64)
        return np.ascontiguousarray(x, dtype=np.float32), y, idx[order]

    x_train, y_train, idx_train = merge("train")
    x_test, y_test, idx_test = merge("test")
    if n_test is not None:
        sub = balanced_subset(y_test, n_test, test_subset, split_streams(seed)[2])
        x_test, y_test, idx_test = x_test[sub], y_test[sub], idx_test[sub]
    first = pairs[0][1].meta
    meta: dict[str, Any] = {
        "problem": spec.name, "kind": spec.kind, "source_dir": first["source_dir"], "files": first["files"],
        "verified_md5": verify, "classes": spec.classes, "class_names": spec.class_names, "n_classes": 10,
        "label_map": {c: c for c in spec.classes}, "pixel_scale": float(pixel_scale), "seed": seed,
        "test_subset": test_subset if n_test is not None else None, "balanced_test": n_test is not None,
        "train_file_indices": idx_train, "test_file_indices": idx_test,
        "paper": spec.paper, "description": spec.description,
    }
    return Dataset(spec.name, x_train, y_train, x_test, y_test, meta)


def load_xy(problem: object, *, n_test: int | None, n_train: int | None, data_seed: int,
            pixel_scale: float, data_dir: str | None = None, training_set: str = DEFAULT_TRAINING_SET
            ) -> tuple[str, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(name, x_train, y_train, x_test, y_test)`` of a problem name or a Dataset.

    With ``n_train`` a deterministic subset of the training set is kept (the same rule as the
    sweeps: the first ``n_train`` of a ``default_rng(data_seed)`` permutation, sorted). Then
    ``training_set`` says which of those points are fitted on
    (:func:`ricci_lit.data.training_sets.select_training_set`: all of them, ``"full"``, or the
    authors' class-sorted Keras ``validation_split``, ``"authors"``).
    """
    check_training_set(training_set)  # before any file is read
    if isinstance(problem, str):
        ds = load_problem(problem, seed=data_seed, n_test=n_test, pixel_scale=pixel_scale, data_dir=data_dir)
    elif isinstance(problem, Dataset):
        ds = problem
        if n_test is not None and n_test != ds.n_test:
            raise ValueError("n_test applies to a problem name only; subset the Dataset yourself")
    else:
        raise ValueError(f"problem must be a problem name or a Dataset, got {type(problem).__name__}")
    x_train = np.asarray(ds.x_train, np.float32)
    y_train = np.asarray(ds.y_train, np.float32)
    if n_train is not None:
        if not is_int(n_train) or n_train < 1:
            raise ValueError(f"n_train must be a positive integer or None, got {n_train!r}")
        if n_train < len(x_train):
            idx = np.sort(np.random.default_rng(data_seed).permutation(len(x_train))[:n_train])
            x_train, y_train = x_train[idx], y_train[idx]
    x_train, y_train = select_training_set(x_train, y_train, training_set)
    return (ds.name, x_train, y_train, np.asarray(ds.x_test, np.float32),
            np.asarray(ds.y_test, np.float32))
