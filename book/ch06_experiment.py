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
# # The experiment
#
# Paper 1's evidence is one large experiment: many networks per problem and architecture, each
# trained, filtered by test accuracy, and measured at every layer for a grid of $k$. This chapter
# lays out the design, says which results the book renders (the full paper-scale run when it is
# complete, else the small `quick` profile computed during the build), shows the accuracies
# against paper 1's thresholds, and follows the networks from trained to kept.

# %% tags=["parameters"]
profile = "quick"  # "quick" (default) or "paper": the profile to run when results/paper has no complete problem
results_root = "results"  # results directory, relative to the repository (or absolute)
stages_csv = "benchmarks/results/bench_sweep_stages.csv"  # stage split of the geometry, relative to the repository
sampling_problem = "A"  # problem whose test set feeds the sampled-sources comparison
sampling_architecture = "narrow-deep"  # architecture of the (untrained, seed 0) network of that comparison
sampling_k = 30  # neighbourhood size of the comparison
sampling_sources = [25, 50, 100, 200, 400]  # numbers m of sampled BFS sources compared with the exact g_l
sampling_seeds = 10  # sampling seeds per m

# %% tags=["hide-input"]
import time

import numpy as np
import pandas as pd
from IPython.display import Markdown, display
from myst_nb import glue

import ricci_lit
from ricci_lit import book, plotting
from ricci_lit.analysis import paper1, targets
from ricci_lit.book import book_results
from ricci_lit.data.problems import PROBLEMS, WELL_TRAINED_THRESHOLD, load_problem
from ricci_lit.experiments.paper1 import K_GRID_REAL, K_GRID_SYNTHETIC, PROFILES, get_profile, timing_table
from ricci_lit.networks.mlp import ARCHITECTURES, MLPEnsemble, representations

setup = book.chapter_setup(profile, PROFILES, results_root=str(results_root))

# %% [markdown]
# ## The design
#
# Every network is a fully connected ReLU classifier with one sigmoid output unit, trained with
# binary cross-entropy and RMSprop (learning rate $10^{-3}$, batch 32, Keras' Glorot-uniform
# initialisation) on one of the seven problems of {doc}`ch05_data`. Paper 1 trains
# {glue:text}`ch06_design_seeds` networks (seeds) for each of {glue:text}`ch06_design_problems`
# problems and {glue:text}`ch06_design_archs` architectures, {glue:md}`ch06_design_total` networks
# in all. The architectures (`ricci_lit.networks.mlp.ARCHITECTURES`) combine three widths with two
# depths:

# %% tags=["nbval-check-output"]
paper = get_profile("paper")
arch_rows = []
for name, widths in ARCHITECTURES.items():
    width, depth = name.split("-")
    row = {"architecture": name, "width": width, "depth": depth, "hidden layers L": len(widths),
           "hidden widths": " ".join(str(w) for w in widths)}
    for d_in, label in ((3, "parameters (3-D input)"), (784, "parameters (784-D input)")):
        row[label] = sum(p[0].numel() for p in MLPEnsemble(name, d_in, [0]).parameters())
    arch_rows.append(row)
arch_table = pd.DataFrame(arch_rows).set_index("architecture")
n_design = len(paper.problems) * len(paper.architectures) * paper.n_seeds
assert n_design == targets.PAPER1_COUNTS["networks"]
glue("ch06_design_seeds", paper.n_seeds, display=False)
glue("ch06_design_problems", len(paper.problems), display=False)
glue("ch06_design_archs", len(paper.architectures), display=False)
glue("ch06_design_total", Markdown(f"{n_design:,}"), display=False)
arch_table

# %% [markdown]
# Each network's test set is passed through it, and at every hidden layer the package builds the
# kNN graph for every $k$ of a grid and records the total Forman curvature $\mathrm{Ric}_l$, the
# total hop distance $g_l$ and whether the graph is connected ({py:func}`~ricci_lit.geometry.coefficients.geometry_table`, one
# neighbour sort per layer serving the whole grid). Paper 1's grids (P1 §3.2,
# `ricci_lit.experiments.paper1.K_GRID_SYNTHETIC` and `K_GRID_REAL`) and the settings of the two profiles of
# `ricci_lit.experiments.paper1.PROFILES`:

# %% tags=["nbval-check-output"]
grids = pd.DataFrame({"k grid": [", ".join(map(str, K_GRID_SYNTHETIC)), ", ".join(map(str, K_GRID_REAL))]},
                     index=pd.Index(["synthetic (A, B, C)", "MNIST and Fashion-MNIST"], name="paper 1"))
settings = pd.DataFrame({name: {
    "problems": ", ".join(prof.problems), "architectures": ", ".join(prof.architectures),
    "seeds per configuration": prof.n_seeds,
    "networks": len(prof.problems) * len(prof.architectures) * prof.n_seeds,
    "k grid, synthetic": ", ".join(map(str, prof.k_synthetic)), "k grid, images": ", ".join(map(str, prof.k_real)),
    "test points": "all" if prof.n_test is None else prof.n_test,
    "training points": "all" if prof.n_train is None else f"at most {prof.n_train}",
    "epochs": prof.epochs, "batch size": prof.batch_size, "learning rate": prof.lr,
    "pixel scale": prof.pixel_scale, "kNN graph": prof.mode, "curvature": prof.curvature,
} for name, prof in PROFILES.items()})
quick = get_profile("quick")
glue("ch06_quick_networks", len(quick.problems) * len(quick.architectures) * quick.n_seeds, display=False)
display(grids)
settings

# %% [markdown]
# The `quick` profile is a small but complete run of the same pipeline
# ({glue:text}`ch06_quick_networks` networks, a smaller test set and a shorter $k$ grid); its
# numbers illustrate the method and are not paper-scale evidence.
#
# ## The results this book renders
#
# {py:func}`~ricci_lit.book.book_results` decides. The committed `paper` store (`results/paper`) is
# rendered whenever it holds at least one **complete** problem (all 6 architectures × 36 seeds),
# whatever profile the chapter was asked for: the whole profile once all 1,512 networks are there,
# and until then exactly its complete problems. A problem still being computed is left out, not
# shown half done, and the sentence below names what is missing. Only when no problem is complete
# does the chapter run (or resume, or simply reload) the requested profile's sweep, which for
# `quick` takes a few minutes on a laptop the first time. A sweep is resumable: each network's rows
# are written atomically as one chunk, with the settings and provenance in the store's manifest,
# and `ricci-lit pack` merges a finished problem's chunks into one compact file.

# %%
results = book_results(profile, root=results_root)
networks, geometry, manifest = results.networks, results.geometry, results.manifest
print(f"Rendering {results.description}.")
glue("ch06_description", Markdown(results.description), display=False)
glue("ch06_source", Markdown(f"`{results.source}`"), display=False)
glue("ch06_n_networks", len(networks), display=False)
glue("ch06_paper_present", Markdown(f"{results.paper_networks_present:,}"), display=False)
assert len(networks) > 0 and not geometry.empty
assert set(networks["problem"]) <= set(WELL_TRAINED_THRESHOLD)
networks.groupby(["problem", "architecture"]).agg(networks=("seed", "size"), mean_test_accuracy=("test_accuracy", "mean"),
                                                  min_test_accuracy=("test_accuracy", "min"),
                                                  max_test_accuracy=("test_accuracy", "max")).round(4)

# %% [markdown]
# This chapter and the next render {glue:md}`ch06_description`.
#
# ## Accuracy against the thresholds
#
# Paper 1 keeps a network only if its test accuracy is *strictly* above a threshold that depends on
# the problem (P1 §3.1; `ricci_lit.data.problems.WELL_TRAINED_THRESHOLD`, in the table below): lower for
# C, which cannot be separated perfectly ({doc}`ch05_data`), and for the two Fashion-MNIST pairs, on
# which paper 1's networks did not reach the MNIST level.

# %%
problems = [p for p in PROBLEMS if p in set(networks["problem"])]
archs = [a for a in ARCHITECTURES if a in set(networks["architecture"])]
fig_acc = plotting.accuracy_strip_figure(networks, dict(WELL_TRAINED_THRESHOLD), problems=problems,
                                        architectures=archs, ncols=4)
glue("ch06_fig_accuracy", fig_acc, display=False)
thr_table = pd.DataFrame({"threshold": [WELL_TRAINED_THRESHOLD[p] for p in problems],
                          "networks": [int((networks["problem"] == p).sum()) for p in problems],
                          "above": [int(paper1.well_trained(networks[networks["problem"] == p],
                                                              dict(WELL_TRAINED_THRESHOLD)).sum()) for p in problems]},
                         index=pd.Index(problems, name="problem"))
thr_table["share above"] = (thr_table["above"] / thr_table["networks"]).round(3)
thr_table

# %% [markdown]
# ```{glue:figure} ch06_fig_accuracy
# :name: ch06-fig-accuracy
#
# Test accuracy of every network of the rendered results, one panel per problem and one box per
# architecture (the points are the networks, spread sideways only for visibility); the dashed
# line is paper 1's well-trained threshold for the problem. Networks on or below the line are
# excluded from the analysis.
# ```
#
# ## From trained to kept networks
#
# Paper 1 then chooses, for each problem and architecture, the $k$ whose *aggregated* coefficient
# (one correlation over the pooled layer points of the well-trained networks) is most negative,
# excludes the networks with a disconnected layer graph at that $k$ (their distances are
# infinite), and computes each remaining network's coefficient $\rho$ there
# ({py:func}`~ricci_lit.analysis.paper1.report`, which runs the pipeline of {doc}`ch04_flow` over the whole store).
# The counts are made by
#
# ```{literalinclude} ../../ricci_lit/analysis/paper1.py
# :language: python
# :pyobject: counts
# ```

# %%
rep = paper1.report(networks, geometry, dict(WELL_TRAINED_THRESHOLD))
nets = rep.nets
rows = []
for (problem, arch), grp in nets.groupby(["problem", "architecture"], sort=False):
    c = paper1.counts(grp)
    rows.append({"problem": problem, "architecture": arch, **{k: c[k] for k in
                 ("networks", "above_threshold", "disconnected", "kept", "negative")}})
per_config = pd.DataFrame(rows)
per_config["problem"] = pd.Categorical(per_config["problem"], problems, ordered=True)
per_config["architecture"] = pd.Categorical(per_config["architecture"], archs, ordered=True)
per_config = per_config.sort_values(["problem", "architecture"]).set_index(["problem", "architecture"])
total = rep.counts
paper_counts = targets.PAPER1_COUNTS
summary = pd.DataFrame({
    "ours": [total["networks"], total["above_threshold"], total["disconnected"], total["kept"], total["negative"]],
    "paper 1": [paper_counts["networks"], paper_counts["above_threshold"], paper_counts["disconnected"],
                paper_counts["kept"], paper_counts["negative"]],
}, index=pd.Index(["trained", "above the threshold", "disconnected at the chosen k", "kept", "kept with ρ < 0"],
                  name="networks"))
# the counts add up, per configuration and in total
assert (per_config["networks"] >= per_config["above_threshold"]).all()
assert (per_config["above_threshold"] == per_config["disconnected"] + per_config["kept"]).all()
assert (per_config["negative"] <= per_config["kept"]).all()
for col in ("networks", "above_threshold", "disconnected", "kept", "negative"):
    assert int(per_config[col].sum()) == total[col], col
assert total["networks"] == total["above_threshold"] + total["below_threshold"] == len(networks)
assert paper_counts["networks"] - paper_counts["below_threshold"] - paper_counts["disconnected"] == paper_counts["kept"]
glue("ch06_n_above", total["above_threshold"], display=False)
glue("ch06_n_below", total["below_threshold"], display=False)
glue("ch06_n_disconnected", total["disconnected"], display=False)
glue("ch06_n_kept", total["kept"], display=False)
glue("ch06_n_negative", total["negative"], display=False)
frac = total["fraction_negative"]
glue("ch06_fraction_negative", Markdown(f"{frac:.1%}" if frac is not None else "undefined: no kept network"),
     display=False)
glue("ch06_paper_fraction", paper_counts["negative"] / paper_counts["kept"], display=False)
no_best = rep.best[rep.best["best_k"].isna()]
glue("ch06_no_best_md", Markdown(
    "Every configuration has a chosen $k$." if no_best.empty else
    "No $k$ could be chosen for " + ", ".join(f"{p} {a}" for p, a in zip(no_best["problem"], no_best["architecture"]))
    + " (no well-trained network with connected graphs at any $k$ of the grid); their well-trained networks, if any, "
      "count as disconnected."), display=False)
summary

# %% [markdown]
# Of the {glue:text}`ch06_n_networks` networks rendered, {glue:text}`ch06_n_above` pass the
# accuracy threshold and {glue:text}`ch06_n_below` do not; {glue:text}`ch06_n_disconnected` of the
# well-trained ones have a disconnected graph at their configuration's chosen $k$, which leaves
# {glue:text}`ch06_n_kept` kept networks, {glue:text}`ch06_n_negative` of them with $\rho < 0$
# ({glue:md}`ch06_fraction_negative`, against {glue:text}`ch06_paper_fraction:.1%` in paper 1).
# {glue:md}`ch06_no_best_md` Per problem and architecture:

# %% tags=["nbval-check-output"]
per_config

# %% [markdown]
# How these numbers compare with the paper's, target by target, is the subject of
# {doc}`ch07_results`.

# %% [markdown]
# ## What the run cost
#
# Every network's record in the store carries its share of the batched training of its
# configuration and the wall time of its geometry over the whole $k$ grid
# ({py:func}`~ricci_lit.experiments.paper1.timing_table` sums them), and the provenance of each chunk names the machine.
# For the results rendered here:

# %%
timing = timing_table(networks)
tot = timing[timing["problem"] == "total"].iloc[0]
glue("ch06_cost_md", Markdown(
    f"{int(tot['networks']):,} networks took {tot['train_h']:.2f} h of training and {tot['geometry_h']:.2f} h of "
    f"geometry ({tot['train_share']:.0%} training) on {tot['devices']}"), display=False)
stages_bench = book.read_benchmark(stages_csv)  # from the repository, whatever the working directory
if stages_bench.present:
    stages, stages_json = stages_bench.table, stages_bench.meta
    runs = [r for r in [stages_json.get("provenance"), *stages_json.get("earlier_runs", [])] if r]
    cols = ["knn_s", "graphs_s", "distances_s", "curvature_s"]
    shares = stages[cols].div(stages[cols].sum(axis=1), axis=0).rename(columns=lambda c: c[:-2] + " share")
    stage_table = pd.concat([stages[["problem", "architecture", "n_test", "n_representations", "n_k",
                                     "geometry_table_s", "same_as_stored"]], shares.round(3)], axis=1)
    glue("ch06_stages_md", Markdown(
        f"The split of the geometry by stage, re-timed by `benchmarks/bench_sweep_stages.py` on seed 0 of "
        f"two architectures per problem (" + ("; ".join(
            f"{', '.join(r.get('timed', [])) or 'earlier rows'} timed {r.get('created_utc', 'time unknown')}, git "
            f"{str(r.get('git_sha', 'unknown'))[:12]}, load {', '.join(f'{v:.1f}' for v in r.get('load_before', []))}"
            for r in runs) or "provenance unknown") + "); `same_as_stored` checks "
        "that the re-timed geometry equals the stored chunk number for number (second table above)."), display=False)
else:
    stage_table = None
    glue("ch06_stages_md", Markdown(f"**No stage split in this build:** `{stages_csv}` does not exist; run "
                                    "`benchmarks/bench_sweep_stages.py` to measure it."), display=False)
display(timing.round(3).set_index("problem"))
display(stage_table if stage_table is not None else Markdown("*(no stage table)*"))

# %% [markdown]
# {glue:md}`ch06_cost_md`. The seconds are those of the machine and moment each chunk was computed
# (the sweeps here ran niced on a shared 2-core CPU, single-threaded, beside other work; a
# configuration's training time is split evenly over its networks). {glue:md}`ch06_stages_md`


# %% [markdown]
# ### How the committed stores were computed, and how to recompute them on a cluster
#
# Every committed store in `results/` was computed on this project's 2-core CPU machines, by the
# same commands a reader runs (`ricci-lit sweep`, `coefficients`, `p2`), niced, resumed across
# sessions; the provenance of every chunk (package version, git commit, machine, and since the
# distributed engine also the worker's host) is kept beside its rows. Each of those commands is
# a *plan* of pure work units run by one resumable runner
# ({py:func}`~ricci_lit.experiments.runner.run_plan`): by default in this process, one unit after
# the other; with `--workers N` on a Dask `LocalCluster` of N single-threaded processes; with
# `--scheduler ADDRESS` on an existing Dask cluster (several hosts started by hand, or SLURM/PBS
# through `dask-jobqueue`, whose recipe the README gives). Only the process that runs `ricci-lit`
# writes the store, so a cluster run leaves the same chunks, number for number, as a serial one,
# and a run stopped anywhere resumes with the same command. For example, the full paper profile on
# four GPUs: `ricci-lit sweep --profile paper --device cuda --workers 4 --out results/paper --pack`.

# %% [markdown]
# ### Beyond exact distances: sampled sources
#
# Of the geometry, the exact total hop distance $g_l$ is what grows fastest with the test set: one
# breadth-first search per point, about $n\,|E|\,D / 64$ word operations for the bit-parallel
# search ($D$ the diameter of the graph). Beyond a few ten thousand points the package offers an unbiased estimate instead
# ({py:mod}`ricci_lit.geometry.sampling`). With $r_s = \sum_v \gamma_l(s, v)$ the distance sum from
# one source and $S$ a uniform sample of $m$ sources drawn without replacement,
#
# $$ \hat g_l = \frac{n}{m} \sum_{s \in S} r_s, \qquad \mathbb E[\hat g_l] = g_l, \qquad
#    \widehat{\mathrm{SE}}(\hat g_l) = n \sqrt{\Big(1 - \frac{m}{n}\Big) \frac{s_r^2}{m}}, $$
#
# with $s_r^2$ the sample variance of the $r_s$ and $1 - m/n$ the finite-population correction
# ({py:func}`~ricci_lit.geometry.sampling.sampled_hop_distance_total`). The search then does $m/n$
# of the exact work. `ricci_coefficient(reps, k, sources=m, seed=s)`
# ({py:func}`~ricci_lit.geometry.coefficients.ricci_coefficient`) uses it for every layer (layer $l$
# draws its sample from `numpy.random.default_rng([s, l])`), computes $\eta_l$ and $\rho$ from the
# $\hat g_l$ as usual, and reports the standard errors beside them; the curvature totals and the
# connectivity stay exact, and a disconnected graph is detected exactly, never estimated.
#
# How good is the estimate? The hidden layers of one untrained {glue:md}`ch06_sampled_arch` network
# (seed 0) on the {glue:text}`ch06_sampled_n` test points of problem {glue:md}`ch06_sampled_problem`,
# at $k$ = {glue:text}`ch06_sampled_k`: the exact $g_l$ of each of the {glue:text}`ch06_sampled_layers`
# layers against $\hat g_l$ for $m$ = {glue:md}`ch06_sampled_ms` sampled sources, with
# {glue:text}`ch06_sampled_seeds` sampling seeds each. The relative errors are over all layers and
# seeds; "within 2 SE" is the share of estimates with $|\hat g_l - g_l| \le 2\,\widehat{\mathrm{SE}}$;
# $\hat\rho$ is the coefficient from the estimated $g_l$ (mean, least and greatest over the seeds);
# the CPU seconds are those of the distance totals of all layers (per seed, for the estimates).

# %%
sample_data = load_problem(sampling_problem, seed=0)
sample_net = MLPEnsemble(sampling_architecture, sample_data.dim, [0])  # untrained: initial weights of seed 0
hidden = representations(sample_net, sample_data.x_test)[0].hidden
exact = ricci_lit.ricci_coefficient(hidden, sampling_k)
assert exact.all_connected and exact.rho is not None
n_pts = exact.n
graphs = [ricci_lit.knn_graph(X, sampling_k) for X in hidden]
t0 = time.process_time()  # CPU time: the build machine is shared
exact_totals = [ricci_lit.hop_distance_totals(graph) for graph in graphs]
exact_s = time.process_time() - t0
g_exact = np.array(exact.g)
assert [t.total for t in exact_totals] == list(exact.g)
sample_rows = [{"m": "all (exact)", "m / n": 1.0, "mean |ĝ − g| / g": 0.0, "max |ĝ − g| / g": 0.0,
                "mean SE / g": 0.0, "within 2 SE": 1.0, "ρ̂ mean": exact.rho, "ρ̂ min": exact.rho,
                "ρ̂ max": exact.rho, "CPU seconds": exact_s}]
sampled = {}
for m in sampling_sources:
    ests, secs = [], []
    for seed in range(sampling_seeds):
        t0 = time.process_time()
        # the per-layer streams of ricci_coefficient(..., sources=m, seed=seed)
        ests.append([ricci_lit.sampled_hop_distance_total(graph, m, seed=np.random.default_rng([seed, layer]))
                     for layer, graph in enumerate(graphs)])
        secs.append(time.process_time() - t0)
    g_hat = np.array([[e.estimate for e in est] for est in ests])  # [seeds, layers]
    se = np.array([[e.standard_error for e in est] for est in ests])
    rel = np.abs(g_hat - g_exact) / g_exact
    rho_hat = np.array([ricci_lit.coefficient_from_totals(exact.ric, row)[0] for row in g_hat])
    sampled[m] = {"g": g_hat, "rel": rel, "se": se / g_exact, "rho": rho_hat, "seconds": float(np.mean(secs))}
    sample_rows.append({"m": m, "m / n": m / n_pts, "mean |ĝ − g| / g": rel.mean(), "max |ĝ − g| / g": rel.max(),
                        "mean SE / g": (se / g_exact).mean(),
                        "within 2 SE": float((np.abs(g_hat - g_exact) <= 2 * se).mean()),
                        "ρ̂ mean": rho_hat.mean(), "ρ̂ min": rho_hat.min(), "ρ̂ max": rho_hat.max(),
                        "CPU seconds": float(np.mean(secs))})
sampling_table = pd.DataFrame(sample_rows).set_index("m")
# the package's own path gives the same numbers as the streams above
m_ref = 100 if 100 in sampled else sampling_sources[len(sampling_sources) // 2]
check = ricci_lit.ricci_coefficient(hidden, sampling_k, sources=m_ref, seed=0)
assert check.g == tuple(sampled[m_ref]["g"][0]) and check.rho == sampled[m_ref]["rho"][0]
assert check.g_sources == m_ref and check.ric == exact.ric
glue("ch06_sampled_arch", Markdown(f"`{sampling_architecture}`"), display=False)
glue("ch06_sampled_problem", Markdown(sampling_problem), display=False)
glue("ch06_sampled_n", Markdown(f"{n_pts:,}"), display=False)
glue("ch06_sampled_k", sampling_k, display=False)
glue("ch06_sampled_layers", len(hidden), display=False)
glue("ch06_sampled_seeds", sampling_seeds, display=False)
glue("ch06_sampled_ms", Markdown(", ".join(str(m) for m in sampling_sources)), display=False)
glue("ch06_sampled_m_ref", m_ref, display=False)
glue("ch06_sampled_share_ref", m_ref / n_pts, display=False)
glue("ch06_sampled_max_rel_ref", float(sampled[m_ref]["rel"].max()), display=False)
glue("ch06_sampled_se_ref", float(sampled[m_ref]["se"].mean()), display=False)
glue("ch06_sampled_rho_exact", exact.rho, display=False)
glue("ch06_sampled_rho_range_ref", Markdown(
    f"{sampled[m_ref]['rho'].min():.3f} to {sampled[m_ref]['rho'].max():.3f}"), display=False)
glue("ch06_sampled_exact_ms", 1000 * exact_s, display=False)
glue("ch06_sampled_ref_ms", 1000 * sampled[m_ref]["seconds"], display=False)
sampling_table.style.format({"m / n": "{:.3f}", "mean |ĝ − g| / g": "{:.2e}", "max |ĝ − g| / g": "{:.2e}",
                             "mean SE / g": "{:.2e}", "within 2 SE": "{:.0%}", "ρ̂ mean": "{:.3f}",
                             "ρ̂ min": "{:.3f}", "ρ̂ max": "{:.3f}", "CPU seconds": "{:.4f}"})

# %% [markdown]
# With $m$ = {glue:text}`ch06_sampled_m_ref` sources ({glue:text}`ch06_sampled_share_ref:.0%` of the
# points) no estimate of $g_l$ is off by more than {glue:text}`ch06_sampled_max_rel_ref:.2%`, the
# reported standard error is {glue:text}`ch06_sampled_se_ref:.2%` of $g_l$ on average, and $\hat\rho$
# lies between {glue:md}`ch06_sampled_rho_range_ref` against the exact $\rho$ =
# {glue:text}`ch06_sampled_rho_exact:.3f`. $\rho$ correlates the *differences* $\eta_l$ of the
# totals, so it is more sensitive to the sampling error than $g_l$ itself (and noise in the
# $\hat\eta_l$ tends to pull $\hat\rho$ towards 0): choose $m$ so that the
# standard errors of the $\hat g_l$ are small against the $|\eta_l|$ (the result carries both). At this
# size the exact search is itself cheap ({glue:text}`ch06_sampled_exact_ms:.0f` ms of CPU for all layers,
# against {glue:text}`ch06_sampled_ref_ms:.0f` ms sampled), so the seconds show fixed costs, not the
# saving: the work of the search scales with $m/n$, the saving that counts at tens of thousands of
# points.
