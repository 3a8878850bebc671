"""One story about the version in every file of a built site (issue 21).

A build is a release only when the tag of its version points at its commit. An unreleased
build says so everywhere it carries a version: ``results.json`` and ``versions.json``
(``X.Y.Z.dev0+<commit>``, ``released: false``), ``CITATION.cff`` (the same version, no
``date-released``), the BibTeX and RIS downloads, every page (no "released", no "Published"
title block, no "(latest)" entry in the version menu) and the PDF. A release makes all of
them agree on its number. :func:`contradictions` reads a built site and lists every
disagreement; the fast tests feed it constructed sites (each contradiction must be caught),
the slow one a site the README's command builds.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
import yaml

from analysis.report.version import is_release_version
from tests.report.test_citation import RELEASED_CLAIM

#: Quarto's title block names the date "Published" unless told otherwise
PUBLISHED_HEADING = re.compile(r'quarto-title-meta-heading">\s*Published\s*<', re.I)


def _shown(html: str) -> str:
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S | re.I)
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def _pdf_text(site: Path) -> str | None:
    pdfs = sorted(site.glob("*.pdf"))
    if not pdfs:
        return None
    from pypdf import PdfReader

    return " ".join(" ".join(p.extract_text().split()) for p in PdfReader(str(pdfs[0])).pages)


def contradictions(site: Path) -> list[str]:
    """Every place in the built *site* that tells another story about its version."""
    out: list[str] = []
    results = json.loads((site / "results.json").read_text(encoding="utf-8"))
    version = str(results.get("version"))
    released = results.get("released")
    if not isinstance(released, bool):
        return [f"results.json: 'released' is {released!r}, not true or false"]
    if released != is_release_version(version):
        out.append(f"results.json: version {version!r} with released: {released}")
    manifest = site / "versions.json"
    if manifest.is_file():
        data = json.loads(manifest.read_text(encoding="utf-8"))
        latest = data.get("latest") or {}
        if str(latest.get("version")) != version:
            out.append(f"versions.json: latest is {latest.get('version')!r}, not {version!r}")
        if latest.get("released", released) != released:
            out.append(f"versions.json: latest released: {latest.get('released')}")
        if not released and version in [str(v.get("version")) for v in data.get("versions", [])]:
            out.append(f"versions.json: lists {version} as a release")
    cff_path = site / "CITATION.cff"
    if cff_path.is_file():
        cff = yaml.safe_load(cff_path.read_text(encoding="utf-8"))
        if str(cff.get("version")) != version:
            out.append(f"CITATION.cff: version {cff.get('version')!r}, not {version!r}")
        if ("date-released" in cff) != released:
            what = "has a date-released" if not released else "has no date-released"
            out.append(f"CITATION.cff: {what}")
    bib = site / "citation.bib"
    if bib.is_file():
        text = bib.read_text(encoding="utf-8")
        if released and f"version = {{{version}}}" not in text:
            out.append(f"citation.bib: no version = {{{version}}}")
        if not released and ("development" not in text or RELEASED_CLAIM.search(text)):
            out.append("citation.bib: does not say it is a development version")
    ris = site / "citation.ris"
    if ris.is_file():
        et = re.search(r"(?m)^ET  - (.*)$", ris.read_text(encoding="utf-8"))
        edition = et.group(1) if et else ""
        if released and edition != version:
            out.append(f"citation.ris: edition {edition!r}, not {version!r}")
        if not released and "development version" not in edition.lower():
            out.append(f"citation.ris: edition {edition!r} is not a development version")
    base = version.split(".dev", 1)[0]
    for page in sorted(site.rglob("*.html")):
        if re.match(r"v\d+\.\d+\.\d+$", page.relative_to(site).parts[0]):
            continue  # another release's pages tell their own story
        where = str(page.relative_to(site))
        raw = page.read_text(encoding="utf-8")
        text = _shown(raw)
        if released:
            if f"Version {version}" not in text:
                out.append(f"{where}: does not say 'Version {version}'")
            continue
        m = RELEASED_CLAIM.search(text)
        if m:
            out.append(f"{where}: says …{text[max(0, m.start() - 60) : m.end() + 10]}…")
        if "development version" not in text.lower():
            out.append(f"{where}: does not say it is a development version")
        if PUBLISHED_HEADING.search(raw):
            out.append(f"{where}: its title block says 'Published'")
        if "(latest)" in text or f"{base} (this version)" in text:
            out.append(f"{where}: its version menu offers a release of this build")
    pdf = _pdf_text(site)
    if pdf is not None:
        if released and f"Version {version}" not in pdf:
            out.append(f"the PDF: does not say 'Version {version}'")
        if not released:
            if "Development version, not yet released" not in pdf:
                out.append("the PDF: does not say 'Development version, not yet released'")
            m = RELEASED_CLAIM.search(pdf)
            if m:
                out.append(f"the PDF: says …{pdf[max(0, m.start() - 60) : m.end() + 10]}…")
    return out


# --------------------------------------------------------------------------- constructed sites

DEV = "0.3.0.dev0+0123456789ab"


def _site(tmp_path: Path, *, version: str = DEV, released: bool = False) -> Path:
    site = tmp_path / "site"
    (site / "chapters").mkdir(parents=True)
    (site / "results.json").write_text(json.dumps({"version": version, "released": released}))
    (site / "versions.json").write_text(
        json.dumps({"latest": {"version": version, "released": released, "path": "./"}})
    )
    cff = {"cff-version": "1.2.0", "title": "T", "version": version}
    if released:
        cff["date-released"] = "2027-01-02"
    (site / "CITATION.cff").write_text(yaml.safe_dump(cff))
    label = f"Version {version}" if released else "development version, not yet released"
    (site / "citation.bib").write_text(
        f"@misc{{k,\n  version = {{{version if released else 'development, commit 0123'}}}\n}}\n"
    )
    (site / "citation.ris").write_text(
        f"TY  - DATA\nET  - {version if released else label}\nER  - \n"
    )
    for page in ("index.html", "chapters/placebo.html"):
        (site / page).write_text(f"<html><body><footer>{label}</footer></body></html>")
    return site


def test_a_consistent_development_build_tells_one_story(tmp_path):
    assert contradictions(_site(tmp_path)) == []


def test_a_consistent_release_tells_one_story(tmp_path):
    assert contradictions(_site(tmp_path, version="0.3.0", released=True)) == []


@pytest.mark.parametrize(
    ("file", "edit", "found"),
    [
        ("results.json", lambda t: t.replace(DEV, "0.3.0"), "results.json"),
        ("versions.json", lambda t: t.replace(DEV, "0.3.0"), "versions.json"),
        ("CITATION.cff", lambda t: t + "date-released: '2026-11-25'\n", "date-released"),
        ("CITATION.cff", lambda t: t.replace(DEV, "0.3.0"), "CITATION.cff: version"),
        ("citation.bib", lambda t: t.replace("development, commit 0123", "0.3.0"), "bib"),
        ("citation.ris", lambda t: re.sub(r"ET  - .*", "ET  - 0.3.0", t), "citation.ris"),
        ("index.html", lambda t: t.replace("development", "Version 0.3.0,"), "index.html"),
        (
            "chapters/placebo.html",
            lambda t: t.replace(
                "</footer>", '<div class="quarto-title-meta-heading">Published</div></footer>'
            ),
            "Published",
        ),
        ("index.html", lambda t: t.replace("</footer>", "<a>0.3.0 (latest)</a></footer>"), "menu"),
        ("index.html", lambda t: t.replace("not yet released", "released 2026-11-25"), "says"),
    ],
)
def test_each_contradiction_is_found(tmp_path, file, edit, found):
    site = _site(tmp_path)
    path = site / file
    path.write_text(edit(path.read_text()))
    problems = contradictions(site)
    assert any(found in p for p in problems), problems


# --------------------------------------------------------------------------- a built site


@pytest.mark.slow
def test_a_built_site_tells_one_story_about_its_version(tmp_path):
    """The site the README's command builds (or ``IVIG_BROWSER_SITE``), every file read."""
    given = os.environ.get("IVIG_BROWSER_SITE")
    if given:
        site = Path(given)
    else:
        from tests.browser.harness import build_site

        site = build_site(tmp_path / "site", engine="embedded")
    assert contradictions(site) == []
