"""The reference material the conformance tests read is the project's own.

Parametrised conformance tests over an empty folder would pass vacuously; this test fails
loudly instead when the metafor reference sets (``tests/fixtures/metafor``) are missing or
incomplete. And nothing the tests or the workflows read may lie outside the repository: a
fresh clone (or a fork's CI) must pass with no ``../shared`` beside it.
"""

import re
from pathlib import Path

from tests.reference import REFERENCE_DIR, load_json, names

ROOT = Path(__file__).resolve().parents[1]


def test_reference_sets_present():
    found = names()
    assert len(found) >= 10, f"expected the metafor reference sets in {REFERENCE_DIR}"
    assert {"bcg", "edge_k2", "edge_zero_cells"} <= set(found)
    assert REFERENCE_DIR.is_relative_to(ROOT)


def test_reference_sets_say_how_they_were_made():
    """The README and the R script that regenerates the sets travel with them."""
    assert (REFERENCE_DIR / "README.md").is_file()
    script = (REFERENCE_DIR / "make_reference.R").read_text(encoding="utf-8")
    assert "library(metafor)" in script
    assert 'METAFOR_VERSION <- "3.8-1"' in script  # the script refuses another version
    for name in names():
        data = load_json(name)
        assert data["metafor_version"] == "3.8.1" and "conventions" in data, name


#: a path outside the repository: the team's shared folder, or a second checkout
_OUTSIDE = re.compile(
    r"IVIG_SHARED|SHARED_REPOSITORY|parents\[1\]\.parent|[/\"']\.\./shared|/ \"shared\""
)


def test_tests_and_workflows_read_nothing_outside_the_repository():
    files = [*ROOT.joinpath("tests").rglob("*.py"), *ROOT.joinpath(".github").rglob("*.yml")]
    here = Path(__file__).resolve()
    offenders = [
        f"{p.relative_to(ROOT)}:{i}"
        for p in files
        if p.resolve() != here
        for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
        if _OUTSIDE.search(line) and "quarto" not in line.lower()
    ]
    assert offenders == []


def test_workflows_check_out_only_this_repository():
    for wf in ROOT.joinpath(".github", "workflows").glob("*.yml"):
        text = wf.read_text(encoding="utf-8")
        assert "repository:" not in text, wf.name
