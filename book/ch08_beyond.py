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
# # Beyond paper 1: controls, curvature notions, layers, training and uncertainty
#
# Paper 1 reports one number per network, the global coefficient $\rho$. Paper 2 (Hehl, von
# Renesse & Weber 2025) adds a local coefficient $\rho(x)$ per test point and a layer coefficient
# $\rho_l$ per transition, and with them a control that paper 1 lacks: the same coefficients for
# **untrained** networks. This chapter computes, with {py:mod}`ricci_lit.geometry.engine`, {py:mod}`ricci_lit.analysis.paper2` and
# {py:mod}`ricci_lit.analysis.uncertainty`: the untrained-versus-trained control, the agreement of the curvature
# notions, layer profiles with a critical layer, the coefficients along training with an
# early-stopping rule, and bootstrap intervals for paper 1's aggregated coefficient and regression.
#
# **Scope.** The first section reads the committed *paper-scale* coefficients store
# (`results/paper-coefficients`, made by `ricci-lit coefficients` from the networks of
# `results/paper`): paper 1's own trained networks, each also at its initialisation, at the $k$
# paper 1's rule chose for its configuration, with three curvatures and both graph modes. The
# sections after it demonstrate the remaining analyses (curvature agreement on edges, a critical
# layer, training dynamics) on *small settings* that train their own networks in about a minute
# (the `quick` values below); those numbers illustrate the analyses and are not evidence for or
# against either paper. The bootstrap at the end uses the results of {doc}`ch07_results`.

# %% tags=["parameters"]
profile = "quick"  # "quick" (default) or "paper": the scale of every analysis below
results_root = "results"  # results directory of ch06/ch07, relative to the repository (or absolute)
problems = None  # problems of the untrained/trained control (None: the profile value)
architecture = "narrow-shallow"  # architecture of the control and of the curvature comparison
profile_architecture = "narrow-deep"  # the deeper architecture of the layer profiles
seeds = None  # network seeds (None: the profile value)
epochs = None  # training epochs (None: the profile value)
n_test = None  # test points of the geometry (None: the profile value)
k = None  # neighbourhood size (None: the profile value)
trajectory_epochs = None  # epochs of the training trajectory (None: the profile value)
n_boot = None  # bootstrap replicates (None: the profile value)

# %% tags=["hide-input"]
import warnings

import numpy as np
import pandas as pd
from IPython.display import Markdown, display
from myst_nb import glue

from ricci_lit import book, plotting
from ricci_lit.analysis import paper1, paper2, uncertainty
from ricci_lit.analysis.coefficients import (
    k_robustness,
    mode_agreement,
    negative_at_every_k,
    sign_agreement,
    summarise_coefficients,
)
from ricci_lit.analysis.paper2 import CRITICAL_THRESHOLD
from ricci_lit.analysis.targets import TOLERANCES
from ricci_lit.book import book_coefficients, book_p2, book_results, resolve_results_root, store_code
from ricci_lit.data.problems import WELL_TRAINED_THRESHOLD, load_problem
from ricci_lit.experiments.controls import trained_vs_untrained
from ricci_lit.experiments.paper2 import PLANS as P2_PLANS
from ricci_lit.experiments.trajectory import local_coefficient_trajectory
from ricci_lit.geometry import engine
from ricci_lit.geometry.community import community_table
from ricci_lit.networks.mlp import MLPEnsemble, representations
from ricci_lit.networks.training import TrainConfig, train_ensemble

PROFILES = {
    "quick": {"problems": ["syn-1", "A"], "seeds": [0, 1, 2, 3], "epochs": 20, "n_test": 300, "k": 30,
              "trajectory_epochs": 24, "trajectory_seeds": [0, 1, 2], "n_boot": 500},
    "paper": {"problems": ["syn-1", "syn-2", "A", "B", "C", "mnist-1v7"], "seeds": list(range(20)), "epochs": 50,
              "n_test": 1000, "k": 50, "trajectory_epochs": 50, "trajectory_seeds": list(range(10)),
              "n_boot": 2000},
}
setup = book.chapter_setup(profile, PROFILES, results_root=str(results_root), problems=problems,
                           architecture=architecture, profile_architecture=profile_architecture, seeds=seeds,
                           epochs=epochs, n_test=n_test, k=k, trajectory_epochs=trajectory_epochs, n_boot=n_boot)
problems, seeds = list(setup["problems"]), [int(s) for s in setup["seeds"]]
epochs, n_test, k = int(setup["epochs"]), int(setup["n_test"]), int(setup["k"])
trajectory_epochs, n_boot = int(setup["trajectory_epochs"]), int(setup["n_boot"])
settings = PROFILES[profile]
CURVATURES = list(engine.DEFAULT_CURVATURES)
glue("ch08_settings", Markdown(
    f"{len(seeds)} seeds of the `{architecture}` architecture, {epochs} epochs of paper 1's training, "
    f"{n_test} test points, $k$ = {k}, on " + ", ".join(f"`{p}`" for p in problems)), display=False)

# %% [markdown]
# ## At paper scale: paper 1's networks, trained and untrained
#
# {py:func}`~ricci_lit.experiments.coefficients.run_coefficient_sweep` takes each network of the paper store from
# its checkpoint, rebuilds the same network at its initialisation from its seed, and computes for
# both, on the full test set and at the $k$ chosen for the configuration in {doc}`ch07_results`: the
# global coefficient over all representations (paper 2's convention), paper 1's global coefficient
# over the hidden layers ($\rho_\text{hidden}$, Eq. 8), the local coefficients of every test point
# and the layer coefficients, for the Forman, augmented Forman and approximate Ollivier
# curvatures, on the union graphs and on graphs built as paper 1's R code builds them (`r-compat`).
# Exact Ollivier costs tens of seconds per graph at 1,000 points (one transport problem per edge;
# about 20 s at $k$ = 50, and the image problems have 2,000 points and $k$ = 500), so it is left out
# at this scale and checked on a few networks below. This section renders
# {glue:md}`ch08_coef_description`

# %%
rendered = book_results(profile, root=results_root)
coef = book_coefficients(results_root, problems=sorted(set(rendered.networks["problem"]))) \
    if rendered.source == "paper" else None
if coef is None:
    raise RuntimeError("no paper-scale coefficients store for the rendered results: run `ricci-lit coefficients "
                       "--results results/paper --out results/paper-coefficients` first")
glue("ch08_coef_description", Markdown(coef.description + "."), display=False)
cnets, clayers = coef.networks, coef.layers
union = cnets[cnets["mode"] == "union"]
ctable = summarise_coefficients(union, by=("problem", "state", "curvature"))
hidden_neg = (union.assign(neg=union["rho_hidden"] < 0, ok=union["rho_hidden"].notna())
              .groupby(["problem", "state", "curvature"])
              .apply(lambda g: g.loc[g["ok"], "neg"].mean(), include_groups=False).rename("hidden_fraction_negative"))
ctable = ctable.merge(hidden_neg.reset_index(), on=["problem", "state", "curvature"])
with pd.option_context("display.max_rows", 200):
    display(ctable[["problem", "state", "curvature", "n_networks", "global_n_defined", "global_fraction_negative",
                    "hidden_fraction_negative", "local_mean", "local_std", "test_accuracy_mean"]]
            .round(3).set_index(["problem", "state", "curvature"]))

# %% [markdown]
# Per problem, state and curvature (union graphs): the networks, how many have a defined global
# $\rho$ over all representations (a trained network's 1-D output graph usually splits into its two
# predicted classes, which leaves this $\rho$ undefined), the share of those below 0, the share of
# paper 1's hidden-layer $\rho_\text{hidden}$ below 0, the mean and spread of the networks' mean local
# coefficients, and the mean test accuracy.

# %%
SHORT = {"forman": "F", "augmented-forman": "AF", "approx-ollivier": "AO"}
fig = plotting.control_coefficients_figure(
    union.assign(curvature=lambda d: d["problem"] + " · " + d["curvature"].map(SHORT)),
    columns={"rho_hidden": "paper 1's ρ (hidden layers)", "local_mean": "mean local ρ(x)"}, x="curvature")
glue("ch08_paper_control_fig", fig, display=False)
forman_u = union[(union["curvature"] == "forman") & (union["state"] == "untrained")]
forman_t = union[(union["curvature"] == "forman") & (union["state"] == "trained")]
oll_u = union[(union["curvature"] == "approx-ollivier") & (union["state"] == "untrained")]
oll_t = union[(union["curvature"] == "approx-ollivier") & (union["state"] == "trained")]


def share_negative(values: pd.Series) -> float:
    v = values.dropna()
    return float((v < 0).mean()) if len(v) else float("nan")


paper_numbers = {
    "untrained, P2's global ρ (all representations) < 0": share_negative(forman_u["rho"]),
    "untrained, paper 1's ρ (hidden layers) < 0": share_negative(forman_u["rho_hidden"]),
    "trained, paper 1's ρ (hidden layers) < 0": share_negative(forman_t["rho_hidden"]),
}
glue("ch08_p_glob_untrained", f"{paper_numbers['untrained, P2' + chr(39) + 's global ρ (all representations) < 0']:.0%}",
     display=False)
glue("ch08_p_hidden_untrained", f"{paper_numbers['untrained, paper 1' + chr(39) + 's ρ (hidden layers) < 0']:.0%}",
     display=False)
glue("ch08_p_hidden_trained", f"{paper_numbers['trained, paper 1' + chr(39) + 's ρ (hidden layers) < 0']:.0%}",
     display=False)
glue("ch08_p_local_untrained", f"{oll_u['local_mean'].mean():+.3f}", display=False)
glue("ch08_p_local_trained", f"{oll_t['local_mean'].mean():+.3f}", display=False)
glue("ch08_p_n", f"{len(forman_u):,}", display=False)
pd.Series(paper_numbers, name="share (Forman, union graphs)").round(3).to_frame()

# %% [markdown]
# ```{glue:figure} ch08_paper_control_fig
# :name: ch08-paper-control
#
# Paper 1's networks at paper scale: paper 1's global coefficient over the hidden layers (left) and
# each network's mean local coefficient (right), by problem and curvature (F Forman, AF augmented
# Forman, AO approximate Ollivier), untrained and trained (one dot per network, black bar the mean,
# dashed line 0; union graphs).
# ```
#
# Over the {glue:text}`ch08_p_n` untrained networks (Forman curvature, union graphs), paper 2's
# global coefficient is negative for {glue:text}`ch08_p_glob_untrained` and paper 1's hidden-layer
# coefficient for {glue:text}`ch08_p_hidden_untrained`, against {glue:text}`ch08_p_hidden_trained`
# of the same networks after training. The mean local coefficient (approximate Ollivier) is
# {glue:text}`ch08_p_local_untrained` untrained and {glue:text}`ch08_p_local_trained` trained.
#
# ### Do the curvature notions lead to the same conclusion?
#
# For every pair of curvatures, the share of networks whose coefficient has the same sign under
# both ({py:func}`~ricci_lit.analysis.coefficients.sign_agreement`, matched network by network), for paper 1's
# $\rho_\text{hidden}$ and for the mean local coefficient, trained networks, union graphs:

# %%
trained_union = union[union["state"] == "trained"].assign(network=lambda d: d["seed"])
sign_hidden = sign_agreement(trained_union, column="rho_hidden", by=("problem", "architecture", "state"))
sign_local = sign_agreement(trained_union, column="local_mean", by=("problem", "architecture", "state"))
glue("ch08_p_sign_min", f"{np.nanmin(sign_hidden.to_numpy()):.0%}", display=False)
display(sign_hidden.round(3).rename_axis("ρ_hidden: same sign"))
sign_local.round(3).rename_axis("local mean: same sign")

# %% [markdown]
# The lowest agreement on the sign of paper 1's coefficient between two curvatures is
# {glue:text}`ch08_p_sign_min`: with one $k$ per configuration, which curvature one uses decides the
# verdict for a sizeable share of the networks.
#
# ### Graph mode: union against paper 1's R construction
#
# Paper 1's R code counts a mutual neighbour pair twice and keeps distance ties
# ({doc}`ch03_graphs`); the hop distances are the same, the Forman curvature is not. The share of
# trained networks with a negative $\rho_\text{hidden}$ under each mode, and how often the two modes
# agree on the sign network by network:

# %%
mode_table = mode_agreement(cnets[cnets["state"] == "trained"], "rho_hidden", modes=("union", "r-compat"))
forman_modes = mode_table.xs("forman", level="curvature")
glue("ch08_mode_same_min", f"{forman_modes['same sign'].min():.0%}", display=False)
glue("ch08_mode_same_max", f"{forman_modes['same sign'].max():.0%}", display=False)
mode_table.round(3)

# %% [markdown]
# With the Forman curvature, the two constructions give paper 1's coefficient the same sign for
# {glue:text}`ch08_mode_same_min` to {glue:text}`ch08_mode_same_max` of the trained networks,
# depending on the problem.
#
# ### Layer coefficients of the deep networks
#
# The layer coefficient $\rho_l$ averaged over the networks with 11 hidden layers (transition 0 is
# input → first hidden layer, the last is last hidden layer → output), approximate Ollivier, union
# graphs, per problem, untrained and trained:

# %%
deep_layers = clayers[(clayers["n_hidden"] == 11) & (clayers["mode"] == "union")
                      & (clayers["curvature"] == "approx-ollivier")]
deep_profile = paper2.profile_from_layers(
    # pool the three deep architectures of a problem (each at its own chosen k)
    deep_layers.assign(network=deep_layers["architecture"] + "/" + deep_layers["seed"].astype(str), layers="all",
                       k="chosen per configuration"),
    by=("problem", "state"))
deep_profile["line"] = deep_profile["problem"] + " · " + deep_profile["state"]
crit_paper = {line: paper2.critical_layer(grp, CRITICAL_THRESHOLD) for line, grp in deep_profile.groupby("line")}
fig = plotting.layer_profile_figure(deep_profile, hue="line", critical=crit_paper, threshold=CRITICAL_THRESHOLD)
glue("ch08_paper_profile_fig", fig, display=False)
by_state = deep_profile.groupby("state")["rho_mean"]
glue("ch08_untrained_layer_range", f"{by_state.min()['untrained']:.2f} to {by_state.max()['untrained']:.2f}",
     display=False)
last = deep_profile[deep_profile["transition"] == deep_profile["transition"].max()]
glue("ch08_trained_last", ", ".join(f"{r.problem} {r.rho_mean:+.2f}" for r in last[last["state"] == "trained"].itertuples()),
     display=False)
deep_profile.pivot(index="transition", columns="line", values="rho_mean").round(3)

# %% [markdown]
# ```{glue:figure} ch08_paper_profile_fig
# :name: ch08-paper-profile
#
# Mean layer coefficient (± one standard error) of the deep networks of paper 1 at paper scale,
# per problem, untrained and trained; rings mark the critical layer by the rule of the small-scale
# section below (threshold −0.2, dotted).
# ```
#
# Paper 2 reports, for its own networks, a U-shape with a minimum of about −0.65 to −0.73 in the
# early-middle layers and a rise toward −0.1 at the end; {doc}`ch07_results` judges that statement
# (item 8) on these profiles. The untrained networks are no control-free baseline here either: their
# mean layer coefficients lie between {glue:text}`ch08_untrained_layer_range`, as negative as the
# trained ones in the early layers. What training adds is the rise in the last layers (last
# transition, trained: {glue:text}`ch08_trained_last`).

# %% [markdown]
# ### Is the local coefficient robust to $k$?
#
# Every number above uses one $k$ per configuration, the one paper 1's rule chose. Paper 2 checks
# its local coefficient at $k$ = 20, 50, 70, 100 and 150 (three width-25, depth-7 networks per data
# set, exact Ollivier) and finds its mean negative at every $k$. The same check on paper 1's own
# networks: `ricci-lit coefficients --k 20,50,70,100,150` evaluates the first networks of the
# `narrow-shallow` configuration (width 25, five hidden layers, the closest of paper 1's designs to
# paper 2's) of every problem at each $k$ ({py:func}`~ricci_lit.analysis.coefficients.k_robustness` summarises
# it). This section renders {glue:md}`ch08_k_description`

# %%
kcoef = book_coefficients(results_root, name="paper-k-robustness",
                          problems=sorted(set(rendered.networks["problem"])))
if kcoef is None:
    k_table = None
    glue("ch08_k_description", Markdown("no committed k-robustness store (`results/paper-k-robustness`), so "
                                        "nothing: run the command above to compute it."), display=False)
    glue("ch08_k_summary", Markdown("Not computed for these results."), display=False)
    glue("ch08_k_fig", plotting.message_figure("no k-robustness store"), display=False)
    glue("ch08_k_counts", Markdown("no networks"), display=False)
    glue("ch08_k_short", Markdown("The robustness of the local coefficient to $k$ is not computed here."),
         display=False)
else:
    glue("ch08_k_description", Markdown(kcoef.description + "."), display=False)
    k_table = k_robustness(kcoef.networks, curvature="approx-ollivier")
    k_af = k_robustness(kcoef.networks, curvature="augmented-forman")
    k_both = pd.concat([k_table.assign(curvature="approx-ollivier"), k_af.assign(curvature="augmented-forman")])
    fig = plotting.coefficient_by_k_figure(k_table.assign(line=k_table["problem"]), y="local_mean", hue="line",
                                          ylabel="mean local ρ(x), approx. Ollivier")
    glue("ch08_k_fig", fig, display=False)
    neg_cfg = pd.concat({"approx-ollivier": negative_at_every_k(k_table), "augmented-forman": negative_at_every_k(k_af)},
                        names=["curvature"]).droplevel("architecture")
    parts = []
    for curv, grp in neg_cfg.groupby(level="curvature"):
        sub = k_both[k_both["curvature"] == curv]
        name = {"approx-ollivier": "approximate Ollivier", "augmented-forman": "augmented Forman"}[curv]
        parts.append(f"with the {name} curvature the mean local coefficient is negative at every "
                     f"k for {int(grp.sum())} of {len(grp)} problems (all values between "
                     f"{sub['local_mean'].min():+.2f} and {sub['local_mean'].max():+.2f})")
    ao = neg_cfg.xs("approx-ollivier", level="curvature")
    glue("ch08_k_short", Markdown(
        f"Paper 2's robustness to $k$ holds on paper 1's networks for {int(ao.sum())} of {len(ao)} problems "
        f"(approximate Ollivier: mean local coefficient negative at every $k$ from {k_table['k'].min()} to "
        f"{k_table['k'].max()}; not for {', '.join(f'`{p}`' for p in ao.index[~ao.to_numpy()]) or 'none'})."),
        display=False)
    k_text = "; ".join(parts)
    glue("ch08_k_summary", Markdown(k_text[0].upper() + k_text[1:] + "."), display=False)
    counts = k_table.groupby("problem")[["n_networks", "n_well_trained"]].first()
    n_lo, n_hi = int(counts["n_networks"].min()), int(counts["n_networks"].max())
    glue("ch08_k_counts", Markdown(
        f"{n_lo if n_lo == n_hi else f'{n_lo}–{n_hi}'} networks per problem, "
        f"{int(counts['n_well_trained'].sum())} of {int(counts['n_networks'].sum())} of them above paper 1's accuracy "
        "threshold (paper 2 used only networks above 99 %; all are shown here, and the count per problem is the "
        "last column)"), display=False)
    display(k_both.pivot_table(index=["curvature", "problem"], columns="k", values="local_mean").round(3)
            .join(counts))

# %% [markdown]
# ```{glue:figure} ch08_k_fig
# :name: ch08-k-robustness
#
# Mean local coefficient (approximate Ollivier, union graphs) of paper 1's trained `narrow-shallow`
# networks against $k$, one line per problem.
# ```
#
# {glue:md}`ch08_k_summary` The table gives the values per problem, curvature and $k$
# ({glue:md}`ch08_k_counts`); {doc}`ch07_results` judges paper 2's statement on them (item 8).

# %% [markdown]
# ### The fourth curvature: exact Ollivier on paper 1's networks
#
# Paper 2's main curvature is the exact Ollivier curvature, one optimal-transport problem per edge;
# everything above uses its approximation (and the two Formans). On the graphs of paper 1's networks
# the exact one costs tens of seconds per graph (about 20 s for one hidden layer of a `narrow-shallow`
# network of A at 1,000 points and $k$ = 50, against milliseconds for the approximation), so it is
# computed for a few networks only: `ricci-lit coefficients --curvatures
# forman,augmented-forman,approx-ollivier,ollivier --k 50 --problems A --architectures narrow-shallow
# --seeds 2 --modes union --out results/paper-ollivier`, trained and at initialisation. This section
# renders {glue:md}`ch08_oll_description`

# %%
ocoef = book_coefficients(results_root, name="paper-ollivier", problems=sorted(set(rendered.networks["problem"])))
if ocoef is None:
    glue("ch08_oll_description", Markdown("no committed exact-Ollivier store (`results/paper-ollivier`), so "
                                          "nothing: run the command above to compute it."), display=False)
    glue("ch08_oll_summary", Markdown("Not computed for these results."), display=False)
    oll_networks = pd.DataFrame()
else:
    glue("ch08_oll_description", Markdown(ocoef.description + "."), display=False)
    on, ol = ocoef.networks, ocoef.layers
    oll_networks = on.pivot_table(index=["problem", "architecture", "state", "seed"], columns="curvature",
                                  values=["rho_hidden", "local_mean"]).round(3)
    # per-transition layer coefficients and total curvatures, matched across curvatures
    lay_wide = ol.pivot_table(index=["problem", "architecture", "state", "seed", "transition"],
                              columns="curvature", values="layer_rho")
    lay_corr = lay_wide.corr(method="pearson")
    ric_corr = ol.pivot_table(index=["problem", "architecture", "state", "seed", "transition"],
                              columns="curvature", values="ric").corr(method="pearson")
    display(pd.concat({"layer ρ_l": lay_corr, "Ric per layer": ric_corr}).round(3))
    exact = on[on["curvature"] == "ollivier"].set_index(["state", "seed"])
    approx = on[on["curvature"] == "approx-ollivier"].set_index(["state", "seed"])
    diff = (exact["local_mean"] - approx["local_mean"]).abs()
    signs_oll = sign_agreement(on.assign(network=on["seed"]), column="local_mean",
                                        by=("problem", "architecture", "state"))
    same = [signs_oll.loc["ollivier", c] for c in ("forman", "augmented-forman", "approx-ollivier")]
    glue("ch08_oll_summary", Markdown(
        f"Over the {len(exact)} network states, the exact and approximate Ollivier curvatures give mean local "
        f"coefficients within {diff.max():.3f} of each other, and their layer coefficients correlate at "
        f"r = {lay_corr.loc['ollivier', 'approx-ollivier']:.3f} (Forman: r = {lay_corr.loc['ollivier', 'forman']:.3f}, "
        f"augmented Forman: r = {lay_corr.loc['ollivier', 'augmented-forman']:.3f}). The sign of the mean local "
        f"coefficient agrees with the exact Ollivier one for {same[0]:.0%} (Forman), {same[1]:.0%} (augmented "
        f"Forman) and {same[2]:.0%} (approximate Ollivier) of them."), display=False)
oll_networks

# %% [markdown]
# Per network and state: paper 1's hidden-layer coefficient and the mean local coefficient under
# each curvature; the table above it correlates, over every transition of these networks, the layer
# coefficients and the per-layer total curvatures of the four notions. {glue:md}`ch08_oll_summary`
# With so few networks this is a check of the approximation paper-scale numbers rest on, not a
# result of its own.

# %% [markdown]
# ## Paper 2's training-side heuristics at scale
#
# {py:func}`~ricci_lit.experiments.paper2.run_p2_experiments` (`ricci-lit p2 --plan paper`) runs two experiments
# into `results/paper-p2`: the coefficients along training of three of paper 1's configurations
# (paper 1's training, recorded at initialisation and every two epochs; $k$ = 50 as paper 2;
# approximate Ollivier and augmented Forman curvatures), and the layer profiles of width-25
# networks of six depths trained with paper 2's protocol (full-batch Adam until 99 % training
# accuracy, PyTorch initialisation, pixels in [0, 1]). This section renders
# {glue:md}`ch08_p2_description`

# %%
p2 = book_p2(results_root)
P2_PLAN = P2_PLANS["paper"]
if p2 is None:
    glue("ch08_p2_description", Markdown("**nothing: `results/paper-p2` is not in this build**, so the figures "
                                         "below say so instead of showing data."), display=False)
    p2_traj, p2_depth = pd.DataFrame(), pd.DataFrame()
else:
    p2_traj, p2_depth, p2_manifest = p2
    p2_code = store_code(resolve_results_root(results_root) / "paper-p2", p2_manifest, ["trajectory", "depth"])
    glue("ch08_p2_description", Markdown(
        f"`{results_root}/paper-p2` (plan `{p2_manifest['settings']['name']}`: {len(p2_traj):,} trajectory rows, "
        f"{len(p2_depth):,} layer rows; {p2_code})."),
        display=False)
P2_CURV = "approx-ollivier"
# the units of the store's own plan (the paper plan when there is no store); the figure slots below
# are those of the paper plan: three trajectories and two depth problems
plan_settings = p2_manifest["settings"] if p2 is not None else P2_PLAN.settings()
traj_units = [tuple(u) for u in plan_settings["trajectories"]]
depth_units = list(plan_settings["depth_problems"])
for i in range(len(traj_units), len(P2_PLAN.trajectories)):
    glue(f"ch08_p2_traj_{i}", plotting.message_figure("no further configuration in this plan"), display=False)
for i in range(len(depth_units), len(P2_PLAN.depth_problems)):
    glue(f"ch08_p2_depth_{i}", plotting.message_figure("no further problem in this plan"), display=False)
stop_rows = []
for i, (problem, arch) in enumerate(traj_units[:len(P2_PLAN.trajectories)]):
    traj = p2_traj[(p2_traj["problem"] == problem) & (p2_traj["architecture"] == arch)] if len(p2_traj) else p2_traj
    if traj.empty:
        glue(f"ch08_p2_traj_{i}", plotting.message_figure(f"{problem} · {arch}: not computed in this build"),
             display=False)
        continue
    traj = traj[traj["curvature"] == P2_CURV]
    curve = paper2.trajectory_curve(traj)
    table = paper2.early_stopping_table(traj)
    stop = table.loc[table["network"] == -1, "stop_epoch"].iloc[0]
    fig = plotting.trajectory_figure(curve, stop_epoch=None if pd.isna(stop) else int(stop))
    fig.axes[0].set_title(f"{problem} · {arch}")
    glue(f"ch08_p2_traj_{i}", fig, display=False)
    stop_rows.append(table.assign(problem=problem, architecture=arch))
stops_paper = pd.concat(stop_rows, ignore_index=True) if stop_rows else pd.DataFrame()
if len(stops_paper):
    means = stops_paper[stops_paper["network"] == -1]
    glue("ch08_p2_stop_md", Markdown("; ".join(
        f"{r.problem} · {r.architecture}: stop at epoch {r.stop_epoch} (test accuracy {r.test_accuracy_at_stop:.1%}; "
        f"best {r.best_test_accuracy:.1%} at epoch {r.best_test_epoch}, final {r.final_test_accuracy:.1%}; "
        f"minimum {r.min_value:+.2f} at epoch {r.min_epoch})" for r in means.itertuples()) + "."), display=False)
    display(stops_paper.set_index(["problem", "architecture", "network"]).round(3))
else:
    glue("ch08_p2_stop_md", Markdown("not computed in this build."), display=False)

# %% [markdown]
# ```{glue:figure} ch08_p2_traj_0
# :name: ch08-p2-traj-0
#
# Mean local coefficient (approximate Ollivier, ± one standard error over 6 networks) and mean
# training and test accuracy along paper 1's training; the vertical line is our stopping rule's
# epoch (the rule of the small-scale section below).
# ```
#
# ```{glue:figure} ch08_p2_traj_1
# :name: ch08-p2-traj-1
#
# The same for the second configuration.
# ```
#
# ```{glue:figure} ch08_p2_traj_2
# :name: ch08-p2-traj-2
#
# The same for the third configuration.
# ```
#
# Network means, by configuration: {glue:md}`ch08_p2_stop_md` The table lists every network
# (`network` −1 is the mean curve).
#
# ### Layer profiles across depths (paper 2's depth criterion)

# %%
crit_rows = []
for i, problem in enumerate(depth_units[:len(P2_PLAN.depth_problems)]):
    d = p2_depth[(p2_depth["problem"] == problem) & (p2_depth["curvature"] == P2_CURV)] if len(p2_depth) else p2_depth
    if d.empty:
        glue(f"ch08_p2_depth_{i}", plotting.message_figure(f"{problem}: not computed in this build"), display=False)
        continue
    reached = d.drop_duplicates(["depth", "network"])
    # network indices restart at 0 in every depth's ensemble: make them unique across depths
    prof = paper2.profile_from_layers(d[d["reached"]].assign(network=lambda t: t["depth"] * 1000 + t["network"]),
                                        by=("problem",))
    prof["depth"] = prof["n_hidden"].astype(str) + " hidden"
    crit = paper2.critical_layers(prof, CRITICAL_THRESHOLD, by=("problem", "curvature", "n_hidden"))
    crit["networks reaching 99 %"] = crit["n_hidden"].map(reached.groupby("depth")["reached"].sum())
    crit["networks"] = crit["n_hidden"].map(reached.groupby("depth").size())
    crit["mean test accuracy"] = crit["n_hidden"].map(reached.groupby("depth")["test_accuracy"].mean())
    crit_rows.append(crit)
    fig = plotting.layer_profile_figure(prof, hue="depth", threshold=CRITICAL_THRESHOLD,
                                       critical={f"{r.n_hidden} hidden": r.critical_layer for r in crit.itertuples()})
    fig.axes[0].set_title(problem)
    glue(f"ch08_p2_depth_{i}", fig, display=False)
crit_paper_depth = pd.concat(crit_rows, ignore_index=True) if crit_rows else pd.DataFrame()
crit_paper_depth.round(3) if len(crit_paper_depth) else Markdown("*(no depth profiles in this build)*")

# %% [markdown]
# ```{glue:figure} ch08_p2_depth_0
# :name: ch08-p2-depth-0
#
# Mean layer coefficient (approximate Ollivier, ± one standard error over the networks that reached
# 99 % training accuracy) of width-25 networks of each depth, first problem of the plan; rings mark
# the critical layer by our rule (dotted line −0.2).
# ```
#
# ```{glue:figure} ch08_p2_depth_1
# :name: ch08-p2-depth-1
#
# The same for the second problem of the plan.
# ```
#
# The table gives, per problem and depth, our critical layer, where the profile is lowest, and how
# many networks reached paper 2's 99 % training accuracy. Paper 2's claim is that the critical
# layer hardly moves with depth.

# %% [markdown]
# ## Untrained against trained networks, small settings
#
# Paper 2 (§A.1.1) computed paper 1's global coefficient for randomly initialised, untrained
# networks and found it negative for about 90 % of them (mean −0.2 to −0.4), while the mean local
# coefficient of an untrained network stays near 0 (|mean| < 0.06) and only becomes clearly
# negative (−0.2 to −0.9) after training. If that holds, a negative global $\rho$ alone does not
# show that *training* made the geometry Ricci-flow-like. {py:func}`~ricci_lit.experiments.controls.trained_vs_untrained`
# evaluates each network at its initialisation and after training on the same test points, for
# the three cheap curvatures (Forman, augmented Forman, approximate Ollivier), with all
# representations from input to output (`layers="all"`, paper 2's convention) and with the hidden
# layers only (`layers="hidden"`, paper 1's). Here: {glue:md}`ch08_settings`.

# %%
# each problem's networks are trained once and evaluated under both layer conventions
controls = [trained_vs_untrained(problem, architecture, seeds, k, epochs=epochs, n_test=n_test,
                                 curvatures=CURVATURES, layers=("all", "hidden"), community=True)
            for problem in problems]
control = pd.concat([c.networks for c in controls], ignore_index=True)
control_community = pd.concat([c.community for c in controls], ignore_index=True)
summary = summarise_coefficients(control, by=("problem", "layers", "state", "curvature"))
assert len(summary) == len(problems) * 2 * 2 * len(CURVATURES)
assert (summary["n_networks"] == len(seeds)).all()
shown = summary[["problem", "layers", "state", "curvature", "global_n_defined", "global_fraction_negative",
                 "global_mean", "local_mean", "local_std", "test_accuracy_mean"]].round(3)
with pd.option_context("display.max_rows", 200):
    display(shown.set_index(["problem", "layers", "state", "curvature"]))

# %% [markdown]
# The table gives, per problem, layer convention, state and curvature: the networks with a defined
# global $\rho$, the fraction of them with $\rho < 0$, its mean, the mean over networks of each
# network's mean local coefficient (and its spread), and the mean test accuracy.

# %%
fig = plotting.control_coefficients_figure(control[control["layers"] == "all"].assign(
    curvature=lambda d: d["problem"] + " · " + d["curvature"]), x="curvature")
glue("ch08_control_fig", fig, display=False)
untr = summary[(summary["layers"] == "all") & (summary["state"] == "untrained")]
trn = summary[(summary["layers"] == "all") & (summary["state"] == "trained")]
glob_neg_untrained = float((untr["global_fraction_negative"] * untr["global_n_defined"]).sum()
                           / max(int(untr["global_n_defined"].sum()), 1))
local_untrained = float(untr["local_mean"].mean())
local_trained = float(trn["local_mean"].mean())
acc_trained = float(trn["test_accuracy_mean"].mean())
checks = {
    "global ρ negative for most untrained networks (P2: about 90 %)":
        glob_neg_untrained >= TOLERANCES["p2_global_negative"],
    "mean local ρ of untrained networks near 0 (P2: |mean| < 0.06)": abs(local_untrained) < TOLERANCES["p2_local_zero"],
    "mean local ρ of trained networks clearly negative (P2: −0.2 … −0.9)":
        local_trained <= TOLERANCES["p2_local_trained"],
    "trained local ρ below untrained local ρ": local_trained < local_untrained,
}
glue("ch08_glob_neg_untrained", f"{glob_neg_untrained:.0%}", display=False)
glue("ch08_local_untrained", f"{local_untrained:.3f}", display=False)
glue("ch08_local_trained", f"{local_trained:.3f}", display=False)
glue("ch08_acc_trained", f"{acc_trained:.1%}", display=False)
held = [c for c, ok in checks.items() if ok]
failed = [c for c, ok in checks.items() if not ok]
if not failed:
    verdict = "All four statements of paper 2's control hold on these small settings."
else:
    verdict = (f"{len(held)} of the {len(checks)} statements of paper 2's control hold on these small settings"
               + (" (" + "; ".join(held) + ")" if held else "")
               + "; not: " + "; ".join(failed) + ".")
glue("ch08_control_verdict", Markdown(verdict), display=False)
pd.Series(checks, name="holds here").to_frame()

# %% [markdown]
# ```{glue:figure} ch08_control_fig
# :name: ch08-control
#
# Paper 2's control on our networks (`layers="all"`): the global coefficient $\rho$ (left) and
# each network's mean local coefficient (right) for every problem and curvature, untrained and
# trained (one dot per network, black bar the mean, dashed line 0).
# ```
#
# Pooled over problems and curvatures (`layers="all"`), {glue:text}`ch08_glob_neg_untrained` of
# the untrained networks with a defined global $\rho$ have $\rho < 0$; the mean local coefficient
# is {glue:text}`ch08_local_untrained` untrained and {glue:text}`ch08_local_trained` trained (mean
# test accuracy of the trained networks {glue:text}`ch08_acc_trained`). Checked against paper 2's
# statements in code: {glue:md}`ch08_control_verdict` With so few networks and epochs this is a
# demonstration of the control, not a test of paper 2's claim; the full-scale run is issue 5.
#
# The same networks' community structure (paper 2 §4.2): the class modularity of the kNN graph at
# the input, at the last hidden layer and at the output, mean over the seeds
# ({py:func}`~ricci_lit.experiments.controls.trained_vs_untrained` with `community=True`):

# %%
n_rep = control_community.groupby(["problem", "state", "network"])["layer"].transform("max")
where = np.select([control_community["layer"] == 0, control_community["layer"] == n_rep - 1,
                   control_community["layer"] == n_rep], ["input", "last hidden", "output"], "")
q_control = (control_community.assign(where=where)[where != ""]
             .pivot_table(index=["problem", "state"], columns="where", values="modularity", aggfunc="mean")
             [["input", "last hidden", "output"]])
q_gain = (q_control.xs("trained", level="state")["last hidden"]
          - q_control.xs("untrained", level="state")["last hidden"])
glue("ch08_q_gain_md", Markdown(", ".join(f"{p} {g:+.3f}" for p, g in q_gain.items())), display=False)
q_control.round(3)

# %% [markdown]
# Training changes the last hidden layer's class modularity by {glue:md}`ch08_q_gain_md` (trained
# minus untrained, per problem).
#
# ## Do the curvature notions agree?
#
# Forman curvature depends on the degrees only, augmented Forman adds the triangles, and the
# approximate Ollivier curvature is a non-linear function of both (see {doc}`ch02_curvature`).
# {py:func}`~ricci_lit.geometry.engine.curvature_agreement` evaluates all three on every edge of the kNN graphs of
# one trained network (every representation, input to output) and correlates them over the
# pooled edges and nodes; {py:func}`~ricci_lit.analysis.coefficients.sign_agreement` asks the question that matters for
# the conclusions: how often do two curvatures give a global $\rho$ of the same sign on the same
# network (over all networks of the control above)?

# %%
data = load_problem(problems[0], n_test=n_test)
trained = train_ensemble(data.x_train, data.y_train, architecture, seeds[:1], TrainConfig(epochs=epochs), progress=False).ensemble
agree = engine.curvature_agreement(representations(trained.to("cpu"), data.x_test), k, CURVATURES)
fig = plotting.correlation_matrix_figure(agree.edge_spearman, title=f"{problems[0]}: edges (Spearman)",
                                        label="rank correlation")
glue("ch08_agree_fig", fig, display=False)
glue("ch08_agree_edges", f"{agree.n_edges:,}", display=False)
glue("ch08_agree_graphs", agree.n_graphs, display=False)
signs = sign_agreement(control, by=("problem", "layers", "state"))
lowest = float(np.nanmin(signs.to_numpy()))
glue("ch08_sign_min", f"{lowest:.0%}", display=False)
assert np.allclose(np.diag(agree.edge_pearson.to_numpy()), 1.0)
display(agree.edge_pearson.round(3).rename_axis("edges, Pearson"))
signs.round(3)

# %% [markdown]
# ```{glue:figure} ch08_agree_fig
# :name: ch08-agree
#
# Spearman correlation of the three curvatures over the {glue:text}`ch08_agree_edges` edges of the
# {glue:text}`ch08_agree_graphs` kNN graphs of one trained network (input to output), red negative,
# blue positive.
# ```
#
# The first table is the Pearson correlation over the same edges, the second the fraction of
# networks (all problems, both layer conventions, both states) whose global $\rho$ has the same sign
# under the row and column curvatures; the lowest off-diagonal agreement is
# {glue:text}`ch08_sign_min`.
#
# ## Layer coefficients across the transitions
#
# Paper 2 (§4.4, Fig. 5) averages the layer coefficient $\rho_l$ over networks of one depth and
# reports a U-shape: strongly negative early and in the middle, rising toward 0 after a *critical
# layer* that it suggests as the depth to use. {py:func}`~ricci_lit.analysis.paper2.layer_profile` computes the
# profile (approximate Ollivier curvature, input to output, so transition 0 is input → first hidden
# layer). Paper 2 gives no exact criterion for the critical layer; {py:func}`~ricci_lit.analysis.paper2.critical_layer`
# implements **our rule**: the first transition after the profile's minimum whose mean coefficient
# rises above −0.2 (none when the minimum is not below −0.2 or the profile never rises above it).

# %%
deep = train_ensemble(data.x_train, data.y_train, profile_architecture, seeds,
                      TrainConfig(epochs=epochs), progress=False).ensemble.to("cpu")
untrained_deep = MLPEnsemble(profile_architecture, data.x_train.shape[1], seeds)
THRESHOLD = CRITICAL_THRESHOLD
profiles, crit = [], {}
for state, ens in (("untrained", untrained_deep), ("trained", deep)):
    prof = paper2.layer_profile(representations(ens, data.x_test), k, "approx-ollivier")
    crit[state] = paper2.critical_layer(prof, THRESHOLD)
    profiles.append(prof.assign(state=state))
profiles = pd.concat(profiles, ignore_index=True)
fig = plotting.layer_profile_figure(profiles, hue="state", critical=crit, threshold=THRESHOLD)
glue("ch08_profile_fig", fig, display=False)
glue("ch08_profile_md", Markdown(
    f"the `{profile_architecture}` networks on `{problems[0]}` ({len(seeds)} seeds, "
    f"{int(profiles['transition'].max()) + 1} transitions)"), display=False)
crit_md = "; ".join(f"{s}: " + (f"transition {c}" if c is not None else "none by our rule") for s, c in crit.items())
glue("ch08_critical_md", Markdown(crit_md), display=False)
profiles.pivot(index="transition", columns="state", values="rho_mean").round(3)

# %% [markdown]
# ```{glue:figure} ch08_profile_fig
# :name: ch08-profile
#
# Layer coefficient $\rho_l$ (mean over networks, band ± one standard error) against the transition
# for {glue:md}`ch08_profile_md`, untrained and trained; dotted line the threshold −0.2 of our
# critical-layer rule, rings the critical layer where the rule finds one.
# ```
#
# Critical layer by our rule: {glue:md}`ch08_critical_md`.
#
# Beside the layer coefficients, paper 2 (§4.2) follows the community structure of the same
# graphs: the modularity of the class partition in each representation's kNN graph
# ({py:func}`~ricci_lit.geometry.community.community_table`, the same $k$), mean over the networks:

# %%
community = pd.concat(
    [community_table(rep.all, data.y_test, k).assign(state=state, seed=rep.seed)
     for state, ens in (("untrained", untrained_deep), ("trained", deep))
     for rep in representations(ens, data.x_test)], ignore_index=True)
q_deep = community.pivot_table(index="layer", columns="state", values="modularity", aggfunc="mean")
assert np.isfinite(q_deep.to_numpy()).all()
q_last = int(q_deep.index.max()) - 1  # the last hidden layer (the last row is the output)
glue("ch08_q_in", float(q_deep.loc[0, "trained"]), display=False)
glue("ch08_q_trained_last", float(q_deep.loc[q_last, "trained"]), display=False)
glue("ch08_q_untrained_last", float(q_deep.loc[q_last, "untrained"]), display=False)
q_peak = int(q_deep["trained"].idxmax())
glue("ch08_q_peak_md", Markdown("the output" if q_peak == q_deep.index.max() else
                                ("the input" if q_peak == 0 else f"hidden layer {q_peak}")), display=False)
q_deep.round(3).T

# %% [markdown]
# The class modularity of the trained deep networks goes from {glue:text}`ch08_q_in:.3f` at the
# input to {glue:text}`ch08_q_trained_last:.3f` at the last hidden layer (untrained:
# {glue:text}`ch08_q_untrained_last:.3f`) and peaks at {glue:md}`ch08_q_peak_md`.
#
# ## Coefficients along training
#
# Paper 2 (§4.3) records the mean local coefficient every few epochs and suggests stopping when it
# "reaches its minimum or stops decreasing". {py:func}`~ricci_lit.experiments.trajectory.local_coefficient_trajectory`
# evaluates the networks at initialisation and every 3 epochs of training (through a callback that
# does not change the training), and {py:func}`~ricci_lit.analysis.paper2.early_stopping_epoch` applies **our
# rule**: the first evaluation after which none of the next two decreases the network-mean
# coefficient by more than 0.01.

# %%
traj = local_coefficient_trajectory(
    data.x_train, data.y_train, data.x_test, data.y_test, architecture, settings["trajectory_seeds"], k=k,
    curvature="approx-ollivier", epochs=trajectory_epochs, every=3, modularity=True)
curve = paper2.trajectory_curve(traj)
q_traj = traj.groupby("epoch")["modularity_last_hidden"].mean()
glue("ch08_q_traj_md", Markdown(f"{q_traj.iloc[0]:.3f} at initialisation to {q_traj.iloc[-1]:.3f} after epoch "
                                f"{int(q_traj.index[-1])} (the largest, {q_traj.max():.3f}, after epoch "
                                f"{int(q_traj.idxmax())})"), display=False)
stop = paper2.early_stopping_epoch(traj)
stops = paper2.early_stopping_table(traj)
mean_row = stops[stops["network"] == -1].iloc[0]
assert mean_row["stop_epoch"] == stop and stop in set(curve["epoch"])
fig = plotting.trajectory_figure(curve, stop_epoch=stop)
glue("ch08_traj_fig", fig, display=False)
glue("ch08_stop_epoch", stop, display=False)
glue("ch08_stop_acc", f"{mean_row['test_accuracy_at_stop']:.1%}", display=False)
glue("ch08_best_acc", f"{mean_row['best_test_accuracy']:.1%}", display=False)
glue("ch08_best_epoch", int(mean_row["best_test_epoch"]), display=False)
glue("ch08_traj_md", Markdown(f"`{architecture}` on `{problems[0]}`, {len(settings['trajectory_seeds'])} seeds, "
                              f"{trajectory_epochs} epochs"), display=False)
stops.round(3).set_index("network")

# %% [markdown]
# ```{glue:figure} ch08_traj_fig
# :name: ch08-trajectory
#
# The mean local coefficient (approximate Ollivier, black, band ± one standard error over networks)
# and the mean training and test accuracy (right axis) along training of {glue:md}`ch08_traj_md`;
# the vertical line marks the epoch our stopping rule picks.
# ```
#
# Our rule stops at epoch {glue:text}`ch08_stop_epoch` with a mean test accuracy of
# {glue:text}`ch08_stop_acc`; the best mean test accuracy in the record is
# {glue:text}`ch08_best_acc` at epoch {glue:text}`ch08_best_epoch`. The table gives the same per
# network (`network` −1 is the mean curve). Along the same training, the class modularity of the
# last hidden layer's kNN graph (paper 2 §4.2; mean over the networks) goes from
# {glue:md}`ch08_q_traj_md`.
#
# ## Uncertainty of paper 1's numbers
#
# Paper 1 reports point values. {py:func}`~ricci_lit.analysis.uncertainty.bootstrap_aggregated` resamples the
# well-trained *networks* of each configuration with replacement (the layer points of a network
# are not independent) and gives percentile intervals of the aggregated coefficient; we show them
# at each configuration's chosen $k$, for the results that {doc}`ch06_experiment` and
# {doc}`ch07_results` render: {glue:md}`ch08_description`

# %%
results = rendered  # the results rendered above (and in ch06, ch07)
networks, geometry = results.networks, results.geometry
glue("ch08_description", Markdown(results.description[0].upper() + results.description[1:] + "."), display=False)
import statsmodels.formula.api  # noqa: E402,F401  (installs its warning filters before ours)

with warnings.catch_warnings():
    # a small profile can make the regression's design matrix rank-deficient; reported below
    warnings.simplefilter("ignore")
    rep = paper1.report(networks, geometry, dict(WELL_TRAINED_THRESHOLD))
    boot = uncertainty.bootstrap_aggregated((networks, geometry), n_boot=n_boot, seed=0)
    breg = uncertainty.bootstrap_regression(rep.nets, n_boot=n_boot, seed=0, stratify=("problem", "architecture"))
best = rep.best.dropna(subset=["best_k"])[["problem", "architecture", "best_k"]].astype({"best_k": int})
at_best = boot.merge(best.rename(columns={"best_k": "k"}), on=["problem", "architecture", "k"])
assert np.allclose(at_best["aggregated"].to_numpy(float),
                   rep.best.dropna(subset=["best_k"]).set_index(["problem", "architecture"])
                   .loc[list(zip(at_best["problem"], at_best["architecture"])), "aggregated"].to_numpy(float),
                   equal_nan=True)
n_excl = int((at_best["ci_high"] < 0).sum())
glue("ch08_ci_negative", n_excl, display=False)
glue("ch08_ci_configs", len(at_best), display=False)
glue("ch08_n_boot", f"{n_boot:,}", display=False)
(at_best[["problem", "architecture", "k", "aggregated", "ci_low", "ci_high", "fraction_negative", "n_connected"]]
 .round(3).set_index(["problem", "architecture"]))

# %% [markdown]
# With {glue:text}`ch08_n_boot` replicates, the 95 % interval lies entirely below 0 for
# {glue:text}`ch08_ci_negative` of the {glue:text}`ch08_ci_configs` configurations with a chosen $k$
# (`fraction_negative` is the share of replicates below 0). The interval is conditional on the
# chosen $k$, which was picked on the same networks, so it is too narrow.
#
# The same resampling for the $z$ term of paper 1's accuracy regression (Table S2), within each
# problem and architecture: {glue:md}`ch08_breg_md`

# %%
if breg.get("estimate") is not None and breg.get("ci_low") is not None:
    breg_md = (f"the $z$ term is {breg['estimate']:.3g} over {breg['n']:,} networks, 95 % bootstrap interval "
               f"[{breg['ci_low']:.3g}, {breg['ci_high']:.3g}] ({breg['n_valid']:,} defined replicates, "
               f"{breg['fraction_negative']:.0%} of them negative).")
elif breg.get("estimate") is not None:
    breg_md = (f"the $z$ term is {breg['estimate']:.3g} over {breg['n']:,} networks, but no replicate is "
               "defined, so there is no interval.")
else:
    breg_md = f"**the model cannot be fitted on these results, so there is no bootstrap**: {breg['reason']}"
glue("ch08_breg_md", Markdown(breg_md), display=False)
pd.DataFrame([{"term": "z", "networks": breg.get("n"), "estimate": breg.get("estimate"), "CI low": breg.get("ci_low"),
               "CI high": breg.get("ci_high"), "replicates": breg.get("n_valid"),
               "note": breg.get("reason") or ""}]).set_index("term")

# %% [markdown]
# ## What this chapter shows
#
# At paper scale, on paper 1's own networks, the untrained control is the finding that bears most
# on paper 1: paper 1's hidden-layer coefficient is negative for {glue:text}`ch08_p_hidden_untrained`
# of the networks *before* training and for {glue:text}`ch08_p_hidden_trained` after it (Forman,
# union graphs), so a negative global $\rho$ says little about what training did. The local
# coefficient separates the two states better (mean {glue:text}`ch08_p_local_untrained` untrained
# against {glue:text}`ch08_p_local_trained` trained), and the curvature notion changes the sign of
# paper 1's coefficient for many networks. {glue:md}`ch08_k_short` The small-scale sections state
# our own rules where paper 2 gives none (the critical layer, the stopping epoch); the paper-scale
# trajectories and depth profiles apply the same rules to larger runs.
