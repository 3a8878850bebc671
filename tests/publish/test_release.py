"""``python -m analysis release``: checks, the bump of every carrier, the changelog entry."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
import yaml

from analysis.errors import UserError
from analysis.publish.diff import Side, compare
from analysis.publish.release import (
    _pyproject,
    changelog_entries,
    plan,
    release_tags,
    shift_headings,
    suggested_bump,
)
from analysis.report import version
from tests.snapshot import copy_snapshot

ROOT = Path(__file__).resolve().parents[2]
ENV = {
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.org",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.org",
    "GIT_AUTHOR_DATE": "2026-01-02T03:04:05+00:00",
    "GIT_COMMITTER_DATE": "2026-01-02T03:04:05+00:00",
    "PATH": "/usr/bin:/bin",
}


def git(repo: Path, *args: str) -> str:
    proc = subprocess.run(
        ["git", *args], cwd=repo, env={**ENV, "HOME": str(repo)}, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


@pytest.fixture
def repo(tmp_path) -> Path:
    """A project with this repository's version carriers and data, released as v0.1.0."""
    return released_project(tmp_path / "project")


def released_project(r: Path) -> Path:
    """A project at *r* with this repository's version carriers and the snapshot's data,
    committed and tagged v0.1.0 (a git repository of its own)."""
    r.mkdir()
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    (r / "pyproject.toml").write_text(_pyproject(pyproject, "0.1.0", r), encoding="utf-8")
    for name in ("CITATION.cff", ".zenodo.json"):
        shutil.copy(ROOT / name, r / name)
    copy_snapshot(r / "data")
    git(r, "init", "-q", "-b", "main")
    git(r, "add", ".")
    git(r, "commit", "-q", "-m", "v0.1.0")
    git(r, "tag", "v0.1.0")
    return r


def set_count(root: Path, study_id: str, column: str, value: str) -> str:
    """Correct one cell of data/studies.csv; returns the old value."""
    path = root / "data" / "studies.csv"
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    row = next(r for r in rows if r["study_id"] == study_id)
    old, row[column] = row[column], value
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")
    return old


def digest(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".git" not in p.parts
    }


def run_release(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "analysis", "release", *args, "--root", str(root)]
        + ["--integrity-offline", str(ROOT / "tests/fixtures/surveil/clean")],  # no network
        capture_output=True,
        text=True,
        cwd=ROOT,
    )


def test_release_bumps_every_carrier_and_writes_the_changelog(repo):
    old = set_count(repo, "Mendell2001", "ivig_improved", "12")
    assert old == "11"
    proc = run_release(repo, "0.1.1", "--date", "2026-12-01")
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""  # a correction is a patch: no warning
    assert version.current(repo) == "0.1.1"
    cff = yaml.safe_load((repo / "CITATION.cff").read_text(encoding="utf-8"))
    assert cff["version"] == "0.1.1" and cff["date-released"] == "2026-12-01"
    zenodo = json.loads((repo / ".zenodo.json").read_text(encoding="utf-8"))
    assert zenodo["version"] == "0.1.1" and zenodo["publication_date"] == "2026-12-01"
    entry = (repo / "changelog" / "v0.1.1.md").read_text(encoding="utf-8")
    assert entry.startswith("# v0.1.1 (2026-12-01)\n\nChanges since v0.1.0.")
    assert "| Mendell2001 | changed | `ivig_improved`: 11 → 12 |" in entry
    assert "0 trial(s) added, 0 removed, 1 changed" in entry
    assert "IVIG vs placebo" in entry
    # the reader's summary comes first, from the same diff
    new_part = entry[entry.index("## What's new") : entry.index("## Results diff")]
    assert "- Trials corrected (1): Mendell2001." in new_part
    assert re.search(r"- IVIG vs placebo: RR [\d.]+ \(95 % CI .*\) before, RR [\d.]+", new_part)
    # the pyproject edit touched only the version line
    before = (ROOT / "pyproject.toml").read_text(encoding="utf-8").splitlines()
    after = (repo / "pyproject.toml").read_text(encoding="utf-8").splitlines()
    assert [a for a, b in zip(before, after, strict=True) if a != b] == [
        line for line in before if line.startswith("version = ")
    ]
    [e] = changelog_entries(repo)
    assert (e.version, e.date, e.title) == ("0.1.1", "2026-12-01", "v0.1.1 (2026-12-01)")
    assert e.body.startswith("Changes since v0.1.0.")
    assert "### Results diff" in e.body_at(3)


def test_dry_run_writes_nothing(repo):
    set_count(repo, "Mendell2001", "ivig_improved", "12")
    before = digest(repo)
    proc = run_release(repo, "0.2.0", "--dry-run", "--date", "2026-12-01")
    assert proc.returncode == 0, proc.stderr
    assert "dry run: 0.1.0 -> 0.2.0" in proc.stdout
    assert "# v0.2.0 (2026-12-01)" in proc.stdout
    assert digest(repo) == before


def test_first_release_without_tags(tmp_path):
    r = tmp_path / "p"
    r.mkdir()
    (r / "pyproject.toml").write_text('[project]\nname = "x"\nversion = "0.1.0"\n')
    shutil.copy(ROOT / "CITATION.cff", r / "CITATION.cff")
    shutil.copy(ROOT / ".zenodo.json", r / ".zenodo.json")
    copy_snapshot(r / "data")
    git(r, "init", "-q", "-b", "main")
    p = plan(r, "0.1.0", released=date(2026, 11, 30))  # the first release may keep 0.1.0
    assert p.base is None
    assert "First release: every trial and result is new." in p.entry
    assert "trial(s) added, 0 removed, 0 changed" in p.entry


@pytest.mark.parametrize(
    ("new", "message"),
    [
        ("0.1", "semantic version"),
        ("1.0.0-rc1", "semantic version"),
        ("v0.2.0", "without 'v'"),
        ("0.1.0", "not greater than the last release v0.1.0"),
        ("0.0.9", "not greater than the last release"),
    ],
)
def test_refusals(repo, new, message):
    before = digest(repo)
    with pytest.raises(UserError, match=message):
        plan(repo, new)
    proc = run_release(repo, new)
    assert proc.returncode == 2 and proc.stdout == ""
    assert digest(repo) == before


def test_lower_than_current_is_refused(repo):
    (repo / "pyproject.toml").write_text(
        _pyproject((repo / "pyproject.toml").read_text(), "0.3.0", repo)
    )
    with pytest.raises(UserError, match="lower than the current version 0.3.0"):
        plan(repo, "0.2.0")


def test_existing_changelog_entry_is_refused(repo):
    (repo / "changelog").mkdir()
    (repo / "changelog" / "v0.2.0.md").write_text("# v0.2.0\n")
    with pytest.raises(UserError, match="entry already exists"):
        plan(repo, "0.2.0")


def test_release_tags_ignore_other_tags(repo):
    git(repo, "tag", "v0.10.0")
    git(repo, "tag", "v0.9.0")
    git(repo, "tag", "vnext")
    assert [str(t) for t in release_tags(repo)] == ["0.1.0", "0.9.0", "0.10.0"]


def _bundle(est, lo, hi, ids):
    primary = {
        "measure": "RR",
        "k": len(ids),
        "studies": [{"study_id": s} for s in ids],
        "common": {"mh": {"estimate": est, "ci_low": lo, "ci_high": hi}},
        "heterogeneity": {"i2": 0.0},
        "random": {
            "estimate": est,
            "ci_low": lo,
            "ci_high": hi,
            "tau2": 0.0,
            "i2": 0.0,
            "tau2_method": "REML",
            "hk": True,
        },
    }
    return {"comparisons": {"placebo": primary}}


def test_suggested_bump():
    same = _bundle(1.5, 1.1, 2.0, ["A", "B"])
    rows = ({"study_id": "A", "n": "1"}, {"study_id": "B", "n": "2"})
    corrected = ({"study_id": "A", "n": "1"}, {"study_id": "B", "n": "3"})
    added = (*rows, {"study_id": "C", "n": "4"})
    patch = compare(Side("a", same, rows), Side("b", _bundle(1.6, 1.2, 2.1, ["A", "B"]), corrected))
    minor = compare(
        Side("a", same, rows), Side("b", _bundle(1.6, 1.2, 2.1, ["A", "B", "C"]), added)
    )
    major = compare(
        Side("a", same, rows), Side("b", _bundle(1.1, 0.8, 1.5, ["A", "B", "C"]), added)
    )
    assert [suggested_bump(d) for d in (patch, minor, major)] == ["patch", "minor", "major"]


def test_shift_headings_skips_code():
    md = "# A\n\n## B\n\n```\n# not a heading\n```\n#hashtag\n"
    assert shift_headings(md, 1) == "## A\n\n### B\n\n```\n# not a heading\n```\n#hashtag\n"
    assert shift_headings(md, -5).startswith("# A\n\n# B")


def test_pyproject_edit_is_confined_to_the_project_table():
    text = '[tool.x]\nversion = "9.9.9"\n\n[project]\nname = "x"\nversion = "0.1.0"\n[y]\n'
    out = _pyproject(text, "0.2.0", Path("pyproject.toml"))
    assert out == text.replace('version = "0.1.0"', 'version = "0.2.0"')


def test_invalid_data_stops_the_release_before_any_write(repo):
    set_count(repo, "Mendell2001", "ivig_improved", "31")  # more improved than randomised (30)
    before = digest(repo)
    proc = run_release(repo, "0.1.1")
    assert proc.returncode == 2 and proc.stdout == ""
    assert "studies.csv" in proc.stderr and "ivig_improved" in proc.stderr
    assert digest(repo) == before
