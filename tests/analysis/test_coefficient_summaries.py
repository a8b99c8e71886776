"""Tests of ricci_lit.analysis.coefficients: summaries, sign agreement, mode agreement."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ricci_lit.analysis.coefficients import (
    mode_agreement,
    same_sign,
    sign_agreement,
    summarise_coefficients,
)


def _hand_networks():
    rows = []
    rho = {("untrained", "forman"): [-0.5, -0.2, 0.1, np.nan],
           ("untrained", "approx-ollivier"): [-0.4, 0.3, 0.2, -0.1],
           ("trained", "forman"): [-0.9, -0.8, -0.7, -0.6],
           ("trained", "approx-ollivier"): [-0.3, -0.2, 0.5, -0.1]}
    local = {("untrained", "forman"): [0.01, -0.02, 0.03, 0.0],
             ("untrained", "approx-ollivier"): [0.02, -0.01, 0.0, 0.01],
             ("trained", "forman"): [-0.5, -0.6, -0.4, -0.7],
             ("trained", "approx-ollivier"): [-0.6, -0.5, -0.3, -0.2]}
    for (state, c), values in rho.items():
        for i, v in enumerate(values):
            rows.append({"state": state, "curvature": c, "network": i, "seed": i, "rho": v,
                         "local_mean": local[(state, c)][i], "local_fraction_negative": 0.5,
                         "test_accuracy": 0.5 if state == "untrained" else 0.99})
    return pd.DataFrame(rows)


def test_summarise_coefficients():
    s = summarise_coefficients(_hand_networks()).set_index(["state", "curvature"])
    r = s.loc[("untrained", "forman")]
    assert r["n_networks"] == 4 and r["global_n_defined"] == 3 and r["global_n_negative"] == 2
    assert r["global_fraction_negative"] == pytest.approx(2 / 3)
    assert r["global_mean"] == pytest.approx(np.mean([-0.5, -0.2, 0.1]))
    assert r["global_std"] == pytest.approx(np.std([-0.5, -0.2, 0.1], ddof=1))
    assert r["global_min"] == pytest.approx(-0.5)
    assert r["local_n_negative"] == 1 and r["local_mean"] == pytest.approx(0.005)
    t = s.loc[("trained", "forman")]
    assert t["global_fraction_negative"] == 1.0 and t["test_accuracy_mean"] == pytest.approx(0.99)
    with pytest.raises(ValueError, match="lacks"):
        summarise_coefficients(pd.DataFrame({"rho": [0.1]}))


def test_sign_agreement():
    a = sign_agreement(_hand_networks(), "rho", by=("state",))
    # untrained: network 3 is undefined under Forman; signs agree on 0 and 1? (-,-) yes, (-,+) no, (+,+) yes
    # trained: (-,-) (-,-) (-,+) (-,-) → 3/4; pooled over states: (2 + 3) / (3 + 4)
    assert a.loc["forman", "approx-ollivier"] == pytest.approx(5 / 7)
    assert a.loc["forman", "approx-ollivier"] == a.loc["approx-ollivier", "forman"]
    assert a.loc["forman", "forman"] == 1.0
    with pytest.raises(ValueError, match="lacks"):
        sign_agreement(pd.DataFrame({"rho": [0.1]}))


def _modes_table():
    """Two problems, one curvature, four networks each under two graph modes."""
    union = {"A": [-0.5, -0.2, 0.3, np.nan], "B": [-0.1, -0.2, -0.3, -0.4]}
    rcomp = {"A": [-0.4, 0.1, 0.2, -0.3], "B": [-0.2, 0.2, -0.1, 0.5]}
    rows = []
    for mode, vals in (("union", union), ("r-compat", rcomp)):
        for p, vs in vals.items():
            for seed, v in enumerate(vs):
                rows.append({"problem": p, "architecture": "a", "seed": seed, "network": seed,
                             "curvature": "forman", "mode": mode, "rho_hidden": v})
    return pd.DataFrame(rows)


def test_mode_agreement_by_hand():
    t = mode_agreement(_modes_table()).loc[("A", "forman")]
    # A: network 3 undefined under union; of the other three, signs (-,-) (-,+) (+,+) agree twice
    assert t["networks"] == 3 and t["same sign"] == pytest.approx(2 / 3)
    assert t["negative, union"] == pytest.approx(2 / 3) and t["negative, r-compat"] == pytest.approx(2 / 4)
    b = mode_agreement(_modes_table()).loc[("B", "forman")]
    assert b["networks"] == 4 and b["same sign"] == pytest.approx(2 / 4)


def test_mode_agreement_is_sign_agreement_across_modes():
    table = _modes_table()
    for p, grp in table.groupby("problem"):
        via_sign = sign_agreement(grp, "rho_hidden", by=("problem", "curvature"), across="mode")
        assert mode_agreement(grp).loc[(p, "forman"), "same sign"] == pytest.approx(via_sign.loc["union", "r-compat"])
    with pytest.raises(ValueError, match="mode"):
        mode_agreement(table[table["mode"] == "union"])
    with pytest.raises(ValueError, match="lacks"):
        mode_agreement(table.drop(columns="mode"))


finite = st.floats(-1, 1, allow_nan=False)


@given(st.lists(st.tuples(finite, finite), min_size=1, max_size=30))
def test_same_sign_is_symmetric_and_matches_products(pairs):
    a = np.array([p[0] for p in pairs])
    b = np.array([p[1] for p in pairs])
    s = same_sign(a, b)
    assert np.array_equal(s, same_sign(b, a))
    # away from zero, the same sign means both positive or both negative
    nz = (a != 0) & (b != 0)
    assert np.array_equal(s[nz], ((a > 0) == (b > 0))[nz])


def test_same_sign_bad_inputs():
    assert not same_sign([np.nan], [np.nan])[0]
    with pytest.raises(ValueError, match="equal length"):
        same_sign([1.0, 2.0], [1.0])
