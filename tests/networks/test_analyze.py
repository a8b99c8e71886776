"""analyze: capture + ricci_coefficient, with the layer names in the result and its JSON."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from torch import nn

from ricci_lit.geometry.coefficients import RicciFlowResult, ricci_coefficient
from ricci_lit.geometry.community import modularity
from ricci_lit.geometry.knn import knn_graph
from ricci_lit.networks.analyze import NetworkAnalysis, analyze
from ricci_lit.networks.capture import layer_representations
from ricci_lit.networks.zoo import ResidualMLP, SmallCNN

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture
def model_and_data():
    model = ResidualMLP(4, width=10, depth=4, n_classes=3, seed=1)
    rng = np.random.default_rng(0)
    y = np.repeat(np.arange(3), 20)
    x = (rng.normal(size=(60, 4)) + 3 * np.eye(4)[y]).astype(np.float32)
    return model, x, y


def test_equals_ricci_coefficient_on_the_captured_layers(model_and_data):
    model, x, _ = model_and_data
    layers = list(model.representation_layers)
    a = analyze(model, x, layers, 6, curvature="augmented-forman", local=True, batch_size=7)
    reps = layer_representations(model, x, layers, batch_size=7)
    want = ricci_coefficient(list(reps.values()), 6, curvature="augmented-forman", local=True)
    assert isinstance(a, NetworkAnalysis) and isinstance(a.result, RicciFlowResult)
    assert a.layers == ("input", *layers)
    assert a.features == (4, 10, 10, 10, 10, 3)
    assert a.rho == want.rho and a.ric == want.ric and a.g == want.g and a.eta == want.eta
    np.testing.assert_array_equal(a.local.layer_rho, want.local.layer_rho)
    assert a.transitions[0] == "input → stem" and len(a.transitions) == len(a.eta)
    assert a.modularity is None


def test_dict_and_json_carry_the_names(model_and_data):
    model, x, _ = model_and_data
    a = analyze(model, x, ["stem", "blocks.0", "blocks.1", "head"], 5, include_input=False, local=True)
    d = a.to_dict(include_layer=True)
    base = a.result.to_dict(include_layer=True)
    assert {k: d[k] for k in base} == base
    assert d["layers"] == ["stem", "blocks.0", "blocks.1", "head"]
    assert d["features"] == [10, 10, 10, 3]
    assert d["transitions"] == ["stem → blocks.0", "blocks.0 → blocks.1", "blocks.1 → head"]
    back = json.loads(a.to_json(include_layer=True))
    assert back["layers"] == d["layers"] and back["rho"] == pytest.approx(a.rho)


def test_modularity_beside_the_coefficients(model_and_data):
    model, x, y = model_and_data
    a = analyze(model, x, list(model.representation_layers), 6, labels=y)
    reps = layer_representations(model, x, list(model.representation_layers))
    want = [modularity(knn_graph(X.astype(np.float64), 6), y) for X in reps.values()]
    assert a.modularity == pytest.approx(want, abs=1e-15)
    assert a.to_dict()["modularity"] == pytest.approx(want, abs=1e-15)
    table = a.table()
    assert list(table["name"]) == list(a.layers)
    assert table["modularity"].tolist() == pytest.approx(want)
    assert np.isnan(table["eta"].iloc[-1]) and table["eta"].iloc[0] == a.eta[0]
    with pytest.raises(ValueError, match="one label per vertex"):
        analyze(model, x, list(model.representation_layers), 6, labels=y[:-1])


def test_a_cnn_with_pooled_feature_maps():
    model = SmallCNN(image_size=8, channels=(3, 4), hidden=6, n_classes=2, seed=0)
    x = np.random.default_rng(1).random((30, 1, 8, 8)).astype(np.float32)
    a = analyze(model, x, ["act1", "act2", "act3", "fc2"], 4, flatten="mean")
    assert a.features == (64, 3, 4, 6, 2)
    assert len(a.ric) == 5


def test_transformer_tokens_all():
    torch.manual_seed(0)
    enc = nn.Sequential(*[nn.TransformerEncoderLayer(8, 2, 16, batch_first=True) for _ in range(3)])
    x = torch.randn(10, 4, 8)
    a = analyze(enc, x, ["0", "1", "2"], 5, tokens="all")
    assert a.n == 40 and a.layers == ("input", "0", "1", "2")


def test_too_few_representations_and_capture_errors(model_and_data):
    model, x, _ = model_and_data
    with pytest.raises(ValueError, match="at least three representations.*input, stem"):
        analyze(model, x, ["stem"], 5)
    with pytest.raises(ValueError, match="close names"):
        analyze(model, x, ["stem", "blocks.9"], 5)
    with pytest.raises(ValueError, match="k must be smaller"):
        analyze(model, x, ["stem", "blocks.0", "head"], 60)
    with pytest.raises(AttributeError):
        _ = analyze(model, x, ["stem", "blocks.0", "head"], 5).no_such_attribute
