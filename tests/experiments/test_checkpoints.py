"""Re-created checkpoints (:mod:`ricci_lit.experiments.checkpoints`, ``ricci-lit checkpoints``): the
sweep's networks bit for bit, in the sweep's own training batches, refused when they differ.
"""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ricci_lit.cli import main
from ricci_lit.experiments.coefficients import load_coefficients, run_coefficient_sweep
from ricci_lit.experiments.paper1 import get_profile, run_sweep
from ricci_lit.experiments.store import ResultsStore


@pytest.fixture(scope="module")
def source(tmp_path_factory) -> Path:
    """A tiny paper-style store: A × {narrow-shallow, narrow-deep} × 2 seeds, 150 test points."""
    out = tmp_path_factory.mktemp("src") / "res"
    prof = get_profile("quick", problems=["A"], architectures=["narrow-shallow", "narrow-deep"], n_seeds=2,
                       n_test=150, epochs=2, k_synthetic=[6, 10, 20])
    run_sweep(prof, out, device="cpu", progress=False)
    return out


def _state(root: Path, key: str) -> dict:
    import json
    man = json.loads((root / "manifest.json").read_text())
    return ResultsStore(root, man["profile"], man["settings"]).load_checkpoint(key)


def test_recreated_checkpoints_are_the_original_networks(source, tmp_path, capsys):
    from ricci_lit.experiments.checkpoints import recreate_checkpoints

    bare = tmp_path / "bare"
    shutil.copytree(source, bare)
    for p in (bare / "checkpoints").iterdir():
        p.unlink()
    assert main(["checkpoints", "--results", str(bare), "--architectures", "narrow-deep", "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "re-created A+narrow-deep: 2 networks, every test accuracy and training loss equal" in out
    assert "narrow-shallow" not in out
    assert not (bare / "checkpoints" / "A+narrow-shallow.pt").exists()  # only what was asked for
    old, new = _state(source, "A+narrow-deep"), _state(bare, "A+narrow-deep")
    assert new["ensemble"]["seeds"] == old["ensemble"]["seeds"] == [0, 1]
    for a, b in zip(old["ensemble"]["weights"] + old["ensemble"]["biases"],
                    new["ensemble"]["weights"] + new["ensemble"]["biases"]):
        assert np.array_equal(a.numpy(), b.numpy())           # bit for bit the sweep's networks
    assert set(new["meta"]) == {0, 1}
    # the coefficient sweep accepts them and finds the stored accuracies again
    s = run_coefficient_sweep(bare, tmp_path / "c", architectures=["narrow-deep"], seeds=2, k=10,
                              curvatures=("forman",), modes=("union",), states=("trained",), progress=False)
    assert s.chunks_written == 2
    nets, _, _ = load_coefficients(tmp_path / "c")
    assert (nets["test_accuracy"] == nets["source_test_accuracy"]).all()
    # a second call has nothing to do; --seeds 1 still re-trains seed 0's whole batch
    assert recreate_checkpoints(bare, architectures=["narrow-deep"], progress=False).empty
    table = recreate_checkpoints(bare, architectures=["narrow-shallow"], seeds=1, progress=False)
    assert table["seed"].tolist() == [0, 1]
    assert (table["stored_accuracy"] == table["recreated_accuracy"]).all()


def test_recreated_checkpoints_follow_the_sweeps_batches(tmp_path):
    """A sweep extended from 1 to 2 seeds trained two batches; re-training follows them exactly."""
    from ricci_lit.experiments.checkpoints import recreate_checkpoints, training_batches
    from ricci_lit.experiments.paper1 import load_results

    out = tmp_path / "res"
    kw = dict(problems=["A"], architectures=["narrow-shallow"], n_test=150, epochs=2, k_synthetic=[6, 10])
    run_sweep(get_profile("quick", n_seeds=1, **kw), out, device="cpu", progress=False)
    run_sweep(get_profile("quick", n_seeds=3, **kw), out, device="cpu", progress=False)
    nets, _, _ = load_results(out)
    assert training_batches(nets) == [[0], [1, 2]]
    original = _state(out, "A+narrow-shallow")
    (out / "checkpoints" / "A+narrow-shallow.pt").unlink()
    assert recreate_checkpoints(out, seeds=1, progress=False)["seed"].tolist() == [0]
    assert _state(out, "A+narrow-shallow")["ensemble"]["seeds"] == [0]
    # a checkpoint with too few seeds is named, and extending it gives the sweep's networks again
    with pytest.raises(FileNotFoundError, match=r"holds seeds \[0\], not \[1, 2\]: extend it with"):
        run_coefficient_sweep(out, tmp_path / "d", seeds=3, k=10, curvatures=("forman",), modes=("union",),
                              states=("trained",), progress=False)
    assert recreate_checkpoints(out, seeds=2, progress=False)["seed"].tolist() == [1, 2]
    new = _state(out, "A+narrow-shallow")
    assert new["ensemble"]["seeds"] == original["ensemble"]["seeds"] == [0, 1, 2] and set(new["meta"]) == {0, 1, 2}
    for a, b in zip(original["ensemble"]["weights"] + original["ensemble"]["biases"],
                    new["ensemble"]["weights"] + new["ensemble"]["biases"]):
        assert np.array_equal(a.numpy(), b.numpy())           # bit for bit, because the batches are the same
    with pytest.raises(ValueError, match="one \\(problem, architecture\\)"):
        training_batches(pd.concat([nets, nets.assign(architecture="wide-deep")]))
    with pytest.raises(ValueError, match="a seed twice"):
        training_batches(pd.concat([nets, nets]))


@pytest.mark.parametrize("scheme", ["batched-v1", None])
def test_a_sweep_that_lost_its_checkpoint_trains_only_the_missing_seeds(tmp_path, scheme):
    """Extending a store whose checkpoint is gone trains the new seeds alone: the stored networks are
    not trained again into the new checkpoint (under the legacy scheme they would come out of a
    different batch, other than their chunks' networks), and the store stays re-creatable."""
    from ricci_lit.experiments.checkpoints import recreate_checkpoints, training_batches
    from ricci_lit.experiments.paper1 import load_results

    out = tmp_path / "res"
    kw = dict(problems=["A"], architectures=["narrow-shallow"], n_test=150, epochs=2, k_synthetic=[6, 10],
              training_scheme=scheme)
    run_sweep(get_profile("quick", n_seeds=2, **kw), out, device="cpu", progress=False)
    (out / "checkpoints" / "A+narrow-shallow.pt").unlink()
    summary = run_sweep(get_profile("quick", n_seeds=3, **kw), out, device="cpu", progress=False)
    assert summary.chunks_written == 1
    assert _state(out, "A+narrow-shallow")["ensemble"]["seeds"] == [2]   # not [0, 1, 2]
    nets, _, _ = load_results(out)
    assert training_batches(nets) == [[0, 1], [2]]
    table = recreate_checkpoints(out, seeds=3, progress=False)
    assert table["seed"].tolist() == [0, 1]
    assert (table["stored_accuracy"] == table["recreated_accuracy"]).all()
    assert sorted(_state(out, "A+narrow-shallow")["ensemble"]["seeds"]) == [0, 1, 2]


def test_recreate_checkpoints_refuses_networks_that_differ_and_bad_input(source, tmp_path, monkeypatch, capsys):
    import ricci_lit.experiments.checkpoints as sweeps

    bare = tmp_path / "bare"
    shutil.copytree(source, bare)
    for p in (bare / "checkpoints").iterdir():
        p.unlink()
    real = sweeps.load_results

    def shifted(out):  # as if the stored networks had been trained elsewhere (another device)
        nets, geo, man = real(out)
        return nets.assign(test_accuracy=nets["test_accuracy"] - 0.01), geo, man

    monkeypatch.setattr(sweeps, "load_results", shifted)
    with pytest.raises(RuntimeError, match="did not reproduce the stored networks, so no checkpoint was written"):
        sweeps.recreate_checkpoints(bare, architectures=["narrow-shallow"], progress=False)
    assert not any((bare / "checkpoints").glob("*.pt"))
    # a configuration that fails does not stop the others; the error names it at the end
    from ricci_lit.experiments.runner import UnitsFailedError

    def shifted_one(out):
        nets, geo, man = real(out)
        off = (nets["architecture"] == "narrow-shallow") * 0.01
        return nets.assign(test_accuracy=nets["test_accuracy"] - off), geo, man

    monkeypatch.setattr(sweeps, "load_results", shifted_one)
    with pytest.raises(UnitsFailedError, match=r"1 of 2 units failed: A\+narrow-shallow \(RuntimeError") as info:
        sweeps.recreate_checkpoints(bare, progress=False)
    assert list(info.value.summary.failed) == ["A+narrow-shallow"] and info.value.summary.computed == 1
    assert [p.name for p in (bare / "checkpoints").glob("*.pt")] == ["A+narrow-deep.pt"]
    monkeypatch.setattr(sweeps, "load_results", real)
    with pytest.raises(ValueError, match=r"no networks of problem\(s\) \['B'\]"):
        sweeps.recreate_checkpoints(bare, problems=["B"], progress=False)
    with pytest.raises(ValueError, match="positive count"):
        sweeps.recreate_checkpoints(bare, seeds=0, progress=False)
    with pytest.raises(FileNotFoundError, match="no manifest.json"):
        sweeps.recreate_checkpoints(tmp_path / "nowhere", progress=False)
    assert main(["checkpoints", "--results", str(bare), "--architectures", "wide-deep"]) == 2
    assert "no networks of architecture(s) ['wide-deep']" in capsys.readouterr().err




def test_recreation_checks_the_training_loss_and_names_the_processors(source, tmp_path, monkeypatch):
    """The accuracy rounds small weight differences away; the float64 training loss does not. A
    refusal says which processor trained the networks and which re-trained them."""
    import ricci_lit.experiments.checkpoints as sweeps
    from ricci_lit.provenance import cpu_identity

    bare = tmp_path / "bare"
    shutil.copytree(source, bare)
    for p in (bare / "checkpoints").iterdir():
        p.unlink()
    table = sweeps.recreate_checkpoints(bare, architectures=["narrow-shallow"], progress=False)
    assert (table["stored_train_loss"] == table["recreated_train_loss"]).all()
    assert list(table.columns) == sweeps.RECREATED_COLUMNS
    (bare / "checkpoints" / "A+narrow-shallow.pt").unlink()
    real_load, real_prov = sweeps.load_results, sweeps.iter_provenance

    def nudged(out):  # one training loss one ulp off: same accuracy, other weights
        nets, geo, man = real_load(out)
        loss = nets["train_loss"].to_numpy(copy=True)
        loss[nets["seed"].to_numpy() == 1] = np.nextafter(loss[nets["seed"].to_numpy() == 1], np.inf)
        return nets.assign(train_loss=loss), geo, man

    monkeypatch.setattr(sweeps, "load_results", nudged)
    here = cpu_identity()
    with pytest.raises(RuntimeError, match=r"1 of 2 differ \(seed 1: training loss stored .*\); stored and "
                                           r"re-trained on " + re.escape(f"{here['model']} (torch ")):
        sweeps.recreate_checkpoints(bare, architectures=["narrow-shallow"], progress=False)
    assert not (bare / "checkpoints" / "A+narrow-shallow.pt").exists()
    # a NaN training loss (nothing recorded) is not compared: the accuracy still is
    monkeypatch.setattr(sweeps, "load_results",
                        lambda out: (lambda n, g, m: (n.assign(train_loss=np.nan), g, m))(*real_load(out)))
    assert len(sweeps.recreate_checkpoints(bare, architectures=["narrow-shallow"], progress=False)) == 2
    (bare / "checkpoints" / "A+narrow-shallow.pt").unlink()

    def elsewhere(root, table):  # the chunks say another processor trained them
        for name, prov in real_prov(root, table):
            yield name, {**prov, "cpu": {"model": "Other CPU 9000", "vendor": "Other", "torch_capability": "AVX2"}}

    monkeypatch.setattr(sweeps, "load_results", nudged)
    monkeypatch.setattr(sweeps, "iter_provenance", elsewhere)
    with pytest.raises(RuntimeError, match=r"trained on Other CPU 9000 \(torch AVX2\), re-trained on .*: CPU "
                                           r"training is bit-reproducible only on the processor kind that ran it"):
        sweeps.recreate_checkpoints(bare, architectures=["narrow-shallow"], progress=False)

    def unrecorded(root, table):  # a store written before chunks named their processor
        for name, prov in real_prov(root, table):
            yield name, {k: v for k, v in prov.items() if k != "cpu"}

    monkeypatch.setattr(sweeps, "iter_provenance", unrecorded)
    with pytest.raises(RuntimeError, match=r"the store does not record the processor that trained them; this "
                                           r"machine is .*bit-reproducible only on the processor kind"):
        sweeps.recreate_checkpoints(bare, architectures=["narrow-shallow"], progress=False)
    assert not (bare / "checkpoints" / "A+narrow-shallow.pt").exists()


def test_a_network_not_asked_for_that_differs_is_left_out_not_fatal(source, tmp_path, monkeypatch, capsys):
    """--seeds 1 re-trains seed 0's whole batch; seed 1 differing (as if trained elsewhere) then only
    keeps it out of the checkpoint, with a warning; asking for it afterwards is refused."""
    import ricci_lit.experiments.checkpoints as sweeps

    bare = tmp_path / "bare"
    shutil.copytree(source, bare)
    for p in (bare / "checkpoints").iterdir():
        p.unlink()
    real = sweeps.load_results

    def seed1_elsewhere(out):
        nets, geo, man = real(out)
        return nets.assign(test_accuracy=nets["test_accuracy"] - 0.01 * (nets["seed"] == 1)), geo, man

    monkeypatch.setattr(sweeps, "load_results", seed1_elsewhere)
    with pytest.warns(UserWarning, match=r"A\+narrow-deep: seed\(s\) \[1\] of the re-trained batch did not come "
                                         r"out as stored and are not in the checkpoint"):
        table = sweeps.recreate_checkpoints(bare, architectures=["narrow-deep"], seeds=1, progress=False)
    assert table["seed"].tolist() == [0, 1] and table["kept"].tolist() == [True, False]
    state = _state(bare, "A+narrow-deep")
    assert state["ensemble"]["seeds"] == [0] and set(state["meta"]) == {0}
    old = _state(source, "A+narrow-deep")
    for a, b in zip(old["ensemble"]["weights"] + old["ensemble"]["biases"],
                    state["ensemble"]["weights"] + state["ensemble"]["biases"]):
        assert np.array_equal(a.numpy()[:1], b.numpy())        # seed 0 bit for bit
    with pytest.raises(RuntimeError, match=r"1 of 1 differ \(seed 1: test accuracy stored"):
        sweeps.recreate_checkpoints(bare, architectures=["narrow-deep"], seeds=2, progress=False)
    assert _state(bare, "A+narrow-deep")["ensemble"]["seeds"] == [0]   # kept as it was
    # the CLI counts the kept networks; the warning names the one left out (pytest captures it in-process)
    (bare / "checkpoints" / "A+narrow-deep.pt").unlink()
    with pytest.warns(UserWarning, match=r"seed\(s\) \[1\] of the re-trained batch"):
        assert main(["checkpoints", "--results", str(bare), "--architectures", "narrow-deep", "--seeds", "1",
                     "--no-progress"]) == 0
    assert "re-created A+narrow-deep: 1 networks, every test accuracy and training loss equal" in \
        capsys.readouterr().out
