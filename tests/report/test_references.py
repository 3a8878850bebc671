"""References that hold up: every cited key resolves, every entry is a usable reference,
and no published text carries a working note."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from analysis.evidence import bibtex
from tests import snapshot

ROOT = Path(__file__).resolve().parents[2]
PUBLISHED = sorted(
    [ROOT / "index.qmd", *(ROOT / "chapters").glob("*.qmd")]
    + list((ROOT / "analysis" / "report" / "templates").glob("*.j2"))
)
#: pandoc citation syntax: ``[@key]``, ``[@a; @b]``, ``@key`` in text (not e-mail addresses)
CITE = re.compile(r"(?<![\w.@])@([A-Za-z][\w:-]*[A-Za-z0-9])")
#: what a working note looks like; none of these may reach a reader
WORKING_NOTES = re.compile(
    r"per brief|\bV\d+:|no source retrieved|\bTODO\b|\bFIXME\b|\bXXX\b|\bTBD\b|NEW in v\d"
    r"|lorem ipsum",
    re.IGNORECASE,
)
#: fields that name where a reference was published
VENUE = ("journal", "publisher", "booktitle", "institution", "school", "howpublished")


@pytest.fixture(scope="module")
def bib() -> dict[str, bibtex.Entry]:
    entries, problems = snapshot.bibliography()
    assert not problems
    return {e.key: e for e in entries}


def _keys(text: str) -> set[str]:
    # code spans and cell options are not prose; Quarto cross-references (@fig-, @tbl-) are
    # not citations
    text = re.sub(r"```.*?```", "", text, flags=re.S)
    return {k for k in CITE.findall(text) if not re.match(r"(fig|tbl|sec|eq)-", k)}


@pytest.fixture(scope="module")
def generated() -> dict[str, str]:
    """The Markdown the chapters' helpers produce (what citeproc sees)."""
    from analysis.report import chapters as site

    out = {
        "methods_review": site.methods_review().data,
        "certainty_methods": site.certainty_methods().data,
        "methods": site.methods().data,
        "methods_deviations": site.methods_deviations().data,
        "register_table": site.register_table().data,
    }
    for name in site.COMPARISON_KEYS:
        out[f"studies_table({name})"] = site.studies_table(name).data
    return out


def test_every_key_cited_in_a_chapter_resolves(bib, generated):
    missing = {}
    for path in PUBLISHED:
        if path.suffix == ".j2":
            continue  # templates: checked through their rendered output below
        gone = _keys(path.read_text(encoding="utf-8")) - set(bib)
        if gone:
            missing[path.name] = sorted(gone)
    for name, text in generated.items():
        gone = _keys(text) - set(bib)
        if gone:
            missing[name] = sorted(gone)
    assert not missing, missing


def test_the_statistical_methods_cite_their_sources(generated):
    cited = _keys(generated["methods"]) | _keys(generated["methods_review"])
    for key in (
        "mantel1959",
        "viechtbauer2005",
        "viechtbauer2007",
        "higgins2009",
        "egger1997",
        "begg1994",
        "duval2000",
        "higgins2002",
        "sterne2019",
        "page2021",
    ):
        assert key in cited, key


def test_the_key_finder_finds_keys_and_skips_cross_references():
    assert _keys("see [@a1; @b_2] and @c3, @fig-prisma, x@y.org") == {"a1", "b_2", "c3"}


def test_every_reference_has_a_title_and_a_venue_or_says_why_not(bib):
    bad = []
    for key, e in bib.items():
        lacks = [f for f in ("title",) if not e.fields.get(f, "").strip()]
        if not any(e.fields.get(f, "").strip() for f in VENUE):
            lacks.append("journal or publisher")
        if not lacks:
            continue
        note = e.fields.get("annote", "").lower()
        # exempt only when the entry says, in words, that the field was not found
        anything = ("all bibliographic fields", "no bibliographic record")
        words = {
            "title": ("title", *anything),
            "journal or publisher": ("journal", "publisher", *anything),
        }
        said = note.startswith("unverified:") and all(
            any(w in note for w in words[f]) for f in lacks
        )
        if not said:
            bad.append(f"{key}: no {', '.join(lacks)}")
    assert not bad, bad


def test_reference_links_go_to_the_canonical_addresses(bib):
    # the reference list is made by citeproc from doi and pmid fields (doi.org and PubMed);
    # a url field would print instead, so one may only name a canonical address
    canonical = re.compile(
        r"^https://(doi\.org|pubmed\.ncbi\.nlm\.nih\.gov|www\.ncbi\.nlm\.nih\.gov)/"
    )
    for key, e in bib.items():
        url = e.fields.get("url")
        assert url is None or canonical.match(url), f"{key}: {url}"
        doi = e.fields.get("doi", "")
        assert not doi.startswith("http"), f"{key}: doi must be the bare DOI, not an address"


@pytest.mark.parametrize("path", PUBLISHED, ids=lambda p: p.name)
def test_no_working_notes_in_published_sources(path):
    hits = WORKING_NOTES.findall(path.read_text(encoding="utf-8"))
    assert not hits, hits


def test_no_working_notes_in_published_data_or_generated_text(generated):
    import csv

    with (ROOT / "data" / "studies.csv").open(encoding="utf-8") as fh:
        for i, row in enumerate(csv.DictReader(fh), start=2):
            for col in ("population", "outcome_definition", "source_quote", "notes"):
                hit = WORKING_NOTES.search(row.get(col) or "")
                assert hit is None, f"studies.csv:{i}:{col}: {hit.group(0)!r}"
    for name, text in generated.items():
        assert not WORKING_NOTES.search(text), name


def test_the_working_note_pattern_catches_working_notes():
    for note in ("per brief", "V2: recheck", "no source retrieved in Nov", "TODO add"):
        assert WORKING_NOTES.search(note), note
    assert not WORKING_NOTES.search("Version 2, released")
