"""Tests for ricci_lit.networks.training: batched = individual training, reproducibility, learning, validation."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from torch import nn

from ricci_lit.networks.mlp import MLPEnsemble, accuracy
from ricci_lit.networks.training import (
    BLOCK_SIZE,
    LEGACY_SCHEME,
    TrainConfig,
    TrainResult,
    UntilAccuracyConfig,
    canonical_block,
    epoch_permutation,
    train_ensemble,
    train_until_accuracy,
)
from ricci_lit.networks.optimizers import BatchedAdam, BatchedRMSprop


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _problem(n: int = 200, d: int = 3, seed: int = 0, noise: float = 0.0):
    """A (nearly) linearly separable problem: y = [x·w > 0]."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d)).astype(np.float32)
    w = np.arange(1, d + 1, dtype=np.float32)
    y = (x @ w + noise * rng.normal(size=n) > 0).astype(np.float32)
    return x, y


def _params(ens: MLPEnsemble, b: int) -> list[torch.Tensor]:
    return [p.detach()[b] for p in ens.parameters()]


# --- the key property: an ensemble trains each network exactly as it would be trained alone ----------


def test_ensemble_training_equals_individual_training():
    x, y = _problem(200)
    xt, yt = _problem(100, seed=1)
    seeds = [3, 14, 15]
    cfg = TrainConfig(epochs=3)
    together = train_ensemble(x, y, "wide-deep", seeds, cfg, device="cpu", progress=False,
                              x_test=xt, y_test=yt)
    assert together.ensemble.seeds == tuple(seeds)
    for b, s in enumerate(seeds):
        alone = train_ensemble(x, y, "wide-deep", [s], cfg, device="cpu", progress=False,
                               x_test=xt, y_test=yt)
        for p, q in zip(_params(together.ensemble, b), _params(alone.ensemble, 0)):
            torch.testing.assert_close(p, q, atol=1e-5, rtol=1e-5)
        np.testing.assert_allclose(together.train_loss[b], alone.train_loss[0], atol=1e-5)
        np.testing.assert_allclose(together.history_loss[:, b], alone.history_loss[:, 0], atol=1e-5)
        np.testing.assert_allclose(together.test_accuracy[b], alone.test_accuracy[0], atol=1e-9)
        np.testing.assert_allclose(together.train_accuracy[b], alone.train_accuracy[0], atol=1e-9)


def test_chunked_training_equals_unchunked():
    x, y = _problem(90)
    cfg = TrainConfig(epochs=2)
    full = train_ensemble(x, y, "narrow-shallow", [0, 1, 2], cfg, device="cpu", progress=False)
    chunked = train_ensemble(x, y, "narrow-shallow", [0, 1, 2], cfg, device="cpu", progress=False,
                             chunk_size=2)
    assert chunked.ensemble.seeds == (0, 1, 2)
    for p, q in zip(full.ensemble.parameters(), chunked.ensemble.parameters()):
        torch.testing.assert_close(p.detach(), q.detach(), atol=1e-5, rtol=1e-5)
    assert chunked.history_loss.shape == (2, 3)


def test_matches_plain_torch_rmsprop_with_partial_batches():
    """Reference: nn.Sequential + torch.optim.RMSprop(alpha=ρ, eps=ε), same batches, n = 70 (32+32+6)."""
    x, y = _problem(70, seed=2)
    cfg = TrainConfig(epochs=2, shuffle=False)
    seed = 5
    res = train_ensemble(x, y, "bottleneck-shallow", [seed], cfg, device="cpu", progress=False)

    init = MLPEnsemble("bottleneck-shallow", 3, seeds=[seed])
    layers: list[nn.Module] = []
    for l, (w, c) in enumerate(zip(init.weights, init.biases)):
        lin = nn.Linear(w.shape[1], w.shape[2])
        with torch.no_grad():
            lin.weight.copy_(w[0].T)
            lin.bias.copy_(c[0])
        layers.append(lin)
        if l < len(init.weights) - 1:
            layers.append(nn.ReLU())
    net = nn.Sequential(*layers)
    opt = torch.optim.RMSprop(net.parameters(), lr=1e-3, alpha=0.9, eps=1e-7, momentum=0.0,
                              centered=False, foreach=False)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    for _ in range(cfg.epochs):
        for s in range(0, len(x), cfg.batch_size):
            opt.zero_grad()
            loss = nn.functional.binary_cross_entropy_with_logits(net(xt[s:s + 32])[:, 0], yt[s:s + 32])
            loss.backward()
            opt.step()
    lins = [m for m in net if isinstance(m, nn.Linear)]
    for lin, w, c in zip(lins, res.ensemble.weights, res.ensemble.biases):
        torch.testing.assert_close(w.detach()[0], lin.weight.detach().T, atol=1e-5, rtol=1e-5)
        torch.testing.assert_close(c.detach()[0], lin.bias.detach(), atol=1e-5, rtol=1e-5)


# --- optimisers ------------------------------------------------------------------------------------------


def test_batched_rmsprop_is_torch_rmsprop():
    g = torch.Generator().manual_seed(0)
    p = torch.randn(3, 4, 5, generator=g)
    q = p.clone().requires_grad_(True)
    mine = BatchedRMSprop([p], lr=1e-3, rho=0.9, eps=1e-7)
    ref = torch.optim.RMSprop([q], lr=1e-3, alpha=0.9, eps=1e-7, foreach=False)
    for _ in range(5):
        grad = torch.randn(3, 4, 5, generator=g)
        mine.step([grad])
        q.grad = grad.clone()
        ref.step()
    assert torch.equal(p, q.detach())


def test_batched_adam_matches_torch_adam_and_masks():
    g = torch.Generator().manual_seed(1)
    p = torch.randn(2, 6, generator=g)
    p0 = p.clone()
    q = p.clone().requires_grad_(True)
    mine = BatchedAdam([p], lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8)
    ref = torch.optim.Adam([q], lr=1e-3, foreach=False)
    grads = [torch.randn(2, 6, generator=g) for _ in range(4)]
    for grad in grads:
        mine.step([grad])
        q.grad = grad.clone()
        ref.step()
    torch.testing.assert_close(p, q.detach(), atol=1e-6, rtol=1e-6)
    # Masked: network 1 frozen throughout, network 0 unaffected by the masking.
    r = p0.clone()
    masked = BatchedAdam([r], lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8)
    for grad in grads:
        masked.step([grad], mask=torch.tensor([True, False]))
    assert torch.equal(r[1], p0[1])
    torch.testing.assert_close(r[0], p[0], atol=1e-6, rtol=1e-6)
    assert masked.t.tolist() == [4, 0]


# --- reproducibility ---------------------------------------------------------------------------------------


def test_runs_are_bit_identical_and_seeds_differ():
    x, y = _problem(100)
    cfg = TrainConfig(epochs=2)
    a = train_ensemble(x, y, "narrow-deep", [1, 2], cfg, device="cpu", progress=False)
    b = train_ensemble(x, y, "narrow-deep", [1, 2], cfg, device="cpu", progress=False)
    for p, q in zip(a.ensemble.parameters(), b.ensemble.parameters()):
        assert torch.equal(p, q)
    np.testing.assert_array_equal(a.history_loss, b.history_loss)
    assert not torch.equal(a.ensemble.weights[3][0], a.ensemble.weights[3][1])
    assert a.history_loss[0, 0] != a.history_loss[0, 1]


def test_epoch_permutation_scheme():
    p = epoch_permutation(7, 0, 50)
    assert sorted(p.tolist()) == list(range(50))
    np.testing.assert_array_equal(p, epoch_permutation(7, 0, 50))
    ss = np.random.SeedSequence(7, spawn_key=(1, 0))
    np.testing.assert_array_equal(p, np.random.default_rng(ss).permutation(50))
    assert not np.array_equal(p, epoch_permutation(7, 1, 50))
    assert not np.array_equal(p, epoch_permutation(8, 0, 50))


# --- learning --------------------------------------------------------------------------------------------


def test_learns_a_linearly_separable_problem():
    x, y = _problem(400, seed=3)
    xt, yt = _problem(400, seed=4)
    res = train_ensemble(x, y, "narrow-shallow", [0, 1], TrainConfig(epochs=10), device="cpu",
                         progress=False, x_test=xt, y_test=yt, eval_every=5)
    assert isinstance(res, TrainResult)
    assert np.all(res.test_accuracy > 0.95), res.test_accuracy
    assert res.history_loss.shape == (10, 2)
    assert res.history_loss[-1].mean() < res.history_loss[0].mean()
    assert res.history_eval_epochs == (5, 10)
    assert res.history_test_accuracy.shape == (2, 2)
    np.testing.assert_allclose(res.history_test_accuracy[-1], res.test_accuracy)
    np.testing.assert_allclose(res.test_accuracy, accuracy(res.ensemble, xt, yt))
    assert res.device == "cpu" and res.wall_time_s > 0
    frame = res.to_frame()
    assert list(frame["seed"]) == [0, 1] and "test_accuracy" in frame


def test_adam_minibatch_and_callback():
    x, y = _problem(64)
    seen = []
    res = train_ensemble(x, y, (8, 8), [0], TrainConfig(epochs=2, optimizer="adam"), device="cpu",
                         progress=False, callback=lambda e, ens: seen.append((e, ens.n_networks)))
    assert seen == [(1, 1), (2, 1)]  # the asked-for networks of the canonical block
    assert np.isfinite(res.train_loss).all() and res.ensemble.seeds == (0,)
    seen.clear()
    train_ensemble(x, y, (8, 8), [0], TrainConfig(epochs=2, optimizer="adam", scheme="batched-v1"), device="cpu",
                   progress=False, callback=lambda e, ens: seen.append((e, ens.n_networks)))
    assert seen == [(1, 1), (2, 1)]  # the old scheme: the live ensemble of the seeds asked for


# --- full-batch Adam until accuracy (P2) -----------------------------------------------------------------


def test_train_until_accuracy_stops_networks_independently():
    x, y = _problem(150, seed=5)
    seeds = [0, 1, 2, 3]
    cfg = UntilAccuracyConfig(threshold=0.97, max_steps=1500)
    res = train_until_accuracy(x, y, "narrow-shallow", seeds, cfg, device="cpu", progress=False)
    assert res.reached.all()
    assert len(set(res.steps.tolist())) > 1  # different networks needed different step counts
    assert np.all(res.train_accuracy >= 0.97)
    assert res.history_loss.shape == (res.steps.max(), 4)
    for b, steps in enumerate(res.steps):  # NaN exactly after a network stopped
        assert np.isfinite(res.history_loss[:steps, b]).all()
        assert np.isnan(res.history_loss[steps:, b]).all()
    for b, s in enumerate(seeds):
        alone = train_until_accuracy(x, y, "narrow-shallow", [s], cfg, device="cpu", progress=False)
        assert alone.steps[0] == res.steps[b]
        # Hundreds of Adam steps let last-bit differences (reduction order depends on B) grow a
        # little, hence a looser tolerance than for the 3-epoch RMSprop comparison.
        for p, q in zip(_params(res.ensemble, b), _params(alone.ensemble, 0)):
            torch.testing.assert_close(p, q, atol=1e-4, rtol=1e-4)


def test_train_until_accuracy_max_steps_and_zero_steps():
    x, y = _problem(80, noise=3.0)  # noisy labels: 100 % is out of reach in 5 steps
    res = train_until_accuracy(x, y, (6,), [0, 1], UntilAccuracyConfig(threshold=1.0, max_steps=5),
                               device="cpu", progress=False, x_test=x, y_test=y)
    assert not res.reached.any() and res.steps.tolist() == [5, 5]
    assert res.history_loss.shape == (5, 2)
    np.testing.assert_allclose(res.test_accuracy, res.train_accuracy)
    easy = train_until_accuracy(x, y, (6,), [0], UntilAccuracyConfig(threshold=0.01), device="cpu",
                                progress=False)
    assert easy.reached.all() and easy.steps.tolist() == [0]


# --- validation ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kwargs", [
    dict(epochs=-1), dict(epochs=1.5), dict(batch_size=0), dict(lr=0.0), dict(lr=float("nan")),
    dict(optimizer="sgd"), dict(rho=1.0), dict(eps=-1.0), dict(beta1=1.0),
])
def test_bad_config_raises(kwargs):
    with pytest.raises(ValueError):
        TrainConfig(**kwargs)


def test_configs_are_frozen_and_defaults_are_the_papers():
    cfg = TrainConfig()
    assert (cfg.epochs, cfg.batch_size, cfg.lr, cfg.optimizer, cfg.rho, cfg.eps, cfg.shuffle) == \
        (50, 32, 1e-3, "rmsprop", 0.9, 1e-7, True)
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.epochs = 3  # type: ignore[misc]
    u = UntilAccuracyConfig()
    assert (u.threshold, u.max_steps, u.lr, u.eps) == (0.99, 20_000, 1e-3, 1e-8)
    for bad in (dict(threshold=0.0), dict(threshold=1.5), dict(max_steps=-1)):
        with pytest.raises(ValueError):
            UntilAccuracyConfig(**bad)


def test_bad_inputs_raise():
    x, y = _problem(20)
    cfg = TrainConfig(epochs=1)
    kw = dict(device="cpu", progress=False)
    x_nan = x.copy()
    x_nan[3, 1] = np.nan
    x_inf = x.copy()
    x_inf[0, 0] = np.inf
    y_two = y.copy()
    y_two[0] = 2
    y_half = y.copy()
    y_half[1] = 0.5
    y_nan = y.copy()
    y_nan[2] = np.nan
    bad_calls = [
        lambda: train_ensemble(x, y[:-1], "wide-deep", [0], cfg, **kw),
        lambda: train_ensemble(x_nan, y, "wide-deep", [0], cfg, **kw),
        lambda: train_ensemble(x_inf, y, "wide-deep", [0], cfg, **kw),
        lambda: train_ensemble(x, y_two, "wide-deep", [0], cfg, **kw),
        lambda: train_ensemble(x, y_half, "wide-deep", [0], cfg, **kw),
        lambda: train_ensemble(x, y_nan, "wide-deep", [0], cfg, **kw),
        lambda: train_ensemble(x[:, 0], y, "wide-deep", [0], cfg, **kw),
        lambda: train_ensemble(x[:0], y[:0], "wide-deep", [0], cfg, **kw),
        lambda: train_ensemble(x, y, "extra-wide", [0], cfg, **kw),
        lambda: train_ensemble(x, y, "wide-deep", [0, 0], cfg, **kw),
        lambda: train_ensemble(x, y, "wide-deep", [], cfg, **kw),
        lambda: train_ensemble(x, y, "wide-deep", [0], cfg, init="he", **kw),
        lambda: train_ensemble(x, y, "wide-deep", [0], cfg, x_test=x, **kw),
        lambda: train_ensemble(x, y, "wide-deep", [0], cfg, x_test=x[:, :2], y_test=y, **kw),
        lambda: train_ensemble(x, y, "wide-deep", [0], cfg, x_test=x, y_test=y_two, **kw),
        lambda: train_ensemble(x, y, "wide-deep", [0], cfg, eval_every=1, **kw),
        lambda: train_ensemble(x, y, "wide-deep", [0], cfg, chunk_size=0, **kw),
        lambda: train_ensemble(x, y, "wide-deep", [0], UntilAccuracyConfig(), **kw),
        lambda: train_until_accuracy(x, y, "wide-deep", [0], cfg, **kw),
        lambda: train_until_accuracy(x, y_two, "wide-deep", [0], **kw),
        lambda: train_until_accuracy(x, y, "wide-deep", [0], device="nonsense", progress=False),
    ]
    for i, call in enumerate(bad_calls):
        with pytest.raises((ValueError, RuntimeError)):
            call()


def test_accepts_torch_tensors_and_column_labels():
    x, y = _problem(40)
    res = train_ensemble(torch.from_numpy(x), torch.from_numpy(y)[:, None], (4,), [0],
                         TrainConfig(epochs=1), device="cpu", progress=False)
    assert res.train_loss.shape == (1,)
    res2 = train_ensemble(x.astype(np.float64), y.astype(int), (4,), [0], TrainConfig(epochs=1),
                          device="cpu", progress=False)
    np.testing.assert_allclose(res.train_loss, res2.train_loss, rtol=1e-6)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_training_matches_cpu():
    x, y = _problem(100)
    cfg = TrainConfig(epochs=2)
    cpu = train_ensemble(x, y, "wide-deep", [0, 1], cfg, device="cpu", progress=False)
    gpu = train_ensemble(x, y, "wide-deep", [0, 1], cfg, device="cuda", progress=False)
    assert gpu.device.startswith("cuda")
    for p, q in zip(cpu.ensemble.parameters(), gpu.ensemble.parameters()):
        torch.testing.assert_close(p.detach(), q.detach().cpu(), atol=1e-4, rtol=1e-4)
    u = train_until_accuracy(x, y, "narrow-shallow", [0, 1], UntilAccuracyConfig(threshold=0.95),
                             device="cuda", progress=False)
    assert u.reached.all()


# --- training schemes: a network's numbers do not depend on which other seeds share its batch ---------


def _seed_numbers(res: TrainResult, seed: int) -> list[np.ndarray]:
    b = res.ensemble.seeds.index(seed)
    out = [p.detach()[b].cpu().numpy() for p in res.ensemble.parameters()]
    out += [np.asarray(res.train_loss[b]), np.asarray(res.train_accuracy[b])]
    if res.test_accuracy is not None:
        out.append(np.asarray(res.test_accuracy[b]))
    hist = res.history_loss[:, b]
    out.append(hist[~np.isnan(hist)])
    if res.steps is not None:
        out += [np.asarray(res.steps[b]), np.asarray(res.reached[b])]
    return out


def _assert_bit_identical(a: list[np.ndarray], b: list[np.ndarray]) -> None:
    assert len(a) == len(b)
    for u, v in zip(a, b):
        assert u.dtype == v.dtype and u.shape == v.shape
        assert u.tobytes() == v.tobytes()


@pytest.mark.parametrize("arch, d", [("narrow-shallow", 3), ((30, 20), 20)])
def test_independent_scheme_seed_is_bit_identical_alone_or_with_others(arch, d):
    """Issue 12 item 2: seed 2 alone, with [1, 2], with [0, 1, 2], across blocks and in another order."""
    x, y = _problem(150, d=d)
    xt, yt = _problem(60, d=d, seed=1)
    cfg = TrainConfig(epochs=2)
    assert cfg.scheme == "independent-v2"
    kw = dict(device="cpu", progress=False, x_test=xt, y_test=yt)
    alone = _seed_numbers(train_ensemble(x, y, arch, [2], cfg, **kw), 2)
    for seeds in ([1, 2], [0, 1, 2], [2, 0, 3, 1], [2, BLOCK_SIZE + 1, 3 * BLOCK_SIZE], [5, 2, 7, 11]):
        res = train_ensemble(x, y, arch, seeds, cfg, **kw)
        assert res.ensemble.seeds == tuple(seeds)  # the order asked for
        _assert_bit_identical(_seed_numbers(res, 2), alone)


def test_independent_scheme_until_accuracy_bit_identical():
    x, y = _problem(120, noise=0.3)
    cfg = UntilAccuracyConfig(threshold=0.9, max_steps=60)
    kw = dict(device="cpu", progress=False)
    alone = _seed_numbers(train_until_accuracy(x, y, (10, 10), [4], cfg, **kw), 4)
    for seeds in ([3, 4], [4, 0, 1, 2, 3], [BLOCK_SIZE, 4]):
        res = train_until_accuracy(x, y, (10, 10), seeds, cfg, **kw)
        assert res.ensemble.seeds == tuple(seeds)
        _assert_bit_identical(_seed_numbers(res, 4), alone)


def test_batched_v1_scheme_trains_the_seeds_asked_for_as_one_batch():
    """The old scheme stays available: one batch of exactly the seeds asked for (chunks with chunk_size)."""
    x, y = _problem(64)
    sizes = []
    cfg = TrainConfig(epochs=1, scheme="batched-v1")
    res = train_ensemble(x, y, (8,), [9, 4, 30], cfg, device="cpu", progress=False, chunk_size=2,
                         callback=lambda e, ens: sizes.append(ens.seeds))
    assert sizes == [(9, 4), (30,)] and res.ensemble.seeds == (9, 4, 30)
    assert UntilAccuracyConfig(scheme="batched-v1").scheme == LEGACY_SCHEME


@pytest.mark.parametrize("bad", ["batched-v3", "", None, 2])
def test_unknown_scheme_is_a_value_error(bad):
    with pytest.raises(ValueError, match="training scheme"):
        TrainConfig(scheme=bad)
    with pytest.raises(ValueError, match="training scheme"):
        UntilAccuracyConfig(scheme=bad)


@given(st.integers(min_value=0, max_value=2**63 - 1))
def test_canonical_block_holds_its_seed_and_is_shared(seed):
    block = canonical_block(seed)
    assert len(block) == BLOCK_SIZE == len(set(block)) and seed in block
    assert all(0 <= s < 2**63 for s in block)
    assert block.index(seed) == seed % BLOCK_SIZE
    assert all(canonical_block(s) == block for s in block if s // BLOCK_SIZE == seed // BLOCK_SIZE)
