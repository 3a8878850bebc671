"""One source of truth: the embedded renderer and Quarto give a reader the same book.

The same chapters rendered by both (the sites of the browser suite, built once per
session) must agree on what a reader gets: the page list, each page's headings
(section numbers aside), every number in the prose and tables (in order), the
cross-reference targets (figures, tables, sections) and the PDF title page's text.
Markup may differ. Tolerated, because they are each renderer's page furniture rather
than the chapters' content (see :mod:`tests.reader_content`): the home page's first
heading (Quarto shows the book's title there, the embedded renderer the chapter's),
the "References" heading over a chapter's bibliography (the embedded renderer's),
Quarto's title-block date and its "Citation"/"Reuse" appendix.
"""

from __future__ import annotations

import difflib
import io
import re

import pypdf
import pytest

from tests.browser.conftest import PAGES, site_of
from tests.reader_content import Page, read_page, read_site

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def both(tmp_path_factory):
    """(embedded site, Quarto site); the test does not run (loudly) without Quarto."""
    return site_of("embedded", tmp_path_factory), site_of("quarto", tmp_path_factory)


def _headings(page: Page, path: str) -> list[str]:
    heads = [h for h in page.headings if h != "References"]
    return heads[1:] if path == "index.html" else heads


def differences(embedded: dict[str, Page], quarto: dict[str, Page]) -> list[str]:
    """What a reader would find different, one line per difference (empty: the same)."""
    found = []
    if sorted(embedded) != sorted(quarto):
        found.append(f"page lists differ: {sorted(embedded)} vs {sorted(quarto)}")
    for path in sorted(set(embedded) & set(quarto)):
        e, q = embedded[path], quarto[path]
        if _headings(e, path) != _headings(q, path):
            found.append(f"{path}: headings {_headings(e, path)} vs {_headings(q, path)}")
        if e.targets != q.targets:
            found.append(f"{path}: cross-reference targets differ: {sorted(e.targets ^ q.targets)}")
        if e.numbers != q.numbers:
            ops = difflib.SequenceMatcher(a=e.numbers, b=q.numbers, autojunk=False).get_opcodes()
            for tag, i1, i2, j1, j2 in ops:
                if tag != "equal":
                    where = e.text[max(0, e.text.find(" ".join(e.numbers[i1 : i1 + 1])) - 60) :][
                        :140
                    ]
                    found.append(
                        f"{path}: numbers {e.numbers[i1:i2]} (embedded) vs {q.numbers[j1:j2]} "
                        f"(Quarto), near: {where!r}"
                    )
    return found


def _title_page(site) -> str:
    pdf = next(site.glob("*.pdf"))
    return " ".join(pypdf.PdfReader(io.BytesIO(pdf.read_bytes())).pages[0].extract_text().split())


def test_both_renderers_give_the_same_pages_headings_numbers_and_targets(both):
    embedded, quarto = (read_site(site, PAGES) for site in both)
    found = differences(embedded, quarto)
    assert not found, "the renderers disagree:\n" + "\n".join(found[:30])


def test_both_pdf_title_pages_show_version_date_doi_and_cite_as(both):
    """Both title pages say the same: the version status (a release, or a development
    version with its commit), the build date, the DOI or its placeholder, and cite-as."""
    pages = [" ".join(_title_page(site).split()) for site in both]
    lines = []
    for text in pages:
        status = re.search(
            r"Development version, not yet released \(commit [0-9a-f]+\)"
            r"|Version \d+\.\d+\.\d+, released \S+",
            text,
        )
        assert status, f"no version status on the title page: {text!r}"
        built = re.search(r"Built \d{1,2} \w+ \d{4}", text)
        assert built, f"no build date on the title page: {text!r}"
        assert re.search(r"DOI (10\.\S+|not yet assigned)", text), f"no DOI line: {text!r}"
        cite = re.search(r"Cite as: (.{60})", text)
        assert cite, f"no cite-as line on the title page: {text!r}"
        lines.append((status.group(0), built.group(0), cite.group(1)))
    assert lines[0] == lines[1], f"title pages differ: {lines}"


def test_a_changed_number_is_caught(both, tmp_path):
    """The comparison itself: one number changed in one page of one site fails it."""
    embedded_site = both[0]
    page = embedded_site / "chapters" / "placebo.html"
    text = page.read_text(encoding="utf-8")
    m = re.search(r'(class="result"[^>]*>)(\d+\.\d+)<', text)
    assert m, "no computed result on the placebo page"
    was = m.group(2)
    now = was[:-1] + str((int(was[-1]) + 1) % 10)
    changed = text[: m.start(2)] + now + text[m.end(2) :]
    (tmp_path / "placebo.html").write_text(changed, encoding="utf-8")
    original = {"chapters/placebo.html": read_page(page)}
    edited = {"chapters/placebo.html": read_page(tmp_path / "placebo.html")}
    found = differences(original, edited)
    assert len(found) == 1 and f"[{was!r}] (embedded) vs [{now!r}]" in found[0], found
