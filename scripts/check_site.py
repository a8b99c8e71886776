"""Check the built site (``make book``): every chapter page exists, every image it references
exists, no page shows an error output, and the site is self-contained: no page (and no style
sheet it loads) references a script, style sheet, font, image or frame on another host, and every
page with math loads MathJax from the site's own ``_static``.

The browser check (headless Chromium, network off: math rendered, images loaded, no request
failed) is ``tests/test_site.py``; its driver is ``scripts/browser_check.py``."""
from __future__ import annotations

import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from execute_chapters import ROOT, chapter_names  # noqa: E402

ERROR_MARKERS = ("output traceback", "Traceback (most recent call last)")
REMOTE = r"(?:https?:)?//"  # http://, https:// and protocol-relative //host/...
# elements whose URL the browser fetches when the page loads (a link's rel decides for <link>)
_FETCHED = re.compile(r"<(script|img|iframe|source|audio|video|embed)\b[^>]*?\ssrc=[\"']?(" + REMOTE + r"[^\"' >]+)", re.I)
_LINK = re.compile(r"<link\b[^>]*>", re.I)
_LINK_FETCHED_RELS = {"stylesheet", "preload", "modulepreload", "prefetch", "icon", "shortcut", "manifest",
                      "apple-touch-icon", "preconnect", "dns-prefetch"}
_CSS_REMOTE = re.compile(r"(?:url\(\s*[\"']?|@import\s+[\"'])(" + REMOTE + r"[^\"')\s]+)", re.I)
_MATH = re.compile(r'class="[^"]*\bmath\b[^"]*"')
_MATHJAX_LOCAL = re.compile(r'<script[^>]+src="(?!' + REMOTE + r')[^"]*_static/mathjax/[^"]+\.js[^"]*"')


def pages(html_root: Path) -> list[Path]:
    """Every HTML page of the built site (not the copied sources or static files)."""
    skip = {"_static", "_sources", "_images", ".doctrees", "_downloads"}
    return sorted(p for p in html_root.rglob("*.html") if not skip & set(p.relative_to(html_root).parts[:-1]))


def remote_references(html: str) -> list[str]:
    """URLs on another host that loading this HTML (or its inline styles) would fetch."""
    found = [m.group(2) for m in _FETCHED.finditer(html)]
    for tag in _LINK.findall(html):
        rel = re.search(r"\srel=[\"']?([^\"'>]+)", tag, re.I)
        href = re.search(r"\shref=[\"']?(" + REMOTE + r"[^\"' >]+)", tag, re.I)
        if href and rel and set(rel.group(1).lower().split()) & _LINK_FETCHED_RELS:
            found.append(href.group(1))
    found += _CSS_REMOTE.findall(html)
    return found


def check_self_contained(html_root: Path) -> list[str]:
    """Remote references in every page and every style sheet of the site; pages with math that
    do not load the site's own MathJax."""
    problems: list[str] = []
    for page in pages(html_root):
        html = page.read_text(encoding="utf-8")
        rel = page.relative_to(html_root)
        problems += [f"{rel}: loads {url} from another host" for url in remote_references(html)]
        if _MATH.search(html) and not _MATHJAX_LOCAL.search(html):
            problems.append(f"{rel}: has math but does not load MathJax from _static/mathjax")
    for css in sorted(html_root.rglob("*.css")):
        text = css.read_text(encoding="utf-8", errors="replace")
        problems += [f"{css.relative_to(html_root)}: loads {url} from another host" for url in _CSS_REMOTE.findall(text)]
    return problems


def check(html_root: Path = ROOT / "_build" / "html") -> list[str]:
    problems: list[str] = []
    if not (html_root / "index.html").exists():
        return [f"{html_root}/index.html is missing: was the book built?"]
    for name in chapter_names():
        page = html_root / "book" / "executed" / f"{name}.html"
        if not page.exists():
            problems.append(f"missing page {page.relative_to(ROOT)}")
            continue
        html = page.read_text(encoding="utf-8")
        for marker in ERROR_MARKERS:
            if marker in html:
                problems.append(f"{page.name}: contains error output ({marker!r})")
        for src in re.findall(r'<img[^>]+src="([^"]+)"', html):
            if src.startswith(("data:", "http://", "https://", "//")):
                continue  # remote images are reported by check_self_contained
            target = (page.parent / src.split("#")[0]).resolve()
            if not target.exists():
                problems.append(f"{page.name}: image {src} does not exist")
    return problems + check_self_contained(html_root)


if __name__ == "__main__":
    found = check()
    for p in found:
        print(f"site check: {p}", file=sys.stderr)
    print(f"site check: {len(chapter_names())} chapter pages, {len(found)} problems")
    sys.exit(1 if found else 0)
