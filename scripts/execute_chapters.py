"""Execute the book's chapters with papermill (``make chapters``).

Each chapter listed in ``_toc.yml`` as ``book/executed/NAME`` has its source in ``book/NAME.py``
(Jupytext percent format, with a ``parameters`` cell). It is converted to a notebook, executed by
papermill with ``-p profile PROFILE`` from the repository root, and written to
``book/executed/NAME.ipynb``, which Jupyter Book renders (``execute_notebooks: "off"``).
papermill's injected copy of the parameters (the cell it tags ``injected-parameters``) is also
tagged ``remove-cell``, so the rendered page does not show it (the notebook keeps it).
All chapters are attempted; the command fails if any chapter fails.

``stage_book`` copies what a build of the book reads (configuration, table of contents, static
files, the book's own Sphinx extension, the Markdown pages and API reference) into a scratch
root, for building from notebooks executed elsewhere (the test suite does).
"""
from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

import jupytext
import papermill
import yaml

ROOT = Path(__file__).resolve().parents[1]


def chapter_names(toc: Path = ROOT / "_toc.yml") -> list[str]:
    """Names of the executed chapters in table-of-contents order."""
    data = yaml.safe_load(toc.read_text())
    files: list[str] = []

    def walk(node):
        if isinstance(node, dict):
            if "file" in node:
                files.append(node["file"])
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(data.get("chapters", data.get("parts", [])))
    return [Path(f).name for f in files if Path(f).parent.as_posix() == "book/executed"]


def execute(name: str, profile: str, out_dir: Path, extra: dict[str, object]) -> float:
    """Convert ``book/NAME.py`` and execute it into ``out_dir/NAME.ipynb``; return seconds."""
    src = ROOT / "book" / f"{name}.py"
    if not src.exists():
        raise FileNotFoundError(f"{src} is listed in _toc.yml but does not exist")
    nb = jupytext.read(src)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / f"{name}.ipynb"
        jupytext.write(nb, raw)
        t0 = time.perf_counter()
        papermill.execute_notebook(str(raw), str(out_dir / f"{name}.ipynb"),
                                   parameters={"profile": profile, **extra},
                                   kernel_name="python3", cwd=str(ROOT), progress_bar=False)
        seconds = time.perf_counter() - t0
    hide_injected_parameters(out_dir / f"{name}.ipynb")
    return seconds


def hide_injected_parameters(notebook: Path) -> int:
    """Tag papermill's ``injected-parameters`` cell(s) ``remove-cell`` (Jupyter Book then leaves
    them out of the page); return how many cells were tagged now."""
    import nbformat

    nb = nbformat.read(notebook, as_version=4)
    changed = 0
    for cell in nb.cells:
        tags = cell.metadata.get("tags", [])
        if "injected-parameters" in tags and "remove-cell" not in tags:
            cell.metadata["tags"] = [*tags, "remove-cell"]
            changed += 1
    if changed:
        nbformat.write(nb, notebook)
    return changed


# What a build of the book reads besides the executed notebooks (paths relative to ROOT).
BOOK_FILES = ("_config.yml", "_toc.yml")
BOOK_DIRS = ("_static", "book/_ext", "book/api")


def stage_book(dest: Path, executed: Path, chapters: list[str] | None = None) -> Path:
    """Lay out a buildable copy of the book in ``dest``: the configuration, static files, the
    book's Sphinx extension, its Markdown pages (``book/*.md``, the API reference) and the
    notebooks ``executed/NAME.ipynb`` of ``chapters`` (default: all in ``_toc.yml``); the package
    is linked in (chapters ``literalinclude`` its source). Returns ``dest``."""
    names = chapter_names() if chapters is None else chapters
    missing = [n for n in names if not (executed / f"{n}.ipynb").exists()]
    if missing:
        raise FileNotFoundError(f"not executed in {executed}: {missing}")
    (dest / "book" / "executed").mkdir(parents=True, exist_ok=True)
    for name in BOOK_FILES:
        shutil.copy(ROOT / name, dest / name)
    for name in BOOK_DIRS:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, dest / name, dirs_exist_ok=True,
                            ignore=shutil.ignore_patterns("__pycache__"))
    for page in (ROOT / "book").glob("*.md"):
        shutil.copy(page, dest / "book" / page.name)
    for name in names:
        shutil.copy(executed / f"{name}.ipynb", dest / "book" / "executed" / f"{name}.ipynb")
    link = dest / "ricci_lit"
    if not link.exists():
        link.symlink_to(ROOT / "ricci_lit")
    return dest


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--profile", choices=("quick", "paper"), default="quick")
    ap.add_argument("--only", nargs="*", help="execute only these chapters")
    ap.add_argument("--out", default=str(ROOT / "book" / "executed"))
    ap.add_argument("-p", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"),
                    help="extra papermill parameter (value parsed as YAML)")
    args = ap.parse_args(argv)
    extra = {k: yaml.safe_load(v) for k, v in args.p}
    names = chapter_names()
    if args.only:
        unknown = sorted(set(args.only) - set(names))
        if unknown:
            ap.error(f"unknown chapters {unknown}; known: {names}")
        names = [n for n in names if n in args.only]
    failed = []
    for name in names:
        print(f"[chapters] {name} (profile={args.profile}) ...", flush=True)
        try:
            secs = execute(name, args.profile, Path(args.out), extra)
            print(f"[chapters] {name} done in {secs:.1f} s", flush=True)
        except Exception as exc:  # report every failing chapter, then fail
            print(f"[chapters] {name} FAILED: {type(exc).__name__}: {str(exc)[:2000]}", flush=True)
            failed.append(name)
    if failed:
        print(f"[chapters] failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
