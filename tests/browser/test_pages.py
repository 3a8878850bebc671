"""Every page loads cleanly: no console error, no failed request, nothing from another host."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.browser.conftest import PAGES
from tests.browser.harness import DESKTOP, PHONE, ROOT, Reader, is_local, png_size, serve

pytestmark = pytest.mark.slow


def test_the_book_has_the_chapters_of_the_contract():
    assert PAGES[0] == "index.html"
    assert len(PAGES) == len(set(PAGES)) >= 12, PAGES


def test_every_page_was_built(built_site):
    missing = [p for p in PAGES if not (built_site / p).is_file()]
    assert not missing, f"pages missing from the built site: {missing}"


@pytest.mark.parametrize("path", PAGES)
def test_page_loads_without_errors_or_offsite_requests(reader, path):
    reader.goto(path)
    problems = reader.record.problems()
    assert not problems, f"{path}:\n" + "\n".join(problems)
    assert reader.record.requests, "no request recorded"
    assert all(is_local(u) for u in reader.record.requests)
    assert reader.page.title().strip(), f"{path}: empty <title>"
    assert reader.page.locator("main h1").count() >= 1, f"{path}: no <h1> in <main>"


@pytest.mark.parametrize("path", PAGES)
def test_built_site_alone_loads_without_errors(built_reader, path):
    """The build as `analysis preview` (or the CI artifact) serves it, outside a published tree."""
    built_reader.goto(path)
    problems = built_reader.record.problems()
    assert not problems, f"{path}:\n" + "\n".join(problems)


# The detectors themselves: a page that misbehaves in each way is caught.

BAD_PAGE = """<!DOCTYPE html><html lang="en"><head><title>bad</title>
<link rel="stylesheet" href="https://fonts.example.org/css?family=X">
<script src="missing.js"></script></head>
<body><main><h1>bad</h1></main>
<script>console.error("boom"); undefinedFunction();</script></body></html>"""


def test_the_harness_catches_errors_failures_and_offsite_requests(browser, tmp_path):
    (tmp_path / "bad.html").write_text(BAD_PAGE, encoding="utf-8")
    (tmp_path / "good.html").write_text(
        "<!DOCTYPE html><title>good</title><main><h1>good</h1></main>", encoding="utf-8"
    )
    with serve(tmp_path) as url:
        tab = Reader(browser, url)
        try:
            tab.goto("good.html", charts=False)
            assert tab.record.problems() == []
            tab.record.clear()
            tab.goto("bad.html", charts=False)
            record = tab.record
            assert any("boom" in m for m in record.console_errors), record
            assert any("undefinedFunction" in m for m in record.page_errors), record
            assert any("missing.js" in m and "404" in m for m in record.failed), record
            assert record.offsite == ["https://fonts.example.org/css?family=X"]
        finally:
            tab.close()


def test_the_server_gives_each_download_its_content_type(browser, tmp_path):
    expected = {
        "a.json": "application/json",
        "a.csv": "text/csv",
        "a.pdf": "application/pdf",
        "a.js": "text/javascript",
        "a.svg": "image/svg+xml",
        "a.woff2": "font/woff2",
        "a.vl.json": "application/json",
    }
    for name in expected:
        (tmp_path / name).write_bytes(b"x")
    with serve(tmp_path) as url:
        context = browser.new_context()
        try:
            for name, ctype in expected.items():
                r = context.request.get(url + name)
                assert r.status == 200
                assert r.headers["content-type"].split(";")[0] == ctype, name
        finally:
            context.close()


FAILING_TEST = """
def test_fails_on_a_page(reader):
    reader.goto("chapters/one.html", charts=False)
    assert False, "deliberate"
"""


def test_a_failing_browser_test_leaves_screenshots_at_desktop_and_phone_widths(tmp_path):
    """Run a deliberately failing test through this suite's fixtures; check what it saved."""
    site = tmp_path / "site"
    (site / "chapters").mkdir(parents=True)
    page = '<!DOCTYPE html><html lang="en"><title>t</title><main><h1>{}</h1></main></html>'
    (site / "index.html").write_text(page.format("home"), encoding="utf-8")
    (site / "chapters" / "one.html").write_text(page.format("one"), encoding="utf-8")
    (site / "results.json").write_text('{"version": "0.1.0"}', encoding="utf-8")
    (tmp_path / "inner" / "test_inner.py").parent.mkdir()
    (tmp_path / "inner" / "test_inner.py").write_text(FAILING_TEST, encoding="utf-8")
    artifacts = tmp_path / "artifacts"
    env = {
        **os.environ,
        "IVIG_BROWSER_SITE": str(site),
        "IVIG_TEST_ARTIFACTS": str(artifacts),
        "PYTHONPATH": str(ROOT),
    }
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "tests.browser.conftest",
            "--rootdir",
            str(tmp_path / "inner"),
            "-o",
            "addopts=",
            "-p",
            "no:cacheprovider",
            str(tmp_path / "inner" / "test_inner.py"),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "deliberate" in proc.stdout
    shots = {p.name: png_size(p) for p in artifacts.glob("*.png")}
    widths = {name.rsplit("-", 1)[-1]: w for name, (w, _) in shots.items()}
    assert any(n.endswith("-home-desktop.png") for n in shots), shots
    assert any(n.endswith("-home-phone.png") for n in shots), shots
    assert len(shots) == 4, shots  # the page it failed on and the home page, two widths each
    assert widths == {"desktop.png": DESKTOP["width"], "phone.png": PHONE["width"]}, shots


QUARTO_LEG_TEST = """
def test_uses_the_site(built_site):
    assert built_site.is_dir()
"""


def test_without_quarto_the_quarto_leg_is_reported_not_run(tmp_path):
    """No Quarto: the Quarto leg's tests are skipped with the reason and a banner says
    NOT RUN; nothing of that leg is reported as passed."""
    (tmp_path / "inner").mkdir()
    (tmp_path / "inner" / "test_inner.py").write_text(QUARTO_LEG_TEST, encoding="utf-8")
    env = {**os.environ, "IVIG_QUARTO": "none", "IVIG_RENDERERS": "quarto", "PYTHONPATH": str(ROOT)}
    env.pop("IVIG_BROWSER_SITE", None)
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-rs",
            "-p",
            "tests.browser.conftest",
            "--rootdir",
            str(tmp_path / "inner"),
            "-o",
            "addopts=",
            "-p",
            "no:cacheprovider",
            str(tmp_path / "inner" / "test_inner.py"),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    out = proc.stdout
    assert "the QUARTO leg was NOT RUN" in out, out
    assert "Quarto leg NOT RUN: no Quarto" in out and "1 skipped" in out, out
    assert "passed" not in out, out
