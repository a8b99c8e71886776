"""Saving and loading ensembles: checkpoints hold tensors and plain data only, and load without running code.

A checkpoint is a ``torch.save`` file of plain data: dicts, lists, tuples, strings, numbers,
booleans, ``None`` and tensors (:meth:`~ricci_lit.networks.mlp.MLPEnsemble.to_state`, and the
sweep's ``{"ensemble": state, "meta": {seed: {name: float | str}}}``). :func:`read_checkpoint`
unpickles with ``torch.load(weights_only=True)``, whose unpickler rebuilds only those types and
refuses every other global, so a crafted file in a results folder cannot run code when it is read.

Errors are one readable line naming the file: a non-regular file (a FIFO, a device) is refused
before it is opened (no hang); a truncated or corrupt file, or one holding other Python objects,
is a :class:`ValueError`.
"""
from __future__ import annotations

import os
import pickle
import stat
import warnings
import zipfile
from pathlib import Path
from typing import Any

import torch

from ricci_lit.networks.mlp import MLPEnsemble

__all__ = ["load_ensemble", "read_checkpoint", "save_ensemble"]

_RECREATE = "re-create it with `ricci-lit checkpoints` (or delete it to re-train)"


def read_checkpoint(path: str | os.PathLike) -> Any:
    """The plain object a checkpoint file holds, unpickled safely (``weights_only=True``, on the CPU).

    Parameters
    ----------
    path
        A file written by :func:`save_ensemble` or by a results store's ``save_checkpoint``.

    Returns
    -------
    object
        Dicts, lists, tuples, strings, numbers, ``None`` and CPU tensors only.

    Raises
    ------
    FileNotFoundError
        ``path`` does not exist.
    ValueError
        ``path`` is not a regular file; the file is truncated or corrupt; or it holds objects
        beyond tensors and plain data (the unpickler refused them, nothing was run).
    """
    p = Path(os.fspath(path))
    try:
        st = p.stat()
    except FileNotFoundError:
        raise FileNotFoundError(f"checkpoint {p} does not exist") from None
    if not stat.S_ISREG(st.st_mode):
        raise ValueError(f"checkpoint {p} is not a regular file; refusing to read it")
    try:
        with warnings.catch_warnings():  # a foreign pickle's protocol note; the load is refused or fine anyway
            warnings.filterwarnings("ignore", message="Detected pickle protocol", category=UserWarning)
            return torch.load(p, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        first = str(exc).strip().splitlines()
        why = next((ln.strip() for ln in first if "GLOBAL" in ln or "Unsupported" in ln), "")
        raise ValueError(f"checkpoint {p} holds objects other than tensors and plain data, so it was not "
                         f"loaded (nothing in it was run){': ' + why if why else ''}; {_RECREATE}") from None
    except PermissionError:
        raise ValueError(f"checkpoint {p}: permission denied") from None
    except (RuntimeError, EOFError, OSError, zipfile.BadZipFile, KeyError, ValueError, TypeError,
            AttributeError, IndexError) as exc:
        text = str(exc).strip()
        line = text.splitlines()[0].split(". ")[0] if text else type(exc).__name__
        raise ValueError(f"checkpoint {p} is truncated or corrupt ({line}); {_RECREATE}") from None


def save_ensemble(ensemble: MLPEnsemble, path: str | os.PathLike) -> None:
    """Save an ensemble (architecture, seeds, init and parameters: plain data and tensors) with ``torch.save``."""
    if not isinstance(ensemble, MLPEnsemble):
        raise TypeError(f"save_ensemble needs an MLPEnsemble, got {type(ensemble).__name__}")
    torch.save(ensemble.to_state(), os.fspath(path))


def load_ensemble(path: str | os.PathLike, *, device: str | torch.device | None = "cpu") -> MLPEnsemble:
    """Load an ensemble written by :func:`save_ensemble` (safe unpickling, see :func:`read_checkpoint`).

    Raises
    ------
    ValueError
        The file is not a regular file, is truncated or corrupt, holds other Python objects, or
        is not an ensemble's state (the message names the file).
    """
    state = read_checkpoint(path)
    try:
        return MLPEnsemble.from_state(state, device=device)
    except ValueError as exc:
        raise ValueError(f"checkpoint {os.fspath(path)}: {exc}") from None
