# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # From activations to graphs
#
# At every layer $l$ paper 1 turns the test set's representation $X^l$ (one row per test point)
# into a k-nearest-neighbour graph $G_k(X^l)$ and measures two things on it: the total curvature
# $\mathrm{Ric}_l$ (previous chapter) and the total geodesic distance $g_l$. This chapter is about
# the graph and the distances: the two kNN semantics the package offers, how hop distances are
# computed for all pairs at once, how connectivity depends on $k$, how paper 1 chose $k$, what goes
# wrong in the authors' R semantics when a ReLU layer collapses points, and how fast the package
# is.

# %% tags=["parameters"]
profile = "quick"  # "quick" (default) or "paper"
seed = 20240422  # seed of every random point cloud in the chapter
n_cloud = None  # points per cloud in the connectivity study (None: the profile value)
n_draws = None  # independent clouds per kind in the connectivity study (None: the profile value)
collapse_k = 10  # k of the collapsed-layer example
bench_n = 500  # size of the live timing
bench_k = 10  # k of the live timing
bench_repeats = 3  # the live timing reports the best of this many runs
bench_csv = "benchmarks/results/bench_geometry.csv"  # benchmark table, relative to the repository

# %% tags=["hide-input"]
import time

import numpy as np
import pandas as pd
from IPython.display import Markdown, display
from myst_nb import glue
from scipy.sparse.csgraph import shortest_path

import ricci_lit
from ricci_lit import book, plotting
from ricci_lit.geometry.distances import UNREACHABLE, components
from ricci_lit.experiments.paper1 import K_GRID_REAL, K_GRID_SYNTHETIC  # paper 1's k grids (P1 §3.2)

PROFILES = {"quick": {"n_cloud": 300, "n_draws": 6}, "paper": {"n_cloud": 1000, "n_draws": 36}}
setup = book.chapter_setup(profile, PROFILES, seed=seed, n_cloud=n_cloud, n_draws=n_draws)
n_cloud, n_draws, prov = int(setup["n_cloud"]), int(setup["n_draws"]), setup["provenance"]

# %% [markdown]
# ## Two kNN semantics
#
# Paper 1 says only that $E^l_k$ is "the set of edges in the k nearest neighbour graph" of
# $X^l$, with Euclidean distances and unit weights. It does not say whether the graph is directed,
# symmetrised or mutual, nor how ties are broken. {py:func}`~ricci_lit.geometry.knn.knn_graph` offers two answers.
#
# * `mode="union"` (the package's default and paper 2's construction): each point $i$ picks its
#   $k$ nearest other points, ties in distance broken by the lower point index, so exactly $k$ are
#   picked and the result is deterministic; the graph is the undirected union
#   $A \vee A^\top$ of these choices. No self loops, no multiple edges, every degree $\ge k$.
# * `mode="r-compat"` (the authors' R code, `cccd::nng` then `igraph`): a *directed* edge
#   $i \to j$ for every $j$ whose distance is at most the $k$-th smallest distance from $i$. Ties
#   are kept, so a point can have more than $k$ out-neighbours. The degree is in-degree plus
#   out-degree (igraph's `mode="all"`), so a mutual pair counts twice; Forman curvature is summed
#   over directed edges and hop distances ignore direction.
#
# Points on an integer lattice have many equal distances, which makes the difference visible.
# Below, {glue:text}`ch03_small_n` lattice points at $k =$ {glue:text}`ch03_small_k`.

# %% tags=["nbval-check-output"]
small_pts = np.array([[0, 0], [1, 0], [2, 0], [0, 1], [1, 1], [3, 1],
                      [0, 2], [2, 2], [3, 3], [1, 3]], dtype=float)
small_k = 2
small_union = ricci_lit.knn_graph(small_pts, small_k, mode="union")
small_r = ricci_lit.knn_graph(small_pts, small_k, mode="r-compat")
out_deg = small_r.out_degree
in_deg = small_r.in_degree
small_degrees = pd.DataFrame({
    "union degree": small_union.degree,
    "r-compat out-degree": out_deg,
    "r-compat in-degree": in_deg,
    "r-compat degree (in + out)": small_r.degree,
}).rename_axis("point")
assert (small_r.degree == out_deg + in_deg).all() and (small_union.degree >= small_k).all()
assert out_deg.max() > small_k  # ties were kept
glue("ch03_small_n", small_union.n, display=False)
glue("ch03_small_k", small_k, display=False)
glue("ch03_small_union_edges", small_union.n_edges, display=False)
glue("ch03_small_r_edges", small_r.n_edges, display=False)
glue("ch03_small_r_outmax", int(out_deg.max()), display=False)
glue("ch03_small_forman_union", ricci_lit.total_curvature(small_union), display=False)
glue("ch03_small_forman_r", ricci_lit.total_curvature(small_r), display=False)
small_degrees.T

# %%
fig_modes = plotting.knn_modes_figure(small_pts, {"union (undirected)": small_union,
                                                 "r-compat (directed, ties kept)": small_r})
glue("ch03_fig_modes", fig_modes, display=False)

# %% [markdown]
# ```{glue:figure} ch03_fig_modes
# :name: ch03-fig-modes
#
# The same ten lattice points at $k = 2$ in the two semantics; vertices are coloured by degree on
# one scale and labelled by index. Left: the union graph (undirected, ties broken by index).
# Right: the R code's directed graph, with every tied neighbour kept and degree = in + out.
# ```
#
# The union graph has {glue:text}`ch03_small_union_edges` undirected edges. The r-compat graph has
# {glue:text}`ch03_small_r_edges` directed edges, and one point has
# {glue:text}`ch03_small_r_outmax` out-neighbours although $k = 2$. The total Forman curvature is
# {glue:text}`ch03_small_forman_union:.0f` in the union graph and
# {glue:text}`ch03_small_forman_r:.0f` in r-compat semantics, where mutual pairs count twice and
# degrees are in + out.

# %% [markdown]
# ## Hop geodesics, all pairs at once
#
# The geodesic distance $\gamma_l(i,j)$ of paper 1 is the number of edges on a shortest path from
# $i$ to $j$ in $G_k(X^l)$, infinite between components, and $g_l = \sum_{i,j}\gamma_l(i,j)$ sums
# it over all ordered pairs (Eq. 7). A breadth-first search (BFS) from every vertex gives it, but
# $n$ separate searches in Python would be slow. The package runs all searches at once, 64
# sources per machine word: `F[v]` is a bit set over sources (bit $s$ set when $v$ is on the
# current frontier of the search from $s$) and `V[v]` the set of sources that have already reached
# $v$. One BFS level for all sources and all vertices is
#
# $$ N[v] = \Big(\bigvee_{u \sim v} F[u]\Big) \wedge \neg V[v], \qquad V \leftarrow V \vee N,
#    \qquad F \leftarrow N, $$
#
# for all vertices at once. The pairs first reached at level $t$ are the set bits of $N$, so
# $g = \sum_t t \cdot \mathrm{popcount}(N_t)$. A level costs $O(|E| \cdot n/64)$ word operations
# and there are as many levels as the diameter. The package has two implementations of this
# recursion. The NumPy reference, in {py:mod}`ricci_lit.geometry.distances`, computes a level with one
# `numpy.bitwise_or.reduceat` over the CSR neighbour lists:
#
# ```{literalinclude} ../../ricci_lit/geometry/distances.py
# :language: python
# :pyobject: _bfs_blocks
# ```
#
# When numba is installed (`engine="auto"`, the default), the same recursion runs as a compiled
# kernel in `ricci_lit.geometry._numba`, fused into one pass over the neighbour lists with popcounts
# done in registers, independent blocks of sources on threads; the test suite checks that both
# engines give identical results. On the machine that executed this page the default engine is
# {glue:md}`ch03_engine`. Up to 24 words of 64 sources per block it ORs whole rows of words:
#
# ```{literalinclude} ../../ricci_lit/geometry/_numba.py
# :language: python
# :pyobject: _bfs_block_dense
# ```
#
# Above that, `_bfs_block_sparse` first relabels the vertices in reverse Cuthill–McKee order, so that
# sources close in the graph share words, and keeps for every vertex the list of its frontier's
# non-empty words; a level then ORs only those (a word is on a vertex's frontier for a few levels
# only), 2–3× faster from a few thousand points on.
#
# The totals are accumulated from either engine, with the connectivity reported beside them so
# that an infinite $g_l$ is never silently dropped:
#
# ```{literalinclude} ../../ricci_lit/geometry/distances.py
# :language: python
# :pyobject: hop_distance_totals
# ```
#
# With both engines, the distances agree with SciPy's breadth-first shortest paths on the lattice
# example and on a random cloud (checked in the next cell).

# %%
engines = ["numpy"] + (["numba"] if ricci_lit.resolve_engine("auto") == "numba" else [])
glue("ch03_engine", Markdown(f"`{ricci_lit.resolve_engine('auto')}`"), display=False)
rng = np.random.default_rng(seed)
check_graphs = {"lattice, union": small_union, "lattice, r-compat": small_r,
                "random cloud, k = 5": ricci_lit.knn_graph(rng.normal(size=(200, 3)), 5)}
for name, g in check_graphs.items():
    ref = shortest_path(g.adjacency, unweighted=True, directed=False)
    ref = np.where(np.isinf(ref), UNREACHABLE, ref).astype(np.int64)
    for engine in engines:
        assert np.array_equal(ricci_lit.hop_distance_matrix(g, engine=engine), ref), (name, engine)
        assert ricci_lit.hop_distance_totals(g, engine=engine).finite_total == int(ref[ref > 0].sum())
print(f"hop distances identical to scipy on {len(check_graphs)} graphs, engines {engines}")

# %% [markdown]
# ## Connectivity depends on k
#
# $g_l$ is finite only when $G_k(X^l)$ is connected, and paper 1 excludes every network with a
# disconnected layer graph at the chosen $k$ (134 of 1,361 networks, P1 §3.3). How large must $k$
# be? It depends on the geometry of the cloud. Below, {glue:text}`ch03_n_draws` independent clouds
# of {glue:text}`ch03_n_cloud` points of three kinds, each in three dimensions: uniform in a cube;
# two interleaved noisy spirals (a stand-in for what a hidden layer sees of dataset A); and three
# well-separated Gaussian clusters, the geometry a trained network creates when it separates
# classes. For $k = 1, \dots, 5$ and every $k$ of paper 1's synthetic grid, the package builds all
# graphs from one neighbour sort per cloud ({py:func}`~ricci_lit.geometry.knn.knn_graphs`) and counts the connected
# components.

# %% tags=["nbval-check-output"]
def cloud(kind, n, rng):
    if kind == "uniform cube":
        return rng.uniform(size=(n, 3))
    if kind == "two spirals":
        t = rng.uniform(0.5, 3.0 * np.pi, size=n)
        arm = rng.integers(0, 2, size=n)
        angle = t + np.pi * arm
        return np.column_stack([t * np.cos(angle), t * np.sin(angle),
                                rng.uniform(0.0, 4.0, size=n)]) + rng.normal(0.0, 0.2, size=(n, 3))
    if kind == "three clusters":
        centres = np.array([[0.0, 0.0, 0.0], [8.0, 0.0, 0.0], [0.0, 8.0, 0.0]])
        return centres[rng.integers(0, 3, size=n)] + rng.normal(size=(n, 3))
    raise ValueError(kind)


kinds = ["uniform cube", "two spirals", "three clusters"]
ks = [1, 2, 3, 4, 5] + [k for k in K_GRID_SYNTHETIC if k < n_cloud]  # below the grid, then the grid
records = []
for kind in kinds:
    for draw in range(n_draws):
        X = cloud(kind, n_cloud, np.random.default_rng([seed, kinds.index(kind), draw]))
        for g in ricci_lit.knn_graphs(X, ks):
            records.append({"cloud": kind, "draw": draw, "k": g.k, "components": components(g)[0]})
conn = (pd.DataFrame(records)
        .assign(connected=lambda d: d["components"] == 1)
        .groupby(["cloud", "k"], sort=False)
        .agg(fraction_connected=("connected", "mean"), mean_components=("components", "mean"))
        .reset_index())
smallest_connected = {kind: int(sub.loc[sub["fraction_connected"] == 1, "k"].min())
                      for kind, sub in conn.groupby("cloud")
                      if (sub["fraction_connected"] == 1).any()}
assert len(conn) == len(kinds) * len(ks)
assert conn["mean_components"].min() >= 1
for kind in kinds:
    key = kind.replace(" ", "_")
    value = smallest_connected.get(kind)
    glue(f"ch03_kconn_{key}", Markdown(f"k = {value}" if value else f"no k ≤ {max(ks)}"), display=False)
glue("ch03_components_k1", float(conn.loc[conn["k"] == 1, "mean_components"].mean()), display=False)
glue("ch03_n_draws", n_draws, display=False)
glue("ch03_n_cloud", n_cloud, display=False)
# the qualitative statement of the text: clustered clouds need the largest k
assert smallest_connected.get("three clusters", np.inf) > max(smallest_connected.get(c, np.inf)
                                                              for c in kinds[:2])
conn.pivot(index="k", columns="cloud", values="fraction_connected")[kinds].round(2)

# %%
fig_conn = plotting.connectivity_figure(conn, hue="cloud")
glue("ch03_fig_connectivity", fig_conn, display=False)

# %% [markdown]
# ```{glue:figure} ch03_fig_connectivity
# :name: ch03-fig-connectivity
#
# Connectivity of union kNN graphs against $k$ ($k \le 5$, then paper 1's synthetic grid) for
# three kinds of point cloud. Left: fraction of the clouds whose graph is connected. Right: mean number of
# connected components.
# ```
#
# Every uniform cloud is connected from {glue:md}`ch03_kconn_uniform_cube`, every
# spiral cloud from {glue:md}`ch03_kconn_two_spirals`, but the clustered clouds only from
# {glue:md}`ch03_kconn_three_clusters`: a cluster's points are each other's nearest
# neighbours until $k$ approaches the cluster size. At $k = 1$ a graph is a forest with about
# {glue:text}`ch03_components_k1:.0f` components on average (over all clouds). Because a trained network gathers each class
# into a tight cluster in its last hidden layers, small $k$ disconnects exactly the layers that
# matter most, and the smallest usable $k$ grows with training.

# %% [markdown]
# ## How paper 1 chose k
#
# Paper 1 (§3.2) scans a grid of $k$ "from the smallest $k$ that ensures $G_k(X_{\rm test})$ is a
# single connected component, up to at least ~20% of the test data set size", and for each
# (dataset, width, depth) keeps the $k$ with the most negative *aggregated* coefficient (next
# chapter). The grids, as the package stores them (`ricci_lit.experiments.paper1.K_GRID_SYNTHETIC` and
# `K_GRID_REAL`), are:

# %% tags=["nbval-check-output"]
grids = pd.DataFrame({
    "data": ["synthetic A, B, C", "MNIST, fMNIST"],
    "test points": [1000, 1932],  # P1 §3.1: synthetic test sets; the smallest image test set (6 vs 8)
    "k grid (P1 §3.2)": [", ".join(map(str, K_GRID_SYNTHETIC)), ", ".join(map(str, K_GRID_REAL))],
    "largest k": [max(K_GRID_SYNTHETIC), max(K_GRID_REAL)],
}).set_index("data")
grids["largest k / test points"] = (grids["largest k"] / grids["test points"]).round(3)
glue("ch03_grid_n_syn", int(grids["test points"].iloc[0]), display=False)
glue("ch03_grid_n_img", int(grids["test points"].iloc[1]), display=False)
glue("ch03_grid_frac_syn", float(grids["largest k / test points"].iloc[0]), display=False)
glue("ch03_grid_frac_img", float(grids["largest k / test points"].iloc[1]), display=False)
grids

# %% [markdown]
# The synthetic grid ends at {glue:text}`ch03_grid_frac_syn:.0%` of the
# {glue:text}`ch03_grid_n_syn:,d` test points; the image grid ends at
# {glue:text}`ch03_grid_frac_img:.1%` of the smallest image test set
# ({glue:text}`ch03_grid_n_img:,d` points, MNIST 6 vs 8), a little above the "~20%" of the text. Choosing $k$ by the most negative
# coefficient on the same networks makes negative coefficients partly a matter of construction,
# which paper 1 concedes; the book reports the coefficient over the whole grid, not only at the
# chosen $k$.

# %% [markdown]
# ## When a ReLU layer collapses points
#
# A ReLU layer maps every point whose pre-activations are all negative to the same vector, zero.
# Such duplicates are all at distance 0 from each other, so in r-compat semantics each of them has
# every other duplicate among its "$k$ nearest" (ties are kept), and in-degrees grow with the
# number of duplicates, not with $k$. The union semantics still picks exactly $k$ per point. The
# example below is one random ReLU layer of width 8 applied to {glue:text}`ch03_collapse_n`
# Gaussian points with a negative bias, so that {glue:text}`ch03_collapse_zeros` of them land on
# the origin; both graphs are built at $k =$ {glue:text}`ch03_collapse_k` and summarised by the
# package's {py:func}`~ricci_lit.geometry.coefficients.geometry_table`.

# %% tags=["nbval-check-output"]
rng = np.random.default_rng([seed, 7])
X_in = rng.normal(size=(400, 3))
W = rng.normal(size=(3, 8))
H = np.maximum(X_in @ W - 0.8, 0.0)  # one ReLU layer with a negative bias
n_zero = int((H == 0).all(axis=1).sum())
tables = {mode: ricci_lit.geometry_table([H], [collapse_k], mode=mode) for mode in ricci_lit.MODES}
collapse = pd.concat(tables, names=["mode"]).reset_index(level=0).set_index("mode")
graphs_c = {mode: ricci_lit.knn_graph(H, collapse_k, mode=mode) for mode in ricci_lit.MODES}
collapse["max degree"] = [int(graphs_c[m].degree.max()) for m in collapse.index]
collapse = collapse[["n_distinct", "n_edges", "max degree", "ric", "g", "connected", "diameter"]]

assert n_zero > collapse_k + 1
assert collapse.loc["union", "max degree"] < collapse.loc["r-compat", "max degree"]
assert collapse.loc["r-compat", "max degree"] >= 2 * (n_zero - 1)
glue("ch03_collapse_n", H.shape[0], display=False)
glue("ch03_collapse_zeros", n_zero, display=False)
glue("ch03_collapse_k", collapse_k, display=False)
glue("ch03_collapse_distinct", int(collapse.loc["union", "n_distinct"]), display=False)
for mode in ricci_lit.MODES:
    key = mode.replace("-", "_")
    glue(f"ch03_collapse_maxdeg_{key}", int(collapse.loc[mode, "max degree"]), display=False)
    glue(f"ch03_collapse_ric_{key}", float(collapse.loc[mode, "ric"]), display=False)
glue("ch03_collapse_ric_ratio", float(collapse.loc["r-compat", "ric"] / collapse.loc["union", "ric"]),
     display=False)
collapse

# %%
fig_deg = plotting.degree_distribution_figure(
    {mode: graphs_c[mode].degree for mode in ricci_lit.MODES}, k=collapse_k)
glue("ch03_fig_collapse_degrees", fig_deg, display=False)

# %% [markdown]
# ```{glue:figure} ch03_fig_collapse_degrees
# :name: ch03-fig-collapse-degrees
#
# Degree distributions of the kNN graphs of a collapsed ReLU layer (many points mapped to the
# origin) in the two semantics; counts on a log scale, the dotted line marks $k$.
# ```
#
# Only {glue:text}`ch03_collapse_distinct` of the {glue:text}`ch03_collapse_n` points are distinct.
# In r-compat semantics every duplicate is joined to every other duplicate in both directions, so
# the largest degree is {glue:text}`ch03_collapse_maxdeg_r_compat`, at least twice the number of
# other duplicates. The union graph is not immune either: ties are broken by index, so every
# duplicate picks the same $k$ lowest-indexed duplicates, which become hubs of degree
# {glue:text}`ch03_collapse_maxdeg_union`. But it keeps exactly $k$ choices per point, and since
# the total Forman curvature is $4|E| - \sum_v d_v^2$ the two totals differ by a factor of
# {glue:text}`ch03_collapse_ric_ratio:.1f`: {glue:text}`ch03_collapse_ric_r_compat:.3g` in
# r-compat semantics against {glue:text}`ch03_collapse_ric_union:.3g` in the union graph. In the
# R code this blow-up tracks how many test points a layer kills rather than any geometry. The package keeps both semantics so the book can
# show the difference, flags such layers (`KnnGraph.collapsed`, and a `CollapsedLayerWarning` from
# {py:func}`~ricci_lit.geometry.coefficients.ricci_coefficient` when fewer than $k + 1$ distinct points remain), and uses the union
# graph by default.

# %% [markdown]
# ## How ricci_lit computes it fast
#
# Three choices make the per-layer totals cheap. First, one neighbour sort per representation
# serves every $k$ of a grid: each row's candidates are sorted once by (distance, index) and the
# graph for any $k$ is a prefix ({py:func}`~ricci_lit.geometry.knn.neighbour_table`). Second, the total Forman
# curvature never loops over edges: it is $4|E| - \sum_v d_v^2$. Third, the hop distances come
# from the bit-parallel BFS above, and on a GPU the torch path (`ricci_lit.geometry._torch`) runs the same
# BFS as batched matrix products for all layers at once.
#
# ### Benchmark table
#
# {glue:md}`ch03_bench_status`

# %% tags=["hide-input"]
# read from the repository holding the installed package, whatever the working directory
benchmark = book.read_benchmark(bench_csv)
bench, BENCH_CSV = benchmark.table, benchmark.path
if bench is not None:
    prov_b = benchmark.meta.get("provenance", benchmark.meta)
    where = ", ".join(f"{key} `{prov_b[key]}`" for key in ("git_sha", "device", "platform", "created_utc")
                      if key in prov_b) or "no provenance file"
    status = (f"The table below is read from `{BENCH_CSV}`, written by `benchmarks/bench_geometry.py` "
              f"({len(bench)} rows; {where}). Times are in seconds; `speedup_a` is the baseline's "
              "time divided by ricci_lit's.")
else:
    status = (f"**No benchmark results are present in this build:** `{BENCH_CSV}` does not exist. "
              "Run `benchmarks/bench_geometry.py` (see `benchmarks/README.md`) to produce it and rebuild "
              "the book; the live timing in the next section is measured every time the chapter runs.")
glue("ch03_bench_status", Markdown(status), display=False)
display(bench if bench is not None else Markdown("*(no benchmark table)*"))

# %% [markdown]
# ### A live timing
#
# So that this page always carries a measured number, the chapter times one small case itself,
# on whatever machine executes it: the total hop distance $g$ of a union kNN graph of
# {glue:text}`ch03_bench_n` Gaussian points at $k =$ {glue:text}`ch03_bench_k`, by
# {py:func}`~ricci_lit.geometry.distances.hop_distance_totals` (each available engine) and by SciPy's all-pairs Dijkstra
# (`scipy.sparse.csgraph.shortest_path(method="D", unweighted=True)`) followed by a sum, best of
# {glue:text}`ch03_bench_repeats` runs each (so a one-off compilation is not counted).

# %%
Xb = np.random.default_rng([seed, 11]).normal(size=(bench_n, 3))
gb = ricci_lit.knn_graph(Xb, bench_k)


def best_time(fn, repeats):
    best, value = float("inf"), None
    for _ in range(repeats):
        t0 = time.perf_counter()
        value = fn()
        best = min(best, time.perf_counter() - t0)
    return best, value


t_base, d_base = best_time(
    lambda: shortest_path(gb.adjacency, method="D", unweighted=True, directed=False), bench_repeats)
rows = []
for engine in engines:
    t_eng, tot = best_time(lambda: ricci_lit.hop_distance_totals(gb, engine=engine), bench_repeats)
    assert tot.connected and tot.total == float(d_base.sum())
    rows.append({"method": f"ricci_lit, engine={engine!r}", "seconds": t_eng, "speedup vs scipy": t_base / t_eng})
rows.append({"method": "scipy Dijkstra + sum", "seconds": t_base, "speedup vs scipy": 1.0})
live = pd.DataFrame(rows).set_index("method")
t_ours = float(live.loc[f"ricci_lit, engine={ricci_lit.resolve_engine('auto')!r}", "seconds"])
glue("ch03_bench_n", bench_n, display=False)
glue("ch03_bench_k", bench_k, display=False)
glue("ch03_bench_repeats", bench_repeats, display=False)
glue("ch03_live_ours_ms", 1e3 * t_ours, display=False)
glue("ch03_live_base_ms", 1e3 * t_base, display=False)
glue("ch03_live_speedup", t_base / t_ours, display=False)
glue("ch03_g_live", int(d_base.sum()), display=False)
print(f"n = {bench_n}, k = {bench_k}, g = {int(d_base.sum())}; measured on {prov['platform']}, "
      f"python {prov['python']}, at {prov['created_utc']}")
live

# %% [markdown]
# All give the same total, $g =$ {glue:text}`ch03_g_live:,d`. On the machine that executed this
# page, ricci_lit with its default engine took {glue:text}`ch03_live_ours_ms:.1f` ms and the SciPy
# baseline {glue:text}`ch03_live_base_ms:.1f` ms, a factor of {glue:text}`ch03_live_speedup:.1f`
# (a single small case, measured live; the benchmark table above, when present, is the systematic
# comparison). The next chapter puts curvature and
# distance together into paper 1's Ricci flow coefficient.
