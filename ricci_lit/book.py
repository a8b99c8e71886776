"""What the chapters share, so that a chapter only imports and explains.

* the prologue every chapter runs (:func:`chapter_setup`: profile check, parameters, provenance);
* where the repository is (:func:`repository_root`) and where its results live
  (:func:`resolve_results_root`);
* the results loaders each results chapter renders (:func:`book_results`: a committed store, or
  the quick profile computed on the spot; :func:`book_coefficients`, :func:`book_p2`,
  :func:`book_sensitivity`, :func:`book_pipelines`);
* the benchmark tables some chapters show (:func:`read_benchmark`), and a docstring shown as
  MyST Markdown (:func:`docstring_as_myst`).

The top of the layers: may import every subpackage (:mod:`ricci_lit.experiments`,
:mod:`ricci_lit.analysis`, ...); nothing in the package imports it.
"""
from __future__ import annotations

import inspect
import json
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import pandas as pd

import ricci_lit
from ricci_lit.analysis.coefficients import k_phrase
from ricci_lit.analysis.sensitivity import (
    Sensitivity,
    combine,
    compare_loaded,
    network_index,
)
from ricci_lit.experiments.coefficients import load_coefficients
from ricci_lit.experiments.paper1 import (
    PROFILES,
    Profile,
    expected_networks,
    get_profile,
    load_results,
    run_sweep,
)
from ricci_lit.experiments.paper2 import load_p2_experiments
from ricci_lit.experiments.store import iter_provenance


@dataclass(frozen=True)
class BookResults:
    """The results a chapter renders, and where they come from.

    Attributes
    ----------
    networks
        The networks table, as :func:`~ricci_lit.experiments.paper1.load_results` returns it.
    geometry
        The geometry table, as :func:`~ricci_lit.experiments.paper1.load_results` returns it.
    manifest
        The store's manifest, as :func:`~ricci_lit.experiments.paper1.load_results` returns it.
    source
        ``"paper"`` (the full paper profile's store, complete) or ``"quick"``.
    directory
        The results directory read.
    description
        One sentence for the chapter to print: which profile, how many networks, and whether the
        numbers were committed or computed during this build.
    paper_networks_present
        Networks present in ``results/paper`` (complete or not).
    problems_missing
        Problems of the ``paper`` profile that are not rendered because they are not complete
        in ``results/paper`` (empty when the whole profile is rendered; all seven when the
        quick profile is).
    """

    networks: pd.DataFrame
    geometry: pd.DataFrame
    manifest: dict[str, Any]
    source: str
    directory: Path
    description: str
    paper_networks_present: int
    problems_missing: tuple[str, ...] = ()


def repository_root() -> Path:
    """The repository holding the installed (editable) package, whatever the working directory."""
    return Path(ricci_lit.__file__).resolve().parents[1]


def chapter_setup(profile: str, profiles: Mapping[str, Any], /, **parameters: Any) -> dict[str, Any]:
    """The prologue of every chapter: check the profile, resolve the parameters, print provenance.

    Parameters
    ----------
    profile
        The chapter's ``profile`` parameter; must be a key of ``profiles``.
    profiles
        The chapter's profiles: ``{name: {parameter: value}}`` (or any mapping with the valid
        names as keys, e.g. :data:`ricci_lit.experiments.paper1.PROFILES`).
    parameters
        The chapter's parameters; each left ``None`` takes the value of ``profiles[profile]``
        when that has one.

    Returns
    -------
    dict
        The resolved parameters, and ``provenance``: :func:`ricci_lit.provenance` of ``profile``
        and them. Prints one line with the package version, the git commit and the profile.
    """
    if profile not in profiles:
        raise ValueError(f"profile must be one of {sorted(profiles)}, got {profile!r}")
    settings = profiles[profile]
    resolved = {name: (settings[name] if value is None and isinstance(settings, Mapping) and name in settings
                       else value) for name, value in parameters.items()}
    prov = ricci_lit.provenance(profile=profile, **resolved)
    print(f"ricci_lit {prov['ricci_lit']}, git {prov['git_sha']}, profile {profile!r}")
    return {**resolved, "provenance": prov}


@dataclass(frozen=True)
class Benchmark:
    """A benchmark table and its provenance (:func:`read_benchmark`)."""

    table: pd.DataFrame | None
    meta: dict[str, Any]
    path: Path

    @property
    def present(self) -> bool:
        return self.table is not None


def read_benchmark(csv: str | Path) -> Benchmark:
    """A benchmark's CSV table and the JSON written beside it (same name, ``.json``).

    A relative ``csv`` is read from :func:`repository_root`. A missing CSV gives
    ``table = None``; a missing JSON an empty ``meta``.
    """
    path = Path(csv)
    full = path if path.is_absolute() else repository_root() / path
    if not full.exists():
        return Benchmark(None, {}, path)
    meta_path = full.with_suffix(".json")
    meta = json.loads(meta_path.read_text()) if meta_path.exists() else {}
    return Benchmark(pd.read_csv(full), meta, path)


def docstring_as_myst(fn: Any) -> str:
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


def resolve_results_root(root: str | Path) -> Path:
    """A results root as the book means it: an absolute path as is; a relative one against the
    working directory when that is the repository holding the (editable) package, else against
    that repository, so a chapter re-executed elsewhere (nbval runs in a scratch directory)
    reads the same results instead of recomputing them."""
    root = Path(root)
    repo = repository_root()
    if not root.is_absolute() and Path.cwd().resolve() != repo:
        return repo / root
    return root


def complete_problems(networks: pd.DataFrame, profile: Profile) -> list[str]:
    """The problems of ``profile`` for which ``networks`` holds every (architecture, seed)."""
    if networks.empty:
        return []
    have = set(zip(networks["problem"], networks["architecture"], networks["seed"].astype(int)))
    return [p for p in profile.problems
            if all((p, a, s) in have for a in profile.architectures for s in range(profile.n_seeds))]


def book_results(profile: str = "quick", *, root: str | Path = "results", device: str = "auto",
                 data_dir: str | None = None, progress: bool = False) -> BookResults:
    """Results for the book's results chapters.

    The ``paper`` profile's store ``root/paper`` is rendered whenever it holds at least one
    *complete* problem (all 6 architectures × 36 seeds), whatever ``profile`` says: the whole
    store when all 1,512 networks are there, else exactly its complete problems (a problem still
    being computed is left out, never shown half done), and ``problems_missing`` names the rest.
    Only when no problem is complete does ``profile="paper"`` run (or resume) the paper sweep
    into ``root/paper`` and ``profile="quick"`` run (or resume) the quick sweep into
    ``root/quick``; a resumed sweep that is already complete computes nothing. A relative
    ``root`` is resolved by :func:`resolve_results_root`.
    """
    root = resolve_results_root(root)
    paper = get_profile("paper")
    paper_dir = root / "paper"
    present = 0
    if (paper_dir / "manifest.json").exists():
        nets, geo, manifest = load_results(paper_dir)
        keys = set(zip(nets["problem"], nets["architecture"], nets["seed"].astype(int))) if len(nets) else set()
        present = len(keys & expected_networks(paper))
        done = complete_problems(nets, paper) if manifest.get("profile") == "paper" else []
        if done:
            created = manifest.get("created", {})
            stamp = (f"ricci_lit {manifest.get('ricci_lit')}, git {created.get('git_sha', 'unknown')}, "
                     f"created {created.get('created_utc', 'unknown')}")
            missing = tuple(p for p in paper.problems if p not in done)
            if not missing:
                desc = f"the full `paper` profile ({present:,} networks) committed in `{paper_dir}` ({stamp})"
                return BookResults(nets, geo, manifest, "paper", paper_dir, desc, present)
            nets = nets[nets["problem"].isin(done)].reset_index(drop=True)
            geo = geo[geo["problem"].isin(done)].reset_index(drop=True)
            desc = (f"the `paper` profile for the problems complete in `{paper_dir}`: "
                    + ", ".join(f"`{p}`" for p in done)
                    + f" ({len(nets):,} of {len(expected_networks(paper)):,} networks; {stamp}). Not yet "
                    "computed, so not shown: " + ", ".join(f"`{p}`" for p in missing)
                    + " (`ricci-lit sweep --profile paper --out results/paper` resumes it)")
            return BookResults(nets, geo, manifest, "paper", paper_dir, desc, present, missing)
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}; choose one of {', '.join(PROFILES)}")
    prof = get_profile(profile)
    out = root / prof.name
    summary = run_sweep(prof, out, device=device, data_dir=data_dir, progress=progress)
    nets, geo, manifest = load_results(out)
    how = "computed during this build" if summary.chunks_written else "reused from an earlier build"
    desc = (f"the `{prof.name}` profile ({len(nets)} networks: {len(prof.problems)} problems × "
            f"{len(prof.architectures)} architectures × {prof.n_seeds} seeds), {how} in `{out}`")
    if prof.name != "paper":
        desc += (f"; the `paper` profile has no complete problem in `{paper_dir}` "
                 f"({present} of {len(expected_networks(paper))} networks present), so these are not "
                 "the paper-scale numbers")
    missing = tuple(p for p in paper.problems if p not in set(nets["problem"])) if prof.name == "paper" \
        else tuple(paper.problems)
    return BookResults(nets, geo, manifest, prof.name, out, desc, present, missing)


def computed_by(directory: str | Path, tables: Iterable[str], *, problems: Iterable[str] | None = None) -> str:
    """Which code computed a store's rows, from every chunk's own provenance.

    A store's manifest names the code that *created* the store; a chunk recomputed later (after a
    fix, say) records its own ``git_sha`` and ``created_utc``, packed or loose
    (``ricci_lit.experiments.store.iter_provenance``). This counts the chunks of ``tables``
    (only those of ``problems`` when given) by commit and says so in one phrase: the one commit,
    or the commit of the most chunks, how many others, and the dates the chunks were written.
    A ``-dirty`` commit (uncommitted changes in the working tree) keeps its suffix.
    """
    wanted = None if problems is None else {str(p) for p in problems}
    shas: Counter[str] = Counter()
    days: list[str] = []
    for table in tables:
        for _, prov in iter_provenance(directory, table):
            if wanted is not None and str(prov.get("problem")) not in wanted:
                continue
            shas[str(prov.get("git_sha") or "unknown")] += 1
            if prov.get("created_utc"):
                days.append(str(prov["created_utc"])[:10])
    total = sum(shas.values())
    if not total:
        return "no chunk records the code that computed it"

    def short(sha: str) -> str:
        head, dirty, _ = sha.partition("-dirty")
        return head[:12] + ("-dirty" if dirty else "")

    when = "" if not days else (f", written {min(days)}" if min(days) == max(days)
                                else f", written {min(days)} to {max(days)}")
    top, n_top = shas.most_common(1)[0]
    units = f"{total:,} chunk{'s' if total != 1 else ''}"
    if len(shas) == 1:
        return f"computed by git {short(top)} ({units}{when})"
    others = len(shas) - 1
    return (f"computed by {len(shas)} commits: git {short(top)} for {n_top:,} of {units}, "
            f"{others} other commit{'s' if others != 1 else ''} for the rest{when}")


def store_code(directory: str | Path, manifest: Mapping[str, Any], tables: Iterable[str], *,
               problems: Iterable[str] | None = None) -> str:
    """The code behind a store, for a chapter's description: the package version and commit that
    created it (its manifest) and the commits that computed its rows (:func:`computed_by`)."""
    created = manifest.get("created", {})
    return (f"ricci_lit {manifest.get('ricci_lit')}; store created by git {created.get('git_sha', 'unknown')}, "
            f"{computed_by(directory, tables, problems=problems)}")


@dataclass(frozen=True)
class BookCoefficients:
    """The coefficients a chapter renders (:func:`book_coefficients`)."""

    networks: pd.DataFrame
    layers: pd.DataFrame
    manifest: dict[str, Any]
    directory: Path
    description: str


def book_coefficients(root: str | Path = "results", *, name: str = "paper-coefficients",
                      problems: Sequence[str] | None = None) -> BookCoefficients | None:
    """The committed coefficients store ``root/name`` for the book, or ``None`` when absent/empty.

    ``problems`` restricts it to the problems the results chapters render (so the two never
    disagree about which problems are shown). A relative ``root`` is resolved as the results
    chapters resolve theirs (:func:`ricci_lit.book.resolve_results_root`).
    """
    directory = resolve_results_root(root) / name
    if not (directory / "manifest.json").exists():
        return None
    networks, layers, manifest = load_coefficients(directory)
    if networks.empty:
        return None
    if problems is not None:
        networks = networks[networks["problem"].isin(list(problems))].reset_index(drop=True)
        layers = layers[layers["problem"].isin(list(problems))].reset_index(drop=True)
        if networks.empty:
            return None
    s = manifest.get("settings", {})
    per_config = networks.groupby(["problem", "architecture", "state"])["seed"].nunique()
    seeds = (f"{per_config.min()} seed{'s' if per_config.min() != 1 else ''}" if per_config.min() == per_config.max()
             else f"{per_config.min()}–{per_config.max()} seeds")
    held = set(networks["state"])
    states = ("each trained and at its initialisation" if held == {"trained", "untrained"}
              else "trained only" if held == {"trained"} else "at initialisation only" if held == {"untrained"}
              else "states " + ", ".join(sorted(map(str, held))))
    desc = (f"`{directory}`: {networks[['problem', 'architecture', 'seed']].drop_duplicates().shape[0]:,} networks "
            f"of {', '.join(f'`{p}`' for p in sorted(networks['problem'].unique()))} "
            f"({seeds} per configuration), {states}, {k_phrase(s.get('k'))}, curvatures "
            f"{', '.join(s.get('curvatures', []))}, graph modes {', '.join(s.get('modes', []))} "
            f"({store_code(directory, manifest, ['coefficients'], problems=networks['problem'].unique())})")
    return BookCoefficients(networks, layers, manifest, directory, desc)


def book_p2(root: str | Path = "results", *, name: str = "paper-p2"
            ) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]] | None:
    """The committed store ``root/name`` of :func:`~ricci_lit.experiments.paper2.run_p2_experiments` for the book, or ``None``
    when it is absent or holds nothing yet (a relative ``root`` is resolved as the results
    chapters resolve theirs, :func:`ricci_lit.book.resolve_results_root`)."""
    directory = resolve_results_root(root) / name
    if not (directory / "manifest.json").exists():
        return None
    traj, depth, manifest = load_p2_experiments(directory)
    if traj.empty and depth.empty:
        return None
    return traj, depth, manifest


def book_zoo(plan: Any, root: str | Path = "results", *, progress: bool = False
             ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, str]:
    """Chapter 9's tables for ``plan`` (a :class:`~ricci_lit.experiments.zoo.ZooPlan`):
    ``(networks, layers, community, source)``.

    They are read from the committed store ``root/zoo-<plan name>`` when its settings are the
    plan's and it holds every unit; otherwise the plan is run (resumably) into a temporary store,
    so a chapter executed with other parameters never writes under ``root``. ``source`` says
    which, for the chapter's text.
    """
    import tempfile

    from ricci_lit.experiments.store import read_manifest
    from ricci_lit.experiments.zoo import load_zoo, run_zoo, unit_key, zoo_plan

    directory = resolve_results_root(root) / f"zoo-{plan.name}"
    if (directory / "manifest.json").exists() and read_manifest(directory, "zoo")["settings"] == \
            json.loads(json.dumps(plan.settings())):
        nets, layers, comm, _ = load_zoo(directory)
        expected = {u.key for u in zoo_plan(directory, plan).units}
        have = {unit_key(p, m, s)
                for p, m, s in nets[["problem", "model", "seed"]].drop_duplicates().itertuples(index=False)}
        if expected <= have:
            return nets, layers, comm, f"the committed store `{directory.name}`"
    scratch = Path(tempfile.mkdtemp(prefix="ricci-lit-zoo-"))
    run_zoo(scratch, plan, progress=progress, pack=True)
    nets, layers, comm, _ = load_zoo(scratch)
    return nets, layers, comm, "a store computed during this execution"


def book_sensitivity(root: str | Path = "results", *, reference: str = "paper",
                     prefix: str = "paper-sensitivity-") -> tuple[Sensitivity | None, dict[str, str]]:
    """The committed variant stores ``root/PREFIX*`` compared with ``root/REFERENCE``, for the book.

    Returns ``(comparison, skipped)``: ``comparison`` is ``None`` when no variant store can be
    compared (the chapter then says so), and ``skipped`` maps each variant store left out to why
    (no networks yet, e.g. a sweep still running; nothing in common with the reference). A
    relative ``root`` is resolved as :func:`ricci_lit.book.resolve_results_root` does. Every
    store is read once."""
    from ricci_lit.experiments.paper1 import load_results
    root = resolve_results_root(root)
    found = sorted(p for p in root.glob(f"{prefix}*") if (p / "manifest.json").exists())
    skipped: dict[str, str] = {}
    if not (root / reference / "manifest.json").exists():
        return None, {str(p): f"no reference store {root / reference}" for p in found}
    ref = load_results(root / reference)
    ref_keys = network_index(ref[0]) if len(ref[0]) else None
    parts = []
    for p in found:
        var = load_results(p)
        if var[0].empty:
            skipped[str(p)] = "holds no network yet"
        elif ref_keys is None or len(network_index(var[0]).intersection(ref_keys)) == 0:
            skipped[str(p)] = f"holds no network that {root / reference} holds"
        else:
            parts.append(compare_loaded(ref, var, name=p.name[len(prefix):], reference_label=str(root / reference),
                                         variant_label=str(p), thresholds=None, layers="hidden"))
    return (combine(parts) if parts else None), skipped




#: The committed pipeline stores chapter 7 puts side by side (issue 14): label → directory under
#: ``results/``. "ours" is paper 1 as we run it (full training split, union graph, raw pixels); the
#: authors' pipeline trains as their Keras code did (``--training-set authors``) and builds the
#: authors' R graph (``--mode r-compat``) on raw pixels.
PIPELINE_STORES: Mapping[str, str] = {
    "ours": "paper",
    "authors' training, union graph": "paper-sensitivity-authors-training",
    "authors' pipeline": "paper-authors",
    "ours, r-compat graph": "paper-sensitivity-r-compat",
    "ours, pixels in [0, 1]": "paper-sensitivity-pixel-scale",
}

#: The pipelines of chapter 7's main table, in order (all on the networks all of them hold); the
#: intermediate pipelines enter through :data:`SINGLE_CHANGES`, each on the networks it shares.
MAIN_PIPELINES: tuple[str, ...] = ("ours", "authors' pipeline")

#: The single changes of chapter 7: ``(change, before, after)`` labels of :data:`PIPELINE_STORES`.
SINGLE_CHANGES: tuple[tuple[str, str, str], ...] = (
    ("training set: full → authors' (union graph)", "ours", "authors' training, union graph"),
    ("kNN graph: union → r-compat (authors' networks)", "authors' training, union graph", "authors' pipeline"),
    ("kNN graph: union → r-compat (our networks)", "ours", "ours, r-compat graph"),
    ("pixels: raw 0–255 → [0, 1] (our training)", "ours", "ours, pixels in [0, 1]"),
    ("all: ours → the authors' pipeline", "ours", "authors' pipeline"),
)


def book_pipelines(root: str | Path = "results", stores: Mapping[str, str] | None = None
                   ) -> tuple[dict[str, tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]]], dict[str, str]]:
    """The committed pipeline stores (:data:`PIPELINE_STORES` by default), loaded once each.

    Returns ``(loaded, missing)``: ``loaded`` maps a label to ``(networks, geometry, manifest)``
    (:func:`~ricci_lit.experiments.paper1.load_results`), ``missing`` a label to why it is left out
    (no store committed, or no network in it yet). A relative ``root`` is resolved as
    :func:`resolve_results_root` does."""
    base = resolve_results_root(root)
    loaded: dict[str, tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]]] = {}
    missing: dict[str, str] = {}
    for label, name in (PIPELINE_STORES if stores is None else stores).items():
        path = base / name
        if not (path / "manifest.json").exists():
            missing[label] = f"no store {path}"
            continue
        res = load_results(path)
        if res[0].empty:
            missing[label] = f"{path} holds no network yet"
        else:
            loaded[label] = res
    return loaded, missing
