"""The built book as a reader meets it: self-contained, math rendered, nothing broken.

* Static checks (fast, no build): ``scripts/check_site.py`` finds references to other hosts
  (scripts, style sheets, fonts, images) and pages with math that do not load the site's own
  MathJax; the API reference pages are up to date with the package's modules and cover each of
  them once; papermill's injected-parameters cell is tagged to be left out of the page.
* Browser checks (headless Chromium, network off; ``scripts/browser_check.py``): on a tiny
  hand-made site, that the check sees rendered math, raw TeX, a broken image and a failed request;
  then on the built book, every page: math rendered by MathJax (``mjx-container``, no raw ``\\(``
  left in the text), no image broken, no request failed, no JavaScript error.

The built book is the one ``tests/test_book.py::test_site_builds_from_the_executed_chapters``
built in this session, else ``_build/html`` (``make book``). Without either the browser test
skips, unless ``CI`` is set: then it builds the site itself from the chapters this session
executed (or executes them). Without Chromium the browser tests skip, unless ``CI`` is set
(then they fail: CI installs Debian's ``chromium``).
"""
from __future__ import annotations

import importlib
import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CI = bool(os.environ.get("CI"))
BUILD_TIMEOUT_S = 900


def _load_script(name: str):
    """Import ``scripts/NAME.py`` under the name ``NAME`` (the scripts import each other so)."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


check_site = _load_script("check_site")
browser_check = _load_script("browser_check")
api_pages = _load_script("api_pages")
executor = _load_script("execute_chapters")


# -- the static site check ------------------------------------------------------------------

@pytest.mark.parametrize("html, expected", [
    ('<script src="https://cdn.example.org/a.js"></script>', ["https://cdn.example.org/a.js"]),
    ("<script src='//cdn.example.org/a.js' defer></script>", ["//cdn.example.org/a.js"]),
    ('<script src="../_static/a.js"></script>', []),
    ('<link rel="stylesheet" href="https://fonts.googleapis.com/css?family=Lato">',
     ["https://fonts.googleapis.com/css?family=Lato"]),
    ('<link href="https://fonts.gstatic.com/x.woff2" rel="preload" as="font">', ["https://fonts.gstatic.com/x.woff2"]),
    ('<link rel="canonical" href="https://example.org/book/">', []),  # not fetched
    ('<a href="https://arxiv.org/abs/2404.14265">paper</a>', []),  # a link, not a load
    ('<img alt="x" src="http://example.org/x.png">', ["http://example.org/x.png"]),
    ('<style>@import url("https://example.org/s.css");</style>', ["https://example.org/s.css"]),
    ("<div style=\"background: url('https://example.org/b.png')\"></div>", ["https://example.org/b.png"]),
    ('<img src="data:image/png;base64,AAAA">', []),
])
def test_remote_references(html, expected):
    assert check_site.remote_references(html) == expected


def test_check_self_contained_reports_remote_loads_and_missing_mathjax(tmp_path):
    (tmp_path / "_static" / "mathjax").mkdir(parents=True)
    (tmp_path / "_static" / "site.css").write_text("@font-face { src: url(https://fonts.example.org/f.woff2); }")
    mathjax = '<script defer src="_static/mathjax/tex-chtml.js"></script>'
    (tmp_path / "good.html").write_text(f'{mathjax}<span class="math notranslate">\\(x\\)</span>')
    (tmp_path / "nomath.html").write_text("<p>no formulas</p>")
    (tmp_path / "cdn.html").write_text('<script src="https://cdn.example.org/mathjax/tex-chtml.js"></script>'
                                       '<span class="math notranslate">\\(x\\)</span>')
    problems = check_site.check_self_contained(tmp_path)
    assert problems == [
        "cdn.html: loads https://cdn.example.org/mathjax/tex-chtml.js from another host",
        "cdn.html: has math but does not load MathJax from _static/mathjax",
        "_static/site.css: loads https://fonts.example.org/f.woff2 from another host",
    ]


# -- the API reference pages ----------------------------------------------------------------

def test_api_pages_are_up_to_date():
    stale = api_pages.stale()
    assert not stale, (f"book/api pages out of date with the package's modules: {stale}; "
                       "run `python scripts/api_pages.py` and commit the pages")


def _public_modules() -> list[str]:
    """Every public module of the package, from the files (independent of api_pages)."""
    names = []
    for path in sorted((ROOT / "ricci_lit").rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        if "__pycache__" in parts or any(p.startswith("_") for p in parts):
            continue
        names.append(".".join(parts))
    return names


def test_every_public_module_is_on_exactly_one_api_page():
    documented: dict[str, list[str]] = {}
    for page in sorted((ROOT / "book" / "api").glob("*.md")):
        for name in re.findall(r"^\.\. automodule:: (\S+)", page.read_text(encoding="utf-8"), re.M):
            documented.setdefault(name, []).append(page.name)
    missing = [m for m in _public_modules() if m not in documented]
    twice = {m: p for m, p in documented.items() if len(p) > 1}
    assert not missing, f"public modules without an API page: {missing}"
    assert not twice, f"modules documented on more than one page: {twice}"


def test_api_pages_are_in_the_table_of_contents():
    toc = (ROOT / "_toc.yml").read_text(encoding="utf-8")
    pages = sorted(p.stem for p in (ROOT / "book" / "api").glob("*.md"))
    assert pages, "no API reference pages in book/api"
    absent = [p for p in pages if f"file: book/api/{p}\n" not in toc]
    assert not absent, f"API pages not listed in _toc.yml: {absent}"


# -- papermill's injected parameters ----------------------------------------------------------

def test_injected_parameters_cell_is_removed_from_the_page(tmp_path):
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell('profile = "quick"', metadata={"tags": ["parameters"]}),
                nbformat.v4.new_code_cell('profile = "paper"', metadata={"tags": ["injected-parameters"]}),
                nbformat.v4.new_code_cell("x = 1")]
    path = tmp_path / "ch.ipynb"
    nbformat.write(nb, path)
    assert executor.hide_injected_parameters(path) == 1
    assert executor.hide_injected_parameters(path) == 0  # idempotent
    tags = [c.metadata.get("tags", []) for c in nbformat.read(path, as_version=4).cells]
    assert tags == [["parameters"], ["injected-parameters", "remove-cell"], []]


# -- the browser ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def browser():
    if browser_check.find_browser() is None:
        if CI:
            pytest.fail("no Chromium on this CI machine: `make setup` installs Debian's chromium")
        pytest.skip("no Chromium (install Debian's 'chromium' to run the browser checks)")
    with browser_check.Browser() as b:
        yield b


def _png_1x1() -> bytes:
    """A valid one-pixel PNG (signature, IHDR, IDAT, IEND with their CRCs)."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)  # 1x1, 8-bit RGB
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
            + chunk(b"IEND", b""))


def _mathjax_dir() -> Path:
    """MathJax 3 as shipped by the sphinx-mathjax-offline package the book uses."""
    module = importlib.import_module("sphinx-mathjax-offline")
    return Path(module.__file__).parent / "static" / "mathjax"


def test_browser_check_sees_rendered_math_and_broken_things(browser, tmp_path):
    (tmp_path / "_static").symlink_to(_mathjax_dir().parent)
    (tmp_path / "fine.png").write_bytes(_png_1x1())
    mathjax = '<script defer src="_static/mathjax/tex-chtml.js"></script>'
    (tmp_path / "good.html").write_text(
        f'<html><head>{mathjax}</head><body><p>Flow: <span class="math notranslate nohighlight">'
        '\\(\\partial_t g = -2\\,\\mathrm{Ric}(g)\\)</span></p><img src="fine.png"></body></html>')
    (tmp_path / "bad.html").write_text(
        '<html><head><script src="https://cdn.example.org/tex-chtml.js"></script></head><body>'
        '<p>Flow: <span class="math notranslate nohighlight">\\(\\partial_t g\\)</span></p>'
        '<img src="missing.png"><pre>code may show \\( as it is</pre></body></html>')

    good = browser.inspect(tmp_path / "good.html")
    assert good.problems() == []
    assert (good.math, good.mjx, good.unrendered, good.images) == (1, 1, 0, 1)

    bad = browser.inspect(tmp_path / "bad.html")
    assert bad.unrendered == 1 and bad.mjx == 0
    assert bad.raw_tex == ["\\(\\partial_t g\\)"]  # the <pre> is not searched
    assert bad.broken_images == ["missing.png"]
    failed = " ".join(bad.failed_requests)
    assert "https://cdn.example.org/tex-chtml.js" in failed and "missing.png" in failed
    assert len(bad.problems()) == 5


def _session_site(tmp_path_factory) -> Path | None:
    """The site test_book built in this session, else the repository's ``_build/html``."""
    base = tmp_path_factory.getbasetemp()
    built = sorted(base.glob("test_site_builds_from_the_*/book-root/_build/html/index.html"))
    if built:
        return built[-1].parent
    if (ROOT / "_build" / "html" / "index.html").exists():
        return ROOT / "_build" / "html"
    return None


def _build_site(tmp_path_factory) -> Path:
    """Build the book from the chapters this session executed (test_book's ``executed0``), or
    execute them first; as test_book does, with ``-W -n``."""
    executed = tmp_path_factory.getbasetemp() / "executed0"
    chapters = executor.chapter_names()
    if not all((executed / f"{c}.ipynb").exists() for c in chapters):
        executed = tmp_path_factory.mktemp("site-executed")
        for c in chapters:
            executor.execute(c, "quick", executed, {})
    root = executor.stage_book(tmp_path_factory.mktemp("site-root"), executed)
    jb = Path(sys.executable).with_name("jupyter-book")
    proc = subprocess.run([str(jb), "build", str(root), "-W", "-n", "--keep-going"],
                          capture_output=True, text=True, timeout=BUILD_TIMEOUT_S)
    assert proc.returncode == 0, f"jupyter-book build failed:\n{proc.stdout[-6000:]}\n{proc.stderr[-3000:]}"
    return root / "_build" / "html"


@pytest.fixture(scope="module")
def built_site(tmp_path_factory) -> Path:
    site = _session_site(tmp_path_factory)
    if site is not None:
        return site
    if not CI:
        pytest.skip("no built book: run tests/test_book.py in the same session, or `make book` "
                    "(with CI set this test builds it)")
    return _build_site(tmp_path_factory)


def test_built_book_in_a_browser(browser, built_site):
    reports = browser_check.check_site(built_site, browser)
    pages = {r.page for r in reports}
    chapters = {f"book/executed/{c}.html" for c in executor.chapter_names()}
    assert chapters <= pages, f"chapter pages missing from the site: {sorted(chapters - pages)}"
    assert any(p.startswith("book/api/") for p in pages), "the site has no API reference pages"
    problems = [p for r in reports for p in r.problems()]
    assert not problems, "\n".join(problems)
    # the book has math, and MathJax rendered it (a check that can fail: see the test above)
    with_math = [r for r in reports if r.math]
    assert with_math and all(r.mjx >= r.math for r in with_math)


def test_docstring_fields_are_not_misread():
    """A NumPy-style field that napoleon would render as nonsense (several names in one entry, a
    prose tuple as a type) is reported by the page generator; the -W build's narrow ignore
    patterns would otherwise hide it."""
    assert not api_pages.misread_fields()
