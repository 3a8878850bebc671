"""Wide content at every width (issue 21): at 1280, 768 and 375 px no summary-of-findings
table or forest plot is wider than its container or needs a sideways scroll to show a
column; at 375 px every forest's intervals are on the screen; chart text is at least 14 px;
on a phone no page scrolls sideways."""

from __future__ import annotations

import pytest

from tests.browser.conftest import PAGES, _tab
from tests.browser.harness import PHONE

pytestmark = pytest.mark.slow

COMPARISON_PAGES = [
    "chapters/placebo.html",
    "chapters/plasma-exchange.html",
    "chapters/corticosteroids.html",
]
#: Smallest text in a chart, in CSS pixels as drawn (after any scaling of the SVG): the
#: body's size is 16 px; 14 px is the floor for any chart text
MIN_CHART_TEXT_PX = 14
#: the widths a panel and a researcher read at: desktop, tablet, phone
WIDTHS = (1280, 768, 375)

#: The elements that stick out to the right of the viewport (for the failure message).
OVERFLOW_JS = """
() => {
  const w = document.documentElement.clientWidth;
  return Array.from(document.querySelectorAll('body *'))
    .filter(el => el.getBoundingClientRect().right > w + 0.5)
    .filter(el => !el.parentElement || el.parentElement.getBoundingClientRect().right <= w + 0.5)
    .slice(0, 8)
    .map(el => {
      const cls = typeof el.className === 'string' && el.className.trim()
        ? '.' + el.className.trim().split(/\\s+/).join('.') : '';
      const id = el.id ? '#' + el.id : '';
      const right = Math.round(el.getBoundingClientRect().right);
      return `${el.tagName.toLowerCase()}${id}${cls} right=${right}`;
    });
}
"""

#: For each forest plot: its drawn box, and each text's box and drawn font size.
FOREST_JS = """
() => Array.from(document.querySelectorAll(
    '.ivig-chart[id^="chart-forest-"], .ivig-chart[id^="chart-stacked-forest-"]'))
  .filter(el => el.offsetParent !== null)  // the layout shown at this width
  .map(el => {
  const svg = el.querySelector('svg');
  const box = svg.getBoundingClientRect();
  const scale = box.width / (svg.width.baseVal.value || box.width);
  const pane = el.getBoundingClientRect();
  const scrolls = el.scrollWidth > el.clientWidth + 0.5 &&
    ['auto', 'scroll'].includes(getComputedStyle(el).overflowX);
  const texts = Array.from(svg.querySelectorAll('text')).filter(t => t.textContent.trim());
  return {
    id: el.id, scrolls: scrolls, pane_left: pane.left, pane_right: pane.right,
    left: box.left, right: box.right, width: box.width,
    texts: texts.map(t => {
      const b = t.getBoundingClientRect();
      return {text: t.textContent, left: b.left, right: b.right,
              px: parseFloat(getComputedStyle(t).fontSize) * scale};
    }),
  };
})
"""


@pytest.mark.parametrize("path", PAGES)
def test_no_page_scrolls_sideways_on_a_phone(phone_reader, path):
    phone_reader.goto(path)
    page = phone_reader.page
    assert page.viewport_size["width"] == PHONE["width"]
    scroll_width, client_width = page.evaluate(
        "() => [document.scrollingElement.scrollWidth, document.scrollingElement.clientWidth]"
    )
    assert scroll_width <= client_width, (
        f"{path} at {PHONE['width']} px scrolls sideways ({scroll_width} > {client_width}); "
        f"sticking out: {page.evaluate(OVERFLOW_JS)}"
    )


@pytest.mark.parametrize("path", COMPARISON_PAGES)
def test_forest_plot_is_readable_on_a_phone(phone_reader, path):
    phone_reader.goto(path)
    page = phone_reader.page
    width = page.evaluate("() => document.documentElement.clientWidth")
    for forest in page.evaluate(FOREST_JS):
        ident = forest["id"]
        if forest["scrolls"]:
            # a RevMan-style plot wider than the phone scrolls inside its own pane: the pane
            # stays on the screen and every text is reached by scrolling, none is clipped
            assert forest["pane_left"] >= -0.5 and forest["pane_right"] <= width + 0.5
            assert not [t for t in forest["texts"] if t["left"] < forest["left"] - 0.5]
            assert not [t for t in forest["texts"] if t["right"] > forest["right"] + 0.5]
            assert not [t for t in forest["texts"] if t["px"] < MIN_CHART_TEXT_PX - 0.01]
            continue
        assert forest["left"] >= -0.5 and forest["right"] <= width + 0.5, (
            f"{path}: {ident} spans {forest['left']:.0f}..{forest['right']:.0f} px, "
            f"wider than the {width} px screen"
        )
        assert forest["width"] >= 0.8 * (width - 40), (
            f"{path}: {ident} is only {forest['width']:.0f} px wide on a {width} px screen"
        )
        assert forest["texts"], f"{path}: {ident} has no text (labels, axis)"
        small = [t for t in forest["texts"] if t["px"] < MIN_CHART_TEXT_PX - 0.01]
        assert not small, f"{path}: {ident} has text under {MIN_CHART_TEXT_PX} px: " + ", ".join(
            f"{t['text']!r} ({t['px']:.1f} px)" for t in small[:5]
        )
        cut = [t for t in forest["texts"] if t["left"] < -0.5 or t["right"] > width + 0.5]
        assert not cut, f"{path}: {ident} text cut off by the screen edge: " + ", ".join(
            repr(t["text"]) for t in cut[:5]
        )


def test_chapter_menu_opens_on_a_phone_and_reaches_a_chapter(phone_reader, ui):
    phone_reader.goto("index.html", charts=False)
    page = phone_reader.page
    visible = page.locator(ui["phone_links"])
    assert visible.count() == 0, "chapter links shown before the phone menu was opened"
    page.locator(ui["phone_menu"]).first.click()
    page.wait_for_timeout(600)  # Quarto's sidebar slides in
    links = page.locator(ui["phone_links"])
    assert links.count() == len(PAGES), f"{links.count()} chapter links for {len(PAGES)} pages"
    last = links.nth(len(PAGES) - 1)
    box = last.bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"] + 0.5
    last.click()
    page.wait_for_load_state("load")
    assert page.url.endswith(PAGES[-1])
    assert phone_reader.record.problems() == []


@pytest.fixture(params=WIDTHS, ids=[f"{w}px" for w in WIDTHS])
def sized_reader(request, browser, base_url):
    """A fresh tab at each of :data:`WIDTHS` (900 px high)."""
    yield from _tab(request, browser, base_url, {"width": request.param, "height": 900})


#: Every shown summary-of-findings table and forest plot: its box, its container's box,
#: whether it needs a sideways scroll, and (forests) its marks' and texts' boxes and sizes.
WIDE_JS = """
() => {
  const vw = document.documentElement.clientWidth;
  const shown = el => el.offsetParent !== null;
  const box = el => {
    const r = el.getBoundingClientRect();
    return {left: r.left, right: r.right};
  };
  const out = {vw: vw, page: document.scrollingElement.scrollWidth, items: []};
  for (const el of document.querySelectorAll('main .sof-cards')) {
    if (!shown(el)) continue;
    out.items.push({kind: 'summary of findings', box: box(el), parent: box(el.parentElement),
                    scrolls: el.scrollWidth > el.clientWidth + 1, marks: [], texts: []});
  }
  for (const el of document.querySelectorAll('main .ivig-responsive > div')) {
    if (!shown(el)) continue;
    const svg = el.querySelector('svg');
    const scale = svg ? svg.getBoundingClientRect().width / (svg.width.baseVal.value || 1) : 1;
    const pane = el.querySelector('.ivig-chart');
    out.items.push({
      kind: el.className + ' ' + (pane ? pane.id : ''),
      box: svg ? box(svg) : box(el), parent: box(el.parentElement),
      scrolls: !!pane && pane.scrollWidth > pane.clientWidth + 1,
      marks: svg ? Array.from(svg.querySelectorAll(
        'g.mark-rule path, g.mark-rule line, g.mark-symbol path, g.mark-area path'))
        .map(box) : [],
      texts: svg ? Array.from(svg.querySelectorAll('text')).filter(t => t.textContent.trim())
        .map(t => ({text: t.textContent,
                    px: parseFloat(getComputedStyle(t).fontSize) * scale})) : [],
    });
  }
  return out;
}
"""


@pytest.mark.parametrize("path", COMPARISON_PAGES)
def test_wide_content_fits_its_column_at_every_width(sized_reader, path):
    sized_reader.goto(path)
    page = sized_reader.page
    got = page.evaluate(WIDE_JS)
    vw = got["vw"]
    assert got["page"] <= vw, f"{path} at {vw} px: the page scrolls sideways"
    assert got["items"], f"{path} at {vw} px: neither a summary of findings nor a forest plot"
    for item in got["items"]:
        what = f"{path} at {vw} px: {item['kind']}"
        assert not item["scrolls"], f"{what} needs a sideways scroll"
        assert item["box"]["right"] <= item["parent"]["right"] + 1, (
            f"{what} is wider than its column"
        )
        assert item["box"]["right"] <= vw + 0.5 and item["box"]["left"] >= -0.5, what
        small = [t for t in item["texts"] if t["px"] < MIN_CHART_TEXT_PX - 0.01]
        assert not small, f"{what}: text under {MIN_CHART_TEXT_PX} px: {small[:3]}"
        if vw <= PHONE["width"]:
            out = [m for m in item["marks"] if m["left"] < -0.5 or m["right"] > vw + 0.5]
            assert not out, f"{what}: {len(out)} intervals or marks off the screen"


def test_the_summary_of_findings_is_a_card_per_row_on_a_phone(phone_reader):
    phone_reader.goto("chapters/placebo.html", charts=False)
    cells = phone_reader.page.evaluate(
        """() => Array.from(document.querySelectorAll('main .sof-cards tbody td')).map(td => ({
             display: getComputedStyle(td).display, label: td.getAttribute('data-label'),
             before: getComputedStyle(td, '::before').content}))"""
    )
    assert cells, "no summary-of-findings table on the placebo chapter"
    assert all(c["display"] == "block" for c in cells), "cells are not stacked on a phone"
    assert all(c["label"] and c["label"] in c["before"] for c in cells), cells[:3]
