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
# # The question and the claim
#
# A classifier trained on two entangled classes must, layer by layer, pull apart points of
# different classes and pull together points of the same class. Paper 1 (Baptista, Barp,
# Chakraborti, Harbron, MacArthur & Banerji, *Deep learning as Ricci flow*, Sci. Rep. 14, 23383,
# 2024) asks whether this transformation of the data's geometry follows a known law: **does the
# geometry of a trained network's representations evolve like Ricci flow?** This chapter states
# the question, the paper's claim and the caveats the book tests, shows the paper's opening
# picture (its Fig. 1A) computed from a network trained here, and gives a map of the book.

# %% tags=["parameters"]
profile = "quick"  # "quick" (default) or "paper"
fig1a_architecture = None  # architecture of the Fig. 1A network (None: the profile value)
fig1a_epochs = None  # its training epochs (None: the profile value; paper 50)
fig1a_seed = 0  # its seed
data_seed = 0  # seed of the synthetic data set A
community_k = 100  # k of the community metrics (paper 2 §4.2 uses 100)

# %% tags=["hide-input"]
import pandas as pd
from IPython.display import Markdown
from myst_nb import glue

from ricci_lit import book, plotting
from ricci_lit.analysis import targets
from ricci_lit.analysis.projection import pc_planes, pc_separability
from ricci_lit.geometry.community import community_table
from ricci_lit.experiments.fig1a import fig1a_experiment
from ricci_lit.experiments.paper1 import get_profile
from ricci_lit.networks.mlp import ARCHITECTURES, hidden_widths

# Training one network takes seconds, so both profiles use paper 1's 50 epochs; the architecture
# has 5 hidden layers, close to the 4 hidden layers drawn in the paper's Fig. 1A.
PROFILES = {"quick": {"fig1a_architecture": "wide-shallow", "fig1a_epochs": 50},
            "paper": {"fig1a_architecture": "wide-shallow", "fig1a_epochs": 50}}
setup = book.chapter_setup(profile, PROFILES, fig1a_architecture=fig1a_architecture, fig1a_epochs=fig1a_epochs,
                           fig1a_seed=fig1a_seed, data_seed=data_seed)
fig1a_architecture, fig1a_epochs = setup["fig1a_architecture"], int(setup["fig1a_epochs"])

# %% [markdown]
# ## The question
#
# Hamilton's Ricci flow deforms a Riemannian metric $g$ by its own Ricci curvature,
# $\partial g / \partial t = -2\,\mathrm{Ric}(g)$: lengths shrink where the space is positively
# curved and grow where it is negatively curved, which smooths out a manifold and can pinch it
# apart at a neck. Paper 1 reads the layers of a network as discrete time steps and the test set's
# representation $X^l$ at layer $l$ as a point cloud sampling a manifold. It approximates the
# manifold by a k-nearest-neighbour graph $G_k(X^l)$, its curvature by the total Forman–Ricci
# curvature $\mathrm{Ric}_l$ of the graph, and its metric by the total hop distance $g_l$. A
# discrete Ricci flow would then satisfy
#
# $$ g_{l+1} - g_l \;\approx\; -\alpha\, \mathrm{Ric}_l, \qquad \alpha > 0 , $$
#
# and paper 1 measures how far a network is from this with the **global Ricci coefficient**
# $\rho$, the Pearson correlation over the hidden layers between $\mathrm{Ric}_l$ and the distance
# change $\eta_l = g_{l+1} - g_l$ that follows it. $\rho = -1$ is a perfect discrete Ricci flow.
#
# ## The claim
#
# Paper 1 trains {glue:md}`ch01_paper_networks` fully connected ReLU networks
# ({glue:md}`ch01_design`), keeps those that pass an accuracy threshold and
# whose graphs are connected, chooses $k$ per problem and architecture, and reports:
#
# * **most well-trained networks are Ricci-flow-like:** {glue:md}`ch01_paper_negative` kept
#   networks have $\rho < 0$;
# * **the coefficient goes with accuracy:** in a linear model of test accuracy on the adjusted
#   coefficient $z$ plus problem, width and depth, the $z$ term is negative
#   ({glue:md}`ch01_paper_regression`): more Ricci-flow-like networks are slightly more accurate.
#
# The paper's numbers, as the package stores them ({py:mod}`ricci_lit.analysis.targets`, with their sources):

# %% tags=["hide-input"]
counts = targets.PAPER1_COUNTS
glue("ch01_paper_networks", Markdown(f"{counts['networks']:,}"), display=False)
glue("ch01_paper_negative", Markdown(
    f"{counts['negative']:,} of {counts['kept']:,} ({counts['negative'] / counts['kept']:.1%})"), display=False)
glue("ch01_paper_regression", Markdown(
    f"t = {targets.PAPER1_REGRESSION['t']:.2f}, p = {targets.PAPER1_REGRESSION['p']:.3f}"), display=False)
p2 = targets.target("p2_untrained")
paper_profile = get_profile("paper")
glue("ch01_design", Markdown(f"{len(paper_profile.problems)} binary problems, {len(paper_profile.architectures)} "
                             f"architectures, {paper_profile.n_seeds} seeds each"), display=False)
depths = sorted({len(w) for w in ARCHITECTURES.values()})
glue("ch01_points", Markdown(" or ".join(str(d - 1) for d in depths)), display=False)
glue("ch01_p2_untrained", Markdown(p2.paper_value), display=False)
pd.DataFrame([{"claim": t.target, "paper value": t.paper_value, "source": t.source}
              for t in targets.TARGETS if t.key in ("networks", "fraction_negative", "regression", "p2_untrained")]
             ).style.hide(axis="index")

# %% [markdown]
# ## The caveats this book tests
#
# The claim rests on choices that the paper states only partly. The book makes each one explicit
# and measures its effect.
#
# * **$k$ is chosen to make $\rho$ negative.** For each problem and architecture the paper picks the
#   $k$ with the most negative *aggregated* coefficient over the same networks it then reports on;
#   the paper concedes that negativity is then partly "as expected by construction".
# * **Untrained networks look Ricci-flow-like too.** Paper 2 (Hehl, von Renesse & Weber 2025)
#   found for randomly initialised networks: {glue:md}`ch01_p2_untrained`. A negative global
#   coefficient alone is therefore no evidence that *training* produced a Ricci flow; paper 2's
#   local coefficient is its proposed remedy.
# * **The total Forman curvature is a degree statistic.** With unit weights,
#   $\mathrm{Ric}_l = 4|E| - \sum_i \deg(i)^2$ measures how uneven the kNN degrees are, and $g_l$ is
#   dominated by far pairs; both are global sums that hide where the geometry changes.
# * **Small samples and unstated details.** A per-network $\rho$ is a correlation over
#   {glue:md}`ch01_points` points; the well-trained filter and the geometry both use the test set; the paper publishes
#   no generator for its synthetic data, does not say how the kNN graph is symmetrised, and its
#   Eq. 11 divides by $\sqrt{L-4}$ where a Fisher score would multiply.
#
# ## Paper 1's Fig. 1A, recomputed
#
# Fig. 1A of paper 1 shows what a trained network does to entangled data: the first two principal
# components of the test set of two intertwined 3-D manifolds at the input, at the hidden layers
# and at the output. Here one network of architecture {glue:md}`ch01_arch`
# ({glue:text}`ch01_L` hidden layers of widths {glue:md}`ch01_widths`) is trained for
# {glue:text}`ch01_epochs` epochs on the book's dataset A, two Swiss-roll sheets wound into each
# other (chapter {doc}`ch05_data` gives its equations), with paper 1's recipe (RMSprop, learning
# rate $10^{-3}$, batch 32). {py:func}`~ricci_lit.experiments.fig1a.fig1a_experiment` trains it with
# {py:func}`~ricci_lit.networks.training.train_ensemble` and collects its representations of the test set with
# {py:func}`~ricci_lit.networks.mlp.representations`:
#
# ```{literalinclude} ../../ricci_lit/experiments/fig1a.py
# :language: python
# :pyobject: fig1a_experiment
# ```

# %%
fig1a = fig1a_experiment(fig1a_architecture, seed=fig1a_seed, epochs=fig1a_epochs, data_seed=data_seed)
L = len(hidden_widths(fig1a_architecture))
assert len(fig1a.representations) == len(fig1a.names) == L + 2
assert all(rep.shape[0] == len(fig1a.y) for rep in fig1a.representations)
assert 0.0 <= fig1a.test_accuracy <= 1.0
glue("ch01_arch", Markdown(f"`{fig1a_architecture}`"), display=False)
glue("ch01_L", L, display=False)
glue("ch01_widths", Markdown(", ".join(str(w) for w in hidden_widths(fig1a_architecture))), display=False)
glue("ch01_epochs", fig1a_epochs, display=False)
glue("ch01_n_test", len(fig1a.y), display=False)
glue("ch01_accuracy", fig1a.test_accuracy, display=False)
glue("ch01_threshold", fig1a.threshold, display=False)
glue("ch01_train_s", fig1a.train_seconds, display=False)
glue("ch01_trained_md", Markdown("passes" if fig1a.well_trained else "does **not** pass"), display=False)
sep = pc_separability(fig1a.representations, fig1a.y)
pd.DataFrame({"representation": fig1a.names,
              "dimension": [rep.shape[1] for rep in fig1a.representations],
              "linear separability in the PC1-PC2 plane": sep}).set_index("representation").round(3)

# %%
fig_pca = plotting.pca_layers_figure(pc_planes(fig1a.representations), fig1a.y, titles=fig1a.names,
                                     class_names=dict(enumerate(fig1a.class_names)), ncols=4)
glue("ch01_fig_pca", fig_pca, display=False)
glue("ch01_sep_input", sep[0], display=False)
glue("ch01_sep_last", sep[-2], display=False)
first_sep = next((i for i, s in enumerate(sep) if s >= 0.95), None)
glue("ch01_sep_first_md", Markdown(
    f"first reaches 95 % at {fig1a.names[first_sep]}" if first_sep is not None else "never reaches 95 %"),
    display=False)

# %% [markdown]
# ```{glue:figure} ch01_fig_pca
# :name: ch01-fig-pca
#
# Paper 1's Fig. 1A recomputed: the first two principal components (PC1 horizontal, PC2
# vertical, with the share of variance each carries) of the test set of dataset A at the input,
# at every hidden layer and at the sigmoid output of one trained network, coloured by class. The
# output is one-dimensional, so its PC2 is zero.
# ```
#
# The network reaches a test accuracy of {glue:text}`ch01_accuracy:.1%` on the
# {glue:text}`ch01_n_test` test points and {glue:md}`ch01_trained_md` paper 1's well-trained
# threshold for dataset A ({glue:text}`ch01_threshold:.0%`); training took
# {glue:text}`ch01_train_s:.0f` s. To put a number on the picture, the table above gives for every
# representation the accuracy of the best straight line separating the two classes in its
# PC1–PC2 plane ({py:func}`~ricci_lit.analysis.projection.pc_separability`): {glue:text}`ch01_sep_input:.1%` at the
# input, where the sheets are wound into each other, and {glue:text}`ch01_sep_last:.1%` at the
# last hidden layer; the separability {glue:md}`ch01_sep_first_md`. The network untangles the
# sheets; the question of this book is whether it does so the way Ricci flow would.
#
# Paper 2 (its §4.2) measures the same untangling on the kNN graphs themselves: the Newman
# modularity $Q = \sum_c [e_c/m - (d_c/2m)^2]$ of the partition of the test points by class, where
# $e_c$ counts the edges inside class $c$, $d_c$ its degree sum and $m$ the edges
# ({py:func}`~ricci_lit.geometry.community.community_table`, union graphs at $k$ =
# {glue:text}`ch01_community_k`). $Q$ near 0 means the edges ignore the classes; $Q = 1/2$ is the
# most two equal classes can reach, with no edge between them.

# %%
community = community_table(fig1a.representations, fig1a.y, min(community_k, len(fig1a.y) - 1),
                            layer_names=fig1a.names)
glue("ch01_community_k", min(community_k, len(fig1a.y) - 1), display=False)
glue("ch01_q_input", float(community["modularity"].iloc[0]), display=False)
glue("ch01_q_last_hidden", float(community["modularity"].iloc[-2]), display=False)
glue("ch01_q_output", float(community["modularity"].iloc[-1]), display=False)
glue("ch01_q_max_md", Markdown(community.loc[community["modularity"].idxmax(), "name"]), display=False)
community.set_index("name")[["modularity", "normalized_cut"]].round(3).T

# %% [markdown]
# The class modularity goes from {glue:text}`ch01_q_input:.3f` at the input to
# {glue:text}`ch01_q_last_hidden:.3f` at the last hidden layer and {glue:text}`ch01_q_output:.3f`
# at the output; it is largest at {glue:md}`ch01_q_max_md`. The kNN graphs separate the classes
# as the principal planes do.
#
# ## Map of the book
#
# * {doc}`ch02_curvature`: Ricci flow and the four discrete curvatures the package computes
#   (Forman, augmented Forman, Ollivier and its approximation), checked on graphs whose answers
#   are known.
# * {doc}`ch03_graphs`: kNN graphs of activations, hop geodesics, connectivity as a function of
#   $k$, the authors' tie semantics, and how fast the package computes all of it.
# * {doc}`ch04_flow`: paper 1's global Ricci coefficient, the aggregated and adjusted coefficients
#   and paper 2's local coefficient, worked through on one trained network, with the untrained
#   control.
# * {doc}`ch05_data`: the seven binary problems, our generators for the synthetic ones and where
#   the image files come from.
# * {doc}`ch06_experiment`: the {glue:md}`ch01_paper_networks`-network design, how much of it the rendered results
#   contain, the accuracies against the thresholds, and the counts from trained to kept networks.
# * {doc}`ch07_results`: paper 1's Figs. 3 and 4 and Table S2 from our networks, and a
#   reproduction table that compares every target of the paper with our number and a verdict
#   computed from it.
