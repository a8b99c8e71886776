"""Several pipelines side by side (:mod:`ricci_lit.analysis.pipelines`).

The tables are those of ``test_sensitivity`` (every network's sign of ρ set by construction), so the
counts are known without the package; the bootstrap interval is checked against a brute-force
re-statement of the stratified bootstrap and against its obvious properties."""
from __future__ import annotations

import zlib

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ricci_lit.analysis.pipelines import (
    HEADLINE_COLUMNS,
    best_k_pattern,
    coverage,
    paper_row,
    pipeline_table,
    share_interval,
    single_change_by_problem,
    single_changes,
)
from ricci_lit.data.problems import WELL_TRAINED_THRESHOLD
from ricci_lit.experiments.store import ResultsStore

from test_sensitivity import _signs, tables  # same directory (rootdir-relative import)

pytestmark = pytest.mark.filterwarnings("ignore:The design matrix is rank-deficient")


def test_counts_on_the_common_networks_only():
    flip = {("A", "narrow-shallow", 0), ("C", "wide-deep", 3)}
    ours = tables(_signs(seeds=range(8)))  # 16 networks
    theirs = tables(_signs(seeds=range(6), flip=flip), seed=1)  # 12, all in ours
    pt = pipeline_table({"ours": ours, "theirs": theirs}, WELL_TRAINED_THRESHOLD, n_boot=200)
    assert list(pt.table.columns) == list(HEADLINE_COLUMNS)
    assert len(pt.keys) == 12 and pt.ks == [5, 10]
    t = pt.table.set_index("pipeline")
    assert t.loc["ours", "networks"] == t.loc["theirs", "networks"] == 12
    assert (t.loc["ours", "kept"], t.loc["ours", "negative"]) == (12, 12)
    assert (t.loc["theirs", "kept"], t.loc["theirs", "negative"]) == (12, 10)
    assert t.loc["theirs", "fraction_negative"] == pytest.approx(10 / 12)
    assert t.loc["ours", "ci_low"] == t.loc["ours", "ci_high"] == 1.0  # every replicate: all negative
    assert t.loc["theirs", "ci_low"] < 10 / 12 < t.loc["theirs", "ci_high"] <= 1.0
    assert set(pt.best["pipeline"]) == {"ours", "theirs"} and len(pt.best) == 4


def test_single_changes_give_both_sides_and_the_moves():
    flip = {("A", "narrow-shallow", s) for s in range(3)}
    a, b = tables(_signs()), tables(_signs(flip=flip), seed=2)
    ch = single_changes({"a": a, "b": b}, [("graph", "a", "b")], WELL_TRAINED_THRESHOLD, n_boot=100)
    row = ch.iloc[0]
    assert row["change"] == "graph" and row["networks"] == 12
    assert row["fraction_negative_before"] == 1.0 and row["fraction_negative_after"] == pytest.approx(9 / 12)
    assert row["d_fraction_negative"] == pytest.approx(-3 / 12)
    assert row["configurations"] == 2
    with pytest.raises(ValueError, match="not given"):
        single_changes({"a": a}, [("x", "a", "b")], WELL_TRAINED_THRESHOLD)


def test_a_change_by_problem_separates_moves_the_pooled_share_mixes():
    # A loses 3 of its 6 negatives, C none: pooled −3/12, by problem −3/6 and 0
    flip = {("A", "narrow-shallow", s) for s in range(3)}
    a, b = tables(_signs()), tables(_signs(flip=flip), seed=2)
    stores = {"a": a, "b": b}
    by = single_change_by_problem(stores, ("graph", "a", "b"), WELL_TRAINED_THRESHOLD, n_boot=100)
    assert list(by["problem"]) == ["A", "C"] and list(by.columns[:2]) == ["problem", "change"]
    row = by.set_index("problem")
    assert row.loc["A", "networks"] == row.loc["C", "networks"] == 6
    assert row.loc["A", "d_fraction_negative"] == pytest.approx(-3 / 6)
    assert row.loc["C", "d_fraction_negative"] == 0.0
    # each row is single_changes on that problem's rows alone (the oracle: filter by hand)
    for problem in ("A", "C"):
        only = {k: tuple(x[x["problem"] == problem] for x in v) for k, v in stores.items()}
        ref = single_changes(only, [("graph", "a", "b")], WELL_TRAINED_THRESHOLD, n_boot=100).iloc[0]
        got = row.loc[problem]
        for col in ("kept_before", "kept_after", "fraction_negative_before", "fraction_negative_after",
                    "ci_low_after", "best_k_changed"):
            assert got[col] == ref[col]
    # the kept-weighted mean of the problems' shares is the pooled share
    pooled = single_changes(stores, [("graph", "a", "b")], WELL_TRAINED_THRESHOLD, n_boot=100).iloc[0]
    w = by["kept_after"].astype(float)
    assert (w * by["fraction_negative_after"]).sum() / w.sum() == pytest.approx(pooled["fraction_negative_after"])
    # a problem only one side holds is left out; nothing in common, or an unknown label, is refused
    c_only = tuple(x[x["problem"] == "C"] for x in b)
    assert list(single_change_by_problem({"a": a, "b": c_only}, ("g", "a", "b"), WELL_TRAINED_THRESHOLD,
                                         n_boot=50)["problem"]) == ["C"]
    a_only = tuple(x[x["problem"] == "A"] for x in a)
    with pytest.raises(ValueError, match="no problem in common"):
        single_change_by_problem({"a": a_only, "b": c_only}, ("g", "a", "b"), WELL_TRAINED_THRESHOLD)
    with pytest.raises(ValueError, match="not given"):
        single_change_by_problem({"a": a}, ("g", "a", "b"), WELL_TRAINED_THRESHOLD)


def _oracle(rho, strata, n_boot, seed, label, level=0.95):
    """The stratified bootstrap spelled out: the same stream, strata in sorted order, one draw
    array per stratum."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, zlib.crc32(label.encode())]))
    groups = sorted(set(repr(s) for s in strata))
    total = np.zeros(n_boot)
    for g in groups:
        members = np.array([r for r, s in zip(rho, strata) if repr(s) == g])
        draws = rng.integers(0, len(members), size=(n_boot, len(members)))
        total += (members[draws] < 0).sum(axis=1)
    shares = total / len(rho)
    return tuple(np.quantile(shares, [(1 - level) / 2, (1 + level) / 2]))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.floats(-1, 1, allow_nan=False), st.sampled_from(["x", "y", "z"])), min_size=1,
                max_size=40), st.integers(0, 5))
def test_share_interval_equals_the_oracle_and_brackets_the_share(points, seed):
    rho = np.array([p[0] for p in points])
    strata = [p[1] for p in points]
    lo, hi = share_interval(rho, strata, n_boot=300, seed=seed, label="p")
    assert (lo, hi) == pytest.approx(_oracle(rho, strata, 300, seed, "p"))
    assert 0.0 <= lo <= hi <= 1.0
    share = float((rho < 0).mean())
    if len(set(strata)) == 1 and (share in (0.0, 1.0)):
        assert lo == hi == share


def test_share_interval_does_not_depend_on_the_other_pipelines():
    rho = np.linspace(-1, 0.5, 30)
    a = share_interval(rho, ["s"] * 30, seed=1, label="ours")
    assert a == share_interval(rho, ["s"] * 30, seed=1, label="ours")
    assert share_interval(rho, ["s"] * 30, seed=1, label="theirs") == pytest.approx(
        _oracle(rho, ["s"] * 30, 2000, 1, "theirs"))  # its own stream, whoever else is in the table


@pytest.mark.parametrize(("kwargs", "match"), [
    (dict(rho=np.array([]), strata=[]), "no kept network"),
    (dict(rho=np.array([np.nan]), strata=["a"]), "NaN"),
    (dict(rho=np.array([0.1, 0.2]), strata=["a"]), "one stratum per value"),
    (dict(rho=np.array([0.1]), strata=["a"], n_boot=0), "n_boot"),
    (dict(rho=np.array([0.1]), strata=["a"], n_boot=True), "n_boot"),
    (dict(rho=np.array([0.1]), strata=["a"], level=1.0), "level"),
])
def test_share_interval_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        share_interval(**kwargs)


def test_best_k_pattern_and_the_paper_row():
    best = pd.DataFrame({"problem": ["A", "A", "B", "C"], "architecture": ["x", "y", "x", "x"],
                         "best_k": [30, 150, 6, None]})
    text, inside, total = best_k_pattern(best)
    assert text == "A 30–150 · B 6 · C none" and (inside, total) == (2, 4)  # A 30 and B 6 in range
    row = paper_row()
    assert set(row) == set(HEADLINE_COLUMNS)
    assert (row["networks"], row["kept"], row["negative"]) == (1512, 1227, 1144)
    assert row["fraction_negative"] == pytest.approx(0.932, abs=5e-4) and row["z_t"] == -2.27


def test_pipeline_table_refuses_nothing_in_common():
    a = tables(_signs(seeds=range(2)))
    b = tables(_signs(seeds=range(2, 4)))
    with pytest.raises(ValueError, match="in common"):
        pipeline_table({"a": a, "b": b}, WELL_TRAINED_THRESHOLD)
    with pytest.raises(ValueError, match="share no k"):
        pipeline_table({"a": a, "c": tables(_signs(seeds=range(2)), ks=(7,))}, WELL_TRAINED_THRESHOLD)
    with pytest.raises(ValueError, match="at least one"):
        pipeline_table({}, WELL_TRAINED_THRESHOLD)
    with pytest.raises(ValueError, match="holds no networks"):
        pipeline_table({"e": (pd.DataFrame(), pd.DataFrame())}, WELL_TRAINED_THRESHOLD)


def test_measured_effects_replace_the_candidates_in_the_reproduction_table():
    from ricci_lit.analysis.paper1 import report
    from ricci_lit.analysis.pipelines import measured_effects
    from ricci_lit.analysis.targets import MISS_EXPLANATIONS
    from ricci_lit.analysis.verdicts import reproduction_table

    flip = {("A", "narrow-shallow", s) for s in range(3)}
    a, b = tables(_signs()), tables(_signs(flip=flip), seed=2)
    ch = single_changes({"a": a, "b": b}, [("graph", "a", "b")], WELL_TRAINED_THRESHOLD, n_boot=50)
    eff = measured_effects(ch)
    assert eff["fraction_negative"].endswith("graph (12 networks): share with ρ < 0 100.0% → 75.0%")
    assert "chosen k moved in" in eff["best_k"] and eff["negative_aggregated"] == eff["best_k"]
    assert measured_effects(ch.iloc[:0]) == {}



def test_reproduction_table_takes_measured_effects_for_missed_targets():
    """On the committed paper store, whose regression and some best-k and Fig. 4 targets miss the paper's."""
    from pathlib import Path

    from ricci_lit.analysis.paper1 import report
    from ricci_lit.analysis.targets import MISS_EXPLANATIONS
    from ricci_lit.analysis.verdicts import reproduction_table
    from ricci_lit.experiments.paper1 import load_results

    nets, geo, man = load_results(Path(__file__).resolve().parents[2] / "results" / "paper")
    rep = report(nets, geo, dict(WELL_TRAINED_THRESHOLD))
    plain = reproduction_table(rep, geometry=geo, manifest=man)
    missed = plain["verdict"].isin(["partly", "not reproduced"])
    custom = {"best_k": "measured: k", "regression": "measured: t", "fig4": "measured: fig4"}
    with_eff = reproduction_table(rep, geometry=geo, manifest=man, measured_effects=custom)
    for key, text in custom.items():
        rows = (plain["key"] == key) & missed
        assert rows.any(), key  # the store misses these targets
        assert (with_eff.loc[rows, "why it may differ"] == text).all()
        assert (plain.loc[rows, "why it may differ"] == MISS_EXPLANATIONS[key]).all()
    untouched = ~(plain["key"].isin(list(custom)) & missed)
    pd.testing.assert_frame_equal(plain[untouched], with_eff[untouched])


def test_book_pipelines_loads_what_is_committed_and_says_what_is_not(tmp_path):
    from pathlib import Path

    from ricci_lit.book import MAIN_PIPELINES, PIPELINE_STORES, SINGLE_CHANGES, book_pipelines

    root = Path(__file__).resolve().parents[2] / "results"
    loaded, missing = book_pipelines(root, {"ours": "paper", "nowhere": "no-such-store"})
    assert list(loaded) == ["ours"] and len(loaded["ours"][0]) == 1512
    assert missing == {"nowhere": f"no store {root / 'no-such-store'}"}
    (tmp_path / "empty").mkdir()
    ResultsStore(tmp_path / "empty", "paper", {"name": "paper"})  # a manifest, no network yet
    loaded, missing = book_pipelines(tmp_path, {"e": "empty"})
    assert not loaded and "holds no network yet" in missing["e"]
    assert set(MAIN_PIPELINES) <= set(PIPELINE_STORES)
    assert all(b in PIPELINE_STORES and a in PIPELINE_STORES for _, b, a in SINGLE_CHANGES)


def test_coverage_names_each_problems_configurations_and_seeds():
    rows = ([("A", a, v) for a in ("x", "y") for v in range(12)] + [("B", a, v) for a in ("x", "y") for v in range(12)]
            + [("m", "x", v) for v in range(6)] + [("m", "y", v) for v in range(12)] + [("f", "x", 0)])
    nets = pd.DataFrame(rows, columns=["problem", "architecture", "seed"])
    layered = pd.concat([nets.assign(layer=0), nets.assign(layer=1)])  # one row per layer: counted once
    expected = ("A and B: 2 configurations × 12 seeds; m: 2 configurations × 6–12 seeds; "
                "f: 1 configuration × 1 seed")
    assert coverage(nets) == coverage(layered) == expected
    assert coverage(nets.iloc[:0]) == "no network"
    with pytest.raises(ValueError, match=r"lacks the column\(s\) \['seed'\]"):
        coverage(nets.drop(columns="seed"))
