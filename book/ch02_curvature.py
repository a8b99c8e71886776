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
# # Ricci flow and its discrete analogues
#
# Paper 1 asks whether a trained network moves its data the way Ricci flow moves a Riemannian
# metric: contracting where the space is positively curved and expanding where it is negatively
# curved. This chapter recalls the smooth flow, defines the four discrete curvatures that
# `ricci_lit` computes on graphs, works them out on small graphs whose answers can be checked by
# hand, and compares them on a k-nearest-neighbour graph of a point cloud.

# %% tags=["parameters"]
profile = "quick"  # "quick" (default) or "paper"
seed = 20240422  # seed of the point cloud of the last section
n_points = None  # size of that point cloud (None: the profile value)
k = 10  # neighbourhood size of its kNN graph

# %% tags=["hide-input"]
import networkx as nx
import numpy as np
import pandas as pd
from myst_nb import glue

import ricci_lit
from ricci_lit import book, plotting

PROFILES = {"quick": {"n_points": 300}, "paper": {"n_points": 1000}}
n_points = int(book.chapter_setup(profile, PROFILES, seed=seed, n_points=n_points, k=k)["n_points"])

# %% [markdown]
# ## Hamilton's Ricci flow
#
# Ricci flow deforms a Riemannian metric $g$ on a manifold $M$ by its own Ricci curvature
# (Hamilton 1982),
#
# $$ \frac{\partial g}{\partial t} = -2\,\mathrm{Ric}(g). $$
#
# The Ricci curvature $\mathrm{Ric}(v, v)$ in a direction $v$ measures how the volume of a thin
# cone of geodesics around $v$ deviates from its Euclidean value: it is positive when geodesics
# converge (the volume is smaller, as on a sphere) and negative when they diverge (as on a
# saddle or in hyperbolic space). The flow therefore *shrinks* lengths in positively curved
# directions and *stretches* them in negatively curved ones.
#
# **The round sphere shrinks.** On the sphere $S^n$ of radius $r$, $g = r^2 g_1$ with $g_1$ the
# unit-sphere metric and $\mathrm{Ric}(g) = (n-1)\,g_1$, independent of $r$. Inserting the
# ansatz $g(t) = r(t)^2 g_1$ gives $\tfrac{d}{dt} r^2 = -2(n-1)$, so
#
# $$ r(t)^2 = r_0^2 - 2(n-1)\,t , $$
#
# and the sphere collapses to a point at the finite time $T = r_0^2 / (2(n-1))$, staying round.
# Hyperbolic space, with $\mathrm{Ric} = -(n-1)\,g_1$, expands for ever: $r(t)^2 = r_0^2 + 2(n-1)t$.
#
# **A dumbbell's neck pinches.** Join two round spheres $S^n$ ($n \ge 3$) by a thin cylinder
# $S^{n-1} \times I$. The small cross-sections of the neck have large positive curvature, of
# order $(n-2)/\rho^2$ for neck radius $\rho$, so they shrink much faster than the two bells, and
# the neck pinches off in finite time while the bells are still large (the *neckpinch* of
# Angenent and Knopf, 2004). Ricci flow separates the two lobes of the dumbbell.
#
# Paper 1 transfers the picture to a network: the test data at hidden layer $l$ is a point cloud,
# its k-nearest-neighbour graph carries a discrete curvature, and the next layer should contract
# the graph where the curvature is positive and expand it where the curvature is negative.
# Everything below is about which discrete curvature to use and what it measures.

# %% [markdown]
# ## Forman's curvature of a weighted graph
#
# Forman (2003) defined a Ricci curvature for weighted cell complexes. For a graph with vertex
# weights $W_i$ and edge weights $\omega_{ij}$, paper 1 (Eq. 3) uses, for an edge $(i, j)$,
#
# $$ R(i,j) = W_i + W_j - \omega_{ij}^{1/2}\Big[\, W_i \sum_{k \ne j,\ k \sim i} \omega_{ik}^{-1/2}
#    + W_j \sum_{k \ne i,\ k \sim j} \omega_{kj}^{-1/2} \Big], $$
#
# where $k \sim i$ runs over the neighbours of $i$ (the formula is defined for edges only).
# The kNN graphs of paper 1 are unweighted: $W_i = 1$ and $\omega_{ij} = 1$. The first sum then
# counts the edges at $i$ other than $(i, j)$, which is $\deg i - 1$, and the second counts
# $\deg j - 1$, so
#
# $$ R(i,j) = 1 + 1 - \big[(\deg i - 1) + (\deg j - 1)\big] = 4 - \deg i - \deg j
#    \qquad \text{(paper 1, Eq. 4).} $$
#
# The curvature of an edge is large (near 4) when both endpoints have few other edges and very
# negative when they are hubs. Three further curvatures used by paper 2 are also in the package.
# Write $d_i = \deg i$ and $t = t(i,j) = |N(i) \cap N(j)|$ for the number of triangles on the
# edge (the common neighbours, $t = (A^2)_{ij}$ for the adjacency matrix $A$):
#
# * **Augmented Forman** adds the 2-cells (triangles) that Forman's construction allows:
#   $AF(i,j) = 4 - d_i - d_j + 3t$. Triangles make an edge less negative.
# * **Ollivier** (2009) compares the neighbourhoods of the endpoints by optimal transport:
#   $\kappa(i,j) = 1 - W_1(\mu_i, \mu_j)$, where $\mu_x$ is the uniform probability on the
#   neighbours of $x$ and $W_1$ the Wasserstein distance with the hop distance as ground cost.
#   When the two neighbourhoods overlap or are close, little mass moves and $\kappa > 0$;
#   when they are far apart (a bridge) transport is expensive and $\kappa < 0$. The package
#   solves one exact transport problem per edge with POT's `emd2`.
# * **Approximate Ollivier** (Tian, Lubberts and Weber 2023) replaces the transport problem by
#   the mean of the Jost–Liu (2014) lower and upper bounds, which need only $d_i$, $d_j$ and $t$:
#
#   $$ \hat\kappa(i,j) = \frac{t}{d_i \vee d_j}
#      - \frac12\Big[\Big(1 - \tfrac1{d_i} - \tfrac1{d_j} - \tfrac{t}{d_i \wedge d_j}\Big)_+
#      + \Big(1 - \tfrac1{d_i} - \tfrac1{d_j} - \tfrac{t}{d_i \vee d_j}\Big)_+\Big]. $$
#
# This is the package's implementation of all four, {py:func}`~ricci_lit.geometry.curvature.edge_curvature`; the
# triangle counts come from bit-packed neighbour sets ({py:func}`~ricci_lit.geometry.curvature.triangles`) and the
# Ollivier curvature from `_ollivier` in the same module.
#
# ```{literalinclude} ../../ricci_lit/geometry/curvature.py
# :language: python
# :pyobject: edge_curvature
# ```

# %% [markdown]
# ## Worked examples on small graphs
#
# Five graphs with known geometry: a cycle (flat: every vertex looks the same and nothing
# branches), a complete graph (a clique, the most "spherical" graph), a star (a tree, the most
# "hyperbolic"), a square grid, and a barbell: two cliques joined by a single edge, the discrete
# dumbbell. {py:func}`~ricci_lit.geometry.knn.graph_from_adjacency` wraps each networkx graph in the package's graph type
# so that every curvature function applies to it.

# %% tags=["nbval-check-output"]
examples = {
    "cycle C8": (nx.cycle_graph(8), "circular"),
    "complete K6": (nx.complete_graph(6), "circular"),
    "star S7": (nx.star_graph(7), "star"),
    "grid 4×4": (nx.grid_2d_graph(4, 4), "grid"),
    "barbell 2×K5": (nx.barbell_graph(5, 0), "spring"),
}


def layout(G, how):
    """2-D positions of a graph whose nodes are 0..n-1 (attribute 'orig' holds the old labels)."""
    if how == "circular":
        return nx.circular_layout(G)
    if how == "star":
        return nx.shell_layout(G, [[0], list(range(1, G.number_of_nodes()))])
    if how == "grid":
        return {v: np.array(G.nodes[v]["orig"], dtype=float) for v in G}
    return nx.spring_layout(G, seed=seed)


small = {}
for name, (G, how) in examples.items():
    G = nx.convert_node_labels_to_integers(G, ordering="sorted", label_attribute="orig")
    graph = ricci_lit.graph_from_adjacency(G)
    small[name] = {
        "graph": graph,
        "pos": layout(G, how),
        "curv": {c: ricci_lit.edge_curvature(graph, c) for c in ricci_lit.CURVATURES},
    }

rows = []
for name, item in small.items():
    g = item["graph"]
    row = {"graph": name, "vertices": g.n, "edges": g.n_edges}
    for c, v in item["curv"].items():
        row[f"{c} min"] = v.min()
        row[f"{c} max"] = v.max()
    rows.append(row)
small_table = pd.DataFrame(rows).set_index("graph")
small_table.round(3)

# %% [markdown]
# The table lists, for every graph, the smallest and largest edge curvature of each kind. The
# figure colours every edge by its Forman curvature on one common scale.

# %%
gallery = plotting.curvature_gallery_figure(
    [(name, item["graph"], item["pos"], item["curv"]["forman"]) for name, item in small.items()],
    ncols=5, label="Forman curvature 4 − deg i − deg j")
glue("ch02_fig_small_graphs", gallery, display=False)

# %% [markdown]
# ```{glue:figure} ch02_fig_small_graphs
# :name: ch02-fig-small-graphs
#
# Five small graphs with every edge coloured by its Forman curvature (red negative, blue positive,
# white zero). The cycle is flat, the clique and the star are uniformly negative (every edge of
# $K_6$ joins two vertices of degree 5), and in the barbell the bridge between the two cliques is
# the most negative edge: the discrete neck.
# ```

# %%
bar = small["barbell 2×K5"]
bar_edges = bar["graph"].edges
bar_deg = bar["graph"].degree
bridge = int(np.flatnonzero((bar_deg[bar_edges[:, 0]] == 5) & (bar_deg[bar_edges[:, 1]] == 5))[0])
for c in ricci_lit.CURVATURES:
    glue(f"ch02_bridge_{c.replace('-', '_')}", float(bar["curv"][c][bridge]), display=False)
    glue(f"ch02_bell_max_{c.replace('-', '_')}", float(np.delete(bar["curv"][c], bridge).max()), display=False)
    glue(f"ch02_bell_min_{c.replace('-', '_')}", float(np.delete(bar["curv"][c], bridge).min()), display=False)
k6 = small["complete K6"]["curv"]
for c in ricci_lit.CURVATURES:
    glue(f"ch02_k6_{c.replace('-', '_')}", float(k6[c][0]), display=False)
glue("ch02_star_forman", float(small["star S7"]["curv"]["forman"][0]), display=False)
glue("ch02_star_ollivier", float(small["star S7"]["curv"]["ollivier"].mean()), display=False)
glue("ch02_cycle_ollivier", float(small["cycle C8"]["curv"]["ollivier"].mean()), display=False)

# Hand-checkable values (derived in the text below).
assert np.all(small["cycle C8"]["curv"]["forman"] == 0)
assert np.all(k6["forman"] == 4 - 5 - 5) and np.all(k6["augmented-forman"] == -6 + 3 * 4)
assert np.allclose(k6["ollivier"], 1 - 1 / 5)
assert np.all(small["star S7"]["curv"]["forman"] == 4 - 7 - 1)
for c in ricci_lit.CURVATURES:  # the bridge is the most negative edge of the barbell
    assert bar["curv"][c][bridge] == bar["curv"][c].min()
    assert bar["curv"][c][bridge] < np.delete(bar["curv"][c], bridge).min()

# %% [markdown]
# These values can be checked by hand:
#
# * **Cycle.** Every vertex has degree 2, so $F = 4 - 2 - 2 = 0$ and no edge lies on a triangle
#   ($AF = 0$). For the Ollivier curvature, $\mu_i$ puts mass $\tfrac12$ on $i-1$ and on
#   $i+1 = j$, $\mu_j$ on $i$ and $j+1$; moving each half one step costs $W_1 = 1$, so
#   $\kappa =$ {glue:text}`ch02_cycle_ollivier:.1f`. The cycle is flat.
# * **Clique $K_6$.** $F = 4 - 5 - 5 =$ {glue:text}`ch02_k6_forman:.0f`, although a clique is the
#   graph analogue of a sphere: plain Forman curvature only sees degrees. Each edge lies on 4
#   triangles, so $AF = -6 + 12 =$ {glue:text}`ch02_k6_augmented_forman:.0f`. The two
#   neighbourhoods share 4 of their 5 points and only mass $\tfrac15$ has to move one step:
#   $\kappa = 1 - \tfrac15 =$ {glue:text}`ch02_k6_ollivier:.2f`
#   (the approximation gives {glue:text}`ch02_k6_approx_ollivier:.2f`).
# * **Star $S_7$.** Centre of degree 7, leaves of degree 1: $F = 4 - 7 - 1 =$
#   {glue:text}`ch02_star_forman:.0f`. The leaf's measure sits on the centre and the centre's is
#   spread over the leaves, each one step from the centre: $\kappa =$
#   {glue:text}`ch02_star_ollivier:.1f`, the value of a tree edge between a hub and a leaf.
# * **Barbell.** Edges inside a bell have $F$ between {glue:text}`ch02_bell_min_forman:.0f` and
#   {glue:text}`ch02_bell_max_forman:.0f`, but the bridge joins the two vertices of degree 5 and
#   lies on no triangle:
#   $F =$ {glue:text}`ch02_bridge_forman:.0f`, $AF =$ {glue:text}`ch02_bridge_augmented_forman:.0f`,
#   $\kappa =$ {glue:text}`ch02_bridge_ollivier:.2f` (approximate:
#   {glue:text}`ch02_bridge_approx_ollivier:.2f`). All four curvatures single out the bridge as the
#   most negative edge. A discrete Ricci flow on edge weights that lengthens negatively curved
#   edges (the basis of curvature-based community detection, Ni et al. 2019) stretches the bridge
#   and splits the barbell into its two bells: the graph version of the neckpinch.

# %% [markdown]
# ## Total Forman curvature is a degree statistic
#
# Paper 1 sums the curvature over all edges of a layer's graph,
# $\mathrm{Ric}_l = \sum_{(i,j) \in E} R(i,j)$ (Eq. 6). With unit weights this sum has a closed
# form. Each vertex $v$ is an endpoint of $d_v$ edges and contributes $-d_v$ to each of them, so
#
# $$ \sum_{(i,j) \in E} (4 - d_i - d_j) = 4|E| - \sum_{v} \sum_{e \ni v} d_v = 4|E| - \sum_v d_v^2 . $$
#
# The total Forman curvature is therefore minus the sum of squared degrees, shifted by four times
# the number of edges: a measure of degree heterogeneity (hubness). In a union kNN graph every
# vertex has degree at least $k$ and $|E|$ is at most $nk$, so the total is driven by how unequal
# the in-degrees are. The identity is checked below on every example with the package's
# {py:func}`~ricci_lit.geometry.curvature.total_curvature`.

# %% tags=["nbval-check-output"]
identity = pd.DataFrame([
    {"graph": name,
     "sum of F(e) (ricci_lit)": ricci_lit.total_curvature(item["graph"], "forman"),
     "4|E| - sum d^2": 4 * item["graph"].n_edges - int((item["graph"].degree ** 2).sum())}
    for name, item in small.items()
]).set_index("graph")
identity["difference"] = identity.iloc[:, 0] - identity.iloc[:, 1]
assert (identity["difference"] == 0).all()
identity

# %% [markdown]
# ## Four curvatures on one kNN graph
#
# The small graphs are extreme cases. On a k-nearest-neighbour graph of a point cloud, as paper 1
# builds at every layer, the four curvatures can disagree. The cloud here has
# {glue:text}`ch02_n_points` points in three dimensions drawn from two Gaussian clusters, one
# tight (two thirds of the points) and one diffuse, and its union kNN graph at
# $k =$ {glue:text}`ch02_k` has {glue:text}`ch02_knn_edges` edges.

# %%
rng = np.random.default_rng(seed)
n_tight = 2 * n_points // 3
cloud = np.vstack([rng.normal(0.0, 0.5, size=(n_tight, 3)),
                   rng.normal(0.0, 1.5, size=(n_points - n_tight, 3)) + np.array([3.0, 0.0, 0.0])])
knn = ricci_lit.knn_graph(cloud, k)
curv = pd.DataFrame({c: ricci_lit.edge_curvature(knn, c) for c in ricci_lit.CURVATURES})
pearson = curv.corr(method="pearson")
spearman = curv.corr(method="spearman")

glue("ch02_n_points", n_points, display=False)
glue("ch02_k", k, display=False)
glue("ch02_knn_edges", knn.n_edges, display=False)
glue("ch02_knn_total", ricci_lit.total_curvature(knn, "forman"), display=False)
glue("ch02_knn_degree_max", int(knn.degree.max()), display=False)
degree_sum = knn.degree[knn.edges[:, 0]] + knn.degree[knn.edges[:, 1]]  # d_i + d_j on every edge
triangle_term = 3 * ricci_lit.triangles(knn)  # 3 t(i, j) on every edge
glue("ch02_sd_degree_sum", float(degree_sum.std()), display=False)
glue("ch02_sd_triangle_term", float(triangle_term.std()), display=False)
for a, b in [("forman", "augmented-forman"), ("forman", "ollivier"),
             ("approx-ollivier", "ollivier"), ("augmented-forman", "ollivier")]:
    glue(f"ch02_r_{a}_{b}".replace("-", "_"), float(pearson.loc[a, b]), display=False)
    glue(f"ch02_s_{a}_{b}".replace("-", "_"), float(spearman.loc[a, b]), display=False)

# the identity on a kNN graph, in both semantics (r-compat: directed edges, in+out degree)
knn_r = ricci_lit.knn_graph(cloud, k, mode="r-compat")
for g in (knn, knn_r):
    assert ricci_lit.total_curvature(g, "forman") == 4 * g.n_edges - int((g.degree ** 2).sum())
assert np.isfinite(curv.to_numpy()).all() and (curv["ollivier"] <= 1).all()
# the qualitative statements of the text below
assert abs(pearson.loc["forman", "ollivier"]) < 0.5
assert pearson.loc["augmented-forman", "ollivier"] > pearson.loc["forman", "ollivier"] + 0.3
assert pearson.loc["approx-ollivier", "ollivier"] > 0.7
assert pearson.loc["augmented-forman", "ollivier"] > pearson.loc["forman", "augmented-forman"]
assert triangle_term.std() > degree_sum.std()
pd.concat({"Pearson": pearson, "Spearman": spearman}, axis=0).round(2)

# %%
comparison = plotting.curvature_comparison_figure(curv, seed=seed)
glue("ch02_fig_comparison", comparison, display=False)

# %% [markdown]
# ```{glue:figure} ch02_fig_comparison
# :name: ch02-fig-comparison
#
# The four edge curvatures of the union kNN graph of the two-cluster cloud, one point per edge.
# Lower triangle: pairwise scatter; diagonal: histograms; upper triangle: Pearson $r$ and
# Spearman $\rho_s$ over all edges.
# ```
#
# Plain Forman curvature is nearly unrelated to the Ollivier curvature on this graph (Pearson
# $r =$ {glue:text}`ch02_r_forman_ollivier:.2f`, Spearman {glue:text}`ch02_s_forman_ollivier:.2f`)
# and only weakly related even to augmented Forman ($r =$
# {glue:text}`ch02_r_forman_augmented_forman:.2f`). It ranks edges by the degrees of their
# endpoints only, and in a kNN graph the degrees vary little (every vertex has at least $k$
# neighbours), while the number of triangles on an edge varies a lot: over the edges, $d_i + d_j$
# has standard deviation {glue:text}`ch02_sd_degree_sum:.1f` and the triangle term $3t$
# {glue:text}`ch02_sd_triangle_term:.1f`. The triangle term therefore
# dominates augmented Forman, which follows the Ollivier curvature closely ($r =$
# {glue:text}`ch02_r_augmented_forman_ollivier:.2f`): both measure how much the neighbourhoods of
# the two endpoints overlap. The approximate Ollivier curvature tracks the exact one ($r =$
# {glue:text}`ch02_r_approx_ollivier_ollivier:.2f`), which is what makes it usable at scale (no
# transport problem per edge). On this graph the total Forman curvature is
# $\mathrm{Ric} =$ {glue:text}`ch02_knn_total:.0f` (the largest degree is
# {glue:text}`ch02_knn_degree_max`), and by the identity above it is a statement about the degree
# distribution alone. Paper 1 uses Forman; paper 2 argues for the Ollivier family. The next
# chapter builds these graphs from network activations and computes the distances that the flow
# is supposed to change.
