"""layer_representations: captured arrays equal a manual forward pass's intermediate values.

Oracles are written independently of the hooks: numpy forward passes from the weights (MLP,
residual block), torch.nn.functional calls layer by layer (CNN), and direct calls of the
submodules (transformer layer, attention).
"""
from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from torch import nn
from torch.nn import functional as F

from ricci_lit.networks.capture import INPUT, layer_representations
from ricci_lit.networks.zoo import ResidualMLP, SmallCNN

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _np(t: torch.Tensor) -> np.ndarray:
    return t.detach().cpu().numpy()


@pytest.fixture
def mlp() -> nn.Sequential:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(3, 6), nn.ReLU(), nn.Linear(6, 5), nn.ReLU(), nn.Linear(5, 2))


@pytest.fixture
def x3() -> np.ndarray:
    return np.random.default_rng(1).normal(size=(37, 3)).astype(np.float32)


def _mlp_oracle(model: nn.Sequential, x: np.ndarray) -> dict[str, np.ndarray]:
    W = [_np(model[i].weight).astype(np.float64) for i in (0, 2, 4)]
    b = [_np(model[i].bias).astype(np.float64) for i in (0, 2, 4)]
    h0 = x.astype(np.float64) @ W[0].T + b[0]
    h1 = np.maximum(h0, 0)
    h2 = h1 @ W[1].T + b[1]
    h3 = np.maximum(h2, 0)
    return {"0": h0, "1": h1, "2": h2, "3": h3, "4": h3 @ W[2].T + b[2]}


# ------------------------------------------------------------------------------------------------
# Equal to a manual forward pass
# ------------------------------------------------------------------------------------------------


def test_mlp_equals_numpy_forward(mlp, x3):
    reps = layer_representations(mlp, x3, ["1", "3", "4"], batch_size=8, device="cpu")
    assert list(reps) == [INPUT, "1", "3", "4"]
    oracle = _mlp_oracle(mlp, x3)
    np.testing.assert_array_equal(reps[INPUT], x3)
    for name in ("1", "3", "4"):
        assert reps[name].shape == oracle[name].shape
        assert reps[name].dtype == np.float32
        np.testing.assert_allclose(reps[name], oracle[name], rtol=1e-5, atol=1e-6)


def test_one_batch_is_bit_identical_to_calling_the_modules(mlp, x3):
    reps = layer_representations(mlp, x3, ["0", "2"], batch_size=len(x3), device="cpu")
    with torch.no_grad():
        h0 = mlp[0](torch.from_numpy(x3))
        h2 = mlp[2](mlp[1](h0))
    np.testing.assert_array_equal(reps["0"], _np(h0))
    np.testing.assert_array_equal(reps["2"], _np(h2))


def test_order_is_the_order_asked_not_the_execution_order(mlp, x3):
    reps = layer_representations(mlp, x3, ["4", "1"], include_input=False)
    assert list(reps) == ["4", "1"]
    oracle = _mlp_oracle(mlp, x3)
    np.testing.assert_allclose(reps["4"], oracle["4"], rtol=1e-5, atol=1e-6)


def test_small_cnn_flatten_and_mean_pool():
    model = SmallCNN(in_channels=1, image_size=12, n_classes=3, channels=(4, 5), hidden=7, seed=3)
    x = np.random.default_rng(2).random((9, 1, 12, 12)).astype(np.float32)
    xt = torch.from_numpy(x)
    with torch.no_grad():
        a1 = F.relu(F.conv2d(xt, model.conv1.weight, model.conv1.bias, padding=1))
        p1 = F.max_pool2d(a1, 2)
        a2 = F.relu(F.conv2d(p1, model.conv2.weight, model.conv2.bias, padding=1))
        p2 = F.max_pool2d(a2, 2)
        h = F.relu(F.linear(p2.reshape(9, -1), model.fc1.weight, model.fc1.bias))
        out = F.linear(h, model.fc2.weight, model.fc2.bias)
    layers = ["act1", "pool1", "act2", "pool2", "act3", "fc2"]
    reps = layer_representations(model, x, layers, batch_size=4)
    assert reps[INPUT].shape == (9, 144)
    np.testing.assert_array_equal(reps[INPUT], x.reshape(9, -1))
    for name, t in zip(layers, (a1, p1, a2, p2, h, out)):
        want = _np(t).reshape(9, -1)  # numpy C-order: column (c, h, w) = c·H·W + h·W + w
        assert reps[name].shape == want.shape
        np.testing.assert_allclose(reps[name], want, rtol=1e-5, atol=1e-6)
    # a feature map's column (c, i, j) is c·H·W + i·W + j
    c, i, j = 2, 3, 1
    np.testing.assert_allclose(reps["act1"][:, c * 144 + i * 12 + j], _np(a1)[:, c, i, j], rtol=1e-5, atol=1e-6)

    pooled = layer_representations(model, x, layers, flatten="mean")
    assert pooled[INPUT].shape == (9, 144)  # the input is never pooled
    np.testing.assert_allclose(pooled["act1"], _np(a1).mean(axis=(2, 3)), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(pooled["pool2"], _np(p2).mean(axis=(2, 3)), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(pooled["act3"], _np(h), rtol=1e-5, atol=1e-6)  # 2-D: kept
    assert pooled["act2"].shape == (9, 5)


def test_residual_blocks_equal_numpy_forward():
    model = ResidualMLP(4, width=6, depth=3, n_classes=2, seed=5)
    x = np.random.default_rng(3).normal(size=(21, 4))
    reps = layer_representations(model, x, model.representation_layers, batch_size=5)
    W = lambda m: _np(m.weight).astype(np.float64)
    B = lambda m: _np(m.bias).astype(np.float64)
    h = np.maximum(x @ W(model.stem[0]).T + B(model.stem[0]), 0)
    np.testing.assert_allclose(reps["stem"], h, rtol=1e-5, atol=1e-6)
    for i, block in enumerate(model.blocks):
        h = h + np.maximum(h @ W(block.linear).T + B(block.linear), 0)
        np.testing.assert_allclose(reps[f"blocks.{i}"], h, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(reps["head"], h @ W(model.head).T + B(model.head), rtol=1e-5, atol=1e-5)
    # the input is cast to the model's dtype (float64 data, float32 model)
    assert reps[INPUT].dtype == np.float32


@pytest.fixture
def encoder() -> nn.Sequential:
    torch.manual_seed(7)
    return nn.Sequential(
        nn.TransformerEncoderLayer(d_model=8, nhead=2, dim_feedforward=16, dropout=0.1, batch_first=True),
        nn.TransformerEncoderLayer(d_model=8, nhead=2, dim_feedforward=16, dropout=0.1, batch_first=True),
    )


def test_transformer_token_clouds(encoder):
    x = torch.randn(6, 5, 8, generator=torch.Generator().manual_seed(0))
    encoder.eval()
    with torch.no_grad():
        h0 = encoder[0](x)
        h1 = encoder[1](h0)
    encoder.train()
    every = layer_representations(encoder, x, ["0", "1"], tokens="all", batch_size=4)
    assert every[INPUT].shape == (30, 8) and every["1"].shape == (30, 8)
    np.testing.assert_array_equal(every[INPUT], _np(x).reshape(30, 8))
    np.testing.assert_allclose(every["0"], _np(h0).reshape(30, 8), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(every["1"], _np(h1).reshape(30, 8), rtol=1e-5, atol=1e-5)
    # row b·T + t is token t of example b
    np.testing.assert_allclose(every["1"][2 * 5 + 3], _np(h1)[2, 3], rtol=1e-5, atol=1e-5)

    first = layer_representations(encoder, x, ["0", "1"], tokens=0)
    np.testing.assert_allclose(first["1"], _np(h1)[:, 0], rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(first[INPUT], _np(x)[:, 0])
    last = layer_representations(encoder, x, ["1"], tokens=-1, include_input=False)
    np.testing.assert_allclose(last["1"], _np(h1)[:, -1], rtol=1e-5, atol=1e-5)
    mean = layer_representations(encoder, x, ["1"], tokens="mean")
    np.testing.assert_allclose(mean["1"], _np(h1).mean(axis=1), rtol=1e-5, atol=1e-5)
    flat = layer_representations(encoder, x, ["1"])
    np.testing.assert_allclose(flat["1"], _np(h1).reshape(6, 40), rtol=1e-5, atol=1e-5)
    assert encoder.training and encoder[0].training


def test_tokens_out_of_range(encoder):
    x = torch.randn(3, 4, 8)
    with pytest.raises(ValueError, match="out of range.*4 tokens"):
        layer_representations(encoder, x, ["0"], tokens=4)


class _Attention(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.attn = nn.MultiheadAttention(8, 2, batch_first=True)
        self.proj = nn.Linear(8, 8)

    def forward(self, x):
        a, _ = self.attn(x, x, x)
        return self.proj(a)


def test_tuple_output_needs_select_and_each_rule_works():
    torch.manual_seed(0)
    model = _Attention()
    x = torch.randn(5, 3, 8)
    with pytest.raises(ValueError, match=r"module 'attn' returns a tuple of 2.*select="):
        layer_representations(model, x, ["attn"])
    model.eval()
    with torch.no_grad():
        want = _np(model.attn(x, x, x)[0]).reshape(5, -1)
    for select in (0, {"attn": 0}, lambda out: out[0]):
        reps = layer_representations(model, x, ["attn", "proj"], select=select)
        np.testing.assert_allclose(reps["attn"], want, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="does not apply"):
        layer_representations(model, x, ["attn"], select=5)
    with pytest.raises(ValueError, match="not captured"):
        layer_representations(model, x, ["attn"], select={"nope": 0})


class _DictOut(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.lin = nn.Linear(3, 4)

    def forward(self, x):
        return {"hidden": self.lin(x), "n": 3}


def test_dict_output_by_key():
    model = nn.Sequential()
    model.add_module("body", _DictOut())
    x = torch.randn(7, 3)
    with pytest.raises(ValueError, match="returns a dict with keys"):
        layer_representations(model, x, ["body"])
    reps = layer_representations(model, x, ["body"], select="hidden")
    with torch.no_grad():
        np.testing.assert_allclose(reps["body"], _np(model.body.lin(x)), rtol=1e-6)
    with pytest.raises(TypeError, match="gave a int"):
        layer_representations(model, x, ["body"], select="n")


# ------------------------------------------------------------------------------------------------
# Inputs: arrays, tensors, iterables of batches
# ------------------------------------------------------------------------------------------------


def test_iterables_of_batches_equal_the_array(mlp, x3):
    ref = layer_representations(mlp, x3, ["1", "4"], batch_size=len(x3))
    chunks = [x3[:10], x3[10:11], x3[11:]]
    loader = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(torch.from_numpy(x3), torch.zeros(len(x3))), batch_size=9)
    for source in (chunks, (c for c in chunks), loader, torch.from_numpy(x3)):
        got = layer_representations(mlp, source, ["1", "4"])
        for key in ref:
            np.testing.assert_allclose(got[key], ref[key], rtol=1e-6, atol=1e-7)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batch_size=st.integers(1, 40))
def test_batch_size_does_not_change_the_result(mlp, x3, batch_size):
    torch.set_num_threads(1)
    ref = _mlp_oracle(mlp, x3)
    got = layer_representations(mlp, x3, ["2", "4"], batch_size=batch_size)
    assert got["2"].shape[0] == len(x3)
    np.testing.assert_allclose(got["2"], ref["2"], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got["4"], ref["4"], rtol=1e-5, atol=1e-6)


def test_float64_model_keeps_float64_and_integer_outputs_become_float64(x3):
    model = nn.Sequential(nn.Linear(3, 4)).double()
    reps = layer_representations(model, x3, ["0"])
    assert reps["0"].dtype == np.float64 and reps[INPUT].dtype == np.float64

    class Count(nn.Module):
        def forward(self, x):
            return (x > 0).sum(dim=1)

    m = nn.Sequential(nn.Linear(3, 3), Count())
    out = layer_representations(m, x3, ["1"], include_input=False)["1"]
    assert out.dtype == np.float64 and out.shape == (len(x3), 1)


def test_integer_token_ids_are_passed_unchanged():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Embedding(11, 4))
    ids = torch.randint(0, 11, (6, 3))
    reps = layer_representations(model, ids, ["0"], tokens="all", include_input=False)
    np.testing.assert_array_equal(reps["0"], _np(model[0].weight)[_np(ids).reshape(-1)])


# ------------------------------------------------------------------------------------------------
# Mode, hooks and device restored
# ------------------------------------------------------------------------------------------------


def _flags(model: nn.Module) -> list[bool]:
    return [m.training for m in model.modules()]


def test_eval_mode_while_capturing_and_modes_restored():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 50), nn.Dropout(0.5), nn.Linear(50, 2))
    model.train()
    model[2].eval()  # a mixed state must come back as it was
    before = _flags(model)
    x = torch.randn(20, 3)
    a = layer_representations(model, x, ["1"])["1"]
    b = layer_representations(model, x, ["1"])["1"]
    np.testing.assert_array_equal(a, b)  # dropout off: eval mode
    with torch.no_grad():
        np.testing.assert_array_equal(a, _np(model[0](x)))
    assert _flags(model) == before
    assert all(not m._forward_hooks for m in model.modules())


class _Boom(nn.Module):
    def forward(self, x):
        raise RuntimeError("boom")


def test_modes_and_hooks_restored_after_an_error():
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), _Boom())
    model.train()
    model[1].eval()
    before = _flags(model)
    with pytest.raises(ValueError, match="forward pass of Sequential failed.*boom"):
        layer_representations(model, torch.randn(8, 3), ["0", "1"])
    assert _flags(model) == before
    assert all(not m._forward_hooks for m in model.modules())
    assert torch.is_grad_enabled()


def test_the_model_stays_on_its_device_and_gets_no_grad(mlp, x3):
    layer_representations(mlp, x3, ["1"], device="cpu")
    assert all(p.device.type == "cpu" for p in mlp.parameters())
    assert all(p.grad is None for p in mlp.parameters())


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_gpu_path_matches_cpu_and_moves_the_model_back(mlp, x3):
    cpu = layer_representations(mlp, x3, ["1", "3", "4"], device="cpu")
    gpu = layer_representations(mlp, x3, ["1", "3", "4"], device="cuda")
    assert all(p.device.type == "cpu" for p in mlp.parameters())
    for key in cpu:
        assert isinstance(gpu[key], np.ndarray)
        np.testing.assert_allclose(gpu[key], cpu[key], rtol=1e-4, atol=1e-5)
    mlp.cuda()
    auto = layer_representations(mlp, torch.from_numpy(x3).cuda(), ["4"], device="auto")
    assert all(p.device.type == "cuda" for p in mlp.parameters())
    np.testing.assert_allclose(auto["4"], cpu["4"], rtol=1e-4, atol=1e-5)
    mlp.cpu()


# ------------------------------------------------------------------------------------------------
# Clear errors
# ------------------------------------------------------------------------------------------------


def test_unknown_name_lists_close_names(mlp, x3):
    model = SmallCNN(image_size=8, seed=0)
    with pytest.raises(ValueError, match=r"no submodule named 'conv3' in SmallCNN; close names: 'conv2', 'conv1'"):
        layer_representations(model, np.zeros((2, 64), np.float32), ["conv3"])
    with pytest.raises(ValueError, match=r"no submodule named 'zzz'.*modules are: ''"):
        layer_representations(mlp, x3, ["zzz"])


@pytest.mark.parametrize("layers, exc, msg", [
    ([], ValueError, "layers is empty"),
    (["1", "1"], ValueError, "repeated"),
    ([1], TypeError, "must be strings"),
    (["input"], ValueError, "key of the input"),
])
def test_bad_layer_lists(mlp, x3, layers, exc, msg):
    with pytest.raises(exc, match=msg):
        layer_representations(mlp, x3, layers)


def test_wrong_input_shape_is_one_readable_error(mlp):
    with pytest.raises(ValueError, match=r"failed on a batch of shape \(4, 5\): mat1 and mat2"):
        layer_representations(mlp, np.zeros((4, 5), np.float32), ["1"])


@pytest.mark.parametrize("x, exc, msg", [
    (np.zeros((0, 3), np.float32), ValueError, "no points"),
    ([], ValueError, "no points"),
    (np.array(["a", "b"]), ValueError, "non-numeric"),
    ("abc", TypeError, "iterable of batches"),
    (3.0, TypeError, "iterable of batches"),
    ([[1.0, 2.0, 3.0]], TypeError, "numpy array or a torch tensor"),
])
def test_bad_inputs(mlp, x, exc, msg):
    with pytest.raises(exc, match=msg):
        layer_representations(mlp, x, ["1"])


@pytest.mark.parametrize("kwargs, msg", [
    ({"flatten": "max"}, "flatten must be"),
    ({"tokens": "first"}, "tokens must be"),
    ({"batch_size": 0}, "batch_size must be"),
    ({"select": 1.5}, "select must be"),
    ({"device": "cuda:0"} if not torch.cuda.is_available() else {"device": "nope"}, "device"),
])
def test_bad_options(mlp, x3, kwargs, msg):
    with pytest.raises((ValueError, TypeError), match=msg):
        layer_representations(mlp, x3, ["1"], **kwargs)


@pytest.mark.filterwarnings("ignore:`torch.jit.script` is deprecated:DeprecationWarning")
def test_not_a_module_and_torchscript():
    with pytest.raises(TypeError, match="torch.nn.Module"):
        layer_representations(lambda x: x, np.zeros((2, 2)), ["a"])
    scripted = torch.jit.script(nn.Sequential(nn.Linear(2, 2)))
    with pytest.raises(TypeError, match="TorchScript"):
        layer_representations(scripted, np.zeros((2, 2)), ["0"])


def test_flatten_false_needs_two_dimensional_outputs():
    model = SmallCNN(image_size=8, seed=0)
    x = np.zeros((2, 64), np.float32)
    with pytest.raises(ValueError, match=r"'act1' has shape \(2, 16, 8, 8\), not \[batch, features\]"):
        layer_representations(model, x, ["act1"], flatten=False, include_input=False)
    out = layer_representations(model, x, ["act3"], flatten=False, include_input=False)
    assert out["act3"].shape == (2, 64)


class _Twice(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.lin = nn.Linear(3, 3)
        self.unused = nn.Linear(3, 3)

    def forward(self, x):
        return self.lin(self.lin(x))


class _Transpose(nn.Module):
    def forward(self, x):
        return x.T


def test_module_run_twice_or_never_and_non_batch_first_outputs():
    model = _Twice()
    x = torch.randn(5, 3)
    with pytest.raises(ValueError, match="'lin' ran 2 times"):
        layer_representations(model, x, ["lin"])
    with pytest.raises(ValueError, match="'unused'.*did not run"):
        layer_representations(model, x, ["unused"])
    seq = nn.Sequential(nn.Linear(3, 4), _Transpose())
    with pytest.raises(ValueError, match=r"'1' has shape \(4, 5\).*not the batch size 5.*batch_first"):
        layer_representations(seq, x, ["1"])
    assert not model.lin._forward_hooks


def test_tokens_all_with_a_two_dimensional_layer_is_a_row_mismatch(encoder):
    model = nn.Sequential(encoder[0], nn.Flatten())
    with pytest.raises(ValueError, match="different numbers of rows"):
        layer_representations(model, torch.randn(3, 4, 8), ["0", "1"], tokens="all")
