"""Paper 2's coefficients for the networks of a ``paper`` results store, trained and untrained.

:mod:`ricci_lit.experiments.paper1` records, for every network of paper 1's experiment, the per-layer totals
that paper 1's *global* coefficient needs. Paper 2 (Hehl, von Renesse & Weber 2025; paper-notes
§1 and §4 items 7–8) asks more of the same networks:

* the **local** coefficient ``ρ(x)`` of every test point and the **layer** coefficient ``ρ_l`` of
  every transition (P2 §3.2, §4.4; :func:`ricci_lit.geometry.coefficients.local_and_layer_coefficients`);
* several **curvature notions** on the same graphs (Forman, augmented Forman, approximate
  Ollivier; :data:`ricci_lit.geometry.engine.DEFAULT_CURVATURES`);
* the **untrained control**: the same coefficients for each network at its initialisation
  (P2 §A.1.1), which :class:`ricci_lit.networks.mlp.MLPEnsemble` rebuilds exactly from the seed;
* the **graph mode**: paper 1's published R code builds its kNN graphs differently from the
  symmetrised union (``"r-compat"``, :mod:`ricci_lit.geometry.knn`), and the headline numbers should not
  depend on that choice.

:func:`run_coefficient_sweep` computes all of this for the networks a source store already holds:
it reloads each trained ensemble from the source's checkpoint, evaluates the test set, and runs
:func:`ricci_lit.geometry.engine.network_coefficients` with ``layers="all"`` (input to output, P2's
convention) once per graph mode, for every curvature. Each network is evaluated at the ``k`` of
its configuration chosen by paper 1's rule on the source store (the most negative aggregated
coefficient, :func:`ricci_lit.analysis.paper1.best_k`), or at one fixed ``k`` (P2 uses 50).

Output: one results store (:mod:`ricci_lit.experiments.store`) with one chunk per (network, state) in table
``coefficients``: one row per (curvature, mode, transition) holding the layer coefficient and
the per-layer totals, with the network-level values (global ``ρ`` over all representations,
``rho_hidden`` over the hidden layers only as in paper 1's Eq. 8, the local summary, accuracy)
repeated on each row. :func:`load_coefficients` splits it back into a network table and a layer
table. Like a sweep, a run killed at any moment resumes where it stopped, refuses to mix other
settings, and packs each finished problem into one compact file.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from ricci_lit.geometry.engine import DEFAULT_CURVATURES, network_coefficients
from ricci_lit.geometry.coefficients import pearson
from ricci_lit.geometry.knn import MODES
from ricci_lit.experiments.runner import Chunk, Executor, Plan, RunSummary, Unit, UnitOutput, run_plan
from ricci_lit.experiments.store import ResultsStore, read_manifest, read_table
from ricci_lit.provenance import provenance

__all__ = [
    "STATES",
    "coefficient_ks",
    "hidden_coefficient",
    "CoefficientSettings",
    "coefficient_unit",
    "coefficient_plan",
    "run_coefficient_sweep",
    "load_coefficients",
]

STATES: tuple[str, ...] = ("trained", "untrained")
"""A network after training (from the source checkpoint) and at its initialisation."""

_NET_KEYS = ["problem", "architecture", "seed", "state", "curvature", "mode", "k"]
_NETWORK_LEVEL = ["layers", "n_points", "n_representations", "rho", "rho_reason", "rho_hidden",
                  "connected", "n_disconnected", "n_collapsed", "local_mean", "local_median", "local_std",
                  "local_fraction_negative", "local_n_defined", "local_n_nan", "local_n_unreachable",
                  "local_n_constant", "layer_mean", "layer_min", "layer_argmin", "test_accuracy",
                  "source_test_accuracy", "seconds"]
_LAYER_LEVEL = ["transition", "representation", "layer_rho", "n_defined", "node_curvature_mean",
                "expansion_mean", "ric", "eta"]


def hidden_coefficient(ric: Sequence[float], eta: Sequence[float], n_hidden: int) -> tuple[float, str | None]:
    """Paper 1's global coefficient (Eq. 8, hidden layers only) from the all-layer series.

    With representations ``X^0`` (input), ``X^1 … X^L`` (hidden, ``L = n_hidden``) and
    ``X^{L+1}`` (output), the all-layer series has transitions ``t = 0 … L``; ``ric[t] = Ric(X^t)``
    and ``eta[t] = g(X^{t+1}) − g(X^t)``. Paper 1 correlates ``Ric_l`` with ``η_l`` for the hidden
    transitions ``l = 1 … L−1`` only, which this selects. Returns ``(ρ, reason)`` as
    :func:`ricci_lit.geometry.coefficients.coefficient_from_totals` (``NaN`` and a reason when undefined).
    """
    ric = np.asarray(ric, dtype=np.float64)
    eta = np.asarray(eta, dtype=np.float64)
    if ric.shape != eta.shape or ric.size != n_hidden + 1:
        raise ValueError(f"expected {n_hidden + 1} transitions for {n_hidden} hidden layers, "
                         f"got ric {ric.shape} and eta {eta.shape}")
    if n_hidden < 3:
        raise ValueError(f"paper 1's coefficient needs at least 3 hidden layers, got {n_hidden}")
    x, y = ric[1:n_hidden], eta[1:n_hidden]
    if not np.isfinite(y).all():
        bad = [int(t) for t in np.nonzero(~np.isfinite(y))[0] + 1]
        return math.nan, f"graph disconnected around hidden transition(s) {bad}"
    r = pearson(x, y)
    if math.isnan(r):
        return math.nan, "undefined correlation: Ric_l or eta_l is constant"
    return float(r), None


def coefficient_ks(source: str | Path, k: int | str = "best", *, layers: str = "hidden",
                   thresholds: dict[str, float] | None = None) -> pd.DataFrame:
    """The ``k`` at which each configuration of ``source`` is evaluated.

    ``k="best"``: paper 1's rule on the source store (P1 §3.2; :func:`ricci_lit.analysis.paper1.report`):
    the ``k`` with the most negative aggregated coefficient over the well-trained networks of
    each (problem, architecture) (``thresholds``: paper 1's, :data:`ricci_lit.data.problems.WELL_TRAINED_THRESHOLD`,
    unless given); a configuration with no defined coefficient gets ``None``. An integer: that ``k`` everywhere. Columns ``problem, architecture, k, aggregated``.
    """
    from ricci_lit.analysis.paper1 import report
    from ricci_lit.data.problems import WELL_TRAINED_THRESHOLD
    from ricci_lit.experiments.paper1 import load_results

    nets, geo, _ = load_results(source)
    if nets.empty:
        raise ValueError(f"{source} holds no networks yet: run `ricci-lit sweep` first")
    configs = nets[["problem", "architecture"]].drop_duplicates().sort_values(["problem", "architecture"])
    if isinstance(k, str):
        if k != "best":
            raise ValueError(f"k must be 'best' or a positive integer, got {k!r}")
        best = report(nets, geo, WELL_TRAINED_THRESHOLD if thresholds is None else thresholds, layers=layers).best
        out = configs.merge(best.rename(columns={"best_k": "k"}), on=["problem", "architecture"], how="left")
        return out[["problem", "architecture", "k", "aggregated"]].reset_index(drop=True)
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"k must be 'best' or a positive integer, got {k!r}")
    return configs.assign(k=int(k), aggregated=None).reset_index(drop=True)


def _key(problem: str, arch: str, seed: int, state: str, k: int | None = None) -> str:
    """Chunk key of one (network, state) (and one ``k`` in a store of several fixed ``k``)."""
    return f"{problem}+{arch}+s{seed}+{state}" + ("" if k is None else f"+k{k}")


def _k_setting(k: int | str | Sequence[int]) -> int | str | list[int]:
    """``k`` as the store's settings record it: ``"best"``, one integer, or a sorted list of integers."""
    if isinstance(k, str) or isinstance(k, (int, np.integer)):
        return k if isinstance(k, str) else int(k)
    values = list(k)
    if not values or any(isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1 for v in values):
        raise ValueError(f"k must be 'best', a positive integer or a list of positive integers, got {k!r}")
    if len(set(int(v) for v in values)) != len(values):
        raise ValueError(f"k lists a value twice: {list(values)}")
    return sorted(int(v) for v in values)


def _network_frame(reps, k: int, curvatures: Sequence[str], modes: Sequence[str]) -> pd.DataFrame:
    """One tidy frame (rows: curvature × mode × transition) for one network's representations."""
    frames = []
    for mode in modes:
        tab = network_coefficients([reps], k, curvatures=curvatures, layers="all", mode=mode)
        nets = tab.networks.drop(columns=["network", "seed"])
        rho_hidden, reason_hidden = [], []
        for c in nets["curvature"]:
            lay = tab.layers[tab.layers["curvature"] == c].sort_values("transition")
            r, why = hidden_coefficient(lay["ric"], lay["eta"], reps.n_hidden)
            rho_hidden.append(r)
            reason_hidden.append(why)
        nets["rho_hidden"] = rho_hidden
        nets["rho_hidden_reason"] = reason_hidden
        lay = tab.layers.drop(columns=["network", "seed", "k", "layers"])
        frames.append(lay.merge(nets, on=["curvature", "mode"], how="left"))
    return pd.concat(frames, ignore_index=True)


def _check_options(curvatures: Sequence[str], modes: Sequence[str], states: Sequence[str],
                   seeds: int | Sequence[int]) -> tuple[tuple[str, ...], list[int]]:
    """Step 1: the validated curvatures and the seed list."""
    from ricci_lit.geometry.engine import validate_curvatures

    curvatures = validate_curvatures(curvatures)
    bad = [m for m in modes if m not in MODES]
    if bad or not modes:
        raise ValueError(f"modes must be a non-empty subset of {MODES}, got {list(modes)}")
    bad = [s for s in states if s not in STATES]
    if bad or not states:
        raise ValueError(f"states must be a non-empty subset of {STATES}, got {list(states)}")
    seed_list = list(range(seeds)) if isinstance(seeds, (int, np.integer)) and not isinstance(seeds, bool) \
        else [int(s) for s in seeds]
    if not seed_list or min(seed_list) < 0:
        raise ValueError(f"seeds must be a positive count or a list of seeds, got {seeds!r}")
    return tuple(curvatures), seed_list


def _complete_configurations(source: Path, nets: pd.DataFrame, architectures_order: Sequence[str],
                             problems: Sequence[str] | None, architectures: Sequence[str] | None,
                             seed_list: list[int]) -> tuple[list[tuple[str, str]], list[str]]:
    """Step 2: the selected (problem, architecture) pairs whose seeds are all in the source, and
    one line for each pair left out."""
    have = set(zip(nets["problem"], nets["architecture"], nets["seed"].astype(int))) if len(nets) else set()
    configs = sorted({(p, a) for p, a, _ in have})
    wanted_p = list(problems) if problems is not None else sorted({p for p, _ in configs})
    present_a = {a for _, a in configs}
    wanted_a = list(architectures) if architectures is not None else \
        [a for a in architectures_order if a in present_a] + sorted(present_a - set(architectures_order))
    units, skipped = [], []
    for p in wanted_p:
        for a in wanted_a:
            if not all((p, a, s) in have for s in seed_list):
                if problems is not None and architectures is not None:
                    raise ValueError(f"{source} does not hold all of seeds {seed_list[0]}…{seed_list[-1]} of "
                                     f"{p} {a}: run `ricci-lit sweep` for it first")
                skipped.append(f"{p} {a}: not all networks are in {source}")
                continue
            units.append((p, a))
    if not units:
        raise ValueError(f"{source} holds no complete configuration (seeds {seed_list[0]}…{seed_list[-1]}) of "
                         f"{', '.join(wanted_p) or 'any problem'}")
    return units, skipped


def _k_table(source: Path, k_setting: int | str | list[int], configs: list[tuple[str, str]]) -> pd.DataFrame:
    """Step 3: the ``k`` of every selected configuration (one row per configuration and ``k``)."""
    k_list = k_setting if isinstance(k_setting, list) else None
    ks = coefficient_ks(source, k_list[0] if k_list else k_setting)
    ks = ks[[(p, a) in set(configs) for p, a in zip(ks["problem"], ks["architecture"])]].reset_index(drop=True)
    if k_list:
        ks = pd.concat([ks.assign(k=v) for v in k_list], ignore_index=True)
    return ks


@dataclass(frozen=True)
class CoefficientSettings:
    """What every unit of a coefficient sweep shares (plain, picklable data)."""

    profile: Any                       # the source's stored profile (test set, pixel scale, data seed)
    curvatures: tuple[str, ...]
    modes: tuple[str, ...]
    source: str
    settings: Mapping[str, Any]        # the output store's settings (recorded in each provenance)
    data_dir: str | None = None


def coefficient_unit(s: CoefficientSettings, unit: Unit) -> UnitOutput:
    """One (network, state): its representations once, then one chunk per ``k`` the unit lacks.

    Payload: ``problem, architecture, seed, state``, ``ks`` (``(chunk key, k)`` pairs),
    ``source_accuracy``, and for a trained network ``network`` (its
    :meth:`~ricci_lit.networks.mlp.MLPEnsemble.to_state`, one network).
    """
    from ricci_lit.experiments.paper1 import network_key, problem_data
    from ricci_lit.networks.mlp import MLPEnsemble, output_accuracy, representations

    p = unit.payload
    problem, arch, seed, state = p["problem"], p["architecture"], int(p["seed"]), p["state"]
    t0 = time.perf_counter()
    x_train, _, x_test, y_test = problem_data(s.profile, problem, s.data_dir)
    if state == "trained":
        ens = MLPEnsemble.from_state(p["network"])
    else:
        ens = MLPEnsemble(arch, x_train.shape[1], [seed], init="glorot", device="cpu")
    reps = representations(ens, x_test)[0]
    accuracy = output_accuracy(reps.output, y_test)
    t_reps = time.perf_counter() - t0
    wanted = {key for _, key in unit.chunks}
    out = UnitOutput(stages={"representations": t_reps, "coefficients": 0.0})
    for key, kk in p["ks"]:
        if key not in wanted:
            continue
        t1 = time.perf_counter()
        frame = _network_frame(reps, int(kk), s.curvatures, s.modes)
        frame.insert(0, "state", state)
        frame.insert(0, "seed", seed)
        frame.insert(0, "architecture", arch)
        frame.insert(0, "problem", problem)
        frame["n_hidden"] = int(reps.n_hidden)
        frame["test_accuracy"] = accuracy
        frame["source_test_accuracy"] = p["source_accuracy"]
        out.stages["coefficients"] += time.perf_counter() - t1
        seconds = t_reps + time.perf_counter() - t1
        frame["seconds"] = seconds
        prov = provenance(table="coefficients", source=s.source, source_chunk=network_key(problem, arch, seed),
                          settings=dict(s.settings), problem=problem, architecture=arch, seed=seed, state=state,
                          k=int(kk), seconds=seconds)
        out.chunks.append(Chunk("coefficients", key, frame, prov))
    return out


class _SourceNetworks:
    """The trained networks of the source store, read in the caller's process (the last
    checkpoint read is kept: units come one configuration after the other)."""

    def __init__(self, source: Path, manifest: Mapping[str, Any]) -> None:
        self.source = source
        self.store = ResultsStore(source, manifest["profile"], manifest["settings"])
        self._last: tuple[str, Any] | None = None

    def checkpoint(self, config: str):
        if self._last is None or self._last[0] != config:
            self._last = (config, self.store.load_checkpoint(config))
        return self._last[1]

    def check(self, needed: Mapping[str, set[int]], seeds_hint: int) -> None:
        """Every needed checkpoint present with its seeds, else the command that re-creates it."""
        for config, seeds in needed.items():
            ckpt = self.checkpoint(config)
            problem, arch = config.split("+", 1)
            fix = (f"`ricci-lit checkpoints --results {self.source} --problems {problem} "
                   f"--architectures {arch} --seeds {seeds_hint}`")
            if ckpt is None:
                raise FileNotFoundError(
                    f"{self.source}/checkpoints/{config}.pt is missing: checkpoints are not committed; "
                    f"re-create it with {fix} (re-trains and checks every network against the stored "
                    "accuracy), or evaluate other configurations")
            have = sorted(int(v) for v in ckpt["ensemble"]["seeds"])
            lacking = sorted(seeds - set(have))
            if lacking:
                raise FileNotFoundError(f"{self.source}/checkpoints/{config}.pt holds seeds {have}, not {lacking}: "
                                        f"extend it with {fix}")

    def network(self, config: str, seed: int) -> dict:
        from ricci_lit.networks.mlp import MLPEnsemble

        ckpt = self.checkpoint(config)
        seeds = [int(v) for v in ckpt["ensemble"]["seeds"]]
        return MLPEnsemble.from_state(ckpt["ensemble"]).subset([seeds.index(seed)]).to_state()


def coefficient_plan(
    source: str | Path,
    out: str | Path,
    *,
    problems: Sequence[str] | None = None,
    architectures: Sequence[str] | None = None,
    seeds: int | Sequence[int] = 12,
    states: Sequence[str] = STATES,
    k: int | str | Sequence[int] = "best",
    modes: Sequence[str] = ("union", "r-compat"),
    curvatures: Sequence[str] = DEFAULT_CURVATURES,
    data_dir: str | None = None,
) -> tuple[Plan, pd.DataFrame, list[str]]:
    """The plan of :func:`run_coefficient_sweep` (one unit per network and state, one chunk per
    ``k``), the ``k`` table and the configurations left out, one line each."""
    from ricci_lit.experiments.paper1 import load_results, stored_profile

    source = Path(source)
    src_manifest = read_manifest(source, "sweep")
    curvatures, seed_list = _check_options(curvatures, modes, states, seeds)
    nets, _, _ = load_results(source)
    profile = stored_profile(src_manifest)  # the source's settings decide the test set
    configs, skipped = _complete_configurations(source, nets, profile.architectures, problems, architectures,
                                                seed_list)
    k_setting = _k_setting(k)
    ks = _k_table(source, k_setting, configs)
    k_of = {(p, a): v for p, a, v in zip(ks["problem"], ks["architecture"], ks["k"])}
    todo = []
    for p, a in configs:
        if k_of.get((p, a)) is None or (isinstance(k_of[(p, a)], float) and math.isnan(k_of[(p, a)])):
            skipped.append(f"{p} {a}: no defined aggregated coefficient at any k, so no best k")
            continue
        todo.append((p, a))
    settings_out = {"source_profile": src_manifest["profile"], "source_settings_hash": src_manifest["settings_hash"],
                    "k": k_setting, "modes": list(modes), "curvatures": list(curvatures), "layers": "all"}
    k_values: list[int | None] = list(k_setting) if isinstance(k_setting, list) else [None]
    acc_of = {(p, a, int(s)): float(t) for p, a, s, t in
              zip(nets["problem"], nets["architecture"], nets["seed"], nets["test_accuracy"])}
    units = []
    for p, a in sorted(todo, key=lambda c: (c[0], configs.index(c))):
        for seed in seed_list:
            for state in states:
                pairs = tuple((_key(p, a, seed, state, kv), int(k_of[(p, a)]) if kv is None else kv)
                              for kv in k_values)
                units.append(Unit(key=_key(p, a, seed, state), chunks=tuple(("coefficients", c) for c, _ in pairs),
                                  payload={"problem": p, "architecture": a, "seed": seed, "state": state,
                                           "ks": pairs, "source_accuracy": acc_of[(p, a, seed)]}))
    networks = _SourceNetworks(source, src_manifest)

    def check(store: ResultsStore, pending: Sequence[Unit]) -> None:
        needed: dict[str, set[int]] = {}
        for u in pending:
            if u.payload["state"] == "trained":
                needed.setdefault(f"{u.payload['problem']}+{u.payload['architecture']}", set()).add(u.payload["seed"])
        networks.check(needed, max(seed_list) + 1)

    def prepare(store: ResultsStore, unit: Unit) -> Unit:
        if unit.payload["state"] != "trained":
            return unit
        config = f"{unit.payload['problem']}+{unit.payload['architecture']}"
        return replace(unit, payload={**unit.payload, "network": networks.network(config, unit.payload["seed"])})

    settings = CoefficientSettings(profile=profile, curvatures=curvatures, modes=tuple(modes), source=str(source),
                                   settings=settings_out, data_dir=data_dir)
    plan = Plan(root=Path(out), profile="coefficients", store_settings=settings_out, units=units,
                compute=coefficient_unit, settings=settings, prepare=prepare, check=check, desc="coefficients",
                unit_name="net")
    return plan, ks, skipped


def run_coefficient_sweep(
    source: str | Path,
    out: str | Path,
    *,
    problems: Sequence[str] | None = None,
    architectures: Sequence[str] | None = None,
    seeds: int | Sequence[int] = 12,
    states: Sequence[str] = STATES,
    k: int | str | Sequence[int] = "best",
    modes: Sequence[str] = ("union", "r-compat"),
    curvatures: Sequence[str] = DEFAULT_CURVATURES,
    data_dir: str | None = None,
    pack: bool = True,
    progress: bool = True,
    executor: Executor | None = None,
    client: Any = None,
) -> RunSummary:
    """Compute (or resume) paper 2's coefficients for networks of a ``paper``-style store.

    Parameters
    ----------
    source
        A results directory written by ``ricci-lit sweep`` whose checkpoints are present (they
        are not committed: ``ricci-lit checkpoints`` re-creates them, checked against the store).
    out
        The coefficients' results directory (its own manifest; refused if it holds other
        settings).
    problems, architectures
        Configurations to evaluate (default: every configuration of the source whose networks
        are all present; an explicitly named one that is incomplete is an error).
    seeds
        The first ``seeds`` seeds of each configuration, or an explicit list. Part of the
        selection, not the settings: a later run with more seeds extends the store.
    states
        ``"trained"`` and/or ``"untrained"`` (:data:`STATES`).
    k
        ``"best"`` (paper 1's rule per configuration on the source store), one integer, or a list
        of integers: every network at each of them (P2's k-robustness study uses
        ``[20, 50, 70, 100, 150]``, paper-details §5.7 h; one chunk per network, state and ``k``,
        the representations computed once for all of them).
    modes
        kNN graph modes (``"union"``, ``"r-compat"``).
    curvatures
        Curvature notions (exact ``"ollivier"`` costs tens of seconds per graph at n = 1,000,
        k = 50: :mod:`ricci_lit.geometry.engine`, "Cost of the curvature notions").
    data_dir
        Where the MNIST / Fashion-MNIST files are (the loader's search order otherwise).
    pack
        Pack each problem into one file when all its networks of this call are done.
    progress
        A tqdm bar over networks.
    executor
        Where the units run (:func:`ricci_lit.experiments.runner.serial_executor` by default).
    client
        A ``distributed.Client``: run the units on its cluster instead (only this process
        writes the store; :mod:`ricci_lit.experiments.executors`).

    Returns
    -------
    RunSummary
        Chunks count (network, state, k) triples; ``notes`` names the configurations left out
        and ``info["ks"]`` is the ``k`` table (columns ``problem, architecture, k, aggregated``).
    """
    plan, ks, skipped = coefficient_plan(source, out, problems=problems, architectures=architectures, seeds=seeds,
                                         states=states, k=k, modes=modes, curvatures=curvatures, data_dir=data_dir)
    summary = run_plan(plan, executor=executor, progress=progress, pack=pack, client=client)
    summary.notes = skipped
    summary.info["ks"] = ks
    return summary


def load_coefficients(out: str | Path) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    """``(networks, layers, manifest)`` of a coefficients store.

    ``networks``: one row per (problem, architecture, seed, state, curvature, mode) with the
    global ``rho`` (all representations), ``rho_hidden`` (paper 1's hidden layers), the local
    summary and the accuracies. ``layers``: one row per transition as well, with ``layer_rho``,
    ``ric`` and ``eta``.
    """
    root = Path(out)
    manifest = read_manifest(root, "coefficients")
    layers = read_table(root, "coefficients")
    if layers.empty:
        return pd.DataFrame(), layers, manifest
    layers = layers.sort_values(_NET_KEYS + ["transition"], kind="stable").reset_index(drop=True)
    cols = _NET_KEYS + ["n_hidden"] + [c for c in _NETWORK_LEVEL + ["rho_hidden_reason"] if c in layers.columns]
    networks = layers[cols].drop_duplicates(subset=_NET_KEYS).reset_index(drop=True)
    keep = _NET_KEYS + ["n_hidden"] + _LAYER_LEVEL
    return networks, layers[[c for c in keep if c in layers.columns]], manifest


