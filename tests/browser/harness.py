"""The browser harness: build the site, serve it on 127.0.0.1, drive Debian's Chromium.

Used by the browser tests (``tests/browser/conftest.py``) and by the page-weight
benchmark (``bench/page_weight.py``), so both measure the same thing the same way.

* :func:`build_site` runs the README's build command, ``python -m analysis build``,
  with either renderer (embedded or real Quarto, :data:`RENDERERS`) into a directory
  of our choosing;
* :func:`publish` merges a built site into a published tree the way the publishing
  workflow does (``python -m analysis assemble``), so the version menu and
  ``versions.json`` are tested as readers meet them;
* :func:`serve` serves a directory from a thread with the content types a real host
  gives (``.json``, ``.js``, ``.svg``, ``.pdf``, ``.csv``, ``.woff2``);
* :func:`launch` starts ``/usr/bin/chromium`` through Playwright (Playwright's own
  browser download is not used);
* :class:`Reader` is one browser tab that records console errors, failed requests
  and every requested URL, and refuses (and records) any request to another host;
* :data:`DATA_MARKS_JS` / :func:`wait_for_charts` tell when every Vega view has marks.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import yaml

ROOT = Path(__file__).resolve().parents[2]
#: Debian's Chromium (``apt-get install chromium``); ``CHROMIUM=/path`` overrides it.
CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
#: axe-core from package-lock.json (``npm ci``), injected into each page.
AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost"})
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 740}

#: Content types a static host gives; the default table of ``mimetypes`` misses some.
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".pdf": "application/pdf",
    ".csv": "text/csv; charset=utf-8",
    ".woff2": "font/woff2",
    ".woff": "font/woff",
    ".png": "image/png",
    ".bib": "application/x-bibtex; charset=utf-8",
    ".ris": "application/x-research-info-systems",
    ".cff": "application/x-yaml",
    ".txt": "text/plain; charset=utf-8",
    ".xml": "application/xml",
}


# --------------------------------------------------------------------------- the site


class BuildError(RuntimeError):
    """``python -m analysis build`` exited non-zero; the message carries its stderr."""


#: Real Quarto as ``make setup`` installs it from ``../shared/quarto`` (git-ignored).
QUARTO_PREFIX = ROOT / ".quarto-cli"
#: The renderers a site can be built with (``--engine``); the browser suite tests both.
RENDERERS = ("embedded", "quarto")


def find_quarto() -> str | None:
    """The ``quarto`` executable: the project's ``.quarto-cli/bin/quarto``, else one on PATH.

    ``IVIG_QUARTO=none`` pretends there is none (to test how its absence is reported).
    """
    if os.environ.get("IVIG_QUARTO") == "none":
        return None
    local = QUARTO_PREFIX / "bin" / "quarto"
    if local.is_file() and os.access(local, os.X_OK):
        return str(local)
    return shutil.which("quarto")


def build_site(out: Path, root: Path | None = None, engine: str = "embedded") -> Path:
    """Build the site into ``out`` with ``python -m analysis build --engine ENGINE --out OUT``.

    *root* is the project built; by default ``$IVIG_ROOT`` (under pytest, the project on the
    frozen data snapshot that ``tests/conftest.py`` sets up, so no browser test depends on
    today's ``data/``), else the repository itself.

    With ``engine="quarto"`` the Quarto of :func:`find_quarto` is put first on ``PATH``
    (and ``QUARTO_PYTHON`` is this Python), as ``make site`` does.
    """
    root = Path(root or os.environ.get("IVIG_ROOT") or ROOT)
    env = dict(os.environ)
    if engine == "quarto":
        quarto = find_quarto()
        if quarto is None:
            raise BuildError("no Quarto: run `make setup` with ../shared/quarto present")
        env["PATH"] = str(Path(quarto).parent) + os.pathsep + env.get("PATH", "")
        env["QUARTO_PYTHON"] = sys.executable
    cmd = [sys.executable, "-m", "analysis", "build", "--engine", engine, "--out", str(out)]
    proc = subprocess.run(cmd, cwd=root, capture_output=True, text=True, timeout=1800, env=env)
    if proc.returncode != 0 or not (out / "index.html").is_file():
        raise BuildError(
            f"`{' '.join(cmd[1:])}` exited {proc.returncode}:\n"
            f"{proc.stderr[-4000:]}\n{proc.stdout[-4000:]}"
        )
    return out


def publish(site: Path, published: Path, version: str, *, latest: bool) -> None:
    """Merge ``site`` into the published tree as release ``version`` (and as latest)."""
    args = ["--published", str(published), "--site", str(site)]
    for extra in (["--version", version], ["--latest"] if latest else None):
        if extra is None:
            continue
        proc = subprocess.run(
            [sys.executable, "-m", "analysis", "assemble", *args, *extra],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if proc.returncode != 0:
            raise BuildError(
                f"`python -m analysis assemble {' '.join(args + extra)}`: "
                f"exit {proc.returncode}:\n{proc.stderr[-4000:]}"
            )


def chapter_pages(root: Path = ROOT) -> list[str]:
    """The site's pages in book order (``index.html``, ``chapters/x.html``), per ``_quarto.yml``."""
    config = yaml.safe_load((root / "_quarto.yml").read_text(encoding="utf-8"))
    pages: list[str] = []

    def add(entries: list) -> None:
        for entry in entries:
            if isinstance(entry, dict):
                add(entry.get("chapters", []))
                continue
            pages.append(re.sub(r"\.(qmd|md|ipynb)$", ".html", str(entry)))

    add(config["book"]["chapters"])
    return pages


# --------------------------------------------------------------------------- the server


class _Handler(SimpleHTTPRequestHandler):
    extensions_map = {**SimpleHTTPRequestHandler.extensions_map, **CONTENT_TYPES}

    def guess_type(self, path: str | os.PathLike) -> str:
        suffix = Path(os.fspath(path)).suffix.lower()
        return CONTENT_TYPES.get(suffix) or super().guess_type(path)

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - the base class's name
        pass


@contextmanager
def serve(directory: Path) -> Iterator[str]:
    """Serve ``directory`` on 127.0.0.1 (a free port) from a thread; yields the base URL."""
    handler = functools.partial(_Handler, directory=str(directory))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="site-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


# --------------------------------------------------------------------------- the browser


@contextmanager
def launch():
    """Debian's Chromium driven by Playwright; yields the Browser."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def is_local(url: str) -> bool:
    """True for URLs that stay on this machine (127.0.0.1/localhost, data:, blob:, about:)."""
    parts = urlsplit(url)
    if parts.scheme in {"data", "blob", "about"}:
        return True
    return parts.hostname in LOCAL_HOSTS


@dataclass
class Record:
    """What one tab saw."""

    requests: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    offsite: list[str] = field(default_factory=list)
    responses: list = field(default_factory=list)

    def problems(self) -> list[str]:
        """Console errors, uncaught exceptions, failed requests and off-site requests."""
        return (
            [f"console error: {m}" for m in self.console_errors]
            + [f"uncaught exception: {m}" for m in self.page_errors]
            + [f"failed request: {m}" for m in self.failed]
            + [f"request to another host: {m}" for m in self.offsite]
        )

    def clear(self) -> None:
        for name in ("requests", "console_errors", "page_errors", "failed", "offsite", "responses"):
            getattr(self, name).clear()


class Reader:
    """One browser tab on the served site, recording everything it does.

    Requests to any host other than 127.0.0.1/localhost are aborted and recorded
    in ``record.offsite`` (the test machine has no internet; a reader's might).
    """

    def __init__(self, browser, base_url: str, viewport: dict | None = None):
        self.base_url = base_url
        self.context = browser.new_context(
            viewport=viewport or DESKTOP, service_workers="block", reduced_motion="reduce"
        )
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.record = Record()
        page = self.page
        page.on("request", lambda r: self.record.requests.append(r.url))
        page.on("response", self._response)
        page.on("requestfailed", lambda r: self._failed(r))
        page.on("pageerror", lambda e: self.record.page_errors.append(str(e)))
        page.on(
            "console",
            lambda m: (
                self.record.console_errors.append(f"{m.text} ({m.location.get('url')})")
                if m.type == "error"
                else None
            ),
        )

    def _route(self, route) -> None:
        url = route.request.url
        if is_local(url):
            route.continue_()
        else:
            self.record.offsite.append(url)
            route.abort("blockedbyclient")

    def _failed(self, request) -> None:
        if is_local(request.url):
            self.record.failed.append(f"{request.url} ({request.failure})")

    def _response(self, response) -> None:
        self.record.responses.append(response)
        if response.status >= 400:
            self.record.failed.append(f"{response.url} (HTTP {response.status})")

    def url(self, path: str) -> str:
        return self.base_url + path.lstrip("/")

    def goto(self, path: str, *, charts: bool = True, timeout: float = 20_000):
        """Open ``path`` (relative to the site), wait for the load, the network and the charts."""
        response = self.page.goto(self.url(path), wait_until="load", timeout=timeout)
        assert response is not None and response.status == 200, f"{path}: {response}"
        if charts:
            try:
                wait_for_charts(self.page, timeout=timeout)
            except Exception as exc:  # noqa: BLE001 - re-raised with what the page showed
                state = self.page.evaluate(DATA_MARKS_JS)
                raise AssertionError(
                    f"{path}: charts not drawn within {timeout / 1000:.0f} s: {state}\n"
                    + "\n".join(self.record.problems())
                ) from exc
        self.page.wait_for_load_state("networkidle", timeout=timeout)
        return response

    def close(self) -> None:
        self.context.close()


#: Per chart element (``.ivig-chart``): its id and the number of drawn data marks (Vega
#: scenegraph items outside axes, legends and titles), or -1 while vega-embed has not
#: drawn yet.
DATA_MARKS_JS = """
() => Array.from(document.querySelectorAll('.ivig-chart')).map(el => {
  const svg = el.querySelector('svg.marks, canvas.marks, svg, canvas');
  if (!svg) return {id: el.id, marks: -1};
  if (svg.tagName.toLowerCase() === 'canvas') return {id: el.id, marks: svg.width > 0 ? 1 : 0};
  const groups = Array.from(svg.querySelectorAll('g.role-mark')).filter(g =>
    !g.closest('.role-axis, .role-legend, .role-title') &&
    !g.classList.contains('mark-group'));
  const items = groups.reduce((n, g) => n + Array.from(g.children).filter(c =>
    /^(path|rect|line|text|circle|image)$/.test(c.tagName.toLowerCase())).length, 0);
  return {id: el.id, marks: items};
})
"""

_ALL_DRAWN_JS = "() => { const c = (" + DATA_MARKS_JS + ")(); return c.every(x => x.marks > 0); }"


def wait_for_charts(page, timeout: float = 20_000) -> None:
    """Wait until every chart on the page has drawn data marks (no-op without charts)."""
    page.wait_for_function(_ALL_DRAWN_JS, timeout=timeout)


#: Installed before any page script (``add_init_script``): records in
#: ``window.__ivigChartsDrawnMs`` the time since navigation start at which every chart
#: first had data marks (checked on each animation frame).
DRAW_TIMER_JS = (
    "(() => { const count = ("
    + DATA_MARKS_JS
    + """);
  const tick = () => {
    if (document.readyState !== 'loading') {
      const c = count();
      if (c.length > 0 && c.every(x => x.marks > 0)) {
        window.__ivigChartsDrawnMs = performance.now();
        return;
      }
    }
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
})();"""
)


def run_axe(page, rules: list[str] | None = None) -> list[dict]:
    """Inject axe-core into ``page`` and return its violations (WCAG 2.x A/AA and best practice).

    ``rules`` restricts the run to those rule ids.
    """
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE_JS))
    options = (
        {"runOnly": {"type": "rule", "values": rules}}
        if rules
        else {
            "runOnly": {
                "type": "tag",
                "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"],
            }
        }
    )
    result = page.evaluate("async (o) => await window.axe.run(document, o)", options)
    return result["violations"]


def describe_violations(violations: list[dict]) -> str:
    """One line per violating node: impact, rule, target and axe's summary."""
    lines = []
    for v in violations:
        for node in v["nodes"][:8]:
            lines.append(
                f"[{v['impact']}] {v['id']}: {' '.join(map(str, node['target']))}: "
                f"{node.get('failureSummary', '').splitlines()[-1:]}"
            )
    return "\n".join(lines)


# --------------------------------------------------------------------------- screenshots


def save_screenshots(browser, url: str, directory: Path, stem: str) -> list[Path]:
    """Full-page screenshots of ``url`` at desktop and phone widths: ``STEM-desktop.png``, ..."""
    directory.mkdir(parents=True, exist_ok=True)
    saved = []
    for label, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        context = browser.new_context(viewport=viewport)
        try:
            page = context.new_page()
            page.goto(url, wait_until="load", timeout=20_000)
            try:
                wait_for_charts(page, timeout=5_000)
            except Exception:  # noqa: BLE001 - a screenshot of a broken page is what we want
                pass
            path = directory / f"{stem}-{label}.png"
            page.screenshot(path=str(path), full_page=True)
            saved.append(path)
        finally:
            context.close()
    return saved


def png_size(path: Path) -> tuple[int, int]:
    """Width and height of a PNG, from its IHDR chunk."""
    head = Path(path).read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n", f"{path}: not a PNG"
    return int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")


# --------------------------------------------------------------------------- page weight


def load_profile(browser, url: str, timeout: float = 30_000) -> dict:
    """Load ``url`` in a fresh tab (empty cache) and measure what it costs.

    Returns ``weight_bytes`` (uncompressed bytes of the page and everything it
    loaded: the sum of each response body's length), ``resources`` (url, status,
    content type, bytes of each response), ``charts`` (number of chart elements)
    and ``draw_ms`` (milliseconds from navigation start until every Vega view had
    data marks, from :data:`DRAW_TIMER_JS`; None without charts).
    """
    context = browser.new_context(viewport=DESKTOP, service_workers="block")
    try:
        context.add_init_script(DRAW_TIMER_JS)
        page = context.new_page()
        responses = []
        page.on("response", lambda r: responses.append(r))
        page.goto(url, wait_until="load", timeout=timeout)
        charts = page.locator(".ivig-chart").count()
        if charts:
            page.wait_for_function(
                "() => window.__ivigChartsDrawnMs !== undefined", timeout=timeout, polling=50
            )
        page.wait_for_load_state("networkidle", timeout=timeout)
        resources = []
        for r in responses:
            body = b"" if r.status in (204, 301, 302, 303, 304, 307, 308) else r.body()
            resources.append(
                {
                    "url": r.url,
                    "status": r.status,
                    "content_type": r.headers.get("content-type", ""),
                    "bytes": len(body),
                }
            )
        draw_ms = page.evaluate("() => window.__ivigChartsDrawnMs ?? null") if charts else None
        return {
            "weight_bytes": sum(r["bytes"] for r in resources),
            "resources": resources,
            "charts": charts,
            "draw_ms": draw_ms,
        }
    finally:
        context.close()
