"""CITATION.cff is valid CFF 1.2.0, and every citation format is derived from it.

Validation uses ``tests/schemas/cff-1.2.0-essentials.schema.json``: the essential
rules of the official CFF 1.2.0 JSON schema written out by hand (the official
file cannot be downloaded here, and ``cffconvert`` pins jsonschema 3.2, which
would downgrade the locked jsonschema 4).
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import jsonschema
import pytest
import yaml

from analysis.report import citation

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "tests/schemas/cff-1.2.0-essentials.schema.json").read_text())


def cff() -> dict:
    return yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))


def errors(doc: dict) -> list[str]:
    validator = jsonschema.Draft7Validator(SCHEMA)
    return [e.message for e in validator.iter_errors(doc)]


def test_citation_cff_is_valid_cff_1_2_0():
    assert errors(cff()) == []


@pytest.mark.parametrize(
    "breakage",
    [
        lambda d: d.pop("authors"),
        lambda d: d.update({"date-released": "25/11/2026"}),
        lambda d: d.update({"cff-version": "1.1.0"}),
        lambda d: d.update({"unknown-key": "x"}),
        lambda d: d["references"][0].update({"doi": "not-a-doi"}),
        lambda d: d["authors"].append({"nickname": "x"}),
        lambda d: d.update({"repository-code": "github.com/x"}),
    ],
)
def test_the_schema_check_catches_broken_files(breakage):
    doc = cff()
    breakage(doc)
    assert errors(doc)


def test_cff_carries_what_a_citation_needs():
    doc = cff()
    for key in ("title", "authors", "version", "date-released", "license", "repository-code"):
        assert doc.get(key), key
    source = [r for r in doc["references"] if r.get("doi") == "10.1016/j.autrev.2021.103019"]
    assert source and source[0]["authors"][0]["family-names"] == "Morales-Ruiz"
    assert source[0]["year"] == 2022 and source[0]["journal"] == "Autoimmunity Reviews"


def test_bibtex():
    doc = cff()
    bib = citation.bibtex(ROOT, released=True)
    key = "ivig_living_review_v" + str(doc["version"]).replace(".", "_")
    assert bib.startswith("@misc{" + key + ",")
    assert bib.count("{") == bib.count("}")
    assert f"version = {{{doc['version']}}}" in bib
    assert f"year = {{{str(doc['date-released'])[:4]}}}" in bib
    assert f"/v{doc['version']}/}}" in bib  # the version's permanent address


def test_ris():
    doc = cff()
    lines = citation.ris(ROOT, released=True).splitlines()
    assert lines[0] == "TY  - DATA" and lines[-1] == "ER  - "
    assert all(re.fullmatch(r"[A-Z][A-Z0-9]  - .*", line) for line in lines)
    assert f"ET  - {doc['version']}" in lines
    assert "TI  - " + doc["title"] in lines


def test_highwire_meta_and_quarto_citation_agree():
    doc = cff()
    tags = citation.highwire_meta(ROOT, pdf_url="https://example.org/review.pdf", released=True)
    names = [n for n, _ in tags]
    assert all(n.startswith("citation_") for n in names)
    assert dict(tags)["citation_title"] == doc["title"]
    assert names.count("citation_author") == len(doc["authors"])
    date = str(doc["date-released"]).replace("-", "/")
    assert ("citation_publication_date", date) in tags
    assert ("citation_pdf_url", "https://example.org/review.pdf") in tags
    q = citation.quarto_citation(ROOT, released=True)
    assert q["title"] == doc["title"] and q["version"] == str(doc["version"])
    assert q["issued"] == str(doc["date-released"])
    assert dict(tags)["citation_fulltext_html_url"] == q["url"]


def test_formats_follow_a_version_change(tmp_path):
    shutil.copy(ROOT / "CITATION.cff", tmp_path / "CITATION.cff")
    text = (tmp_path / "CITATION.cff").read_text(encoding="utf-8")
    text = re.sub(r"(?m)^version: .*$", "version: 9.8.7", text)
    text = re.sub(r"(?m)^date-released: .*$", 'date-released: "2031-02-03"', text)
    (tmp_path / "CITATION.cff").write_text(text, encoding="utf-8")
    assert "version = {9.8.7}" in citation.bibtex(tmp_path, released=True)
    assert "DA  - 2031/02/03" in citation.ris(tmp_path, released=True)
    meta = citation.highwire_meta(tmp_path, released=True)
    assert ("citation_publication_date", "2031/02/03") in meta
    assert "Version 9.8.7, released 2031-02-03" in citation.load(tmp_path, released=True).text()


def test_missing_cff_is_a_user_error(tmp_path):
    from analysis.errors import UserError

    with pytest.raises(UserError, match="CITATION.cff"):
        citation.load(tmp_path)


def test_write_downloads(tmp_path):
    state = {"commit": "0123456789abcdef", "built": "2026-11-30T10:00:00Z"}
    paths = citation.write_downloads(ROOT, tmp_path / "cite", **state)
    assert sorted(p.name for p in paths) == ["CITATION.cff", "citation.bib", "citation.ris"]
    assert (tmp_path / "cite" / "citation.bib").read_text() == citation.bibtex(ROOT, **state)
    assert (tmp_path / "cite" / "citation.ris").read_text() == citation.ris(ROOT, **state)
    assert not list((tmp_path / "cite").glob(".*.tmp"))


# --------------------------------------------------------------------------- release state

DEV = {"released": False, "commit": "0123456789abcdef0123", "built": "2026-11-30T10:00:00Z"}
#: "released" may appear only in "not yet released" / "has been released yet"
RELEASED_CLAIM = re.compile(r"(?<!not yet )(?<!been )\breleased\b", re.IGNORECASE)


def test_a_development_build_never_claims_a_release():
    c = citation.load(ROOT, **DEV)
    texts = [
        c.text(),
        citation.bibtex(ROOT, **DEV),
        citation.ris(ROOT, **DEV),
        json.dumps(citation.quarto_citation(ROOT, **DEV)),
        json.dumps(citation.highwire_meta(ROOT, **DEV)),
        *citation.cite_statement(ROOT, **DEV),
    ]
    for t in texts:
        assert t is None or not RELEASED_CLAIM.search(t), t
    assert "development version, not yet released (commit 0123456789ab)" in c.text().lower()
    assert "/v0." not in c.text()  # no address of a version that does not exist
    assert c.version_url.endswith("/tree/0123456789abcdef0123")
    assert "2026-11-30" in c.text()


def test_the_released_claim_pattern():
    assert RELEASED_CLAIM.search("Version 1.0.0, released 2027-01-01")
    assert not RELEASED_CLAIM.search("development version, not yet released (commit abc)")
    assert not RELEASED_CLAIM.search("No version has been released yet")


def test_the_release_state_follows_the_tag(tmp_path):
    import subprocess

    from analysis.report import version

    def git(*args):
        subprocess.run(["git", "-C", str(tmp_path), *args], check=True, capture_output=True)

    for name in ("CITATION.cff", "pyproject.toml", "review-metadata.yml"):
        shutil.copy(ROOT / name, tmp_path / name)
    git("init", "-q")
    git("-c", "user.name=t", "-c", "user.email=t@t", "add", ".")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "x")
    assert version.release_at_head(tmp_path) is None and version.latest_release(tmp_path) is None
    assert not citation.load(tmp_path).released
    statement, reference = citation.cite_statement(tmp_path)
    assert "No version has been released yet" in statement and "Development" in reference
    v = version.current(tmp_path)
    git("tag", f"v{v}")
    rel = version.release_at_head(tmp_path)
    assert rel is not None and rel.version == v and rel.date == str(cff()["date-released"])
    assert citation.load(tmp_path).released
    assert f"Version {v}, released" in citation.load(tmp_path).text()
    (tmp_path / "x.txt").write_text("later work")
    git("-c", "user.name=t", "-c", "user.email=t@t", "add", ".")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "y")
    assert version.release_at_head(tmp_path) is None
    statement, reference = citation.cite_statement(tmp_path)
    assert f"Cite the latest release, version {v}" in statement
    assert f"Version {v}, released" in reference and f"/v{v}/" in reference


def test_people_and_declarations_come_from_one_file_and_agree_with_cff():
    meta = yaml.safe_load((ROOT / "review-metadata.yml").read_text(encoding="utf-8"))
    people = citation.people(ROOT)
    names = [citation._author_name(a) for a in cff()["authors"]]
    named = [citation._author_name(a) for a in meta["authors"]]
    assert names == (named or [meta["group_author"]]) or names == [meta["group_author"], *named]
    zen = json.loads((ROOT / ".zenodo.json").read_text(encoding="utf-8"))
    assert [c["name"] for c in zen["creators"]] == names
    heads = [h for h, _ in people.statements()]
    assert heads[:1] == ["Authors"] and {"Conflicts of interest", "Funding"} <= set(heads)
    if not meta["authors"]:  # nobody invented: the page says so plainly
        assert "No named authors yet" in dict(people.statements())["Authors"]
    doi = meta["concept_doi"]
    assert (cff().get("doi") or "") == doi or not cff().get("doi")


def test_named_authors_are_listed_with_their_declarations(tmp_path):
    (tmp_path / "review-metadata.yml").write_text(
        yaml.safe_dump(
            {
                "group_author": "G",
                "authors": [
                    {
                        "family-names": "Doe",
                        "given-names": "Ann",
                        "orcid": "https://orcid.org/0000-0002-1825-0097",
                        "affiliation": "Uni",
                        "contributions": ["Data curation"],
                        "conflicts_of_interest": "None declared.",
                    }
                ],
                "funding": ["Fund X"],
                "concept_doi": "10.5281/zenodo.1",
            }
        )
    )
    s = dict(citation.people(tmp_path).statements())
    assert "Ann Doe (Uni; https://orcid.org/0000-0002-1825-0097)" in s["Authors"]
    assert s["Contributions"] == "Ann Doe: Data curation."
    assert s["Conflicts of interest"] == "Ann Doe: None declared."
    assert s["Funding"] == "Fund X."


def test_a_development_build_publishes_no_release_date_in_its_cff(tmp_path):
    """The site's CITATION.cff of an unreleased build: a development version, no date-released;
    a release's file is the repository's, unchanged."""
    paths = citation.write_downloads(ROOT, tmp_path / "dev", **DEV)
    dev = yaml.safe_load(next(p for p in paths if p.name == "CITATION.cff").read_text())
    assert "date-released" not in dev
    assert dev["version"] == "0.1.0.dev0+0123456789ab".replace("0.1.0", str(cff()["version"]))
    source = (ROOT / "CITATION.cff").read_text(encoding="utf-8")
    c = citation.load(ROOT, released=True)
    assert citation.cff_for_build(source, c) == source
