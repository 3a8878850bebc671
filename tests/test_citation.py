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

ROOT = Path(__file__).resolve().parents[1]
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
    bib = citation.bibtex(ROOT)
    key = "ivig_living_review_v" + str(doc["version"]).replace(".", "_")
    assert bib.startswith("@misc{" + key + ",")
    assert bib.count("{") == bib.count("}")
    assert f"version = {{{doc['version']}}}" in bib
    assert f"year = {{{str(doc['date-released'])[:4]}}}" in bib
    assert f"/v{doc['version']}/}}" in bib  # the version's permanent address


def test_ris():
    doc = cff()
    lines = citation.ris(ROOT).splitlines()
    assert lines[0] == "TY  - DATA" and lines[-1] == "ER  - "
    assert all(re.fullmatch(r"[A-Z][A-Z0-9]  - .*", line) for line in lines)
    assert f"ET  - {doc['version']}" in lines
    assert "TI  - " + doc["title"] in lines


def test_highwire_meta_and_quarto_citation_agree():
    doc = cff()
    tags = citation.highwire_meta(ROOT, pdf_url="https://example.org/review.pdf")
    names = [n for n, _ in tags]
    assert all(n.startswith("citation_") for n in names)
    assert dict(tags)["citation_title"] == doc["title"]
    assert names.count("citation_author") == len(doc["authors"])
    date = str(doc["date-released"]).replace("-", "/")
    assert ("citation_publication_date", date) in tags
    assert ("citation_pdf_url", "https://example.org/review.pdf") in tags
    q = citation.quarto_citation(ROOT)
    assert q["title"] == doc["title"] and q["version"] == str(doc["version"])
    assert q["issued"] == str(doc["date-released"])
    assert dict(tags)["citation_fulltext_html_url"] == q["url"]


def test_formats_follow_a_version_change(tmp_path):
    shutil.copy(ROOT / "CITATION.cff", tmp_path / "CITATION.cff")
    text = (tmp_path / "CITATION.cff").read_text(encoding="utf-8")
    text = re.sub(r"(?m)^version: .*$", "version: 9.8.7", text)
    text = re.sub(r"(?m)^date-released: .*$", 'date-released: "2031-02-03"', text)
    (tmp_path / "CITATION.cff").write_text(text, encoding="utf-8")
    assert "version = {9.8.7}" in citation.bibtex(tmp_path)
    assert "DA  - 2031/02/03" in citation.ris(tmp_path)
    assert ("citation_publication_date", "2031/02/03") in citation.highwire_meta(tmp_path)
    assert "Version 9.8.7, released 2031-02-03" in citation.load(tmp_path).text()


def test_missing_cff_is_a_user_error(tmp_path):
    from analysis.errors import UserError

    with pytest.raises(UserError, match="CITATION.cff"):
        citation.load(tmp_path)


def test_write_downloads(tmp_path):
    paths = citation.write_downloads(ROOT, tmp_path / "cite")
    assert sorted(p.name for p in paths) == ["CITATION.cff", "citation.bib", "citation.ris"]
    assert (tmp_path / "cite" / "citation.bib").read_text() == citation.bibtex(ROOT)
    assert (tmp_path / "cite" / "citation.ris").read_text() == citation.ris(ROOT)
    assert not list((tmp_path / "cite").glob(".*.tmp"))
