"""Accessibility: axe-core finds nothing serious, every chart has a text alternative,
the colours have enough contrast."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PAGES
from tests.browser.harness import AXE_JS, describe_violations, run_axe, serve

pytestmark = pytest.mark.slow

#: A text alternative shorter than this is a label, not a description of the chart.
MIN_ALT_CHARS = 30


def test_axe_core_is_the_pinned_version():
    head = AXE_JS.read_text(encoding="utf-8")[:400]
    assert "axe v4.14.1" in head, head[:200]


@pytest.mark.parametrize("path", PAGES)
def test_axe_finds_no_serious_or_critical_violation(reader, path):
    reader.goto(path)
    violations = [v for v in run_axe(reader.page) if v["impact"] in ("serious", "critical")]
    assert not violations, f"{path}:\n{describe_violations(violations)}"


@pytest.mark.parametrize("path", PAGES)
def test_colour_contrast_passes(reader, path):
    reader.goto(path)
    # the sidebar's menu on narrow screens and the data tables under charts are closed
    # <details>; open them so their text is checked too
    reader.page.evaluate("() => document.querySelectorAll('details').forEach(d => d.open = true)")
    violations = run_axe(reader.page, rules=["color-contrast"])
    assert not violations, f"{path}:\n{describe_violations(violations)}"


@pytest.mark.parametrize("path", PAGES)
def test_every_chart_has_a_text_alternative(reader, path):
    reader.goto(path)
    charts = reader.page.locator(".ivig-chart")
    for i in range(charts.count()):
        chart = charts.nth(i)
        ident = chart.get_attribute("id")
        expect(chart).to_have_role("img")
        name = chart.get_attribute("aria-label") or ""
        expect(chart).to_have_accessible_name(name)
        assert len(name.strip()) >= MIN_ALT_CHARS, f"{path}: {ident} alt text too short: {name!r}"
        table = reader.page.locator(f"#{ident} ~ details.chart-data table")
        assert table.count() == 1, f"{path}: {ident} has no data table beside it"


def test_axe_catches_what_it_should(browser, tmp_path):
    """The injected axe-core reports a low-contrast text and an image without alt text."""
    from tests.browser.harness import Reader

    (tmp_path / "bad.html").write_text(
        '<!DOCTYPE html><html lang="en"><title>bad</title><main><h1>bad</h1>'
        '<p style="color:#aaa;background:#fff">faint</p><img src="x.svg"></main></html>',
        encoding="utf-8",
    )
    (tmp_path / "x.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"/>', encoding="utf-8"
    )
    with serve(tmp_path) as url:
        tab = Reader(browser, url)
        try:
            tab.goto("bad.html", charts=False)
            found = {v["id"] for v in run_axe(tab.page)}
            assert {"color-contrast", "image-alt"} <= found, found
        finally:
            tab.close()
