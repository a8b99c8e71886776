"""The book's own Sphinx extension (``_config.yml``: ``sphinx.local_extensions``).

* **Attribute docstrings as written.** napoleon reads the first line of an attribute, property
  or module-constant docstring as ``type: description`` whenever it holds a colon, so
  ``"Test-set sizes (P1 §3.1): a mapping"`` would render "Test-set sizes (P1 §3.1)" as the
  constant's *type* (and, under ``-n``, as a broken class reference). For those kinds napoleon
  does nothing else (it parses no sections in them), so their lines are recorded before napoleon
  runs and put back after it. Types still come from the annotations (autodoc).
* **No thebe when thebe is off.** Jupyter Book always loads ``sphinx_thebe``, which puts on
  every page an inline script naming thebe's URL on a CDN, twice (a JavaScript error: the same
  ``const`` declared twice), and its style sheet. With thebe launch buttons off (this book runs
  offline) those assets are dropped from the pages.
"""
from __future__ import annotations

from typing import Any

from sphinx.application import Sphinx

_ATTRIBUTE_KINDS = frozenset({"attribute", "data", "property"})
_saved: dict[tuple[str, str], list[str]] = {}


def _save(app: Sphinx, what: str, name: str, obj: Any, options: Any, lines: list[str]) -> None:
    if what in _ATTRIBUTE_KINDS:
        _saved[(what, name)] = list(lines)


def _restore(app: Sphinx, what: str, name: str, obj: Any, options: Any, lines: list[str]) -> None:
    original = _saved.pop((what, name), None)
    if original is not None:
        lines[:] = original


def _thebe_on(app: Sphinx) -> bool:
    options = app.config.html_theme_options or {}
    return bool((options.get("launch_buttons") or {}).get("thebe"))


def _is_thebe(asset: Any) -> bool:
    name = str(getattr(asset, "filename", asset) or "")
    body = str(getattr(asset, "attributes", {}).get("body", "")) if hasattr(asset, "attributes") else ""
    return "thebe" in name or "THEBE_JS_URL" in body


def _drop_thebe(app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any) -> None:
    if _thebe_on(app):
        return
    for key in ("script_files", "css_files"):
        if key in context:
            context[key] = [a for a in context[key] if not _is_thebe(a)]


def setup(app: Sphinx) -> dict[str, Any]:
    app.setup_extension("sphinx.ext.napoleon")
    # napoleon listens at the default priority (500): lower numbers run before it, higher after
    app.connect("autodoc-process-docstring", _save, priority=400)
    app.connect("autodoc-process-docstring", _restore, priority=600)
    app.connect("html-page-context", _drop_thebe, priority=900)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
