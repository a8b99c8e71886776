"""The executable book: every chapter listed in ``_toc.yml`` runs, follows the house rules,
re-validates under nbval, and the built site (when present) is complete.

* ``test_chapter_source_follows_house_rules[NAME]`` (static, fast): the Jupytext source has a
  ``parameters`` cell with ``profile = "quick"``, no ``!pip``/``%pip``, no ``sys.path`` edits, and
  every ``{glue:...}`` key the prose uses is glued by the chapter's code.
* ``test_chapter_executes[NAME]``: papermill executes ``book/NAME.py`` on the quick profile
  (``scripts/execute_chapters.py``'s own ``execute``) into a temporary directory; any cell error
  fails the test, named by chapter. The executed notebook must print the package version, git
  SHA and profile in its first code cell after the parameters, and contain no error output.
* ``test_chapter_nbval[NAME]``: ``pytest --nbval-lax`` on that executed notebook in a
  subprocess: nbval re-runs it (any error fails) and compares the outputs of the cells tagged
  ``nbval-check-output`` (deterministic tables) with the stored ones. Set
  ``RICCI_LIT_SKIP_NBVAL=1`` to skip this second execution.
* ``test_built_site``: when ``_build/html`` exists, ``scripts/check_site.py``'s ``check()``
  (every chapter page exists, every referenced image exists, no error output on any page).

Chapters are discovered from ``_toc.yml`` at collection time, so chapters added later are tested
without editing this file. Execution times are attached to the test report
(``record_property("seconds", ...)``) and a chapter slower than the quick-profile budget emits a
warning.
"""
from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
QUICK_BUDGET_S = 120.0  # each chapter's quick profile should run within 2 minutes on 2 CPU cores
NBVAL_TIMEOUT_S = 900


def _load_script(name: str):
    """Import ``scripts/NAME.py`` as a module (the scripts directory is not a package)."""
    spec = importlib.util.spec_from_file_location(f"ricci_lit_scripts_{name}", ROOT / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


executor = _load_script("execute_chapters")
CHAPTERS = executor.chapter_names()


@pytest.fixture(scope="session")
def executed_dir(tmp_path_factory) -> Path:
    """Where this session's executed notebooks go (never ``book/executed``)."""
    return tmp_path_factory.mktemp("executed")


def _source(name: str) -> str:
    path = ROOT / "book" / f"{name}.py"
    assert path.exists(), f"_toc.yml lists {name} but book/{name}.py does not exist"
    return path.read_text(encoding="utf-8")


def test_toc_lists_chapters():
    assert CHAPTERS, "_toc.yml lists no chapters under book/executed/"
    assert len(set(CHAPTERS)) == len(CHAPTERS), f"duplicate chapters in _toc.yml: {CHAPTERS}"
    numbered = [c for c in CHAPTERS if re.match(r"ch\d\d_", c)]
    assert numbered == sorted(numbered), f"chapters out of order in _toc.yml: {numbered}"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_source_follows_house_rules(chapter):
    import jupytext

    src = _source(chapter)
    nb = jupytext.reads(src, fmt="py:percent")
    params = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(params) == 1, "exactly one cell tagged 'parameters' is required"
    assert re.search(r'^profile\s*=\s*"quick"', params[0].source, re.M), \
        'the parameters cell must set profile = "quick"'
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert not re.search(r"^\s*[!%]\s*pip\b", code, re.M), "no !pip / %pip install in chapters"
    assert "sys.path" not in code, "no sys.path manipulation in chapters"
    assert re.search(r"^\s*(import ricci_lit|from ricci_lit\b)", code, re.M), "chapters use ricci_lit"
    markdown = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    used = set(re.findall(r"\{glue(?::\w+)?\}`([^`:]+)", markdown))
    used |= set(re.findall(r"```\{glue:\w+\}\s+(\S+)", markdown))
    # keys glued literally, or built by an f-string whose literal prefix matches
    literal = set(re.findall(r"""glue\(\s*["']([^"'{]+)["']""", code))
    prefixes = set(re.findall(r"""glue\(\s*f["']([^"'{]*)\{""", code))
    missing = sorted(k for k in used if k not in literal and not any(k.startswith(p) for p in prefixes if p))
    assert not missing, f"glue keys used in the prose but never glued: {missing}"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_executes(chapter, executed_dir, record_property):
    import nbformat
    import ricci_lit

    seconds = executor.execute(chapter, "quick", executed_dir, {})
    record_property("seconds", round(seconds, 1))
    print(f"{chapter}: executed in {seconds:.1f} s")
    if seconds > QUICK_BUDGET_S:
        warnings.warn(f"{chapter} took {seconds:.0f} s on the quick profile (budget {QUICK_BUDGET_S:.0f} s)")
    nb = nbformat.read(executed_dir / f"{chapter}.ipynb", as_version=4)
    errors = [out for cell in nb.cells if cell.cell_type == "code"
              for out in cell.get("outputs", []) if out.get("output_type") == "error"]
    assert not errors, f"{chapter} has error outputs"

    # the first code cell after the parameters (and papermill's injected parameters) prints the
    # package version, git SHA and profile
    code_cells = [c for c in nb.cells if c.cell_type == "code"]
    tags = [set(c.metadata.get("tags", [])) for c in code_cells]
    after = max(i for i, t in enumerate(tags) if t & {"parameters", "injected-parameters"}) + 1
    first = code_cells[after]
    text = "".join(o.get("text", "") for o in first.get("outputs", []) if o.get("output_type") == "stream")
    assert ricci_lit.__version__ in text, f"first cell must print ricci_lit's version: {text!r}"
    # the SHA itself may move while the suite runs (commits), so check its form
    assert re.search(r"\b[0-9a-f]{7,40}(-dirty)?\b|\bunknown\b", text), f"first cell must print the git SHA: {text!r}"
    assert "quick" in text, f"first cell must print the profile: {text!r}"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_nbval(chapter, executed_dir):
    if os.environ.get("RICCI_LIT_SKIP_NBVAL") == "1":
        pytest.skip("RICCI_LIT_SKIP_NBVAL=1")
    notebook = executed_dir / f"{chapter}.ipynb"
    if not notebook.exists():
        pytest.skip(f"{chapter} was not executed (see test_chapter_executes[{chapter}])")
    cmd = [sys.executable, "-m", "pytest", "--nbval-lax", "--nbval-current-env", "-q",
           "-p", "no:cacheprovider", "-o", "addopts=", "--rootdir", str(executed_dir), str(notebook)]
    proc = subprocess.run(cmd, cwd=executed_dir, capture_output=True, text=True, timeout=NBVAL_TIMEOUT_S)
    assert proc.returncode == 0, f"nbval failed on {chapter}:\n{proc.stdout[-6000:]}\n{proc.stderr[-2000:]}"


def test_built_site():
    html = ROOT / "_build" / "html"
    if not (html / "index.html").exists():
        pytest.skip("the book has not been built (make book)")
    problems = _load_script("check_site").check(html)
    assert not problems, "\n".join(problems)


def test_site_builds_from_the_executed_chapters(executed_dir, tmp_path):
    """Build the book with ``-W -n`` from the notebooks this session executed, in a scratch copy
    of the book's root, and run the site check on the result: this makes the built-site check
    part of every test run, not only of ``make book``."""
    missing = [c for c in CHAPTERS if not (executed_dir / f"{c}.ipynb").exists()]
    if missing:
        pytest.skip(f"chapters not executed in this session: {missing}")
    root = executor.stage_book(tmp_path / "book-root", executed_dir)
    jb = Path(sys.executable).with_name("jupyter-book")
    proc = subprocess.run([str(jb), "build", str(root), "-W", "-n", "--keep-going"],
                          capture_output=True, text=True, timeout=NBVAL_TIMEOUT_S)
    assert proc.returncode == 0, f"jupyter-book build failed:\n{proc.stdout[-6000:]}\n{proc.stderr[-3000:]}"
    problems = _load_script("check_site").check(root / "_build" / "html")
    assert not problems, "\n".join(problems)


def test_computed_by_names_the_code_of_the_chunks_not_the_manifest(tmp_path):
    """Chunks recomputed by later code say so: the phrase counts every chunk's own commit,
    packed or loose, and can be restricted to some problems."""
    import pandas as pd

    from ricci_lit.book import computed_by
    from ricci_lit.experiments.store import ResultsStore

    store = ResultsStore(tmp_path, "demo", {"n": 1})
    frame = pd.DataFrame({"x": [1.0]})

    def write(key, sha, day):
        store.write_chunk("demo", key, frame, {"git_sha": sha, "created_utc": f"{day}T10:00:00+00:00",
                                               "problem": key.split("+")[0]})

    assert computed_by(tmp_path, ["demo"]) == "no chunk records the code that computed it"
    write("A+1", "a" * 40, "2026-11-20")
    assert computed_by(tmp_path, ["demo"]) == f"computed by git {'a' * 12} (1 chunk, written 2026-11-20)"
    write("A+2", "a" * 40, "2026-11-21")
    write("B+1", "b" * 40 + "-dirty", "2026-12-01")
    store.pack("demo")  # packed chunks keep their own provenance
    write("B+2", "c" * 40, "2026-12-02")
    assert computed_by(tmp_path, ["demo"]) == (
        f"computed by 3 commits: git {'a' * 12} for 2 of 4 chunks, 2 other commits for the rest, "
        "written 2026-11-20 to 2026-12-02")
    assert computed_by(tmp_path, ["demo"], problems=["B"]) == (
        f"computed by 2 commits: git {'b' * 12}-dirty for 1 of 2 chunks, 1 other commit for the rest, "
        "written 2026-12-01 to 2026-12-02")
    assert computed_by(tmp_path, ["other"]) == "no chunk records the code that computed it"
