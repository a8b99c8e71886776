"""Tests of ricci_lit.networks.checkpoint: plain-data checkpoints, safe loading, clear errors (issue 12 item 6)."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import pytest
import torch

from ricci_lit.networks.checkpoint import load_ensemble, read_checkpoint, save_ensemble
from ricci_lit.networks.mlp import MLPEnsemble


class _MakesADirectory:
    """A pickle payload that would create ``path`` when unpickled (stands in for any command)."""

    def __init__(self, path: Path) -> None:
        self.path = str(path)

    def __reduce__(self):
        return (os.makedirs, (self.path,))


def _saved(tmp_path: Path) -> tuple[MLPEnsemble, Path]:
    ens = MLPEnsemble("narrow-shallow", 3, [4, 1], init="torch")
    path = tmp_path / "ens.pt"
    save_ensemble(ens, path)
    return ens, path


def test_round_trip_is_exact(tmp_path):
    ens, path = _saved(tmp_path)
    back = load_ensemble(path)
    assert back.seeds == ens.seeds and back.widths == ens.widths and back.init == "torch"
    for p, q in zip(ens.parameters(), back.parameters()):
        assert torch.equal(p, q)


def test_sweep_checkpoint_format_reads(tmp_path):
    """What a results store saves: {"ensemble": state, "meta": {seed: {name: float | str}}}."""
    ens = MLPEnsemble("narrow-shallow", 3, [0, 1])
    obj = {"ensemble": ens.to_state(), "meta": {0: {"train_loss": 0.5, "device": "cpu"}, 1: {"train_loss": 0.25}}}
    path = tmp_path / "A+narrow-shallow.pt"
    torch.save(obj, path)
    back = read_checkpoint(path)
    assert back["meta"] == obj["meta"]
    assert MLPEnsemble.from_state(back["ensemble"]).seeds == (0, 1)


@pytest.mark.parametrize("how", ["torch.save", "raw pickle"])
def test_crafted_pickle_is_refused_and_runs_nothing(tmp_path, how):
    marker = tmp_path / "ran"
    path = tmp_path / "evil.pt"
    payload = {"format": "ricci_lit.MLPEnsemble/1", "x": _MakesADirectory(marker)}
    if how == "torch.save":
        torch.save(payload, path)
    else:
        path.write_bytes(pickle.dumps(payload))
    for load in (read_checkpoint, load_ensemble):
        with pytest.raises(ValueError, match="evil.pt") as info:
            load(path)
        assert "nothing in it was run" in str(info.value) and "\n" not in str(info.value)
    assert not marker.exists()


@pytest.mark.parametrize("keep", [0, 10, 0.5, -5])
def test_truncated_checkpoint_is_a_value_error_naming_the_file(tmp_path, keep):
    _, path = _saved(tmp_path)
    data = path.read_bytes()
    cut = int(len(data) * keep) if isinstance(keep, float) else (keep if keep >= 0 else len(data) + keep)
    path.write_bytes(data[:cut])
    with pytest.raises(ValueError, match="truncated or corrupt") as info:
        load_ensemble(path)
    assert str(path) in str(info.value) and "ricci-lit checkpoints" in str(info.value)
    assert "\n" not in str(info.value)


def test_not_an_ensemble_and_not_a_regular_file(tmp_path):
    torch.save([1, 2, 3], tmp_path / "list.pt")
    with pytest.raises(ValueError, match="list.pt.*not an MLPEnsemble state"):
        load_ensemble(tmp_path / "list.pt")
    torch.save({"format": "ricci_lit.MLPEnsemble/1", "seeds": [0]}, tmp_path / "partial.pt")
    with pytest.raises(ValueError, match="lacks"):
        load_ensemble(tmp_path / "partial.pt")
    with pytest.raises(ValueError, match="not a regular file"):
        read_checkpoint(tmp_path)
    if hasattr(os, "mkfifo"):
        os.mkfifo(tmp_path / "fifo.pt")
        with pytest.raises(ValueError, match="not a regular file"):  # refused before opening: no hang
            load_ensemble(tmp_path / "fifo.pt")
    with pytest.raises(FileNotFoundError, match="missing.pt"):
        read_checkpoint(tmp_path / "missing.pt")
    with pytest.raises(TypeError):
        save_ensemble({"not": "an ensemble"}, tmp_path / "x.pt")
