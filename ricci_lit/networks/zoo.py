"""Small models beyond binary MLPs for the book (issue 15): a small CNN and a residual MLP.

Both are plain ``torch.nn.Module``\\ s whose interesting representations are outputs of *named*
submodules, so :func:`ricci_lit.networks.capture.layer_representations` captures them by
name; ``model.representation_layers`` lists those names in order. Construction is seeded:
the weights are PyTorch's default initialisation (as paper 2 uses) drawn from a generator
seeded with ``seed``, inside :func:`torch.random.fork_rng`, so the same seed gives identical
weights and the global random state is untouched.

:class:`SmallCNN`
    ``conv1 → act1 → pool1 → conv2 → act2 → pool2 → flatten → fc1 → act3 → fc2``: two
    3×3 convolutions (padding 1) with ReLU and 2×2 max pooling, then two dense layers.
:class:`ResidualMLP`
    Paper 2's residual network ([P2-code] ``neural_networks_with_residual_connection.py``):
    ``h_1 = ReLU(W_0 x + b_0)``, then ``depth − 1`` blocks ``h_{l+1} = h_l + ReLU(W_l h_l + b_l)``,
    then a linear head. Paper 2 uses one logit (binary); here ``n_classes`` logits
    (``n_classes=1`` gives paper 2's single logit).
:func:`linear_counterpart`
    The same network with its activation modules removed (same weights, same module names),
    for paper 2's "linear networks preserve kNN graphs" comparison.
"""
from __future__ import annotations

import copy
from collections.abc import Callable

import torch
from torch import nn

from ricci_lit._checks import is_int

__all__ = ["ResidualBlock", "ResidualMLP", "SmallCNN", "linear_counterpart", "seeded"]


def _positive(name: str, value: object) -> int:
    if not is_int(value) or value < 1:  # type: ignore[operator]
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)  # type: ignore[arg-type]


def seeded(build: Callable[[], nn.Module], seed: int) -> nn.Module:
    """Run ``build()`` with torch's CPU generator seeded with ``seed``, restoring its state after.

    Every default initialiser (``nn.Linear``, ``nn.Conv2d``, …) draws from the global CPU
    generator, so one seed fixes every weight of the model ``build`` constructs.
    """
    if not is_int(seed) or seed < 0:  # type: ignore[operator]
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(int(seed))
        return build()


class SmallCNN(nn.Module):
    """Two conv layers with pooling, then two dense layers, for ``n_classes``-way image problems.

    Parameters
    ----------
    in_channels, image_size
        Input images ``[B, in_channels, image_size, image_size]``; flat inputs
        ``[B, in_channels·image_size²]`` (as :func:`ricci_lit.data.problems.load_xy` gives
        them, C-order) are reshaped to that.
    n_classes
        Number of output logits.
    channels
        Output channels of the two convolutions.
    hidden
        Width of the first dense layer.
    seed
        Seed of the default initialisation.

    Notes
    -----
    Shapes: ``conv1/act1 [B, c1, s, s] → pool1 [B, c1, s/2, s/2] → conv2/act2 [B, c2, s/2, s/2]
    → pool2 [B, c2, s/4, s/4] → flatten [B, c2·(s/4)²] → fc1/act3 [B, hidden] → fc2 [B, n_classes]``
    (``s/2`` and ``s/4`` rounded down).
    """

    representation_layers: tuple[str, ...] = ("act1", "pool1", "act2", "pool2", "act3", "fc2")

    def __init__(self, in_channels: int = 1, image_size: int = 28, n_classes: int = 10, *,
                 channels: tuple[int, int] = (16, 32), hidden: int = 64, seed: int = 0) -> None:
        super().__init__()
        self.in_channels = _positive("in_channels", in_channels)
        self.image_size = _positive("image_size", image_size)
        if self.image_size < 4:
            raise ValueError(f"image_size must be at least 4 (two 2×2 poolings), got {image_size}")
        n_classes = _positive("n_classes", n_classes)
        if len(channels) != 2:
            raise ValueError(f"channels must be two positive integers, got {channels!r}")
        c1, c2 = (_positive("channels", c) for c in channels)
        hidden = _positive("hidden", hidden)
        side = self.image_size // 4

        def build() -> nn.Module:
            self.conv1 = nn.Conv2d(self.in_channels, c1, 3, padding=1)
            self.act1 = nn.ReLU()
            self.pool1 = nn.MaxPool2d(2)
            self.conv2 = nn.Conv2d(c1, c2, 3, padding=1)
            self.act2 = nn.ReLU()
            self.pool2 = nn.MaxPool2d(2)
            self.flatten = nn.Flatten()
            self.fc1 = nn.Linear(c2 * side * side, hidden)
            self.act3 = nn.ReLU()
            self.fc2 = nn.Linear(hidden, n_classes)
            return self

        seeded(build, seed)
        self.n_classes = n_classes

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """The logits ``[B, n_classes]`` of images ``[B, C, s, s]`` or flat inputs ``[B, C·s²]``."""
        c, s = self.in_channels, self.image_size
        if x.ndim == 2 and x.shape[1] == c * s * s:
            x = x.reshape(x.shape[0], c, s, s)
        if x.ndim != 4 or tuple(x.shape[1:]) != (c, s, s):
            raise ValueError(f"SmallCNN expects inputs [B, {c}, {s}, {s}] or [B, {c * s * s}], "
                             f"got {tuple(x.shape)}")
        x = self.pool1(self.act1(self.conv1(x)))
        x = self.pool2(self.act2(self.conv2(x)))
        return self.fc2(self.act3(self.fc1(self.flatten(x))))


class ResidualBlock(nn.Module):
    """``h ↦ h + ReLU(W h + b)`` (paper 2's residual block, pre-activation sum)."""

    def __init__(self, width: int) -> None:
        super().__init__()
        self.linear = nn.Linear(width, width)
        self.act = nn.ReLU()

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        """``h + ReLU(W h + b)`` for ``h`` of shape ``[B, width]``."""
        return h + self.act(self.linear(h))


class ResidualMLP(nn.Module):
    """Paper 2's residual MLP: a ReLU input projection, ``depth − 1`` residual blocks, a linear head.

    Parameters
    ----------
    d_in
        Input dimension (images are flattened: any ``[B, …]`` input is reshaped to ``[B, d_in]``).
    width
        Hidden width (paper 2: 25 by default).
    depth
        Number of hidden representations: the projection ``stem`` plus ``depth − 1`` blocks.
    n_classes
        Output logits (1 = paper 2's binary head).
    seed
        Seed of the default initialisation.

    Notes
    -----
    Named representations: ``stem`` (``ReLU(W_0 x + b_0)``), ``blocks.0 … blocks.{depth−2}``
    (each block's output, after the residual sum) and ``head`` (the logits).
    """

    def __init__(self, d_in: int, width: int = 25, depth: int = 5, n_classes: int = 10, *,
                 seed: int = 0) -> None:
        super().__init__()
        self.d_in = _positive("d_in", d_in)
        width = _positive("width", width)
        depth = _positive("depth", depth)
        n_classes = _positive("n_classes", n_classes)

        def build() -> nn.Module:
            self.stem = nn.Sequential(nn.Linear(self.d_in, width), nn.ReLU())
            self.blocks = nn.ModuleList([ResidualBlock(width) for _ in range(depth - 1)])
            self.head = nn.Linear(width, n_classes)
            return self

        seeded(build, seed)
        self.width, self.depth, self.n_classes = width, depth, n_classes

    @property
    def representation_layers(self) -> tuple[str, ...]:
        """The names of the representations, in order: ``stem``, the blocks, ``head``."""
        return ("stem", *(f"blocks.{i}" for i in range(self.depth - 1)), "head")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """The logits ``[B, n_classes]`` of inputs ``[B, d_in]`` (or any shape that flattens to it)."""
        x = x.reshape(x.shape[0], -1)
        if x.shape[1] != self.d_in:
            raise ValueError(f"ResidualMLP expects {self.d_in} input features, got {x.shape[1]}")
        h = self.stem(x)
        for block in self.blocks:
            h = block(h)
        return self.head(h)


def linear_counterpart(model: nn.Module, activations: tuple[type[nn.Module], ...] = (nn.ReLU,)) -> nn.Module:
    """A deep copy of ``model`` with every activation module replaced by ``nn.Identity``.

    Same weights, same module names (so :func:`~ricci_lit.networks.capture.layer_representations`
    captures the same layers of both), the original untouched. Only activation *modules* of the
    given types are found; an activation applied functionally in ``forward`` (``torch.relu(x)``)
    cannot be removed this way.

    Raises
    ------
    ValueError
        ``model`` has no submodule of the given types.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    out = copy.deepcopy(model)
    replaced = 0
    for parent in list(out.modules()):
        for name, child in list(parent.named_children()):
            if isinstance(child, activations):
                setattr(parent, name, nn.Identity())
                replaced += 1
    if isinstance(out, activations):
        raise ValueError("the model itself is an activation; its linear counterpart is the identity")
    if replaced == 0:
        kinds = ", ".join(a.__name__ for a in activations)
        raise ValueError(f"{type(model).__name__} has no {kinds} submodule to remove (functional "
                         "activations in forward() cannot be replaced)")
    return out
