"""Tests of ricci_lit.experiments.fig1a: one network trained on problem A, its representations."""
from __future__ import annotations

from ricci_lit.analysis.projection import pc_separability
from ricci_lit.experiments.fig1a import fig1a_experiment
from ricci_lit.networks.mlp import ARCHITECTURES


def test_fig1a_experiment_runs_and_records_the_representations():
    f = fig1a_experiment("narrow-shallow", epochs=1)
    L = len(ARCHITECTURES["narrow-shallow"])
    assert len(f.representations) == len(f.names) == L + 2
    assert f.names[0] == "input" and f.names[-1] == "output"
    assert f.representations[0].shape == (1000, 3) and f.representations[-1].shape == (1000, 1)
    sep = pc_separability(f.representations, f.y)
    assert len(sep) == L + 2 and all(0.0 <= s <= 1.0 for s in sep)
    assert f.well_trained == (f.test_accuracy > f.threshold)
