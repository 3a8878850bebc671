"""The results diff sees every data file (issue 25 item 4).

The measured reproducer: five rows in ``certainty.csv`` raised the certainty of IVIG vs
placebo from very low to high, and the comment said "No change in the trial data or in any
pooled result" with a patch bump. Now the comment lists each certainty that changed and
each changed judgement, published figure, search-record key and bibliography field, old ->
new and escaped, under "For a maintainer's review", and the bump is major.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from analysis.publish import diff as diff_mod
from analysis.publish.diff import datafiles
from analysis.publish.diff.bump import bump_and_reason
from tests.hostile.corpus import copy_data

ROOT = Path(__file__).resolve().parents[2]
DOMAINS = ("risk_of_bias", "inconsistency", "indirectness", "imprecision", "publication_bias")
PAYLOAD = "<img src=x onerror=alert(1)> @octocat #12"
AUTHOR = (
    "authors:\n  - family-names: Reviewer\n    given-names: Ann\n"
    "    affiliation: Somewhere\n    contributions: [Formal analysis]\n"
)


def _project(path: Path) -> Path:
    copy_data(path / "data")
    (path / "pyproject.toml").write_bytes((ROOT / "pyproject.toml").read_bytes())
    (path / "review-metadata.yml").write_text(AUTHOR, encoding="utf-8")
    return path


def _no_raw_markup(md: str) -> None:
    for line in md.splitlines():
        line = re.sub(r"</?(?:details|summary)>", "", line)
        assert re.search(r"(?<!\\)<", line) is None, line
        assert re.search(r"@(?!\u200d)[A-Za-z]", line) is None, line
        assert re.search(r"#(?!\u200d)[0-9]", line) is None, line


@pytest.fixture(scope="module")
def certainty_raised(tmp_path_factory):
    base = _project(tmp_path_factory.mktemp("base"))
    head = _project(tmp_path_factory.mktemp("head"))
    rows = "".join(f"placebo,all,{d},not_serious,{PAYLOAD},Ann Reviewer\n" for d in DOMAINS)
    (head / "data" / "certainty.csv").write_text(
        "comparison,disease,domain,rating,rationale,reviewer\n" + rows, encoding="utf-8"
    )
    return diff_mod.compare(diff_mod.load_side(str(base)), diff_mod.load_side(str(head)))


def test_a_certainty_change_is_a_change_of_conclusion(certainty_raised):
    d = certainty_raised
    changes = datafiles.certainty_changes(d.base.bundle, d.head.bundle)
    assert ("placebo", "all", "very_low", "high") in changes
    kind, why = bump_and_reason(d)
    assert kind == "major" and "certainty of IVIG vs placebo, all diseases" in why
    md = d.to_markdown()
    assert "No change in the trial data" not in md
    assert "For a maintainer's review" in md
    assert "**Certainty changed**: IVIG vs placebo, all diseases: very low → high" in md
    judged = [x for x in d.reviews if x.startswith("`data/certainty.csv`")]
    assert len(judged) == 5 and "signed Ann Reviewer" in judged[0]
    _no_raw_markup(md)


def test_an_unnamed_reviewer_cannot_sign(tmp_path):
    from analysis.evidence.validate import validate

    project = _project(tmp_path / "p")
    (project / "data" / "certainty.csv").write_text(
        "comparison,disease,domain,rating,rationale,reviewer\n"
        "placebo,all,imprecision,not_serious,ok,Mallory\n",
        encoding="utf-8",
    )
    errors = [str(p) for p in validate(project / "data").errors]
    assert any(
        ":2:reviewer: not a named author of review-metadata.yml" in e and "(Mallory)" in e
        for e in errors
    ), errors


def _side(label: str, files: dict[str, str]) -> diff_mod.Side:
    return diff_mod.Side(label, {"comparisons": {}}, (), data=files)


def test_published_search_and_bibliography_changes_are_listed_escaped():
    data = ROOT / "data"
    old = datafiles.read_folder(data)
    assert old is not None
    new = dict(old)
    new["published.yaml"] = old["published.yaml"].replace("estimate: 2.40", "estimate: 2.90")
    new["published.yaml"] = new["published.yaml"].replace(
        "source: van Schaik 2002, Lancet Neurology", f"source: '{PAYLOAD}'"
    )
    new["search.yaml"] = old["search.yaml"].replace(
        "last_searched: 2026-11-30", "last_searched: 2026-12-01"
    )
    new["references.bib"] = old["references.bib"].replace(
        "title     = {Randomized controlled trial of {IVIg}",
        "title     = {" + PAYLOAD + " {IVIg}",
    )
    d = diff_mod.compare(_side("base", old), _side("head", new))
    md = d.to_markdown()
    assert "For a maintainer's review" in md and "No change in the trial data" not in md
    assert "`data/published.yaml` `[1].estimate`: 2\\.4 → 2\\.9" in md
    assert "`data/published.yaml` `[2].source`: van Schaik" in md
    assert "`data/search.yaml` `last_searched`: 2026\\-11\\-30 → 2026\\-12\\-01" in md
    assert "`data/references.bib` Mendell2001, title: Randomized" in md
    _no_raw_markup(md)
    assert bump_and_reason(d)[0] == "patch"  # no certainty, trial or conclusion changed


def test_a_new_or_linked_data_file_is_listed(tmp_path):
    data = copy_data(tmp_path / "data")
    old = datafiles.read_folder(data)
    (data / "loop").symlink_to("..")
    (data / "notes.md").write_text(PAYLOAD, encoding="utf-8")
    d = diff_mod.compare(_side("base", old or {}), _side("head", datafiles.read_folder(data) or {}))
    assert "`data/loop` added" in d.reviews and "`data/notes.md` added" in d.reviews
