"""What each renderer publishes says nothing untrue about its version and carries no
working notes (issue 14): an unreleased build never calls itself "released", on any
page or in the PDF, and no page shows a note written for the team rather than readers."""

from __future__ import annotations

import re

import pytest

from tests.report.test_citation import RELEASED_CLAIM as RELEASED
from tests.report.test_references import WORKING_NOTES

pytestmark = pytest.mark.slow


def _shown(html: str) -> str:
    """A page's text as a reader gets it (scripts and tags dropped, spaces collapsed)."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S | re.I)
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def _pdf_text(built_site) -> str:
    from pypdf import PdfReader

    pdf = next(built_site.glob("*.pdf"))
    return " ".join(" ".join(p.extract_text().split()) for p in PdfReader(str(pdf)).pages)


def test_no_page_carries_a_working_note(built_site, renderer):
    for page in sorted(built_site.rglob("*.html")):
        found = WORKING_NOTES.search(_shown(page.read_text(encoding="utf-8")))
        assert not found, f"{renderer}: {page.relative_to(built_site)}: {found.group()!r}"


def test_an_unreleased_build_never_says_released(built_site, renderer):
    from analysis.report import version
    from tests.browser.harness import ROOT

    pdf = _pdf_text(built_site)
    release = version.release_at_head(ROOT)
    if release is not None:  # a tagged release: it says so, and this check has no more to do
        assert "released" in pdf, f"{renderer}: a release's PDF does not say it is one"
        return
    assert "Development version, not yet released" in pdf, f"{renderer}: {pdf[:300]}"
    texts = {"the PDF": pdf}
    texts.update(
        {
            str(p.relative_to(built_site)): _shown(p.read_text(encoding="utf-8"))
            for p in sorted(built_site.rglob("*.html"))
        }
    )
    for where, text in texts.items():
        m = RELEASED.search(text)
        assert not m, f"{renderer}: {where}: …{text[max(0, m.start() - 80) : m.end() + 20]}…"
