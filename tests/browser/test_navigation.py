"""Navigation, the version menu and the downloads work as a reader uses them."""

from __future__ import annotations

import json
from urllib.parse import urljoin, urlsplit

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import EARLIER_RELEASE, PAGES
from tests.browser.harness import is_local

pytestmark = pytest.mark.slow

#: The right content type for each kind of download, by how its name ends.
CONTENT_TYPES = {
    ".vl.json": "application/json",
    ".json": "application/json",
    ".csv": "text/csv",
    ".pdf": "application/pdf",
    ".bib": "application/x-bibtex",
    ".ris": "application/x-research-info-systems",
    ".cff": "application/x-yaml",
}


def _path(base_url: str, url: str) -> str:
    """``url`` relative to the site root (``chapters/x.html``; ``index.html`` for ``/``)."""
    path = urlsplit(url).path[len(urlsplit(base_url).path) :]
    return "index.html" if path in ("", "/") else path


def test_sidebar_lists_every_chapter_in_book_order(reader, base_url, ui):
    reader.goto("index.html", charts=False)
    hrefs = reader.page.eval_on_selector_all(ui["sidebar"], "els => els.map(a => a.href)")
    assert [_path(base_url, h) for h in hrefs] == PAGES


def test_each_sidebar_link_reaches_its_chapter(reader, base_url, ui):
    reader.goto("index.html", charts=False)
    page = reader.page
    for i, expected in enumerate(PAGES):
        link = page.locator(ui["sidebar"]).nth(i)
        label = link.inner_text().strip()
        link.click()
        page.wait_for_load_state("load")
        assert _path(base_url, page.url) == expected, f"link {label!r}"
        current = page.locator(ui["sidebar"] + ui["current"])
        assert current.count() == 1 and current.inner_text().strip() == label
        assert page.locator("main h1").count() >= 1
    assert reader.record.problems() == []


def test_next_links_walk_through_the_whole_book(reader, base_url, ui):
    reader.goto("index.html", charts=False)
    page = reader.page
    seen = [_path(base_url, page.url)]
    while page.locator(ui["next"]).count():
        page.locator(ui["next"]).first.click()
        page.wait_for_load_state("load")
        seen.append(_path(base_url, page.url))
        assert len(seen) <= len(PAGES), f"next links loop: {seen}"
    assert seen == PAGES
    # and back again
    while page.locator(ui["prev"]).count():
        page.locator(ui["prev"]).first.click()
        page.wait_for_load_state("load")
        seen.append(_path(base_url, page.url))
    assert seen[len(PAGES) - 1 :] == PAGES[::-1]
    assert reader.record.problems() == []


def _published_versions(reader) -> list[str]:
    """The release numbers in the published tree's versions.json."""
    r = reader.context.request.get(reader.url("versions.json"))
    assert r.status == 200
    return [str(v["version"]) for v in json.loads(r.body())["versions"]]


@pytest.mark.parametrize("where", ["index.html", "chapters/methods.html", "release"])
def test_version_menu_opens_and_lists_the_published_versions(reader, site_version, where, ui):
    versions = _published_versions(reader)
    assert versions == [site_version, EARLIER_RELEASE]
    path = f"v{site_version}/chapters/methods.html" if where == "release" else where
    reader.goto(path, charts=False)
    page = reader.page
    links = page.locator(ui["menu_links"])
    assert page.locator(ui["menu"]).count() == 1, f"{path}: no version menu"
    assert not links.first.is_visible(), f"{path}: version menu open before it was asked to"
    page.locator(ui["menu_opener"]).first.click()
    expect(links.first).to_be_visible(timeout=3_000)
    for v in versions:  # a menu filled from versions.json at run time has 3 s to do so
        expect(page.locator(ui["menu"])).to_contain_text(v, timeout=3_000)
    entries = [(a.inner_text(), a.get_attribute("href")) for a in links.all()]
    for text, href in entries:
        target = urljoin(page.url, href)
        assert is_local(target), f"{path}: menu entry {text!r} leaves the site: {target}"
        r = reader.context.request.get(target)
        assert r.status == 200, f"{path}: menu entry {text!r} -> {target}: {r.status}"
    # following the earlier release's entry lands on that release
    page.locator(ui["menu_links"], has_text=EARLIER_RELEASE).first.click()
    page.wait_for_load_state("load")
    assert f"/v{EARLIER_RELEASE}/" in page.url
    assert reader.record.problems() == []


def _kind(path: str) -> str | None:
    for suffix in CONTENT_TYPES:
        if path.endswith(suffix):
            return suffix
    return None


def test_every_download_link_returns_the_file_with_its_content_type(reader, built_site):
    reader.goto("chapters/downloads.html", charts=False)
    page = reader.page
    hrefs = page.eval_on_selector_all("main a[href], header a[href]", "els => els.map(a => a.href)")
    downloads = sorted({h.split("#")[0] for h in hrefs if is_local(h) and _kind(urlsplit(h).path)})
    paths = [urlsplit(h).path for h in downloads]
    for name in ("data/studies.csv", "results.json", ".pdf", ".vl.json"):
        assert any(p.endswith(name) for p in paths), f"downloads page has no link to *{name}"
    pdfs = {p.rsplit("/", 1)[-1] for p in paths if p.endswith(".pdf")}
    assert pdfs <= {p.name for p in built_site.glob("*.pdf")}, pdfs
    for url in downloads:
        r = reader.context.request.get(url)
        kind = _kind(urlsplit(url).path)
        assert r.status == 200, f"{url}: HTTP {r.status}"
        ctype = r.headers.get("content-type", "").split(";")[0].strip()
        assert ctype == CONTENT_TYPES[kind], f"{url}: content type {ctype!r}"
        body = r.body()
        if kind == ".pdf":
            assert body.startswith(b"%PDF-"), url
        elif kind in (".json", ".vl.json"):
            data = json.loads(body)
            if kind == ".vl.json":
                assert "$schema" in data and "vega-lite" in data["$schema"], url
            elif url.endswith("results.json"):
                assert {"version", "commit", "generated", "comparisons"} <= set(data), url
        elif kind == ".csv":
            assert body.decode("utf-8").splitlines()[0].startswith("study_id,"), url


def test_the_pdf_link_in_the_header_opens_the_pdf(reader, ui):
    reader.goto("chapters/placebo.html", charts=False)
    href = reader.page.locator(ui["pdf_link"]).first.get_attribute("href")
    r = reader.context.request.get(urljoin(reader.page.url, href))
    assert r.status == 200 and r.body().startswith(b"%PDF-")


def test_version_menu_opens_from_the_keyboard(reader, ui):
    reader.goto("chapters/methods.html", charts=False)
    page = reader.page
    opener = page.locator(ui["menu_opener"]).first
    opener.focus()
    assert page.evaluate(
        "(sel) => document.activeElement.closest(sel) !== null", ui["menu"].split(":has")[0]
    )
    page.keyboard.press("Enter")
    expect(page.locator(ui["menu_links"]).first).to_be_visible(timeout=3_000)
