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
# # Any network: a CNN and a residual MLP on ten classes
#
# Both papers study binary, fully connected ReLU networks. `ricci_lit` takes any torch model: 
# {py:func}`~ricci_lit.networks.capture.layer_representations` captures the outputs of named submodules (names as
# `model.named_modules()` gives them) as `[n, features]` point clouds, and {py:func}`~ricci_lit.networks.analyze.analyze` computes
# from them the global coefficient $\rho = \operatorname{corr}(\mathrm{Ric}_l, \eta_l)$, paper 2's local
# and layer coefficients, and, with labels, the modularity of the class partition in each layer's kNN
# graph (paper 2 §4.2). The command line does the same for a saved model:
# `ricci-lit coefficient --model net.pt2 --inputs x.npy --layers a,b,c --k K` (a `torch.export` archive, or
# `package.module:factory --weights state.pt`; nothing is unpickled).
#
# **Scope.** This chapter trains its own small networks on `mnist-10` and `fmnist-10` (all ten classes,
# a balanced test subset) and reports what they show, {glue:md}`ch09_settings`. At the `quick` scale
# these are a few short trainings: the numbers illustrate the analysis and are not evidence for or
# against either paper. Two further sections check paper 2's theory that random linear layers keep
# kNN graphs while ReLU layers rewire them ({py:mod}`ricci_lit.analysis.knn_preservation`), on random
# networks by width and on one trained network, and analyse the token representations of a small
# transformer. The chapter does not cover a committed results store: every number below is computed
# when the chapter runs.

# %% tags=["parameters"]
profile = "quick"  # "quick" (default) or "paper": the scale of every analysis below
problems = None  # ten-class problems (None: the profile value)
seeds = None  # network seeds (None: the profile value)
epochs = None  # training epochs (None: the profile value)
n_train = None  # training points (None: the profile value)
n_test = None  # balanced test points, a multiple of 10 (None: the profile value)
k = None  # neighbourhood size (None: the profile value)
widths = None  # widths of the random linear and ReLU networks (None: the profile value)
random_seeds = None  # seeds of those random networks (None: the profile value)
depth = None  # layers of those random networks (None: the profile value)

# %% tags=["hide-input"]
import numpy as np
import pandas as pd
import torch
from IPython.display import Markdown, display
from myst_nb import glue
from torch import nn

import ricci_lit
from ricci_lit import book, plotting
from ricci_lit.analysis.knn_preservation import kth_gap, linear_vs_relu, transition_overlaps, width_bound
from ricci_lit.data.problems import load_xy
from ricci_lit.geometry import engine
from ricci_lit.geometry.community import community_table
from ricci_lit.geometry.engine import DEFAULT_CURVATURES
from ricci_lit.experiments.zoo import PLANS as ZOO_PLANS
from ricci_lit.experiments.zoo import ZooPlan, build_model
from ricci_lit.networks.fit import fit, predict_classes
from ricci_lit.networks.zoo import linear_counterpart, seeded

# the networks' scale is the plan's (ricci_lit.experiments.zoo.PLANS); the random-network sections add theirs
PROFILES = {
    name: {"problems": list(p.problems), "seeds": list(p.seeds), "epochs": p.epochs, "n_train": p.n_train,
           "n_test": p.n_test, "k": p.k, **extra}
    for name, p, extra in (
        ("quick", ZOO_PLANS["quick"], {"widths": [10, 25, 50, 100, 200, 400], "random_seeds": [0, 1], "depth": 2}),
        ("paper", ZOO_PLANS["paper"], {"widths": [10, 25, 50, 100, 200, 400, 800, 1600],
                                       "random_seeds": list(range(5)), "depth": 3}))
}
setup = book.chapter_setup(profile, PROFILES, problems=problems, seeds=seeds, epochs=epochs, n_train=n_train,
                           n_test=n_test, k=k, widths=widths, random_seeds=random_seeds, depth=depth)
problems, seeds = list(setup["problems"]), [int(s) for s in setup["seeds"]]
epochs, n_train, n_test, k = int(setup["epochs"]), int(setup["n_train"]), int(setup["n_test"]), int(setup["k"])
widths, random_seeds = [int(m) for m in setup["widths"]], [int(s) for s in setup["random_seeds"]]
depth = int(setup["depth"])
torch.set_num_threads(2)
CURVATURES = list(DEFAULT_CURVATURES)
glue("ch09_settings", Markdown(
    f"with {len(seeds)} seed(s) per network, {epochs} epoch(s) on {n_train} training points, {n_test} balanced "
    f"test points and $k$ = {k}"), display=False)

# %% [markdown]
# ## Your own network
#
# Any `nn.Module` will do; its layers are its named submodules. Here a small CNN defined in the chapter,
# on random inputs: the feature maps `[n, C, H, W]` are flattened in C order (or averaged over
# positions with `flatten="mean"`), and `analyze` returns the usual coefficients with the layer names.

# %%
class MyCNN(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(4 * 4 * 4, 16), nn.ReLU(), nn.Linear(16, 3))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))


torch.manual_seed(0)
mine = MyCNN()
x_demo = np.random.default_rng(0).normal(size=(120, 1, 8, 8)).astype(np.float32)
reps = ricci_lit.layer_representations(mine, x_demo, ["features.1", "features.2", "classifier.2", "classifier.3"])
print({name: X.shape for name, X in reps.items()})
demo = ricci_lit.analyze(mine, x_demo, ["features.1", "features.2", "classifier.2", "classifier.3"], 10, local=True)
display(demo.table().round(3))

# %% [markdown]
# ## A CNN and a residual MLP on ten classes
#
# `SmallCNN` (two convolutions with 8 and 16 channels, each followed by 2×2 max pooling, then two dense
# layers) and `ResidualMLP` (paper 2's residual network: a ReLU projection, blocks
# $h + \mathrm{ReLU}(W h + b)$, a linear head; width 50, six hidden representations) are trained with Adam
# and cross-entropy ({py:func}`~ricci_lit.networks.fit.fit`, seeded), and analysed on the balanced test subset,
# trained and at the same seed's initialisation, with the three curvatures. The representations are the
# networks' `representation_layers`: every ReLU and pooling output of the CNN and its logits; the
# residual network's projection, each block and its logits. It is one resumable plan of work units
# ({py:func}`~ricci_lit.experiments.zoo.run_zoo`; `ricci-lit zoo --plan paper --out results/zoo-paper`,
# `--workers N` or `--scheduler` for a cluster); the tables below come from {glue:md}`ch09_zoo_source`.

# %%
zoo_plan = ZooPlan(profile, tuple(problems), tuple(seeds), epochs, n_train, n_test, k, curvatures=tuple(CURVATURES))
nets, layers, comm, zoo_source = book.book_zoo(zoo_plan)
glue("ch09_zoo_source", Markdown(zoo_source), display=False)
assert len(nets) == len(problems) * len(zoo_plan.models) * len(seeds) * 2 * len(CURVATURES)
# the first problem's residual network (first seed), untrained and trained, for the kNN-preservation
# section: the store keeps tables, not weights, so it is rebuilt here (the same seeded fit)
first_data = load_xy(problems[0], n_test=n_test, n_train=n_train, data_seed=zoo_plan.data_seed,
                     pixel_scale=zoo_plan.pixel_scale)[1:]
first_data = (first_data[0], first_data[1].astype(np.int64), first_data[2], first_data[3].astype(np.int64))
kept_models = {"untrained": build_model("residual", seeds[0]), "trained": build_model("residual", seeds[0])}
fit(kept_models["trained"], first_data[0], first_data[1], epochs=epochs, batch_size=zoo_plan.batch_size,
    seed=seeds[0], device="cpu")
summary = (nets.groupby(["problem", "model", "state", "curvature"])
           .agg(rho_mean=("rho", "mean"), fraction_negative=("rho", lambda r: float((r < 0).mean())),
                local_mean=("local_mean", "mean"), test_accuracy=("test_accuracy", "mean")).reset_index())
display(summary.round(3).set_index(["problem", "model", "state", "curvature"]))

# %% [markdown]
# Per problem, network, state and curvature: the mean global coefficient over the seeds (all
# representations, input to logits: paper 2's convention), the share of seeds with $\rho < 0$, the mean
# of the local coefficients $\rho(x)$, and the test accuracy ({py:func}`~ricci_lit.geometry.engine.network_coefficients`
# computes each network's kNN graphs and hop distances once for the three curvatures).

# %%
forman = layers[(layers["curvature"] == "forman") & layers["layer_rho"].notna()]
profile_table = (forman.groupby(["model", "state", "transition"])["layer_rho"]
                 .agg(rho_mean="mean", rho_sem=lambda v: float(v.std(ddof=1) / np.sqrt(len(v))) if len(v) > 1 else 0.0)
                 .reset_index())
profile_table["line"] = profile_table["model"] + ", " + profile_table["state"]
fig = plotting.layer_profile_figure(profile_table, hue="line")
display(fig)

# %% [markdown]
# Layer coefficients $\rho_l$ (Forman) by transition, mean over problems and seeds, for each network
# trained and at initialisation.

# %%
mod = comm.pivot_table(index=["problem", "model", "state"], columns="layer", values="modularity", aggfunc="mean")
display(mod.round(3))

# %% [markdown]
# The modularity of the ten-class partition in each representation's kNN graph (layer 0 is the input):
# how cleanly the classes separate into communities as the data pass through the network.

# %%
trained = summary[summary["state"] == "trained"]
untrained = summary[summary["state"] == "untrained"]
neg_trained = float((trained["rho_mean"] < 0).mean())
neg_untrained = float((untrained["rho_mean"] < 0).mean())
last = comm["layer"] == comm.groupby(["problem", "model", "seed", "state"])["layer"].transform("max")
q = comm[last].groupby("state")["modularity"].mean()
q_in = comm[comm["layer"] == 0]["modularity"].mean()
glue("ch09_neg_trained", f"{neg_trained:.0%}", display=False)
glue("ch09_neg_untrained", f"{neg_untrained:.0%}", display=False)
glue("ch09_acc", f"{trained['test_accuracy'].min():.0%}–{trained['test_accuracy'].max():.0%}", display=False)
glue("ch09_q_in", f"{q_in:.2f}", display=False)
glue("ch09_q_trained", f"{q['trained']:.2f}", display=False)
glue("ch09_q_untrained", f"{q['untrained']:.2f}", display=False)
verdict = ("holds on most of these settings" if neg_trained > 0.5 and neg_trained > neg_untrained else
           "does not clearly hold here: trained networks are not more often negative than untrained ones")
glue("ch09_verdict", verdict, display=False)

# %% [markdown]
# ## Does the Ricci-flow picture hold?
#
# The papers' picture is that training makes the network a discrete Ricci flow: negative
# coefficients, curvature falling where distances grow. On these networks, the mean global coefficient
# is negative in {glue:text}`ch09_neg_trained` of the trained (problem, network, curvature) settings and
# in {glue:text}`ch09_neg_untrained` of the untrained ones, with test accuracies of
# {glue:text}`ch09_acc` after training; so the picture {glue:text}`ch09_verdict`. The class
# partition's modularity goes from {glue:text}`ch09_q_in` at the input to {glue:text}`ch09_q_trained`
# at the output of the trained networks ({glue:text}`ch09_q_untrained` at initialisation): training
# separates the classes into communities of the kNN graph, paper 2's §4.2 observation. With the
# `quick` profile's one seed and three epochs these are illustrations; `paper` runs five seeds and ten
# epochs on the full training sets.

# %% [markdown]
# ## Linear networks preserve kNN graphs; ReLU networks rewire them
#
# Paper 2's theoretical argument (its §3, Theorem 3.1) is why the Ricci-flow picture needs the
# activation: for $n$ points and a random linear map $A \in \mathbb{R}^{m \times d}$ with i.i.d.
# $\mathcal N(0, 1/m)$ entries, the kNN graph of $\{A x_i\}$ *equals* that of $\{x_i\}$ with
# probability at least $1 - \delta$ once
# $m \ge 4(\ln n(n-1) - \ln\delta)/(\varepsilon^2 - \varepsilon^3)$, where $\varepsilon$ is the
# smallest relative gap between a point's $k$-th and $(k+1)$-th squared distances
# ({py:func}`~ricci_lit.analysis.knn_preservation.width_bound`,
# {py:func}`~ricci_lit.analysis.knn_preservation.kth_gap`). A wide linear layer then changes no graph
# (hop) distance or curvature; only a nonlinearity can rewire the graph. Paper 2 checks this
# numerically (appendix A.4.1) on random linear networks and their ReLU counterparts. Here
# {py:func}`~ricci_lit.analysis.knn_preservation.linear_vs_relu` does the same on
# {glue:md}`ch09_knn_setting`: for each width $m$ and seed one random network
# $H_l = \sigma(H_{l-1} W_l^\top)$ without biases, run with $\sigma$ the identity and with ReLU on the same
# weights, and per layer the share of the kNN graph's edges that survive the layer
# ({py:func}`~ricci_lit.analysis.knn_preservation.edge_overlap`), whether the graph is unchanged, and
# the share of the input graph's edges still present.

# %%
x0_tr, y0_tr, x0_te, y0_te = first_data
pres = linear_vs_relu(x0_te, widths, k, depth=depth, seeds=random_seeds)
by_width = (pres.groupby(["width", "network"])
            .agg(kept=("kept", "mean"), kept_from_input=("kept_from_input", "mean"), equal=("equal", "mean"))
            .reset_index())
display(by_width.pivot(index="width", columns="network", values=["kept", "kept_from_input", "equal"]).round(3))
fig = plotting.coefficient_by_k_figure(by_width, x="width", y="kept", hue="network",
                                       ylabel="share of kNN edges kept")
fig.axes[0].set_ylim(0.0, 1.02)  # a share, not a correlation
display(fig)

# %% [markdown]
# Per width: the share of each layer's incoming kNN edges it keeps (`kept`), the share of the input
# graph's edges present after the layer (`kept_from_input`), and the share of layers whose kNN graph is
# unchanged (`equal`), means over the layers and seeds; the figure plots `kept` against the width
# (log axis).

# %%
DELTA = 0.05  # the theorem's failure probability
eps = kth_gap(x0_te, k)
bound = width_bound(len(x0_te), DELTA, eps)


def power_of_ten(v: float) -> str:
    """``v`` as ``a \\times 10^{b}`` (LaTeX, for the glued prose)."""
    e = int(np.floor(np.log10(v)))
    return f"{v / 10 ** e:.1f} \\times 10^{{{e}}}"


def share_of(count: int, total: int) -> str:
    return f"none of the {total}" if count == 0 else f"all {total}" if count == total else f"{count} of the {total}"


kept_by = by_width.pivot(index="width", columns="network", values="kept")
lin, relu = pres[pres["network"] == "linear"], pres[pres["network"] == "relu"]
n_ahead = int((kept_by["linear"] > kept_by["relu"]).sum())
glue("ch09_knn_setting", Markdown(
    f"{len(x0_te)} test points of `{problems[0]}` ({x0_te.shape[1]} pixels), $k$ = {k}, networks of {depth} "
    f"layers of widths {widths[0]}–{widths[-1]} and {len(random_seeds)} seed(s) per width"), display=False)
glue("ch09_knn_lin_small", f"{kept_by['linear'].iloc[0]:.0%}", display=False)
glue("ch09_knn_lin_large", f"{kept_by['linear'].iloc[-1]:.0%}", display=False)
glue("ch09_knn_relu_small", f"{kept_by['relu'].iloc[0]:.0%}", display=False)
glue("ch09_knn_relu_large", f"{kept_by['relu'].iloc[-1]:.0%}", display=False)
glue("ch09_knn_w_small", f"{widths[0]}", display=False)
glue("ch09_knn_w_large", f"{widths[-1]}", display=False)
glue("ch09_knn_ahead", "at every width" if n_ahead == len(kept_by) else
     f"at {n_ahead} of the {len(kept_by)} widths", display=False)
glue("ch09_knn_equal", share_of(int(lin["equal"].sum()), len(lin)), display=False)
glue("ch09_knn_equal_relu", share_of(int(relu["equal"].sum()), len(relu)), display=False)
glue("ch09_knn_eps", Markdown(f"${power_of_ten(eps)}$" if eps > 0 else "0 (tied distances)"), display=False)
glue("ch09_knn_bound", Markdown(
    (f"$m \\ge {power_of_ten(bound)}$" if np.isfinite(bound) else "no finite width") + f" (δ = {DELTA})"),
    display=False)
steps = np.diff(kept_by["linear"].to_numpy())
glue("ch09_knn_trend", "rises at every step of the width" if (steps > 0).all() else
     "does not rise at every step of the width", display=False)
gap = 100 * (kept_by["linear"].iloc[-1] - kept_by["relu"].iloc[-1])
glue("ch09_knn_relu_gap", f"{abs(gap):.0f} percentage points {'fewer' if gap > 0 else 'more'}", display=False)
glue("ch09_knn_bound_vs", "far beyond" if bound > 10 * widths[-1] else
     ("beyond" if bound > widths[-1] else "within"), display=False)

# %% [markdown]
# The linear network keeps {glue:text}`ch09_knn_lin_small` of a layer's kNN edges at width
# {glue:text}`ch09_knn_w_small` and {glue:text}`ch09_knn_lin_large` at width
# {glue:text}`ch09_knn_w_large`; its ReLU counterpart, on the same weights, {glue:text}`ch09_knn_relu_small`
# and {glue:text}`ch09_knn_relu_large`. The linear network keeps more edges {glue:text}`ch09_knn_ahead`.
# The exact equality of Theorem 3.1 is another matter: {glue:text}`ch09_knn_equal` linear layers and
# {glue:text}`ch09_knn_equal_relu` ReLU layers leave the kNN graph unchanged. For these points the
# smallest relative gap is $\varepsilon$ = {glue:md}`ch09_knn_eps`, so the theorem asks for
# {glue:md}`ch09_knn_bound`, {glue:text}`ch09_knn_bound_vs` the widest network tried. Exact
# preservation is a statement about very wide layers; at the widths tried the graded share is what can
# be compared: the linear network's share {glue:text}`ch09_knn_trend`, and at the largest width the
# ReLU network keeps {glue:text}`ch09_knn_relu_gap` of a layer's edges than the linear one.
#
# The same comparison for a network of this chapter: the first seed's `ResidualMLP` on `mnist-10`
# from the section above, trained and at initialisation, against its
# {py:func}`~ricci_lit.networks.zoo.linear_counterpart` (the same weights with every `nn.ReLU`
# replaced by the identity), by {py:func}`~ricci_lit.analysis.knn_preservation.transition_overlaps`
# on the same test points. Unlike the random networks above, these have biases and trained (not
# Gaussian) weights, and the projection `stem` maps 784 pixels to 50 dimensions, so the theorem does
# not apply; the comparison shows how much of the rewiring the activations do.

# %%
rows = []
for state, model in kept_models.items():
    for network, net in (("relu", model), ("linear", linear_counterpart(model))):
        reps = ricci_lit.layer_representations(net, x0_te, list(model.representation_layers), device="cpu")
        rows.append(transition_overlaps(list(reps.values()), k, names=list(reps)).assign(state=state, network=network))
res_overlap = pd.concat(rows, ignore_index=True)
display(res_overlap.pivot_table(index=["layer", "name"], columns=["state", "network"], values="kept").round(3))
res_mean = res_overlap.groupby(["state", "network"])["kept"].mean()
res_out = res_overlap[res_overlap["layer"] == res_overlap["layer"].max()].set_index(["state", "network"])
for state in ("trained", "untrained"):
    for network in ("relu", "linear"):
        glue(f"ch09_res_kept_{state}_{network}", f"{res_mean[(state, network)]:.0%}", display=False)
        glue(f"ch09_res_out_{state}_{network}", f"{res_out.loc[(state, network), 'kept_from_input']:.0%}",
             display=False)
lin_t, relu_t = (f"{res_mean[('trained', nw)]:.0%}" for nw in ("linear", "relu"))
glue("ch09_res_cmp", "as many as with the ReLUs, to the percent" if lin_t == relu_t else
     ("more" if res_mean[("trained", "linear")] > res_mean[("trained", "relu")] else "fewer") + " than with the ReLUs",
     display=False)
blocks_only = res_overlap[res_overlap["name"].str.startswith("blocks.")]
blk = blocks_only.groupby(["state", "network"])["kept"].mean()
n_relu_more = int(sum(blk[(s_, "relu")] > blk[(s_, "linear")] for s_ in ("trained", "untrained")))
glue("ch09_res_blocks", Markdown(
    "In the residual blocks alone the ReLU network keeps more edges than its linear counterpart, "
    f"trained ({blk[('trained', 'relu')]:.0%} against {blk[('trained', 'linear')]:.0%}) and at initialisation "
    f"({blk[('untrained', 'relu')]:.0%} against {blk[('untrained', 'linear')]:.0%}). A plausible reading: a block adds "
    "$\\mathrm{ReLU}(W h + b)$ to $h$, and the ReLU, by zeroing part of that update, leaves more of the "
    "geometry to the identity path than the linear update $W h + b$ does."
    if n_relu_more == 2 else
    "In the residual blocks alone the ReLU network keeps "
    f"{blk[('trained', 'relu')]:.0%} of the edges trained and {blk[('untrained', 'relu')]:.0%} at initialisation, "
    f"its linear counterpart {blk[('trained', 'linear')]:.0%} and {blk[('untrained', 'linear')]:.0%}."),
    display=False)

# %% [markdown]
# The share of each transition's incoming kNN edges kept (`layer` 1 is input → `stem`, the last is the
# last block → logits). Averaged over the transitions, the trained network keeps
# {glue:text}`ch09_res_kept_trained_relu` of the edges per transition and its linear counterpart
# {glue:text}`ch09_res_kept_trained_linear` ({glue:text}`ch09_res_cmp`); at
# initialisation {glue:text}`ch09_res_kept_untrained_relu` and {glue:text}`ch09_res_kept_untrained_linear`.
# Of the input graph's edges, the trained network's logits keep {glue:text}`ch09_res_out_trained_relu`
# and the linear counterpart's {glue:text}`ch09_res_out_trained_linear`
# ({glue:text}`ch09_res_out_untrained_relu` and {glue:text}`ch09_res_out_untrained_linear` at
# initialisation). {glue:md}`ch09_res_blocks`

# %% [markdown]
# ## A transformer's token representations
#
# Nothing above is specific to fully connected or convolutional networks. A small vision transformer,
# defined here: each 28×28 image becomes 7 tokens (bands of 4 rows, 112 pixels each, by an
# `nn.Unflatten`), projected to $d = 32$ with a learned position embedding, then four
# `nn.TransformerEncoderLayer`s (4 heads, `batch_first=True`, no dropout), the mean token and a linear
# head. It is trained like the networks above (the first seed, {py:func}`~ricci_lit.networks.fit.fit`
# on the same `mnist-10` training points and epochs) and analysed trained and at the same seed's
# initialisation. An encoder layer outputs `[batch, tokens, d]`;
# {py:func}`~ricci_lit.networks.capture.layer_representations` turns that into a point cloud in one
# of two ways, both used here:
#
# - `tokens="all"`: every token is a point, `[batch·tokens, d]` (row $b \cdot 7 + t$ is token $t$ of
#   image $b$), each with its image's label. The input `[batch, 784]` has one row per image, so these
#   clouds start at the first encoder layer (`include_input=False`): four representations, three
#   transitions.
# - `tokens="mean"`: one point per image, the mean over its tokens, from the input (kept as it is)
#   through the patches, the embedding and the four layers to the logits: one point per image in every
#   representation, as for the other networks.

# %%
class PatchTransformer(nn.Module):
    def __init__(self, n_tokens: int = 7, d: int = 32, n_layers: int = 4, n_classes: int = 10) -> None:
        super().__init__()
        self.patches = nn.Unflatten(1, (n_tokens, 784 // n_tokens))  # [B, 784] → [B, 7, 112]
        self.embed = nn.Linear(784 // n_tokens, d)
        self.position = nn.Parameter(0.02 * torch.randn(1, n_tokens, d))
        self.blocks = nn.Sequential(*[nn.TransformerEncoderLayer(d, nhead=4, dim_feedforward=64, dropout=0.0,
                                                                 batch_first=True) for _ in range(n_layers)])
        self.head = nn.Linear(d, n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.embed(self.patches(x.reshape(x.shape[0], -1))) + self.position
        return self.head(self.blocks(h).mean(dim=1))


n_tokens, blocks = 7, [f"blocks.{i}" for i in range(4)]
tf_tables, tf_rows = [], []
for state in ("untrained", "trained"):
    tf = seeded(PatchTransformer, seeds[0])
    if state == "trained":
        fit(tf, x0_tr, y0_tr, epochs=epochs, batch_size=128, seed=seeds[0], device="cpu")
    acc = float((predict_classes(tf, x0_te) == y0_te).mean())
    clouds = {
        "every token": ricci_lit.analyze(tf, x0_te, blocks, k, tokens="all", include_input=False,
                                         labels=np.repeat(y0_te, n_tokens), device="cpu"),
        "mean token": ricci_lit.analyze(tf, x0_te, ["patches", "embed", *blocks, "head"], k, tokens="mean",
                                        labels=y0_te, device="cpu"),
    }
    for cloud, a in clouds.items():
        tf_tables.append(a.table()[["name", "features", "ric", "eta", "modularity"]].assign(state=state, cloud=cloud))
        tf_rows.append({"state": state, "cloud": cloud, "points": a.n, "rho": a.rho,
                        "q_first": a.modularity[0], "q_last": a.modularity[-1], "test_accuracy": acc})
tf_summary = pd.DataFrame(tf_rows).set_index(["state", "cloud"])
display(tf_summary.round(3))
display(pd.concat(tf_tables).set_index(["cloud", "state", "name"]).round(3))

# %% [markdown]
# The first table: per state and cloud, the number of points, the global coefficient $\rho$ (Forman),
# the class modularity of the first and the last representation and the test accuracy; the second,
# per representation, $\mathrm{Ric}_l$, $\eta_l$ of the transition leaving it and the modularity.

# %%
def fmt_rho(r: float | None) -> str:
    return "undefined" if r is None or not np.isfinite(r) else f"{r:.2f}"


for (state, cloud), row in tf_summary.iterrows():
    tag = f"{state}_{'tok' if cloud == 'every token' else 'img'}"
    glue(f"ch09_tf_rho_{tag}", fmt_rho(row["rho"]), display=False)
    glue(f"ch09_tf_q0_{tag}", f"{row['q_first']:.2f}", display=False)
    glue(f"ch09_tf_q1_{tag}", f"{row['q_last']:.2f}", display=False)
glue("ch09_tf_acc", f"{tf_summary.loc[('trained', 'mean token'), 'test_accuracy']:.0%}", display=False)
glue("ch09_tf_acc0", f"{tf_summary.loc[('untrained', 'mean token'), 'test_accuracy']:.0%}", display=False)
glue("ch09_tf_points", f"{tf_summary.loc[('trained', 'every token'), 'points']}", display=False)
dq = {s: tf_summary.loc[(s, "every token"), "q_last"] - tf_summary.loc[(s, "every token"), "q_first"]
      for s in ("trained", "untrained")}
glue("ch09_tf_q_dir", "rises" if dq["trained"] > 0 else "falls" if dq["trained"] < 0 else "stays", display=False)

# %% [markdown]
# After training the transformer classifies {glue:text}`ch09_tf_acc` of the test points
# ({glue:text}`ch09_tf_acc0` at initialisation). On the cloud of all {glue:text}`ch09_tf_points`
# tokens the global coefficient is {glue:text}`ch09_tf_rho_trained_tok` trained and
# {glue:text}`ch09_tf_rho_untrained_tok` at initialisation; with four representations it is a
# correlation of three $(\mathrm{Ric}_l, \eta_l)$ pairs, a weak statistic. The class modularity of the token graphs
# {glue:text}`ch09_tf_q_dir` through the trained encoder, from {glue:text}`ch09_tf_q0_trained_tok` after
# the first layer to {glue:text}`ch09_tf_q1_trained_tok` after the last
# ({glue:text}`ch09_tf_q0_untrained_tok` and {glue:text}`ch09_tf_q1_untrained_tok` at initialisation).
# On the mean-token clouds, input to logits like the
# networks above, $\rho$ is {glue:text}`ch09_tf_rho_trained_img` trained and
# {glue:text}`ch09_tf_rho_untrained_img` at initialisation, and the modularity goes from
# {glue:text}`ch09_tf_q0_trained_img` at the input to {glue:text}`ch09_tf_q1_trained_img` at the
# logits ({glue:text}`ch09_tf_q1_untrained_img` at initialisation). One seed and a few epochs: an
# example of the analysis on token representations, not a test of the papers.
