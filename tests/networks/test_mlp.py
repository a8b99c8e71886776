"""Tests for ricci_lit.networks.mlp: architectures, initialisation, ensembles, representations, I/O."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from ricci_lit.networks.mlp import (
    ARCHITECTURES,
    MLPEnsemble,
    Representations,
    accuracy,
    architecture_name,
    glorot_limit,
    hidden_slice,
    hidden_widths,
    predict_logits,
    predict_proba,
    representations,
)
from ricci_lit.networks import resolve_device
from ricci_lit.networks.checkpoint import load_ensemble, save_ensemble


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _points(n: int = 37, d: int = 3, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(n, d)).astype(np.float32)


# --- architectures ----------------------------------------------------------------------------------


def test_six_architectures_have_the_paper_widths():
    expected = {
        "narrow-shallow": [25] * 5,
        "wide-shallow": [50] * 5,
        "bottleneck-shallow": [50, 50, 25, 50, 50],
        "narrow-deep": [25] * 11,
        "wide-deep": [50] * 11,
        "bottleneck-deep": [50] * 5 + [25] + [50] * 5,
    }
    assert set(ARCHITECTURES) == set(expected)
    for name, widths in expected.items():
        assert list(hidden_widths(name)) == widths
        assert architecture_name(widths) == name
        ens = MLPEnsemble(name, 3, seeds=[0])
        assert ens.n_hidden == len(widths)
        assert ens.sizes == (3, *widths, 1)
        assert ens.arch == name


def test_generic_width_spec_and_errors():
    assert hidden_widths((15,) * 7) == (15,) * 7
    assert hidden_widths([4, np.int64(3)]) == (4, 3)
    assert architecture_name((15, 15)) is None
    assert MLPEnsemble([8, 4], 2, seeds=[1]).arch is None
    with pytest.raises(ValueError, match="wide-deep"):  # the message lists the valid names
        hidden_widths("very-deep")
    for bad in ((), (0, 3), (2.5,), (True,), 7):
        with pytest.raises(ValueError):
            hidden_widths(bad)


def test_constructor_rejects_bad_arguments():
    with pytest.raises(ValueError):
        MLPEnsemble("wide-deep", 0, seeds=[0])
    with pytest.raises(ValueError):
        MLPEnsemble("wide-deep", 3, seeds=[])
    with pytest.raises(ValueError):
        MLPEnsemble("wide-deep", 3, seeds=[1, 1])
    with pytest.raises(ValueError):
        MLPEnsemble("wide-deep", 3, seeds=[-1])
    with pytest.raises(ValueError):
        MLPEnsemble("wide-deep", 3, seeds=[1.5])
    with pytest.raises(ValueError):
        MLPEnsemble("wide-deep", 3, seeds=3)
    with pytest.raises(ValueError):
        MLPEnsemble("wide-deep", 3, seeds=[0], init="he")


# --- initialisation ---------------------------------------------------------------------------------


def test_glorot_limits_and_zero_biases():
    ens = MLPEnsemble("bottleneck-deep", 784, seeds=[3, 4])
    for w, c, (fi, fo) in zip(ens.weights, ens.biases, zip(ens.sizes[:-1], ens.sizes[1:])):
        assert w.dtype == torch.float32 and w.requires_grad and c.requires_grad
        w, c = w.detach(), c.detach()
        assert w.shape == (2, fi, fo) and c.shape == (2, fo)
        a = math.sqrt(6.0 / (fi + fo))
        assert glorot_limit(fi, fo) == pytest.approx(a)
        assert float(w.abs().max()) <= a
        if fi * fo >= 1000:  # uniform on [-a, a]: the extremes and the variance are reached
            assert float(w.abs().max()) > 0.97 * a
            assert float(w.var()) == pytest.approx(a * a / 3, rel=0.1)
        assert torch.all(c == 0)


def test_torch_init_bounds():
    ens = MLPEnsemble((40, 30), 20, seeds=[0], init="torch")
    for w, c in zip(ens.weights, ens.biases):
        w, c = w.detach(), c.detach()
        bound = 1.0 / math.sqrt(w.shape[1])
        assert float(w.abs().max()) <= bound and float(c.abs().max()) <= bound
        assert float(c.abs().max()) > 0


def test_ensemble_holds_exactly_the_individual_networks():
    seeds = [11, 5, 2024]
    ens = MLPEnsemble("wide-deep", 3, seeds=seeds)
    for b, s in enumerate(seeds):
        alone = MLPEnsemble("wide-deep", 3, seeds=[s])
        for w, w1 in zip(ens.weights, alone.weights):
            assert torch.equal(w[b], w1[0])
        for c, c1 in zip(ens.biases, alone.biases):
            assert torch.equal(c[b], c1[0])


def test_seeds_reproduce_and_differ():
    a = MLPEnsemble("narrow-shallow", 3, seeds=[7, 8])
    b = MLPEnsemble("narrow-shallow", 3, seeds=[7, 8])
    for wa, wb in zip(a.weights, b.weights):
        assert torch.equal(wa, wb)
        assert not torch.equal(wa[0], wa[1])


# --- forward, predictions ----------------------------------------------------------------------------


def test_outputs_are_probabilities_and_shapes():
    ens = MLPEnsemble("narrow-deep", 3, seeds=[0, 1, 2])
    x = _points()
    p = predict_proba(ens, x)
    assert p.shape == (3, len(x))
    assert np.all((p > 0) & (p < 1))
    z = predict_logits(ens, x, batch_size=5)
    assert z.shape == (3, len(x)) and z.dtype == np.float32
    np.testing.assert_allclose(z, predict_logits(ens, x), rtol=1e-5, atol=1e-6)
    acc = accuracy(ens, x, (z[0] > 0).astype(int))
    assert acc.shape == (3,) and acc[0] == 1.0
    with pytest.raises(ValueError):
        accuracy(ens, x, np.zeros(len(x) + 1))
    with pytest.raises(ValueError):
        predict_proba(ens, _points(d=4))


def test_per_network_inputs_match_shared_inputs():
    ens = MLPEnsemble("wide-shallow", 3, seeds=[0, 1])
    x0, x1 = torch.from_numpy(_points(seed=1)), torch.from_numpy(_points(seed=2))
    with torch.no_grad():
        z = ens(torch.stack([x0, x1]))
        torch.testing.assert_close(z[0], ens(x0)[0])
        torch.testing.assert_close(z[1], ens(x1)[1])
    with pytest.raises(ValueError):
        ens(torch.zeros(3, 5, 3))
    with pytest.raises(ValueError):
        ens(torch.zeros(5))


# --- representations ---------------------------------------------------------------------------------


def test_representations_layout():
    ens = MLPEnsemble("bottleneck-shallow", 3, seeds=[0, 1])
    x = _points(n=53)
    reps = representations(ens, x, batch_size=10)
    assert len(reps) == 2
    for b, r in enumerate(reps):
        assert isinstance(r, Representations) and r.seed == ens.seeds[b]
        assert len(r) == ens.n_hidden + 2 == 7
        assert [a.shape[1] for a in r] == [3, 50, 50, 25, 50, 50, 1]
        assert all(a.dtype == np.float32 and a.shape[0] == 53 for a in r)
        np.testing.assert_array_equal(r[0], x)
        np.testing.assert_array_equal(r.input, x)
        assert all(np.all(h >= 0) for h in r.hidden)  # ReLU outputs
        assert len(r.hidden) == 5 and len(r.select("all")) == 7
        assert r.hidden[0] is r[1] and r.select("hidden")[-1] is r[5]
        assert r[hidden_slice(r.n_hidden)] == tuple(r.hidden)
        np.testing.assert_allclose(r.output[:, 0], predict_proba(ens, x)[b], rtol=1e-5, atol=1e-6)
        with pytest.raises(ValueError):
            r.select("input")
    # Chunking over points does not change anything.
    whole = representations(ens, x)
    for r, w in zip(reps, whole):
        for a, c in zip(r, w):
            np.testing.assert_allclose(a, c, rtol=1e-5, atol=1e-6)


def test_representations_of_one_network_equal_its_ensemble_entry():
    ens = MLPEnsemble("narrow-deep", 3, seeds=[4, 9])
    x = _points()
    reps = representations(ens, x)
    alone = representations(MLPEnsemble("narrow-deep", 3, seeds=[9]), x)[0]
    for a, c in zip(reps[1], alone):
        np.testing.assert_allclose(a, c, rtol=1e-5, atol=1e-6)


def test_hidden_slice():
    assert hidden_slice(5) == slice(1, 6)
    assert list(range(7))[hidden_slice(5)] == [1, 2, 3, 4, 5]
    with pytest.raises(ValueError):
        hidden_slice(0)


# --- assembly and I/O -------------------------------------------------------------------------------


def test_subset_and_concatenate():
    ens = MLPEnsemble("narrow-shallow", 3, seeds=[1, 2, 3])
    sub = ens.subset([2, 0])
    assert sub.seeds == (3, 1)
    for w, ws in zip(ens.weights, sub.weights):
        assert torch.equal(ws[0], w[2]) and torch.equal(ws[1], w[0])
    both = MLPEnsemble.concatenate([ens.subset([0]), ens.subset([1, 2])])
    assert both.seeds == ens.seeds
    for w, wb in zip(ens.weights, both.weights):
        assert torch.equal(w, wb)
    with pytest.raises(ValueError):  # duplicated seeds
        MLPEnsemble.concatenate([ens, ens.subset([0])])
    with pytest.raises(ValueError):
        MLPEnsemble.concatenate([ens, MLPEnsemble("wide-shallow", 3, seeds=[9])])
    with pytest.raises(IndexError):
        ens.subset([3])


def test_save_load_roundtrip(tmp_path):
    ens = MLPEnsemble("bottleneck-deep", 5, seeds=[10, 20], init="torch")
    with torch.no_grad():
        ens.weights[0].add_(1.0)  # "trained"
    path = tmp_path / "ens.pt"
    save_ensemble(ens, path)
    back = load_ensemble(path)
    assert (back.arch, back.widths, back.d_in, back.seeds, back.init) == \
        (ens.arch, ens.widths, ens.d_in, ens.seeds, ens.init)
    for a, b in zip(ens.parameters(), back.parameters()):
        assert torch.equal(a, b) and b.requires_grad
    x = _points(d=5)
    np.testing.assert_array_equal(predict_logits(ens, x), predict_logits(back, x))
    state = ens.to_state()
    state["weights"][1] = state["weights"][1][:, :3]
    with pytest.raises(ValueError):
        MLPEnsemble.from_state(state)
    with pytest.raises(ValueError):
        MLPEnsemble.from_state({"format": "other"})


def test_resolve_device():
    assert resolve_device("cpu") == torch.device("cpu")
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert resolve_device("auto").type == expected
    assert resolve_device(None).type == expected
    if not torch.cuda.is_available():
        with pytest.raises(ValueError):
            resolve_device("cuda")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_matches_cpu():
    cpu = MLPEnsemble("wide-deep", 3, seeds=[0, 1], device="cpu")
    gpu = MLPEnsemble("wide-deep", 3, seeds=[0, 1], device="cuda")
    for a, b in zip(cpu.parameters(), gpu.parameters()):
        assert torch.equal(a, b.cpu())
    x = _points()
    np.testing.assert_allclose(predict_logits(cpu, x), predict_logits(gpu, x), rtol=1e-4, atol=1e-4)
    reps = representations(gpu, x)
    assert len(reps) == 2 and reps[0][0].shape == x.shape
