#!/usr/bin/env python
"""Benchmark of the geometry core: global Ricci coefficient of one network, ricci_lit vs baselines.

Workload
    One "network" = 7 representations of width 50 of ``n`` points: a noisy solid torus (a 3-D
    manifold) linearly embedded in R^10, passed through 7 random ReLU layers of width 50 (He
    initialisation, small biases; NumPy only, fixed seed). Each representation gets the
    union kNN graph for ``k``; Forman curvature; ρ = Pearson(Ric_l, η_l) over the 7
    representations (6 transitions).

Pipelines compared (each computes ρ and the per-layer totals Ric_l, g_l from the raw points):
    ricci_lit      ``ricci_lit.ricci_coefficient(reps, k)`` (NumPy backend), plus the extra rows
                   ``geometry_table(reps, [k])`` and ``geometry_table(..., backend="torch",
                   device="cpu")``.
    baseline (a)   plain SciPy: ``sklearn.neighbors.kneighbors_graph`` symmetrised with
                   ``A.maximum(A.T)``, all-pairs ``scipy.sparse.csgraph.shortest_path(method="D",
                   unweighted=True)``, Forman by a per-edge Python loop, g = sum of the distance
                   matrix, ``scipy.stats.pearsonr``.
    baseline (b)   networkx: graph from the same kNN adjacency,
                   ``nx.all_pairs_shortest_path_length``, Forman by a loop over ``G.edges()``.

Run ``PYTHONPATH=. python benchmarks/bench_geometry.py`` (about 10 minutes on 2 cores) or with
``--quick`` (about a minute, smaller sizes). ``--help`` lists the knobs. The script exits
non-zero if any pipeline disagrees with ricci_lit (|Δρ| > 1e-9 or different per-layer totals).
Timings: wall clock (``time.perf_counter``); short ones are the best of a few repetitions;
ratios are taken between runs of the same process. The load average is printed at start and end:
on a shared machine, compare ratios, not absolute seconds.
"""
from __future__ import annotations

import argparse
from pathlib import Path
import cProfile
import io
import json
import math
import os
import platform
import pstats
import resource
import subprocess
import sys
import time
from dataclasses import dataclass, field

import numpy as np

WIDTH = 50
N_LAYERS = 7
RHO_TOL = 1e-9


# ----------------------------------------------------------------------------------------------
# workload
# ----------------------------------------------------------------------------------------------
def make_network(n: int, seed: int = 0, width: int = WIDTH, layers: int = N_LAYERS) -> list[np.ndarray]:
    """``layers`` representations ``[n, width]`` of a 3-D manifold through random ReLU layers."""
    rng = np.random.default_rng(seed)
    u, v = rng.uniform(0.0, 2.0 * np.pi, size=(2, n))
    r = 1.0 + 0.3 * rng.uniform(-1.0, 1.0, size=n)          # solid torus: 3 intrinsic dimensions
    Z = np.column_stack([(2.0 + r * np.cos(v)) * np.cos(u),
                         (2.0 + r * np.cos(v)) * np.sin(u),
                         r * np.sin(v)])
    X = Z @ rng.normal(size=(3, 10)) + 0.01 * rng.normal(size=(n, 10))
    X = (X - X.mean(0)) / X.std(0)
    reps = []
    h = X
    for _ in range(layers):
        W = rng.normal(size=(h.shape[1], width)) * math.sqrt(2.0 / h.shape[1])
        b = 0.1 * rng.normal(size=width)
        h = np.maximum(h @ W + b, 0.0)
        reps.append(h)
    return reps


# ----------------------------------------------------------------------------------------------
# timing helpers
# ----------------------------------------------------------------------------------------------
def timed(fn, *args, **kwargs):
    t0 = time.perf_counter()
    out = fn(*args, **kwargs)
    return time.perf_counter() - t0, out


def best_of(fn, repeats: int, budget_s: float):
    """Run ``fn`` at least once and up to ``repeats`` times while the total stays under
    ``budget_s``; return ``(best, all_times, last_output)``."""
    times = []
    out = None
    spent = 0.0
    while len(times) < max(1, repeats):
        dt, out = timed(fn)
        times.append(dt)
        spent += dt
        if spent + dt > budget_s:  # the next run would overshoot the budget
            break
    return min(times), times, out


def fmt_s(x: float | None) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "—"
    if x >= 100:
        return f"{x:.0f}"
    if x >= 10:
        return f"{x:.1f}"
    return f"{x:.2f}"


def fmt_rho(x) -> str:
    return "None" if x is None else f"{x:+.12f}"


def _proc_status_mib(field_name: str) -> float | None:
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith(field_name + ":"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return None


def rss_mib() -> float:
    """Current resident set size in MiB (Linux /proc; falls back to the peak elsewhere)."""
    v = _proc_status_mib("VmRSS")
    return v if v is not None else peak_rss_mib()


def reset_peak_rss() -> bool:
    """Reset the kernel's peak-RSS mark of this process (Linux ≥ 4.0: ``5`` to clear_refs)."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


def peak_rss_mib() -> float:
    """Peak RSS in MiB: ``VmHWM`` (per address space, reset by exec and by
    :func:`reset_peak_rss`); else ``ru_maxrss``, which Linux carries over ``execve`` from the
    parent, so a child spawned by a large parent would report the parent's peak."""
    v = _proc_status_mib("VmHWM")
    if v is not None:
        return v
    scale = 1024.0 if sys.platform != "darwin" else 1024.0 * 1024.0  # KiB on Linux, bytes on macOS
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / scale


# ----------------------------------------------------------------------------------------------
# pipelines
# ----------------------------------------------------------------------------------------------
@dataclass
class PipelineResult:
    name: str
    seconds: float
    rho: float | None
    ric: list[float]
    g: list[float]
    note: str = ""
    times: list[float] = field(default_factory=list)
    layers_timed: int = N_LAYERS


def _pearson_or_none(ric, g):
    """ρ from totals as a plain pipeline would: scipy.stats.pearsonr; None if g is infinite."""
    from scipy.stats import pearsonr

    g = np.asarray(g, dtype=np.float64)
    if not np.isfinite(g).all():
        return None
    eta = np.diff(g)
    return float(pearsonr(np.asarray(ric[:-1], dtype=np.float64), eta)[0])


def sklearn_knn_adjacency(X: np.ndarray, k: int):
    """kNN connectivity from scikit-learn, symmetrised by ``A.maximum(A.T)``.

    The index arrays are cast to int32: SciPy 1.13's csgraph routines reject the int64 indices
    that ``kneighbors_graph`` returns ("Buffer dtype mismatch, expected 'int' but got 'long'").
    """
    import scipy.sparse as sp
    from sklearn.neighbors import kneighbors_graph

    A = kneighbors_graph(X, k, mode="connectivity", include_self=False)
    A = sp.csr_matrix(A.maximum(A.T))
    A.indices = A.indices.astype(np.int32)
    A.indptr = A.indptr.astype(np.int32)
    return A


def scipy_layer(X: np.ndarray, k: int) -> tuple[float, float]:
    """Baseline (a) for one representation: (Ric, g)."""
    import scipy.sparse as sp
    from scipy.sparse.csgraph import shortest_path

    A = sklearn_knn_adjacency(X, k)
    D = shortest_path(A, method="D", unweighted=True, directed=False)
    deg = np.diff(A.indptr).tolist()
    upper = sp.triu(A, k=1).tocoo()
    total = 0
    for i, j in zip(upper.row.tolist(), upper.col.tolist()):
        total += 4 - deg[i] - deg[j]
    return float(total), float(D.sum())   # D.sum() is inf when the graph is disconnected


def networkx_layer(X: np.ndarray, k: int) -> tuple[float, float]:
    """Baseline (b) for one representation: (Ric, g)."""
    import networkx as nx

    G = nx.from_scipy_sparse_array(sklearn_knn_adjacency(X, k))
    if not nx.is_connected(G):
        g = float("inf")
    else:
        g = 0
        for _src, lengths in nx.all_pairs_shortest_path_length(G):
            g += sum(lengths.values())
    deg = G.degree
    ric = 0
    for i, j in G.edges():
        ric += 4 - deg[i] - deg[j]
    return float(ric), float(g)


def run_baseline(name: str, layer_fn, reps, k, layers: int | None = None) -> PipelineResult:
    """Time ``layer_fn`` on the first ``layers`` representations (all by default). When fewer
    than all are timed, seconds are scaled linearly to the 7 representations and ρ is None."""
    use = reps if layers is None else reps[:layers]
    ric, g = [], []
    t0 = time.perf_counter()
    for X in use:
        r, d = layer_fn(X, k)
        ric.append(r)
        g.append(d)
    dt = time.perf_counter() - t0
    if len(use) == len(reps):
        return PipelineResult(name, dt, _pearson_or_none(ric, g), ric, g, times=[dt])
    scaled = dt * len(reps) / len(use)
    return PipelineResult(name, scaled, None, ric, g, times=[dt], layers_timed=len(use),
                          note=f"timed on {len(use)} of {len(reps)} representations "
                               f"({fmt_s(dt)} s), scaled ×{len(reps)}/{len(use)}")


def ricci_lit_stages(reps, k, curvature="forman", mode="union"):
    """ricci_lit's work split into its stages, timed with the package's own functions."""
    from ricci_lit.geometry.curvature import edge_curvature
    from ricci_lit.geometry.distances import hop_distance_totals
    from ricci_lit.geometry.knn import knn_graphs

    t = {"knn": 0.0, "curvature": 0.0, "distances": 0.0}
    ric, g, comps, diam = [], [], [], []
    for X in reps:
        dt, graph = timed(lambda: knn_graphs(X, [k], mode)[0])
        t["knn"] += dt
        dt, r = timed(lambda: float(edge_curvature(graph, curvature).sum()))
        t["curvature"] += dt
        dt, tot = timed(hop_distance_totals, graph)
        t["distances"] += dt
        ric.append(r)
        g.append(tot.total)
        comps.append(tot.n_components)
        diam.append(tot.diameter)
    return t, ric, g, comps, diam


def ricci_lit_stages_best(reps, k, repeats: int, budget_s: float):
    """:func:`ricci_lit_stages` repeated like :func:`best_of`; each stage's minimum is kept."""
    best = None
    spent, runs = 0.0, 0
    while runs < max(1, repeats):
        t, ric, g, comps, diam = ricci_lit_stages(reps, k)
        runs += 1
        best = t if best is None else {s: min(best[s], t[s]) for s in t}
        dt = sum(t.values())
        spent += dt
        if spent + dt > budget_s:
            break
    return best, ric, g, comps, diam, runs


# ----------------------------------------------------------------------------------------------
# comparisons
# ----------------------------------------------------------------------------------------------
class Checks:
    def __init__(self):
        self.lines: list[str] = []
        self.failures: list[str] = []

    def compare(self, label: str, ref_rho, ref_ric, ref_g, rho, ric, g, layers: int | None = None):
        """Per-layer totals must be equal (they are integers); ρ within RHO_TOL when compared."""
        m = len(ric) if layers is None else layers
        same_totals = (list(map(float, ref_ric[:m])) == list(map(float, ric[:m]))
                       and list(map(float, ref_g[:m])) == list(map(float, g[:m])))
        parts = [f"totals of {m} layer(s) {'identical' if same_totals else 'DIFFER'}"]
        ok = same_totals
        if layers is None:
            if ref_rho is None or rho is None:
                rho_ok = ref_rho is None and rho is None
                parts.append(f"ρ {'both undefined' if rho_ok else 'defined in one only'}")
            else:
                d = abs(ref_rho - rho)
                rho_ok = d <= RHO_TOL
                parts.append(f"|Δρ| = {d:.1e} ({'≤' if rho_ok else '>'} {RHO_TOL:g})")
            ok = ok and rho_ok
        line = f"  [{'ok' if ok else 'FAIL'}] {label}: " + ", ".join(parts)
        self.lines.append(line)
        print(line, flush=True)
        if not ok:
            self.failures.append(line)
            if not same_totals:
                print(f"      ricci_lit Ric {ref_ric[:m]}\n      other     Ric {ric[:m]}\n"
                      f"      ricci_lit g   {ref_g[:m]}\n      other     g   {g[:m]}", flush=True)


# ----------------------------------------------------------------------------------------------
# memory (fresh subprocess)
# ----------------------------------------------------------------------------------------------
def memory_child(n: int, k: int, seed: int, use_tracemalloc: bool, kind: str = "torus") -> None:
    """Entry point of the subprocess: one ricci_coefficient call, RSS before / peak after.
    ``kind``: the main workload (``"torus"``, :func:`make_network`) or paper 2's
    (``"circles"``, :func:`circles_network`)."""
    import ricci_lit

    reps = make_network(n, seed) if kind == "torus" else circles_network(n, seed)
    import torch  # noqa: F401  (the kNN step imports it lazily; import it before the baseline)

    peak_before = peak_rss_mib()          # process peak so far (imports, data)
    was_reset = reset_peak_rss()          # so that VmHWM afterwards is the peak of the call
    before = rss_mib()
    if use_tracemalloc:
        import tracemalloc

        tracemalloc.start()
    t0 = time.perf_counter()
    res = ricci_lit.ricci_coefficient(reps, k)
    dt = time.perf_counter() - t0
    traced = None
    if use_tracemalloc:
        import tracemalloc

        traced = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    peak = peak_rss_mib()
    print(json.dumps({
        "n": n, "k": k, "seconds": dt, "rss_before_mib": before, "peak_before_mib": peak_before,
        "peak_mib": max(peak, peak_before), "call_peak_mib": peak, "increase_mib": peak - before,
        "peak_reset": was_reset, "tracemalloc_peak_mib": traced,
        "rho": res.rho, "all_connected": res.all_connected,
    }))


def measure_memory(n: int, k: int, seed: int, use_tracemalloc: bool, kind: str = "torus") -> dict:
    cmd = [sys.executable, os.path.abspath(__file__), "--_memory-child", str(n), str(k),
           "--seed", str(seed), "--_memory-kind", kind]
    if use_tracemalloc:
        cmd.append("--tracemalloc")
    proc = subprocess.run(cmd, capture_output=True, text=True, env=os.environ.copy())
    if proc.returncode != 0:
        raise RuntimeError(f"memory subprocess failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


# ----------------------------------------------------------------------------------------------
# environment
# ----------------------------------------------------------------------------------------------
def environment() -> dict:
    import networkx
    import scipy
    import sklearn
    import torch

    env = {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "loadavg": os.getloadavg() if hasattr(os, "getloadavg") else None,
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "scikit-learn": sklearn.__version__,
        "networkx": networkx.__version__,
        "torch": torch.__version__,
        "torch_threads": torch.get_num_threads(),
        "torch_interop_threads": torch.get_num_interop_threads(),
        "thread_env": {v: os.environ[v] for v in ("OMP_NUM_THREADS", "MKL_NUM_THREADS",
                                                   "OPENBLAS_NUM_THREADS") if v in os.environ},
    }
    try:
        cfg = np.show_config(mode="dicts")
        env["numpy_blas"] = cfg.get("Build Dependencies", {}).get("blas", {}).get("name")
    except Exception:  # older numpy
        env["numpy_blas"] = None
    return env


# ----------------------------------------------------------------------------------------------
# paper 2's own code as a baseline (Weber-GeoML/Ricci-Flow_Feature-Geometry, imported unmodified)
# ----------------------------------------------------------------------------------------------
PAPER2_REPO = "https://github.com/Weber-GeoML/Ricci-Flow_Feature-Geometry"
PAPER2_ENV = "RICCI_LIT_PAPER2_CODE"
PAPER2_GRID = ((1000, 30), (2000, 30), (2000, 90), (4000, 30))
#: The issue's table (issue 16, before this work): (n, k) → (ricci_lit s, paper 2's code s).
PAPER2_BEFORE = {(1000, 30): (0.145, 2.55), (2000, 30): (0.466, 8.93), (2000, 90): (1.29, 18.1),
                 (4000, 30): (3.03, 33.8)}


def circles_network(n: int, seed: int = 0, width: int = WIDTH, hidden: int = 5) -> list[np.ndarray]:
    """Paper 2's kind of input: ``make_circles`` through ``hidden`` random width-``width`` ReLU
    layers (PyTorch's default ``nn.Linear`` initialisation, uniform ``±1/√fan_in``) and a one-unit
    sigmoid output; ``hidden + 2`` float64 representations (input, hidden layers, output), as
    paper 2's ``DNN.features`` returns them."""
    from sklearn.datasets import make_circles

    X, _ = make_circles(n_samples=n, noise=0.05, random_state=seed)
    rng = np.random.default_rng(seed)
    reps = [X.astype(np.float64)]
    h = reps[0]
    for fan_out in [width] * hidden + [1]:
        bound = 1.0 / math.sqrt(h.shape[1])
        W = rng.uniform(-bound, bound, size=(h.shape[1], fan_out))
        b = rng.uniform(-bound, bound, size=fan_out)
        z = h @ W + b
        h = np.maximum(z, 0.0) if fan_out > 1 else 1.0 / (1.0 + np.exp(-z))
        reps.append(h)
    return reps


def find_paper2_code(arg: str | None) -> Path | None:
    """The checkout given by ``--paper2-code`` or ``$RICCI_LIT_PAPER2_CODE``, if it holds
    ``ricci_coefficients.py``; ``None`` (with a line saying how to get it) otherwise."""
    folder = arg or os.environ.get(PAPER2_ENV)
    if folder and (Path(folder) / "ricci_coefficients.py").is_file():
        return Path(folder).resolve()
    why = (f"{folder} has no ricci_coefficients.py" if folder
           else f"neither --paper2-code nor ${PAPER2_ENV} is set")
    print(f"paper 2's code: skipped ({why}). To include it: git clone {PAPER2_REPO} DIR "
          f"(its code needs numpy, scipy, scikit-learn and POT) and pass --paper2-code DIR.")
    return None


class _Features:
    """Stands in for paper 2's ``DNN``: ``features(X)`` returns the precomputed representations,
    so both codes start from the same float64 arrays (no forward pass is timed)."""

    def __init__(self, reps: list[np.ndarray]):
        self.reps = reps

    def features(self, _X) -> list[np.ndarray]:
        return self.reps


def _scipy_int32_shim(module) -> str:
    """Paper 2's code pins SciPy 1.16, whose csgraph accepts the int64 indices scikit-learn's
    ``kneighbors_graph`` returns; older SciPy (1.13 here) rejects them ("Buffer dtype
    mismatch"). Then the module's own name ``dijkstra`` is rebound to a wrapper that casts the
    graph's index arrays to int32 first (O(edges), negligible against the all-pairs search);
    nothing else of the module is touched. Returns a line saying so, or ``""``."""
    import scipy.sparse as sp
    from scipy.sparse.csgraph import dijkstra

    probe = sp.csr_matrix(np.ones((2, 2)))
    probe.indices, probe.indptr = probe.indices.astype(np.int64), probe.indptr.astype(np.int64)
    try:
        dijkstra(probe, unweighted=True)
        return ""
    except ValueError:
        pass

    def dijkstra_int32(csgraph, *a, **kw):
        g = sp.csr_matrix(csgraph)
        g.indices, g.indptr = g.indices.astype(np.int32), g.indptr.astype(np.int32)
        return dijkstra(g, *a, **kw)

    module.dijkstra = dijkstra_int32
    import scipy
    return (f"(SciPy {scipy.__version__} rejects int64 csgraph indices: paper 2's `dijkstra` is "
            "called through a wrapper that casts them to int32 first)")


def run_paper2_comparison(folder: Path, repeats: int, grid=PAPER2_GRID, seed: int = 0) -> list[dict]:
    """Median seconds of ``ricci_lit.ricci_coefficient(reps, k).rho`` and of paper 2's
    ``Ricci_Coefficients(NN, X, k).global_ricci_coefficient()`` on :func:`circles_network`,
    interleaved in this process; ρ must agree to ``RHO_TOL``."""
    import statistics
    import warnings

    import ricci_lit

    sys.path.insert(0, str(folder))
    try:
        import ricci_coefficients as paper2  # paper 2's module, unmodified
    finally:
        sys.path.remove(str(folder))
    Ricci_Coefficients = paper2.Ricci_Coefficients
    shim = _scipy_int32_shim(paper2)
    git_dir = folder / ".git"
    rev = None
    if git_dir.exists():
        rev = subprocess.run(["git", "-C", str(folder), "rev-parse", "HEAD"], capture_output=True,
                             text=True).stdout.strip() or None
    print()
    print("-" * 100)
    print(f"PAPER 2's CODE: Ricci_Coefficients(...).global_ricci_coefficient() from {folder}"
          f"{f' (commit {rev[:12]})' if rev else ''}")
    print("input: make_circles(noise=0.05) → 5 random ReLU layers of width 50 → 1 sigmoid unit "
          "(7 representations, float64); medians of", repeats, "interleaved runs")
    if shim:
        print(shim)
    print("-" * 100)
    small = circles_network(200, seed)
    ricci_lit.ricci_coefficient(small, 10)
    Ricci_Coefficients(_Features(small), None, 10).global_ricci_coefficient()
    rows = []
    print(f"{'n':>6} {'k':>4} {'ricci_lit s':>12} {'paper 2 s':>10} {'speed-up':>9} "
          f"{'(before)':>9} {'ρ ricci_lit':>17} {'|Δρ|':>9} {'load':>5}")
    for n, k in grid:
        reps = circles_network(n, seed)
        t_ours, t_theirs = [], []
        rho_ours = rho_theirs = None
        for _ in range(max(1, repeats)):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                dt, res = timed(ricci_lit.ricci_coefficient, reps, k)
            t_ours.append(dt)
            rho_ours = res.rho
            dt, rho_theirs = timed(Ricci_Coefficients(_Features(reps), None, k).global_ricci_coefficient)
            t_theirs.append(dt)
        ours, theirs = statistics.median(t_ours), statistics.median(t_theirs)
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
        diff = abs(float(rho_theirs) - rho_ours) if rho_ours is not None else float("inf")
        before = PAPER2_BEFORE.get((n, k))
        before_s = f"{before[1] / before[0]:.1f}×" if before else ""
        print(f"{n:>6} {k:>4} {fmt_s(ours):>12} {fmt_s(theirs):>10} {theirs / ours:>8.1f}× "
              f"{before_s:>9} {fmt_rho(rho_ours):>17} {diff:>9.1e} {load:>5.2f}")
        rows.append({"n": n, "k": k, "ricci_lit_s": ours, "paper2_s": theirs,
                     "speedup": theirs / ours, "ricci_lit_times": t_ours, "paper2_times": t_theirs,
                     "rho_ricci_lit": rho_ours, "rho_paper2": float(rho_theirs), "abs_diff_rho": diff,
                     "loadavg_1min": load, "paper2_commit": rev,
                     "before": None if before is None else {"ricci_lit_s": before[0], "paper2_s": before[1]}})
    return rows


# ----------------------------------------------------------------------------------------------
# the kNN stage against its arithmetic
# ----------------------------------------------------------------------------------------------
def knn_stage_ratios(ns=(2000, 4000, 10000), d: int = 50, k: int = 30, repeats: int = 3,
                     seed: int = 0) -> list[dict]:
    """Median seconds, interleaved in this process, at dimension ``d``: ``neighbour_table`` (the
    fused compiled path), the unfused chain it replaced (Gram block, single-threaded selection,
    NumPy rank and near-tie pass), and the bare arithmetic: the blocked Gram product alone and
    with ``np.argpartition`` of the ``k + 1`` smallest per row. Also the line path (``d = 1``), and
    the k-d tree path (``d = 2``) against the distance blocks on the same points."""
    import statistics

    from ricci_lit.geometry import knn as K
    from ricci_lit.geometry._exact import near_tie_rows

    def unfused(X):
        c = K._prepare(X)
        for s in range(0, X.shape[0], K._BLOCK):
            e = min(X.shape[0], s + K._BLOCK)
            D = K._block_sqdist(c, s, e, True)
            counts, cols, dd = K._select_sorted(D, k, True)
            K._dense_rank(counts, dd)
            near_tie_rows(D, counts, cols, dd, c.exact_id, c.err[s:e])

    def gemm(X, select):
        for s in range(0, X.shape[0], K._BLOCK):
            G = X[s:s + K._BLOCK] @ X.T
            if select:
                np.argpartition(G, k, axis=1)

    def blocked(P):  # the same cloud through the distance blocks (the tree path switched off)
        saved = K.TREE_MAX_DIM
        K.TREE_MAX_DIM = 0
        try:
            return K.neighbour_table(P, k)
        finally:
            K.TREE_MAX_DIM = saved

    rng = np.random.default_rng(seed)
    rows = []
    print()
    print("-" * 100)
    print(f"kNN STAGE at d = {d}, k = {k}: medians of {repeats} interleaved runs (ms)")
    print(f"{'n':>6} {'neighbour_table':>16} {'unfused (before)':>17} {'GEMM':>7} {'GEMM+argpart':>13} "
          f"{'÷ GEMM+sel':>11} {'line d=1':>9} {'tree d=2':>9} {'blocks d=2':>11} {'load':>5}")
    for n in ns:
        X = np.maximum(rng.standard_normal((n, d)) @ rng.standard_normal((d, d)), 0.0)
        x = 1.0 / (1.0 + np.exp(-rng.standard_normal(n)))  # a sigmoid output: distinct points
        P2 = rng.standard_normal((n, 2))                   # a 2-D input (problems A, B, C)
        fns = {"table": lambda: K.neighbour_table(X, k), "unfused": lambda: unfused(X),
               "gemm": lambda: gemm(X, False), "gemm_select": lambda: gemm(X, True),
               "line": lambda: K.neighbour_table(x, k),
               "tree2": lambda: K.neighbour_table(P2, k),
               "blocked2": lambda: blocked(P2)}
        for f in fns.values():
            f()
        ts = {name: [] for name in fns}
        for _ in range(max(1, repeats)):
            for name, f in fns.items():
                ts[name].append(timed(f)[0])
        med = {name: statistics.median(v) for name, v in ts.items()}
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
        print(f"{n:>6} {med['table'] * 1e3:>16.1f} {med['unfused'] * 1e3:>17.1f} {med['gemm'] * 1e3:>7.1f} "
              f"{med['gemm_select'] * 1e3:>13.1f} {med['table'] / med['gemm_select']:>10.2f}× "
              f"{med['line'] * 1e3:>9.1f} {med['tree2'] * 1e3:>9.1f} {med['blocked2'] * 1e3:>11.1f} {load:>5.2f}")
        rows.append({"n": n, "d": d, "k": k, "seconds": med, "loadavg_1min": load})
    print("(line d=1: sigmoid-like points on a line by the sorted path; tree d=2: Gaussian points in the "
          "plane by the k-d tree path; blocks d=2: the same points through the distance blocks)")
    return rows


# ----------------------------------------------------------------------------------------------
# main
# ----------------------------------------------------------------------------------------------
def line_distance_ratios(ns=(2000, 4000, 10000), k: int = 30, repeats: int = 3, seed: int = 0,
                         bfs_max_repeats_n: int = 4000) -> list[dict]:
    """Median seconds, interleaved in this process, of ``hop_distance_totals`` on the kNN graph of
    a sigmoid-like one-dimensional cloud (``1/(1+e^{-z})``, ``z ~ N(0, 3²)``, float32, as a sigmoid
    output layer): the interval path (the graph's ``line_order``) against the bit-parallel search
    on the same graph without it. Above ``bfs_max_repeats_n`` the search is timed once."""
    import dataclasses
    import statistics

    from ricci_lit.geometry.distances import hop_distance_totals, interval_bounds, refine_order
    from ricci_lit.geometry.knn import knn_graph

    print()
    print("-" * 100)
    print(f"HOP DISTANCES ON A 1-D LAYER (sigmoid-like cloud, k = {k}, union): interval path vs search, "
          f"medians of {repeats}")
    print("-" * 100)
    print(f"{'n':>7} {'interval ms':>12} {'search ms':>12} {'ratio':>8} {'order':>9} {'diameter':>9} {'load':>5}")
    rng = np.random.default_rng(seed)
    rows = []
    for n in ns:
        x = (1 / (1 + np.exp(-rng.normal(0, 3, n)))).astype(np.float32)[:, None]
        g = knn_graph(x, k)
        plain = dataclasses.replace(g, line_order=None)
        which = ("sorted" if interval_bounds(g.adjacency, g.line_order) is not None else
                 "refined" if interval_bounds(g.adjacency, refine_order(g.adjacency, g.line_order)) is not None
                 else "search")
        t_fast, t_bfs = [], []
        for r in range(repeats):
            dt, a = timed(hop_distance_totals, g)
            t_fast.append(dt)
            if r == 0 or n <= bfs_max_repeats_n:
                dt, b = timed(hop_distance_totals, plain)
                t_bfs.append(dt)
                if a != b:
                    raise SystemExit(f"interval path and search disagree at n = {n}: {a} vs {b}")
        fast, bfs = statistics.median(t_fast), statistics.median(t_bfs)
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
        print(f"{n:>7} {fast * 1e3:>12.1f} {bfs * 1e3:>12.1f} {bfs / fast:>7.0f}× {which:>9} {a.diameter:>9} {load:>5.2f}")
        rows.append({"n": n, "k": k, "interval_s": fast, "search_s": bfs, "ratio": bfs / fast, "order": which,
                     "diameter": a.diameter, "loadavg_1min": load})
    return rows


def large_clouds(ns, k: int, seed: int, repeats: int) -> list[dict]:
    """One network of 7 representations at each ``n`` (both workloads), ``ricci_coefficient``
    in a fresh subprocess per run: seconds (median of ``repeats``) and the call's peak RSS."""
    print("-" * 100)
    print(f"LARGE CLOUDS: ricci_coefficient(reps, k={k}) on 7 representations, fresh subprocess per run, "
          f"median of {repeats}")
    print("-" * 100)
    print(f"{'workload':>9} {'n':>7} {'seconds':>9} {'peak RSS MiB':>13} {'call increase MiB':>18} "
          f"{'ρ':>16} {'connected':>10} {'load':>5}")
    rows = []
    for n in ns:
        for kind in ("torus", "circles"):
            runs = [measure_memory(n, k, seed, False, kind) for _ in range(max(1, repeats))]
            sec = float(np.median([r["seconds"] for r in runs]))
            peak = max(r["peak_mib"] for r in runs)
            inc = max(r["increase_mib"] for r in runs)
            load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
            row = {"workload": kind, "n": n, "k": k, "seconds": sec, "seconds_all": [r["seconds"] for r in runs],
                   "peak_mib": peak, "increase_mib": inc, "rho": runs[0]["rho"],
                   "all_connected": runs[0]["all_connected"], "load": load}
            rows.append(row)
            print(f"{kind:>9} {n:>7} {sec:>9.2f} {peak:>13.0f} {inc:>18.0f} {fmt_rho(row['rho']):>16} "
                  f"{str(row['all_connected']):>10} {load:>5.2f}", flush=True)
    return rows


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true",
                   help="about a minute: headline n=1000, grid n∈{500,1000}×k∈{10,30}, memory at n=2000")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--n", type=int, default=None, help="headline n (default 2000; 1000 with --quick)")
    p.add_argument("--k", type=int, default=30, help="headline k (default 30)")
    p.add_argument("--ns", type=int, nargs="+", default=None, help="grid n (default 1000 2000 4000)")
    p.add_argument("--ks", type=int, nargs="+", default=None, help="grid k (default 10 30 90)")
    p.add_argument("--repeats", type=int, default=3, help="best-of repetitions for ricci_lit timings")
    p.add_argument("--budget", type=float, default=15.0,
                   help="seconds one best-of measurement may spend on repetitions")
    p.add_argument("--full-baseline-max-n", type=int, default=2000,
                   help="measure baseline (a) on all 7 representations up to this n; above it, "
                        "on --est-layers representations at the headline k only (labelled est.)")
    p.add_argument("--est-layers", type=int, default=1)
    p.add_argument("--nx-layers", type=int, default=1,
                   help="representations on which baseline (b) is timed at the headline n (scaled to 7)")
    p.add_argument("--nx-check-n", type=int, default=300,
                   help="n of the full 7-representation networkx ρ check")
    p.add_argument("--memory-n", type=int, default=None, help="n of the memory test (default 4000)")
    p.add_argument("--memory-ks", type=int, nargs="+", default=None,
                   help="k of the memory test (default 30 90; the grid's k at n=memory-n are added "
                        "so the subprocess also times those cells)")
    p.add_argument("--tracemalloc", action="store_true",
                   help="also report tracemalloc's peak in the memory subprocess (adds overhead)")
    p.add_argument("--skip-networkx", action="store_true")
    p.add_argument("--skip-torch", action="store_true")
    p.add_argument("--skip-memory", action="store_true")
    p.add_argument("--skip-profile", action="store_true")
    p.add_argument("--json", type=str, default=None, help="write all results to this JSON file")
    p.add_argument("--results-dir", type=str,
                   default=str(Path(__file__).resolve().parent / "results"),
                   help="write the grid table (bench_geometry.csv) and its provenance "
                        "(bench_geometry.json) here, for the book; '' to skip")
    p.add_argument("--paper2-code", type=str, default=None,
                   help=f"a checkout of paper 2's code ({PAPER2_REPO}; default ${PAPER2_ENV}): "
                        "adds its Ricci_Coefficients as a baseline on its kind of input")
    p.add_argument("--paper2-only", action="store_true",
                   help="run only the comparison with paper 2's code (grid (1000,30) (2000,30) "
                        "(2000,90) (4000,30))")
    p.add_argument("--line-only", action="store_true",
                   help="run only the hop-distance table on a 1-D layer (interval path vs search)")
    p.add_argument("--knn-only", action="store_true",
                   help="run only the kNN-stage table (n = 2000, 4000, 10000 at d = 50)")
    p.add_argument("--paper2-cells", type=str, nargs="+", default=None, metavar="N,K",
                   help="cells of the paper-2 comparison (default 1000,30 2000,30 2000,90 4000,30)")
    p.add_argument("--paper2-repeats", type=int, default=3,
                   help="interleaved runs per cell of the paper-2 comparison (medians)")
    p.add_argument("--large-only", action="store_true",
                   help="run only the large-cloud check: one network of 7 representations at "
                        "--large-n points, k = --k, both workloads, each in a fresh subprocess "
                        "(seconds and peak memory)")
    p.add_argument("--large-n", type=int, nargs="+", default=[20000],
                   help="n of the large-cloud check (default 20000)")
    p.add_argument("--_memory-child", type=int, nargs=2, default=None, help=argparse.SUPPRESS)
    p.add_argument("--_memory-kind", default="torus", choices=("torus", "circles"), help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    if a.quick:
        a.n = a.n or 1000
        a.ns = a.ns or [500, 1000]
        a.ks = a.ks or [10, 30]
        a.memory_n = a.memory_n or 2000
        a.memory_ks = a.memory_ks or [30]
        a.repeats = min(a.repeats, 2)
        a.budget = min(a.budget, 5.0)
        a.nx_check_n = min(a.nx_check_n, 200)
    a.n = a.n or 2000
    a.ns = a.ns or [1000, 2000, 4000]
    a.ks = a.ks or [10, 30, 90]
    a.memory_n = a.memory_n or 4000
    a.memory_ks = a.memory_ks or [30, 90]
    return a


def main(argv=None) -> int:
    args = parse_args(argv)
    if args._memory_child is not None:
        memory_child(args._memory_child[0], args._memory_child[1], args.seed, args.tracemalloc,
                     args._memory_kind)
        return 0

    import ricci_lit
    from ricci_lit.geometry.coefficients import coefficient_from_totals

    wall0 = time.perf_counter()
    checks = Checks()
    results: dict = {"args": {k: v for k, v in vars(args).items() if not k.startswith("_")}}

    env = environment()
    results["environment"] = env
    print("=" * 100)
    print("bench_geometry: global Ricci coefficient of one network (7 representations, width 50),"
          " Forman, union kNN")
    print("=" * 100)
    print(f"python {env['python']} on {env['platform']}")
    print(f"CPUs: os.cpu_count() = {env['cpu_count']}, usable = {env['cpus_usable']}; "
          f"load average at start = {tuple(round(x, 2) for x in env['loadavg'] or ())}")
    print(f"numpy {env['numpy']} (BLAS: {env['numpy_blas']}), scipy {env['scipy']}, "
          f"scikit-learn {env['scikit-learn']}, networkx {env['networkx']}, torch {env['torch']} "
          f"(threads {env['torch_threads']}, interop {env['torch_interop_threads']}) "
          f"{env['thread_env'] or ''}")
    print(f"ricci_lit {ricci_lit.__version__}; mode {'--quick' if args.quick else 'full'}; seed {args.seed}")
    print("Timings are wall-clock seconds; 'best of r' = minimum of r runs. Ratios come from runs in "
          "this process; absolute seconds depend on the machine's load.")

    for only, key, table in ((args.line_only, "line_distances", line_distance_ratios),
                             (args.knn_only, "knn_stage", knn_stage_ratios)):
        if only:
            results[key] = table(repeats=args.repeats, seed=args.seed)
            if args.json:
                with open(args.json, "w") as fh:
                    json.dump(results, fh, indent=2, default=float)
            return 0
    if args.large_only:
        results["large_clouds"] = large_clouds(args.large_n, args.k, args.seed, args.repeats)
        if args.json:
            with open(args.json, "w") as fh:
                json.dump(results, fh, indent=2, default=float)
        return 0
    paper2_dir = find_paper2_code(args.paper2_code)
    if args.paper2_only:
        if paper2_dir is None:
            return 2
        grid = PAPER2_GRID if not args.paper2_cells else tuple(
            tuple(int(v) for v in cell.split(",")) for cell in args.paper2_cells)
        return finish_paper2(run_paper2_comparison(paper2_dir, args.paper2_repeats, grid=grid,
                                                   seed=args.seed),
                             checks, results, args)

    # warm-up: imports torch (used lazily by the kNN step), sklearn, scipy's csgraph
    small = make_network(200, args.seed)
    ricci_lit.ricci_coefficient(small, 10)
    run_baseline("warm", scipy_layer, small, 10, layers=1)

    # ------------------------------------------------------------------ headline
    n, k = args.n, args.k
    reps = make_network(n, args.seed)
    print()
    print("-" * 100)
    print(f"HEADLINE: n = {n}, k = {k}, {len(reps)} representations of width {WIDTH}")
    print("-" * 100)
    distinct = [len(np.unique(X, axis=0)) for X in reps]
    print(f"distinct points per representation: min {min(distinct)} of {n}; "
          f"fraction of active ReLUs per layer: {[round(float((X > 0).mean()), 2) for X in reps]}")

    best, times, res = best_of(lambda: ricci_lit.ricci_coefficient(reps, k), args.repeats, args.budget)
    rl = PipelineResult("ricci_lit.ricci_coefficient (numpy)", best, res.rho, list(res.ric),
                        list(res.g), times=times)
    print(f"connectivity: {sum(res.connected)}/{len(reps)} graphs connected, components "
          f"{list(res.n_components)}, edges {list(res.n_edges)}")
    if not res.all_connected:
        print("  NOTE: a graph is disconnected: ρ is undefined (reported as None)")
    rows = [rl]

    best, times, df = best_of(lambda: ricci_lit.geometry_table(reps, [k]), args.repeats, args.budget)
    rho_t, _, _ = coefficient_from_totals(df["ric"], df["g"])
    rows.append(PipelineResult("ricci_lit.geometry_table (numpy)", best, rho_t, list(df["ric"]),
                               list(df["g"]), times=times))

    if not args.skip_torch:
        dt, dft = timed(lambda: ricci_lit.geometry_table(reps, [k], backend="torch", device="cpu"))
        rho_t, _, _ = coefficient_from_totals(dft["ric"], dft["g"])
        rows.append(PipelineResult("ricci_lit.geometry_table (torch, cpu)", dt, rho_t,
                                   list(dft["ric"]), list(dft["g"]), times=[dt],
                                   note="1 run (dense n×n matmul BFS; meant for CUDA)"))

    stage_t, st_ric, st_g, _, st_diam, _ = ricci_lit_stages_best(reps, k, args.repeats, args.budget)
    base_a = run_baseline("baseline (a) sklearn kNN + scipy shortest_path + Python loop",
                          scipy_layer, reps, k)
    base_a.note = "1 run, all 7 representations"
    rows.append(base_a)
    base_b = None
    if not args.skip_networkx:
        base_b = run_baseline("baseline (b) networkx", networkx_layer, reps, k,
                              layers=min(args.nx_layers, len(reps)))
        rows.append(base_b)

    print()
    print(f"{'pipeline':<64}{'seconds':>9}{'vs ricci':>10}  {'ρ':<17} note")
    for r in rows:
        ratio = r.seconds / rl.seconds
        reps_note = f"best of {len(r.times)}" if len(r.times) > 1 else ""
        note = "; ".join(x for x in (reps_note, r.note) if x)
        print(f"{r.name:<64}{fmt_s(r.seconds):>9}{ratio:>9.1f}×  {fmt_rho(r.rho):<17} {note}")
    print()
    print("per-layer totals (ricci_lit):")
    print(f"  {'layer':>5} {'Ric_l (Forman)':>15} {'g_l':>14} {'η_l = g_l+1 − g_l':>19} {'diameter':>9} {'edges':>8}")
    for l in range(len(reps)):
        eta = f"{res.eta[l]:.0f}" if l < len(res.eta) else ""
        print(f"  {l:>5} {res.ric[l]:>15.0f} {res.g[l]:>14.0f} {eta:>19} {st_diam[l]:>9} {res.n_edges[l]:>8}")
    print(f"  ρ = Pearson(Ric_0..5, η_0..5) = {fmt_rho(res.rho)}")
    print()
    print("agreement with ricci_lit.ricci_coefficient:")
    checks.compare("stages (knn_graphs/edge_curvature/hop_distance_totals)", rl.rho, rl.ric, rl.g,
                   coefficient_from_totals(st_ric, st_g)[0], st_ric, st_g)
    for r in rows[1:]:
        checks.compare(r.name, rl.rho, rl.ric, rl.g, r.rho, r.ric, r.g,
                       layers=None if r.layers_timed == len(reps) else r.layers_timed)
    if not args.skip_networkx:
        nn = args.nx_check_n
        small = make_network(nn, args.seed)
        rs = ricci_lit.ricci_coefficient(small, min(k, nn // 10))
        bs = run_baseline("nx", networkx_layer, small, rs.k)
        checks.compare(f"baseline (b) networkx, all 7 representations at n = {nn}, k = {rs.k}",
                       rs.rho, list(rs.ric), list(rs.g), bs.rho, bs.ric, bs.g)

    ratio_a = base_a.seconds / rl.seconds
    print()
    print(f"HEADLINE (n = {n}, k = {k}): ricci_coefficient {fmt_s(rl.seconds)} s; "
          f"{ratio_a:.1f}× faster than baseline (a) (target ≥ 20×: {'met' if ratio_a >= 20 else 'NOT met'})", end="")
    results["headline"] = {"n": n, "k": k, "ricci_s": rl.seconds, "ricci_times": rl.times,
                           "baseline_a_s": base_a.seconds, "ratio_a": ratio_a, "rho": rl.rho,
                           "ric": rl.ric, "g": rl.g, "stages": stage_t,
                           "rows": [{"name": r.name, "seconds": r.seconds, "times": r.times,
                                     "rho": r.rho, "note": r.note} for r in rows]}
    if base_b is not None:
        ratio_b = base_b.seconds / rl.seconds
        results["headline"].update(baseline_b_s=base_b.seconds, ratio_b=ratio_b)
        print(f"; {ratio_b:.0f}× faster than baseline (b) (target ≥ 300×: "
              f"{'met' if ratio_b >= 300 else 'NOT met'}; (b) {base_b.note})")
    else:
        print()
    tot = sum(stage_t.values())
    print("ricci_lit stage split at the headline: " + ", ".join(
        f"{s} {fmt_s(v)} s ({100 * v / tot:.0f}%)" for s, v in stage_t.items()))

    # ------------------------------------------------------------------ memory
    mem_rows = []
    if not args.skip_memory:
        mks = sorted(set(args.memory_ks) | ({kk for kk in args.ks} if args.memory_n in args.ns else set()))
        print()
        print("-" * 100)
        print(f"MEMORY: peak RSS of ricci_coefficient at n = {args.memory_n}, fresh subprocess per k "
              f"(torch, numpy and the data loaded before the 'before' reading)")
        print("-" * 100)
        print(f"  {'k':>4} {'seconds':>8} {'RSS before':>11} {'peak RSS':>9} {'increase':>9}"
              f"{'  tracemalloc peak' if args.tracemalloc else ''}  {'< 1 GiB?':>9}")
        for kk in mks:
            m = measure_memory(args.memory_n, kk, args.seed, args.tracemalloc)
            mem_rows.append(m)
            tm = (f"  {m['tracemalloc_peak_mib']:>14.0f} MiB" if args.tracemalloc else "")
            print(f"  {kk:>4} {fmt_s(m['seconds']):>8} {m['rss_before_mib']:>7.0f} MiB {m['peak_mib']:>5.0f} MiB "
                  f"{m['increase_mib']:>5.0f} MiB{tm}  {'yes' if m['peak_mib'] < 1024 else 'NO':>9}",
                  flush=True)
        print("  'increase' = peak RSS during the call (VmHWM, reset just before it) − RSS just before "
              "it; 'peak RSS' is the whole process's peak (interpreter + numpy + pandas + torch + data "
              "+ the call).")
        if not all(m["peak_reset"] for m in mem_rows):
            print("  NOTE: the peak-RSS mark could not be reset; 'increase' may include the imports.")
        results["memory"] = mem_rows

    # ------------------------------------------------------------------ grid
    print()
    print("-" * 100)
    print(f"GRID: n × k, one network of {N_LAYERS} representations; ricci_lit = ricci_coefficient")
    print("-" * 100)
    grid = []
    mem_by_k = {m["k"]: m for m in mem_rows if m["n"] == args.memory_n}
    for gn in args.ns:
        greps = reps if gn == n else make_network(gn, args.seed)
        for gk in args.ks:
            cell = {"n": gn, "k": gk}
            if gn == n and gk == k:
                cell.update(ricci_s=rl.seconds, ricci_how=f"best of {len(rl.times)}",
                            stages=stage_t, rho=rl.rho, connected=f"{sum(res.connected)}/{len(reps)}",
                            a_s=base_a.seconds, a_how="measured")
                grid.append(cell)
                print(f"  n={gn:>5} k={gk:>3}: (headline, reused)", flush=True)
                continue
            if gn == args.memory_n and gk in mem_by_k:
                m = mem_by_k[gk]
                ricci_s, how, g_rho = m["seconds"], "1 run, fresh process", m["rho"]
                g_conn = None
            else:
                ricci_s, times, gres = best_of(lambda: ricci_lit.ricci_coefficient(greps, gk),
                                               args.repeats, args.budget)
                how, g_rho = f"best of {len(times)}", gres.rho
                g_conn = f"{sum(gres.connected)}/{len(greps)}"
            st, s_ric, s_g, s_comp, _, _ = ricci_lit_stages_best(greps, gk, args.repeats, args.budget)
            if g_conn is None:
                g_conn = f"{sum(c == 1 for c in s_comp)}/{len(greps)}"
            s_rho = coefficient_from_totals(s_ric, s_g)[0]
            cell.update(ricci_s=ricci_s, ricci_how=how, stages=st, rho=s_rho, connected=g_conn)
            if g_rho is not None or s_rho is not None:
                if g_rho is None or s_rho is None or abs(g_rho - s_rho) > RHO_TOL:
                    checks.compare(f"grid n={gn} k={gk}: ricci_coefficient vs stages",
                                   g_rho, s_ric, s_g, s_rho, s_ric, s_g)
            if gn <= args.full_baseline_max_n:
                ba = run_baseline("a", scipy_layer, greps, gk)
                cell.update(a_s=ba.seconds, a_how="measured")
                checks.compare(f"grid n={gn} k={gk}: baseline (a)", s_rho, s_ric, s_g, ba.rho, ba.ric, ba.g)
            elif gk == k:
                ba = run_baseline("a", scipy_layer, greps, gk, layers=min(args.est_layers, len(greps)))
                cell.update(a_s=ba.seconds, a_how=f"est. ({ba.layers_timed}/{len(greps)} layers ×{len(greps)})")
                checks.compare(f"grid n={gn} k={gk}: baseline (a)", s_rho, s_ric, s_g, ba.rho, ba.ric, ba.g,
                               layers=ba.layers_timed)
            else:
                cell.update(a_s=None, a_how="not measured")
            grid.append(cell)
            print(f"  n={gn:>5} k={gk:>3}: ricci {fmt_s(ricci_s)} s, (a) {fmt_s(cell['a_s'])} s "
                  f"[{cell['a_how']}]", flush=True)
    results["grid"] = grid

    print()
    hdr = (f"{'n':>5} {'k':>3} {'conn':>5} {'ricci_lit s':>11} {'(a) s':>8} {'speed-up':>9}   "
           f"{'kNN':>6} {'curv':>6} {'dist':>6}  {'ρ':>9}   notes")
    print(hdr)
    print("-" * len(hdr))
    for c in grid:
        st = c["stages"]
        tot = sum(st.values())
        sp_ = f"{c['a_s'] / c['ricci_s']:.1f}×" if c["a_s"] else "—"
        rho = f"{c['rho']:+.4f}" if c["rho"] is not None else "None"
        notes = f"ricci: {c['ricci_how']}; (a): {c['a_how']}"
        print(f"{c['n']:>5} {c['k']:>3} {c['connected']:>5} {fmt_s(c['ricci_s']):>11} {fmt_s(c['a_s']):>8} "
              f"{sp_:>9}   {100 * st['knn'] / tot:>5.0f}% {100 * st['curvature'] / tot:>5.0f}% "
              f"{100 * st['distances'] / tot:>5.0f}%  {rho:>9}   {notes}")
    print("kNN / curv / dist: share of ricci_lit's time in knn_graphs / edge_curvature / "
          "hop_distance_totals (timed in separate runs, summed over the 7 representations, "
          "best of the same repetitions per stage).")

    # ------------------------------------------------------------------ profile
    if not args.skip_profile:
        print()
        print("-" * 100)
        print(f"PROFILE: cProfile of ricci_coefficient at n = {n}, k = {k} (top 15 by internal time)")
        print("-" * 100)
        prof = cProfile.Profile()
        prof.enable()
        ricci_lit.ricci_coefficient(reps, k)
        prof.disable()
        buf = io.StringIO()
        pstats.Stats(prof, stream=buf).strip_dirs().sort_stats("tottime").print_stats(15)
        text = buf.getvalue()
        print(text[text.find("   ncalls"):].rstrip() if "   ncalls" in text else text)

    if paper2_dir is not None:
        results["paper2"] = run_paper2_comparison(paper2_dir, args.paper2_repeats, seed=args.seed)
        paper2_checks(results["paper2"], checks)

    # ------------------------------------------------------------------ summary
    print()
    print("=" * 100)
    print(f"SUMMARY (n = {n}, k = {k}): ricci_lit {fmt_s(rl.seconds)} s; "
          f"vs (a) {ratio_a:.1f}× (target 20×)" +
          (f"; vs (b) {base_b.seconds / rl.seconds:.0f}× (target 300×, (b) scaled from "
           f"{base_b.layers_timed} representation(s))" if base_b is not None else ""))
    for m in mem_rows:
        if m["k"] in args.memory_ks:
            print(f"memory n = {m['n']}, k = {m['k']}: peak RSS {m['peak_mib']:.0f} MiB (increase "
                  f"{m['increase_mib']:.0f} MiB) — target < 1 GiB: {'met' if m['peak_mib'] < 1024 else 'NOT met'}")
    env_end = os.getloadavg() if hasattr(os, "getloadavg") else ()
    print(f"load average at end = {tuple(round(x, 2) for x in env_end)}; "
          f"total benchmark time {time.perf_counter() - wall0:.0f} s")
    results["loadavg_end"] = env_end
    if checks.failures:
        print(f"AGREEMENT FAILURES ({len(checks.failures)}):")
        for f in checks.failures:
            print(f)
    else:
        print(f"all agreement checks passed ({len(checks.lines)})")
    print("=" * 100)
    results["checks"] = checks.lines
    results["failures"] = checks.failures
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(results, fh, indent=2, default=float)
    if args.results_dir:
        save_for_book(Path(args.results_dir), grid, results, rl, ratio_a, base_b, mem_rows, n, k,
                      checks, args)
    return 1 if checks.failures else 0


def paper2_checks(rows: list[dict], checks: Checks) -> None:
    """ρ of ricci_lit and of paper 2's code must agree to ``RHO_TOL`` in every cell."""
    for r in rows:
        line = f"paper 2's code at n = {r['n']}, k = {r['k']}: |Δρ| = {r['abs_diff_rho']:.1e}"
        checks.lines.append(line)
        if not r["abs_diff_rho"] <= RHO_TOL:
            checks.failures.append("  " + line + f" > {RHO_TOL}")


def finish_paper2(rows: list[dict], checks: Checks, results: dict, args) -> int:
    """End of ``--paper2-only``: checks, load average, JSON; exit 1 on a ρ disagreement."""
    paper2_checks(rows, checks)
    results["paper2"] = rows
    results["loadavg_end"] = os.getloadavg() if hasattr(os, "getloadavg") else None
    print(f"load average at end = {tuple(round(x, 2) for x in results['loadavg_end'] or ())}")
    print("\n".join(checks.failures) if checks.failures else
          f"all agreement checks passed ({len(checks.lines)})")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(results, fh, indent=2, default=float)
    return 1 if checks.failures else 0


def save_for_book(folder: Path, grid, results, rl, ratio_a, base_b, mem_rows, n, k, checks, args) -> None:
    """Write the grid as CSV and the headline with provenance as JSON (read by the book)."""
    import csv

    import ricci_lit

    prov = ricci_lit.provenance(cpu_count=os.cpu_count())  # before writing: a rewritten tracked CSV reads as -dirty
    folder.mkdir(parents=True, exist_ok=True)
    rows = []
    for c in grid:
        st = c["stages"]
        tot = sum(st.values()) or 1.0
        rows.append({
            "n": c["n"], "k": c["k"], "connected": c["connected"],
            "ricci_lit_s": round(c["ricci_s"], 4),
            "baseline_a_s": None if c["a_s"] is None else round(c["a_s"], 4),
            "speedup_a": None if not c["a_s"] else round(c["a_s"] / c["ricci_s"], 2),
            "baseline_a_how": c["a_how"],
            "knn_share": round(st["knn"] / tot, 3), "curvature_share": round(st["curvature"] / tot, 3),
            "distances_share": round(st["distances"] / tot, 3),
            "rho": c["rho"],
        })
    with open(folder / "bench_geometry.csv", "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    headline = {
        "n": n, "k": k, "representations": 7, "width": 50, "curvature": "forman", "mode": "union",
        "ricci_lit_s": rl.seconds, "speedup_vs_scipy_pipeline": ratio_a,
        "speedup_vs_networkx_pipeline": (base_b.seconds / rl.seconds) if base_b is not None else None,
        "networkx_representations_timed": base_b.layers_timed if base_b is not None else None,
        "memory": mem_rows, "agreement_checks": len(checks.lines), "agreement_failures": len(checks.failures),
        "loadavg_end": results.get("loadavg_end"), "command": "python benchmarks/bench_geometry.py "
        + " ".join(a for a in (sys.argv[1:] if args is not None else [])),
    }
    with open(folder / "bench_geometry.json", "w") as fh:
        json.dump({"headline": headline, "provenance": prov},
                  fh, indent=2, default=float)
    print(f"wrote {folder / 'bench_geometry.csv'} and {folder / 'bench_geometry.json'}")


if __name__ == "__main__":
    sys.exit(main())
