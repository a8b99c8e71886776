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
# against either paper. The chapter does not cover transformers, the linear-network kNN-preservation
# theory ({py:mod}`ricci_lit.analysis.knn_preservation` implements it) or a committed results store.

# %% tags=["parameters"]
profile = "quick"  # "quick" (default) or "paper": the scale of every analysis below
problems = None  # ten-class problems (None: the profile value)
seeds = None  # network seeds (None: the profile value)
epochs = None  # training epochs (None: the profile value)
n_train = None  # training points (None: the profile value)
n_test = None  # balanced test points, a multiple of 10 (None: the profile value)
k = None  # neighbourhood size (None: the profile value)

# %% tags=["hide-input"]
import numpy as np
import pandas as pd
import torch
from IPython.display import Markdown, display
from myst_nb import glue
from torch import nn

import ricci_lit
from ricci_lit import book, plotting
from ricci_lit.data.problems import load_xy
from ricci_lit.geometry import engine
from ricci_lit.geometry.community import community_table
from ricci_lit.geometry.engine import DEFAULT_CURVATURES
from ricci_lit.networks.fit import fit, predict_classes
from ricci_lit.networks.zoo import ResidualMLP, SmallCNN

PROFILES = {
    "quick": {"problems": ["mnist-10", "fmnist-10"], "seeds": [0], "epochs": 3, "n_train": 2000, "n_test": 200,
              "k": 15},
    "paper": {"problems": ["mnist-10", "fmnist-10"], "seeds": list(range(5)), "epochs": 10, "n_train": 60000,
              "n_test": 1000, "k": 50},
}
setup = book.chapter_setup(profile, PROFILES, problems=problems, seeds=seeds, epochs=epochs, n_train=n_train,
                           n_test=n_test, k=k)
problems, seeds = list(setup["problems"]), [int(s) for s in setup["seeds"]]
epochs, n_train, n_test, k = int(setup["epochs"]), int(setup["n_train"]), int(setup["n_test"]), int(setup["k"])
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
# residual network's projection, each block and its logits.

# %%
MODELS = {
    "cnn": lambda seed: SmallCNN(1, 28, 10, channels=(8, 16), hidden=64, seed=seed),
    "residual": lambda seed: ResidualMLP(784, width=50, depth=6, n_classes=10, seed=seed),
}
meta_rows, net_tables, layer_tables, comm_rows = [], [], [], []
for problem in problems:
    _, x_tr, y_tr, x_te, y_te = load_xy(problem, n_test=n_test, n_train=n_train, data_seed=0, pixel_scale=1 / 255)
    y_tr, y_te = y_tr.astype(np.int64), y_te.astype(np.int64)
    reps_list, metas = [], []
    for arch, make in MODELS.items():
        for seed in seeds:
            for state in ("untrained", "trained"):
                model = make(seed)
                if state == "trained":
                    fit(model, x_tr, y_tr, epochs=epochs, batch_size=128, seed=seed, device="cpu")
                reps = ricci_lit.layer_representations(model, x_te, list(model.representation_layers), device="cpu")
                meta = {"problem": problem, "model": arch, "seed": seed, "state": state,
                        "test_accuracy": float((predict_classes(model, x_te) == y_te).mean())}
                comm_rows.append(community_table(list(reps.values()), y_te, k, layer_names=list(reps)).assign(**meta))
                reps_list.append(list(reps.values()))
                metas.append(meta)
    # one call per problem: the kNN graphs and hop distances of each network once, for every curvature
    tables = engine.network_coefficients(reps_list, k, curvatures=CURVATURES)
    ids = pd.DataFrame(metas).assign(network=range(len(metas)))
    net_tables.append(tables.networks.drop(columns="seed").merge(ids, on="network"))
    layer_tables.append(tables.layers.drop(columns="seed").merge(ids, on="network"))
nets = pd.concat(net_tables, ignore_index=True)
layers = pd.concat(layer_tables, ignore_index=True)
comm = pd.concat(comm_rows, ignore_index=True)
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
