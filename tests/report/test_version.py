"""One version everywhere: the single source, its carriers and the deterministic stamp."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
import yaml

import analysis
from analysis.errors import UserError
from analysis.report import version

ROOT = Path(__file__).resolve().parents[2]


def git(repo: Path, *args: str, date: str = "2026-03-01T12:00:00+00:00") -> str:
    env = {
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.org",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.org",
        "GIT_AUTHOR_DATE": date,
        "GIT_COMMITTER_DATE": date,
        "PATH": "/usr/bin:/bin",
        "HOME": str(repo),
    }
    out = subprocess.run(["git", *args], cwd=repo, env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def make_project(path: Path, v: str = "2.3.4") -> Path:
    path.mkdir(parents=True, exist_ok=True)
    (path / "pyproject.toml").write_text(f'[project]\nname = "x"\nversion = "{v}"\n')
    return path


def test_all_version_carriers_agree():
    v = version.current(ROOT)
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    zenodo = json.loads((ROOT / ".zenodo.json").read_text(encoding="utf-8"))
    assert version.SEMVER.match(v)
    assert str(cff["version"]) == v
    assert zenodo["version"] == v
    assert analysis.__version__ == v
    assert str(cff["date-released"]) == zenodo["publication_date"]


def test_current_reads_the_given_root(tmp_path):
    assert version.current(make_project(tmp_path, "7.0.1")) == "7.0.1"


def test_current_refuses_a_malformed_version(tmp_path):
    with pytest.raises(ValueError, match="semantic version"):
        version.current(make_project(tmp_path, "1.2"))


@pytest.mark.parametrize("bad", ["1.2", "1.2.3.4", "01.2.3", "1.2.3-rc.1", "", "v", "1.x.3"])
def test_parse_rejects(bad):
    with pytest.raises(ValueError):
        version.parse(bad)


def test_parse_orders_numerically():
    assert version.parse("1.10.0") > version.parse("1.9.9")
    assert version.parse("v2.0.0") == version.Version(2, 0, 0)
    assert version.parse("0.1.0").tag == "v0.1.0"
    assert str(version.parse("3.4.5")) == "3.4.5"


def test_stamp_uses_commit_and_commit_date(tmp_path, monkeypatch):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    repo = make_project(tmp_path / "repo")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "pyproject.toml")
    git(repo, "commit", "-q", "-m", "one", date="2026-03-01T12:00:00+02:00")
    head = git(repo, "rev-parse", "HEAD")
    first = version.stamp(repo)
    assert first == {
        "version": f"2.3.4.dev0+{head[:12]}",  # no tag v2.3.4: a development version
        "release": "2.3.4",
        "released": "false",
        "commit": head,
        "generated": "2026-03-01T10:00:00Z",
    }
    assert version.stamp(repo) == first  # same commit, same stamp: no wall clock
    git(repo, "tag", "v2.3.4")
    released = version.stamp(repo)
    assert released["version"] == "2.3.4" and released["released"] == "true"


def test_source_date_epoch_overrides(tmp_path, monkeypatch):
    repo = make_project(tmp_path / "repo")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    assert version.stamp(repo)["generated"] == "2023-11-14T22:13:20Z"
    for bad in ("yesterday", "abc", "١٢٣", "9" * 40):  # words, Arabic-Indic digits, overflow
        monkeypatch.setenv("SOURCE_DATE_EPOCH", bad)
        with pytest.raises(UserError, match="^SOURCE_DATE_EPOCH must be a number of seconds"):
            version.stamp(repo)


def test_stamp_outside_git(tmp_path, monkeypatch):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    s = version.stamp(make_project(tmp_path / "plain"))
    assert s == {
        "version": "2.3.4.dev0",
        "release": "2.3.4",
        "released": "false",
        "commit": "unknown",
        "generated": "unknown",
    }


def test_stamp_of_this_repository():
    s = version.stamp(ROOT)
    assert re.fullmatch(r"[0-9a-f]{40}", s["commit"])
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", s["generated"])


@pytest.mark.parametrize(
    ("planned", "commit", "released", "expected"),
    [
        ("0.1.0", "0123456789abcdef0123", False, "0.1.0.dev0+0123456789ab"),
        ("0.1.0", "unknown", False, "0.1.0.dev0"),
        ("0.1.0", "0123456789abcdef0123", True, "0.1.0"),
    ],
)
def test_build_version_says_development_until_released(planned, commit, released, expected):
    v = version.build_version(planned, commit, released=released)
    assert v == expected
    assert version.is_release_version(v) is released
