"""Fixtures of the browser suite: the site built once, served on 127.0.0.1, read by Chromium.

Every test that uses a site runs twice, once per renderer (``[embedded]`` and
``[quarto]``): the site is built ONCE per renderer per session with the README's
command (``python -m analysis build --engine ENGINE --out DIR``; the Quarto leg uses
the Quarto that ``make setup`` installs from ``../shared/quarto``, or one on PATH).
Without Quarto the Quarto leg is NOT RUN: its tests are skipped with that reason and
the session ends with a banner saying so (never reported as passed).
``IVIG_RENDERERS=embedded`` (or ``quarto``) restricts a run to one leg; the other is
then reported as not run in the same way.

Each site is published the way the publishing
workflow does it (``python -m analysis assemble``: the build is both the latest
site at the root and release ``vX.Y.Z/``, beside an earlier release so the version
menu has something to list). Pages are read from the root, as readers meet them.

Set ``IVIG_BROWSER_SITE=DIR`` to test an already built site instead of building
one (handy while developing; CI always builds); ``IVIG_BROWSER_RENDERER`` then says
which renderer made it (default ``embedded``), for the renderer's selectors.

When a test that uses a browser tab fails, full-page screenshots of the page it
was on and of the home page, at desktop (1280 px) and phone (375 px) widths, are
saved into ``test-artifacts/`` (or the directory named by ``IVIG_TEST_ARTIFACTS``).
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest

from tests.browser.harness import (
    PHONE,
    RENDERERS,
    ROOT,
    Reader,
    build_site,
    chapter_pages,
    find_quarto,
    launch,
    publish,
    save_screenshots,
    serve,
)

ARTIFACTS = Path(os.environ.get("IVIG_TEST_ARTIFACTS") or ROOT / "test-artifacts")
#: The chapters of the book in order (the contract of the shared brief), used only if
#: ``_quarto.yml`` cannot be read at collection time; the build then fails loudly anyway.
CONTRACT_PAGES = [
    "index.html",
    *(
        f"chapters/{n}.html"
        for n in (
            "methods placebo plasma-exchange corticosteroids sensitivity small-study "
            "risk-of-bias register downloads cite changelog"
        ).split()
    ),
]
#: An earlier release placed beside this build in the published tree.
EARLIER_RELEASE = "0.0.1"


def pages() -> list[str]:
    try:
        return chapter_pages()
    except (OSError, KeyError, TypeError):
        return CONTRACT_PAGES


PAGES = pages()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the item, so fixtures can see whether the test failed."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


#: Where each renderer puts what the tests look for (the embedded renderer's own page
#: template; Quarto's book template).
UI = {
    "embedded": {
        "sidebar": "nav.sidebar .chapters-wide a",
        "current": '[aria-current="page"]',
        "next": 'a[rel="next"]',
        "prev": 'a[rel="prev"]',
        "menu": ".version-menu",
        "menu_opener": ".version-menu summary, .version-menu button",
        "menu_links": ".version-menu a",
        "pdf_link": "header a[href$='.pdf']",
        "phone_menu": "nav.sidebar summary:visible",
        "phone_links": "nav.sidebar a:visible",
    },
    "quarto": {
        "sidebar": "#quarto-sidebar a.sidebar-link",
        "current": ".active",
        "next": ".nav-page-next a",
        "prev": ".nav-page-previous a",
        "menu": ".sidebar-tools-main .dropdown:has(.bi-clock-history)",
        "menu_opener": ".sidebar-tools-main .dropdown-toggle:has(.bi-clock-history)",
        "menu_links": ".sidebar-tools-main .dropdown:has(.bi-clock-history) .dropdown-menu a",
        "pdf_link": "#quarto-sidebar a[href$='.pdf'], header a[href$='.pdf']",
        "phone_menu": "button.quarto-btn-toggle:visible",
        "phone_links": "#quarto-sidebar a.sidebar-link:visible",
    },
}
#: Legs of the session that did not run, with why (printed at the end of the session).
NOT_RUN: dict[str, str] = {}


def _legs() -> list[str]:
    if os.environ.get("IVIG_BROWSER_SITE"):
        return [os.environ.get("IVIG_BROWSER_RENDERER", "embedded")]
    chosen = os.environ.get("IVIG_RENDERERS")
    return [r for r in RENDERERS if not chosen or r in chosen.split(",")]


def pytest_terminal_summary(terminalreporter) -> None:
    """Say loudly which renderer's leg of the browser suite did not run."""
    legs = _legs()
    for leg in RENDERERS:
        if leg not in legs and not os.environ.get("IVIG_BROWSER_SITE"):
            NOT_RUN.setdefault(leg, "excluded by IVIG_RENDERERS")
    for leg, why in NOT_RUN.items():
        title = f"browser suite: the {leg.upper()} leg was NOT RUN"
        terminalreporter.write_sep("!", title, red=True)
        terminalreporter.write_line(f"{leg}: {why}", red=True)


@pytest.fixture(scope="session", params=_legs())
def renderer(request) -> str:
    """The renderer this leg of the suite tests: ``embedded`` or ``quarto``."""
    return request.param


@pytest.fixture(scope="session")
def ui(renderer) -> dict[str, str]:
    """The CSS selectors of this renderer's page template (:data:`UI`)."""
    return UI[renderer]


_SITES: dict[str, Path] = {}


def site_of(renderer: str, tmp_path_factory) -> Path:
    """The site built by ``renderer``, built at most once per session (shared by every test)."""
    given = os.environ.get("IVIG_BROWSER_SITE")
    if given:
        return Path(given).resolve()
    if renderer == "quarto" and find_quarto() is None:
        why = "no Quarto: ../shared/quarto is absent (make setup installs it) and none on PATH"
        NOT_RUN["quarto"] = why
        pytest.skip(f"Quarto leg NOT RUN: {why}")
    if renderer not in _SITES:
        out = tmp_path_factory.mktemp(f"build-{renderer}") / "site"
        _SITES[renderer] = build_site(out, engine=renderer)
    return _SITES[renderer]


@pytest.fixture(scope="session")
def built_site(renderer, tmp_path_factory) -> Path:
    """The site, built once per renderer per session by ``python -m analysis build``."""
    return site_of(renderer, tmp_path_factory)


@pytest.fixture(scope="session")
def site_version(built_site) -> str:
    """The release number the build is published under in the stand-in published tree
    (a development build, ``X.Y.Z.dev0+<commit>``, stands in for release X.Y.Z)."""
    built = json.loads((built_site / "results.json").read_text(encoding="utf-8"))["version"]
    return str(built).split(".dev", 1)[0]


@pytest.fixture(scope="session")
def published(built_site, site_version, tmp_path_factory) -> Path:
    """The published tree: an earlier release, this build as ``vX.Y.Z/`` and as latest.

    The earlier release is this build with its version (results.json and the version
    marks on its pages) changed to :data:`EARLIER_RELEASE`: only the version menu
    looks at it.
    """
    tree = tmp_path_factory.mktemp("published")
    earlier = tmp_path_factory.mktemp("earlier") / "site"
    shutil.copytree(built_site, earlier)
    results = earlier / "results.json"
    data = json.loads(results.read_text(encoding="utf-8"))
    data["version"] = EARLIER_RELEASE
    data["released"] = True
    results.write_text(json.dumps(data), encoding="utf-8")
    # its pages say which version they are, as a real earlier release's would
    for page in earlier.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        for old, new in (
            (f'"{site_version}"', f'"{EARLIER_RELEASE}"'),
            (f"Version {site_version}", f"Version {EARLIER_RELEASE}"),
            (f"{site_version} (this version)", f"{EARLIER_RELEASE} (this version)"),
        ):
            text = text.replace(old, new)
        page.write_text(text, encoding="utf-8")
    publish(earlier, tree, EARLIER_RELEASE, latest=False)
    publish(built_site, tree, site_version, latest=True)
    return tree


@pytest.fixture(scope="session")
def base_url(published) -> str:
    """``http://127.0.0.1:PORT/``: the published tree, served from a thread."""
    with serve(published) as url:
        yield url


@pytest.fixture(scope="session")
def built_url(built_site) -> str:
    """``http://127.0.0.1:PORT/``: the built site alone, as ``analysis preview`` serves it."""
    with serve(built_site) as url:
        yield url


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium (``/usr/bin/chromium``) through Playwright."""
    with launch() as b:
        yield b


def _artifact_stem(nodeid: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", nodeid).strip("_")[:150]


def _tab(request, browser, base_url, viewport):
    tab = Reader(browser, base_url, viewport)
    yield tab
    report = getattr(request.node, "rep_call", None)
    try:
        if report is not None and report.failed:
            stem = _artifact_stem(request.node.nodeid)
            here = tab.page.url
            if here.startswith(base_url) and here.rstrip("/") != base_url.rstrip("/"):
                save_screenshots(browser, here, ARTIFACTS, stem)
            save_screenshots(browser, base_url, ARTIFACTS, f"{stem}-home")
    finally:
        tab.close()


@pytest.fixture
def reader(request, browser, base_url):
    """A fresh browser tab at desktop width that records what it loads and what goes wrong."""
    yield from _tab(request, browser, base_url, None)


@pytest.fixture
def built_reader(request, browser, built_url):
    """A desktop tab on the built site alone (no published tree around it)."""
    yield from _tab(request, browser, built_url, None)


@pytest.fixture
def phone_reader(request, browser, base_url):
    """A fresh browser tab 375 px wide (a phone)."""
    yield from _tab(request, browser, base_url, PHONE)
