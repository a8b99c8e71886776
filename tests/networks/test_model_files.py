"""A user's model from files (issue 15): torch.export archives, factories + state dicts, .npy inputs, the CLI."""
from __future__ import annotations

import io
import json
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from ricci_lit.cli import main
from ricci_lit.networks.capture import layer_representations
from ricci_lit.networks.model_files import (
    ModelFileError,
    analyze_user_model,
    load_exported,
    load_user_model,
    read_inputs,
)


class Net(nn.Module):
    """An MLP with a parameter-free ReLU module, a nested block and a residual add."""

    def __init__(self) -> None:
        super().__init__()
        self.fc1 = nn.Linear(4, 8)
        self.act = nn.ReLU()
        self.block = nn.Sequential(nn.Linear(8, 8), nn.ReLU())
        self.out = nn.Linear(8, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.act(self.fc1(x))
        return self.out(h + self.block(h))


def make_net() -> Net:
    """Factory for the ``module:factory`` form (seeded: the same weights every call)."""
    with torch.random.fork_rng():
        torch.manual_seed(0)
        return Net()


LAYERS = ["act", "block", "out"]


@pytest.fixture(scope="module")
def x() -> np.ndarray:
    return np.random.default_rng(0).normal(size=(30, 4)).astype(np.float32)


@pytest.fixture(scope="module")
def pt2(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("model") / "net.pt2"
    ep = torch.export.export(make_net().eval(), (torch.randn(3, 4),),
                             dynamic_shapes={"x": {0: torch.export.Dim("batch")}})
    torch.export.save(ep, path)
    return path


def _manual(x: np.ndarray) -> dict[str, np.ndarray]:
    """Oracle: the intermediate values written out by hand."""
    m = make_net()
    with torch.no_grad():
        t = torch.from_numpy(x)
        h = torch.relu(m.fc1(t))
        b = torch.relu(m.block[0](h))
        out = m.out(h + b)
    return {"input": x, "act": h.numpy(), "block": b.numpy(), "out": out.numpy()}


# ------------------------------------------------------------------------------------------ exported
def test_exported_layers_equal_the_manual_forward_pass(pt2: Path, x: np.ndarray) -> None:
    um = load_user_model(str(pt2), LAYERS)
    assert um.names == tuple(LAYERS) and um.input_shape == (None, 4)
    reps = layer_representations(um.module, x, list(um.capture), batch_size=7)
    want = _manual(x)
    for got, name in zip(reps.values(), ["input", *LAYERS]):
        np.testing.assert_allclose(got, want[name], rtol=1e-5, atol=1e-6)


def test_exported_analysis_matches_the_eager_model(pt2: Path, x: np.ndarray) -> None:
    from ricci_lit.networks.analyze import analyze

    res = analyze_user_model(load_user_model(str(pt2), LAYERS), x, 5, local=True)
    ref = analyze(make_net(), x, LAYERS, 5, local=True)
    assert res.layers == ("input", *LAYERS) and res.features == (4, 8, 8, 3)
    assert res.ric == ref.ric and res.eta == ref.eta


def test_exported_output_and_sub_layers(pt2: Path, x: np.ndarray) -> None:
    um = load_user_model(str(pt2), ["fc1", "block.0", ""])
    reps = layer_representations(um.module, x, list(um.capture), include_input=False)
    m = make_net()
    with torch.no_grad():
        np.testing.assert_allclose(list(reps.values())[1], m.block[0](torch.relu(m.fc1(torch.from_numpy(x)))).numpy(),
                                   rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(list(reps.values())[2], m(torch.from_numpy(x)).numpy(), rtol=1e-5, atol=1e-6)


def test_missing_layer_names_close_ones(pt2: Path) -> None:
    with pytest.raises(ModelFileError, match=r"no layer 'blok'.*block"):
        load_user_model(str(pt2), ["act", "blok"])


def test_wrong_input_shape(pt2: Path, x: np.ndarray) -> None:
    um = load_user_model(str(pt2), LAYERS)
    with pytest.raises(ModelFileError, match=r"does not fit.*\[n, 4\]"):
        analyze_user_model(um, x[:, :3], 5)


def test_fixed_batch_export(tmp_path: Path, x: np.ndarray) -> None:
    path = tmp_path / "fixed.pt2"
    torch.export.save(torch.export.export(make_net().eval(), (torch.randn(5, 4),)), path)
    um = load_user_model(str(path), LAYERS)
    res = analyze_user_model(um, x, 5)  # 30 points = 6 batches of the fixed 5
    assert res.n == 30
    with pytest.raises(ModelFileError, match="fixed batch of 5"):
        analyze_user_model(um, x[:29], 5)


def _rewrite(src: Path, dst: Path, change) -> Path:
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for info in zin.infolist():
            data = change(info.filename, zin.read(info))
            if data is not None:
                zout.writestr(info.filename, data)
    return dst


def test_pickled_payloads_are_refused(pt2: Path, tmp_path: Path) -> None:
    def flag(name: str, data: bytes) -> bytes:
        return data.replace(b'"use_pickle": false', b'"use_pickle": true') if name.endswith("weights_config.json") else data
    with pytest.raises(ModelFileError, match="stored pickled"):
        load_exported(_rewrite(pt2, tmp_path / "pickled.pt2", flag))


def test_custom_object_payloads_are_refused(pt2: Path, tmp_path: Path) -> None:
    def point(name: str, data: bytes) -> bytes:
        return data.replace(b'"path_name": "weight_0"', b'"path_name": "custom_obj_0"') \
            if name.endswith("weights_config.json") else data
    with pytest.raises(ModelFileError, match="not a plain tensor file"):
        load_exported(_rewrite(pt2, tmp_path / "custom.pt2", point))


def test_extra_members_are_refused(pt2: Path, tmp_path: Path) -> None:
    root = zipfile.ZipFile(pt2).namelist()[0].split("/")[0]

    def add(name: str, data: bytes) -> bytes:
        return data

    bad = _rewrite(pt2, tmp_path / "aoti.pt2", add)
    with zipfile.ZipFile(bad, "a") as z:
        z.writestr(f"{root}/data/aotinductor/model/model.so", b"\x7fELF")
    with pytest.raises(ModelFileError, match="not part of a plain exported program"):
        load_exported(bad)


def test_sample_inputs_that_need_full_unpickling_are_refused(pt2: Path, tmp_path: Path) -> None:
    class Evil:
        def __reduce__(self):  # would run on a full unpickle
            return (print, ("pwned",))

    buf = io.BytesIO()
    torch.save(Evil(), buf)

    def swap(name: str, data: bytes) -> bytes:
        return buf.getvalue() if "sample_inputs" in name else data
    with pytest.raises(ModelFileError, match="sample inputs"):
        load_exported(_rewrite(pt2, tmp_path / "evil.pt2", swap))


@pytest.mark.parametrize("content", [b"", b"not a zip", b"PK\x03\x04garbage"])
def test_bad_archives(tmp_path: Path, content: bytes) -> None:
    p = tmp_path / "bad.pt2"
    p.write_bytes(content)
    with pytest.raises(ModelFileError, match="bad.pt2"):
        load_exported(p)


# ------------------------------------------------------------------------------------------ factory
@pytest.fixture()
def factory_module(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setitem(sys.modules, "w3_user_models", sys.modules[__name__])
    return "w3_user_models:make_net"


def test_factory_with_weights(factory_module: str, tmp_path: Path, x: np.ndarray) -> None:
    other = Net()  # different weights from make_net()'s
    w = tmp_path / "w.pt"
    torch.save(other.state_dict(), w)
    um = load_user_model(factory_module, LAYERS, weights=w)
    reps = layer_representations(um.module, x, list(um.capture))
    with torch.no_grad():
        want = other.out(torch.relu(other.fc1(torch.from_numpy(x))) + other.block(torch.relu(other.fc1(torch.from_numpy(x)))))
    np.testing.assert_allclose(reps["out"], want.numpy(), rtol=1e-5, atol=1e-6)


def test_factory_weights_that_do_not_fit(factory_module: str, tmp_path: Path) -> None:
    w = tmp_path / "w.pt"
    torch.save({"fc1.weight": torch.zeros(8, 4)}, w)
    with pytest.raises(ModelFileError, match="does not fit"):
        load_user_model(factory_module, LAYERS, weights=w)


def test_factory_weights_with_objects_are_not_unpickled(factory_module: str, tmp_path: Path) -> None:
    w = tmp_path / "w.pt"
    torch.save(make_net(), w)  # a whole module: only full unpickling could read it
    with pytest.raises(ModelFileError, match="weights_only"):
        load_user_model(factory_module, LAYERS, weights=w)


@pytest.mark.parametrize("spec, match", [("nomodule_xyz:make", "cannot import"), ("json:nope", "no callable"),
                                         ("json", "expected a .pt2 file"),
                                         ("json:dumps", "dumps\\(\\) failed")])
def test_bad_factories(spec: str, match: str) -> None:
    with pytest.raises(ModelFileError, match=match):
        load_user_model(spec, LAYERS)


def test_factory_missing_layer(factory_module: str) -> None:
    with pytest.raises(ModelFileError, match=r"no layer 'fc2'.*fc1"):
        load_user_model(factory_module, ["fc2"])


# ------------------------------------------------------------------------------------------ inputs
def test_read_inputs_round_trip(tmp_path: Path) -> None:
    a = np.arange(24, dtype=np.float64).reshape(2, 3, 4)
    for order in ("C", "F"):
        p = tmp_path / f"a{order}.npy"
        np.save(p, np.asarray(a, order=order))
        np.testing.assert_array_equal(read_inputs(p), a)
    np.savez(tmp_path / "one.npz", a)
    np.testing.assert_array_equal(read_inputs(tmp_path / "one.npz"), a)


def test_read_inputs_refuses(tmp_path: Path) -> None:
    np.save(tmp_path / "obj.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(ModelFileError, match="Python objects"):
        read_inputs(tmp_path / "obj.npy")
    np.save(tmp_path / "t.npy", np.zeros((100, 10)))
    data = (tmp_path / "t.npy").read_bytes()
    (tmp_path / "short.npy").write_bytes(data[:-8])
    with pytest.raises(ModelFileError, match="header says"):
        read_inputs(tmp_path / "short.npy")
    (tmp_path / "junk.npy").write_bytes(b"hello")
    with pytest.raises(ModelFileError, match="not a valid .npy"):
        read_inputs(tmp_path / "junk.npy")
    np.savez(tmp_path / "two.npz", np.zeros(2), np.zeros(3))
    with pytest.raises(ModelFileError, match="exactly one array"):
        read_inputs(tmp_path / "two.npz")
    with pytest.raises(ModelFileError, match="no such file|not found"):
        read_inputs(tmp_path / "missing.npy")


# ------------------------------------------------------------------------------------------ CLI
def test_cli_json_has_layer_names(pt2: Path, x: np.ndarray, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    np.save(tmp_path / "x.npy", x)
    code = main(["coefficient", "--model", str(pt2), "--inputs", str(tmp_path / "x.npy"), "--layers",
                 ",".join(LAYERS), "--k", "5", "--json", "--layer"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and out["layers"] == ["input", *LAYERS] and len(out["layer"]) == 3
    from ricci_lit.networks.analyze import analyze
    assert out["ric"] == list(analyze(make_net(), x, LAYERS, 5).ric)


def test_cli_factory_table(factory_module: str, x: np.ndarray, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    np.save(tmp_path / "x.npy", x)
    code = main(["coefficient", "--model", factory_module, "--inputs", str(tmp_path / "x.npy"), "--layers",
                 "act,block,out", "--k", "5", "--no-input"])
    out = capsys.readouterr().out
    assert code == 0 and " act " in out and "rho" in out and " input " not in out


@pytest.mark.parametrize("extra, match", [
    (["--layers", "act,nope"], "no layer 'nope'"),
    (["--layers", "act,block", "--inputs", "WRONG"], "does not fit"),
    (["--layers", "act,block", "--inputs", "BADFILE"], "not a valid .npy"),
    (["--layers", "act,block", "--model", "BADMODEL"], "not a torch.export archive"),
    (["--layers", "act,block", "--weights", "x.pt"], "--weights applies to"),
])
def test_cli_errors_exit_2_one_line(pt2: Path, x: np.ndarray, tmp_path: Path, capsys: pytest.CaptureFixture,
                                    extra: list[str], match: str) -> None:
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "wrong.npy", x[:, :3])
    (tmp_path / "bad.npy").write_bytes(b"nope")
    (tmp_path / "bad.pt2").write_bytes(b"nope")
    subst = {"WRONG": str(tmp_path / "wrong.npy"), "BADFILE": str(tmp_path / "bad.npy"),
             "BADMODEL": str(tmp_path / "bad.pt2")}
    args = {"--model": str(pt2), "--inputs": str(tmp_path / "x.npy")}
    it = iter(extra)
    for opt in it:
        val = next(it)
        args[opt] = subst.get(val, val)
    argv = ["coefficient", "--k", "5"] + [t for kv in args.items() for t in kv]
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and err.startswith("ricci-lit: error:")
    assert match in err


def test_cli_old_form_still_works(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    rng = np.random.default_rng(0)
    reps = [rng.normal(size=(30, d)) for d in (3, 5, 4)]
    np.savez(tmp_path / "acts.npz", *reps)
    assert main(["coefficient", str(tmp_path / "acts.npz"), "--k", "5", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert "layers" not in out and len(out["ric"]) == 3
    assert main(["coefficient", str(tmp_path / "acts.npz"), "--k", "5", "--layers", "a,b"]) == 2
    assert main(["coefficient", "--k", "5"]) == 2
