"""Sensitivity of paper 1's headline numbers (:mod:`ricci_lit.analysis.sensitivity`).

Tables are built by hand so that every network's sign of ρ is known in advance (η_l = ∓Ric_l up
to tiny noise), so the counts and the sign agreement are known without the package; the Wilson
interval is checked against statsmodels' ``proportion_confint``.
"""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api  # noqa: F401  (installs its warning filters before the marks below apply)

from ricci_lit.analysis.sensitivity import (
    compare_stores,
    compare_tables,
    sensitivity,
    wilson_interval,
)
from ricci_lit.book import book_sensitivity
from ricci_lit.cli import main
from ricci_lit.data.problems import WELL_TRAINED_THRESHOLD
from ricci_lit.experiments.store import ResultsStore

# two configurations make problem, width and depth collinear in the Table S2 model: statsmodels warns
pytestmark = pytest.mark.filterwarnings("ignore:The design matrix is rank-deficient")

CONFIGS = [("A", "narrow-shallow", 5), ("C", "wide-deep", 11)]
SETTINGS = {"mode": "union", "pixel_scale": 1.0, "k_synthetic": [5, 10]}


def tables(signs: dict[tuple[str, str, int], int], ks=(5, 10), below: set = frozenset(), seed: int = 0):
    """``(networks, geometry)``: network (problem, arch, s) has ρ of sign ``signs[key]`` at every k
    (η_l = −sign·Ric_l + noise); networks in ``below`` are under the accuracy threshold."""
    rng = np.random.default_rng(seed)
    L_of = {(p, a): L for p, a, L in CONFIGS}
    nets, geo = [], []
    for (p, a, s), sign in sorted(signs.items()):
        L = L_of[(p, a)]
        width, depth = a.split("-")
        acc = WELL_TRAINED_THRESHOLD[p] + (-0.05 if (p, a, s) in below else 0.005)
        nets.append(dict(problem=p, architecture=a, seed=s, n_hidden=L, width=width, depth=depth,
                         test_accuracy=acc))
        for k in ks:
            ric = rng.normal(0, 100, L + 2) - 1000
            eta = -sign * (ric - ric.mean()) + rng.normal(0, 1e-3, L + 2)
            g = 10_000 + np.r_[0.0, np.cumsum(eta[:-1])]
            for layer in range(L + 2):
                geo.append(dict(problem=p, architecture=a, seed=s, layer=layer, k=k, ric=ric[layer],
                                g=g[layer], connected=True))
    return pd.DataFrame(nets), pd.DataFrame(geo)


def _signs(seeds=range(6), flip=()):
    """Sign +1 (ρ < 0 by construction: η = −Ric) for every network, −1 for those in ``flip``."""
    return {(p, a, s): (-1 if (p, a, s) in flip else 1) for p, a, _ in CONFIGS for s in seeds}


def test_a_results_compared_with_itself_agree_everywhere():
    t = tables(_signs())
    out = compare_tables(t, t, WELL_TRAINED_THRESHOLD, name="same")
    ref, var = (out.headline.set_index("side").loc[s] for s in ("reference", "variant"))
    for col in ("networks", "kept", "negative", "fraction_negative"):
        assert ref[col] == var[col]
    assert ref["kept"] == 12 and ref["negative"] == 12 and ref["sign_agreement"] == 1.0
    assert (out.headline["accuracy_max_abs_diff"] == 0).all()
    assert (out.configurations["best_k_reference"] == out.configurations["best_k_variant"]).all()
    assert out.ks == {"same": [5, 10]}


def test_counts_and_sign_agreement_match_the_construction():
    flip = {("A", "narrow-shallow", 0), ("A", "narrow-shallow", 1), ("C", "wide-deep", 5)}
    below = {("C", "wide-deep", 4)}
    ref = tables(_signs(), below=below)
    var = tables(_signs(flip=flip), below=below, seed=1)
    out = compare_tables(ref, var, WELL_TRAINED_THRESHOLD, name="v")
    h = out.headline.set_index("side")
    assert h.loc["reference", "kept"] == 11 and h.loc["reference", "negative"] == 11
    assert h.loc["variant", "kept"] == 11 and h.loc["variant", "negative"] == 8
    assert h.loc["variant", "fraction_negative"] == pytest.approx(8 / 11)
    assert h.loc["variant", "sign_agreement"] == pytest.approx(8 / 11)  # 3 of the 11 kept on both flip
    conf = out.configurations.set_index(["problem", "architecture"])
    assert conf.loc[("A", "narrow-shallow"), "sign_agreement"] == pytest.approx(4 / 6)
    assert conf.loc[("C", "wide-deep"), "both_kept"] == 5
    assert conf.loc[("C", "wide-deep"), "negative_variant"] == 4
    assert h.loc["variant", "accuracy_max_abs_diff"] == 0  # same accuracies by construction
    var[0].loc[var[0]["seed"] == 3, "test_accuracy"] += 0.001
    assert compare_tables(ref, var, WELL_TRAINED_THRESHOLD).headline["accuracy_max_abs_diff"].iloc[0] \
        == pytest.approx(0.001)
    lo, hi = wilson_interval(8, 11)
    assert (h.loc["variant", "ci_low"], h.loc["variant", "ci_high"]) == (lo, hi)


def test_only_common_networks_and_common_k_are_compared():
    ref = tables(_signs(seeds=range(0, 6)), ks=(5, 10, 20))
    var = tables(_signs(seeds=range(3, 9)), ks=(10, 20, 40), seed=2)
    out = compare_tables(ref, var, WELL_TRAINED_THRESHOLD, name="v")
    assert (out.headline["networks"] == 6).all()  # seeds 3, 4, 5 of two configurations
    assert out.ks == {"v": [10, 20]}
    assert set(out.configurations["best_k_reference"].dropna()) <= {10, 20}
    assert set(out.configurations["best_k_variant"].dropna()) <= {10, 20}


def test_nothing_in_common_is_an_error():
    a = tables(_signs(seeds=range(3)))
    b = tables(_signs(seeds=range(3, 6)))
    with pytest.raises(ValueError, match="no \\(problem, architecture, seed\\) in common"):
        compare_tables(a, b, WELL_TRAINED_THRESHOLD)
    c = tables(_signs(seeds=range(3)), ks=(7,))
    with pytest.raises(ValueError, match="share no k"):
        compare_tables(a, c, WELL_TRAINED_THRESHOLD)
    with pytest.raises(ValueError, match="must hold networks"):
        compare_tables(a, (a[0].iloc[:0], a[1].iloc[:0]), WELL_TRAINED_THRESHOLD)


@pytest.mark.parametrize("x, n", [(0, 5), (5, 5), (8, 11), (1144, 1227), (1, 2)])
def test_wilson_interval_against_statsmodels(x, n):
    from statsmodels.stats.proportion import proportion_confint

    lo, hi = proportion_confint(x, n, alpha=0.05, method="wilson")
    assert wilson_interval(x, n) == pytest.approx((lo, hi), abs=1e-12)


@pytest.mark.parametrize("args, match", [((1, 0), "at least one"), ((3, 2), "must lie"), ((-1, 2), "must lie")])
def test_wilson_interval_bad_input(args, match):
    with pytest.raises(ValueError, match=match):
        wilson_interval(*args)
    with pytest.raises(ValueError, match="level"):
        wilson_interval(1, 2, level=1.0)


def _store(root, settings, nets, geo):
    store = ResultsStore(root, "paper", dict(settings))
    frame = geo.merge(nets, on=["problem", "architecture", "seed"])
    for (p, a, s), grp in frame.groupby(["problem", "architecture", "seed"]):
        store.write_chunk("network", f"{p}+{a}+s{s}", grp.reset_index(drop=True), {"seed": int(s)})
    return root


def test_stores_record_the_settings_that_differ(tmp_path):
    ref = _store(tmp_path / "paper", SETTINGS, *tables(_signs()))
    flip = {("A", "narrow-shallow", 2)}
    var = _store(tmp_path / "paper-sensitivity-r-compat", dict(SETTINGS, mode="r-compat"),
                 *tables(_signs(seeds=range(3), flip=flip), seed=3))
    out = compare_stores(ref, var)
    assert out.settings == {"paper-sensitivity-r-compat": {"mode": ("union", "r-compat")}}
    assert (out.headline["networks"] == 6).all()
    same = _store(tmp_path / "copy", SETTINGS, *tables(_signs(seeds=range(2))))
    with pytest.raises(ValueError, match="not a variant"):
        compare_stores(ref, same)
    both = sensitivity(ref, {"graph": var, "pix": _store(tmp_path / "pix", dict(SETTINGS, pixel_scale=0.5),
                                                          *tables(_signs(seeds=range(2)), seed=4))})
    assert list(both.headline["variant"].unique()) == ["graph", "pix"]
    assert both.settings["pix"] == {"pixel_scale": (1.0, 0.5)}
    with pytest.raises(ValueError, match="at least one"):
        sensitivity(ref, {})

    found, skipped = book_sensitivity(tmp_path)
    assert skipped == {} and list(found.headline["variant"].unique()) == ["r-compat"]
    assert book_sensitivity(tmp_path / "nowhere") == (None, {})
    # a variant whose sweep has written nothing yet, and one with other networks, are left out
    ResultsStore(tmp_path / "paper-sensitivity-empty", "paper", dict(SETTINGS, pixel_scale=0.5))
    _store(tmp_path / "paper-sensitivity-other", dict(SETTINGS, mode="r-compat", epochs=3),
           *tables({("A", "narrow-shallow", 99): 1}))
    found, skipped = book_sensitivity(tmp_path)
    assert list(found.headline["variant"].unique()) == ["r-compat"]
    assert skipped == {str(tmp_path / "paper-sensitivity-empty"): "holds no network yet",
                       str(tmp_path / "paper-sensitivity-other"): f"holds no network that {ref} holds"}


def test_cli_sensitivity(tmp_path, capsys):
    ref = _store(tmp_path / "paper", SETTINGS, *tables(_signs()))
    var = _store(tmp_path / "v", dict(SETTINGS, mode="r-compat"), *tables(_signs(flip={("C", "wide-deep", 0)}), seed=5))
    assert main(["sensitivity", "--reference", str(ref), "--variant", f"graph={var}", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["settings"] == {"graph": {"mode": ["union", "r-compat"]}}
    assert [r["side"] for r in data["headline"]] == ["reference", "variant"]
    assert data["headline"][1]["negative"] == 11
    assert main(["sensitivity", "--reference", str(ref), "--variant", f"graph={var}"]) == 0
    text = capsys.readouterr().out
    assert "graph" in text and "kNN graph" in text and "11 of 12" in text
    assert main(["sensitivity", "--reference", str(ref), "--variant", "no-equals-sign"]) == 2
    assert "NAME=DIR" in capsys.readouterr().err
    assert main(["sensitivity", "--reference", str(ref), "--variant", f"x={tmp_path / 'absent'}"]) == 2
