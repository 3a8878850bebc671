"""The hostile corpus, built (issue 11): markup typed into every text field of ``data/``
never produces a live element in any page, never fires in Chromium, and the PDF shows
it literally. One build of a copy of the project with :func:`tests.hostile.corpus.inject`
applied serves every test here (a build costs about 30 s)."""

from __future__ import annotations

import glob
import os
import re
import subprocess
import sys
from pathlib import Path

import pypdf
import pytest

from tests.browser.harness import chapter_pages, serve
from tests.hostile.corpus import PAYLOADS, copy_project, inject

pytestmark = pytest.mark.slow

#: Elements or attributes the payloads would create if any reached the page as markup.
INJECTED_JS = """() => [
  ...document.querySelectorAll('img[src="x"], svg[onload], iframe, #raw, a[href^="javascript"]'),
  ...[...document.querySelectorAll('script')].filter(s => /alert\\(/.test(s.textContent)),
  ...[...document.querySelectorAll('img')].filter(s => /x\\.png/.test(s.src)),
].map(e => e.outerHTML.slice(0, 120))"""


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory) -> Path:
    project = copy_project(tmp_path_factory.mktemp("hostile") / "project")
    inject(project / "data")
    out = project / "_site"
    proc = subprocess.run(
        [sys.executable, "-m", "analysis", "build", "--root", str(project), "--out", str(out)],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=900,
        env={**os.environ, "SOURCE_DATE_EPOCH": "1764045180"},
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    return out


def _squash(text: str) -> str:
    """White space out, case folded (a register may lower-case a note's first letter)."""
    return re.sub(r"\s+", "", text).casefold()


def test_no_page_carries_a_payload_as_markup(hostile_site):
    pages = [hostile_site / p for p in chapter_pages()]
    assert all(p.is_file() for p in pages)
    for page in pages:
        text = page.read_text(encoding="utf-8")
        for bad in (
            "<img src=x",
            "<svg onload",
            "<iframe",
            'id="raw"',
            "id=raw>",
            "alert(5)</script>",
        ):
            assert bad not in text, (page.name, bad)
        assert 'href="javascript' not in text
    register = (hostile_site / "chapters" / "register.html").read_text(encoding="utf-8")
    assert "&lt;img src=x onerror=alert(1)&gt; &lt;svg onload=alert(2)&gt;" in register


def test_nothing_runs_in_chromium_and_the_text_reads_literally(hostile_site, browser):
    dialogs: list[str] = []
    with serve(hostile_site) as url:
        page = browser.new_page()
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        try:
            for name in chapter_pages():
                page.goto(url + name, wait_until="load")
                page.wait_for_timeout(300)  # onerror/onload handlers would have fired by now
                assert page.evaluate(INJECTED_JS) == [], name
            page.goto(url + "chapters/register.html", wait_until="load")
            shown = _squash(page.text_content("body") or "")  # closed <details> included
            for payload in PAYLOADS[:2] + PAYLOADS[4:]:
                assert _squash(payload) in shown, payload
            page.goto(url + "chapters/downloads.html", wait_until="load")
            assert _squash(PAYLOADS[1]) in _squash(page.text_content("body") or "")
        finally:
            page.close()
    assert dialogs == []


def test_the_pdf_shows_the_payloads_as_text(hostile_site):
    pdf = Path(glob.glob(str(hostile_site / "*.pdf"))[0])
    text = " ".join(p.extract_text() for p in pypdf.PdfReader(pdf).pages)
    flat = _squash(re.sub(r"-\n", "", text))  # Typst hyphenates long words at line ends
    for payload in PAYLOADS:
        assert _squash(payload) in flat, payload
