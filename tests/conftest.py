"""Shared fixtures of the geometry test suite (graphs, curvature, geodesics, flow, accel, CLI).

Everything here is an *oracle* or test data built without the package: brute-force kNN
graphs from a full distance matrix, hop distances from networkx, and a few named small
graphs. Tests compare the package against these.
"""
from __future__ import annotations

import networkx as nx
import numpy as np
import pytest


def _sqdist(X: np.ndarray) -> np.ndarray:
    """Squared Euclidean distances by explicit differences (not the ‖u‖²+‖v‖²−2u·v trick)."""
    X = np.asarray(X, dtype=np.float64)
    if X.ndim == 1:
        X = X[:, None]
    diff = X[:, None, :] - X[None, :, :]
    return (diff * diff).sum(axis=2)


def _pairwise_dist(X: np.ndarray) -> np.ndarray:
    """Full Euclidean distance matrix (sqrt is monotone, so ties and order are kept)."""
    return np.sqrt(_sqdist(X))


def _brute_knn_union(X: np.ndarray, k: int) -> nx.Graph:
    """Union kNN graph: each point's k nearest by (distance, index), symmetrised; a networkx graph."""
    D = _sqdist(X)
    n = D.shape[0]
    G = nx.Graph()
    G.add_nodes_from(range(n))
    for i in range(n):
        cand = sorted((D[i, j], j) for j in range(n) if j != i)
        for _, j in cand[:k]:
            G.add_edge(i, j)
    return G


def _nx_dist_matrix(G: nx.Graph, n: int | None = None) -> np.ndarray:
    """All-pairs hop distances from networkx, −1 for unreachable pairs, nodes 0..n−1."""
    n = G.number_of_nodes() if n is None else n
    D = np.full((n, n), -1, dtype=np.int64)
    for s, lengths in nx.all_pairs_shortest_path_length(G):
        for t, d in lengths.items():
            D[s, t] = d
    return D


def _r_compat_oracle(X: np.ndarray, k: int):
    """A plain-Python transcription of cccd::nng(k) + igraph as the R code uses them.

    For each i: sort the row of the distance matrix, drop its smallest entry (the point itself,
    distance 0), d_k = the k-th smallest of the rest; a directed edge i→j for every j ≠ i with
    dist ≤ d_k. degree = in + out (igraph mode="all"); Ric = Σ over directed edges of
    4 − D_i − D_j; hop distances ignore direction; g = Σ over ordered pairs.
    """
    D = _pairwise_dist(X)
    n = D.shape[0]
    directed = []
    for i in range(n):
        row = sorted(D[i])
        rest = row[1:]
        d_k = rest[k - 1]
        for j in range(n):
            if j != i and D[i, j] <= d_k:
                directed.append((i, j))
    deg = [0] * n
    for i, j in directed:
        deg[i] += 1
        deg[j] += 1
    ric = sum(4 - deg[i] - deg[j] for i, j in directed)
    U = nx.Graph()
    U.add_nodes_from(range(n))
    U.add_edges_from(directed)
    if nx.is_connected(U):
        g = float(sum(sum(d.values()) for _, d in nx.all_pairs_shortest_path_length(U)))
    else:
        g = float("inf")
    return directed, deg, ric, g


@pytest.fixture
def r_compat_oracle():
    return _r_compat_oracle


@pytest.fixture
def pairwise_dist():
    return _pairwise_dist


@pytest.fixture
def brute_knn_union():
    return _brute_knn_union


@pytest.fixture
def nx_dist_matrix():
    return _nx_dist_matrix


@pytest.fixture
def rng():
    return np.random.default_rng(20240422)


@pytest.fixture
def named_graphs() -> dict[str, nx.Graph]:
    """Small graphs with known curvatures, nodes relabelled 0..n−1."""
    graphs = {
        "cycle6": nx.cycle_graph(6),
        "cycle9": nx.cycle_graph(9),
        "complete5": nx.complete_graph(5),
        "star6": nx.star_graph(6),          # centre 0 and 6 leaves
        "grid4x5": nx.grid_2d_graph(4, 5),
        "barbell4": nx.barbell_graph(4, 0),  # two K4 joined by one bridge
        "petersen": nx.petersen_graph(),
        "karate": nx.karate_club_graph(),
    }
    return {name: nx.convert_node_labels_to_integers(G, ordering="sorted") for name, G in graphs.items()}


@pytest.fixture
def layered_reps(rng) -> list[np.ndarray]:
    """Five well-separated random 'representations' of 60 points (a connected kNN graph at k=6)."""
    n = 60
    X0 = rng.normal(size=(n, 4))
    reps = [X0]
    for d in (6, 5, 3, 2):
        W = rng.normal(size=(reps[-1].shape[1], d))
        reps.append(np.maximum(reps[-1] @ W, 0.0) + 0.05 * rng.normal(size=(n, d)))
    return reps


@pytest.fixture
def one_torch_thread():
    """Run a test with one torch thread (tiny batched matmuls are much faster single-threaded,
    especially on a shared machine); the previous count is restored. Modules that train or
    evaluate networks use it for every test: ``pytestmark = pytest.mark.usefixtures("one_torch_thread")``."""
    import torch

    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)
