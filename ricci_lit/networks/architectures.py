r"""The architectures of paper 1 and paper 2, their initialisation, and the per-network draw order.

Architectures (P1 §3.1, Fig. 2B; paper-notes §3)
------------------------------------------------
========================  ==========================  ==========
name                      hidden widths               L (hidden)
========================  ==========================  ==========
``narrow-shallow``        25 × 5                      5
``wide-shallow``          50 × 5                      5
``bottleneck-shallow``    50, 50, 25, 50, 50          5
``narrow-deep``           25 × 11                     11
``wide-deep``             50 × 11                     11
``bottleneck-deep``       50 × 5, 25, 50 × 5          11
========================  ==========================  ==========

Any tuple of positive widths is also accepted (paper 2's width × depth grids, paper-details §5.6).

Initialisation
--------------
``init="glorot"`` (default) reproduces the Keras defaults used by P1: weights Glorot-uniform,

.. math:: W_{ij} \\sim \\mathcal U(-a, a), \\qquad a = \\sqrt{6 / (\\text{fan\\_in} + \\text{fan\\_out})},

and zero biases. ``init="torch"`` reproduces PyTorch's ``nn.Linear`` default used by paper 2's code:
weights and biases both :math:`\\mathcal U(-1/\\sqrt{\\text{fan\\_in}}, 1/\\sqrt{\\text{fan\\_in}})`.

Per-network seeding (the documented draw order)
-----------------------------------------------
Network ``b`` is drawn on the CPU from its own generator ``g = torch.Generator().manual_seed(seeds[b])``,
layer by layer from the input to the output layer. For layer ``l`` (``l = 0 … L``):

1. ``u = torch.rand(fan_in, fan_out, generator=g, dtype=torch.float32)``, and ``W_l = (2u − 1)·a``
   (``a`` the Glorot bound, or ``1/√fan_in`` for ``init="torch"``);
2. with ``init="torch"`` only: ``v = torch.rand(fan_out, generator=g)``, ``b_l = (2v − 1)/√fan_in``
   (with ``init="glorot"`` the biases are zeros and draw nothing).

The parameters are then moved to the requested device. Consequently the ensemble built from seeds
``[s0, s1, …]`` contains, at index ``b``, exactly the network ``MLPEnsemble(arch, d_in, seeds=[s_b])``,
bit for bit and on every device.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Union

import numpy as np
import torch

from ricci_lit._checks import is_int

__all__ = [
    "ARCHITECTURES",
    "INITS",
    "ArchSpec",
    "architecture_name",
    "check_seeds",
    "draw_network",
    "glorot_limit",
    "hidden_widths",
]

ARCHITECTURES: dict[str, tuple[int, ...]] = {
    "narrow-shallow": (25,) * 5,
    "wide-shallow": (50,) * 5,
    "bottleneck-shallow": (50, 50, 25, 50, 50),
    "narrow-deep": (25,) * 11,
    "wide-deep": (50,) * 11,
    "bottleneck-deep": (50,) * 5 + (25,) + (50,) * 5,
}
"""The six architectures of P1 §3.1 (paper-notes §3): name → hidden-layer widths."""

INITS: tuple[str, ...] = ("glorot", "torch")
"""Supported initialisations: Keras defaults (P1) and PyTorch ``nn.Linear`` defaults (P2)."""

ArchSpec = Union[str, Sequence[int]]
"""An architecture: one of the names in :data:`ARCHITECTURES` or a sequence of hidden widths."""



def hidden_widths(arch: ArchSpec) -> tuple[int, ...]:
    """Hidden-layer widths of an architecture (P1 §3.1, paper-notes §3).

    Parameters
    ----------
    arch
        A name from :data:`ARCHITECTURES` (e.g. ``"wide-deep"``) or a sequence of positive integer
        widths, e.g. ``(15,) * 7`` for paper 2's width-15, depth-7 network.

    Returns
    -------
    tuple of int
        One width per hidden layer, input side first.

    Raises
    ------
    ValueError
        If the name is unknown (the message lists the valid names) or a width is not a positive int.
    """
    if isinstance(arch, str):
        try:
            return ARCHITECTURES[arch]
        except KeyError:
            valid = ", ".join(repr(k) for k in ARCHITECTURES)
            raise ValueError(f"unknown architecture {arch!r}; valid names: {valid}, "
                             "or a sequence of hidden widths") from None
    try:
        widths = tuple(arch)
    except TypeError:
        raise ValueError(f"architecture must be a name or a sequence of widths, got {arch!r}") from None
    if len(widths) == 0:
        raise ValueError("architecture needs at least one hidden layer")
    out = []
    for w in widths:
        if not is_int(w) or w < 1:
            raise ValueError(f"hidden widths must be positive integers, got {widths!r}")
        out.append(int(w))
    return tuple(out)


def architecture_name(widths: Sequence[int]) -> str | None:
    """The P1 name of a width tuple, or ``None`` when it is not one of the six."""
    widths = tuple(int(w) for w in widths)
    for name, ws in ARCHITECTURES.items():
        if ws == widths:
            return name
    return None


def glorot_limit(fan_in: int, fan_out: int) -> float:
    """Glorot-uniform bound :math:`a = \\sqrt{6/(\\text{fan\\_in}+\\text{fan\\_out})}` (Keras default)."""
    return math.sqrt(6.0 / (fan_in + fan_out))


def check_seeds(seeds: Sequence[int]) -> tuple[int, ...]:
    """The seeds of an ensemble as a tuple of Python ints, checked.

    Raises
    ------
    ValueError
        ``seeds`` is a single integer, empty, holds a non-integer (or a bool), a value outside
        ``[0, 2**63)``, or a repeated seed (equal seeds would give identical networks).
    """
    if isinstance(seeds, (int, np.integer)):
        raise ValueError("seeds must be a sequence of integers (use [seed] for one network)")
    out = []
    for s in seeds:
        if not is_int(s):
            raise ValueError(f"seeds must be integers, got {s!r}")
        if not 0 <= int(s) < 2**63:
            raise ValueError(f"seeds must lie in [0, 2**63), got {s}")
        out.append(int(s))
    if not out:
        raise ValueError("need at least one seed")
    if len(set(out)) != len(out):
        raise ValueError(f"seeds must be distinct (equal seeds give identical networks): {out}")
    return tuple(out)


def draw_network(sizes: Sequence[int], seed: int,
                  init: str) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
    """Draw one network's parameters on the CPU in the documented order (module docstring)."""
    g = torch.Generator().manual_seed(seed)
    weights, biases = [], []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        if init == "glorot":
            a = glorot_limit(fan_in, fan_out)
            w = (2.0 * torch.rand(fan_in, fan_out, generator=g, dtype=torch.float32) - 1.0) * a
            b = torch.zeros(fan_out, dtype=torch.float32)
        else:  # "torch": nn.Linear's kaiming_uniform_(a=sqrt(5)) bound equals 1/sqrt(fan_in)
            a = 1.0 / math.sqrt(fan_in)
            w = (2.0 * torch.rand(fan_in, fan_out, generator=g, dtype=torch.float32) - 1.0) * a
            b = (2.0 * torch.rand(fan_out, generator=g, dtype=torch.float32) - 1.0) * a
        weights.append(w)
        biases.append(b)
    return weights, biases
