"""The kNN graph as exact arithmetic defines it (issue 12, items 3, 4, 5, 11 and 12's input checks).

Oracles: squared distances in exact rational arithmetic (``fractions.Fraction`` of every float
coordinate), sorted by ``(distance, index)`` in plain Python; never the package's distance code.
"""
from __future__ import annotations

import json
import warnings
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ricci_lit import (
    DegenerateCoefficientWarning,
    TieDecidedWarning,
    geometry_table,
    knn_graph,
    ricci_coefficient,
)
from ricci_lit.geometry._exact import exact_order, exact_sqdist, power_of_two_scale
from ricci_lit.geometry.knn import neighbour_table, tie_decided, validate_points

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# --------------------------------------------------------------------------- exact oracles


def exact_rows(X: np.ndarray) -> list[list[tuple[Fraction, int]]]:
    """Per point, every other point as ``(exact squared distance, index)``, sorted."""
    F = [[Fraction(float(v)) for v in row] for row in np.asarray(X, dtype=np.float64)]
    n = len(F)
    return [sorted((sum((a - b) ** 2 for a, b in zip(F[i], F[j])), j) for j in range(n) if j != i)
            for i in range(n)]


def oracle_edges(rows, k: int, mode: str) -> set[tuple[int, int]]:
    """Union: undirected ``(i < j)`` edges of the k nearest (ties by index); r-compat: directed."""
    out = set()
    for i, cand in enumerate(rows):
        if mode == "union":
            out |= {(min(i, j), max(i, j)) for _, j in cand[:k]}
        else:
            t = cand[k - 1][0]
            out |= {(i, j) for d, j in cand if d <= t}
    return out


def oracle_tie_decided(rows, k: int) -> int:
    return sum(1 for cand in rows if len(cand) > k and cand[k][0] == cand[k - 1][0])


def edges_of(g) -> set[tuple[int, int]]:
    return set(map(tuple, g.edges.tolist()))


def near_duplicate_cloud(seed: int, n_groups: int, size: int, d: int, bits: int) -> np.ndarray:
    """Groups of exact duplicates and points differing from them in the last ``bits`` bits,
    behind some ordinary points (so the translation by ``x_0`` does not help)."""
    rng = np.random.default_rng(seed)
    parts = [rng.standard_normal((3, d)) * 4.0]
    for _ in range(n_groups):
        c = rng.standard_normal(d) * 3.0
        parts.append(np.repeat(c[None], size, axis=0))
        steps = rng.integers(-(2 ** bits), 2 ** bits + 1, size=(size, d))
        parts.append(c + steps * np.spacing(np.abs(c)))
    X = np.vstack(parts)
    return X[rng.permutation(X.shape[0])]


def relu_stack(rng, n=60, width=5, depth=4):
    reps = [rng.standard_normal((n, 3))]
    for _ in range(depth):
        W = rng.standard_normal((reps[-1].shape[1], width))
        reps.append(np.maximum(reps[-1] @ W + rng.standard_normal(width), 0.0))
    return reps


# --------------------------------------------------------------------------- item 3: scale


def test_power_of_two_scale_is_exact(rng):
    X = rng.standard_normal((20, 3)) * 1e5
    S, e = power_of_two_scale(X)
    assert np.abs(S).max() < 1.0 <= 2 * np.abs(S).max()
    assert np.array_equal(np.ldexp(S, e), X)
    Z = np.zeros((3, 2))
    assert power_of_two_scale(Z)[1] == 0


@pytest.mark.parametrize("factor", [2.0 ** -600, 2.0 ** 700, 1e200, 1e-170, 1e300, 3e-300, 0.7])
@pytest.mark.parametrize("mode", ["union", "r-compat"])
def test_graphs_and_rho_do_not_depend_on_scale(rng, factor, mode):
    reps = relu_stack(rng) + [rng.standard_normal((60, 2))]
    ref = ricci_coefficient(reps, 5, mode=mode, warn_collapsed=False)
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # no overflow, no 0/0
        res = ricci_coefficient([X * factor for X in reps], 5, mode=mode, warn_collapsed=False)
    assert res.ric == ref.ric and res.g == ref.g and res.rho == ref.rho
    assert res.n_distinct == ref.n_distinct and res.n_tie_decided == ref.n_tie_decided


def test_issue_example_ratios_are_unchanged(rng):
    # the issue: rho moved at x1e200, and at x1e-170 every layer became one tie-broken graph
    reps = [rng.standard_normal((80, 4)) for _ in range(5)]
    ref = ricci_coefficient(reps, 10)
    assert ref.rho is not None
    for factor in (1e200, 1e-170):
        res = ricci_coefficient([X * factor for X in reps], 10)
        assert res.rho == ref.rho and res.ric == ref.ric
        assert res.n_tie_decided == (0,) * 5 and res.n_distinct == (80,) * 5


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1),
       factor=st.floats(min_value=1e-300, max_value=1e300, allow_nan=False, allow_infinity=False))
def test_scale_invariance_property(seed, factor):
    X = np.random.default_rng(seed).standard_normal((25, 3))
    for mode in ("union", "r-compat"):
        a = knn_graph(X, 4, mode)
        b = knn_graph(X * factor, 4, mode)
        assert edges_of(a) == edges_of(b)


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), e=st.integers(-1000, 1000))
def test_power_of_two_factors_give_identical_tables(seed, e):
    X = np.random.default_rng(seed).standard_normal((20, 2))
    a = neighbour_table(X, 5)
    b = neighbour_table(np.ldexp(X, e), 5)
    assert np.array_equal(a.indices, b.indices) and np.array_equal(a.rank, b.rank)
    assert np.array_equal(a.sqdist, b.sqdist) and b.scale_exponent == a.scale_exponent + e


def test_non_finite_input_is_still_an_error():
    X = np.ones((5, 2))
    X[1, 0] = np.inf
    with pytest.raises(ValueError, match="NaN or inf"):
        knn_graph(X, 2)
    with pytest.raises(ValueError, match="NaN or inf"), np.errstate(over="ignore"):
        knn_graph(np.full((5, 2), 1e308) * 10, 2)


# --------------------------------------------------------------------------- item 4: exact ties


def test_exact_sqdist_and_order_against_fractions(rng):
    p = rng.standard_normal(3)
    Q = np.vstack([p, p + np.spacing(p), p - 2 * np.spacing(p), rng.standard_normal((4, 3))])
    exact = [sum((Fraction(float(a)) - Fraction(float(b))) ** 2 for a, b in zip(q, p)) for q in Q]
    ints = exact_sqdist(p, Q)
    for a in range(len(Q)):
        for b in range(len(Q)):
            assert (ints[a] < ints[b]) == (exact[a] < exact[b])
    level, _ = exact_order(p, Q)
    for a in range(len(Q)):
        for b in range(len(Q)):
            assert (level[a] < level[b]) == (exact[a] < exact[b])
            assert (level[a] == level[b]) == (exact[a] == exact[b])


def test_issue_case_near_duplicates_are_not_tied():
    # last-bit neighbours of duplicated points, away from x_0: the Gram form gives them distance 0
    X = near_duplicate_cloud(3, n_groups=2, size=5, d=4, bits=2)
    rows = exact_rows(X)
    for mode in ("union", "r-compat"):
        for k in (2, 4, 6, 9):
            assert edges_of(knn_graph(X, k, mode)) == oracle_edges(rows, k, mode)


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), n_groups=st.integers(1, 3), size=st.integers(2, 5),
       d=st.integers(1, 4), bits=st.integers(0, 3), k=st.integers(1, 8))
def test_exact_tie_rule_on_near_duplicates(seed, n_groups, size, d, bits, k):
    X = near_duplicate_cloud(seed, n_groups, size, d, bits)
    k = min(k, X.shape[0] - 1)
    rows = exact_rows(X)
    for mode in ("union", "r-compat"):
        g = knn_graph(X, k, mode)
        assert edges_of(g) == oracle_edges(rows, k, mode)
    assert knn_graph(X, k).n_tie_decided == oracle_tie_decided(rows, k)
    for engine in ("numpy", "numba"):
        t = neighbour_table(X, k, engine=engine, block_rows=4)
        assert tie_decided(t, k).sum() == oracle_tie_decided(rows, k)


def test_ordinary_data_tables_are_the_gram_form(rng):
    # tie-free data: no row is re-decided, so the stored distances are the Gram-form floats
    X = rng.standard_normal((120, 6))
    t = neighbour_table(X, 10)
    Xs = np.ldexp(X - X[0], -t.scale_exponent)
    n2 = np.einsum("ij,ij->i", Xs, Xs)
    rows = np.repeat(np.arange(120), np.diff(t.indptr))
    gram = np.maximum((n2[rows] + n2[t.indices]) - 2.0 * np.einsum("ij,ij->i", Xs[rows], Xs[t.indices]), 0)
    np.testing.assert_allclose(t.sqdist, gram, rtol=1e-12)
    assert np.array_equal(np.diff(t.indptr), np.full(120, 10))


# --------------------------------------------------------------------------- item 5: ties by order


def test_integer_data_count_and_warn_tie_decided_layers(rng):
    n = 40
    reps = [rng.standard_normal((n, 3)), rng.integers(0, 3, size=(n, 4)).astype(np.uint8),
            rng.standard_normal((n, 2)), (rng.random((n, 5)) > 0.5)]
    with pytest.warns(TieDecidedWarning) as rec:
        res = ricci_coefficient(reps, 5)
    msgs = [str(w.message) for w in rec if issubclass(w.category, TieDecidedWarning)]
    assert res.n_tie_decided[0] == 0 and res.n_tie_decided[2] == 0
    assert res.n_tie_decided[1] > 0 and res.n_tie_decided[3] > 0
    assert res.tie_decided_layers == [1, 3]
    assert len(msgs) == 2 and "representation 1" in msgs[0] and "representation 3" in msgs[1]
    assert f"{res.n_tie_decided[1]} of {n} points" in msgs[0]
    for i, X in enumerate(reps):
        assert res.n_tie_decided[i] == oracle_tie_decided(exact_rows(X), 5)
    d = json.loads(json.dumps(res.to_dict()))
    assert d["n_tie_decided"] == list(res.n_tie_decided) and d["tie_decided_layers"] == [1, 3]
    df = geometry_table(reps, [2, 5])
    assert df.loc[df.k == 5, "n_tie_decided"].tolist() == list(res.n_tie_decided)
    # r-compat keeps every tied candidate: no neighbourhood depends on the order of the points
    assert ricci_coefficient(reps, 5, mode="r-compat").n_tie_decided == (0, 0, 0, 0)


def test_no_tie_warning_on_tie_free_data(rng):
    reps = [rng.standard_normal((30, 3)) for _ in range(4)]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = ricci_coefficient(reps, 4)
    assert res.n_tie_decided == (0, 0, 0, 0) and res.tie_decided_layers == []


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), k=st.integers(1, 6), mode=st.sampled_from(["union", "r-compat"]))
def test_rho_is_permutation_invariant_on_tie_free_data(seed, k, mode):
    rng = np.random.default_rng(seed)
    reps = [rng.standard_normal((20, d)) for d in (3, 2, 4, 2)]
    perm = rng.permutation(20)
    a = ricci_coefficient(reps, k, mode=mode)
    b = ricci_coefficient([X[perm] for X in reps], k, mode=mode)
    assert a.n_tie_decided == b.n_tie_decided == (0, 0, 0, 0)
    assert a.ric == b.ric and a.g == b.g and a.rho == b.rho


# --------------------------------------------------------------------------- item 11: two points


def test_three_representations_flag_a_degenerate_rho(rng):
    reps = [rng.standard_normal((30, 3)) for _ in range(3)]
    with pytest.warns(DegenerateCoefficientWarning, match="two points"):
        res = ricci_coefficient(reps, 4)
    assert res.degenerate and res.rho in (-1.0, 1.0)
    assert res.to_dict()["degenerate"] is True
    with warnings.catch_warnings():
        warnings.simplefilter("error", DegenerateCoefficientWarning)
        four = ricci_coefficient(reps + [rng.standard_normal((30, 2))], 4)
    assert not four.degenerate and four.to_dict()["degenerate"] is False


# --------------------------------------------------------------------------- item 12: input checks


def test_time_data_are_refused():
    for arr in (np.arange(12, dtype="timedelta64[s]").reshape(6, 2),
                np.arange(12).astype("datetime64[D]").reshape(6, 2)):
        with pytest.raises(ValueError, match="time data"):
            validate_points(arr)


def test_masked_arrays(rng):
    X = rng.standard_normal((10, 2))
    masked = np.ma.masked_array(X, mask=np.zeros_like(X, dtype=bool))
    masked[3, 1] = np.ma.masked
    with pytest.raises(ValueError, match="masked array with 1 masked entries"):
        knn_graph(masked, 3)
    clean = np.ma.masked_array(X, mask=False)
    assert edges_of(knn_graph(clean, 3)) == edges_of(knn_graph(X, 3))


def test_none_is_a_clear_error():
    with pytest.raises(ValueError, match="expected a sequence of representations, got NoneType"):
        ricci_coefficient(None, 3)
    with pytest.raises(ValueError, match="got None"):
        validate_points(None)
    with pytest.raises(ValueError, match="got int"):
        ricci_coefficient(5, 3)


def test_pandas_missing_values_are_named(rng):
    df = pd.DataFrame({"a": pd.array([1, 2, None, 4, 5, 6], dtype="Int64"), "b": [1.0] * 6})
    with pytest.raises(ValueError, match=r"missing value \(NA\) in 1 row"):
        validate_points(df)
    with pytest.raises(ValueError, match=r"missing value \(NA\)"):
        validate_points(pd.Series([1.0, pd.NA, 3.0]))
    with pytest.raises(ValueError, match="non-numeric"):
        validate_points(np.array([["a", "b"]] * 4, dtype=object))
