r"""A user's own torch model and input points, read from files without unpickling anything (issue 15).

What ``ricci-lit coefficient --model MODEL --inputs X.npy --layers a,b,c`` reads:

``MODEL`` a ``torch.export`` archive (``*.pt2``, :func:`torch.export.save`)
    The archive is a zip file. Before :func:`torch.export.load` sees it, :func:`load_exported` checks
    every member against what a plain exported program holds (the graph as JSON, raw tensor
    payloads, sample inputs) and refuses anything that :func:`torch.export.load` would unpickle or
    execute: payloads flagged ``use_pickle`` (tensor subclasses), TorchBind/opaque objects,
    AOTInductor shared libraries, legacy ``.pt`` weights, members outside the archive's one root
    folder (the pre-2.7 fallback format), and sample inputs that ``torch.load(weights_only=True)``
    cannot read (``torch.export.load`` would retry them with full unpickling). The bytes checked
    are the bytes loaded (read once, then loaded from memory).

    The graph keeps the module path of every operation in ``node.meta["nn_module_stack"]``; the
    output of a named layer is the one node of that layer's operations whose value is used
    outside them. :func:`exported_layers` puts an ``nn.Identity`` tap after each such node, so the
    forward hooks of :func:`~ricci_lit.networks.capture.layer_representations` see exactly the
    tensors the exported graph computes. An exported program's train/eval mode is fixed at
    export time, so the wrapper's ``eval()`` changes nothing in the graph.

``MODEL`` ``package.module:factory`` with ``--weights FILE``
    ``factory()`` (imported from the named module, which the user controls) must return an
    ``nn.Module``; ``FILE`` is a state dict read with ``torch.load(..., weights_only=True)`` and
    loaded with ``strict=True`` (missing or unexpected keys are an error).

``X`` an ``.npy`` file (or an ``.npz`` holding exactly one array)
    Only a regular file is opened (:func:`ricci_lit._files.open_regular`); the ``.npy`` header is
    parsed and its shape × item size checked against the bytes the file holds before memory is
    allocated; object arrays are refused. ``.npz`` goes through :func:`ricci_lit._files.read_npz`.

Every problem is a :class:`ModelFileError` (a ``ValueError``) with a one-line message.
"""
from __future__ import annotations

import dataclasses
import difflib
import importlib
import io
import json
import math
import os
import re
import zipfile
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from ricci_lit._files import (
    NPY_MAX_HEADER,
    UnreadableFileError,
    open_regular,
    read_bytes,
    read_npz,
)
from ricci_lit.networks.analyze import NetworkAnalysis, analyze

__all__ = ["ExportedModel", "ModelFileError", "UserModel", "analyze_user_model", "exported_layers",
           "load_exported", "load_factory", "load_user_model", "read_inputs"]

_TAP = "ricci_tap_"


class ModelFileError(ValueError):
    """A model, weights or inputs file that cannot be used; the message is one line."""


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


# ---------------------------------------------------------------------------------------------------
# Input points
# ---------------------------------------------------------------------------------------------------

def read_inputs(path: str | os.PathLike) -> np.ndarray:
    """The array of an ``.npy`` file (or the one array of an ``.npz``), read without trusting its header.

    Raises
    ------
    ModelFileError
        Not a regular file, a corrupt or truncated file, an object array, an ``.npz`` with no
        or several arrays.
    """
    p = os.fspath(path)
    try:
        if p.endswith(".npz"):
            members = read_npz(p)
            arrays = [v for v in members.values() if isinstance(v, np.ndarray)]
            if len(arrays) != 1 or len(members) != 1:
                raise ModelFileError(f"{p}: expected exactly one array in the .npz, found {len(members)} members")
            return arrays[0]
        with open_regular(p, "rb", what="an .npy file") as fh:
            size = os.fstat(fh.fileno()).st_size
            try:
                version = np.lib.format.read_magic(fh)
                if version == (1, 0):
                    shape, fortran, dtype = np.lib.format.read_array_header_1_0(fh, max_header_size=NPY_MAX_HEADER)
                elif version in ((2, 0), (3, 0)):
                    shape, fortran, dtype = np.lib.format.read_array_header_2_0(fh, max_header_size=NPY_MAX_HEADER)
                else:
                    raise ValueError(f"unsupported .npy version {version}")
            except ValueError as exc:
                raise ModelFileError(f"{p}: not a valid .npy file ({_one_line(exc)})") from None
            if dtype.hasobject:
                raise ModelFileError(f"{p}: holds Python objects (dtype {dtype}); only numeric arrays are read")
            expected = math.prod(shape) * dtype.itemsize
            held = size - fh.tell()
            if held != expected:
                raise ModelFileError(f"{p}: the header says {shape} {dtype} ({expected} bytes) but the file "
                                     f"holds {held} bytes of data")
            data = np.frombuffer(fh.read(expected), dtype=dtype, count=math.prod(shape))
            return data.reshape(shape, order="F" if fortran else "C").copy()
    except (UnreadableFileError, FileNotFoundError, PermissionError) as exc:
        raise ModelFileError(_one_line(exc)) from None


# ---------------------------------------------------------------------------------------------------
# torch.export archives
# ---------------------------------------------------------------------------------------------------

def _archive_names(names: list[str], where: str) -> tuple[str, list[str]]:
    """The archive's root folder and its members relative to it; refuses members outside one root."""
    roots = {n.split("/", 1)[0] for n in names}
    if len(roots) != 1 or any("/" not in n for n in names):
        raise ModelFileError(f"{where}: not a torch.export archive (expected one root folder, found "
                             f"{len(roots)} top-level entries)")
    root = roots.pop()
    return root, [n[len(root) + 1:] for n in names if n[len(root) + 1:]]


_PLAIN = (
    re.compile(r"(archive_format|archive_version|byteorder|\.data/version|\.data/serialization_id)"),
    re.compile(r"models/[^/]+\.json"),
    re.compile(r"data/sample_inputs/[^/]+\.pt"),
    re.compile(r"data/weights/[^/]+_weights_config\.json"),
    re.compile(r"data/weights/weight_\d+"),
    re.compile(r"data/constants/[^/]+_constants_config\.json"),
    re.compile(r"data/constants/tensor_\d+"),
    re.compile(r"extra/.+"),
)


_PAYLOAD = re.compile(r"(weight|tensor)_\d+")


def _check_archive(data: bytes, where: str) -> None:
    """Refuse a ``.pt2`` archive holding anything :func:`torch.export.load` would unpickle or run."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise ModelFileError(f"{where}: not a torch.export archive (not a zip file)") from None
    with zf:
        root, rel = _archive_names(zf.namelist(), where)
        for name in rel:
            if name.endswith("/"):
                continue
            if not any(rx.fullmatch(name) for rx in _PLAIN):
                raise ModelFileError(f"{where}: member {name!r} is not part of a plain exported program "
                                     "(pickled objects, compiled code and legacy weights are refused)")

        def read(name: str) -> bytes:
            try:
                return zf.read(f"{root}/{name}")
            except (zipfile.BadZipFile, zlib.error, KeyError, ValueError) as exc:
                raise ModelFileError(f"{where}: member {name!r} is unreadable ({_one_line(exc)})") from None

        if read("archive_format").decode(errors="replace").strip() != "pt2":
            raise ModelFileError(f"{where}: not a torch.export archive (archive_format is not 'pt2')")
        models = [n[len("models/"):-len(".json")] for n in rel if n.startswith("models/")]
        if len(models) != 1:
            raise ModelFileError(f"{where}: expected one exported program, found {len(models)}")
        for name in rel:
            if name.endswith("_config.json"):
                try:
                    config = json.loads(read(name)).get("config", {})
                except (ValueError, AttributeError) as exc:
                    raise ModelFileError(f"{where}: member {name!r} is not valid JSON ({_one_line(exc)})") from None
                if not isinstance(config, dict):
                    raise ModelFileError(f"{where}: member {name!r} has no payload table")
                pickled = [k for k, v in config.items() if not isinstance(v, dict) or v.get("use_pickle") is not False]
                if pickled:
                    raise ModelFileError(f"{where}: payload {pickled[0]!r} is stored pickled; refused "
                                         "(export plain tensors, not tensor subclasses or objects)")
                odd = [k for k, v in config.items() if not _PAYLOAD.fullmatch(str(v.get("path_name", "")))]
                if odd:  # custom or opaque objects (unpickled by torch), or a path leaving the folder
                    raise ModelFileError(f"{where}: payload {odd[0]!r} is not a plain tensor file; refused")
        for name in rel:
            if name.startswith("data/sample_inputs/"):
                try:
                    torch.load(io.BytesIO(read(name)), weights_only=True)
                except Exception as exc:  # noqa: BLE001 - any failure means torch would unpickle fully
                    raise ModelFileError(f"{where}: sample inputs {name!r} are not plain tensors "
                                         f"({_one_line(exc)})") from None


def load_exported(path: str | os.PathLike) -> torch.export.ExportedProgram:
    """Read a ``torch.export`` archive after checking it holds nothing to unpickle or execute.

    Raises
    ------
    ModelFileError
        Not a regular file, not an archive :func:`torch.export.save` writes, a member that would be
        unpickled or executed, or an archive :func:`torch.export.load` cannot read.
    """
    where = os.fspath(path)
    try:
        data = read_bytes(where, what="a torch.export archive (.pt2)")
    except (UnreadableFileError, FileNotFoundError, PermissionError) as exc:
        raise ModelFileError(_one_line(exc)) from None
    _check_archive(data, where)
    try:
        return torch.export.load(io.BytesIO(data))
    except Exception as exc:  # noqa: BLE001 - any failure of the loader is a bad file
        raise ModelFileError(f"{where}: torch.export.load failed ({_one_line(exc)})") from None


class ExportedModel(nn.Module):
    """An exported program's module as an ``nn.Module`` whose ``train``/``eval`` leave the graph alone.

    ``torch.export`` fixes train/eval behaviour (dropout, batch norm) when it traces;
    ``ExportedProgram.module()`` refuses ``eval()``. Only this wrapper's own flag changes.
    """

    def __init__(self, graph_module: nn.Module) -> None:
        super().__init__()
        self.graph = graph_module

    def train(self, mode: bool = True) -> ExportedModel:
        """Set this wrapper's ``training`` flag only (the exported graph keeps its traced behaviour)."""
        self.training = bool(mode)
        return self

    def forward(self, x: torch.Tensor) -> Any:
        """The exported program's output on ``x``."""
        return self.graph(x)


def _stack_paths(node: torch.fx.Node) -> set[str]:
    stack = node.meta.get("nn_module_stack") or {}
    return {str(v[0]) for v in stack.values() if isinstance(v, (tuple, list)) and v}


def exported_layers(ep: torch.export.ExportedProgram, layers: Sequence[str]) -> tuple[ExportedModel, list[str]]:
    """The exported program as a module with a tap after the output of each named layer.

    Returns ``(model, taps)``: capture ``taps[i]`` of ``model`` to get layer ``layers[i]``.
    ``""`` names the program's output.
    """
    gm = ep.module()
    graph = gm.graph
    ops = [n for n in graph.nodes if n.op in ("call_function", "call_method")]
    known = sorted({p for n in ops for p in _stack_paths(n)} - {""})
    out_node = next(n for n in graph.nodes if n.op == "output")
    taps: list[str] = []
    for i, name in enumerate(layers):
        if name == "":
            flat = [a for a in torch.utils._pytree.tree_leaves(out_node.args) if isinstance(a, torch.fx.Node)]
            if len(flat) != 1:
                raise ModelFileError(f"the exported program has {len(flat)} outputs; name a layer instead of ''")
            node = flat[0]
        else:
            group = [n for n in ops if name in _stack_paths(n)]
            if not group:
                close = difflib.get_close_matches(name, known, n=3) or known[:5]
                raise ModelFileError(f"no layer {name!r} in the exported program; "
                                     f"{'close' if difflib.get_close_matches(name, known) else 'some'} names: "
                                     f"{', '.join(close) or '(none recorded)'}")
            inside = set(group)
            leaving = [n for n in group if any(u not in inside for u in n.users)]
            if len(leaving) != 1:
                raise ModelFileError(f"layer {name!r} has {len(leaving)} outputs in the exported graph (it runs "
                                     "more than once or returns several tensors); name one of its submodules")
            node = leaving[0]
        tap = f"{_TAP}{i}"
        gm.add_submodule(tap, nn.Identity())
        with graph.inserting_after(node):
            tap_node = graph.call_module(tap, (node,))
        node.replace_all_uses_with(tap_node, delete_user_cb=lambda u, t=tap_node: u is not t)
        taps.append(f"graph.{tap}")
    gm.recompile()
    return ExportedModel(gm), taps


def _exported_input_shape(ep: torch.export.ExportedProgram) -> tuple[int | None, ...] | None:
    """Shape of the one user input (``None`` for a dynamic dimension), or ``None`` when unknown."""
    users = [s for s in ep.graph_signature.input_specs if s.kind == torch.export.graph_signature.InputKind.USER_INPUT]
    if len(users) != 1:
        raise ModelFileError(f"the exported program takes {len(users)} inputs; the command line feeds one array")
    node = next((n for n in ep.graph.nodes if n.op == "placeholder" and n.name == users[0].arg.name), None)
    val = None if node is None else node.meta.get("val")
    if val is None or not hasattr(val, "shape"):
        return None
    return tuple(int(d) if isinstance(d, int) else None for d in val.shape)


# ---------------------------------------------------------------------------------------------------
# package.module:factory
# ---------------------------------------------------------------------------------------------------

def load_factory(spec: str, weights: str | os.PathLike | None = None) -> nn.Module:
    """``factory()`` of ``package.module:factory``, with the state dict of ``weights`` loaded strictly."""
    mod_name, sep, attr = spec.partition(":")
    if not sep or not mod_name or not attr.isidentifier():
        raise ModelFileError(f"model {spec!r}: expected a .pt2 file or package.module:factory")
    try:
        module = importlib.import_module(mod_name)
    except Exception as exc:  # noqa: BLE001 - ImportError, or the user's module failing as it runs
        raise ModelFileError(f"model {spec!r}: cannot import {mod_name!r} ({_one_line(exc)})") from None
    factory = getattr(module, attr, None)
    if not callable(factory):
        raise ModelFileError(f"model {spec!r}: {mod_name} has no callable {attr!r}")
    try:
        model = factory()
    except Exception as exc:  # noqa: BLE001 - the user's factory failing is an input error here
        raise ModelFileError(f"model {spec!r}: {attr}() failed ({type(exc).__name__}: {_one_line(exc)})") from None
    if not isinstance(model, nn.Module):
        raise ModelFileError(f"model {spec!r}: {attr}() returned {type(model).__name__}, not a torch.nn.Module")
    if weights is not None:
        where = os.fspath(weights)
        try:
            data = read_bytes(where, what="a state dict file")
        except (UnreadableFileError, FileNotFoundError, PermissionError) as exc:
            raise ModelFileError(_one_line(exc)) from None
        try:
            state = torch.load(io.BytesIO(data), weights_only=True, map_location="cpu")
        except Exception as exc:  # noqa: BLE001 - UnpicklingError, corrupt zip, …: a bad file
            raise ModelFileError(f"{where}: not a state dict torch.load(weights_only=True) can read "
                                 f"({_one_line(exc)})") from None
        if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
            raise ModelFileError(f"{where}: expected a state dict (names → tensors), got {type(state).__name__}")
        try:
            model.load_state_dict(state, strict=True)
        except RuntimeError as exc:
            detail = " ".join(str(exc).split())
            raise ModelFileError(f"{where}: does not fit {attr}(): {detail[:300]}") from None
    return model


# ---------------------------------------------------------------------------------------------------
# One entry point
# ---------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class UserModel:
    """A loaded model and the names under which its layers are captured.

    Attributes
    ----------
    module
        The model (an :class:`ExportedModel` for a ``.pt2`` file).
    capture
        The module names to capture, one per entry of :attr:`names`.
    names
        The layer names the user gave.
    input_shape
        Shape of an exported program's input (``None`` for dynamic dimensions), else ``None``.
    """

    module: nn.Module
    capture: tuple[str, ...]
    names: tuple[str, ...]
    input_shape: tuple[int | None, ...] | None = None


def load_user_model(model: str, layers: Sequence[str], *, weights: str | os.PathLike | None = None) -> UserModel:
    """Load ``model`` (a ``.pt2`` path or ``package.module:factory``) and resolve ``layers`` in it."""
    names = tuple(layers)
    if not names:
        raise ModelFileError("no layers named")
    if len(set(names)) != len(names):
        raise ModelFileError(f"layers named twice: {', '.join(sorted({n for n in names if names.count(n) > 1}))}")
    if model.endswith(".pt2"):
        if weights is not None:
            raise ModelFileError("--weights applies to package.module:factory; a .pt2 archive holds its weights")
        ep = load_exported(model)
        shape = _exported_input_shape(ep)
        module, taps = exported_layers(ep, names)
        return UserModel(module, tuple(taps), names, shape)
    module = load_factory(model, weights)
    available = {n for n, _ in module.named_modules()}
    for name in names:
        if name not in available:
            close = difflib.get_close_matches(name, sorted(available - {""}), n=3)
            hint = f"; close names: {', '.join(close)}" if close else ""
            raise ModelFileError(f"no layer {name!r} in {model}{hint}")
    return UserModel(module, names, names, None)


def _check_inputs(um: UserModel, x: np.ndarray) -> int | None:
    """Refuse inputs that do not fit an exported program's input; the fixed batch size, if any."""
    if x.ndim == 0 or x.shape[0] == 0:
        raise ModelFileError(f"inputs: expected an array [n, …] with n ≥ 1, got shape {x.shape}")
    shape = um.input_shape
    if shape is None:
        return None
    want = "[" + ", ".join("n" if i == 0 and d is None else ("*" if d is None else str(d))
                           for i, d in enumerate(shape)) + "]"
    if x.ndim != len(shape) or any(d is not None and i > 0 and d != s for i, (d, s) in enumerate(zip(shape, x.shape))):
        raise ModelFileError(f"inputs: shape {x.shape} does not fit the exported program's input {want}")
    fixed = shape[0]
    if fixed is not None and x.shape[0] % fixed:
        raise ModelFileError(f"inputs: the program was exported with a fixed batch of {fixed}; give a multiple "
                             f"of {fixed} points or export with a dynamic batch (torch.export.Dim)")
    return fixed


def analyze_user_model(um: UserModel, x: np.ndarray, k: int, **options: Any) -> NetworkAnalysis:
    """:func:`~ricci_lit.networks.analyze.analyze` of a :class:`UserModel`, reported under the user's names."""
    fixed = _check_inputs(um, x)
    if fixed is not None:
        options["batch_size"] = fixed
    try:
        res = analyze(um.module, x, list(um.capture), k, **options)
    except AssertionError as exc:  # an exported program's shape guard
        raise ModelFileError(f"inputs do not fit the exported program ({_one_line(exc)})") from None
    rename = dict(zip(um.capture, um.names))
    return dataclasses.replace(res, layers=tuple(rename.get(n, n) for n in res.layers))
