"""Paper 2's coefficients over a results store (:mod:`ricci_lit.experiments.coefficients`).

The oracle is :func:`ricci_lit.geometry.coefficients.ricci_coefficient` called network by network on the same
representations (the trained network from the source checkpoint, the untrained one rebuilt from
its seed): every stored number must equal it. Resumption, extension, refusals and bad input as
for the sweeps.
"""
from __future__ import annotations

import math
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ricci_lit.cli import main
from ricci_lit.experiments.coefficients import (
    coefficient_ks,
    hidden_coefficient,
    load_coefficients,
    run_coefficient_sweep,
)
from ricci_lit.data.problems import load_problem
from ricci_lit.geometry.coefficients import ricci_coefficient
from ricci_lit.networks.mlp import MLPEnsemble, representations
from ricci_lit.experiments.store import ResultsStore, StoreMismatchError
from ricci_lit.experiments.paper1 import get_profile, run_sweep

CURV = ("forman", "approx-ollivier")


@pytest.fixture(scope="module")
def source(tmp_path_factory) -> Path:
    """A tiny paper-style store: A × {narrow-shallow, narrow-deep} × 2 seeds, 150 test points."""
    out = tmp_path_factory.mktemp("src") / "res"
    prof = get_profile("quick", problems=["A"], architectures=["narrow-shallow", "narrow-deep"], n_seeds=2,
                       n_test=150, epochs=2, k_synthetic=[6, 10, 20])
    run_sweep(prof, out, device="cpu", progress=False)
    return out


@pytest.fixture(scope="module")
def coeffs(source, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("coef") / "res"
    run_coefficient_sweep(source, out, seeds=2, k=10, curvatures=CURV, progress=False)
    return out


def _reps(source: Path, arch: str, seed: int, state: str):
    ds = load_problem("A", seed=0, n_test=150)
    x = np.asarray(ds.x_test, np.float32)
    store = ResultsStore(source, "quick", __import__("json").loads((source / "manifest.json").read_text())["settings"])
    if state == "trained":
        ens = MLPEnsemble.from_state(store.load_checkpoint(f"A+{arch}")["ensemble"])
        ens = ens.subset([list(ens.seeds).index(seed)])
    else:
        ens = MLPEnsemble(arch, x.shape[1], [seed], init="glorot", device="cpu")
    return representations(ens, x)[0], ds


def test_every_number_equals_ricci_coefficient_network_by_network(source, coeffs):
    nets, layers, manifest = load_coefficients(coeffs)
    assert manifest["profile"] == "coefficients" and manifest["settings"]["modes"] == ["union", "r-compat"]
    assert len(nets) == 2 * 2 * 2 * len(CURV) * 2  # archs × seeds × states × curvatures × modes
    assert set(nets["k"]) == {10}
    for (arch, seed, state), grp in nets.groupby(["architecture", "seed", "state"]):
        reps, ds = _reps(source, arch, int(seed), state)
        acc = float(((reps.output[:, 0] > 0.5) == ds.y_test).mean())
        for row in grp.itertuples():
            ref = ricci_coefficient(reps.select("all"), 10, curvature=row.curvature, mode=row.mode, local=True,
                                    warn_collapsed=False)
            hid = ricci_coefficient(reps.select("hidden"), 10, curvature=row.curvature, mode=row.mode,
                                    warn_collapsed=False)
            assert (math.isnan(row.rho) and ref.rho is None) or row.rho == pytest.approx(ref.rho, abs=1e-12)
            assert (math.isnan(row.rho_hidden) and hid.rho is None) or \
                row.rho_hidden == pytest.approx(hid.rho, abs=1e-12)
            finite = ref.local.rho[np.isfinite(ref.local.rho)]
            assert row.local_n_defined == finite.size
            if finite.size:
                assert row.local_mean == pytest.approx(finite.mean(), abs=1e-12)
            lay = layers[(layers["architecture"] == arch) & (layers["seed"] == seed) & (layers["state"] == state)
                         & (layers["curvature"] == row.curvature) & (layers["mode"] == row.mode)]
            np.testing.assert_allclose(lay["layer_rho"].to_numpy(), ref.local.layer_rho, atol=1e-12)
            np.testing.assert_array_equal(lay["ric"].to_numpy(), np.asarray(ref.ric)[:-1])  # one row per transition
            assert row.test_accuracy == pytest.approx(acc)
            assert row.n_hidden == reps.n_hidden
        if state == "untrained":
            assert grp["source_test_accuracy"].notna().all()


def test_rerun_and_extension_equal_one_run(source, coeffs, tmp_path):
    copy = tmp_path / "res"
    run_coefficient_sweep(source, copy, seeds=[0], k=10, curvatures=CURV, progress=False, pack=False)
    again = run_coefficient_sweep(source, copy, seeds=[0], k=10, curvatures=CURV, progress=False)
    assert again.chunks_written == 0 and again.chunks_before == 4 and again.skipped == 4
    more = run_coefficient_sweep(source, copy, seeds=2, k=10, curvatures=CURV, progress=False)
    assert more.chunks_written == 4 and more.chunks_before == 4
    assert not list((copy / "chunks").glob("*.parquet"))  # packed when the problem was done
    a = load_coefficients(copy)[1].drop(columns=[]).reset_index(drop=True)
    b = load_coefficients(coeffs)[1].reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b)
    na, nb = load_coefficients(copy)[0], load_coefficients(coeffs)[0]
    pd.testing.assert_frame_equal(na.drop(columns="seconds"), nb.drop(columns="seconds"))


def test_best_k_is_paper_one_rule_on_the_source(source, tmp_path):
    from ricci_lit.analysis.paper1 import report
    from ricci_lit.experiments.paper1 import load_results

    # after 2 epochs no network passes paper 1's 99 % threshold: no best k, the sweep says so
    ks = coefficient_ks(source)
    assert ks["k"].isna().all() and len(ks) == 2
    summary = run_coefficient_sweep(source, tmp_path / "none", seeds=1, progress=False)
    assert summary.chunks_total == 0 and summary.total == 0 and len(summary.notes) == 2
    assert all("no best k" in s for s in summary.notes)
    assert summary.info["ks"]["k"].isna().all()
    # with every network admitted, it is exactly the report's best k
    everyone = {"A": 0.0}
    ks = coefficient_ks(source, thresholds=everyone)
    nets, geo, _ = load_results(source)
    best = report(nets, geo, everyone).best
    merged = ks.merge(best, on=["problem", "architecture"])
    assert len(merged) == 2 and merged["best_k"].notna().all()
    assert (merged["k"] == merged["best_k"]).all()
    assert set(best["best_k"]) <= {6, 10, 20}
    assert set(coefficient_ks(source, 7)["k"]) == {7}


def test_refusals_and_bad_input(source, coeffs, tmp_path, capsys):
    with pytest.raises(StoreMismatchError, match="settings differ in modes"):
        run_coefficient_sweep(source, coeffs, seeds=2, k=10, curvatures=CURV, modes=["union"], progress=False)
    with pytest.raises(ValueError, match="modes"):
        run_coefficient_sweep(source, tmp_path / "x", modes=["bogus"], progress=False)
    with pytest.raises(ValueError, match="states"):
        run_coefficient_sweep(source, tmp_path / "x", states=["half-trained"], progress=False)
    with pytest.raises(ValueError, match="unknown curvature"):
        run_coefficient_sweep(source, tmp_path / "x", curvatures=["ricci"], progress=False)
    with pytest.raises(ValueError, match="k must be"):
        coefficient_ks(source, 0)
    with pytest.raises(ValueError, match="does not hold all of seeds"):
        run_coefficient_sweep(source, tmp_path / "x", problems=["A"], architectures=["narrow-shallow"], seeds=5,
                              progress=False)
    with pytest.raises(ValueError, match="no complete configuration"):
        run_coefficient_sweep(source, tmp_path / "x", problems=["B"], progress=False)
    with pytest.raises(FileNotFoundError, match="no manifest.json"):
        run_coefficient_sweep(tmp_path / "nowhere", tmp_path / "x", progress=False)
    # checkpoints are not committed: a missing one says how to recreate it
    bare = tmp_path / "bare"
    shutil.copytree(source, bare)
    for p in (bare / "checkpoints").iterdir():
        p.unlink()
    with pytest.raises(FileNotFoundError, match="checkpoints are not committed"):
        run_coefficient_sweep(bare, tmp_path / "y", seeds=1, k=10, progress=False)
    assert main(["coefficients", "--results", str(bare), "--out", str(tmp_path / "z"), "--k", "10",
                 "--seeds", "1", "--no-progress"]) == 2
    assert "checkpoints are not committed" in capsys.readouterr().err
    assert main(["coefficients", "--results", str(source), "--out", str(tmp_path / "z"), "--k", "-3"]) == 2
    assert "positive integer" in capsys.readouterr().err
    # the default 12 seeds are more than this store holds: an error, not a silent empty run
    assert main(["coefficients", "--results", str(source), "--out", str(tmp_path / "z2"), "--no-progress"]) == 2
    assert "no complete configuration (seeds 0…11)" in capsys.readouterr().err


def test_cli_runs_and_reports(source, tmp_path, capsys):
    out = tmp_path / "cli"
    assert main(["coefficients", "--results", str(source), "--out", str(out), "--seeds", "1", "--k", "6",
                 "--states", "untrained", "--modes", "union", "--curvatures", "forman", "--no-progress"]) == 0
    text = capsys.readouterr().out
    assert "2 networks computed" in text
    nets = load_coefficients(out)[0]
    assert set(nets["state"]) == {"untrained"} and set(nets["k"]) == {6} and len(nets) == 2
    # the book's description says what the store holds: one seed, the initialisation only
    from ricci_lit.book import book_coefficients
    got = book_coefficients(tmp_path, name="cli").description
    assert "(1 seed per configuration), at initialisation only, at k = 6" in got


def test_hidden_coefficient_unit():
    # 5 hidden layers: transitions 0..5, hidden ones 1..4
    ric = [9.0, 1.0, 2.0, 3.0, 4.0, 9.0]
    eta = [5.0, -1.0, -2.0, -3.0, -4.0, 5.0]
    r, why = hidden_coefficient(ric, eta, 5)
    assert r == pytest.approx(-1.0) and why is None
    r, why = hidden_coefficient(ric, [5.0, -1.0, np.inf, -3.0, -4.0, 5.0], 5)
    assert math.isnan(r) and "disconnected" in why and "[2]" in why
    r, why = hidden_coefficient([9.0, 1.0, 1.0, 1.0, 1.0, 9.0], eta, 5)
    assert math.isnan(r) and "constant" in why
    # a disconnected output does not matter to paper 1's coefficient
    r, _ = hidden_coefficient(ric, eta[:-1] + [np.inf], 5)
    assert r == pytest.approx(-1.0)
    with pytest.raises(ValueError, match="transitions"):
        hidden_coefficient(ric[:-1], eta[:-1], 5)
    with pytest.raises(ValueError, match="at least 3 hidden"):
        hidden_coefficient(ric[:3], eta[:3], 2)


def test_book_coefficients(coeffs, tmp_path):
    from ricci_lit.book import book_coefficients

    assert book_coefficients(tmp_path) is None  # no store
    shutil.copytree(coeffs, tmp_path / "paper-coefficients")
    got = book_coefficients(tmp_path)
    nets, layers, _ = load_coefficients(coeffs)
    pd.testing.assert_frame_equal(got.networks, nets)
    assert len(got.layers) == len(layers)
    assert "4 networks of `A` (2 seeds per configuration), each trained and at its initialisation" \
        in got.description
    assert "k = 10" in got.description and "union, r-compat" in got.description
    # the code that computed the rows is each chunk's own, not only the manifest's
    assert re.search(r"store created by git \S+, computed by git [0-9a-f]{12}(-dirty)? \(\d+ chunks, written ",
                     got.description), got.description
    assert book_coefficients(tmp_path, problems=["B"]) is None  # the chapters render other problems
    assert len(book_coefficients(tmp_path, problems=["A", "B"]).networks) == len(nets)


def test_several_k_equal_one_k_at_a_time_and_give_the_k_robustness_table(source, coeffs, tmp_path, capsys):
    from ricci_lit.analysis.coefficients import k_robustness

    multi = tmp_path / "multi"
    assert main(["coefficients", "--results", str(source), "--out", str(multi), "--k", "20,10", "--seeds", "2",
                 "--curvatures", ",".join(CURV), "--no-progress"]) == 0
    assert "16 networks computed" in capsys.readouterr().out  # 2 archs × 2 seeds × 2 states × 2 k
    nets, layers, manifest = load_coefficients(multi)
    assert manifest["settings"]["k"] == [10, 20]
    assert sorted(set(nets["k"])) == [10, 20]
    assert len(nets) == 2 * len(load_coefficients(coeffs)[0])  # no row lost to de-duplication
    # the k = 10 rows are exactly the single-k store's numbers
    one = nets[nets["k"] == 10].drop(columns="seconds").reset_index(drop=True)
    ref = load_coefficients(coeffs)[0].drop(columns="seconds").reset_index(drop=True)
    pd.testing.assert_frame_equal(one, ref)
    pd.testing.assert_frame_equal(layers[layers["k"] == 10].reset_index(drop=True),
                                  load_coefficients(coeffs)[1].reset_index(drop=True))
    # the k = 20 rows are ricci_coefficient at k = 20
    row = nets[(nets["k"] == 20) & (nets["state"] == "trained") & (nets["mode"] == "union")
               & (nets["curvature"] == "approx-ollivier") & (nets["architecture"] == "narrow-deep")
               & (nets["seed"] == 1)].iloc[0]
    reps, _ = _reps(source, "narrow-deep", 1, "trained")
    ref20 = ricci_coefficient(reps.select("all"), 20, curvature="approx-ollivier", local=True, warn_collapsed=False)
    finite = ref20.local.rho[np.isfinite(ref20.local.rho)]
    assert row["local_mean"] == pytest.approx(finite.mean(), abs=1e-12)
    # resuming computes nothing; another k list is another store's settings
    again = run_coefficient_sweep(source, multi, seeds=2, k=[20, 10], curvatures=CURV, progress=False)
    assert again.chunks_written == 0 and again.chunks_before == 16
    with pytest.raises(StoreMismatchError, match="settings differ in k"):
        run_coefficient_sweep(source, multi, seeds=2, k=[10, 50], curvatures=CURV, progress=False)
    # the table: mean over networks of their mean local coefficient, per configuration and k
    tab = k_robustness(nets)
    assert tab[["architecture", "k"]].values.tolist() == [["narrow-deep", 10], ["narrow-deep", 20],
                                                          ["narrow-shallow", 10], ["narrow-shallow", 20]]
    sel = nets[(nets["architecture"] == "narrow-deep") & (nets["k"] == 20) & (nets["state"] == "trained")
               & (nets["mode"] == "union") & (nets["curvature"] == "approx-ollivier")]
    got = tab[(tab["architecture"] == "narrow-deep") & (tab["k"] == 20)].iloc[0]
    assert got["n_networks"] == 2
    assert got["n_well_trained"] == (sel["test_accuracy"] >= 0.99).sum()       # paper 1's threshold for A
    lenient = k_robustness(nets, thresholds={"A": 0.0})
    assert (lenient["n_well_trained"] == lenient["n_networks"]).all()
    with pytest.raises(ValueError, match=r"no accuracy threshold for problem\(s\) \['A'\]"):
        k_robustness(nets, thresholds={"B": 0.5})
    assert got["local_mean"] == pytest.approx(sel["local_mean"].mean())
    assert got["local_sd"] == pytest.approx(sel["local_mean"].std(ddof=1))
    assert got["fraction_negative"] == pytest.approx(sel["local_fraction_negative"].mean())
    assert set(k_robustness(nets, curvature="forman", state="untrained", mode="r-compat")["k"]) == {10, 20}
    from ricci_lit.analysis.coefficients import negative_at_every_k
    flags = negative_at_every_k(tab)
    for (p, a), flag in flags.items():
        assert flag == bool((tab[(tab["problem"] == p) & (tab["architecture"] == a)]["local_mean"] < 0).all())
    with pytest.raises(ValueError, match="needs several k"):
        k_robustness(load_coefficients(coeffs)[0])
    with pytest.raises(ValueError, match="no trained networks with curvature 'ollivier'"):
        k_robustness(nets, curvature="ollivier")
    with pytest.raises(ValueError, match="lacks column"):
        k_robustness(nets.drop(columns="k"))


@pytest.mark.parametrize("bad, needle", [("10,10", "twice"), ("10,-2", "comma-separated positive"),
                                         ("10,x", "comma-separated positive")])
def test_cli_bad_k_lists(source, tmp_path, capsys, bad, needle):
    assert main(["coefficients", "--results", str(source), "--out", str(tmp_path / "z"), "--k", bad]) == 2
    assert needle in capsys.readouterr().err


def test_bad_k_lists_in_python(source, tmp_path):
    for bad, needle in (([], "k must be"), ([10, 0], "k must be"), ([10, 10], "twice"), ([True, 5], "k must be")):
        with pytest.raises(ValueError, match=needle):
            run_coefficient_sweep(source, tmp_path / "x", seeds=1, k=bad, progress=False)


def test_untrained_networks_need_no_checkpoint(source, tmp_path):
    """Only trained networks are read from the source's checkpoints: the untrained control is
    rebuilt from its seed, so a store without checkpoints still gives it (same numbers)."""
    bare = tmp_path / "bare"
    shutil.copytree(source, bare)
    for p in (bare / "checkpoints").iterdir():
        p.unlink()
    kw = dict(seeds=1, k=10, curvatures=("forman",), modes=("union",), states=("untrained",), progress=False)
    a = run_coefficient_sweep(bare, tmp_path / "a", **kw)
    b = run_coefficient_sweep(source, tmp_path / "b", **kw)
    assert a.chunks_written == b.chunks_written == 2
    pd.testing.assert_frame_equal(load_coefficients(tmp_path / "a")[0].drop(columns="seconds"),
                                  load_coefficients(tmp_path / "b")[0].drop(columns="seconds"))


def test_units_are_one_network_and_state_with_one_chunk_per_k(source, tmp_path):
    import pickle

    from ricci_lit.experiments.coefficients import coefficient_plan, coefficient_unit

    plan, ks, skipped = coefficient_plan(source, tmp_path / "x", seeds=2, k=[10, 20], curvatures=CURV)
    assert plan.compute is coefficient_unit and skipped == []
    assert len(plan.units) == 2 * 2 * 2 and len(ks) == 4
    u = plan.units[0]
    assert u.key == "A+narrow-shallow+s0+trained"
    assert u.chunks == (("coefficients", "A+narrow-shallow+s0+trained+k10"),
                        ("coefficients", "A+narrow-shallow+s0+trained+k20"))
    assert "network" not in u.payload  # the trained weights are added in the caller's process, unit by unit
    pickle.loads(pickle.dumps((plan.settings, list(plan.units))))
    assert not (tmp_path / "x").exists()
