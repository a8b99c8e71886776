"""Layer representations of any torch model, by forward hooks (issue 15).

:func:`layer_representations` runs a model on a set of points and returns, for each named
submodule asked for (names as ``model.named_modules()`` gives them), its output on every point
as one ``[n, features]`` array: the point clouds ``X^l`` that the kNN graphs, curvatures and
Ricci coefficients of :mod:`ricci_lit.geometry` take.

How an output becomes ``[n, features]``
---------------------------------------
Dimension 0 of every input and every captured output is the batch (``batch_first``; a module
whose output does not start with the batch size is an error). Then, for an output of shape
``[B, *rest]``:

``flatten=True`` (default)
    C-order flattening, ``[B, prod(rest)]``: for a feature map ``[B, C, H, W]`` the column of
    ``(c, h, w)`` is ``c·H·W + h·W + w``, as ``tensor.reshape(B, -1)`` gives it.
``flatten="mean"``
    The mean over every dimension after the channel dimension 1 (PyTorch's ``[B, C, …]``
    convention): ``[B, C, H, W] → [B, C]`` (global average pooling over ``H, W``),
    ``[B, C, L] → [B, C]``; outputs of two or fewer dimensions are kept as they are. The input
    is *not* pooled (its per-channel means would discard the point cloud); it is flattened.
``flatten=False``
    The output must already be ``[B, features]`` (or ``[B]``, read as one feature).

Token outputs ``[B, T, d]`` (a transformer's hidden states, ``batch_first=True``) are chosen by
``tokens``, which then applies to every three-dimensional output *and* a three-dimensional
input (two-dimensional ones pass unchanged):

``tokens="all"``
    Every token is a point: ``[B·T, d]``, rows ordered batch-major (row ``b·T + t`` is token
    ``t`` of example ``b``).
``tokens="mean"``
    One point per example, the mean over tokens: ``[B, d]``.
``tokens=i``
    One point per example, the token at position ``i`` (negative counts from the end).

Outputs that are tuples, lists or dicts (``nn.MultiheadAttention``, ``nn.LSTM``, Hugging Face
model outputs) need a ``select`` rule: an index or key, or a callable ``output → tensor``,
given for all layers or per layer as a ``{name: rule}`` dict. A rule is applied only to outputs
that are not tensors.

The model runs in eval mode and under ``torch.no_grad()``; every submodule's ``training`` flag,
the model's device and its hooks are restored afterwards, also when the forward pass fails.
Batches are streamed: only the asked layers' outputs are kept, one numpy chunk per batch.
"""
from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np
import torch
from torch import nn

from ricci_lit._device import resolve_device

__all__ = ["INPUT", "SelectRule", "layer_representations"]

#: The key of the input representation in :func:`layer_representations`' result.
INPUT = "input"

#: An index or key into a tuple/list/dict output, or a callable ``output → tensor``.
SelectRule = int | str | Callable[[Any], torch.Tensor]

_DEFAULT_BATCH = 1024


# ---------------------------------------------------------------------------------------------------
# Argument checks
# ---------------------------------------------------------------------------------------------------


def _check_model(model: object) -> nn.Module:
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if isinstance(model, torch.jit.ScriptModule):
        raise TypeError("a TorchScript module cannot take forward hooks; pass the eager nn.Module")
    return model


def _check_layers(model: nn.Module, layers: Sequence[str] | str, include_input: bool) -> list[str]:
    if isinstance(layers, str):
        layers = [layers]
    try:
        layers = list(layers)
    except TypeError:
        raise TypeError(f"layers must be a sequence of module names, got {type(layers).__name__}") from None
    if not layers:
        raise ValueError("layers is empty: name at least one submodule (see model.named_modules())")
    bad = [ln for ln in layers if not isinstance(ln, str)]
    if bad:
        raise TypeError(f"layer names must be strings, got {bad[0]!r}")
    dup = sorted({ln for ln in layers if layers.count(ln) > 1})
    if dup:
        raise ValueError(f"layer names repeated: {', '.join(map(repr, dup))}")
    if include_input and INPUT in layers:
        raise ValueError(f"a layer is named {INPUT!r}, the key of the input; pass include_input=False "
                         "or capture that module under include_input=False")
    names = [n for n, _ in model.named_modules()]
    known = set(names)
    for ln in layers:
        if ln not in known:
            close = difflib.get_close_matches(ln, names, n=5, cutoff=0.5)
            hint = (f"close names: {', '.join(map(repr, close))}" if close else
                    f"modules are: {', '.join(map(repr, names[:12]))}{' …' if len(names) > 12 else ''}")
            raise ValueError(f"no submodule named {ln!r} in {type(model).__name__}; {hint}")
    return layers


def _check_flatten(flatten: object) -> bool | str:
    if flatten is True or flatten is False or flatten == "mean":
        return flatten  # type: ignore[return-value]
    raise ValueError(f"flatten must be True, False or 'mean', got {flatten!r}")


def _check_tokens(tokens: object) -> None | str | int:
    if tokens is None or tokens in ("all", "mean"):
        return tokens  # type: ignore[return-value]
    if isinstance(tokens, (int, np.integer)) and not isinstance(tokens, bool):
        return int(tokens)
    raise ValueError(f"tokens must be None, 'all', 'mean' or a token position (int), got {tokens!r}")


def _check_batch_size(batch_size: object) -> int:
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    return int(batch_size)


def _select_rules(select: object, layers: list[str]) -> dict[str, SelectRule | None]:
    if isinstance(select, Mapping):
        unknown = [k for k in select if k not in layers]
        if unknown:
            raise ValueError(f"select names layers that are not captured: {', '.join(map(repr, unknown))}")
        return {ln: select.get(ln) for ln in layers}
    if select is not None and not (callable(select) or isinstance(select, (int, str))):
        raise TypeError(f"select must be an index, a key, a callable or a dict of them, got {type(select).__name__}")
    return {ln: select for ln in layers}  # type: ignore[misc]


# ---------------------------------------------------------------------------------------------------
# Inputs
# ---------------------------------------------------------------------------------------------------


def _model_dtype_device(model: nn.Module) -> tuple[torch.dtype, set[torch.device]]:
    tensors = list(model.parameters()) + list(model.buffers())
    floats = [t.dtype for t in tensors if t.is_floating_point()]
    dtype = floats[0] if floats else torch.get_default_dtype()
    return dtype, {t.device for t in tensors}


def _as_tensor(batch: object, dtype: torch.dtype, device: torch.device) -> torch.Tensor:
    if isinstance(batch, (tuple, list)) and batch and isinstance(batch[0], (np.ndarray, torch.Tensor)):
        batch = batch[0]  # a (x, y, ...) batch as data loaders yield it
    if isinstance(batch, np.ndarray):
        if batch.dtype == object or not (np.issubdtype(batch.dtype, np.number) or batch.dtype == bool):
            raise ValueError(f"x: non-numeric data (dtype {batch.dtype})")
        t = torch.from_numpy(np.ascontiguousarray(batch))
    elif isinstance(batch, torch.Tensor):
        t = batch.detach()
    else:
        raise TypeError(f"x: a batch must be a numpy array or a torch tensor, got {type(batch).__name__}")
    if t.ndim == 0:
        raise ValueError("x: a batch must have a batch dimension, got a scalar")
    if t.is_floating_point() or t.dtype == torch.bool:
        t = t.to(dtype)
    return t.to(device)


def _batches(x: object, batch_size: int) -> Iterator[object]:
    if isinstance(x, (np.ndarray, torch.Tensor)):
        if x.ndim == 0:
            raise ValueError("x: expected points along dimension 0, got a scalar")
        n = x.shape[0]
        if n == 0:
            raise ValueError(f"x: no points (shape {tuple(x.shape)})")
        for s in range(0, n, batch_size):
            yield x[s:s + batch_size]
        return
    if isinstance(x, (str, bytes)) or not isinstance(x, Iterable):
        raise TypeError(f"x must be an array, a tensor or an iterable of batches, got {type(x).__name__}")
    yield from x  # type: ignore[misc]


# ---------------------------------------------------------------------------------------------------
# Outputs
# ---------------------------------------------------------------------------------------------------


def _apply_select(name: str, out: object, rule: SelectRule | None) -> torch.Tensor:
    if isinstance(out, torch.Tensor):
        return out
    kind = type(out).__name__
    if rule is None:
        what = f"a dict with keys {list(out)[:6]}" if isinstance(out, Mapping) else (
            f"a {kind} of {len(out)}" if isinstance(out, (tuple, list)) else f"a {kind}")
        raise ValueError(f"module {name!r} returns {what}, not a tensor; pass select= "
                         f"(an index, a key or a callable, e.g. select={{{name!r}: 0}})")
    try:
        sel = rule(out) if callable(rule) else out[rule]  # type: ignore[index]
    except (IndexError, KeyError, TypeError) as exc:
        raise ValueError(f"select rule {rule!r} does not apply to the {kind} output of {name!r} ({exc})") from None
    if not isinstance(sel, torch.Tensor):
        raise TypeError(f"select rule for {name!r} gave a {type(sel).__name__}, not a tensor")
    return sel


def _to_points(name: str, t: torch.Tensor, batch: int, flatten: bool | str, tokens: None | str | int,
               is_input: bool = False) -> torch.Tensor:
    if t.ndim == 0 or t.shape[0] != batch:
        raise ValueError(f"{name!r} has shape {tuple(t.shape)}, whose first dimension is not the batch "
                         f"size {batch}; layer_representations needs batch-first outputs "
                         "(e.g. nn.TransformerEncoderLayer(..., batch_first=True))")
    if t.ndim == 1:
        return t[:, None]
    if tokens is not None and t.ndim == 3:
        T = t.shape[1]
        if tokens == "all":
            return t.reshape(batch * T, t.shape[2])
        if tokens == "mean":
            return t.mean(dim=1)
        if not -T <= tokens < T:  # type: ignore[operator]
            raise ValueError(f"tokens={tokens} is out of range for {name!r} with {T} tokens (shape {tuple(t.shape)})")
        return t[:, tokens, :]
    if t.ndim == 2:
        return t
    if flatten is False:
        raise ValueError(f"{name!r} has shape {tuple(t.shape)}, not [batch, features]; "
                         "pass flatten=True (C-order) or flatten='mean' (pool over spatial dims)")
    if flatten == "mean" and not is_input:
        return t.mean(dim=tuple(range(2, t.ndim)))
    return t.reshape(batch, -1)


def _to_numpy(t: torch.Tensor) -> np.ndarray:
    t = t.detach()
    if t.dtype in (torch.float16, torch.bfloat16):
        t = t.to(torch.float32)
    elif not t.is_floating_point():
        t = t.to(torch.float64)
    return t.cpu().numpy()


# ---------------------------------------------------------------------------------------------------
# Model state
# ---------------------------------------------------------------------------------------------------


@contextmanager
def _capture_state(model: nn.Module, device: torch.device) -> Iterator[None]:
    """Eval mode, no grad and the model on ``device``; modes and device restored on exit."""
    modes = [(m, m.training) for m in model.modules()]
    _, devices = _model_dtype_device(model)
    if len(devices) > 1:
        raise ValueError(f"the model's parameters lie on several devices ({sorted(map(str, devices))}); "
                         "layer_representations moves the whole model to one device")
    home = next(iter(devices)) if devices else None
    try:
        if home is not None and home != device:
            model.to(device)
        model.eval()
        with torch.no_grad():
            yield
    finally:
        if home is not None and home != device:
            model.to(home)
        for m, flag in modes:
            m.training = flag


# ---------------------------------------------------------------------------------------------------
# The function
# ---------------------------------------------------------------------------------------------------


def layer_representations(
    model: nn.Module,
    x: np.ndarray | torch.Tensor | Iterable[object],
    layers: Sequence[str] | str,
    *,
    include_input: bool = True,
    batch_size: int = _DEFAULT_BATCH,
    device: str | torch.device | None = "auto",
    flatten: bool | str = True,
    tokens: None | str | int = None,
    select: SelectRule | Mapping[str, SelectRule] | None = None,
) -> dict[str, np.ndarray]:
    """The outputs of named submodules of ``model`` on the points ``x``, as ``[n, features]`` arrays.

    Parameters
    ----------
    model
        Any eager ``torch.nn.Module`` (not TorchScript, which takes no hooks).
    x
        The points: a numpy array or tensor with the batch along dimension 0 (split into
        batches of ``batch_size``), or an iterable of batches (arrays, tensors, or
        ``(x, y, …)`` tuples as a ``DataLoader`` yields them; the first element is used).
        Floating and boolean inputs are cast to the model's floating dtype; integer inputs
        (token ids) are passed as they are.
    layers
        Module names as ``model.named_modules()`` gives them (``"features.0"``,
        ``"blocks.2"``, ``""`` for the model itself), in the order wanted. Each must run once
        per forward pass.
    include_input
        Put the input, reshaped like the layers (never pooled), first under the key ``"input"``.
    batch_size
        Points per forward pass when ``x`` is an array or tensor.
    device
        ``"auto"`` (CUDA when available), ``"cpu"``, ``"cuda:0"``, …; the model is moved
        there for the capture and moved back afterwards.
    flatten
        ``True`` (C-order), ``"mean"`` (mean over the dimensions after channel dimension 1),
        or ``False`` (outputs must be two-dimensional already); see the module docstring.
    tokens
        For ``[B, T, d]`` outputs: ``"all"`` → ``[B·T, d]``, ``"mean"`` → ``[B, d]``, or a
        position ``i`` → ``[B, d]``; ``None`` treats them as feature maps (``flatten``).
    select
        How to get a tensor out of a tuple, list or dict output: an index or key, a callable,
        or a ``{layer name: rule}`` dict. Applied only to outputs that are not tensors.

    Returns
    -------
    dict[str, numpy.ndarray]
        ``{"input": X^0, layers[0]: X^1, …}`` in that order, each ``[n, features]``, with the
        same ``n`` for every key; float16/bfloat16 outputs become float32, integer and
        boolean ones float64, other floating dtypes are kept.

    Raises
    ------
    ValueError
        An unknown layer name (the error lists close names), a tuple/dict output without
        ``select``, an output that is not batch-first, a module that did not run or ran twice
        in one forward pass, inputs the model rejects, or layers with different numbers of rows.
    TypeError
        A model that is not an ``nn.Module``, or ``x`` of an unsupported type.
    """
    model = _check_model(model)
    layers = _check_layers(model, layers, include_input)
    flatten = _check_flatten(flatten)
    tokens = _check_tokens(tokens)
    batch_size = _check_batch_size(batch_size)
    rules = _select_rules(select, layers)
    dev = resolve_device(device)
    dtype, _ = _model_dtype_device(model)
    modules = dict(model.named_modules())

    chunks: dict[str, list[np.ndarray]] = {ln: [] for ln in ([INPUT] if include_input else []) + layers}
    calls: dict[str, int] = {ln: 0 for ln in layers}
    current = {"batch": 0}

    def make_hook(name: str) -> Callable:
        def hook(_module: nn.Module, _inp: object, out: object) -> None:
            calls[name] += 1
            if calls[name] > 1:
                raise ValueError(f"module {name!r} ran {calls[name]} times in one forward pass; "
                                 "capture a module that runs once (e.g. a wrapper around the repeats)")
            t = _apply_select(name, out, rules[name])
            chunks[name].append(_to_numpy(_to_points(name, t, current["batch"], flatten, tokens)))
        return hook

    n_batches = 0
    with _capture_state(model, dev):
        handles = [modules[ln].register_forward_hook(make_hook(ln)) for ln in layers]
        try:
            for raw in _batches(x, batch_size):
                xb = _as_tensor(raw, dtype, dev)
                if xb.shape[0] == 0:
                    continue
                current["batch"] = int(xb.shape[0])
                for ln in layers:
                    calls[ln] = 0
                if include_input:
                    chunks[INPUT].append(_to_numpy(_to_points(INPUT, xb, xb.shape[0], flatten, tokens, True)))
                try:
                    model(xb)
                except RuntimeError as exc:
                    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                    raise ValueError(f"the forward pass of {type(model).__name__} failed on a batch of shape "
                                     f"{tuple(xb.shape)}: {first}") from exc
                missing = [ln for ln in layers if calls[ln] == 0]
                if missing:
                    raise ValueError(f"module(s) {', '.join(map(repr, missing))} did not run in the forward pass")
                n_batches += 1
        finally:
            for h in handles:
                h.remove()
    if n_batches == 0:
        raise ValueError("x: no points (empty input or no batches)")
    reps = {ln: np.concatenate(parts, axis=0) for ln, parts in chunks.items()}
    rows = {ln: a.shape[0] for ln, a in reps.items()}
    if len(set(rows.values())) > 1:
        detail = ", ".join(f"{ln!r}: {r}" for ln, r in rows.items())
        raise ValueError(f"the representations have different numbers of rows ({detail}); with tokens='all' "
                         "every layer (and the input) must be a [batch, tokens, d] output")
    return reps
