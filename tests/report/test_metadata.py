"""Metadata that indexers and citation managers read (issue 21).

* schema.org JSON-LD (a ``ScholarlyArticle`` and a ``Dataset`` with its distribution and
  licence), validated against schema.org's vocabulary: every type and property must exist
  there, each property be used on a type of its domain and with a value of its range
  (a vendored subset of the vocabulary, ``tests/schemas/schemaorg-subset.json``);
* Highwire ``citation_*`` tags as Google Scholar's inclusion guidelines ask
  (https://scholar.google.com/intl/en/scholar/inclusion.html#indexing): a title, one tag
  per author, the date as ``YYYY/MM/DD``, absolute addresses, no "undefined" and no
  escaping left in a value.
"""

from __future__ import annotations

import html
import json
import os
import re
from pathlib import Path

import pytest

from analysis.report import citation

ROOT = Path(__file__).resolve().parents[2]
VOCAB = json.loads((ROOT / "tests" / "schemas" / "schemaorg-subset.json").read_text())
DEV = {"released": False, "commit": "0123456789abcdef0123", "built": "2026-11-30T10:00:00Z"}
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2})?(Z|[+-]\d{2}:\d{2})?)?$")


def _ancestors(t: str) -> list[str]:
    out = []
    while t is not None:
        out.append(t)
        t = VOCAB["types"].get(t)
    return out


def _matches(value, ranges: list[str], ids: dict[str, str]) -> bool:
    if isinstance(value, bool):
        return "Boolean" in ranges
    if isinstance(value, int | float):
        return "Number" in ranges
    if isinstance(value, str):
        if "URL" in ranges and re.match(r"^https?://\S+$", value):
            return True
        if {"Date", "DateTime"} & set(ranges) and DATE.match(value):
            return True
        return "Text" in ranges
    if isinstance(value, dict):
        t = value.get("@type") or ids.get(value.get("@id", ""))
        return t is not None and bool(set(_ancestors(t)) & set(ranges))
    return False


def schema_org_problems(doc: dict) -> list[str]:
    """What in *doc* (JSON-LD) is not schema.org as its vocabulary defines it."""
    if doc.get("@context") not in ("https://schema.org", "https://schema.org/"):
        return [f"@context is {doc.get('@context')!r}"]
    nodes = doc.get("@graph") or [doc]
    ids = {n["@id"]: n["@type"] for n in nodes if "@id" in n and "@type" in n}
    problems: list[str] = []

    def check(node: dict, where: str) -> None:
        t = node.get("@type")
        if t is None:
            if set(node) == {"@id"} and node["@id"] in ids:
                return
            problems.append(f"{where}: no @type")
            return
        if t not in VOCAB["types"]:
            problems.append(f"{where}: type {t} is not in schema.org's vocabulary")
            return
        for prop, value in node.items():
            if prop.startswith("@"):
                continue
            spec = VOCAB["properties"].get(prop)
            if spec is None:
                problems.append(f"{where}: {prop} is not a schema.org property")
                continue
            if not set(_ancestors(t)) & set(spec["domain"]):
                problems.append(f"{where}: {prop} is not a property of {t}")
            for v in value if isinstance(value, list) else [value]:
                if not _matches(v, spec["range"], ids):
                    problems.append(f"{where}.{prop}: {v!r} is not one of {spec['range']}")
                if isinstance(v, dict):
                    check(v, f"{where}.{prop}")

    for i, node in enumerate(nodes):
        check(node, f"@graph[{i}]")
    types = {n.get("@type") for n in nodes}
    if not {"ScholarlyArticle", "Dataset"} <= types:
        problems.append(f"the graph has {sorted(map(str, types))}, not an article and a dataset")
    for n in nodes:
        if n.get("@type") == "Dataset":
            # Google's dataset guidelines: name, a description of 50 to 5000 characters
            if not n.get("name") or not 50 <= len(n.get("description", "")) <= 5000:
                problems.append("Dataset: name and a 50-5000 character description required")
            if not n.get("license") or not n.get("distribution"):
                problems.append("Dataset: license and distribution required")
    return problems


def scholar_problems(tags: list[tuple[str, str]]) -> list[str]:
    """What in the ``(name, content)`` Highwire tags Google Scholar would not read."""
    problems = []
    names = [n for n, _ in tags]
    for required in ("citation_title", "citation_author", "citation_publication_date"):
        if required not in names:
            problems.append(f"no {required}")
    for name, content in tags:
        if not content.strip() or "undefined" in content or "null" == content:
            problems.append(f"{name}: {content!r}")
        if re.search(r"&(amp|lt|gt|quot|#\d+);", content):
            problems.append(f"{name}: escaping left in {content!r}")
        if name in ("citation_publication_date", "citation_date"):
            if not re.fullmatch(r"\d{4}(/\d{2}(/\d{2})?)?", content):
                problems.append(f"{name}: {content!r} is not YYYY/MM/DD")
        if name.endswith("_url") and not content.startswith(("https://", "http://")):
            problems.append(f"{name}: {content!r} is not an absolute address")
    return problems


# --------------------------------------------------------------------------- what we emit


@pytest.mark.parametrize("state", [DEV, {"released": True}], ids=["development", "release"])
def test_json_ld_is_schema_org(state):
    doc = citation.json_ld(ROOT, pdf_url="https://example.org/review.pdf", **state)
    assert schema_org_problems(doc) == []
    dataset = next(n for n in doc["@graph"] if n["@type"] == "Dataset")
    urls = [d["contentUrl"] for d in dataset["distribution"]]
    assert any(u.endswith("data/studies.csv") for u in urls)
    assert any(u.endswith("results.json") for u in urls)


@pytest.mark.parametrize(
    ("edit", "found"),
    [
        (lambda g: g[0].update({"@type": "ScholarlyPaper"}), "not in schema.org"),
        (lambda g: g[0].update({"citationCount": 3}), "not a schema.org property"),
        (lambda g: g[1].update({"headline": 3}), "headline"),
        (lambda g: g[1].update({"distribution": [{"@type": "Person", "name": "x"}]}), "distri"),
        (lambda g: g[0].update({"author": ["IVIG group"]}), "author"),
        (lambda g: g[1].update({"description": "short"}), "description"),
        (lambda g: g[0].update({"datePublished": "30 November 2026"}), "datePublished"),
    ],
)
def test_the_validator_finds_what_is_not_schema_org(edit, found):
    doc = citation.json_ld(ROOT, **DEV)
    edit(doc["@graph"])
    assert any(found in p for p in schema_org_problems(doc)), schema_org_problems(doc)


@pytest.mark.parametrize("state", [DEV, {"released": True}], ids=["development", "release"])
def test_highwire_tags_are_what_google_scholar_reads(state):
    tags = citation.highwire_meta(ROOT, pdf_url="https://example.org/r.pdf", **state)
    assert scholar_problems(tags) == []
    names = [n for n, _ in tags]
    assert "citation_pdf_url" in names and "citation_date" in names


def test_the_tag_check_finds_undefined_and_escaping():
    bad = [
        ("citation_title", "A &amp;amp; B"),
        ("citation_author", "undefined contributors"),
        ("citation_publication_date", "2026-11-30"),
    ]
    found = " ".join(scholar_problems(bad))
    assert "escaping" in found and "undefined" in found and "YYYY/MM/DD" in found


# --------------------------------------------------------------------------- a built site


def _meta_tags(page: str) -> list[tuple[str, str]]:
    tags = []
    for m in re.finditer(r"<meta\b[^>]*>", page):
        tag = m.group(0)
        name = re.search(r'\bname="(citation_[^"]+)"', tag)
        content = re.search(r'\bcontent="([^"]*)"', tag)
        if name and content:
            tags.append((name.group(1), html.unescape(content.group(1))))
    return tags


@pytest.mark.slow
def test_every_page_of_a_built_site_carries_valid_metadata(tmp_path):
    """Every page: Scholar's tags and schema.org JSON-LD; the site: a favicon; the cite
    page: links to the BibTeX, RIS and CFF files."""
    given = os.environ.get("IVIG_BROWSER_SITE")
    if given:
        site = Path(given)
    else:
        from tests.browser.harness import build_site

        site = build_site(tmp_path / "site", engine="embedded")
    pages = sorted(p for p in site.rglob("*.html") if not re.match(r"v\d", p.parts[-2]))
    assert pages
    for path in pages:
        page = path.read_text(encoding="utf-8")
        where = path.relative_to(site)
        assert scholar_problems(_meta_tags(page)) == [], where
        blocks = re.findall(r'<script type="application/ld\+json">(.*?)</script>', page, re.S)
        assert len(blocks) == 1, f"{where}: {len(blocks)} JSON-LD blocks"
        assert schema_org_problems(json.loads(blocks[0])) == [], where
        icons = [
            re.search(r'\bhref="([^"]+)"', tag)
            for tag in re.findall(r"<link\b[^>]*>", page)
            if re.search(r'\brel="(?:shortcut )?icon"', tag)
        ]
        assert icons and icons[0], f"{where}: no favicon"
        assert (path.parent / icons[0].group(1)).resolve().is_file(), f"{where}: favicon missing"
    cite = (site / "chapters" / "cite.html").read_text(encoding="utf-8")
    for name in ("citation.bib", "citation.ris", "CITATION.cff"):
        assert f'href="../{name}"' in cite and (site / name).is_file(), name


def test_quarto_s_tags_are_tidied_for_scholar():
    """Quarto's google-scholar output: an escaped ampersand escaped again, "undefined" for a
    missing given name, dates with hyphens, no citation_date."""
    page = (
        '<head><meta name="citation_title" content="Muscle &amp;amp;amp; Nerve">\n'
        '<meta name="citation_author" content="undefined Mendell">\n'
        '<meta name="citation_publication_date" content="2026-12-05">\n'
        '<meta name="citation_reference" content="citation_author=undefined Wolfe;,'
        'citation_journal_title=Muscle &amp;amp;amp; Nerve;"></head>'
    )
    before = _meta_tags(page)
    assert scholar_problems(before)  # the check sees what is wrong
    tidy = citation.tidy_highwire(page)
    after = _meta_tags(tidy)
    assert scholar_problems(after) == []
    assert ("citation_title", "Muscle & Nerve") in after
    assert ("citation_author", "Mendell") in after
    assert ("citation_date", "2026/12/05") in after
    assert citation.tidy_highwire(tidy) == tidy  # once is enough
