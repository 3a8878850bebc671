"""``python -m analysis build`` and ``preview`` on a fixture project: a complete site,
deterministic, replaced atomically, and untouched when a chapter or the data is broken."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path

import pandas as pd
import pypdf
import pytest

from analysis.publish.build import BuildError, build, offsite_references
from analysis.publish.preview import make_server

FIXTURE = Path(__file__).parents[1] / "fixtures" / "render" / "book"
ROOT = Path(__file__).resolve().parents[2]


def _validate(root: Path) -> int:
    """The fixture's data step: its CSV must have non-negative counts."""
    frame = pd.read_csv(root / "data" / "studies.csv")
    if (frame["events"] < 0).any():
        raise BuildError(f"{root / 'data' / 'studies.csv'}: events must be >= 0")
    return len(frame)


def _bundle(root: Path, out: Path) -> None:
    """The fixture's results: totals of its CSV and the build stamp from the environment."""
    frame = pd.read_csv(root / "data" / "studies.csv")
    payload = {
        "version": os.environ["IVIG_VERSION"],
        "commit": os.environ["IVIG_COMMIT"],
        "generated": os.environ["IVIG_GENERATED"],
        "events": int(frame["events"].sum()),
    }
    (out / "results.json").write_text(json.dumps(payload, sort_keys=True) + "\n")


def _project(tmp: Path) -> Path:
    root = tmp / "project"
    shutil.copytree(FIXTURE, root)
    return root


def _digest(tree: Path) -> dict[str, str]:
    return {
        str(p.relative_to(tree)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(tree.rglob("*"))
        if p.is_file()
    }


def _build(root: Path, dest: Path) -> Path:
    return build(
        root, dest, engine="embedded", validate=_validate, bundle=_bundle, progress=lambda _m: None
    )


@pytest.fixture
def epoch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1764045180")  # 2025-11-25T04:33:00Z


@pytest.mark.slow
def test_build_writes_a_complete_deterministic_site(tmp_path: Path, epoch: None) -> None:
    root = _project(tmp_path)
    dest = root / "_site"
    _build(root, dest)
    for rel in [
        "index.html",
        "chapters/one.html",
        "chapters/two.html",
        "fixture-book.pdf",
        "results.json",
        "data/studies.csv",
        "charts/fixture-bars.vl.json",
        "analysis/assets/site.css",
        "analysis/assets/vega/vega-bundle.min.js",
        "analysis/assets/vega/LICENSE.md",  # the vendored libraries' BSD notice ships too
    ]:
        assert (dest / rel).is_file(), rel
    assert (dest / "data/studies.csv").read_bytes() == (root / "data/studies.csv").read_bytes()
    results = json.loads((dest / "results.json").read_text())
    assert results["events"] == 15 and results["generated"] == "2025-11-25T04:33:00Z"
    pdf = pypdf.PdfReader(io.BytesIO((dest / "fixture-book.pdf").read_bytes()))
    first = pdf.pages[0].extract_text()
    assert f"Version {results['version']}" in first and "25 November 2025" in first
    assert offsite_references(dest) == []
    # the version menu's file is there (no 404 when the site is served as built)
    menu = json.loads((dest / "versions.json").read_text())
    assert menu["latest"]["version"] == results["version"] and menu["latest"]["path"] == "./"
    assert menu["versions"] == []
    assert not list(root.glob("_site.*")), "the temporary directory is gone"
    # the same sources give the same bytes
    first_digest = _digest(dest)
    _build(root, dest)
    assert _digest(dest) == first_digest


@pytest.mark.slow
def test_a_broken_chapter_fails_and_keeps_the_previous_site(tmp_path: Path, epoch: None) -> None:
    root = _project(tmp_path)
    dest = root / "_site"
    _build(root, dest)
    before = _digest(dest)
    two = root / "chapters" / "two.qmd"
    two.write_text(
        two.read_text() + "\n```{python}\n#| label: oops\nraise ValueError('bad')\n```\n"
    )
    with pytest.raises(BuildError) as info:
        _build(root, dest)
    msg = str(info.value)
    assert "chapters/two.qmd:" in msg and "cell 'oops'" in msg and "ValueError: bad" in msg
    assert _digest(dest) == before
    assert not list(root.glob("_site.*"))


@pytest.mark.slow
def test_cli_exits_non_zero_on_bad_data_and_keeps_the_site(tmp_path: Path) -> None:
    root = _project(tmp_path)
    shutil.rmtree(root / "data")
    shutil.copytree(ROOT / "data", root / "data")
    path = root / "data" / "studies.csv"
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    col = rows[0].index("ivig_total")
    row = next(r for r in rows[1:] if r[col].strip().isdigit())
    row[col] = "-5"
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)
    dest = root / "_site"
    dest.mkdir()
    (dest / "index.html").write_text("previous site")
    proc = subprocess.run(
        [sys.executable, "-m", "analysis", "build", "--root", str(root), "--engine", "embedded"],
        capture_output=True,
        text=True,
        cwd=root,
        timeout=300,
    )
    assert proc.returncode != 0
    assert "studies.csv" in proc.stderr and "ivig_total" in proc.stderr and proc.stdout == ""
    assert (dest / "index.html").read_text() == "previous site"
    assert not list(root.glob("_site.*"))


def test_preview_serves_the_site_on_localhost(tmp_path: Path) -> None:
    site = tmp_path / "_site"
    (site / "data").mkdir(parents=True)
    (site / "index.html").write_text("<!DOCTYPE html><title>x</title>")
    (site / "data" / "studies.csv").write_text("a,b\n1,2\n")
    server = make_server(site, port=0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        host, port = server.server_address[:2]
        assert host == "127.0.0.1"
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/") as resp:
            assert resp.status == 200 and b"<title>x</title>" in resp.read()
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/data/studies.csv") as resp:
            assert resp.headers["Content-Type"].startswith("text/csv")
    finally:
        server.shutdown()
        server.server_close()


def test_preview_refuses_a_missing_site(tmp_path: Path) -> None:
    from analysis.errors import UserError

    with pytest.raises(UserError, match="no index.html"):
        make_server(tmp_path / "nothing")


def test_offsite_references_are_found(tmp_path: Path) -> None:
    (tmp_path / "a.html").write_text(
        '<script src="https://cdn.example/x.js"></script><link rel="stylesheet" '
        'href="//fonts.example/f.css"><link rel="canonical" href="https://example.org/a">'
        '<a href="https://example.org">a link is fine</a><script src="local.js"></script>'
    )
    (tmp_path / "b.css").write_text('@import url("https://fonts.example/g.css");')
    assert offsite_references(tmp_path) == [
        "a.html: https://cdn.example/x.js",
        "a.html: //fonts.example/f.css",
        "b.css: https://fonts.example/g.css",
    ]


_FAKE_QUARTO = r"""#!/bin/sh
# Stands in for Quarto 1.8 (which cannot be installed here): records its arguments and
# the metadata file the build wrote, and writes a page with the CDN scripts that Quarto
# adds to pages with Jupyter HTML output.
if [ "$1" = "--version" ]; then echo 1.8.27; exit 0; fi
src="$2"; out="$4"
mkdir -p "$out"
cp "$src/_version.yml" "$out/version-meta.yml"
echo "$@" > "$out/args.txt"
cat > "$out/index.html" <<'HTML'
<html><head>
<script src="https://cdn.jsdelivr.net/npm/requirejs@2.3.6/require.min.js" integrity="sha384-x" crossorigin="anonymous"></script>
<script src="https://cdn.jsdelivr.net/npm/jquery@3.5.1/dist/jquery.min.js" integrity="sha384-y" crossorigin="anonymous" data-relocate-top="true"></script>
<script type="application/javascript">define('jquery', [],function() {return window.jQuery;})</script>
</head><body>page</body></html>
HTML
"""  # noqa: E501


@pytest.mark.slow
def test_quarto_path_strips_cdn_scripts_and_makes_the_pdf_before_quarto_1_9(
    tmp_path: Path, epoch: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    import yaml

    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "quarto"
    fake.write_text(_FAKE_QUARTO)
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    root = _project(tmp_path)
    dest = root / "_site"
    build(root, dest, engine="auto", validate=_validate, bundle=_bundle, progress=lambda _m: None)
    args = (dest / "args.txt").read_text().split()
    assert args[0] == "render" and args[-2:] == ["--to", "html"]
    # one kernel per chapter serves both formats (Quarto's kernel daemon)
    assert args[args.index("--execute-daemon") + 1].isdigit()
    assert Path(args[1]) != root, "Quarto renders a staged copy, not the working tree"
    page = (dest / "index.html").read_text()
    assert "cdn.jsdelivr" not in page and "define('jquery'" not in page and "page" in page
    assert offsite_references(dest) == []
    meta = yaml.safe_load((dest / "version-meta.yml").read_text())
    version = json.loads((dest / "results.json").read_text())["version"]
    assert meta["version"] == version
    # the fixture has no CITATION.cff, so no release status: the plain version line
    footer = meta["book"]["page-footer"]["center"]
    assert footer.startswith(f"Version {version}") and " · built from commit " in footer
    # the title page's lines, as Markdown that reads literally (_typst/typst-show.typ)
    title_page = {k: re.sub(r"\\(.)", r"\1", v) for k, v in meta["ivig-title-page"].items()}
    assert title_page["cite"].startswith("Cite as: Test Author. Fixture Book.")
    assert title_page["version"] == f"Version {version} · Built 25 November 2025"
    assert title_page["doi"] == "DOI not yet assigned"
    pdf = pypdf.PdfReader(io.BytesIO((dest / "fixture-book.pdf").read_bytes()))
    assert "Cite as:" in pdf.pages[0].extract_text()
    assert (dest / "analysis/assets/vega/vega-bundle.min.js").is_file()
    assert not (root / "_version.yml").exists(), "the working tree is not written to"


_CFF = """cff-version: 1.2.0
message: Cite this version.
type: dataset
title: "Fixture review"
authors:
  - name: Fixture contributors
version: 9.8.7
date-released: "2025-11-20"
license: MIT
repository-code: "https://github.com/example/fixture"
url: "https://example.org/fixture/"
"""


@pytest.mark.slow
def test_citation_file_feeds_meta_tags_downloads_and_the_pdf(tmp_path: Path, epoch: None) -> None:
    from analysis.report import citation

    root = _project(tmp_path)
    (root / "CITATION.cff").write_text(_CFF)
    dest = root / "_site"
    # outside a release (no tag at HEAD) the build calls itself a development version
    _build(root, dest)
    page = (dest / "chapters" / "one.html").read_text()
    # its PDF is the one the site's root serves, never a versioned address
    assert (
        '<meta name="citation_pdf_url" content="https://example.org/fixture/fixture-book.pdf">'
    ) in page
    assert "/v9.8.7/" not in page and "Development version, not yet released" in page
    first = pypdf.PdfReader(io.BytesIO((dest / "fixture-book.pdf").read_bytes())).pages[0]
    assert "Development version, not yet released" in " ".join(first.extract_text().split())
    # tagged: a release, with its version's permanent addresses
    (root / "pyproject.toml").write_text('[project]\nname = "fixture"\nversion = "9.8.7"\n')
    for args in (("init", "-q"), ("add", "."), ("commit", "-qm", "fixture"), ("tag", "v9.8.7")):
        subprocess.run(
            ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-C", str(root), *args],
            check=True,
            capture_output=True,
        )
    _build(root, dest)
    page = (dest / "chapters" / "one.html").read_text()
    assert '<meta name="citation_title" content="Fixture review">' in page
    assert '<meta name="citation_author" content="Fixture contributors">' in page
    assert (
        '<meta name="citation_pdf_url" '
        'content="https://example.org/fixture/v9.8.7/fixture-book.pdf">'
    ) in page
    assert (dest / "citation.bib").read_text() == citation.bibtex(root)
    assert (dest / "citation.ris").is_file() and (dest / "CITATION.cff").is_file()
    first = pypdf.PdfReader(io.BytesIO((dest / "fixture-book.pdf").read_bytes())).pages[0]
    text = " ".join(first.extract_text().split())
    assert "Cite as: Fixture contributors (2025). Fixture review. Version 9.8.7" in text
