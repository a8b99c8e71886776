"""Chapter 9's networks as a resumable store (:mod:`ricci_lit.experiments.zoo`, issue 15).

A tiny plan (one problem, both models, one seed, one epoch) is run once; its numbers must equal
the functions it wraps, computed here by hand (:func:`ricci_lit.networks.fit.fit`,
:func:`ricci_lit.networks.capture.layer_representations`,
:func:`ricci_lit.geometry.engine.network_coefficients`,
:func:`ricci_lit.geometry.community.community_table`); a rerun computes nothing, a lost chunk is
recomputed to the same numbers, the book reads a matching store and never writes under the
results root otherwise, and the command line refuses bad input with exit status 2.
"""
from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from ricci_lit.cli import main
from ricci_lit.experiments.zoo import MODELS, PLANS, ZooPlan, build_model, load_zoo, run_zoo, zoo_plan

TINY = ZooPlan("tiny", ("mnist-10",), seeds=(3,), epochs=1, n_train=300, n_test=60, k=6)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    out = tmp_path_factory.mktemp("zoo") / "res"
    summary = run_zoo(out, TINY, progress=False)
    return out, summary


def test_plan_units_and_tables(tiny):
    out, summary = tiny
    assert summary.total == summary.computed == 2 and summary.failed == {}
    nets, layers, comm, manifest = load_zoo(out)
    assert manifest["profile"] == "zoo-tiny" and manifest["settings"]["model_specs"] == json.loads(json.dumps(MODELS))
    assert len(nets) == 2 * 2 * len(TINY.curvatures)  # models × states × curvatures
    assert set(nets["state"]) == {"untrained", "trained"} and set(nets["model"]) == {"cnn", "residual"}
    assert nets["test_accuracy"].between(0, 1).all()
    assert set(comm.columns) >= {"layer", "name", "modularity", "normalized_cut", "state", "model"}
    assert {u.key for u in zoo_plan(out, TINY).units} == {"mnist-10+cnn+s3", "mnist-10+residual+s3"}


def test_numbers_equal_the_functions_they_wrap(tiny):
    from ricci_lit.data.problems import load_xy
    from ricci_lit.geometry import engine
    from ricci_lit.geometry.community import community_table
    from ricci_lit.networks.capture import layer_representations
    from ricci_lit.networks.fit import fit

    out, _ = tiny
    nets, layers, comm, _ = load_zoo(out)
    _, x_tr, y_tr, x_te, y_te = load_xy("mnist-10", n_test=TINY.n_test, n_train=TINY.n_train, data_seed=0,
                                        pixel_scale=1 / 255)
    model = build_model("residual", 3)
    fit(model, x_tr, y_tr.astype(np.int64), epochs=1, batch_size=128, seed=3, device="cpu")
    reps = layer_representations(model, x_te, list(model.representation_layers), device="cpu")
    want = engine.network_coefficients([list(reps.values())], TINY.k, curvatures=list(TINY.curvatures)).networks
    got = nets[(nets["model"] == "residual") & (nets["state"] == "trained")].sort_values("curvature")
    want = want.sort_values("curvature")
    np.testing.assert_array_equal(got["rho"].to_numpy(), want["rho"].to_numpy())
    np.testing.assert_array_equal(got["local_mean"].to_numpy(), want["local_mean"].to_numpy())
    q = community_table(list(reps.values()), y_te.astype(np.int64), TINY.k)["modularity"].to_numpy()
    got_q = comm[(comm["model"] == "residual") & (comm["state"] == "trained")].sort_values("layer")
    np.testing.assert_array_equal(got_q["modularity"].to_numpy(), q)


def test_rerun_computes_nothing_and_a_lost_chunk_comes_back(tiny, tmp_path):
    import shutil

    out, _ = tiny
    again = run_zoo(out, TINY, progress=False)
    assert again.computed == 0 and again.skipped == 2
    copy = tmp_path / "copy"
    shutil.copytree(out, copy)
    before = load_zoo(copy)[0].sort_values(["model", "state", "curvature"]).reset_index(drop=True)
    for f in (copy / "packed").glob("*"):  # lose every chunk of the store's one problem
        f.unlink()
    redo = run_zoo(copy, TINY, progress=False)
    assert redo.computed == 2
    after = load_zoo(copy)[0].sort_values(["model", "state", "curvature"]).reset_index(drop=True)
    cols = [c for c in before.columns if c not in ("seconds", "_chunk", "_provenance")]
    pd.testing.assert_frame_equal(before[cols], after[cols])


def test_book_reads_a_matching_store_and_computes_otherwise(tiny, tmp_path, monkeypatch):
    import shutil

    from ricci_lit import book

    out, _ = tiny
    root = tmp_path / "results"
    root.mkdir()
    shutil.copytree(out, root / "zoo-tiny")
    nets, _, _, source = book.book_zoo(TINY, root)
    assert "committed store" in source and len(nets) == 12
    other = replace(TINY, epochs=2)  # other settings: computed elsewhere, the results root untouched
    before = sorted(p.name for p in root.rglob("*"))
    nets2, _, _, source2 = book.book_zoo(other, root)
    assert "computed" in source2 and len(nets2) == 12
    assert sorted(p.name for p in root.rglob("*")) == before


def test_plans_and_models_are_checked():
    assert set(PLANS) == {"quick", "paper"}
    with pytest.raises(ValueError, match="unknown plan"):
        zoo_plan("x", "huge")
    with pytest.raises(ValueError, match="unknown model"):
        zoo_plan("x", replace(TINY, models=("vgg",)))
    with pytest.raises(ValueError, match="unknown model"):
        build_model("vgg", 0)


def test_cli_zoo_refuses_bad_input(tiny, tmp_path, capsys):
    out, _ = tiny
    assert main(["zoo", "--plan", "quick", "--out", str(out), "--no-progress"]) == 2  # other settings
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "refusing to mix" in err[0]
    assert main(["zoo", "--plan", "huge", "--out", str(tmp_path / "z")]) == 2
    assert not (tmp_path / "z").exists()
