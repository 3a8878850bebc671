"""Accessibility: axe-core finds nothing serious, every chart has a text alternative,
the colours have enough contrast."""

from __future__ import annotations

import pytest

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


#: Roles under which Chromium exposes a chart as one named graphic (vega-embed sets
#: ``graphics-document`` on the element it draws into).
CHART_ROLES = {"img", "image", "graphics-document", "graphicsdocument", "figure"}


def _ax_node(page, selector: str) -> dict:
    """Chromium's own accessibility node for ``selector`` (role and computed name)."""
    cdp = page.context.new_cdp_session(page)
    try:
        doc = cdp.send("DOM.getDocument", {"depth": 0})
        node = cdp.send(
            "DOM.querySelector", {"nodeId": doc["root"]["nodeId"], "selector": selector}
        )
        tree = cdp.send(
            "Accessibility.getPartialAXTree", {"nodeId": node["nodeId"], "fetchRelatives": False}
        )
    finally:
        cdp.detach()
    ax = tree["nodes"][0]
    return {
        "role": str(ax.get("role", {}).get("value", "")).lower(),
        "name": str(ax.get("name", {}).get("value", "")),
        "ignored": ax.get("ignored", False),
    }


@pytest.mark.parametrize("path", PAGES)
def test_every_chart_has_a_text_alternative(reader, path):
    reader.goto(path)
    charts = reader.page.locator(".ivig-chart")
    for i in range(charts.count()):
        ident = charts.nth(i).get_attribute("id")
        # a chart drawn in two layouts (wide and stacked) shows one by the page's width:
        # the one hidden at this width is out of everyone's reach, and the data table
        # serves both, beside the pair
        shown, tables = reader.page.evaluate(
            """id => {
                 const el = document.getElementById(id);
                 const pair = el.closest('.ivig-responsive');
                 const scope = pair
                   ? pair.querySelectorAll(':scope > details.chart-data table')
                   : document.querySelectorAll(`#${id} ~ details.chart-data table`);
                 return [el.getClientRects().length > 0, scope.length];
               }""",
            ident,
        )
        if not shown:
            continue
        ax = _ax_node(reader.page, f"#{ident}")
        assert not ax["ignored"], f"{path}: {ident} is hidden from assistive technology"
        assert ax["role"] in CHART_ROLES, f"{path}: {ident} has role {ax['role']!r}"
        assert len(ax["name"].strip()) >= MIN_ALT_CHARS, (
            f"{path}: {ident} has no real text alternative: {ax['name']!r}"
        )
        assert tables == 1, f"{path}: {ident} has no data table beside it"


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
