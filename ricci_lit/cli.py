"""Command line: ``ricci-lit coefficient|sweep|report|pack|coefficients|p2|zoo|sensitivity``.

``ricci-lit coefficient ACTS.npz --k K`` computes the Ricci coefficients of the representations
stored in ``ACTS.npz`` (``arr_0 … arr_M`` as ``numpy.savez(path, *reps)`` writes them, or named
arrays in the order stored). Bad input exits with status 2 and one line on stderr naming the
problem; a disconnected graph is not an error (``rho`` is ``null`` and the output says where).
``ricci-lit coefficient --model MODEL --inputs X.npy --layers a,b,c --k K`` does the same for the
named layers of a torch model: ``MODEL`` is a ``torch.export`` archive (``.pt2``) or
``package.module:factory`` with ``--weights STATE_DICT``; nothing is unpickled (see
:mod:`ricci_lit.networks.model_files`); ``--json`` adds the layer names.

Exit status of every command: **0** success; **2** a bad command line or bad input — a missing,
unreadable or non-regular file (a FIFO or a device is refused before it is opened), a corrupt
``.npz``/``.npy`` (bad header, data shorter than the header says, corrupt compressed data, object
arrays: ``pickle`` is never used), non-numeric data (strings, complex, ``timedelta64``), a results
directory whose manifest, chunks or checkpoints are not what the store wrote — always one line
``ricci-lit: error: …`` on stderr, never a traceback; **1** the output could not be written (a full
disk: one line on stderr); **141** (128 + SIGPIPE, as a shell reports a tool stopped by a closed pipe)
when the reader of standard output went away (``ricci-lit report … | head -1``), silently;
**130** interrupted. ``--json`` output is strict JSON (no ``NaN``: non-finite numbers are ``null``).
"""
from __future__ import annotations

import argparse
import errno
import json
import sys
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from ricci_lit._cli_io import (
    GuardedStdout,
    StdoutError,
    UsageError,
    format_warning,
    load_representations,
    print_json,
    silence,
    strict_json,
)
from ricci_lit._files import UnreadableFileError
from ricci_lit.data.training_sets import TRAINING_SETS
from ricci_lit.geometry.curvature import CURVATURES
from ricci_lit.geometry.engine import DEFAULT_CURVATURES
from ricci_lit.geometry.knn import MODES

__all__ = ["UsageError", "format_warning", "load_representations", "main", "strict_json"]


#: dtype kinds accepted as representations: bool, signed and unsigned integers, real floats. Not
#: timedelta64/datetime64 ("m"/"M", though numpy counts timedelta64 as an integer), complex, strings,
#: bytes, structured or object arrays.
_NUMERIC_KINDS = frozenset("biuf")


def _coefficient(args: argparse.Namespace) -> int:
    from ricci_lit.geometry.coefficients import CollapsedLayerWarning, ricci_coefficient

    if (args.acts is None) == (args.model is None):
        raise UsageError("coefficient: give either ACTS.npz or --model MODEL --inputs X.npy --layers a,b,c")
    if args.model is not None:
        return _coefficient_of_model(args)
    for opt in ("inputs", "layers", "weights"):
        if getattr(args, opt) is not None:
            raise UsageError(f"coefficient: --{opt} applies to --model only")
    reps = load_representations(args.acts)
    _check_numeric(reps)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", CollapsedLayerWarning)
        try:
            res = ricci_coefficient(reps, args.k, curvature=args.curvature, mode=args.mode,
                                    local=args.local or args.layer)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
    for w in caught:
        if issubclass(w.category, CollapsedLayerWarning):
            print(f"warning: {w.message}", file=sys.stderr)
    return _print_coefficients(res, res.to_dict(include_local=args.local, include_layer=args.layer), args)


def _check_numeric(reps: Sequence[np.ndarray], what: str = "representation") -> None:
    for i, X in enumerate(reps):
        if X.dtype.kind not in _NUMERIC_KINDS:  # timedelta64 is a numpy integer subtype: name the kinds
            raise UsageError(f"{what} {i}: non-numeric data (dtype {X.dtype}); "
                             "expected bool, integer or real floating-point numbers")


def _coefficient_of_model(args: argparse.Namespace) -> int:
    """``coefficient --model MODEL --inputs X.npy --layers a,b,c``: a user's torch model (issue 15)."""
    if args.inputs is None or args.layers is None:
        raise UsageError("coefficient --model needs --inputs X.npy and --layers a,b,c")
    from ricci_lit.geometry.coefficients import CollapsedLayerWarning
    from ricci_lit.networks.model_files import (
        ModelFileError,
        analyze_user_model,
        load_user_model,
        read_inputs,
    )

    try:
        x = read_inputs(args.inputs)
        _check_numeric([x], "inputs")
        um = load_user_model(args.model, [t.strip() for t in args.layers.split(",")], weights=args.weights)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", CollapsedLayerWarning)
            res = analyze_user_model(um, x, args.k, curvature=args.curvature, mode=args.mode,
                                     local=args.local or args.layer,
                                     flatten=True if args.flatten == "c" else "mean",
                                     include_input=not args.no_input, device=args.device)
    except (ModelFileError, ValueError, TypeError) as exc:
        raise UsageError(" ".join(str(exc).split()) or type(exc).__name__) from None
    for w in caught:
        if issubclass(w.category, CollapsedLayerWarning):
            print(f"warning: {w.message}", file=sys.stderr)
    return _print_coefficients(res.result, res.to_dict(include_local=args.local, include_layer=args.layer),
                               args, res.layers)


def _print_coefficients(res: Any, out: dict, args: argparse.Namespace,
                        names: Sequence[str] | None = None) -> int:
    if args.json:
        print_json(out)
        return 0
    print(f"n = {res.n}, k = {res.k}, curvature = {res.curvature}, mode = {res.mode}")
    name_col = f" {'name':<16}" if names is not None else ""
    print(f"{'layer':>5}{name_col} {'Ric_l':>14} {'g_l':>16} {'eta_l':>16} {'connected':>9}")
    for i in range(len(res.ric)):
        eta = f"{res.eta[i]:16.0f}" if i < len(res.eta) else " " * 16
        name = f" {names[i]:<16}" if names is not None else ""
        print(f"{i:>5}{name} {res.ric[i]:14.1f} {res.g[i]:16.0f} {eta} {res.connected[i]!s:>9}")
    print(f"rho = {res.rho:.4f}" if res.rho is not None else f"rho undefined: {res.rho_reason}")
    if args.local:
        print("local: " + json.dumps(out["local"]))
    if args.layer:
        print("layer: " + json.dumps(out["layer"]))
    return 0


def _csv(text: str) -> list[str]:
    items = [t.strip() for t in text.split(",") if t.strip()]
    if not items:
        raise argparse.ArgumentTypeError("expected a comma-separated list")
    return items


def _int_list(text: str) -> list[int]:
    try:
        return [int(t) for t in _csv(text)]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {text!r}") from None


def _worker_count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive number of workers, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive number of workers, got {text!r}")
    return value


def _add_cluster_flags(p: argparse.ArgumentParser) -> None:
    """``--workers N`` / ``--scheduler ADDRESS``: where a plan's units run (default: this process)."""
    g = p.add_mutually_exclusive_group()
    g.add_argument("--workers", type=_worker_count, metavar="N",
                   help="run the units on a local Dask cluster of N single-threaded worker processes "
                        "(with --device cuda: one per GPU)")
    g.add_argument("--scheduler", metavar="ADDRESS",
                   help="run the units on an existing Dask cluster, e.g. tcp://host:8786")


def _cluster(args: argparse.Namespace, device: str = "cpu"):
    """The context of ``--workers`` / ``--scheduler``: yields the executor (``None``: serial, no Dask)."""
    import contextlib

    workers, scheduler = getattr(args, "workers", None), getattr(args, "scheduler", None)
    if workers is None and scheduler is None:
        return contextlib.nullcontext(None)
    try:
        import distributed  # noqa: F401
    except ImportError:
        raise UsageError("--workers/--scheduler need dask[distributed] (pip install 'dask[distributed]')") from None
    from ricci_lit.experiments.executors import open_executor

    if device == "auto":
        from ricci_lit.geometry._torch import resolve_device

        device = str(resolve_device(device))
    return open_executor(workers, scheduler, device=device,
                         announce=None if getattr(args, "no_progress", False) else
                         (lambda line: print(line, file=sys.stderr)))


def _sweep(args: argparse.Namespace) -> int:
    from ricci_lit.experiments.paper1 import get_profile, run_sweep
    from ricci_lit.experiments.runner import UnitsFailedError
    from ricci_lit.experiments.store import StoreMismatchError

    try:
        profile = get_profile(args.profile, problems=args.problems, architectures=args.architectures,
                              n_seeds=args.seeds, n_test=args.n_test, epochs=args.epochs,
                              pixel_scale=args.pixel_scale, mode=args.mode,
                              k_synthetic=args.k_synthetic, k_real=args.k_real,
                              training_set=args.training_set)
        out = args.out or f"results/{profile.name}"
        with _cluster(args, args.device) as executor:
            summary = run_sweep(profile, out, device=args.device, data_dir=args.data_dir,
                                progress=not args.no_progress,
                                save_representations=args.save_representations or (), pack=args.pack,
                                executor=executor, networks_from=args.networks_from)
    except (ValueError, FileNotFoundError, PermissionError, StoreMismatchError, UnitsFailedError) as exc:
        raise UsageError(str(exc).splitlines()[0] if args.json else str(exc)) from None
    stages = ", ".join(f"{k} {v:.1f} s" for k, v in summary.stages.items())
    print(f"sweep {profile.name}: {summary.chunks_written} networks computed, "
          f"{summary.chunks_before} already done, {summary.chunks_total} in the profile; "
          f"{summary.seconds:.1f} s ({stages}); results in {summary.out}")
    return 0


def _pack(args: argparse.Namespace) -> int:
    from ricci_lit.experiments.paper1 import pack_results
    from ricci_lit.experiments.store import StoreMismatchError

    try:
        written = pack_results(args.results, args.problems)
    except (ValueError, FileNotFoundError, PermissionError, StoreMismatchError) as exc:
        raise UsageError(str(exc)) from None
    for path in written:
        print(f"packed {path} ({path.stat().st_size / 1e6:.2f} MB)")
    if not written:
        print(f"nothing to pack in {args.results}")
    return 0


def _checkpoints(args: argparse.Namespace) -> int:
    from ricci_lit.experiments.checkpoints import recreate_checkpoints
    from ricci_lit.experiments.store import StoreMismatchError

    try:
        with _cluster(args, args.device) as executor:
            table = recreate_checkpoints(args.results, problems=args.problems, architectures=args.architectures,
                                         seeds=args.seeds, device=args.device, data_dir=args.data_dir,
                                         progress=not args.no_progress, executor=executor)
    except (ValueError, FileNotFoundError, PermissionError, StoreMismatchError, RuntimeError) as exc:
        raise UsageError(str(exc)) from None
    if table.empty:
        print(f"checkpoints: every selected configuration of {args.results} already has its checkpoint")
        return 0
    for (p, a), grp in table.groupby(["problem", "architecture"], sort=True):
        kept = int(grp["kept"].astype(bool).sum())  # the others are named in a warning
        print(f"re-created {p}+{a}: {kept} networks, every test accuracy and training loss equal to the "
              f"stored one ({grp['train_seconds'].sum():.1f} s of training)")
    return 0


def _k_or_best(text: str) -> int | str | list[int]:
    if text == "best":
        return text
    why = f"expected 'best', a positive integer or comma-separated positive integers, got {text!r}"
    try:
        values = [int(t) for t in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(why) from None
    if any(v < 1 for v in values):
        raise argparse.ArgumentTypeError(why)
    if len(set(values)) != len(values):
        raise argparse.ArgumentTypeError(f"k lists a value twice: {text!r}")
    return values[0] if len(values) == 1 else sorted(values)


def _coefficients(args: argparse.Namespace) -> int:
    from ricci_lit.experiments.coefficients import run_coefficient_sweep
    from ricci_lit.experiments.runner import UnitsFailedError
    from ricci_lit.experiments.store import StoreMismatchError

    try:
        with _cluster(args) as executor:
            summary = run_coefficient_sweep(
                args.results, args.out, problems=args.problems, architectures=args.architectures,
                seeds=args.seeds, states=args.states, k=args.k, modes=args.modes, curvatures=args.curvatures,
                data_dir=args.data_dir, progress=not args.no_progress, executor=executor)
    except (ValueError, FileNotFoundError, PermissionError, StoreMismatchError, UnitsFailedError) as exc:
        raise UsageError(str(exc)) from None
    for line in summary.notes:
        print(f"skipped {line}")
    print(f"coefficients: {summary.chunks_written} networks computed, {summary.chunks_before} already done, "
          f"{summary.chunks_total} selected; {summary.seconds:.1f} s; results in {summary.out}")
    return 0


def _p2(args: argparse.Namespace) -> int:
    from ricci_lit.experiments.paper2 import run_p2_experiments
    from ricci_lit.experiments.runner import UnitsFailedError
    from ricci_lit.experiments.store import StoreMismatchError

    try:
        with _cluster(args, args.device) as executor:
            r = run_p2_experiments(args.out, args.plan, parts=args.parts, device=args.device,
                                   data_dir=args.data_dir, progress=not args.no_progress, executor=executor)
    except (ValueError, FileNotFoundError, PermissionError, StoreMismatchError, UnitsFailedError) as exc:
        raise UsageError(str(exc)) from None
    print(f"p2 {args.plan}: {r.chunks_written} units computed, {r.chunks_before} already done, {r.chunks_total} in "
          f"the plan; {r.seconds:.1f} s; results in {r.out}")
    return 0


def _zoo(args: argparse.Namespace) -> int:
    from ricci_lit.experiments.runner import UnitsFailedError
    from ricci_lit.experiments.store import StoreMismatchError
    from ricci_lit.experiments.zoo import run_zoo

    try:
        with _cluster(args, args.device) as executor:
            r = run_zoo(args.out, args.plan, device=args.device, data_dir=args.data_dir,
                        progress=not args.no_progress, executor=executor)
    except (ValueError, FileNotFoundError, PermissionError, StoreMismatchError, UnitsFailedError) as exc:
        raise UsageError(str(exc)) from None
    print(f"zoo {args.plan}: {r.computed} networks computed (trained and untrained), {r.skipped} already done, "
          f"{r.total} in the plan; {r.seconds:.1f} s; results in {r.out}")
    return 0


def _report(args: argparse.Namespace) -> int:
    from ricci_lit.analysis.paper1 import report
    from ricci_lit.data.problems import WELL_TRAINED_THRESHOLD
    from ricci_lit.experiments.paper1 import load_results

    try:
        nets, geo, manifest = load_results(args.results)
        rep = report(nets, geo, WELL_TRAINED_THRESHOLD, layers=args.layers,
                     meta={"profile": manifest.get("profile"), "settings": manifest.get("settings"),
                           "results": str(args.results)})
    except (ValueError, FileNotFoundError) as exc:
        raise UsageError(str(exc)) from None
    if args.json:
        print_json(rep.to_dict())
        return 0
    import pandas as pd

    c = rep.counts
    print(f"results {args.results} (profile {manifest.get('profile')}, layers={args.layers})")
    print(f"networks {c['networks']} -> above threshold {c['above_threshold']} "
          f"({c['below_threshold']} below) -> kept {c['kept']} ({c['disconnected']} disconnected at best k); "
          f"rho < 0 for {c['negative']}" + (f" = {100 * c['fraction_negative']:.1f} %" if c["fraction_negative"] is not None else ""))
    with pd.option_context("display.width", 140, "display.max_rows", 200):
        print("\nbest k per configuration (most negative aggregated coefficient):")
        print(rep.best.to_string(index=False))
        print("\naggregated coefficient, k x configuration:")
        pivot = rep.aggregated.pivot_table(index="k", columns=["problem", "architecture"], values="aggregated")
        print(pivot.round(3).to_string())
    r = rep.regression
    if r.get("estimate") is not None:
        print(f"\nregression {r['formula']} (n = {r['n']}): z estimate {r['estimate']:.4g}, "
              f"t = {r['t']:.2f}, p = {r['p']:.3g}")
    else:
        print(f"\nregression not fitted: {r.get('reason')}")
    return 0


def _named_dir(text: str) -> tuple[str, str]:
    name, sep, path = text.partition("=")
    if not sep or not name.strip() or not path.strip():
        raise argparse.ArgumentTypeError(f"expected NAME=DIR, got {text!r}")
    return name.strip(), path.strip()


def _sensitivity(args: argparse.Namespace) -> int:
    from ricci_lit.analysis.sensitivity import SETTING_LABELS, sensitivity

    variants = dict(args.variant)
    if len(variants) != len(args.variant):
        raise UsageError("each --variant needs its own NAME")
    try:
        res = sensitivity(args.reference, variants, layers=args.layers)
    except (ValueError, FileNotFoundError) as exc:
        raise UsageError(str(exc)) from None
    if args.json:
        def rows(frame):
            return json.loads(frame.to_json(orient="records"))
        print_json({"headline": rows(res.headline), "configurations": rows(res.configurations),
                          "settings": {k: {s: list(v) for s, v in d.items()} for k, d in res.settings.items()},
                          "ks": res.ks})
        return 0
    import pandas as pd

    for name, diff in res.settings.items():
        what = "; ".join(f"{SETTING_LABELS.get(s, s)} {a!r} -> {b!r}" for s, (a, b) in diff.items())
        print(f"variant {name}: {what}; k in {res.ks[name]}")
        for _, r in res.headline[res.headline["variant"] == name].iterrows():
            share = (f"{r['negative']} of {r['kept']} kept networks with rho < 0 = {r['fraction_negative']:.1%} "
                     f"(95 % {r['ci_low']:.1%}-{r['ci_high']:.1%})" if r["kept"] else "no kept network")
            print(f"  {r['side']:<9} {r['networks']} common networks: {share}")
        first = res.headline[res.headline["variant"] == name].iloc[0]
        print(f"  chosen k differs in {first['best_k_changed']} of {first['configurations']} configurations")
        acc = first["accuracy_max_abs_diff"]
        print(f"  largest test-accuracy difference of a common network: {acc:.4g}"
              + (" (the same trained networks)" if acc == 0 else ""))
        agree = first["sign_agreement"]
        if agree is not None and not pd.isna(agree):
            print(f"  sign of rho agrees for {agree:.1%} of the networks kept on both sides")
    with pd.option_context("display.width", 160, "display.max_rows", 200):
        print()
        print(res.configurations.round(3).to_string(index=False))
    return 0


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a positive finite number, got {text!r}")
    return value


def _positive_int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, status 2, no usage dump
        raise UsageError(message)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="ricci-lit", description="Deep learning as Ricci flow: coefficients, sweeps, reports.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    c = sub.add_parser("coefficient", help="Ricci coefficients of stored representations or of a torch model's layers")
    c.add_argument("acts", nargs="?", help="an .npz file of representations arr_0 … arr_M")
    c.add_argument("--model", help="a torch.export archive (.pt2) or package.module:factory (with --weights)")
    c.add_argument("--inputs", help="with --model: the input points, an .npy file [n, …]")
    c.add_argument("--layers", help="with --model: comma-separated module names, in order")
    c.add_argument("--weights", help="with --model package.module:factory: a state dict (torch.load weights_only)")
    c.add_argument("--flatten", choices=("c", "mean"), default="c",
                   help="with --model: feature maps flattened in C order, or averaged over positions")
    c.add_argument("--no-input", action="store_true", help="with --model: leave the input out of the layers")
    c.add_argument("--device", default="auto", help="with --model: auto, cpu or cuda[:i]")
    c.add_argument("--k", type=_positive_int, required=True, help="neighbours per point")
    c.add_argument("--curvature", choices=CURVATURES, default="forman")
    c.add_argument("--mode", choices=MODES, default="union")
    c.add_argument("--local", action="store_true", help="also summarise the local coefficients (P2)")
    c.add_argument("--layer", action="store_true", help="also give the layer coefficients (P2)")
    c.add_argument("--json", action="store_true", help="print one JSON object")
    c.set_defaults(func=_coefficient)

    w = sub.add_parser("sweep", help="train networks and record their geometry (resumable)")
    w.add_argument("--profile", choices=("quick", "paper"), default="quick")
    w.add_argument("--problems", type=_csv, help="comma-separated subset of the profile's problems")
    w.add_argument("--architectures", type=_csv, help="comma-separated subset of architectures")
    w.add_argument("--seeds", type=_positive_int, help="number of seeds (networks) per configuration")
    w.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    w.add_argument("--out", help="results directory (default results/PROFILE)")
    w.add_argument("--data-dir", help="directory holding the MNIST / Fashion-MNIST IDX files")
    w.add_argument("--n-test", type=_positive_int, help="override: test points per problem")
    w.add_argument("--epochs", type=_positive_int, help="override: training epochs")
    w.add_argument("--k-synthetic", type=_int_list, help="override: k grid for synthetic problems")
    w.add_argument("--k-real", type=_int_list, help="override: k grid for MNIST / Fashion-MNIST")
    w.add_argument("--pixel-scale", type=_positive_float,
                   help="override: factor applied to raw 0-255 pixels (1/255 = 0.00392156862745098 for [0, 1])")
    w.add_argument("--mode", choices=MODES, help="override: kNN graph mode (union or r-compat)")
    w.add_argument("--training-set", choices=TRAINING_SETS,
                   help="override: fit on the full training split (full, default) or on what the authors' "
                        "Keras validation_split=0.2 of the class-sorted array leaves (authors)")
    w.add_argument("--networks-from", metavar="DIR",
                   help="take the trained networks from this store's checkpoints (its settings may differ in "
                        "the graph mode, curvature and k grids only) instead of training them again")
    w.add_argument("--save-representations", type=_int_list, metavar="SEEDS",
                   help="also store the representations of these seeds (.npz)")
    w.add_argument("--no-progress", action="store_true", help="no progress bars")
    w.add_argument("--pack", action="store_true",
                   help="pack each problem's chunks into one compact file when it is done")
    w.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    _add_cluster_flags(w)
    w.set_defaults(func=_sweep)

    k = sub.add_parser("pack", help="pack a results directory's chunks into one compact file per problem")
    k.add_argument("--results", required=True, help="a results directory written by `ricci-lit sweep`")
    k.add_argument("--problems", type=_csv, help="only these problems (default: every one with loose chunks)")
    k.set_defaults(func=_pack)

    h = sub.add_parser("checkpoints",
                       help="re-train a results directory's networks whose checkpoints are gone, checked against it")
    h.add_argument("--results", required=True, help="a results directory written by `ricci-lit sweep`")
    h.add_argument("--problems", type=_csv, help="only these problems")
    h.add_argument("--architectures", type=_csv, help="only these architectures")
    h.add_argument("--seeds", type=_positive_int, help="only the first N stored seeds of each configuration")
    h.add_argument("--device", choices=("auto", "cpu", "cuda"), default="cpu",
                   help="where to train (the device the networks were trained on; cpu by default)")
    h.add_argument("--data-dir", help="directory holding the MNIST / Fashion-MNIST IDX files")
    h.add_argument("--no-progress", action="store_true", help="no progress bars")
    _add_cluster_flags(h)
    h.set_defaults(func=_checkpoints)

    f = sub.add_parser("coefficients",
                       help="paper 2's local/layer coefficients of a store's networks, trained and untrained")
    f.add_argument("--results", required=True, help="the source results directory (with its checkpoints)")
    f.add_argument("--out", required=True, help="the coefficients' results directory")
    f.add_argument("--problems", type=_csv, help="only these problems")
    f.add_argument("--architectures", type=_csv, help="only these architectures")
    f.add_argument("--seeds", type=_positive_int, default=12, help="first N seeds of each configuration (12)")
    f.add_argument("--states", type=_csv, default=["trained", "untrained"], help="trained,untrained")
    f.add_argument("--k", type=_k_or_best, default="best", help="'best' (paper 1's rule), an integer, or several (20,50,70,100,150: P2's k-robustness)")
    f.add_argument("--modes", type=_csv, default=["union", "r-compat"], help="graph modes (union,r-compat)")
    f.add_argument("--curvatures", type=_csv, default=list(DEFAULT_CURVATURES), help="curvature notions")
    f.add_argument("--data-dir", help="directory holding the MNIST / Fashion-MNIST IDX files")
    f.add_argument("--no-progress", action="store_true", help="no progress bar")
    _add_cluster_flags(f)
    f.set_defaults(func=_coefficients)

    q = sub.add_parser("p2", help="paper 2's training trajectories and depth profiles (resumable)")
    q.add_argument("--plan", choices=("quick", "paper"), default="quick")
    q.add_argument("--out", required=True, help="results directory")
    q.add_argument("--parts", type=_csv, default=["trajectory", "depth"], help="trajectory,depth")
    q.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    q.add_argument("--data-dir", help="directory holding the MNIST / Fashion-MNIST IDX files")
    q.add_argument("--no-progress", action="store_true", help="no progress bars")
    _add_cluster_flags(q)
    q.set_defaults(func=_p2)

    z = sub.add_parser("zoo", help="chapter 9's CNN and residual MLP on ten classes, trained and untrained (resumable)")
    z.add_argument("--plan", choices=("quick", "paper"), default="quick")
    z.add_argument("--out", required=True, help="results directory")
    z.add_argument("--device", choices=("auto", "cpu", "cuda"), default="cpu")
    z.add_argument("--data-dir", help="directory holding the MNIST / Fashion-MNIST IDX files")
    z.add_argument("--no-progress", action="store_true", help="no progress bars")
    _add_cluster_flags(z)
    z.set_defaults(func=_zoo)

    r = sub.add_parser("report", help="paper 1's analysis of a results directory")
    r.add_argument("--results", required=True, help="a results directory written by `ricci-lit sweep`")
    r.add_argument("--layers", choices=("hidden", "all"), default="hidden")
    r.add_argument("--json", action="store_true", help="print one JSON object")
    r.set_defaults(func=_report)
    v = sub.add_parser("sensitivity", help="paper 1's headline numbers in variant stores beside a reference store")
    v.add_argument("--reference", required=True, help="the reference results directory (e.g. results/paper)")
    v.add_argument("--variant", required=True, action="append", type=_named_dir, metavar="NAME=DIR",
                   help="a variant results directory (repeatable), e.g. r-compat=results/paper-sensitivity-r-compat")
    v.add_argument("--layers", choices=("hidden", "all"), default="hidden")
    v.add_argument("--json", action="store_true", help="print one JSON object")
    v.set_defaults(func=_sensitivity)
    return parser


def _user_error(exc: BaseException) -> bool:
    """Errors of the input or the environment that any command may meet: one line, exit 2."""
    if isinstance(exc, (UnreadableFileError, PermissionError)):
        return True
    if "ricci_lit.experiments.store" in sys.modules:  # only then can a store error have been raised
        from ricci_lit.experiments.store import StoreMismatchError
        return isinstance(exc, StoreMismatchError)
    return False


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``ricci-lit`` command; returns the exit status.

    Exit status: 0 success; 2 a bad command line or bad input (one line ``ricci-lit: error: …`` on
    stderr); 1 the output could not be written (e.g. ``> /dev/full``: one line on stderr); 141
    (128 + SIGPIPE, what a shell reports for a tool a closed pipe stops) when standard output is a
    pipe its reader closed (``ricci-lit report … | head -1``), without a word; 130 interrupted.
    The package's warnings (a collapsed layer, a chunk moved aside, …) print as one line ``warning: …``.
    """
    real, formatwarning = sys.stdout, warnings.formatwarning
    guarded = sys.stdout = GuardedStdout(real)
    warnings.formatwarning = format_warning
    try:
        try:
            args = build_parser().parse_args(argv)
            code = int(args.func(args))
            sys.stdout.flush()
            return code
        except SystemExit:  # --help / --version print, then exit: flush while still guarded
            sys.stdout.flush()
            raise
    except StdoutError as exc:
        silence(real)
        if isinstance(exc.error, BrokenPipeError) or exc.error.errno == errno.EPIPE:
            return 141
        print(f"ricci-lit: error: cannot write the output: {exc.error.strerror or exc.error}", file=sys.stderr)
        return 1
    except UsageError as exc:
        print(f"ricci-lit: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("ricci-lit: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        if not _user_error(exc):
            raise
        print(f"ricci-lit: error: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}",
              file=sys.stderr)
        return 2
    finally:
        warnings.formatwarning = formatwarning
        if sys.stdout is guarded:
            sys.stdout = real


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
