"""Fixtures of the browser suite: the site built once, served on 127.0.0.1, read by Chromium.

The site is built ONCE per session with the README's command
(``python -m analysis build --out DIR``) and published the way the publishing
workflow does it (``python -m analysis assemble``: the build is both the latest
site at the root and release ``vX.Y.Z/``, beside an earlier release so the version
menu has something to list). Pages are read from the root, as readers meet them.

Set ``IVIG_BROWSER_SITE=DIR`` to test an already built site instead of building
one (handy while developing; CI always builds).

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
    ROOT,
    Reader,
    build_site,
    chapter_pages,
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


@pytest.fixture(scope="session")
def built_site(tmp_path_factory) -> Path:
    """The site, built once per session by ``python -m analysis build --out DIR``."""
    given = os.environ.get("IVIG_BROWSER_SITE")
    if given:
        return Path(given).resolve()
    return build_site(tmp_path_factory.mktemp("build") / "site")


@pytest.fixture(scope="session")
def site_version(built_site) -> str:
    return json.loads((built_site / "results.json").read_text(encoding="utf-8"))["version"]


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
