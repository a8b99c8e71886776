"""The book's small models: shapes, seeded construction, and paper 2's residual architecture."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from ricci_lit.networks.zoo import ResidualBlock, ResidualMLP, SmallCNN, linear_counterpart, seeded

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _same_weights(a: nn.Module, b: nn.Module) -> bool:
    sa, sb = a.state_dict(), b.state_dict()
    return sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)


@pytest.mark.parametrize("make", [
    lambda seed: SmallCNN(seed=seed),
    lambda seed: ResidualMLP(20, width=8, depth=4, seed=seed),
])
def test_same_seed_same_weights_other_seed_other_weights(make):
    assert _same_weights(make(3), make(3))
    assert not _same_weights(make(3), make(4))


def test_construction_leaves_the_global_generator_alone():
    torch.manual_seed(123)
    want = torch.rand(3)
    torch.manual_seed(123)
    SmallCNN(seed=9)
    ResidualMLP(5, seed=9)
    assert torch.equal(torch.rand(3), want)


def test_seeded_is_torch_default_init_under_that_seed():
    torch.manual_seed(11)
    ref = nn.Linear(4, 3)
    got = seeded(lambda: nn.Linear(4, 3), 11)
    assert _same_weights(ref, got)
    with pytest.raises(ValueError, match="seed"):
        seeded(lambda: nn.Linear(1, 1), -1)


def test_small_cnn_shapes_and_flat_inputs():
    model = SmallCNN(in_channels=3, image_size=16, n_classes=10, channels=(4, 6), hidden=12, seed=0)
    x = torch.randn(5, 3, 16, 16)
    out = model(x)
    assert out.shape == (5, 10)
    torch.testing.assert_close(model(x.reshape(5, -1)), out, rtol=0, atol=0)
    assert model.fc1.in_features == 6 * 4 * 4
    names = dict(model.named_modules())
    assert all(n in names for n in SmallCNN.representation_layers)
    assert sum(isinstance(m, nn.Conv2d) for m in model.modules()) == 2
    assert sum(isinstance(m, nn.Linear) for m in model.modules()) == 2
    with pytest.raises(ValueError, match=r"expects inputs \[B, 3, 16, 16\]"):
        model(torch.randn(5, 3, 15, 15))


@pytest.mark.parametrize("kwargs, msg", [
    ({"image_size": 3}, "at least 4"),
    ({"channels": (4,)}, "two positive"),
    ({"n_classes": 0}, "n_classes"),
    ({"hidden": 2.5}, "hidden"),
])
def test_small_cnn_bad_arguments(kwargs, msg):
    with pytest.raises(ValueError, match=msg):
        SmallCNN(**kwargs)


def test_residual_mlp_is_paper_2s_architecture():
    """h1 = ReLU(W0 x + b0); h_{l+1} = h_l + ReLU(W_l h_l + b_l); logits = W h + b (numpy oracle)."""
    model = ResidualMLP(6, width=5, depth=4, n_classes=3, seed=2)
    assert len(model.blocks) == 3 and model.representation_layers == ("stem", "blocks.0", "blocks.1",
                                                                       "blocks.2", "head")
    x = np.random.default_rng(0).normal(size=(7, 6))
    p = {k: v.detach().numpy().astype(np.float64) for k, v in model.state_dict().items()}
    h = np.maximum(x @ p["stem.0.weight"].T + p["stem.0.bias"], 0)
    for i in range(3):
        h = h + np.maximum(h @ p[f"blocks.{i}.linear.weight"].T + p[f"blocks.{i}.linear.bias"], 0)
    want = h @ p["head.weight"].T + p["head.bias"]
    with torch.no_grad():
        got = model(torch.from_numpy(x).float()).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
    # images are flattened
    assert ResidualMLP(12, seed=0)(torch.randn(2, 1, 3, 4)).shape == (2, 10)
    with pytest.raises(ValueError, match="expects 6 input features, got 4"):
        model(torch.randn(2, 4))


def test_residual_block_and_binary_head():
    block = ResidualBlock(3)
    h = torch.randn(4, 3)
    with torch.no_grad():
        torch.testing.assert_close(block(h), h + torch.relu(block.linear(h)))
    assert ResidualMLP(4, n_classes=1, depth=1, seed=0)(torch.randn(3, 4)).shape == (3, 1)
    with pytest.raises(ValueError, match="depth"):
        ResidualMLP(4, depth=0)


def test_linear_counterpart_removes_the_activations_only():
    model = ResidualMLP(4, width=6, depth=3, n_classes=2, seed=0)
    lin = linear_counterpart(model)
    assert [n for n, _ in lin.named_modules()] == [n for n, _ in model.named_modules()]
    assert not any(isinstance(m, nn.ReLU) for m in lin.modules())
    assert any(isinstance(m, nn.ReLU) for m in model.modules())  # the original is untouched
    assert _same_weights(model, lin)
    x = torch.randn(5, 4)
    p = {k: v.detach() for k, v in model.state_dict().items()}
    h = x @ p["stem.0.weight"].T + p["stem.0.bias"]
    for i in range(2):
        h = h + h @ p[f"blocks.{i}.linear.weight"].T + p[f"blocks.{i}.linear.bias"]
    with torch.no_grad():
        torch.testing.assert_close(lin(x), h @ p["head.weight"].T + p["head.bias"])
    seq = linear_counterpart(nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1)), (nn.Tanh,))
    assert isinstance(seq[1], nn.Identity)
    with pytest.raises(ValueError, match="no ReLU submodule"):
        linear_counterpart(nn.Sequential(nn.Linear(2, 2)))
    with pytest.raises(TypeError, match="nn.Module"):
        linear_counterpart("model")
