"""The plain torch training loop: it learns, is deterministic for a seed, resumes exactly."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from ricci_lit.networks.fit import epoch_seed, fit, predict_classes
from ricci_lit.networks.zoo import ResidualMLP

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture
def blobs() -> tuple[np.ndarray, np.ndarray]:
    """Three well separated Gaussian blobs in 4-D: any reasonable classifier reaches ~100%."""
    rng = np.random.default_rng(0)
    centres = np.array([[4, 0, 0, 0], [0, 4, 0, 0], [0, 0, 4, 0]], dtype=np.float32)
    y = np.repeat(np.arange(3), 40)
    x = centres[y] + rng.normal(scale=0.5, size=(120, 4)).astype(np.float32)
    return x, y


def _model(seed: int = 0, dropout: float = 0.0) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Dropout(dropout), nn.Linear(16, 3))


def test_it_learns_and_reports_each_epoch(blobs):
    x, y = blobs
    res = fit(_model(), x, y, epochs=30, batch_size=16, lr=1e-2, device="cpu", x_val=x[::2], y_val=y[::2])
    h = res.history
    assert list(h.columns) == ["epoch", "loss", "accuracy", "val_loss", "val_accuracy"]
    assert list(h["epoch"]) == list(range(1, 31)) and res.epochs == 30
    assert h["loss"].iloc[-1] < h["loss"].iloc[0] / 5
    assert h["accuracy"].iloc[-1] >= 0.95 and h["val_accuracy"].iloc[-1] >= 0.95
    assert (predict_classes(res.model, x) == y).mean() >= 0.95
    assert not res.model.training


def test_history_loss_is_the_mean_cross_entropy(blobs):
    """With lr → 0 the weights stay put, so the epoch loss equals the cross-entropy of the start."""
    x, y = blobs
    model = _model(1)
    with torch.no_grad():
        z = model(torch.from_numpy(x))
        want = float(nn.functional.cross_entropy(z, torch.from_numpy(y)))
        acc = float((z.argmax(1).numpy() == y).mean())
    res = fit(model, x, y, epochs=1, batch_size=None, lr=1e-12, device="cpu")
    assert res.history["loss"].iloc[0] == pytest.approx(want, rel=1e-6)
    assert res.history["accuracy"].iloc[0] == pytest.approx(acc)


def test_same_seed_is_bit_identical_on_cpu_other_seed_differs(blobs):
    x, y = blobs
    a = fit(_model(0, 0.3), x, y, epochs=3, batch_size=32, seed=5, device="cpu")
    b = fit(_model(0, 0.3), x, y, epochs=3, batch_size=32, seed=5, device="cpu")
    c = fit(_model(0, 0.3), x, y, epochs=3, batch_size=32, seed=6, device="cpu")
    assert a.history.equals(b.history)
    for pa, pb, pc in zip(a.model.parameters(), b.model.parameters(), c.model.parameters()):
        assert torch.equal(pa, pb)
    assert not all(torch.equal(pa, pc) for pa, pc in zip(a.model.parameters(), c.model.parameters()))


def test_global_random_state_untouched(blobs):
    x, y = blobs
    torch.manual_seed(42)
    want = torch.rand(2)
    model = _model(0, 0.5)
    torch.manual_seed(42)
    fit(model, x, y, epochs=2, device="cpu")
    assert torch.equal(torch.rand(2), want)


def test_resuming_continues_exactly(blobs):
    x, y = blobs
    full = fit(_model(0, 0.2), x, y, epochs=4, batch_size=24, seed=1, device="cpu")
    first = fit(_model(0, 0.2), x, y, epochs=2, batch_size=24, seed=1, device="cpu")
    second = fit(first.model, x, y, epochs=2, batch_size=24, seed=1, device="cpu",
                 start_epoch=2, optimizer_state=first.optimizer_state)
    assert list(second.history["epoch"]) == [3, 4]
    np.testing.assert_array_equal(second.history["loss"].to_numpy(), full.history["loss"].to_numpy()[2:])
    for p, q in zip(second.model.parameters(), full.model.parameters()):
        assert torch.equal(p, q)


def test_epoch_seeds_are_distinct_and_stable():
    seeds = {epoch_seed(s, e) for s in range(5) for e in range(20)}
    assert len(seeds) == 100
    assert epoch_seed(3, 7) == epoch_seed(3, 7) and 0 <= epoch_seed(3, 7) < 2 ** 63


def test_binary_single_logit_model_uses_bce():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(80, 3)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int64)
    model = ResidualMLP(3, width=8, depth=2, n_classes=1, seed=0)
    with torch.no_grad():
        z = model(torch.from_numpy(x))[:, 0]
        want = float(nn.functional.binary_cross_entropy_with_logits(z, torch.from_numpy(y).float()))
    res = fit(model, x, y, epochs=1, batch_size=None, lr=1e-12, device="cpu")
    assert res.history["loss"].iloc[0] == pytest.approx(want, rel=1e-6)
    res = fit(model, x, y, epochs=40, batch_size=None, lr=3e-2, device="cpu")
    assert res.history["accuracy"].iloc[-1] >= 0.9
    assert set(np.unique(predict_classes(model, x))) <= {0, 1}


def test_zero_epochs_is_an_empty_history(blobs):
    x, y = blobs
    res = fit(_model(), x, y, epochs=0, device="cpu")
    assert len(res.history) == 0 and res.epochs == 0


@pytest.mark.parametrize("kwargs, msg", [
    ({"epochs": -1}, "epochs"),
    ({"batch_size": 0}, "batch_size"),
    ({"lr": 0}, "lr"),
    ({"seed": -2}, "seed"),
    ({"x_val": np.zeros((2, 4), np.float32)}, "both x_val and y_val"),
])
def test_bad_arguments(blobs, kwargs, msg):
    x, y = blobs
    with pytest.raises(ValueError, match=msg):
        fit(_model(), x, y, device="cpu", **kwargs)


def test_bad_data(blobs):
    x, y = blobs
    with pytest.raises(ValueError, match="one label per point"):
        fit(_model(), x, y[:-1], device="cpu")
    with pytest.raises(ValueError, match=r"labels must lie in 0 … 2"):
        fit(_model(), x, y + 1, device="cpu", epochs=1)
    with pytest.raises(ValueError, match="non-integer"):
        fit(_model(), x, y + 0.5, device="cpu")
    bad = x.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        fit(_model(), bad, y, device="cpu")
    with pytest.raises(TypeError, match="numpy array or a torch tensor"):
        fit(_model(), x.tolist(), y, device="cpu")
    with pytest.raises(TypeError, match="nn.Module"):
        fit(lambda v: v, x, y, device="cpu")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_gpu_training_learns(blobs):
    x, y = blobs
    res = fit(_model(), x, y, epochs=30, batch_size=16, lr=1e-2, device="cuda")
    assert next(res.model.parameters()).device.type == "cuda"
    assert res.history["accuracy"].iloc[-1] >= 0.95
