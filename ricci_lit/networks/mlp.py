"""Fully connected ReLU classifiers, batched as ensembles of identically shaped networks.

Paper 1 (P1 §2.1, §3.1; paper-notes §3) trains 36 networks per (problem, architecture): six
architectures built from ReLU hidden layers and one sigmoid output unit. Because every network of one
(problem, architecture) cell has the same shape, we store them *stacked*: layer ``l`` of an ensemble of
``B`` networks is one weight tensor of shape ``[B, fan_in, fan_out]`` and one bias tensor of shape
``[B, fan_out]``, and the forward pass is a batched matrix product (``torch.baddbmm``; the width-1
output layer is a multiply-and-sum, see ``_output_logits``). A single network
is simply an ensemble with ``B = 1``. Every network is an independent function of its own parameters,
so the batched computation gives each network what it would get alone. Usually this holds bit for
bit; it is guaranteed to float32 rounding only, because the BLAS kernel and the accumulation order of
reductions (e.g. a bias gradient summed over a minibatch) can depend on ``B`` (the tests bound the
difference).

The architectures, the initialisation and the per-network draw order are documented in
:mod:`ricci_lit.networks.architectures`; saving and loading in :mod:`ricci_lit.networks.checkpoint`.

Representations (paper-notes §1)
--------------------------------
:func:`representations` returns, for each network, the list ``[X^0, X^1, …, X^L, X^{L+1}]``: the input,
the ``L`` hidden ReLU outputs, and the sigmoid output (shape ``[n, 1]``). P1 uses the hidden layers only
(indices ``1 … L``, :func:`hidden_slice`); paper 2 uses all ``L + 2``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import torch
from torch import nn

from ricci_lit._checks import is_int
from ricci_lit._device import resolve_device
from ricci_lit.networks.architectures import (
    ARCHITECTURES,
    INITS,
    ArchSpec,
    architecture_name,
    check_seeds,
    draw_network,
    glorot_limit,
    hidden_widths,
)

__all__ = [
    "ARCHITECTURES",
    "INITS",
    "ArchSpec",
    "LayerSelection",
    "MLPEnsemble",
    "Representations",
    "accuracy",
    "architecture_name",
    "check_seeds",
    "glorot_limit",
    "hidden_slice",
    "hidden_widths",
    "output_accuracy",
    "predict_logits",
    "predict_proba",
    "representations",
    "resolve_device",
]


LayerSelection = Literal["hidden", "all"]

_FORMAT = "ricci_lit.MLPEnsemble/1"



# ---------------------------------------------------------------------------------------------------
# The ensemble
# ---------------------------------------------------------------------------------------------------


class MLPEnsemble(nn.Module):
    """``B`` fully connected ReLU networks of one architecture with one sigmoid output, stacked.

    Network ``b`` computes, for an input row :math:`x \\in \\mathbb R^{d}`,

    .. math::
        X^0 = x,\\quad X^{l} = \\mathrm{ReLU}(X^{l-1} W^{(b)}_{l-1} + c^{(b)}_{l-1})\\ (l = 1\\dots L),
        \\quad z = X^L W^{(b)}_L + c^{(b)}_L,\\quad X^{L+1} = \\sigma(z),

    (P1 §2.1). ``forward`` returns the logits ``z``; apply a sigmoid for probabilities.

    Parameters
    ----------
    arch
        Architecture name or hidden widths (:func:`~ricci_lit.networks.architectures.hidden_widths`).
    d_in
        Input dimension (3 for the synthetic sets, 784 for MNIST/fMNIST).
    seeds
        One non-negative integer seed per network, all distinct. See the module docstring for the
        exact draw order; ``MLPEnsemble(arch, d, seeds=[s0, s1])`` holds the same two networks as
        ``MLPEnsemble(arch, d, seeds=[s0])`` and ``MLPEnsemble(arch, d, seeds=[s1])``.
    init
        ``"glorot"`` (Keras defaults, P1) or ``"torch"`` (``nn.Linear`` defaults, P2 code).
    device
        Where the parameters live; ``"auto"`` = CUDA if available, else CPU. Drawing is always on CPU.

    Attributes
    ----------
    weights : nn.ParameterList
        ``weights[l]`` has shape ``[B, fan_in, fan_out]``, for ``l = 0 … L`` (``L`` hidden layers
        plus the output layer).
    biases : nn.ParameterList
        ``biases[l]`` has shape ``[B, fan_out]``, for ``l = 0 … L``.
    seeds : tuple of int
    widths : tuple of int
        Hidden widths.
    arch : str or None
        The P1 name when the widths are one of the six architectures.
    """

    def __init__(self, arch: ArchSpec, d_in: int, seeds: Sequence[int], *, init: str = "glorot",
                 device: str | torch.device | None = "cpu") -> None:
        super().__init__()
        widths = hidden_widths(arch)
        if not is_int(d_in) or d_in < 1:
            raise ValueError(f"d_in must be a positive integer, got {d_in!r}")
        if init not in INITS:
            raise ValueError(f"unknown init {init!r}; valid: {INITS}")
        seeds_t = check_seeds(seeds)
        self.widths: tuple[int, ...] = widths
        self.d_in: int = int(d_in)
        self.seeds: tuple[int, ...] = seeds_t
        self.init: str = init
        self.arch: str | None = arch if isinstance(arch, str) else architecture_name(widths)
        sizes = self.sizes
        per_net = [draw_network(sizes, s, init) for s in seeds_t]
        dev = resolve_device(device)
        n_layers = len(sizes) - 1
        self.weights = nn.ParameterList(
            [nn.Parameter(torch.stack([net[0][l] for net in per_net]).to(dev)) for l in range(n_layers)])
        self.biases = nn.ParameterList(
            [nn.Parameter(torch.stack([net[1][l] for net in per_net]).to(dev)) for l in range(n_layers)])

    # -- shape information -------------------------------------------------------------------------
    @property
    def sizes(self) -> tuple[int, ...]:
        """Layer sizes ``(d_in, w_1, …, w_L, 1)``."""
        return (self.d_in, *self.widths, 1)

    @property
    def n_networks(self) -> int:
        """``B``, the number of networks."""
        return len(self.seeds)

    @property
    def n_hidden(self) -> int:
        """``L``, the number of hidden layers."""
        return len(self.widths)

    @property
    def device(self) -> torch.device:
        return self.weights[0].device

    def __len__(self) -> int:
        return self.n_networks

    def extra_repr(self) -> str:
        name = self.arch if self.arch is not None else list(self.widths)
        return f"arch={name!r}, d_in={self.d_in}, B={self.n_networks}, init={self.init!r}"

    # -- forward -----------------------------------------------------------------------------------
    def _prepare_input(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() == 2:  # one point set shared by all networks
            if x.shape[1] != self.d_in:
                raise ValueError(f"expected inputs with {self.d_in} features, got {tuple(x.shape)}")
            return x.unsqueeze(0).expand(self.n_networks, -1, -1)
        if x.dim() == 3:
            if x.shape[0] != self.n_networks or x.shape[2] != self.d_in:
                raise ValueError(f"expected inputs of shape [{self.n_networks}, n, {self.d_in}], "
                                 f"got {tuple(x.shape)}")
            return x
        raise ValueError(f"inputs must be [n, d] or [B, n, d], got shape {tuple(x.shape)}")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits ``z`` of shape ``[B, n]``.

        Parameters
        ----------
        x
            ``[B, n, d_in]`` (network ``b`` sees ``x[b]``, e.g. its own minibatch) or ``[n, d_in]``
            (all networks see the same points).
        """
        h = self._prepare_input(x)
        for w, c in zip(self.weights[:-1], self.biases[:-1]):
            h = torch.relu(torch.baddbmm(c.unsqueeze(1), h, w))
        return _output_logits(h, self.weights[-1], self.biases[-1])

    def forward_layers(self, x: torch.Tensor) -> list[torch.Tensor]:
        """All representations ``[X^0, X^1, …, X^L, X^{L+1}]``, each ``[B, n, width]``.

        ``X^0`` is the (broadcast) input, ``X^1 … X^L`` the hidden ReLU outputs and ``X^{L+1}`` the
        sigmoid output with width 1 (paper-notes §1).
        """
        h = self._prepare_input(x)
        out = [h]
        for w, c in zip(self.weights[:-1], self.biases[:-1]):
            h = torch.relu(torch.baddbmm(c.unsqueeze(1), h, w))
            out.append(h)
        out.append(torch.sigmoid(_output_logits(h, self.weights[-1], self.biases[-1])).unsqueeze(-1))
        return out

    # -- selection and assembly --------------------------------------------------------------------
    def subset(self, indices: Sequence[int]) -> "MLPEnsemble":
        """A new ensemble holding copies of networks ``indices`` (in that order), on the same device."""
        idx = [int(i) for i in indices]
        if not idx:
            raise ValueError("subset needs at least one index")
        for i in idx:
            if not -self.n_networks <= i < self.n_networks:
                raise IndexError(f"network index {i} out of range for B={self.n_networks}")
        new = _empty_like(self, tuple(self.seeds[i] for i in idx))
        with torch.no_grad():
            it = torch.tensor(idx, device=self.device)
            new.weights = nn.ParameterList([nn.Parameter(w.detach().index_select(0, it).clone())
                                            for w in self.weights])
            new.biases = nn.ParameterList([nn.Parameter(c.detach().index_select(0, it).clone())
                                           for c in self.biases])
        return new

    @classmethod
    def concatenate(cls, parts: Sequence["MLPEnsemble"]) -> "MLPEnsemble":
        """Stack ensembles of one architecture, input size and init into one (seeds must stay distinct)."""
        if not parts:
            raise ValueError("nothing to concatenate")
        first = parts[0]
        for p in parts[1:]:
            if (p.widths, p.d_in, p.init) != (first.widths, first.d_in, first.init):
                raise ValueError("can only concatenate ensembles with equal widths, d_in and init")
        seeds = check_seeds([s for p in parts for s in p.seeds])
        new = _empty_like(first, seeds)
        dev = first.device
        with torch.no_grad():
            new.weights = nn.ParameterList([
                nn.Parameter(torch.cat([p.weights[l].detach().to(dev) for p in parts]).clone())
                for l in range(len(first.weights))])
            new.biases = nn.ParameterList([
                nn.Parameter(torch.cat([p.biases[l].detach().to(dev) for p in parts]).clone())
                for l in range(len(first.biases))])
        return new

    # -- (de)serialisation ---------------------------------------------------------------------------
    def to_state(self) -> dict:
        """A plain, ``torch.load(weights_only=True)``-safe description: architecture, seeds, parameters."""
        return {
            "format": _FORMAT,
            "arch": self.arch,
            "widths": list(self.widths),
            "d_in": self.d_in,
            "seeds": list(self.seeds),
            "init": self.init,
            "weights": [w.detach().cpu().clone() for w in self.weights],
            "biases": [c.detach().cpu().clone() for c in self.biases],
        }

    @classmethod
    def from_state(cls, state: dict, *, device: str | torch.device | None = "cpu") -> MLPEnsemble:
        """Inverse of :meth:`to_state`; validates every shape."""
        if not isinstance(state, dict) or state.get("format") != _FORMAT:
            fmt = state.get("format") if isinstance(state, dict) else type(state).__name__
            raise ValueError(f"not an MLPEnsemble state (format={fmt!r})")
        missing = [k for k in ("arch", "widths", "d_in", "seeds", "init", "weights", "biases") if k not in state]
        if missing:
            raise ValueError(f"MLPEnsemble state lacks {', '.join(missing)}")
        if not is_int(state["d_in"]) or state["d_in"] < 1 or state["init"] not in INITS:
            raise ValueError(f"MLPEnsemble state has a bad d_in {state['d_in']!r} or init {state['init']!r}")
        if not all(isinstance(t, torch.Tensor) for t in [*state["weights"], *state["biases"]]):
            raise ValueError("MLPEnsemble state: weights and biases must be tensors")
        seeds = check_seeds(state["seeds"])
        new = cls.__new__(cls)
        nn.Module.__init__(new)
        new.widths = hidden_widths(tuple(state["widths"]))
        new.d_in = int(state["d_in"])
        new.seeds = seeds
        new.init = str(state["init"])
        new.arch = state["arch"]
        sizes = new.sizes
        B = len(seeds)
        ws, cs = list(state["weights"]), list(state["biases"])
        if len(ws) != len(sizes) - 1 or len(cs) != len(sizes) - 1:
            raise ValueError("state has the wrong number of layers")
        dev = resolve_device(device)
        for l, (fi, fo) in enumerate(zip(sizes[:-1], sizes[1:])):
            if tuple(ws[l].shape) != (B, fi, fo) or tuple(cs[l].shape) != (B, fo):
                raise ValueError(f"layer {l}: expected shapes {(B, fi, fo)} and {(B, fo)}, got "
                                 f"{tuple(ws[l].shape)} and {tuple(cs[l].shape)}")
        new.weights = nn.ParameterList([nn.Parameter(w.to(dev, torch.float32).clone()) for w in ws])
        new.biases = nn.ParameterList([nn.Parameter(c.to(dev, torch.float32).clone()) for c in cs])
        return new


def _output_logits(h: torch.Tensor, w: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
    """Output layer ``z = h·w + c`` for one output unit: ``h`` [B, m, k], ``w`` [B, k, 1], ``c`` [B, 1].

    Written as a multiply-and-sum rather than ``baddbmm``: for a width-1 output the BLAS kernel
    chosen depends on ``B`` (a matrix-vector path for ``B = 1``), which changes the last bits of
    the result; the elementwise form gives every network bit-identical logits whatever ``B`` is.
    """
    return (h * w.transpose(1, 2)).sum(dim=-1) + c


def _empty_like(template: MLPEnsemble, seeds: tuple[int, ...]) -> MLPEnsemble:
    new = MLPEnsemble.__new__(MLPEnsemble)
    nn.Module.__init__(new)
    new.widths = template.widths
    new.d_in = template.d_in
    new.seeds = seeds
    new.init = template.init
    new.arch = template.arch
    return new



# ---------------------------------------------------------------------------------------------------
# Inference helpers
# ---------------------------------------------------------------------------------------------------


def _as_points(x: np.ndarray | torch.Tensor, d_in: int) -> torch.Tensor:
    t = torch.as_tensor(np.asarray(x, dtype=np.float32)) if not isinstance(x, torch.Tensor) \
        else x.detach().to(torch.float32)
    if t.dim() != 2 or t.shape[1] != d_in:
        raise ValueError(f"expected points of shape [n, {d_in}], got {tuple(t.shape)}")
    return t


def _check_batch_size(batch_size: int) -> int:
    if not is_int(batch_size) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    return int(batch_size)


def predict_logits(ensemble: MLPEnsemble, x: np.ndarray | torch.Tensor, *,
                   batch_size: int = 4096) -> np.ndarray:
    """Logits of every network on the shared points ``x``: array ``[B, n]`` (float32)."""
    bs = _check_batch_size(batch_size)
    xt = _as_points(x, ensemble.d_in)
    out = []
    with torch.no_grad():
        for s in range(0, xt.shape[0], bs):
            out.append(ensemble(xt[s:s + bs].to(ensemble.device)).cpu())
    if not out:
        return np.zeros((ensemble.n_networks, 0), dtype=np.float32)
    return torch.cat(out, dim=1).numpy()


def predict_proba(ensemble: MLPEnsemble, x: np.ndarray | torch.Tensor, *,
                  batch_size: int = 4096) -> np.ndarray:
    """Sigmoid outputs :math:`P(y = 1 \\mid x)` of every network: array ``[B, n]`` in (0, 1)."""
    return 1.0 / (1.0 + np.exp(-predict_logits(ensemble, x, batch_size=batch_size).astype(np.float64)))


def accuracy(ensemble: MLPEnsemble, x: np.ndarray | torch.Tensor, y: np.ndarray | torch.Tensor, *,
             batch_size: int = 4096) -> np.ndarray:
    """Per-network accuracy ``[B]``; a point is classified 1 when :math:`\\sigma(z) > 1/2`, i.e. ``z > 0``.

    This is Keras' ``binary_accuracy`` with threshold 0.5 (P1 §3.1 thresholds are on test accuracy).
    """
    yv = np.asarray(y.cpu() if isinstance(y, torch.Tensor) else y).reshape(-1)
    z = predict_logits(ensemble, x, batch_size=batch_size)
    if z.shape[1] != yv.shape[0]:
        raise ValueError(f"x has {z.shape[1]} points but y has {yv.shape[0]} labels")
    return ((z > 0).astype(np.int64) == yv.astype(np.int64)[None, :]).mean(axis=1)


def output_accuracy(output: np.ndarray, y: np.ndarray) -> float:
    """Test accuracy from a network's output representation ``X^{L+1}`` (sigmoid probabilities).

    A point is classified 1 when its stored sigmoid output exceeds 1/2,
    :math:`\\mathrm{acc} = \\frac1n \\sum_i [\\,[\\sigma(z_i) > 1/2] = y_i\\,]`, evaluated on the
    float32 output the representations hold. This is the rule every results store's
    ``test_accuracy`` was computed with; it can differ from :func:`accuracy` (``z > 0``) only for
    logits so close to 0 that the float32 sigmoid rounds to exactly 1/2.

    Parameters
    ----------
    output
        ``[n, 1]`` or ``[n]`` sigmoid outputs.
    y
        ``[n]`` labels in {0, 1}.
    """
    out = np.asarray(output).reshape(len(output), -1)[:, 0]
    yv = np.asarray(y).reshape(-1)
    if out.shape[0] != yv.shape[0]:
        raise ValueError(f"output has {out.shape[0]} points but y has {yv.shape[0]} labels")
    return float(((out > 0.5).astype(np.float32) == yv).mean())


def hidden_slice(n_hidden: int) -> slice:
    """Indices of the hidden layers ``X^1 … X^L`` in a representation list (P1 uses only these).

    ``reps[hidden_slice(L)]`` drops the input ``X^0`` and the output ``X^{L+1}``.
    """
    if n_hidden < 1:
        raise ValueError("n_hidden must be at least 1")
    return slice(1, n_hidden + 1)


@dataclass(frozen=True, eq=False)
class Representations(Sequence):
    """One network's representations of a point set, ``[X^0, X^1, …, X^L, X^{L+1}]``.

    Behaves as a read-only sequence of float32 arrays (``len == L + 2``, indexing, iteration), with
    explicit views of the two conventions of paper-notes §1:

    * :attr:`hidden` — ``X^1 … X^L`` (P1 Eq. 8 pairs these only; default ``layers="hidden"``),
    * :attr:`all` — input, hidden layers and the output (P2's convention, ``layers="all"``).

    Attributes
    ----------
    layers : tuple of np.ndarray
        ``layers[0]`` is the input ``[n, d_in]``, ``layers[l]`` for ``1 ≤ l ≤ L`` the ReLU output of
        hidden layer ``l`` ``[n, w_l]``, ``layers[L + 1]`` the sigmoid output ``[n, 1]``.
    seed : int
        The network's seed.
    """

    layers: tuple[np.ndarray, ...]
    seed: int

    def __len__(self) -> int:
        return len(self.layers)

    def __getitem__(self, i):  # type: ignore[override]
        return self.layers[i]

    def __iter__(self) -> Iterator[np.ndarray]:
        return iter(self.layers)

    @property
    def n_hidden(self) -> int:
        return len(self.layers) - 2

    @property
    def input(self) -> np.ndarray:
        return self.layers[0]

    @property
    def output(self) -> np.ndarray:
        return self.layers[-1]

    @property
    def hidden(self) -> list[np.ndarray]:
        return list(self.layers[hidden_slice(self.n_hidden)])

    @property
    def all(self) -> list[np.ndarray]:
        return list(self.layers)

    def select(self, layers: LayerSelection = "hidden") -> list[np.ndarray]:
        """``"hidden"`` (P1) or ``"all"`` (P2) as a list of arrays."""
        if layers == "hidden":
            return self.hidden
        if layers == "all":
            return self.all
        raise ValueError(f"layers must be 'hidden' or 'all', got {layers!r}")


def representations(ensemble: MLPEnsemble, x: np.ndarray | torch.Tensor, *,
                    batch_size: int = 4096) -> list[Representations]:
    """Representations of the points ``x`` in every network of the ensemble (paper-notes §1).

    Computed under ``torch.no_grad`` in chunks of ``batch_size`` points, all networks at once.

    Parameters
    ----------
    ensemble
        The trained (or untrained) networks.
    x
        ``[n, d_in]`` points, typically the test set.
    batch_size
        Points per forward chunk (memory ≈ ``B · batch_size · Σ widths`` floats).

    Returns
    -------
    list of Representations
        Entry ``b`` belongs to network ``b`` (seed ``ensemble.seeds[b]``) and holds ``L + 2`` float32
        arrays; ``reps[b][0]`` equals ``x`` (as float32; one read-only array shared by all entries),
        ``reps[b].hidden`` the ``L`` hidden layers.
    """
    bs = _check_batch_size(batch_size)
    xt = _as_points(x, ensemble.d_in)
    n = xt.shape[0]
    B = ensemble.n_networks
    sizes = ensemble.sizes
    bufs = [np.empty((B, n, w), dtype=np.float32) for w in sizes[1:]]
    with torch.no_grad():
        for s in range(0, n, bs):
            layers = ensemble.forward_layers(xt[s:s + bs].to(ensemble.device))
            for buf, h in zip(bufs, layers[1:]):
                buf[:, s:s + h.shape[1]] = h.cpu().numpy()
    # X^0 is the same for every network: one read-only copy, shared.
    x_np = xt.cpu().numpy().copy()
    x_np.setflags(write=False)
    out = []
    for b in range(B):
        layers = (x_np,) + tuple(buf[b] for buf in bufs)
        out.append(Representations(layers=layers, seed=ensemble.seeds[b]))
    return out
