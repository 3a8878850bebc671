"""Bibliography as data, not LaTeX (issue 25 item 2): the second guard.

Validation refuses ``\\href``, ``\\includegraphics`` and a ``javascript:`` url in
``references.bib`` (``tests/hostile/datafiles.py``). Whatever a bibliography holds, the
``references.lua`` filter keeps the reference list and the citations to text and
``http(s)``/DOI links, under the embedded renderer (pandoc after ``--citeproc``) and under
Quarto (the filter resolves the citations itself, before Quarto's own citeproc).
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from analysis.render.pandoc import REFERENCES, pandoc

ROOT = Path(__file__).resolve().parents[2]

HOSTILE_BIB = r"""@article{k1,
  author = {Smith, A.},
  title = {Title \href{javascript:alert(1)}{click} and \includegraphics{https://e.org/t.png} end},
  journal = {J},
  year = {2000},
  url = {javascript:alert(2)},
  doi = {10.1000/xyz}
}
@article{k2,
  author = {Doe, B.},
  title = {Plain \url{https://ok.org/a}},
  year = {2001},
}
"""
DOC = "See [@k1] and @k2.\n\n# References\n\n::: {#refs}\n:::\n"


def _links(html: str) -> list[str]:
    return re.findall(r'<a\s[^>]*href="([^"]*)"', html)


def _assert_inert(html: str) -> None:
    assert "<img" not in html
    links = _links(html)
    assert "https://doi.org/10.1000/xyz" in links and "#ref-k1" in links, links
    assert all(re.match(r"https?://|#ref-", x) for x in links), links
    assert 'role="doc-biblioref"' in html  # the citations still link to their entries
    assert re.search(r"Smith\s+2000", html) and "k1?" not in html


def test_embedded_renderer_drops_images_and_unsafe_links(tmp_path):
    bib = tmp_path / "r.bib"
    bib.write_text(HOSTILE_BIB, encoding="utf-8")
    html = pandoc(DOC, "html", bibliography=(bib,))
    _assert_inert(html)
    typst = pandoc(DOC, "typst", bibliography=(bib,))
    assert "javascript" not in typst and "#image" not in typst
    assert '#link("https://doi.org/10.1000/xyz")' in typst


def test_the_filter_is_listed_for_quarto():
    text = (ROOT / "_quarto.yml").read_text(encoding="utf-8")
    assert re.search(r"filters:\n(?:  .*\n)*  - analysis/render/references\.lua\n", text)
    assert REFERENCES.is_file()


@pytest.mark.slow
def test_quarto_drops_images_and_unsafe_links(tmp_path):
    from tests.browser.harness import find_quarto

    quarto = find_quarto()
    if quarto is None:
        pytest.skip("NOT RUN: no Quarto (make setup with ../shared/quarto present)")
    (tmp_path / "r.bib").write_text(HOSTILE_BIB, encoding="utf-8")
    (tmp_path / "references.lua").write_bytes(REFERENCES.read_bytes())
    (tmp_path / "_quarto.yml").write_text(
        "project:\n  type: default\nbibliography: r.bib\nfilters:\n  - quarto\n"
        "  - references.lua\n",
        encoding="utf-8",
    )
    (tmp_path / "a.qmd").write_text("---\ntitle: t\n---\n\n" + DOC, encoding="utf-8")
    proc = subprocess.run(
        [quarto, "render", "a.qmd", "--to", "html"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "QUARTO_PYTHON": os.environ.get("QUARTO_PYTHON", "")},
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "not found" not in proc.stderr
    html = (tmp_path / "a.html").read_text(encoding="utf-8")
    body = html.split('id="quarto-content"', 1)[-1]
    _assert_inert(body.split("<script", 1)[0] if "<script" in body else body)
