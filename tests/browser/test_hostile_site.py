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

from tests.browser.harness import chapter_pages, find_quarto, serve
from tests.hostile.corpus import COMMENT_OPEN, PAYLOADS, copy_project, inject

pytestmark = pytest.mark.slow

#: Elements or attributes the payloads would create if any reached the page as markup.
INJECTED_JS = """() => [
  ...document.querySelectorAll('img[src="x"], svg[onload], iframe, #raw, a[href^="javascript"]'),
  ...[...document.querySelectorAll('script')].filter(s => /alert\\(/.test(s.textContent)),
  ...[...document.querySelectorAll('img')].filter(s => /x\\.png/.test(s.src)),
].map(e => e.outerHTML.slice(0, 120))"""


QUARTO_OPEN = pytest.mark.xfail(
    strict=True,
    reason="issue 25, open: Quarto's Typst pass fails the build fetching http://127.0.0.1:9/x.png,"
    " the address of an image in a corpus payload: some data text still reaches Quarto's PDF"
    " as Markdown (its source not found yet; the embedded renderer and Quarto's HTML are inert)",
)


@pytest.fixture(scope="module", params=["embedded", pytest.param("quarto", marks=QUARTO_OPEN)])
def hostile_site(request, tmp_path_factory) -> Path:
    """The corpus built once per renderer (issue 25: both renderers, every data file)."""
    engine = request.param
    env = {**os.environ, "SOURCE_DATE_EPOCH": "1764045180"}
    if engine == "quarto":
        quarto = find_quarto()
        if quarto is None:
            pytest.skip("NOT RUN: no Quarto (make setup with ../shared/quarto present)")
        env["PATH"] = str(Path(quarto).parent) + os.pathsep + env.get("PATH", "")
        env["QUARTO_PYTHON"] = sys.executable
    project = copy_project(tmp_path_factory.mktemp(f"hostile-{engine}") / "project")
    inject(project / "data")
    out = project / "_site"
    cmd = [sys.executable, "-m", "analysis", "build", "--root", str(project), "--out", str(out)]
    proc = subprocess.run(
        [*cmd, "--engine", engine],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=1800,
        env=env,
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


def test_every_data_file_is_inert_on_the_home_and_methods_pages(hostile_site, browser):
    """Issue 25: the source review's name (a column header of the home page), its cited
    title, the published results, the search record and a reviewer's rationale reach the
    reader as text; the placebo forest plot, whose author label holds ``<!--``, is drawn."""
    dialogs: list[str] = []
    errors: list[str] = []
    with serve(hostile_site) as url:
        page = browser.new_page()
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        try:
            page.goto(url + "index.html", wait_until="load")
            page.wait_for_timeout(300)
            assert page.evaluate(INJECTED_JS) == []
            home = _squash(page.text_content("body") or "")
            assert _squash(PAYLOADS[0] + ", the source review") in home
            assert _squash(PAYLOADS[0]) in home  # a published population
            links = page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
            assert not [h for h in links if h.startswith(("javascript", "data:"))], links
            page.goto(url + "chapters/methods.html", wait_until="load")
            methods = _squash(page.text_content("body") or "")
            assert _squash(PAYLOADS[3]) in methods  # the eligibility outcome, as text
            assert page.evaluate(INJECTED_JS) == []
            page.goto(url + "chapters/placebo.html", wait_until="load")
            page.wait_for_selector("#chart-forest-placebo-view svg", timeout=15000)
            label = _squash(COMMENT_OPEN)
            assert label in _squash(page.text_content("#chart-forest-placebo-view") or "")
        finally:
            page.close()
    assert dialogs == []
    assert not [e for e in errors if "JSON" in e or "SyntaxError" in e], errors


def test_the_pdf_links_only_to_web_addresses(hostile_site):
    pdf = pypdf.PdfReader(Path(glob.glob(str(hostile_site / "*.pdf"))[0]))
    uris = []
    for p in pdf.pages:
        for a in p.get("/Annots") or []:
            action = a.get_object().get("/A") or {}
            if action.get("/URI"):
                uris.append(str(action["/URI"]))
    # the site's own files are relative links; any other scheme (javascript:, file:) is not
    schemes = [u for u in uris if re.match(r"[A-Za-z][A-Za-z0-9+.-]*:", u)]
    assert uris and [u for u in schemes if not re.match(r"https?://", u)] == []
    text = " ".join(p.extract_text() for p in pdf.pages)
    assert _squash(PAYLOADS[0] + ", the source review") in _squash(re.sub(r"-\n", "", text))
