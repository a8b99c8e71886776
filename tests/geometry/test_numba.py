"""The compiled kernels (numba) and their NumPy twins give identical results."""
import numpy as np
import pytest

from ricci_lit.geometry._numba import HAVE_NUMBA, resolve_engine
from ricci_lit.geometry.distances import hop_distance_matrix, hop_distance_totals
from ricci_lit.geometry.knn import _prepare, knn_graph, neighbour_table

pytestmark = pytest.mark.skipif(not HAVE_NUMBA, reason="numba is not installed")


def _clouds():
    rng = np.random.default_rng(7)
    yield "gaussian", rng.normal(size=(260, 5))
    yield "integer grid (ties)", np.round(rng.normal(size=(240, 2)) * 2)
    yield "all identical", np.zeros((70, 3))
    yield "half collapsed", np.vstack([np.zeros((60, 4)), rng.normal(size=(140, 4))])
    yield "far from origin", rng.normal(size=(150, 3)) + 1e6
    yield "one dimension", rng.normal(size=(200, 1))


@pytest.mark.parametrize("name,X", list(_clouds()), ids=[c[0] for c in _clouds()])
@pytest.mark.parametrize("k", [1, 4, 33])
def test_neighbour_tables_agree(name, X, k):
    a = neighbour_table(X, k, engine="numpy")
    b = neighbour_table(X, k, engine="numba")
    assert np.array_equal(a.indptr, b.indptr)
    assert np.array_equal(a.indices, b.indices)
    assert np.array_equal(a.rank, b.rank)
    # each thread forms its own rows of the Gram product, which BLAS may round differently in the
    # last bit (neighbour_table, note 4): a stored distance moves by at most its rounding bound
    np.testing.assert_allclose(a.sqdist, b.sqdist, rtol=0, atol=2.0 * _prepare(X).err.max())


@pytest.mark.parametrize("name,X", list(_clouds()), ids=[c[0] for c in _clouds()])
@pytest.mark.parametrize("k", [1, 3, 20])
@pytest.mark.parametrize("mode", ["union", "r-compat"])
def test_distances_agree(name, X, k, mode):
    g = knn_graph(X, k, mode)
    assert hop_distance_totals(g, engine="numpy") == hop_distance_totals(g, engine="numba")
    assert np.array_equal(hop_distance_matrix(g, engine="numpy"), hop_distance_matrix(g, engine="numba"))


def test_many_source_blocks(monkeypatch):
    """Force several source blocks in the compiled BFS (the block size is a memory bound)."""
    import ricci_lit.geometry.distances as geo

    rng = np.random.default_rng(3)
    g = knn_graph(rng.normal(size=(300, 3)), 4)
    whole = hop_distance_totals(g, engine="numba")
    monkeypatch.setattr(geo, "_GATHER_BYTES", 3 * 8 * 300)  # one 64-source word per block
    assert len(geo._numba_blocks(g.adjacency)) == 5
    assert hop_distance_totals(g, engine="numba") == whole
    assert np.array_equal(hop_distance_matrix(g, engine="numba"), hop_distance_matrix(g, engine="numpy"))


def test_engine_names():
    assert resolve_engine("auto") == "numba"
    assert resolve_engine("numpy") == "numpy"
    with pytest.raises(ValueError, match="engine"):
        resolve_engine("fortran")
