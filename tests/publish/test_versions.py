"""``python -m analysis assemble``: the versioned published tree and versions.json."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from analysis.errors import UserError
from analysis.publish.versioned_site import assemble, same_tree

ROOT = Path(__file__).resolve().parents[2]


def build_site(path: Path, version: str, commit: str, extra: str = "") -> Path:
    """A small built site in the shape `python -m analysis build` writes."""
    (path / "chapters").mkdir(parents=True)
    (path / "data").mkdir()
    (path / "index.html").write_text(f"<h1>Summary of findings {version}{extra}</h1>")
    (path / "chapters" / "placebo.html").write_text(f"<p>placebo {version}</p>")
    (path / "data" / "studies.csv").write_text(f"study_id,year\nA{version},1990\n")
    (path / "review.pdf").write_bytes(b"%PDF-1.7 " + version.encode())
    results = {
        "version": version,
        "commit": commit,
        "generated": "2026-01-01T00:00:00Z",
        "comparisons": {},
    }
    (path / "results.json").write_text(json.dumps(results))
    return path


def digest(tree: Path) -> dict[str, str]:
    return {
        str(p.relative_to(tree)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(tree.rglob("*"))
        if p.is_file()
    }


def test_three_successive_versions(tmp_path):
    pub = tmp_path / "published"
    seen: dict[str, dict[str, str]] = {}
    for i, v in enumerate(["0.9.0", "0.10.0", "1.0.0"]):
        site = build_site(tmp_path / f"site{i}", v, str(i) * 40)
        data = assemble(pub, site, v, latest=True)
        assert same_tree(site, pub / f"v{v}")
        for old, files in seen.items():  # earlier releases stay byte-identical
            assert digest(pub / f"v{old}") == files
        seen[v] = digest(pub / f"v{v}")
        assert data["latest"]["version"] == v and data["latest"]["path"] == "./"
        assert (pub / "index.html").read_text() == f"<h1>Summary of findings {v}</h1>"
    manifest = json.loads((pub / "versions.json").read_text())
    assert [e["version"] for e in manifest["versions"]] == ["1.0.0", "0.10.0", "0.9.0"]
    assert manifest["versions"][1] == {
        "version": "0.10.0",
        "path": "v0.10.0/",
        "commit": "1" * 40,
        "generated": "2026-01-01T00:00:00Z",
    }
    assert manifest["latest"]["commit"] == "2" * 40
    assert (pub / ".nojekyll").exists()


def test_republishing_the_same_bytes_is_a_no_op(tmp_path):
    pub = tmp_path / "pub"
    site = build_site(tmp_path / "s", "1.0.0", "a" * 40)
    assemble(pub, site, "1.0.0")
    before = digest(pub)
    assemble(pub, site, "1.0.0")
    assert digest(pub) == before


def test_a_released_version_is_never_overwritten(tmp_path):
    pub = tmp_path / "pub"
    assemble(pub, build_site(tmp_path / "a", "1.0.0", "a" * 40), "1.0.0")
    before = digest(pub)
    with pytest.raises(UserError, match="already published with different content"):
        assemble(pub, build_site(tmp_path / "b", "1.0.0", "a" * 40, extra="!"), "1.0.0")
    assert digest(pub) == before


def test_latest_replaces_the_root_but_keeps_versions(tmp_path):
    pub = tmp_path / "pub"
    assemble(pub, build_site(tmp_path / "a", "1.0.0", "a" * 40), "1.0.0", latest=True)
    (pub / "stale.html").write_text("from an older main build")
    kept = digest(pub / "v1.0.0")
    site = build_site(tmp_path / "b", "1.1.0", "b" * 40)
    data = assemble(pub, site, latest=True)  # a push to main: no new release
    assert not (pub / "stale.html").exists()
    assert digest(pub / "v1.0.0") == kept
    assert [e["version"] for e in data["versions"]] == ["1.0.0"]
    assert data["latest"]["version"] == "1.1.0"
    assert not list(pub.glob(".*.partial"))


def test_version_must_match_the_built_site(tmp_path):
    site = build_site(tmp_path / "s", "1.0.0", "a" * 40)
    with pytest.raises(UserError, match="version is 1.0.0, not 1.0.1"):
        assemble(tmp_path / "pub", site, "1.0.1")


@pytest.mark.parametrize("bad", ["1.0", "v1.0.0.0", "latest", "1.0.0-beta"])
def test_bad_version_is_refused(tmp_path, bad):
    site = build_site(tmp_path / "s", "1.0.0", "a" * 40)
    with pytest.raises(UserError, match="--version"):
        assemble(tmp_path / "pub", site, bad)


def test_cli(tmp_path):
    site = build_site(tmp_path / "_site", "2.0.0", "c" * 40)
    env = {"PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-m", "analysis", "assemble", "--published", "pub", "--site", str(site)]
    ok = subprocess.run(
        [*cmd, "--version", "2.0.0"], cwd=tmp_path, capture_output=True, text=True, env=env
    )
    assert ok.returncode == 0, ok.stderr
    assert "releases 2.0.0" in ok.stdout
    none = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, env=env)
    assert none.returncode == 2 and none.stdout == ""
    assert "nothing to do" in none.stderr
    missing = subprocess.run(
        [*cmd[:-1], "nowhere", "--latest"], cwd=tmp_path, capture_output=True, text=True, env=env
    )
    assert missing.returncode == 2 and "no built site" in missing.stderr


def test_absolute_urls_from_the_site_address(tmp_path):
    pub = tmp_path / "pub"
    site = build_site(tmp_path / "s", "1.2.0", "d" * 40)
    data = assemble(pub, site, "1.2.0", latest=True, base_url="https://example.org/review")
    assert data["versions"][0]["url"] == "https://example.org/review/v1.2.0/"
    assert data["latest"]["url"] == "https://example.org/review/"
    on_disk = json.loads((pub / "versions.json").read_text())
    assert on_disk == data


def test_site_url_reads_citation_cff(tmp_path):
    from analysis.publish.versioned_site import site_url

    (tmp_path / "CITATION.cff").write_text('title: x\nurl: "https://example.org/r"\n')
    assert site_url(tmp_path) == "https://example.org/r/"
    assert site_url(tmp_path / "nowhere") is None
