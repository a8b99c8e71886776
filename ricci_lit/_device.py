"""The one device rule of the package: which torch device a ``device=`` argument names.

A private module whose names are public to the package (the geometry layer's torch path and the
networks layer both use it; neither may import the other). torch is imported on first use, so
importing this module does not import torch.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import torch

__all__ = ["resolve_device"]


def resolve_device(device: Any = "auto") -> torch.device:
    """The torch device a ``device=`` argument names.

    ``"auto"`` or ``None`` → ``cuda`` when a CUDA device is available, else ``cpu``; a string such
    as ``"cpu"``, ``"cuda"``, ``"cuda:1"`` or a :class:`torch.device` → that device.

    Raises
    ------
    ValueError
        A CUDA device is asked for on a machine without one (rather than failing later inside a
        kernel), or the string names no device.
    TypeError
        ``device`` is neither ``None``, a string nor a :class:`torch.device`.
    """
    import torch

    if device is None or (isinstance(device, str) and device == "auto"):
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if not isinstance(device, (str, torch.device)):
        raise TypeError(f"device must be 'auto', None, a string or a torch.device, got {type(device).__name__}")
    try:
        dev = torch.device(device)
    except RuntimeError:
        raise ValueError(f"unknown device {device!r}; use 'auto', 'cpu', 'cuda' or 'cuda:<index>'") from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device {str(device)!r} was requested but no CUDA device is available")
    return dev
