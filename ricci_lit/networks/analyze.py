"""Ricci coefficients of any torch model's named layers, in one call (issue 15).

:func:`analyze` captures the representations of the named submodules with
:func:`ricci_lit.networks.capture.layer_representations` and passes them, in order, to
:func:`ricci_lit.geometry.coefficients.ricci_coefficient`: the global coefficient
``ρ = corr(Ric_l, η_l)`` over the transitions ``X^l → X^{l+1}`` (and, with ``local=True``,
paper 2's local and layer coefficients). The result keeps the layer names, also in its JSON
form; with ``labels`` it adds paper 2 §4.2's modularity of the class partition per layer.
"""
from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import nn

from ricci_lit.geometry.coefficients import RicciFlowResult, ricci_coefficient
from ricci_lit.geometry.community import class_codes, modularity
from ricci_lit.geometry.knn import knn_graphs
from ricci_lit.networks.capture import layer_representations

__all__ = ["NetworkAnalysis", "analyze"]


@dataclass(frozen=True)
class NetworkAnalysis:
    """A :class:`~ricci_lit.geometry.coefficients.RicciFlowResult` with the names of its representations.

    Attributes
    ----------
    layers
        The representations' names in order (``"input"`` first when it was included); entry ``l``
        is representation ``l`` of :attr:`result` (``ric[l]``, ``g[l]``, …).
    features
        The number of features of each representation.
    result
        The coefficients. Its attributes are also readable on this object (``analysis.rho``,
        ``analysis.ric``, ``analysis.local``, …).
    modularity
        Modularity of the class partition in each representation's kNN graph (same ``k`` and
        mode), when ``labels`` were given; else ``None``.
    """

    layers: tuple[str, ...]
    features: tuple[int, ...]
    result: RicciFlowResult
    modularity: tuple[float, ...] | None = None

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_") or name in ("result", "layers", "features", "modularity"):
            raise AttributeError(name)
        return getattr(self.result, name)

    @property
    def transitions(self) -> tuple[str, ...]:
        """``"a → b"`` for each transition ``X^l → X^{l+1}`` (the entries of ``eta`` and ``layer_rho``)."""
        return tuple(f"{a} → {b}" for a, b in zip(self.layers[:-1], self.layers[1:]))

    def to_dict(self, *, include_local: bool = False, include_layer: bool = False) -> dict:
        """:meth:`~ricci_lit.geometry.coefficients.RicciFlowResult.to_dict` plus ``layers``, ``features``, ``transitions`` (and ``modularity``)."""
        d = self.result.to_dict(include_local=include_local, include_layer=include_layer)
        d["layers"] = list(self.layers)
        d["features"] = list(self.features)
        d["transitions"] = list(self.transitions)
        if self.modularity is not None:
            d["modularity"] = [float(q) for q in self.modularity]
        return d

    def to_json(self, **kwargs: Any) -> str:
        """:meth:`to_dict` as a JSON string (``inf``/``nan`` as ``null``)."""
        return json.dumps(self.to_dict(**kwargs))

    def table(self) -> pd.DataFrame:
        """One row per representation: ``layer``, ``name``, ``features``, ``ric``, ``g``, ``connected``,
        ``n_edges`` (and ``modularity``); ``eta`` and ``layer_rho`` (when local) of the transition
        *leaving* the representation, ``NaN`` on the last row."""
        r = self.result
        M = len(self.layers)
        eta = list(r.eta) + [np.nan]
        df = pd.DataFrame({
            "layer": np.arange(M), "name": list(self.layers), "features": list(self.features),
            "ric": list(r.ric), "g": list(r.g), "eta": eta,
            "connected": list(r.connected), "n_edges": list(r.n_edges),
        })
        if r.local is not None:
            df["layer_rho"] = list(np.asarray(r.local.layer_rho, dtype=float)) + [np.nan]
        if self.modularity is not None:
            df["modularity"] = list(self.modularity)
        return df


def analyze(
    model: nn.Module,
    x: np.ndarray | torch.Tensor | Iterable[object],
    layers: Sequence[str] | str,
    k: int,
    *,
    curvature: str = "forman",
    local: bool = False,
    mode: str = "union",
    labels: object = None,
    **capture_options: Any,
) -> NetworkAnalysis:
    """Capture the named layers of ``model`` on ``x`` and compute their Ricci coefficients.

    Parameters
    ----------
    model, x, layers
        As in :func:`~ricci_lit.networks.capture.layer_representations` (module names as
        ``model.named_modules()`` gives them, in order). With the input (the default,
        ``include_input=True``) at least two layers are needed, without it three: a correlation
        needs two transitions.
    k
        Neighbourhood size of the kNN graphs, ``1 ≤ k < n``.
    curvature, local, mode
        As in :func:`~ricci_lit.geometry.coefficients.ricci_coefficient`.
    labels
        Optional class of every point (``n`` of them, rows of the captures; with
        ``tokens="all"`` one per token); adds :attr:`NetworkAnalysis.modularity`.
    **capture_options
        ``include_input``, ``batch_size``, ``device``, ``flatten``, ``tokens``, ``select``.

    Returns
    -------
    NetworkAnalysis
    """
    reps = layer_representations(model, x, layers, **capture_options)
    names = tuple(reps)
    arrays = list(reps.values())
    if len(arrays) < 3:
        raise ValueError(f"analyze needs at least three representations (two transitions), got {len(arrays)}: "
                         f"{', '.join(names)}")
    result = ricci_coefficient(arrays, k, curvature=curvature, mode=mode, local=local)
    q = None
    if labels is not None:
        class_codes(labels, result.n)
        q = tuple(modularity(knn_graphs(X, [result.k], mode)[0], labels) for X in arrays)
    return NetworkAnalysis(layers=names, features=tuple(int(X.shape[1]) for X in arrays),
                           result=result, modularity=q)
