r"""Seeded generators of the synthetic problems of paper 1 (A, B, C) and paper 2 (syn-1 … syn-4).

Paper 1 publishes no generator, only a picture (its Fig. 2A), so the generators of A, B and C are
ours (paper-notes §2, *Decision*); their equations are in the docstrings of :func:`make_swiss_rolls`,
:func:`make_blobs_in_cube` and :func:`make_sine_sheets`. Paper 2's four sets (paper-details §5.5)
are numpy re-implementations. Every generator is ``f(n, rng, **params) -> (X float64 [n, d],
y int64 [n])``, a pure function of the generator state; the registry
(:data:`ricci_lit.data.problems.PROBLEMS`) holds the parameters the papers use.

Imports numpy and scipy only.
"""

from __future__ import annotations

from typing import Any, Final

import numpy as np
from scipy.special import ndtr

__all__ = [
    "B_CENTRES",
    "B_SEMI_AXES",
    "blob_quadratic_forms",
    "make_blobs_in_cube",
    "make_circles",
    "make_cylinders",
    "make_four_disks",
    "make_linked_tori",
    "make_sine_sheets",
    "make_swiss_rolls",
    "sheets_bayes_accuracy",
    "sheets_bayes_predict",
]

Array = np.ndarray


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
    X : numpy.ndarray
        ``float64 [n, 3]``, the points.
    y : numpy.ndarray
        ``int64 [n]``, the labels 0/1.
    """
    c = _balanced_labels(n, rng)
    t = np.sqrt(t_min**2 + rng.random(n) * (t_max**2 - t_min**2))
    h = rng.uniform(-half_height, half_height, n)
    r = t / t_max
    theta = t + np.pi * c
    X = np.column_stack([r * np.cos(theta), r * np.sin(theta), h])
    X = X + noise * rng.standard_normal((n, 3))
    return X, c


B_CENTRES: Final = ((-0.45, -0.15, 0.0), (0.5, 0.2, 0.0))
B_SEMI_AXES: Final = ((0.4, 0.7, 0.6), (0.35, 0.6, 0.75))


def blob_quadratic_forms(
    X: Array,
    centres: tuple[tuple[float, float, float], ...] = B_CENTRES,
    semi_axes: tuple[tuple[float, float, float], ...] = B_SEMI_AXES,
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
    numpy.ndarray
        ``float64 [n, n_ellipsoids]``.
    """
    m = np.asarray(centres, dtype=np.float64)
    a = np.asarray(semi_axes, dtype=np.float64)
    return ((((np.asarray(X, dtype=np.float64)[:, None, :] - m[None]) / a[None]) ** 2).sum(-1))


def make_blobs_in_cube(
    n: int,
    rng: np.random.Generator,
    *,
    centres: tuple[tuple[float, float, float], ...] = B_CENTRES,
    semi_axes: tuple[tuple[float, float, float], ...] = B_SEMI_AXES,
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
    X : numpy.ndarray
        ``float64 [n, 3]``, the points.
    y : numpy.ndarray
        ``int64 [n]``, the labels 0/1.
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
    X : numpy.ndarray
        ``float64 [n, 3]``, the points.
    y : numpy.ndarray
        ``int64 [n]``, the labels 0/1.
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
    numpy.ndarray
        ``int64 [n]``.
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
    X : numpy.ndarray
        ``float64 [n, 2]``, the points.
    y : numpy.ndarray
        ``int64 [n]``, the labels 0/1.
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
    X : numpy.ndarray
        ``float64 [n, 2]``, the points.
    y : numpy.ndarray
        ``int64 [n]``, the labels 0/1.
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
    X : numpy.ndarray
        ``float64 [n, 3]``, the points.
    y : numpy.ndarray
        ``int64 [n]``, the labels 0/1.
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
    X : numpy.ndarray
        ``float64 [n, 3]``, the points.
    y : numpy.ndarray
        ``int64 [n]``, the labels 0/1.
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
