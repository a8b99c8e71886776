"""Tests of ricci_lit.analysis.heatmap: the Fig. 3 matrix, its clustering, best-k fractions."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ricci_lit.analysis import heatmap


def test_adjusted_rand_index_against_sklearn():
    from sklearn.metrics import adjusted_rand_score

    rng = np.random.default_rng(0)
    for _ in range(20):
        a = rng.integers(0, 3, 15)
        b = rng.integers(0, 4, 15)
        assert heatmap.adjusted_rand_index(a, b) == pytest.approx(adjusted_rand_score(a, b))
    assert heatmap.adjusted_rand_index([0, 0, 1, 1], ["x", "x", "y", "y"]) == pytest.approx(1.0)
    with pytest.raises(ValueError):
        heatmap.adjusted_rand_index([0, 1], [0])


def test_cluster_columns_fills_nan_for_the_distance_only():
    m = pd.DataFrame({"a1": [-0.5, -0.4, np.nan], "b1": [0.5, 0.6, 0.7], "a2": [-0.5, -0.45, 0.0],
                      "b2": [0.4, 0.6, 0.8]}, index=[5, 10, 20])
    c = heatmap.cluster_columns(m)
    assert c.nan_filled == 1 and np.isnan(m.loc[20, "a1"])  # the matrix is not changed
    assert sorted(c.order) == sorted(m.columns)
    pos = {col: i for i, col in enumerate(c.order)}
    assert abs(pos["a1"] - pos["a2"]) == 1 and abs(pos["b1"] - pos["b2"]) == 1
    one = heatmap.cluster_columns(m[["a1"]])
    assert one.linkage is None and one.order == ["a1"]
    cols = pd.DataFrame({"label": list(m.columns), "problem": ["a", "b", "a", "b"]})
    agree = heatmap.clustering_agreement(m, cols, "problem")
    assert agree["ari"] == pytest.approx(1.0)
    lonely = heatmap.clustering_agreement(m[["a1", "b1"]], cols, "problem")
    assert lonely["ari"] is None and "≥ 2" in lonely["reason"]


def test_aggregated_matrix_and_best_k_fractions(small):
    rep, _, _ = small
    m, cols = heatmap.aggregated_matrix(rep, ["A"])
    assert list(m.index) == [50, 150] and list(m.columns) == list(cols["label"])  # K_PAIR["A"] of conftest
    for _, r in rep.aggregated[rep.aggregated.problem == "A"].iterrows():
        assert m.loc[r["k"], f"A · {r['architecture']}"] == pytest.approx(r["aggregated"])
    bk = heatmap.best_k_fractions(rep)
    a = bk[bk.problem == "A"].iloc[0]
    assert a["best_k"] == 50 and a["fraction"] == pytest.approx(50 / 1000) and a["in_range"]
    assert a["paper_lo"] == pytest.approx(0.03) and a["hi"] == pytest.approx(0.10 * 1.25)
