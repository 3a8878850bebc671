"""The PDF each renderer builds, checked as a journal's production desk would (issue 14):
no overprinted words, nothing outside the page, no page holding only a heading, a caption
or a running head, and a title page with the title, the status line, the DOI or its
placeholder and the cite-as line. The checker itself is shown to catch each fault in
``tests/render/test_pdf_layout.py``."""

from __future__ import annotations

import pytest

from tests.pdf_layout import check

pytestmark = pytest.mark.slow


def _pdf(built_site):
    pdfs = sorted(built_site.glob("*.pdf"))
    assert len(pdfs) == 1, pdfs
    return pdfs[0]


def test_the_pdf_has_no_layout_fault(built_site, renderer):
    problems = check(_pdf(built_site))
    assert not problems, f"{renderer}: " + "\n".join(map(str, problems[:40]))


def test_the_title_page_says_what_to_cite(built_site, renderer):
    from pypdf import PdfReader

    first = " ".join(PdfReader(str(_pdf(built_site))).pages[0].extract_text().split())
    for needed in ("IVIG in autoimmune neurological diseases", "Built ", "DOI", "Cite as"):
        assert needed in first, f"{renderer}: title page lacks {needed!r}: {first[:400]}"
