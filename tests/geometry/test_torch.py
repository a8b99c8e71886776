"""The torch path of geometry_table gives the same totals as the NumPy path (CPU here)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

torch = pytest.importorskip("torch")

from ricci_lit import geometry_table  # noqa: E402  # noqa: E402
from ricci_lit.geometry._torch import geometry_table_torch, resolve_device  # noqa: E402

COLUMNS = ["layer", "k", "ric", "g", "g_finite", "connected", "n_components", "n_edges",
           "n_distinct", "collapsed", "diameter", "n_tie_decided"]


@pytest.fixture(autouse=True)
def _one_thread():
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)


def _datasets(seed: int = 0):
    rng = np.random.default_rng(seed)
    n = 48
    random = [rng.normal(size=(n, 3)), rng.normal(size=(n, 5)) * 3.0, rng.normal(size=(n, 2))]
    ints = [rng.integers(0, 4, size=(n, 2)).astype(float),            # heavy ties
            np.repeat(rng.integers(0, 6, size=(n // 4, 3)), 4, axis=0).astype(float),  # duplicates
            np.zeros((n, 4)),                                       # a collapsed layer
            np.vstack([rng.normal(size=(n // 2, 2)), rng.normal(size=(n // 2, 2)) + 60.0])]  # disconnected
    return {"random": random, "ties": ints}


DATA = _datasets()


def _compare(a: pd.DataFrame, b: pd.DataFrame):
    a = a[COLUMNS].reset_index(drop=True)
    b = b[COLUMNS].reset_index(drop=True)
    assert a[["layer", "k"]].values.tolist() == b[["layer", "k"]].values.tolist()
    for col in COLUMNS:
        left, right = a[col].to_numpy(), b[col].to_numpy()
        if col in ("ric", "g"):
            np.testing.assert_array_equal(left.astype(float), right.astype(float), err_msg=col)
        else:
            assert left.tolist() == right.tolist(), col


@pytest.mark.parametrize("data", list(DATA))
@pytest.mark.parametrize("mode", ["union", "r-compat"])
@pytest.mark.parametrize("curvature", ["forman", "augmented-forman"])
def test_torch_cpu_equals_numpy(data, mode, curvature):
    reps = DATA[data]
    ks = [1, 3, 7]
    ref = geometry_table(reps, ks, curvature=curvature, mode=mode)
    got = geometry_table(reps, ks, curvature=curvature, mode=mode, backend="torch", device="cpu")
    _compare(ref, got)


def test_torch_table_sees_collapsed_and_disconnected_layers():
    reps = DATA["ties"]
    df = geometry_table(reps, [3], backend="torch", device="cpu")
    by_layer = df.set_index("layer")
    assert bool(by_layer.loc[2, "collapsed"]) and int(by_layer.loc[2, "n_distinct"]) == 1
    assert not bool(by_layer.loc[3, "connected"]) and int(by_layer.loc[3, "n_components"]) == 2
    assert by_layer.loc[3, "g"] == float("inf")


def test_torch_backend_direct_call_matches():
    reps = DATA["random"]
    a = geometry_table_torch(reps, [2, 4], device="cpu")
    b = geometry_table(reps, [2, 4])
    _compare(b, a)


@pytest.mark.parametrize("curvature", ["approx-ollivier", "ollivier"])
def test_torch_backend_rejects_other_curvatures(curvature):
    with pytest.raises(ValueError, match="numpy"):
        geometry_table(DATA["random"], [2], curvature=curvature, backend="torch", device="cpu")


def test_unknown_curvature_rejected_before_backend():
    with pytest.raises(ValueError, match="curvature"):
        geometry_table(DATA["random"], [2], curvature="bogus", backend="torch", device="cpu")


@pytest.mark.skipif(torch.cuda.is_available(), reason="a CUDA device is present")
def test_cuda_without_gpu_is_a_value_error():
    with pytest.raises(ValueError, match="cuda"):
        geometry_table(DATA["random"], [2], backend="torch", device="cuda")
    with pytest.raises(ValueError):
        resolve_device("cuda:0")
    assert resolve_device("auto").type == "cpu"
    assert resolve_device("cpu").type == "cpu"


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
@pytest.mark.parametrize("mode", ["union", "r-compat"])
def test_cuda_equals_numpy(mode):  # pragma: no cover - run on GPU machines only
    for reps in DATA.values():
        ref = geometry_table(reps, [1, 3, 7], curvature="augmented-forman", mode=mode)
        got = geometry_table(reps, [1, 3, 7], curvature="augmented-forman", mode=mode,
                             backend="torch", device="cuda")
        _compare(ref, got)


def _near_duplicates(seed: int, d: int) -> np.ndarray:
    """Groups of exact duplicates and points differing from them in the last bits (where the
    Gram form rounds their distances to 0 or to each other), behind a few ordinary points."""
    rng = np.random.default_rng(seed)
    parts = [rng.standard_normal((4, d)) * 4.0]
    for _ in range(3):
        c = rng.standard_normal(d) * 3.0
        parts.append(np.repeat(c[None], 4, axis=0))
        parts.append(c + rng.integers(-4, 5, size=(6, d)) * np.spacing(np.abs(c)))
    X = np.vstack(parts)
    return X[rng.permutation(X.shape[0])]


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("mode", ["union", "r-compat"])
def test_torch_path_decides_near_ties_exactly(seed, mode):
    """Issue 12, item 4, on the torch path: near duplicates give the NumPy path's (exact) graphs,
    totals and tie counts."""
    reps = [_near_duplicates(seed, d) for d in (2, 3, 5)]
    ks = [1, 2, 4, 6]
    ref = geometry_table(reps, ks, mode=mode)
    got = geometry_table(reps, ks, mode=mode, backend="torch", device="cpu")
    _compare(ref, got)
    assert ref["n_tie_decided"].sum() > 0 or mode == "r-compat"


def test_torch_path_reselects_flagged_rows(monkeypatch):
    """The rows the Gram form cannot order are sent to the exact re-selection (and only those
    rows change)."""
    import ricci_lit.geometry._torch as tmod

    calls = []
    real = tmod.resolve_block
    monkeypatch.setattr(tmod, "resolve_block", lambda *a, **kw: calls.append(a[4]) or real(*a, **kw))
    X = _near_duplicates(0, 3)
    tmod._sorted_neighbours(X, torch.device("cpu"), 4)
    assert calls  # near duplicates need it
    calls.clear()
    tmod._sorted_neighbours(np.random.default_rng(1).standard_normal((40, 3)), torch.device("cpu"), 4)
    assert not calls  # ordinary data do not
