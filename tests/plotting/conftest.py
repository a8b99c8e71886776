"""Shared fixtures of the plotting tests (non-interactive Agg backend): every test must leave pyplot
without open figures and ``rcParams`` unchanged."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import networkx as nx  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import ricci_lit  # noqa: E402


@pytest.fixture(autouse=True)
def _no_leaks():
    """Every test must leave pyplot without open figures and rcParams unchanged."""
    before = plt.get_fignums()
    rc = dict(matplotlib.rcParams)
    yield
    assert plt.get_fignums() == before
    changed = [k for k, v in matplotlib.rcParams.items() if k in rc and rc[k] != v]
    assert not changed, f"rcParams changed: {changed[:5]}"
    plt.close("all")


@pytest.fixture
def barbell():
    G = nx.barbell_graph(4, 0)
    g = ricci_lit.graph_from_adjacency(G)
    pos = nx.spring_layout(G, seed=0)
    return g, pos, ricci_lit.edge_curvature(g, "forman")


@pytest.fixture
def lattice():
    pts = np.array([[0, 0], [1, 0], [0, 1], [1, 1], [2, 1], [2, 2]], dtype=float)
    return pts, ricci_lit.knn_graph(pts, 2), ricci_lit.knn_graph(pts, 2, mode="r-compat")
