"""The PDF as a journal's production desk would check it, from its word boxes.

The checker (:mod:`tests.pdf_layout`) is first shown to catch each fault on small Typst
documents made to have it, then run on the book's PDF from ``python -m analysis build``.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.pdf_layout import check

ROOT = Path(__file__).resolve().parents[2]
BODY = " ".join(["A line of ordinary body text that fills the measure of the page."] * 12)


def _pdf(tmp_path: Path, source: str) -> Path:
    import typst

    src = tmp_path / "doc.typ"
    src.write_text('#set page(paper: "a4", margin: 2cm)\n#set text(size: 10.5pt)\n' + source)
    out = tmp_path / "doc.pdf"
    out.write_bytes(typst.compile(str(src), ignore_system_fonts=True))
    return out


def test_a_clean_document_passes(tmp_path):
    assert check(_pdf(tmp_path, f"Title page\n#pagebreak()\n{BODY}\n\nfooter")) == []


def test_overprinted_words_are_caught(tmp_path):
    doc = f"Title\n#pagebreak()\n{BODY}\n#place(top + left, dy: 2pt)[Overprinted words here]\n"
    kinds = {p.kind for p in check(_pdf(tmp_path, doc))}
    assert "words overlap" in kinds


def test_a_word_outside_the_page_is_caught(tmp_path):
    doc = f"Title\n#pagebreak()\n{BODY}\n#place(top + left, dx: 17.5cm)[Runaway-identifier-text]\n"
    problems = check(_pdf(tmp_path, doc))
    assert any(p.kind == "outside the page" for p in problems), problems


def test_a_page_holding_only_a_heading_or_caption_is_caught(tmp_path):
    doc = (
        "Title\n#pagebreak()\n#text(size: 18pt)[A heading alone]\n#pagebreak()\n"
        "Table 9.1: a caption alone on its page\n\nfooter\n#pagebreak()\n"
        f"{BODY}\n\nfooter"
    )
    problems = check(_pdf(tmp_path, doc))
    assert [p.page for p in problems if p.kind == "page almost empty"] == [2, 3], problems


@pytest.mark.slow
def test_the_books_pdf_has_no_layout_fault(tmp_path):
    out = tmp_path / "_site"
    proc = subprocess.run(
        [sys.executable, "-m", "analysis", "build", "--engine", "embedded", "--out", str(out)],
        cwd=os.environ["IVIG_ROOT"],  # the project on the frozen data snapshot (conftest)
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    pdf = next(out.glob("*.pdf"))
    problems = check(pdf)
    assert not problems, "\n".join(map(str, problems[:40]))

    from pypdf import PdfReader

    reader = PdfReader(str(pdf))
    first = reader.pages[0].extract_text()
    # the title page: title, status, date, authors, DOI or its placeholder, cite-as line
    for needed in ("IVIG in autoimmune neurological diseases", "Built ", "Cite as", "DOI"):
        assert needed in first, needed
    whole = "\n".join(p.extract_text() for p in reader.pages)
    from analysis.report import version
    from tests.report.test_citation import RELEASED_CLAIM

    unreleased = version.release_at_head(ROOT) is None
    if unreleased:
        assert "Development version, not yet released" in first
        assert not RELEASED_CLAIM.search(re.sub(r"\s+", " ", whole)), RELEASED_CLAIM.search(whole)

    # the web pages: no working note, no claim of a release that does not exist, and a
    # footer that tells the search date from the build
    from tests.report.test_references import WORKING_NOTES

    for page in sorted(out.rglob("*.html")):
        html = page.read_text(encoding="utf-8")
        shown = re.sub(r"<[^>]+>", " ", html)
        assert not WORKING_NOTES.search(shown), (page.name, WORKING_NOTES.search(shown))
        if unreleased:
            assert not RELEASED_CLAIM.search(shown), (page.name, RELEASED_CLAIM.search(shown))
        assert "evidence last searched " in html and "built from commit <code>" in html
