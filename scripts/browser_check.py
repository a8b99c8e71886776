"""Open every page of the built book in headless Chromium with the network off and report what a
reader would see broken: math left as raw TeX, images that did not load, requests that failed,
JavaScript errors. Also takes screenshots.

    python scripts/browser_check.py [HTML_ROOT]                 # check every page
    python scripts/browser_check.py --screenshot book/api/geometry.html api.png

Chromium is driven over the DevTools protocol on a pipe (``--remote-debugging-pipe``: JSON
messages separated by NUL bytes on file descriptors 3 and 4), so nothing beyond the standard
library and a ``chromium`` executable (Debian's package) is needed. The network is off twice over:
the page runs under DevTools' offline emulation and every host name resolves to nothing.
"""
from __future__ import annotations

import argparse
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
PAGE_TIMEOUT_S = 90.0

# Runs in the page once it has loaded: waits for MathJax's typesetting, web fonts and images,
# then reports. Text inside code, pre, scripts and rendered math is not searched for raw TeX.
_INSPECT = r"""
(async () => {
  for (const img of document.images) { if (img.loading === "lazy") img.loading = "eager"; }
  const mj = window.MathJax;
  let mathjax = "absent";
  if (mj && mj.startup && mj.startup.promise) {
    try { await mj.startup.promise; mathjax = "typeset"; } catch (e) { mathjax = "failed: " + e; }
  }
  await Promise.all([...document.images].map(i => i.complete ? null :
    new Promise(r => { i.addEventListener("load", r); i.addEventListener("error", r); })));
  if (document.fonts) await document.fonts.ready;
  const math = [...document.querySelectorAll("span.math, div.math")];
  const raw = [];
  const skip = "pre, code, script, style, textarea, mjx-container, .highlight";
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const t = n.nodeValue;
    if (/\\\(|\\\[|\$\$/.test(t) && !(n.parentElement && n.parentElement.closest(skip))) {
      raw.push(t.trim().slice(0, 80));
    }
  }
  return JSON.stringify({
    mathjax: mathjax,
    math: math.length,
    unrendered: math.filter(e => !e.querySelector("mjx-container")).length,
    mjx: document.querySelectorAll("mjx-container").length,
    raw_tex: raw.slice(0, 5),
    broken_images: [...document.images].filter(i => !(i.complete && i.naturalWidth > 0))
                                        .map(i => i.getAttribute("src")),
    images: document.images.length,
  });
})()
"""


def find_browser() -> str | None:
    """Path of a Chromium-family executable, or ``None``."""
    for name in BROWSERS:
        path = shutil.which(name)
        if path:
            return path
    return None


@dataclass
class PageReport:
    """What the browser saw on one page."""

    page: str
    math: int = 0
    mjx: int = 0
    unrendered: int = 0
    raw_tex: list[str] = field(default_factory=list)
    images: int = 0
    broken_images: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    js_errors: list[str] = field(default_factory=list)
    mathjax: str = "absent"

    def problems(self) -> list[str]:
        out = []
        if self.math and self.unrendered:
            out.append(f"{self.page}: {self.unrendered} of {self.math} formulas not rendered by MathJax ({self.mathjax})")
        out += [f"{self.page}: raw TeX left in the text: {t!r}" for t in self.raw_tex]
        out += [f"{self.page}: image did not load: {src}" for src in self.broken_images]
        out += [f"{self.page}: request failed: {r}" for r in self.failed_requests]
        out += [f"{self.page}: JavaScript error: {e}" for e in self.js_errors]
        return out


class Browser:
    """A headless Chromium driven over ``--remote-debugging-pipe``; one tab, reused."""

    def __init__(self, executable: str | None = None, width: int = 1280, height: int = 900):
        exe = executable or find_browser()
        if exe is None:
            raise FileNotFoundError(f"no Chromium found (looked for {', '.join(BROWSERS)}); "
                                    "install Debian's 'chromium' package")
        self._profile = tempfile.TemporaryDirectory(prefix="ricci-lit-chromium-")
        to_child_r, self._to_child = os.pipe()
        self._from_child, from_child_w = os.pipe()

        def wire_pipes() -> None:  # in the child, before exec: the protocol's fds 3 and 4
            # dup first: a pipe end may already be fd 3 or 4, and dup2 onto itself would keep it
            # close-on-exec; dup2 onto another number makes it inheritable
            read_end, write_end = os.dup(to_child_r), os.dup(from_child_w)
            os.dup2(read_end, 3)
            os.dup2(write_end, 4)

        args = [exe, "--headless", "--remote-debugging-pipe", "--no-sandbox", "--disable-gpu",
                "--no-first-run", "--no-default-browser-check", "--disable-extensions",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-default-apps", "--mute-audio", "--hide-scrollbars",
                "--host-resolver-rules=MAP * ~NOTFOUND", f"--window-size={width},{height}",
                f"--user-data-dir={self._profile.name}", "about:blank"]
        self._proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                      stderr=subprocess.DEVNULL, close_fds=False, preexec_fn=wire_pipes)
        os.close(to_child_r)
        os.close(from_child_w)
        self._buf = b""
        self._next_id = 0
        self._inbox: list[dict[str, Any]] = []
        self.events: list[dict[str, Any]] = []
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        self._session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "Network", "Runtime"):
            self.call(f"{domain}.enable", session=True)
        self.call("Network.emulateNetworkConditions", {"offline": True, "latency": 0,
                  "downloadThroughput": -1, "uploadThroughput": -1}, session=True)
        self.call("Emulation.setDeviceMetricsOverride", {"width": width, "height": height,
                  "deviceScaleFactor": 1, "mobile": False}, session=True)

    # -- protocol ---------------------------------------------------------------------------
    def _pump(self, timeout: float) -> None:
        ready, _, _ = select.select([self._from_child], [], [], max(timeout, 0.0))
        if not ready:
            return
        chunk = os.read(self._from_child, 1 << 20)
        if not chunk:
            raise RuntimeError(f"Chromium exited (status {self._proc.poll()})")
        self._buf += chunk
        *messages, self._buf = self._buf.split(b"\0")
        for raw in messages:
            msg = json.loads(raw)
            (self._inbox if "id" in msg else self.events).append(msg)

    def call(self, method: str, params: dict[str, Any] | None = None, session: bool = False,
             timeout: float = PAGE_TIMEOUT_S) -> dict[str, Any]:
        """Send one command and return its result (``RuntimeError`` on a protocol error)."""
        self._next_id += 1
        msg: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = self._session
        os.write(self._to_child, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            for reply in self._inbox:
                if reply["id"] == msg["id"]:
                    self._inbox.remove(reply)
                    if "error" in reply:
                        raise RuntimeError(f"{method}: {reply['error'].get('message')}")
                    return reply.get("result", {})
            if time.monotonic() > deadline:
                raise TimeoutError(f"{method}: no reply in {timeout:.0f} s")
            self._pump(deadline - time.monotonic())

    def _wait_event(self, method: str, start: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not any(e.get("method") == method for e in self.events[start:]):
            if time.monotonic() > deadline:
                raise TimeoutError(f"no {method} in {timeout:.0f} s")
            self._pump(deadline - time.monotonic())

    def open(self, url: str, timeout: float = PAGE_TIMEOUT_S) -> int:
        """Navigate the tab to ``url`` and wait for its load event; return the index of the
        first event that belongs to this page."""
        start = len(self.events)
        nav = self.call("Page.navigate", {"url": url}, session=True)
        if nav.get("errorText"):
            raise RuntimeError(f"{url}: {nav['errorText']}")
        self._wait_event("Page.loadEventFired", start, timeout)
        return start

    def evaluate(self, expression: str, timeout: float = PAGE_TIMEOUT_S) -> Any:
        """Value of a JavaScript expression in the page (promises awaited)."""
        res = self.call("Runtime.evaluate", {"expression": expression, "awaitPromise": True,
                        "returnByValue": True, "timeout": int(timeout * 1000)}, session=True, timeout=timeout + 5)
        if "exceptionDetails" in res:
            raise RuntimeError(f"page script failed: {res['exceptionDetails'].get('text')}")
        return res["result"].get("value")

    # -- what the tests use -----------------------------------------------------------------
    def inspect(self, page: Path, name: str | None = None) -> PageReport:
        """Load ``page`` from disk and report what rendered and what failed."""
        start = self.open(page.resolve().as_uri())
        seen = json.loads(self.evaluate(_INSPECT))
        self._pump(0.2)  # late events (a font requested while typesetting)
        events = self.events[start:]
        urls = {e["params"]["requestId"]: e["params"]["request"]["url"]
                for e in events if e.get("method") == "Network.requestWillBeSent"}
        failed = [f"{urls.get(e['params']['requestId'], '?')} ({e['params'].get('errorText')})"
                  for e in events if e.get("method") == "Network.loadingFailed" and not e["params"].get("canceled")]
        failed += [f"{e['params']['response']['url']} (HTTP {e['params']['response']['status']})"
                   for e in events if e.get("method") == "Network.responseReceived"
                   and e["params"]["response"].get("status", 0) >= 400]
        errors = [e["params"]["exceptionDetails"].get("exception", {}).get("description")
                  or e["params"]["exceptionDetails"].get("text", "?")
                  for e in events if e.get("method") == "Runtime.exceptionThrown"]
        return PageReport(page=name or page.name, math=seen["math"], mjx=seen["mjx"],
                          unrendered=seen["unrendered"], raw_tex=seen["raw_tex"], images=seen["images"],
                          broken_images=seen["broken_images"], failed_requests=failed,
                          js_errors=[str(e).splitlines()[0] for e in errors], mathjax=seen["mathjax"])

    def screenshot(self, page: Path, out: Path, full_page: bool = False) -> Path:
        """Load ``page`` (math typeset, images loaded) and save a PNG of it."""
        import base64

        self.open(page.resolve().as_uri())
        self.evaluate(_INSPECT)
        params: dict[str, Any] = {"format": "png"}
        if full_page:
            params["captureBeyondViewport"] = True
            h = self.evaluate("document.documentElement.scrollHeight")
            params["clip"] = {"x": 0, "y": 0, "width": 1280, "height": min(int(h), 16000), "scale": 1}
        data = self.call("Page.captureScreenshot", params, session=True)["data"]
        out.write_bytes(base64.b64decode(data))
        return out

    def close(self) -> None:
        try:
            self.call("Browser.close", timeout=10)
        except Exception:  # already gone: make sure below
            pass
        try:
            self._proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
        for fd in (self._to_child, self._from_child):
            try:
                os.close(fd)
            except OSError:
                pass
        self._profile.cleanup()

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def check_site(html_root: Path, browser: Browser | None = None) -> list[PageReport]:
    """One report per page of the site (``check_site.pages``)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from check_site import pages

    own = browser is None
    b = browser or Browser()
    try:
        return [b.inspect(p, str(p.relative_to(html_root))) for p in pages(html_root)]
    finally:
        if own:
            b.close()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("html_root", nargs="?", default=str(ROOT / "_build" / "html"))
    ap.add_argument("--screenshot", nargs=2, action="append", default=[], metavar=("PAGE", "PNG"),
                    help="save a screenshot of PAGE (relative to HTML_ROOT) instead of checking")
    ap.add_argument("--full-page", action="store_true", help="screenshots of the whole page")
    args = ap.parse_args(argv)
    root = Path(args.html_root)
    if not (root / "index.html").exists():
        print(f"browser check: {root}/index.html is missing: was the book built?", file=sys.stderr)
        return 1
    with Browser() as b:
        if args.screenshot:
            for page, png in args.screenshot:
                print(f"browser check: {b.screenshot(root / page, Path(png), args.full_page)}")
            return 0
        reports = check_site(root, b)
    problems = [p for r in reports for p in r.problems()]
    for p in problems:
        print(f"browser check: {p}", file=sys.stderr)
    print(f"browser check: {len(reports)} pages, {sum(r.mjx for r in reports)} formulas rendered, "
          f"{sum(r.images for r in reports)} images, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
