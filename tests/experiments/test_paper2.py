"""Paper 2's trajectories and depth profiles as a resumable store (:mod:`ricci_lit.experiments.paper2`).

The quick plan (dataset A, 200 test points, a few epochs) is run once; its numbers must equal the
functions it wraps (:func:`ricci_lit.experiments.trajectory.local_coefficient_trajectory`, and training with
paper 2's protocol followed by :func:`ricci_lit.geometry.engine.network_coefficients`), a rerun computes
nothing, and the command line refuses bad input with exit status 2.
"""
from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest

from ricci_lit.cli import main
from ricci_lit.experiments.paper2 import PLANS, load_p2_experiments, run_p2_experiments
from ricci_lit.experiments.store import StoreMismatchError


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    out = tmp_path_factory.mktemp("p2") / "res"
    summary = run_p2_experiments(out, "quick", progress=False)
    return out, summary


def _quick_data():
    from ricci_lit.data.problems import load_xy

    plan = PLANS["quick"]
    return load_xy("A", n_test=plan.n_test, n_train=plan.n_train, data_seed=0, pixel_scale=1.0)[1:]


def test_trajectory_equals_local_coefficient_trajectory(quick):
    from ricci_lit.experiments.trajectory import local_coefficient_trajectory

    out, summary = quick
    assert summary.computed == summary.total == summary.chunks_written == 3 and summary.failed == {}
    traj, depth, manifest = load_p2_experiments(out)
    plan = PLANS["quick"]
    # a new store records the default training scheme (the stores written before schemes omit it)
    assert manifest["profile"] == "p2-quick"
    assert manifest["settings"] == {**plan.settings(), "training_scheme": "independent-v2"}
    assert "training_scheme" not in plan.settings() and plan.training_scheme is None
    x_tr, y_tr, x_te, y_te = _quick_data()
    ref = local_coefficient_trajectory(x_tr, y_tr, x_te, y_te, "narrow-shallow", list(plan.trajectory_seeds),
                                       k=plan.k, curvature=list(plan.curvatures), epochs=plan.epochs,
                                       every=plan.every, device="cpu")
    got = traj.drop(columns=["problem", "architecture", "seconds"])
    pd.testing.assert_frame_equal(got.reset_index(drop=True), ref.reset_index(drop=True), check_dtype=False)
    assert sorted(set(traj["epoch"])) == [0, 2, 4]


def test_depth_profiles_follow_paper_two_protocol(quick):
    from ricci_lit.geometry.engine import network_coefficients
    from ricci_lit.networks.mlp import representations
    from ricci_lit.networks.training import UntilAccuracyConfig, train_until_accuracy

    out, _ = quick
    _, depth, _ = load_p2_experiments(out)
    plan = PLANS["quick"]
    assert sorted(set(depth["depth"])) == [4, 6]
    x_tr, y_tr, x_te, y_te = _quick_data()
    res = train_until_accuracy(x_tr, y_tr, [25] * 4, list(plan.depth_seeds),
                               UntilAccuracyConfig(threshold=plan.threshold, max_steps=plan.max_steps),
                               device="cpu", progress=False, init="torch")
    tabs = network_coefficients(representations(res.ensemble.to("cpu"), x_te), plan.k, curvatures=plan.curvatures)
    d4 = depth[depth["depth"] == 4].sort_values(["network", "curvature", "transition"])
    ref = tabs.layers.sort_values(["network", "curvature", "transition"])
    np.testing.assert_allclose(d4["layer_rho"].to_numpy(), ref["layer_rho"].to_numpy(), atol=1e-12)
    assert (d4.groupby("network")["transition"].nunique() == 5).all()  # 4 hidden layers: 5 transitions
    steps = d4.drop_duplicates("network")["steps"].to_numpy()
    np.testing.assert_array_equal(steps, np.asarray(res.steps))
    assert d4["reached"].dtype == bool


def test_rerun_refusals_and_cli(quick, tmp_path, capsys):
    out, _ = quick
    copy = tmp_path / "res"
    shutil.copytree(out, copy)
    again = run_p2_experiments(copy, "quick", progress=False)
    assert again.computed == 0 and again.skipped == again.chunks_before == 3
    assert not list((copy / "chunks").glob("*.parquet"))  # packed
    with pytest.raises(StoreMismatchError):
        run_p2_experiments(copy, "paper", progress=False)
    with pytest.raises(ValueError, match="unknown plan"):
        run_p2_experiments(tmp_path / "x", "huge", progress=False)
    with pytest.raises(ValueError, match="parts"):
        run_p2_experiments(tmp_path / "x", "quick", parts=["everything"], progress=False)
    assert main(["p2", "--plan", "quick", "--out", str(copy), "--no-progress"]) == 0
    assert "0 units computed, 3 already done" in capsys.readouterr().out
    assert main(["p2", "--plan", "paper", "--out", str(copy), "--no-progress"]) == 2
    assert "refusing to mix" in capsys.readouterr().err
    with pytest.raises(FileNotFoundError, match="no manifest.json"):
        load_p2_experiments(tmp_path / "nowhere")


def test_book_p2(quick, tmp_path):
    from ricci_lit.book import book_p2

    assert book_p2(tmp_path) is None
    shutil.copytree(quick[0], tmp_path / "paper-p2")
    traj, depth, manifest = book_p2(tmp_path)
    assert len(traj) and len(depth) and manifest["profile"] == "p2-quick"


def test_failed_unit_is_named_and_the_others_are_written(tmp_path, monkeypatch, capsys):
    """A unit that raises: the other units are computed and written, then the run fails naming
    it (exit 2, one line, from the command line); the next run computes only that unit."""
    import ricci_lit.experiments.paper2 as p2
    from ricci_lit.experiments.runner import UnitsFailedError

    real = p2._depth_frame

    def broken(s, problem, depth):
        if depth == 6:
            raise ArithmeticError("injected")
        return real(s, problem, depth)

    monkeypatch.setattr(p2, "_depth_frame", broken)
    out = tmp_path / "res"
    with pytest.raises(UnitsFailedError, match=r"1 of 3 units failed: depth:A\+d6 \(ArithmeticError: injected\)"):
        run_p2_experiments(out, "quick", progress=False)
    _, depth, _ = load_p2_experiments(out)
    assert sorted(set(depth["depth"])) == [4]
    assert main(["p2", "--plan", "quick", "--out", str(out), "--no-progress"]) == 2
    err = [ln for ln in capsys.readouterr().err.splitlines() if ln.strip()]
    assert len(err) == 1 and "depth:A+d6" in err[0] and "injected" in err[0]
    monkeypatch.setattr(p2, "_depth_frame", real)
    again = run_p2_experiments(out, "quick", progress=False)
    assert again.computed == 1 and again.skipped == 2
    assert not list((out / "chunks").glob("*.parquet"))  # every group packed once complete
