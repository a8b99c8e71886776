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
# # Global Ricci network flow
#
# The previous chapters built, at every layer, a kNN graph of the test set with a total curvature
# $\mathrm{Ric}_l$ and a total geodesic distance $g_l$. This chapter puts them together into paper
# 1's *global Ricci coefficient* $\rho$, states exactly which layers are paired and how the
# aggregated and adjusted coefficients are formed, and then follows one trained network on
# dataset A from its activations to its $\rho$, next to paper 2's local coefficient for the same
# network.

# %% tags=["parameters"]
profile = "quick"  # "quick" (default) or "paper"
problem = "A"  # the data set (a key of ricci_lit.data.problems.PROBLEMS)
architecture = "wide-deep"  # 11 hidden layers of width 50, the architecture of the paper example for A
seeds = None  # seeds of the networks trained together (None: the profile value)
epochs = None  # training epochs (None: the profile value; paper 50)
n_test = None  # test points used for the geometry (None: the profile value, all 1000 points)
k_grid = None  # the k grid scanned (None: the profile value; paper P1 synthetic grid)
example_seed = None  # seed of the worked network (None: the first pooled network connected at the chosen k)
data_seed = 0  # seed of the synthetic data set

# %% tags=["hide-input"]
import numpy as np
import pandas as pd
from IPython.display import Markdown
from myst_nb import glue

import ricci_lit
from ricci_lit import book, plotting
from ricci_lit.analysis.paper1 import best_k, per_network_coefficients
from ricci_lit.data.problems import WELL_TRAINED_THRESHOLD, load_problem
from ricci_lit.geometry.community import community_table
from ricci_lit.experiments.paper1 import K_GRID_SYNTHETIC
from ricci_lit.networks.mlp import MLPEnsemble, hidden_widths, representations
from ricci_lit.networks.training import TrainConfig, train_ensemble

PROFILES = {
    "quick": {"seeds": [0, 1, 2, 3], "epochs": 25, "n_test": None, "k_grid": [10, 30, 50, 90, 150]},
    "paper": {"seeds": list(range(36)), "epochs": 50, "n_test": None, "k_grid": list(K_GRID_SYNTHETIC)},
}
setup = book.chapter_setup(profile, PROFILES, problem=problem, architecture=architecture, seeds=seeds,
                           epochs=epochs, n_test=n_test, k_grid=k_grid, data_seed=data_seed)
seeds = [int(s) for s in setup["seeds"]]
epochs, n_test = int(setup["epochs"]), setup["n_test"]
k_grid = sorted(int(k) for k in setup["k_grid"])

# %% [markdown]
# ## Curvature, distance and their correlation
#
# For a network with $L$ hidden layers, let $G_l = G_k(X^l)$ be the kNN graph of the test set's
# representation at hidden layer $l$. Paper 1 defines
#
# $$ \mathrm{Ric}_l = \sum_{(i,j) \in E(G_l)} R_l(i,j) \quad\text{(Eq. 6)}, \qquad
#    g_l = \sum_{i, j \in V} \gamma_l(i,j) \quad\text{(Eq. 7)}, \qquad
#    \eta_l = g_{l+1} - g_l , $$
#
# the total Forman curvature, the total hop distance over ordered pairs and its change from layer
# $l$ to $l+1$. The discrete analogue of $\partial g / \partial t = -2\,\mathrm{Ric}$ is
# $\eta_l \approx -\alpha\,\mathrm{Ric}_l$ with $\alpha > 0$ (Eq. 5), and paper 1 tests it with the
# Pearson correlation over the layers,
#
# $$ \rho = \mathrm{corr}_{l = 1, \dots, L-1}\big(\mathrm{Ric}_l,\ \eta_l\big) \quad\text{(Eq. 8)}. $$
#
# A negative $\rho$ is Ricci-flow-like: layers with more positive total curvature are followed by a
# contraction, layers with more negative curvature by an expansion. Curvature at layer $l$ is
# paired with the change that *follows* it, $l \to l+1$. The package computes $\rho$ from the
# per-layer totals as follows (a disconnected layer makes $g_l$ infinite, and $\rho$ is then
# undefined, with the reason, rather than silently computed from the remaining pairs):
#
# ```{literalinclude} ../../ricci_lit/geometry/coefficients.py
# :language: python
# :pyobject: coefficient_from_totals
# ```
#
# ## Which layers are paired
#
# Paper 1 uses the hidden layers only: $\mathrm{Ric}_1 \dots \mathrm{Ric}_{L-1}$ against
# $\eta_1 \dots \eta_{L-1}$, so $L - 1$ points; neither the input nor the sigmoid output enters
# (the authors' R code, `correlation_k_shift`, does the same). Paper 2's re-implementation passes
# every representation, input $X^0$ to output $X^{L+1}$, which gives $L + 1$ points and includes
# the one-dimensional output layer. The package's core functions take whatever sequence of
# representations they are given; the choice is made explicitly by
#
# ```{literalinclude} ../../ricci_lit/geometry/coefficients.py
# :language: python
# :pyobject: select_representations
# ```
#
# For the network of this chapter ($L =$ {glue:text}`ch04_L` hidden layers) the two conventions
# pair the following representations (0 = input, {glue:text}`ch04_L_out` = output):

# %% tags=["nbval-check-output"]
n_hidden = len(hidden_widths(architecture))
layer_ids = list(range(n_hidden + 2))  # 0 = input, 1..L hidden, L+1 = output
pairings = []
for convention, paper in (("hidden", "paper 1"), ("all", "paper 2")):
    used = ricci_lit.select_representations(layer_ids, convention)
    pairings.append({"convention": f"layers={convention!r} ({paper})",
                     "points in the correlation": len(used) - 1,
                     "pairs (Ric at l, change l → l+1)": ", ".join(f"{a}→{b}" for a, b in zip(used[:-1], used[1:]))})
glue("ch04_L", n_hidden, display=False)
glue("ch04_L_out", n_hidden + 1, display=False)
pd.DataFrame(pairings).set_index("convention")

# %% [markdown]
# ## Aggregated and adjusted coefficients
#
# A correlation over 4 (shallow) or 10 (deep) points is noisy. Paper 1 therefore chooses $k$ with
# an **aggregated coefficient** (§3.2): for each (dataset, width, depth, $k$) it pools the
# $(\mathrm{Ric}_l, \eta_l)$ points of all well-trained networks and computes *one* Pearson
# correlation over the pool (not a mean of per-network $\rho$), then keeps the $k$ where this is
# most negative. Networks with a disconnected layer at that $k$ are left out and counted.
#
# To compare networks of different depth it reports an **adjusted coefficient** (Eq. 11),
#
# $$ z = \frac{\operatorname{artanh}(\rho)}{\sqrt{L - 4}} , $$
#
# with $L$ the number of hidden layers. The paper *divides* by $\sqrt{L-4}$. The conventional Fisher
# $z$-score of a correlation of $m$ points multiplies, $\operatorname{artanh}(\rho)\sqrt{m - 3}$, and
# with $m = L - 1$ points that is $\operatorname{artanh}(\rho)\sqrt{L-4}$. For shallow networks
# ($L = 5$) the two coincide; for deep ones ($L = 11$) they differ by a factor $L - 4 = 7$, and the
# paper's version shrinks deep networks towards 0. The package reproduces the paper
# ({py:func}`~ricci_lit.geometry.coefficients.adjusted_coefficient`) and offers the Fisher score beside it ({py:func}`~ricci_lit.geometry.coefficients.fisher_z`);
# both are reported below.

# %% [markdown]
# ## One network, end to end
#
# ### Training
#
# Dataset A is two Swiss-roll sheets wound into each other (our generator, since paper 1 publishes
# only a picture; see {py:func}`~ricci_lit.data.synthetic.make_swiss_rolls`). The chapter trains
# {glue:text}`ch04_n_networks` networks of architecture {glue:md}`ch04_arch` together with
# {py:func}`~ricci_lit.networks.training.train_ensemble` (RMSprop, learning rate $10^{-3}$, batch 32, as in paper 1)
# for {glue:text}`ch04_epochs` epochs, and keeps the geometry of
# {glue:text}`ch04_n_test` test points. Paper 1 counts a network on dataset A as well trained when
# its test accuracy exceeds {glue:text}`ch04_threshold:.0%`.

# %%
data = load_problem(problem, seed=data_seed, n_test=n_test)
trained = train_ensemble(data.x_train, data.y_train, architecture, seeds, TrainConfig(epochs=epochs),
                         device="cpu", progress=False, x_test=data.x_test, y_test=data.y_test)
threshold = WELL_TRAINED_THRESHOLD[problem]
networks = trained.to_frame().assign(problem=problem, architecture=architecture, n_hidden=n_hidden)
networks["well_trained"] = networks["test_accuracy"] > threshold
glue("ch04_n_networks", len(seeds), display=False)
glue("ch04_arch", Markdown(f"`{architecture}`"), display=False)
glue("ch04_epochs", epochs, display=False)
glue("ch04_n_test", data.n_test, display=False)
glue("ch04_threshold", float(threshold), display=False)
glue("ch04_n_well", int(networks["well_trained"].sum()), display=False)
glue("ch04_train_s", float(trained.wall_time_s), display=False)
assert len(networks) == len(seeds) and np.isfinite(networks["test_accuracy"]).all()
networks[["seed", "train_loss", "train_accuracy", "test_accuracy", "well_trained"]]

# %% [markdown]
# {glue:text}`ch04_n_well` of the {glue:text}`ch04_n_networks` networks pass the threshold
# (training took {glue:text}`ch04_train_s:.0f` s).
#
# ### Geometry of every layer, for every k
#
# {py:func}`~ricci_lit.networks.mlp.representations` returns each network's representations of the test set,
# $[X^0, X^1, \dots, X^L, X^{L+1}]$, and {py:func}`~ricci_lit.geometry.coefficients.geometry_table` computes the totals of the
# hidden representations for the whole $k$ grid from one neighbour sort per representation
# (numbered here $1 \dots L$ as in the paper).

# %%
reps = {rep.seed: rep for rep in representations(trained.ensemble, data.x_test)}
geometry = pd.concat(
    [ricci_lit.geometry_table(rep.hidden, k_grid)
     .assign(layer=lambda t: t["layer"] + 1, problem=problem, architecture=architecture, seed=seed)
     for seed, rep in reps.items()],
    ignore_index=True)
hidden_rows = geometry
assert len(geometry) == len(seeds) * len(k_grid) * n_hidden
assert np.isfinite(geometry["ric"]).all() and set(geometry["layer"]) == set(range(1, n_hidden + 1))
geometry.head()

# %% [markdown]
# ### Choosing k by the aggregated coefficient
#
# For every $k$ of the grid the $(\mathrm{Ric}_l, \eta_l)$ points of the well-trained networks
# whose hidden-layer graphs are all connected are pooled into one correlation with
# {py:func}`~ricci_lit.geometry.coefficients.aggregated_coefficient`, and {py:func}`~ricci_lit.analysis.paper1.best_k` keeps the most negative.
# This is a deliberate derivation by hand, one $k$ at a time, so that each step is visible; the
# package's pipeline does the same in one call, and the section after next checks that it agrees.

# %%
pool = networks.loc[networks["well_trained"], "seed"].tolist()
pool_note = "the well-trained networks"
if not pool:  # reported, never hidden: fall back to every network
    pool, pool_note = list(seeds), "all networks (none passed the accuracy threshold)"
rows = []
for k in k_grid:
    at_k = hidden_rows[hidden_rows["k"] == k].sort_values("layer")
    series = [(grp["ric"].to_numpy(), grp["g"].to_numpy()) for seed, grp in at_k.groupby("seed") if seed in pool]
    rho_k, used, dropped = ricci_lit.aggregated_coefficient(series)
    rows.append({"problem": problem, "architecture": architecture, "k": k,
                 "aggregated": np.nan if rho_k is None else rho_k,
                 "networks used": used, "networks disconnected": dropped})
aggregated = pd.DataFrame(rows)
k_star = int(best_k(aggregated.dropna(subset=["aggregated"]))["best_k"].iloc[0])
agg_star = float(aggregated.loc[aggregated["k"] == k_star, "aggregated"].iloc[0])
connected_at_k = {seed for seed, grp in hidden_rows[hidden_rows["k"] == k_star].groupby("seed")
                  if grp["connected"].all()}
if example_seed is None:
    example_seed = next((s for s in seeds if s in pool and s in connected_at_k), seeds[0])
example_seed = int(example_seed)
glue("ch04_pool_md", Markdown(pool_note), display=False)
glue("ch04_k_star", k_star, display=False)
glue("ch04_agg_star", agg_star, display=False)
glue("ch04_agg_max", float(aggregated["aggregated"].max()), display=False)
glue("ch04_agg_negative", int((aggregated["aggregated"] < 0).sum()), display=False)
glue("ch04_n_k", len(k_grid), display=False)
assert aggregated["aggregated"].notna().any()
aggregated.drop(columns=["problem", "architecture"]).set_index("k").round(3)

# %%
fig_k = plotting.coefficient_by_k_figure(aggregated, y="aggregated", best=k_star)
glue("ch04_fig_k", fig_k, display=False)

# %% [markdown]
# ```{glue:figure} ch04_fig_k
# :name: ch04-fig-k
#
# Aggregated Ricci coefficient (one Pearson correlation over the pooled hidden-layer points of the
# networks) against $k$; the dashed line marks the $k$ with the most negative value, which paper 1
# would use for this (dataset, architecture).
# ```
#
# The aggregated coefficient is negative at {glue:text}`ch04_agg_negative` of the
# {glue:text}`ch04_n_k` values of $k$ (pool: {glue:md}`ch04_pool_md`) and most negative,
# {glue:text}`ch04_agg_star:.2f`, at $k =$ {glue:text}`ch04_k_star`.
#
# ### The worked network
#
# At $k =$ {glue:text}`ch04_k_star` the package's one-call interface, {py:func}`~ricci_lit.geometry.coefficients.ricci_coefficient`,
# gives the worked network's totals and coefficient from its hidden layers.

# %%
example = ricci_lit.ricci_coefficient(reps[example_seed].hidden, k_star)
# the one-call result agrees with the k-grid table computed above
ex_rows = hidden_rows[(hidden_rows["seed"] == example_seed) & (hidden_rows["k"] == k_star)].sort_values("layer")
assert np.allclose(example.ric, ex_rows["ric"]) and np.allclose(example.g, ex_rows["g"])
assert len(example.eta) == n_hidden - 1 and example.all_connected
assert example.rho is not None and -1 <= example.rho <= 1
rho = example.rho
z_paper = ricci_lit.adjusted_coefficient(rho, n_hidden)
z_fisher = ricci_lit.fisher_z(rho, n_hidden - 1)
glue("ch04_example_seed", example_seed, display=False)
glue("ch04_example_acc", float(networks.set_index("seed").loc[example_seed, "test_accuracy"]), display=False)
glue("ch04_rho", rho, display=False)
glue("ch04_z_paper", z_paper, display=False)
glue("ch04_z_fisher", z_fisher, display=False)
glue("ch04_rho_sign", Markdown("negative, as the Ricci-flow hypothesis predicts" if rho < 0
                               else "not negative: this network does not follow the hypothesis at this k"),
     display=False)
pd.DataFrame({"layer": range(1, n_hidden + 1), "Ric_l": example.ric, "g_l": example.g,
              "eta_l = g_(l+1) - g_l": list(example.eta) + [np.nan]}).set_index("layer")

# %% [markdown]
# The worked network (seed {glue:text}`ch04_example_seed`, test accuracy
# {glue:text}`ch04_example_acc:.3f`) has $\rho =$ {glue:text}`ch04_rho:.3f`:
# {glue:md}`ch04_rho_sign`. Paper 1's adjusted coefficient is
# $z = \operatorname{artanh}(\rho)/\sqrt{L-4} =$ {glue:text}`ch04_z_paper:.3f`, the Fisher score
# $\operatorname{artanh}(\rho)\sqrt{L-4} =$ {glue:text}`ch04_z_fisher:.3f`.

# %%
totals_at_k = hidden_rows[hidden_rows["k"] == k_star]
fig_totals = plotting.layer_totals_figure(totals_at_k, network="seed", highlight=example_seed)
glue("ch04_fig_totals", fig_totals, display=False)

# %% [markdown]
# ```{glue:figure} ch04_fig_totals
# :name: ch04-fig-totals
#
# Total Forman curvature $\mathrm{Ric}_l$ (left) and total geodesic distance $g_l$ (right) at every
# hidden layer, at the chosen $k$. The worked network is coloured; the other networks of the
# ensemble are grey.
# ```

# %%
pair_labels = [f"{l}→{l + 1}" for l in range(1, n_hidden)]
fig_flow = plotting.flow_scatter_figure(example.ric[:-1], example.eta, rho, pair_labels,
                                       title=f"{problem}, {architecture}, seed {example_seed}, k = {k_star}")
glue("ch04_fig_flow", fig_flow, display=False)

# %% [markdown]
# ```{glue:figure} ch04_fig_flow
# :name: ch04-fig-flow
#
# Paper 1's Fig. 4 for the worked network: the change of total geodesic distance
# $\eta_l = g_{l+1} - g_l$ (x) against the total curvature $\mathrm{Ric}_l$ of the layer it starts
# from (y), one point per pair of consecutive hidden layers, with the least-squares line and the
# coefficient $\rho$.
# ```
#
# ### Every network at the chosen k
#
# The same computation for all {glue:text}`ch04_n_networks` networks, done here by the package's
# analysis pipeline ({py:func}`~ricci_lit.analysis.paper1.per_network_coefficients`, which the full experiment of
# later chapters uses), with the aggregated coefficient and best $k$ it finds checked against the
# step-by-step values above.

# %%
agg_pipe, best_pipe, nets = per_network_coefficients(networks, geometry, {problem: threshold})
if pool_note == "the well-trained networks":
    assert int(best_pipe["best_k"].iloc[0]) == k_star
    assert np.isclose(float(best_pipe["aggregated"].iloc[0]), agg_star)
    assert np.isclose(nets.set_index("seed").loc[example_seed, "rho"], rho)
defined = nets[nets["rho"].notna()]
glue("ch04_nets_defined", len(defined), display=False)
glue("ch04_nets_negative", int((defined["rho"] < 0).sum()), display=False)
glue("ch04_rho_mean", Markdown(f"mean ρ = {defined['rho'].mean():.2f}" if len(defined) else "none defined"),
     display=False)
nets[["seed", "test_accuracy", "well_trained", "best_k", "connected", "rho", "z", "fisher_z"]].round(3)

# %% [markdown]
# {glue:text}`ch04_nets_negative` of the {glue:text}`ch04_nets_defined` networks with a defined
# coefficient have $\rho < 0$ ({glue:md}`ch04_rho_mean`). With a handful of
# networks and $k$ chosen on the same networks, this is an illustration of the method, not
# evidence; the full experiment (1,512 networks) comes in later chapters.

# %% [markdown]
# ## Paper 2's view of the same network
#
# Paper 2 pairs every representation, input to output, and adds a **local coefficient** per test
# point $x$: with $O_l(x)$ the mean curvature of the edges at $x$ in $G_l$ and
# $\eta_l(x) = \operatorname{mean}_{y \sim_l x}\,[\gamma_{l+1}(x,y) - \gamma_l(x,y)]$ the mean change of
# distance to its neighbours, $\rho(x) = \mathrm{corr}_l(O_l(x), \eta_l(x))$. It is undefined
# (NaN, counted) when a neighbour becomes unreachable at the next layer or a series is constant.
# The **layer coefficient** $\rho_l$ correlates $O_l(x)$ with $\eta_l(x)$ over the points, one value
# per transition. Both come from the same call with `local=True`.

# %%
example_all = ricci_lit.ricci_coefficient(reps[example_seed].all, k_star, local=True, warn_collapsed=False)
local = example_all.local
summary = local.summary()
assert local.rho.shape == (data.n_test,) and np.isfinite(local.layer_rho).any()
assert summary["n_nan"] == summary["n_unreachable"] + summary["n_constant"] and summary["mean"] is not None
glue("ch04_rho_all", Markdown(f"ρ = {example_all.rho:.3f}" if example_all.rho is not None
                              else f"undefined ({example_all.rho_reason})"), display=False)
glue("ch04_local_summary", Markdown(
    f"The mean local coefficient is {summary['mean']:.2f} and a fraction "
    f"{summary['fraction_negative']:.2f} of the defined ones are negative" if summary["mean"] is not None
    else "No local coefficient is defined"), display=False)
glue("ch04_local_nan", summary["n_nan"], display=False)
glue("ch04_local_unreachable", summary["n_unreachable"], display=False)
glue("ch04_output_components", int(example_all.n_components[-1]), display=False)
layer_table = pd.DataFrame({"transition": [f"{l}→{l + 1}" for l in range(n_hidden + 1)],
                            "layer coefficient": local.layer_rho}).set_index("transition")
pd.DataFrame([summary]).T.rename(columns={0: "local coefficient"})

# %%
fig_local = plotting.local_histogram_figure(local.rho, title=f"local coefficients, seed {example_seed}, k = {k_star}")
glue("ch04_fig_local", fig_local, display=False)

# %% [markdown]
# ```{glue:figure} ch04_fig_local
# :name: ch04-fig-local
#
# Paper 2's local Ricci coefficient $\rho(x)$ of every test point for the worked network, over all
# transitions from the input to the output; the dashed line is the mean. Undefined coefficients
# are counted in the legend.
# ```
#
# {glue:md}`ch04_local_summary`;
# {glue:text}`ch04_local_nan` points are undefined, {glue:text}`ch04_local_unreachable` of them
# because a neighbour became unreachable, typically in the one-dimensional output layer, whose
# graph has {glue:text}`ch04_output_components` component(s) here. The global coefficient with all
# representations (paper 2's pairing) is {glue:md}`ch04_rho_all`.
# The layer coefficients per transition:

# %%
layer_table.round(3).T

# %% [markdown]
# ## A caveat: untrained networks
#
# Paper 2 found that the *global* coefficient is negative for most *untrained*, randomly
# initialised networks as well (about 90 % of them), while the mean local coefficient stays near
# zero before training ($|\text{mean}| < 0.06$) and becomes clearly negative after it. The same
# architecture with the same seeds, untrained, at the same $k$:

# %%
untrained = MLPEnsemble(architecture, data.dim, seeds)
rows = []
for rep in representations(untrained, data.x_test):
    res = ricci_lit.ricci_coefficient(rep.all, k_star, local=True, warn_collapsed=False)
    # paper 1's pairing from the same totals: the hidden representations only
    rho_hidden, _, _ = ricci_lit.coefficient_from_totals(ricci_lit.select_representations(res.ric, "hidden"),
                                                         ricci_lit.select_representations(res.g, "hidden"))
    rows.append({"seed": rep.seed, "global rho (hidden, P1)": rho_hidden, "global rho (all, P2)": res.rho,
                 "mean local rho (all, P2)": res.local.summary()["mean"],
                 "disconnected representations": len(res.disconnected_layers)})
untrained_table = pd.DataFrame(rows).set_index("seed")
u_rho = pd.to_numeric(untrained_table["global rho (hidden, P1)"], errors="coerce")
u_rho_all = pd.to_numeric(untrained_table["global rho (all, P2)"], errors="coerce")
u_local = pd.to_numeric(untrained_table["mean local rho (all, P2)"], errors="coerce")
glue("ch04_untrained_negative", int((u_rho < 0).sum()), display=False)
glue("ch04_untrained_defined", int(u_rho.notna().sum()), display=False)
glue("ch04_untrained_negative_all", int((u_rho_all < 0).sum()), display=False)
glue("ch04_untrained_defined_all", int(u_rho_all.notna().sum()), display=False)
glue("ch04_untrained_local_mean", float(u_local.mean()), display=False)
glue("ch04_untrained_local_maxabs", float(u_local.abs().max()), display=False)
glue("ch04_trained_local_mean", float(summary["mean"]), display=False)
assert len(untrained_table) == len(seeds)
untrained_table.round(3)

# %% [markdown]
# Without any training, {glue:text}`ch04_untrained_negative` of the
# {glue:text}`ch04_untrained_defined` networks with a defined coefficient already have a negative
# global $\rho$ in paper 1's pairing, and {glue:text}`ch04_untrained_negative_all` of
# {glue:text}`ch04_untrained_defined_all` in paper 2's. Their mean local coefficients average
# {glue:text}`ch04_untrained_local_mean:.2f` (largest magnitude
# {glue:text}`ch04_untrained_local_maxabs:.2f`), against {glue:text}`ch04_trained_local_mean:.2f`
# for the trained worked network; with {glue:text}`ch04_n_networks` networks this small example does not settle whether
# the local coefficient separates trained from untrained networks, which a later chapter tests at
# scale. What it does show is that a negative global coefficient alone is no evidence that
# *training* produced a Ricci flow; the total Forman curvature
# is a degree statistic (chapter 2) and $g_l$ is dominated by far pairs. The later chapters test
# the hypothesis at scale, against this control.
#
# ## Community structure by layer
#
# Paper 2 (§4.2) follows a second quantity beside the coefficients: the Newman modularity of the
# class partition in each representation's kNN graph,
# $Q = \sum_c [e_c/m - (d_c/2m)^2]$ ($e_c$ edges inside class $c$, $d_c$ its degree sum, $m$ edges;
# {py:func}`~ricci_lit.geometry.community.community_table`), here at the chosen
# $k$ = {glue:text}`ch04_k_star` for the trained and the untrained networks of this chapter, all
# representations (input, hidden layers, output), averaged over the seeds:

# %%
community = pd.concat(
    [community_table(rep.all, data.y_test, k_star).assign(state=state, seed=rep.seed)
     for state, ens in (("trained", trained.ensemble), ("untrained", untrained))
     for rep in representations(ens, data.x_test)], ignore_index=True)
q_by_layer = community.pivot_table(index="state", columns="layer", values="modularity", aggfunc="mean")
assert q_by_layer.shape == (2, n_hidden + 2) and np.isfinite(q_by_layer.to_numpy()).all()
last_hidden = n_hidden  # layer numbers: 0 input, 1 … L hidden, L + 1 output
glue("ch04_q_input", float(q_by_layer.loc["trained", 0]), display=False)
glue("ch04_q_trained_last", float(q_by_layer.loc["trained", last_hidden]), display=False)
glue("ch04_q_untrained_last", float(q_by_layer.loc["untrained", last_hidden]), display=False)
q_trained_up = bool(q_by_layer.loc["trained", last_hidden] > q_by_layer.loc["trained", 0])
q_untrained_up = bool(q_by_layer.loc["untrained", last_hidden] > q_by_layer.loc["untrained", 0])
glue("ch04_q_md", Markdown(
    ("rises" if q_trained_up else "does not rise") + " through the trained networks and "
    + ("rises" if q_untrained_up else "does not rise") + " through the untrained ones"), display=False)
q_by_layer.round(3)

# %% [markdown]
# The modularity of the classes is {glue:text}`ch04_q_input:.3f` at the input (the same points for
# both) and {glue:text}`ch04_q_trained_last:.3f` at the last hidden layer of the trained networks,
# against {glue:text}`ch04_q_untrained_last:.3f` for the untrained ones: it
# {glue:md}`ch04_q_md`. Unlike the global coefficient, this quantity reads the labels.
