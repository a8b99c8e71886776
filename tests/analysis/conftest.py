"""Hand-made paper-1 results with known answers, shared by the analysis tests (series, heatmap,
verdicts).

Two result sets: a *small* one (two problems, a few networks, like the quick profile), on which
every design-level target must be "not computed in this profile", and the *full design* (7 problems
× 6 architectures × 36 seeds = 1,512 networks at the paper profile's settings) with built-in answers:
10 % of networks below threshold, 10 % of the rest disconnected, curvature and distance change
strongly anti-correlated at a k inside the paper's best-k range and positively correlated at a k
outside it, and the paper's trends (synthetic: Ric falls, η rises; real: the opposite).
"""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from ricci_lit.analysis import paper1, targets
from ricci_lit.data.problems import PAPER1_PROBLEMS, WELL_TRAINED_THRESHOLD
from ricci_lit.experiments.paper1 import get_profile
from ricci_lit.networks.mlp import ARCHITECTURES

SYN = ("A", "B", "C")


#: per problem: (k inside the paper's best-k range, k outside it) on the paper's test sizes
K_PAIR = {"A": (50, 150), "B": (8, 30), "C": (20, 150), "mnist-1v7": (400, 50), "mnist-6v8": (400, 50),
          "fmnist-5v9": (300, 50), "fmnist-6v4": (300, 50)}


def _network_rows(rng, problem, arch, seed, ks, *, n_test, accuracy, disconnected, noise=0.05):
    L = len(ARCHITECTURES[arch])
    width, depth = arch.split("-")
    net = {"problem": problem, "architecture": arch, "seed": seed, "n_hidden": L, "width": width,
           "depth": depth, "test_accuracy": accuracy, "n_test": n_test}
    sign = -1.0 if problem in SYN else 1.0  # synthetic: Ric falls with depth; real: Ric rises
    rows = []
    for k, slope in zip(ks, (-1.0, +1.0)):  # anti-correlated at the first k, correlated at the second
        layers = np.arange(L + 2, dtype=float)
        ric = -5000.0 + sign * 300.0 * layers + rng.normal(0.0, 30.0, L + 2)
        eta = slope * 2.0 * (ric - ric.mean()) + rng.normal(0.0, noise * 600.0, L + 2)
        g = 1e6 + np.r_[0.0, np.cumsum(eta[:-1])]
        if disconnected:
            g[2] = np.inf
        for layer in range(L + 2):
            rows.append({"problem": problem, "architecture": arch, "seed": seed, "layer": layer, "k": int(k),
                         "ric": ric[layer], "g": g[layer], "connected": bool(np.isfinite(g[layer]))})
    return net, rows


def make_results(problems, archs, n_seeds, *, seed=3):
    rng = np.random.default_rng(seed)
    nets, geo = [], []
    for problem in problems:
        thr = WELL_TRAINED_THRESHOLD[problem]
        for arch in archs:
            for s in range(n_seeds):
                below = s % 10 == 0           # 10 % below threshold
                disconnected = s % 10 == 1    # 10 % of the rest (1 in 9 ≈ 11 %) disconnected
                acc = thr - 0.02 if below else thr + 0.001 + 0.008 * rng.random()
                net, rows = _network_rows(rng, problem, arch, s, K_PAIR[problem], n_test=targets.PAPER1_TEST_SIZES[problem],
                                          accuracy=acc, disconnected=disconnected)
                nets.append(net)
                geo.extend(rows)
    return pd.DataFrame(nets), pd.DataFrame(geo)


@pytest.fixture(scope="module")
def full():
    nets, geo = make_results(PAPER1_PROBLEMS, tuple(ARCHITECTURES), 36)
    rep = paper1.report(nets, geo, dict(WELL_TRAINED_THRESHOLD))
    manifest = {"profile": "paper", "settings": get_profile("paper").settings()}
    return rep, geo, manifest


@pytest.fixture(scope="module")
def small():
    nets, geo = make_results(("A", "fmnist-5v9"), ("narrow-shallow", "wide-deep"), 4)
    import statsmodels.formula.api  # noqa: F401  (imported first: it installs its own warning filters)

    with warnings.catch_warnings():  # 8 networks: the regression's design matrix is rank-deficient
        warnings.simplefilter("ignore")
        rep = paper1.report(nets, geo, dict(WELL_TRAINED_THRESHOLD))
    manifest = {"profile": "quick", "settings": get_profile("quick").settings()}
    return rep, geo, manifest
