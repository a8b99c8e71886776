"""Paper 2's coefficients over a results store (:mod:`ricci_lit.coefficient_sweeps`).

The oracle is :func:`ricci_lit.flow.ricci_coefficient` called network by network on the same
representations (the trained network from the source checkpoint, the untrained one rebuilt from
its seed): every stored number must equal it. Resumption, extension, refusals and bad input as
for the sweeps.
"""
from __future__ import annotations

import math
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ricci_lit.cli import main
from ricci_lit.coefficient_sweeps import (
    coefficient_ks,
    hidden_coefficient,
    load_coefficients,
    run_coefficient_sweep,
)
from ricci_lit.datasets import load_problem
from ricci_lit.flow import ricci_coefficient
from ricci_lit.models import MLPEnsemble, representations
from ricci_lit.store import ResultsStore, StoreMismatchError
from ricci_lit.sweeps import get_profile, run_sweep

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
    assert again.units_computed == 0 and again.units_done_before == 4
    more = run_coefficient_sweep(source, copy, seeds=2, k=10, curvatures=CURV, progress=False)
    assert more.units_computed == 4 and more.units_done_before == 4
    assert not list((copy / "chunks").glob("*.parquet"))  # packed when the problem was done
    a = load_coefficients(copy)[1].drop(columns=[]).reset_index(drop=True)
    b = load_coefficients(coeffs)[1].reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b)
    na, nb = load_coefficients(copy)[0], load_coefficients(coeffs)[0]
    pd.testing.assert_frame_equal(na.drop(columns="seconds"), nb.drop(columns="seconds"))


def test_best_k_is_paper_one_rule_on_the_source(source, tmp_path):
    from ricci_lit.analysis import report
    from ricci_lit.sweeps import load_results

    # after 2 epochs no network passes paper 1's 99 % threshold: no best k, the sweep says so
    ks = coefficient_ks(source)
    assert ks["k"].isna().all() and len(ks) == 2
    summary = run_coefficient_sweep(source, tmp_path / "none", seeds=1, progress=False)
    assert summary.units_total == 0 and len(summary.skipped) == 2
    assert all("no best k" in s for s in summary.skipped)
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
    from ricci_lit.coefficient_sweeps import book_coefficients

    assert book_coefficients(tmp_path) is None  # no store
    shutil.copytree(coeffs, tmp_path / "paper-coefficients")
    got = book_coefficients(tmp_path)
    nets, layers, _ = load_coefficients(coeffs)
    pd.testing.assert_frame_equal(got.networks, nets)
    assert len(got.layers) == len(layers)
    assert "4 networks of `A` (2–2 seeds per configuration)" in got.description
    assert "k = 10" in got.description and "union, r-compat" in got.description
    assert book_coefficients(tmp_path, problems=["B"]) is None  # the chapters render other problems
    assert len(book_coefficients(tmp_path, problems=["A", "B"]).networks) == len(nets)
